//! Tests of the calls that make or change directory entries: `path_rename`, `path_link`,
//! `path_symlink` and `path_filestat_set_times`. Shared helpers are in `path_tests.rs`.

use super::*;

#[test]
fn path_rename_files_and_directories() {
    let mut w = world();
    let rw = w.rw.path().to_path_buf();
    // A file, replacing an existing one.
    w.rw.file("target.txt", b"old");
    assert_eq!(rename(&mut w, "hello.txt", "target.txt"), Ok(()));
    assert_eq!(w.rw.read("target.txt"), b"hello world");
    assert!(!rw.join("hello.txt").exists());
    // A directory, replacing an empty one, and the testsuite's trailing slashes.
    w.rw.dir("empty");
    w.rw.file("sub/in.txt", b"in");
    assert_eq!(rename(&mut w, "sub", "empty"), Ok(()));
    assert_eq!(w.rw.read("empty/in.txt"), b"in");
    assert_eq!(rename(&mut w, "empty/", "source"), Ok(()));
    assert_eq!(rename(&mut w, "source", "target/"), Ok(()));
    assert_eq!(rename(&mut w, "target/", "source/"), Ok(()));
    assert!(rw.join("source/in.txt").exists());
    // Into a subdirectory, and the same file twice (a no-op).
    assert_eq!(rename(&mut w, "target.txt", "source/t.txt"), Ok(()));
    assert_eq!(rename(&mut w, "source/t.txt", "source/t.txt"), Ok(()));
    assert_eq!(w.rw.read("source/t.txt"), b"hello world");
    // A symlink is renamed itself, not its target.
    w.rw.symlink("source", "link");
    assert_eq!(rename(&mut w, "link", "link2"), Ok(()));
    assert!(host_stat(&rw.join("link2")).file_type().is_symlink());
    assert!(rw.join("source").is_dir());
}

#[test]
fn path_rename_errnos() {
    let mut w = world();
    w.rw.dir("full/x");
    w.rw.dir("empty");
    w.rw.file("sub/f", b"f");
    let cases = [
        ("missing", "x", Errno::Noent),
        ("missing/x", "x", Errno::Noent),
        ("sub", "full", Errno::Notempty),
        ("hello.txt", "empty", Errno::Isdir),
        ("sub", "hello.txt", Errno::Notdir),
        ("hello.txt/", "x", Errno::Notdir),
        ("hello.txt", "x/", Errno::Notdir),
        ("hello.txt", "sub/f/", Errno::Notdir),
        ("sub", "sub/inside", Errno::Inval),
        (".", "x", Errno::Busy),
        ("sub/..", "x", Errno::Busy),
        ("hello.txt", "sub/.", Errno::Busy),
        ("ro", "x", Errno::Busy),
        ("hello.txt", "ro", Errno::Busy),
        ("hello.txt", "ro/x", Errno::Xdev),
        ("ro/data.txt", "x", Errno::Xdev),
        ("ro/data.txt", "ro/x", Errno::Rofs),
        ("../x", "y", Errno::Notcapable),
        ("hello.txt", "/tmp/x", Errno::Notcapable),
        ("", "x", Errno::Noent),
        ("hello.txt", "", Errno::Noent),
    ];
    for (a, b, want) in cases {
        assert_eq!(rename(&mut w, a, b), Err(want), "rename({a:?}, {b:?})");
    }
    assert_eq!(w.rw.read("hello.txt"), b"hello world");
    assert_eq!(w.ro.read("data.txt"), b"read only");
    assert!(w.rw.path().join("sub/f").exists() && w.rw.path().join("full/x").is_dir());
}

#[test]
fn path_rename_fd_and_pointer_errnos() {
    let mut w = world();
    let call = |w: &mut World, fd, new_fd, a_len, b_ptr| {
        two(w, "hello.txt", "x", |c, m, (ap, _), (_, bl)| {
            path_rename(c, m, fd, ap, a_len, new_fd, b_ptr, bl)
        })
    };
    assert_eq!(call(&mut w, 9, 3, 9, B), Err(Errno::Badf));
    assert_eq!(call(&mut w, 3, 9, 9, B), Err(Errno::Badf));
    assert_eq!(call(&mut w, 1, 3, 9, B), Err(Errno::Notdir));
    assert_eq!(call(&mut w, 3, 1, 9, B), Err(Errno::Notdir));
    assert_eq!(call(&mut w, 3, 3, 313, B), Err(Errno::Fault));
    assert_eq!(call(&mut w, 3, 3, 9, 512), Err(Errno::Fault));
    // Ending exactly at the end of memory is fine: "x" is at 511.
    let at_end = two(&mut w, "hello.txt", "", |c, m, (ap, al), _| {
        m.write_bytes(511, b"y").unwrap();
        let r = path_rename(c, m, 3, ap, al, 3, 511, 1);
        m.write_u8(511, b'?').unwrap();
        r
    });
    assert_eq!(at_end, Ok(()));
    assert_eq!(w.rw.read("y"), b"hello world");
    drop_rights(&mut w, 3, rights::PATH_RENAME_SOURCE, 0);
    assert_eq!(rename(&mut w, "y", "z"), Err(Errno::Notcapable));
    let mut w = world();
    drop_rights(&mut w, 3, rights::PATH_RENAME_TARGET, 0);
    assert_eq!(rename(&mut w, "hello.txt", "z"), Err(Errno::Notcapable));
    assert_eq!(w.rw.read("hello.txt"), b"hello world");
}

#[test]
fn path_link_creates_a_second_name() {
    let mut w = world();
    assert_eq!(link(&mut w, "hello.txt", "sub/again.txt", 0), Ok(()));
    let (a, b) = (
        host_stat(&w.rw.path().join("hello.txt")),
        host_stat(&w.rw.path().join("sub/again.txt")),
    );
    use std::os::unix::fs::MetadataExt;
    assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
    // A dangling symlink and a symlink loop are linked as themselves.
    w.rw.symlink("nowhere", "dangling");
    assert_eq!(link(&mut w, "dangling", "dangling2", 0), Ok(()));
    assert_eq!(
        std::fs::read_link(w.rw.path().join("dangling2")).unwrap(),
        std::path::Path::new("nowhere")
    );
    w.rw.symlink("loop", "loop");
    assert_eq!(link(&mut w, "loop", "loop2", 0), Ok(()));
    // With FOLLOW the target is linked.
    w.rw.symlink("hello.txt", "to_hello");
    assert_eq!(
        link(&mut w, "to_hello", "third", LOOKUP_SYMLINK_FOLLOW),
        Ok(())
    );
    assert!(host_stat(&w.rw.path().join("third")).is_file());
    assert_eq!(host_stat(&w.rw.path().join("hello.txt")).nlink(), 3);
}

#[test]
fn path_link_errnos() {
    let mut w = world();
    w.rw.symlink("nowhere", "dangling");
    let cases = [
        ("hello.txt", "sub", 0, Errno::Exist),
        ("hello.txt", "hello.txt", 0, Errno::Exist),
        ("hello.txt", "dangling", 0, Errno::Exist),
        ("sub", "x", 0, Errno::Perm),
        ("missing", "x", 0, Errno::Noent),
        ("hello.txt", "x/", 0, Errno::Noent),
        ("hello.txt", "nope/x", 0, Errno::Noent),
        ("dangling", "x", LOOKUP_SYMLINK_FOLLOW, Errno::Noent),
        ("hello.txt/", "x", 0, Errno::Notdir),
        ("hello.txt", "ro/x", 0, Errno::Xdev),
        ("ro/data.txt", "x", 0, Errno::Xdev),
        ("ro/data.txt", "ro/x", 0, Errno::Rofs),
        ("../x", "y", 0, Errno::Notcapable),
        ("hello.txt", "../y", 0, Errno::Notcapable),
        ("hello.txt", "x", 2, Errno::Inval),
        ("", "x", 0, Errno::Noent),
    ];
    for (a, b, lookup, want) in cases {
        assert_eq!(link(&mut w, a, b, lookup), Err(want), "link({a:?}, {b:?})");
    }
    assert!(!w.rw.path().join("x").exists() && !w.ro.path().join("x").exists());
    let bad = two(&mut w, "hello.txt", "x", |c, m, (ap, al), (bp, bl)| {
        path_link(c, m, 9, 0, ap, al, 3, bp, bl)?;
        path_link(c, m, 3, 0, ap, al, 1, bp, bl)
    });
    assert_eq!(bad, Err(Errno::Badf));
    let bad = two(&mut w, "hello.txt", "x", |c, m, (ap, al), (bp, _)| {
        path_link(c, m, 3, 0, ap, al, 3, bp, 213)
    });
    assert_eq!(bad, Err(Errno::Fault));
    drop_rights(&mut w, 3, rights::PATH_LINK_SOURCE, 0);
    assert_eq!(link(&mut w, "hello.txt", "x", 0), Err(Errno::Notcapable));
    let mut w = world();
    drop_rights(&mut w, 3, rights::PATH_LINK_TARGET, 0);
    assert_eq!(link(&mut w, "hello.txt", "x", 0), Err(Errno::Notcapable));
    assert!(!w.rw.path().join("x").exists());
}

#[test]
fn path_symlink_stores_the_text_as_given() {
    let mut w = world();
    for (target, at) in [
        ("hello.txt", "l1"),
        ("sub/../hello.txt", "sub/l2"),
        ("../../../outside", "l4"),
        ("nowhere", "l5"),
    ] {
        assert_eq!(symlink(&mut w, target, at), Ok(()), "{at}");
        let text = std::fs::read_link(w.rw.path().join(at)).unwrap();
        assert_eq!(text, std::path::Path::new(target));
    }
    let l1 = open(&mut w, "l1", 0, rights::FD_READ).unwrap();
    assert_eq!(read_all(&mut w, l1), b"hello world");
    let l4 = open(&mut w, "l4", 0, rights::FD_READ);
    assert_eq!(l4, Err(Errno::Notcapable), "stored, never followed out");
}

#[test]
fn path_symlink_errnos() {
    let mut w = world();
    w.rw.symlink("nowhere", "dangling");
    let long = "x".repeat(crate::fs::resolve::PATH_MAX + 1);
    let cases = [
        ("t", "hello.txt", Errno::Exist),
        ("t", "hello.txt/", Errno::Exist),
        ("t", "sub", Errno::Exist),
        ("t", "sub/", Errno::Exist),
        ("t", "dangling", Errno::Exist),
        ("t", "missing/", Errno::Noent),
        ("t", "nope/x", Errno::Noent),
        ("", "x", Errno::Noent),
        ("t", "", Errno::Noent),
        ("t", "ro/x", Errno::Rofs),
        ("t", "../x", Errno::Notcapable),
        ("/etc/passwd", "abs", Errno::Notcapable),
        ("/", "root", Errno::Notcapable),
    ];
    for (target, at, want) in cases {
        assert_eq!(symlink(&mut w, target, at), Err(want), "symlink({at:?})");
    }
    let mut big = marked(8192);
    let mut mem = GuestMemory::new(&mut big);
    mem.write_bytes(0, long.as_bytes()).unwrap();
    mem.write_bytes(5000, b"x").unwrap();
    let len = long.len() as u32;
    let r = path_symlink(&mut w.ctx, &mut mem, 0, len, 3, 5000, 1);
    assert_eq!(r, Err(Errno::Nametoolong));
    let bad = two(&mut w, "t", "x", |c, m, (ap, al), (bp, bl)| {
        path_symlink(c, m, ap, al, 9, bp, bl)
    });
    assert_eq!(bad, Err(Errno::Badf));
    let bad = two(&mut w, "t", "x", |c, m, (ap, _), (bp, bl)| {
        path_symlink(c, m, ap, 313, 3, bp, bl)
    });
    assert_eq!(bad, Err(Errno::Fault));
    drop_rights(&mut w, 3, rights::PATH_SYMLINK, 0);
    assert_eq!(symlink(&mut w, "t", "x"), Err(Errno::Notcapable));
    assert!(!w.rw.path().join("x").exists() && !w.ro.path().join("x").exists());
}

fn set_times(
    w: &mut World,
    path: &str,
    lookup: u32,
    atim: u64,
    mtim: u64,
    fst: u32,
) -> Result<(), Errno> {
    let mut buf = marked(512);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(PATH_AT, path.as_bytes()).unwrap();
    let r = path_filestat_set_times(
        &mut w.ctx,
        &mut mem,
        3,
        lookup,
        PATH_AT,
        path.len() as u32,
        atim,
        mtim,
        fst,
    );
    let mut want = marked(512);
    want[PATH_AT as usize..PATH_AT as usize + path.len()].copy_from_slice(path.as_bytes());
    assert_eq!(buf, want);
    r
}

fn times(p: &std::path::Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = host_stat(p);
    let ns = |s: i64, n: i64| s as u64 * 1_000_000_000 + n as u64;
    (ns(m.atime(), m.atime_nsec()), ns(m.mtime(), m.mtime_nsec()))
}

#[test]
fn path_filestat_set_times_sets_exactly_what_is_asked() {
    use crate::funcs::fd::fstflags::*;
    let mut w = world();
    let hello = w.rw.path().join("hello.txt");
    assert_eq!(
        set_times(
            &mut w,
            "hello.txt",
            0,
            1_000_000_001,
            2_000_000_002,
            ATIM | MTIM
        ),
        Ok(())
    );
    assert_eq!(times(&hello), (1_000_000_001, 2_000_000_002));
    assert_eq!(
        set_times(&mut w, "hello.txt", 0, 5, 3_000_000_000, MTIM),
        Ok(())
    );
    assert_eq!(times(&hello), (1_000_000_001, 3_000_000_000));
    assert_eq!(set_times(&mut w, "hello.txt", 0, 0, 0, 0), Ok(()));
    assert_eq!(times(&hello), (1_000_000_001, 3_000_000_000));
    // A symlink's own times without FOLLOW, its target's with it.
    w.rw.symlink("hello.txt", "link");
    let link = w.rw.path().join("link");
    assert_eq!(set_times(&mut w, "link", 0, 7, 7, ATIM | MTIM), Ok(()));
    assert_eq!(
        (times(&link), times(&hello)),
        ((7, 7), (1_000_000_001, 3_000_000_000))
    );
    assert_eq!(
        set_times(&mut w, "link", LOOKUP_SYMLINK_FOLLOW, 9, 9, ATIM | MTIM),
        Ok(())
    );
    // (Following the link read it, which may touch its own atime.)
    assert_eq!((times(&link).1, times(&hello)), (7, (9, 9)));
    // Directories too, and "now" is the injected clock.
    let mut w = World {
        ctx: WasiCtxBuilder::new()
            .mount("/", w.rw.path(), Access::ReadWrite)
            .clock(Box::new(crate::FixedClock {
                realtime_ns: 42_000_000_123,
                monotonic_ns: 0,
            }))
            .build()
            .unwrap(),
        ..w
    };
    assert_eq!(
        set_times(&mut w, "sub", 0, 0, 0, ATIM_NOW | MTIM_NOW),
        Ok(())
    );
    assert_eq!(
        times(&w.rw.path().join("sub")),
        (42_000_000_123, 42_000_000_123)
    );
    assert_eq!(set_times(&mut w, ".", 0, 0, 5, ATIM_NOW | MTIM), Ok(()));
    assert_eq!(times(w.rw.path()), (42_000_000_123, 5));
}

#[test]
fn path_filestat_set_times_errnos() {
    use crate::funcs::fd::fstflags::*;
    let mut w = world();
    let before = times(&w.rw.path().join("hello.txt"));
    let cases = [
        ("hello.txt", 0, ATIM | ATIM_NOW, Errno::Inval),
        ("hello.txt", 0, MTIM | MTIM_NOW, Errno::Inval),
        ("hello.txt", 0, 1 << 4, Errno::Inval),
        ("hello.txt", 2, MTIM, Errno::Inval),
        ("missing", 0, MTIM, Errno::Noent),
        ("", 0, MTIM, Errno::Noent),
        ("ro/data.txt", 0, MTIM, Errno::Rofs),
        ("../x", 0, MTIM, Errno::Notcapable),
    ];
    for (path, lookup, fst, want) in cases {
        assert_eq!(
            set_times(&mut w, path, lookup, 1, 1, fst),
            Err(want),
            "{path} {fst}"
        );
    }
    assert_eq!(times(&w.rw.path().join("hello.txt")), before);
    let mut buf = marked(16);
    let mut mem = GuestMemory::new(&mut buf);
    assert_eq!(
        path_filestat_set_times(&mut w.ctx, &mut mem, 3, 0, 10, 7, 1, 1, MTIM),
        Err(Errno::Fault)
    );
    assert_eq!(
        path_filestat_set_times(&mut w.ctx, &mut mem, 9, 0, 0, 1, 1, 1, MTIM),
        Err(Errno::Badf)
    );
    assert_eq!(
        path_filestat_set_times(&mut w.ctx, &mut mem, 1, 0, 0, 1, 1, 1, MTIM),
        Err(Errno::Notdir)
    );
    assert_eq!(buf, marked(16));
    drop_rights(&mut w, 3, rights::PATH_FILESTAT_SET_TIMES, 0);
    assert_eq!(
        set_times(&mut w, "hello.txt", 0, 1, 1, MTIM),
        Err(Errno::Notcapable)
    );
}
