//! The monthly assessment (月考核) through the CLI: the `assessment_windows` and
//! `assessment_staff` views give every window and staff member of generated data the score, grade
//! and rank the generator's oracle computes, in September and October (ties included); and an
//! appeal decided 认可 gives its finding's points back to the window's score.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{Env, jsonl};
use crate::truth::ingest_set;

/// (month, hall, id, score, grade, rank) rows of a view, from `sql --format jsonl`.
fn scored(env: &Env, as_of: &str, view: &str, id: &str) -> BTreeSet<(String, String, String, String, String, i64)> {
    let q = format!("SELECT month, hall_id, {id} AS id, score, grade, hall_rank FROM {view} WHERE month IN ('2026-09', '2026-10')");
    let r = env.ww(&["sql", "--as-of", as_of, "--format", "jsonl", "-c", &q]).ok();
    jsonl(&r.stdout)
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("month"), s("hall_id"), s("id"), format!("{:.2}", v["score"].as_f64().unwrap()), s("grade"), v["hall_rank"].as_i64().unwrap())
        })
        .collect()
}

#[test]
fn scores_grades_and_ranks_equal_the_oracle_for_every_window_and_staff_member_of_two_months() {
    let env = Env::new();
    let out = env.path("exports");
    let seed = 20261101u64;
    env.ww(&["generate", "--out", out.to_str().unwrap(), "--seed", &seed.to_string()]).ok();
    let m = windowwatch::generate::Manifest::load(&out).unwrap();
    ingest_set(&env, &out);
    // Recorded: the views read the latest run's findings.
    let r = env.ww(&["check", "--as-of", &m.as_of, "--format", "jsonl"]);
    assert_eq!(r.code, 1, "{}", r.stderr);

    let cal = windowwatch::calendar::Calendar::builtin();
    let again = tempfile::tempdir().unwrap();
    let sample = windowwatch::generate::write_sample(again.path(), seed, &cal).unwrap();
    let oracle = windowwatch::generate::oracle::Oracle::new(&cal, windowwatch::generate::as_of());
    // Every finding of the set: the exports', the roster's and the records' (all are scored).
    let truth = sample.truth(&cal, windowwatch::generate::as_of(), &BTreeSet::new());
    let (windows, staff) = oracle.assessment(&sample.finals, &truth);
    let expected = |scores: &[windowwatch::generate::assessment::Score]| -> BTreeSet<(String, String, String, String, String, i64)> {
        scores
            .iter()
            .filter(|s| s.month == "2026-09" || s.month == "2026-10")
            .map(|s| (s.month.clone(), s.hall_id.clone(), s.id.clone(), format!("{:.2}", s.score), s.grade.to_string(), s.rank as i64))
            .collect()
    };
    let (ew, es) = (expected(&windows), expected(&staff));
    assert!(ew.len() >= 20 && es.len() >= 20, "{} windows, {} staff scored", ew.len(), es.len());
    assert_eq!(scored(&env, &m.as_of, "assessment_windows", "window_id"), ew, "windows");
    assert_eq!(scored(&env, &m.as_of, "assessment_staff", "staff_id"), es, "staff");
    // Ties share a rank, and more than one grade is given.
    let ranks: Vec<(String, String, i64)> = ew.iter().map(|r| (r.0.clone(), r.1.clone(), r.5)).collect();
    assert!(ranks.len() > ranks.iter().collect::<BTreeSet<_>>().len(), "a tie in some hall and month");
    assert!(ew.iter().map(|r| r.4.as_str()).collect::<BTreeSet<_>>().len() >= 3, "grades: {ew:?}");
}

/// The seeded fixture plus a windows table of its halls.
fn seeded(env: &Env) {
    crate::reports::seed(env);
    env.write("windows.csv", "大厅编号,窗口号,窗口名称\nH01,W1,1号窗口\nH01,W2,2号窗口\nH02,W1,1号窗口\nH02,W2,2号窗口\nH03,W1,综合窗口\nH03,W2,异地就医窗口\n");
    env.ww(&["ingest", "--table", "windows", "windows.csv"]).ok();
}

fn window_score(env: &Env, as_of: &str, hall: &str, window: &str, month: &str) -> (f64, String) {
    let q = format!("SELECT score, window_name FROM assessment_windows WHERE hall_id = '{hall}' AND window_id = '{window}' AND month = '{month}'");
    let rows = jsonl(&env.ww(&["sql", "--as-of", as_of, "--format", "jsonl", "-c", &q]).ok().stdout);
    assert_eq!(rows.len(), 1, "{rows:?}");
    (rows[0]["score"].as_f64().unwrap(), rows[0]["window_name"].as_str().unwrap().to_string())
}

#[test]
fn an_appeal_decided_in_favour_gives_the_findings_points_back_to_the_score() {
    let env = Env::new();
    seeded(&env);
    let r = env.ww(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "jsonl"]);
    let all = jsonl(&r.stdout);
    let f: &Value = all
        .iter()
        .find(|f| f["severity"] == "red" && f["hall_id"] == "H03" && f["month"] == "2026-10" && f["window_id"].is_string() && !f["rule"].as_str().unwrap().starts_with("response."))
        .expect("a red finding of a window of H03");
    let s = |k: &str| f[k].as_str().unwrap().to_string();
    let (rule, entity, month, window) = (s("rule"), s("entity_id"), s("month"), s("window_id"));
    let now = |t: &'static str| [("WINDOWWATCH_NOW", t)];
    env.ww_env(&["respond", &rule, &entity, &month, "--explanation", "系统故障", "--appeal", "--by", "王主任"], &now("2026-11-02 09:00:00")).ok();
    env.ww_env(&["decide", &rule, &entity, &month, "认可", "--by", "李科长"], &now("2026-11-03 10:00:00")).ok();
    // A recorded run the second before the decision and one at it: the excusal is all that differs.
    let score_at = |t: &str| {
        let r = env.ww(&["check", "--as-of", t, "--format", "jsonl"]);
        assert!(r.code <= 1, "{}", r.stderr);
        window_score(&env, t, "H03", &window, &month)
    };
    let (before, name) = score_at("2026-11-03 09:59:59");
    assert!(before < 100.0 && (name == "综合窗口" || name == "异地就医窗口"), "{before} {name}");
    let (after, _) = score_at("2026-11-03 10:00:00");
    assert_eq!(after, before + 2.0, "a red finding's default points (−2) given back");
}

#[test]
fn an_office_sees_the_scores_of_its_halls_only() {
    let env = Env::new();
    seeded(&env);
    env.ww(&["check", "--as-of", "2026-11-01 00:00:00"]);
    let halls = |office: &str| -> BTreeSet<String> {
        let q = "SELECT DISTINCT hall_id FROM assessment_windows";
        let out = env.ww(&["sql", "--office", office, "--as-of", "2026-11-01", "--format", "jsonl", "-c", q]).ok().stdout;
        jsonl(&out).iter().map(|v| v["hall_id"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(halls("yi"), BTreeSet::from(["H03".to_string()]));
    assert_eq!(halls("jia"), BTreeSet::from(["H01".to_string(), "H02".to_string()]));
}

#[cfg(feature = "documents")]
#[test]
fn the_circular_carries_the_assessment_with_the_bottom_window_marked() {
    let env = Env::new();
    let out = env.path("exports");
    env.ww(&["generate", "--out", out.to_str().unwrap()]).ok();
    let m = windowwatch::generate::Manifest::load(&out).unwrap();
    ingest_set(&env, &out);
    env.ww_env(&["report", "monthly", "--month", "2026-10", "--format", "docx", "--out", "r"], &[("WINDOWWATCH_NOW", m.as_of.as_str())]).ok();
    let docx = std::fs::read(env.path("r/all/monthly-2026-10.docx")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    assert!(xml.contains("月考核情况") && xml.contains("考核连续末位") && xml.contains("等次"), "the 通报 has the assessment section");
}
