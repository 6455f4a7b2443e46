//! Shared helpers: a temporary workspace, running the CLI, reading the warehouse back.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use windowwatch::store::Warehouse;

pub struct Env {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
}

impl Env {
    pub fn new() -> Env {
        Env { dir: tempfile::tempdir().expect("tempdir") }
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn data(&self) -> PathBuf {
        self.path("data")
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// Runs `windowwatch --data <tmp>/data ARGS` in the temp folder.
    pub fn ww(&self, args: &[&str]) -> Run {
        self.ww_env(args, &[])
    }

    pub fn ww_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        self.ww_under(&[], args, env)
    }

    /// Runs `windowwatch` as [`Env::ww_env`] does, under a wrapper command (`strace -f …`).
    pub fn ww_under(&self, wrapper: &[&str], args: &[&str], env: &[(&str, &str)]) -> Run {
        let data = self.data();
        let bin = env!("CARGO_BIN_EXE_windowwatch");
        let mut cmd = match wrapper.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        cmd.current_dir(self.dir.path()).arg("--data").arg(&data).args(args);
        cmd.env_remove("WINDOWWATCH_CONFIG").env_remove("WINDOWWATCH_DATA").env_remove("WINDOWWATCH_FAILPOINT");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out: Output = cmd.output().expect("run windowwatch");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn warehouse(&self) -> Warehouse {
        Warehouse::open_existing(&self.data()).expect("warehouse exists")
    }

    /// All rows of a warehouse table as maps of column → displayed value.
    pub fn rows(&self, table: &str) -> Vec<BTreeMap<String, String>> {
        let snap = self.warehouse().current().unwrap().expect("a snapshot");
        batches_to_maps(&snap.read(table).unwrap())
    }

    /// Every file of the current snapshot with its bytes' hash (to compare warehouse states).
    pub fn state(&self) -> BTreeMap<String, String> {
        let snap = self.warehouse().current().unwrap().expect("a snapshot");
        let mut out = BTreeMap::new();
        walk(&snap.dir, &snap.dir, &mut out);
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            let bytes = std::fs::read(&p).unwrap();
            out.insert(p.strip_prefix(root).unwrap().display().to_string(), blake3::hash(&bytes).to_hex().to_string());
        }
    }
}

pub fn batches_to_maps(batches: &[RecordBatch]) -> Vec<BTreeMap<String, String>> {
    let mut rows = Vec::new();
    for b in batches {
        let t = windowwatch::output::textual(b).unwrap();
        for i in 0..t.num_rows() {
            let mut m = BTreeMap::new();
            for (f, c) in t.schema().fields().iter().zip(t.columns()) {
                let v = if c.is_null(i) {
                    "∅".to_string()
                } else if let Some(s) = c.as_string_opt::<i32>() {
                    s.value(i).to_string()
                } else {
                    datafusion::arrow::util::display::array_value_to_string(c, i).unwrap()
                };
                m.insert(f.name().clone(), v);
            }
            rows.push(m);
        }
    }
    rows
}

/// Encodes text as GB18030 bytes.
pub fn gb18030(s: &str) -> Vec<u8> {
    let (b, _, bad) = encoding_rs::GB18030.encode(s);
    assert!(!bad);
    b.into_owned()
}

/// Parses JSON Lines output.
pub fn jsonl(s: &str) -> Vec<serde_json::Value> {
    s.lines().filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}
