//! The first stage of a run: everything the guest needs that is not the guest's own, made
//! ready before any module is loaded. The environment with its host variables, the
//! publisher, the results directory, a private scratch directory when sources materialise,
//! and every input brought onto the host.
//!
//! Owns: the order of those steps, so that what can fail without leaving anything behind
//! (the environment, the publisher) fails first. Must not load or run modules.

use std::path::{Path, PathBuf};

use super::RunOptions;
use crate::cleanup;
use crate::error::Error;
use crate::fetch::{self, Cache, Fetched, Workspace};
use crate::private;
use crate::publish;
use crate::results::ResultsDir;
use crate::spec::{EnvValue, Origin, Plan, Source};

/// What the rest of the run is given by `prepare`.
pub struct Prepared {
    /// The guest's environment, with `env:NAME` values read from the host.
    pub env: Vec<(String, String)>,
    pub publisher: publish::Prepared,
    /// The claimed results directory: always for a job, for a module run only when asked.
    pub results: Option<ResultsDir>,
    /// Each input of the plan, in order, where it is on the host.
    pub fetched: Vec<Fetched>,
    /// Where sources materialised, removed when the run ends.
    _scratch: Option<private::TempDir>,
}

/// Prepares a run of `plan`: see the module's documentation. `setup` learns what it made, to
/// remove it if a signal comes before the guest starts.
pub fn prepare(
    plan: &Plan,
    options: &RunOptions,
    setup: &mut cleanup::Setup,
) -> Result<Prepared, Error> {
    if let Some(rerun) = &options.rerun {
        setup.remove_on_signal(&rerun.scratch);
    }
    let env = resolve_env(plan, &options.allow_env)?;
    // A publisher that could never publish (bad S3 settings) fails before anything runs.
    let publisher = publish::prepare(plan).map_err(|e| Error::host("prepare the publisher", e))?;
    // Only a setup that materialises sources (downloads, copies) may take long enough for a
    // signal to be worth a thread; otherwise one that comes meanwhile stops the guest as soon
    // as it starts, and the results say so.
    let materialises = materialises(plan, options);
    let watched = if materialises {
        Some(&mut *setup)
    } else {
        None
    };
    let results = claim_results(plan, options, watched)?;
    let scratch = match materialises {
        true => Some(scratch(setup)?),
        false => None,
    };
    let fetched = fetch_inputs(plan, options, scratch.as_ref())?;
    if let Some(results) = &results {
        results.check_outside(&writable(plan, &fetched))?;
    }
    Ok(Prepared {
        env,
        publisher,
        results,
        fetched,
        _scratch: scratch,
    })
}

/// The environment, with `env:NAME` values read from the host only where allowed.
fn resolve_env(plan: &Plan, allowed: &[String]) -> Result<Vec<(String, String)>, Error> {
    // `--env NAME` on a module run is itself the user's permission to pass NAME through.
    let may_read = |host: &str| plan.origin == Origin::Module || allowed.iter().any(|a| a == host);
    plan.env
        .iter()
        .map(|var| match &var.value {
            EnvValue::Literal(value) => Ok((var.name.clone(), value.clone())),
            EnvValue::FromHost(host) if may_read(host) => match std::env::var(host) {
                Ok(value) => Ok((var.name.clone(), value)),
                Err(e) => Err(Error::host(
                    format!(
                        "read the host's {host} for environment variable {}",
                        var.name
                    ),
                    e,
                )),
            },
            EnvValue::FromHost(host) => Err(Error::NotAllowed(format!(
                "environment variable {}: `env:{host}` reads the host's {host}; \
                 pass --allow-env {host} to allow it",
                var.name
            ))),
        })
        .collect()
}

/// Claims the results directory: always for a job, for a module run only when asked to.
fn claim_results(
    plan: &Plan,
    options: &RunOptions,
    setup: Option<&mut cleanup::Setup>,
) -> Result<Option<ResultsDir>, Error> {
    let results = match (plan.origin, &options.results) {
        (Origin::Job, requested) => ResultsDir::claim(requested.as_deref(), &plan.name)?,
        (Origin::Module, Some(dir)) => ResultsDir::claim(Some(dir), &plan.name)?,
        (Origin::Module, None) => return Ok(None),
    };
    if let Some(setup) = setup {
        if let Some(parent) = results.made_parent() {
            setup.remove_if_empty_on_signal(parent);
        }
        for path in results.made() {
            setup.remove_on_signal(&path);
        }
    }
    Ok(Some(results))
}

/// Whether some source is materialised on the host (a download, an archive, a private copy):
/// the run then needs a scratch directory, and may take a while before its guest starts.
fn materialises(plan: &Plan, options: &RunOptions) -> bool {
    plan.inputs.iter().any(|input| match input.source {
        Source::Local { read_write, .. } => read_write && options.fetch.private_writes,
        _ => true,
    })
}

/// A private scratch directory for what sources materialise.
fn scratch(setup: &mut cleanup::Setup) -> Result<private::TempDir, Error> {
    let scratch = private::TempDir::new("bolinho-").map_err(|e| {
        let dir = std::env::temp_dir();
        Error::host(
            format!("create a scratch directory in {}", dir.display()),
            e,
        )
    })?;
    setup.remove_on_signal(scratch.path());
    Ok(scratch)
}

/// Brings every input onto the host.
fn fetch_inputs(
    plan: &Plan,
    options: &RunOptions,
    scratch: Option<&private::TempDir>,
) -> Result<Vec<Fetched>, Error> {
    let cache_root = match (&options.cache_dir, Cache::default_root(), scratch) {
        (Some(dir), _, _) => dir.clone(),
        (None, Some(dir), _) => dir,
        // Without a home directory, downloads are kept for this run only.
        (None, None, Some(scratch)) => scratch.path().join("cache"),
        (None, None, None) => PathBuf::new(),
    };
    let workspace = match scratch {
        Some(scratch) => {
            let dir = scratch.path().join("inputs");
            std::fs::create_dir(&dir).map_err(|e| {
                Error::host(format!("create a scratch directory {}", dir.display()), e)
            })?;
            dir
        }
        // No source materialises anything.
        None => PathBuf::new(),
    };
    let context = fetch::Context {
        workspace: Workspace::new(workspace),
        cache: match options.partition_of {
            Some(_) => Cache::open(cache_root).stopping_on_signal(),
            None => Cache::open(cache_root),
        },
        options: options.fetch.clone(),
    };
    let fetched = plan
        .inputs
        .iter()
        .enumerate()
        .map(|(index, input)| fetch::fetch(input, index, &context))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(fetched)
}

/// The host paths the guest may write to, each with the field that names it.
fn writable<'a>(plan: &'a Plan, fetched: &'a [Fetched]) -> Vec<(&'a str, &'a Path)> {
    plan.inputs
        .iter()
        .zip(fetched)
        .filter(|(_, fetched)| fetched.writable)
        .map(|(input, fetched)| (input.field.as_str(), fetched.path.as_path()))
        .collect()
}
