//! Liveness for supervisors that cannot watch a PID (Kubernetes probes, container HEALTHCHECK):
//! the daemon rewrites `<data>/serve.heartbeat` every few seconds from its own task, and
//! `windowwatch health` says whether a daemon holds the data folder's lock and beat recently.
//! A long job does not stop the beat (it runs beside the worker); a wedged runtime does.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::ScheduleError;

pub const FILE: &str = "serve.heartbeat";
/// How often the daemon beats.
pub const EVERY: Duration = Duration::from_secs(10);

/// Writes the heartbeat (atomically: a temporary renamed over it).
pub fn beat(data: &Path, running: Option<&str>) -> Result<(), ScheduleError> {
    let path = data.join(FILE);
    let tmp = data.join(format!(".{FILE}.tmp"));
    let text = format!(
        "pid={}\nat={}\nrunning={}\n",
        std::process::id(),
        crate::clock::now_china().format("%Y-%m-%d %H:%M:%S"),
        running.unwrap_or("-")
    );
    std::fs::write(&tmp, text).map_err(|source| ScheduleError::Io { path: tmp.clone(), source })?;
    std::fs::rename(&tmp, &path).map_err(|source| ScheduleError::Io { path, source })
}

#[derive(Debug, thiserror::Error)]
pub enum Unhealthy {
    #[error("no windowwatch serve holds {} (not running)", .0.display())]
    NotRunning(PathBuf),
    #[error("the daemon has not beaten for {0}s (limit {1}s): it may be wedged")]
    Stale(u64, u64),
    #[error("{path}: {source}", path = .path.display())]
    Io { path: PathBuf, source: std::io::Error },
}

/// Checks a data folder: the serve lock is held and the heartbeat is at most `max_age` old.
pub fn check(data: &Path, max_age: Duration) -> Result<String, Unhealthy> {
    let lock = data.join("serve.lock");
    let f = match std::fs::File::open(&lock) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Unhealthy::NotRunning(data.to_path_buf())),
        Err(source) => return Err(Unhealthy::Io { path: lock, source }),
    };
    match f.try_lock_shared() {
        // We got it: nobody holds it.
        Ok(()) => return Err(Unhealthy::NotRunning(data.to_path_buf())),
        Err(std::fs::TryLockError::WouldBlock) => {}
        Err(std::fs::TryLockError::Error(source)) => return Err(Unhealthy::Io { path: lock, source }),
    }
    let hb = data.join(FILE);
    let meta = std::fs::metadata(&hb).map_err(|source| Unhealthy::Io { path: hb.clone(), source })?;
    let age = SystemTime::now().duration_since(meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)).unwrap_or_default();
    if age > max_age {
        return Err(Unhealthy::Stale(age.as_secs(), max_age.as_secs()));
    }
    let text = std::fs::read_to_string(&hb).unwrap_or_default();
    Ok(format!("healthy: {} (beat {}s ago)", text.lines().collect::<Vec<_>>().join(", "), age.as_secs()))
}
