//! The read-only policy: a wrapper that refuses every mutation with `EROFS`.
//!
//! Owns: the decision of which operations count as mutations on a read-only mount. Must not
//! do I/O of its own: reads are delegated unchanged to the wrapped filesystem. `EROFS` (69)
//! is what Linux returns for the same calls on a read-only mount, which is what a Bacalhau
//! input volume is; callers see one consistent errno rather than a mix with `ENOTCAPABLE`.

use super::{FsOps, OpenOptions};
use crate::errno::Errno;
use std::fs::File;
use std::path::Path;

/// Wraps `F`, passing reads through and refusing writes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOnly<F>(pub F);

impl<F: FsOps> FsOps for ReadOnly<F> {
    fn open(&self, path: &Path, opts: &OpenOptions) -> Result<File, Errno> {
        if opts.mutates() {
            return Err(Errno::Rofs);
        }
        self.0.open(path, opts)
    }

    fn create_dir(&self, _path: &Path) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn remove_file(&self, _path: &Path) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }

    fn remove_dir(&self, _path: &Path) -> Result<(), Errno> {
        Err(Errno::Rofs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::host::HostFs;
    use crate::testutil::TempDir;
    use std::io::Read;

    #[test]
    fn every_mutation_is_refused_and_the_host_is_unchanged() {
        let tmp = TempDir::new();
        tmp.file("f", b"keep");
        tmp.dir("d");
        let ro = ReadOnly(HostFs);
        let f = tmp.path().join("f");
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
            assert_eq!(ro.open(&f, &opts).err(), Some(Errno::Rofs), "{opts:?}");
            assert_eq!(
                ro.open(&tmp.path().join("new"), &opts).err(),
                Some(Errno::Rofs)
            );
        }
        assert_eq!(ro.create_dir(&tmp.path().join("nd")), Err(Errno::Rofs));
        assert_eq!(ro.remove_file(&f), Err(Errno::Rofs));
        assert_eq!(ro.remove_dir(&tmp.path().join("d")), Err(Errno::Rofs));
        assert_eq!(std::fs::read(&f).unwrap(), b"keep");
        assert!(tmp.path().join("d").is_dir());
        assert!(!tmp.path().join("nd").exists());
        assert!(!tmp.path().join("new").exists());
    }

    #[test]
    fn reads_pass_through() {
        let tmp = TempDir::new();
        tmp.file("f", b"data");
        let read = OpenOptions {
            read: true,
            ..Default::default()
        };
        let mut s = String::new();
        ReadOnly(HostFs)
            .open(&tmp.path().join("f"), &read)
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert_eq!(s, "data");
    }
}
