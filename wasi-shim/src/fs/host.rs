//! Plain host filesystem operations on already-resolved host paths.
//!
//! Owns: the calls into `std::fs` and the translation of host metadata into preview1 terms.
//! Must not resolve guest paths or decide policy: callers pass host paths built by
//! `fs::mounts` from validated single components, and read-only checks live in `readonly`.

use super::{DirEntry, FileType, Filestat, FsOps, Node, OpenOptions};
use crate::errno::Errno;
use std::fs::{self, File, Metadata};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

/// The read-write host filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostFs;

impl FsOps for HostFs {
    fn open(&self, path: &Path, opts: &OpenOptions) -> Result<File, Errno> {
        let creating = opts.create || opts.create_new;
        if creating && !opts.write {
            // std refuses `create` without write access, but POSIX `open(O_CREAT|O_RDONLY)`
            // is legal: create the file first, then open it as asked.
            fs::OpenOptions::new()
                .write(true)
                .create(opts.create)
                .create_new(opts.create_new)
                .open(path)?;
        }
        let file = fs::OpenOptions::new()
            .read(opts.read || !opts.write)
            .write(opts.write)
            .create(opts.write && opts.create)
            .create_new(opts.write && opts.create_new)
            .truncate(opts.truncate)
            .open(path)?;
        Ok(file)
    }

    fn create_dir(&self, path: &Path) -> Result<(), Errno> {
        Ok(fs::create_dir(path)?)
    }

    fn remove_file(&self, path: &Path) -> Result<(), Errno> {
        Ok(fs::remove_file(path)?)
    }

    fn remove_dir(&self, path: &Path) -> Result<(), Errno> {
        Ok(fs::remove_dir(path)?)
    }
}

/// What is at `path`, not following a final symlink.
pub fn node(path: &Path) -> Result<Node, Errno> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Node::Missing),
        Err(e) => return Err(e.into()),
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = fs::read_link(path)?;
        target
            .into_os_string()
            .into_string()
            .map(Node::Symlink)
            .map_err(|_| Errno::Ilseq)
    } else if ft.is_dir() {
        Ok(Node::Dir)
    } else {
        Ok(Node::File)
    }
}

/// The preview1 file type of host metadata (taken with `symlink_metadata`).
pub fn filetype(meta: &Metadata) -> FileType {
    let ft = meta.file_type();
    if ft.is_symlink() {
        return FileType::SymbolicLink;
    }
    if ft.is_dir() {
        return FileType::Directory;
    }
    if ft.is_file() {
        return FileType::RegularFile;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_block_device() {
            return FileType::BlockDevice;
        }
        if ft.is_char_device() {
            return FileType::CharacterDevice;
        }
        if ft.is_socket() {
            return FileType::SocketStream;
        }
    }
    FileType::Unknown
}

fn nanos(t: std::io::Result<SystemTime>) -> u64 {
    t.ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .and_then(|d| u64::try_from(d.as_nanos()).ok())
        .unwrap_or(0)
}

/// Host metadata as a preview1 filestat. Device and inode numbers come straight from the
/// host for now (a later change virtualises them).
pub fn filestat(meta: &Metadata) -> Filestat {
    #[cfg(unix)]
    let (dev, ino, nlink, ctim) = {
        use std::os::unix::fs::MetadataExt;
        let ctim = (meta.ctime().max(0) as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(meta.ctime_nsec().max(0) as u64);
        (meta.dev(), meta.ino(), meta.nlink(), ctim)
    };
    #[cfg(not(unix))]
    let (dev, ino, nlink, ctim) = (0, 0, 1, nanos(meta.created()));
    Filestat {
        dev,
        ino,
        filetype: filetype(meta),
        nlink,
        size: meta.len(),
        atim: nanos(meta.accessed()),
        mtim: nanos(meta.modified()),
        ctim,
    }
}

/// The entries of a host directory, unsorted, without `.` and `..`. Names that are not
/// UTF-8 are skipped: the guest could not name them in any path call.
pub fn list_dir(path: &Path) -> Result<Vec<DirEntry>, Errno> {
    let mut out = Vec::new();
    for entry in fs::read_dir(path)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let meta = entry.metadata()?;
        out.push(DirEntry {
            name,
            filetype: filetype(&meta),
            ino: filestat(&meta).ino,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn create_without_write_creates_then_opens_for_reading() {
        let tmp = TempDir::new();
        let p = tmp.path().join("new");
        let opts = OpenOptions {
            read: true,
            create: true,
            ..OpenOptions::default()
        };
        HostFs.open(&p, &opts).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"");
        let excl = OpenOptions {
            create_new: true,
            ..OpenOptions::default()
        };
        assert_eq!(HostFs.open(&p, &excl).err(), Some(Errno::Exist));
    }

    #[test]
    fn node_reports_missing_dir_file_and_symlink() {
        let tmp = TempDir::new();
        tmp.file("f", b"x");
        tmp.dir("d");
        assert_eq!(node(&tmp.path().join("nope")), Ok(Node::Missing));
        assert_eq!(node(&tmp.path().join("f")), Ok(Node::File));
        assert_eq!(node(&tmp.path().join("d")), Ok(Node::Dir));
        #[cfg(unix)]
        {
            tmp.symlink("f", "l");
            assert_eq!(node(&tmp.path().join("l")), Ok(Node::Symlink("f".into())));
        }
    }

    #[test]
    fn list_dir_reports_types() {
        let tmp = TempDir::new();
        tmp.file("f", b"x");
        tmp.dir("d");
        let mut names: Vec<_> = list_dir(tmp.path())
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.filetype))
            .collect();
        names.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            names,
            vec![
                ("d".to_string(), FileType::Directory),
                ("f".to_string(), FileType::RegularFile)
            ]
        );
    }
}
