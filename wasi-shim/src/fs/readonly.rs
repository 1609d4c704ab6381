//! The read-only policy: a wrapper that refuses every mutation with `EROFS`.
//!
//! Owns: the decision of which operations count as mutations on a read-only mount. Must not
//! do I/O of its own: reads are delegated unchanged to the wrapped filesystem. `EROFS` (69)
//! is what Linux returns for the same calls on a read-only mount, which is what a Bacalhau
//! input volume is; callers see one consistent errno rather than a mix with `ENOTCAPABLE`.

use super::{FsOps, OpenOptions, SetTime};
use crate::errno::Errno;
use std::fs::File;
use std::os::fd::{BorrowedFd, OwnedFd};

/// Wraps `F`, passing reads through and refusing writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOnly<F>(pub F);

impl<F: FsOps> FsOps for ReadOnly<F> {
    fn open(&self, dir: BorrowedFd<'_>, name: &str, opts: &OpenOptions) -> Result<OwnedFd, Errno> {
        if opts.mutates() {
            return Err(Errno::Rofs);
        }
        self.0.open(dir, name, opts)
    }

    fn create_dir(&self, _: BorrowedFd<'_>, _: &str) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn remove_file(&self, _: BorrowedFd<'_>, _: &str) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn remove_dir(&self, _: BorrowedFd<'_>, _: &str) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn rename(&self, _: BorrowedFd<'_>, _: &str, _: BorrowedFd<'_>, _: &str) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn link(&self, _: BorrowedFd<'_>, _: &str, _: BorrowedFd<'_>, _: &str) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn symlink(&self, _: &str, _: BorrowedFd<'_>, _: &str) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn set_times(&self, _: BorrowedFd<'_>, _: &str, _: SetTime, _: SetTime) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn set_times_fd(&self, _: BorrowedFd<'_>, _: SetTime, _: SetTime) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn set_size(&self, _: &File, _: u64) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn allocate(&self, _: &File, _: u64) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::host::{HostFs, open_root, stat_at};
    use crate::testutil::TempDir;
    use std::io::Read;
    use std::os::fd::AsFd;

    #[test]
    fn every_mutation_is_refused_and_the_host_is_unchanged() {
        let tmp = TempDir::new();
        tmp.file("f", b"keep");
        tmp.dir("d");
        let root = open_root(tmp.path()).unwrap();
        let dir = root.as_fd();
        let before = stat_at(dir, "f").unwrap();
        let ro = ReadOnly(HostFs);
        let mutating = [
            OpenOptions {
                write: true,
                ..Default::default()
            },
            OpenOptions {
                read: true,
                truncate: true,
                ..Default::default()
            },
            OpenOptions {
                create: true,
                ..Default::default()
            },
            OpenOptions {
                create_new: true,
                ..Default::default()
            },
        ];
        for opts in mutating {
            assert_eq!(
                ro.open(dir, "f", &opts).err(),
                Some(Errno::Rofs),
                "{opts:?}"
            );
            assert_eq!(ro.open(dir, "new", &opts).err(), Some(Errno::Rofs));
        }
        let file = File::open(tmp.path().join("f")).unwrap();
        let results = [
            ro.create_dir(dir, "nd"),
            ro.remove_file(dir, "f"),
            ro.remove_dir(dir, "d"),
            ro.rename(dir, "f", dir, "g"),
            ro.link(dir, "f", dir, "g"),
            ro.symlink("f", dir, "g"),
            ro.set_times(dir, "f", SetTime::At(1), SetTime::At(1)),
            ro.set_times_fd(file.as_fd(), SetTime::Now, SetTime::Now),
            ro.set_size(&file, 0),
            ro.allocate(&file, 100),
        ];
        for (i, r) in results.into_iter().enumerate() {
            assert_eq!(r, Err(Errno::Rofs), "mutation {i}");
        }
        let after = stat_at(dir, "f").unwrap();
        assert_eq!(
            (after.mtim, after.ctim, after.size),
            (before.mtim, before.ctim, 4)
        );
        assert_eq!(tmp.read("f"), b"keep");
        assert!(tmp.path().join("d").is_dir());
        for gone in ["nd", "new", "g"] {
            assert!(!tmp.path().join(gone).exists(), "{gone}");
        }
    }

    #[test]
    fn reads_pass_through() {
        let tmp = TempDir::new();
        tmp.file("f", b"data");
        let root = open_root(tmp.path()).unwrap();
        let read = OpenOptions {
            read: true,
            ..Default::default()
        };
        let mut s = String::new();
        let fd = ReadOnly(HostFs).open(root.as_fd(), "f", &read).unwrap();
        File::from(fd).read_to_string(&mut s).unwrap();
        assert_eq!(s, "data");
    }
}
