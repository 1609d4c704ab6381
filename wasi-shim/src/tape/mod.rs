//! Tapes: every answer the host gave a guest that its content does not fix, in order, so a
//! run can be replayed anywhere with the same answers (issue 12, "Recorded runs").
//!
//! Owns: what is on a tape (`event`: clock reads, resolutions and the epoch, sleeps, random
//! bytes, stdin reads, and calls to host modules outside the shim), its byte form and the
//! check of untrusted tapes (`format`), recording wrappers around the builder's sources
//! (`record`) and replay sources that answer from a tape and detect divergence (`replay`).
//! `poll_oneoff` needs nothing of its own: its results follow from the clock's answers, its
//! sleeps and the files' contents (docs/RATIONALE.md, "Tapes"). Must not know about jobs,
//! receipts, files on disk or hashing: the runner decides when to record, where the tape
//! goes and how it is named in a receipt ([`Tape::as_bytes`] is the form to hash).
//!
//! Recording, then replaying (the runner's side):
//! ```no_run
//! use std::sync::Arc;
//! use wasi_shim::*;
//!
//! // Record: wrap the sources the guest would have had.
//! let recorder = Recorder::new(64 << 20);
//! let builder = WasiCtxBuilder::new()
//!     .clock(Box::new(RecordingClock::new(HostClock::new(), &recorder)))
//!     .random(Box::new(RecordingRandom::new(OsRandom::new(), &recorder)))
//!     .stdin(Box::new(RecordingStdin::new(std::io::stdin(), &recorder)));
//! // ... a host module outside the shim records its answers in the same order:
//! recorder.host_call("wasi:http/requests", b"request digest", b"response bytes");
//! // ... run the guest; once its thread has ended:
//! let tape = recorder.finish();
//! if !tape.is_complete() { /* say the run cannot be verified */ }
//! let bytes = tape.into_bytes(); // write beside the receipt, hash into it
//!
//! // Replay: the same builder, every source answering from the tape.
//! let interrupt = Arc::new(Interrupt::new());
//! let replay = Replay::new(Tape::parse(bytes)?, interrupt.clone())?;
//! let builder = WasiCtxBuilder::new()
//!     .interrupt(interrupt)
//!     .clock(Box::new(ReplayClock::new(&replay)))
//!     .random(Box::new(ReplayRandom::new(&replay)))
//!     .stdin(Box::new(ReplayStdin::new(&replay)));
//! let answer: Option<Vec<u8>> = replay.host_call("wasi:http/requests", b"request digest");
//! // ... run the guest; once it has ended (a divergence stopped it through the interrupt):
//! if let Err(divergence) = replay.finish() {
//!     eprintln!("{divergence}"); // "call 18,204: the guest asked for random_get(16), ..."
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod event;
mod format;
mod record;
mod replay;
mod wire;

pub use event::{Event, RecordProblem};
pub use format::{Events, Tape, TapeError};
pub use record::{Recorder, RecordingClock, RecordingRandom, RecordingStdin};
pub use replay::{Divergence, Replay, ReplayClock, ReplayRandom, ReplayStdin};

#[cfg(test)]
mod tests;
