//! How a guest ended, and the sorting of wasmi's errors into those ends: an exit, a trap,
//! a stop, or a failure of the engine's own.

use std::time::Duration;

use wasi_shim::Interrupted;
use wasmi::TrapCode;
use wasmi::errors::{ErrorKind, InstantiationError};

use super::stop::{Deadline, stop_now};
use crate::signal::Signal;

/// How a guest ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `proc_exit(n)`, or 0 when the entrypoint returned normally.
    Exited(i32),
    /// The guest trapped; the text names the trap.
    Trapped(String),
    /// The guest was stopped when it ran past this timeout.
    TimedOut(Duration),
    /// The guest was stopped because bolinho caught this signal.
    Stopped(Signal),
}

/// Sorts an error from guest execution into an exit, a trap, a stop (a host call ended by
/// `StopClock` for the deadline or a signal), or a failure of bolinho's own (returned as the
/// error).
pub(crate) fn classify(
    error: wasmi::Error,
    deadline: Option<Deadline>,
) -> Result<Outcome, wasmi::Error> {
    if error.downcast_ref::<Interrupted>().is_some()
        && let Some(stopped) = stop_now(deadline)
    {
        return Ok(stopped);
    }
    if let Some(status) = error.i32_exit_status() {
        return Ok(Outcome::Exited(status));
    }
    if let Some(code) = error.as_trap_code() {
        return Ok(Outcome::Trapped(trap_name(code).to_string()));
    }
    match error.kind() {
        // An active element segment outside its table traps as instantiation runs it, as a
        // data segment outside its memory does (WebAssembly 3.0 §4.5.4).
        ErrorKind::Instantiation(InstantiationError::ElementSegmentDoesNotFit { .. }) => Ok(
            Outcome::Trapped(trap_name(TrapCode::TableOutOfBounds).to_string()),
        ),
        // A host function's own error (a guest without a memory export calling fd_write, say)
        // is the guest's fault: report it as a trap with its text.
        ErrorKind::Host(_) | ErrorKind::Message(_) => Ok(Outcome::Trapped(error.to_string())),
        _ => Err(error),
    }
}

/// A short name for each trap, the words a programmer would search for.
pub(crate) fn trap_name(code: TrapCode) -> &'static str {
    match code {
        TrapCode::UnreachableCodeReached => "unreachable instruction executed",
        TrapCode::MemoryOutOfBounds => "out of bounds memory access",
        TrapCode::TableOutOfBounds => "out of bounds table access",
        TrapCode::IndirectCallToNull => "indirect call to a null table entry",
        TrapCode::IntegerDivisionByZero => "integer division by zero",
        TrapCode::IntegerOverflow => "integer overflow",
        TrapCode::BadConversionToInteger => "invalid conversion to integer",
        TrapCode::StackOverflow => "stack overflow",
        TrapCode::BadSignature => "indirect call type mismatch",
        TrapCode::OutOfFuel => "out of fuel",
        TrapCode::GrowthOperationLimited => "growth operation limited",
        TrapCode::OutOfSystemMemory => "out of system memory",
    }
}
