//! Preview1 `$rights` bits and the sets this shim reports in `fd_fdstat_get`.
//!
//! Owns: the numbers (bit `n` is the `n`th flag of `$rights` in `typenames.witx`) and which
//! rights each kind of fd reports. Rights are reported, not enforced: what a guest may do is
//! decided by how the fd was opened and by the mount's access (see `fs::readonly`), which
//! gives POSIX errnos (`EBADF`, `EROFS`) instead of `ENOTCAPABLE`.
//!
//! Directories always report full *inheriting* rights, even on read-only mounts: wasi-libc
//! computes the rights it asks `path_open` for from the directory's inheriting rights, and
//! a write-open stripped of `FD_WRITE` there would silently open read-only instead of
//! failing with `EROFS` at open time.

// The full spec list; socket rights are never granted.
#![allow(missing_docs, dead_code)]

pub const FD_DATASYNC: u64 = 1 << 0;
pub const FD_READ: u64 = 1 << 1;
pub const FD_SEEK: u64 = 1 << 2;
pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
pub const FD_SYNC: u64 = 1 << 4;
pub const FD_TELL: u64 = 1 << 5;
pub const FD_WRITE: u64 = 1 << 6;
pub const FD_ADVISE: u64 = 1 << 7;
pub const FD_ALLOCATE: u64 = 1 << 8;
pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
pub const PATH_CREATE_FILE: u64 = 1 << 10;
pub const PATH_LINK_SOURCE: u64 = 1 << 11;
pub const PATH_LINK_TARGET: u64 = 1 << 12;
pub const PATH_OPEN: u64 = 1 << 13;
pub const FD_READDIR: u64 = 1 << 14;
pub const PATH_READLINK: u64 = 1 << 15;
pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
pub const PATH_RENAME_TARGET: u64 = 1 << 17;
pub const PATH_FILESTAT_GET: u64 = 1 << 18;
pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
pub const FD_FILESTAT_GET: u64 = 1 << 21;
pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
pub const PATH_SYMLINK: u64 = 1 << 24;
pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
pub const PATH_UNLINK_FILE: u64 = 1 << 26;
pub const POLL_FD_READWRITE: u64 = 1 << 27;
pub const SOCK_SHUTDOWN: u64 = 1 << 28;
pub const SOCK_ACCEPT: u64 = 1 << 29;

/// Everything that applies to a regular file.
pub const FILE: u64 = FD_DATASYNC
    | FD_READ
    | FD_SEEK
    | FD_FDSTAT_SET_FLAGS
    | FD_SYNC
    | FD_TELL
    | FD_WRITE
    | FD_ADVISE
    | FD_ALLOCATE
    | FD_FILESTAT_GET
    | FD_FILESTAT_SET_SIZE
    | FD_FILESTAT_SET_TIMES
    | POLL_FD_READWRITE;

/// The file rights that need write access (wasi-libc drops the same set for `O_RDONLY`).
pub const FILE_WRITE: u64 = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | FD_FILESTAT_SET_SIZE;

/// Everything that applies to a directory (`fsync` and `fdatasync` of a directory are how
/// programs make a rename durable).
pub const DIR: u64 = FD_DATASYNC
    | FD_FDSTAT_SET_FLAGS
    | FD_SYNC
    | PATH_CREATE_DIRECTORY
    | PATH_CREATE_FILE
    | PATH_LINK_SOURCE
    | PATH_LINK_TARGET
    | PATH_OPEN
    | FD_READDIR
    | PATH_READLINK
    | PATH_RENAME_SOURCE
    | PATH_RENAME_TARGET
    | PATH_FILESTAT_GET
    | PATH_FILESTAT_SET_SIZE
    | PATH_FILESTAT_SET_TIMES
    | FD_FILESTAT_GET
    | FD_FILESTAT_SET_TIMES
    | PATH_SYMLINK
    | PATH_REMOVE_DIRECTORY
    | PATH_UNLINK_FILE;

/// What a directory passes on to what is opened through it (see the module comment).
pub const DIR_INHERITING: u64 = FILE | DIR;

/// stdin.
pub const INPUT_STREAM: u64 = FD_READ | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

/// stdout and stderr.
pub const OUTPUT_STREAM: u64 = FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE;

/// `ENOTCAPABLE` unless `have` holds every right in `need`.
pub fn require(have: u64, need: u64) -> Result<(), crate::errno::Errno> {
    if have & need == need {
        Ok(())
    } else {
        Err(crate::errno::Errno::Notcapable)
    }
}

/// The base rights of a regular file opened with this access (`FD_FILESTAT_SET_TIMES`
/// stays: POSIX `futimens` needs no write access).
pub fn file(readable: bool, writable: bool) -> u64 {
    let mut r = FILE;
    if !readable {
        r &= !FD_READ;
    }
    if !writable {
        r &= !FILE_WRITE;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_follow_the_witx_flag_order() {
        let witx = include_str!("../witx/typenames.witx");
        let start = witx.find("(typename $rights").unwrap();
        let body = &witx[start..];
        let body = &body[..body.find("\n)").unwrap()];
        let names: Vec<&str> = body
            .lines()
            .map(str::trim)
            .filter_map(|l| l.strip_prefix('$'))
            .collect();
        assert_eq!(names.len(), 30);
        assert_eq!(names[1], "fd_read");
        assert_eq!(names[6], "fd_write");
        assert_eq!(names[14], "fd_readdir");
        assert_eq!(names[27], "poll_fd_readwrite");
        assert_eq!(
            (FD_READ, FD_WRITE, FD_READDIR, POLL_FD_READWRITE),
            (2, 64, 1 << 14, 1 << 27)
        );
        assert_eq!(SOCK_ACCEPT, 1 << (names.len() - 1));
    }

    #[test]
    fn read_only_files_have_no_write_rights() {
        assert_eq!(file(true, false) & FILE_WRITE, 0);
        assert_ne!(file(true, false) & FD_FILESTAT_SET_TIMES, 0);
        assert_eq!(file(false, true) & FD_READ, 0);
        assert_eq!(file(true, true), FILE);
    }

    #[test]
    fn directories_never_have_file_only_rights() {
        // wasi-testsuite `truncation_rights`: a directory has no `fd_filestat_set_size`.
        assert_eq!(
            DIR & (FD_FILESTAT_SET_SIZE | FD_READ | FD_WRITE | FD_SEEK),
            0
        );
        assert_eq!(DIR_INHERITING & DIR, DIR);
        assert_eq!(DIR_INHERITING & (SOCK_ACCEPT | SOCK_SHUTDOWN), 0);
    }
}
