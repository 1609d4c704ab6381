//! Path resolution: the one function that turns a guest path into a place in the namespace.
//!
//! Owns: the sandbox policy. Every `path_*` call and `WasiCtx::read_file` resolve through
//! [`resolve`]; nothing else may interpret `.`, `..` or symlinks, or build a host path.
//!
//! Policy (cap-std / Wasmtime semantics):
//! - preview1 paths are relative to a directory fd; a leading `/` is `ENOTCAPABLE`, an empty
//!   path `ENOENT`;
//! - `.` and `..` are handled per component on the guest path, never by the host; `..` above
//!   the directory the walk started from is `ENOTCAPABLE`;
//! - a host symlink met on the way is read and its target spliced into the walk, inside the
//!   guest namespace: relative targets resolve from the link's directory under the same
//!   rules, absolute targets are `ENOTCAPABLE` (they never reach the host);
//! - at most [`MAX_SYMLINK_EXPANSIONS`] expansions, then `ELOOP`;
//! - the final component is followed only when asked (`LOOKUP_SYMLINK_FOLLOW`) or when the
//!   path ends in `/` (POSIX: a trailing slash resolves the link);
//! - a trailing slash on a non-directory is `ENOTDIR`.

use super::mounts::{Mounts, valid_component};
use super::{Access, Node};
use crate::errno::Errno;
use std::collections::VecDeque;
use std::path::PathBuf;

/// Symlink expansions allowed in one resolution (Linux's limit, `MAXSYMLINKS`).
pub const MAX_SYMLINK_EXPANSIONS: usize = 40;

/// The outcome of resolving a guest path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The canonical guest path, as components (`[]` is "/").
    pub guest: Vec<String>,
    /// What is there; `Symlink` only when the final link was not followed.
    pub node: Node,
    /// The host path behind it, `None` for a virtual directory.
    pub host: Option<PathBuf>,
    /// The access of the mount it is in (`ReadOnly` for virtual directories).
    pub access: Access,
    /// A mount point or a parent of one: cannot be removed.
    pub pinned: bool,
}

/// Splits a path into its non-empty components.
fn components(path: &str) -> impl DoubleEndedIterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty())
}

/// Resolves `path` relative to the directory `base` (canonical guest components).
pub fn resolve(
    mounts: &Mounts,
    base: &[String],
    path: &str,
    follow_final: bool,
) -> Result<Resolved, Errno> {
    if path.is_empty() {
        return Err(Errno::Noent);
    }
    if path.starts_with('/') {
        return Err(Errno::Notcapable);
    }
    if path.contains('\0') {
        return Err(Errno::Ilseq);
    }
    let mut must_be_dir = path.ends_with('/');
    let mut pending: VecDeque<String> = components(path).map(str::to_string).collect();
    let mut cur = base.to_vec();
    let mut node = Node::Dir;
    let mut expansions = 0;

    while let Some(c) = pending.pop_front() {
        let last = pending.is_empty();
        match c.as_str() {
            "." => {
                node = Node::Dir;
                continue;
            }
            ".." => {
                if cur.len() <= base.len() {
                    return Err(Errno::Notcapable);
                }
                cur.pop();
                node = Node::Dir;
                continue;
            }
            _ => debug_assert!(valid_component(&c)),
        }
        cur.push(c);
        node = mounts.node(&cur)?;
        match &node {
            Node::Symlink(target) if !last || follow_final || must_be_dir => {
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
                if target.contains('\0') {
                    return Err(Errno::Ilseq);
                }
                if last && target.ends_with('/') {
                    must_be_dir = true;
                }
                cur.pop();
                for t in components(target).rev() {
                    pending.push_front(t.to_string());
                }
                // The walk is back at the link's directory; a target of only `.`s ends there.
                node = Node::Dir;
            }
            Node::Missing if !last => return Err(Errno::Noent),
            Node::File if !last || must_be_dir => return Err(Errno::Notdir),
            _ => {}
        }
    }

    let loc = mounts.host(&cur);
    Ok(Resolved {
        pinned: mounts.is_pinned(&cur),
        access: loc.as_ref().map_or(Access::ReadOnly, |l| l.access),
        host: loc.map(|l| l.path),
        node,
        guest: cur,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::mounts::Mount;
    use crate::testutil::TempDir;

    struct Fixture {
        mounts: Mounts,
        a: TempDir,
        b: TempDir,
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
        #[cfg(unix)]
        {
            a.symlink("../../etc", "d/escape");
            a.symlink("/etc/passwd", "abs");
            a.symlink("b", "sib");
            a.symlink("../b", "d/up");
            a.symlink("loop2", "loop1");
            a.symlink("loop1", "loop2");
            a.symlink("a/", "adir");
        }
        let mount = |g: &str, h: PathBuf, access| Mount {
            guest: crate::fs::mounts::parse_guest_path(g).unwrap(),
            host: h,
            access,
        };
        let mounts = Mounts::new(vec![
            mount("/", a.path().into(), Access::ReadWrite),
            mount("/inputs", b.path().into(), Access::ReadOnly),
            mount(
                "/cfg/settings.txt",
                file.path().join("settings.txt"),
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
        crate::fs::mounts::parse_guest_path(s).unwrap()
    }

    /// The expected canonical guest path and node, or errno.
    type Want = Result<(Vec<String>, Node), Errno>;

    #[test]
    fn table() {
        let f = fixture();
        // (base, path, follow, expected)
        let ok = |p: &str, n: Node| -> Want { Ok((g(p), n)) };
        let mut cases: Vec<(&str, &str, bool, Want)> = vec![
            ("/", "a/f", false, ok("/a/f", Node::File)),
            ("/", "./a", false, ok("/a", Node::Dir)),
            ("/", "a/../b", false, ok("/b", Node::File)),
            ("/", ".", false, ok("/", Node::Dir)),
            ("/", "a/./f/", false, Err(Errno::Notdir)),
            ("/", "b/", false, Err(Errno::Notdir)),
            ("/", "..", false, Err(Errno::Notcapable)),
            ("/", "a/../../x", false, Err(Errno::Notcapable)),
            ("/a", "..", false, Err(Errno::Notcapable)),
            ("/a", "f", false, ok("/a/f", Node::File)),
            ("/", "/etc/passwd", false, Err(Errno::Notcapable)),
            ("/", "", false, Err(Errno::Noent)),
            ("/", "nope/x", false, Err(Errno::Noent)),
            ("/", "nope", false, ok("/nope", Node::Missing)),
            ("/", "inputs/x", false, ok("/inputs/x", Node::File)),
            ("/", "cfg", false, ok("/cfg", Node::Dir)),
            (
                "/",
                "cfg/settings.txt",
                false,
                ok("/cfg/settings.txt", Node::File),
            ),
            ("/", "cfg/settings.txt/", false, Err(Errno::Notdir)),
            ("/", "cfg/settings.txt/x", false, Err(Errno::Notdir)),
        ];
        if cfg!(unix) {
            cases.extend([
                ("/", "d/escape/passwd", false, Err(Errno::Notcapable)),
                ("/", "d/escape", true, Err(Errno::Notcapable)),
                ("/", "abs", true, Err(Errno::Notcapable)),
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
                ("/", "loop1/x", false, Err(Errno::Loop)),
                ("/", "adir/f", false, ok("/a/f", Node::File)),
                ("/", "sib/", false, Err(Errno::Notdir)),
            ]);
        }
        for (base, path, follow, want) in cases {
            let got = resolve(&f.mounts, &g(base), path, follow).map(|r| (r.guest, r.node));
            assert_eq!(got, want, "resolve({base:?}, {path:?}, follow={follow})");
        }
    }

    #[test]
    fn nested_mount_uses_its_own_host_path_and_access() {
        let f = fixture();
        let r = resolve(&f.mounts, &[], "inputs/x", true).unwrap();
        assert_eq!(r.host, Some(f.b.path().join("x")));
        assert_eq!(r.access, Access::ReadOnly);
        assert_eq!(std::fs::read(r.host.unwrap()).unwrap(), b"bx");
        let r = resolve(&f.mounts, &[], "a/f", true).unwrap();
        assert_eq!(r.host, Some(f.a.path().join("a/f")));
        assert_eq!(r.access, Access::ReadWrite);
    }

    #[test]
    fn virtual_directories_have_no_host_path_and_are_pinned() {
        let f = fixture();
        let r = resolve(&f.mounts, &[], "cfg", true).unwrap();
        assert_eq!((r.host, r.access, r.pinned), (None, Access::ReadOnly, true));
        let r = resolve(&f.mounts, &[], "cfg/new", true).unwrap();
        assert_eq!((r.node, r.host), (Node::Missing, None));
    }
}
