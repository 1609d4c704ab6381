//! The download cache: content-addressed files, and what each source key last resolved to.
//!
//! Layout under the cache root:
//! - `objects/<sha256>`: downloaded content, named by its sha256, never modified once there;
//! - `keys/<sha256 of the key>.json`: for a source key (a URL, `s3://bucket/key?version`,
//!   `ipfs://<cid>`), the object it resolved to, the validators (ETag, Last-Modified,
//!   VersionId) that let a re-run ask the server whether it changed, and the file name the
//!   server gave the content (`Content-Disposition`), so a re-run names it the same;
//! - `tmp/`: downloads in progress.
//!
//! Every file is written to `tmp/` under a name no other process uses and renamed into place,
//! so no reader ever sees a half-written file, and several bolinho processes can share one
//! cache: two that download the same object rename identical bytes onto the same name. Within
//! one process (a job's partitions, fetching the same sources at once), a fetcher `hold`s its
//! key: the others wait and then find it cached, instead of downloading it again.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What lets a server tell us a cached source has not changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// A cached source: its content file and how it was validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub sha256: String,
    pub size: u64,
    pub validators: Validators,
    /// The content file, `objects/<sha256>`.
    pub path: PathBuf,
    /// The file name the server gave the content (`Content-Disposition`), if any.
    pub name: Option<String>,
}

/// The record kept in `keys/`.
#[derive(Serialize, Deserialize)]
struct Record {
    key: String,
    sha256: String,
    size: u64,
    #[serde(flatten)]
    validators: Validators,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

/// An open cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
    /// Whether a download stops at a signal (`stopping_on_signal`).
    stops: bool,
}

impl Cache {
    /// Where the cache lives unless `--cache-dir` says otherwise: `$BOLINHO_CACHE_DIR`, else
    /// `$XDG_CACHE_HOME/bolinho`, else `$HOME/.cache/bolinho`.
    pub fn default_root() -> Option<PathBuf> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        var("BOLINHO_CACHE_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("bolinho")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("bolinho")))
    }

    /// The cache at `root`. Nothing is created until something is stored, so a run with only
    /// local sources leaves no trace.
    pub fn open(root: PathBuf) -> Cache {
        Cache { root, stops: false }
    }

    /// The cache of a run that a signal must not end at once (one of a job's partitions,
    /// whose signal leaves bolinho running for the others): a download stops, failing, at its
    /// next read after Ctrl-C or SIGTERM, where a run alone is ended by `cleanup`.
    pub fn stopping_on_signal(self) -> Cache {
        Cache {
            stops: true,
            ..self
        }
    }

    /// The signal a download must stop at, if one was caught and this cache's downloads stop.
    pub fn stopped(&self) -> Option<crate::signal::Signal> {
        self.stops.then(crate::signal::received).flatten()
    }

    fn create_dirs(&self) -> Result<(), String> {
        for sub in ["objects", "keys", "tmp"] {
            let dir = self.root.join(sub);
            fs::create_dir_all(&dir)
                .map_err(|e| format!("failed to create cache directory {}: {e}", dir.display()))?;
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Waits until no other thread of this process holds `key` in this cache, then holds it
    /// until the returned value is dropped: one download of a source at a time.
    pub fn hold(&self, key: &str) -> Held {
        let record = self.record_path(key);
        let (held, released) = &HELD;
        let mut keys = held.lock().unwrap_or_else(PoisonError::into_inner);
        while keys.contains(&record) {
            keys = released.wait(keys).unwrap_or_else(PoisonError::into_inner);
        }
        keys.push(record.clone());
        Held(record)
    }

    /// What `key` last resolved to, if its content is still in the cache.
    pub fn lookup(&self, key: &str) -> Option<Entry> {
        let text = fs::read_to_string(self.record_path(key)).ok()?;
        let record: Record = serde_json::from_str(&text).ok()?;
        if record.key != key {
            return None;
        }
        let path = self.object_path(&record.sha256);
        let size = fs::metadata(&path).ok()?.len();
        (size == record.size).then_some(Entry {
            sha256: record.sha256,
            size,
            validators: record.validators,
            path,
            name: record.name,
        })
    }

    /// Streams `body` into the cache (at most `limit` bytes, else an error saying so), and
    /// records it as what `key` resolves to. `expected_sha256`, when given, must match, or
    /// nothing is kept and the error names both digests.
    pub fn store(
        &self,
        key: &str,
        validators: Validators,
        body: &mut dyn Read,
        limit: u64,
        expected_sha256: Option<&str>,
    ) -> Result<Entry, String> {
        self.store_named(key, validators, None, body, limit, expected_sha256)
    }

    /// `store`, also recording `name`, the file name the server gave the content, in the
    /// same (atomic) record write.
    pub fn store_named(
        &self,
        key: &str,
        validators: Validators,
        name: Option<String>,
        body: &mut dyn Read,
        limit: u64,
        expected_sha256: Option<&str>,
    ) -> Result<Entry, String> {
        self.create_dirs()?;
        let (tmp, file) = self.tmp_file()?;
        let written = copy_hashing(body, file, &tmp, limit, &|| self.stopped());
        let (sha256, size) = match written {
            Ok(done) => done,
            Err(e) => {
                let _ = fs::remove_file(&tmp);
                return Err(e);
            }
        };
        if let Some(expected) = expected_sha256
            && !expected.eq_ignore_ascii_case(&sha256)
        {
            let _ = fs::remove_file(&tmp);
            return Err(format!(
                "checksum mismatch: expected sha256 {expected}, got {sha256}"
            ));
        }
        let path = self.object_path(&sha256);
        fs::rename(&tmp, &path)
            .map_err(|e| format!("failed to store {} in the cache: {e}", path.display()))?;
        let entry = Entry {
            sha256,
            size,
            validators,
            path,
            name,
        };
        self.remember(key, &entry)?;
        Ok(entry)
    }

    /// Records `entry` as what `key` resolves to (after a server said it had not changed, the
    /// validators may be new).
    pub fn remember(&self, key: &str, entry: &Entry) -> Result<(), String> {
        let record = Record {
            key: key.to_string(),
            sha256: entry.sha256.clone(),
            size: entry.size,
            validators: entry.validators.clone(),
            name: entry.name.clone(),
        };
        let text = serde_json::to_string(&record).expect("a cache record always serialises");
        self.create_dirs()?;
        let (tmp, mut file) = self.tmp_file()?;
        let path = self.record_path(key);
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| fs::rename(&tmp, &path));
        written.map_err(|e| {
            let _ = fs::remove_file(&tmp);
            format!("failed to write cache record {}: {e}", path.display())
        })
    }

    /// Puts a cached object at `dest` for the guest: a hard link when the cache and `dest`
    /// share a filesystem, else a copy. Never a symlink: the guest's sandbox does not follow
    /// links that lead out of its mounts.
    pub fn materialize(&self, entry: &Entry, dest: &Path) -> Result<(), String> {
        fs::hard_link(&entry.path, dest)
            .or_else(|_| fs::copy(&entry.path, dest).map(drop))
            .map_err(|e| {
                format!(
                    "failed to copy {} to {}: {e}",
                    entry.path.display(),
                    dest.display()
                )
            })
    }

    /// The object whose sha256 is `hex` (64 lower-case hex digits), if the cache holds it:
    /// downloads are named by their content, so whatever source gave these bytes, they are
    /// the same. Nothing checks them here: a reader that needs them whole hashes them.
    pub fn object(&self, hex: &str) -> Option<PathBuf> {
        let digits = hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let path = self.object_path(hex);
        (hex.len() == 64 && digits && path.is_file()).then_some(path)
    }

    fn object_path(&self, sha256: &str) -> PathBuf {
        self.root.join("objects").join(sha256)
    }

    fn record_path(&self, key: &str) -> PathBuf {
        self.root
            .join("keys")
            .join(format!("{}.json", hex(&Sha256::digest(key.as_bytes()))))
    }

    /// A new private file in `tmp/` under a name no other writer, in this process or another
    /// (two containers sharing the cache are both PID 1), can use or plant.
    fn tmp_file(&self) -> Result<(PathBuf, File), String> {
        let dir = self.root.join("tmp");
        crate::private::create_file(&dir, "")
            .map_err(|e| format!("failed to create a file in {}: {e}", dir.display()))
    }
}

/// The keys held (by their record's path), and the signal that one was released.
static HELD: (Mutex<Vec<PathBuf>>, Condvar) = (Mutex::new(Vec::new()), Condvar::new());

/// A key held by `Cache::hold`.
pub struct Held(PathBuf);

impl Drop for Held {
    fn drop(&mut self) {
        let (held, released) = &HELD;
        held.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key| *key != self.0);
        released.notify_all();
    }
}

/// Copies `body` into `file` (at `path`), hashing as it goes; fails past `limit` bytes, and
/// at the signal `stopped` gives.
fn copy_hashing(
    body: &mut dyn Read,
    mut file: File,
    path: &Path,
    limit: u64,
    stopped: &dyn Fn() -> Option<crate::signal::Signal>,
) -> Result<(String, u64), String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        if let Some(signal) = stopped() {
            return Err(format!("stopped by {}", signal.name()));
        }
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("failed to download: {e}")),
        };
        size += n as u64;
        if size > limit {
            return Err(format!("larger than the limit of {limit} bytes"));
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n])
            .map_err(|e| format!("failed to write {}: {e}", path.display()))?;
    }
    file.sync_all()
        .map_err(|e| format!("failed to write {}: {e}", path.display()))?;
    Ok((hex(&hasher.finalize()), size))
}

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fetch::test_util::TempDir;

    const HELLO_SHA: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

    #[test]
    fn stored_content_is_found_by_key_and_named_by_hash() {
        let tmp = TempDir::new();
        let cache = Cache::open(tmp.path().join("c"));
        assert_eq!(cache.lookup("https://x/hello"), None);
        let v = Validators {
            etag: Some("\"abc\"".into()),
            ..Default::default()
        };
        let entry = cache
            .store(
                "https://x/hello",
                v.clone(),
                &mut &b"hello\n"[..],
                100,
                None,
            )
            .unwrap();
        assert_eq!(entry.sha256, HELLO_SHA);
        assert_eq!(entry.path, tmp.path().join("c/objects").join(HELLO_SHA));
        assert_eq!(fs::read(&entry.path).unwrap(), b"hello\n");
        assert_eq!(cache.lookup("https://x/hello"), Some(entry));
        assert_eq!(
            fs::read_dir(tmp.path().join("c/tmp")).unwrap().count(),
            0,
            "no temporary file left"
        );
    }

    #[test]
    fn limits_and_checksums_keep_nothing() {
        let tmp = TempDir::new();
        let cache = Cache::open(tmp.path().to_path_buf());
        let err = cache
            .store("k", Validators::default(), &mut &b"hello\n"[..], 5, None)
            .unwrap_err();
        assert_eq!(err, "larger than the limit of 5 bytes");
        let err = cache
            .store(
                "k",
                Validators::default(),
                &mut &b"hello\n"[..],
                100,
                Some("00"),
            )
            .unwrap_err();
        assert_eq!(
            err,
            format!("checksum mismatch: expected sha256 00, got {HELLO_SHA}")
        );
        assert_eq!(cache.lookup("k"), None);
        assert_eq!(fs::read_dir(tmp.path().join("objects")).unwrap().count(), 0);
        assert_eq!(fs::read_dir(tmp.path().join("tmp")).unwrap().count(), 0);
        let ok = cache.store(
            "k",
            Validators::default(),
            &mut &b"hello\n"[..],
            100,
            Some(&HELLO_SHA.to_uppercase()),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn the_server_given_name_is_kept_with_the_record() {
        let tmp = TempDir::new();
        let cache = Cache::open(tmp.path().to_path_buf());
        let entry = cache
            .store_named(
                "https://x/dl?id=1",
                Validators::default(),
                Some("data.csv".into()),
                &mut &b"a,b\n"[..],
                100,
                None,
            )
            .unwrap();
        assert_eq!(entry.name.as_deref(), Some("data.csv"));
        assert_eq!(cache.lookup("https://x/dl?id=1"), Some(entry.clone()));
        // `remember` (after a 304) keeps it too.
        let newer = Entry {
            validators: Validators {
                etag: Some("\"2\"".into()),
                ..Default::default()
            },
            ..entry
        };
        cache.remember("https://x/dl?id=1", &newer).unwrap();
        assert_eq!(cache.lookup("https://x/dl?id=1"), Some(newer));
        // Records written before names existed still read.
        let plain = cache
            .store("k", Validators::default(), &mut &b"x"[..], 100, None)
            .unwrap();
        assert_eq!(plain.name, None);
    }

    #[test]
    fn a_missing_object_is_a_miss_and_materialize_copies() {
        let tmp = TempDir::new();
        let cache = Cache::open(tmp.path().join("c"));
        let entry = cache
            .store("k", Validators::default(), &mut &b"hello\n"[..], 100, None)
            .unwrap();
        let dest = tmp.path().join("guest-file");
        cache.materialize(&entry, &dest).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"hello\n");
        fs::remove_file(&entry.path).unwrap();
        assert_eq!(cache.lookup("k"), None);
    }

    #[test]
    fn a_held_key_waits_for_its_holder_and_others_do_not() {
        let cache = Cache::open(PathBuf::from("/nonexistent/cache"));
        let first = cache.hold("https://x/a");
        // Another key, or another cache's same key, is not held up.
        drop(cache.hold("https://x/b"));
        drop(Cache::open(PathBuf::from("/elsewhere")).hold("https://x/a"));
        let (send, receive) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let cache = Cache::open(PathBuf::from("/nonexistent/cache"));
            let _held = cache.hold("https://x/a");
            send.send(()).unwrap();
        });
        let waited = std::time::Duration::from_millis(100);
        assert!(receive.recv_timeout(waited).is_err(), "held twice at once");
        drop(first);
        receive
            .recv_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        waiter.join().unwrap();
    }

    #[test]
    fn temporary_files_are_private_and_never_shared() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = TempDir::new();
        let cache = Cache::open(tmp.path().join("c"));
        cache.create_dirs().unwrap();
        let (first, _) = cache.tmp_file().unwrap();
        let (second, _) = cache.tmp_file().unwrap();
        assert_ne!(first, second);
        // 64 random bits, not a process id: two containers sharing a cache are both PID 1.
        let name = first.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            name.len() == 16 && name.chars().all(|c| c.is_ascii_hexdigit()),
            "{name}"
        );
        let mode = fs::metadata(&first).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
