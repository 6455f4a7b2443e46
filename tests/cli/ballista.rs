//! The distributed path: the check suite on Apache DataFusion Ballista's standalone cluster (a
//! scheduler and an executor in the process, talking gRPC/Flight over loopback) finds exactly
//! what the local engine finds, on generated data with every rule planted; the SQL shell runs
//! there too.

use crate::common::Env;
use crate::truth::ingest_set;

#[test]
fn the_check_suite_on_a_standalone_ballista_cluster_finds_what_the_local_engine_finds() {
    let env = Env::new();
    let out = env.path("exports");
    env.ww(&["generate", "--out", out.to_str().unwrap(), "--scale", "medium"]).ok();
    let m = windowwatch::generate::Manifest::load(&out).unwrap();
    ingest_set(&env, &out);

    let local = env.ww(&["check", "--as-of", &m.as_of, "--format", "jsonl", "--no-record"]);
    assert_eq!(local.code, 1, "{}", local.stderr);
    let dist = env.ww(&["check", "--engine", "standalone", "--as-of", &m.as_of, "--format", "jsonl", "--no-record"]);
    assert_eq!(dist.code, 1, "{}", dist.stderr);
    let n = local.stdout.lines().count();
    assert!(n > 1000, "{n} findings");
    assert!(dist.stdout == local.stdout, "Ballista's findings differ from the local engine's ({} vs {n} lines)", dist.stdout.lines().count());
    // Every rule has findings on both: none was skipped on the cluster.
    let catalog = windowwatch::checks::catalog::Catalog::builtin();
    for r in &catalog.rules {
        assert!(dist.stdout.contains(&format!("\"rule\":\"{}\"", r.meta.id)), "{} found nothing on Ballista", r.meta.id);
    }

    // A recorded run on the cluster: its rates (computed there from this run's findings) equal
    // a local run's.
    env.ww(&["check", "--engine", "standalone", "--as-of", &m.as_of]);
    env.ww(&["check", "--as-of", &m.as_of]);
    let rates = |run: i64| env.ww(&["sql", "--format", "csv", "-c", &format!("SELECT scope, hall_id, window_id, month, cases_completed, on_time_rate, early_rate, denial_completeness FROM rates WHERE run_id = {run} ORDER BY 1, 2, 3, 4")]).ok().stdout;
    let (r1, r2) = (rates(1), rates(2));
    assert!(r1.lines().count() > 10, "{r1}");
    assert_eq!(r1, r2);

    // The SQL shell on the cluster.
    let q = "SELECT hall_id, count(*) AS n, sum(CASE WHEN bucket = '超期' THEN 1 ELSE 0 END) AS late FROM case_deadlines GROUP BY hall_id ORDER BY hall_id";
    let a = env.ww(&["sql", "--as-of", &m.as_of, "--format", "csv", "-c", q]).ok().stdout;
    let b = env.ww(&["sql", "--engine", "standalone", "--as-of", &m.as_of, "--format", "csv", "-c", q]).ok().stdout;
    assert_eq!(a, b);
    // A remote cluster's stock executors lack the mask functions: refused unless unmasked.
    let r = env.ww(&["sql", "--engine", "df://127.0.0.1:1", "-c", "SELECT 1"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--show-personal-data"), "{}", r.stderr);
}
