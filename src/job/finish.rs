//! The last stage of a guest that has run: its saved output completed, its tape, its receipt
//! (of what it was given and what it produced), `exitCode`, everything moved into place.
//!
//! Owns: the order of those writes, and that nothing is removed whatever fails: the directory
//! is finished without what could not be written, or left in staging, and the error says so.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use super::guest::SavedOutput;
use crate::engine::{self, Ended, Outcome};
use crate::error::Error;
use crate::receipt::{self, Given, TreeError, Walk};
use crate::results::{ResultsDir, ResultsError};
use crate::signal;
use crate::spec::Plan;
use crate::spec::template::Vars;

/// How a run ended, and where its results are.
pub struct Finished {
    pub outcome: Outcome,
    pub path: Option<PathBuf>,
}

/// Finishes the run that `ended`: closes what the guest left open and, when the run has
/// results, finishes them, with the tape it recorded.
pub fn finish(
    results: Option<ResultsDir>,
    saved: Option<SavedOutput>,
    given: Option<Given>,
    plan: &Plan,
    template_vars: &Vars,
    ended: Ended,
    tape: TapeResult<'_>,
) -> Result<Finished, Error> {
    let outcome = ended.outcome;
    // A guest stopped wherever the clock or a signal caught it: its fuel says nothing.
    let fuel_used = match (&outcome, &ended.store) {
        (Outcome::TimedOut(_) | Outcome::Stopped(_), _) | (_, None) => None,
        (_, Some(store)) => engine::fuel_used(store, &plan.limits),
    };
    // Dropping the context closes every file the guest left open; the live copies of its
    // output are flushed (they never fail a run).
    if let Some(mut store) = ended.store {
        let _ = store.data_mut().wasi.flush();
    }
    let path = match (results, saved, given) {
        (Some(results), Some(saved), Some(given)) => {
            let run = Run {
                outcome: &outcome,
                fuel_used,
                tape,
            };
            Some(finish_results(
                results,
                saved,
                given,
                plan,
                template_vars,
                run,
            )?)
        }
        _ => None,
    };
    Ok(Finished { outcome, path })
}

/// How the guest ended, for its results.
struct Run<'a> {
    outcome: &'a Outcome,
    fuel_used: Option<u64>,
    tape: TapeResult<'a>,
}

/// What the results hold of a run's tape.
pub struct TapeResult<'a> {
    /// Its bytes, if its guest was told anything its content does not fix.
    pub bytes: Option<&'a [u8]>,
    /// It was made with `--no-record`.
    pub no_record: bool,
}

/// The number recorded in `exitCode`: the guest's status, or bolinho's code for how it was
/// ended.
fn exit_status(outcome: &Outcome) -> i32 {
    match outcome {
        Outcome::Exited(status) => *status,
        _ => crate::exit::outcome_code(outcome).into(),
    }
}

/// Finishes the results directory of a guest that has run (see the module's documentation).
fn finish_results(
    mut results: ResultsDir,
    saved: SavedOutput,
    given: Given,
    plan: &Plan,
    template_vars: &Vars,
    finished: Run<'_>,
) -> Result<PathBuf, Error> {
    results.start();
    let mut problems = Vec::new();
    for (name, saved) in &saved {
        if let Err(e) = saved.finish() {
            problems.push(format!("failed to write {name} whole: {e}"));
        }
    }
    // The receipt names the tape by its hash: it is written first.
    let tape = finished.tape.bytes.map(|tape| {
        // Said as a failed stdout is: the staging path in the error is gone once finished.
        if let Err(e) = results.write_file(receipt::TAPE, tape) {
            problems.push(format!(
                "failed to write {} whole: {}",
                receipt::TAPE,
                e.cause
            ));
        }
        receipt::sha256(tape)
    });
    // A receipt vouches for complete results only.
    let mut stopped = None;
    if problems.is_empty() {
        match write_receipt(given, plan, template_vars, &results, &finished, tape) {
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
    template_vars: &Vars,
    results: &ResultsDir,
    finished: &Run<'_>,
    tape: Option<String>,
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
        build: &crate::about::BUILD,
        wasmi: receipt::WASMI_VERSION,
        plan,
        template_vars,
        ids: given.ids,
        determinism: given.determinism,
        limits: plan.limits,
        modules: given.modules,
        inputs: given.inputs,
        results: hashes,
        outcome: finished.outcome.into(),
        exit_code: exit_status(finished.outcome),
        fuel_used: finished.fuel_used,
        tape,
        no_record: finished.tape.no_record,
    };
    results
        .write_file(receipt::FILE, receipt.to_json().as_bytes())
        .map_err(|e| ReceiptError::Failed(e.to_string()))
}
