//! Reading a bundle someone handed over (`bolinho verify FILE`): it may come from anyone, so
//! it is read as hostile input into `verify`'s private scratch directory, and nothing in it is
//! ever used as a host path.
//!
//! Owns: the checks of the archive. Every entry must be a regular file with one of the names a
//! bundle holds, in the format's order (manifest, receipt, blobs); every blob must be one the
//! receipt needs, appear once, and hash to its name; the sizes, the count of entries and the
//! whole stream are bounded (`LIMITS`); the compressed stream must end where the archive does,
//! with its checksum. Blobs are written under names made of the hex digits checked, never of the
//! entry's name; `tar`'s unpack helpers are never used. Must not build the replay's inputs
//! (`rebuild` does).

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::bufread::GzDecoder;
use tar::{Archive, EntryType};

use super::{BLOBS, LIMITS, MANIFEST, MANIFEST_TEXT, RECEIPT, items};
use crate::error::Error;
use crate::receipt::{self, Hashing, Recorded};

/// A bundle read into a private directory: its receipt, and every blob the receipt needs.
pub struct Opened {
    pub recorded: Recorded,
    /// The blobs, each named by its hex sha256, each checked to have it.
    blobs: PathBuf,
}

impl Opened {
    /// The file holding the blob `hex`; the receipt needs it (`items`), so it is there.
    pub fn blob(&self, hex: &str) -> PathBuf {
        self.blobs.join(hex)
    }

    /// The file holding the run's tape, if its receipt records one.
    pub fn tape(&self) -> Option<PathBuf> {
        let hex = receipt::digest_hex(self.recorded.tape.as_deref()?)?;
        Some(self.blob(hex))
    }

    /// An opened bundle made by a test: `blobs` holds them under their hex names.
    #[cfg(test)]
    pub(crate) fn for_tests(recorded: Recorded, blobs: PathBuf) -> Opened {
        Opened { recorded, blobs }
    }
}

/// Reads the bundle at `path` into `scratch` (a private directory), checking it as the
/// module's documentation says.
pub fn open(path: &Path, scratch: &Path) -> Result<Opened, Error> {
    let fail = |message: String| {
        Error::Verify(format!(
            "failed to read bundle {}: {message}",
            path.display()
        ))
    };
    let file = crate::fetch::open_regular(path).map_err(|e| fail(crate::remote::io_message(&e)))?;
    let blobs = scratch.join("blobs");
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&blobs)
        .map_err(|e| Error::host(format!("create {}", blobs.display()), e))?;
    let used = Rc::new(Cell::new(0));
    let stream = Bounded {
        inner: GzDecoder::new(BufReader::new(file)),
        used: Rc::clone(&used),
    };
    let mut reader = Reader {
        blobs,
        recorded: None,
        wanted: BTreeMap::new(),
        seen: BTreeSet::new(),
    };
    let mut archive = Archive::new(stream);
    let read = reader
        .entries(&mut archive)
        .and_then(|()| end(archive.into_inner()));
    // Past the bound, `tar` and flate2 report whatever they were doing; say what it was.
    read.map_err(|e| match used.get() > LIMITS.total_bytes {
        true => fail(format!(
            "it expands to more than {} bytes, the most a bundle may",
            LIMITS.total_bytes
        )),
        false => fail(e),
    })?;
    reader.finish().map_err(fail)
}

/// What has been read so far.
struct Reader {
    blobs: PathBuf,
    recorded: Option<Recorded>,
    /// Each blob the receipt needs, by hex sha256, with the first item that needs it.
    wanted: BTreeMap<String, String>,
    seen: BTreeSet<String>,
}

impl Reader {
    fn entries<R: Read>(&mut self, archive: &mut Archive<R>) -> Result<(), String> {
        let corrupt = |e: io::Error| format!("a broken archive: {e}");
        // Raw: a GNU long name or a pax header is an entry of its own, which is refused, rather
        // than something `tar` applies to the next one.
        let entries = archive.entries().map_err(corrupt)?.raw(true);
        for (index, entry) in entries.enumerate() {
            let mut entry = entry.map_err(corrupt)?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let at = |message: String| format!("entry `{}`: {message}", name.escape_debug());
            if index >= LIMITS.entries {
                return Err(format!(
                    "it holds more than {} entries, the most a bundle may",
                    LIMITS.entries
                ));
            }
            let kind = entry.header().entry_type();
            if kind != EntryType::Regular {
                return Err(at(format!(
                    "a {}, where a bundle holds regular files only",
                    kind_name(kind)
                )));
            }
            let size = entry.header().entry_size().map_err(|e| at(e.to_string()))?;
            match index {
                0 => self.manifest(&name, size, &mut entry),
                1 => self.receipt(&name, size, &mut entry),
                _ => self.blob(&name, size, &mut entry),
            }
            .map_err(at)?;
        }
        Ok(())
    }

    fn manifest(&mut self, name: &str, size: u64, entry: &mut impl Read) -> Result<(), String> {
        if name != MANIFEST {
            return Err(format!("the first entry of a bundle is `{MANIFEST}`"));
        }
        let text = read_small(entry, size, MANIFEST_TEXT.len() as u64 * 4)?;
        let manifest: serde_json::Value =
            serde_json::from_slice(&text).map_err(|e| format!("not a bundle manifest: {e}"))?;
        let expected: serde_json::Value =
            serde_json::from_str(MANIFEST_TEXT).expect("the manifest is JSON");
        match manifest["format"] == expected["format"] {
            false => Err("not a bolinho bundle's manifest".to_string()),
            true if manifest["version"] != expected["version"] => Err(format!(
                "a bundle of format version {}; this bolinho reads version {}",
                manifest["version"], expected["version"]
            )),
            true => Ok(()),
        }
    }

    fn receipt(&mut self, name: &str, size: u64, entry: &mut impl Read) -> Result<(), String> {
        if name != RECEIPT {
            return Err(format!("the second entry of a bundle is `{RECEIPT}`"));
        }
        let text = read_small(entry, size, receipt::MAX_BYTES)?;
        let recorded = Recorded::parse(&String::from_utf8_lossy(&text))?;
        for (item, hex) in items(&recorded)? {
            self.wanted
                .entry(hex.to_string())
                .or_insert_with(|| item.to_string());
        }
        self.recorded = Some(recorded);
        Ok(())
    }

    fn blob(&mut self, name: &str, size: u64, entry: &mut impl Read) -> Result<(), String> {
        let hex = name
            .strip_prefix(BLOBS)
            .filter(|hex| receipt::digest_hex(&format!("sha256:{hex}")).is_some())
            .ok_or_else(|| {
                format!(
                    "not a name a bundle holds (`{MANIFEST}`, `{RECEIPT}`, then `{BLOBS}` and a \
                     sha256 in lower-case hex)"
                )
            })?;
        if !self.wanted.contains_key(hex) {
            return Err("a blob the receipt does not need".to_string());
        }
        if !self.seen.insert(hex.to_string()) {
            return Err("a second copy of a blob; each is stored once".to_string());
        }
        if size > LIMITS.blob_bytes {
            return Err(format!(
                "{size} bytes, more than the {} a blob may hold",
                LIMITS.blob_bytes
            ));
        }
        let path = self.blobs.join(hex);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| format!("failed to create {}: {e}", path.display()))?;
        let mut hashing = Hashing::new(entry.take(size));
        io::copy(&mut hashing, &mut file).map_err(|e| e.to_string())?;
        let (got, bytes) = hashing.finish();
        if bytes != size {
            return Err(format!("cut short: {bytes} of its {size} bytes"));
        }
        if got != hex {
            return Err(format!("its bytes hash to sha256:{got}, not to its name"));
        }
        Ok(())
    }

    /// The bundle read whole: every blob the receipt needs must have been there.
    fn finish(self) -> Result<Opened, String> {
        let recorded = self
            .recorded
            .ok_or_else(|| format!("it holds no `{RECEIPT}`"))?;
        let mut missing = self
            .wanted
            .iter()
            .filter(|(hex, _)| !self.seen.contains(*hex));
        if let Some((hex, item)) = missing.next() {
            let more = missing.count();
            let more = match more {
                0 => String::new(),
                n => format!(", and {n} more"),
            };
            return Err(format!("it lacks the blob sha256:{hex} ({item}){more}"));
        }
        Ok(Opened {
            recorded,
            blobs: self.blobs,
        })
    }
}

/// A whole small entry, at most `limit` bytes.
fn read_small(entry: &mut impl Read, size: u64, limit: u64) -> Result<Vec<u8>, String> {
    if size > limit {
        return Err(format!("{size} bytes, more than the {limit} it may hold"));
    }
    let mut bytes = Vec::new();
    entry
        .take(size)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    match bytes.len() as u64 == size {
        true => Ok(bytes),
        false => Err(format!("cut short: {} of its {size} bytes", bytes.len())),
    }
}

/// After the archive's end: only the zeros that end a tar, then the end of the compressed
/// stream (which checks its CRC and length), then the end of the file (the decoder reads
/// from our buffer, so nothing it held back is missed).
fn end<R: Read>(mut rest: Bounded<GzDecoder<BufReader<R>>>) -> Result<(), String> {
    let mut buf = [0u8; 8192];
    loop {
        match rest.read(&mut buf) {
            Ok(0) => break,
            Ok(n) if buf[..n].iter().all(|b| *b == 0) => {}
            Ok(_) => return Err("data after the archive's end".to_string()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("the compressed stream is broken: {e}")),
        }
    }
    let mut file = rest.inner.into_inner();
    match file.read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(_) => Err("data after the compressed stream's end".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

fn kind_name(kind: EntryType) -> String {
    match kind {
        EntryType::Symlink => "symbolic link".to_string(),
        EntryType::Link => "hard link".to_string(),
        EntryType::Directory => "directory".to_string(),
        EntryType::Char | EntryType::Block => "device".to_string(),
        EntryType::Fifo => "FIFO".to_string(),
        EntryType::GNULongName | EntryType::GNULongLink => "GNU long name".to_string(),
        EntryType::XHeader | EntryType::XGlobalHeader => "pax header".to_string(),
        other => format!("entry of type {:?}", other.as_byte() as char),
    }
}

/// The uncompressed stream, failing once past the bound (`used` says how far it got).
struct Bounded<R> {
    inner: R,
    used: Rc<Cell<u64>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.used.set(self.used.get() + n as u64);
        if self.used.get() > LIMITS.total_bytes {
            return Err(io::Error::other("too large"));
        }
        Ok(n)
    }
}
