//! Calls on an open fd's data and state: `fd_read`, `fd_write`, `fd_pread`, `fd_pwrite`,
//! `fd_seek`, `fd_tell`, `fd_close`, `fd_fdstat_get`, `fd_fdstat_set_flags`,
//! `fd_filestat_get`, and the `$fdstat` / `$filestat` layouts.
//!
//! Owns: which object kinds support which call, and with which errno they refuse (streams
//! cannot seek: `ESPIPE`; a directory cannot be read: `EISDIR`; a file not opened for
//! writing: `EBADF`, as POSIX). Must not resolve paths (see `path.rs`) or list directories
//! (see `fd_dir.rs`).

use crate::WasiCtx;
use crate::errno::Errno;
use crate::fdtable::{Entry, Object, fdflags};
use crate::fs::{Access, FileType, Filestat};
use crate::memory::{GuestMemory, IoVec};
use crate::rights;
use std::io::{self, Read, Seek, SeekFrom, Write};

/// Size of `$filestat`.
pub const FILESTAT_SIZE: u32 = 64;
/// Size of `$fdstat`.
pub const FDSTAT_SIZE: u32 = 24;

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

/// Reads into the iovecs in order; a short read ends the call, as `readv` does.
fn read_vecs(r: &mut dyn Read, mem: &mut GuestMemory<'_>, vecs: &[IoVec]) -> Result<u32, Errno> {
    let mut total = 0u32;
    for v in vecs {
        let len = clamp(v, total);
        let buf = mem.slice_mut(v.ptr, len)?;
        let n = loop {
            match r.read(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Bytes already delivered are reported; the error will recur on the next call.
                Err(_) if total > 0 => return Ok(total),
                Err(e) => return Err(e.into()),
            }
        };
        total += n as u32;
        if n < len as usize {
            break;
        }
    }
    Ok(total)
}

/// Writes every iovec in full.
fn write_vecs(w: &mut dyn Write, mem: &GuestMemory<'_>, vecs: &[IoVec]) -> Result<u32, Errno> {
    let mut total = 0u32;
    for v in vecs {
        let len = clamp(v, total);
        w.write_all(mem.slice(v.ptr, len)?)?;
        total += len;
    }
    Ok(total)
}

/// `fd_read(fd, iovs) -> size`.
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
    let n = match &mut ctx.fds.get(fd)?.object {
        Object::Reader(r) => read_vecs(r, mem, &vecs)?,
        Object::File(f) if f.readable => read_vecs(&mut f.file, mem, &vecs)?,
        Object::File(_) | Object::Writer(_) => return Err(Errno::Badf),
        Object::Dir(_) => return Err(Errno::Isdir),
    };
    mem.write_u32(nread_ptr, n)
}

/// `fd_write(fd, iovs) -> size`. With `FDFLAGS_APPEND` every write goes to the end of the
/// file (emulated with a seek, so the flag can be changed later by `fd_fdstat_set_flags`).
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
    let n = match &mut entry.object {
        Object::Writer(w) => write_vecs(w, mem, &vecs)?,
        Object::File(f) if f.writable => {
            if entry.flags & fdflags::APPEND != 0 {
                f.file.seek(SeekFrom::End(0))?;
            }
            write_vecs(&mut f.file, mem, &vecs)?
        }
        _ => return Err(Errno::Badf),
    };
    mem.write_u32(nwritten_ptr, n)
}

/// The regular file behind `fd` for positioned I/O and seeking: streams are `ESPIPE`,
/// directories `EBADF` (they have no `FD_SEEK` right).
fn seekable(ctx: &mut WasiCtx, fd: u32) -> Result<&mut crate::fdtable::OpenFile, Errno> {
    match &mut ctx.fds.get(fd)?.object {
        Object::File(f) => Ok(f),
        Object::Reader(_) | Object::Writer(_) => Err(Errno::Spipe),
        Object::Dir(_) => Err(Errno::Badf),
    }
}

/// Runs `op` with the file positioned at `offset`, then restores the position: preview1
/// `fd_pread`/`fd_pwrite` must not move the file offset. Portable std has no `pread`.
fn at_offset<R>(
    file: &mut std::fs::File,
    offset: u64,
    op: impl FnOnce(&mut std::fs::File) -> Result<R, Errno>,
) -> Result<R, Errno> {
    let saved = file.stream_position()?;
    file.seek(SeekFrom::Start(offset))?;
    let result = op(file);
    file.seek(SeekFrom::Start(saved))?;
    result
}

/// `fd_pread(fd, iovs, offset) -> size`.
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
    let f = seekable(ctx, fd)?;
    if !f.readable {
        return Err(Errno::Badf);
    }
    let n = at_offset(&mut f.file, offset, |file| read_vecs(file, mem, &vecs))?;
    mem.write_u32(nread_ptr, n)
}

/// `fd_pwrite(fd, iovs, offset) -> size`. Writes at `offset` even in append mode (POSIX
/// leaves that case to the implementation; the offset is what the guest asked for).
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
    let f = seekable(ctx, fd)?;
    if !f.writable {
        return Err(Errno::Badf);
    }
    let n = at_offset(&mut f.file, offset, |file| write_vecs(file, mem, &vecs))?;
    mem.write_u32(nwritten_ptr, n)
}

/// `fd_seek(fd, offset, whence) -> filesize`. `whence` is `set` 0, `cur` 1, `end` 2;
/// anything else, or a resulting negative offset, is `EINVAL`.
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
    let f = seekable(ctx, fd)?;
    let new = f.file.seek(pos)?;
    mem.write_u64(newoffset_ptr, new)
}

/// `fd_tell(fd) -> filesize`.
pub fn fd_tell(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    offset_ptr: u32,
) -> Result<(), Errno> {
    mem.check(offset_ptr, 8)?;
    let pos = seekable(ctx, fd)?.file.stream_position()?;
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
/// their type; see `rights` for the rights reported.
pub fn fd_fdstat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    stat_ptr: u32,
) -> Result<(), Errno> {
    mem.check(stat_ptr, FDSTAT_SIZE)?;
    let entry = ctx.fds.get(fd)?;
    let (filetype, base, inheriting) = match &entry.object {
        Object::Reader(_) => (FileType::Unknown, rights::INPUT_STREAM, 0),
        Object::Writer(_) => (FileType::Unknown, rights::OUTPUT_STREAM, 0),
        Object::File(f) => {
            let ft = crate::fs::host::filetype(&f.file.metadata()?);
            (ft, rights::file(f.readable, f.writable), 0)
        }
        Object::Dir(d) => {
            let writable = ctx
                .mounts
                .host(&d.guest)
                .is_some_and(|l| l.access == Access::ReadWrite);
            (
                FileType::Directory,
                rights::dir(writable),
                rights::DIR_INHERITING,
            )
        }
    };
    mem.write_bytes(stat_ptr, &[0; FDSTAT_SIZE as usize])?;
    mem.write_u8(stat_ptr, filetype as u8)?;
    mem.write_u16(stat_ptr + 2, entry.flags)?;
    mem.write_u64(stat_ptr + 8, base)?;
    mem.write_u64(stat_ptr + 16, inheriting)
}

/// `fd_fdstat_set_flags(fd, flags)`. Unknown bits are `EINVAL`; `APPEND` takes effect on
/// files, the synchronisation and non-blocking bits are recorded and reported back only.
pub fn fd_fdstat_set_flags(ctx: &mut WasiCtx, fd: u32, flags: u32) -> Result<(), Errno> {
    let flags = u16::try_from(flags).map_err(|_| Errno::Inval)?;
    if flags & !fdflags::ALL != 0 {
        return Err(Errno::Inval);
    }
    ctx.fds.get(fd)?.flags = flags;
    Ok(())
}

/// `fd_filestat_get(fd) -> filestat`. Streams report an all-zero record of type `unknown`.
pub fn fd_filestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    stat_ptr: u32,
) -> Result<(), Errno> {
    mem.check(stat_ptr, FILESTAT_SIZE)?;
    let st = match &ctx.fds.get(fd)?.object {
        Object::File(f) => crate::fs::host::filestat(&f.file.metadata()?),
        Object::Dir(d) => ctx.mounts.stat(&d.guest, true)?,
        Object::Reader(_) | Object::Writer(_) => Filestat {
            filetype: FileType::Unknown,
            nlink: 0,
            ..Filestat::virtual_dir()
        },
    };
    write_filestat(mem, stat_ptr, &st)
}

/// `fd_sync(fd)` (`data_only`: `fd_datasync`). Files are synced to the host's disk;
/// directories have nothing buffered here; streams are `EINVAL`, as POSIX `fsync` on a pipe.
pub fn fd_sync(ctx: &mut WasiCtx, fd: u32, data_only: bool) -> Result<(), Errno> {
    match &mut ctx.fds.get(fd)?.object {
        Object::File(f) if data_only => Ok(f.file.sync_data()?),
        Object::File(f) => Ok(f.file.sync_all()?),
        Object::Dir(_) => Ok(()),
        Object::Reader(_) | Object::Writer(_) => Err(Errno::Inval),
    }
}

/// `fd_advise(fd, offset, len, advice)`: checked, then ignored (advice is only a hint).
/// `advice` is `normal` 0 .. `noreuse` 5.
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
    seekable(ctx, fd).map(|_| ())
}

/// `fd_filestat_set_size(fd, size)`: truncates or extends a file opened for writing.
pub fn fd_filestat_set_size(ctx: &mut WasiCtx, fd: u32, size: u64) -> Result<(), Errno> {
    let f = seekable(ctx, fd)?;
    if !f.writable {
        return Err(Errno::Badf);
    }
    Ok(f.file.set_len(size)?)
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
