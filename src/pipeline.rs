//! A run wired in named steps: environment and network, results directory, fetch, modules,
//! what the guest is given, guest filesystem, link, run, results. Each step adds what it was
//! doing to its errors.
//!
//! Before the guest starts, any failure, and Ctrl-C or SIGTERM (`cleanup`), leaves nothing
//! behind. Once it has run, its results are never removed: whatever fails while they are
//! finished (a full disk, a tree too large to hash, a signal while hashing), the error says
//! where they are.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasi_shim::{Access, Clock, Interrupt, WasiCtx, WasiCtxBuilder};

use crate::cleanup;
use crate::determinism;
use crate::error::Error;
use crate::fetch::{self, Cache, FetchError, Fetched, Workspace};
use crate::link::{self, GuestFiles, ModuleBytes};
use crate::net::{self, Net, Offer};
use crate::private;
use crate::publish;
use crate::receipt::{self, Given, TreeError, Walk};
use crate::results::{ResultsDir, ResultsError};
use crate::run::{self, Deadline, Outcome, StopClock};
use crate::signal::{self, Signal};
use crate::spec::{EnvValue, ModuleLocation, Origin, Plan, Source};
use crate::tee::{Live, Saved, Tee};

/// The largest module bolinho reads: the largest download it accepts.
pub const MAX_MODULE: u64 = 1 << 30;

/// What the command line adds to a plan.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
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
    /// Directories the caller made for this run, removed with the run's own if a signal ends
    /// it before the guest starts.
    pub remove_on_signal: Vec<PathBuf>,
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
    let _signals = signal::catch();
    let mut setup = cleanup::Setup::new();
    for path in &options.remove_on_signal {
        setup.remove_on_signal(path);
    }
    let env = resolve_env(plan, &options.allow_env)?;
    let mut net = Net::for_plan(plan).map_err(Error::Setup)?;
    // A publisher that could never publish (ipfs, bad S3 settings) fails before anything runs.
    let publisher = publish::prepare(plan).map_err(Error::Setup)?;
    // Only a setup that materialises sources (downloads, copies) may take long enough for a
    // signal to be worth a thread; otherwise one that comes meanwhile stops the guest as soon
    // as it starts, and the results say so.
    let materialises = materialises(plan, options);
    let watched = if materialises { Some(&mut setup) } else { None };
    let results = claim_results(plan, options, watched)?;
    let scratch = match materialises {
        true => Some(scratch(&mut setup)?),
        false => None,
    };
    let fetched = fetch_inputs(plan, options, scratch.as_ref())?;

    let (entry, argv0) = load_module(&plan.entry_module, None, plan, &fetched)?;
    let imports = plan
        .import_modules
        .iter()
        .map(|m| load_module(&m.location, m.alias.as_deref(), plan, &fetched).map(|(m, _)| m))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(results) = &results {
        results.check_outside(&writable(plan, &fetched))?;
    }
    // What the guest is given, hashed before it runs (a read-write input may change).
    let given = match &results {
        Some(_) => Some(hash_given(plan, &entry, &imports, &env, &fetched, options)?),
        None => None,
    };

    // The timeout counts from here: everything is fetched, and the guest is about to be set
    // up and run.
    let deadline = Deadline::start(plan.limits.timeout);
    let interrupt = Arc::new(Interrupt::new());
    if let Some(net) = &mut net {
        net.stop_with(deadline.map(|d| d.at), Arc::clone(&interrupt));
    }
    let saved = match &results {
        Some(results) => Some(save_output(results, plan.limits.output_bytes)?),
        None => None,
    };
    let sources = determinism::sources(plan, &entry.bytes, &env, options.nondeterministic);
    let clock = stop_clock(sources.clock, deadline, Arc::clone(&interrupt));
    let saving = results.as_ref().zip(saved.as_ref());
    let wasi = guest_context(plan, &argv0, &env, &fetched, saving, options, &interrupt)?
        .random(sources.random)
        .clock(clock)
        .virtual_metadata(!options.nondeterministic)
        .interrupt(Arc::clone(&interrupt))
        .build()
        .map_err(|e| Error::Setup(format!("failed to build the guest filesystem: {e}")))?;
    let engine = run::engine();
    let offer = Offer::for_plan(plan);
    let linked = link::resolve(&engine, entry, imports, &wasi, &plan.entrypoint, &offer)?;
    let mut linker = wasmi::Linker::new(&engine);
    wasi_shim::add_to_linker(&mut linker, |host: &mut run::Host| &mut host.wasi)
        .map_err(Error::Instantiate)?;
    if net.is_some() {
        net::add_to_linker(&mut linker, |host: &run::Host| host.net.as_ref())
            .map_err(Error::Instantiate)?;
    }
    let store = run::new_store(&engine, wasi, net, &plan.limits).map_err(Error::Instantiate)?;
    linked.check_memory_limit(store.data().memory_limit())?;

    // From here a signal stops the guest and keeps its results.
    setup.done();
    let ended = run::execute(run::Guest {
        store,
        linker,
        linked,
        limits: plan.limits,
        deadline,
        interrupt,
    })
    .map_err(|failure| match failure {
        run::Failure::Limit(error) => Error::Link(error),
        run::Failure::Engine(error) => Error::Instantiate(error),
    })?;
    let outcome = ended.outcome;
    // A guest stopped wherever the clock or a signal caught it: its fuel says nothing.
    let fuel_used = match (&outcome, &ended.store) {
        (Outcome::TimedOut(_) | Outcome::Stopped(_), _) | (_, None) => None,
        (_, Some(store)) => run::fuel_used(store, &plan.limits),
    };
    // Dropping the context closes every file the guest left open; the live copies of its
    // output are flushed (they never fail a run).
    if let Some(mut store) = ended.store {
        let _ = store.data_mut().wasi.flush();
    }
    let results = match (results, saved, given) {
        (Some(results), Some(saved), Some(given)) => {
            let finished = Finished {
                outcome: &outcome,
                fuel_used,
            };
            Some(finish(results, saved, given, plan, finished)?)
        }
        _ => None,
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
        Error::Setup(format!(
            "failed to create a scratch directory in {}: {e}",
            std::env::temp_dir().display()
        ))
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
            std::fs::create_dir(&dir)
                .map_err(|e| Error::Setup(format!("failed to create a scratch directory: {e}")))?;
            dir
        }
        // No source materialises anything.
        None => PathBuf::new(),
    };
    let context = fetch::Context {
        workspace: Workspace::new(workspace),
        cache: Cache::open(cache_root),
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

/// What a receipt records of what the guest was given. For `verify`, the walk stops as soon
/// as it finds more than the receipt lists: a receipt naming a huge directory is refused
/// without reading it all.
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
    let limit = match &options.expect {
        Some(expected) => expected.inputs.len() + 1,
        None => receipt::MAX_ENTRIES,
    };
    let stop = || signal::received().is_some();
    let mut walk = Walk::new(limit, &stop);
    let mut inputs = BTreeMap::new();
    for (input, fetched) in plan.inputs.iter().zip(fetched) {
        walk.hash(&fetched.path, &input.target, &mut inputs)
            .map_err(|e| match e {
                TreeError::Stopped => stopped_before_the_guest(),
                TreeError::TooMany { .. } if options.expect.is_some() => Error::Verify(format!(
                    "the job's sources differ from the receipt, so it was not run: {} holds \
                     more files than the receipt records",
                    input.target
                )),
                other => Error::Fetch(FetchError {
                    input: input.field.clone(),
                    source: input.target.clone(),
                    message: format!("failed to hash it for the receipt: {other}"),
                }),
            })?;
    }
    let given = Given {
        determinism,
        modules,
        inputs,
    };
    if let Some(expected) = &options.expect {
        let changes = given.changes(expected);
        if !changes.is_empty() {
            return Err(Error::Verify(format!(
                "the job's sources differ from the receipt, so it was not run: {}",
                changes.join("; ")
            )));
        }
    }
    Ok(given)
}

/// A signal caught before the guest started: the run ends, and everything it made goes (as
/// `cleanup` does when it catches one while sources are materialised).
fn stopped_before_the_guest() -> Error {
    let signal = signal::received().unwrap_or(Signal::Interrupt);
    Error::Stopped {
        signal,
        message: cleanup::stopped(signal),
    }
}

/// The saved copies of the guest's stdout and stderr, each capped at `limit` bytes.
fn save_output(results: &ResultsDir, limit: u64) -> Result<[(&'static str, Saved); 2], Error> {
    let saved = |name: &'static str| -> Result<(&'static str, Saved), Error> {
        let file = results.create_file(name)?;
        let marker = format!("{name}.truncated");
        Ok((name, Saved::new(file, limit, results.opener()?, marker)))
    };
    Ok([saved("stdout")?, saved("stderr")?])
}

/// How the guest ended, for its results.
struct Finished<'a> {
    outcome: &'a Outcome,
    fuel_used: Option<u64>,
}

/// Finishes the results directory of a guest that has run: its saved output, its receipt,
/// `exitCode`, everything moved into place. Nothing is removed whatever fails: the directory
/// is finished without what could not be written, or left in staging, and the error says so.
fn finish(
    mut results: ResultsDir,
    saved: [(&'static str, Saved); 2],
    given: Given,
    plan: &Plan,
    finished: Finished<'_>,
) -> Result<PathBuf, Error> {
    results.start();
    let mut problems = Vec::new();
    for (name, saved) in &saved {
        if let Err(e) = saved.finish() {
            problems.push(format!("failed to write {name} whole: {e}"));
        }
    }
    // A receipt vouches for complete results only.
    let mut stopped = None;
    if problems.is_empty() {
        match write_receipt(given, plan, &results, &finished) {
            Ok(()) => {}
            Err(ReceiptError::Stopped) => stopped = signal::received(),
            Err(ReceiptError::Failed(problem)) => problems.push(problem),
        }
    }
    let path = results.finish(exit_status(finished.outcome))?;
    if let Some(signal) = stopped {
        return Err(Error::Stopped {
            signal,
            message: format!(
                "stopped by {} while hashing the results; they are in {}, without {}",
                signal.name(),
                path.display(),
                receipt::FILE
            ),
        });
    }
    if !problems.is_empty() {
        return Err(Error::Results(ResultsError {
            path: path.clone(),
            action: "finish",
            cause: io::Error::other(format!(
                "{}; the rest of the results are in place, without {}",
                problems.join("; "),
                receipt::FILE
            )),
        }));
    }
    Ok(path)
}

enum ReceiptError {
    /// A signal stopped the hashing.
    Stopped,
    /// What could not be hashed or written.
    Failed(String),
}

/// Writes `receipt.json` into the staging directory, hashing what the guest produced.
fn write_receipt(
    given: Given,
    plan: &Plan,
    results: &ResultsDir,
    finished: &Finished<'_>,
) -> Result<(), ReceiptError> {
    // A signal that stopped the guest has had its effect; only a new one stops the hashing
    // (a second one of the same kind ends bolinho at once, as it always does).
    let guest_stopped = matches!(finished.outcome, Outcome::Stopped(_));
    let stop = || !guest_stopped && signal::received().is_some();
    let mut walk = Walk::new(receipt::MAX_ENTRIES, &stop);
    let mut hashes = BTreeMap::new();
    let staging = results.staging_path();
    let mut hash = |name: &str| match walk.hash(&staging.join(name), name, &mut hashes) {
        Ok(()) => Ok(()),
        Err(TreeError::Stopped) => Err(ReceiptError::Stopped),
        Err(e) => Err(ReceiptError::Failed(format!("failed to hash {name}: {e}"))),
    };
    for name in ["stdout", "stderr"] {
        hash(name)?;
        // Truncation is part of the result: a rerun that kept more or less must not match.
        let marker = format!("{name}.truncated");
        if staging.join(&marker).exists() {
            hash(&marker)?;
        }
    }
    for output in &plan.outputs {
        hash(&output.name)?;
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
        outcome: finished.outcome.into(),
        exit_code: exit_status(finished.outcome),
        fuel_used: finished.fuel_used,
    };
    results
        .write_file(receipt::FILE, receipt.to_json().as_bytes())
        .map_err(|e| ReceiptError::Failed(e.to_string()))
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

/// The guest's view: argv, environment, stdio and the mounts composing `/`; the run adds its
/// clock and random source.
fn guest_context(
    plan: &Plan,
    argv0: &str,
    env: &[(String, String)],
    fetched: &[Fetched],
    saving: Option<(&ResultsDir, &[(&'static str, Saved); 2])>,
    options: &RunOptions,
    interrupt: &Arc<Interrupt>,
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
    for output in &plan.outputs {
        let Some((results, _)) = saving else { break };
        builder = builder.mount(
            &output.path,
            results.create_output_dir(&output.name)?,
            Access::ReadWrite,
        );
    }
    let (stdout, stderr) = match saving {
        Some((_, [(_, stdout), (_, stderr)])) => (Some(stdout.clone()), Some(stderr.clone())),
        None => (None, None),
    };
    let interrupt = || Arc::clone(interrupt);
    builder = if options.quiet {
        builder
            .stdout(Box::new(Tee::new(io::sink(), stdout, interrupt())))
            .stderr(Box::new(Tee::new(io::sink(), stderr, interrupt())))
    } else {
        builder
            .stdout(Box::new(Tee::new(Live(io::stdout()), stdout, interrupt())))
            .stderr(Box::new(Tee::new(Live(io::stderr()), stderr, interrupt())))
    };
    builder = builder.preopen_root(plan.preopen_root);
    if plan.origin == Origin::Module {
        builder = builder.stdin(Box::new(io::stdin()));
    }
    Ok(builder)
}

/// The guest's clock: virtual (its sleeps take no real time), or the host's with sleeps that
/// end at the deadline; either way one whose cut sleep, or a caught signal, ends the guest's
/// host call. The timeout itself is measured in real time by `run`, whatever the guest's clock.
fn stop_clock(
    clock: determinism::Clock,
    deadline: Option<Deadline>,
    interrupt: Arc<Interrupt>,
) -> Box<dyn Clock + Send> {
    match clock {
        determinism::Clock::Virtual(clock) => Box::new(StopClock::virtual_time(clock, interrupt)),
        determinism::Clock::Host(clock) => {
            Box::new(StopClock::real(clock, deadline.map(|d| d.at), interrupt))
        }
    }
}

impl GuestFiles for WasiCtx {
    fn read(&self, guest_path: &str) -> Option<Vec<u8>> {
        self.read_file(guest_path).ok()
    }
}
