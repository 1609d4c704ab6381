//! bolinho: runs Bacalhau-style WebAssembly jobs on the wasmi interpreter.
//!
//! Data flows one way: `cli` -> `spec` (parse, validate, normalise to a `Plan`) -> `fetch` ->
//! `link` -> `engine` -> `results` (with `receipt`) -> `publish`. `job` runs those stages in
//! order for one plan, and `partitions` runs a job's partitions as such runs on threads;
//! `commands` is what each subcommand does with them, and `bundle` packs a run (its receipt
//! and every byte its rerun needs) into one file and reads one back. Each stage adds context
//! to its errors and knows nothing of the stages after it. Beside the
//! stages: `net` (the guest's `wasi:http/requests`), `tee` (the guest's output, live and
//! saved), `signal` and `cleanup` (Ctrl-C and SIGTERM), `about` (what the binary was built
//! from), `private` (scratch files nobody else may touch), `describe` and `inspect` (wasm types
//! as text), `exit` and `error` (how a command ends).

/// `print!` that never panics: a reader that closed bolinho's stdout (`bolinho verify R | head
/// -1`) stops getting output, and the exit code still says how the command ended. (Rust's
/// `print!` panics on a closed pipe; bolinho keeps SIGPIPE ignored so that a guest writing to a
/// closed stdout cannot kill the run before its results are finished.)
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// `println!` that never panics (see [`out!`]).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

// What `main` and the tests use: the allocator, the command line, the commands, the exit codes and the
// error a command ends with. Everything else is the commands' own.
pub mod allocator;
pub mod cli;
pub mod commands;
pub mod exit;
#[cfg(fuzzing)]
pub mod fuzz;

pub use error::Error;

mod about;
mod bundle;
mod cleanup;
mod describe;
mod engine;
mod error;
mod fetch;
mod inspect;
mod job;
mod link;
mod net;
mod partitions;
mod private;
mod publish;
mod receipt;
mod remote;
mod results;
mod signal;
mod spec;
mod tee;
