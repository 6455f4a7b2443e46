//! The inbox job: export files dropped in a folder are recognised, ingested one by one, and moved
//! to `processed/`, or to `rejected/` beside a `<file>.reason.txt` saying why.
//!
//! A hall's export script, a person with a USB stick or an SMB share writes into the folder while
//! the daemon watches it, so a file must never be read half-written: names that tools use while
//! writing (`*.tmp`, `*.part`, `~$*`, `.*` …) are left alone, and a file is taken only when its
//! last change is `settle_secs` old and its size and mtime did not move since the previous look.
//! Each file is its own ingest (all or nothing), so one broken export does not hold back the
//! others; a warehouse failure (not the file's fault) leaves the file where it is for the next run.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use regex::Regex;

use crate::contract::{NumericLevels, Table};
use crate::ingest::sniff::{SniffError, sniff_table};
use crate::ingest::{self, IngestError, IngestOptions};
use crate::store::Warehouse;

use super::JobError;

/// How an inbox job recognises and takes files.
#[derive(Debug, Clone)]
pub struct InboxSpec {
    pub dir: PathBuf,
    /// Only names matching this are considered (option `pattern`; default: every name).
    pub include: Option<Regex>,
    /// Name patterns deciding the table (options `tickets`, `cases`, `ratings`, `denials`).
    pub patterns: Vec<(Table, Regex)>,
    /// Recognise by headers when no pattern matches (option `sniff`, default true).
    pub sniff: bool,
    /// Quiet time before a file is taken (option `settle_secs`, default 10).
    pub settle: Duration,
}

/// What the daemon remembers between looks: each file's size, mtime and since when unchanged.
#[derive(Debug, Default)]
pub struct InboxState {
    seen: HashMap<PathBuf, (u64, SystemTime)>,
}

/// Names tools give files while writing them, and the inbox's own files: never taken.
pub fn is_partial_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    name.starts_with('.')
        || name.starts_with("~$")
        || name.starts_with('~')
        || name.ends_with('~')
        || [".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".lock", ".filepart", ".reason.txt"]
            .iter()
            .any(|s| lower.ends_with(s))
}

/// A file ready to take, with its size and mtime.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub path: PathBuf,
    pub size: u64,
    pub mtime: SystemTime,
}

impl InboxState {
    /// Decides which `files` (path, size, mtime) are settled at `now`. With `remember`, a file
    /// must also have been seen unchanged at the previous look (the daemon); without (a manual
    /// `run`), its mtime alone decides.
    pub fn settled(&mut self, files: Vec<Candidate>, now: SystemTime, settle: Duration, remember: bool) -> (Vec<Candidate>, usize) {
        let mut ready = Vec::new();
        let mut waiting = 0;
        let mut next: HashMap<PathBuf, (u64, SystemTime)> = HashMap::new();
        for f in files {
            let quiet = now.duration_since(f.mtime).map(|d| d >= settle).unwrap_or(false);
            let unchanged = self.seen.get(&f.path) == Some(&(f.size, f.mtime));
            next.insert(f.path.clone(), (f.size, f.mtime));
            if quiet && (unchanged || !remember) {
                ready.push(f);
            } else {
                waiting += 1;
            }
        }
        self.seen = next;
        (ready, waiting)
    }
}

/// What one inbox run did.
#[derive(Debug, Default, Clone)]
pub struct InboxRun {
    /// (file name, table, rows loaded, rows quarantined).
    pub processed: Vec<(String, Table, u64, u64)>,
    /// (file name, reason).
    pub rejected: Vec<(String, String)>,
    /// Files not settled yet.
    pub waiting: usize,
    /// Settled files left for the next run because the daemon is stopping.
    pub left: usize,
}

impl InboxRun {
    pub fn rows(&self) -> u64 {
        self.processed.iter().map(|p| p.2).sum()
    }

    pub fn did_something(&self) -> bool {
        !self.processed.is_empty() || !self.rejected.is_empty() || self.left > 0
    }

    pub fn summary(&self) -> String {
        let mut by_table: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
        for (_, t, n, _) in &self.processed {
            let e = by_table.entry(t.name()).or_default();
            e.0 += 1;
            e.1 += n;
        }
        let q: u64 = self.processed.iter().map(|p| p.3).sum();
        let mut parts: Vec<String> = by_table.iter().map(|(t, (f, n))| format!("{t}: {f} file(s), {n} rows")).collect();
        if q > 0 {
            parts.push(format!("{q} rows quarantined"));
        }
        if !self.rejected.is_empty() {
            parts.push(format!("{} rejected ({})", self.rejected.len(), self.rejected.iter().map(|r| r.0.as_str()).collect::<Vec<_>>().join(", ")));
        }
        if self.waiting > 0 {
            parts.push(format!("{} still being written", self.waiting));
        }
        if self.left > 0 {
            parts.push(format!("{} left for the next run", self.left));
        }
        if parts.is_empty() { "nothing to do".into() } else { parts.join("; ") }
    }
}

/// The config an inbox run needs besides the spec.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    pub numeric_levels: Option<NumericLevels>,
    pub aliases: BTreeMap<Table, BTreeMap<String, String>>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> JobError + '_ {
    move |source| JobError::Io { path: path.to_path_buf(), source }
}

/// Moves `path` into `dir`, keeping its name unless taken (then `name-2.ext`, `name-3.ext` …).
fn move_into(path: &Path, dir: &Path) -> Result<PathBuf, JobError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    let mut target = dir.join(&name);
    let mut n = 2;
    while target.exists() || dir.join(format!("{}.reason.txt", target.file_name().unwrap().to_string_lossy())).exists() {
        target = dir.join(format!("{stem}-{n}{ext}"));
        n += 1;
    }
    std::fs::rename(path, &target).map_err(io_err(path))?;
    Ok(target)
}

/// Writes the reason file beside a rejected file (atomically).
fn write_reason(file: &Path, job: &str, reason: &str) -> Result<(), JobError> {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let reason_path = file.with_file_name(format!("{name}.reason.txt"));
    let text = format!(
        "{name}\n\n{reason}\n\n\
         rejected by job `{job}` at {} (China time).\n\
         这个文件没有导入任何数据。修正后把它放回 inbox 文件夹即可重新导入；或用 `windowwatch ingest --table …` 手工导入。\n\
         Nothing of this file was ingested. Fix it and drop it into the inbox again, or ingest it by hand with `windowwatch ingest --table …`.\n",
        crate::clock::now_china().format("%Y-%m-%d %H:%M:%S")
    );
    let tmp = file.with_file_name(format!(".{name}.reason.tmp"));
    std::fs::write(&tmp, text).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &reason_path).map_err(io_err(&reason_path))?;
    Ok(())
}

/// The files in the inbox that could be exports (not folders, not partial names, matching `include`).
pub fn list(spec: &InboxSpec) -> Result<Vec<Candidate>, JobError> {
    let mut out = Vec::new();
    let rd = match std::fs::read_dir(&spec.dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(JobError::Io { path: spec.dir.clone(), source: e }),
    };
    for e in rd {
        let e = e.map_err(io_err(&spec.dir))?;
        let name = e.file_name().to_string_lossy().into_owned();
        if is_partial_name(&name) || spec.include.as_ref().is_some_and(|re| !re.is_match(&name)) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(e.path()) else { continue };
        if !meta.is_file() {
            continue;
        }
        out.push(Candidate { path: e.path(), size: meta.len(), mtime: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH) });
    }
    out.sort_by(|a, b| (a.mtime, &a.path).cmp(&(b.mtime, &b.path)));
    Ok(out)
}

/// The table a file's name says, per the configured patterns (first match wins).
fn by_name(spec: &InboxSpec, name: &str) -> Option<Table> {
    spec.patterns.iter().find(|(_, re)| re.is_match(name)).map(|(t, _)| *t)
}

/// Test hook: `WINDOWWATCH_PAUSEPOINT=<name>:<millis>` sleeps at the named point, so a test can
/// signal the daemon while a job is in the middle of its work.
pub fn pausepoint(name: &str) {
    if let Some(ms) = pause_millis(name) {
        tracing::info!(point = name, millis = ms, "pausepoint");
        std::thread::sleep(Duration::from_millis(ms));
    }
}

pub fn pause_millis(name: &str) -> Option<u64> {
    let v = std::env::var("WINDOWWATCH_PAUSEPOINT").ok()?;
    let (n, ms) = v.split_once(':')?;
    (n == name).then(|| ms.parse().ok()).flatten()
}

/// One settled file ingested into the table its name (or, with `sniff`, its header) says: the
/// table and report, or why the file is rejected. A warehouse failure is not the file's fault:
/// an error of the run, the file left for the next one.
fn ingest_file(job: &str, spec: &InboxSpec, cfg: &IngestConfig, wh: &Warehouse, path: &std::path::Path, name: &str) -> Result<Result<(Table, ingest::IngestReport), String>, JobError> {
    let table = match by_name(spec, name) {
        Some(t) => Ok(t),
        None if spec.sniff => sniff_table(path, &cfg.aliases),
        None => Err(SniffError::NoTable { file: path.to_path_buf(), why: vec!["no name pattern matches and sniff = false".into()] }),
    };
    Ok(match table {
        Err(SniffError::Ingest(IngestError::Store(e))) => return Err(JobError::Store(e)),
        Err(e) => Err(e.to_string()),
        Ok(table) => {
            tracing::info!(job, file = %name, table = table.name(), "ingesting");
            let opts = IngestOptions {
                table,
                files: vec![path.to_path_buf()],
                encoding: None,
                sheet: None,
                numeric_levels: cfg.numeric_levels,
                aliases: cfg.aliases.get(&table).map(|m| m.clone().into_iter().collect()).unwrap_or_default(),
                force: false,
            };
            match ingest::ingest(wh, &opts) {
                Ok(r) => Ok((table, r)),
                Err(IngestError::Store(e)) => return Err(JobError::Store(e)),
                Err(e) => Err(e.to_string()),
            }
        }
    })
}

/// One inbox run: takes every settled file, in the order they arrived. Blocking (file and
/// warehouse I/O); the daemon runs it on a blocking thread.
pub fn run(
    job: &str,
    spec: &InboxSpec,
    cfg: &IngestConfig,
    wh: &Warehouse,
    state: &Mutex<InboxState>,
    remember: bool,
    stop: &AtomicBool,
) -> Result<InboxRun, JobError> {
    // One inbox run at a time per data folder, daemon or `windowwatch run`.
    let lock_path = wh.root().join("inbox.lock");
    let lock = std::fs::File::options().create(true).truncate(false).write(true).open(&lock_path).map_err(io_err(&lock_path))?;
    lock.lock().map_err(io_err(&lock_path))?;
    for d in [spec.dir.clone(), spec.dir.join("processed"), spec.dir.join("rejected")] {
        std::fs::create_dir_all(&d).map_err(io_err(&d))?;
    }
    let files = list(spec)?;
    let (ready, waiting) = state.lock().expect("inbox state").settled(files, SystemTime::now(), spec.settle, remember);
    let mut out = InboxRun { waiting, ..Default::default() };
    let processed_dir = spec.dir.join("processed");
    let rejected_dir = spec.dir.join("rejected");
    for (i, f) in ready.iter().enumerate() {
        if stop.load(Ordering::SeqCst) {
            out.left = ready.len() - i;
            break;
        }
        pausepoint("inbox_file");
        let name = f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // The file may have changed or gone since the look (a second writer, a person).
        match std::fs::metadata(&f.path) {
            Ok(m) if m.len() == f.size && m.modified().ok() == Some(f.mtime) => {}
            _ => {
                out.waiting += 1;
                continue;
            }
        }
        let result = ingest_file(job, spec, cfg, wh, &f.path, &name)?;
        match result {
            Ok((table, r)) => {
                let t = r.total();
                let to = move_into(&f.path, &processed_dir)?;
                tracing::info!(job, file = %name, table = table.name(), loaded = t.loaded, quarantined = t.quarantined, ingest_id = r.ingest_id, moved_to = %to.display(), "ingested");
                out.processed.push((name, table, t.loaded, t.quarantined));
            }
            Err(reason) => {
                let to = move_into(&f.path, &rejected_dir)?;
                write_reason(&to, job, &reason)?;
                tracing::warn!(job, file = %name, reason = %reason, moved_to = %to.display(), "rejected");
                out.rejected.push((name, reason));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_names_are_never_taken() {
        for n in ["a.csv.tmp", "~$book.xlsx", ".hidden.csv", "x.csv.part", "dl.crdownload", "f.csv~", "a.csv.reason.txt"] {
            assert!(is_partial_name(n), "{n}");
        }
        for n in ["排队记录.csv", "cases-2026-10.xlsx", "ratings.jsonl"] {
            assert!(!is_partial_name(n), "{n}");
        }
    }

    #[test]
    fn a_file_is_taken_only_when_quiet_and_unchanged_since_the_last_look() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let settle = Duration::from_secs(10);
        let f = |size, mtime| Candidate { path: PathBuf::from("in/a.csv"), size, mtime };
        let mut st = InboxState::default();
        // Being written: mtime fresh.
        assert_eq!(st.settled(vec![f(100, t0)], t0 + Duration::from_secs(2), settle, true).0.len(), 0);
        // Still growing.
        assert_eq!(st.settled(vec![f(200, t0 + Duration::from_secs(5))], t0 + Duration::from_secs(12), settle, true).0.len(), 0);
        // Quiet long enough, but first seen with this size at the previous look only now: wait.
        assert_eq!(st.settled(vec![f(300, t0 + Duration::from_secs(6))], t0 + Duration::from_secs(20), settle, true).0.len(), 0);
        // Unchanged since the previous look and quiet: taken.
        assert_eq!(st.settled(vec![f(300, t0 + Duration::from_secs(6))], t0 + Duration::from_secs(22), settle, true).0.len(), 1);
        // A manual run trusts the mtime alone.
        let mut fresh = InboxState::default();
        assert_eq!(fresh.settled(vec![f(300, t0)], t0 + Duration::from_secs(11), settle, false).0.len(), 1);
        assert_eq!(fresh.settled(vec![f(300, t0)], t0 + Duration::from_secs(3), settle, false), (vec![], 1));
    }
}
