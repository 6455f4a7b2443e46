//! Reports through the CLI: two offices never see each other's halls, personal data is masked,
//! the register is a proper spreadsheet, the daily warning stays silent when there is nothing to
//! say, and the rendered text matches golden files.

use std::path::Path;

use crate::common::Env;

/// Two offices: 甲 supervises H01 and H02, 乙 supervises H03.
pub const CONFIG: &str = r#"
[[offices]]
id = "jia"
name = "甲区医保局监督科"
halls = ["H01", "H02"]
to = ["jia@example.cn"]

[[offices]]
id = "yi"
name = "乙区医保局监督科"
halls = ["H03"]
to = ["yi@example.cn"]
cc = ["yi-boss@example.cn"]
language = "en"
"#;

pub const IDS: [&str; 3] = ["110101199003071234", "220102198512120018", "11010519491231002X"];
pub const PHONES: [&str; 3] = ["13800138000", "13912345678", "18611112222"];

/// A small month of all four exports over three halls, with personal data in every place it can be.
pub fn seed(env: &Env) {
    env.write("windowwatch.toml", CONFIG);
    let mut cases = String::from("办件编号,大厅编码,窗口编号,受理人员,事项编码,事项名称,办件类型,承诺时限,申请人,证件号码,联系电话,受理时间,办结时间,办理结果,补正次数,延期天数,延期理由\n");
    let rows = [
        ("C-H01-1", "H01", "W1", "S11", "承诺件", "5", "2026-10-09 09:00:00", "2026-10-20 10:00:00", "办结", "0"),
        ("C-H01-2", "H01", "W2", "S12", "即办件", "", "2026-10-12 09:00:00", "2026-10-12 11:00:00", "办结", "2"),
        ("C-H02-1", "H02", "W1", "S21", "承诺件", "10", "2026-10-20 09:00:00", "", "办理中", "0"),
        ("C-H02-2", "H02", "W1", "S21", "承诺件", "1", "2026-10-29 09:00:00", "", "办理中", "0"),
        ("C-H02-3", "H02", "W2", "S22", "承诺件", "3", "2026-10-13 09:00:00", "2026-10-14 09:00:00", "不予批准", "0"),
        ("C-H03-1", "H03", "W1", "S31", "承诺件", "3", "2026-10-09 09:00:00", "2026-10-30 10:00:00", "办结", "0"),
        ("C-H03-2", "H03", "W2", "S32", "承诺件", "1", "2026-10-29 09:00:00", "", "办理中", "3"),
        ("C-H03-3", "H03", "W2", "S32", "承诺件", "3", "2026-10-13 09:00:00", "2026-10-14 09:00:00", "不予受理", "0"),
    ];
    for (i, (id, hall, win, staff, ty, days, acc, done, outcome, sup)) in rows.iter().enumerate() {
        let who = ["张三丰", "欧阳修", "李四"][i % 3];
        cases.push_str(&format!(
            "{id},{hall},{win},{staff},I1,门诊费用报销,{ty},{days},{who},{},{},{acc},{done},{outcome},{sup},,\"申请人电话{}，请回电\"\n",
            IDS[i % 3],
            PHONES[i % 3],
            PHONES[(i + 1) % 3]
        ));
    }
    env.write("cases.csv", cases);
    let denials = format!(
        "备案编号,办件编号,大厅编码,事项编码,申请人,否定类型,决定时间,否定理由,法律政策依据,审批方式,审批人,书面告知时间,备案时间,是否归档\n\
         D-H02-1,C-H02-3,H02,I1,欧阳修,不予批准,2026-10-14 09:00:00,材料不符（联系{}）,《社会保险法》,分管领导,王局,2026-10-15 10:00:00,2026-10-16 10:00:00,是\n\
         D-H01-9,C-H01-9,H01,I1,张三丰,不予受理,2026-10-20 09:00:00,,,科室负责人,,,,否\n",
        PHONES[0]
    );
    env.write("denials.csv", denials);
    let mut ratings = String::from("评价编号,大厅编码,窗口编号,工号,评价时间,评价等级,评价内容,核实时间,核实结果\n");
    let r = [
        ("R-H01-1", "H01", "W1", "S11", "2026-10-10 10:00:00", "非常满意", "", ""),
        ("R-H01-2", "H01", "W1", "S11", "2026-10-11 10:00:00", "满意", "", ""),
        ("R-H01-3", "H01", "W2", "S12", "2026-10-12 10:00:00", "不满意", "2026-10-14 10:00:00", "属实"),
        ("R-H02-1", "H02", "W1", "S21", "2026-10-12 10:00:00", "满意", "", ""),
        ("R-H02-2", "H02", "W2", "S22", "2026-10-31 20:00:00", "非常不满意", "", ""),
        ("R-H03-1", "H03", "W1", "S31", "2026-10-10 10:00:00", "满意", "", ""),
        ("R-H03-2", "H03", "W2", "S32", "2026-10-10 11:00:00", "不满意", "", ""),
    ];
    for (id, hall, win, staff, at, level, vat, vres) in r {
        ratings.push_str(&format!("{id},{hall},{win},{staff},{at},{level},\"请联系{} 身份证{}\",{vat},{vres}\n", PHONES[1], IDS[2]));
    }
    env.write("ratings.csv", ratings);
    let mut tickets = String::from("票号,大厅编码,窗口编号,工号,取号时间,叫号时间,完成时间,状态\n");
    for (i, hall) in ["H01", "H02", "H03"].iter().enumerate() {
        for k in 0..6 {
            let issued = format!("2026-10-{:02} {:02}:00:00", 10 + k, 9 + k);
            let called = format!("2026-10-{:02} {:02}:{:02}:00", 10 + k, 9 + k, 10 * (i + 1) + k);
            tickets.push_str(&format!("T{k},{hall},W1,S{}1,{issued},{called},,{}\n", i + 1, if k == 5 { "过号" } else { "已办理" }));
        }
        tickets.push_str(&format!("T9,{hall},W2,,2026-10-20 16:50:00,,,未叫号\n"));
    }
    env.write("tickets.csv", tickets);
    for (t, f) in [("cases", "cases.csv"), ("denials", "denials.csv"), ("ratings", "ratings.csv"), ("tickets", "tickets.csv")] {
        env.ww(&["ingest", "--table", t, f]).ok();
    }
}

/// Every text a file holds: its bytes as UTF-8, and for XLSX every cell.
pub fn file_text(p: &Path) -> String {
    if p.extension().is_some_and(|e| e == "xlsx") {
        use calamine::{Reader, open_workbook_auto};
        let mut wb = open_workbook_auto(p).unwrap();
        let mut out = String::new();
        for name in wb.sheet_names() {
            let range = wb.worksheet_range(&name).unwrap();
            for row in range.rows() {
                for c in row {
                    out.push_str(&c.to_string());
                    out.push('\t');
                }
                out.push('\n');
            }
        }
        out
    } else if p.extension().is_some_and(|e| e == "png") {
        String::new()
    } else {
        String::from_utf8_lossy(&std::fs::read(p).unwrap()).into_owned()
    }
}

pub fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.extend(all_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn render_everything(env: &Env) {
    let now = [("WINDOWWATCH_NOW", "2026-11-02 08:00:00")];
    env.ww_env(&["report", "monthly", "--month", "2026-10", "--out", "reports"], &now).ok();
    env.ww_env(&["report", "daily", "--as-of", "2026-11-02 08:00:00", "--out", "reports"], &now).ok();
    env.ww_env(&["register", "--month", "2026-10", "--as-of", "2026-11-02 08:00:00", "--out", "reports"], &now).ok();
    env.ww_env(&["register", "--month", "2026-10", "--format", "csv", "--as-of", "2026-11-02 08:00:00", "--out", "reports"], &now).ok();
}

#[test]
fn no_file_of_one_office_holds_a_hall_window_case_or_rating_of_the_other() {
    let env = Env::new();
    seed(&env);
    render_everything(&env);
    let jia = all_files(&env.path("reports/jia"));
    let yi = all_files(&env.path("reports/yi"));
    assert!(jia.len() >= 8 && yi.len() >= 8, "{jia:?}\n{yi:?}");
    let yi_marks = ["H03", "C-H03-", "R-H03-", "S31", "S32"];
    let jia_marks = ["H01", "H02", "C-H01-", "C-H02-", "R-H01-", "R-H02-", "D-H0", "S11", "S12", "S21", "S22"];
    for f in &jia {
        let t = file_text(f);
        for m in yi_marks {
            assert!(!t.contains(m), "{} holds {m} of office yi", f.display());
        }
    }
    for f in &yi {
        let t = file_text(f);
        for m in jia_marks {
            assert!(!t.contains(m), "{} holds {m} of office jia", f.display());
        }
    }
    // Each office's own data is there.
    let monthly_jia = file_text(&env.path("reports/jia/monthly-2026-10.txt"));
    assert!(monthly_jia.contains("H01") && monthly_jia.contains("H02"));
    let monthly_yi = file_text(&env.path("reports/yi/monthly-2026-10.txt"));
    assert!(monthly_yi.contains("H03") && monthly_yi.starts_with("Monthly supervision report, 2026-10"), "{monthly_yi}");
}

#[test]
fn no_full_id_number_or_phone_number_appears_in_any_output() {
    let env = Env::new();
    seed(&env);
    render_everything(&env);
    let files = all_files(&env.path("reports"));
    assert!(files.len() > 10);
    for f in &files {
        let t = file_text(f);
        for s in IDS.iter().chain(PHONES.iter()) {
            assert!(!t.contains(s), "{} shows {s}", f.display());
        }
        for name in ["张三丰", "欧阳修"] {
            assert!(!t.contains(name), "{} shows the name {name}", f.display());
        }
    }
    // The masked forms are what the register shows instead.
    let reg = file_text(&env.path("reports/jia/否定备案登记表-jia-2026-10.xlsx"));
    assert!(reg.contains("欧阳*") && reg.contains("138****8000"), "{reg}");
}

#[test]
fn the_register_is_a_spreadsheet_with_chinese_headers_frozen_and_sized() {
    let env = Env::new();
    seed(&env);
    render_everything(&env);
    use calamine::{Reader, open_workbook_auto};
    let p = env.path("reports/jia/否定备案登记表-jia-2026-10.xlsx");
    let mut wb = open_workbook_auto(&p).unwrap();
    assert_eq!(wb.sheet_names(), vec!["否定备案登记表", "未登记的否定决定"]);
    let r = wb.worksheet_range("否定备案登记表").unwrap();
    let rows: Vec<Vec<String>> = r.rows().map(|row| row.iter().map(|c| c.to_string()).collect()).collect();
    assert_eq!(rows[0][0], "备案编号");
    assert!(rows[0].contains(&"是否完整".to_string()) && rows[0].contains(&"存在问题".to_string()));
    assert_eq!(rows.len(), 3, "two register rows of October: {rows:?}");
    let d9 = rows.iter().find(|r| r[0] == "D-H01-9").unwrap();
    let complete = rows[0].iter().position(|h| h == "是否完整").unwrap();
    assert_eq!(d9[complete], "否");
    let problems = &d9[rows[0].iter().position(|h| h == "存在问题").unwrap()];
    assert!(problems.contains("否定决定未经审批") && problems.contains("否定决定无理由"), "{problems}");
    let d1 = rows.iter().find(|r| r[0] == "D-H02-1").unwrap();
    assert_eq!(d1[complete], "是");
    // The frozen header row and the column widths are in the sheet XML.
    let zip = std::fs::read(&p).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut xml).unwrap();
    assert!(xml.contains("state=\"frozen\"") && xml.contains("ySplit=\"1\""), "{xml}");
    assert!(xml.contains("<cols>") && xml.contains("customWidth=\"1\""), "{xml}");
    // CSV: UTF-8 with BOM so Excel/WPS read the Chinese; the unregistered denials apart.
    let csv = std::fs::read(env.path("reports/jia/否定备案登记表-jia-2026-10-未登记.csv")).unwrap();
    assert!(csv.starts_with(b"\xef\xbb\xbf"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("办件编号") && !csv.contains("C-H02-3"), "C-H02-3 has a register row: {csv}");
}

#[test]
fn the_daily_warning_goes_only_to_offices_with_something_to_say() {
    let env = Env::new();
    seed(&env);
    // Monday 2026-11-02 08:00: C-H02-2 was due 10-30 (Friday) → overdue since the previous working
    // day began? No: since Friday 00:00 it is. H03's C-H03-2 too. R-H02-2 (Saturday 20:00) is past
    // 24 h. Nothing is due within a working day for 乙 except…
    let r = env.ww_env(&["report", "daily", "--as-of", "2026-11-02 08:00:00", "--out", "reports"], &[("WINDOWWATCH_NOW", "2026-11-02 08:00:00")]).ok();
    assert!(r.stdout.contains("daily · jia"), "{}", r.stdout);
    let t = file_text(&env.path("reports/jia/daily-2026-11-02.txt"));
    assert!(t.contains("C-H02-2"), "{t}");
    // Tuesday 11-03 at noon nothing new is due or overdue for either office, and no bad review waits.
    let r = env.ww_env(&["report", "daily", "--as-of", "2026-11-24 12:00:00", "--out", "later"], &[("WINDOWWATCH_NOW", "2026-11-24 12:00:00")]).ok();
    assert!(r.stdout.contains("jia (甲区医保局监督科): nothing to report, no message"), "{}", r.stdout);
    assert!(r.stdout.contains("yi (乙区医保局监督科): nothing to report, no message"), "{}", r.stdout);
    assert!(all_files(&env.path("later")).is_empty());
}

/// Golden files: the rendered text and HTML of every report, with the run stamps pinned.
#[test]
fn rendered_reports_match_their_golden_files() {
    let env = Env::new();
    seed(&env);
    render_everything(&env);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/reports");
    let update = std::env::var("UPDATE_GOLDEN").is_ok();
    let mut checked = 0;
    for f in all_files(&env.path("reports")) {
        let ext = f.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !["txt", "html", "csv"].contains(&ext) {
            continue;
        }
        let rel = f.strip_prefix(env.path("reports")).unwrap();
        let text = file_text(&f).replace(&crate::reports::font_line(), "Chart font: (machine dependent)").replace(&crate::reports::font_line_zh(), "图表字体：(machine dependent)");
        let g = golden.join(rel);
        if update {
            std::fs::create_dir_all(g.parent().unwrap()).unwrap();
            std::fs::write(&g, &text).unwrap();
        } else {
            let want = std::fs::read_to_string(&g).unwrap_or_else(|_| panic!("missing golden file {} (run with UPDATE_GOLDEN=1)", g.display()));
            assert_eq!(text, want, "{} differs from its golden file", rel.display());
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked}");
}

pub fn font_line() -> String {
    format!("Chart font: {}", windowwatch::report::charts::font_source())
}

pub fn font_line_zh() -> String {
    format!("图表字体：{}", windowwatch::report::charts::font_source())
}

/// `[[offices]] districts = [...]`: the halls of those districts in the halls table, besides the
/// office's `halls`, resolved when the report is made (the config only names the districts).
#[test]
fn an_office_by_district_reports_on_the_halls_of_its_districts() {
    let env = Env::new();
    seed(&env);
    env.write("halls.csv", "大厅编号,大厅名称,所属区县\nH01,历下区医疗保障服务大厅,历下区\nH02,市中区医疗保障服务大厅,市中区\nH03,槐荫区医疗保障服务大厅,槐荫区\n");
    env.ww(&["ingest", "--table", "halls", "halls.csv"]).ok();
    env.write(
        "windowwatch.toml",
        "[[offices]]\nid = \"lx\"\nname = \"历下区医保局监督科\"\ndistricts = [\"历下区\"]\nto = [\"lx@example.cn\"]\n\n\
         [[offices]]\nid = \"two\"\nname = \"两区\"\nhalls = [\"H03\"]\ndistricts = [\"市中区\"]\nto = [\"two@example.cn\"]\n",
    );
    env.ww(&["config", "check"]).ok();
    let now = [("WINDOWWATCH_NOW", "2026-11-02 08:00:00")];
    env.ww_env(&["report", "monthly", "--month", "2026-10", "--out", "reports"], &now).ok();
    let lx = file_text(&env.path("reports/lx/monthly-2026-10.txt"));
    assert!(lx.contains("H01") && !lx.contains("H02") && !lx.contains("H03"), "{lx}");
    let two = file_text(&env.path("reports/two/monthly-2026-10.txt"));
    assert!(two.contains("H02") && two.contains("H03") && !two.contains("H01"), "{two}");
}

/// A rule with more red findings than `[reports] findings_per_rule` shows that many in the body,
/// then "… 另有 M 条，详见附件" (English: "… and M more in the attachment"); the XLSX and CSV
/// attachments, written as the query streams, hold every one.
#[test]
fn the_body_lists_the_first_findings_of_a_rule_and_the_attachments_every_one() {
    let env = Env::new();
    seed(&env);
    let now = [("WINDOWWATCH_NOW", "2026-11-02 08:00:00")];
    for (lang, more) in [("zh-CN", "… 另有 1 条，详见附件"), ("en", "… and 1 more in the attachment")] {
        let config = CONFIG.replacen("halls = [\"H01\", \"H02\"]", &format!("halls = [\"H01\", \"H02\"]\nlanguage = \"{lang}\""), 1);
        env.write("windowwatch.toml", format!("{config}\n[reports]\nfindings_per_rule = 1\n"));
        env.ww_env(&["report", "monthly", "--month", "2026-10", "--out", lang], &now).ok();
        let dir = env.path(lang).join("jia");
        let text = std::fs::read_to_string(dir.join("monthly-2026-10.txt")).unwrap();
        let unserved = text.split("queue.unserved").nth(1).unwrap_or_else(|| panic!("{text}"));
        let listed: Vec<&str> = unserved.lines().skip(2).take_while(|l| l.starts_with("    ")).collect();
        assert_eq!(listed.len(), 2, "one finding and the rest counted: {unserved}");
        assert!(listed[0].contains("H01/T9") && listed[1].trim() == more, "{listed:?}");
        let html = std::fs::read_to_string(dir.join("monthly-2026-10.html")).unwrap();
        assert_eq!(html.matches(more).count(), text.matches(more).count(), "the HTML body says the same");
        assert!(!html.contains("H02/T9") && !text.contains("H02/T9"), "the second finding is in the attachments only");
        let csv = std::fs::read_to_string(dir.join("monthly-2026-10-red-findings.csv")).unwrap();
        assert_eq!(csv.lines().filter(|l| l.starts_with("queue.unserved,")).count(), 2, "{csv}");
        use calamine::{Reader, open_workbook_auto};
        let mut book = open_workbook_auto(dir.join("monthly-2026-10-red-findings.xlsx")).unwrap();
        let sheet = book.worksheet_range("红色问题明细").unwrap();
        assert_eq!(sheet.height(), csv.lines().count(), "header and every finding, as the CSV");
        let ids: Vec<String> = sheet.rows().filter(|r| r[0] == "queue.unserved").map(|r| r[6].to_string()).collect();
        assert_eq!(ids, ["H01/T9", "H02/T9"]);
    }
}
