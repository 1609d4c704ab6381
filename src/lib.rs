//! bolinho: runs Bacalhau-style WebAssembly jobs on the wasmi interpreter.
//!
//! Data flows one way: `cli` -> `spec` (parse, validate, normalise to a `Plan`) -> `fetch` ->
//! `link` -> `run` -> `results`. `pipeline` wires those steps for one run; `commands` is what
//! each subcommand does with them. Each stage adds context to its errors and knows nothing of
//! the stages after it.

pub mod cleanup;
pub mod cli;
pub mod commands;
pub mod describe;
pub mod determinism;
pub mod error;
pub mod exit;
pub mod fetch;
#[cfg(fuzzing)]
pub mod fuzz;
pub mod inspect;
pub mod link;
pub mod net;
pub mod pipeline;
pub mod private;
pub mod publish;
pub mod receipt;
pub mod results;
pub mod run;
pub mod signal;
pub mod spec;
pub mod start;
pub mod tee;
