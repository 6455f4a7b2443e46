//! The supervisors' records (supervision.md): an office's session sees the attendance of its
//! halls' staff and no other office's, whichever way the query is spelt; and the annual
//! accountability (年度问责) of a small fixture — 在编 50 % against 非编 100 % for attendance, the
//! largest percentage applied, (一) removing 评先评优, an excused finding not counting.

use std::collections::BTreeMap;

use crate::common::Env;
use crate::reports::CONFIG;

fn fixture(env: &Env) {
    env.write("windowwatch.toml", CONFIG);
    env.write("staff.csv", "工号,姓名,大厅编号,人员类别\nS11,张晓明,H01,在编\nS12,李芳,H01,非编\nS31,王强,H03,在编\nS32,赵敏,H03,非编\n");
    env.write(
        "attendance.csv",
        "工号,月份,迟到早退次数,事假天数,病假天数\nS11,2026-08,12,,\nS11,2026-09,8,0,0\nS12,2026-09,20,0,0\nS31,2026-08,3,4.5,0\nS31,2026年9月,0,4.5,0\nS32,2026-10,1,0,2\nS99,2026-10,30,0,0\n",
    );
    env.write(
        "complaints.csv",
        "投诉编号,大厅编号,窗口号,被投诉人工号,投诉时间,查处级别,是否属实,答复时间,结果告知时间\n\
         T1,H03,W1,S31,2026-09-01 10:00:00,厅效能办,是,2026-09-02 10:00:00,2026-09-02 11:00:00\n\
         T2,H03,W2,S32,2026-09-03 10:00:00,中心,是,2026-09-04 10:00:00,2026-09-04 11:00:00\n",
    );
    let mut insp = String::from("记录编号,大厅编号,窗口号,工号,检查时间,检查方式,发现问题\n");
    for (i, d) in ["2026-01-05", "2026-03-05", "2026-05-06", "2026-07-07", "2026-09-08"].iter().enumerate() {
        insp.push_str(&format!("X{i},H01,W2,S12,{d} 10:00:00,值班巡查,有\n"));
    }
    insp.push_str("X9,H01,W1,S11,2026-09-09 10:00:00,巡查,无\n");
    env.write("inspections.csv", insp);
    for (table, file) in [("staff", "staff.csv"), ("attendance", "attendance.csv"), ("complaints", "complaints.csv"), ("inspections", "inspections.csv")] {
        env.ww(&["ingest", "--table", table, env.path(file).to_str().unwrap()]).ok();
    }
}

fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines();
    let head: Vec<String> = lines.next().unwrap_or_default().split(',').map(String::from).collect();
    lines.map(|l| head.iter().cloned().zip(l.split(',').map(String::from)).collect()).collect()
}

#[test]
fn an_office_sees_the_attendance_of_its_halls_staff_only() {
    let env = Env::new();
    fixture(&env);
    let q = |office: Option<&str>, sql: &str| -> Vec<String> {
        let mut args = vec!["sql", "--as-of", "2026-11-01", "--format", "csv", "-c", sql];
        if let Some(o) = office {
            args.extend(["--office", o]);
        }
        env.ww(&args).ok().stdout.lines().skip(1).map(String::from).collect()
    };
    let plain = "SELECT DISTINCT staff_id FROM attendance ORDER BY staff_id";
    let roundabout = "SELECT DISTINCT a.staff_id FROM attendance a WHERE a.staff_id IN (SELECT staff_id FROM attendance) OR a.staff_id LIKE 'S%' ORDER BY 1";
    for sql in [plain, roundabout] {
        assert_eq!(q(Some("jia"), sql), vec!["S11", "S12"], "{sql}");
        assert_eq!(q(Some("yi"), sql), vec!["S31", "S32"], "{sql}");
        assert_eq!(q(None, sql), vec!["S11", "S12", "S31", "S32", "S99"], "{sql}");
    }
    // Asking for another office's staff by id finds nothing; the views inherit the limit.
    assert_eq!(q(Some("jia"), "SELECT count(*) FROM attendance WHERE staff_id = 'S31'"), vec!["0"]);
    assert_eq!(q(Some("jia"), "SELECT DISTINCT staff_id FROM attendance_at ORDER BY 1"), vec!["S11", "S12"]);
    assert_eq!(q(Some("yi"), "SELECT DISTINCT staff_id FROM accountability ORDER BY 1"), vec!["S31", "S32"]);
}

#[test]
fn accountability_applies_the_largest_percentage_and_employment_decides_attendance() {
    let env = Env::new();
    fixture(&env);
    let run = |extra: &[&str]| {
        let mut args = vec!["accountability", "--year", "2026", "--as-of", "2026-11-01 00:00:00", "--format", "csv"];
        args.extend(extra);
        csv_rows(&env.ww(&args).ok().stdout)
    };
    let rows = run(&[]);
    let by: BTreeMap<String, BTreeMap<String, String>> = rows.into_iter().map(|r| (r["staff_id"].clone(), r)).collect();
    let pct = |s: &str| by[s]["withhold_percent"].clone();
    // 在编, late/early 12 + 8 = 20: (二) 50 %.
    assert_eq!((pct("S11"), by["S11"]["loses_honours"].as_str(), by["S11"]["late_early"].as_str()), ("50".into(), "false", "20"));
    // 非编, late/early 20 and five violations found by inspection: (二) 100 % over (一) 25 %.
    assert_eq!((pct("S12"), by["S12"]["loses_honours"].as_str(), by["S12"]["inspection_violations"].as_str()), ("100".into(), "true", "5"));
    assert!(by["S12"]["clauses"].contains("(一)") && by["S12"]["clauses"].contains("(二) 考勤（非编）"), "{:?}", by["S12"]);
    // 在编, personal leave 4.5 + 4.5 = 9 days and a complaint substantiated by 厅效能办: 50 %.
    assert_eq!((pct("S31"), by["S31"]["loses_honours"].as_str()), ("50".into(), "true"));
    // 非编, a complaint substantiated by 中心: 25 %, (一).
    assert_eq!((pct("S32"), by["S32"]["complaints_center"].as_str()), ("25".into(), "1"));
    // An office sees its own staff.
    let yi: Vec<String> = run(&["--office", "yi"]).into_iter().map(|r| r["staff_id"].clone()).collect();
    assert_eq!(yi, vec!["S31", "S32"]);
    // Another year has nothing.
    assert!(csv_rows(&env.ww(&["accountability", "--year", "2025", "--as-of", "2026-11-01", "--format", "csv"]).ok().stdout).is_empty());
    // The finding excused (an appeal decided 认可 by T) leaves the count and the consequence.
    env.ww(&["check", "--as-of", "2026-11-01 00:00:00"]);
    env.write("responses.csv", "规则,对象编号,月份,回告时间,情况说明,是否申诉,审核结果,审核人,审核时间\nstaff.complaint_substantiated,T2,2026-09,2026-10-08 10:00:00,投诉人撤回,是,认可,李科长,2026-10-09 10:00:00\n");
    env.ww(&["ingest", "--table", "responses", env.path("responses.csv").to_str().unwrap()]).ok();
    let after: BTreeMap<String, BTreeMap<String, String>> = run(&[]).into_iter().map(|r| (r["staff_id"].clone(), r)).collect();
    assert_eq!((after["S32"]["withhold_percent"].as_str(), after["S32"]["complaints_center"].as_str(), after["S32"]["loses_honours"].as_str()), ("0", "0", "false"));
    // Files: XLSX to a file, JSON to the terminal.
    let x = env.path("acc.xlsx");
    env.ww(&["accountability", "--year", "2026", "--as-of", "2026-11-01", "-o", x.to_str().unwrap()]).ok();
    assert!(std::fs::metadata(&x).unwrap().len() > 0);
    let json = env.ww(&["accountability", "--year", "2026", "--as-of", "2026-11-01", "--format", "json"]).ok().stdout;
    assert!(json.contains("\"withhold_percent\"") && json.contains("S12"), "{json}");
    // As an official document: the office as 发文机关, every staff member of its halls, no other.
    #[cfg(feature = "documents")]
    {
        let d = env.path("acc.docx");
        env.ww(&["accountability", "--year", "2026", "--as-of", "2026-11-01", "--office", "jia", "--document", "docx", "-o", d.to_str().unwrap()]).ok();
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&d).unwrap()).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
        assert!(xml.contains("2026年度工作人员问责情况表") && xml.contains("甲区医保局监督科") && xml.contains("不予发放"), "{xml}");
        assert!(xml.contains("S12") && !xml.contains("S31"), "the office's staff only");
    }
}

#[test]
fn the_record_rules_find_on_the_fixture() {
    let env = Env::new();
    fixture(&env);
    let r = env.ww(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "jsonl", "--no-record", "--rule", "staff"]);
    let got: Vec<(String, String, String, String)> = crate::common::jsonl(&r.stdout)
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().into(), f["entity_id"].as_str().unwrap().into(), f["month"].as_str().unwrap().into(), f["hall_id"].as_str().unwrap_or("∅").into()))
        .collect();
    let want: Vec<(String, String, String, String)> = [
        ("staff.attendance", "S11", "2026-09", "H01"),
        ("staff.attendance", "S12", "2026-09", "H01"),
        ("staff.attendance", "S99", "2026-10", "∅"),
        ("staff.attendance", "S31", "2026-09", "H03"),
        ("staff.complaint_substantiated", "T1", "2026-09", "H03"),
        ("staff.complaint_substantiated", "T2", "2026-09", "H03"),
        ("staff.inspection_repeat", "S12", "2026-09", "H01"),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    let mut want_sorted = want;
    want_sorted.sort();
    assert_eq!(got_sorted, want_sorted, "{}", r.stderr);
}

#[test]
fn the_reports_carry_the_records_the_daily_warning_their_deadlines() {
    let env = Env::new();
    fixture(&env);
    // A complaint received Friday 30 October is due Friday 6 November (5 working days); a
    // violation found in October is to be rectified by 6 November; neither is done yet.
    env.write("complaints2.csv", "投诉编号,大厅编号,窗口号,被投诉人工号,投诉时间\nT7,H01,W1,S11,2026-10-30 15:00:00\n");
    env.write("inspections2.csv", "记录编号,大厅编号,窗口号,工号,检查时间,检查方式,发现问题,问题类别,整改期限\nX20,H01,W2,S12,2026-10-28 10:00:00,暗访,是,擅离职守,2026-11-06\n");
    env.ww(&["ingest", "--table", "complaints", env.path("complaints2.csv").to_str().unwrap()]).ok();
    env.ww(&["ingest", "--table", "inspections", env.path("inspections2.csv").to_str().unwrap()]).ok();
    let daily = |at: &str, day: &str| {
        env.ww_env(&["report", "daily", "--as-of", at, "--office", "jia", "--out", "d"], &[("WINDOWWATCH_NOW", at)]).ok();
        std::fs::read_to_string(env.path(&format!("d/jia/daily-{day}.txt"))).unwrap_or_default()
    };
    // Thursday: both fall due by the end of the next working day.
    let thu = daily("2026-11-05 10:00:00", "2026-11-05");
    assert!(thu.contains("四、一个工作日内到期未答复的投诉（1 件）") && thu.contains("T7") && thu.contains("2026-11-06 23:59:59"), "{thu}");
    assert!(thu.contains("五、一个工作日内到期未整改的检查问题（1 项）") && thu.contains("X20") && thu.contains("擅离职守"), "{thu}");
    // Wednesday: not yet within a working day; nothing else to warn about, so no warning at all.
    let wed = daily("2026-11-04 10:00:00", "2026-11-04");
    assert!(!wed.contains("T7") && !wed.contains("X20"), "{wed}");

    // September: H01 inspected twice (one violation), H03 two complaints replied in time, both
    // substantiated and told; yi's report is in English.
    let now = [("WINDOWWATCH_NOW", "2026-10-02 08:00:00")];
    env.ww_env(&["report", "monthly", "--month", "2026-09", "--out", "m"], &now).ok();
    let jia = std::fs::read_to_string(env.path("m/jia/monthly-2026-09.txt")).unwrap();
    assert!(jia.contains("六、监督检查、投诉与回告") && jia.contains("H01：检查 2 次，发现问题 1 个"), "{jia}");
    assert!(!jia.contains("H03"), "an office's report holds no foreign hall: {jia}");
    let yi = std::fs::read_to_string(env.path("m/yi/monthly-2026-09.txt")).unwrap();
    assert!(yi.contains("H03: 0 inspections, 0 violations; 0 rectifications due, 0 in time; 2 complaints, 2 replied in time, 2 substantiated, 2 told the result"), "{yi}");
    assert!(!jia.contains("年度问责") && !yi.contains("Accountability"), "only December and January carry the year's accountability");
    let html = std::fs::read_to_string(env.path("m/jia/monthly-2026-09.html")).unwrap();
    assert!(html.contains("<h2>六、监督检查、投诉与回告</h2>"), "{html}");

    // December (as of 1 January 2027) carries the year's accountability of the office's staff.
    env.ww_env(&["report", "monthly", "--month", "2026-12", "--office", "jia", "--out", "m"], &[("WINDOWWATCH_NOW", "2027-01-02 08:00:00")]).ok();
    let dec = std::fs::read_to_string(env.path("m/jia/monthly-2026-12.txt")).unwrap();
    assert!(dec.contains("七、2026年度问责（第四十一条）"), "{dec}");
    assert!(dec.contains("李芳（S12）（非编）") && dec.contains("扣发精神文明奖 100%，取消评先评优资格"), "{dec}");
    assert!(dec.contains("张晓明（S11）（在编）") && dec.contains("扣发精神文明奖 50%"), "{dec}");
    assert!(!dec.contains("S31") && !dec.contains("S32"), "no foreign staff: {dec}");
}
