//! The mount table: one guest namespace composed from host files and directories.
//!
//! Owns: the composition rules (what the child `name` of a guest directory is: a mount
//! root, a virtual parent of mount points, or an ordinary host entry) and the merged
//! listing of a directory. Holds each mount open: a directory mount as the fd of its root,
//! a file mount as the fd of its host parent directory and the file's name, all opened once
//! at build time. Must not interpret `.`, `..` or symlinks (that is `resolve`'s walk) and
//! never builds a host path.
//!
//! Composition rules: the innermost (longest-prefix) mount wins; a parent of a mount point
//! is always a directory, merged with the host directory of the mount beneath it if there
//! is one there (a real directory, not a symlink); "/" always exists.

use super::{Access, DirEntry, FileType, Filestat, host};
use crate::errno::Errno;
use std::collections::BTreeMap;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::sync::Arc;

/// What backs a mount.
#[derive(Debug, Clone)]
pub enum MountRoot {
    /// A host directory, held open.
    Dir(Arc<OwnedFd>),
    /// A host file: its (canonical) parent directory held open, and its name there.
    File {
        /// The parent directory.
        parent: Arc<OwnedFd>,
        /// The file's name in it.
        name: String,
    },
}

/// One mount: a guest path backed by a host file or directory.
#[derive(Debug, Clone)]
pub struct Mount {
    /// The guest path as components (`[]` is "/").
    pub guest: Vec<String>,
    /// The host object, held open.
    pub root: MountRoot,
    /// Whether the guest may write.
    pub access: Access,
}

impl Mount {
    /// Opens the host side of a mount. The host path is looked up here, once, following
    /// symlinks (the operator chose it); a file's path is made canonical first so that
    /// its parent directory can be held.
    pub fn open(guest: Vec<String>, host: &Path, access: Access) -> std::io::Result<Mount> {
        let root = if std::fs::metadata(host)?.is_dir() {
            MountRoot::Dir(Arc::new(host::open_root(host)?))
        } else {
            let real = std::fs::canonicalize(host)?;
            let invalid = || std::io::Error::from(std::io::ErrorKind::InvalidData);
            let name = real
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or_else(invalid)?;
            let parent = real.parent().ok_or_else(invalid)?;
            MountRoot::File {
                parent: Arc::new(host::open_root(parent)?),
                name: name.to_string(),
            }
        };
        Ok(Mount {
            guest,
            root,
            access,
        })
    }
}

/// Where a directory of the namespace lives on the host.
#[derive(Debug, Clone)]
pub enum DirLoc {
    /// A virtual directory: nothing in it but mount points (and parents of mount points).
    Virtual,
    /// A host directory, and the mount it belongs to.
    Host {
        /// The directory, held open.
        fd: Arc<OwnedFd>,
        /// Index of its mount in the table.
        mount: usize,
    },
}

/// What the child of a directory is, by the composition rules alone (the host entry of an
/// ordinary child is looked at by the walk, not here).
#[derive(Debug)]
pub enum Child {
    /// The root of directory mount `.0`.
    MountDir(usize),
    /// File mount `.0`.
    MountFile(usize),
    /// A parent of mount points: the host directory there, or virtual.
    Parent(DirLoc),
    /// An ordinary entry of this host directory.
    Host {
        /// The directory the entry is in.
        dir: Arc<OwnedFd>,
        /// Its mount.
        mount: usize,
    },
    /// Nothing can be here: the parent is virtual and this is no mount point.
    Nothing,
}

/// Whether `c` is a single component safe to hand to a `*at` call.
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

/// The composed namespace.
#[derive(Debug, Clone, Default)]
pub struct Mounts {
    list: Vec<Mount>,
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

    /// The access of mount `i`; virtual places (`None`) are read-only.
    pub fn access(&self, mount: Option<usize>) -> Access {
        mount.map_or(Access::ReadOnly, |i| self.list[i].access)
    }

    /// Mount `i`.
    pub fn get(&self, i: usize) -> &Mount {
        &self.list[i]
    }

    fn exact(&self, guest: &[String]) -> Option<usize> {
        self.list.iter().position(|m| m.guest == guest)
    }

    /// Whether some mount point lies strictly below `guest`.
    fn has_mount_below(&self, guest: &[String]) -> bool {
        self.list
            .iter()
            .any(|m| m.guest.len() > guest.len() && m.guest.starts_with(guest))
    }

    /// Whether `guest` is a mount point or a parent of one: it cannot be removed or
    /// renamed, since that would move a mount (Linux answers `EBUSY` too).
    pub fn is_pinned(&self, guest: &[String]) -> bool {
        guest.is_empty() || self.list.iter().any(|m| m.guest.starts_with(guest))
    }

    /// The root directory "/".
    pub fn root(&self) -> DirLoc {
        match self.exact(&[]).map(|i| (i, &self.list[i].root)) {
            Some((i, MountRoot::Dir(fd))) => DirLoc::Host {
                fd: fd.clone(),
                mount: i,
            },
            _ => DirLoc::Virtual,
        }
    }

    /// What `child` (a guest path whose parent directory is at `parent`) is.
    pub fn child(&self, parent: &DirLoc, child: &[String]) -> Child {
        let name = child.last().expect("a child has a name");
        let below = self.has_mount_below(child);
        match self.exact(child) {
            Some(i) => match &self.list[i].root {
                MountRoot::Dir(_) => return Child::MountDir(i),
                MountRoot::File { .. } if !below => return Child::MountFile(i),
                // A file with mounts below it can only be shown as a directory.
                MountRoot::File { .. } => return Child::Parent(DirLoc::Virtual),
            },
            None if below => {
                // Backed only by a real directory: a symlink or file there is shadowed.
                if let DirLoc::Host { fd, mount } = parent
                    && let Ok(sub) = host::open_dir(fd.as_fd(), name)
                {
                    return Child::Parent(DirLoc::Host {
                        fd: Arc::new(sub),
                        mount: *mount,
                    });
                }
                return Child::Parent(DirLoc::Virtual);
            }
            None => {}
        }
        match parent {
            DirLoc::Host { fd, mount } => Child::Host {
                dir: fd.clone(),
                mount: *mount,
            },
            DirLoc::Virtual => Child::Nothing,
        }
    }

    /// The filestat of a directory location.
    pub fn stat_dir(&self, loc: &DirLoc) -> Result<Filestat, Errno> {
        match loc {
            DirLoc::Virtual => Ok(Filestat::virtual_dir()),
            DirLoc::Host { fd, .. } => host::stat_fd(fd.as_fd()),
        }
    }

    /// The filestat of `child` (a guest path whose parent directory is at `parent`), not
    /// following a symlink: the object `path_filestat_get` reports for that path.
    pub fn stat_child(&self, parent: &DirLoc, child: &[String]) -> Result<Filestat, Errno> {
        match self.child(parent, child) {
            Child::MountDir(i) => match &self.list[i].root {
                MountRoot::Dir(fd) => host::stat_fd(fd.as_fd()),
                MountRoot::File { .. } => Ok(Filestat::virtual_dir()),
            },
            Child::MountFile(i) => match &self.list[i].root {
                MountRoot::File { parent, name } => host::stat_at(parent.as_fd(), name),
                MountRoot::Dir(_) => Ok(Filestat::virtual_dir()),
            },
            Child::Parent(loc) => self.stat_dir(&loc),
            Child::Host { dir, .. } => {
                host::stat_at(dir.as_fd(), child.last().expect("a child has a name"))
            }
            Child::Nothing => Err(Errno::Noent),
        }
    }

    /// The children of directory `guest` at `loc`, sorted by name: the host entries of its
    /// directory merged with the mount points (and parents of mount points) just below it,
    /// which shadow host entries of the same name. `.` and `..` are not included.
    pub fn list(&self, guest: &[String], loc: &DirLoc) -> Result<Vec<DirEntry>, Errno> {
        let mut out = BTreeMap::new();
        if let DirLoc::Host { fd, .. } = loc {
            for e in host::list_dir(fd.as_fd())? {
                out.insert(e.name.clone(), e);
            }
        }
        let mut composed = std::collections::BTreeSet::new();
        for m in &self.list {
            if m.guest.len() <= guest.len() || !m.guest.starts_with(guest) {
                continue;
            }
            let child = &m.guest[..guest.len() + 1];
            let name = child[guest.len()].clone();
            if !composed.insert(name.clone()) {
                continue;
            }
            let (filetype, ino) = self
                .stat_child(loc, child)
                .map_or((FileType::Directory, 0), |s| (s.filetype, s.ino));
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

    fn mount(g: &str, host: &Path, access: Access) -> Mount {
        Mount::open(p(g), host, access).unwrap()
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
    fn children_follow_the_composition_rules() {
        let a = TempDir::new();
        let b = TempDir::new();
        a.dir("data");
        a.symlink("/etc", "linked");
        let m = Mounts::new(vec![
            mount("/", a.path(), Access::ReadWrite),
            mount("/data/in", b.path(), Access::ReadOnly),
            mount("/linked/x", b.path(), Access::ReadOnly),
            mount("/v/w", b.path(), Access::ReadOnly),
        ]);
        let root = m.root();
        assert!(matches!(root, DirLoc::Host { mount: 0, .. }));
        // A parent of a mount point backed by the real host directory.
        assert!(matches!(
            m.child(&root, &p("/data")),
            Child::Parent(DirLoc::Host { mount: 0, .. })
        ));
        // A host symlink where a parent of a mount point is: shadowed, never followed.
        assert!(matches!(
            m.child(&root, &p("/linked")),
            Child::Parent(DirLoc::Virtual)
        ));
        assert!(matches!(
            m.child(&root, &p("/v")),
            Child::Parent(DirLoc::Virtual)
        ));
        assert!(matches!(
            m.child(&DirLoc::Virtual, &p("/v/w")),
            Child::MountDir(3)
        ));
        assert!(matches!(
            m.child(&DirLoc::Virtual, &p("/v/z")),
            Child::Nothing
        ));
        assert!(matches!(
            m.child(&root, &p("/other")),
            Child::Host { mount: 0, .. }
        ));
        assert!(m.is_pinned(&p("/data")));
        assert!(m.is_pinned(&p("/data/in")));
        assert!(!m.is_pinned(&p("/data/in/x")));
        assert_eq!(m.access(Some(1)), Access::ReadOnly);
        assert_eq!(m.access(None), Access::ReadOnly);
    }

    #[test]
    fn file_mounts_hold_their_parent_and_name() {
        let f = TempDir::new();
        f.file("cfg.txt", b"c");
        let m = mount("/etc/cfg", &f.path().join("cfg.txt"), Access::ReadOnly);
        match &m.root {
            MountRoot::File { parent, name } => {
                assert_eq!(name, "cfg.txt");
                assert_eq!(host::stat_at(parent.as_fd(), name).unwrap().size, 1);
            }
            MountRoot::Dir(_) => panic!("a file mount"),
        }
    }

    #[test]
    fn listing_merges_host_entries_with_mount_points() {
        let root = TempDir::new();
        let inputs = TempDir::new();
        root.file("b", b"");
        root.file("inputs", b"shadowed by the mount");
        let m = Mounts::new(vec![
            mount("/", root.path(), Access::ReadWrite),
            mount("/inputs", inputs.path(), Access::ReadOnly),
            mount("/z/y", inputs.path(), Access::ReadOnly),
            mount("/z/x", inputs.path(), Access::ReadOnly),
        ]);
        let got: Vec<_> = m
            .list(&[], &m.root())
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
