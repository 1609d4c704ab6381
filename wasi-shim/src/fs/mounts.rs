//! The mount table: one guest namespace composed from host files and directories.
//!
//! Owns: which host path (and access) backs a guest path, which guest directories are
//! virtual (parents of mount points with no host directory behind them), and the merged
//! listing of a directory. Must not interpret `.`, `..` or symlinks: guest paths reaching
//! this module are canonical component lists produced by `resolve`, and host paths are
//! built only by joining such validated single components onto a mount's host path.
//!
//! Composition rules: the innermost (longest-prefix) mount wins; a parent of a mount point
//! is always a directory, merged with the host directory of the mount beneath it if there
//! is one; "/" always exists.

use super::{Access, DirEntry, FileType, Filestat, Node, host};
use crate::errno::Errno;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One mount: a guest path backed by a host file or directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The guest path as components (`[]` is "/").
    pub guest: Vec<String>,
    /// The host file or directory.
    pub host: PathBuf,
    /// Whether the guest may write.
    pub access: Access,
}

/// The composed namespace.
#[derive(Debug, Clone, Default)]
pub struct Mounts {
    list: Vec<Mount>,
}

/// Where a guest path lives on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLoc {
    /// The host path (which may not exist yet, e.g. before `O_CREAT`).
    pub path: PathBuf,
    /// The access of the mount it is in.
    pub access: Access,
}

/// Whether `c` is a single component safe to join onto a host path.
pub fn valid_component(c: &str) -> bool {
    !c.is_empty() && c != "." && c != ".." && !c.contains(['/', '\0'])
}

/// Splits an absolute guest path given to the builder into components, or `None` if it is
/// relative or contains `.`, `..` or NUL. Repeated and trailing slashes are ignored.
pub fn parse_guest_path(path: &str) -> Option<Vec<String>> {
    let rest = path.strip_prefix('/')?;
    rest.split('/')
        .filter(|c| !c.is_empty())
        .map(|c| valid_component(c).then(|| c.to_string()))
        .collect()
}

fn join(base: &Path, rest: &[String]) -> PathBuf {
    let mut p = base.to_path_buf();
    for c in rest {
        debug_assert!(valid_component(c), "unvalidated component {c:?}");
        p.push(c);
    }
    p
}

impl Mounts {
    /// A namespace of these mounts; guest paths must already be unique.
    pub fn new(list: Vec<Mount>) -> Self {
        Mounts { list }
    }

    /// Whether no mount was configured.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The innermost mount containing `guest`, and the rest of the path below it.
    fn innermost<'a>(&self, guest: &'a [String]) -> Option<(&Mount, &'a [String])> {
        self.list
            .iter()
            .filter(|m| guest.starts_with(&m.guest))
            .max_by_key(|m| m.guest.len())
            .map(|m| (m, &guest[m.guest.len()..]))
    }

    /// Whether some mount point lies strictly below `guest`.
    fn has_mount_below(&self, guest: &[String]) -> bool {
        self.list
            .iter()
            .any(|m| m.guest.len() > guest.len() && m.guest.starts_with(guest))
    }

    /// Whether `guest` is a mount point or a parent of one: it cannot be removed, since
    /// removing it would have to remove a mount (Linux answers `EBUSY` too).
    pub fn is_pinned(&self, guest: &[String]) -> bool {
        guest.is_empty() || self.list.iter().any(|m| m.guest.starts_with(guest))
    }

    /// What `guest` names, not following a final symlink. The caller guarantees every
    /// parent of `guest` is a directory.
    pub fn node(&self, guest: &[String]) -> Result<Node, Errno> {
        if guest.is_empty() || self.has_mount_below(guest) {
            return Ok(Node::Dir);
        }
        let Some((mount, rest)) = self.innermost(guest) else {
            return Ok(Node::Missing);
        };
        if rest.is_empty() {
            // A mount point: the operator chose the host path, so it is followed.
            return match std::fs::metadata(&mount.host) {
                Ok(m) if m.is_dir() => Ok(Node::Dir),
                Ok(_) => Ok(Node::File),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Node::Missing),
                Err(e) => Err(e.into()),
            };
        }
        match self.host(guest) {
            Some(loc) => host::node(&loc.path),
            // Inside a virtual directory: only mount points exist there.
            None => Ok(Node::Missing),
        }
    }

    /// The host location behind `guest`, or `None` for a virtual directory or anything in
    /// one (or a path below nothing mounted). A parent of mount points is backed only if the
    /// host directory of the mount beneath it exists.
    pub fn host(&self, guest: &[String]) -> Option<HostLoc> {
        let (mount, rest) = self.innermost(guest)?;
        let depth = mount.guest.len();
        for k in depth + 1..=guest.len() {
            if self.has_mount_below(&guest[..k]) && !join(&mount.host, &guest[depth..k]).is_dir() {
                return None;
            }
        }
        Some(HostLoc {
            path: join(&mount.host, rest),
            access: mount.access,
        })
    }

    /// The filestat of an existing guest path; `follow` follows a final host symlink. A
    /// mount point's host path is always followed (the operator chose it; `/tmp` may be a
    /// symlink on the host).
    pub fn stat(&self, guest: &[String], follow: bool) -> Result<Filestat, Errno> {
        let Some(loc) = self.host(guest) else {
            return Ok(Filestat::virtual_dir());
        };
        let mount_point = self.list.iter().any(|m| m.guest == guest);
        let meta = if follow || mount_point {
            std::fs::metadata(&loc.path)
        } else {
            std::fs::symlink_metadata(&loc.path)
        };
        Ok(host::filestat(&meta?))
    }

    /// The children of directory `guest`, sorted by name: host entries of its backing
    /// directory merged with the mount points (and parents of mount points) just below it,
    /// which shadow host entries of the same name. `.` and `..` are not included.
    pub fn list(&self, guest: &[String]) -> Result<Vec<DirEntry>, Errno> {
        let mut out = BTreeMap::new();
        if let Some(loc) = self.host(guest) {
            for e in host::list_dir(&loc.path)? {
                out.insert(e.name.clone(), e);
            }
        }
        for m in &self.list {
            if m.guest.len() <= guest.len() || !m.guest.starts_with(guest) {
                continue;
            }
            let child = &m.guest[..guest.len() + 1];
            let name = child[guest.len()].clone();
            let (filetype, ino) = match self.host(child) {
                Some(loc) => match std::fs::metadata(&loc.path) {
                    Ok(meta) => (host::filetype(&meta), host::filestat(&meta).ino),
                    Err(_) => (FileType::Directory, 0),
                },
                None => (FileType::Directory, 0),
            };
            out.insert(
                name.clone(),
                DirEntry {
                    name,
                    filetype,
                    ino,
                },
            );
        }
        Ok(out.into_values().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    fn p(s: &str) -> Vec<String> {
        parse_guest_path(s).unwrap()
    }

    #[test]
    fn guest_paths_must_be_absolute_and_plain() {
        assert_eq!(parse_guest_path("/"), Some(vec![]));
        assert_eq!(
            parse_guest_path("/a//b/"),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(parse_guest_path("a/b"), None);
        assert_eq!(parse_guest_path("/a/../b"), None);
        assert_eq!(parse_guest_path("/a/./b"), None);
    }

    #[test]
    fn innermost_mount_wins_and_parents_are_virtual() {
        let a = TempDir::new();
        let b = TempDir::new();
        a.file("x", b"a");
        b.file("x", b"b");
        let m = Mounts::new(vec![
            Mount {
                guest: p("/data/in"),
                host: a.path().into(),
                access: Access::ReadOnly,
            },
            Mount {
                guest: p("/data/in/deep"),
                host: b.path().into(),
                access: Access::ReadWrite,
            },
        ]);
        assert_eq!(m.node(&[]), Ok(Node::Dir));
        assert_eq!(m.node(&p("/data")), Ok(Node::Dir));
        assert_eq!(m.host(&p("/data")), None);
        assert_eq!(m.node(&p("/other")), Ok(Node::Missing));
        assert_eq!(m.host(&p("/data/in/x")).unwrap().path, a.path().join("x"));
        let deep = m.host(&p("/data/in/deep/x")).unwrap();
        assert_eq!(
            (deep.path, deep.access),
            (b.path().join("x"), Access::ReadWrite)
        );
        assert!(m.is_pinned(&p("/data")));
        assert!(m.is_pinned(&p("/data/in/deep")));
        assert!(!m.is_pinned(&p("/data/in/x")));
    }

    #[test]
    fn listing_merges_host_entries_with_mount_points() {
        let root = TempDir::new();
        let inputs = TempDir::new();
        root.file("b", b"");
        root.file("inputs", b"shadowed by the mount");
        let m = Mounts::new(vec![
            Mount {
                guest: vec![],
                host: root.path().into(),
                access: Access::ReadWrite,
            },
            Mount {
                guest: p("/inputs"),
                host: inputs.path().into(),
                access: Access::ReadOnly,
            },
            Mount {
                guest: p("/z/y"),
                host: inputs.path().into(),
                access: Access::ReadOnly,
            },
        ]);
        let got: Vec<_> = m
            .list(&[])
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.filetype))
            .collect();
        assert_eq!(
            got,
            vec![
                ("b".to_string(), FileType::RegularFile),
                ("inputs".to_string(), FileType::Directory),
                ("z".to_string(), FileType::Directory),
            ]
        );
    }
}
