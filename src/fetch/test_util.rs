//! Test helpers: a temporary directory removed on drop (no `tempfile` crate).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temporary directory, removed (with its contents) on drop.
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub(crate) fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("bolinho-fetch-{}-{n}", std::process::id()));
        // A directory left by a crashed run with the same pid would otherwise fail `create_dir`.
        let _ = fs::remove_dir_all(&path);
        fs::create_dir(&path).expect("create temporary directory");
        TempDir { path }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to `rel` inside the directory, creating parents.
    pub(crate) fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.path.join(rel);
        fs::create_dir_all(path.parent().expect("a parent")).expect("create parents");
        fs::write(&path, bytes).expect("write file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// One entry of a test archive. Names are written raw, so archives can hold what `tar`'s own
/// builder refuses (`../evil`, `/abs`).
pub(crate) enum Entry<'a> {
    File(&'a str, &'a [u8]),
    FileMode(&'a str, &'a [u8], u32),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Char(&'a str),
    Fifo(&'a str),
    /// Any entry type, by its type byte, with no data.
    Kind(&'a str, u8),
}

/// A tar archive of `entries`, in order.
pub(crate) fn tar(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        let (name, kind, data, mode, link): (&str, tar::EntryType, &[u8], u32, &str) = match *entry
        {
            Entry::File(name, data) => (name, tar::EntryType::Regular, data, 0o644, ""),
            Entry::FileMode(name, data, mode) => (name, tar::EntryType::Regular, data, mode, ""),
            Entry::Dir(name) => (name, tar::EntryType::Directory, b"", 0o755, ""),
            Entry::Symlink(name, target) => (name, tar::EntryType::Symlink, b"", 0o777, target),
            Entry::HardLink(name, target) => (name, tar::EntryType::Link, b"", 0o644, target),
            Entry::Char(name) => (name, tar::EntryType::Char, b"", 0o666, ""),
            Entry::Fifo(name) => (name, tar::EntryType::Fifo, b"", 0o644, ""),
            Entry::Kind(name, byte) => (name, tar::EntryType::new(byte), b"", 0o644, ""),
        };
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_link_name_literal(link).expect("short link name");
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(data.len() as u64);
        header.set_mtime(0);
        header.set_cksum();
        builder
            .append(&header, data)
            .expect("append to an in-memory archive");
    }
    builder.into_inner().expect("finish an in-memory archive")
}

/// `tar(entries)`, gzipped.
pub(crate) fn targz(entries: &[Entry<'_>]) -> Vec<u8> {
    gzip(&tar(entries))
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("compress in memory");
    encoder.finish().expect("finish compressing in memory")
}
