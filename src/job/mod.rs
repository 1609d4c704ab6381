//! One run of a plan, top to bottom: prepare (environment, publisher, results directory,
//! inputs), load the modules, record what the guest is given (compiling the modules meanwhile
//! on another thread), build what it sees, link, run it on the engine, finish its results,
//! publish them. Each stage is a module of its own and adds what it was doing to its errors;
//! this file only calls them in order.
//!
//! Before the guest starts, any failure, and Ctrl-C or SIGTERM (`cleanup`), leaves nothing
//! behind. Once it has run, its results are never removed: whatever fails while they are
//! finished (a full disk, a tree too large to hash, a signal while hashing), the error says
//! where they are.

mod finish;
mod given;
mod guest;
mod identity;
mod modules;
mod peek;
mod prepare;
mod sources;
mod tape;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use wasi_shim::Interrupt;

use crate::cleanup;
use crate::engine::{self, CannotRun, Deadline, Outcome};
use crate::error::Error;
use crate::fetch;
use crate::link;
use crate::net::Offer;
use crate::receipt::Given;
use crate::signal;
use crate::spec::template::Vars;
use crate::spec::{Origin, Plan};

pub use modules::MAX_MODULE;
pub use peek::portability;
pub use tape::answers;

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
    /// `--no-record`: no tape of the host's answers, even where the run's guest sees some
    /// its content does not fix (README "Recorded runs").
    pub no_record: bool,
    /// `--tape-limit`: the size a tape may reach; else `tape::DEFAULT_LIMIT`.
    pub tape_limit: Option<u64>,
    /// Set by `verify` only: the rerun of a receipt.
    pub rerun: Option<Rerun>,
    /// The template variables the job file read, for the receipt (the plan is already rendered).
    pub template_vars: Vars,
    /// Set when this run is one of a job's partitions run together (`partitions`): they
    /// compile each module once, with this compiler; their guests' output goes to their
    /// results only; and a signal stops them without ending bolinho.
    pub partition_of: Option<Arc<link::Compiler>>,
}

/// How `verify` reruns a receipt's job.
#[derive(Debug, Clone)]
pub struct Rerun {
    /// What the guest must be given (the receipt's modules and inputs); a difference fails
    /// the run before the guest starts. The guest's stdout and stderr stay out of bolinho's
    /// own: `verify` prints its checks.
    pub expect: Given,
    /// The receipt's tape, checked against its hash; the rerun's guest gets its answers.
    pub tape: Option<wasi_shim::Tape>,
    /// The private directory `verify` made for the rerun, removed with the run's own if a
    /// signal ends it before the guest starts.
    pub scratch: PathBuf,
    /// A module run's modules read from these files (a bundle's copies) instead of the
    /// plan's paths, by label: the labels, which the receipt records, stay the plan's.
    pub host_modules: BTreeMap<String, PathBuf>,
    /// The plan the rerun's receipt records: the receipt's, though the rerun never publishes,
    /// and a bundle's replay runs its inputs from copies in its scratch directory.
    pub receipt_plan: Plan,
    /// The receipt says its run was made with `--no-record`; the rerun's says so too.
    pub no_record: bool,
}

/// How a run ended, and where its results are.
#[derive(Debug)]
pub struct Report {
    pub outcome: Outcome,
    pub results: Option<PathBuf>,
    /// Where the publisher put the results besides the local directory (`s3://...`).
    pub published: Option<String>,
    /// The tape the run recorded, or how its replay went.
    pub tape: TapeReport,
}

/// What became of a run's tape.
#[derive(Debug, PartialEq, Eq)]
pub enum TapeReport {
    /// The run recorded nothing: its guest saw nothing its content does not fix, or the run
    /// did not record.
    None,
    /// It recorded this many answers and they are all on its tape.
    Recorded { calls: u64 },
    /// Its tape reached `--tape-limit` after this many answers: the run cannot be verified.
    Incomplete { calls: u64, limit: u64 },
    /// A rerun made exactly the calls of its tape, this many.
    Replayed { calls: u64 },
    /// A rerun departed from its tape.
    Diverged(wasi_shim::Divergence),
}

/// Runs a plan: every step before the guest starts fails cleanly, leaving no results behind.
pub fn run(plan: &Plan, options: &RunOptions) -> Result<Report, Error> {
    let _signals = signal::catch();
    let mut setup = match options.partition_of {
        Some(_) => cleanup::Setup::one_of_several(),
        None => cleanup::Setup::new(),
    };
    let mut prepared = prepare::prepare(plan, options, &mut setup)?;
    let modules = modules::load(plan, &prepared.fetched, options.rerun.as_ref())?;
    let own;
    let compiler = match &options.partition_of {
        Some(shared) => &**shared,
        None => {
            own = link::Compiler::new(engine::new());
            &own
        }
    };
    let (given, ahead) = record_and_compile(plan, &modules, &prepared, options, compiler);
    let mut given = given?;
    // A job's ids follow what its guest is given (every job has a receipt, so `given` holds
    // its hashes); the seed follows the environment, ids included.
    let ids = match (&given, plan.origin) {
        (Some(given), Origin::Job) => Some(identity::derive(plan, given, &prepared.env)),
        _ => None,
    };
    if let Some(ids) = &ids {
        prepared.env = identity::with_ids(std::mem::take(&mut prepared.env), ids);
    }
    let seeding = sources::seeding(plan, &modules.entry.bytes, &prepared.env, options);
    if let Some(given) = &mut given {
        given::settle(given, ids, seeding, options)?;
    }

    // The timeout counts from here: everything is fetched, and the guest is about to be set
    // up and run (its modules, when compiled ahead of this, in the time the hashing took).
    let deadline = Deadline::start(plan.limits.timeout);
    let interrupt = Arc::new(Interrupt::new());
    let taping = tape::start(prepared.results.is_some(), options, &interrupt)?;
    let stopping = guest::Stopping {
        deadline,
        interrupt: &interrupt,
        taping: &taping,
    };
    let guest = guest::build(plan, &modules, &prepared, seeding, stopping, options)?;
    let linked = link::resolve(
        compiler,
        ahead,
        modules.entry,
        modules.imports,
        &guest.wasi,
        &plan.entrypoint,
        &Offer::for_plan(plan),
    )?;
    let (store, linker) = engine::store(
        compiler.engine(),
        guest.wasi,
        guest.net,
        &linked,
        &plan.limits,
    )?;

    // From here a signal stops the guest and keeps its results.
    setup.done().map_err(cleanup::stopped)?;
    let ended = engine::execute(engine::Guest {
        store,
        linker,
        linked,
        limits: plan.limits,
        deadline,
        interrupt,
    })
    .map_err(cannot_run)?;
    let taped = taping.finish();
    let tape = tape_report(&taped, options);
    let recorded_plan = options.rerun.as_ref().map_or(plan, |r| &r.receipt_plan);
    let finished = finish::finish(
        prepared.results,
        guest.saved,
        given,
        recorded_plan,
        &options.template_vars,
        ended,
        taped.for_results(options.rerun.as_ref()),
    )?;
    // Publishing copies the finished directory; a failure keeps it and says where it is.
    let published = match &finished.path {
        Some(path) => prepared.publisher.publish(path, &prepared.env)?,
        None => None,
    };
    Ok(Report {
        outcome: finished.outcome,
        results: finished.path,
        published,
        tape,
    })
}

/// Records what the guest is given (`given::record`), and meanwhile, when that hashes the
/// inputs, compiles the modules on another thread: neither needs the other, and either may
/// be the long one (a large module; many files). A run without results hashes nothing, and
/// its modules compile in `link::resolve`; so do a job's partitions run together, which keep
/// the cores busy already and compile each module once for all of them (a thread each to
/// compile ahead made 64 partitions of the demo job 18% slower).
fn record_and_compile(
    plan: &Plan,
    modules: &modules::Modules,
    prepared: &prepare::Prepared,
    options: &RunOptions,
    compiler: &link::Compiler,
) -> (Result<Option<Given>, Error>, link::Ahead) {
    if prepared.results.is_none() || options.partition_of.is_some() {
        return (
            given::record(plan, modules, prepared, options),
            link::Ahead::default(),
        );
    }
    std::thread::scope(|scope| {
        let compiling =
            scope.spawn(|| link::compile_ahead(compiler, &modules.entry, &modules.imports));
        let given = given::record(plan, modules, prepared, options);
        let ahead = compiling
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (given, ahead)
    })
}

fn tape_report(taped: &tape::Taped, options: &RunOptions) -> TapeReport {
    match taped {
        tape::Taped::NotRecorded | tape::Taped::Nothing => TapeReport::None,
        tape::Taped::Recorded(tape) if tape.is_complete() => TapeReport::Recorded {
            calls: tape.calls(),
        },
        tape::Taped::Recorded(tape) => TapeReport::Incomplete {
            calls: tape.calls(),
            limit: options.tape_limit.unwrap_or(tape::DEFAULT_LIMIT),
        },
        tape::Taped::Replayed(Ok(calls)) => TapeReport::Replayed { calls: *calls },
        tape::Taped::Replayed(Err(divergence)) => TapeReport::Diverged(divergence.clone()),
    }
}

fn cannot_run(error: CannotRun) -> Error {
    match error {
        CannotRun::MemoryLimit(error) => Error::Link(error),
        CannotRun::Engine(error) => Error::Instantiate(error),
        CannotRun::Thread(cause) => Error::host("start the guest's thread", cause),
    }
}
