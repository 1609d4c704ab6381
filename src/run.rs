//! The engine, the store and its limits, and the call of the entrypoint; turns how the guest
//! ended into an `Outcome`. Every limit of `Plan.limits` is applied here and nowhere else.

use wasi_shim::WasiCtx;
use wasmi::{Config, Engine, Func, Store, StoreLimits, StoreLimitsBuilder, TrapCode};

use crate::net::Net;
use crate::spec::Limits;

/// What the store holds: the WASI context, and the network when the run has one, that host
/// functions reach through `Caller::data_mut`.
pub struct Host {
    pub wasi: WasiCtx,
    pub net: Option<Net>,
    /// The memory limit wasmi consults whenever a memory is created or grows.
    limits: StoreLimits,
}

/// How a guest ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// `proc_exit(n)`, or 0 when the entrypoint returned normally.
    Exited(i32),
    /// The guest trapped; the text names the trap.
    Trapped(String),
}

/// The engine every run uses. wasmi's `deterministic` feature (set in Cargo.toml) makes NaN bits
/// canonical, so floating-point results are identical on every machine.
pub fn engine() -> Engine {
    Engine::new(&Config::default())
}

/// The engine of a run with these limits: fuel metering is switched on only when a fuel limit
/// is set, since it slows every instruction down (docs/RATIONALE.md).
pub fn engine_for(limits: &Limits) -> Engine {
    let mut config = Config::default();
    config.consume_fuel(limits.fuel.is_some());
    Engine::new(&config)
}

/// A store for `engine` (made by `engine_for` with the same limits), with the limits applied:
/// each memory at most `memory_pages` pages, growing past it failing with -1 as
/// `memory.grow` does (compat §7), and the fuel given.
pub fn new_store(
    engine: &Engine,
    wasi: WasiCtx,
    net: Option<Net>,
    limits: &Limits,
) -> Result<Store<Host>, wasmi::Error> {
    let mut builder = StoreLimitsBuilder::new().trap_on_grow_failure(false);
    if let Some(pages) = limits.memory_pages() {
        // At most 65536 pages (checked when parsed): 4 GiB fits a 64-bit usize.
        let bytes = pages * crate::spec::limits::PAGE;
        builder = builder.memory_size(usize::try_from(bytes).unwrap_or(usize::MAX));
    }
    let host = Host {
        wasi,
        net,
        limits: builder.build(),
    };
    let mut store = Store::new(engine, host);
    store.limiter(|host| &mut host.limits);
    if let Some(fuel) = limits.fuel {
        store.set_fuel(fuel)?;
    }
    Ok(store)
}

/// Calls the entrypoint (checked by `link` to be `() -> ()`).
pub fn call(store: &mut Store<Host>, entrypoint: Func) -> Result<Outcome, wasmi::Error> {
    match entrypoint.call(&mut *store, &[], &mut []) {
        Ok(()) => Ok(Outcome::Exited(0)),
        Err(error) => classify(error),
    }
}

/// Sorts an error from guest execution into an exit, a trap, or a failure of bolinho's own
/// (returned as the error).
pub fn classify(error: wasmi::Error) -> Result<Outcome, wasmi::Error> {
    if let Some(status) = error.i32_exit_status() {
        return Ok(Outcome::Exited(status));
    }
    if let Some(code) = error.as_trap_code() {
        return Ok(Outcome::Trapped(trap_name(code).to_string()));
    }
    match error.kind() {
        // A host function's own error (a guest without a memory export calling fd_write, say)
        // is the guest's fault: report it as a trap with its text.
        wasmi::errors::ErrorKind::Host(_) | wasmi::errors::ErrorKind::Message(_) => {
            Ok(Outcome::Trapped(error.to_string()))
        }
        _ => Err(error),
    }
}

/// A short name for each trap, the words a programmer would search for.
pub fn trap_name(code: TrapCode) -> &'static str {
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
