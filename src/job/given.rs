//! What a receipt records of what the guest is given, hashed before it runs (a read-write
//! input may change): the clock and random settings, every module and every input file. For
//! `verify`, also the check that the guest is given what the receipt records, before it runs.
//!
//! Must not hash what the guest produced (`finish` does).

use std::collections::BTreeMap;

use super::RunOptions;
use super::modules::Modules;
use super::prepare::Prepared;
use super::sources::Seeding;
use crate::cleanup;
use crate::error::Error;
use crate::fetch::FetchError;
use crate::receipt::{self, Given, Ids, RecordedSources, TreeError, Walk};
use crate::signal::{self, Signal};
use crate::spec::Plan;

/// What the guest is given, when the run has results to vouch for. For `verify`, the walk
/// stops as soon as it finds more than the receipt lists: a receipt naming a huge directory
/// is refused without reading it all.
///
/// The clock and random settings are left for `settle`: the seed follows the job's ids, which
/// follow these hashes.
pub fn record(
    plan: &Plan,
    modules: &Modules,
    prepared: &Prepared,
    options: &RunOptions,
) -> Result<Option<Given>, Error> {
    if prepared.results.is_none() {
        return Ok(None);
    }
    let expect = options.rerun.as_ref().map(|rerun| &rerun.expect);
    let modules = std::iter::once(&modules.entry)
        .chain(&modules.imports)
        .map(|m| (m.label.clone(), receipt::sha256(&m.bytes)))
        .collect();
    let limit = match expect {
        Some(expected) => expected.inputs.len() + 1,
        None => receipt::MAX_ENTRIES,
    };
    let stop = || signal::received().is_some();
    let mut walk = Walk::new(limit, &stop);
    let mut inputs = BTreeMap::new();
    for (input, fetched) in plan.inputs.iter().zip(&prepared.fetched) {
        walk.hash(&fetched.path, &input.target, &mut inputs)
            .map_err(|e| match e {
                TreeError::Stopped => stopped_before_the_guest(),
                TreeError::TooMany { .. } if expect.is_some() => Error::Verify(format!(
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
    Ok(Some(Given {
        determinism: RecordedSources::Nondeterministic(true),
        modules,
        inputs,
        ids: None,
    }))
}

/// Completes `given` with the job's ids and the clock and random settings of the run, and for
/// `verify` checks that the guest is given what the receipt records, before it runs.
pub fn settle(
    given: &mut Given,
    ids: Option<Ids>,
    seeding: Option<Seeding>,
    options: &RunOptions,
) -> Result<(), Error> {
    given.ids = ids;
    given.determinism = match seeding {
        None => RecordedSources::Nondeterministic(true),
        Some(seeding) => RecordedSources::Virtual {
            epoch_ns: seeding.epoch_ns,
            tick_ns: wasi_shim::VirtualClock::DEFAULT_TICK_NS,
            seed: seeding.seed,
        },
    };
    if let Some(expected) = options.rerun.as_ref().map(|rerun| &rerun.expect) {
        let changes = given.changes(expected);
        if !changes.is_empty() {
            return Err(Error::Verify(format!(
                "the job's sources differ from the receipt, so it was not run: {}",
                changes.join("; ")
            )));
        }
    }
    Ok(())
}

/// A signal caught before the guest started: the run ends, and everything it made goes (as
/// `cleanup` does when it catches one while sources are materialised).
fn stopped_before_the_guest() -> Error {
    cleanup::stopped(signal::received().unwrap_or(Signal::Interrupt))
}
