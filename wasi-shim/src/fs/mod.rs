//! The guest's filesystem: one namespace composed from host mounts.
//!
//! Owns: the mount table ([`mounts`]), the single path-resolution function ([`resolve`]),
//! host file operations ([`host`]) and the read-only policy ([`readonly`]). Knows nothing
//! of guest memory or file descriptors; `funcs/` translate between those and this module.
//!
//! Layering (after wazero's `sysfs`): every mutation of the host goes through an [`FsOps`]
//! chosen by [`ops`] from the mount's [`Access`], so a read-only mount cannot be written by
//! any code path that forgets to check.

pub mod host;
pub mod mounts;
pub mod readonly;
pub mod resolve;

use crate::errno::Errno;
use std::fs::File;
use std::path::Path;

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
    /// Device id (host metadata for now).
    pub dev: u64,
    /// Inode (host metadata for now).
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
    /// What a virtual directory (a parent of mount points with no host directory) reports.
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
    /// Its inode (host metadata for now; 0 for virtual entries).
    pub ino: u64,
}

/// How `path_open` wants a host file opened.
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
}

impl OpenOptions {
    /// Whether opening this way can change the host filesystem.
    pub fn mutates(&self) -> bool {
        self.write || self.create || self.create_new || self.truncate
    }
}

/// Host operations a mount offers. The read-write implementation is [`host::HostFs`]; the
/// read-only wrapper [`readonly::ReadOnly`] refuses every mutation.
pub trait FsOps: Sync {
    /// Opens (and maybe creates) a regular file.
    fn open(&self, path: &Path, opts: &OpenOptions) -> Result<File, Errno>;
    /// Creates one directory.
    fn create_dir(&self, path: &Path) -> Result<(), Errno>;
    /// Removes a non-directory.
    fn remove_file(&self, path: &Path) -> Result<(), Errno>;
    /// Removes an empty directory.
    fn remove_dir(&self, path: &Path) -> Result<(), Errno>;
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
