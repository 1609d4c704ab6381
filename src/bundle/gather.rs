//! Finding on the host the bytes a bundle of a run needs (`bolinho bundle`): each blob is
//! looked for where the run found it, and taken only if it hashes as the receipt records.
//!
//! Owns: where each item's bytes are looked for. A result, and the tape, in the results
//! directory; a module run's module at its host path; an input's file or link where its input
//! is: a local source where it is (never created or copied), an inline one expanded in the
//! workspace, a remote one from the download cache by its sha256 and else fetched again
//! through `fetch` (which honours `--offline`). An entry is read below its input's root
//! without following links; the input a guest saw it in (the deepest Target) is tried first,
//! then the ones around it. Must not write anywhere but the workspace and the cache.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use super::{Item, below_target, items};
use crate::error::Error;
use crate::fetch::{self, FetchError};
use crate::receipt::{self, Recorded, sha256_of};
use crate::spec::Source;

/// Where a blob's bytes are.
pub enum Blob {
    /// A file on the host, which hashed as the receipt records when found.
    File(PathBuf),
    /// A link's target text.
    Bytes(Vec<u8>),
}

/// Every blob the replay of `recorded` needs, by hex sha256, found in the run's results
/// directory `results` and where its sources are (`ctx`).
pub fn gather(
    recorded: &Recorded,
    results: &Path,
    ctx: &fetch::Context,
) -> Result<BTreeMap<String, Blob>, Error> {
    let items =
        items(recorded).map_err(|e| Error::Bundle(format!("the run cannot be bundled: {e}")))?;
    let mut finder = Finder {
        recorded,
        ctx,
        roots: vec![None; recorded.plan.inputs.len()],
    };
    let mut blobs = BTreeMap::new();
    for (item, hex) in items {
        if blobs.contains_key(hex) {
            continue;
        }
        let found = match item {
            Item::Module(label) => file(Path::new(label), hex).map_err(|e| vec![e]),
            Item::Result(key) => below(results, key, hex).map_err(|e| vec![e]),
            Item::Tape => below(results, receipt::TAPE, hex).map_err(|e| vec![e]),
            Item::Input(key) | Item::Link(key) => finder.input(item, key, hex)?,
        };
        let blob = found.map_err(|tried| {
            Error::Bundle(format!(
                "failed to find {item} as the run had it (sha256:{hex}): {}",
                tried.join("; ")
            ))
        })?;
        blobs.insert(hex.to_string(), blob);
    }
    Ok(blobs)
}

/// What was found of one item: its blob, or what each place tried held instead.
type Found = Result<Blob, Vec<String>>;

/// A file the user named (a module run's module), if it hashes as `hex`.
fn file(path: &Path, hex: &str) -> Result<Blob, String> {
    let read = fetch::open_regular(path).and_then(sha256_of);
    checked(path, read, hex)
}

/// The file at `key` below `root`, read without following a link, if it hashes as `hex`.
fn below(root: &Path, key: &str, hex: &str) -> Result<Blob, String> {
    let path = joined(root, key);
    let read = receipt::open_file(root, key).and_then(sha256_of);
    checked(&path, read, hex)
}

fn checked(path: &Path, read: io::Result<String>, hex: &str) -> Result<Blob, String> {
    match read {
        Ok(got) if got == hex => Ok(Blob::File(path.to_path_buf())),
        Ok(_) => Err(format!(
            "{} does not hash as the receipt records",
            path.display()
        )),
        Err(e) => Err(format!(
            "{}: {}",
            path.display(),
            crate::remote::io_message(&e)
        )),
    }
}

/// The inputs of the run, each brought onto the host when first needed.
struct Finder<'a> {
    recorded: &'a Recorded,
    ctx: &'a fetch::Context,
    /// Each input's root on the host, once asked for.
    roots: Vec<Option<PathBuf>>,
}

impl Finder<'_> {
    /// An input's file (`Item::Input`) or link target (`Item::Link`) at `key`.
    fn input(&mut self, item: Item<'_>, key: &str, hex: &str) -> Result<Found, Error> {
        let plan = &self.recorded.plan;
        let mut holders: Vec<(usize, &str)> = plan
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(i, input)| below_target(key, &input.target).map(|rel| (i, rel)))
            .collect();
        holders.sort_by_key(|(i, _)| std::cmp::Reverse(plan.inputs[*i].target.len()));
        let mut tried = Vec::new();
        for (index, rel) in holders {
            let remote = !matches!(
                plan.inputs[index].source,
                Source::Local { .. } | Source::Inline { .. }
            );
            // A download is in the cache under its sha256, whatever its source says now.
            if remote
                && item == Item::Input(key)
                && let Some(object) = self.ctx.cache.object(hex)
                && let Ok(blob) = file(&object, hex)
            {
                return Ok(Ok(blob));
            }
            let root = self.root(index)?;
            let found = match item {
                Item::Link(_) => link(&root, rel, hex),
                _ => below(&root, rel, hex),
            };
            match found {
                Ok(blob) => return Ok(Ok(blob)),
                Err(e) => tried.push(e),
            }
        }
        if tried.is_empty() {
            tried.push("no input's Target holds it".to_string());
        }
        Ok(Err(tried))
    }

    /// Where the input at `index` is on the host, brought there when first asked for.
    fn root(&mut self, index: usize) -> Result<PathBuf, FetchError> {
        if let Some(root) = &self.roots[index] {
            return Ok(root.clone());
        }
        let input = &self.recorded.plan.inputs[index];
        let workspace = || Ok(self.ctx.workspace.clone());
        let root = match fetch::peek(input, index, &workspace) {
            Some(peeked) => peeked?,
            None => fetch::fetch(input, index, self.ctx)?.path,
        };
        self.roots[index] = Some(root.clone());
        Ok(root)
    }
}

/// A link's target text at `rel` below `root`, if it hashes as `hex`.
fn link(root: &Path, rel: &str, hex: &str) -> Result<Blob, String> {
    let path = joined(root, rel);
    match receipt::read_link(root, rel) {
        Ok(target) if sha256_of(target.as_slice()).ok().as_deref() == Some(hex) => {
            Ok(Blob::Bytes(target))
        }
        Ok(_) => Err(format!(
            "the link {} does not point where the receipt records",
            path.display()
        )),
        Err(e) => Err(format!(
            "{}: {}",
            path.display(),
            crate::remote::io_message(&e)
        )),
    }
}

/// `root/rel`, for messages and for reading again; `root` itself for the empty `rel`.
fn joined(root: &Path, rel: &str) -> PathBuf {
    match rel {
        "" => root.to_path_buf(),
        _ => root.join(rel),
    }
}
