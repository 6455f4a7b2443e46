//! Checks through the CLI: output formats, exit codes, the as-of rule, run history.

use crate::common::{Env, jsonl};

const FIELDS: [&str; 11] = ["rule", "severity", "hall_id", "window_id", "staff_id", "entity", "entity_id", "due_at", "month", "detail", "excused"];

fn cases_header() -> &'static str {
    "办件编号,大厅编码,窗口编号,受理人员,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果,超期告知时间"
}

fn setup(env: &Env) {
    env.write(
        "oct.csv",
        format!(
            "{}\n\
             C1,H1,W1,S1,I1,承诺件,3,2026-09-30 10:00:00,,办理中,\n\
             C2,H1,W1,S1,I1,承诺件,3,2026-09-30 10:00:00,2026-10-10 23:59:59,办结,\n\
             C3,H1,W2,S2,I2,即办件,,2026-10-30 09:00:00,,办理中,\n\
             C4,H1,W2,S2,I2,承诺件,1,2026-10-30 09:00:00,,办理中,\n\
             C5,H1,W2,S2,I2,承诺件,1,2026-11-02 09:00:00,,办理中,\n",
            cases_header()
        ),
    );
    env.ww(&["ingest", "--table", "cases", "oct.csv"]).ok();
}

#[test]
fn jsonl_carries_exactly_the_finding_fields_and_exit_code_says_red() {
    let env = Env::new();
    setup(&env);
    let r = env.ww(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "jsonl", "--no-record"]);
    assert_eq!(r.code, 1, "red findings → exit 1\n{}", r.stderr);
    let rows = jsonl(&r.stdout);
    assert!(!rows.is_empty());
    for row in &rows {
        let keys: Vec<&str> = row.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut want = FIELDS.to_vec();
        want.sort();
        let mut got = keys.clone();
        got.sort();
        assert_eq!(got, want);
    }
    let found: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| (r["rule"].as_str().unwrap().into(), r["entity_id"].as_str().unwrap().into(), r["due_at"].as_str().unwrap_or("null").into(), r["month"].as_str().unwrap().into()))
        .collect();
    let expect = |rule: &str, id: &str, due: &str, month: &str| (rule.to_string(), id.to_string(), due.to_string(), month.to_string());
    // C1: 3 working days after 09-30 skip the National Day week: 10-08, 10-09, 10-10 (调休 Saturday).
    assert!(found.contains(&expect("time_limit.overdue_open", "C1", "2026-10-10 23:59:59", "2026-10")), "{found:?}");
    assert!(found.contains(&expect("time_limit.overdue_not_notified", "C1", "2026-10-12 23:59:59", "2026-10")), "{found:?}");
    // C2 completed at 23:59:59 of its deadline date: on time, no finding.
    assert!(!found.iter().any(|f| f.1 == "C2"), "{found:?}");
    // C3 (即办件 of 10-30) is overdue; its notification deadline is Monday 11-02, not yet passed.
    assert!(found.contains(&expect("time_limit.overdue_open", "C3", "2026-10-30 23:59:59", "2026-10")), "{found:?}");
    assert!(!found.contains(&expect("time_limit.overdue_not_notified", "C3", "2026-11-02 23:59:59", "2026-11")), "{found:?}");
    // C4 is due Monday 11-02, the first working day after T's date: yellow card.
    assert!(found.contains(&expect("time_limit.due_soon", "C4", "2026-11-02 23:59:59", "2026-11")), "{found:?}");
    // C5 was accepted after T: it does not exist yet.
    assert!(!found.iter().any(|f| f.1 == "C5"), "{found:?}");
    let c4 = rows.iter().find(|r| r["entity_id"] == "C4").unwrap();
    assert_eq!(c4["severity"], "yellow");
    assert_eq!(c4["hall_id"], "H1");
    assert_eq!(c4["window_id"], "W2");
    assert_eq!(c4["staff_id"], "S2");
    assert_eq!(c4["entity"], "case");

    // An empty warehouse: no findings, exit 0; csv has the header.
    let empty = Env::new();
    let r = empty.ww(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "csv"]).ok();
    assert_eq!(r.stdout.trim(), FIELDS.join(","));
}

#[test]
fn the_same_inputs_and_instant_give_the_same_findings_and_october_stays_october() {
    let env = Env::new();
    setup(&env);
    let t = ["check", "--as-of", "2026-11-01 00:00:00", "--format", "jsonl", "--no-record"];
    let a = env.ww(&t).stdout;
    let b = env.ww(&t).stdout;
    assert_eq!(a, b);
    // December's export completes C1 and C4 in November; October's answer does not change.
    env.write(
        "dec.csv",
        format!(
            "{}\nC1,H1,W1,S1,I1,承诺件,3,2026-09-30 10:00:00,2026-11-05 10:00:00,办结,2026-11-05 09:00:00\nC4,H1,W2,S2,I2,承诺件,1,2026-10-30 09:00:00,2026-11-02 15:00:00,不予批准,\n",
            cases_header()
        ),
    );
    env.ww(&["ingest", "--table", "cases", "dec.csv"]).ok();
    assert_eq!(env.ww(&t).stdout, a, "re-running October in December gives October's answer");
    let dec = jsonl(&env.ww(&["check", "--as-of", "2026-12-01 00:00:00", "--format", "jsonl", "--no-record"]).stdout);
    assert!(dec.iter().any(|r| r["rule"] == "time_limit.overdue_completed" && r["entity_id"] == "C1"));
    assert!(dec.iter().any(|r| r["rule"] == "denial.unregistered" && r["entity_id"] == "C4"), "C4 denied, never registered");
}

#[test]
fn runs_are_recorded_and_tell_what_is_new_and_what_was_resolved() {
    let env = Env::new();
    setup(&env);
    let r = env.ww(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "csv"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("run #1 (the first)"), "{}", r.stderr);
    let first_count = r.stdout.lines().count() - 1;
    // Completing C1 resolves its open-case finding and turns it into a late completion.
    env.write(
        "nov.csv",
        format!("{}\nC1,H1,W1,S1,I1,承诺件,3,2026-09-30 10:00:00,2026-10-20 10:00:00,办结,2026-10-11 09:00:00\n", cases_header()),
    );
    env.ww(&["ingest", "--table", "cases", "nov.csv"]).ok();
    let r = env.ww(&["check", "--as-of", "2026-11-01 00:00:00", "--format", "csv"]);
    assert!(r.stderr.contains("run #2, against run #1 (as of 2026-11-01 00:00:00): 1 new, 2 resolved"), "{}", r.stderr);
    let runs = env.rows("check_runs");
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["findings"], first_count.to_string());
    let findings = env.rows("findings");
    let c3: Vec<_> = findings.iter().filter(|f| f["entity_id"] == "C3" && f["rule"] == "time_limit.overdue_open").collect();
    assert_eq!(c3.len(), 2, "one per run");
    assert!(c3.iter().all(|f| f["first_run_id"] == "1" && f["as_of"] == "2026-11-01 00:00:00"));
    // Rates were stored with the run: H1 completed 2 cases by T (C1 late, C2 on time).
    let rates = env.rows("rates");
    let h1 = rates.iter().find(|r| r["run_id"] == "2" && r["scope"] == "hall" && r["hall_id"] == "H1" && r["month"] == "2026-10").unwrap();
    assert_eq!(h1["cases_completed"], "2");
    assert_eq!(h1["on_time"], "1");
    assert_eq!(h1["overdue"], "1");
    assert_eq!(h1["on_time_rate"], "0.5");
}

#[test]
fn rules_are_listed_with_their_file_and_profile_parameters() {
    let env = Env::new();
    env.write("p.toml", "filing_within_workdays = 7\n");
    let r = env.ww(&["--profile", "p.toml", "rules", "--format", "csv"]).ok();
    assert_eq!(r.stdout.lines().count(), 35);
    assert!(r.stdout.contains("denial.filing_late,red,否定决定备案逾期,denial,filing deadline,"), "{}", r.stdout);
    assert!(r.stdout.contains("filing_within_workdays=7,queries/rules/denial.filing_late.sql"), "{}", r.stdout);
    env.write("bad.toml", "filing_within_workdays = -1\nnot_a_param = 3\n");
    let r = env.ww(&["--profile", "bad.toml", "rules"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("filing_within_workdays") && r.stderr.contains("not_a_param"), "{}", r.stderr);
    // The assessment's tables: unknown rule ids and non-numbers, all at once.
    env.write("bad2.toml", "[assessment.points]\n\"no.such_rule\" = -3\n\"queue.long_wait\" = \"minus one\"\n\"queue.unserved\" = -2.5\n[assessment.grades]\n\"优秀\" = \"九十五\"\n");
    let r = env.ww(&["--profile", "bad2.toml", "rules"]);
    assert_eq!(r.code, 2);
    for x in ["`no.such_rule` is not a rule id", "`queue.long_wait` = \"minus one\": expected a number", "`优秀` = \"九十五\""] {
        assert!(r.stderr.contains(x), "{x}: {}", r.stderr);
    }
    assert!(!r.stderr.contains("queue.unserved"), "a fraction is a number: {}", r.stderr);
}
