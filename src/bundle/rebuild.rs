//! A replay's inputs and modules, rebuilt from a bundle's blobs in `verify`'s private scratch
//! directory, by the receipt's entries alone: nothing the plan names (local paths, URLs, S3,
//! IPFS, a module run's host files) is read or fetched.
//!
//! Owns: turning each input's recorded entries back into a tree (files from their blobs, empty
//! directories, links with their target text), and the plan the replay runs: each input a
//! local source at its rebuilt tree, read-write where the plan said so (the run copies it, as
//! it copies any read-write source of a receipt), and a module run's modules at files named as
//! the plan's were, kept under their labels (the receipt's keys). Everything is created by
//! handle (`*at` calls), exclusively and without following a link, links last, so a hostile
//! receipt can make nothing outside the scratch directory; what it makes that differs from
//! what it records is caught by the rerun's own check of what the guest is given. Must not run
//! anything.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use rustix::fs::{Mode, OFlags};

use super::{Opened, below_target};
use crate::error::Error;
use crate::receipt::{Entry, split_key};
use crate::spec::plan::CreateAs;
use crate::spec::{ModuleLocation, Plan, Source};

/// What a replay of a bundle runs.
pub struct Replay {
    /// The receipt's plan, with every input a local source in the scratch directory.
    pub plan: Plan,
    /// A module run's modules, by label, as files in the scratch directory.
    pub host_modules: BTreeMap<String, PathBuf>,
}

/// Rebuilds the inputs and modules of `opened`'s receipt in `scratch`.
pub fn rebuild(opened: &Opened, scratch: &Path) -> Result<Replay, Error> {
    let recorded = &opened.recorded;
    let mut plan = recorded.plan.clone();
    let inputs = private_dir(&scratch.join("bundle-inputs"))?;
    let owned = owners(&plan, &recorded.inputs)?;
    for (index, entries) in owned.iter().enumerate() {
        let input = &plan.inputs[index];
        let path = inputs.join(index.to_string());
        Tree {
            opened,
            target: &input.target,
        }
        .build(&path, entries)?;
        let read_write = matches!(
            input.source,
            Source::Local {
                read_write: true,
                ..
            }
        );
        plan.inputs[index].source = Source::Local {
            path,
            read_write,
            create_as: CreateAs::NoCreate,
        };
    }
    let host_modules = host_modules(opened, &plan, &scratch.join("bundle-modules"))?;
    Ok(Replay { plan, host_modules })
}

/// Each input's entries, by their path below its Target: an entry belongs to the input with
/// the deepest Target at or above it, which is the one the guest saw it in.
fn owners<'r>(
    plan: &Plan,
    inputs: &'r BTreeMap<String, String>,
) -> Result<Vec<Vec<(&'r str, &'r str)>>, Error> {
    let mut owned = vec![Vec::new(); plan.inputs.len()];
    for (key, value) in inputs {
        let owner = plan
            .inputs
            .iter()
            .enumerate()
            .filter_map(|(i, input)| below_target(key, &input.target).map(|rel| (i, rel)))
            .max_by_key(|(i, _)| plan.inputs[*i].target.len());
        match owner {
            Some((index, rel)) => owned[index].push((rel, value.as_str())),
            None => {
                return Err(refused(format!(
                    "it records input {key}, which no input's Target holds"
                )));
            }
        }
    }
    Ok(owned)
}

/// One input's tree being rebuilt.
struct Tree<'a> {
    opened: &'a Opened,
    target: &'a str,
}

impl Tree<'_> {
    /// Builds the tree of `entries` at `path`, which must not exist: a file or an empty
    /// directory when the entry of the Target itself says so, else a directory of them.
    fn build(&self, path: &Path, entries: &[(&str, &str)]) -> Result<(), Error> {
        let (parent, name) = (path.parent().expect("a scratch path"), path.file_name());
        let parent = open_dir(parent).map_err(|e| self.failed("", e))?;
        let name = name.expect("a scratch path");
        match entries {
            [] => Err(refused(format!(
                "it records nothing of the input at {}",
                self.target
            ))),
            [("", value)] => match Entry::parse(value) {
                Entry::File(hex) => self
                    .file(&parent, name, hex)
                    .map_err(|e| self.failed("", e)),
                Entry::Directory => make_dir(&parent, name).map_err(|e| self.failed("", e)),
                _ => Err(refused(format!(
                    "it records the input at {} as `{value}`; a replay mounts files and \
                     directories only",
                    self.target
                ))),
            },
            _ if entries.iter().any(|(rel, _)| rel.is_empty()) => Err(refused(format!(
                "it records the input at {} as a file or an empty directory with entries below",
                self.target
            ))),
            _ => {
                make_dir(&parent, name).map_err(|e| self.failed("", e))?;
                let root = open_dir(path).map_err(|e| self.failed("", e))?;
                self.entries(&root, entries)
            }
        }
    }

    /// Every entry below the root, links last: nothing is ever created through one.
    fn entries(&self, root: &OwnedFd, entries: &[(&str, &str)]) -> Result<(), Error> {
        let mut links = Vec::new();
        for (rel, value) in entries {
            let names =
                split_key(rel).map_err(|e| refused(format!("input {}: {e}", self.key(rel))))?;
            if names.len() > crate::receipt::MAX_DEPTH {
                return Err(refused(format!(
                    "input {} lies deeper than a receipt records",
                    self.key(rel)
                )));
            }
            let (name, parents) = names.split_last().expect("not the root");
            let made = parents_of(root, parents).and_then(|parent| match Entry::parse(value) {
                Entry::File(hex) => self.file(&parent, name, hex),
                Entry::Directory => make_dir(&parent, name),
                Entry::Symlink(hex) => {
                    links.push((parent, name.clone(), hex, *rel));
                    Ok(())
                }
                // `items` refused the bundle already.
                Entry::Other(_) => unreachable!("a bundle with `{value}` is refused when read"),
            });
            made.map_err(|e| self.failed(rel, e))?;
        }
        for (parent, name, hex, rel) in links {
            let made = fs::read(self.opened.blob(hex)).and_then(|target| {
                Ok(rustix::fs::symlinkat(
                    OsString::from_vec(target),
                    &parent,
                    &name,
                )?)
            });
            made.map_err(|e| self.failed(rel, e))?;
        }
        Ok(())
    }

    /// A new file `name` in `dir` with the blob `hex`'s bytes.
    fn file(&self, dir: &OwnedFd, name: &std::ffi::OsStr, hex: &str) -> io::Result<()> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
        let fd = rustix::fs::openat(
            dir,
            name,
            flags | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )?;
        let mut blob = File::open(self.opened.blob(hex))?;
        io::copy(&mut blob, &mut File::from(fd)).map(drop)
    }

    fn key(&self, rel: &str) -> String {
        match rel {
            "" => self.target.to_string(),
            _ => format!("{}/{rel}", self.target.trim_end_matches('/')),
        }
    }

    fn failed(&self, rel: &str, cause: io::Error) -> Error {
        Error::Verify(format!(
            "failed to rebuild input {} from the bundle: {}",
            self.key(rel),
            crate::remote::io_message(&cause)
        ))
    }
}

/// The directory `names` below `root`, made where missing, entered without following links.
fn parents_of(root: &OwnedFd, names: &[OsString]) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir = rustix::fs::openat(root, ".", flags, Mode::empty())?;
    for name in names {
        match rustix::fs::mkdirat(&dir, name, Mode::from_raw_mode(0o755)) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => {}
            Err(e) => return Err(e.into()),
        }
        dir = rustix::fs::openat(&dir, name, flags, Mode::empty())?;
    }
    Ok(dir)
}

fn make_dir(dir: &OwnedFd, name: &std::ffi::OsStr) -> io::Result<()> {
    Ok(rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(0o755))?)
}

fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    Ok(rustix::fs::open(path, flags, Mode::empty())?)
}

fn private_dir(path: &Path) -> Result<PathBuf, Error> {
    fs::DirBuilder::new()
        .mode(0o700)
        .create(path)
        .map_err(|e| Error::host(format!("create {}", path.display()), e))?;
    Ok(path.to_path_buf())
}

/// A module run's modules, each from its blob, at `dir/N/NAME` where NAME is the file name of
/// the plan's path (the guest's `argv[0]` is the entry module's), by label.
fn host_modules(
    opened: &Opened,
    plan: &Plan,
    dir: &Path,
) -> Result<BTreeMap<String, PathBuf>, Error> {
    let mut modules = BTreeMap::new();
    let locations = super::module_locations(plan).filter_map(|location| match location {
        ModuleLocation::Host(path) => Some(path),
        ModuleLocation::Guest(_) => None,
    });
    for (index, path) in locations.enumerate() {
        if index == 0 {
            private_dir(dir)?;
        }
        let label = path.display().to_string();
        let name = path
            .file_name()
            .ok_or_else(|| refused(format!("its module {label} has no file name")))?;
        // `items` found each one's sha256 when the bundle was read.
        let hex = crate::receipt::digest_hex(&opened.recorded.modules[&label]).expect("checked");
        let file = private_dir(&dir.join(index.to_string()))?.join(name);
        let copied = File::create_new(&file)
            .and_then(|mut to| io::copy(&mut File::open(opened.blob(hex))?, &mut to).map(drop));
        copied.map_err(|e| Error::host(format!("create {}", file.display()), e))?;
        modules.insert(label, file);
    }
    Ok(modules)
}

/// A bundle whose receipt cannot be replayed.
fn refused(message: String) -> Error {
    Error::Verify(format!("the bundle cannot be replayed: {message}"))
}
