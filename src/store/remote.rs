//! The warehouse on S3-compatible object storage (MinIO on-premises, or any S3): `--data
//! s3://bucket/prefix`. The bucket holds the same layout as a local warehouse
//! (`snapshots/000007/cases/part-00000.parquet`, …) and a `CURRENT` object naming the committed
//! snapshot, so any engine reads the tables straight from the bucket
//! (`s3://bucket/prefix/snapshots/<CURRENT>/cases/`).
//!
//! windowwatch works on a local copy (the cache, `$WINDOWWATCH_CACHE` or
//! `~/.cache/windowwatch/s3/…`): opening the warehouse brings the cache up to the bucket's
//! `CURRENT` (files already there are not fetched again: a part unchanged since the previous
//! snapshot is linked); a commit uploads the new snapshot (parts unchanged since the base are
//! copied inside the bucket, not uploaded) and then replaces `CURRENT` with one PUT, so readers
//! see the old state or the new one, never half of it. One writer at a time holds a lock object
//! created with a conditional PUT (`If-None-Match: *`), on top of the local lock.
//!
//! Credentials and the endpoint come from the environment, as the AWS tools read them:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` (MinIO:
//! `http://minio:9000`), `AWS_ALLOW_HTTP=true` for plain HTTP.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use super::StoreError;

/// A bucket prefix holding a warehouse.
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    prefix: ObjPath,
    url: String,
    /// The local copy.
    pub cache: PathBuf,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Remote({} → {})", self.url, self.cache.display())
    }
}

fn err(url: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt { path: PathBuf::from(url), message: e.to_string() }
}

/// Whether `data` names a bucket rather than a folder.
pub fn is_url(data: &Path) -> bool {
    data.to_str().is_some_and(|s| s.starts_with("s3://"))
}

static REMOTES: OnceLock<Mutex<HashMap<PathBuf, Arc<Remote>>>> = OnceLock::new();

/// The remote behind a local cache folder, when the warehouse lives in a bucket.
pub fn for_cache(root: &Path) -> Option<Arc<Remote>> {
    REMOTES.get()?.lock().ok()?.get(root).cloned()
}

/// Runs an object-store future to completion whether or not the caller is inside a runtime.
/// Every call uses one runtime for the process, so the S3 client's pooled connections outlive a
/// request instead of being opened again for each object.
fn block<F: std::future::Future + Send>(f: F) -> F::Output
where
    F::Output: Send,
{
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let rt = RUNTIME.get_or_init(|| tokio::runtime::Builder::new_multi_thread().worker_threads(1).thread_name("windowwatch-s3").enable_all().build().expect("a runtime"));
    // On a thread of its own: the caller may be inside another runtime, where blocking on one is refused.
    std::thread::scope(|s| s.spawn(|| rt.block_on(f)).join().expect("the object-store thread panicked"))
}

impl Remote {
    /// Connects to `s3://bucket/prefix` and registers its cache folder, which the warehouse is then
    /// opened at (returned).
    pub fn connect(url: &str) -> Result<PathBuf, StoreError> {
        // Once per process: the warehouse is opened again and again (the daemon's jobs), the client
        // and its pooled connections stay.
        if let Some(cache) = REMOTES.get().and_then(|m| m.lock().ok()?.values().find(|r| r.url == url).map(|r| r.cache.clone())) {
            return Ok(cache);
        }
        let rest = url.strip_prefix("s3://").ok_or_else(|| err(url, "expected s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(err(url, "no bucket: expected s3://bucket/prefix"));
        }
        let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if let Ok(e) = std::env::var("AWS_ENDPOINT_URL").or_else(|_| std::env::var("AWS_ENDPOINT")) {
            let http = e.starts_with("http://");
            b = b.with_endpoint(e).with_allow_http(http).with_virtual_hosted_style_request(false);
        }
        if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err() {
            b = b.with_region("us-east-1");
        }
        let store: Arc<dyn ObjectStore> = Arc::new(b.build().map_err(|e| err(url, format!("cannot connect: {e}")))?);
        let base = std::env::var_os("WINDOWWATCH_CACHE").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/windowwatch"))).unwrap_or_else(|| PathBuf::from(".windowwatch-cache"));
        let cache = base.join("s3").join(bucket).join(prefix.trim_matches('/'));
        std::fs::create_dir_all(&cache).map_err(|e| StoreError::Io { path: cache.clone(), source: e })?;
        let cache = std::fs::canonicalize(&cache).map_err(|e| StoreError::Io { path: cache.clone(), source: e })?;
        let remote = Remote { store, prefix: ObjPath::from(prefix.trim_matches('/')), url: url.to_string(), cache: cache.clone() };
        REMOTES.get_or_init(Default::default).lock().expect("remotes").insert(cache.clone(), Arc::new(remote));
        Ok(cache)
    }

    fn key(&self, rel: &str) -> ObjPath {
        if self.prefix.as_ref().is_empty() { ObjPath::from(rel) } else { ObjPath::from(format!("{}/{rel}", self.prefix)) }
    }

    /// The bucket's committed snapshot id, if any.
    pub fn current(&self) -> Result<Option<u64>, StoreError> {
        let key = self.key("CURRENT");
        let r = block(async { self.store.get(&key).await?.bytes().await });
        match r {
            Ok(b) => {
                let s = String::from_utf8_lossy(&b).trim().to_string();
                s.parse().map(Some).map_err(|_| err(&self.url, format!("CURRENT holds `{s}`, not a snapshot id")))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(err(&self.url, format!("cannot read CURRENT: {e}"))),
        }
    }

    /// Objects under a snapshot: relative path → (size, e_tag).
    fn list_snapshot(&self, id: u64) -> Result<HashMap<String, (u64, Option<String>)>, StoreError> {
        let base = self.key(&format!("snapshots/{id:06}"));
        let listed: Vec<object_store::ObjectMeta> = block(async { self.store.list(Some(&base)).try_collect().await }).map_err(|e| err(&self.url, format!("cannot list snapshot {id}: {e}")))?;
        let skip = base.as_ref().len() + 1;
        Ok(listed.into_iter().map(|m| (m.location.as_ref()[skip..].to_string(), (m.size, m.e_tag))).collect())
    }

    /// Brings the local copy to the bucket's committed snapshot.
    pub fn pull(&self) -> Result<(), StoreError> {
        let Some(id) = self.current()? else { return Ok(()) };
        let snaps = self.cache.join("snapshots");
        // Local snapshots the bucket never got (a push that failed) are not the warehouse's.
        for e in std::fs::read_dir(&snaps).into_iter().flatten().flatten() {
            if e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()).is_some_and(|n| n > id) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        let dir = snaps.join(format!("{id:06}"));
        let local_current = std::fs::read_to_string(self.cache.join("CURRENT")).ok().and_then(|s| s.trim().parse::<u64>().ok());
        if local_current == Some(id) && dir.join("warehouse.json").exists() {
            return Ok(());
        }
        let objects = self.list_snapshot(id)?;
        // A part the previous local snapshot holds under the same name and e_tag is linked.
        let previous = local_current.filter(|p| *p != id && snaps.join(format!("{p:06}")).is_dir());
        let previous_objects = match previous {
            Some(p) => self.list_snapshot(p).unwrap_or_default(),
            None => HashMap::new(),
        };
        let tmp = snaps.join(format!(".pull-{id:06}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        for (rel, (size, tag)) in &objects {
            let to = tmp.join(rel);
            std::fs::create_dir_all(to.parent().expect("a parent")).map_err(|e| StoreError::Io { path: to.clone(), source: e })?;
            let linkable = previous.zip(previous_objects.get(rel)).filter(|(_, (s, t))| s == size && t.is_some() && t == tag).map(|(p, _)| snaps.join(format!("{p:06}")).join(rel));
            if let Some(from) = linkable.filter(|f| f.exists()) {
                std::fs::hard_link(&from, &to).map_err(|e| StoreError::Io { path: to.clone(), source: e })?;
                continue;
            }
            let key = self.key(&format!("snapshots/{id:06}/{rel}"));
            let bytes = block(async { self.store.get(&key).await?.bytes().await }).map_err(|e| err(&self.url, format!("cannot fetch {rel}: {e}")))?;
            super::write_synced(&to, &bytes)?;
        }
        // Durable before it is renamed into place and named current, as a local commit is.
        std::fs::create_dir_all(&tmp).map_err(|e| StoreError::Io { path: tmp.clone(), source: e })?;
        super::sync_tree(&tmp)?;
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| StoreError::Io { path: dir.clone(), source: e })?;
        }
        std::fs::rename(&tmp, &dir).map_err(|e| StoreError::Io { path: dir.clone(), source: e })?;
        super::sync_dir(&snaps)?;
        super::point_current(&self.cache, id)?;
        tracing::info!(url = %self.url, snapshot = id, files = objects.len(), "local copy brought up to the bucket");
        Ok(())
    }

    /// Uploads a committed local snapshot, then makes it the bucket's CURRENT.
    pub fn push(&self, snapshot_dir: &Path, id: u64, base: Option<(u64, &Path)>) -> Result<(), StoreError> {
        let mut files = Vec::new();
        walk(snapshot_dir, snapshot_dir, &mut files)?;
        // A push that failed before CURRENT may have left objects under this id; what this
        // snapshot does not hold must go, or a reader listing the folder would see it.
        let ours: std::collections::HashSet<&str> = files.iter().map(|(rel, _)| rel.as_str()).collect();
        for rel in self.list_snapshot(id)?.into_keys().filter(|rel| !ours.contains(rel.as_str())) {
            let key = self.key(&format!("snapshots/{id:06}/{rel}"));
            block(async { self.store.delete(&key).await }).map_err(|e| err(&self.url, format!("cannot remove the stale {rel}: {e}")))?;
        }
        for (rel, path) in &files {
            let to = self.key(&format!("snapshots/{id:06}/{rel}"));
            // A part unchanged since the base is the same file (a hard link): copied in the bucket.
            let same = base.and_then(|(b, dir)| {
                let old = dir.join(rel);
                let (m1, m2) = (std::fs::metadata(path).ok()?, std::fs::metadata(&old).ok()?);
                (m1.ino() == m2.ino() && m1.dev() == m2.dev()).then_some(b)
            });
            match same {
                Some(b) => {
                    let from = self.key(&format!("snapshots/{b:06}/{rel}"));
                    block(async { self.store.copy(&from, &to).await }).map_err(|e| err(&self.url, format!("cannot copy {rel}: {e}")))?;
                }
                None => {
                    let bytes = std::fs::read(path).map_err(|e| StoreError::Io { path: path.clone(), source: e })?;
                    block(async { self.store.put(&to, PutPayload::from(bytes)).await }).map_err(|e| err(&self.url, format!("cannot upload {rel}: {e}")))?;
                }
            }
        }
        super::failpoint("before_bucket_current")?;
        let key = self.key("CURRENT");
        block(async { self.store.put(&key, PutPayload::from(format!("{id:06}\n").into_bytes())).await }).map_err(|e| err(&self.url, format!("cannot write CURRENT: {e}")))?;
        self.collect_garbage(id);
        Ok(())
    }

    /// Removes snapshots older than the few kept (as the local warehouse does).
    fn collect_garbage(&self, current: u64) {
        let base = self.key("snapshots");
        let r: Result<Vec<object_store::ObjectMeta>, _> = block(async { self.store.list(Some(&base)).try_collect().await });
        let Ok(all) = r else { return };
        let skip = base.as_ref().len() + 1;
        for m in all {
            let id: Option<u64> = m.location.as_ref().get(skip..).and_then(|r| r.split('/').next()).and_then(|s| s.parse().ok());
            if id.is_some_and(|id| id + (super::KEEP_SNAPSHOTS as u64) < current) {
                let _ = block(async { self.store.delete(&m.location).await });
            }
        }
    }

    /// Takes the bucket's write lock: a `.lock` object created only if absent. Waits for another
    /// writer (`WINDOWWATCH_LOCK_WAIT_SECS`, default 600); a lock older than a day is stale.
    pub fn lock(self: &Arc<Self>) -> Result<RemoteLock, StoreError> {
        let key = self.key(".lock");
        let who = format!("{} pid {} at {}\n", hostname(), std::process::id(), crate::clock::now_china().format("%Y-%m-%d %H:%M:%S"));
        let wait = std::env::var("WINDOWWATCH_LOCK_WAIT_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(600u64);
        let started = std::time::Instant::now();
        loop {
            let opts = PutOptions { mode: PutMode::Create, ..Default::default() };
            let r = block(async { self.store.put_opts(&key, PutPayload::from(who.clone().into_bytes()), opts).await });
            match r {
                Ok(_) => return Ok(RemoteLock { remote: Arc::clone(self), key }),
                Err(object_store::Error::AlreadyExists { .. }) | Err(object_store::Error::Precondition { .. }) => {
                    let head = block(async { self.store.head(&key).await });
                    let holder = block(async { self.store.get(&key).await?.bytes().await }).map(|b| String::from_utf8_lossy(&b).trim().to_string()).unwrap_or_default();
                    if let Ok(h) = head {
                        let age = chrono::Utc::now().signed_duration_since(h.last_modified);
                        if age > chrono::Duration::days(1) {
                            tracing::warn!(holder = %holder, "a write lock older than a day is stale: removed");
                            let _ = block(async { self.store.delete(&key).await });
                            continue;
                        }
                    }
                    if started.elapsed() > Duration::from_secs(wait) {
                        return Err(err(&self.url, format!("another windowwatch is writing to this warehouse ({holder}); waited {wait} s")));
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => return Err(err(&self.url, format!("cannot take the write lock: {e}"))),
            }
        }
    }
}

/// The bucket's write lock, given back when dropped.
pub struct RemoteLock {
    remote: Arc<Remote>,
    key: ObjPath,
}

impl Drop for RemoteLock {
    fn drop(&mut self) {
        let (store, key) = (Arc::clone(&self.remote.store), self.key.clone());
        let _ = block(async move { store.delete(&key).await });
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map(|s| s.trim().to_string()).unwrap_or_else(|_| "localhost".into())
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> Result<(), StoreError> {
    for e in std::fs::read_dir(dir).map_err(|e| StoreError::Io { path: dir.to_path_buf(), source: e })? {
        let p = e.map_err(|e| StoreError::Io { path: dir.to_path_buf(), source: e })?.path();
        if p.is_dir() {
            walk(root, &p, out)?;
        } else {
            let rel = p.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
            out.push((rel, p));
        }
    }
    Ok(())
}
