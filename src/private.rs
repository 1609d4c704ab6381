//! bolinho's own scratch places on the host: directories only this user may enter (0700) and
//! files only this user may read (0600), under names no one can guess, created exclusively.
//!
//! Owns: naming and creating them. A name built from the process id alone is shared by every
//! container's PID 1 and can be guessed and planted by another user of `/tmp`; an exclusive
//! create (`O_EXCL`, `mkdir`) under a random name never opens, follows or truncates anything
//! that was there before. Must not remove anything: the caller owns what it created.

use std::collections::hash_map::RandomState;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// Creates `parent/PREFIX<random>`, a new directory with mode 0700.
fn create_dir(parent: &Path, prefix: &str) -> io::Result<PathBuf> {
    create(parent, prefix, |path| {
        DirBuilder::new().mode(0o700).create(path)
    })
}

/// Creates `parent/PREFIX<random>`, a new empty file with mode 0600, open for writing.
pub fn create_file(parent: &Path, prefix: &str) -> io::Result<(PathBuf, File)> {
    let mut file = None;
    let path = create(parent, prefix, |path| {
        file = Some(
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?,
        );
        Ok(())
    })?;
    Ok((path, file.expect("created with the path")))
}

/// Tries random names until `make` creates one that did not exist.
fn create(
    parent: &Path,
    prefix: &str,
    mut make: impl FnMut(&Path) -> io::Result<()>,
) -> io::Result<PathBuf> {
    // A clash needs someone to guess 64 random bits; a few tries cover a planted name.
    for _ in 0..16 {
        let path = parent.join(format!("{prefix}{:016x}", random_u64()));
        match make(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("no free name for {prefix}* in {}", parent.display()),
    ))
}

/// 64 bits no other process can predict: std's `RandomState` is keyed from the operating
/// system's random source once per thread, and each use moves its key on.
fn random_u64() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u32(std::process::id());
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(now);
    hasher.finish()
}

/// A private directory removed, with everything in it, when this value is dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new private directory in the system's temporary directory.
    pub fn new(prefix: &str) -> io::Result<TempDir> {
        create_dir(&std::env::temp_dir(), prefix).map(TempDir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn directories_are_private_and_never_reused() {
        let parent = TempDir::new("bolinho-private-test-").unwrap();
        let a = create_dir(parent.path(), "x-").unwrap();
        let b = create_dir(parent.path(), "x-").unwrap();
        assert_ne!(a, b);
        let mode = fs::metadata(&a).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        let name = a.file_name().unwrap().to_str().unwrap();
        assert_eq!(name.len(), "x-".len() + 16, "{name}");
    }

    #[test]
    fn files_are_private_and_a_planted_link_is_never_followed() {
        let parent = TempDir::new("bolinho-private-test-").unwrap();
        let (path, _file) = create_file(parent.path(), "f-").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        // Whatever name an attacker plants, an exclusive create refuses it rather than
        // writing through it: the name taken is always a new one.
        let victim = parent.path().join("victim");
        fs::write(&victim, "keep").unwrap();
        let mut made = 0;
        let result = create(parent.path(), "p-", |path| {
            made += 1;
            if made == 1 {
                std::os::unix::fs::symlink(&victim, path)?;
            }
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map(drop)
        });
        assert!(result.is_ok(), "{result:?}");
        assert_eq!(made, 2, "the planted name was skipped");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
    }

    #[test]
    fn a_temp_dir_is_removed_with_its_contents() {
        let dir = TempDir::new("bolinho-private-test-").unwrap();
        let path = dir.path().to_path_buf();
        fs::write(path.join("f"), "x").unwrap();
        drop(dir);
        assert!(!path.exists());
    }
}
