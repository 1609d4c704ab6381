//! A run's tape (README "Recorded runs"): every answer the host gave its guest that the
//! guest's content does not fix, recorded by a run with results and replayed by `verify`.
//!
//! Owns: whether a run records, replays or neither, and the wrapping of the guest's host
//! clock and OS randomness (`--nondeterministic`), its stdin (module runs) and its network in
//! the recording or replaying sources of `wasi_shim::tape`. A deterministic source (the virtual
//! clock, seeded random bytes, the files) is never wrapped: its answers follow from the
//! receipt. Must not write or read files: `finish` writes the tape beside the receipt,
//! `verify` reads it and checks its hash.

use std::io::{self, Read};
use std::sync::Arc;

use wasi_shim::{
    Clock, Interrupt, RandomSource, Recorder, RecordingClock, RecordingRandom, RecordingStdin,
    Replay, ReplayClock, ReplayRandom, ReplayStdin, Tape, TapeError,
};

use super::finish::TapeResult;
use super::{Rerun, RunOptions};
use crate::engine::StopClock;
use crate::error::Error;
use crate::net::Net;

/// The size a tape may grow to unless `--tape-limit` says otherwise: it is held in memory
/// until the run ends.
pub const DEFAULT_LIMIT: u64 = 64 << 20;

/// What a run does with the host's answers.
pub enum Taping {
    /// Gives them and forgets them: a run without results, or `--no-record`.
    Off,
    /// Records them, for the results' `tape`.
    Record(Recorder),
    /// Answers from a receipt's tape instead (`verify`).
    Replay(Replay),
}

/// How the tape of a run that has ended came out.
pub enum Taped {
    /// The run did not record (it had no results, or `--no-record`).
    NotRecorded,
    /// The run recorded, and its guest was told nothing its content does not fix.
    Nothing,
    /// The tape to write beside the receipt.
    Recorded(Tape),
    /// The replay's verdict, and the calls the tape answered.
    Replayed(Result<u64, wasi_shim::Divergence>),
}

/// The taping of a run of `plan`: a rerun replays its receipt's tape (an empty one if the
/// receipt has none, so any answer the run would need is a divergence rather than the host's);
/// a run with results records, up to `--tape-limit`, unless `--no-record`.
pub fn start(
    has_results: bool,
    options: &RunOptions,
    interrupt: &Arc<Interrupt>,
) -> Result<Taping, Error> {
    if let Some(rerun) = &options.rerun {
        let tape = rerun
            .tape
            .clone()
            .unwrap_or_else(|| Recorder::new(u64::MAX).finish());
        return Replay::new(tape, Arc::clone(interrupt))
            .map(Taping::Replay)
            .map_err(|e| match e {
                TapeError::Incomplete { calls } => Error::Verify(format!(
                    "the receipt's tape reached its size limit after {}, so the run cannot \
                     be verified",
                    answers(calls)
                )),
                other => Error::Verify(format!("failed to read the receipt's tape: {other}")),
            });
    }
    if has_results && !options.no_record {
        let limit = options.tape_limit.unwrap_or(DEFAULT_LIMIT);
        return Ok(Taping::Record(Recorder::new(limit)));
    }
    Ok(Taping::Off)
}

impl Taping {
    /// The host clock and OS randomness of a `--nondeterministic` run, recorded, or replaced
    /// by the tape's (whose sleeps take no time); `clock` is the run's stopping clock.
    pub fn host_sources(
        &self,
        clock: Box<dyn Clock + Send>,
        random: Box<dyn RandomSource + Send>,
        interrupt: &Arc<Interrupt>,
    ) -> (Box<dyn Clock + Send>, Box<dyn RandomSource + Send>) {
        match self {
            Taping::Off => (clock, random),
            // Outside the stopping clock, so the tape has the guest's own sleeps, not the
            // steps they are taken in.
            Taping::Record(recorder) => (
                Box::new(RecordingClock::new(clock, recorder)),
                Box::new(RecordingRandom::new(random, recorder)),
            ),
            Taping::Replay(replay) => (
                Box::new(StopClock::virtual_time(
                    ReplayClock::new(replay),
                    Arc::clone(interrupt),
                )),
                Box::new(ReplayRandom::new(replay)),
            ),
        }
    }

    /// The guest's stdin: bolinho's own, recorded, or the tape's.
    pub fn stdin(&self) -> Box<dyn Read + Send> {
        match self {
            Taping::Off => Box::new(io::stdin()),
            Taping::Record(recorder) => Box::new(RecordingStdin::new(io::stdin(), recorder)),
            Taping::Replay(replay) => Box::new(ReplayStdin::new(replay)),
        }
    }

    /// Makes `net` record its exchanges, or answer them from the tape.
    pub fn network(&self, net: &mut Net) {
        match self {
            Taping::Off => {}
            Taping::Record(recorder) => net.record_to(recorder),
            Taping::Replay(replay) => net.replay_from(replay),
        }
    }

    /// Once the guest has ended: the tape it recorded, or how its replay went.
    pub fn finish(&self) -> Taped {
        match self {
            Taping::Off => Taped::NotRecorded,
            Taping::Record(recorder) if recorder.calls() == 0 && recorder.is_complete() => {
                Taped::Nothing
            }
            Taping::Record(recorder) => Taped::Recorded(recorder.finish()),
            Taping::Replay(replay) => Taped::Replayed(replay.finish().map(|()| replay.calls())),
        }
    }
}

/// "1 answer", "2 answers": how messages count a tape's records.
pub fn answers(n: u64) -> String {
    match n {
        1 => "1 answer".to_string(),
        n => format!("{n} answers"),
    }
}

impl Taped {
    /// What the results hold of the tape: the one recorded, or for a rerun the one replayed
    /// (so that the results `verify --keep` keeps are the original's, receipt included).
    pub fn for_results<'a>(&'a self, rerun: Option<&'a Rerun>) -> TapeResult<'a> {
        match (self, rerun) {
            (_, Some(rerun)) => TapeResult {
                bytes: rerun.tape.as_ref().map(Tape::as_bytes),
                no_record: rerun.no_record,
            },
            (Taped::Recorded(tape), None) => TapeResult {
                bytes: Some(tape.as_bytes()),
                no_record: false,
            },
            (Taped::NotRecorded, None) => TapeResult {
                bytes: None,
                no_record: true,
            },
            (Taped::Nothing | Taped::Replayed(_), None) => TapeResult {
                bytes: None,
                no_record: false,
            },
        }
    }
}
