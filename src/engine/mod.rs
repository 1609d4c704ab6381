//! The engine: wasmi configured for every run, the store and the limits it applies, and the
//! guest's run (instantiation with its start-up functions, then the entrypoint, in fuel slices
//! on a thread of its own). Every limit of `spec::Limits` that wasmi enforces meets it here, in
//! `store`: memory (`limiter`, and the declared minimums checked before anything runs) and fuel
//! (`slices`); time is watched by `execute` and `stop`. The output limit is the results'
//! (`tee`). Turns how the guest ended into an `Outcome`.
//!
//! Owns: wasmi's `Engine`, `Store` and `Linker` for a run. Must not fetch, read job files or
//! write results: it gets compiled, linked modules and a built WASI context, and gives back the
//! store and how the guest ended.

mod execute;
mod instantiate;
mod limiter;
mod outcome;
mod slices;
mod stop;
#[cfg(test)]
#[path = "validate_tests.rs"]
mod validate_tests;

use wasi_shim::WasiCtx;
use wasmi::{Config, CustomFuelCosts, Engine, ExternType, Linker, OperatorCost, Store};

pub use execute::{CannotRun, Ended, Guest, execute};
pub use outcome::Outcome;
pub use slices::fuel_used;
pub use stop::{Deadline, StopClock};

use crate::link::{LinkError, Linked, TABLE_ELEMENT_BYTES};
use crate::net::Net;
use crate::spec::Limits;
use crate::spec::limits::PAGE;
use limiter::Limiter;

/// What the store holds: the WASI context, and the network when the run has one, that host
/// functions reach through `Caller::data_mut`.
pub struct StoreData {
    pub wasi: WasiCtx,
    pub net: Option<Net>,
    /// The memory limit wasmi consults whenever a memory or table is created or grows.
    limiter: Limiter,
}

/// The engine of every run. It meters fuel, always: fuel slices are how a guest is stopped at
/// its deadline or on a signal whatever it is doing, and the fuel used is a measure of the work
/// done that the receipt records (docs/RATIONALE.md; the cost is in bench/RESULTS.md). wasmi's
/// `deterministic` feature (set in Cargo.toml) makes NaN bits canonical, SIMD lanes' included,
/// so floating-point results are identical on every machine.
///
/// Fuel counts execution only. wasmi compiles each function on its first call
/// (`CompilationMode::LazyTranslation`, for start-up speed) and by default charges fuel for
/// it there, which would make the fuel a run uses depend on the compilation mode, and which
/// wasmi 2.0 reports as a trap that cannot be resumed when a slice of fuel ends inside it.
/// Free compilation keeps fuel a property of the module's execution alone.
pub fn new() -> Engine {
    Engine::new(&config())
}

/// The configuration behind `new`.
fn config() -> Config {
    let mut config = Config::default();
    config.consume_fuel(true);
    // wasmi's defaults with its `simd` feature, stated because the README lists them: SIMD for
    // the modules real toolchains emit, and relaxed SIMD, whose every operator wasmi computes
    // one fixed way on every host (docs/RATIONALE.md, "WebAssembly proposals").
    config.wasm_simd(true);
    config.wasm_relaxed_simd(true);
    // Growing a memory or a table is the one step whose wasmi handler keeps its host stack
    // frame until the fuel slice ends; priced at the most an operator may cost, a slice holds
    // at most SLICE / 255 of them (`guest_stack`). It is also the dearest operator to the host.
    config.operator_cost(OperatorCost {
        memory_grow: u8::MAX,
        table_grow: u8::MAX,
        ..OperatorCost::default()
    });
    config.fuel_cost(CustomFuelCosts {
        // wasmi's default for `memory.copy`, `memory.fill` and their kin.
        bytes_copied_per_fuel: 64,
        fuel_per_bytes_translated: 0,
        fuel_per_bytes_validated: 0,
    });
    config
}

/// A store for `engine` with `limits` applied, and the linker of the host's modules for it:
/// the one place a run's limits meet wasmi. Every memory and table together stays within the
/// memory limit (`limiter`), growing past it failing with -1 as `memory.grow` does (compat §7),
/// and a module whose declared memories or tables alone exceed it is refused before anything
/// runs; the fuel given is the user's, else as good as unlimited (`call` hands it out a slice
/// at a time).
pub fn store(
    engine: &Engine,
    wasi: WasiCtx,
    net: Option<Net>,
    linked: &Linked,
    limits: &Limits,
) -> Result<(Store<StoreData>, Linker<StoreData>), LinkError> {
    let limiter = Limiter::new(
        limits
            .memory_pages()
            .map(|pages| pages.saturating_mul(PAGE)),
    );
    check_declared(linked, limiter.limit())?;
    let mut linker = Linker::new(engine);
    // Registering fixed host functions in a fresh linker fails only if two share a name.
    wasi_shim::add_to_linker(&mut linker, |data: &mut StoreData| &mut data.wasi)
        .expect("the WASI functions have distinct names");
    if net.is_some() {
        crate::net::add_to_linker(&mut linker, |data: &StoreData| data.net.as_ref())
            .expect("the network module's function is defined once");
    }
    let mut store = Store::new(engine, StoreData { wasi, net, limiter });
    store.limiter(|data| &mut data.limiter);
    store
        .set_fuel(limits.fuel.unwrap_or(u64::MAX))
        .expect("the engine meters fuel");
    Ok((store, linker))
}

/// Fails, before anything runs, when a module imports or exports a memory or table whose
/// declared minimum alone is above `limit` bytes. A memory or table neither imported nor
/// exported is not in wasmi's public API, and the total of them all is known only as they
/// are made: instantiation reports those (`instantiate`).
fn check_declared(linked: &Linked, limit: u64) -> Result<(), LinkError> {
    for linked in &linked.modules {
        let module = &linked.module;
        let imported = module
            .imports()
            .map(|i| (format!("{}::{}", i.module(), i.name()), i.ty().clone()));
        let exported = module
            .exports()
            .map(|e| (e.name().to_string(), e.ty().clone()));
        for (name, ty) in imported.chain(exported) {
            let (what, minimum, bytes) = match ty {
                ExternType::Memory(ty) => {
                    let bytes = u128::from(ty.minimum()) * u128::from(PAGE);
                    ("memory", format!("{} pages", ty.minimum()), bytes)
                }
                ExternType::Table(ty) => {
                    let each = u128::from(TABLE_ELEMENT_BYTES);
                    let bytes = u128::from(ty.minimum()) * each;
                    ("table", format!("{} elements", ty.minimum()), bytes)
                }
                _ => continue,
            };
            if bytes > u128::from(limit) {
                return Err(LinkError::MemoryLimit {
                    label: linked.label.clone(),
                    item: Some(format!(
                        "{what} `{name}` declares a minimum of {minimum} ({bytes} bytes)"
                    )),
                    limit,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmi::ResumableCall;

    /// A module (text, which wasmi reads too) whose `run` calls, for the first time, a function
    /// large enough that compiling it would cost thousands of units of fuel at wasmi's default
    /// costs.
    fn first_call_of_a_large_function() -> String {
        let body = "(local.set 0 (i32.add (local.get 0) (i32.const 1)))\n".repeat(500);
        format!("(module (func $large (local i32) {body}) (func (export \"run\") (call $large)))")
    }

    /// Runs `run` of `wasm` on `engine` with plenty of fuel and returns the fuel it used.
    fn fuel_to_run(engine: &Engine, wasm: &str) -> u64 {
        let module = wasmi::Module::new(engine, wasm).unwrap();
        let mut store = Store::new(engine, ());
        store.set_fuel(1_000_000).unwrap();
        let instance = wasmi::Linker::new(engine)
            .instantiate_and_start(&mut store, &module)
            .unwrap();
        let run = instance.get_func(&store, "run").unwrap();
        run.call(&mut store, &[], &mut []).unwrap();
        1_000_000 - store.get_fuel().unwrap()
    }

    #[test]
    fn fuel_counts_execution_alone_whatever_the_compilation_mode() {
        let wasm = first_call_of_a_large_function();
        let lazy = fuel_to_run(&new(), &wasm);
        let mut eager = config();
        eager.compilation_mode(wasmi::CompilationMode::Eager);
        let eager = fuel_to_run(&Engine::new(&eager), &wasm);
        assert_eq!(lazy, eager);
        // Execution is about 2,000 units; compiling at wasmi's default 7 units a byte would be
        // over 20,000.
        assert!(lazy < 5_000, "execution alone: {lazy}");
    }

    #[test]
    fn a_slice_may_end_where_a_function_is_first_compiled() {
        // wasmi 2.0 cannot resume a call that ran out of fuel while compiling a function: with
        // compilation free, running out there cannot happen, so every slice end is resumable.
        let engine = new();
        let module = wasmi::Module::new(&engine, first_call_of_a_large_function()).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = wasmi::Linker::new(&engine)
            .instantiate_and_start(&mut store, &module)
            .unwrap();
        let run = instance.get_func(&store, "run").unwrap();
        store.set_fuel(2).unwrap();
        let mut call = run.call_resumable(&mut store, &[], &mut []);
        let mut slices = 0;
        while let Ok(ResumableCall::OutOfFuel(paused)) = call {
            slices += 1;
            store.set_fuel(paused.required_fuel().max(2)).unwrap();
            call = paused.resume(&mut store, &mut []);
        }
        assert!(matches!(call, Ok(ResumableCall::Finished)), "{call:?}");
        assert!(slices >= 1, "{slices}");
    }
}
