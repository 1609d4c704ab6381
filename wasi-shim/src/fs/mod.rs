//! The guest's filesystem: one namespace composed from host mounts, reached race-free.
//!
//! Owns: the mount table ([`mounts`]), the single path-resolution function ([`resolve`]),
//! host operations on directory fds ([`host`]), the read-only policy ([`readonly`]) and the
//! metadata the guest is shown, the host's or virtual ([`meta`]).
//! Knows nothing of guest memory or file descriptors; `funcs/` translate between those and
//! this module.
//!
//! The sandbox rests on one rule: no host path string is ever handed to the kernel after
//! the context is built. Each mount root is held open as a directory fd; a guest path is
//! walked one component at a time with `openat(dirfd, name, O_NOFOLLOW | O_DIRECTORY)`,
//! symlinks are read with `readlinkat` and resolved by our own walk inside the guest
//! namespace, and every operation is a `*at` call on the directory fd the walk produced and
//! a single final component, never following a symlink. docs/RATIONALE.md ("Why is the
//! sandbox race-free?") gives the argument.
//!
//! Layering (after wazero's `sysfs`): every mutation of the host goes through an [`FsOps`]
//! chosen by [`ops`] from the mount's [`Access`], so a read-only mount cannot be written by
//! any code path that forgets to check.

pub mod host;
pub mod meta;
pub mod mounts;
pub mod readonly;
pub mod resolve;

#[cfg(test)]
mod attack_tests;

use crate::errno::Errno;
use std::fs::File;
use std::os::fd::{BorrowedFd, OwnedFd};

/// How the guest may use a mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// Reads only; every mutation fails with `EROFS`.
    ReadOnly,
    /// Reads and writes pass through to the host.
    ReadWrite,
}

/// What a guest path names, without following a final symlink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Nothing (the parent directory exists).
    Missing,
    /// A directory, on the host or virtual.
    Dir,
    /// Anything else that is not a symlink: a regular file, device, socket...
    File,
    /// A host symlink and its target text, to be resolved inside the guest namespace.
    Symlink(String),
}

/// A preview1 `$filetype` (the full spec enum; not every kind is produced yet).
#[allow(missing_docs, dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FileType {
    Unknown = 0,
    BlockDevice = 1,
    CharacterDevice = 2,
    Directory = 3,
    RegularFile = 4,
    SocketDgram = 5,
    SocketStream = 6,
    SymbolicLink = 7,
}

/// A preview1 `$filestat`, before it is written to guest memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filestat {
    /// Device id.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// File type.
    pub filetype: FileType,
    /// Hard-link count.
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Access time, ns since the epoch.
    pub atim: u64,
    /// Modification time, ns since the epoch.
    pub mtim: u64,
    /// Status-change time, ns since the epoch.
    pub ctim: u64,
}

impl Filestat {
    /// What a virtual directory (a parent of mount points with no host directory) reports
    /// in host mode. Its inode 0, which no host object has, tells [`meta`] what it is.
    pub fn virtual_dir() -> Filestat {
        Filestat {
            dev: 0,
            ino: 0,
            filetype: FileType::Directory,
            nlink: 1,
            size: 0,
            atim: 0,
            mtim: 0,
            ctim: 0,
        }
    }
}

/// One directory entry as `fd_readdir` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name, a single component.
    pub name: String,
    /// Its type, not following symlinks.
    pub filetype: FileType,
    /// Its inode (the host's `d_ino`, or virtual: see [`meta`]; 0 for virtual directories
    /// in host mode).
    pub ino: u64,
}

/// How `path_open` wants a host file opened. The host call always adds `O_NOFOLLOW` and
/// `O_CLOEXEC`: a final symlink is never followed by the kernel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Create if missing (`O_CREAT`).
    pub create: bool,
    /// Create, failing if present (`O_CREAT|O_EXCL`).
    pub create_new: bool,
    /// Truncate to zero length (`O_TRUNC`).
    pub truncate: bool,
    /// Fail unless it is a directory (`O_DIRECTORY`).
    pub directory: bool,
    /// Synchronized I/O data integrity (`O_DSYNC`).
    pub dsync: bool,
    /// Synchronized read I/O (`O_RSYNC`, where the host has it).
    pub rsync: bool,
    /// Synchronized I/O file integrity (`O_SYNC`).
    pub sync: bool,
    /// Do not wait to open (`O_NONBLOCK`): a FIFO without a writer opens at once. For the
    /// embedder's reads (`WasiCtx::read_file`), never the guest's.
    pub nonblock: bool,
}

impl OpenOptions {
    /// Whether opening this way can change the host filesystem.
    pub fn mutates(&self) -> bool {
        self.write || self.create || self.create_new || self.truncate
    }
}

/// A new timestamp for `set_times` (`$fstflags` decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTime {
    /// Leave it as it is.
    Omit,
    /// The host's current time (only when the injected clock offers no realtime).
    Now,
    /// This many nanoseconds since the epoch.
    At(u64),
}

/// Host operations a mount offers, each on a directory fd and one final component (or on
/// an open fd). The read-write implementation is [`host::HostFs`]; the read-only wrapper
/// [`readonly::ReadOnly`] refuses every mutation.
pub trait FsOps: Sync {
    /// Opens (and maybe creates) `name` in `dir`, never following a final symlink.
    fn open(&self, dir: BorrowedFd<'_>, name: &str, opts: &OpenOptions) -> Result<OwnedFd, Errno>;
    /// Creates one directory.
    fn create_dir(&self, dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno>;
    /// Removes a non-directory.
    fn remove_file(&self, dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno>;
    /// Removes an empty directory.
    fn remove_dir(&self, dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno>;
    /// Renames `from` in `from_dir` to `to` in `to_dir` (both on this mount).
    fn rename(
        &self,
        from_dir: BorrowedFd<'_>,
        from: &str,
        to_dir: BorrowedFd<'_>,
        to: &str,
    ) -> Result<(), Errno>;
    /// Makes `to` in `to_dir` a hard link to `from` in `from_dir` (not following `from`).
    fn link(
        &self,
        from_dir: BorrowedFd<'_>,
        from: &str,
        to_dir: BorrowedFd<'_>,
        to: &str,
    ) -> Result<(), Errno>;
    /// Creates a symlink `name` in `dir` whose text is `target`.
    fn symlink(&self, target: &str, dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno>;
    /// Sets the times of `name` in `dir` (of a symlink itself, not its target; `.` is
    /// `dir` itself).
    fn set_times(
        &self,
        dir: BorrowedFd<'_>,
        name: &str,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno>;
    /// Sets the times of an open file.
    fn set_times_fd(&self, fd: BorrowedFd<'_>, atim: SetTime, mtim: SetTime) -> Result<(), Errno>;
    /// Truncates or extends an open file.
    fn set_size(&self, file: &File, size: u64) -> Result<(), Errno>;
    /// Makes sure an open file is at least `end` bytes long.
    fn allocate(&self, file: &File, end: u64) -> Result<(), Errno>;
}

static READ_WRITE: host::HostFs = host::HostFs;
static READ_ONLY: readonly::ReadOnly<host::HostFs> = readonly::ReadOnly(host::HostFs);

/// The operations allowed on a mount with this access.
pub fn ops(access: Access) -> &'static dyn FsOps {
    match access {
        Access::ReadWrite => &READ_WRITE,
        Access::ReadOnly => &READ_ONLY,
    }
}
