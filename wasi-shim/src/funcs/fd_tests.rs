//! Tests of `fd.rs`: exact bytes written into `?`-filled memory, and every errno.

use super::*;
use crate::fdtable::{Entry, OpenFile};
use crate::fs::meta::Key;
use crate::funcs::test_support::{World, world};
use crate::testutil::marked;
use crate::{Access, WasiCtxBuilder};
use std::os::fd::AsFd;

/// Opens `rel` under the read-write mount straight into the table.
fn open(w: &mut World, rel: &str, readable: bool, writable: bool) -> u32 {
    let file = std::fs::OpenOptions::new()
        .read(readable)
        .write(writable)
        .open(w.rw.path().join(rel))
        .unwrap();
    let key = Key::of(&crate::fs::host::stat_fd(file.as_fd()).unwrap());
    let f = OpenFile {
        file,
        readable,
        writable,
        key,
    };
    let mut entry = Entry::new(Object::File(f));
    entry.access = Access::ReadWrite;
    w.ctx.fds.insert(entry).unwrap()
}

/// Writes an iovec array at `at`.
fn iovs(mem: &mut GuestMemory<'_>, at: u32, bufs: &[(u32, u32)]) {
    for (i, (p, l)) in bufs.iter().enumerate() {
        mem.write_u32(at + 8 * i as u32, *p).unwrap();
        mem.write_u32(at + 8 * i as u32 + 4, *l).unwrap();
    }
}

#[test]
fn fd_write_writes_every_iovec_to_stdout() {
    let mut w = world();
    let mut buf = marked(128);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(100, b"hello ").unwrap();
    mem.write_bytes(110, b"world").unwrap();
    iovs(&mut mem, 16, &[(100, 6), (110, 5)]);
    fd_write(&mut w.ctx, &mut mem, 1, 16, 2, 8).unwrap();
    assert_eq!(w.stdout.bytes(), b"hello world");
    assert_eq!(&buf[7..13], b"?\x0b\0\0\0?");
}

#[test]
fn fd_write_errnos() {
    let mut w = world();
    let ro = open(&mut w, "hello.txt", true, false);
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 16, &[(40, 4)]);
    for fd in [0, 3, 9, ro] {
        assert_eq!(
            fd_write(&mut w.ctx, &mut mem, fd, 16, 1, 8),
            Err(Errno::Badf),
            "fd {fd}"
        );
    }
    assert_eq!(
        fd_write(&mut w.ctx, &mut mem, 1, 16, 1, 61),
        Err(Errno::Fault)
    );
    assert_eq!(
        fd_write(&mut w.ctx, &mut mem, 1, 60, 1, 8),
        Err(Errno::Fault)
    );
    iovs(&mut mem, 16, &[(62, 4)]);
    assert_eq!(
        fd_write(&mut w.ctx, &mut mem, 1, 16, 1, 8),
        Err(Errno::Fault)
    );
    assert_eq!(w.stdout.bytes(), b"");
    assert_eq!(&buf[0..16], &marked(16)[..]);
    assert_eq!(w.rw.read("hello.txt"), b"hello world");
}

#[test]
fn fd_read_fills_iovecs_in_order_and_stops_at_a_short_read() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, false);
    let mut buf = marked(128);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 16, &[(40, 5), (50, 20), (80, 4)]);
    fd_read(&mut w.ctx, &mut mem, fd, 16, 3, 8).unwrap();
    assert_eq!(&buf[8..13], b"\x0b\0\0\0?");
    assert_eq!(&buf[40..46], b"hello?");
    assert_eq!(&buf[49..57], b"? world?");
    assert_eq!(&buf[80..84], b"????");
}

#[test]
fn fd_read_from_stdin() {
    let mut ctx = WasiCtxBuilder::new()
        .stdin(Box::new(&b"abc"[..]))
        .build()
        .unwrap();
    let mut buf = marked(32);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 0, &[(20, 8)]);
    fd_read(&mut ctx, &mut mem, 0, 0, 1, 12).unwrap();
    assert_eq!(&buf[12..28], b"\x03\0\0\0????abc?????");
}

#[test]
fn fd_read_errnos() {
    let mut w = world();
    let wo = open(&mut w, "hello.txt", false, true);
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 16, &[(40, 4)]);
    for (fd, want) in [
        (1, Errno::Badf),
        (9, Errno::Badf),
        (wo, Errno::Badf),
        (3, Errno::Isdir),
    ] {
        assert_eq!(
            fd_read(&mut w.ctx, &mut mem, fd, 16, 1, 8),
            Err(want),
            "fd {fd}"
        );
    }
    assert_eq!(
        fd_read(&mut w.ctx, &mut mem, 0, 16, 1, 62),
        Err(Errno::Fault)
    );
    assert_eq!(
        fd_read(&mut w.ctx, &mut mem, 0, 16, u32::MAX, 8),
        Err(Errno::Fault)
    );
    assert_eq!(&buf[0..16], &marked(16)[..]);
}

#[test]
fn pread_and_pwrite_use_the_offset_and_keep_the_position() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, true);
    let mut buf = marked(128);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 16, &[(40, 10)]);
    fd_pread(&mut w.ctx, &mut mem, fd, 16, 1, 6, 8).unwrap();
    assert_eq!(&buf[8..13], b"\x05\0\0\0?");
    assert_eq!(&buf[39..51], b"?world??????");
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(60, b"HELLO").unwrap();
    iovs(&mut mem, 16, &[(60, 5)]);
    fd_pwrite(&mut w.ctx, &mut mem, fd, 16, 1, 0, 8).unwrap();
    assert_eq!(mem.read_u32(8), Ok(5));
    fd_tell(&mut w.ctx, &mut mem, fd, 24).unwrap();
    assert_eq!(mem.read_u64(24), Ok(0));
    assert_eq!(w.rw.read("hello.txt"), b"HELLO world");
}

#[test]
fn pread_and_pwrite_errnos() {
    let mut w = world();
    let ro = open(&mut w, "hello.txt", true, false);
    let wo = open(&mut w, "hello.txt", false, true);
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 16, &[(40, 4)]);
    for (fd, want) in [
        (0, Errno::Spipe),
        (1, Errno::Spipe),
        (3, Errno::Badf),
        (9, Errno::Badf),
    ] {
        assert_eq!(fd_pread(&mut w.ctx, &mut mem, fd, 16, 1, 0, 8), Err(want));
        assert_eq!(fd_pwrite(&mut w.ctx, &mut mem, fd, 16, 1, 0, 8), Err(want));
    }
    assert_eq!(
        fd_pread(&mut w.ctx, &mut mem, wo, 16, 1, 0, 8),
        Err(Errno::Badf)
    );
    assert_eq!(
        fd_pwrite(&mut w.ctx, &mut mem, ro, 16, 1, 0, 8),
        Err(Errno::Badf)
    );
    assert_eq!(
        fd_pread(&mut w.ctx, &mut mem, ro, 16, 1, 0, 61),
        Err(Errno::Fault)
    );
    assert_eq!(
        fd_pwrite(&mut w.ctx, &mut mem, wo, 60, 1, 0, 8),
        Err(Errno::Fault)
    );
    assert_eq!(&buf[0..16], &marked(16)[..]);
    assert_eq!(w.rw.read("hello.txt"), b"hello world");
}

#[test]
fn fd_seek_and_fd_tell() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, false);
    let mut buf = marked(20);
    let mut mem = GuestMemory::new(&mut buf);
    fd_seek(&mut w.ctx, &mut mem, fd, 6, 0, 1).unwrap();
    assert_eq!(mem.read_u64(1), Ok(6));
    fd_seek(&mut w.ctx, &mut mem, fd, -1, 1, 1).unwrap();
    assert_eq!(mem.read_u64(1), Ok(5));
    fd_seek(&mut w.ctx, &mut mem, fd, -2, 2, 1).unwrap();
    fd_tell(&mut w.ctx, &mut mem, fd, 10).unwrap();
    assert_eq!(&buf, b"?\x09\0\0\0\0\0\0\0?\x09\0\0\0\0\0\0\0??");
}

#[test]
fn fd_seek_and_fd_tell_errnos() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, false);
    let mut buf = marked(16);
    let mut mem = GuestMemory::new(&mut buf);
    assert_eq!(
        fd_seek(&mut w.ctx, &mut mem, fd, 0, 3, 0),
        Err(Errno::Inval)
    );
    assert_eq!(
        fd_seek(&mut w.ctx, &mut mem, fd, -1, 0, 0),
        Err(Errno::Inval)
    );
    assert_eq!(
        fd_seek(&mut w.ctx, &mut mem, fd, -1, 1, 0),
        Err(Errno::Inval)
    );
    assert_eq!(fd_seek(&mut w.ctx, &mut mem, 1, 0, 0, 0), Err(Errno::Spipe));
    assert_eq!(fd_seek(&mut w.ctx, &mut mem, 3, 0, 0, 0), Err(Errno::Badf));
    assert_eq!(fd_seek(&mut w.ctx, &mut mem, 9, 0, 0, 0), Err(Errno::Badf));
    assert_eq!(
        fd_seek(&mut w.ctx, &mut mem, fd, 0, 0, 9),
        Err(Errno::Fault)
    );
    assert_eq!(fd_tell(&mut w.ctx, &mut mem, 0, 0), Err(Errno::Spipe));
    assert_eq!(fd_tell(&mut w.ctx, &mut mem, 3, 0), Err(Errno::Badf));
    assert_eq!(fd_tell(&mut w.ctx, &mut mem, 9, 0), Err(Errno::Badf));
    assert_eq!(fd_tell(&mut w.ctx, &mut mem, fd, 9), Err(Errno::Fault));
    assert_eq!(buf, marked(16));
}

#[test]
fn fd_close_frees_the_lowest_number() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, false);
    assert_eq!(fd, 4);
    assert_eq!(fd_close(&mut w.ctx, 3), Ok(()));
    assert_eq!(fd_close(&mut w.ctx, 3), Err(Errno::Badf));
    assert_eq!(fd_close(&mut w.ctx, 1), Ok(()));
    assert_eq!(open(&mut w, "hello.txt", true, false), 1);
    assert_eq!(fd_close(&mut w.ctx, 99), Err(Errno::Badf));
}

#[test]
fn fd_fdstat_get_layouts() {
    let mut w = world();
    let ro = open(&mut w, "hello.txt", true, false);
    let mut buf = marked(30);
    let mut mem = GuestMemory::new(&mut buf);
    fd_fdstat_get(&mut w.ctx, &mut mem, 1, 1).unwrap();
    let mut want = marked(30);
    want[1..25].copy_from_slice(&[0; 24]);
    want[9..17].copy_from_slice(&rights::OUTPUT_STREAM.to_le_bytes());
    assert_eq!(buf, want);

    let mut mem = GuestMemory::new(&mut buf);
    fd_fdstat_get(&mut w.ctx, &mut mem, 3, 1).unwrap();
    assert_eq!(mem.read_u8(1), Ok(FileType::Directory as u8));
    assert_eq!(mem.read_u64(9), Ok(rights::DIR));
    assert_eq!(mem.read_u64(17), Ok(rights::DIR_INHERITING));

    fd_fdstat_get(&mut w.ctx, &mut mem, ro, 1).unwrap();
    assert_eq!(mem.read_u8(1), Ok(FileType::RegularFile as u8));
    assert_eq!(mem.read_u64(9).unwrap() & rights::FD_WRITE, 0);
    assert_ne!(mem.read_u64(9).unwrap() & rights::FD_READ, 0);
    assert_eq!(mem.read_u64(17), Ok(0));
}

#[test]
fn read_only_directories_report_the_same_rights() {
    let tmp = crate::testutil::TempDir::new();
    let mut ctx = WasiCtxBuilder::new()
        .mount("/", tmp.path(), Access::ReadOnly)
        .build()
        .unwrap();
    let mut buf = marked(24);
    let mut mem = GuestMemory::new(&mut buf);
    fd_fdstat_get(&mut ctx, &mut mem, 3, 0).unwrap();
    // Rights say what the guest was given; the mount's access is checked separately
    // (EROFS), so wasi-libc still asks for FD_WRITE and gets EROFS rather than a read-only fd.
    assert_eq!(mem.read_u64(8), Ok(rights::DIR));
    assert_eq!(mem.read_u64(16), Ok(rights::DIR_INHERITING));
}

#[test]
fn fd_fdstat_get_errnos() {
    let mut w = world();
    let mut buf = marked(30);
    let mut mem = GuestMemory::new(&mut buf);
    assert_eq!(fd_fdstat_get(&mut w.ctx, &mut mem, 9, 0), Err(Errno::Badf));
    assert_eq!(fd_fdstat_get(&mut w.ctx, &mut mem, 1, 7), Err(Errno::Fault));
    assert_eq!(buf, marked(30));
}

#[test]
fn append_flag_sends_writes_to_the_end() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, true);
    fd_fdstat_set_flags(&mut w.ctx, fd, u32::from(fdflags::APPEND)).unwrap();
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(40, b"!").unwrap();
    iovs(&mut mem, 16, &[(40, 1)]);
    fd_write(&mut w.ctx, &mut mem, fd, 16, 1, 8).unwrap();
    assert_eq!(w.rw.read("hello.txt"), b"hello world!");
    fd_fdstat_get(&mut w.ctx, &mut mem, fd, 24).unwrap();
    assert_eq!(mem.read_u16(26), Ok(fdflags::APPEND));
}

#[test]
fn fd_fdstat_set_flags_errnos() {
    let mut w = world();
    assert_eq!(
        fd_fdstat_set_flags(&mut w.ctx, 1, 1 << 5),
        Err(Errno::Inval)
    );
    assert_eq!(
        fd_fdstat_set_flags(&mut w.ctx, 1, 1 << 16),
        Err(Errno::Inval)
    );
    assert_eq!(fd_fdstat_set_flags(&mut w.ctx, 9, 0), Err(Errno::Badf));
    assert_eq!(
        fd_fdstat_set_flags(&mut w.ctx, 1, u32::from(fdflags::NONBLOCK)),
        Ok(())
    );
}

#[test]
fn fd_filestat_get_of_a_file() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, false);
    let mut buf = marked(66);
    let mut mem = GuestMemory::new(&mut buf);
    fd_filestat_get(&mut w.ctx, &mut mem, fd, 1).unwrap();
    let root = crate::fs::host::open_root(w.rw.path()).unwrap();
    let st = crate::fs::host::stat_at(std::os::fd::AsFd::as_fd(&root), "hello.txt").unwrap();
    assert_eq!(mem.read_u64(1 + 8), Ok(st.ino));
    assert_eq!(
        &buf[17..25],
        &[FileType::RegularFile as u8, 0, 0, 0, 0, 0, 0, 0]
    );
    let mem = GuestMemory::new(&mut buf);
    assert_eq!(mem.read_u64(1 + 32), Ok(11));
    assert_eq!(mem.read_u64(1 + 48), Ok(st.mtim));
    assert_eq!((buf[0], buf[65]), (b'?', b'?'));
}

#[test]
fn fd_filestat_get_of_directories_and_streams() {
    let data = crate::testutil::TempDir::new();
    let mut ctx = WasiCtxBuilder::new()
        .mount("/inputs", data.path(), Access::ReadOnly)
        .build()
        .unwrap();
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    fd_filestat_get(&mut ctx, &mut mem, 3, 0).unwrap();
    let mut want = [0u8; 64];
    want[16] = FileType::Directory as u8;
    want[24] = 1;
    assert_eq!(buf, want);
    let mut mem = GuestMemory::new(&mut buf);
    fd_filestat_get(&mut ctx, &mut mem, 1, 0).unwrap();
    assert_eq!(buf, [0u8; 64]);
}

#[test]
fn fd_filestat_get_errnos() {
    let mut w = world();
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    assert_eq!(
        fd_filestat_get(&mut w.ctx, &mut mem, 9, 0),
        Err(Errno::Badf)
    );
    assert_eq!(
        fd_filestat_get(&mut w.ctx, &mut mem, 3, 1),
        Err(Errno::Fault)
    );
    assert_eq!(buf, marked(64));
}

#[test]
fn sync_advise_and_set_size() {
    let mut w = world();
    let rw = open(&mut w, "hello.txt", true, true);
    let ro = open(&mut w, "hello.txt", true, false);
    for sync in [fd_sync, fd_datasync] {
        assert_eq!(sync(&mut w.ctx, rw), Ok(()));
        assert_eq!(sync(&mut w.ctx, 3), Ok(()));
        assert_eq!(sync(&mut w.ctx, 1), Err(Errno::Inval));
        assert_eq!(sync(&mut w.ctx, 9), Err(Errno::Badf));
    }
    assert_eq!(fd_advise(&mut w.ctx, rw, 0, 4, 5), Ok(()));
    assert_eq!(fd_advise(&mut w.ctx, rw, 0, 4, 6), Err(Errno::Inval));
    assert_eq!(fd_advise(&mut w.ctx, 1, 0, 4, 0), Err(Errno::Spipe));
    assert_eq!(fd_advise(&mut w.ctx, 3, 0, 4, 0), Err(Errno::Badf));
    assert_eq!(fd_filestat_set_size(&mut w.ctx, rw, 5), Ok(()));
    assert_eq!(w.rw.read("hello.txt"), b"hello");
    assert_eq!(fd_filestat_set_size(&mut w.ctx, ro, 0), Err(Errno::Badf));
    assert_eq!(fd_filestat_set_size(&mut w.ctx, 1, 0), Err(Errno::Spipe));
    assert_eq!(fd_filestat_set_size(&mut w.ctx, 3, 0), Err(Errno::Badf));
    assert_eq!(fd_filestat_set_size(&mut w.ctx, 9, 0), Err(Errno::Badf));
    assert_eq!(w.rw.read("hello.txt"), b"hello");
}

#[test]
fn fd_renumber_replaces_the_target() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, false);
    assert_eq!(fd_renumber(&mut w.ctx, fd, 0), Ok(()));
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 16, &[(40, 5)]);
    fd_read(&mut w.ctx, &mut mem, 0, 16, 1, 8).unwrap();
    assert_eq!(&buf[40..46], b"hello?");
    assert_eq!(fd_renumber(&mut w.ctx, fd, 0), Err(Errno::Badf));
    assert_eq!(fd_renumber(&mut w.ctx, 0, 9), Err(Errno::Badf));
    assert_eq!(fd_renumber(&mut w.ctx, 1, 1), Ok(()));
}

fn size_of(w: &World, rel: &str) -> u64 {
    std::fs::metadata(w.rw.path().join(rel)).unwrap().len()
}

fn set_rights(w: &mut World, fd: u32, base: u64) {
    let inheriting = w.ctx.fds.get(fd).unwrap().rights_inheriting;
    fd_fdstat_set_rights(&mut w.ctx, fd, base, inheriting).unwrap();
}

#[test]
fn fd_allocate_extends_but_never_shrinks() {
    // The wasi-testsuite `file_allocate` sequence.
    let mut w = world();
    w.rw.file("a", b"");
    let fd = open(&mut w, "a", true, true);
    assert_eq!(fd_allocate(&mut w.ctx, fd, 0, 100), Ok(()));
    assert_eq!(size_of(&w, "a"), 100);
    assert_eq!(fd_allocate(&mut w.ctx, fd, 10, 10), Ok(()));
    assert_eq!(size_of(&w, "a"), 100);
    assert_eq!(fd_allocate(&mut w.ctx, fd, 90, 20), Ok(()));
    assert_eq!(size_of(&w, "a"), 110);
    assert_eq!(w.rw.read("a"), vec![0; 110]);
    // The position does not move.
    let mut buf = marked(16);
    let mut mem = GuestMemory::new(&mut buf);
    fd_tell(&mut w.ctx, &mut mem, fd, 0).unwrap();
    assert_eq!(mem.read_u64(0), Ok(0));
}

#[test]
fn fd_allocate_errnos() {
    let mut w = world();
    let ro = open(&mut w, "hello.txt", true, false);
    let rw = open(&mut w, "hello.txt", true, true);
    for (fd, off, len, want) in [
        (9, 0, 1, Errno::Badf),
        (ro, 0, 1, Errno::Badf),
        (3, 0, 1, Errno::Isdir),
        (1, 0, 1, Errno::Spipe),
        (0, 0, 1, Errno::Spipe),
        (rw, 0, 0, Errno::Inval),
        (rw, u64::MAX, 1, Errno::Fbig),
        (rw, i64::MAX as u64, 1, Errno::Fbig),
    ] {
        assert_eq!(
            fd_allocate(&mut w.ctx, fd, off, len),
            Err(want),
            "{fd} {off} {len}"
        );
    }
    set_rights(&mut w, rw, rights::FILE & !rights::FD_ALLOCATE);
    assert_eq!(fd_allocate(&mut w.ctx, rw, 0, 100), Err(Errno::Notcapable));
    assert_eq!(w.rw.read("hello.txt"), b"hello world");
}

#[test]
fn fd_fdstat_set_rights_only_drops() {
    // The wasi-testsuite `fd_fdstat_set_rights` sequence.
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, true);
    let all = rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK | rights::FD_TELL;
    fd_fdstat_set_rights(&mut w.ctx, fd, all, 0).unwrap();
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 16, &[(40, 4)]);
    fd_read(&mut w.ctx, &mut mem, fd, 16, 1, 8).unwrap();
    fd_write(&mut w.ctx, &mut mem, fd, 16, 1, 8).unwrap();
    fd_fdstat_set_rights(&mut w.ctx, fd, rights::FD_SEEK | rights::FD_TELL, 0).unwrap();
    fd_fdstat_get(&mut w.ctx, &mut mem, fd, 24).unwrap();
    assert_eq!(mem.read_u64(32), Ok(rights::FD_SEEK | rights::FD_TELL));
    assert_eq!(
        fd_read(&mut w.ctx, &mut mem, fd, 16, 1, 8),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        fd_write(&mut w.ctx, &mut mem, fd, 16, 1, 8),
        Err(Errno::Notcapable)
    );
    assert_eq!(fd_seek(&mut w.ctx, &mut mem, fd, 0, 0, 0), Ok(()));
    // Adding back is refused and changes nothing.
    assert_eq!(
        fd_fdstat_set_rights(&mut w.ctx, fd, all, 0),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        fd_fdstat_set_rights(&mut w.ctx, fd, 0, rights::FD_READ),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        w.ctx.fds.get(fd).unwrap().rights_base,
        rights::FD_SEEK | rights::FD_TELL
    );
    assert_eq!(fd_fdstat_set_rights(&mut w.ctx, 9, 0, 0), Err(Errno::Badf));
    // Any fd, stdio included, can drop rights.
    fd_fdstat_set_rights(&mut w.ctx, 1, 0, 0).unwrap();
    assert_eq!(
        fd_write(&mut w.ctx, &mut mem, 1, 16, 1, 8),
        Err(Errno::Notcapable)
    );
    assert_eq!(w.stdout.bytes(), b"");
}

#[test]
fn every_fd_call_needs_its_right() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, true);
    let all = w.ctx.fds.get(fd).unwrap().rights_base;
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    iovs(&mut mem, 16, &[(40, 4)]);
    type Call = fn(&mut WasiCtx, &mut GuestMemory<'_>, u32) -> Result<(), Errno>;
    let calls: [(u64, &str, Call); 12] = [
        (rights::FD_READ, "read", |c, m, fd| {
            fd_read(c, m, fd, 16, 1, 8)
        }),
        (rights::FD_WRITE, "write", |c, m, fd| {
            fd_write(c, m, fd, 16, 1, 8)
        }),
        (rights::FD_SEEK, "pread", |c, m, fd| {
            fd_pread(c, m, fd, 16, 1, 0, 8)
        }),
        (rights::FD_SEEK, "pwrite", |c, m, fd| {
            fd_pwrite(c, m, fd, 16, 1, 0, 8)
        }),
        (rights::FD_SEEK, "seek", |c, m, fd| {
            fd_seek(c, m, fd, 1, 0, 8)
        }),
        (rights::FD_TELL, "seek cur 0", |c, m, fd| {
            fd_seek(c, m, fd, 0, 1, 8)
        }),
        (rights::FD_TELL, "tell", |c, m, fd| fd_tell(c, m, fd, 8)),
        (rights::FD_ADVISE, "advise", |c, _, fd| {
            fd_advise(c, fd, 0, 0, 0)
        }),
        (rights::FD_SYNC, "sync", |c, _, fd| fd_sync(c, fd)),
        (rights::FD_DATASYNC, "datasync", |c, _, fd| {
            fd_datasync(c, fd)
        }),
        (rights::FD_FILESTAT_GET, "filestat", |c, m, fd| {
            fd_filestat_get(c, m, fd, 0)
        }),
        (rights::FD_FILESTAT_SET_SIZE, "set_size", |c, _, fd| {
            fd_filestat_set_size(c, fd, 11)
        }),
    ];
    for (right, name, call) in calls {
        set_rights(&mut w, fd, all & !right);
        assert_eq!(
            call(&mut w.ctx, &mut mem, fd),
            Err(Errno::Notcapable),
            "{name}"
        );
        w.ctx.fds.get(fd).unwrap().rights_base = all;
        assert_eq!(call(&mut w.ctx, &mut mem, fd), Ok(()), "{name}");
    }
    set_rights(&mut w, fd, all & !rights::FD_FDSTAT_SET_FLAGS);
    assert_eq!(
        fd_fdstat_set_flags(&mut w.ctx, fd, 0),
        Err(Errno::Notcapable)
    );
    set_rights(&mut w, 3, rights::DIR & !rights::FD_READDIR);
    assert_eq!(
        crate::funcs::fd_dir::fd_readdir(&mut w.ctx, &mut mem, 3, 0, 8, 0, 60),
        Err(Errno::Notcapable)
    );
}

#[test]
fn fd_filestat_set_times_sets_exactly_what_is_asked() {
    use fstflags::*;
    let mut w = world();
    let ctx = WasiCtxBuilder::new()
        .mount("/", w.rw.path(), Access::ReadWrite)
        .clock(Box::new(crate::FixedClock {
            realtime_ns: 77_000_000_001,
            monotonic_ns: 0,
        }))
        .build()
        .unwrap();
    w.ctx = ctx;
    let fd = open(&mut w, "hello.txt", true, false);
    let stat = |w: &mut World, fd| {
        let mut buf = marked(64);
        let mut mem = GuestMemory::new(&mut buf);
        fd_filestat_get(&mut w.ctx, &mut mem, fd, 0).unwrap();
        (mem.read_u64(40).unwrap(), mem.read_u64(48).unwrap())
    };
    // Read-only fds may set times (POSIX futimens needs no write access).
    assert_eq!(
        fd_filestat_set_times(&mut w.ctx, fd, 5, 6, ATIM | MTIM),
        Ok(())
    );
    assert_eq!(stat(&mut w, fd), (5, 6));
    assert_eq!(
        fd_filestat_set_times(&mut w.ctx, fd, 0, 1_000_000_007, MTIM),
        Ok(())
    );
    assert_eq!(stat(&mut w, fd), (5, 1_000_000_007));
    assert_eq!(
        fd_filestat_set_times(&mut w.ctx, fd, 0, 0, ATIM_NOW),
        Ok(())
    );
    assert_eq!(stat(&mut w, fd), (77_000_000_001, 1_000_000_007));
    assert_eq!(fd_filestat_set_times(&mut w.ctx, 3, 0, 0, MTIM_NOW), Ok(()));
    assert_eq!(stat(&mut w, 3).1, 77_000_000_001);
}

#[test]
fn fd_filestat_set_times_errnos() {
    use fstflags::*;
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, false);
    let before = std::fs::metadata(w.rw.path().join("hello.txt"))
        .unwrap()
        .modified()
        .unwrap();
    for (fd, fst, want) in [
        (fd, ATIM | ATIM_NOW, Errno::Inval),
        (fd, MTIM | MTIM_NOW, Errno::Inval),
        (fd, 1 << 4, Errno::Inval),
        (9, MTIM, Errno::Badf),
        (1, MTIM, Errno::Badf),
        (0, MTIM, Errno::Badf),
    ] {
        assert_eq!(
            fd_filestat_set_times(&mut w.ctx, fd, 1, 1, fst),
            Err(want),
            "{fd} {fst}"
        );
    }
    set_rights(&mut w, fd, rights::FD_READ);
    assert_eq!(
        fd_filestat_set_times(&mut w.ctx, fd, 1, 1, MTIM),
        Err(Errno::Notcapable)
    );
    let after = std::fs::metadata(w.rw.path().join("hello.txt"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(before, after);
}

#[test]
fn pwrite_on_an_append_fd_writes_at_the_end_and_keeps_the_position() {
    // The wasi-testsuite `pwrite-with-append` program, on Linux/Wasmtime semantics.
    let mut w = world();
    w.rw.file("p", b"");
    let fd = open(&mut w, "p", true, true);
    fd_fdstat_set_flags(&mut w.ctx, fd, u32::from(fdflags::APPEND)).unwrap();
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(40, b"abc").unwrap();
    iovs(&mut mem, 16, &[(40, 2)]);
    fd_write(&mut w.ctx, &mut mem, fd, 16, 1, 8).unwrap();
    fd_seek(&mut w.ctx, &mut mem, fd, 0, 0, 24).unwrap();
    fd_write(&mut w.ctx, &mut mem, fd, 16, 1, 8).unwrap();
    fd_tell(&mut w.ctx, &mut mem, fd, 24).unwrap();
    assert_eq!(mem.read_u64(24), Ok(4));
    iovs(&mut mem, 16, &[(40, 3)]);
    fd_pwrite(&mut w.ctx, &mut mem, fd, 16, 1, 0, 8).unwrap();
    assert_eq!(mem.read_u32(8), Ok(3));
    fd_tell(&mut w.ctx, &mut mem, fd, 24).unwrap();
    assert_eq!(mem.read_u64(24), Ok(4));
    assert_eq!(w.rw.read("p"), b"ababab\x63");
    assert_eq!(&buf[32..40], b"????????");
}

#[test]
fn fd_fdstat_set_flags_cannot_change_sync_bits_of_files() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, true);
    let sync = u32::from(fdflags::SYNC);
    assert_eq!(
        fd_fdstat_set_flags(&mut w.ctx, fd, sync),
        Err(Errno::Notsup)
    );
    assert_eq!(w.ctx.fds.get(fd).unwrap().flags, 0);
    w.ctx.fds.get(fd).unwrap().flags = fdflags::SYNC;
    let keep = sync | u32::from(fdflags::APPEND | fdflags::NONBLOCK);
    assert_eq!(fd_fdstat_set_flags(&mut w.ctx, fd, keep), Ok(()));
    assert_eq!(fd_fdstat_set_flags(&mut w.ctx, fd, 0), Err(Errno::Notsup));
    // Streams only record them.
    assert_eq!(fd_fdstat_set_flags(&mut w.ctx, 1, sync), Ok(()));
}

#[test]
fn pread_past_the_end_and_at_the_memory_edge() {
    let mut w = world();
    let fd = open(&mut w, "hello.txt", true, false);
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    // A buffer ending exactly at the end of memory.
    iovs(&mut mem, 16, &[(59, 5)]);
    fd_pread(&mut w.ctx, &mut mem, fd, 16, 1, 6, 8).unwrap();
    assert_eq!(mem.read_u32(8), Ok(5));
    assert_eq!(&buf[58..64], b"?world");
    let mut mem = GuestMemory::new(&mut buf);
    fd_pread(&mut w.ctx, &mut mem, fd, 16, 1, 100, 8).unwrap();
    assert_eq!(mem.read_u32(8), Ok(0));
    iovs(&mut mem, 16, &[(60, 5)]);
    assert_eq!(
        fd_pread(&mut w.ctx, &mut mem, fd, 16, 1, 0, 8),
        Err(Errno::Fault)
    );
    assert_eq!(
        fd_pread(&mut w.ctx, &mut mem, fd, 16, 1, 0, 61),
        Err(Errno::Fault)
    );
}
