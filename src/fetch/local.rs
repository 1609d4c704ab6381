//! `local` (`localDirectory`) sources: a host file or directory used in place.
//!
//! Nothing is copied: the canonical host path is handed to the WASI layer, which enforces
//! read-only unless the job says `ReadWrite`. The only write this file makes is the one a job
//! asks for: creating a missing `ReadWrite` path as `CreateAs` says. It must not decide what the
//! guest may reach inside the path; that is the WASI layer's path resolution.
//!
//! With `Options::private_writes` (`bolinho verify`, rerunning someone else's receipt), a
//! `ReadWrite` source is copied into the workspace and the copy is mounted instead, and a
//! missing one is created there: the rerun never changes or creates a host path.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::{Fetched, Kind, io_message};
use crate::spec::plan::CreateAs;

pub(super) fn fetch(
    path: &Path,
    read_write: bool,
    create_as: CreateAs,
    private: Option<&Path>,
) -> Result<Fetched, String> {
    // Canonicalising resolves a path that is itself a symlink, so the mount is the real
    // file or directory and its kind is the target's.
    let canonical = match fs::canonicalize(path) {
        Ok(canonical) => canonical,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if fs::symlink_metadata(path).is_ok() {
                // Creating through a dangling link would write wherever it points.
                return Err("dangling symlink: its target does not exist".to_string());
            }
            let create_at = match (read_write, private) {
                (true, Some(slot)) => slot,
                _ => path,
            };
            let created = match (read_write, create_as) {
                (true, CreateAs::Dir) => fs::create_dir_all(create_at),
                (true, CreateAs::File) => create_file(create_at),
                _ => return Err("no such file or directory".to_string()),
            };
            created.map_err(|e| format!("failed to create it: {}", io_message(&e)))?;
            fs::canonicalize(create_at).map_err(|e| io_message(&e))?
        }
        Err(e) => return Err(io_message(&e)),
    };
    let meta = fs::metadata(&canonical).map_err(|e| io_message(&e))?;
    let kind = if meta.is_file() {
        Kind::File
    } else if meta.is_dir() {
        Kind::Dir
    } else {
        return Err("not a regular file or directory".to_string());
    };
    let path = match private {
        Some(slot) if read_write && !canonical.starts_with(slot) => {
            copy_tree(&canonical, slot).map_err(|e| format!("failed to copy it: {e}"))?;
            slot.to_path_buf()
        }
        _ => canonical,
    };
    Ok(Fetched {
        path,
        kind,
        writable: read_write,
    })
}

/// Creates an empty file and its missing parents.
fn create_file(path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
}

/// Copies a file or a directory tree to `to` (which must not exist): files by content,
/// symbolic links as links (never followed), directories recursively. Anything else (a FIFO,
/// a device) is an error naming it: a copy could not behave the same.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    let meta = fs::symlink_metadata(from)?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        std::os::unix::fs::symlink(fs::read_link(from)?, to)
    } else if kind.is_file() {
        fs::copy(from, to).map(drop)
    } else if kind.is_dir() {
        fs::create_dir(to)?;
        for entry in fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{} is not a regular file, directory or link",
            from.display()
        )))
    }
}

/// Reads a whole file the user named (a job file, a receipt, a module), refusing anything
/// that is not a regular file (`open_regular`) or is larger than `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > limit {
        return Err(too_large(limit));
    }
    read_to_limit(file, len as usize, limit)
}

/// Opens a file the user named for reading, refusing anything that is not a regular file: a
/// FIFO would block, a device never end.
pub fn open_regular(path: &Path) -> io::Result<fs::File> {
    // Non-blocking, so that opening a FIFO does not wait for a writer; the check follows.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

/// Everything `reader` gives, refused past `limit` bytes (one more is read to tell); `size`
/// is the expected length, reserved up front.
pub fn read_to_limit(reader: impl Read, size: usize, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(size);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(limit));
    }
    Ok(bytes)
}

fn too_large(limit: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("larger than {limit} bytes, the most bolinho reads"),
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_util::TempDir;
    use super::*;

    fn ok(path: &Path, read_write: bool, create_as: CreateAs) -> Fetched {
        fetch(path, read_write, create_as, None).unwrap()
    }

    #[test]
    fn existing_file_is_returned_read_only() {
        let tmp = TempDir::new();
        let file = tmp.write("a.txt", b"x");
        let got = ok(&file, false, CreateAs::NoCreate);
        assert_eq!(
            got,
            Fetched {
                path: fs::canonicalize(&file).unwrap(),
                kind: Kind::File,
                writable: false
            }
        );
    }

    #[test]
    fn existing_directory_is_returned_writable_when_read_write() {
        let tmp = TempDir::new();
        let got = ok(tmp.path(), true, CreateAs::NoCreate);
        assert_eq!(
            got,
            Fetched {
                path: fs::canonicalize(tmp.path()).unwrap(),
                kind: Kind::Dir,
                writable: true
            }
        );
    }

    #[test]
    fn missing_path_is_an_error() {
        let tmp = TempDir::new();
        let missing = tmp.path().join("nope");
        assert_eq!(
            fetch(&missing, false, CreateAs::NoCreate, None).unwrap_err(),
            "no such file or directory"
        );
        // CreateAs means nothing without ReadWrite: nothing is created.
        assert_eq!(
            fetch(&missing, false, CreateAs::Dir, None).unwrap_err(),
            "no such file or directory"
        );
        assert_eq!(
            fetch(&missing, true, CreateAs::NoCreate, None).unwrap_err(),
            "no such file or directory"
        );
        assert!(!missing.exists());
    }

    #[test]
    fn read_write_creates_a_missing_directory() {
        let tmp = TempDir::new();
        let dir = tmp.path().join("out/deep");
        let got = ok(&dir, true, CreateAs::Dir);
        assert_eq!(got.kind, Kind::Dir);
        assert!(got.writable);
        assert!(dir.is_dir());
    }

    #[test]
    fn read_write_creates_a_missing_empty_file_and_its_parents() {
        let tmp = TempDir::new();
        let file = tmp.path().join("logs/run.log");
        let got = ok(&file, true, CreateAs::File);
        assert_eq!(got.kind, Kind::File);
        assert_eq!(fs::read(&file).unwrap(), b"");
    }

    #[test]
    fn a_path_under_a_file_is_not_a_directory() {
        let tmp = TempDir::new();
        let file = tmp.write("f", b"");
        assert_eq!(
            fetch(&file.join("x"), false, CreateAs::NoCreate, None).unwrap_err(),
            "not a directory"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_canonicalised_to_its_target() {
        let tmp = TempDir::new();
        let target = tmp.write("real/data.txt", b"x");
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let got = ok(&link, false, CreateAs::NoCreate);
        assert_eq!(got.path, fs::canonicalize(&target).unwrap());
        assert_eq!(got.kind, Kind::File);
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symlink_is_not_created_through() {
        let tmp = TempDir::new();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), &link).unwrap();
        let err = fetch(&link, true, CreateAs::File, None).unwrap_err();
        assert_eq!(err, "dangling symlink: its target does not exist");
        assert!(!tmp.path().join("elsewhere").exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_socket_is_neither_file_nor_directory() {
        let tmp = TempDir::new();
        let sock = tmp.path().join("s.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        assert_eq!(
            fetch(&sock, false, CreateAs::NoCreate, None).unwrap_err(),
            "not a regular file or directory"
        );
    }

    #[test]
    fn a_private_fetch_copies_a_writable_source_and_creates_nothing_on_the_host() {
        let tmp = TempDir::new();
        let source = tmp.path().join("data");
        fs::create_dir_all(source.join("sub")).unwrap();
        fs::write(source.join("sub/f"), "f").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", source.join("link")).unwrap();
        let slot = tmp.path().join("ws-slot");
        let got = fetch(&source, true, CreateAs::NoCreate, Some(&slot)).unwrap();
        assert_eq!(got.path, slot);
        assert!(got.writable);
        assert_eq!(fs::read(slot.join("sub/f")).unwrap(), b"f");
        assert_eq!(
            fs::read_link(slot.join("link")).unwrap(),
            Path::new("/etc/passwd"),
            "a link is copied as a link"
        );
        // A read-only source is used in place, copy or not.
        let ro = fetch(
            &source,
            false,
            CreateAs::NoCreate,
            Some(&tmp.path().join("x")),
        )
        .unwrap();
        assert_eq!(ro.path, fs::canonicalize(&source).unwrap());

        let missing = tmp.path().join("victim/new.txt");
        let slot = tmp.path().join("ws-created");
        let got = fetch(&missing, true, CreateAs::File, Some(&slot)).unwrap();
        assert_eq!(got.path, fs::canonicalize(&slot).unwrap());
        assert!(
            !tmp.path().join("victim").exists(),
            "nothing created on the host"
        );
    }

    #[test]
    fn reading_a_named_file_is_bounded() {
        let tmp = TempDir::new();
        let file = tmp.write("m.wasm", b"12345");
        assert_eq!(read_bounded(&file, 5).unwrap(), b"12345");
        assert_eq!(
            read_bounded(&file, 4).unwrap_err().to_string(),
            "larger than 4 bytes, the most bolinho reads"
        );
        let fifo = tmp.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        assert_eq!(
            read_bounded(&fifo, 100).unwrap_err().to_string(),
            "not a regular file"
        );
        assert_eq!(
            read_bounded(Path::new("/dev/zero"), 100)
                .unwrap_err()
                .to_string(),
            "not a regular file"
        );
    }
}
