//! A job's modules, read without running it, for what `link::portable` checks (`bolinho
//! validate --portable`, and the count in `run`'s portability note).
//!
//! Owns: which sources are read for that: local ones where they are and inline ones expanded
//! in a private scratch directory, each when a module or a guest path first needs it; remote
//! ones never (no network). Must not create, copy or change a host path, and must not link or
//! run: reading the imports is `link::portable`'s.

use std::cell::{OnceCell, RefCell};
use std::fs;
use std::path::{Path, PathBuf};

use super::modules::{self, InputAt, MAX_MODULE};
use crate::error::Error;
use crate::fetch::{self, FetchError, Workspace};
use crate::link::portable::{self, Bytes, Files, Lookup, Module, Report};
use crate::private::TempDir;
use crate::spec::{ModuleLocation, Plan};

/// What Bacalhau would link otherwise in `plan`'s modules (`link::portable`), read from its
/// local and inline sources.
pub fn portability(plan: &Plan) -> Report {
    let inputs = Inputs {
        plan,
        scratch: OnceCell::new(),
        at: RefCell::new(vec![None; plan.inputs.len()]),
    };
    let entry = inputs.module(&plan.entry_module, None);
    let declared = plan
        .import_modules
        .iter()
        .map(|m| inputs.module(&m.location, m.alias.as_deref()))
        .collect();
    portable::check(entry, declared, &inputs)
}

/// The plan's inputs, each brought onto the host (`fetch::peek`) when first needed.
struct Inputs<'p> {
    plan: &'p Plan,
    /// Where inline sources are materialised, made for the first one; removed when dropped.
    scratch: OnceCell<TempDir>,
    /// Each input, once first asked for.
    at: RefCell<Vec<Option<Peeked>>>,
}

/// Where an input is on the host: `Ok(None)` for a remote one.
type Peeked = Result<Option<PathBuf>, FetchError>;

impl Inputs<'_> {
    fn at(&self, index: usize) -> Result<Option<PathBuf>, Error> {
        let workspace = || {
            if self.scratch.get().is_none() {
                let made = TempDir::new("bolinho-portable-").map_err(|e| {
                    let dir = std::env::temp_dir();
                    format!(
                        "failed to create a scratch directory in {}: {e}",
                        dir.display()
                    )
                })?;
                let _ = self.scratch.set(made);
            }
            let scratch = self.scratch.get().expect("made above");
            Ok(Workspace::new(scratch.path().to_path_buf()))
        };
        let mut at = self.at.borrow_mut();
        let peeked = at[index].get_or_insert_with(|| {
            fetch::peek(&self.plan.inputs[index], index, &workspace).transpose()
        });
        peeked.clone().map_err(Error::Fetch)
    }

    /// A module of the plan, read as a run reads it.
    fn module(&self, location: &ModuleLocation, alias: Option<&str>) -> Module {
        let at: &InputAt = &|index| self.at(index);
        let found = modules::find(location, self.plan, at);
        let read = found.map(|found| found.map(|found| modules::read(found, alias)));
        let (label, names) = modules::names_unread(location, alias, self.plan);
        let bytes = match read {
            Ok(Some(Ok((module, _)))) => {
                return Module {
                    label: module.label,
                    names: module.names,
                    bytes: Bytes::Read(module.bytes),
                };
            }
            Ok(None) => Bytes::Remote,
            Ok(Some(Err(e))) | Err(e) => Bytes::Unreadable(e.to_string()),
        };
        Module {
            label,
            names,
            bytes,
        }
    }
}

impl Files for Inputs<'_> {
    fn lookup(&self, guest_path: &str) -> Lookup {
        let Some((index, rest)) = modules::below_target(guest_path, self.plan) else {
            return Lookup::Missing;
        };
        let mut host = match self.at(index) {
            Ok(Some(host)) => host,
            Ok(None) => return Lookup::Remote,
            Err(_) => return Lookup::Other,
        };
        host.extend(rest.split('/').filter(|c| !c.is_empty()));
        match fs::metadata(&host) {
            Ok(meta) if meta.is_file() => {
                fetch::read_bounded(&host, MAX_MODULE).map_or(Lookup::Other, Lookup::File)
            }
            Ok(meta) if meta.is_dir() => {
                let input = &self.plan.inputs[index];
                let single = fetch::module_in_dir(input, guest_path, &host).ok();
                let name = single.as_deref().and_then(Path::file_name);
                Lookup::Dir(name.map(|n| {
                    let dir = guest_path.trim_end_matches('/');
                    format!("{dir}/{}", n.to_string_lossy())
                }))
            }
            Ok(_) => Lookup::Other,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Lookup::Missing,
            Err(_) => Lookup::Other,
        }
    }
}
