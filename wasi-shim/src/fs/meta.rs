//! File metadata as the guest sees it: the host's, or virtual for runs that must give the same
//! metadata again (deterministic runs, and runs recorded for replay).
//!
//! Owns: what `fd_filestat_get`, `path_filestat_get` and `fd_readdir`'s `d_ino` report, and
//! the bookkeeping that makes virtual metadata a function of the guest's own actions and the
//! files' contents (docs/RATIONALE.md, "Why virtual file metadata?"). Must not resolve paths
//! or change the host: callers hand it the host's filestats, the identities ([`Key`]) of what
//! they are about to change, and then what they changed ([`Change`]).
//!
//! In host mode (the default) every call returns at once, with no system call: the guest sees
//! the host's filestat. In virtual mode:
//! - an inode number is counted from 1 in the order the guest first meets each host object,
//!   keyed by host (device, inode): hard links share one, a rename keeps it. A directory with
//!   no host object (a parent of mount points) is keyed by its guest path, which cannot change;
//! - the device is [`VIRTUAL_DEV`] for everything: the numbers are unique across mounts;
//! - what existed before the run reads as made at the clock's epoch; what the guest creates
//!   gets the clock's realtime then, writes set `mtim` and `ctim`, adding or removing an entry
//!   sets them on its directory, `*_set_times` set the guest's values. Reads change nothing
//!   (as `noatime`). Each change reads the clock once;
//! - a directory's size is 0 and its link count 1 (both vary between host filesystems); any
//!   other object has its real size and the links the guest can account for: 1 when first
//!   met, one more per `path_link`, one less per removal (the host's count includes names
//!   outside the guest's view, such as a hard link a runner made to hand it a file);
//! - the guest removing an object's last link forgets its record, and creating an object
//!   always starts a new one, so a host inode reused for a new file never lends it the old
//!   file's number or times.

use super::{FileType, Filestat, SetTime, host};
use crate::clock::{Clock, ClockId};
use crate::errno::Errno;
use std::collections::HashMap;
use std::os::fd::BorrowedFd;

/// The device number of everything in virtual mode.
pub const VIRTUAL_DEV: u64 = 1;

/// A host object's identity: its device and inode numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    dev: u64,
    ino: u64,
}

impl Key {
    /// The identity of the object `st` describes.
    pub(crate) fn of(st: &Filestat) -> Key {
        Key {
            dev: st.dev,
            ino: st.ino,
        }
    }
}

/// A change the guest made to the host. Identities are taken before the change (only a new
/// object's after), so that recording it cannot fail; they are `None` in host mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The contents changed: a write, a truncation, a resize.
    Data(Option<Key>),
    /// The times were set; `now` is the clock reading the `_NOW` flags used.
    Times {
        /// The object.
        of: Option<Key>,
        /// The new access time.
        atim: SetTime,
        /// The new modification time.
        mtim: SetTime,
        /// The clock's realtime at the call.
        now: Option<u64>,
    },
    /// `new` was created in directory `parent`.
    Created {
        /// The new object.
        new: Option<Key>,
        /// Its directory.
        parent: Option<Key>,
    },
    /// A hard link to `target` was added to directory `parent`.
    Linked {
        /// The object linked.
        target: Option<Key>,
        /// The directory of the new name.
        parent: Option<Key>,
    },
    /// One name of `gone` was removed from directory `parent`.
    Removed {
        /// The object whose name was removed.
        gone: Option<Key>,
        /// Its directory.
        parent: Option<Key>,
    },
    /// `moved` went from directory `from` to `to`, replacing `replaced` if anything was there.
    Renamed {
        /// The object renamed.
        moved: Option<Key>,
        /// What the new name named before.
        replaced: Option<Key>,
        /// The old name's directory.
        from: Option<Key>,
        /// The new name's directory.
        to: Option<Key>,
    },
}

/// What the guest is shown of one host object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    ino: u64,
    links: u64,
    atim: u64,
    mtim: u64,
    ctim: u64,
}

/// The virtual metadata of one run.
#[derive(Debug)]
pub struct Table {
    epoch: u64,
    last_ino: u64,
    objects: HashMap<Key, Record>,
    virtual_dirs: HashMap<Vec<String>, u64>,
}

impl Table {
    /// The record of `key`, made on first sight. What the guest did not create existed
    /// before the run, so it dates from the epoch.
    fn record(&mut self, key: Key) -> &mut Record {
        let (epoch, last) = (self.epoch, &mut self.last_ino);
        self.objects.entry(key).or_insert_with(|| {
            *last += 1;
            Record {
                ino: *last,
                links: 1,
                atim: epoch,
                mtim: epoch,
                ctim: epoch,
            }
        })
    }

    /// A new record for what the guest just created, replacing any left by a host inode the
    /// guest did not see go.
    fn create(&mut self, key: Key, now: u64) {
        self.last_ino += 1;
        let record = Record {
            ino: self.last_ino,
            links: 1,
            atim: now,
            mtim: now,
            ctim: now,
        };
        self.objects.insert(key, record);
    }

    /// Contents (or entries) changed: `mtim` and `ctim` are now.
    fn touch(&mut self, key: Option<Key>, now: u64) {
        if let Some(key) = key {
            let r = self.record(key);
            (r.mtim, r.ctim) = (now, now);
        }
    }

    /// One link of `key` is gone: its record is forgotten with the last, which also leaves a
    /// removed directory (one link here) no record.
    fn unlink(&mut self, key: Option<Key>, now: u64) {
        let Some(key) = key else { return };
        match self.objects.get_mut(&key) {
            Some(r) if r.links > 1 => (r.links, r.ctim) = (r.links - 1, now),
            Some(_) => {
                self.objects.remove(&key);
            }
            None => {}
        }
    }
}

/// Which metadata the guest sees, and in virtual mode the table.
#[derive(Debug)]
pub enum Meta {
    /// The host's, unchanged.
    Host,
    /// Virtual (see the module comment).
    Virtual(Table),
}

impl Meta {
    /// Virtual metadata dating what exists before the run from `epoch` (ns since 1970).
    pub fn virtual_from(epoch: u64) -> Meta {
        Meta::Virtual(Table {
            epoch,
            last_ino: 0,
            objects: HashMap::new(),
            virtual_dirs: HashMap::new(),
        })
    }

    /// Whether metadata is virtual.
    pub fn is_virtual(&self) -> bool {
        matches!(self, Meta::Virtual(_))
    }

    /// What the guest is shown for `st`, the host filestat of the object at guest path
    /// `guest`. A directory with no host object is [`Filestat::virtual_dir`], inode 0, which
    /// no host object has; it is told apart by that and named by `guest`.
    pub fn show(&mut self, guest: &[String], st: Filestat) -> Filestat {
        let Meta::Virtual(t) = self else { return st };
        let dir = st.filetype == FileType::Directory;
        let r = if st.ino == 0 && dir {
            let (epoch, last) = (t.epoch, &mut t.last_ino);
            let ino = *t.virtual_dirs.entry(guest.to_vec()).or_insert_with(|| {
                *last += 1;
                *last
            });
            Record {
                ino,
                links: 1,
                atim: epoch,
                mtim: epoch,
                ctim: epoch,
            }
        } else {
            *t.record(Key::of(&st))
        };
        Filestat {
            dev: VIRTUAL_DEV,
            ino: r.ino,
            filetype: st.filetype,
            nlink: if dir { 1 } else { r.links },
            size: if dir { 0 } else { st.size },
            atim: r.atim,
            mtim: r.mtim,
            ctim: r.ctim,
        }
    }

    /// The identity of the open file or directory `fd`; `None` in host mode.
    pub fn key_fd(&self, fd: BorrowedFd<'_>) -> Result<Option<Key>, Errno> {
        match self {
            Meta::Host => Ok(None),
            Meta::Virtual(_) => Ok(Some(Key::of(&host::stat_fd(fd)?))),
        }
    }

    /// The identity of `name` in `dir` (not following a symlink; `.` is `dir`); `None` in
    /// host mode.
    pub fn key_at(&self, dir: BorrowedFd<'_>, name: &str) -> Result<Option<Key>, Errno> {
        match self {
            Meta::Host => Ok(None),
            Meta::Virtual(_) => Ok(Some(Key::of(&host::stat_at(dir, name)?))),
        }
    }

    /// The identity in a filestat already taken; `None` in host mode.
    pub fn key_of(&self, st: &Filestat) -> Option<Key> {
        self.is_virtual().then(|| Key::of(st))
    }

    /// An open file's identity, known since it was opened (`OpenFile::key`), to record a
    /// change by; `None` in host mode.
    pub fn key_of_open(&self, key: Key) -> Option<Key> {
        self.is_virtual().then_some(key)
    }

    /// Records a change the guest made, reading the clock once (`Times` brings its reading).
    pub fn record(&mut self, change: Change, clock: &dyn Clock) {
        let Meta::Virtual(t) = self else { return };
        let now = match change {
            Change::Times { now, .. } => now,
            _ => clock.now(ClockId::Realtime),
        };
        let now = now.unwrap_or(t.epoch);
        match change {
            Change::Data(key) => t.touch(key, now),
            Change::Times { of, atim, mtim, .. } => {
                if let Some(key) = of {
                    let r = t.record(key);
                    let value = |set, old| match set {
                        SetTime::Omit => old,
                        SetTime::Now => now,
                        SetTime::At(ns) => ns,
                    };
                    (r.atim, r.mtim, r.ctim) = (value(atim, r.atim), value(mtim, r.mtim), now);
                }
            }
            Change::Created { new, parent } => {
                if let Some(key) = new {
                    t.create(key, now);
                }
                t.touch(parent, now);
            }
            Change::Linked { target, parent } => {
                if let Some(key) = target {
                    let r = t.record(key);
                    (r.links, r.ctim) = (r.links + 1, now);
                }
                t.touch(parent, now);
            }
            Change::Removed { gone, parent } => {
                t.unlink(gone, now);
                t.touch(parent, now);
            }
            // Renaming a name onto another name of the same object does nothing (POSIX).
            Change::Renamed {
                moved, replaced, ..
            } if replaced.is_some() && replaced == moved => {}
            Change::Renamed {
                replaced, from, to, ..
            } => {
                t.unlink(replaced, now);
                t.touch(from, now);
                t.touch(to, now);
            }
        }
    }
}

#[cfg(test)]
#[path = "meta_tests.rs"]
mod tests;
