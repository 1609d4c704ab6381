//! `inline` sources: an RFC 2397 `data:` URL carried in the job itself.
//!
//! The payload becomes a file in the workspace; a gzip media type means the payload is a tar.gz,
//! expanded (safely, see `tarball`) into a directory instead, as Bacalhau's inline storage does.
//! Writes nothing outside the slot the workspace gives it. Inline sources are read-only.

use std::fs;
use std::path::Path;

use super::{Fetched, Kind, io_message, tarball};
use crate::spec::InlineUrl;

/// Media types that mean "a tar.gz to expand".
const GZIP_TYPES: &[&str] = &["application/gzip", "application/x-gzip"];

/// Materialises the data URL `url` (decoded with the job) at `slot` (a path in the workspace
/// that does not exist yet).
pub(super) fn fetch(url: &InlineUrl, slot: &Path) -> Result<Fetched, String> {
    fetch_bounded(url, slot, tarball::MAX_EXPANDED)
}

fn fetch_bounded(url: &InlineUrl, slot: &Path, limit: u64) -> Result<Fetched, String> {
    let url = url.decoded();
    if GZIP_TYPES.contains(&url.media_type.as_str()) {
        tarball::expand(&url.data, slot, limit)
            .map_err(|e| format!("failed to expand tar.gz: {e}"))?;
        return Ok(Fetched {
            path: slot.to_path_buf(),
            kind: Kind::Dir,
            writable: false,
        });
    }
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(slot)
        .and_then(|mut file| std::io::Write::write_all(&mut file, &url.data))
        .map_err(|e| format!("failed to write {}: {}", slot.display(), io_message(&e)))?;
    Ok(Fetched {
        path: slot.to_path_buf(),
        kind: Kind::File,
        writable: false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{Entry, TempDir, targz};
    use super::*;
    use crate::spec::data_url::encode_base64;

    /// `fetch` of the data URL `text`.
    fn fetch(text: &str, slot: &Path) -> Result<Fetched, String> {
        super::fetch(&InlineUrl::parse(text).unwrap(), slot)
    }

    #[test]
    fn plain_payload_becomes_a_file() {
        let tmp = TempDir::new();
        let slot = tmp.path().join("inline-0");
        let got = fetch("data:text/plain,hello%2C%20world%0A", &slot).unwrap();
        assert_eq!(
            got,
            Fetched {
                path: slot.clone(),
                kind: Kind::File,
                writable: false
            }
        );
        assert_eq!(fs::read(&slot).unwrap(), b"hello, world\n");
    }

    #[test]
    fn base64_payload_becomes_a_file() {
        let tmp = TempDir::new();
        let slot = tmp.path().join("inline-1");
        let module = b"\0asm\x01\0\0\0";
        fetch(
            &format!("data:application/wasm;base64,{}", encode_base64(module)),
            &slot,
        )
        .unwrap();
        assert_eq!(fs::read(&slot).unwrap(), module);
    }

    #[test]
    fn gzip_payload_is_expanded_to_a_directory() {
        let tmp = TempDir::new();
        let slot = tmp.path().join("inline-2");
        let archive = targz(&[
            Entry::Dir("docs"),
            Entry::File("docs/a.txt", b"alpha"),
            Entry::File("b.txt", b"beta"),
        ]);
        for media_type in ["application/gzip", "application/x-gzip"] {
            let _ = fs::remove_dir_all(&slot);
            let got = fetch(
                &format!("data:{media_type};base64,{}", encode_base64(&archive)),
                &slot,
            )
            .unwrap();
            assert_eq!(
                got,
                Fetched {
                    path: slot.clone(),
                    kind: Kind::Dir,
                    writable: false
                }
            );
            assert_eq!(fs::read(slot.join("docs/a.txt")).unwrap(), b"alpha");
            assert_eq!(fs::read(slot.join("b.txt")).unwrap(), b"beta");
        }
    }

    #[test]
    fn garbage_gzip_is_reported() {
        let tmp = TempDir::new();
        let slot = tmp.path().join("inline-4");
        let err = fetch(
            "data:application/gzip,this%20is%20plain%20text%2C%20not%20gzip",
            &slot,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "failed to expand tar.gz: corrupt archive: invalid gzip header"
        );
    }

    #[test]
    fn expansion_is_bounded() {
        let tmp = TempDir::new();
        let slot = tmp.path().join("inline-5");
        let archive = targz(&[Entry::File("big", &[0; 4096])]);
        let url = format!("data:application/gzip;base64,{}", encode_base64(&archive));
        let err = fetch_bounded(&InlineUrl::parse(&url).unwrap(), &slot, 2048).unwrap_err();
        assert_eq!(
            err,
            "failed to expand tar.gz: archive expands to more than 2048 bytes"
        );
    }

    #[test]
    fn a_second_fetch_into_the_same_slot_fails() {
        let tmp = TempDir::new();
        let slot = tmp.path().join("inline-6");
        fetch("data:,x", &slot).unwrap();
        let err = fetch("data:,y", &slot).unwrap_err();
        assert_eq!(
            err,
            format!("failed to write {}: file exists", slot.display())
        );
    }
}
