//! Calls that name a path relative to a directory fd: `path_open`, `path_filestat_get`,
//! `path_filestat_set_times`, `path_create_directory`, `path_unlink_file`,
//! `path_remove_directory`, `path_readlink`, `path_rename`, `path_link`, `path_symlink`.
//!
//! Owns: the POSIX decisions on top of a resolved path (which errno for which combination
//! of flags and what is there) and the rights each call needs on its directory fd. Must not
//! interpret path text itself: every path goes through `fs::resolve::resolve`, and every
//! host mutation through `fs::ops` of the mount's access (read-only mounts answer `EROFS`)
//! on the directory fd and final component the walk produced. Each change is told to
//! `fs::meta` (with the identities of what it touches, taken before), which in virtual mode
//! keeps the metadata the guest sees.
//!
//! Calls that change an entry itself (unlink, rmdir, rename, link and symlink targets,
//! mkdir) never follow a final symlink, not even with a trailing slash: as on Linux, the
//! slash then only demands a directory (`ENOTDIR` for a symlink or file).

use crate::WasiCtx;
use crate::errno::Errno;
use crate::fdtable::{Entry, Object, OpenDir, OpenFile, fdflags};
use crate::fs::meta::{Change, Key};
use crate::fs::mounts::DirLoc;
use crate::fs::resolve::{PATH_MAX, Resolved, resolve};
use crate::fs::{FileType, Filestat, Node, OpenOptions, host, ops};
use crate::memory::GuestMemory;
use crate::rights;
use std::fs::File;
use std::os::fd::OwnedFd;
use std::sync::Arc;

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

/// The walk base of directory fd `dirfd` (`EBADF` if none, `ENOTDIR` if not a directory,
/// `ENOTCAPABLE` without the rights `need`), and its inheriting rights.
fn base(ctx: &mut WasiCtx, dirfd: u32, need: u64) -> Result<(Vec<String>, DirLoc, u64), Errno> {
    let entry = ctx.fds.get(dirfd)?;
    let Object::Dir(d) = &entry.object else {
        return Err(Errno::Notdir);
    };
    entry.require(need)?;
    Ok((d.guest.clone(), d.loc.clone(), entry.rights_inheriting))
}

/// Resolves `path` from directory fd `dirfd`, which must hold the rights `need`.
fn resolve_at(
    ctx: &mut WasiCtx,
    dirfd: u32,
    need: u64,
    path: &str,
    follow: bool,
) -> Result<Resolved, Errno> {
    let (guest, loc, _) = base(ctx, dirfd, need)?;
    resolve(&ctx.mounts, &guest, &loc, path, follow)
}

fn follow(lookupflags: u32) -> Result<bool, Errno> {
    if lookupflags & !LOOKUP_SYMLINK_FOLLOW != 0 {
        return Err(Errno::Inval);
    }
    Ok(lookupflags & LOOKUP_SYMLINK_FOLLOW != 0)
}

/// Splits trailing slashes off a path naming an entry to change (see the module comment).
/// A path of only slashes is left alone (resolution refuses it as absolute).
fn split_slash(path: &str) -> (&str, bool) {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        (path, false)
    } else {
        (trimmed, trimmed.len() != path.len())
    }
}

/// The last component of `path`, ignoring trailing slashes.
fn last_component(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

/// The identity of what `r` names, for `fs::meta` (`None` in host mode, or for a place with
/// no host object).
fn key(ctx: &WasiCtx, r: &Resolved) -> Result<Option<Key>, Errno> {
    match r.at() {
        Some((dir, name)) => ctx.meta.key_at(dir, name),
        None => Ok(None),
    }
}

/// The identity of the directory holding the entry `r` names, which a change of the entry
/// changes too.
fn parent_key(ctx: &WasiCtx, r: &Resolved) -> Result<Option<Key>, Errno> {
    match r.at() {
        Some((dir, _)) => ctx.meta.key_fd(dir),
        None => Ok(None),
    }
}

/// Reads a guest path argument (owned, so guest memory can be written afterwards).
fn read_path(mem: &GuestMemory<'_>, ptr: u32, len: u32) -> Result<String, Errno> {
    Ok(mem.read_str(ptr, len)?.to_string())
}

/// `path_open(fd, dirflags, path, oflags, fs_rights_base, fs_rights_inheriting, fdflags)
/// -> fd`. The directory fd needs `PATH_OPEN` (and `PATH_CREATE_FILE` for `O_CREAT`,
/// `PATH_FILESTAT_SET_SIZE` for `O_TRUNC`); the rights asked for may not exceed its
/// inheriting rights. Write access is asked for by `FD_WRITE`; read access by
/// `FD_READ`/`FD_READDIR`, or implied when nothing is asked. The new fd gets the rights
/// asked for that apply to what was opened.
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
    rights_inheriting: u64,
    fdflags: u32,
    fd_ptr: u32,
) -> Result<(), Errno> {
    let follow = follow(dirflags)?;
    if oflags & !oflags::ALL != 0 || fdflags & !u32::from(fdflags::ALL) != 0 {
        return Err(Errno::Inval);
    }
    mem.check(fd_ptr, 4)?;
    let path = read_path(mem, path_ptr, path_len)?;
    let creat = oflags & oflags::CREAT != 0;
    let excl = creat && oflags & oflags::EXCL != 0;
    let trunc = oflags & oflags::TRUNC != 0;
    let want_dir = oflags & oflags::DIRECTORY != 0;
    let mut need = rights::PATH_OPEN;
    if creat {
        need |= rights::PATH_CREATE_FILE;
    }
    if trunc {
        need |= rights::PATH_FILESTAT_SET_SIZE;
    }
    let (guest, loc, inheriting) = base(ctx, dirfd, need)?;
    if (rights_base | rights_inheriting) & !inheriting != 0 {
        return Err(Errno::Notcapable);
    }
    let r = resolve(&ctx.mounts, &guest, &loc, &path, follow)?;
    let write = rights_base & rights::FD_WRITE != 0;
    let read = rights_base & (rights::FD_READ | rights::FD_READDIR) != 0 || !write;
    let flags = fdflags as u16;
    let mut opts = OpenOptions {
        read,
        write,
        truncate: trunc,
        directory: want_dir,
        dsync: flags & fdflags::DSYNC != 0,
        rsync: flags & fdflags::RSYNC != 0,
        sync: flags & fdflags::SYNC != 0,
        ..OpenOptions::default()
    };
    let object = match r.node {
        // Only reached without LOOKUP_SYMLINK_FOLLOW: POSIX O_NOFOLLOW answers ELOOP.
        Node::Symlink(_) if excl => return Err(Errno::Exist),
        Node::Symlink(_) => return Err(Errno::Loop),
        Node::Dir if excl => return Err(Errno::Exist),
        // POSIX: opening a directory for writing, truncating or creating it is EISDIR.
        Node::Dir if write || creat || trunc => return Err(Errno::Isdir),
        Node::Dir => Object::Dir(OpenDir {
            loc: r.open_dir()?,
            guest: r.guest,
            preopen: None,
            listing: None,
        }),
        Node::File if excl => return Err(Errno::Exist),
        Node::File if want_dir => return Err(Errno::Notdir),
        Node::File => {
            let (object, st) = open_file(&r, &opts)?;
            if trunc {
                let key = ctx.meta.key_of(&st);
                ctx.record(Change::Data(key));
            }
            object
        }
        Node::Missing if !creat => return Err(Errno::Noent),
        Node::Missing if path.ends_with('/') => return Err(Errno::Isdir),
        // Linux (since 6.4) refuses O_CREAT|O_DIRECTORY on a missing path the same way.
        Node::Missing if want_dir => return Err(Errno::Inval),
        Node::Missing => {
            opts.create = !excl;
            opts.create_new = excl;
            let parent = parent_key(ctx, &r)?;
            let (object, st) = open_file(&r, &opts)?;
            let new = ctx.meta.key_of(&st);
            ctx.record(Change::Created { new, parent });
            object
        }
    };
    let (base_rights, inheriting_rights) = match &object {
        Object::Dir(_) => (rights::DIR, rights::DIR_INHERITING),
        Object::File(f) => (rights::file(f.readable, f.writable), rights::FILE),
        Object::Reader(_) | Object::Writer(_) => (0, 0),
    };
    let mut entry = Entry::with_rights(
        object,
        rights_base & base_rights,
        rights_inheriting & inheriting_rights,
    );
    entry.flags = flags;
    entry.access = r.access;
    let fd = ctx.fds.insert(entry)?;
    mem.write_u32(fd_ptr, fd)
}

/// Opens the file at `r` (a missing one only with `create`/`create_new`), never following
/// a final symlink, and builds the fd's object from what was actually opened: if a host
/// process swapped a directory in since the walk, it is opened as the directory it is.
/// Returns the host filestat of what was opened too.
fn open_file(r: &Resolved, opts: &OpenOptions) -> Result<(Object, Filestat), Errno> {
    // A missing name in a virtual directory has nowhere to be created.
    let (dir, name) = r.at().ok_or(Errno::Rofs)?;
    let fd: OwnedFd = ops(r.access).open(dir, name, opts)?;
    let st = host::stat_fd(std::os::fd::AsFd::as_fd(&fd))?;
    if st.filetype == FileType::Directory {
        let dir = OpenDir {
            guest: r.guest.clone(),
            loc: DirLoc::Host {
                fd: Arc::new(fd),
                mount: r.mount.ok_or(Errno::Io)?,
            },
            preopen: None,
            listing: None,
        };
        return Ok((Object::Dir(dir), st));
    }
    let file = OpenFile {
        file: File::from(fd),
        readable: opts.read,
        writable: opts.write,
        key: Key::of(&st),
    };
    Ok((Object::File(file), st))
}

/// `path_filestat_get(fd, flags, path) -> filestat`. Needs `PATH_FILESTAT_GET`.
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
    let path = read_path(mem, path_ptr, path_len)?;
    let r = resolve_at(ctx, dirfd, rights::PATH_FILESTAT_GET, &path, follow)?;
    if r.node == Node::Missing {
        return Err(Errno::Noent);
    }
    // Any final symlink to follow was expanded by `resolve`.
    let st = ctx.meta.show(&r.guest, r.stat()?);
    super::fd::write_filestat(mem, stat_ptr, &st)
}

/// `path_filestat_set_times(fd, flags, path, atim, mtim, fst_flags)`. Needs
/// `PATH_FILESTAT_SET_TIMES`; without `LOOKUP_SYMLINK_FOLLOW` a final symlink's own times
/// are set. See `fd::set_times_args` for the flags.
#[allow(clippy::too_many_arguments)]
pub fn path_filestat_set_times(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    flags: u32,
    path_ptr: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Result<(), Errno> {
    let follow = follow(flags)?;
    let (atim, mtim, now) = super::fd::set_times_args(ctx, atim, mtim, fst_flags)?;
    let path = read_path(mem, path_ptr, path_len)?;
    let r = resolve_at(ctx, dirfd, rights::PATH_FILESTAT_SET_TIMES, &path, follow)?;
    if r.node == Node::Missing {
        return Err(Errno::Noent);
    }
    let (dir, name) = r.at().ok_or(Errno::Rofs)?;
    let of = ctx.meta.key_at(dir, name)?;
    ops(r.access).set_times(dir, name, atim, mtim)?;
    let change = Change::Times {
        of,
        atim,
        mtim,
        now,
    };
    ctx.record(change);
    Ok(())
}

/// `path_create_directory(fd, path)`. Needs `PATH_CREATE_DIRECTORY`. Like `mkdir`, a
/// final symlink is not followed: if anything is there the answer is `EEXIST`.
pub fn path_create_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    path_ptr: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = read_path(mem, path_ptr, path_len)?;
    let (path, _) = split_slash(&path);
    let r = resolve_at(ctx, dirfd, rights::PATH_CREATE_DIRECTORY, path, false)?;
    create_directory(ctx, &r)
}

fn create_directory(ctx: &mut WasiCtx, r: &Resolved) -> Result<(), Errno> {
    if r.node != Node::Missing {
        return Err(Errno::Exist);
    }
    let (dir, name) = r.at().ok_or(Errno::Rofs)?;
    let parent = parent_key(ctx, r)?;
    ops(r.access).create_dir(dir, name)?;
    created(ctx, r, parent);
    Ok(())
}

/// Records the creation of what `r` names, by mkdir or symlink. What a host process removed
/// meanwhile needs no record.
fn created(ctx: &mut WasiCtx, r: &Resolved, parent: Option<Key>) {
    let new = key(ctx, r).ok().flatten();
    ctx.record(Change::Created { new, parent });
}

/// `path_unlink_file(fd, path)`: removes a non-directory (a symlink itself, not its
/// target). Needs `PATH_UNLINK_FILE`. Mount points cannot be removed: `EBUSY`.
pub fn path_unlink_file(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    path_ptr: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = read_path(mem, path_ptr, path_len)?;
    if matches!(last_component(&path), "." | "..") {
        return Err(Errno::Isdir);
    }
    let (path, slash) = split_slash(&path);
    let r = resolve_at(ctx, dirfd, rights::PATH_UNLINK_FILE, path, false)?;
    unlink_file(ctx, &r, slash)
}

fn unlink_file(ctx: &mut WasiCtx, r: &Resolved, slash: bool) -> Result<(), Errno> {
    match r.node {
        Node::Missing => return Err(Errno::Noent),
        Node::Dir => return Err(Errno::Isdir),
        Node::File | Node::Symlink(_) if slash => return Err(Errno::Notdir),
        Node::File | Node::Symlink(_) => {}
    }
    if r.pinned {
        return Err(Errno::Busy);
    }
    let (dir, name) = r.at().ok_or(Errno::Rofs)?;
    let (gone, parent) = (key(ctx, r)?, parent_key(ctx, r)?);
    ops(r.access).remove_file(dir, name)?;
    ctx.record(Change::Removed { gone, parent });
    Ok(())
}

/// `path_remove_directory(fd, path)`: removes an empty directory. Needs
/// `PATH_REMOVE_DIRECTORY`. As POSIX `rmdir`, a last component of `.` is `EINVAL` and of
/// `..` `ENOTEMPTY`; mount points and their parents are `EBUSY`.
pub fn path_remove_directory(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    dirfd: u32,
    path_ptr: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let path = read_path(mem, path_ptr, path_len)?;
    match last_component(&path) {
        "." => return Err(Errno::Inval),
        ".." => return Err(Errno::Notempty),
        _ => {}
    }
    let (path, _) = split_slash(&path);
    let r = resolve_at(ctx, dirfd, rights::PATH_REMOVE_DIRECTORY, path, false)?;
    match r.node {
        Node::Missing => return Err(Errno::Noent),
        Node::File | Node::Symlink(_) => return Err(Errno::Notdir),
        Node::Dir => {}
    }
    if r.pinned {
        return Err(Errno::Busy);
    }
    let (dir, name) = r.at().ok_or(Errno::Rofs)?;
    let (gone, parent) = (key(ctx, &r)?, parent_key(ctx, &r)?);
    ops(r.access).remove_dir(dir, name)?;
    ctx.record(Change::Removed { gone, parent });
    Ok(())
}

/// `path_readlink(fd, path, buf, buf_len) -> size`: the link's text, cut at `buf_len` as
/// POSIX `readlink` does (no NUL). Needs `PATH_READLINK`. Not a link: `EINVAL`.
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
    let path = read_path(mem, path_ptr, path_len)?;
    let r = resolve_at(ctx, dirfd, rights::PATH_READLINK, &path, false)?;
    let target = match r.node {
        Node::Symlink(t) => t,
        Node::Missing => return Err(Errno::Noent),
        Node::File | Node::Dir => return Err(Errno::Inval),
    };
    let n = target.len().min(buf_len as usize);
    mem.write_bytes(buf, &target.as_bytes()[..n])?;
    mem.write_u32(bufused_ptr, n as u32)
}

/// `path_rename(fd, old_path, new_fd, new_path)`. Needs `PATH_RENAME_SOURCE` on `fd` and
/// `PATH_RENAME_TARGET` on `new_fd`. POSIX `rename`: an existing target is replaced (a
/// directory only by a directory, and only if empty); renaming across mounts is `EXDEV`,
/// a mount point (or a parent of one) `EBUSY`, a last component `.` or `..` `EBUSY`.
#[allow(clippy::too_many_arguments)]
pub fn path_rename(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    old_ptr: u32,
    old_len: u32,
    new_fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let old = read_path(mem, old_ptr, old_len)?;
    let new = read_path(mem, new_ptr, new_len)?;
    let (old_base, new_base) = (
        base(ctx, fd, rights::PATH_RENAME_SOURCE)?,
        base(ctx, new_fd, rights::PATH_RENAME_TARGET)?,
    );
    if [&old, &new]
        .iter()
        .any(|p| matches!(last_component(p), "." | ".."))
    {
        return Err(Errno::Busy);
    }
    let (old, old_slash) = split_slash(&old);
    let (new, new_slash) = split_slash(&new);
    let from = resolve(&ctx.mounts, &old_base.0, &old_base.1, old, false)?;
    let to = resolve(&ctx.mounts, &new_base.0, &new_base.1, new, false)?;
    rename(ctx, &from, old_slash || new_slash, &to)
}

/// The rename of resolved `from` to `to`; `slash`: either path had a trailing slash, so
/// `from` must be a directory.
fn rename(ctx: &mut WasiCtx, from: &Resolved, slash: bool, to: &Resolved) -> Result<(), Errno> {
    let from_dir = match from.node {
        Node::Missing => return Err(Errno::Noent),
        Node::Dir => true,
        Node::File | Node::Symlink(_) => false,
    };
    if slash && !from_dir {
        return Err(Errno::Notdir);
    }
    if from.pinned || to.pinned {
        return Err(Errno::Busy);
    }
    if from.mount != to.mount {
        return Err(Errno::Xdev);
    }
    match (&to.node, from_dir) {
        (Node::File | Node::Symlink(_), true) => return Err(Errno::Notdir),
        (Node::Dir, false) => return Err(Errno::Isdir),
        _ => {}
    }
    let ((from_parent, from_name), (to_parent, to_name)) =
        (from.at().ok_or(Errno::Rofs)?, to.at().ok_or(Errno::Rofs)?);
    let replaced = match to.node {
        Node::Missing => None,
        _ => key(ctx, to)?,
    };
    let change = Change::Renamed {
        moved: key(ctx, from)?,
        replaced,
        from: parent_key(ctx, from)?,
        to: parent_key(ctx, to)?,
    };
    ops(from.access).rename(from_parent, from_name, to_parent, to_name)?;
    ctx.record(change);
    Ok(())
}

/// `path_link(old_fd, old_flags, old_path, new_fd, new_path)`: a hard link. Needs
/// `PATH_LINK_SOURCE` on `old_fd` and `PATH_LINK_TARGET` on `new_fd`. A directory is
/// `EPERM`; an existing target (even a dangling symlink) `EEXIST`; across mounts `EXDEV`.
#[allow(clippy::too_many_arguments)]
pub fn path_link(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_fd: u32,
    old_flags: u32,
    old_ptr: u32,
    old_len: u32,
    new_fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let follow = follow(old_flags)?;
    let old = read_path(mem, old_ptr, old_len)?;
    let new = read_path(mem, new_ptr, new_len)?;
    let (old_base, new_base) = (
        base(ctx, old_fd, rights::PATH_LINK_SOURCE)?,
        base(ctx, new_fd, rights::PATH_LINK_TARGET)?,
    );
    let (new, new_slash) = split_slash(&new);
    let from = resolve(&ctx.mounts, &old_base.0, &old_base.1, &old, follow)?;
    let to = resolve(&ctx.mounts, &new_base.0, &new_base.1, new, false)?;
    link(ctx, &from, &to, new_slash)
}

fn link(ctx: &mut WasiCtx, from: &Resolved, to: &Resolved, new_slash: bool) -> Result<(), Errno> {
    match from.node {
        Node::Missing => return Err(Errno::Noent),
        Node::Dir => return Err(Errno::Perm),
        Node::File | Node::Symlink(_) => {}
    }
    match to.node {
        Node::Missing if new_slash => return Err(Errno::Noent),
        Node::Missing => {}
        _ => return Err(Errno::Exist),
    }
    if from.mount != to.mount {
        return Err(Errno::Xdev);
    }
    let ((from_parent, from_name), (to_parent, to_name)) =
        (from.at().ok_or(Errno::Rofs)?, to.at().ok_or(Errno::Rofs)?);
    let (target, parent) = (key(ctx, from)?, parent_key(ctx, to)?);
    ops(to.access).link(from_parent, from_name, to_parent, to_name)?;
    ctx.record(Change::Linked { target, parent });
    Ok(())
}

/// `path_symlink(old_path, fd, new_path)`: creates `new_path` as a symlink whose text is
/// `old_path`, stored exactly as given. Needs `PATH_SYMLINK`. An absolute text is refused
/// with `ENOTCAPABLE` (as Wasmtime does): it could only name a host path, and a link to one
/// left in an output directory would mislead whatever later reads the results on the host.
/// A relative text that climbs out is stored, and never followed out of the namespace
/// (resolution refuses it with `ENOTCAPABLE`). An empty text is `ENOENT`, as on Linux.
pub fn path_symlink(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    old_ptr: u32,
    old_len: u32,
    fd: u32,
    new_ptr: u32,
    new_len: u32,
) -> Result<(), Errno> {
    let target = read_path(mem, old_ptr, old_len)?;
    let new = read_path(mem, new_ptr, new_len)?;
    if target.is_empty() {
        return Err(Errno::Noent);
    }
    if target.starts_with('/') {
        return Err(Errno::Notcapable);
    }
    if target.len() > PATH_MAX {
        return Err(Errno::Nametoolong);
    }
    if target.contains('\0') {
        return Err(Errno::Ilseq);
    }
    let (new, new_slash) = split_slash(&new);
    let r = resolve_at(ctx, fd, rights::PATH_SYMLINK, new, false)?;
    match r.node {
        Node::Missing if new_slash => return Err(Errno::Noent),
        Node::Missing => {}
        _ => return Err(Errno::Exist),
    }
    let (dir, name) = r.at().ok_or(Errno::Rofs)?;
    let parent = parent_key(ctx, &r)?;
    ops(r.access).symlink(&target, dir, name)?;
    created(ctx, &r, parent);
    Ok(())
}

#[cfg(test)]
#[path = "path_tests.rs"]
mod tests;
