//! Replaying: sources that answer the guest from a tape, in order, and notice divergence.
//!
//! Owns: the [`Replay`] (a tape and the place reached in it, shared by every replay source
//! and by host modules outside the shim), [`ReplayClock`], [`ReplayRandom`], [`ReplayStdin`],
//! and what a [`Divergence`] is. A guest that asks for anything but the next recorded answer
//! (another kind, clock, length or request), or asks past the end, has diverged: the first
//! divergence is kept, a stop is requested through the run's [`Interrupt`] so the guest ends
//! at this host call's return, and every answer from then on is a harmless constant. Sleeps
//! take no time. Must not read the host's clocks, randomness, stdin or network.

use super::event::{Event, Request, grouped, plural};
use super::format::{Events, Tape, TapeError};
use crate::clock::{Clock, ClockId};
use crate::interrupt::Interrupt;
use crate::random::RandomSource;
use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

/// How a replayed guest departed from its tape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Divergence {
    /// The guest asked for something other than the next recorded answer.
    Mismatch {
        /// The call's number, from 1.
        call: u64,
        /// What the guest asked for, as a call (`random_get(16)`).
        asked: String,
        /// What the tape has there.
        tape: String,
        /// For two requests to the same host module, where they first differ.
        differ_at: Option<u64>,
    },
    /// The guest asked for more answers than the tape holds.
    PastEnd {
        /// The calls on the tape.
        calls: u64,
        /// What the guest asked for next.
        asked: String,
    },
    /// The guest ended with answers left on the tape.
    Unconsumed {
        /// The calls the guest made.
        made: u64,
        /// The calls on the tape.
        has: u64,
    },
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Divergence::Mismatch {
                call,
                asked,
                tape,
                differ_at,
            } => {
                write!(
                    f,
                    "call {}: the guest asked for {asked}, the tape has {tape}",
                    grouped(*call)
                )?;
                match differ_at {
                    Some(at) => write!(f, " (the requests differ from byte {})", grouped(*at)),
                    None => Ok(()),
                }
            }
            Divergence::PastEnd { calls, asked } => write!(
                f,
                "the tape ends after {}; the guest asked for {asked}",
                count(*calls)
            ),
            Divergence::Unconsumed { made, has } => write!(
                f,
                "the guest made {}, the tape has {}",
                count(*made),
                grouped(*has)
            ),
        }
    }
}

impl std::error::Error for Divergence {}

fn count(calls: u64) -> String {
    plural(calls, "call")
}

/// A tape being replayed, shared (cloning shares it) by the sources made from it.
#[derive(Debug, Clone)]
pub struct Replay {
    shared: Arc<Mutex<State>>,
    interrupt: Arc<Interrupt>,
}

#[derive(Debug)]
struct State {
    tape: Tape,
    /// Where the next record starts.
    pos: usize,
    /// The calls answered from the tape.
    calls: u64,
    divergence: Option<Divergence>,
}

impl Replay {
    /// Replays `tape`, stopping the guest through `interrupt` (the one given to the
    /// builder) when it diverges. A tape whose recording reached its size limit is refused:
    /// the answers after it are missing.
    pub fn new(tape: Tape, interrupt: Arc<Interrupt>) -> Result<Replay, TapeError> {
        if !tape.is_complete() {
            return Err(TapeError::Incomplete {
                calls: tape.calls(),
            });
        }
        let pos = tape.events().position();
        Ok(Replay {
            shared: Arc::new(Mutex::new(State {
                tape,
                pos,
                calls: 0,
                divergence: None,
            })),
            interrupt,
        })
    }

    /// The recorded answer of a host module outside the shim to `request` of `kind` (see
    /// [`Recorder::host_call`](super::Recorder::host_call)); `None` if the guest diverged
    /// here or before: the module should then answer with any error, the guest is stopping.
    pub fn host_call(&self, kind: &str, request: &[u8]) -> Option<Vec<u8>> {
        self.answer(Request::HostCall { kind, request }, |event| match event {
            Event::HostCall { answer, .. } => answer.to_vec(),
            _ => Vec::new(),
        })
    }

    /// The first divergence, if the guest has diverged.
    pub fn divergence(&self) -> Option<Divergence> {
        self.lock().divergence.clone()
    }

    /// The calls answered from the tape so far.
    pub fn calls(&self) -> u64 {
        self.lock().calls
    }

    /// Once the guest has ended: `Ok` if it made exactly the recorded calls, else the first
    /// divergence, or that it ended before using every answer.
    pub fn finish(&self) -> Result<(), Divergence> {
        let s = self.lock();
        if let Some(d) = &s.divergence {
            return Err(d.clone());
        }
        if s.calls < s.tape.calls() {
            return Err(Divergence::Unconsumed {
                made: s.calls,
                has: s.tape.calls(),
            });
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing is left half-updated by a panic: `pos` and `calls` change together, last.
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `take` of the next recorded event if it answers `asked`; otherwise records the
    /// divergence, requests a stop and returns `None` (as it does after any divergence).
    fn answer<T>(&self, asked: Request<'_>, take: impl FnOnce(Event<'_>) -> T) -> Option<T> {
        let mut guard = self.lock();
        let s = &mut *guard;
        if s.divergence.is_some() {
            return None;
        }
        let call = s.calls + 1;
        let mut events = Events::resume(&s.tape, s.pos);
        let divergence = match events.next() {
            Some(event) if event.request() == asked => {
                let answer = take(event);
                s.pos = events.position();
                s.calls = call;
                return Some(answer);
            }
            Some(event) => Divergence::Mismatch {
                call,
                asked: asked.to_string(),
                tape: event.request().to_string(),
                differ_at: differ_at(asked, event.request()),
            },
            None => Divergence::PastEnd {
                calls: s.tape.calls(),
                asked: asked.to_string(),
            },
        };
        s.divergence = Some(divergence);
        self.interrupt.request();
        None
    }
}

/// Where two requests to the same host module first differ.
fn differ_at(a: Request<'_>, b: Request<'_>) -> Option<u64> {
    match (a, b) {
        (
            Request::HostCall { kind, request: x },
            Request::HostCall {
                kind: kind_b,
                request: y,
            },
        ) if kind == kind_b => {
            let same = x.iter().zip(y).take_while(|(p, q)| p == q).count();
            Some(same as u64)
        }
        _ => None,
    }
}

/// A [`Clock`] answering from the tape; its sleeps return at once.
#[derive(Debug, Clone)]
pub struct ReplayClock {
    replay: Replay,
}

impl ReplayClock {
    /// Answers from `replay`.
    pub fn new(replay: &Replay) -> Self {
        ReplayClock {
            replay: replay.clone(),
        }
    }
}

/// What a clock read answers after a divergence: any time; the guest is stopping.
const HARMLESS_TIME: Option<u64> = Some(0);

impl Clock for ReplayClock {
    fn now(&self, clock: ClockId) -> Option<u64> {
        self.replay
            .answer(Request::ClockNow(clock), |event| match event {
                Event::ClockNow { answer, .. } => answer,
                _ => HARMLESS_TIME,
            })
            .unwrap_or(HARMLESS_TIME)
    }

    fn resolution(&self, clock: ClockId) -> Option<u64> {
        self.replay
            .answer(Request::ClockResolution(clock), |event| match event {
                Event::ClockResolution { answer, .. } => answer,
                _ => HARMLESS_TIME,
            })
            .unwrap_or(HARMLESS_TIME)
    }

    fn epoch(&self) -> Option<u64> {
        self.replay
            .answer(Request::ClockEpoch, |event| match event {
                Event::ClockEpoch { answer } => answer,
                _ => HARMLESS_TIME,
            })
            .unwrap_or(HARMLESS_TIME)
    }

    fn sleep(&self, ns: u64) {
        // The sleep is checked for its place and length, and takes no time.
        self.replay.answer(Request::Sleep(ns), |_| ());
    }
}

/// A [`RandomSource`] answering from the tape (zeros after a divergence).
#[derive(Debug, Clone)]
pub struct ReplayRandom {
    replay: Replay,
}

impl ReplayRandom {
    /// Answers from `replay`.
    pub fn new(replay: &Replay) -> Self {
        ReplayRandom {
            replay: replay.clone(),
        }
    }
}

impl RandomSource for ReplayRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        let asked = Request::Random(buf.len() as u64);
        let answered = self.replay.answer(asked, |event| {
            // The same length: the requests compared equal.
            if let Event::Random { bytes } = event {
                buf.copy_from_slice(bytes);
            }
        });
        if answered.is_none() {
            buf.fill(0);
        }
    }
}

/// A stdin answering from the tape (end of file after a divergence).
#[derive(Debug, Clone)]
pub struct ReplayStdin {
    replay: Replay,
}

impl ReplayStdin {
    /// Answers from `replay`.
    pub fn new(replay: &Replay) -> Self {
        ReplayStdin {
            replay: replay.clone(),
        }
    }
}

impl Read for ReplayStdin {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let asked = Request::StdinRead(buf.len() as u64);
        let answer = self.replay.answer(asked, |event| match event {
            // At most `asked` bytes: `Tape::parse` checked it.
            Event::StdinRead {
                answer: Ok(bytes), ..
            } => {
                buf[..bytes.len()].copy_from_slice(bytes);
                Ok(bytes.len())
            }
            // Carried as the errno itself, so the guest sees exactly the recorded one.
            Event::StdinRead {
                answer: Err(errno), ..
            } => Err(io::Error::other(errno)),
            _ => Ok(0),
        });
        answer.unwrap_or(Ok(0))
    }
}

#[cfg(test)]
#[path = "replay_tests.rs"]
mod tests;
