//! Calls that name a path relative to a directory fd: `path_open`, `path_filestat_get`,
//! `path_create_directory`, `path_unlink_file`, `path_remove_directory`.
//!
//! Owns: the POSIX `open`/`mkdir`/`unlink`/`rmdir` decisions on top of a resolved path
//! (which errno for which combination of flags and what is there). Must not interpret path
//! text itself: every path goes through `fs::resolve::resolve`, and every host mutation
//! through `fs::ops` of the mount's access, so read-only mounts answer `EROFS`.

use crate::WasiCtx;
use crate::errno::Errno;
use crate::fdtable::{Entry, Object, OpenDir, OpenFile, fdflags};
use crate::fs::resolve::{Resolved, resolve};
use crate::fs::{Node, OpenOptions, ops};
use crate::memory::GuestMemory;
use crate::rights;

/// `$lookupflags`: follow a final symlink.
pub const LOOKUP_SYMLINK_FOLLOW: u32 = 1 << 0;

/// `$oflags` bits (preview1).
pub mod oflags {
    /// Create the file if it does not exist (`O_CREAT`).
    pub const CREAT: u32 = 1 << 0;
    /// Fail if not a directory (`O_DIRECTORY`).
    pub const DIRECTORY: u32 = 1 << 1;
    /// With `CREAT`, fail if it exists (`O_EXCL`).
    pub const EXCL: u32 = 1 << 2;
    /// Truncate to size 0 (`O_TRUNC`).
    pub const TRUNC: u32 = 1 << 3;
    /// Every defined bit.
    pub const ALL: u32 = CREAT | DIRECTORY | EXCL | TRUNC;
}

/// Resolves `path` from directory `dirfd` (`EBADF` if none, `ENOTDIR` if `dirfd` is not a
/// directory).
fn resolve_at(ctx: &mut WasiCtx, dirfd: u32, path: &str, follow: bool) -> Result<Resolved, Errno> {
    let base = ctx.fds.dir(dirfd)?.guest.clone();
    resolve(&ctx.mounts, &base, path, follow)
}

fn follow(lookupflags: u32) -> Result<bool, Errno> {
    if lookupflags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(lookupflags & LOOKUP_SYMLINK_FOLLOW != 0)
}

/// `path_open(fd, dirflags, path, oflags, fs_rights_base, fs_rights_inheriting, fdflags)
/// -> fd`. Write access is asked for by `FD_WRITE` in `fs_rights_base` (or `O_TRUNC`);
/// read access by `FD_READ`/`FD_READDIR`, or implied when nothing is asked (the fd is still
/// good for `fd_filestat_get`). Rights are otherwise not enforced (see `rights`).
#[allow(clippy::too_many_arguments)]
pub fn path_open(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    dirflags: u32,
    path_ptr: u32,
    path_len: u32,
    oflags: u32,
    rights_base: u64,
    _rights_inheriting: u64,
    fdflags: u32,
    fd_ptr: u32,
) -> Result<(), Errno> {
    let follow = follow(dirflags)?;
    if oflags & !oflags::ALL != 0 || fdflags & !u32::from(fdflags::ALL) != 0 {
        return Err(Errno::Inval);
    }
    mem.check(fd_ptr, 4)?;
    let path = mem.read_str(path_ptr, path_len)?;
    let trailing_slash = path.ends_with('/');
    let r = resolve_at(ctx, dirfd, path, follow)?;
    let creat = oflags & oflags::CREAT != 0;
    let excl = creat && oflags & oflags::EXCL != 0;
    let trunc = oflags & oflags::TRUNC != 0;
    let want_dir = oflags & oflags::DIRECTORY != 0;
    let write = rights_base & rights::FD_WRITE != 0 || trunc;
    let read = rights_base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;

    let object = match r.node {
        // Only reached without LOOKUP_SYMLINK_FOLLOW: POSIX O_NOFOLLOW answers ELOOP.
        Node::Symlink(_) if excl => return Err(Errno::Exist),
        Node::Symlink(_) => return Err(Errno::Loop),
        Node::Dir if excl => return Err(Errno::Exist),
        // POSIX: opening a directory for writing, or with O_CREAT, is EISDIR.
        Node::Dir if write || creat => return Err(Errno::Isdir),
        Node::Dir => Object::Dir(OpenDir {
            guest: r.guest,
            preopen: None,
            listing: None,
        }),
        Node::File if excl => return Err(Errno::Exist),
        Node::File if want_dir => return Err(Errno::Notdir),
        Node::File => {
            let host = r.host.ok_or(Errno::Noent)?;
            let opts = OpenOptions {
                read,
                write,
                truncate: trunc,
                ..OpenOptions::default()
            };
            let file = ops(r.access).open(&host, &opts)?;
            Object::File(OpenFile {
                file,
                readable: read,
                writable: write,
            })
        }
        Node::Missing if !creat => return Err(Errno::Noent),
        Node::Missing if trailing_slash => return Err(Errno::Isdir),
        // Linux (since 6.4) refuses O_CREAT|O_DIRECTORY on a missing path the same way.
        Node::Missing if want_dir => return Err(Errno::Inval),
        Node::Missing => {
            // A missing path inside a virtual directory has nowhere to be created.
            let host = r.host.ok_or(Errno::Rofs)?;
            let opts = OpenOptions {
                read,
                write,
                create: !excl,
                create_new: excl,
                truncate: trunc,
            };
            let file = ops(r.access).open(&host, &opts)?;
            Object::File(OpenFile {
                file,
                readable: read,
                writable: write,
            })
        }
    };
    let fd = ctx.fds.insert(Entry {
        flags: fdflags as u16,
        object,
    })?;
    mem.write_u32(fd_ptr, fd)
}

/// `path_filestat_get(fd, flags, path) -> filestat`.
pub fn path_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    flags: u32,
    path_ptr: u32,
    path_len: u32,
    stat_ptr: u32,
) -> Result<(), Errno> {
    let follow = follow(flags)?;
    mem.check(stat_ptr, super::fd::FILESTAT_SIZE)?;
    let path = mem.read_str(path_ptr, path_len)?;
    let r = resolve_at(ctx, dirfd, path, follow)?;
    if r.node == Node::Missing {
        return Err(Errno::Noent);
    }
    // Any final symlink to follow was expanded by `resolve`.
    let st = ctx.mounts.stat(&r.guest, false)?;
    super::fd::write_filestat(mem, stat_ptr, &st)
}

/// `path_create_directory(fd, path)`. Like `mkdir`, a final symlink is not followed: if
/// anything is there the answer is `EEXIST`.
pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    path_ptr: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = mem.read_str(path_ptr, path_len)?;
    let r = resolve_at(ctx, dirfd, path, false)?;
    if r.node != Node::Missing {
        return Err(Errno::Exist);
    }
    let host = r.host.ok_or(Errno::Rofs)?;
    ops(r.access).create_dir(&host)
}

/// `path_unlink_file(fd, path)`: removes a non-directory (a symlink itself, not its
/// target). Mount points cannot be removed: `EBUSY`.
pub fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    path_ptr: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = mem.read_str(path_ptr, path_len)?;
    let r = resolve_at(ctx, dirfd, path, false)?;
    match r.node {
        Node::Missing => return Err(Errno::Noent),
        Node::Dir => return Err(Errno::Isdir),
        Node::File | Node::Symlink(_) => {}
    }
    if r.pinned {
        return Err(Errno::Busy);
    }
    let host = r.host.ok_or(Errno::Rofs)?;
    ops(r.access).remove_file(&host)
}

/// `path_remove_directory(fd, path)`: removes an empty directory. As POSIX `rmdir`, a last
/// component of `.` is `EINVAL` and of `..` `ENOTEMPTY`; mount points and their parents
/// are `EBUSY`.
pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    path_ptr: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = mem.read_str(path_ptr, path_len)?;
    match path.trim_end_matches('/').rsplit('/').next() {
        Some(".") => return Err(Errno::Inval),
        Some("..") => return Err(Errno::Notempty),
        _ => {}
    }
    let r = resolve_at(ctx, dirfd, path, false)?;
    match r.node {
        Node::Missing => return Err(Errno::Noent),
        Node::File | Node::Symlink(_) => return Err(Errno::Notdir),
        Node::Dir => {}
    }
    if r.pinned {
        return Err(Errno::Busy);
    }
    let host = r.host.ok_or(Errno::Rofs)?;
    ops(r.access).remove_dir(&host)
}

/// `path_readlink(fd, path, buf, buf_len) -> size`: the link's text, cut at `buf_len` as
/// POSIX `readlink` does (no NUL). Not a link: `EINVAL`.
#[allow(clippy::too_many_arguments)]
pub fn path_readlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    path_ptr: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    bufused_ptr: u32,
) -> Result<(), Errno> {
    mem.check(buf, buf_len)?;
    mem.check(bufused_ptr, 4)?;
    let path = mem.read_str(path_ptr, path_len)?;
    let r = resolve_at(ctx, dirfd, path, false)?;
    let target = match r.node {
        Node::Symlink(t) => t,
        Node::Missing => return Err(Errno::Noent),
        Node::File | Node::Dir => return Err(Errno::Inval),
    };
    let n = target.len().min(buf_len as usize);
    mem.write_bytes(buf, &target.as_bytes()[..n])?;
    mem.write_u32(bufused_ptr, n as u32)
}

#[cfg(test)]
#[path = "path_tests.rs"]
mod tests;
