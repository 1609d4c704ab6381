//! The open-file table: what each guest file descriptor refers to.
//!
//! Owns: fd numbering (the lowest free number is reused, as POSIX `open` does, so runs are
//! deterministic) and the per-fd state (`fdflags`, rights, read/write mode, the directory
//! fd a path walk starts from, the readdir snapshot). Must not resolve paths or touch guest
//! memory.

use crate::errno::Errno;
use crate::fs::meta::Key;
use crate::fs::mounts::DirLoc;
use crate::fs::{Access, DirEntry};
use crate::rights;
use std::fs::File;
use std::io::{Read, Write};

/// At most this many fds may be open at once (`EMFILE` beyond).
pub const MAX_FDS: usize = 4096;

/// `$fdflags` bits (preview1).
pub mod fdflags {
    /// Append mode: each write goes to the end of the file.
    pub const APPEND: u16 = 1 << 0;
    /// Write according to synchronized I/O data integrity completion.
    pub const DSYNC: u16 = 1 << 1;
    /// Non-blocking mode.
    pub const NONBLOCK: u16 = 1 << 2;
    /// Synchronized read I/O.
    pub const RSYNC: u16 = 1 << 3;
    /// Write according to synchronized I/O file integrity completion.
    pub const SYNC: u16 = 1 << 4;
    /// Every defined bit.
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// An open regular file.
pub struct OpenFile {
    /// The host file.
    pub file: File,
    /// Opened with read access.
    pub readable: bool,
    /// Opened with write access.
    pub writable: bool,
    /// Its host identity, from the stat taken when it was opened: an open file's never
    /// changes, so the writes that virtual metadata records need no stat of their own.
    pub key: Key,
}

/// An open directory (a host directory or a virtual one).
pub struct OpenDir {
    /// Its canonical guest path when it was opened (for mount points below it and `..`).
    pub guest: Vec<String>,
    /// The host directory fd every path walk from this fd starts at, or virtual.
    pub loc: DirLoc,
    /// The name `fd_prestat_dir_name` reports, for preopens only.
    pub preopen: Option<String>,
    /// The listing taken by `fd_readdir` at cookie 0, so later cookies index a stable list.
    pub listing: Option<Vec<DirEntry>>,
}

/// What an fd refers to.
pub enum Object {
    /// A guest input stream (stdin).
    Reader(Box<dyn Read + Send>),
    /// A guest output stream (stdout, stderr).
    Writer(Box<dyn Write + Send>),
    /// A regular file.
    File(OpenFile),
    /// A directory.
    Dir(OpenDir),
}

/// One table slot.
pub struct Entry {
    /// The `$fdflags`: `APPEND` is emulated on files, the `*SYNC` bits were given to the
    /// host at open, `NONBLOCK` is recorded only (regular files never block).
    pub flags: u16,
    /// The `$rights` this fd has (enforced: see `rights`).
    pub rights_base: u64,
    /// The `$rights` fds opened through this one may have.
    pub rights_inheriting: u64,
    /// The access of the mount the object is on: mutations through the fd that do not need
    /// write mode (`fd_filestat_set_times`) go through `fs::ops` of it.
    pub access: Access,
    /// The object.
    pub object: Object,
}

impl Entry {
    /// An entry with no flags and every right its kind of object can use.
    pub fn new(object: Object) -> Self {
        let (base, inheriting) = match &object {
            Object::Reader(_) => (rights::INPUT_STREAM, 0),
            Object::Writer(_) => (rights::OUTPUT_STREAM, 0),
            Object::File(f) => (rights::file(f.readable, f.writable), 0),
            Object::Dir(_) => (rights::DIR, rights::DIR_INHERITING),
        };
        Entry::with_rights(object, base, inheriting)
    }

    /// An entry with no flags and these rights. Its access is what the object proves
    /// (a file open for writing is on a writable mount), else read-only; `path_open` sets
    /// the mount's own.
    pub fn with_rights(object: Object, base: u64, inheriting: u64) -> Self {
        let access = match &object {
            Object::File(f) if f.writable => Access::ReadWrite,
            Object::Reader(_) | Object::Writer(_) => Access::ReadWrite,
            Object::File(_) | Object::Dir(_) => Access::ReadOnly,
        };
        Entry {
            flags: 0,
            rights_base: base,
            rights_inheriting: inheriting,
            access,
            object,
        }
    }

    /// `ENOTCAPABLE` unless this fd holds every right in `need`.
    pub fn require(&self, need: u64) -> Result<(), Errno> {
        rights::require(self.rights_base, need)
    }
}

/// The table.
#[derive(Default)]
pub struct FdTable {
    slots: Vec<Option<Entry>>,
}

impl FdTable {
    /// An empty table.
    pub fn new() -> Self {
        FdTable::default()
    }

    /// Stores `entry` under the lowest free fd.
    pub fn insert(&mut self, entry: Entry) -> Result<u32, Errno> {
        if let Some(i) = self.slots.iter().position(Option::is_none) {
            self.slots[i] = Some(entry);
            return Ok(i as u32);
        }
        if self.slots.len() >= MAX_FDS {
            return Err(Errno::Mfile);
        }
        self.slots.push(Some(entry));
        Ok((self.slots.len() - 1) as u32)
    }

    /// The entry for `fd`, or `EBADF`.
    pub fn get(&mut self, fd: u32) -> Result<&mut Entry, Errno> {
        self.slots
            .get_mut(fd as usize)
            .and_then(Option::as_mut)
            .ok_or(Errno::Badf)
    }

    /// The directory behind `fd`: `EBADF` if none, `ENOTDIR` if it is not a directory.
    pub fn dir(&mut self, fd: u32) -> Result<&mut OpenDir, Errno> {
        match &mut self.get(fd)?.object {
            Object::Dir(d) => Ok(d),
            _ => Err(Errno::Notdir),
        }
    }

    /// Removes `fd`, returning its entry, or `EBADF`.
    pub fn remove(&mut self, fd: u32) -> Result<Entry, Errno> {
        let slot = self.slots.get_mut(fd as usize).ok_or(Errno::Badf)?;
        let entry = slot.take().ok_or(Errno::Badf)?;
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(entry)
    }

    /// Moves the entry of `from` to `to`, returning what `to` held. Both must be open
    /// (`EBADF`), as preview1 `fd_renumber` requires.
    pub fn renumber(&mut self, from: u32, to: u32) -> Result<Option<Entry>, Errno> {
        self.get(from)?;
        self.get(to)?;
        if from == to {
            return Ok(None);
        }
        let entry = self.remove(from)?;
        Ok(self.slots[to as usize].replace(entry))
    }

    /// Every open entry, in fd order.
    pub fn entries_mut(&mut self) -> impl Iterator<Item = &mut Entry> {
        self.slots.iter_mut().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Entry {
        Entry::new(Object::Dir(OpenDir {
            guest: vec![],
            loc: DirLoc::Virtual,
            preopen: None,
            listing: None,
        }))
    }

    #[test]
    fn lowest_free_fd_is_reused() {
        let mut t = FdTable::new();
        for want in 0..5 {
            assert_eq!(t.insert(dir()), Ok(want));
        }
        t.remove(3).unwrap();
        t.remove(1).unwrap();
        assert_eq!(t.insert(dir()), Ok(1));
        assert_eq!(t.insert(dir()), Ok(3));
        assert_eq!(t.insert(dir()), Ok(5));
    }

    #[test]
    fn unknown_fds_are_ebadf() {
        let mut t = FdTable::new();
        assert_eq!(t.get(0).err(), Some(Errno::Badf));
        assert_eq!(t.remove(0).err(), Some(Errno::Badf));
        t.insert(Entry::new(Object::Writer(Box::new(std::io::sink()))))
            .unwrap();
        assert_eq!(t.dir(0).err(), Some(Errno::Notdir));
        t.remove(0).unwrap();
        assert_eq!(t.remove(0).err(), Some(Errno::Badf));
        assert_eq!(t.dir(7).err(), Some(Errno::Badf));
    }

    #[test]
    fn renumber_moves_and_replaces() {
        let mut t = FdTable::new();
        for _ in 0..3 {
            t.insert(dir()).unwrap();
        }
        t.get(0).unwrap().flags = 7;
        assert!(t.renumber(0, 2).unwrap().is_some());
        assert_eq!(t.get(2).unwrap().flags, 7);
        assert_eq!(t.get(0).err(), Some(Errno::Badf));
        assert!(t.renumber(1, 1).unwrap().is_none());
        assert_eq!(t.renumber(0, 1).err(), Some(Errno::Badf));
        assert_eq!(t.renumber(1, 5).err(), Some(Errno::Badf));
        // Removing the last slot may shrink the table; the move must still land.
        assert!(t.renumber(2, 1).unwrap().is_some());
        assert_eq!(t.get(1).unwrap().flags, 7);
    }

    #[test]
    fn rights_are_required_bit_for_bit() {
        let e = Entry::with_rights(Object::Writer(Box::new(std::io::sink())), 0b110, 0);
        assert_eq!(e.require(0b010), Ok(()));
        assert_eq!(e.require(0b110), Ok(()));
        assert_eq!(e.require(0), Ok(()));
        assert_eq!(e.require(0b011), Err(Errno::Notcapable));
        let d = dir();
        assert_eq!(
            (d.rights_base, d.rights_inheriting),
            (rights::DIR, rights::DIR_INHERITING)
        );
    }

    #[test]
    fn table_is_bounded() {
        let mut t = FdTable::new();
        for _ in 0..MAX_FDS {
            t.insert(dir()).unwrap();
        }
        assert_eq!(t.insert(dir()), Err(Errno::Mfile));
    }
}
