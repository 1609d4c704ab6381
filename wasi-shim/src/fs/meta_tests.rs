//! Tests of `meta.rs`: the table on its own, then through the preview1 functions over real
//! temporary trees, in virtual mode and in host mode.

use super::*;
use crate::clock::VirtualClock;
use crate::funcs::fd::{fd_filestat_get, fd_filestat_set_times, fd_write, fstflags};
use crate::funcs::fd_dir::fd_readdir;
use crate::funcs::path::{self, oflags};
use crate::memory::GuestMemory;
use crate::testutil::TempDir;
use crate::{Access, WasiCtx, WasiCtxBuilder, rights};
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime};

const EPOCH: u64 = 946_684_800_000_000_000;
const SECOND: u64 = 1_000_000_000;

fn key(ino: u64) -> Option<Key> {
    Some(Key { dev: 9, ino })
}

fn host_file(ino: u64) -> Filestat {
    Filestat {
        dev: 9,
        ino,
        filetype: FileType::RegularFile,
        nlink: 5,
        size: 3,
        ..Filestat::virtual_dir()
    }
}

#[test]
fn each_change_reads_the_clock_once_and_host_mode_never() {
    let clock = VirtualClock::new(EPOCH, 1_000);
    let mut meta = Meta::virtual_from(EPOCH);
    let (a, d) = (key(10), key(11));
    meta.record(Change::Data(a), &clock);
    meta.record(Change::Created { new: a, parent: d }, &clock);
    meta.record(
        Change::Linked {
            target: a,
            parent: d,
        },
        &clock,
    );
    meta.record(Change::Removed { gone: a, parent: d }, &clock);
    assert_eq!(clock.elapsed(), 4_000);
    let (atim, mtim) = (SetTime::At(1), SetTime::Now);
    let times = Change::Times {
        of: a,
        atim,
        mtim,
        now: Some(77),
    };
    meta.record(times, &clock);
    assert_eq!(clock.elapsed(), 4_000, "set_times brings its own reading");
    let st = meta.show(&[], host_file(10));
    assert_eq!((st.atim, st.mtim, st.ctim), (1, 77, 77));
    let mut host = Meta::Host;
    host.record(Change::Data(a), &clock);
    assert_eq!(clock.elapsed(), 4_000);
    assert_eq!(host.show(&[], host_file(10)), host_file(10));
}

#[test]
fn links_are_counted_and_the_last_removal_forgets() {
    let clock = VirtualClock::new(EPOCH, SECOND);
    let mut meta = Meta::virtual_from(EPOCH);
    let first = meta.show(&[], host_file(10));
    assert_eq!((first.ino, first.nlink, first.dev), (1, 1, VIRTUAL_DEV));
    assert_eq!((first.size, first.mtim), (3, EPOCH));
    let link = Change::Linked {
        target: key(10),
        parent: None,
    };
    meta.record(link, &clock);
    assert_eq!(meta.show(&[], host_file(10)).nlink, 2);
    // Renaming one name onto the other does nothing, as in POSIX.
    let onto_itself = Change::Renamed {
        moved: key(10),
        replaced: key(10),
        from: None,
        to: None,
    };
    meta.record(onto_itself, &clock);
    assert_eq!(meta.show(&[], host_file(10)).nlink, 2);
    let unlink = Change::Removed {
        gone: key(10),
        parent: None,
    };
    meta.record(unlink, &clock);
    let after = meta.show(&[], host_file(10));
    assert_eq!(
        (after.ino, after.nlink, after.ctim),
        (1, 1, EPOCH + 2 * SECOND)
    );
    meta.record(unlink, &clock);
    // The host may give the inode to a new file: it starts afresh.
    let reused = meta.show(&[], host_file(10));
    assert_eq!((reused.ino, reused.nlink, reused.mtim), (2, 1, EPOCH));
    let created = Change::Created {
        new: key(10),
        parent: None,
    };
    meta.record(created, &clock);
    let new = meta.show(&[], host_file(10));
    assert_eq!((new.ino, new.mtim), (3, EPOCH + 4 * SECOND));
}

#[test]
fn virtual_directories_are_numbered_by_guest_path() {
    let mut meta = Meta::virtual_from(EPOCH);
    let v = |s: &str| vec![s.to_string()];
    let a = meta.show(&v("a"), Filestat::virtual_dir());
    let b = meta.show(&v("b"), Filestat::virtual_dir());
    assert_eq!((a.ino, b.ino), (1, 2));
    assert_eq!(meta.show(&v("a"), Filestat::virtual_dir()), a);
    assert_eq!((a.nlink, a.size, a.atim, a.ctim), (1, 0, EPOCH, EPOCH));
}

/// A guest over a context, with a memory image for the calls' arguments and results.
struct Guest {
    ctx: WasiCtx,
    buf: Vec<u8>,
}

const PATH_A: u32 = 1_000;
const PATH_B: u32 = 2_000;
const OUT: u32 = 3_000;
const DIRENTS: u32 = 4_096;

fn decode(b: &[u8]) -> Filestat {
    let u = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap());
    let filetype = match b[16] {
        3 => FileType::Directory,
        4 => FileType::RegularFile,
        7 => FileType::SymbolicLink,
        _ => FileType::Unknown,
    };
    Filestat {
        dev: u(0),
        ino: u(8),
        filetype,
        nlink: u(24),
        size: u(32),
        atim: u(40),
        mtim: u(48),
        ctim: u(56),
    }
}

impl Guest {
    /// "/" read-write from `root`, "/mnt/data" read-only from `data`, a virtual clock.
    fn new(root: &TempDir, data: &TempDir, virtual_metadata: bool) -> Guest {
        let ctx = WasiCtxBuilder::new()
            .mount("/", root.path(), Access::ReadWrite)
            .mount("/mnt/data", data.path(), Access::ReadOnly)
            .clock(Box::new(VirtualClock::new(EPOCH, 1_000)))
            .virtual_metadata(virtual_metadata)
            .build()
            .unwrap();
        Guest {
            ctx,
            buf: vec![0; 16_384],
        }
    }

    fn put(&mut self, at: u32, text: &str) -> (u32, u32) {
        self.buf[at as usize..][..text.len()].copy_from_slice(text.as_bytes());
        (at, text.len() as u32)
    }

    fn stat(&mut self, path: &str) -> Filestat {
        let (p, l) = self.put(PATH_A, path);
        let mut mem = GuestMemory::new(&mut self.buf);
        path::path_filestat_get(&mut self.ctx, &mut mem, 3, 0, p, l, OUT).unwrap();
        decode(&self.buf[OUT as usize..])
    }

    fn fstat(&mut self, fd: u32) -> Filestat {
        let mut mem = GuestMemory::new(&mut self.buf);
        fd_filestat_get(&mut self.ctx, &mut mem, fd, OUT).unwrap();
        decode(&self.buf[OUT as usize..])
    }

    fn open(&mut self, path: &str, oflags: u32, base: u64) -> u32 {
        let (p, l) = self.put(PATH_A, path);
        let mut mem = GuestMemory::new(&mut self.buf);
        path::path_open(&mut self.ctx, &mut mem, 3, 0, p, l, oflags, base, 0, 0, OUT).unwrap();
        mem.read_u32(OUT).unwrap()
    }

    fn write(&mut self, fd: u32, data: &str) {
        let (p, l) = self.put(PATH_B, data);
        let mut mem = GuestMemory::new(&mut self.buf);
        mem.write_u32(OUT, p).unwrap();
        mem.write_u32(OUT + 4, l).unwrap();
        fd_write(&mut self.ctx, &mut mem, fd, OUT, 1, OUT + 8).unwrap();
    }

    /// The names and `d_ino`s of a directory, in readdir order.
    fn list(&mut self, path: &str) -> Vec<(String, u64)> {
        let fd = self.open(path, oflags::DIRECTORY, rights::DIR);
        let mut mem = GuestMemory::new(&mut self.buf);
        fd_readdir(&mut self.ctx, &mut mem, fd, DIRENTS, 8_192, 0, OUT).unwrap();
        let used = mem.read_u32(OUT).unwrap() as usize;
        crate::funcs::fd::fd_close(&mut self.ctx, fd).unwrap();
        let mut b = &self.buf[DIRENTS as usize..][..used];
        let mut out = Vec::new();
        while !b.is_empty() {
            let ino = u64::from_le_bytes(b[8..16].try_into().unwrap());
            let len = u32::from_le_bytes(b[16..20].try_into().unwrap()) as usize;
            out.push((String::from_utf8(b[24..24 + len].to_vec()).unwrap(), ino));
            b = &b[24 + len..];
        }
        out
    }

    /// A call taking one path from fd 3 (`path_create_directory`, `path_unlink_file`...).
    fn one(
        &mut self,
        f: fn(&mut WasiCtx, &mut GuestMemory<'_>, u32, u32, u32) -> Result<(), Errno>,
        a: &str,
    ) {
        let (p, l) = self.put(PATH_A, a);
        f(&mut self.ctx, &mut GuestMemory::new(&mut self.buf), 3, p, l).unwrap();
    }

    fn rename(&mut self, a: &str, b: &str) {
        let ((ap, al), (bp, bl)) = (self.put(PATH_A, a), self.put(PATH_B, b));
        let mut mem = GuestMemory::new(&mut self.buf);
        path::path_rename(&mut self.ctx, &mut mem, 3, ap, al, 3, bp, bl).unwrap();
    }

    fn link(&mut self, a: &str, b: &str) {
        let ((ap, al), (bp, bl)) = (self.put(PATH_A, a), self.put(PATH_B, b));
        let mut mem = GuestMemory::new(&mut self.buf);
        path::path_link(&mut self.ctx, &mut mem, 3, 0, ap, al, 3, bp, bl).unwrap();
    }

    fn set_times(&mut self, path: &str, atim: u64, mtim: u64, flags: u32) -> Result<(), Errno> {
        let (p, l) = self.put(PATH_A, path);
        let mut mem = GuestMemory::new(&mut self.buf);
        path::path_filestat_set_times(&mut self.ctx, &mut mem, 3, 0, p, l, atim, mtim, flags)
    }
}

/// The input tree: "/a.txt", "/sub/b.txt", "/sub/deeper/", and "/mnt/data/d.txt" from a
/// second directory; made in another order if `reversed` (so the host numbers them
/// differently), with every host time of "/" set to `mtime`.
fn inputs(reversed: bool, mtime: SystemTime) -> (TempDir, TempDir) {
    let (root, data) = (TempDir::new(), TempDir::new());
    let order = if reversed { [3, 1, 2, 0] } else { [0, 1, 2, 3] };
    for step in order {
        match step {
            0 => root.file("a.txt", b"alpha"),
            1 => root.dir("sub/deeper"),
            2 => root.file("sub/b.txt", b"beta"),
            _ => data.file("d.txt", b"delta"),
        }
    }
    for p in ["a.txt", "sub/b.txt", "sub/deeper", "sub", "."] {
        let file = std::fs::File::open(root.path().join(p)).unwrap();
        file.set_times(
            std::fs::FileTimes::new()
                .set_accessed(mtime)
                .set_modified(mtime),
        )
        .unwrap();
    }
    (root, data)
}

/// Everything a guest can learn of the tree's metadata, in a fixed order.
fn observe(g: &mut Guest) -> Vec<String> {
    let mut seen = Vec::new();
    for dir in [".", "sub", "mnt", "mnt/data"] {
        seen.push(format!("{dir}: {:?}", g.list(dir)));
    }
    for p in [
        ".",
        "a.txt",
        "sub",
        "sub/b.txt",
        "sub/deeper",
        "mnt",
        "mnt/data/d.txt",
    ] {
        seen.push(format!("{p}: {:?}", g.stat(p)));
    }
    seen
}

#[test]
fn inode_numbers_and_times_do_not_depend_on_the_host_tree() {
    let (root1, data1) = inputs(false, SystemTime::UNIX_EPOCH + Duration::from_secs(1_000));
    let (root2, data2) = inputs(true, SystemTime::now());
    let virtual1 = observe(&mut Guest::new(&root1, &data1, true));
    assert_eq!(virtual1, observe(&mut Guest::new(&root2, &data2, true)));
    // The host's metadata differs: the comparison above can fail.
    let host1 = observe(&mut Guest::new(&root1, &data1, false));
    assert_ne!(host1, observe(&mut Guest::new(&root2, &data2, false)));
    let mut g = Guest::new(&root1, &data1, true);
    // Numbered in the order met: ".", then the sorted entries.
    let root = [(".", 1), ("..", 1), ("a.txt", 2), ("mnt", 3), ("sub", 4)];
    let root = root.map(|(n, i)| (n.to_string(), i));
    assert_eq!(g.list("."), root);
    let a = g.stat("a.txt");
    assert_eq!((a.dev, a.ino, a.nlink, a.size), (VIRTUAL_DEV, 2, 1, 5));
    assert_eq!((a.atim, a.mtim, a.ctim), (EPOCH, EPOCH, EPOCH));
    assert_eq!(
        g.ctx.clock.now(ClockId::Monotonic),
        Some(0),
        "nothing read the clock"
    );
}

#[test]
fn readdir_numbers_equal_stat_numbers_whichever_comes_first() {
    let (root, data) = inputs(false, SystemTime::now());
    let dirs: [(&str, &[&str]); 4] = [
        (".", &["a.txt", "mnt", "sub"]),
        ("sub", &["b.txt", "deeper"]),
        ("mnt", &["data"]),
        ("mnt/data", &["d.txt"]),
    ];
    for list_first in [true, false] {
        let mut g = Guest::new(&root, &data, true);
        let list = |g: &mut Guest| dirs.map(|(d, _)| g.list(d));
        let listed = list_first.then(|| list(&mut g));
        let stated = dirs.map(|(d, names)| {
            // The root's `..` is itself; a path cannot climb above it.
            let up = if d == "." { "." } else { ".." };
            let mut v = vec![(".".to_string(), g.stat(d).ino)];
            v.push(("..".to_string(), g.stat(&format!("{d}/{up}")).ino));
            for n in names {
                v.push((n.to_string(), g.stat(&format!("{d}/{n}")).ino));
            }
            v
        });
        let listed = listed.unwrap_or_else(|| list(&mut g));
        assert_eq!(listed, stated, "list_first={list_first}");
    }
}

#[test]
fn directories_report_size_zero_and_one_link() {
    let (root, data) = inputs(false, SystemTime::now());
    let mut g = Guest::new(&root, &data, true);
    for dir in [".", "sub", "mnt", "mnt/data"] {
        let st = g.stat(dir);
        assert_eq!(
            (st.size, st.nlink, st.filetype),
            (0, 1, FileType::Directory),
            "{dir}"
        );
    }
    let host = std::fs::metadata(root.path().join("sub")).unwrap();
    assert!(host.nlink() >= 2, "the host counts `sub/deeper`'s `..`");
    let preopen = g.fstat(3);
    assert_eq!((preopen.ino, preopen.size), (g.stat(".").ino, 0));
}

#[test]
fn writes_date_the_file_and_creation_dates_the_directory() {
    let (root, data) = inputs(false, SystemTime::now());
    let mut g = Guest::new(&root, &data, true);
    g.ctx.clock.sleep(SECOND);
    let fd = g.open("sub/new.txt", oflags::CREAT, rights::FILE);
    let created = EPOCH + SECOND;
    let st = g.fstat(fd);
    assert_eq!(
        (st.atim, st.mtim, st.ctim, st.nlink),
        (created, created, created, 1)
    );
    let sub = g.stat("sub");
    assert_eq!((sub.atim, sub.mtim, sub.ctim), (EPOCH, created, created));
    g.write(fd, "hello");
    let st = g.fstat(fd);
    let written = created + 1_000;
    assert_eq!(
        (st.atim, st.mtim, st.ctim, st.size),
        (created, written, written, 5)
    );
    assert_eq!(g.stat("sub/new.txt"), st);
    // Truncating on open is a write too; reading is not.
    g.open("a.txt", oflags::TRUNC, rights::FILE);
    let a = g.stat("a.txt");
    assert_eq!((a.atim, a.mtim, a.size), (EPOCH, written + 1_000, 0));
    g.open("sub/b.txt", 0, rights::FD_READ);
    assert_eq!(g.stat("sub/b.txt").mtim, EPOCH);
}

#[test]
fn set_times_sets_the_guests_values_and_now_is_the_clocks() {
    let (root, data) = inputs(false, SystemTime::now());
    let mut g = Guest::new(&root, &data, true);
    let (at, mt) = (fstflags::ATIM, fstflags::MTIM);
    g.set_times("a.txt", 5 * SECOND, 7 * SECOND, at | mt)
        .unwrap();
    let a = g.stat("a.txt");
    assert_eq!((a.atim, a.mtim, a.ctim), (5 * SECOND, 7 * SECOND, EPOCH));
    // Also given to the host, so output files carry the times the guest set.
    let host = std::fs::metadata(root.path().join("a.txt")).unwrap();
    assert_eq!(host.mtime(), 7);
    g.set_times("a.txt", 0, 0, fstflags::MTIM_NOW).unwrap();
    let a = g.stat("a.txt");
    assert_eq!(
        (a.atim, a.mtim, a.ctim),
        (5 * SECOND, EPOCH + 1_000, EPOCH + 1_000)
    );
    let fd = g.open("sub", oflags::DIRECTORY, rights::DIR);
    fd_filestat_set_times(&mut g.ctx, fd, 3, 0, fstflags::ATIM).unwrap();
    let sub = g.fstat(fd);
    assert_eq!((sub.atim, sub.mtim, sub.ctim), (3, EPOCH, EPOCH + 2_000));
    assert_eq!(
        g.set_times("mnt/data/d.txt", 1, 1, at | mt),
        Err(Errno::Rofs)
    );
    assert_eq!(
        g.stat("mnt/data/d.txt").mtim,
        EPOCH,
        "a refused change changes nothing"
    );
}

#[test]
fn hard_links_share_a_number_and_renames_keep_it() {
    let (root, data) = inputs(false, SystemTime::now());
    // A name outside the guest's view (as a runner's cache may hold): not counted.
    let outside = TempDir::new();
    std::fs::hard_link(root.path().join("a.txt"), outside.path().join("a")).unwrap();
    let mut g = Guest::new(&root, &data, true);
    let a = g.stat("a.txt");
    assert_eq!(a.nlink, 1);
    g.link("a.txt", "sub/again.txt");
    let (a, again) = (g.stat("a.txt"), g.stat("sub/again.txt"));
    assert_eq!((a.nlink, a.ctim), (2, EPOCH));
    assert_eq!(a, again);
    g.rename("sub/again.txt", "moved.txt");
    assert_eq!(g.stat("moved.txt"), a, "the file itself is unchanged");
    assert_eq!(g.stat("sub").mtim, EPOCH + 1_000);
    assert_eq!(g.stat(".").mtim, EPOCH + 1_000, "one reading per call");
    // Onto another name of the same file: POSIX does nothing.
    g.rename("moved.txt", "a.txt");
    assert_eq!(g.stat("moved.txt"), a);
    assert_eq!(g.stat(".").mtim, EPOCH + 1_000);
    // Over another file: that file's only link is gone, this one's links stay.
    g.open("t", oflags::CREAT, rights::FILE);
    g.rename("moved.txt", "t");
    assert_eq!((g.stat("t").ino, g.stat("a.txt").nlink), (a.ino, 2));
    g.one(path::path_unlink_file, "t");
    let a = g.stat("a.txt");
    assert_eq!((a.nlink, a.ctim), (1, EPOCH + 5_000));
}

#[test]
fn a_new_file_never_inherits_a_removed_files_metadata() {
    let (root, data) = inputs(false, SystemTime::now());
    let mut g = Guest::new(&root, &data, true);
    g.open("x", oflags::CREAT, rights::FILE);
    g.set_times("x", 42, 42, fstflags::ATIM | fstflags::MTIM)
        .unwrap();
    let x = g.stat("x");
    let host_ino = std::fs::metadata(root.path().join("x")).unwrap().ino();
    g.one(path::path_unlink_file, "x");
    g.one(path::path_create_directory, "y");
    g.one(path::path_remove_directory, "y");
    g.open("z", oflags::CREAT, rights::FILE);
    // Whether or not the host gave "z" the inode "x" had, "z" is new to the guest.
    let reused = std::fs::metadata(root.path().join("z")).unwrap().ino() == host_ino;
    let z = g.stat("z");
    assert!(
        z.ino > x.ino && z.mtim > 42 && z.atim > 42,
        "reused={reused}: {z:?}"
    );
}

#[test]
fn host_mode_shows_the_host_metadata() {
    let (root, data) = inputs(false, SystemTime::UNIX_EPOCH + Duration::from_secs(1_000));
    let mut g = Guest::new(&root, &data, false);
    for p in ["a.txt", "sub"] {
        let host = std::fs::symlink_metadata(root.path().join(p)).unwrap();
        let st = g.stat(p);
        assert_eq!(
            (st.dev, st.ino, st.nlink),
            (host.dev(), host.ino(), host.nlink())
        );
        assert_eq!((st.size, st.mtim), (host.size(), 1_000 * SECOND));
    }
    let listed = g.list(".");
    let a = listed.iter().find(|(n, _)| n == "a.txt").unwrap();
    assert_eq!(
        a.1,
        std::fs::metadata(root.path().join("a.txt")).unwrap().ino()
    );
    assert_eq!((g.stat("mnt").ino, g.stat("mnt").dev), (0, 0));
    g.ctx.clock.sleep(SECOND);
    g.one(path::path_create_directory, "new");
    assert_ne!(g.stat("new").mtim, EPOCH + SECOND, "the host's time");
}
