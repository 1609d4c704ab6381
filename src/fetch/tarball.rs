//! Safe expansion of a tar.gz (inline sources) or a plain tar (IPFS gateways) into a new
//! directory.
//!
//! The archive is untrusted. We never use `tar`'s `unpack` helpers: each entry's path is
//! validated component by component and the entry is written by hand, so nothing is created
//! outside the destination. Rules (each refusal names the entry):
//! - paths: no absolute path, no `..` component; `.` and empty components are ignored;
//! - no entry is written through a symlink, and a directory is never replaced, so every parent
//!   of every entry is a real directory inside the destination;
//! - symlinks: the target must be relative, and its `..` components must all come first and
//!   stay inside the destination counted from the link's (real) parent. Because every `..` then
//!   climbs real directories, and every later component descends into the tree or through a link
//!   that obeys the same rule, no link resolves outside, whatever order links are created in;
//! - hard links: the target is an archive path (same rules as entry paths) naming a regular file
//!   already extracted; it is copied, not linked, so its bytes count against the size bound;
//! - devices, fifos, sparse and unknown entry types are refused;
//! - modes: only the owner's bits are kept (no setuid, setgid, sticky, group or other bits);
//!   files stay owner-readable and directories owner-rwx, so the runner can read and remove
//!   them;
//! - size: the decompressed stream (headers included) plus hard-link copies may not exceed the
//!   bound (1 GiB), so a small gzip cannot fill the disk or spin for ever.
//!   (`tar` itself reads a GNU long-name or pax header into memory; the same bound caps it.)

use std::cell::Cell;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::read::GzDecoder;
use tar::{Archive, Entry, EntryType};

use super::io_message;

/// The most an archive may expand to.
pub(crate) const MAX_EXPANDED: u64 = 1 << 30;

/// Expands the tar.gz `gz` into `dest`, which must not exist yet.
pub(crate) fn expand(gz: &[u8], dest: &Path, limit: u64) -> Result<(), String> {
    expand_stream(GzDecoder::new(gz), dest, limit)
}

/// Expands the uncompressed tar read from `tar` into `dest`, which must not exist yet, by the
/// same rules as `expand` (the bound counts the tar stream itself).
pub(crate) fn expand_tar(tar: impl Read, dest: &Path, limit: u64) -> Result<(), String> {
    expand_stream(tar, dest, limit)
}

fn expand_stream(stream: impl Read, dest: &Path, limit: u64) -> Result<(), String> {
    fs::create_dir(dest)
        .map_err(|e| format!("failed to create {}: {}", dest.display(), io_message(&e)))?;
    set_mode(dest, 0o700).map_err(|e| {
        format!(
            "failed to set mode of {}: {}",
            dest.display(),
            io_message(&e)
        )
    })?;
    let budget = Rc::new(Budget {
        used: Cell::new(0),
        limit,
    });
    let reader = Bounded {
        inner: stream,
        budget: Rc::clone(&budget),
    };
    let mut archive = Archive::new(reader);
    let result = Expander {
        root: dest,
        budget: Rc::clone(&budget),
    }
    .run(&mut archive);
    // Running out of budget surfaces as whatever error `tar` wraps it in; say what it was.
    result.map_err(|e| if budget.exceeded() { too_big(limit) } else { e })
}

fn too_big(limit: u64) -> String {
    if limit == MAX_EXPANDED {
        "archive expands to more than 1 GiB".to_string()
    } else {
        format!("archive expands to more than {limit} bytes")
    }
}

/// Bytes expanded so far, shared by the stream reader and hard-link copies.
struct Budget {
    used: Cell<u64>,
    limit: u64,
}

impl Budget {
    /// Counts `n` more bytes; false once past the limit.
    fn charge(&self, n: u64) -> bool {
        self.used.set(self.used.get().saturating_add(n));
        !self.exceeded()
    }

    fn exceeded(&self) -> bool {
        self.used.get() > self.limit
    }
}

/// The decompressed stream, failing once the budget is spent.
struct Bounded<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.budget.charge(n as u64) {
            Ok(n)
        } else {
            Err(io::Error::other(too_big(self.budget.limit)))
        }
    }
}

struct Expander<'a> {
    root: &'a Path,
    budget: Rc<Budget>,
}

impl Expander<'_> {
    fn run<R: Read>(&self, archive: &mut Archive<R>) -> Result<(), String> {
        let corrupt = |e: io::Error| format!("corrupt archive: {}", io_message(&e));
        for entry in archive.entries().map_err(corrupt)? {
            let mut entry = entry.map_err(corrupt)?;
            self.entry(&mut entry)?;
        }
        Ok(())
    }

    fn entry<R: Read>(&self, entry: &mut Entry<'_, R>) -> Result<(), String> {
        let kind = entry.header().entry_type();
        if kind == EntryType::XGlobalHeader {
            return Ok(()); // pax metadata for every entry (mtimes, owners): nothing we keep
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let refuse = |why: String| format!("refused entry `{name}`: {why}");
        let parts = components(&entry.path_bytes()).map_err(|why| refuse(why.to_string()))?;
        if parts.is_empty() {
            return match kind {
                EntryType::Directory => Ok(()), // `./`: the destination itself
                _ => Err(refuse("empty path".to_string())),
            };
        }
        let mode = entry.header().mode().unwrap_or(0o644);
        match kind {
            EntryType::Regular | EntryType::Continuous => {
                let path = self.place(&parts, false).map_err(refuse)?;
                self.write_file(entry, &path, mode).map_err(refuse)
            }
            EntryType::Directory => {
                let path = self.place(&parts, true).map_err(refuse)?;
                if !path.is_dir() {
                    fs::create_dir(&path).map_err(|e| refuse(io_message(&e)))?;
                }
                set_mode(&path, 0o700).map_err(|e| refuse(io_message(&e)))
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                check_symlink_target(parts.len() - 1, &target).map_err(refuse)?;
                let path = self.place(&parts, false).map_err(refuse)?;
                symlink(&target, &path).map_err(refuse)
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                let shown = String::from_utf8_lossy(&target).into_owned();
                let target_parts = components(&target)
                    .map_err(|why| refuse(format!("hard link to `{shown}`: {why}")))?;
                if target_parts == parts || target_parts.is_empty() {
                    return Err(refuse(format!(
                        "hard link to `{shown}`: not an earlier file"
                    )));
                }
                let source = self.existing_file(&target_parts).ok_or_else(|| {
                    refuse(format!(
                        "hard link to `{shown}`, which is not a regular file earlier in the archive"
                    ))
                })?;
                let path = self.place(&parts, false).map_err(refuse)?;
                self.copy_file(&source, &path).map_err(refuse)
            }
            EntryType::Char => Err(refuse("character device".to_string())),
            EntryType::Block => Err(refuse("block device".to_string())),
            EntryType::Fifo => Err(refuse("fifo".to_string())),
            EntryType::GNUSparse => Err(refuse("sparse file".to_string())),
            other => Err(refuse(format!(
                "unsupported entry type `{}`",
                other.as_byte().escape_ascii()
            ))),
        }
    }

    /// The host path for `parts`, after checking (and creating) its parents and clearing the
    /// way for the entry: an existing file or symlink is removed (a later entry wins, as in tar),
    /// an existing directory is kept for a directory entry and refused otherwise.
    fn place(&self, parts: &[Vec<u8>], is_dir: bool) -> Result<PathBuf, String> {
        let (last, parents) = parts.split_last().ok_or("empty path")?;
        let mut path = self.root.to_path_buf();
        for (i, part) in parents.iter().enumerate() {
            path.push(os_name(part)?);
            let shown = || String::from_utf8_lossy(&parts[..=i].join(&b'/')).into_owned();
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(format!("path passes through symlink `{}`", shown()));
                }
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Err(format!("`{}` is not a directory", shown())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // Like tar, missing parents are created implicitly.
                    fs::create_dir(&path).map_err(|e| io_message(&e))?;
                    set_mode(&path, 0o700).map_err(|e| io_message(&e))?;
                }
                Err(e) => return Err(io_message(&e)),
            }
        }
        path.push(os_name(last)?);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() && is_dir => {}
            Ok(meta) if meta.is_dir() => return Err("replaces a directory".to_string()),
            Ok(_) => fs::remove_file(&path).map_err(|e| io_message(&e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_message(&e)),
        }
        Ok(path)
    }

    /// The regular file already extracted at `parts`, reached without following symlinks.
    fn existing_file(&self, parts: &[Vec<u8>]) -> Option<PathBuf> {
        let mut path = self.root.to_path_buf();
        for (i, part) in parts.iter().enumerate() {
            path.push(os_name(part).ok()?);
            let meta = fs::symlink_metadata(&path).ok()?;
            let last = i + 1 == parts.len();
            if (last && !meta.is_file()) || (!last && !meta.is_dir()) {
                return None; // `is_file`/`is_dir` are false for a symlink itself
            }
        }
        Some(path)
    }

    fn write_file<R: Read>(
        &self,
        entry: &mut Entry<'_, R>,
        path: &Path,
        mode: u32,
    ) -> Result<(), String> {
        let size = entry.size();
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true) // never follows a symlink at `path`
            .open(path)
            .map_err(|e| io_message(&e))?;
        let written = io::copy(entry, &mut file)
            .map_err(|e| format!("corrupt archive: {}", io_message(&e)))?;
        if written != size {
            // `tar` ends an entry quietly at the end of the stream.
            return Err(format!("truncated: {written} of {size} bytes"));
        }
        set_mode(path, mode & 0o700 | 0o400).map_err(|e| io_message(&e))
    }

    fn copy_file(&self, source: &Path, path: &Path) -> Result<(), String> {
        let len = fs::metadata(source).map_err(|e| io_message(&e))?.len();
        if !self.budget.charge(len) {
            return Err(too_big(self.budget.limit));
        }
        fs::copy(source, path).map(drop).map_err(|e| io_message(&e))
    }
}

/// The normal components of an archive path, or why the path is refused.
fn components(path: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    if path.first() == Some(&b'/') {
        return Err("absolute path");
    }
    let mut parts = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err("path contains `..`"),
            part => parts.push(part.to_vec()),
        }
    }
    Ok(parts)
}

/// Checks that a symlink at depth `depth` (the number of directories above it) with target
/// `target` stays inside the destination; see the module comment for why this is enough.
fn check_symlink_target(depth: usize, target: &[u8]) -> Result<(), String> {
    let shown = String::from_utf8_lossy(target);
    if target.is_empty() {
        return Err("symlink with an empty target".to_string());
    }
    if target[0] == b'/' {
        return Err(format!("symlink to absolute path `{shown}`"));
    }
    let mut depth = depth;
    let mut descended = false;
    for part in target.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." if descended => {
                return Err(format!("symlink target `{shown}` has `..` after a name"));
            }
            b".." if depth == 0 => {
                return Err(format!("symlink target `{shown}` leaves the archive"));
            }
            b".." => depth -= 1,
            _ => descended = true,
        }
    }
    Ok(())
}

#[cfg(unix)]
fn os_name(part: &[u8]) -> Result<PathBuf, String> {
    use std::os::unix::ffi::OsStrExt;
    Ok(PathBuf::from(std::ffi::OsStr::from_bytes(part)))
}

#[cfg(not(unix))]
fn os_name(part: &[u8]) -> Result<PathBuf, String> {
    match std::str::from_utf8(part) {
        Ok(name) if !name.contains(['\\', ':']) => Ok(PathBuf::from(name)),
        _ => Err("name not representable on this platform".to_string()),
    }
}

#[cfg(unix)]
fn symlink(target: &[u8], path: &Path) -> Result<(), String> {
    std::os::unix::fs::symlink(os_name(target)?, path).map_err(|e| io_message(&e))
}

#[cfg(not(unix))]
fn symlink(_target: &[u8], _path: &Path) -> Result<(), String> {
    Err("symlinks are not supported on this platform".to_string())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests;
