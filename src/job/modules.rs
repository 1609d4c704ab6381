//! The modules of a run: the entry module and the declared import modules, read from where
//! the plan says (a host file, or a guest path below an input's Target), with the names the
//! linker may know them by and the entry module's `argv[0]`.
//!
//! Owns: mapping a module's guest path to the host file behind it. Must not compile or link
//! them (`link` does).

use std::path::PathBuf;

use crate::error::Error;
use crate::fetch::{self, FetchError, Fetched};
use crate::link::{self, ModuleBytes};
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

/// Reads the entry module and the import modules of `plan`.
pub fn load(plan: &Plan, fetched: &[Fetched]) -> Result<Modules, Error> {
    let (entry, argv0) = load_module(&plan.entry_module, None, plan, fetched)?;
    let imports = plan
        .import_modules
        .iter()
        .map(|m| load_module(&m.location, m.alias.as_deref(), plan, fetched).map(|(m, _)| m))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Modules {
        entry,
        imports,
        argv0,
    })
}

/// The bytes of a module, the names it answers to, and its file name for `argv[0]`:
/// the host file's name for host and local sources (the name the user gave it), else the name
/// the guest sees it by (an inline or downloaded module has no better one).
fn load_module(
    location: &ModuleLocation,
    alias: Option<&str>,
    plan: &Plan,
    fetched: &[Fetched],
) -> Result<(ModuleBytes, String), Error> {
    let (label, file, input) = match location {
        ModuleLocation::Host(path) => (path.display().to_string(), path.clone(), None),
        ModuleLocation::Guest(guest) => {
            // `spec` checks that every module's guest path lies below some Target.
            let (index, host) = host_path(guest, plan, fetched)
                .expect("a module's guest path lies below an input's Target");
            let input = &plan.inputs[index];
            let file = if host.is_dir() {
                fetch::module_in_dir(input, guest, &host)?
            } else {
                host
            };
            (guest.clone(), file, Some(input))
        }
    };
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
    let mut paths = vec![label.as_str(), file_name.as_str()];
    paths.extend(input.map(|i| i.target.as_str()));
    let names = link::names_for(alias, &paths);
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

/// The host path of a guest path below an input's Target (the deepest such Target).
fn host_path(guest: &str, plan: &Plan, fetched: &[Fetched]) -> Option<(usize, PathBuf)> {
    let below = |target: &str| -> Option<String> {
        let rest = guest.strip_prefix(target.trim_end_matches('/'))?;
        (rest.is_empty() || rest.starts_with('/')).then(|| rest.trim_start_matches('/').to_string())
    };
    let (index, rest) = plan
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| below(&input.target).map(|rest| (i, rest)))
        .max_by_key(|(i, _)| plan.inputs[*i].target.len())?;
    let mut path = fetched[index].path.clone();
    for component in rest.split('/').filter(|c| !c.is_empty()) {
        path.push(component);
    }
    Some((index, path))
}
