//! Directory fds: `fd_readdir`, `fd_prestat_get`, `fd_prestat_dir_name`.
//!
//! Owns: the `$dirent` stream and the `$prestat` record. Listings are deterministic: `.`
//! and `..` first, then entries sorted by name (virtual mount-point children merged in by
//! `fs::mounts`); the cookie of an entry is its index, and `d_next` the next index. `d_ino`
//! is the inode a stat of the entry shows (`fs::meta`). Must not open or resolve anything:
//! it lists what the namespace says.

use crate::WasiCtx;
use crate::errno::Errno;
use crate::fdtable::{Object, OpenDir};
use crate::fs::meta::Meta;
use crate::fs::mounts::Mounts;
use crate::fs::resolve::resolve;
use crate::fs::{DirEntry, FileType};
use crate::memory::GuestMemory;
use crate::rights;

/// Size of the fixed part of a `$dirent` (`d_next` u64, `d_ino` u64, `d_namlen` u32,
/// `d_type` u8, 3 bytes of padding); the name follows, not NUL-terminated.
pub const DIRENT_SIZE: usize = 24;

/// The inode of guest directory `guest`, looked up from the root (0 if it is gone).
fn ino_of(mounts: &Mounts, meta: &mut Meta, guest: &[String]) -> u64 {
    let root = mounts.root();
    let stat = if guest.is_empty() {
        mounts.stat_dir(&root)
    } else {
        resolve(mounts, &[], &root, &guest.join("/"), true).and_then(|r| r.stat())
    };
    stat.map_or(0, |s| meta.show(guest, s).ino)
}

/// The full listing of a directory, `.` and `..` first.
fn listing(mounts: &Mounts, meta: &mut Meta, dir: &OpenDir) -> Result<Vec<DirEntry>, Errno> {
    let here = meta.show(&dir.guest, mounts.stat_dir(&dir.loc)?).ino;
    let parent = match dir.guest.split_last() {
        Some((_, parent)) => ino_of(mounts, meta, parent),
        // The root's `..` is itself, as on POSIX.
        None => here,
    };
    let dot = |name: &str, ino| DirEntry {
        name: name.to_string(),
        filetype: FileType::Directory,
        ino,
    };
    let mut out = vec![dot(".", here), dot("..", parent)];
    let entries = mounts.list(&dir.guest, &dir.loc)?;
    if !meta.is_virtual() {
        out.extend(entries);
        return Ok(out);
    }
    // Virtual inode numbers come from a stat of each entry, the one `path_filestat_get`
    // makes, so the two always agree. An entry removed meanwhile is left out.
    let mut child = dir.guest.clone();
    for mut e in entries {
        child.push(e.name.clone());
        match mounts.stat_child(&dir.loc, &child) {
            Ok(st) => {
                e.ino = meta.show(&child, st).ino;
                out.push(e);
            }
            Err(Errno::Noent) => {}
            Err(err) => return Err(err),
        }
        child.pop();
    }
    Ok(out)
}

/// `fd_readdir(fd, buf, buf_len, cookie) -> size`. Needs `FD_READDIR`. Entries from
/// `cookie` on are packed into `buf`; the last one is cut at `buf_len` (preview1: a full
/// buffer tells the caller to retry with a larger one from the same cookie). A cookie of 0
/// takes a fresh listing; later cookies index that snapshot, so entries added or removed
/// while the guest pages through (`rm -r` unlinks as it reads) never shift what it sees.
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
    let entry = ctx.fds.get(fd)?;
    let have = entry.rights_base;
    let Object::Dir(dir) = &mut entry.object else {
        return Err(Errno::Notdir);
    };
    rights::require(have, rights::FD_READDIR)?;
    if cookie == 0 || dir.listing.is_none() {
        dir.listing = Some(listing(&ctx.mounts, &mut ctx.meta, dir)?);
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
    use crate::fs::mounts::DirLoc;
    use crate::funcs::test_support::world;
    use crate::rights;
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
            loc: DirLoc::Virtual,
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

    /// Every entry from `cookie` on, read with a buffer of `buf_len`, as wasi-libc pages.
    fn read_all(ctx: &mut crate::WasiCtx, fd: u32, buf_len: u32) -> Vec<(u64, String)> {
        let mut out = Vec::new();
        let mut cookie = 0;
        loop {
            let mut buf = marked(buf_len as usize + 8);
            let mut mem = GuestMemory::new(&mut buf);
            fd_readdir(ctx, &mut mem, fd, 8, buf_len, cookie, 0).unwrap();
            let used = mem.read_u32(0).unwrap();
            let got = decode(&buf[8..8 + used as usize]);
            // Only whole entries count; a cut one is read again from its cookie.
            let whole: Vec<_> = got
                .into_iter()
                .filter(|e| e.3.len() == e.1 as usize)
                .collect();
            if whole.is_empty() && used == buf_len {
                panic!("buffer too small for one entry");
            }
            for e in &whole {
                out.push((e.0, e.3.clone()));
            }
            match whole.last() {
                Some(e) if used == buf_len => cookie = e.0,
                _ => return out,
            }
        }
    }

    #[test]
    fn small_buffers_page_through_every_entry_once() {
        // The wasi-testsuite `fd_readdir_lots` loop, with a buffer that cuts entries.
        let mut w = world();
        for i in 0..100 {
            w.rw.file(&format!("file.{i}"), b"");
        }
        let names: Vec<_> = read_all(&mut w.ctx, 3, 40)
            .into_iter()
            .map(|e| e.1)
            .collect();
        assert_eq!(names.len(), 100 + 2 + 3);
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        assert_eq!(&names[..2], [".", ".."]);
        // Cookies are stable: d_next of entry i is i + 1.
        let cookies: Vec<_> = read_all(&mut w.ctx, 3, 4096)
            .into_iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(cookies, (1..=105).collect::<Vec<u64>>());
    }

    #[test]
    fn entries_changed_while_paging_neither_shift_nor_repeat() {
        let mut w = world();
        for i in 0..10 {
            w.rw.file(&format!("f{i}"), b"");
        }
        let mut buf = marked(512);
        let mut mem = GuestMemory::new(&mut buf);
        // First page: ".", "..", "f0".
        fd_readdir(&mut w.ctx, &mut mem, 3, 8, 24 * 3 + 5, 0, 0).unwrap();
        // `rm -r` unlinks what it has read, and something new appears.
        std::fs::remove_file(w.rw.path().join("f0")).unwrap();
        std::fs::remove_file(w.rw.path().join("f5")).unwrap();
        w.rw.file("a-new", b"");
        let mut mem = GuestMemory::new(&mut buf);
        fd_readdir(&mut w.ctx, &mut mem, 3, 8, 500, 3, 0).unwrap();
        let used = mem.read_u32(0).unwrap() as usize;
        let names: Vec<_> = decode(&buf[8..8 + used]).into_iter().map(|e| e.3).collect();
        assert_eq!(names[0], "f1");
        assert!(names.contains(&"f5".to_string()), "from the snapshot");
        assert!(!names.contains(&"a-new".to_string()));
        // A new listing (cookie 0) sees the directory as it is now.
        let fresh: Vec<_> = read_all(&mut w.ctx, 3, 4096)
            .into_iter()
            .map(|e| e.1)
            .collect();
        assert!(fresh.contains(&"a-new".to_string()) && !fresh.contains(&"f5".to_string()));
    }

    #[test]
    fn dot_has_the_directory_inode_and_entries_their_own() {
        let mut w = world();
        w.rw.file("sub/file", b"");
        let mut buf = marked(300);
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_bytes(200, b"sub").unwrap();
        let r = crate::funcs::path::path_open(
            &mut w.ctx,
            &mut mem,
            3,
            0,
            200,
            3,
            crate::funcs::path::oflags::DIRECTORY,
            rights::DIR,
            rights::DIR_INHERITING,
            0,
            0,
        );
        r.unwrap();
        let sub = mem.read_u32(0).unwrap();
        crate::funcs::fd::fd_filestat_get(&mut w.ctx, &mut mem, sub, 100).unwrap();
        let sub_ino = mem.read_u64(108).unwrap();
        crate::funcs::fd::fd_filestat_get(&mut w.ctx, &mut mem, 3, 100).unwrap();
        let root_ino = mem.read_u64(108).unwrap();
        fd_readdir(&mut w.ctx, &mut mem, sub, 0, 100, 0, 296).unwrap();
        let used = mem.read_u32(296).unwrap() as usize;
        let got = decode(&buf[..used]);
        assert_eq!(got.len(), 3);
        let ino = |i: usize| {
            let mut at = 0;
            for e in &got[..i] {
                at += DIRENT_SIZE + e.1 as usize;
            }
            u64::from_le_bytes(buf[at + 8..at + 16].try_into().unwrap())
        };
        assert_eq!((ino(0), ino(1)), (sub_ino, root_ino));
        use std::os::unix::fs::MetadataExt;
        let file_ino = std::fs::metadata(w.rw.path().join("sub/file"))
            .unwrap()
            .ino();
        assert_eq!((got[2].3.as_str(), ino(2)), ("file", file_ino));
    }
}
