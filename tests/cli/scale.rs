//! Scale: the benchmark cannot rot (it runs end to end at a small scale and its DuckDB-ready SQL
//! is written), and under a memory limit well below what the suite takes when free to, it stays
//! within the limit (the view cache steps back, sorts spill) and finds exactly the same.

use crate::common::{Env, jsonl};
use crate::truth::ingest_set;

/// The engine's peak and limit from the check summary, in MiB.
fn peak(stderr: &str) -> f64 {
    let at = stderr.find("engine memory peak ").unwrap_or_else(|| panic!("no memory peak in {stderr}"));
    stderr[at + "engine memory peak ".len()..].split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn under_a_memory_limit_half_the_suites_peak_it_completes_within_it_with_the_same_findings() {
    let env = Env::new();
    let out = env.path("exports");
    env.ww(&["generate", "--out", out.to_str().unwrap(), "--scale", "0.01", "--no-truth"]).ok();
    let m = windowwatch::generate::Manifest::load(&out).unwrap();
    ingest_set(&env, &out);
    let free = env.ww(&["check", "--as-of", &m.as_of, "--format", "jsonl", "--no-record"]);
    assert_eq!(free.code, 1, "{}", free.stderr);
    let unconstrained = peak(&free.stderr);
    assert!(unconstrained > 40.0, "the suite uses some memory when free to: {}", free.stderr);
    let limit = (unconstrained / 2.0).floor();
    let limited = env.ww(&["--memory-limit", &format!("{limit}MiB"), "check", "--as-of", &m.as_of, "--format", "jsonl", "--no-record"]);
    assert_eq!(limited.code, 1, "{}", limited.stderr);
    let used = peak(&limited.stderr);
    assert!(used <= limit, "peak {used} MiB within the {limit} MiB limit: {}", limited.stderr);
    assert!(limited.stderr.contains(&format!("of the {limit:.0} MiB limit")), "{}", limited.stderr);
    assert_eq!(jsonl(&limited.stdout).len(), jsonl(&free.stdout).len());
    assert!(limited.stdout == free.stdout, "the same findings, in the same order");
    // A nonsense limit is one clear error.
    let r = env.ww(&["--memory-limit", "lots", "check", "--as-of", &m.as_of]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--memory-limit `lots`"), "{}", r.stderr);
}

#[test]
fn the_benchmark_runs_end_to_end_and_writes_what_duckdb_needs() {
    let env = Env::new();
    let r = env.ww(&["bench", "--scale", "0.002", "--dir", "b", "--repeat", "1", "--json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(v["ingest"]["csv_mb_per_s"].as_f64().unwrap() > 0.0, "{v}");
    assert!(v["ingest"]["by_encoding"]["gb18030"]["bytes"].as_u64().unwrap() > 0, "GB18030 CSV measured apart");
    assert_eq!(v["rules"].as_object().unwrap().len(), 32);
    assert!(v["check"]["findings"].as_u64().unwrap() > 100);
    assert!(v["reports"]["files"].as_u64().unwrap() > 5);
    assert!(v["ingest"]["peak_rss_mib"].as_f64().unwrap() > 1.0);
    assert_eq!(v["ingest"]["rounds"], 1);
    assert!(v["ingest"]["first_round_csv_mb_per_s"].as_f64().unwrap() > 0.0);
    // The floor: one scan of the columns the rules read, the suite a multiple of it.
    let floor = &v["floor"];
    let tickets: Vec<&str> = floor["tables"]["tickets"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    assert!(tickets.contains(&"issued_at") && !tickets.contains(&"_line"), "the columns the rules read, no others: {tickets:?}");
    assert!(floor["rows"].as_u64().unwrap() > 0 && floor["seconds"].as_f64().unwrap() > 0.0, "{floor}");
    assert!(floor["suite_multiple"].as_f64().unwrap() > 0.0, "{floor}");
    // The inlined and the cached runs of each rule return the same rows.
    for (rule, x) in v["rules"].as_object().unwrap() {
        assert_eq!(x["rows"], v["rules_cached"][rule]["rows"], "{rule}");
    }
    let total: u64 = v["rules"].as_object().unwrap().values().map(|x| x["rows"].as_u64().unwrap()).sum();
    // Rules over the run's findings (response.late, assessment.bottom): not timed alone.
    let catalog = windowwatch::checks::catalog::Catalog::builtin();
    let over_findings: Vec<&str> = catalog.rules.iter().filter(|r| r.meta.reads_findings).map(|r| r.meta.id.as_str()).collect();
    assert_eq!(over_findings, ["assessment.bottom", "response.late"]);
    let timed = jsonl(&std::fs::read_to_string(env.path("b/findings.jsonl")).unwrap()).iter().filter(|f| !over_findings.contains(&f["rule"].as_str().unwrap_or_default())).count();
    assert_eq!(total, timed as u64);
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(env.path("b/sql/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["rules"].as_array().unwrap().len(), 32);
    assert!(env.path("b/sql/calendar_days.parquet").exists());
    assert!(!std::fs::read_to_string(env.path("b/sql/rules/time_limit.overdue_open.sql")).unwrap().contains("{{"), "rendered, no templates left");
}
