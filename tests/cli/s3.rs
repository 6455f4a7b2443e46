//! The warehouse in a bucket (`--data s3://…`) on a real S3 server on loopback (moto): what one
//! machine ingests and checks, another machine with an empty cache reads back; a part unchanged
//! between snapshots is copied inside the bucket; the bucket's lock keeps a second writer out;
//! other engines find the tables under `snapshots/<CURRENT>/`.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};

use crate::common::{Env, Run};

struct S3 {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const BUCKET: &str = "windowwatch-test";

fn start() -> S3 {
    let python = std::env::var("WINDOWWATCH_TEST_PYTHON").expect("WINDOWWATCH_TEST_PYTHON: run scripts/test, which installs moto[server]");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/s3_server.py");
    let mut child = Command::new(python).args([script, "--bucket", BUCKET]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let stdin = child.stdin.take().unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    while out.read_line(&mut line).unwrap() > 0 && !line.starts_with("READY ") {
        line.clear();
    }
    let port = line.trim().strip_prefix("READY ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("moto did not start: {line:?}"));
    S3 { child, _stdin: stdin, port }
}

/// Runs windowwatch against the bucket, as a machine whose local copy lives in `cache`.
fn ww(env: &Env, s3: &S3, cache: &str, args: &[&str]) -> Run {
    ww_env(env, s3, cache, args, &[])
}

fn ww_env(env: &Env, s3: &S3, cache: &str, args: &[&str], extra: &[(&str, &str)]) -> Run {
    let endpoint = format!("http://127.0.0.1:{}", s3.port);
    let cache = env.path(cache);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_windowwatch"));
    cmd.current_dir(env.dir.path()).arg("--data").arg(format!("s3://{BUCKET}/hall-a")).args(args);
    cmd.env_remove("WINDOWWATCH_CONFIG").env_remove("WINDOWWATCH_DATA").env_remove("WINDOWWATCH_FAILPOINT");
    cmd.envs(extra.iter().copied());
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ALLOW_HTTP", "true"),
        ("WINDOWWATCH_CACHE", cache.to_str().unwrap()),
        ("WINDOWWATCH_LOCK_WAIT_SECS", "2"),
    ] {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::from_utf8_lossy(&out.stderr).into_owned() }
}

/// The bucket's objects, listed with S3's own protocol (moto's listing, via boto3).
fn objects(s3: &S3, prefix: &str) -> Vec<String> {
    let python = std::env::var("WINDOWWATCH_TEST_PYTHON").unwrap();
    let code = format!(
        "import boto3\ns3=boto3.client('s3',endpoint_url='http://127.0.0.1:{}',aws_access_key_id='test',aws_secret_access_key='test',region_name='us-east-1')\n\
         p=s3.get_paginator('list_objects_v2')\nfor page in p.paginate(Bucket='{BUCKET}',Prefix='{prefix}'):\n    [print(o['Key']) for o in page.get('Contents',[])]\n",
        s3.port
    );
    let out = Command::new(python).args(["-c", &code]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(String::from).collect()
}

#[test]
fn a_warehouse_in_a_bucket_is_shared_by_machines_and_readable_by_other_engines() {
    let env = Env::new();
    let s3 = start();
    crate::reports::seed(&env); // writes the exports (and ingests them locally; the bucket starts empty)
    for (t, f) in [("cases", "cases.csv"), ("denials", "denials.csv"), ("ratings", "ratings.csv"), ("tickets", "tickets.csv")] {
        let r = ww(&env, &s3, "cache-a", &["ingest", "--table", t, f]);
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    }
    let check = ww(&env, &s3, "cache-a", &["check", "--as-of", "2026-11-01 00:00:00", "--format", "jsonl"]);
    assert_eq!(check.code, 1, "{}", check.stderr);

    // The bucket holds the warehouse: CURRENT and the snapshot's tables.
    let keys = objects(&s3, "hall-a/");
    assert!(keys.contains(&"hall-a/CURRENT".to_string()), "{keys:?}");
    let current = keys.iter().filter_map(|k| k.strip_prefix("hall-a/snapshots/")).filter_map(|k| k.split('/').next()).max().unwrap().to_string();
    for table in ["cases", "ratings", "tickets", "denials", "findings", "check_runs", "ingests"] {
        assert!(keys.iter().any(|k| k.starts_with(&format!("hall-a/snapshots/{current}/{table}/")) && k.ends_with(".parquet")), "{table} in snapshot {current}: {keys:?}");
    }
    assert!(!keys.iter().any(|k| k.ends_with(".lock")), "the lock is given back: {keys:?}");

    // Another machine, with an empty local copy, reads the same warehouse and finds the same.
    let count = "SELECT (SELECT count(*) FROM cases) AS cases, (SELECT count(*) FROM latest_findings) AS findings";
    let a = ww(&env, &s3, "cache-a", &["sql", "--format", "csv", "-c", count]);
    let b = ww(&env, &s3, "cache-b", &["sql", "--format", "csv", "-c", count]);
    assert_eq!(a.code, 0, "{}", a.stderr);
    assert_eq!(b.stdout, a.stdout, "{}", b.stderr);
    assert_eq!(b.stdout.lines().nth(1), Some(format!("8,{}", check.stdout.lines().count()).as_str()));

    // Machine B writes; machine A sees it at its next open.
    env.write("more.csv", "办件编号,大厅编码,事项编码,办件类型,承诺时限,受理时间,办理结果\nC-NEW-1,H01,I1,承诺件,3,2026-10-20 09:00:00,办理中\n");
    let r = ww(&env, &s3, "cache-b", &["ingest", "--table", "cases", "more.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a2 = ww(&env, &s3, "cache-a", &["sql", "--format", "csv", "-c", "SELECT count(*) AS n FROM cases"]);
    assert_eq!(a2.stdout, "n\n9\n", "{}", a2.stderr);

    // The tickets did not change in that snapshot: the bucket has them under the new snapshot
    // too, and machine A's copy links them to the part it already had instead of fetching them.
    let keys = objects(&s3, "hall-a/snapshots/");
    let latest = keys.iter().filter_map(|k| k.strip_prefix("hall-a/snapshots/")).filter_map(|k| k.split('/').next()).max().unwrap().to_string();
    assert!(keys.iter().any(|k| k.starts_with(&format!("hall-a/snapshots/{latest}/tickets/"))), "{keys:?}");
    let part = env.path(&format!("cache-a/s3/{BUCKET}/hall-a/snapshots/{latest}/tickets/part-00000.parquet"));
    use std::os::unix::fs::MetadataExt;
    assert!(std::fs::metadata(&part).unwrap().nlink() >= 2, "{} is linked, not fetched again", part.display());

    // A writer holding the bucket's lock keeps a second one out, with a clear message.
    let python = std::env::var("WINDOWWATCH_TEST_PYTHON").unwrap();
    let put = format!(
        "import boto3\ns3=boto3.client('s3',endpoint_url='http://127.0.0.1:{}',aws_access_key_id='test',aws_secret_access_key='test',region_name='us-east-1')\ns3.put_object(Bucket='{BUCKET}',Key='hall-a/.lock',Body=b'other-host pid 1')\n",
        s3.port
    );
    assert!(Command::new(&python).args(["-c", &put]).status().unwrap().success());
    let blocked = ww(&env, &s3, "cache-a", &["ingest", "--table", "cases", "--force", "more.csv"]);
    assert_eq!(blocked.code, 2, "{}", blocked.stdout);
    assert!(blocked.stderr.contains("another windowwatch is writing") && blocked.stderr.contains("other-host pid 1"), "{}", blocked.stderr);
    // Reading needs no lock.
    assert_eq!(ww(&env, &s3, "cache-a", &["sql", "--format", "csv", "-c", "SELECT count(*) AS n FROM cases"]).stdout, "n\n9\n");
}

#[test]
fn a_push_cut_short_before_current_leaves_the_bucket_as_it_was_and_the_next_commit_clean() {
    let env = Env::new();
    let s3 = start();
    crate::reports::seed(&env);
    let r = ww(&env, &s3, "cache-a", &["ingest", "--table", "cases", "cases.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = objects(&s3, "hall-a/");
    // The ratings are uploaded under the next snapshot id, then the write stops before CURRENT.
    let cut = ww_env(&env, &s3, "cache-a", &["ingest", "--table", "ratings", "ratings.csv"], &[("WINDOWWATCH_FAILPOINT", "before_bucket_current")]);
    assert_eq!(cut.code, 2, "{}", cut.stdout);
    let after = objects(&s3, "hall-a/");
    let current = |keys: &[String]| keys.iter().filter_map(|k| k.strip_prefix("hall-a/snapshots/")).filter_map(|k| k.split('/').next()).max().map(String::from);
    let next = current(&after).unwrap();
    assert!(after.iter().any(|k| k.starts_with(&format!("hall-a/snapshots/{next}/ratings/"))), "the cut push uploaded the ratings: {after:?}");
    // Every machine still reads the state before: no ratings, here or from a fresh copy.
    for cache in ["cache-a", "cache-b"] {
        let n = ww(&env, &s3, cache, &["sql", "--format", "csv", "-c", "SELECT (SELECT count(*) FROM cases) AS c, (SELECT count(*) FROM ratings) AS r"]);
        assert_eq!(n.stdout, "c,r\n8,0\n", "{cache}: {}", n.stderr);
    }
    // The next commit takes the same id; the cut push's ratings are gone from it.
    let r = ww(&env, &s3, "cache-b", &["ingest", "--table", "denials", "denials.csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let last = objects(&s3, "hall-a/");
    assert_eq!(current(&last).as_deref(), Some(next.as_str()));
    assert!(!last.iter().any(|k| k.starts_with(&format!("hall-a/snapshots/{next}/ratings/"))), "no stale ratings: {last:?}");
    let n = ww(&env, &s3, "cache-c", &["sql", "--format", "csv", "-c", "SELECT (SELECT count(*) FROM ratings) AS r, (SELECT count(*) FROM denials) > 0 AS d"]);
    assert_eq!(n.stdout, "r,d\n0,true\n", "{}", n.stderr);
    assert!(before.len() < last.len());
}
