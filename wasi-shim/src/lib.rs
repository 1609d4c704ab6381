//! WASI preview1 (`wasi_snapshot_preview1`) for the wasmi interpreter, written by hand.
//!
//! This crate owns the guest's view of the world through WASI: arguments, environment,
//! stdio, clocks, randomness and a sandboxed filesystem composed from host mounts, with
//! all 46 preview1 functions (see [`FUNCTIONS`]). It knows nothing of jobs, YAML, S3 or
//! result files: the root crate fills a [`WasiCtxBuilder`], calls [`add_to_linker`], runs
//! the guest, and reads a `proc_exit` status back with `wasmi::Error::i32_exit_status`.
//!
//! Layout: `table` (the one list of functions: each one's name, typed parameters and kind,
//! from which both [`FUNCTIONS`] and the registration derive), `linker` (the only code
//! touching wasmi's `Linker`), `funcs/` (one plain function per call, named as the call and
//! tested without an engine), `memory` (bounds-checked guest memory), `fdtable`, `fs/`
//! (mounts, path resolution, host and read-only operations, the metadata shown: the
//! host's or virtual), `errno`, `rights`, `clock`, `random`, `ctx`, `interrupt`, and
//! `tape/` (recording the host's answers to a guest, and replaying them).

#![warn(missing_docs)]

mod clock;
mod ctx;
mod errno;
mod fdtable;
mod fs;
mod funcs;
mod interrupt;
mod linker;
mod memory;
mod random;
mod rights;
mod table;
mod tape;
#[cfg(test)]
mod testutil;

pub use clock::{Clock, ClockId, FixedClock, HostClock, VirtualClock};
pub use ctx::{BuildError, WasiCtx, WasiCtxBuilder};
pub use errno::Errno;
pub use fs::Access;
pub use interrupt::{Interrupt, Interrupted};
pub use linker::add_to_linker;
pub use random::{OsRandom, RandomSource, SeededRandom};
pub use table::{FUNCTIONS, FuncSpec, MODULE};
pub use tape::{
    Divergence, Event, Events, RecordProblem, Recorder, RecordingClock, RecordingRandom,
    RecordingStdin, Replay, ReplayClock, ReplayRandom, ReplayStdin, Tape, TapeError,
};
