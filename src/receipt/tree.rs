//! Hashing a file tree for a receipt: an input as the guest was given it, or an output as the
//! guest left it.
//!
//! Owns: the walk and what each kind of entry is recorded as. Everything below the starting
//! point may have been made by a guest, or by whoever made an input, so nothing found there is
//! trusted: a symbolic link is recorded as a link (the sha256 of its target text) and never
//! followed; a FIFO, socket or device is recorded by its kind and never opened; a file that
//! cannot be opened is recorded as unreadable. The walk goes by directory handles, one
//! `*at` call at a time, so no path is ever longer than one name however deep the tree, and
//! it is bounded in depth and in entries. Files are read in chunks, never whole, on a thread
//! per core once a tree holds more than a few (`files`), and the walk stops between chunks
//! when `stop` says so (a signal while hashing).

mod files;

use std::collections::BTreeMap;
use std::ffi::{CStr, OsStr};
use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use rustix::fs::{AtFlags, CWD, Dir, FileType, Mode, OFlags};
use sha2::{Digest, Sha256};

use files::Files;

/// The deepest directory nesting hashed. Each level holds one open directory while the walk
/// is below it; real trees are a few dozen levels deep.
pub const MAX_DEPTH: usize = 256;

/// How an entry that is not a regular file is recorded.
pub const DIRECTORY: &str = "directory";
pub const UNREADABLE: &str = "unreadable";
pub const SYMLINK_PREFIX: &str = "symlink:";

/// Why a tree could not be hashed.
#[derive(Debug)]
pub enum TreeError {
    /// An entry could not be read; `key` names it as the receipt would.
    Io { key: String, cause: io::Error },
    /// More than `limit` entries in all.
    TooMany { limit: usize },
    /// Directories nested deeper than `MAX_DEPTH` below `key`, where the walk began.
    TooDeep { key: String },
    /// `stop` said to stop.
    Stopped,
}

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TreeError::Io { key, cause } => write!(f, "failed to read {key}: {cause}"),
            TreeError::TooMany { limit } => {
                write!(f, "more than {limit} files, the most a receipt records")
            }
            TreeError::TooDeep { key } => write!(
                f,
                "{key} holds directories nested more than {MAX_DEPTH} deep, the most a receipt \
                 records"
            ),
            TreeError::Stopped => f.write_str("stopped by a signal"),
        }
    }
}

/// One walk, which may cover several trees (every input, or every result), sharing one bound.
pub struct Walk<'a> {
    /// The key of the tree being walked, for `TooDeep`.
    root: String,
    entries: usize,
    limit: usize,
    stop: &'a (dyn Fn() -> bool + Sync),
}

/// The directory an entry is in: where the walk began, or one it opened.
#[derive(Clone, Copy)]
enum Parent<'a> {
    Start,
    Opened(&'a Arc<OwnedFd>),
}

impl<'a> Walk<'a> {
    /// A walk of at most `limit` entries, checking `stop` between entries and chunks.
    pub fn new(limit: usize, stop: &'a (dyn Fn() -> bool + Sync)) -> Self {
        Walk {
            root: String::new(),
            entries: 0,
            limit,
            stop,
        }
    }

    /// Adds what is at `path` (not followed if it is a link), and everything below it if it is
    /// a directory, to `into`, keyed by `key` and, below it, `key/name/...`.
    pub fn hash(
        &mut self,
        path: &Path,
        key: &str,
        into: &mut BTreeMap<String, String>,
    ) -> Result<(), TreeError> {
        self.root = key.to_string();
        let cancel = AtomicBool::new(false);
        let stop = self.stop;
        std::thread::scope(|scope| {
            let mut files = Files::new(scope, stop, &cancel);
            let walked = self.entry(
                Parent::Start,
                path.as_os_str(),
                key.to_string(),
                0,
                into,
                &mut files,
            );
            files.finish(walked, into)
        })
    }

    fn entry(
        &mut self,
        parent: Parent<'_>,
        name: &OsStr,
        key: String,
        depth: usize,
        into: &mut BTreeMap<String, String>,
        files: &mut Files<'_, '_>,
    ) -> Result<(), TreeError> {
        if (self.stop)() {
            return Err(TreeError::Stopped);
        }
        let io = |cause: rustix::io::Errno| TreeError::Io {
            key: key.clone(),
            cause: cause.into(),
        };
        let dir = match parent {
            Parent::Start => CWD,
            Parent::Opened(fd) => fd.as_fd(),
        };
        let stat = rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map_err(io)?;
        let value = match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => {
                self.count()?;
                return match parent {
                    Parent::Start => files.hash_now(dir, name, key, into),
                    Parent::Opened(fd) => files.hash(fd, name, key, into),
                };
            }
            FileType::Symlink => symlink(dir, name).map_err(io)?,
            FileType::Directory => return self.directory(dir, name, key, depth, into, files),
            FileType::Fifo => "fifo".to_string(),
            FileType::Socket => "socket".to_string(),
            FileType::CharacterDevice => "char-device".to_string(),
            FileType::BlockDevice => "block-device".to_string(),
            FileType::Unknown => "unknown".to_string(),
        };
        self.record(key, value, into)
    }

    /// Adds one entry, within the bound. Only what is recorded counts: a directory that is not
    /// empty is recorded by what it holds, and there are never more of those than of their
    /// contents times `MAX_DEPTH`.
    fn record(
        &mut self,
        key: String,
        value: String,
        into: &mut BTreeMap<String, String>,
    ) -> Result<(), TreeError> {
        self.count()?;
        into.insert(key, value);
        Ok(())
    }

    /// Counts one more entry recorded, within the bound.
    fn count(&mut self) -> Result<(), TreeError> {
        self.entries += 1;
        if self.entries > self.limit {
            return Err(TreeError::TooMany { limit: self.limit });
        }
        Ok(())
    }

    fn directory(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        key: String,
        depth: usize,
        into: &mut BTreeMap<String, String>,
        files: &mut Files<'_, '_>,
    ) -> Result<(), TreeError> {
        if depth >= MAX_DEPTH {
            return Err(TreeError::TooDeep {
                key: self.root.clone(),
            });
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd: OwnedFd = match rustix::fs::openat(dir, name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM) => {
                return self.record(key, UNREADABLE.to_string(), into);
            }
            Err(e) => {
                return Err(TreeError::Io {
                    key,
                    cause: e.into(),
                });
            }
        };
        let names = list(&fd).map_err(|e| TreeError::Io {
            key: key.clone(),
            cause: e.into(),
        })?;
        if names.is_empty() {
            return self.record(key, DIRECTORY.to_string(), into);
        }
        // Shared with the hashing threads, which may still read its files after this returns.
        let fd = Arc::new(fd);
        for name in names {
            let name = OsStr::from_bytes(name.to_bytes());
            let child = join(&key, name);
            self.entry(Parent::Opened(&fd), name, child, depth + 1, into, files)?;
        }
        Ok(())
    }
}

/// The names in a directory, sorted by their bytes, without `.` and `..`.
fn list(fd: &OwnedFd) -> rustix::io::Result<Vec<std::ffi::CString>> {
    let mut names = Vec::new();
    for entry in Dir::read_from(fd)? {
        let entry = entry?;
        let name: &CStr = entry.file_name();
        if name != c"." && name != c".." {
            names.push(name.to_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// `symlink:sha256:HEX` of a link's target text.
fn symlink(dir: BorrowedFd<'_>, name: &OsStr) -> rustix::io::Result<String> {
    let target = rustix::fs::readlinkat(dir, name, Vec::new())?;
    let mut hasher = Sha256::new();
    hasher.update(target.as_bytes());
    Ok(format!("{SYMLINK_PREFIX}{}", digest(hasher)))
}

fn digest(hasher: Sha256) -> String {
    format!("sha256:{}", crate::fetch::cache::hex(&hasher.finalize()))
}

/// `key/name`, with any byte of `name` that is not UTF-8 written `\xNN` (and `\` itself
/// `\\`), so that two different names never make the same key.
fn join(key: &str, name: &OsStr) -> String {
    let mut out = String::with_capacity(key.len() + 1 + name.len());
    out.push_str(key);
    if !key.ends_with('/') {
        out.push('/');
    }
    for chunk in name.as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out
}

/// One entry of a receipt's tree, read back from its value (a receipt may come from anyone:
/// what is not one of the forms `Walk` writes is `Other`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A regular file: the lower-case hex sha256 of its bytes.
    File(&'a str),
    /// A symbolic link: the lower-case hex sha256 of its target's text.
    Symlink(&'a str),
    /// An empty directory.
    Directory,
    /// Anything else: `unreadable`, a FIFO, socket or device, or a value `Walk` never writes.
    Other(&'a str),
}

impl<'a> Entry<'a> {
    pub fn parse(value: &'a str) -> Entry<'a> {
        if value == DIRECTORY {
            return Entry::Directory;
        }
        let link = value.strip_prefix(SYMLINK_PREFIX);
        match (
            link,
            link.and_then(super::digest_hex),
            super::digest_hex(value),
        ) {
            (Some(_), Some(hex), _) => Entry::Symlink(hex),
            (None, _, Some(hex)) => Entry::File(hex),
            _ => Entry::Other(value),
        }
    }
}

/// The names of the path `rel` (a key's part below where its walk began, without the leading
/// `/`), as `join` wrote them: `\xNN` back to the byte, `\\` back to `\`. Empty for the
/// walk's starting point itself. Refuses what `join` never writes and what could name another
/// place: an empty name, `.`, `..`, a `/` or NUL byte, a stray `\`.
pub fn split_key(rel: &str) -> Result<Vec<std::ffi::OsString>, String> {
    if rel.is_empty() {
        return Ok(Vec::new());
    }
    rel.split('/').map(unescape).collect()
}

fn unescape(name: &str) -> Result<std::ffi::OsString, String> {
    let bad = |why: &str| Err(format!("the name `{}` {why}", name.escape_debug()));
    if name.is_empty() || name == "." || name == ".." {
        return bad("is not a file name");
    }
    let mut bytes = Vec::with_capacity(name.len());
    let mut rest = name.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        rest = tail;
        if first != b'\\' {
            bytes.push(first);
            continue;
        }
        match rest {
            [b'\\', tail @ ..] => {
                bytes.push(b'\\');
                rest = tail;
            }
            [b'x', tail @ ..] => {
                let (hex, tail) = tail.split_at(tail.len().min(2));
                let byte = std::str::from_utf8(hex)
                    .ok()
                    .filter(|h| h.len() == 2 && h.bytes().all(|b| b.is_ascii_hexdigit()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match byte {
                    Some(byte) => bytes.push(byte),
                    None => return bad("holds a `\\x` escape without two hex digits"),
                }
                rest = tail;
            }
            _ => return bad("holds a `\\` that does not start an escape"),
        }
    }
    if bytes.contains(&b'/') || bytes.contains(&0) {
        return bad("holds a `/` or NUL byte");
    }
    Ok(std::ffi::OsString::from_vec(bytes))
}

/// Opens the regular file at `rel` (a key's part below `root`, as `split_key` reads it)
/// without following a link anywhere below `root`, and without waiting on a FIFO: the key may
/// come from a receipt someone else wrote, and the tree from a guest.
pub fn open_file(root: &Path, rel: &str) -> io::Result<std::fs::File> {
    let (parent, name) = parent_dir(root, rel)?;
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = match &name {
        Some(name) => rustix::fs::openat(&parent, name, flags | OFlags::CLOEXEC, Mode::empty())?,
        None => parent,
    };
    let stat = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(fd.into())
}

/// The target text of the link at `rel` below `root`, read without following any link.
pub fn read_link(root: &Path, rel: &str) -> io::Result<Vec<u8>> {
    match parent_dir(root, rel)? {
        (parent, Some(name)) => {
            Ok(rustix::fs::readlinkat(&parent, &name, Vec::new())?.into_bytes())
        }
        (_, None) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the starting point is not a link",
        )),
    }
}

/// The directory holding `rel` below `root`, opened name by name without following links,
/// and the last name (none for `root` itself, which is then opened as it is: the caller named
/// it).
fn parent_dir(root: &Path, rel: &str) -> io::Result<(OwnedFd, Option<std::ffi::OsString>)> {
    let mut names = split_key(rel).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let last = names.pop();
    let open = OFlags::RDONLY | OFlags::CLOEXEC;
    let first = if last.is_some() {
        open | OFlags::DIRECTORY
    } else {
        open | OFlags::NONBLOCK
    };
    let mut dir = rustix::fs::open(root, first, Mode::empty())?;
    for name in &names {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        dir = rustix::fs::openat(&dir, name.as_os_str(), flags, Mode::empty())?;
    }
    Ok((dir, last))
}

#[cfg(test)]
#[path = "tree_tests.rs"]
mod tests;
