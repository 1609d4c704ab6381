//! Host filesystem calls on directory fds: the only code that makes `*at` system calls.
//!
//! Owns: every call into the kernel's filesystem API after the context is built (through
//! rustix), always as a directory fd plus one validated component, never following a final
//! symlink; and the translation of host metadata into preview1 terms. Must not resolve
//! guest paths or decide policy: `resolve` walks, `readonly` refuses.
//!
//! Directory fds for walking are opened with `O_PATH` on Linux (search permission is all a
//! walk needs, as for the kernel's own lookup) and `O_RDONLY` elsewhere; listing reopens
//! `.` for reading.

use super::{DirEntry, FileType, Filestat, FsOps, Node, OpenOptions, SetTime};
use crate::errno::Errno;
use rustix::fs::{self as rfs, AtFlags, Mode, OFlags, Timespec, Timestamps};
use std::fs::File;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::Path;

/// Flags of a directory fd used for walking and as the base of `*at` calls.
#[cfg(any(target_os = "linux", target_os = "android"))]
const DIR_FLAGS: OFlags = OFlags::PATH
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// The read-write host filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostFs;

fn timespec(t: SetTime) -> Timespec {
    match t {
        SetTime::Omit => Timespec {
            tv_sec: 0,
            tv_nsec: rfs::UTIME_OMIT,
        },
        SetTime::Now => Timespec {
            tv_sec: 0,
            tv_nsec: rfs::UTIME_NOW,
        },
        SetTime::At(ns) => Timespec {
            tv_sec: (ns / 1_000_000_000) as _,
            tv_nsec: (ns % 1_000_000_000) as _,
        },
    }
}

fn timestamps(atim: SetTime, mtim: SetTime) -> Timestamps {
    Timestamps {
        last_access: timespec(atim),
        last_modification: timespec(mtim),
    }
}

impl FsOps for HostFs {
    fn open(&self, dir: BorrowedFd<'_>, name: &str, opts: &OpenOptions) -> Result<OwnedFd, Errno> {
        let mut flags = OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
        flags |= match (opts.read, opts.write) {
            (true, true) => OFlags::RDWR,
            (false, true) => OFlags::WRONLY,
            (_, false) => OFlags::RDONLY,
        };
        let pairs = [
            (opts.create, OFlags::CREATE),
            (opts.create_new, OFlags::CREATE | OFlags::EXCL),
            // POSIX leaves O_TRUNC without write access unspecified; Linux truncates.
            (opts.truncate, OFlags::TRUNC),
            (opts.directory, OFlags::DIRECTORY),
            (opts.dsync, OFlags::DSYNC),
            (opts.sync, OFlags::SYNC),
            (opts.nonblock, OFlags::NONBLOCK),
        ];
        for (on, f) in pairs {
            if on {
                flags |= f;
            }
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if opts.rsync {
            flags |= OFlags::RSYNC;
        }
        Ok(rfs::openat(dir, name, flags, Mode::from(0o666))?)
    }

    fn create_dir(&self, dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
        Ok(rfs::mkdirat(dir, name, Mode::from(0o777))?)
    }

    fn remove_file(&self, dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
        Ok(rfs::unlinkat(dir, name, AtFlags::empty())?)
    }

    fn remove_dir(&self, dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
        Ok(rfs::unlinkat(dir, name, AtFlags::REMOVEDIR)?)
    }

    fn rename(
        &self,
        from_dir: BorrowedFd<'_>,
        from: &str,
        to_dir: BorrowedFd<'_>,
        to: &str,
    ) -> Result<(), Errno> {
        Ok(rfs::renameat(from_dir, from, to_dir, to)?)
    }

    fn link(
        &self,
        from_dir: BorrowedFd<'_>,
        from: &str,
        to_dir: BorrowedFd<'_>,
        to: &str,
    ) -> Result<(), Errno> {
        // No AT_SYMLINK_FOLLOW: a symlink is linked as itself, never dereferenced by the host.
        Ok(rfs::linkat(from_dir, from, to_dir, to, AtFlags::empty())?)
    }

    fn symlink(&self, target: &str, dir: BorrowedFd<'_>, name: &str) -> Result<(), Errno> {
        Ok(rfs::symlinkat(target, dir, name)?)
    }

    fn set_times(
        &self,
        dir: BorrowedFd<'_>,
        name: &str,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), Errno> {
        let times = timestamps(atim, mtim);
        Ok(rfs::utimensat(
            dir,
            name,
            &times,
            AtFlags::SYMLINK_NOFOLLOW,
        )?)
    }

    fn set_times_fd(&self, fd: BorrowedFd<'_>, atim: SetTime, mtim: SetTime) -> Result<(), Errno> {
        Ok(rfs::futimens(fd, &timestamps(atim, mtim))?)
    }

    fn set_size(&self, file: &File, size: u64) -> Result<(), Errno> {
        Ok(file.set_len(size)?)
    }

    fn allocate(&self, file: &File, end: u64) -> Result<(), Errno> {
        if rfs::fstat(file)?.st_size as u64 >= end {
            return Ok(());
        }
        Ok(file.set_len(end)?)
    }
}

/// Opens a mount's host directory at build time. This is the only lookup of a host path
/// string, and it follows symlinks: the operator chose the path (`/tmp` may be a link).
pub fn open_root(path: &Path) -> Result<OwnedFd, std::io::Error> {
    let flags = DIR_FLAGS.difference(OFlags::NOFOLLOW);
    Ok(rfs::open(path, flags, Mode::empty())?)
}

/// Opens the directory `name` in `dir` for walking, refusing a symlink (`ENOTDIR` or
/// `ELOOP`) and anything that is not a directory (`ENOTDIR`).
pub fn open_dir(dir: BorrowedFd<'_>, name: &str) -> Result<OwnedFd, Errno> {
    Ok(rfs::openat(dir, name, DIR_FLAGS, Mode::empty())?)
}

/// What `name` in `dir` is, not following a symlink (whose text is read with `readlinkat`).
pub fn node(dir: BorrowedFd<'_>, name: &str) -> Result<Node, Errno> {
    let st = match rfs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(rustix::io::Errno::NOENT) => return Ok(Node::Missing),
        Err(e) => return Err(e.into()),
    };
    Ok(match rfs::FileType::from_raw_mode(st.st_mode as _) {
        rfs::FileType::Directory => Node::Dir,
        rfs::FileType::Symlink => Node::Symlink(read_link(dir, name)?),
        _ => Node::File,
    })
}

/// The text of the symlink `name` in `dir`.
pub fn read_link(dir: BorrowedFd<'_>, name: &str) -> Result<String, Errno> {
    let text = rfs::readlinkat(dir, name, Vec::new())?;
    text.into_string().map_err(|_| Errno::Ilseq)
}

/// The filestat of `name` in `dir`, not following a symlink.
pub fn stat_at(dir: BorrowedFd<'_>, name: &str) -> Result<Filestat, Errno> {
    Ok(filestat(&rfs::statat(
        dir,
        name,
        AtFlags::SYMLINK_NOFOLLOW,
    )?))
}

/// The filestat of an open fd.
pub fn stat_fd(fd: BorrowedFd<'_>) -> Result<Filestat, Errno> {
    Ok(filestat(&rfs::fstat(fd)?))
}

fn filetype_of(ft: rfs::FileType) -> FileType {
    match ft {
        rfs::FileType::RegularFile => FileType::RegularFile,
        rfs::FileType::Directory => FileType::Directory,
        rfs::FileType::Symlink => FileType::SymbolicLink,
        rfs::FileType::BlockDevice => FileType::BlockDevice,
        rfs::FileType::CharacterDevice => FileType::CharacterDevice,
        rfs::FileType::Socket => FileType::SocketStream,
        _ => FileType::Unknown,
    }
}

/// Seconds and nanoseconds as nanoseconds since the epoch (times before it read as 0).
fn nanos(sec: i64, nsec: i64) -> u64 {
    u64::try_from(sec)
        .ok()
        .and_then(|s| s.checked_mul(1_000_000_000))
        .and_then(|n| n.checked_add(u64::try_from(nsec).unwrap_or(0)))
        .unwrap_or(0)
}

/// Host metadata as a preview1 filestat, all of it the host's (`meta` shows the guest
/// virtual metadata instead when asked).
#[allow(clippy::unnecessary_cast)] // The field types differ between hosts.
pub fn filestat(st: &rfs::Stat) -> Filestat {
    Filestat {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
        filetype: filetype_of(rfs::FileType::from_raw_mode(st.st_mode as _)),
        nlink: st.st_nlink as u64,
        size: st.st_size.max(0) as u64,
        atim: nanos(st.st_atime as i64, st.st_atime_nsec as i64),
        mtim: nanos(st.st_mtime as i64, st.st_mtime_nsec as i64),
        ctim: nanos(st.st_ctime as i64, st.st_ctime_nsec as i64),
    }
}

/// The entries of the host directory `dir`, unsorted, without `.` and `..`. Names that are
/// not UTF-8 are skipped: the guest could not name them in any path call.
pub fn list_dir(dir: BorrowedFd<'_>) -> Result<Vec<DirEntry>, Errno> {
    let readable = rfs::openat(
        dir,
        ".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut out = Vec::new();
    for entry in rfs::Dir::new(readable)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if name == "." || name == ".." {
            continue;
        }
        let filetype = match entry.file_type() {
            rfs::FileType::Unknown => stat_at(dir, name)?.filetype,
            ft => filetype_of(ft),
        };
        out.push(DirEntry {
            name: name.to_string(),
            filetype,
            ino: entry.ino(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;
    use std::os::fd::AsFd;

    fn root(tmp: &TempDir) -> OwnedFd {
        open_root(tmp.path()).unwrap()
    }

    #[test]
    fn create_without_write_creates_then_opens_for_reading() {
        let tmp = TempDir::new();
        let dir = root(&tmp);
        let opts = OpenOptions {
            read: true,
            create: true,
            ..OpenOptions::default()
        };
        HostFs.open(dir.as_fd(), "new", &opts).unwrap();
        assert_eq!(tmp.read("new"), b"");
        let excl = OpenOptions {
            create_new: true,
            ..OpenOptions::default()
        };
        assert_eq!(
            HostFs.open(dir.as_fd(), "new", &excl).err(),
            Some(Errno::Exist)
        );
    }

    #[test]
    fn node_reports_missing_dir_file_and_symlink() {
        let tmp = TempDir::new();
        tmp.file("f", b"x");
        tmp.dir("d");
        tmp.symlink("f", "l");
        let dir = root(&tmp);
        assert_eq!(node(dir.as_fd(), "nope"), Ok(Node::Missing));
        assert_eq!(node(dir.as_fd(), "f"), Ok(Node::File));
        assert_eq!(node(dir.as_fd(), "d"), Ok(Node::Dir));
        assert_eq!(node(dir.as_fd(), "l"), Ok(Node::Symlink("f".into())));
    }

    #[test]
    fn open_dir_refuses_symlinks_and_files() {
        let tmp = TempDir::new();
        tmp.dir("d");
        tmp.file("f", b"");
        tmp.symlink("d", "l");
        let dir = root(&tmp);
        assert!(open_dir(dir.as_fd(), "d").is_ok());
        assert_eq!(open_dir(dir.as_fd(), "f").err(), Some(Errno::Notdir));
        let via_link = open_dir(dir.as_fd(), "l").err();
        assert!(
            matches!(via_link, Some(Errno::Notdir | Errno::Loop)),
            "{via_link:?}"
        );
        assert_eq!(open_dir(dir.as_fd(), "nope").err(), Some(Errno::Noent));
    }

    #[test]
    fn opening_a_symlink_never_follows_it() {
        let tmp = TempDir::new();
        tmp.file("f", b"x");
        tmp.symlink("f", "l");
        let dir = root(&tmp);
        let read = OpenOptions {
            read: true,
            ..OpenOptions::default()
        };
        assert_eq!(
            HostFs.open(dir.as_fd(), "l", &read).err(),
            Some(Errno::Loop)
        );
        let create = OpenOptions {
            write: true,
            create: true,
            ..OpenOptions::default()
        };
        assert_eq!(
            HostFs.open(dir.as_fd(), "l", &create).err(),
            Some(Errno::Loop)
        );
        assert_eq!(tmp.read("f"), b"x");
    }

    #[test]
    fn list_dir_reports_types_and_inodes() {
        let tmp = TempDir::new();
        tmp.file("f", b"x");
        tmp.dir("d");
        tmp.symlink("f", "l");
        let dir = root(&tmp);
        let mut got = list_dir(dir.as_fd()).unwrap();
        got.sort_by(|a, b| a.name.cmp(&b.name));
        let names: Vec<_> = got.iter().map(|e| (e.name.as_str(), e.filetype)).collect();
        assert_eq!(
            names,
            [
                ("d", FileType::Directory),
                ("f", FileType::RegularFile),
                ("l", FileType::SymbolicLink)
            ]
        );
        assert_eq!(got[1].ino, stat_at(dir.as_fd(), "f").unwrap().ino);
    }

    #[test]
    fn set_times_and_stat() {
        let tmp = TempDir::new();
        tmp.file("f", b"abc");
        let dir = root(&tmp);
        HostFs
            .set_times(
                dir.as_fd(),
                "f",
                SetTime::At(5_000_000_007),
                SetTime::At(9_000_000_001),
            )
            .unwrap();
        let st = stat_at(dir.as_fd(), "f").unwrap();
        assert_eq!(
            (st.atim, st.mtim, st.size),
            (5_000_000_007, 9_000_000_001, 3)
        );
        HostFs
            .set_times(dir.as_fd(), "f", SetTime::Omit, SetTime::At(1))
            .unwrap();
        let st = stat_at(dir.as_fd(), "f").unwrap();
        assert_eq!((st.atim, st.mtim), (5_000_000_007, 1));
    }
}
