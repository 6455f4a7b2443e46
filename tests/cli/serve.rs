//! The daemon, run for real: `windowwatch serve` as a child process with second-level cron
//! expressions, in a foreign host time zone (America/New_York), stopped with real signals.
//! Catch-up is driven with `WINDOWWATCH_NOW` (one pinned "now" per start), the inbox with real
//! waiting; every assertion reads back the warehouse, the folders and `job_runs`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{Env, batches_to_maps, declare_part_size, xlsx_by_hand, xlsx_row};

/// A running `windowwatch serve` whose JSON log lines are collected.
struct Daemon {
    child: Child,
    lines: Arc<Mutex<Vec<serde_json::Value>>>,
    raw: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    fn start(env: &Env, vars: &[(&str, &str)]) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_windowwatch"));
        cmd.current_dir(env.dir.path())
            .arg("--data")
            .arg(env.data())
            .args(["--log-format", "json", "serve"])
            .env_remove("WINDOWWATCH_CONFIG")
            .env_remove("WINDOWWATCH_DATA")
            .env_remove("WINDOWWATCH_FAILPOINT")
            .env_remove("WINDOWWATCH_NOW")
            .env_remove("WINDOWWATCH_LOG")
            .env("TZ", "America/New_York")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start windowwatch serve");
        let lines: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
        let raw: Arc<Mutex<Vec<String>>> = Arc::default();
        let (l, r) = (lines.clone(), raw.clone());
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
                    l.lock().unwrap().push(v);
                }
                r.lock().unwrap().push(line);
            }
        });
        Daemon { child, lines, raw }
    }

    fn log(&self) -> String {
        self.raw.lock().unwrap().join("\n")
    }

    /// Waits for a log line with this message (and, if given, job).
    fn wait_for(&mut self, message: &str, job: Option<&str>, secs: u64) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(v) = self.lines.lock().unwrap().iter().find(|v| v["message"] == message && job.is_none_or(|j| v["job"] == j)) {
                return v.clone();
            }
            if let Ok(Some(st)) = self.child.try_wait() {
                panic!("the daemon exited ({st}) before logging `{message}`:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "no `{message}` within {secs}s:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn count(&self, message: &str) -> usize {
        self.lines.lock().unwrap().iter().filter(|v| v["message"] == message).count()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill").arg(format!("-{sig}")).arg(self.child.id().to_string()).status().unwrap().success();
        assert!(ok, "kill -{sig}");
    }

    /// SIGTERM, then the exit code (within `secs`).
    fn stop(mut self, secs: u64) -> (i32, String) {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return (st.code().unwrap_or(-1), self.log());
            }
            assert!(Instant::now() < deadline, "the daemon did not stop within {secs}s:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The rows of `job_runs` for one job, oldest first (as the library reads them).
fn runs(env: &Env, job: &str) -> Vec<windowwatch::schedule::ledger::RunRecord> {
    let wh = windowwatch::store::Warehouse::open(&env.data()).unwrap();
    windowwatch::schedule::ledger::load(&wh).unwrap().into_iter().filter(|r| r.job == job).collect()
}

/// Polls until `f` holds (or fails after `secs`).
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// SQL over the warehouse, as any analyst's session sees it.
fn sql(env: &Env, query: &str) -> Vec<BTreeMap<String, String>> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let wh = windowwatch::store::Warehouse::open(&env.data()).unwrap();
        let snap = wh.current().unwrap();
        let ctx = windowwatch::engine::new_context(&Default::default(), Vec::new(), None).await.unwrap();
        windowwatch::engine::register_tables(&ctx, snap.as_ref(), &windowwatch::calendar::Calendar::builtin()).await.unwrap();
        batches_to_maps(&ctx.sql(query).await.unwrap().collect().await.unwrap())
    })
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect()).unwrap_or_default();
    v.sort();
    v
}

fn no_temporary_snapshot(env: &Env) {
    let left: Vec<String> = names(&env.data().join("snapshots")).into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(left.is_empty(), "temporary snapshots left: {left:?}");
}

const TICKETS: &str = "票号,大厅编码,窗口编号,工号,取号时间,叫号时间,完成时间,状态\n\
                       T1,H01,W1,S1,2026-10-08 09:00:00,2026-10-08 09:05:00,2026-10-08 09:15:00,已办理\n\
                       T2,H01,W1,S1,2026-10-08 09:10:00,2026-10-08 09:20:00,2026-10-08 09:30:00,已办理\n\
                       T3,H01,W2,S2,2026-10-08 09:20:00,,,未叫号\n";

const INBOX_JOB: &str = "[[jobs]]\nname = \"inbox\"\ntype = \"inbox\"\ncron = \"*/2 * * * * *\"\nsettle_secs = 1\ntickets = \"*排队*\"\n";

#[test]
fn inbox_files_are_recognised_ingested_and_moved_and_broken_ones_rejected_with_a_reason() {
    let env = Env::new();
    env.write("windowwatch.toml", INBOX_JOB);
    // By name pattern, by header sniffing (under a title row), and three that must be refused.
    env.write("inbox/排队记录-10月.csv", TICKETS);
    env.write(
        "inbox/export-0001.csv",
        "某某医保服务大厅 办件登记 2026年10月\n办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办结时间,办理结果\n\
         C1,H01,I1,即办件,,2026-10-08 09:00:00,2026-10-08 10:00:00,办结\n\
         C2,H01,I1,承诺件,5,2026-10-09 09:00:00,,办理中\n",
    );
    env.write("inbox/unknown.csv", "甲,乙,丙\n1,2,3\n");
    env.write("inbox/ratings-numeric.csv", "评价编号,大厅编码,评价时间,评价等级\nR1,H01,2026-10-08 09:00:00,1\n");
    // Files still being written, and an office lock file: never touched.
    env.write("inbox/cases-big.csv.tmp", "办件编号,大厅编码\nC9,H01\n");
    env.write("inbox/~$export.xlsx", "lock");
    env.write("inbox/.partial.csv", "x");

    let mut d = Daemon::start(&env, &[]);
    d.wait_for("ready", None, 30);
    eventually(30, "the inbox emptied of exports", || names(&env.path("inbox")).iter().all(|n| !n.ends_with(".csv") || n.starts_with('.')));
    eventually(10, "an inbox row in job_runs", || runs(&env, "inbox").iter().any(|r| r.status == "ok"));
    let (code, log) = d.stop(20);
    assert_eq!(code, 0, "{log}");

    assert_eq!(names(&env.path("inbox/processed")), vec!["export-0001.csv", "排队记录-10月.csv"]);
    assert_eq!(
        names(&env.path("inbox/rejected")),
        vec!["ratings-numeric.csv", "ratings-numeric.csv.reason.txt", "unknown.csv", "unknown.csv.reason.txt"]
    );
    let reason = std::fs::read_to_string(env.path("inbox/rejected/unknown.csv.reason.txt")).unwrap();
    assert!(reason.contains("fit no table") && reason.contains("ticket_id"), "{reason}");
    let reason = std::fs::read_to_string(env.path("inbox/rejected/ratings-numeric.csv.reason.txt")).unwrap();
    assert!(reason.contains("numeric_levels"), "the ingest's own whole-file error: {reason}");
    let left = names(&env.path("inbox"));
    for n in ["cases-big.csv.tmp", "~$export.xlsx", ".partial.csv"] {
        assert!(left.contains(&n.to_string()), "{n} left alone: {left:?}");
    }

    assert_eq!(env.rows("tickets").len(), 3);
    assert_eq!(env.rows("cases").len(), 2);
    let ok: Vec<_> = runs(&env, "inbox").into_iter().filter(|r| r.status == "ok").collect();
    assert_eq!(ok.iter().map(|r| r.rows).sum::<i64>(), 5, "{ok:?}");
    assert!(ok.iter().any(|r| r.detail.as_deref().unwrap_or("").contains("rejected")), "{ok:?}");
    // The ledger is a table like the others.
    let rows = sql(&env, "SELECT job, kind, status, rows FROM job_runs WHERE status = 'ok' ORDER BY started_at");
    assert!(rows.iter().all(|r| r["job"] == "inbox" && r["kind"] == "inbox"), "{rows:?}");
    // A broken file never reached the warehouse.
    assert!(env.rows("ingests").iter().all(|r| !r["file"].contains("unknown") && !r["file"].contains("ratings")));
}

/// Workbooks that once took the daemon down (a process abort leaves the file in the inbox and no
/// `job_runs` row, so every later tick died on it again): each is now one whole-file refusal,
/// whether the table came from the name or from sniffing the headers, and the run goes on.
#[test]
fn hostile_workbooks_in_the_inbox_are_rejected_with_their_reason_and_the_run_is_recorded() {
    let env = Env::new();
    env.write("windowwatch.toml", INBOX_JOB);
    let header: Vec<&str> = TICKETS.lines().next().unwrap().split(',').collect();
    let good = |r| xlsx_row(r, &["T1", "H01", "W1", "S1", "2026-10-08 09:00:00", "", "", "未叫号"]);
    let sst = "<sst count=\"1\" uniqueCount=\"4000000000\"><si><t>T9</t></si></sst>";
    env.write("inbox/排队-sst.xlsx", xlsx_by_hand(&format!("{}{}", xlsx_row(1, &header), good(2)), Some(sst)));
    env.write("inbox/export-sst.xlsx", xlsx_by_hand(&format!("{}{}", xlsx_row(1, &header), good(2)), Some(sst)));
    let mut declared = xlsx_by_hand(&format!("{}{}", xlsx_row(1, &header), good(2)), None);
    declare_part_size(&mut declared, "xl/worksheets/sheet1.xml", 3 << 30);
    env.write("inbox/export-declared.xlsx", declared);
    env.write("inbox/排队-text.xlsx", TICKETS);
    let far = "<row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>far</t></is></c></row>";
    env.write("inbox/export-far.xlsx", xlsx_by_hand(&format!("{}{}{far}", xlsx_row(1, &header), good(2)), None));

    let mut d = Daemon::start(&env, &[]);
    d.wait_for("ready", None, 30);
    eventually(60, "the inbox emptied of workbooks", || names(&env.path("inbox")).iter().all(|n| !n.ends_with(".xlsx")));
    eventually(10, "an inbox row in job_runs", || runs(&env, "inbox").iter().any(|r| r.status == "ok" && r.detail.as_deref().unwrap_or("").contains("rejected")));
    let (code, log) = d.stop(20);
    assert_eq!(code, 0, "{log}");

    assert_eq!(names(&env.path("inbox/processed")), vec!["export-far.xlsx"], "{log}");
    let expected = [
        ("export-declared.xlsx", "xl/worksheets/sheet1.xml"),
        ("export-sst.xlsx", "uniqueCount=\"4000000000\""),
        ("排队-sst.xlsx", "uniqueCount=\"4000000000\""),
        ("排队-text.xlsx", "not an XLSX workbook"),
    ];
    for (file, why) in expected {
        let reason = std::fs::read_to_string(env.path(&format!("inbox/rejected/{file}.reason.txt"))).unwrap_or_else(|e| panic!("{file}: {e}\n{log}"));
        assert!(reason.contains(file) && reason.contains(why), "{file}: {reason}");
        assert!(env.path(&format!("inbox/rejected/{file}")).exists(), "{file}");
    }
    assert_eq!(env.rows("tickets").len(), 1, "the far cell's workbook loaded its good row");
    assert_eq!(env.rows("quarantine").len(), 1, "and quarantined the far one");
    let ok: Vec<_> = runs(&env, "inbox").into_iter().filter(|r| r.status == "ok").collect();
    assert_eq!(ok.iter().map(|r| r.rows).sum::<i64>(), 1, "{ok:?}");
}

#[test]
fn a_missed_monthly_report_goes_out_once_after_restart_a_failure_is_retried_and_a_second_restart_repeats_nothing() {
    let env = Env::new();
    crate::reports::seed(&env);
    let mut config = std::fs::read_to_string(env.path("windowwatch.toml")).unwrap();
    config.push_str("\n[[jobs]]\nname = \"monthly\"\ntype = \"monthly\"\ncron = \"0 0 8 1 * *\"\nretry_secs = 1\n");
    env.write("windowwatch.toml", config);

    // First start on 31 October: the job's schedule begins; nothing from before is caught up.
    let mut d = Daemon::start(&env, &[("WINDOWWATCH_NOW", "2026-10-31 12:00:00")]);
    d.wait_for("caught up; waiting for the next tick", None, 30);
    assert_eq!(d.stop(20).0, 0);
    let r = runs(&env, "monthly");
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].trigger.as_str(), r[0].status.as_str()), ("baseline", "skipped"));
    assert_eq!(r[0].scheduled_at.to_string(), "2026-10-01 08:00:00");

    // Down over 1 November 08:00; back on the 3rd, with the outbox unwritable (a file in its
    // place): the catch-up run fails, and is retried a second later once the outbox is fixed.
    env.write("outbox", "not a folder");
    let mut d = Daemon::start(&env, &[("WINDOWWATCH_NOW", "2026-11-03 09:00:00")]);
    d.wait_for("job failed", Some("monthly"), 60);
    std::fs::remove_file(env.path("outbox")).unwrap();
    d.wait_for("job finished", Some("monthly"), 60);
    let (code, log) = d.stop(20);
    assert_eq!(code, 0, "{log}");
    let r = runs(&env, "monthly");
    let got: Vec<(String, String, String)> = r.iter().map(|x| (x.trigger.clone(), x.status.clone(), x.scheduled_at.to_string())).collect();
    let expected = |t: &str, s: &str, at: &str| (t.to_string(), s.to_string(), at.to_string());
    // Baseline, the failed catch-up (and any retry that still found the outbox broken), one ok retry.
    assert_eq!(got[0], expected("baseline", "skipped", "2026-10-01 08:00:00"), "{log}");
    assert_eq!(got[1], expected("catch_up", "failed", "2026-11-01 08:00:00"), "{log}");
    assert_eq!(got.last().unwrap(), &expected("retry", "ok", "2026-11-01 08:00:00"), "{log}");
    assert!(got[2..got.len() - 1].iter().all(|g| g == &expected("retry", "failed", "2026-11-01 08:00:00")), "{got:?}");
    assert!(r[1].error.as_deref().unwrap_or("").contains("outbox"), "{:?}", r[1].error);
    assert_eq!(r.last().unwrap().mails, 3, "jia to, yi to and cc");
    let monthly_rows = r.len();
    assert!(env.path("outbox/jia/monthly-2026-10.eml").exists() && env.path("outbox/yi/monthly-2026-10.eml").exists());
    let deliveries = env.rows("deliveries").len();
    assert_eq!(deliveries, 3);

    // Restarted again (twice): nothing is owed, nothing runs, nobody is mailed again.
    for now in ["2026-11-03 09:30:00", "2026-11-20 10:00:00"] {
        let mut d = Daemon::start(&env, &[("WINDOWWATCH_NOW", now)]);
        d.wait_for("caught up; waiting for the next tick", None, 30);
        assert_eq!(d.count("job started"), 0, "{}", d.log());
        assert_eq!(d.stop(20).0, 0);
    }
    assert_eq!(runs(&env, "monthly").len(), monthly_rows);
    assert_eq!(env.rows("deliveries").len(), deliveries);

    // `jobs` shows the next and last run; `run` runs one now and records it.
    let now = [("WINDOWWATCH_NOW", "2026-11-20 10:00:00")];
    let j = env.ww_env(&["jobs", "--format", "json"], &now).ok();
    let v: serde_json::Value = serde_json::from_str(&j.stdout).unwrap_or_else(|e| panic!("{e}: {}", j.stdout));
    let row = &v.as_array().unwrap()[0];
    assert_eq!(row["job"], "monthly");
    assert_eq!(row["next_run"], "2026-12-01 08:00:00");
    assert_eq!(row["last_status"], "ok");
    assert_eq!(row["owed"], "0");
    let r = env.ww_env(&["run", "monthly"], &now).ok();
    assert!(r.stdout.contains("monthly ok"), "{}", r.stdout);
    let last = runs(&env, "monthly").pop().unwrap();
    assert_eq!((last.trigger.as_str(), last.status.as_str(), last.mails), ("manual", "ok", 0), "the ledger of deliveries already had October");
    assert_eq!(env.ww(&["run", "nosuchjob"]).code, 2);
}

#[test]
fn a_second_daemon_on_the_same_data_folder_refuses_to_start() {
    let env = Env::new();
    env.write("windowwatch.toml", "[[jobs]]\ntype = \"check\"\ncron = \"0 0 7 * * *\"\n");
    let mut first = Daemon::start(&env, &[]);
    first.wait_for("ready", None, 30);
    let pid = first.child.id();
    let second = env.ww(&["serve"]);
    assert_eq!(second.code, 2, "{}", second.stderr);
    assert!(second.stderr.contains("already running"), "{}", second.stderr);
    assert!(second.stderr.contains(&format!("pid={pid}")), "names the holder: {}", second.stderr);
    assert!(second.stderr.contains("serve.lock"), "{}", second.stderr);
    // The probe command agrees: a daemon holds the folder and beats.
    let h = env.ww(&["health"]);
    assert_eq!(h.code, 0, "{}{}", h.stdout, h.stderr);
    assert!(h.stdout.contains(&format!("pid={pid}")), "{}", h.stdout);
    assert_eq!(first.stop(20).0, 0);
    let h = env.ww(&["health"]);
    assert_eq!(h.code, 1, "not running any more: {}", h.stderr);
    // Once the first has gone, the folder is free again.
    let mut again = Daemon::start(&env, &[]);
    again.wait_for("ready", None, 30);
    assert_eq!(again.stop(20).0, 0);
}

#[test]
fn sigterm_during_an_inbox_run_stops_at_a_safe_point_and_leaves_warehouse_and_ledger_consistent() {
    let env = Env::new();
    env.write("windowwatch.toml", INBOX_JOB);
    env.write("inbox/排队-a.csv", TICKETS);
    env.write("inbox/排队-b.csv", TICKETS.replace("T1,", "T7,").replace("T2,", "T8,").replace("T3,", "T9,"));
    // Each file takes 1.5 s to start: the signal arrives while the first is in the works.
    let mut d = Daemon::start(&env, &[("WINDOWWATCH_PAUSEPOINT", "inbox_file:1500")]);
    d.wait_for("pausepoint", None, 30);
    d.signal("TERM");
    let (code, log) = d.stop(30);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("stopping after the running job reaches a safe point"), "{log}");

    no_temporary_snapshot(&env);
    // The first file went in whole and was moved; the second was not touched.
    assert_eq!(names(&env.path("inbox/processed")), vec!["排队-a.csv"], "{log}");
    assert!(env.path("inbox/排队-b.csv").exists());
    assert_eq!(env.rows("tickets").len(), 3);
    assert_eq!(env.rows("ingests").len(), 1);
    // The ledger says what happened: interrupted, so the occurrence stays owed.
    let r = runs(&env, "inbox");
    let last = r.iter().rfind(|x| x.trigger != "baseline").expect("the run is recorded");
    assert_eq!(last.status, "failed");
    assert!(last.error.as_deref().unwrap_or("").contains("interrupted by shutdown"), "{last:?}");

    // The next start finishes the job.
    let mut d = Daemon::start(&env, &[]);
    d.wait_for("ready", None, 30);
    eventually(30, "the second file processed", || env.path("inbox/processed/排队-b.csv").exists());
    eventually(10, "an ok inbox row", || runs(&env, "inbox").iter().any(|x| x.status == "ok"));
    assert_eq!(d.stop(20).0, 0);
    no_temporary_snapshot(&env);
    assert_eq!(env.rows("tickets").len(), 6);
}

#[test]
fn cron_hours_are_china_time_whatever_the_host_zone() {
    use chrono::{Timelike, Utc};
    // Keep clear of an hour boundary so "this hour" stays this hour for the test.
    let now = Utc::now();
    if now.minute() == 59 && now.second() > 30 {
        std::thread::sleep(Duration::from_secs(u64::from(62 - now.second())));
    }
    let now = Utc::now();
    let china = now.with_timezone(&chrono_tz::Asia::Shanghai).hour();
    let new_york = now.with_timezone(&chrono_tz::America::New_York).hour();
    assert_ne!(china, new_york);
    let env = Env::new();
    env.write(
        "windowwatch.toml",
        format!(
            "[[jobs]]\nname = \"china-hour\"\ntype = \"check\"\ncron = \"*/2 * {china} * * *\"\n\
             [[jobs]]\nname = \"host-hour\"\ntype = \"check\"\ncron = \"*/2 * {new_york} * * *\"\n"
        ),
    );
    // The daemon runs with TZ=America/New_York: only the job whose hour is China's fires.
    let mut d = Daemon::start(&env, &[]);
    d.wait_for("job finished", Some("china-hour"), 30);
    std::thread::sleep(Duration::from_secs(3));
    let (code, log) = d.stop(20);
    assert_eq!(code, 0, "{log}");
    assert!(!log.contains("\"job\":\"host-hour\",\"kind\":\"check\",\"trigger\""), "the host-zone hour fired:\n{log}");
    assert!(runs(&env, "host-hour").iter().all(|r| r.trigger == "baseline"));
    let china_runs: Vec<_> = runs(&env, "china-hour").into_iter().filter(|r| r.status == "ok").collect();
    assert!(!china_runs.is_empty());
    assert!(china_runs.iter().all(|r| r.scheduled_at.hour() == china), "{china_runs:?}");
}

#[test]
fn header_sniffing_recognises_every_export_form_the_generator_writes() {
    let env = Env::new();
    env.ww(&["generate", "--out", "gen", "--scale", "small", "--no-truth"]).ok();
    let manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(env.path("gen/manifest.json")).unwrap()).unwrap();
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for f in manifest["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        let name = Path::new(path).file_name().unwrap().to_string_lossy().into_owned();
        std::fs::create_dir_all(env.path("inbox")).unwrap();
        std::fs::copy(env.path("gen").join(path), env.path("inbox").join(&name)).unwrap();
        expected.insert(name, f["table"].as_str().unwrap().to_string());
    }
    // No name patterns: the headers alone decide. numeric_levels is left unset, so the one source
    // with numeric levels is refused (the direction is never guessed) rather than misread.
    env.write("windowwatch.toml", "[[jobs]]\ntype = \"inbox\"\ncron = \"0 * * * * *\"\nsettle_secs = 0\n");
    let r = env.ww(&["run", "inbox"]).ok();
    assert!(r.stdout.contains("inbox ok"), "{}", r.stdout);
    let mut got: BTreeMap<String, String> = BTreeMap::new();
    for row in env.rows("ingests") {
        let name = Path::new(&row["file"]).file_name().unwrap().to_string_lossy().into_owned();
        got.insert(name, row["table_name"].clone());
    }
    let rejected = names(&env.path("inbox/rejected"));
    for (name, table) in &expected {
        match got.get(name) {
            Some(t) => assert_eq!(t, table, "{name} sniffed as {t}"),
            None => {
                assert!(rejected.contains(name), "{name} neither ingested nor rejected");
                let reason = std::fs::read_to_string(env.path("inbox/rejected").join(format!("{name}.reason.txt"))).unwrap();
                assert!(reason.contains("numeric_levels"), "{name}: {reason}");
            }
        }
    }
    assert!(got.len() >= expected.len() - 1, "{got:?}");
}
