//! Attack tests: every way out of the sandbox we know of, tried against real host files.
//!
//! The host layout is one temporary directory holding `root` (mounted read-write at "/"),
//! `ro` (read-only at "/ro"), `out` (read-write at "/out") and `outside`, which is never
//! mounted and holds `secret` and `victim`. Every test ends by checking that `outside` is
//! exactly as it was, and the read-only mount too.

use crate::errno::Errno;
use crate::fs::resolve::{MAX_SYMLINK_EXPANSIONS, resolve, set_hook};
use crate::fs::{Access, Node, OpenOptions, ops};
use crate::funcs::path::{self, LOOKUP_SYMLINK_FOLLOW, oflags};
use crate::memory::GuestMemory;
use crate::testutil::{TempDir, marked};
use crate::{WasiCtx, WasiCtxBuilder, funcs::fd, rights};
use std::path::{Path, PathBuf};

struct Jail {
    ctx: WasiCtx,
    host: TempDir,
}

const READ: u64 = rights::FD_READ | rights::FD_SEEK;
const RW: u64 = rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK;
const P: u32 = 100;
const Q: u32 = 300;

impl Jail {
    fn new() -> Jail {
        let host = TempDir::new();
        for d in ["root/sub/inner", "ro/dir", "out", "outside/dir"] {
            host.dir(d);
        }
        host.file("root/hello.txt", b"inside");
        host.file("root/sub/file", b"inside sub");
        host.file("root/sub/victim", b"inside victim");
        host.file("ro/data.txt", b"read only");
        host.file("outside/secret", b"SECRET");
        host.file("outside/victim", b"outside victim");
        host.file("outside/dir/secret", b"SECRET");
        // The host sibling of a mount root: `ro/..` must never reach it.
        host.file("hello.txt", b"host parent");
        let ctx = WasiCtxBuilder::new()
            .mount("/", host.path().join("root"), Access::ReadWrite)
            .mount("/ro", host.path().join("ro"), Access::ReadOnly)
            .mount("/out", host.path().join("out"), Access::ReadWrite)
            .build()
            .unwrap();
        Jail { ctx, host }
    }

    fn p(&self, rel: &str) -> PathBuf {
        self.host.path().join(rel)
    }

    fn plant(&self, target: &str, at: &str) {
        std::os::unix::fs::symlink(target, self.p(at)).unwrap();
    }

    fn outside(&self) -> String {
        self.p("outside").display().to_string()
    }

    fn open_from(
        &mut self,
        dirfd: u32,
        path: &str,
        lookup: u32,
        of: u32,
        base: u64,
    ) -> Result<u32, Errno> {
        let mut buf = marked(512);
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_bytes(P, path.as_bytes()).unwrap();
        let inh = rights::DIR_INHERITING;
        path::path_open(
            &mut self.ctx,
            &mut mem,
            dirfd,
            lookup,
            P,
            path.len() as u32,
            of,
            base,
            inh,
            0,
            0,
        )?;
        Ok(mem.read_u32(0).unwrap())
    }

    fn open(&mut self, path: &str, lookup: u32, of: u32, base: u64) -> Result<u32, Errno> {
        self.open_from(3, path, lookup, of, base)
    }

    /// Opens `path` following symlinks and reads it whole.
    fn read(&mut self, path: &str) -> Result<Vec<u8>, Errno> {
        let fd = self.open(path, LOOKUP_SYMLINK_FOLLOW, 0, READ)?;
        let mut buf = vec![0u8; 256];
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_u32(0, 64).unwrap();
        mem.write_u32(4, 128).unwrap();
        fd::fd_read(&mut self.ctx, &mut mem, fd, 0, 1, 8)?;
        let n = mem.read_u32(8).unwrap() as usize;
        fd::fd_close(&mut self.ctx, fd)?;
        Ok(buf[64..64 + n].to_vec())
    }

    /// A `(fd, path)` call with the path at `P`.
    fn call(
        &mut self,
        f: fn(&mut WasiCtx, &mut GuestMemory<'_>, u32, u32, u32) -> Result<(), Errno>,
        path: &str,
    ) -> Result<(), Errno> {
        let mut buf = marked(512);
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_bytes(P, path.as_bytes()).unwrap();
        f(&mut self.ctx, &mut mem, 3, P, path.len() as u32)
    }

    fn two(&mut self, a: &str, b: &str) -> (Vec<u8>, u32, u32, u32, u32) {
        let mut buf = marked(512);
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_bytes(P, a.as_bytes()).unwrap();
        mem.write_bytes(Q, b.as_bytes()).unwrap();
        (buf, P, a.len() as u32, Q, b.len() as u32)
    }

    fn rename(&mut self, a: &str, b: &str) -> Result<(), Errno> {
        let (mut buf, ap, al, bp, bl) = self.two(a, b);
        let mut mem = GuestMemory::new(&mut buf);
        path::path_rename(&mut self.ctx, &mut mem, 3, ap, al, 3, bp, bl)
    }

    fn link(&mut self, a: &str, b: &str, lookup: u32) -> Result<(), Errno> {
        let (mut buf, ap, al, bp, bl) = self.two(a, b);
        let mut mem = GuestMemory::new(&mut buf);
        path::path_link(&mut self.ctx, &mut mem, 3, lookup, ap, al, 3, bp, bl)
    }

    fn symlink(&mut self, target: &str, at: &str) -> Result<(), Errno> {
        let (mut buf, ap, al, bp, bl) = self.two(target, at);
        let mut mem = GuestMemory::new(&mut buf);
        path::path_symlink(&mut self.ctx, &mut mem, ap, al, 3, bp, bl)
    }

    fn set_times(&mut self, path: &str, lookup: u32) -> Result<(), Errno> {
        let mut buf = marked(512);
        let mut mem = GuestMemory::new(&mut buf);
        mem.write_bytes(P, path.as_bytes()).unwrap();
        let flags = fd::fstflags::MTIM | fd::fstflags::ATIM;
        path::path_filestat_set_times(
            &mut self.ctx,
            &mut mem,
            3,
            lookup,
            P,
            path.len() as u32,
            7,
            7,
            flags,
        )
    }

    /// Everything under `outside` and `ro`, with contents and modification times.
    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>, u64)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>, u64)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            entries.sort();
            for p in entries {
                let meta = std::fs::symlink_metadata(&p).unwrap();
                let mtime = std::os::unix::fs::MetadataExt::mtime_nsec(&meta) as u64
                    + std::os::unix::fs::MetadataExt::mtime(&meta) as u64 * 1_000_000_000;
                let data = if meta.is_file() {
                    std::fs::read(&p).unwrap()
                } else {
                    Vec::new()
                };
                out.push((p.clone(), data, mtime));
                if meta.is_dir() {
                    walk(&p, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.p("outside"), &mut out);
        walk(&self.p("ro"), &mut out);
        out
    }
}

#[test]
fn dot_dot_never_leaves_the_namespace() {
    let mut j = Jail::new();
    let before = j.snapshot();
    for p in [
        "..",
        "../outside/secret",
        "sub/../../outside/secret",
        "ro/../../hello.txt",
    ] {
        assert_eq!(j.read(p), Err(Errno::Notcapable), "{p}");
    }
    // `..` out of a mount root is the guest's parent ("/"), never the host's.
    assert_eq!(j.read("ro/../hello.txt"), Ok(b"inside".to_vec()));
    assert_eq!(j.read("out/../ro/data.txt"), Ok(b"read only".to_vec()));
    // From a directory fd at a mount point, `..` may not climb at all.
    let ro = j.open("ro", 0, oflags::DIRECTORY, rights::DIR).unwrap();
    assert_eq!(
        j.open_from(ro, "../hello.txt", 0, 0, READ),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        j.open_from(ro, "dir/../../hello.txt", 0, 0, READ),
        Err(Errno::Notcapable)
    );
    assert!(j.open_from(ro, "dir/../data.txt", 0, 0, READ).is_ok());
    assert_eq!(before, j.snapshot());
}

#[test]
fn host_planted_symlinks_are_resolved_inside_the_namespace() {
    let mut j = Jail::new();
    let out = j.outside();
    j.plant(&format!("{out}/secret"), "root/abs_file");
    j.plant(&out, "root/abs_dir");
    j.plant("../outside/secret", "root/rel_file");
    j.plant("../outside", "root/rel_dir");
    j.plant("../../outside/dir", "root/sub/rel_dir2");
    // Inside a read-only mount, climbing out of the mount root lands in the guest's "/".
    j.plant("../hello.txt", "ro/up");
    j.plant("../../../outside/secret", "ro/dir/up2");
    // This one climbs to the guest's "/" only: the guest's "/outside" does not exist.
    j.plant("../../outside/secret", "ro/dir/up3");
    let before = j.snapshot();
    // (path, without LOOKUP_SYMLINK_FOLLOW): a final symlink is ELOOP (O_NOFOLLOW), one on
    // the way is followed, inside the namespace, and refused.
    let cases = [
        ("abs_file", Errno::Loop),
        ("abs_dir/secret", Errno::Notcapable),
        ("rel_file", Errno::Loop),
        ("rel_dir/secret", Errno::Notcapable),
        ("sub/rel_dir2/secret", Errno::Notcapable),
        ("ro/dir/up2", Errno::Loop),
    ];
    for (p, nofollow) in cases {
        assert_eq!(j.read(p), Err(Errno::Notcapable), "{p}");
        assert_eq!(j.open(p, 0, 0, READ), Err(nofollow), "nofollow {p}");
        let under = j.call(path::path_unlink_file, &format!("{p}/x"));
        assert_eq!(under, Err(Errno::Notcapable), "{p}/x");
    }
    assert_eq!(j.read("ro/up"), Ok(b"inside".to_vec()));
    assert_eq!(j.read("ro/dir/up3"), Err(Errno::Noent));
    // Creating through a link to outside is refused too.
    assert_eq!(
        j.open("abs_dir/new", LOOKUP_SYMLINK_FOLLOW, oflags::CREAT, RW),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        j.open(
            "rel_file",
            LOOKUP_SYMLINK_FOLLOW,
            oflags::CREAT | oflags::TRUNC,
            RW
        ),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        j.call(path::path_create_directory, "rel_dir/new"),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        j.set_times("abs_file", LOOKUP_SYMLINK_FOLLOW),
        Err(Errno::Notcapable)
    );
    assert_eq!(before, j.snapshot());
}

#[test]
fn guest_created_symlinks_are_stored_but_never_followed_out() {
    let mut j = Jail::new();
    let before = j.snapshot();
    let out = j.outside();
    // An absolute text is refused outright: it could only name a host path.
    assert_eq!(
        j.symlink(&format!("{out}/secret"), "evil_abs"),
        Err(Errno::Notcapable)
    );
    assert!(std::fs::symlink_metadata(j.p("root/evil_abs")).is_err());
    assert_eq!(j.symlink("../outside", "evil_rel"), Ok(()));
    assert_eq!(
        j.symlink("../../../../../../../..", "sub/evil_deep"),
        Ok(())
    );
    assert_eq!(
        std::fs::read_link(j.p("root/evil_rel")).unwrap(),
        Path::new("../outside")
    );
    for p in ["evil_rel/secret", "sub/evil_deep/etc/passwd"] {
        assert_eq!(j.read(p), Err(Errno::Notcapable), "{p}");
    }
    assert_eq!(
        j.open("evil_rel/new", LOOKUP_SYMLINK_FOLLOW, oflags::CREAT, RW),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        j.rename("hello.txt", "evil_rel/hello.txt"),
        Err(Errno::Notcapable)
    );
    assert_eq!(before, j.snapshot());
}

#[test]
fn hard_links_never_reach_outside_files() {
    let mut j = Jail::new();
    let out = j.outside();
    j.plant(&format!("{out}/secret"), "root/abs_file");
    j.plant("../outside/secret", "root/rel_file");
    let before = j.snapshot();
    assert_eq!(j.link("../outside/secret", "l1", 0), Err(Errno::Notcapable));
    assert_eq!(
        j.link("abs_file", "l2", LOOKUP_SYMLINK_FOLLOW),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        j.link("rel_file", "l3", LOOKUP_SYMLINK_FOLLOW),
        Err(Errno::Notcapable)
    );
    assert_eq!(j.link("hello.txt", "../l4", 0), Err(Errno::Notcapable));
    // Without FOLLOW the link itself is linked: another symlink, still never followed.
    assert_eq!(j.link("rel_file", "l5", 0), Ok(()));
    assert!(
        std::fs::symlink_metadata(j.p("root/l5"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(j.read("l5"), Err(Errno::Notcapable));
    let nlink =
        std::os::unix::fs::MetadataExt::nlink(&std::fs::metadata(j.p("outside/secret")).unwrap());
    assert_eq!(nlink, 1);
    // Hard links across mounts are EXDEV, into a read-only mount EXDEV, within it EROFS.
    assert_eq!(j.link("hello.txt", "out/h", 0), Err(Errno::Xdev));
    assert_eq!(j.link("hello.txt", "ro/h", 0), Err(Errno::Xdev));
    assert_eq!(j.link("ro/data.txt", "ro/h", 0), Err(Errno::Rofs));
    assert_eq!(before, j.snapshot());
}

#[test]
fn renames_stay_on_their_mount() {
    let mut j = Jail::new();
    let before = j.snapshot();
    assert_eq!(j.rename("hello.txt", "ro/hello.txt"), Err(Errno::Xdev));
    assert_eq!(j.rename("ro/data.txt", "moved.txt"), Err(Errno::Xdev));
    assert_eq!(j.rename("ro/data.txt", "ro/renamed.txt"), Err(Errno::Rofs));
    assert_eq!(j.rename("ro/dir", "ro/dir2"), Err(Errno::Rofs));
    assert_eq!(j.rename("hello.txt", "out/hello.txt"), Err(Errno::Xdev));
    assert_eq!(j.rename("sub", "out/sub"), Err(Errno::Xdev));
    // Mount points and their parents are pinned.
    assert_eq!(j.rename("ro", "ro2"), Err(Errno::Busy));
    assert_eq!(j.rename("sub", "out"), Err(Errno::Busy));
    assert_eq!(
        j.rename("../outside/secret", "stolen"),
        Err(Errno::Notcapable)
    );
    assert_eq!(
        j.rename("hello.txt", "../outside/hello.txt"),
        Err(Errno::Notcapable)
    );
    assert_eq!(j.rename("hello.txt", "sub/moved.txt"), Ok(()));
    assert_eq!(std::fs::read(j.p("root/sub/moved.txt")).unwrap(), b"inside");
    assert_eq!(before, j.snapshot());
}

#[test]
fn read_only_mounts_refuse_every_mutation() {
    let mut j = Jail::new();
    let before = j.snapshot();
    assert_eq!(j.open("ro/data.txt", 0, 0, RW), Err(Errno::Rofs));
    assert_eq!(
        j.open("ro/data.txt", 0, oflags::TRUNC, READ),
        Err(Errno::Rofs)
    );
    assert_eq!(j.open("ro/new", 0, oflags::CREAT, READ), Err(Errno::Rofs));
    assert_eq!(
        j.open("ro/new", 0, oflags::CREAT | oflags::EXCL, RW),
        Err(Errno::Rofs)
    );
    assert_eq!(
        j.call(path::path_create_directory, "ro/newdir"),
        Err(Errno::Rofs)
    );
    assert_eq!(
        j.call(path::path_unlink_file, "ro/data.txt"),
        Err(Errno::Rofs)
    );
    assert_eq!(
        j.call(path::path_remove_directory, "ro/dir"),
        Err(Errno::Rofs)
    );
    assert_eq!(j.symlink("data.txt", "ro/link"), Err(Errno::Rofs));
    assert_eq!(j.set_times("ro/data.txt", 0), Err(Errno::Rofs));
    assert_eq!(j.set_times("ro", 0), Err(Errno::Rofs));
    // Through fds: a read-only fd cannot write, resize or allocate; times are EROFS.
    let f = j
        .open("ro/data.txt", 0, 0, rights::FILE & !rights::FILE_WRITE)
        .unwrap();
    assert_eq!(fd::fd_filestat_set_size(&mut j.ctx, f, 0), Err(Errno::Badf));
    assert_eq!(fd::fd_allocate(&mut j.ctx, f, 0, 100), Err(Errno::Badf));
    assert_eq!(
        fd::fd_filestat_set_times(&mut j.ctx, f, 1, 1, fd::fstflags::MTIM),
        Err(Errno::Rofs)
    );
    let d = j.open("ro/dir", 0, oflags::DIRECTORY, rights::DIR).unwrap();
    assert_eq!(
        fd::fd_filestat_set_times(&mut j.ctx, d, 1, 1, fd::fstflags::ATIM_NOW),
        Err(Errno::Rofs)
    );
    let mut buf = marked(64);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(40, b"x").unwrap();
    mem.write_u32(0, 40).unwrap();
    mem.write_u32(4, 1).unwrap();
    assert_eq!(
        fd::fd_write(&mut j.ctx, &mut mem, f, 0, 1, 8),
        Err(Errno::Badf)
    );
    assert_eq!(
        fd::fd_pwrite(&mut j.ctx, &mut mem, f, 0, 1, 0, 8),
        Err(Errno::Badf)
    );
    // Reads still work.
    assert_eq!(j.read("ro/data.txt"), Ok(b"read only".to_vec()));
    assert_eq!(before, j.snapshot());
}

#[test]
fn a_directory_swapped_for_a_symlink_after_the_walk_is_not_followed() {
    // The race: a host process swaps `sub` for a symlink to `outside` after the guest's
    // path was resolved but before the operation. The operation acts on the directory fd
    // the walk opened (the real `sub`, now renamed), never on the path.
    let mut j = Jail::new();
    let before = j.snapshot();
    let root = j.ctx.mounts.root();
    let victim = resolve(&j.ctx.mounts, &[], &root, "sub/victim", false).unwrap();
    let file = resolve(&j.ctx.mounts, &[], &root, "sub/file", false).unwrap();
    assert_eq!(victim.node, Node::File);
    std::fs::rename(j.p("root/sub"), j.p("root/sub.real")).unwrap();
    j.plant(&j.outside(), "root/sub");
    let (dir, name) = victim.at().unwrap();
    ops(victim.access).remove_file(dir, name).unwrap();
    assert!(!j.p("root/sub.real/victim").exists());
    let (dir, name) = file.at().unwrap();
    let read = OpenOptions {
        read: true,
        ..OpenOptions::default()
    };
    let fd = ops(file.access).open(dir, name, &read).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut std::fs::File::from(fd), &mut s).unwrap();
    assert_eq!(s, "inside sub");
    // And a fresh resolution sees the symlink, and refuses it.
    assert_eq!(j.read("sub/secret"), Err(Errno::Notcapable));
    assert_eq!(before, j.snapshot());
}

#[test]
fn a_final_component_swapped_for_a_symlink_is_never_followed() {
    let j = Jail::new();
    let before = j.snapshot();
    let root = j.ctx.mounts.root();
    let r = resolve(&j.ctx.mounts, &[], &root, "sub/file", false).unwrap();
    std::fs::remove_file(j.p("root/sub/file")).unwrap();
    j.plant(&format!("{}/secret", j.outside()), "root/sub/file");
    let (dir, name) = r.at().unwrap();
    let write = OpenOptions {
        write: true,
        truncate: true,
        ..OpenOptions::default()
    };
    assert_eq!(
        ops(r.access).open(dir, name, &write).err(),
        Some(Errno::Loop)
    );
    let create = OpenOptions {
        write: true,
        create: true,
        ..OpenOptions::default()
    };
    assert_eq!(
        ops(r.access).open(dir, name, &create).err(),
        Some(Errno::Loop)
    );
    // Setting times and linking act on the symlink itself.
    ops(r.access)
        .set_times(
            dir,
            name,
            crate::fs::SetTime::At(1),
            crate::fs::SetTime::At(1),
        )
        .unwrap();
    ops(r.access).link(dir, name, dir, "copy").unwrap();
    assert!(
        std::fs::symlink_metadata(j.p("root/sub/copy"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(before, j.snapshot());
}

#[test]
fn a_directory_swapped_in_the_middle_of_the_walk_is_caught() {
    // The hook runs just before each component is looked up, after its parent was
    // entered: swapping `sub/inner` for a symlink there is the tightest race possible.
    let mut j = Jail::new();
    let before = j.snapshot();
    let host = j.host.path().to_path_buf();
    let outside = j.outside();
    set_hook(Some(Box::new(move |child: &[String]| {
        if child == ["sub", "inner"] {
            std::fs::rename(
                host.join("root/sub/inner"),
                host.join("root/sub/inner.real"),
            )
            .unwrap();
            std::os::unix::fs::symlink(&outside, host.join("root/sub/inner")).unwrap();
        }
    })));
    let got = j.read("sub/inner/secret");
    set_hook(None);
    assert_eq!(got, Err(Errno::Notcapable));

    // Swapping the parent after it was entered: the walk goes on in the real directory.
    let host = j.host.path().to_path_buf();
    let outside = j.outside();
    set_hook(Some(Box::new(move |child: &[String]| {
        if child == ["sub", "file"] {
            std::fs::rename(host.join("root/sub"), host.join("root/sub.moved")).unwrap();
            std::os::unix::fs::symlink(&outside, host.join("root/sub")).unwrap();
        }
    })));
    let got = j.read("sub/file");
    set_hook(None);
    assert_eq!(got, Ok(b"inside sub".to_vec()));
    assert_eq!(before, j.snapshot());
}

#[test]
fn symlink_loops_and_chains_stop_at_the_limit() {
    let mut j = Jail::new();
    j.plant("l0", "root/self");
    j.plant("b", "root/a");
    j.plant("a", "root/b");
    for i in 0..=MAX_SYMLINK_EXPANSIONS {
        let next = if i == MAX_SYMLINK_EXPANSIONS {
            "hello.txt".to_string()
        } else {
            format!("c{}", i + 1)
        };
        j.plant(&next, &format!("root/c{i}"));
    }
    assert_eq!(j.read("a"), Err(Errno::Loop));
    assert_eq!(j.read("a/x"), Err(Errno::Loop));
    // c1 needs exactly 40 expansions, c0 needs 41.
    assert_eq!(j.read("c1"), Ok(b"inside".to_vec()));
    assert_eq!(j.read("c0"), Err(Errno::Loop));
}

#[test]
fn virtual_directories_cannot_be_written() {
    let host = TempDir::new();
    host.dir("data");
    let mut ctx = WasiCtxBuilder::new()
        .mount("/inputs/a", host.path().join("data"), Access::ReadWrite)
        .build()
        .unwrap();
    let mut buf = marked(512);
    let mut mem = GuestMemory::new(&mut buf);
    mem.write_bytes(P, b"inputs/new").unwrap();
    let r = path::path_create_directory(&mut ctx, &mut mem, 3, P, 10);
    assert_eq!(r, Err(Errno::Rofs));
    let r = path::path_open(&mut ctx, &mut mem, 3, 0, P, 10, oflags::CREAT, RW, 0, 0, 0);
    assert_eq!(r, Err(Errno::Rofs));
    mem.write_bytes(Q, b"inputs/a/x").unwrap();
    let r = path::path_symlink(&mut ctx, &mut mem, Q, 10, 3, P, 10);
    assert_eq!(r, Err(Errno::Rofs));
    let r = path::path_rename(&mut ctx, &mut mem, 3, P, 6, 3, Q, 10);
    assert_eq!(r, Err(Errno::Busy));
    assert!(!host.path().join("data/x").exists());
}
