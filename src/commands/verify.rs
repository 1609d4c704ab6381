//! `bolinho verify` (README "Receipts and verify", "Bundles"): reruns the job of a receipt, or
//! replays the run a bundle holds, and compares the results with the receipt's, one line each.
//!
//! Owns: what verify is handed (a receipt, with the results beside it; or a bundle, read by
//! `bundle::open`), what it refuses before rerunning, the rerun's options, and what it prints:
//! a `DIFF` of a result says where its first differing byte is when the expected bytes are at
//! hand (in the bundle, or beside the receipt and hashing as recorded). Must not read or fetch
//! anything a bundle's receipt names: a bundle's replay gets its inputs and modules from
//! `bundle::rebuild` alone.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use wasi_shim::Tape;

use crate::bundle::{self, Opened};
use crate::cli::VerifyArgs;
use crate::engine::Outcome;
use crate::error::Error;
use crate::fetch;
use crate::job::{self, Rerun, RunOptions, TapeReport};
use crate::link::Compiler;
use crate::private::TempDir;
use crate::receipt::{self, Check, Given, Recorded, RecordedOutcome, RecordedSources};
use crate::results::ResultsError;
use crate::spec::{self, Publisher};

/// Reruns a receipt's job, or a bundle's: its sources must hash as recorded before anything
/// runs, and its results must hash as recorded after.
pub(super) fn verify(args: VerifyArgs) -> Result<u8, Error> {
    let verified = rerun_and_check(args, None)?;
    verified.print();
    Ok(verified.code)
}

/// What verifying a receipt found: `verify` prints it at once, the verification of a job's
/// partitions in index order.
pub(super) struct Verified {
    /// Its lines on stdout: the template variables, if any, then one per check.
    lines: Vec<String>,
    /// Where the rerun's results were kept (`--keep`).
    kept: Option<PathBuf>,
    /// The exit code: 0 when every check passed.
    pub code: u8,
}

impl Verified {
    pub(super) fn print(&self) {
        for line in &self.lines {
            outln!("{line}");
        }
        if let Some(dir) = &self.kept {
            eprintln!("bolinho: the rerun's results are in {}", dir.display());
        }
    }
}

/// `verify`, saying what it found instead of printing it; `partition_of` is the compiler of a
/// job's partitions reruns (`job::RunOptions::partition_of`).
pub(super) fn rerun_and_check(
    args: VerifyArgs,
    partition_of: Option<Arc<Compiler>>,
) -> Result<Verified, Error> {
    if let Some(keep) = &args.keep {
        refuse_existing(keep)?;
    }
    // Private, unguessable and removed afterwards: nobody else can plant or read anything in
    // it.
    let scratch = TempDir::new("bolinho-verify-").map_err(|e| {
        let dir = std::env::temp_dir();
        Error::host(
            format!("create a scratch directory in {}", dir.display()),
            e,
        )
    })?;
    let handed = Handed::read(&args.receipt, scratch.path())?;
    let recorded = handed.recorded();
    check(recorded, &args.receipt)?;
    let mut lines = Vec::new();
    // The plan is the rendered job: the variables are shown, not applied again.
    if !recorded.template_vars.is_empty() {
        let pairs: Vec<String> = recorded
            .template_vars
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        lines.push(format!("template variables: {}", pairs.join(" ")));
    }
    let (mut plan, host_modules) = match &handed {
        Handed::Receipt { recorded, .. } => (recorded.plan.clone(), BTreeMap::new()),
        Handed::Bundle(opened) => {
            let replay = bundle::rebuild(opened, scratch.path())?;
            (replay.plan, replay.host_modules)
        }
    };
    // A rerun checks the results; it never publishes them again.
    plan.publisher = Publisher::Local;
    let results = match &args.keep {
        Some(keep) => keep.clone(),
        None => scratch.path().join("results"),
    };
    let options = RunOptions {
        results: Some(results),
        allow_env: args.allow_env,
        cache_dir: args.cache_dir,
        fetch: fetch::Options {
            // A bundle's replay has only local sources, in the scratch directory.
            offline: args.offline || matches!(handed, Handed::Bundle(_)),
            ipfs_gateway: std::env::var("BOLINHO_IPFS_GATEWAY").ok(),
            progress: false,
            // The guest of a receipt someone handed over writes to copies only.
            private_writes: true,
        },
        rerun: Some(Rerun {
            expect: Given {
                determinism: recorded.determinism.clone(),
                modules: recorded.modules.clone(),
                inputs: recorded.inputs.clone(),
                ids: recorded.ids.clone(),
            },
            tape: handed.tape()?,
            scratch: scratch.path().to_path_buf(),
            host_modules,
            receipt_plan: recorded.plan.clone(),
            no_record: recorded.no_record,
        }),
        template_vars: recorded.template_vars.clone(),
        // The host's clocks and randomness were its guest's: the tape answers in their place.
        nondeterministic: matches!(recorded.determinism, RecordedSources::Nondeterministic(_)),
        partition_of,
        ..RunOptions::default()
    };
    let (dir, got, replayed) = rerun(&plan, &options)?;
    // A divergence comes first: it explains every difference after it.
    let mut checks: Vec<Check> = tape_check(recorded, replayed).into_iter().collect();
    checks.extend(receipt::compare(recorded, &got));
    for check in &checks {
        let difference = match check.ok {
            true => None,
            false => handed.difference(&check.name, &got, &dir),
        };
        lines.push(match difference {
            Some(difference) => format!("{}; {difference}", check.line),
            None => check.line.clone(),
        });
    }
    drop(scratch);
    Ok(Verified {
        lines,
        kept: args.keep.is_some().then_some(dir),
        code: match checks.iter().all(|c| c.ok) {
            true => 0,
            false => crate::exit::Failure::Verify.code(),
        },
    })
}

/// `--keep DIR` takes a directory that does not exist yet: results are never mixed with
/// what was there.
pub(super) fn refuse_existing(keep: &Path) -> Result<(), Error> {
    match fs::symlink_metadata(keep) {
        Ok(_) => Err(Error::Results(ResultsError {
            path: keep.to_path_buf(),
            action: "keep the rerun's results in",
            cause: io::Error::new(
                io::ErrorKind::AlreadyExists,
                "it exists; --keep takes a directory that does not",
            ),
        })),
        Err(_) => Ok(()),
    }
}

/// Runs the rerun; its results directory, its receipt, and how its tape's replay went.
fn rerun(
    plan: &spec::Plan,
    options: &RunOptions,
) -> Result<(PathBuf, Recorded, TapeReport), Error> {
    let report = job::run(plan, options)?;
    // Stopped by Ctrl-C or SIGTERM (a receipt of a stopped run is refused by `check`): the
    // rerun says nothing of the receipt, and its results are not compared.
    if let Outcome::Stopped(signal) = report.outcome {
        return Err(Error::Stopped {
            signal,
            message: format!(
                "stopped by {} before the rerun finished; nothing was verified",
                signal.name()
            ),
        });
    }
    let dir = report
        .results
        .expect("a verify run always has a results directory");
    let path = dir.join(receipt::FILE);
    let text = fs::read_to_string(&path).map_err(|cause| Error::Read {
        path: path.display().to_string(),
        cause,
    })?;
    let got = Recorded::parse(&text).map_err(Error::Verify)?;
    Ok((dir, got, report.tape))
}

/// The line of the tape's replay, if there is one to print.
fn tape_check(recorded: &Recorded, replayed: TapeReport) -> Option<Check> {
    let check = |ok, line| Check {
        name: "tape".to_string(),
        ok,
        line,
    };
    match replayed {
        // A receipt without a tape replays an empty one: there is nothing to say unless the
        // guest asked for an answer.
        TapeReport::Replayed { .. } if recorded.tape.is_none() => None,
        TapeReport::Replayed { calls } => Some(check(
            true,
            format!("ok  tape  {} replayed", job::answers(calls)),
        )),
        TapeReport::Diverged(divergence) => Some(check(
            false,
            match recorded.no_record {
                true => format!(
                    "DIFF tape: {divergence} (the run was made with --no-record: what its \
                     guest was told is on no tape)"
                ),
                false => format!("DIFF tape: {divergence}"),
            },
        )),
        TapeReport::None | TapeReport::Recorded { .. } | TapeReport::Incomplete { .. } => None,
    }
}

/// A receipt is someone else's word: its plan is checked as a job file is, before anything
/// is fetched or run, and a run a rerun could not reproduce is refused.
fn check(recorded: &Recorded, path: &Path) -> Result<(), Error> {
    spec::check_plan(&recorded.plan, path).map_err(|e| {
        Error::Verify(format!(
            "the receipt's plan is not one a job file could give: {e}"
        ))
    })?;
    // What a rerun could not reproduce: the host's clocks and randomness without a tape of
    // their answers, or where real time (a timeout, a signal) stopped the guest.
    let real_time = "at a point that depends on real time";
    let unverifiable = match (&recorded.determinism, &recorded.outcome) {
        (RecordedSources::Nondeterministic(_), _) if recorded.no_record => Some(
            "a --nondeterministic run made with --no-record (the host's clocks and OS \
             randomness, on no tape)"
                .to_string(),
        ),
        (_, RecordedOutcome::TimedOut(_)) => {
            Some(format!("a run stopped by its timeout, {real_time}"))
        }
        (_, RecordedOutcome::Stopped(signal)) => {
            Some(format!("a run stopped by {signal}, {real_time}"))
        }
        _ => None,
    };
    match unverifiable {
        Some(what) => Err(Error::Verify(format!(
            "{} records {what}, which cannot be verified",
            path.display()
        ))),
        None => Ok(()),
    }
}

/// What verify was handed.
enum Handed {
    /// A receipt, and where it is: its run's results (and its tape) may be beside it.
    Receipt { recorded: Recorded, path: PathBuf },
    /// A bundle, read into the scratch directory.
    Bundle(Opened),
}

impl Handed {
    /// A bundle (by its gzip magic number), else a receipt.
    fn read(path: &Path, scratch: &Path) -> Result<Handed, Error> {
        if is_bundle(path) {
            return bundle::open(path, scratch).map(Handed::Bundle);
        }
        let contents = super::read(path, receipt::MAX_BYTES)?;
        let text = String::from_utf8_lossy(&contents);
        let recorded = Recorded::parse(&text)
            .map_err(|e| Error::Verify(format!("failed to read {}: {e}", path.display())))?;
        Ok(Handed::Receipt {
            recorded,
            path: path.to_path_buf(),
        })
    }

    /// The run's tape, if the receipt records one: beside the receipt, or in the bundle,
    /// checked against the receipt's hash either way.
    fn tape(&self) -> Result<Option<Tape>, Error> {
        let Some(hash) = &self.recorded().tape else {
            return Ok(None);
        };
        let (what, bytes) = match self {
            Handed::Receipt { path, .. } => {
                let path = tape_beside(path)?;
                let bytes = super::read(&path, receipt::MAX_TAPE_BYTES)?;
                if receipt::sha256(&bytes) != *hash {
                    return Err(Error::Verify(format!(
                        "{} is not the tape the receipt records ({hash})",
                        path.display()
                    )));
                }
                (path.display().to_string(), bytes)
            }
            Handed::Bundle(opened) => {
                // `bundle::open` checked that it hashes to the receipt's.
                let blob = opened.tape().expect("a bundle holds its receipt's tape");
                let bytes = super::read(&blob, receipt::MAX_TAPE_BYTES)?;
                ("the bundle's tape".to_string(), bytes)
            }
        };
        Tape::parse(bytes)
            .map(Some)
            .map_err(|e| Error::Verify(format!("failed to read {what}: {e}")))
    }

    fn recorded(&self) -> &Recorded {
        match self {
            Handed::Receipt { recorded, .. } => recorded,
            Handed::Bundle(opened) => &opened.recorded,
        }
    }

    /// Where the result `name` of the rerun (in `dir`, recorded in `got`) first differs from
    /// the expected one, when both are regular files and the expected bytes are at hand: in
    /// the bundle, or beside the receipt if they hash as it records.
    fn difference(&self, name: &str, got: &Recorded, dir: &Path) -> Option<String> {
        let want = receipt::digest_hex(self.recorded().results.get(name)?)?;
        receipt::digest_hex(got.results.get(name)?)?;
        let expected: Box<dyn Read> = match self {
            Handed::Bundle(opened) => Box::new(File::open(opened.blob(want)).ok()?),
            Handed::Receipt { path, .. } => Box::new(receipt::open_file(&beside(path), name).ok()?),
        };
        let rerun = receipt::open_file(dir, name).ok()?;
        let found = receipt::first_difference(expected, rerun, want).ok()??;
        Some(found.to_string())
    }
}

/// The directory the receipt at `receipt` is in.
fn beside(receipt: &Path) -> PathBuf {
    match receipt.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Where the tape of the receipt at `receipt` is: beside it.
fn tape_beside(receipt: &Path) -> Result<PathBuf, Error> {
    if receipt == Path::new(crate::cli::STDIN_ARG) {
        return Err(Error::Usage(
            "the receipt records a tape, which verify reads from beside it: give the \
             receipt's path, not -"
                .into(),
        ));
    }
    Ok(receipt.with_file_name(receipt::TAPE))
}

/// Whether `path` starts as a gzip stream does, as a bundle does (a receipt is JSON text).
fn is_bundle(path: &Path) -> bool {
    let mut magic = [0u8; 2];
    path != Path::new(crate::cli::STDIN_ARG)
        && fetch::open_regular(path)
            .and_then(|mut file| file.read_exact(&mut magic))
            .is_ok()
        && magic == [0x1f, 0x8b]
}
