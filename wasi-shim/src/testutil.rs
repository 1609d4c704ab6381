//! Test helpers: a temporary host directory and a context builder over it.
//!
//! Owns nothing at run time; compiled only for tests. No `tempfile` crate: a directory
//! under `std::env::temp_dir()` with a unique name, removed on drop.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A host directory removed (recursively) when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// A fresh, empty directory.
    pub fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("wasi-shim-test-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    /// The directory's host path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes a file at `rel` (parents must exist).
    pub fn file(&self, rel: &str, data: &[u8]) {
        std::fs::write(self.path.join(rel), data).expect("write temp file");
    }

    /// Creates a directory at `rel`.
    pub fn dir(&self, rel: &str) {
        std::fs::create_dir_all(self.path.join(rel)).expect("create temp subdir");
    }

    /// Reads the file at `rel`.
    pub fn read(&self, rel: &str) -> Vec<u8> {
        std::fs::read(self.path.join(rel)).expect("read temp file")
    }

    /// Creates a symlink at `rel` whose target text is `target`.
    #[cfg(unix)]
    pub fn symlink(&self, target: &str, rel: &str) {
        std::os::unix::fs::symlink(target, self.path.join(rel)).expect("create symlink");
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A guest memory image filled with the marker byte `?`, so tests can assert both the
/// bytes a call wrote and that its neighbours were untouched.
pub fn marked(len: usize) -> Vec<u8> {
    vec![b'?'; len]
}
