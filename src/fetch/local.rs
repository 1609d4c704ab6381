//! `local` (`localDirectory`) sources: a host file or directory used in place.
//!
//! Nothing is copied: the canonical host path is handed to the WASI layer, which enforces
//! read-only unless the job says `ReadWrite`. The only write this file makes is the one a job
//! asks for: creating a missing `ReadWrite` path as `CreateAs` says. It must not decide what the
//! guest may reach inside the path; that is the WASI layer's path resolution.

use std::fs;
use std::io;
use std::path::Path;

use super::{Fetched, Kind, io_message};
use crate::spec::plan::CreateAs;

pub(super) fn fetch(path: &Path, read_write: bool, create_as: CreateAs) -> Result<Fetched, String> {
    // Canonicalising resolves a path that is itself a symlink, so the mount is the real
    // file or directory and its kind is the target's.
    let canonical = match fs::canonicalize(path) {
        Ok(canonical) => canonical,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if fs::symlink_metadata(path).is_ok() {
                // Creating through a dangling link would write wherever it points.
                return Err("dangling symlink: its target does not exist".to_string());
            }
            let created = match (read_write, create_as) {
                (true, CreateAs::Dir) => fs::create_dir_all(path),
                (true, CreateAs::File) => create_file(path),
                _ => return Err("no such file or directory".to_string()),
            };
            created.map_err(|e| format!("failed to create it: {}", io_message(&e)))?;
            fs::canonicalize(path).map_err(|e| io_message(&e))?
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
    Ok(Fetched {
        path: canonical,
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

#[cfg(test)]
mod tests {
    use super::super::test_util::TempDir;
    use super::*;

    fn ok(path: &Path, read_write: bool, create_as: CreateAs) -> Fetched {
        fetch(path, read_write, create_as).unwrap()
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
            fetch(&missing, false, CreateAs::NoCreate).unwrap_err(),
            "no such file or directory"
        );
        // CreateAs means nothing without ReadWrite: nothing is created.
        assert_eq!(
            fetch(&missing, false, CreateAs::Dir).unwrap_err(),
            "no such file or directory"
        );
        assert_eq!(
            fetch(&missing, true, CreateAs::NoCreate).unwrap_err(),
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
            fetch(&file.join("x"), false, CreateAs::NoCreate).unwrap_err(),
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
        let err = fetch(&link, true, CreateAs::File).unwrap_err();
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
            fetch(&sock, false, CreateAs::NoCreate).unwrap_err(),
            "not a regular file or directory"
        );
    }
}
