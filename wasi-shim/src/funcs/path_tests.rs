//! Tests of `path.rs` against real host files: exact bytes, every errno, and that
//! read-only mounts and virtual directories are never changed.

use super::*;
use crate::fs::FileType;
use crate::funcs::fd::{FILESTAT_SIZE, fd_read};
use crate::funcs::test_support::{World, world};
use crate::testutil::{TempDir, marked};
use crate::{Access, WasiCtxBuilder};

#[path = "path_entry_tests.rs"]
mod entry;

const RW: u64 = rights::FD_READ | rights::FD_WRITE;
const PATH_AT: u32 = 200;

/// What wasi-libc asks `path_open` for on `open(path, O_RDONLY)`.
const LIBC_READ: u64 = rights::DIR_INHERITING & !rights::FILE_WRITE;

/// Calls `path_open` from `dirfd` with the path placed at `PATH_AT`, passing the
/// directory's inheriting rights on as wasi-libc does.
fn open_at(w: &mut World, dirfd: u32, path: &str, oflags: u32, base: u64) -> Result<u32, Errno> {
    let inheriting = w.ctx.fds.get(dirfd).map_or(0, |e| e.rights_inheriting);
    let mut buf = marked(512);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(PATH_AT, path.as_bytes()).unwrap();
    let len = path.len() as u32;
    path_open(
        &mut w.ctx, &mut mem, dirfd, 1, PATH_AT, len, oflags, base, inheriting, 0, 0,
    )?;
    Ok(mem.read_u32(0).unwrap())
}

fn open(w: &mut World, path: &str, oflags: u32, base: u64) -> Result<u32, Errno> {
    open_at(w, 3, path, oflags, base)
}

/// Runs a `(fd, path_ptr, path_len)` path call with the path at `PATH_AT`.
fn call(
    w: &mut World,
    f: fn(&mut WasiCtx, &mut GuestMemory<'_>, u32, u32, u32) -> Result<(), Errno>,
    path: &str,
) -> Result<(), Errno> {
    let mut buf = marked(512);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(PATH_AT, path.as_bytes()).unwrap();
    f(&mut w.ctx, &mut mem, 3, PATH_AT, path.len() as u32)
}

fn read_all(w: &mut World, fd: u32) -> Vec<u8> {
    let mut buf = vec![0u8; 128];
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_u32(0, 64).unwrap();
    mem.write_u32(4, 64).unwrap();
    fd_read(&mut w.ctx, &mut mem, fd, 0, 1, 8).unwrap();
    let n = mem.read_u32(8).unwrap() as usize;
    buf[64..64 + n].to_vec()
}

const A: u32 = 200;
const B: u32 = 300;

/// Runs a two-path call with `a` at `A` and `b` at `B` in a `?`-marked memory, and checks
/// that the call wrote nothing to guest memory.
fn two(
    w: &mut World,
    a: &str,
    b: &str,
    f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>, (u32, u32), (u32, u32)) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let mut buf = marked(512);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(A, a.as_bytes()).unwrap();
    mem.write_bytes(B, b.as_bytes()).unwrap();
    let before = buf.clone();
    let mut mem = GuestMemory::new(&mut buf);
    let r = f(
        &mut w.ctx,
        &mut mem,
        (A, a.len() as u32),
        (B, b.len() as u32),
    );
    assert_eq!(buf, before, "guest memory changed");
    r
}

fn rename(w: &mut World, a: &str, b: &str) -> Result<(), Errno> {
    two(w, a, b, |c, m, (ap, al), (bp, bl)| {
        path_rename(c, m, 3, ap, al, 3, bp, bl)
    })
}

fn link(w: &mut World, a: &str, b: &str, lookup: u32) -> Result<(), Errno> {
    two(w, a, b, |c, m, (ap, al), (bp, bl)| {
        path_link(c, m, 3, lookup, ap, al, 3, bp, bl)
    })
}

fn symlink(w: &mut World, target: &str, at: &str) -> Result<(), Errno> {
    two(w, target, at, |c, m, (ap, al), (bp, bl)| {
        path_symlink(c, m, ap, al, 3, bp, bl)
    })
}

/// Drops `rights` from fd 3's base rights.
fn drop_rights(w: &mut World, fd: u32, base: u64, inheriting: u64) {
    let e = w.ctx.fds.get(fd).unwrap();
    let (b, i) = (e.rights_base & !base, e.rights_inheriting & !inheriting);
    crate::funcs::fd::fd_fdstat_set_rights(&mut w.ctx, fd, b, i).unwrap();
}

fn host_stat(p: &std::path::Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(p).unwrap()
}

#[test]
fn path_open_writes_the_new_fd_exactly() {
    let mut w = world();
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(40, b"hello.txt").unwrap();
    path_open(
        &mut w.ctx,
        &mut mem,
        3,
        0,
        40,
        9,
        0,
        rights::FD_READ,
        0,
        0,
        5,
    )
    .unwrap();
    assert_eq!(&buf[4..10], b"?\x04\0\0\0?");
    assert_eq!(read_all(&mut w, 4), b"hello world");
}

#[test]
fn path_open_creates_truncates_and_writes() {
    let mut w = world();
    let fd = open(&mut w, "sub/new.txt", oflags::CREAT, RW).unwrap();
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(40, b"data").unwrap();
    mem.write_u32(16, 40).unwrap();
    mem.write_u32(20, 4).unwrap();
    crate::funcs::fd::fd_write(&mut w.ctx, &mut mem, fd, 16, 1, 8).unwrap();
    assert_eq!(w.rw.read("sub/new.txt"), b"data");
    assert_eq!(
        open(&mut w, "sub/new.txt", oflags::CREAT | oflags::EXCL, RW),
        Err(Errno::Exist)
    );
    open(&mut w, "hello.txt", oflags::TRUNC, RW).unwrap();
    assert_eq!(w.rw.read("hello.txt"), b"");
    // O_CREAT on an existing file is no mutation, so it is fine read-only.
    open(&mut w, "ro/data.txt", oflags::CREAT, rights::FD_READ).unwrap();
}

#[test]
fn path_open_directories() {
    let mut w = world();
    let sub = open(&mut w, "sub", oflags::DIRECTORY, LIBC_READ).unwrap();
    assert_eq!(sub, 4);
    assert!(matches!(w.ctx.fds.get(sub).unwrap().object, Object::Dir(_)));
    w.rw.file("sub/inner.txt", b"inner");
    let inner = open_at(&mut w, sub, "inner.txt", 0, rights::FD_READ).unwrap();
    assert_eq!(read_all(&mut w, inner), b"inner");
    // cap-std semantics: `..` may not climb above the directory fd the walk starts from.
    assert_eq!(
        open_at(&mut w, sub, "../hello.txt", 0, 0),
        Err(Errno::Notcapable)
    );
    assert_eq!(open(&mut w, "sub", 0, RW), Err(Errno::Isdir));
    assert_eq!(open(&mut w, "sub", oflags::CREAT, 0), Err(Errno::Isdir));
    assert_eq!(
        open(&mut w, "sub", oflags::CREAT | oflags::EXCL, 0),
        Err(Errno::Exist)
    );
}

#[test]
fn path_open_errnos() {
    let mut w = world();
    let cases = [
        ("missing.txt", 0, Errno::Noent),
        ("missing/x.txt", oflags::CREAT, Errno::Noent),
        ("hello.txt", oflags::DIRECTORY, Errno::Notdir),
        ("hello.txt/", 0, Errno::Notdir),
        ("newdir/", oflags::CREAT, Errno::Isdir),
        ("new", oflags::CREAT | oflags::DIRECTORY, Errno::Inval),
        ("hello.txt", 1 << 4, Errno::Inval),
        ("../x", 0, Errno::Notcapable),
        ("/etc/passwd", 0, Errno::Notcapable),
        ("", 0, Errno::Noent),
    ];
    for (path, oflags, want) in cases {
        assert_eq!(
            open(&mut w, path, oflags, rights::FD_READ),
            Err(want),
            "{path:?}"
        );
    }
    assert_eq!(open_at(&mut w, 9, "hello.txt", 0, 0), Err(Errno::Badf));
    assert_eq!(open_at(&mut w, 1, "hello.txt", 0, 0), Err(Errno::Notdir));
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(40, b"hello.txt\xff").unwrap();
    let p = |c: &mut WasiCtx, m: &mut GuestMemory<'_>, lookup, ptr, len, out| {
        path_open(c, m, 3, lookup, ptr, len, 0, 0, 0, 0, out)
    };
    assert_eq!(p(&mut w.ctx, &mut mem, 2, 40, 9, 0), Err(Errno::Inval));
    assert_eq!(p(&mut w.ctx, &mut mem, 0, 40, 10, 0), Err(Errno::Ilseq));
    assert_eq!(p(&mut w.ctx, &mut mem, 0, 60, 9, 0), Err(Errno::Fault));
    assert_eq!(p(&mut w.ctx, &mut mem, 0, 40, 9, 61), Err(Errno::Fault));
    assert_eq!(
        path_open(&mut w.ctx, &mut mem, 3, 0, 40, 9, 0, 0, 0, 1 << 5, 0),
        Err(Errno::Inval)
    );
    assert_eq!(&buf[..40], &marked(40)[..]);
    assert!(!w.rw.path().join("new").exists() && !w.rw.path().join("newdir").exists());
}

#[test]
fn read_only_mounts_refuse_every_write_open() {
    let mut w = world();
    open(&mut w, "ro/data.txt", 0, rights::FD_READ).unwrap();
    let cases = [
        ("ro/data.txt", 0, RW),
        ("ro/data.txt", oflags::TRUNC, rights::FD_READ),
        ("ro/new.txt", oflags::CREAT, RW),
        ("ro/new.txt", oflags::CREAT, rights::FD_READ),
        ("ro/new.txt", oflags::CREAT | oflags::EXCL, RW),
    ];
    for (path, oflags, base) in cases {
        assert_eq!(
            open(&mut w, path, oflags, base),
            Err(Errno::Rofs),
            "{path} {oflags}"
        );
    }
    assert_eq!(w.ro.read("data.txt"), b"read only");
    assert!(!w.ro.path().join("new.txt").exists());
}

#[test]
fn virtual_directories_cannot_be_written() {
    let data = TempDir::new();
    data.file("x", b"x");
    let ctx = WasiCtxBuilder::new()
        .mount("/inputs/a", data.path(), Access::ReadWrite)
        .build()
        .unwrap();
    let mut w = World {
        ctx,
        rw: TempDir::new(),
        ro: TempDir::new(),
        stdout: Default::default(),
    };
    assert_eq!(open(&mut w, "new", oflags::CREAT, RW), Err(Errno::Rofs));
    assert_eq!(
        open(&mut w, "inputs/new", oflags::CREAT, RW),
        Err(Errno::Rofs)
    );
    assert_eq!(
        call(&mut w, path_create_directory, "inputs/d"),
        Err(Errno::Rofs)
    );
    assert_eq!(
        call(&mut w, path_remove_directory, "inputs"),
        Err(Errno::Busy)
    );
    assert_eq!(
        call(&mut w, path_remove_directory, "inputs/a"),
        Err(Errno::Busy)
    );
    let fd = open(&mut w, "inputs/a/x", 0, rights::FD_READ).unwrap();
    assert_eq!(read_all(&mut w, fd), b"x");
    open(&mut w, "inputs", oflags::DIRECTORY, 0).unwrap();
}

#[test]
fn path_filestat_get_layout_and_symlinks() {
    let mut w = world();
    let mut buf = marked(300);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(PATH_AT, b"hello.txt").unwrap();
    path_filestat_get(&mut w.ctx, &mut mem, 3, 0, PATH_AT, 9, 1).unwrap();
    assert_eq!(buf[0], b'?');
    assert_eq!(
        &buf[17..25],
        &[FileType::RegularFile as u8, 0, 0, 0, 0, 0, 0, 0]
    );
    assert_eq!(&buf[33..41], &11u64.to_le_bytes());
    assert_eq!(buf[1 + FILESTAT_SIZE as usize], b'?');
    #[cfg(unix)]
    {
        w.rw.symlink("hello.txt", "link");
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_bytes(PATH_AT, b"link").unwrap();
        path_filestat_get(&mut w.ctx, &mut mem, 3, 0, PATH_AT, 4, 1).unwrap();
        assert_eq!(buf[17], FileType::SymbolicLink as u8);
        let mut mem = GuestMemory::new(&mut buf);
        path_filestat_get(&mut w.ctx, &mut mem, 3, 1, PATH_AT, 4, 1).unwrap();
        assert_eq!(buf[17], FileType::RegularFile as u8);
    }
}

#[test]
fn path_filestat_get_errnos() {
    let mut w = world();
    let mut buf = marked(300);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(PATH_AT, b"missing").unwrap();
    let st = |c: &mut WasiCtx, m: &mut GuestMemory<'_>, fd, flags, out| {
        path_filestat_get(c, m, fd, flags, PATH_AT, 7, out)
    };
    assert_eq!(st(&mut w.ctx, &mut mem, 3, 0, 0), Err(Errno::Noent));
    assert_eq!(st(&mut w.ctx, &mut mem, 9, 0, 0), Err(Errno::Badf));
    assert_eq!(st(&mut w.ctx, &mut mem, 3, 2, 0), Err(Errno::Inval));
    assert_eq!(st(&mut w.ctx, &mut mem, 3, 0, 250), Err(Errno::Fault));
    assert_eq!(&buf[..PATH_AT as usize], &marked(PATH_AT as usize)[..]);
}

#[test]
fn path_create_directory_cases() {
    let mut w = world();
    assert_eq!(call(&mut w, path_create_directory, "sub/new"), Ok(()));
    assert!(w.rw.path().join("sub/new").is_dir());
    assert_eq!(call(&mut w, path_create_directory, "trail/"), Ok(()));
    assert_eq!(
        call(&mut w, path_create_directory, "sub"),
        Err(Errno::Exist)
    );
    assert_eq!(
        call(&mut w, path_create_directory, "hello.txt"),
        Err(Errno::Exist)
    );
    assert_eq!(
        call(&mut w, path_create_directory, "no/new"),
        Err(Errno::Noent)
    );
    assert_eq!(
        call(&mut w, path_create_directory, "hello.txt/x"),
        Err(Errno::Notdir)
    );
    assert_eq!(
        call(&mut w, path_create_directory, "ro/new"),
        Err(Errno::Rofs)
    );
    assert_eq!(
        call(&mut w, path_create_directory, "../new"),
        Err(Errno::Notcapable)
    );
    assert!(!w.ro.path().join("new").exists());
}

#[test]
fn path_unlink_file_cases() {
    let mut w = world();
    w.rw.file("sub/gone.txt", b"");
    assert_eq!(call(&mut w, path_unlink_file, "sub/gone.txt"), Ok(()));
    assert!(!w.rw.path().join("sub/gone.txt").exists());
    assert_eq!(
        call(&mut w, path_unlink_file, "sub/gone.txt"),
        Err(Errno::Noent)
    );
    assert_eq!(call(&mut w, path_unlink_file, "sub"), Err(Errno::Isdir));
    assert_eq!(
        call(&mut w, path_unlink_file, "hello.txt/"),
        Err(Errno::Notdir)
    );
    assert_eq!(
        call(&mut w, path_unlink_file, "ro/data.txt"),
        Err(Errno::Rofs)
    );
    assert_eq!(
        call(&mut w, path_unlink_file, "/hello.txt"),
        Err(Errno::Notcapable)
    );
    assert_eq!(w.ro.read("data.txt"), b"read only");
    #[cfg(unix)]
    {
        w.rw.symlink("hello.txt", "link");
        assert_eq!(call(&mut w, path_unlink_file, "link"), Ok(()));
        assert_eq!(w.rw.read("hello.txt"), b"hello world");
    }
}

#[test]
fn mounted_files_cannot_be_unlinked() {
    let f = TempDir::new();
    f.file("cfg", b"c");
    let ctx = WasiCtxBuilder::new()
        .mount("/etc/cfg", f.path().join("cfg"), Access::ReadWrite)
        .build()
        .unwrap();
    let mut w = World {
        ctx,
        rw: TempDir::new(),
        ro: TempDir::new(),
        stdout: Default::default(),
    };
    assert_eq!(call(&mut w, path_unlink_file, "etc/cfg"), Err(Errno::Busy));
    assert_eq!(f.read("cfg"), b"c");
}

#[test]
fn path_remove_directory_cases() {
    let mut w = world();
    w.rw.dir("full/x");
    assert_eq!(call(&mut w, path_remove_directory, "sub"), Ok(()));
    assert!(!w.rw.path().join("sub").exists());
    assert_eq!(
        call(&mut w, path_remove_directory, "sub"),
        Err(Errno::Noent)
    );
    assert_eq!(
        call(&mut w, path_remove_directory, "full"),
        Err(Errno::Notempty)
    );
    assert_eq!(
        call(&mut w, path_remove_directory, "hello.txt"),
        Err(Errno::Notdir)
    );
    assert_eq!(
        call(&mut w, path_remove_directory, "full/."),
        Err(Errno::Inval)
    );
    assert_eq!(
        call(&mut w, path_remove_directory, "full/x/.."),
        Err(Errno::Notempty)
    );
    assert_eq!(
        call(&mut w, path_remove_directory, "ro/dir"),
        Err(Errno::Rofs)
    );
    assert_eq!(call(&mut w, path_remove_directory, "ro"), Err(Errno::Busy));
    assert!(w.ro.path().join("dir").is_dir());
    assert!(w.rw.path().join("full/x").is_dir());
}

#[cfg(unix)]
#[test]
fn path_readlink_cases() {
    let mut w = world();
    w.rw.symlink("hello.txt", "link");
    let mut buf = marked(300);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(PATH_AT, b"link").unwrap();
    path_readlink(&mut w.ctx, &mut mem, 3, PATH_AT, 4, 10, 64, 1).unwrap();
    assert_eq!(&buf[0..6], b"?\x09\0\0\0?");
    assert_eq!(&buf[10..20], b"hello.txt?");
    let mut mem = GuestMemory::new(&mut buf);
    path_readlink(&mut w.ctx, &mut mem, 3, PATH_AT, 4, 100, 3, 1).unwrap();
    assert_eq!(&buf[0..6], b"?\x03\0\0\0?");
    assert_eq!(&buf[100..104], b"hel?");
    let mut mem = GuestMemory::new(&mut buf);
    let rl = |c: &mut WasiCtx, m: &mut GuestMemory<'_>, path: &str, buf, out| {
        m.write_bytes(PATH_AT, path.as_bytes()).unwrap();
        path_readlink(c, m, 3, PATH_AT, path.len() as u32, buf, 8, out)
    };
    assert_eq!(
        rl(&mut w.ctx, &mut mem, "hello.txt", 150, 140),
        Err(Errno::Inval)
    );
    assert_eq!(
        rl(&mut w.ctx, &mut mem, "missing", 150, 140),
        Err(Errno::Noent)
    );
    assert_eq!(
        rl(&mut w.ctx, &mut mem, "link", 295, 140),
        Err(Errno::Fault)
    );
    assert_eq!(
        rl(&mut w.ctx, &mut mem, "link", 150, 297),
        Err(Errno::Fault)
    );
    assert_eq!(&buf[140..160], &marked(20)[..]);
}

#[test]
fn path_open_enforces_rights() {
    let mut w = world();
    // Asking for more than the directory's inheriting rights.
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(40, b"hello.txt").unwrap();
    let all = u64::MAX;
    assert_eq!(
        path_open(&mut w.ctx, &mut mem, 3, 0, 40, 9, 0, all, 0, 0, 0),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        path_open(&mut w.ctx, &mut mem, 3, 0, 40, 9, 0, 0, all, 0, 0),
        Err(Errno::Notcapable)
    );
    let sock = rights::SOCK_ACCEPT;
    assert_eq!(
        path_open(&mut w.ctx, &mut mem, 3, 0, 40, 9, 0, sock, 0, 0, 0),
        Err(Errno::Notcapable)
    );
    assert_eq!(&buf[..40], &marked(40)[..]);
    // What is asked for and applies is granted; what does not apply is dropped.
    let fd = open(&mut w, "hello.txt", 0, rights::FD_READ | rights::PATH_OPEN).unwrap();
    assert_eq!(w.ctx.fds.get(fd).unwrap().rights_base, rights::FD_READ);
    let dir = open(
        &mut w,
        "sub",
        oflags::DIRECTORY,
        rights::FD_READ | rights::PATH_OPEN,
    )
    .unwrap();
    assert_eq!(w.ctx.fds.get(dir).unwrap().rights_base, rights::PATH_OPEN);
    // A directory fd without PATH_OPEN opens nothing; its inheriting rights bound children.
    let bare = open(&mut w, "sub", oflags::DIRECTORY, rights::FD_READDIR).unwrap();
    assert_eq!(
        open_at(&mut w, bare, "x", oflags::CREAT, 0),
        Err(Errno::Notcapable)
    );
    drop_rights(&mut w, dir, 0, rights::FD_WRITE);
    assert_eq!(open_at(&mut w, dir, ".", 0, RW), Err(Errno::Notcapable));
    // O_CREAT needs PATH_CREATE_FILE, O_TRUNC needs PATH_FILESTAT_SET_SIZE (testsuite
    // truncation_rights).
    drop_rights(&mut w, 3, rights::PATH_CREATE_FILE, 0);
    assert_eq!(
        open(&mut w, "new", oflags::CREAT, RW),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        open(&mut w, "hello.txt", oflags::TRUNC, 0).map(|_| ()),
        Ok(())
    );
    drop_rights(&mut w, 3, rights::PATH_FILESTAT_SET_SIZE, 0);
    assert_eq!(
        open(&mut w, "hello.txt", oflags::TRUNC, 0),
        Err(Errno::Notcapable)
    );
    drop_rights(&mut w, 3, rights::PATH_OPEN, 0);
    assert_eq!(open(&mut w, "hello.txt", 0, 0), Err(Errno::Notcapable));
    assert!(!w.rw.path().join("new").exists());
}

#[test]
fn path_open_fdflags_and_symlinks() {
    let mut w = world();
    let flags = u32::from(fdflags::APPEND | fdflags::SYNC | fdflags::DSYNC | fdflags::NONBLOCK);
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(40, b"hello.txt").unwrap();
    path_open(&mut w.ctx, &mut mem, 3, 0, 40, 9, 0, RW, 0, flags, 0).unwrap();
    let fd = mem.read_u32(0).unwrap();
    assert_eq!(u32::from(w.ctx.fds.get(fd).unwrap().flags), flags);
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsFd;
        let Object::File(f) = &w.ctx.fds.get(fd).unwrap().object else {
            panic!()
        };
        let host = rustix::fs::fcntl_getfl(f.file.as_fd()).unwrap();
        assert!(host.contains(rustix::fs::OFlags::SYNC), "{host:?}");
        assert!(
            !host.contains(rustix::fs::OFlags::APPEND),
            "append is emulated"
        );
    }
    // Symlinks: O_NOFOLLOW is ELOOP (testsuite nofollow_errors), FOLLOW opens the target.
    w.rw.symlink("sub", "to_sub");
    w.rw.symlink("hello.txt", "to_hello");
    w.rw.symlink("nowhere", "dangling");
    w.rw.symlink("self", "self");
    let nofollow = |w: &mut World, p: &str, of: u32| {
        let mut buf = marked(512);
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_bytes(PATH_AT, p.as_bytes()).unwrap();
        path_open(
            &mut w.ctx,
            &mut mem,
            3,
            0,
            PATH_AT,
            p.len() as u32,
            of,
            0,
            0,
            0,
            0,
        )
    };
    assert_eq!(
        nofollow(&mut w, "to_sub", oflags::DIRECTORY),
        Err(Errno::Loop)
    );
    assert_eq!(nofollow(&mut w, "to_hello", 0), Err(Errno::Loop));
    assert_eq!(nofollow(&mut w, "dangling", 0), Err(Errno::Loop));
    assert_eq!(
        nofollow(&mut w, "dangling", oflags::CREAT),
        Err(Errno::Loop)
    );
    assert_eq!(
        nofollow(&mut w, "dangling", oflags::CREAT | oflags::EXCL),
        Err(Errno::Exist)
    );
    assert_eq!(nofollow(&mut w, "self", 0), Err(Errno::Loop));
    assert_eq!(
        nofollow(&mut w, "to_sub/", oflags::DIRECTORY).map(|_| ()),
        Ok(())
    );
    assert!(open(&mut w, "to_sub", oflags::DIRECTORY, LIBC_READ).is_ok());
    assert_eq!(
        open(&mut w, "to_hello", oflags::DIRECTORY, 0),
        Err(Errno::Notdir)
    );
    assert_eq!(
        open(&mut w, "dangling", oflags::DIRECTORY, 0),
        Err(Errno::Noent)
    );
    assert_eq!(open(&mut w, "self", 0, 0), Err(Errno::Loop));
    // FOLLOW with O_CREAT creates the dangling link's target.
    assert!(open(&mut w, "dangling", oflags::CREAT, RW).is_ok());
    assert!(w.rw.path().join("nowhere").is_file());
}

#[test]
fn path_filestat_get_of_dangling_symlinks_and_directories() {
    let mut w = world();
    w.rw.symlink("nowhere", "dangling");
    let mut buf = marked(300);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(PATH_AT, b"dangling").unwrap();
    path_filestat_get(&mut w.ctx, &mut mem, 3, 0, PATH_AT, 8, 0).unwrap();
    assert_eq!(buf[16], FileType::SymbolicLink as u8);
    assert_eq!(&buf[32..40], &7u64.to_le_bytes());
    let mut mem = GuestMemory::new(&mut buf);
    assert_eq!(
        path_filestat_get(&mut w.ctx, &mut mem, 3, 1, PATH_AT, 8, 0),
        Err(Errno::Noent)
    );
    mem.write_bytes(PATH_AT, b"sub/.").unwrap();
    path_filestat_get(&mut w.ctx, &mut mem, 3, 0, PATH_AT, 5, 0).unwrap();
    assert_eq!(buf[16], FileType::Directory as u8);
    drop_rights(&mut w, 3, rights::PATH_FILESTAT_GET, 0);
    let mut mem = GuestMemory::new(&mut buf);
    assert_eq!(
        path_filestat_get(&mut w.ctx, &mut mem, 3, 0, PATH_AT, 5, 0),
        Err(Errno::Notcapable)
    );
}

#[test]
fn entry_calls_ignore_a_trailing_slash_on_symlinks() {
    // Linux: unlink, rmdir and rename act on the entry itself; the slash demands a
    // directory, which a symlink is not.
    let mut w = world();
    w.rw.symlink("sub", "to_sub");
    assert_eq!(
        call(&mut w, path_remove_directory, "to_sub/"),
        Err(Errno::Notdir)
    );
    assert_eq!(
        call(&mut w, path_unlink_file, "to_sub/"),
        Err(Errno::Notdir)
    );
    assert_eq!(rename(&mut w, "to_sub/", "x"), Err(Errno::Notdir));
    assert_eq!(
        call(&mut w, path_create_directory, "to_sub/"),
        Err(Errno::Exist)
    );
    assert!(w.rw.path().join("sub").is_dir());
    assert_eq!(call(&mut w, path_unlink_file, "to_sub"), Ok(()));
    assert!(w.rw.path().join("sub").is_dir());
    // The testsuite's unlink_file_trailing_slashes and remove_directory_trailing_slashes.
    assert_eq!(call(&mut w, path_unlink_file, "sub"), Err(Errno::Isdir));
    assert_eq!(call(&mut w, path_unlink_file, "sub/"), Err(Errno::Isdir));
    assert_eq!(
        call(&mut w, path_remove_directory, "hello.txt/"),
        Err(Errno::Notdir)
    );
    assert_eq!(call(&mut w, path_remove_directory, "sub/"), Ok(()));
    assert_eq!(call(&mut w, path_unlink_file, "."), Err(Errno::Isdir));
}

#[test]
fn empty_and_absolute_paths_everywhere() {
    let mut w = world();
    type Call = fn(&mut WasiCtx, &mut GuestMemory<'_>, u32, u32, u32) -> Result<(), Errno>;
    let calls: [Call; 3] = [
        path_create_directory,
        path_unlink_file,
        path_remove_directory,
    ];
    for f in calls {
        assert_eq!(call(&mut w, f, ""), Err(Errno::Noent));
        assert_eq!(call(&mut w, f, "/"), Err(Errno::Notcapable));
        assert_eq!(call(&mut w, f, "//sub"), Err(Errno::Notcapable));
    }
    assert_eq!(open(&mut w, "/", 0, 0), Err(Errno::Notcapable));
    assert!(w.rw.path().join("sub").is_dir());
}
