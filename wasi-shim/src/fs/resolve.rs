//! Path resolution: the one function that turns a guest path into a place in the namespace.
//!
//! Owns: the sandbox policy. Every `path_*` call and `WasiCtx::read_file` resolve through
//! [`resolve`]; nothing else may interpret `.`, `..` or symlinks.
//!
//! Policy (cap-std / Wasmtime semantics):
//! - preview1 paths are relative to a directory fd; a leading `/` is `ENOTCAPABLE`, an empty
//!   path `ENOENT`, a path longer than [`PATH_MAX`] `ENAMETOOLONG`;
//! - the walk holds a stack of directory fds, one per component below the starting
//!   directory; a component is looked up with `openat(top, name, O_NOFOLLOW|O_DIRECTORY)`
//!   (or `statat(.., AT_SYMLINK_NOFOLLOW)` for the last), so the kernel never follows a
//!   symlink and never sees `..`;
//! - `.` and `..` are handled on the stack; `..` above the directory the walk started from
//!   is `ENOTCAPABLE`;
//! - a host symlink met on the way is read with `readlinkat` and its target spliced into
//!   the walk, inside the guest namespace: relative targets resolve from the link's
//!   directory under the same rules, absolute targets are `ENOTCAPABLE`;
//! - at most [`MAX_SYMLINK_EXPANSIONS`] expansions, then `ELOOP`;
//! - the final component is followed only when asked (`LOOKUP_SYMLINK_FOLLOW`) or when the
//!   path ends in `/` (POSIX: a trailing slash resolves the link);
//! - a trailing slash on a non-directory is `ENOTDIR`.
//!
//! The result names its place as a directory fd and one final component ([`Place`]): every
//! operation is then a single `*at` call with `AT_SYMLINK_NOFOLLOW`/`O_NOFOLLOW` on that
//! fd. Whatever a host process renames or swaps meanwhile, the fd keeps pointing at the
//! directory the walk checked, and the final component is never followed.

use super::mounts::{Child, DirLoc, MountRoot, Mounts, valid_component};
use super::{Access, Filestat, Node, host};
use crate::errno::Errno;
use std::collections::VecDeque;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::Arc;

/// Symlink expansions allowed in one resolution (Linux's limit, `MAXSYMLINKS`).
pub const MAX_SYMLINK_EXPANSIONS: usize = 40;

/// The longest guest path accepted, in bytes (Linux's `PATH_MAX`, less its NUL).
pub const PATH_MAX: usize = 4095;

/// The deepest a walk may go below its starting directory; each level holds an fd.
pub const MAX_DEPTH: usize = 512;

/// Where a resolved path lives on the host.
#[derive(Debug, Clone)]
pub enum Place {
    /// No host object: a virtual directory, or a name inside one.
    Virtual,
    /// The host directory `.0` itself (a mount root, or a path ending in `.` or `..`).
    Dir(Arc<OwnedFd>),
    /// The entry `name` of the host directory `parent`.
    Entry {
        /// The directory the walk reached.
        parent: Arc<OwnedFd>,
        /// One valid component.
        name: String,
    },
}

/// The outcome of resolving a guest path.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The canonical guest path, as components (`[]` is "/").
    pub guest: Vec<String>,
    /// What is there; `Symlink` only when the final link was not followed.
    pub node: Node,
    /// Where it is on the host.
    pub place: Place,
    /// The mount it is in; `None` for virtual places.
    pub mount: Option<usize>,
    /// The access of that mount (`ReadOnly` for virtual places).
    pub access: Access,
    /// A mount point or a parent of one: cannot be removed or renamed.
    pub pinned: bool,
}

impl Resolved {
    /// The directory fd and single component naming this place for a `*at` call (`.` for
    /// a directory held itself), or `None` for a virtual place.
    pub fn at(&self) -> Option<(BorrowedFd<'_>, &str)> {
        match &self.place {
            Place::Virtual => None,
            Place::Dir(fd) => Some((fd.as_fd(), ".")),
            Place::Entry { parent, name } => Some((parent.as_fd(), name)),
        }
    }

    /// Its filestat, not following a final symlink (one to follow was already expanded).
    pub fn stat(&self) -> Result<Filestat, Errno> {
        match self.at() {
            None => Ok(Filestat::virtual_dir()),
            Some((dir, ".")) => host::stat_fd(dir),
            Some((dir, name)) => host::stat_at(dir, name),
        }
    }

    /// This directory as a walk base for an fd: the held fd, or the entry opened with
    /// `O_NOFOLLOW|O_DIRECTORY` (a symlink swapped in since the walk is refused).
    pub fn open_dir(&self) -> Result<DirLoc, Errno> {
        let mount = self.mount;
        let fd = match &self.place {
            Place::Virtual => return Ok(DirLoc::Virtual),
            Place::Dir(fd) => fd.clone(),
            Place::Entry { parent, name } => Arc::new(host::open_dir(parent.as_fd(), name)?),
        };
        Ok(DirLoc::Host {
            fd,
            mount: mount.ok_or(Errno::Io)?,
        })
    }
}

/// Splits a path into its non-empty components.
fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

/// A test hook: called with each child guest path just before it is looked up.
#[cfg(test)]
pub type Hook = Box<dyn FnMut(&[String])>;

#[cfg(test)]
thread_local! {
    /// Lets tests change the host tree in the middle of a walk, deterministically.
    static HOOK: std::cell::RefCell<Option<Hook>> = const { std::cell::RefCell::new(None) };
}

/// Installs (or with `None` removes) the walk hook of this thread.
#[cfg(test)]
pub fn set_hook(hook: Option<Hook>) {
    HOOK.with(|h| *h.borrow_mut() = hook);
}

fn hook(_child: &[String]) {
    #[cfg(test)]
    HOOK.with(|h| {
        if let Some(f) = h.borrow_mut().as_mut() {
            f(_child)
        }
    });
}

/// One looked-up component: what it is, where, and (for a directory already opened) the
/// location to continue the walk from.
struct Step {
    node: Node,
    place: Place,
    mount: Option<usize>,
    entered: Option<DirLoc>,
}

/// Looks up `child` (whose parent directory is at `parent`). `descend`: the walk goes on
/// below it, so a directory is opened at once, `O_NOFOLLOW|O_DIRECTORY`.
fn step(mounts: &Mounts, parent: &DirLoc, child: &[String], descend: bool) -> Result<Step, Errno> {
    let name = child.last().expect("a child has a name").clone();
    Ok(match mounts.child(parent, child) {
        Child::MountDir(i) => {
            let MountRoot::Dir(fd) = &mounts.get(i).root else {
                unreachable!("a directory mount")
            };
            Step {
                node: Node::Dir,
                place: Place::Dir(fd.clone()),
                mount: Some(i),
                entered: Some(DirLoc::Host {
                    fd: fd.clone(),
                    mount: i,
                }),
            }
        }
        Child::MountFile(i) => {
            let MountRoot::File { parent, name } = &mounts.get(i).root else {
                unreachable!("a file mount")
            };
            Step {
                node: host::node(parent.as_fd(), name)?,
                place: Place::Entry {
                    parent: parent.clone(),
                    name: name.clone(),
                },
                mount: Some(i),
                entered: None,
            }
        }
        Child::Parent(loc) => {
            let (place, mount) = match (&loc, parent) {
                (DirLoc::Host { mount, .. }, DirLoc::Host { fd, .. }) => (
                    Place::Entry {
                        parent: fd.clone(),
                        name,
                    },
                    Some(*mount),
                ),
                _ => (Place::Virtual, None),
            };
            Step {
                node: Node::Dir,
                place,
                mount,
                entered: Some(loc),
            }
        }
        Child::Host { dir, mount } => {
            let opened = if descend {
                match host::open_dir(dir.as_fd(), &name) {
                    Ok(fd) => Some(fd),
                    // A symlink or a non-directory: look at what it is.
                    Err(Errno::Notdir | Errno::Loop) => None,
                    Err(e) => return Err(e),
                }
            } else {
                None
            };
            let (node, entered) = match opened {
                Some(fd) => (
                    Node::Dir,
                    Some(DirLoc::Host {
                        fd: Arc::new(fd),
                        mount,
                    }),
                ),
                None => (host::node(dir.as_fd(), &name)?, None),
            };
            Step {
                node,
                place: Place::Entry { parent: dir, name },
                mount: Some(mount),
                entered,
            }
        }
        Child::Nothing => Step {
            node: Node::Missing,
            place: Place::Virtual,
            mount: None,
            entered: None,
        },
    })
}

/// Resolves `path` relative to the directory at `base`, whose canonical guest path is
/// `base_guest`.
pub fn resolve(
    mounts: &Mounts,
    base_guest: &[String],
    base: &DirLoc,
    path: &str,
    follow_final: bool,
) -> Result<Resolved, Errno> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.len() > PATH_MAX {
        return Err(Errno::Nametoolong);
    }
    if path.starts_with('/') {
        return Err(Errno::Notcapable);
    }
    if path.contains('\0') {
        return Err(Errno::Ilseq);
    }
    let mut must_be_dir = path.ends_with('/');
    let mut pending: VecDeque<String> = components(path).map(str::to_string).collect();
    // The directories entered below `base`: (component, location).
    let mut stack: Vec<(String, DirLoc)> = Vec::new();
    let mut guest = base_guest.to_vec();
    let mut expansions = 0;
    // The final component, unless the path ends on a directory of the stack (`.`, `..`).
    let mut last: Option<(String, Step)> = None;

    while let Some(c) = pending.pop_front() {
        let is_last = pending.is_empty();
        last = None;
        match c.as_str() {
            "." => continue,
            ".." => {
                stack.pop().ok_or(Errno::Notcapable)?;
                guest.pop();
                continue;
            }
            _ => debug_assert!(valid_component(&c)),
        }
        let parent = stack.last().map_or(base, |(_, loc)| loc);
        guest.push(c);
        hook(&guest);
        let s = step(mounts, parent, &guest, !is_last)?;
        let c = guest.pop().expect("just pushed");
        match &s.node {
            Node::Symlink(target) if !is_last || follow_final || must_be_dir => {
                expansions += 1;
                if expansions > MAX_SYMLINK_EXPANSIONS {
                    return Err(Errno::Loop);
                }
                if target.starts_with('/') {
                    return Err(Errno::Notcapable);
                }
                if target.is_empty() {
                    return Err(Errno::Noent);
                }
                if is_last && target.ends_with('/') {
                    must_be_dir = true;
                }
                for t in components(target).rev() {
                    pending.push_front(t.to_string());
                }
                if pending.len() + stack.len() > PATH_MAX {
                    return Err(Errno::Nametoolong);
                }
            }
            Node::Missing if !is_last => return Err(Errno::Noent),
            Node::File if !is_last || must_be_dir => return Err(Errno::Notdir),
            Node::Dir if !is_last => {
                // `None` only if the entry changed between `openat` and `statat`.
                let loc = s.entered.ok_or(Errno::Notdir)?;
                if stack.len() >= MAX_DEPTH {
                    return Err(Errno::Nametoolong);
                }
                guest.push(c.clone());
                stack.push((c, loc));
            }
            _ => last = Some((c, s)),
        }
    }

    let (node, place, mount) = match last {
        Some((c, s)) => {
            guest.push(c);
            (s.node, s.place, s.mount)
        }
        None => match stack.last().map_or(base, |(_, loc)| loc) {
            DirLoc::Virtual => (Node::Dir, Place::Virtual, None),
            DirLoc::Host { fd, mount } => (Node::Dir, Place::Dir(fd.clone()), Some(*mount)),
        },
    };
    Ok(Resolved {
        pinned: mounts.is_pinned(&guest),
        access: mounts.access(mount),
        guest,
        node,
        place,
        mount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::mounts::{Mount, parse_guest_path};
    use crate::testutil::TempDir;
    use std::path::Path;

    pub(crate) struct Fixture {
        pub mounts: Mounts,
        pub a: TempDir,
        pub b: TempDir,
        _file: TempDir,
    }

    /// "/" from host dir A (read-write), "/inputs" from host dir B (read-only), and
    /// "/cfg/settings.txt" from a single host file.
    fn fixture() -> Fixture {
        let a = TempDir::new();
        let b = TempDir::new();
        let file = TempDir::new();
        a.dir("a");
        a.file("a/f", b"af");
        a.file("b", b"b");
        a.dir("d");
        b.file("x", b"bx");
        file.file("settings.txt", b"s");
        a.symlink("../../etc", "d/escape");
        a.symlink("/etc/passwd", "abs");
        a.symlink("b", "sib");
        a.symlink("../b", "d/up");
        a.symlink("loop2", "loop1");
        a.symlink("loop1", "loop2");
        a.symlink("a/", "adir");
        a.symlink("inputs/x", "into_mount");
        a.symlink("missing", "dangling");
        a.symlink("a/.", "adot");
        let mount = |g: &str, h: &Path, access| {
            Mount::open(parse_guest_path(g).unwrap(), h, access).unwrap()
        };
        let mounts = Mounts::new(vec![
            mount("/", a.path(), Access::ReadWrite),
            mount("/inputs", b.path(), Access::ReadOnly),
            mount(
                "/cfg/settings.txt",
                &file.path().join("settings.txt"),
                Access::ReadOnly,
            ),
        ]);
        Fixture {
            mounts,
            a,
            b,
            _file: file,
        }
    }

    fn g(s: &str) -> Vec<String> {
        parse_guest_path(s).unwrap()
    }

    /// The location of the guest directory `dir`, resolved from the root.
    fn dir_loc(m: &Mounts, dir: &str) -> DirLoc {
        let rel = dir.trim_start_matches('/');
        if rel.is_empty() {
            return m.root();
        }
        resolve(m, &[], &m.root(), rel, true)
            .unwrap()
            .open_dir()
            .unwrap()
    }

    fn res(f: &Fixture, base: &str, path: &str, follow: bool) -> Result<Resolved, Errno> {
        resolve(&f.mounts, &g(base), &dir_loc(&f.mounts, base), path, follow)
    }

    /// The expected canonical guest path and node, or errno.
    type Want = Result<(Vec<String>, Node), Errno>;

    #[test]
    fn table() {
        let f = fixture();
        let ok = |p: &str, n: Node| -> Want { Ok((g(p), n)) };
        let long = "a/".repeat(PATH_MAX / 2 + 1);
        // (base, path, follow, expected)
        let cases: Vec<(&str, &str, bool, Want)> = vec![
            ("/", "a/f", false, ok("/a/f", Node::File)),
            ("/", "./a", false, ok("/a", Node::Dir)),
            ("/", "a/../b", false, ok("/b", Node::File)),
            ("/", ".", false, ok("/", Node::Dir)),
            ("/", "a/.", false, ok("/a", Node::Dir)),
            ("/", "a//f", false, ok("/a/f", Node::File)),
            ("/", "a/", false, ok("/a", Node::Dir)),
            ("/", "a/./f/", false, Err(Errno::Notdir)),
            ("/", "b/", false, Err(Errno::Notdir)),
            ("/", "b/.", false, Err(Errno::Notdir)),
            ("/", "..", false, Err(Errno::Notcapable)),
            ("/", "a/../../x", false, Err(Errno::Notcapable)),
            ("/a", "..", false, Err(Errno::Notcapable)),
            ("/a", "f", false, ok("/a/f", Node::File)),
            ("/a", ".", false, ok("/a", Node::Dir)),
            ("/", "/etc/passwd", false, Err(Errno::Notcapable)),
            ("/", "", false, Err(Errno::Noent)),
            ("/", &long, false, Err(Errno::Nametoolong)),
            ("/", "a\0b", false, Err(Errno::Ilseq)),
            ("/", "nope/x", false, Err(Errno::Noent)),
            ("/", "nope", false, ok("/nope", Node::Missing)),
            ("/", "nope/", false, ok("/nope", Node::Missing)),
            ("/", "inputs/x", false, ok("/inputs/x", Node::File)),
            ("/", "inputs/..", false, ok("/", Node::Dir)),
            ("/inputs", "..", false, Err(Errno::Notcapable)),
            ("/", "cfg", false, ok("/cfg", Node::Dir)),
            ("/", "cfg/nope", false, ok("/cfg/nope", Node::Missing)),
            ("/", "cfg/nope/x", false, Err(Errno::Noent)),
            (
                "/",
                "cfg/settings.txt",
                false,
                ok("/cfg/settings.txt", Node::File),
            ),
            ("/", "cfg/settings.txt/", false, Err(Errno::Notdir)),
            ("/", "cfg/settings.txt/x", false, Err(Errno::Notdir)),
            (
                "/cfg",
                "settings.txt",
                false,
                ok("/cfg/settings.txt", Node::File),
            ),
            ("/", "d/escape/passwd", false, Err(Errno::Notcapable)),
            ("/", "d/escape", true, Err(Errno::Notcapable)),
            ("/", "abs", true, Err(Errno::Notcapable)),
            ("/", "abs/", false, Err(Errno::Notcapable)),
            (
                "/",
                "abs",
                false,
                ok("/abs", Node::Symlink("/etc/passwd".into())),
            ),
            ("/", "sib", true, ok("/b", Node::File)),
            ("/", "sib", false, ok("/sib", Node::Symlink("b".into()))),
            ("/", "d/up", true, ok("/b", Node::File)),
            ("/d", "up", true, Err(Errno::Notcapable)),
            ("/", "loop1", true, Err(Errno::Loop)),
            (
                "/",
                "loop1",
                false,
                ok("/loop1", Node::Symlink("loop2".into())),
            ),
            ("/", "loop1/x", false, Err(Errno::Loop)),
            ("/", "adir/f", false, ok("/a/f", Node::File)),
            ("/", "adir", true, ok("/a", Node::Dir)),
            ("/", "adot", true, ok("/a", Node::Dir)),
            ("/", "sib/", false, Err(Errno::Notdir)),
            ("/", "into_mount", true, ok("/inputs/x", Node::File)),
            ("/", "dangling", true, ok("/missing", Node::Missing)),
            ("/", "dangling/x", false, Err(Errno::Noent)),
        ];
        for (base, path, follow, want) in cases {
            let got = res(&f, base, path, follow).map(|r| (r.guest, r.node));
            assert_eq!(got, want, "resolve({base:?}, {path:?}, follow={follow})");
        }
    }

    #[test]
    fn places_name_a_directory_fd_and_one_component() {
        let f = fixture();
        let r = res(&f, "/", "a/f", false).unwrap();
        assert!(matches!(&r.place, Place::Entry { name, .. } if name == "f"));
        assert_eq!(
            (r.mount, r.access, r.pinned),
            (Some(0), Access::ReadWrite, false)
        );
        assert_eq!(r.stat().unwrap().size, 2);
        let r = res(&f, "/", "inputs", false).unwrap();
        assert!(matches!(r.place, Place::Dir(_)));
        assert_eq!(
            (r.mount, r.access, r.pinned),
            (Some(1), Access::ReadOnly, true)
        );
        let r = res(&f, "/", "inputs/x", false).unwrap();
        assert_eq!(r.at().map(|(_, n)| n), Some("x"));
        assert_eq!(r.access, Access::ReadOnly);
        let r = res(&f, "/", "cfg", false).unwrap();
        assert!(matches!(r.place, Place::Virtual));
        assert_eq!(
            (r.mount, r.access, r.pinned),
            (None, Access::ReadOnly, true)
        );
        assert!(matches!(r.open_dir(), Ok(DirLoc::Virtual)));
        let r = res(&f, "/", "cfg/settings.txt", false).unwrap();
        assert_eq!(r.at().map(|(_, n)| n), Some("settings.txt"));
        assert_eq!((r.mount, r.pinned), (Some(2), true));
        assert_eq!(r.stat().unwrap().size, 1);
        let r = res(&f, "/", "a/..", false).unwrap();
        assert!(matches!(r.place, Place::Dir(_)));
        assert_eq!(r.at().map(|(_, n)| n), Some("."));
        assert!(f.b.path().join("x").exists() && f.a.path().join("b").exists());
    }

    #[test]
    fn a_walk_too_deep_is_refused() {
        let f = fixture();
        // Going down and up again never piles up fds.
        let p = "a/../".repeat(MAX_DEPTH + 100) + "a";
        assert_eq!(res(&f, "/", &p, false).map(|r| r.guest), Ok(g("/a")));
        f.a.dir(&"n/".repeat(MAX_DEPTH + 1));
        assert!(res(&f, "/", &"n/".repeat(MAX_DEPTH), false).is_ok());
        let too_deep = "n/".repeat(MAX_DEPTH + 1) + "x";
        assert_eq!(
            res(&f, "/", &too_deep, false).err(),
            Some(Errno::Nametoolong)
        );
    }
}
