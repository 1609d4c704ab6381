//! Directory fds: `fd_readdir`, `fd_prestat_get`, `fd_prestat_dir_name`.
//!
//! Owns: the `$dirent` stream and the `$prestat` record. Listings are deterministic: `.`
//! and `..` first, then entries sorted by name (virtual mount-point children merged in by
//! `fs::mounts`); the cookie of an entry is its index, and `d_next` the next index. Must not
//! open or resolve anything: it lists what the namespace says.

use crate::WasiCtx;
use crate::errno::Errno;
use crate::fs::mounts::Mounts;
use crate::fs::{DirEntry, FileType};
use crate::memory::GuestMemory;

/// Size of the fixed part of a `$dirent` (`d_next` u64, `d_ino` u64, `d_namlen` u32,
/// `d_type` u8, 3 bytes of padding); the name follows, not NUL-terminated.
pub const DIRENT_SIZE: usize = 24;

/// The full listing of directory `guest`, `.` and `..` first.
fn listing(mounts: &Mounts, guest: &[String]) -> Result<Vec<DirEntry>, Errno> {
    let here = mounts.stat(guest, true)?.ino;
    let parent = match guest.split_last() {
        Some((_, parent)) => mounts.stat(parent, true)?.ino,
        // The root's `..` is itself, as on POSIX.
        None => here,
    };
    let dot = |name: &str, ino| DirEntry {
        name: name.to_string(),
        filetype: FileType::Directory,
        ino,
    };
    let mut out = vec![dot(".", here), dot("..", parent)];
    out.extend(mounts.list(guest)?);
    Ok(out)
}

/// `fd_readdir(fd, buf, buf_len, cookie) -> size`. Entries from `cookie` on are packed into
/// `buf`; the last one is cut at `buf_len` (preview1: a full buffer tells the caller to
/// retry with a larger one from the same cookie). A cookie of 0 takes a fresh listing.
pub fn fd_readdir(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    buf: u32,
    buf_len: u32,
    cookie: u64,
    bufused_ptr: u32,
) -> Result<(), Errno> {
    mem.check(buf, buf_len)?;
    mem.check(bufused_ptr, 4)?;
    let dir = ctx.fds.dir(fd)?;
    if cookie == 0 || dir.listing.is_none() {
        dir.listing = Some(listing(&ctx.mounts, &dir.guest)?);
    }
    let entries = dir.listing.as_deref().unwrap_or_default();
    let start = usize::try_from(cookie).unwrap_or(usize::MAX);
    let cap = buf_len as usize;
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate().skip(start) {
        if out.len() >= cap {
            break;
        }
        let mut header = [0u8; DIRENT_SIZE];
        header[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        header[8..16].copy_from_slice(&e.ino.to_le_bytes());
        header[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        header[20] = e.filetype as u8;
        out.extend_from_slice(&header);
        out.extend_from_slice(e.name.as_bytes());
    }
    out.truncate(cap);
    mem.write_bytes(buf, &out)?;
    mem.write_u32(bufused_ptr, out.len() as u32)
}

/// The preopen name of `fd`: `EBADF` for any fd that is not a preopen (wasi-libc scans fds
/// from 3 up until it sees `EBADF`).
fn preopen_name(ctx: &mut WasiCtx, fd: u32) -> Result<String, Errno> {
    match ctx.fds.dir(fd) {
        Ok(d) => d.preopen.clone().ok_or(Errno::Badf),
        Err(_) => Err(Errno::Badf),
    }
}

/// `fd_prestat_get(fd) -> prestat`: tag `dir` (0) and the name's length.
pub fn fd_prestat_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    prestat_ptr: u32,
) -> Result<(), Errno> {
    mem.check(prestat_ptr, 8)?;
    let name = preopen_name(ctx, fd)?;
    mem.write_u32(prestat_ptr, 0)?;
    mem.write_u32(prestat_ptr + 4, name.len() as u32)
}

/// `fd_prestat_dir_name(fd, path, path_len)`: the name, not NUL-terminated. A buffer
/// shorter than the name is `ENAMETOOLONG` (as Wasmtime); only the name's bytes are written.
pub fn fd_prestat_dir_name(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    fd: u32,
    path: u32,
    path_len: u32,
) -> Result<(), Errno> {
    let name = preopen_name(ctx, fd)?;
    if (path_len as usize) < name.len() {
        return Err(Errno::Nametoolong);
    }
    mem.write_bytes(path, name.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fdtable::{Entry, Object, OpenDir};
    use crate::funcs::test_support::world;
    use crate::testutil::{TempDir, marked};
    use crate::{Access, WasiCtxBuilder};

    /// Decodes a readdir buffer into (d_next, d_namlen, d_type, name) tuples.
    fn decode(mut b: &[u8]) -> Vec<(u64, u32, u8, String)> {
        let mut out = Vec::new();
        while b.len() >= DIRENT_SIZE {
            let next = u64::from_le_bytes(b[0..8].try_into().unwrap());
            let len = u32::from_le_bytes(b[16..20].try_into().unwrap());
            let ty = b[20];
            assert_eq!(&b[21..24], &[0, 0, 0]);
            let end = (DIRENT_SIZE + len as usize).min(b.len());
            out.push((
                next,
                len,
                ty,
                String::from_utf8_lossy(&b[DIRENT_SIZE..end]).into(),
            ));
            b = &b[end..];
        }
        out
    }

    #[test]
    fn lists_dot_entries_first_then_sorted_names() {
        let mut w = world();
        w.rw.file("b.txt", b"");
        let mut buf = marked(512);
        let mut mem = GuestMemory::new(&mut buf);
        fd_readdir(&mut w.ctx, &mut mem, 3, 8, 400, 0, 0).unwrap();
        let used = mem.read_u32(0).unwrap() as usize;
        assert_eq!(buf[4..8], *b"????");
        let got = decode(&buf[8..8 + used]);
        let names: Vec<_> = got.iter().map(|e| (e.0, e.2, e.3.as_str())).collect();
        assert_eq!(
            names,
            vec![
                (1, 3, "."),
                (2, 3, ".."),
                (3, 4, "b.txt"),
                (4, 4, "hello.txt"),
                (5, 3, "ro"),
                (6, 3, "sub"),
            ]
        );
        assert_eq!(buf[8 + used], b'?');
    }

    #[test]
    fn cookie_resumes_and_small_buffers_truncate_the_last_entry() {
        let mut w = world();
        let mut buf = marked(64);
        let mut mem = GuestMemory::new(&mut buf);
        // Room for "hello.txt"'s header and 3 bytes of its name.
        fd_readdir(&mut w.ctx, &mut mem, 3, 4, 27, 2, 0).unwrap();
        assert_eq!(mem.read_u32(0), Ok(27));
        assert_eq!(&buf[4 + 24..4 + 27], b"hel");
        assert_eq!(buf[4 + 27], b'?');
        let mut mem = GuestMemory::new(&mut buf);
        fd_readdir(&mut w.ctx, &mut mem, 3, 4, 60, 99, 0).unwrap();
        assert_eq!(mem.read_u32(0), Ok(0));
    }

    #[test]
    fn virtual_directories_list_mount_points() {
        let data = TempDir::new();
        let mut ctx = WasiCtxBuilder::new()
            .mount("/inputs/a", data.path(), Access::ReadOnly)
            .build()
            .unwrap();
        let mut buf = marked(256);
        let mut mem = GuestMemory::new(&mut buf);
        fd_readdir(&mut ctx, &mut mem, 3, 4, 200, 0, 0).unwrap();
        let used = mem.read_u32(0).unwrap() as usize;
        let names: Vec<_> = decode(&buf[4..4 + used]).into_iter().map(|e| e.3).collect();
        assert_eq!(names, [".", "..", "inputs"]);
    }

    #[test]
    fn readdir_errnos() {
        let mut w = world();
        let mut buf = marked(64);
        let mut mem = GuestMemory::new(&mut buf);
        assert_eq!(
            fd_readdir(&mut w.ctx, &mut mem, 9, 0, 8, 0, 60),
            Err(Errno::Badf)
        );
        assert_eq!(
            fd_readdir(&mut w.ctx, &mut mem, 1, 0, 8, 0, 60),
            Err(Errno::Notdir)
        );
        assert_eq!(
            fd_readdir(&mut w.ctx, &mut mem, 3, 60, 8, 0, 0),
            Err(Errno::Fault)
        );
        assert_eq!(
            fd_readdir(&mut w.ctx, &mut mem, 3, 0, 8, 0, 61),
            Err(Errno::Fault)
        );
        assert_eq!(buf, marked(64));
    }

    #[test]
    fn prestat_names_the_root() {
        let mut w = world();
        let mut buf = marked(10);
        let mut mem = GuestMemory::new(&mut buf);
        fd_prestat_get(&mut w.ctx, &mut mem, 3, 1).unwrap();
        assert_eq!(buf, b"?\0\0\0\0\x01\0\0\0?");
        let mut mem = GuestMemory::new(&mut buf);
        fd_prestat_dir_name(&mut w.ctx, &mut mem, 3, 2, 1).unwrap();
        assert_eq!(buf, b"?\0/\0\0\x01\0\0\0?");
    }

    #[test]
    fn prestat_errnos() {
        let mut w = world();
        let sub = Entry::new(Object::Dir(OpenDir {
            guest: vec!["sub".into()],
            preopen: None,
            listing: None,
        }));
        let sub_fd = w.ctx.fds.insert(sub).unwrap();
        let mut buf = marked(10);
        let mut mem = GuestMemory::new(&mut buf);
        for fd in [1, 9, sub_fd] {
            assert_eq!(
                fd_prestat_get(&mut w.ctx, &mut mem, fd, 0),
                Err(Errno::Badf)
            );
            assert_eq!(
                fd_prestat_dir_name(&mut w.ctx, &mut mem, fd, 0, 8),
                Err(Errno::Badf)
            );
        }
        assert_eq!(
            fd_prestat_get(&mut w.ctx, &mut mem, 3, 3),
            Err(Errno::Fault)
        );
        assert_eq!(
            fd_prestat_dir_name(&mut w.ctx, &mut mem, 3, 0, 0),
            Err(Errno::Nametoolong)
        );
        assert_eq!(
            fd_prestat_dir_name(&mut w.ctx, &mut mem, 3, 10, 1),
            Err(Errno::Fault)
        );
        let mut ctx = WasiCtxBuilder::new().build().unwrap();
        assert_eq!(fd_prestat_get(&mut ctx, &mut mem, 3, 0), Err(Errno::Badf));
        assert_eq!(buf, marked(10));
    }
}
