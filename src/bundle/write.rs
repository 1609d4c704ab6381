//! Writing a bundle: a deterministic archive (the same run always gives the same bytes), never
//! seen half-written and never written over a file that was there.
//!
//! Owns: the archive's bytes (gzip at the default level, with no time in its header; ustar
//! headers with mode 0644, owner 0 and time 0; blobs in name order) and putting the file in
//! place: written to a private temporary file beside it, flushed to disk, then linked under
//! its name, which fails if that name exists. A blob is hashed again as it is written, so a
//! file that changed since it was found fails the bundle instead of entering it. Must not look
//! for what to pack (`gather` does).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use tar::{Builder, EntryType, Header};

use super::gather::Blob;
use super::{BLOBS, LIMITS, MANIFEST, MANIFEST_TEXT, RECEIPT};
use crate::cleanup;
use crate::error::Error;
use crate::receipt::Hashing;

/// Writes the bundle of `receipt` (its bytes) and `blobs` to `out`, which must not exist. A
/// signal while writing (`setup`) removes the temporary file.
pub fn write(
    out: &Path,
    receipt: &[u8],
    blobs: &BTreeMap<String, Blob>,
    setup: &mut cleanup::Setup,
) -> Result<(), Error> {
    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    check_free(out)?;
    let failed = |e: String| Error::Bundle(format!("failed to write {}: {e}", out.display()));
    let (tmp, file) = crate::private::create_file(parent, ".bolinho-bundle-")
        .map_err(|e| failed(crate::remote::io_message(&e)))?;
    setup.remove_on_signal(&tmp);
    let written = archive(file, receipt, blobs).and_then(|file| {
        file.set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(|e| e.to_string())?;
        // A link fails where a rename would replace: the name is taken only if it is free.
        fs::hard_link(&tmp, out).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => EXISTS.to_string(),
            _ => crate::remote::io_message(&e),
        })
    });
    let _ = fs::remove_file(&tmp);
    written.map_err(failed)
}

const EXISTS: &str = "it exists; bolinho never writes over a file";

/// Fails if `out` exists (a link included), before any work is done for it; `write` checks
/// again, atomically.
pub fn check_free(out: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(out) {
        Ok(_) => Err(Error::Bundle(format!(
            "failed to write {}: {EXISTS}",
            out.display()
        ))),
        Err(_) => Ok(()),
    }
}

/// The archive, written to `file` and flushed to disk.
fn archive(file: File, receipt: &[u8], blobs: &BTreeMap<String, Blob>) -> Result<File, String> {
    let gz = GzEncoder::new(BufWriter::new(file), Compression::default());
    let mut tar = Counted {
        builder: Builder::new(gz),
        entries: 0,
        bytes: 0,
    };
    tar.append(
        MANIFEST,
        MANIFEST_TEXT.len() as u64,
        MANIFEST_TEXT.as_bytes(),
    )?;
    tar.append(RECEIPT, receipt.len() as u64, receipt)?;
    for (hex, blob) in blobs {
        let name = format!("{BLOBS}{hex}");
        match blob {
            Blob::Bytes(bytes) => tar.append(&name, bytes.len() as u64, bytes.as_slice())?,
            Blob::File(path) => {
                let failed =
                    |e: io::Error| format!("{}: {}", path.display(), crate::remote::io_message(&e));
                let file = crate::fetch::open_regular(path).map_err(failed)?;
                let size = file.metadata().map_err(failed)?.len();
                let mut hashing = Hashing::new(file.take(size));
                tar.append(&name, size, &mut hashing)?;
                let (got, bytes) = hashing.finish();
                if (got.as_str(), bytes) != (hex.as_str(), size) {
                    return Err(format!(
                        "{} changed while it was being bundled",
                        path.display()
                    ));
                }
            }
        }
    }
    let gz = tar.builder.into_inner().map_err(|e| e.to_string())?;
    let file = gz
        .finish()
        .and_then(|w| w.into_inner().map_err(io::IntoInnerError::into_error))
        .map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())?;
    Ok(file)
}

/// The tar being written, and how much of `LIMITS` it has used.
struct Counted<W: Write> {
    builder: Builder<W>,
    entries: usize,
    /// The uncompressed stream so far, as `open` counts it.
    bytes: u64,
}

impl<W: Write> Counted<W> {
    /// Appends a regular file of `size` bytes read from `data`.
    fn append(&mut self, name: &str, size: u64, data: impl Read) -> Result<(), String> {
        self.entries += 1;
        // A header, the data padded to whole blocks, and the two blocks that end the archive.
        self.bytes += 512 + size.div_ceil(512) * 512;
        if self.entries > LIMITS.entries {
            return Err(format!(
                "more than {} entries, the most a bundle may hold",
                LIMITS.entries
            ));
        }
        if size > LIMITS.blob_bytes {
            return Err(format!(
                "{name} would be {size} bytes, more than the {} a blob may hold",
                LIMITS.blob_bytes
            ));
        }
        if self.bytes + 1024 > LIMITS.total_bytes {
            return Err(format!(
                "more than {} bytes uncompressed, the most a bundle may hold",
                LIMITS.total_bytes
            ));
        }
        let mut header = Header::new_ustar();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(size);
        header.set_path(name).map_err(|e| format!("{name}: {e}"))?;
        header.set_cksum();
        self.builder
            .append(&header, data)
            .map_err(|e| format!("{name}: {e}"))
    }
}
