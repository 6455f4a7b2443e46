//! One daemon per data folder: `<data>/serve.lock`, an OS file lock held for the life of the
//! process (released by the kernel however the process ends, so a crash never leaves a stale
//! lock). The file names the holder (PID, start time, config) so a second `serve` can say who.

use std::fs::{File, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ScheduleError;

pub struct ServeLock {
    file: File,
    pub path: PathBuf,
}

impl ServeLock {
    /// Takes the lock or says who holds it.
    pub fn acquire(data: &Path, config: Option<&Path>) -> Result<ServeLock, ScheduleError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ScheduleError::Io { path, source }
        };
        std::fs::create_dir_all(data).map_err(io(data))?;
        let path = data.join("serve.lock");
        let mut file = File::options().read(true).write(true).create(true).truncate(false).open(&path).map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let holder = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(", ");
                let data = std::fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf());
                return Err(ScheduleError::AlreadyRunning {
                    data,
                    holder: if holder.is_empty() { format!("lock {}", path.display()) } else { format!("{holder}; lock {}", path.display()) },
                });
            }
            Err(TryLockError::Error(e)) => return Err(ScheduleError::Io { path, source: e }),
        }
        file.set_len(0).map_err(io(&path))?;
        let text = format!(
            "pid={}\nstarted={}\nconfig={}\n",
            std::process::id(),
            crate::clock::now_china().format("%Y-%m-%d %H:%M:%S"),
            config.map(|c| c.display().to_string()).unwrap_or_else(|| "(none)".into())
        );
        file.write_all(text.as_bytes()).and_then(|_| file.sync_all()).map_err(io(&path))?;
        Ok(ServeLock { file, path })
    }
}

impl Drop for ServeLock {
    fn drop(&mut self) {
        // Say nobody holds it any more; the kernel drops the lock with the descriptor.
        let _ = self.file.set_len(0);
    }
}
