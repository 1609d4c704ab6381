//! Bundles (README "Bundles"): one file holding a run's receipt and the bytes of everything
//! its replay needs (modules, every input file and link target as the guest saw it, the
//! results, the tape of the host's answers), so that `bolinho verify FILE` replays the run
//! anywhere, offline.
//!
//! The format is a gzip-compressed tar of regular files only: `bundle.json` (the format's
//! version), then `receipt.json` (the receipt's own bytes), then one `blobs/sha256/HEX` per
//! distinct content (a module, an input file, a link's target text, a result, the tape),
//! named by its sha256 and stored once, in name order. The receipt is the index: what each
//! blob is, and where the replay puts it, follows from the receipt alone.
//!
//! Owns: the format (its names, version and limits), what a receipt needs packed (`items`),
//! and its submodules: `gather` (finding those bytes on the host for `bolinho bundle`),
//! `write` (the archive, atomically), `open` (reading an untrusted bundle into a private
//! directory) and `rebuild` (a replay's inputs and modules, from blobs only). Must not run
//! anything: `commands::verify` reruns through `job`.

mod gather;
mod open;
mod rebuild;
mod write;

use std::fmt;

pub use gather::gather;
pub use open::{Opened, open};
pub use rebuild::rebuild;
pub use write::{check_free, write};

use crate::receipt::{Entry, Recorded, digest_hex};
use crate::spec::ModuleLocation;

/// The first entry: the format and its version.
const MANIFEST: &str = "bundle.json";

/// The manifest's whole text. A later format changes the version, so that an older bolinho
/// says it cannot read it instead of misreading it.
const MANIFEST_TEXT: &str = "{\"format\":\"bolinho-bundle\",\"version\":1}\n";

/// The second entry: the receipt, as its run wrote it.
const RECEIPT: &str = crate::receipt::FILE;

/// Where a blob is, before its lower-case hex sha256.
const BLOBS: &str = "blobs/sha256/";

/// The bounds a bundle is read within, and written within: bolinho never writes a bundle it
/// would refuse to read.
struct Limits {
    /// Entries in all: a receipt records at most a million inputs and a million results.
    entries: usize,
    /// The largest blob.
    blob_bytes: u64,
    /// The whole archive, uncompressed (headers and padding included): what replaying it may
    /// write into the scratch directory, however well it compresses.
    total_bytes: u64,
}

const LIMITS: Limits = Limits {
    entries: 2 * crate::receipt::MAX_ENTRIES + 2,
    blob_bytes: 4 << 30,
    total_bytes: 16 << 30,
};

/// One thing a replay needs the bytes of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item<'r> {
    /// A module of a module run, by its label (its host path).
    Module(&'r str),
    /// A regular file of an input, by its guest path.
    Input(&'r str),
    /// The target text of a link of an input, by its guest path.
    Link(&'r str),
    /// A regular file of the results, by its results-relative path.
    Result(&'r str),
    /// The run's tape (the host's answers to its guest), beside its receipt.
    Tape,
}

impl fmt::Display for Item<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Module(label) => write!(f, "module {label}"),
            Item::Input(key) => write!(f, "input {key}"),
            Item::Link(key) => write!(f, "the target of the link {key}"),
            Item::Result(key) => write!(f, "result {key}"),
            Item::Tape => f.write_str("the tape"),
        }
    }
}

/// Everything a replay of `recorded` needs the bytes of, each with the hex sha256 those bytes
/// must have, in the receipt's order (the same blob may be needed more than once). Refuses a
/// receipt no bundle can replay: an input that is not a file, link or directory (a FIFO, a
/// device, a file its run could not read), or a module whose bytes are not one of the inputs'
/// files or that is reached through a link (the module loader, unlike the guest, would follow
/// it out of the bundle).
fn items(recorded: &Recorded) -> Result<Vec<(Item<'_>, &str)>, String> {
    let mut items = Vec::new();
    for location in module_locations(&recorded.plan) {
        match location {
            ModuleLocation::Host(path) => {
                let label = recorded.modules.get_key_value(&path.display().to_string());
                let Some((label, value)) = label else {
                    return Err(format!(
                        "the receipt records no module {}, which its plan names",
                        path.display()
                    ));
                };
                items.push((Item::Module(label), hex(value, "module", label)?));
            }
            ModuleLocation::Guest(guest) => check_guest_module(recorded, guest)?,
        }
    }
    for (key, value) in &recorded.inputs {
        match Entry::parse(value) {
            Entry::File(hex) => items.push((Item::Input(key), hex)),
            Entry::Symlink(hex) => items.push((Item::Link(key), hex)),
            Entry::Directory => {}
            Entry::Other(kind) => {
                return Err(format!(
                    "input {key} is recorded as `{kind}`: a bundle holds files, links and \
                     directories only, so its run cannot be replayed from one"
                ));
            }
        }
    }
    for (key, value) in &recorded.results {
        if let Entry::File(hex) = Entry::parse(value) {
            items.push((Item::Result(key), hex));
        }
    }
    if let Some(value) = &recorded.tape {
        items.push((Item::Tape, hex(value, "its", "tape")?));
    }
    Ok(items)
}

fn module_locations(plan: &crate::spec::Plan) -> impl Iterator<Item = &ModuleLocation> {
    std::iter::once(&plan.entry_module).chain(plan.import_modules.iter().map(|m| &m.location))
}

fn hex<'r>(value: &'r str, kind: &str, name: &str) -> Result<&'r str, String> {
    digest_hex(value).ok_or_else(|| {
        format!(
            "the receipt records {kind} {name} as `{}`, not a sha256",
            value.escape_debug()
        )
    })
}

/// A job's module at `guest` must be one of the inputs' files, at `guest` or directly in the
/// directory there (README "Linking"), and no link may lie at, above or directly below it:
/// bolinho reads modules through the host's filesystem, which follows links.
fn check_guest_module(recorded: &Recorded, guest: &str) -> Result<(), String> {
    let label = guest;
    let want = match recorded.modules.get(label) {
        Some(value) => hex(value, "module", label)?,
        None => return Err(format!("the receipt records no module {label}")),
    };
    let dir = guest.trim_end_matches('/');
    let mut found = false;
    for (key, value) in &recorded.inputs {
        let at = key == dir;
        let above = dir
            .strip_prefix(key.as_str())
            .is_some_and(|r| r.starts_with('/'));
        let in_dir = key
            .strip_prefix(dir)
            .and_then(|r| r.strip_prefix('/'))
            .is_some_and(|name| !name.contains('/'));
        match Entry::parse(value) {
            Entry::Symlink(_) if at || above || in_dir => {
                return Err(format!(
                    "module {label} is reached through the link {key}, which a replay does not \
                     follow"
                ));
            }
            Entry::File(hex) if (at || in_dir) && hex == want => found = true,
            _ => {}
        }
    }
    match found {
        true => Ok(()),
        false => Err(format!(
            "module {label} ({}) is not one of the inputs' files",
            recorded.modules[label]
        )),
    }
}

/// The part of the guest path `key` below `target` (empty for the Target itself), when it lies
/// there.
fn below_target<'k>(key: &'k str, target: &str) -> Option<&'k str> {
    let rest = key.strip_prefix(target.trim_end_matches('/'))?;
    match rest {
        "" => Some(""),
        _ => rest.strip_prefix('/'),
    }
}

#[cfg(test)]
#[path = "bundle_tests.rs"]
mod tests;
