//! A run wired in named steps: environment and network, results directory, fetch, guest
//! filesystem, link, run, results. Each step adds what it was doing to its errors.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::PathBuf;

use wasi_shim::{Access, Clock, WasiCtx, WasiCtxBuilder};

use crate::determinism;
use crate::error::Error;
use crate::fetch::{self, Cache, FetchError, Fetched, Workspace};
use crate::link::{self, GuestFiles, ModuleBytes};
use crate::net::{self, Net, Offer};
use crate::publish;
use crate::receipt::{self, Given};
use crate::results::{ResultsDir, ResultsError};
use crate::run::{self, Outcome};
use crate::signal;
use crate::spec::{EnvValue, ModuleLocation, Origin, Plan, Source};
use crate::tee::{Saved, Tee};

/// The default cap on each of the `stdout` and `stderr` results files: 1 GB, as Bacalhau.
pub const DEFAULT_OUTPUT_LIMIT: u64 = 1_000_000_000;

/// What the command line adds to a plan.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// `--output-limit SIZE`: the most bytes each of `stdout` and `stderr` keeps.
    pub output_limit: u64,
    /// `--results DIR`.
    pub results: Option<PathBuf>,
    /// `--allow-env NAME`: host variables an `env:NAME` value may read.
    pub allow_env: Vec<String>,
    /// `--cache-dir DIR`; else the default cache directory.
    pub cache_dir: Option<PathBuf>,
    pub fetch: fetch::Options,
    /// `--nondeterministic`: the host's clocks and OS randomness instead of the virtual clock
    /// and seeded random bytes (README "Determinism").
    pub nondeterministic: bool,
    /// `verify`: what the guest must be given (a receipt's modules and inputs); a difference
    /// fails the run before the guest starts.
    pub expect: Option<receipt::Given>,
    /// Keep the guest's stdout and stderr out of bolinho's own (`verify` prints its checks).
    pub quiet: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            output_limit: DEFAULT_OUTPUT_LIMIT,
            results: None,
            allow_env: Vec::new(),
            cache_dir: None,
            fetch: fetch::Options::default(),
            nondeterministic: false,
            expect: None,
            quiet: false,
        }
    }
}

/// How a run ended, and where its results are.
#[derive(Debug)]
pub struct Report {
    pub outcome: Outcome,
    pub results: Option<PathBuf>,
    /// Where the publisher put the results besides the local directory (`s3://...`).
    pub published: Option<String>,
}

/// Runs a plan: every step before the guest starts fails cleanly, leaving no results behind.
pub fn run(plan: &Plan, options: &RunOptions) -> Result<Report, Error> {
    let env = resolve_env(plan, &options.allow_env)?;
    let mut net = Net::for_plan(plan).map_err(Error::Setup)?;
    // A publisher that could never publish (ipfs, bad S3 settings) fails before anything runs.
    let publisher = publish::prepare(plan).map_err(Error::Setup)?;
    // Jobs always save results; a bare module run only when asked to.
    let results = match (plan.origin, &options.results) {
        (Origin::Job, requested) => Some(ResultsDir::create(requested.as_deref(), &plan.name)?),
        (Origin::Module, Some(dir)) => Some(ResultsDir::create(Some(dir), &plan.name)?),
        (Origin::Module, None) => None,
    };
    let scratch = Scratch::create()?;
    let cache_root = match &options.cache_dir {
        Some(dir) => dir.clone(),
        // Without a home directory, downloads are kept for this run only.
        None => Cache::default_root().unwrap_or_else(|| scratch.0.join("cache")),
    };
    let context = fetch::Context {
        workspace: Workspace::new(scratch.0.join("inputs")),
        cache: Cache::open(cache_root),
        options: options.fetch.clone(),
    };
    fs::create_dir(context.workspace.dir())
        .map_err(|e| Error::Setup(format!("failed to create a scratch directory: {e}")))?;
    let fetched = plan
        .inputs
        .iter()
        .enumerate()
        .map(|(index, input)| fetch::fetch(input, index, &context))
        .collect::<Result<Vec<_>, _>>()?;

    let (entry, argv0) = load_module(&plan.entry_module, None, plan, &fetched)?;
    let imports = plan
        .import_modules
        .iter()
        .map(|m| load_module(&m.location, m.alias.as_deref(), plan, &fetched).map(|(m, _)| m))
        .collect::<Result<Vec<_>, _>>()?;

    // What the guest is given, hashed before it runs (a read-write input may change).
    let given = match &results {
        Some(_) => Some(hash_given(plan, &entry, &imports, &env, &fetched, options)?),
        None => None,
    };
    if let (Some(expected), Some(given)) = (&options.expect, &given) {
        let changes = given.changes(expected);
        if !changes.is_empty() {
            return Err(Error::Verify(format!(
                "the job's sources differ from the receipt, so it was not run: {}",
                changes.join("; ")
            )));
        }
    }

    // The timeout counts from here: everything is fetched, and the guest is about to be set
    // up and run.
    let deadline = run::Deadline::start(&plan.limits);
    if let (Some(net), Some(deadline)) = (&mut net, deadline) {
        net.end_by(deadline.at);
    }
    let sources = determinism::sources(plan, &entry.bytes, &env, options.nondeterministic);
    let wasi = guest_context(plan, &argv0, &env, &fetched, results.as_ref(), options)?
        .random(sources.random)
        .clock(stop_clock(sources.clock, deadline))
        .virtual_metadata(!options.nondeterministic)
        .build()
        .map_err(|e| Error::Setup(format!("failed to build the guest filesystem: {e}")))?;
    let engine = run::engine();
    let offer = Offer::for_plan(plan);
    let linked = link::resolve(&engine, entry, imports, &wasi, &plan.entrypoint, &offer)?;
    let mut linker = wasmi::Linker::new(&engine);
    wasi_shim::add_to_linker(&mut linker, |host: &mut run::Host| &mut host.wasi)
        .map_err(Error::Instantiate)?;
    if net.is_some() {
        net::add_to_linker(&mut linker).map_err(Error::Instantiate)?;
    }
    if let Some(pages) = plan.limits.memory_pages() {
        linked.check_memory_limit(pages)?;
    }
    let mut store = run::new_store(&engine, wasi, net, &plan.limits).map_err(Error::Instantiate)?;

    // From here to the guest's end, Ctrl-C and SIGTERM stop the guest and keep its results.
    let catching = signal::catch();
    let mut start_up = |store: &mut _, func| run::call(store, func, &plan.limits, deadline);
    let pages = plan.limits.memory_pages();
    let outcome = match linked.instantiate(&mut store, &mut linker, pages, &mut start_up) {
        Ok(entrypoint) => run::call(&mut store, entrypoint, &plan.limits, deadline)
            .map(|ended| ended.unwrap_or(Outcome::Exited(0))),
        Err(link::Instantiation::Ended(outcome)) => Ok(outcome),
        Err(link::Instantiation::Guest(error)) => run::classify(error, deadline),
        Err(link::Instantiation::Limit(error)) => return Err(error.into()),
    }
    .map_err(Error::Instantiate)?;
    drop(catching);

    // A guest stopped wherever the clock or a signal caught it: its fuel says nothing.
    let fuel_used = match outcome {
        Outcome::TimedOut(_) | Outcome::Stopped(_) => None,
        _ => run::fuel_used(&store, &plan.limits),
    };
    // Dropping the context closes every file the guest left open, before the rename.
    let flushed = store.into_data().wasi.flush();
    let results = match results {
        Some(results) => {
            let path = results.path().to_path_buf();
            flushed.map_err(|cause| ResultsError {
                path,
                action: "write",
                cause,
            })?;
            if let Some(given) = given {
                write_receipt(given, plan, &results, &outcome, fuel_used)?;
            }
            Some(results.finish(exit_status(&outcome))?)
        }
        None => None,
    };
    // Publishing copies the finished directory; a failure keeps it and says where it is.
    let published = match &results {
        Some(path) => publisher.publish(path)?,
        None => None,
    };
    Ok(Report {
        outcome,
        results,
        published,
    })
}

/// The number recorded in `exitCode`: the guest's status, or bolinho's code for how it was
/// ended.
fn exit_status(outcome: &Outcome) -> i32 {
    match outcome {
        Outcome::Exited(status) => *status,
        _ => crate::exit::outcome_code(outcome).into(),
    }
}

/// What a receipt records of what the guest was given.
fn hash_given(
    plan: &Plan,
    entry: &ModuleBytes,
    imports: &[ModuleBytes],
    env: &[(String, String)],
    fetched: &[Fetched],
    options: &RunOptions,
) -> Result<Given, Error> {
    let determinism = if options.nondeterministic {
        receipt::Determinism::Nondeterministic(true)
    } else {
        let (epoch_ns, seed) = determinism::settings(plan, &entry.bytes, env);
        receipt::Determinism::Virtual {
            epoch_ns,
            tick_ns: wasi_shim::VirtualClock::DEFAULT_TICK_NS,
            seed,
        }
    };
    let modules = std::iter::once(entry)
        .chain(imports)
        .map(|m| (m.label.clone(), receipt::sha256(&m.bytes)))
        .collect();
    let mut inputs = BTreeMap::new();
    for (input, fetched) in plan.inputs.iter().zip(fetched) {
        receipt::hash_tree(&fetched.path, &input.target, &mut inputs)
            .map_err(|e| Error::Setup(format!("failed to hash input {}: {e}", input.target)))?;
    }
    Ok(Given {
        determinism,
        modules,
        inputs,
    })
}

/// Writes `receipt.json` into the staging directory, hashing what the guest produced.
fn write_receipt(
    given: Given,
    plan: &Plan,
    results: &ResultsDir,
    outcome: &Outcome,
    fuel_used: Option<u64>,
) -> Result<(), Error> {
    let failed = |path: PathBuf| {
        move |cause| ResultsError {
            path,
            action: "write",
            cause,
        }
    };
    let mut hashes = BTreeMap::new();
    for name in ["stdout", "stderr"] {
        let path = results.staging_path(name);
        receipt::hash_tree(&path, name, &mut hashes).map_err(failed(path))?;
        // Truncation is part of the result: a rerun that kept more or less must not match.
        let marker = format!("{name}.truncated");
        let path = results.staging_path(&marker);
        if path.exists() {
            receipt::hash_tree(&path, &marker, &mut hashes).map_err(failed(path))?;
        }
    }
    for output in &plan.outputs {
        let path = results.staging_path(&output.name);
        receipt::hash_tree(&path, &output.name, &mut hashes).map_err(failed(path))?;
    }
    let receipt = receipt::Receipt {
        bolinho: env!("CARGO_PKG_VERSION"),
        wasmi: receipt::WASMI_VERSION,
        plan,
        determinism: given.determinism,
        limits: plan.limits,
        modules: given.modules,
        inputs: given.inputs,
        results: hashes,
        outcome: outcome.into(),
        exit_code: exit_status(outcome),
        fuel_used,
    };
    let path = results.staging_path(receipt::FILE);
    fs::write(&path, receipt.to_json()).map_err(failed(path))?;
    Ok(())
}

/// Step 1: the environment, with `env:NAME` values read from the host only where allowed.
fn resolve_env(plan: &Plan, allowed: &[String]) -> Result<Vec<(String, String)>, Error> {
    // `--env NAME` on a module run is itself the user's permission to pass NAME through.
    let may_read = |host: &str| plan.origin == Origin::Module || allowed.iter().any(|a| a == host);
    plan.env
        .iter()
        .map(|var| match &var.value {
            EnvValue::Literal(value) => Ok((var.name.clone(), value.clone())),
            EnvValue::FromHost(host) if may_read(host) => match std::env::var(host) {
                Ok(value) => Ok((var.name.clone(), value)),
                Err(_) => Err(Error::Setup(format!(
                    "environment variable {}: the host has no variable {host} to pass on",
                    var.name
                ))),
            },
            EnvValue::FromHost(host) => Err(Error::Setup(format!(
                "environment variable {}: `env:{host}` reads the host's {host}; \
                 pass --allow-env {host} to allow it",
                var.name
            ))),
        })
        .collect()
}

/// Step 3: the bytes of a module, the names it answers to, and its file name for `argv[0]`:
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
            let (index, host) = host_path(guest, plan, fetched).ok_or_else(|| {
                Error::Setup(format!("module {guest} is not below any input's Target"))
            })?;
            let input = &plan.inputs[index];
            let file = if host.is_dir() {
                fetch::module_in_dir(input, guest, &host)?
            } else {
                host
            };
            (guest.clone(), file, Some(input))
        }
    };
    let bytes = fs::read(&file).map_err(|e| {
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
    let local = input.is_none_or(|i| matches!(i.source, Source::Local { .. }));
    let argv0 = if local || file_name.ends_with(".wasm") && !label.ends_with(".wasm") {
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

/// Step 4: the guest's view: argv, environment, stdio and the mounts composing `/`; the run
/// adds its clock and random source.
fn guest_context(
    plan: &Plan,
    argv0: &str,
    env: &[(String, String)],
    fetched: &[Fetched],
    results: Option<&ResultsDir>,
    options: &RunOptions,
) -> Result<WasiCtxBuilder, Error> {
    let mut builder = WasiCtxBuilder::new().arg(argv0);
    for arg in &plan.args {
        builder = builder.arg(arg.as_str());
    }
    for (name, value) in env {
        builder = builder.env(name.as_str(), value.as_str());
    }
    for (input, fetched) in plan.inputs.iter().zip(fetched) {
        let access = if fetched.writable {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        };
        builder = builder.mount(&input.target, fetched.path.clone(), access);
    }
    let (stdout, stderr) = match results {
        Some(results) => {
            let saved = |name: &str| -> Result<Saved, Error> {
                let file = results.create_file(name)?;
                let marker = results.staging_path(&format!("{name}.truncated"));
                Ok(Saved::new(file, options.output_limit, marker))
            };
            (Some(saved("stdout")?), Some(saved("stderr")?))
        }
        None => (None, None),
    };
    for output in &plan.outputs {
        let Some(results) = results else { break };
        builder = builder.mount(
            &output.path,
            results.create_output_dir(&output.name)?,
            Access::ReadWrite,
        );
    }
    builder = if options.quiet {
        builder
            .stdout(Box::new(Tee::new(io::sink(), stdout)))
            .stderr(Box::new(Tee::new(io::sink(), stderr)))
    } else {
        builder
            .stdout(Box::new(Tee::new(io::stdout(), stdout)))
            .stderr(Box::new(Tee::new(io::stderr(), stderr)))
    };
    builder = builder.preopen_root(plan.preopen_root);
    if plan.origin == Origin::Module {
        builder = builder.stdin(Box::new(io::stdin()));
    }
    Ok(builder)
}

/// The guest's clock: virtual (its sleeps take no real time), or the host's with sleeps that
/// end at the deadline; either way one that ends the guest's host call on a caught signal. The
/// timeout itself is measured in real time by `run::call`, whatever the guest's clock.
fn stop_clock(clock: determinism::Clock, deadline: Option<run::Deadline>) -> Box<dyn Clock> {
    match clock {
        determinism::Clock::Virtual(clock) => Box::new(run::StopClock::virtual_time(clock)),
        determinism::Clock::Host(clock) => {
            Box::new(run::StopClock::real(clock, deadline.map(|d| d.at)))
        }
    }
}

impl GuestFiles for WasiCtx {
    fn read(&self, guest_path: &str) -> Option<Vec<u8>> {
        self.read_file(guest_path).ok()
    }
}

/// A scratch directory for materialised sources, removed when the run ends however it ends.
struct Scratch(PathBuf);

impl Scratch {
    fn create() -> Result<Scratch, Error> {
        let base = std::env::temp_dir();
        for n in 0u32.. {
            let path = base.join(format!("bolinho-{}-{n}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(Scratch(path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(Error::Setup(format!(
                        "failed to create a scratch directory in {}: {e}",
                        base.display()
                    )));
                }
            }
        }
        unreachable!("u32 scratch names exhausted")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
