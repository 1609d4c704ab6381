//! The modules of a run: the entry module and the declared import modules, read from where
//! the plan says (a host file, or a guest path below an input's Target), with the names the
//! linker may know them by and the entry module's `argv[0]`.
//!
//! Owns: mapping a module's guest path to the host file behind it. Must not compile or link
//! them (`link` does).

use std::path::PathBuf;

use super::Rerun;
use crate::error::Error;
use crate::fetch::{self, FetchError, Fetched};
use crate::link::{self, ModuleBytes, ModuleName, Naming};
use crate::spec::plan::Input;
use crate::spec::{ModuleLocation, Plan};

/// The largest module bolinho reads: the largest download it accepts.
pub const MAX_MODULE: u64 = 1 << 30;

/// The modules of a run, as read.
pub struct Modules {
    pub entry: ModuleBytes,
    pub imports: Vec<ModuleBytes>,
    /// The entry module's file name, the guest's `argv[0]`.
    pub argv0: String,
}

/// Reads the entry module and the import modules of `plan`; a rerun's host modules from where
/// it says.
pub fn load(plan: &Plan, fetched: &[Fetched], rerun: Option<&Rerun>) -> Result<Modules, Error> {
    let at = |index: usize| Ok(Some(fetched[index].path.clone()));
    let load = |location: &ModuleLocation, alias: Option<&str>| {
        let mut found = find(location, plan, &at)?.expect("every input is fetched");
        if let Some(file) = rerun.and_then(|r| r.host_modules.get(&found.label)) {
            found.file = file.clone();
        }
        read(found, alias)
    };
    let (entry, argv0) = load(&plan.entry_module, None)?;
    let imports = plan
        .import_modules
        .iter()
        .map(|m| load(&m.location, m.alias.as_deref()).map(|(m, _)| m))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Modules {
        entry,
        imports,
        argv0,
    })
}

/// Where an input is on the host, by its index in the plan: `None` when it was not brought
/// there (`peek` leaves remote sources alone).
pub(super) type InputAt<'a> = dyn Fn(usize) -> Result<Option<PathBuf>, Error> + 'a;

/// A module's host file, and what it goes by.
pub(super) struct Found<'p> {
    /// How messages name it: its guest path, or its host path.
    pub label: String,
    pub file: PathBuf,
    /// The input it lies in (none for a host module).
    pub input: Option<&'p Input>,
}

/// The host file behind a module; `None` when its input is not on the host.
pub(super) fn find<'p>(
    location: &ModuleLocation,
    plan: &'p Plan,
    at: &InputAt,
) -> Result<Option<Found<'p>>, Error> {
    let guest = match location {
        ModuleLocation::Host(path) => {
            return Ok(Some(Found {
                label: path.display().to_string(),
                file: path.clone(),
                input: None,
            }));
        }
        ModuleLocation::Guest(guest) => guest,
    };
    // `spec` checks that every module's guest path lies below some Target.
    let (index, rest) =
        below_target(guest, plan).expect("a module's guest path lies below an input's Target");
    let Some(mut host) = at(index)? else {
        return Ok(None);
    };
    host.extend(rest.split('/').filter(|c| !c.is_empty()));
    let input = &plan.inputs[index];
    let file = if host.is_dir() {
        fetch::module_in_dir(input, guest, &host)?
    } else {
        host
    };
    Ok(Some(Found {
        label: guest.clone(),
        file,
        input: Some(input),
    }))
}

/// The bytes of a module, the names it answers to, and the name the guest knows it by, for
/// `argv[0]`.
pub(super) fn read(found: Found, alias: Option<&str>) -> Result<(ModuleBytes, String), Error> {
    let Found { label, file, input } = found;
    let bytes = fetch::read_bounded(&file, MAX_MODULE).map_err(|e| {
        Error::Fetch(FetchError {
            input: input.map_or_else(|| label.clone(), |i| i.field.clone()),
            source: format!("module {label}"),
            message: format!("failed to read {}: {e}", file.display()),
        })
    })?;
    let file_name = file
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let names = link::names_for(&Naming {
        alias,
        path: &label,
        file_name: Some(&file_name),
        target: input.map(|i| i.target.as_str()),
    });
    // argv[0] is the name the guest knows its module by: a job's module by its guest path
    // (the file found in a directory Target, when that is the path), never a host file's name
    // the guest cannot see, so that the same job gives the same argv wherever its sources are.
    let module_run = input.is_none();
    let argv0 = if module_run || file_name.ends_with(".wasm") && !label.ends_with(".wasm") {
        file_name
    } else {
        label.rsplit('/').next().unwrap_or(&label).to_string()
    };
    Ok((
        ModuleBytes {
            label,
            names,
            bytes,
        },
        argv0,
    ))
}

/// The input whose Target a guest path lies at or below (the deepest such Target), and the
/// rest of the path below it.
pub(super) fn below_target<'g>(guest: &'g str, plan: &Plan) -> Option<(usize, &'g str)> {
    let below = |target: &str| -> Option<&'g str> {
        let rest = guest.strip_prefix(target.trim_end_matches('/'))?;
        (rest.is_empty() || rest.starts_with('/')).then(|| rest.trim_start_matches('/'))
    };
    plan.inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| below(&input.target).map(|rest| (i, rest)))
        .max_by_key(|(i, _)| plan.inputs[*i].target.len())
}

/// The names a module answers to when its file is not known (its source was not fetched).
pub(super) fn names_unread(
    location: &ModuleLocation,
    alias: Option<&str>,
    plan: &Plan,
) -> (String, Vec<ModuleName>) {
    let (label, target) = match location {
        ModuleLocation::Host(path) => (path.display().to_string(), None),
        ModuleLocation::Guest(guest) => {
            let target = below_target(guest, plan).map(|(i, _)| plan.inputs[i].target.as_str());
            (guest.clone(), target)
        }
    };
    let names = link::names_for(&Naming {
        alias,
        path: &label,
        file_name: None,
        target,
    });
    (label, names)
}
