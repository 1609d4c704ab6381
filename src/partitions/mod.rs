//! A job's partitions run together: `Count: N` without `--partition` is N runs of the job in
//! this process, partition I told `BACALHAU_PARTITION_INDEX=I`, at most `parallel` at a time,
//! each a whole `job::run` with its own execution id, results and receipt in
//! `<results>/partitions/I/`, and a `summary.json` of them all beside.
//!
//! Owns: the job's results directory (claimed as one run's is, and finished last, its
//! `exitCode` the job's), and the job's exit code: that of its first failing partition. The
//! threads, and the order in which each partition's end is handed back (by index, whatever
//! order they end in), are `pool`'s, which `verify` reruns partitions with too. Must not print
//! (the caller's `ended` does) or look into a partition's run: the partitions share a compiler
//! (each module compiled once) and otherwise nothing.

mod parallel;
pub mod pool;
mod summary;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cleanup;
use crate::engine;
use crate::error::Error;
use crate::job::{self, Report, RunOptions};
use crate::link::Compiler;
use crate::results::ResultsDir;
use crate::signal;
use crate::spec::{self, Plan};

pub use parallel::default_parallel;
pub use summary::SUMMARY;

/// The folder of the partitions' results directories, in the job's.
pub const PARTITIONS: &str = "partitions";

/// How a job's partitions ended.
pub struct Partitioned {
    /// The job's results directory.
    pub dir: PathBuf,
    /// The exit code of the first failing partition, 0 if none failed.
    pub code: u8,
    /// The first failing partition, by index.
    pub failed: Option<u64>,
    /// Partitions a signal kept from starting.
    pub not_run: u64,
}

/// How one partition ended: its run's report or error, or nothing when a signal came first.
pub type Ended = Option<Result<Report, Error>>;

/// Runs partitions 0 to `count - 1` of `plan`, `parallel` (1 to `count`) at a time. `ended`
/// is called for each partition in index order, as soon as it and every one before it have
/// ended, with its results directory's final path. Fails as a single run would when no
/// partition left results (every one failed before its guest started): with the first one's
/// error.
pub fn run(
    plan: &Plan,
    count: u64,
    parallel: usize,
    options: &RunOptions,
    ended: &mut dyn FnMut(u64, &Path, &Ended),
) -> Result<Partitioned, Error> {
    // Held for the whole job, so that a signal caught between two partitions' runs is not
    // forgotten when the next one starts.
    let _signals = signal::catch();
    let root = ResultsDir::claim(options.results.as_deref(), &plan.name)?;
    let folder = root.create_output_dir(PARTITIONS)?;
    let compiler = Arc::new(Compiler::shared(engine::new()));
    let final_dir = |index: u64| root.path().join(PARTITIONS).join(index.to_string());
    let work = |index: u64| {
        let mut plan = plan.clone();
        spec::partition::set(&mut plan, index);
        let results = folder.join(index.to_string());
        let options = RunOptions {
            results: Some(results.clone()),
            partition_of: Some(Arc::clone(&compiler)),
            fetch: crate::fetch::Options {
                // Several progress lines would overwrite each other.
                progress: false,
                ..options.fetch.clone()
            },
            ..options.clone()
        };
        job::run(&plan, &options).map_err(|error| stopped_before_its_guest(error, &results))
    };
    let mut ends: Vec<Ended> = Vec::new();
    pool::in_index_order(count, parallel, &work, &mut |index, end| {
        ended(index, &final_dir(index), &end);
        ends.push(end);
    })
    .map_err(|e| Error::host("start a thread for the job's partitions", e))?;
    finish(root, &folder, plan, ends)
}

/// Writes the summary and finishes the job's directory; or, when no partition left results,
/// removes it and gives back the first partition's error.
fn finish(
    mut root: ResultsDir,
    folder: &Path,
    plan: &Plan,
    ends: Vec<Ended>,
) -> Result<Partitioned, Error> {
    // A run removes its results directory when it fails before its guest starts, and never
    // once it has started.
    let has_results: Vec<bool> = (0..ends.len())
        .map(|index| folder.join(index.to_string()).exists())
        .collect();
    if !has_results.contains(&true) {
        let first = ends.into_iter().flatten().find_map(Result::err);
        // None ran: a signal came before any started.
        return Err(first.unwrap_or_else(|| cleanup::stopped(caught())));
    }
    root.start();
    let codes: Vec<Option<u8>> = ends.iter().map(code).collect();
    let failed = codes.iter().position(|code| *code != Some(0));
    let code = failed.map_or(0, |i| codes[i].unwrap_or_else(stopped_code));
    let summary = summary::write(plan, &ends, &codes, &has_results, code);
    root.write_file(SUMMARY, summary.as_bytes())?;
    let dir = root.finish(code.into())?;
    Ok(Partitioned {
        dir,
        code,
        failed: failed.map(|i| i as u64),
        not_run: ends.iter().filter(|end| end.is_none()).count() as u64,
    })
}

/// A partition that failed without results after a signal was stopped by it, whatever its
/// setup was doing when it noticed (a download, say).
fn stopped_before_its_guest(error: Error, results: &Path) -> Error {
    match signal::received() {
        Some(signal) if !results.exists() => cleanup::stopped(signal),
        _ => error,
    }
}

/// The exit code a partition's run would have given as the only run: `None` if it never ran.
fn code(end: &Ended) -> Option<u8> {
    match end {
        Some(Ok(report)) => Some(crate::exit::outcome_code(&report.outcome)),
        Some(Err(error)) => Some(error.failure().code()),
        None => None,
    }
}

/// A partition a signal kept from running fails the job as the signal would have.
fn stopped_code() -> u8 {
    caught().failure().code()
}

/// The signal that stopped the job, which partitions that did not run imply.
fn caught() -> signal::Signal {
    signal::received().unwrap_or(signal::Signal::Interrupt)
}
