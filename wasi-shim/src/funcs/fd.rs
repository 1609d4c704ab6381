//! Calls on an open fd's data and state: `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`,
//! `fd_seek`, `fd_tell`, `fd_close`, `fd_fdstat_get`, `fd_fdstat_set_flags`,
//! `fd_fdstat_set_rights`, `fd_filestat_get`, `fd_filestat_set_size`,
//! `fd_filestat_set_times`, `fd_allocate`, `fd_sync`, `fd_datasync`, `fd_advise`,
//! `fd_renumber`, and the `$fdstat` / `$filestat` layouts.
//!
//! Owns: which object kinds support which call, and with which errno they refuse. The order
//! is always: what the object cannot do at all gets the POSIX errno (streams cannot seek:
//! `ESPIPE`; a directory cannot be read: `EISDIR`; a file not opened for writing: `EBADF`),
//! then a right the fd does not hold is `ENOTCAPABLE`, then the mount's access (`EROFS`).
//! Must not resolve paths (see `path.rs`) or list directories (see `fd_dir.rs`). What a
//! filestat shows, and what a change does to it, is `fs::meta`'s to say.

use crate::WasiCtx;
use crate::clock::ClockId;
use crate::errno::Errno;
use crate::fdtable::{Entry, FdTable, Object, OpenFile, fdflags};
use crate::fs::meta::Change;
use crate::fs::mounts::DirLoc;
use crate::fs::{Access, FileType, Filestat, SetTime, host, ops};
use crate::memory::{GuestMemory, IoVec};
use crate::rights::{self, require};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::FileExt;

/// Size of `$filestat`.
pub const FILESTAT_SIZE: u32 = 64;
/// Size of `$fdstat`.
pub const FDSTAT_SIZE: u32 = 24;

/// `$fstflags` bits.
pub mod fstflags {
    /// Set the access time to the given value.
    pub const ATIM: u32 = 1 << 0;
    /// Set the access time to now.
    pub const ATIM_NOW: u32 = 1 << 1;
    /// Set the modification time to the given value.
    pub const MTIM: u32 = 1 << 2;
    /// Set the modification time to now.
    pub const MTIM_NOW: u32 = 1 << 3;
}

/// Writes a `$filestat` (padding zeroed, so the record is deterministic).
pub fn write_filestat(mem: &mut GuestMemory<'_>, ptr: u32, st: &Filestat) -> Result<(), Errno> {
    mem.write_bytes(ptr, &[0; FILESTAT_SIZE as usize])?;
    mem.write_u64(ptr, st.dev)?;
    mem.write_u64(ptr + 8, st.ino)?;
    mem.write_u8(ptr + 16, st.filetype as u8)?;
    mem.write_u64(ptr + 24, st.nlink)?;
    mem.write_u64(ptr + 32, st.size)?;
    mem.write_u64(ptr + 40, st.atim)?;
    mem.write_u64(ptr + 48, st.mtim)?;
    mem.write_u64(ptr + 56, st.ctim)
}

/// Clamps an iovec so a call never reports more than `u32::MAX` bytes.
fn clamp(v: &IoVec, total: u32) -> u32 {
    v.len.min(u32::MAX - total)
}

/// Reads into the iovecs in order with `read(buf, done)`, `done` the bytes read so far; a
/// short read ends the call, as `readv` does.
fn read_vecs(
    mem: &mut GuestMemory<'_>,
    vecs: &[IoVec],
    mut read: impl FnMut(&mut [u8], u32) -> Result<usize, Errno>,
) -> Result<u32, Errno> {
    let mut total = 0u32;
    for v in vecs {
        let len = clamp(v, total);
        let buf = mem.slice_mut(v.ptr, len)?;
        let n = match read(buf, total) {
            Ok(n) => n,
            // Bytes already delivered are reported; the error will recur on the next call.
            // A signal that interrupted the wait is EINTR, as from readv, not a reason to wait
            // again: the runner may have caught it to stop the guest, which it does when the
            // host call ends.
            Err(_) if total > 0 => return Ok(total),
            Err(e) => return Err(e),
        };
        total += n as u32;
        if n < len as usize {
            break;
        }
    }
    Ok(total)
}

/// Writes every iovec in full with `write(buf, done)`, `done` the bytes written so far.
fn write_vecs(
    mem: &GuestMemory<'_>,
    vecs: &[IoVec],
    mut write: impl FnMut(&[u8], u32) -> Result<(), Errno>,
) -> Result<u32, Errno> {
    let mut total = 0u32;
    for v in vecs {
        let len = clamp(v, total);
        write(mem.slice(v.ptr, len)?, total)?;
        total += len;
    }
    Ok(total)
}

/// `fd_read(fd, iovs) -> size`. Needs `FD_READ`.
pub fn fd_read(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nread_ptr: u32,
) -> Result<(), Errno> {
    let vecs = mem.iovecs(iovs, iovs_len)?;
    mem.check(nread_ptr, 4)?;
    let entry = ctx.fds.get(fd)?;
    let have = entry.rights_base;
    let n = match &mut entry.object {
        Object::Reader(r) => {
            require(have, rights::FD_READ)?;
            read_vecs(mem, &vecs, |buf, _| Ok(r.read(buf)?))?
        }
        Object::File(f) if f.readable => {
            require(have, rights::FD_READ)?;
            read_vecs(mem, &vecs, |buf, _| Ok(f.file.read(buf)?))?
        }
        Object::File(_) | Object::Writer(_) => return Err(Errno::Badf),
        Object::Dir(_) => return Err(Errno::Isdir),
    };
    mem.write_u32(nread_ptr, n)
}

/// `fd_write(fd, iovs) -> size`. Needs `FD_WRITE`. With `FDFLAGS_APPEND` every write goes
/// to the end of the file (emulated with a seek, so the flag can be changed later by
/// `fd_fdstat_set_flags`, and behaves the same on every host).
pub fn fd_write(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    nwritten_ptr: u32,
) -> Result<(), Errno> {
    let vecs = mem.iovecs(iovs, iovs_len)?;
    mem.check(nwritten_ptr, 4)?;
    let entry = ctx.fds.get(fd)?;
    let (have, append) = (entry.rights_base, entry.flags & fdflags::APPEND != 0);
    let n = match &mut entry.object {
        Object::Writer(w) => {
            require(have, rights::FD_WRITE)?;
            write_vecs(mem, &vecs, |buf, _| Ok(w.write_all(buf)?))?
        }
        Object::File(f) if f.writable => {
            require(have, rights::FD_WRITE)?;
            let key = ctx.meta.key_of_open(f.key);
            if append {
                f.file.seek(SeekFrom::End(0))?;
            }
            let n = write_vecs(mem, &vecs, |buf, _| Ok(f.file.write_all(buf)?))?;
            ctx.record(Change::Data(key));
            n
        }
        _ => return Err(Errno::Badf),
    };
    mem.write_u32(nwritten_ptr, n)
}

/// The regular file behind `fd` for positioned I/O and seeking, with the fd's rights and
/// flags: streams are `ESPIPE`, directories `EBADF` (they have no `FD_SEEK` right).
fn seekable(fds: &mut FdTable, fd: u32) -> Result<(&mut OpenFile, u64, u16, Access), Errno> {
    let entry = fds.get(fd)?;
    let (have, flags, access) = (entry.rights_base, entry.flags, entry.access);
    match &mut entry.object {
        Object::File(f) => Ok((f, have, flags, access)),
        Object::Reader(_) | Object::Writer(_) => Err(Errno::Spipe),
        Object::Dir(_) => Err(Errno::Badf),
    }
}

/// `fd_pread(fd, iovs, offset) -> size`: reads at `offset` without moving the file
/// position. Needs `FD_READ` and `FD_SEEK`.
pub fn fd_pread(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nread_ptr: u32,
) -> Result<(), Errno> {
    let vecs = mem.iovecs(iovs, iovs_len)?;
    mem.check(nread_ptr, 4)?;
    let (f, have, _, _) = seekable(&mut ctx.fds, fd)?;
    if !f.readable {
        return Err(Errno::Badf);
    }
    require(have, rights::FD_READ | rights::FD_SEEK)?;
    let total = read_vecs(mem, &vecs, |buf, done| {
        let at = offset.checked_add(u64::from(done)).ok_or(Errno::Inval)?;
        Ok(f.file.read_at(buf, at)?)
    })?;
    mem.write_u32(nread_ptr, total)
}

/// `fd_pwrite(fd, iovs, offset) -> size`: writes at `offset` without moving the file
/// position. Needs `FD_WRITE` and `FD_SEEK`. On an `FDFLAGS_APPEND` fd the data goes to
/// the end of the file whatever the offset: Linux `pwrite` on an `O_APPEND` fd and
/// Wasmtime do this; wasi-testsuite `pwrite-with-append` accepts either.
pub fn fd_pwrite(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    iovs: u32,
    iovs_len: u32,
    offset: u64,
    nwritten_ptr: u32,
) -> Result<(), Errno> {
    let vecs = mem.iovecs(iovs, iovs_len)?;
    mem.check(nwritten_ptr, 4)?;
    let (f, have, flags, _) = seekable(&mut ctx.fds, fd)?;
    if !f.writable {
        return Err(Errno::Badf);
    }
    require(have, rights::FD_WRITE | rights::FD_SEEK)?;
    let key = ctx.meta.key_of_open(f.key);
    let start = if flags & fdflags::APPEND != 0 {
        f.file.metadata()?.len()
    } else {
        offset
    };
    let total = write_vecs(mem, &vecs, |buf, done| {
        let at = start.checked_add(u64::from(done)).ok_or(Errno::Fbig)?;
        Ok(f.file.write_all_at(buf, at)?)
    })?;
    ctx.record(Change::Data(key));
    mem.write_u32(nwritten_ptr, total)
}

/// `fd_seek(fd, offset, whence) -> filesize`. `whence` is `set` 0, `cur` 1, `end` 2;
/// anything else, or a resulting negative offset, is `EINVAL`. Needs `FD_SEEK`, or only
/// `FD_TELL` for `(0, cur)`, which is how `ftell` asks.
pub fn fd_seek(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset: i64,
    whence: u32,
    newoffset_ptr: u32,
) -> Result<(), Errno> {
    let pos = match whence {
        0 => SeekFrom::Start(u64::try_from(offset).map_err(|_| Errno::Inval)?),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return Err(Errno::Inval),
    };
    mem.check(newoffset_ptr, 8)?;
    let (f, have, _, _) = seekable(&mut ctx.fds, fd)?;
    let tell_only = pos == SeekFrom::Current(0);
    require(
        have,
        if tell_only {
            rights::FD_TELL
        } else {
            rights::FD_SEEK
        },
    )?;
    let new = f.file.seek(pos)?;
    mem.write_u64(newoffset_ptr, new)
}

/// `fd_tell(fd) -> filesize`. Needs `FD_TELL`.
pub fn fd_tell(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset_ptr: u32,
) -> Result<(), Errno> {
    mem.check(offset_ptr, 8)?;
    let (f, have, _, _) = seekable(&mut ctx.fds, fd)?;
    require(have, rights::FD_TELL)?;
    let pos = f.file.stream_position()?;
    mem.write_u64(offset_ptr, pos)
}

/// `fd_close(fd)`. Any fd may be closed, the preopen and stdio included; output streams are
/// flushed first and a flush failure is reported, but the fd is closed either way.
pub fn fd_close(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    match ctx.fds.remove(fd)?.object {
        Object::Writer(mut w) => Ok(w.flush()?),
        _ => Ok(()),
    }
}

/// `fd_fdstat_get(fd) -> fdstat`. Streams report filetype `unknown` (they are never
/// terminals here, which also keeps wasi-libc's `isatty` false), files and directories
/// their type; the rights are the fd's own (see `rights`).
pub fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    stat_ptr: u32,
) -> Result<(), Errno> {
    mem.check(stat_ptr, FDSTAT_SIZE)?;
    let entry = ctx.fds.get(fd)?;
    let filetype = match &entry.object {
        Object::Reader(_) | Object::Writer(_) => FileType::Unknown,
        Object::File(f) => host::stat_fd(f.file.as_fd())?.filetype,
        Object::Dir(_) => FileType::Directory,
    };
    mem.write_bytes(stat_ptr, &[0; FDSTAT_SIZE as usize])?;
    mem.write_u8(stat_ptr, filetype as u8)?;
    mem.write_u16(stat_ptr + 2, entry.flags)?;
    mem.write_u64(stat_ptr + 8, entry.rights_base)?;
    mem.write_u64(stat_ptr + 16, entry.rights_inheriting)
}

/// `fd_fdstat_set_flags(fd, flags)`. Needs `FD_FDSTAT_SET_FLAGS`. Unknown bits are
/// `EINVAL`. `APPEND` and `NONBLOCK` may change at any time; the `*SYNC` bits of a file
/// were given to the host at open and cannot change afterwards (`ENOTSUP`; Linux ignores
/// such a change silently, which would make `fd_fdstat_get` lie).
pub fn fd_fdstat_set_flags(ctx: &mut WasiCtx, fd: u32, flags: u32) -> Result<(), Errno> {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    if flags & !fdflags::ALL != 0 {
        return Err(Errno::Inval);
    }
    let entry = ctx.fds.get(fd)?;
    entry.require(rights::FD_FDSTAT_SET_FLAGS)?;
    let sync = fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC;
    if matches!(entry.object, Object::File(_)) && (entry.flags ^ flags) & sync != 0 {
        return Err(Errno::Notsup);
    }
    entry.flags = flags;
    Ok(())
}

/// `fd_fdstat_set_rights(fd, fs_rights_base, fs_rights_inheriting)`: rights may only be
/// dropped; asking for one the fd does not hold is `ENOTCAPABLE` and changes nothing.
pub fn fd_fdstat_set_rights(
    ctx: &mut WasiCtx,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> Result<(), Errno> {
    let entry = ctx.fds.get(fd)?;
    require(entry.rights_base, base)?;
    require(entry.rights_inheriting, inheriting)?;
    entry.rights_base = base;
    entry.rights_inheriting = inheriting;
    Ok(())
}

/// `fd_filestat_get(fd) -> filestat`. Needs `FD_FILESTAT_GET`. Files and directories report
/// what `fs::meta` shows; streams an all-zero record of type `unknown`, in every mode.
pub fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    stat_ptr: u32,
) -> Result<(), Errno> {
    mem.check(stat_ptr, FILESTAT_SIZE)?;
    let entry = ctx.fds.get(fd)?;
    entry.require(rights::FD_FILESTAT_GET)?;
    let st = match &entry.object {
        Object::File(f) => ctx.meta.show(&[], host::stat_fd(f.file.as_fd())?),
        Object::Dir(d) => ctx.meta.show(&d.guest, ctx.mounts.stat_dir(&d.loc)?),
        Object::Reader(_) | Object::Writer(_) => Filestat {
            filetype: FileType::Unknown,
            nlink: 0,
            ..Filestat::virtual_dir()
        },
    };
    write_filestat(mem, stat_ptr, &st)
}

/// Decodes the arguments of `fd_filestat_set_times` and `path_filestat_set_times`:
/// `ATIM` with `ATIM_NOW` (or `MTIM` with `MTIM_NOW`), or an unknown bit, is `EINVAL`.
/// "Now" is the injected clock's realtime (deterministic runs stay deterministic), or the
/// host's time if the clock offers none. The clock is read once, and the reading returned
/// too, for `fs::meta` to date the change with.
pub fn set_times_args(
    ctx: &WasiCtx,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Result<(SetTime, SetTime, Option<u64>), Errno> {
    use fstflags::*;
    if fst_flags & !(ATIM | ATIM_NOW | MTIM | MTIM_NOW) != 0 {
        return Err(Errno::Inval);
    }
    let reading = ctx.clock.now(ClockId::Realtime);
    let now = reading.map_or(SetTime::Now, SetTime::At);
    let one = |set, now_bit, value| match (fst_flags & set != 0, fst_flags & now_bit != 0) {
        (true, true) => Err(Errno::Inval),
        (true, false) => Ok(SetTime::At(value)),
        (false, true) => Ok(now),
        (false, false) => Ok(SetTime::Omit),
    };
    Ok((
        one(ATIM, ATIM_NOW, atim)?,
        one(MTIM, MTIM_NOW, mtim)?,
        reading,
    ))
}

/// `fd_filestat_set_times(fd, atim, mtim, fst_flags)`. Needs `FD_FILESTAT_SET_TIMES`;
/// streams have no host file (`EBADF`); read-only mounts answer `EROFS`.
pub fn fd_filestat_set_times(
    ctx: &mut WasiCtx,
    fd: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> Result<(), Errno> {
    let (atim, mtim, now) = set_times_args(ctx, atim, mtim, fst_flags)?;
    let entry = ctx.fds.get(fd)?;
    let (have, access) = (entry.rights_base, entry.access);
    let of = match &entry.object {
        Object::File(f) => {
            require(have, rights::FD_FILESTAT_SET_TIMES)?;
            let key = ctx.meta.key_of_open(f.key);
            ops(access).set_times_fd(f.file.as_fd(), atim, mtim)?;
            key
        }
        Object::Dir(d) => {
            require(have, rights::FD_FILESTAT_SET_TIMES)?;
            match &d.loc {
                DirLoc::Virtual => return Err(Errno::Rofs),
                DirLoc::Host { fd, mount } => {
                    let access = ctx.mounts.access(Some(*mount));
                    let key = ctx.meta.key_fd(fd.as_fd())?;
                    ops(access).set_times(fd.as_fd(), ".", atim, mtim)?;
                    key
                }
            }
        }
        Object::Reader(_) | Object::Writer(_) => return Err(Errno::Badf),
    };
    let change = Change::Times {
        of,
        atim,
        mtim,
        now,
    };
    ctx.record(change);
    Ok(())
}

/// `fd_sync(fd)`. Needs `FD_SYNC`. See [`sync`].
pub fn fd_sync(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    sync(ctx, fd, false)
}

/// `fd_datasync(fd)`. Needs `FD_DATASYNC`. See [`sync`].
pub fn fd_datasync(ctx: &mut WasiCtx, fd: u32) -> Result<(), Errno> {
    sync(ctx, fd, true)
}

/// `fd_sync`, or `fd_datasync` when `data_only`. Files are synced to the host's disk;
/// directories have nothing buffered here; streams are `EINVAL`, as POSIX `fsync` on a pipe.
fn sync(ctx: &mut WasiCtx, fd: u32, data_only: bool) -> Result<(), Errno> {
    let entry = ctx.fds.get(fd)?;
    let need = if data_only {
        rights::FD_DATASYNC
    } else {
        rights::FD_SYNC
    };
    let have = entry.rights_base;
    match &mut entry.object {
        Object::Reader(_) | Object::Writer(_) => Err(Errno::Inval),
        Object::Dir(_) => require(have, need),
        Object::File(f) => {
            require(have, need)?;
            if data_only {
                Ok(f.file.sync_data()?)
            } else {
                Ok(f.file.sync_all()?)
            }
        }
    }
}

/// `fd_advise(fd, offset, len, advice)`: checked, then ignored (advice is only a hint).
/// `advice` is `normal` 0 .. `noreuse` 5. Needs `FD_ADVISE`.
pub fn fd_advise(
    ctx: &mut WasiCtx,
    fd: u32,
    _offset: u64,
    _len: u64,
    advice: u32,
) -> Result<(), Errno> {
    if advice > 5 {
        return Err(Errno::Inval);
    }
    let (_, have, _, _) = seekable(&mut ctx.fds, fd)?;
    require(have, rights::FD_ADVISE)
}

/// `fd_allocate(fd, offset, len)`: makes sure the file is at least `offset + len` bytes
/// long, extending it with zeros (`posix_fallocate`; the blocks are not reserved ahead).
/// Needs `FD_ALLOCATE` on a file open for writing: a directory is `EISDIR`, a stream
/// `ESPIPE`, a read-only file `EBADF`; `len` 0 is `EINVAL`; an end past `i64::MAX` `EFBIG`.
pub fn fd_allocate(ctx: &mut WasiCtx, fd: u32, offset: u64, len: u64) -> Result<(), Errno> {
    let entry = ctx.fds.get(fd)?;
    let (have, access) = (entry.rights_base, entry.access);
    let f = match &entry.object {
        Object::File(f) if f.writable => f,
        Object::File(_) => return Err(Errno::Badf),
        Object::Dir(_) => return Err(Errno::Isdir),
        Object::Reader(_) | Object::Writer(_) => return Err(Errno::Spipe),
    };
    require(have, rights::FD_ALLOCATE)?;
    if len == 0 {
        return Err(Errno::Inval);
    }
    let end = offset
        .checked_add(len)
        .filter(|e| *e <= i64::MAX as u64)
        .ok_or(Errno::Fbig)?;
    let key = ctx.meta.key_of_open(f.key);
    ops(access).allocate(&f.file, end)?;
    ctx.record(Change::Data(key));
    Ok(())
}

/// `fd_filestat_set_size(fd, size)`: truncates or extends a file opened for writing.
/// Needs `FD_FILESTAT_SET_SIZE`.
pub fn fd_filestat_set_size(ctx: &mut WasiCtx, fd: u32, size: u64) -> Result<(), Errno> {
    let (f, have, _, access) = seekable(&mut ctx.fds, fd)?;
    if !f.writable {
        return Err(Errno::Badf);
    }
    require(have, rights::FD_FILESTAT_SET_SIZE)?;
    if size > i64::MAX as u64 {
        return Err(Errno::Fbig);
    }
    let key = ctx.meta.key_of_open(f.key);
    ops(access).set_size(&f.file, size)?;
    ctx.record(Change::Data(key));
    Ok(())
}

/// `fd_renumber(fd, to)`: `to` (which must be open) is closed and replaced by `fd`.
pub fn fd_renumber(ctx: &mut WasiCtx, fd: u32, to: u32) -> Result<(), Errno> {
    if let Some(Entry {
        object: Object::Writer(mut w),
        ..
    }) = ctx.fds.renumber(fd, to)?
    {
        w.flush()?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "fd_tests.rs"]
mod tests;
