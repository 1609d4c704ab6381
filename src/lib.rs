//! bolinho: runs Bacalhau-style WebAssembly jobs on the wasmi interpreter.
//!
//! Data flows one way: `cli` -> `spec` (parse, validate, normalise to a `Plan`) -> `fetch` ->
//! `link` -> `run` -> `results`. Each stage adds context to its errors and knows nothing of the
//! stages after it.

pub mod fetch;
pub mod spec;
