//! Responses (回告与申诉) through the CLI: a response and a decision recorded with who and when,
//! an appeal decided 认可 excusing its finding from the counts as of its decision (and not
//! before), every version kept, a response to no finding refused, the 回告单 round trip,
//! `response.late` on its deadline day and the day after, and an office seeing only its halls'.

use serde_json::Value;

use crate::common::{Env, jsonl};
use crate::reports::seed;

/// The findings at `as_of` (not recorded) and the summary line.
fn findings(env: &Env, as_of: &str) -> (Vec<Value>, String) {
    let r = env.ww(&["check", "--as-of", as_of, "--format", "jsonl", "--no-record"]);
    assert!(r.code <= 1, "{}", r.stderr);
    (jsonl(&r.stdout), r.stderr)
}

/// N of "(N red" in a check's summary.
fn summary_red(summary: &str) -> usize {
    let at = summary.find(" red").expect("a summary");
    summary[..at].rsplit('(').next().unwrap().trim().parse().unwrap()
}

fn key_of(f: &Value) -> (String, String, String) {
    let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
    (s("rule"), s("entity_id"), s("month"))
}

fn find<'a>(all: &'a [Value], key: &(String, String, String)) -> Option<&'a Value> {
    all.iter().find(|f| key_of(f) == *key)
}

/// A red finding of H03 (the office 乙's hall) from a recorded run at 2026-11-01.
fn red_of_h03(env: &Env) -> (String, String, String) {
    let r = env.ww(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "jsonl"]);
    let all = jsonl(&r.stdout);
    let f = all.iter().find(|f| f["severity"] == "red" && f["hall_id"] == "H03" && f["month"] == "2026-10" && !f["rule"].as_str().unwrap().starts_with("response.")).expect("a red finding of H03");
    key_of(f)
}

fn at(t: &str) -> [(&'static str, &str); 1] {
    [("WINDOWWATCH_NOW", t)]
}

#[test]
fn an_appeal_decided_in_favour_excuses_its_finding_from_the_counts_as_of_the_decision() {
    let env = Env::new();
    seed(&env);
    let key = red_of_h03(&env);
    let (rule, entity, month) = (key.0.as_str(), key.1.as_str(), key.2.as_str());
    let r = env.ww_env(&["respond", rule, entity, month, "--explanation", "系统故障导致超期，已补办", "--appeal", "--by", "王主任"], &at("2026-11-02 09:00:00")).ok();
    assert!(r.stdout.contains("appeal") && r.stdout.contains("2026-11-02 09:00:00"), "{}", r.stdout);
    // A decision on nothing, or by nobody, is refused.
    let r = env.ww_env(&["decide", rule, "NO-SUCH", month, "认可", "--by", "李科长"], &at("2026-11-03 10:00:00"));
    assert_eq!(r.code, 2, "{}", r.stdout);
    let r = env.ww_env(&["decide", rule, entity, month, "同意", "--by", "李科长"], &at("2026-11-03 10:00:00"));
    assert_eq!(r.code, 2);
    env.ww_env(&["decide", rule, entity, month, "认可", "--by", "李科长"], &at("2026-11-03 10:00:00")).ok();

    // Before the decision (as of T), the finding counts; after it, it is listed, excused, uncounted.
    let (before, s1) = findings(&env, "2026-11-03 09:59:59");
    let (after, s2) = findings(&env, "2026-11-03 10:00:00");
    assert_eq!(find(&before, &key).unwrap()["excused"], false);
    assert_eq!(find(&after, &key).unwrap()["excused"], true);
    let red = |all: &[Value]| all.iter().filter(|f| f["severity"] == "red" && f["excused"] == false).count();
    assert_eq!(summary_red(&s1), red(&before));
    assert_eq!(summary_red(&s2), red(&after));
    assert_eq!(summary_red(&s2) + 1, summary_red(&s1), "{s1}\n{s2}");
    assert!(s2.contains("1 excused"), "{s2}");
    // The monthly report's totals drop by one and list it apart (乙 reads English).
    for (t, dir) in [("2026-11-03 09:59:59", "r1"), ("2026-11-03 10:00:00", "r2")] {
        env.ww(&["report", "monthly", "--month", "2026-10", "--as-of", t, "--office", "yi", "--out", dir]).ok();
    }
    let text = |dir: &str| {
        let files = crate::reports::all_files(&env.path(dir));
        let txt = files.iter().find(|p| p.extension().is_some_and(|e| e == "txt")).expect("the text report");
        std::fs::read_to_string(txt).unwrap()
    };
    let count = |t: &str| -> usize {
        let at = t.find("4. Red findings (").expect("red findings section") + "4. Red findings (".len();
        t[at..].split(')').next().unwrap().parse().unwrap()
    };
    let (t1, t2) = (text("r1"), text("r2"));
    assert_eq!(count(&t2) + 1, count(&t1), "{t2}");
    assert!(!t1.contains("Excused on appeal") && t2.contains("Excused on appeal (1, not counted)"), "{t2}");

    // A second decision: the current table holds the latest, the log every version with its time.
    env.ww_env(&["decide", rule, entity, month, "不认可", "--by", "赵处长"], &at("2026-11-05 08:00:00")).ok();
    let current = env.rows("responses");
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["decision"], "不认可");
    let log = env.rows("response_log");
    let decisions: Vec<(String, String, String)> = log.iter().map(|r| (r["decision"].clone(), r["decided_by"].clone(), r["decided_at"].clone())).collect();
    assert_eq!(log.len(), 3, "{decisions:?}");
    assert!(decisions.iter().any(|d| d.0 == "认可" && d.1 == "李科长" && (d.2.starts_with("2026-11-03T10:00:00") || d.2.starts_with("2026-11-03 10:00:00"))), "{decisions:?}");
    assert!(log.iter().all(|r| r["responder"] == "王主任" && r["appeal"] == "true"), "{log:?}");
    // As of each instant, the decision then in force.
    assert_eq!(find(&findings(&env, "2026-11-04 12:00:00").0, &key).unwrap()["excused"], true);
    assert_eq!(find(&findings(&env, "2026-11-05 08:00:00").0, &key).unwrap()["excused"], false);
}

#[test]
fn a_response_to_no_finding_is_refused_by_the_cli_and_quarantined_from_a_file() {
    let env = Env::new();
    seed(&env);
    let key = red_of_h03(&env);
    let before = env.state();
    let r = env.ww_env(&["respond", "time_limit.overdue_open", "C-NOPE", "2026-10", "--explanation", "x"], &at("2026-11-02 09:00:00"));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("no recorded check run found the finding time_limit.overdue_open / C-NOPE / 2026-10"), "{}", r.stderr);
    assert_eq!(env.state(), before, "nothing written");

    let csv = format!(
        "规则,对象编号,月份,回告时间,回告人,情况说明,是否申诉\n{},{},{},2026-11-02 09:00:00,王,已整改,否\ntime_limit.overdue_open,C-NOPE,2026-10,2026-11-02 09:00:00,王,无此问题,是\n",
        key.0, key.1, key.2
    );
    env.write("responses.csv", &csv);
    let r = env.ww(&["ingest", "--table", "responses", "responses.csv"]).ok();
    assert!(r.stdout.contains("reconciled: rows read 2 = loaded 1 + superseded 0 + quarantined 1"), "{}", r.stdout);
    let q = env.rows("quarantine");
    assert_eq!(q.len(), 1);
    assert_eq!(q[0]["reason"], "unknown_finding");
    assert_eq!(q[0]["line"], "3");
    assert_eq!(env.rows("responses").len(), 1);
    assert_eq!(env.rows("response_log").len(), 1);
    // Twice changes nothing: skipped, and read again by force the record is unchanged, not logged.
    let r = env.ww(&["ingest", "--table", "responses", "responses.csv"]).ok();
    assert!(r.stdout.contains("skipped"), "{}", r.stdout);
    env.write("again.csv", csv.replace("无此问题", "无此问题。"));
    let r = env.ww(&["ingest", "--table", "responses", "again.csv"]).ok();
    assert!(r.stdout.contains("(0 new, 0 updated, 1 unchanged)"), "{}", r.stdout);
    assert_eq!(env.rows("responses").len(), 1);
    assert_eq!(env.rows("response_log").len(), 1);
}

#[test]
fn the_response_form_lists_the_halls_red_findings_and_ingests_back_filled() {
    use calamine::{Reader, open_workbook_auto};
    let env = Env::new();
    seed(&env);
    let r = env.ww(&["response-form", "--month", "2026-10", "--office", "yi", "--hall", "H03", "--as-of", "2026-11-01 00:00:00", "--out", "forms"]).ok();
    let path = env.path("forms/yi/回告单-yi-H03-2026-10.xlsx");
    assert!(r.stdout.contains("回告单-yi-H03-2026-10.xlsx") && path.exists(), "{}", r.stdout);
    let mut wb = open_workbook_auto(&path).unwrap();
    let range = wb.worksheet_range("回告单").unwrap();
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
    let headers = rows[0].clone();
    for h in ["规则", "对象编号", "月份", "问题", "大厅编号", "窗口号", "工号", "回告时间", "回告人", "情况说明", "是否申诉"] {
        assert!(headers.contains(&h.to_string()), "{h}: {headers:?}");
    }
    let col = |h: &str| headers.iter().position(|x| x == h).unwrap();
    let body = &rows[1..];
    assert!(!body.is_empty());
    assert!(body.iter().all(|r| r[col("大厅编号")] == "H03" && r[col("月份")] == "2026-10" && r[col("情况说明")].is_empty()), "{body:?}");
    // The same red findings the check finds for H03 in October.
    let (all, _) = findings(&env, "2026-11-01 00:00:00");
    let expected = all.iter().filter(|f| f["severity"] == "red" && f["hall_id"] == "H03" && f["month"] == "2026-10").count();
    assert_eq!(body.len(), expected);
    // Another office's hall is no hall of 乙's.
    assert_eq!(env.ww(&["response-form", "--month", "2026-10", "--office", "yi", "--hall", "H01", "--out", "forms"]).code, 2);

    // The hall fills it in and sends it back.
    let mut out = rust_xlsxwriter::Workbook::new();
    let ws = out.add_worksheet();
    for (c, h) in headers.iter().enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    for (r, row) in body.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let v = match headers[c].as_str() {
                "回告时间" => "2026-11-03 09:00:00".to_string(),
                "回告人" => "H03 王".to_string(),
                "情况说明" => "=已整改".to_string(),
                "是否申诉" => if r == 0 { "是" } else { "否" }.to_string(),
                _ => v.clone(),
            };
            ws.write_string(r as u32 + 1, c as u16, &v).unwrap();
        }
    }
    env.write("filled.xlsx", out.save_to_buffer().unwrap());
    let r = env.ww(&["ingest", "--table", "responses", "filled.xlsx"]).ok();
    let n = body.len();
    assert!(r.stdout.contains(&format!("rows read {n} = loaded {n} + superseded 0 + quarantined 0")), "{}", r.stdout);
    let stored = env.rows("responses");
    assert_eq!(stored.len(), n);
    assert_eq!(stored.iter().filter(|r| r["appeal"] == "true").count(), 1);
}

#[test]
fn a_late_response_is_a_finding_the_day_after_its_deadline_not_on_it() {
    let env = Env::new();
    seed(&env);
    // Two September cases overdue (deadline 2 September): red findings of month 2026-09.
    env.write(
        "sept.csv",
        "办件编号,大厅编码,窗口编号,受理人员,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果\n\
         C-SEP-1,H03,W1,S31,I1,承诺件,1,2026-09-01 09:00:00,2026-09-20 10:00:00,办结\n\
         C-SEP-2,H01,W2,S12,I1,承诺件,1,2026-09-01 09:00:00,2026-09-20 10:00:00,办结\n",
    );
    env.ww(&["ingest", "--table", "cases", "sept.csv"]).ok();
    // 5 working days after 30 September, the National Day holidays (1–8 October) inside.
    let due = env.ww(&["sql", "--format", "csv", "-c", "SELECT CAST(CAST(add_workdays(DATE '2026-09-30', 5) AS DATE) AS VARCHAR) AS d"]).ok().stdout;
    let due = due.lines().nth(1).unwrap().to_string();
    assert!(due.as_str() > "2026-10-08", "a holiday inside the period: {due}");
    let next = chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d").unwrap().succ_opt().unwrap().to_string();
    // Recorded, so that the findings can be answered.
    env.ww(&["check", "--as-of", "2026-10-01 00:00:00"]);
    let late = |t: &str| -> Vec<String> {
        let r = env.ww(&["check", "--as-of", t, "--rule", "response.late", "--format", "jsonl", "--no-record"]);
        assert!(r.stderr.contains("from 1 rules"), "{}", r.stderr);
        let all = jsonl(&r.stdout);
        assert!(all.iter().all(|f| f["rule"] == "response.late" && f["severity"] == "yellow"), "{all:?}");
        all.iter().filter(|f| f["month"] == "2026-09" && f["entity_id"].as_str().unwrap().starts_with("time_limit.overdue_completed:")).map(|f| format!("{}@{}", f["entity_id"].as_str().unwrap(), f["hall_id"].as_str().unwrap())).collect()
    };
    // C-SEP-1 answered on the deadline day (late evening), C-SEP-2 the day after.
    env.ww_env(&["respond", "time_limit.overdue_completed", "C-SEP-1", "2026-09", "--explanation", "已说明"], &at(&format!("{due} 23:59:00"))).ok();
    env.ww_env(&["respond", "time_limit.overdue_completed", "C-SEP-2", "2026-09", "--explanation", "已说明"], &at(&format!("{next} 08:00:00"))).ok();
    // On the deadline day: nothing is late yet.
    assert!(late(&format!("{due} 23:59:59")).is_empty());
    // The day after: the one answered after the deadline, with the answered finding's hall.
    let got = late(&format!("{next} 00:00:00"));
    assert_eq!(got, vec!["time_limit.overdue_completed:C-SEP-2@H01".to_string()]);
    // With no answer at all, T past the deadline makes it late too (as of before the answers).
    let env2 = Env::new();
    seed(&env2);
    env2.write("sept.csv", std::fs::read(env.path("sept.csv")).unwrap());
    env2.ww(&["ingest", "--table", "cases", "sept.csv"]).ok();
    let r = env2.ww(&["check", "--as-of", &format!("{next} 00:00:00"), "--rule", "response.late", "--format", "jsonl", "--no-record"]);
    let ids: Vec<String> = jsonl(&r.stdout).iter().filter(|f| f["month"] == "2026-09").map(|f| f["entity_id"].as_str().unwrap().to_string()).collect();
    assert!(ids.contains(&"time_limit.overdue_completed:C-SEP-1".to_string()) && ids.contains(&"time_limit.overdue_completed:C-SEP-2".to_string()), "{ids:?}");
}

#[test]
fn an_office_sees_only_the_responses_to_its_halls_findings() {
    let env = Env::new();
    seed(&env);
    let (all, _) = {
        let r = env.ww(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "jsonl"]);
        (jsonl(&r.stdout), ())
    };
    let pick = |hall: &str| key_of(all.iter().find(|f| f["severity"] == "red" && f["hall_id"] == hall).unwrap());
    for (hall, who) in [("H01", "甲"), ("H03", "乙")] {
        let (rule, entity, month) = pick(hall);
        env.ww_env(&["respond", &rule, &entity, &month, "--explanation", who, "--by", who], &at("2026-11-02 09:00:00")).ok();
    }
    let seen = |office: Option<&str>, q: &str| -> Vec<String> {
        let mut args = vec!["sql", "--as-of", "2026-11-03", "--format", "csv", "-c", q];
        if let Some(o) = office {
            args.extend(["--office", o]);
        }
        env.ww(&args).ok().stdout.lines().skip(1).map(String::from).collect()
    };
    for table in ["responses", "response_log", "responses_at", "RESPONSES", "\"response_log\""] {
        let q = format!("SELECT explanation FROM {table} ORDER BY 1");
        assert_eq!(seen(Some("yi"), &q), vec!["乙"], "{table}");
        assert_eq!(seen(Some("jia"), &q), vec!["甲"], "{table}");
        assert_eq!(seen(None, &q), vec!["乙", "甲"], "{table}");
    }
}
