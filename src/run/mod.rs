//! The engine, the store and its limits, and the guest's run: instantiation, start-up
//! functions and the entrypoint, on a thread of its own, watched until it ends. Turns how the
//! guest ended into an `Outcome`. Every limit of `Plan.limits` meets wasmi here: memory in
//! `limiter`, fuel in `slices`, time in `stop` and `execute`.
//!
//! The guest runs on its own thread for two reasons. Its stack: wasmi's interpreter keeps a
//! host stack frame for each of a few instructions until its fuel slice ends, more than a main
//! thread's 8 MiB may hold (`guest_stack`; docs/upstream/wasmi-non-tail-handlers.md). And its
//! time: some single steps take long without a chance to look at the clock (growing a memory by
//! gigabytes, a write into a pipe nobody reads). The calling thread watches the deadline and
//! the signals, requests the stop, wakes the guest out of a blocking system call, and, if the
//! guest still does not return within `GRACE`, closes its `Interrupt` (no host call of it has
//! any effect from then on) and goes on without it, with the results written so far.

mod limiter;
mod slices;
mod stop;

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use wasi_shim::{Interrupt, Interrupted, WasiCtx};
use wasmi::errors::{ErrorKind, InstantiationError, MemoryError, TableError};
use wasmi::{
    Config, CustomFuelCosts, Engine, Func, Instance, Linker, OperatorCost, Store, TrapCode,
};

pub use slices::fuel_used;
pub use stop::{Deadline, StopClock};

use crate::link::{LinkError, Linked};
use crate::net::Net;
use crate::signal::{self, Signal};
use crate::spec::Limits;
use crate::start;
use limiter::Limiter;
use slices::call;
use stop::stop_now;

/// What the store holds: the WASI context, and the network when the run has one, that host
/// functions reach through `Caller::data_mut`.
pub struct Host {
    pub wasi: WasiCtx,
    pub net: Option<Net>,
    /// The memory limit wasmi consults whenever a memory or table is created or grows.
    limiter: Limiter,
}

impl Host {
    /// The memory limit in bytes: what every memory and table of the run may take together.
    pub fn memory_limit(&self) -> u64 {
        self.limiter.limit()
    }
}

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

/// The host stack of the guest's thread, for a run whose largest function body is
/// `largest_body` bytes. wasmi 2.0 hands each instruction to the next in tail position except
/// `memory.grow` and `table.grow`, whose frames (176 and 160 bytes on x86_64) stay until the
/// fuel slice ends (docs/upstream/wasmi-non-tail-handlers.md). Priced at 255 fuel (`config`),
/// a slice holds at most `SLICE / 255` of them, under a megabyte; but one block is paid for
/// whole, and one block of a body of N bytes holds at most N / 2 of them (each is two bytes
/// or more): 88 bytes of stack per byte of body on x86_64. Other architectures save more
/// registers in a frame (aarch64 up to a dozen), so the stack allows 256-byte frames: 128 bytes
/// per byte of body. Only the pages used are ever committed.
fn guest_stack(largest_body: usize) -> usize {
    const BASE: usize = 64 << 20;
    const PER_BYTE_OF_BODY: usize = 256 / 2;
    BASE.saturating_add(largest_body.saturating_mul(PER_BYTE_OF_BODY))
}

/// How long a guest told to stop may take to return before the run goes on without it.
const GRACE: Duration = Duration::from_millis(200);

/// How often the watching thread looks at the clock and for a signal.
const WATCH: Duration = Duration::from_millis(10);

/// The engine of every run. It meters fuel, always: fuel slices are how a guest is stopped at
/// its deadline or on a signal whatever it is doing, and the fuel used is a measure of the work
/// done that the receipt records (docs/RATIONALE.md; the cost is in bench/RESULTS.md). wasmi's
/// `deterministic` feature (set in Cargo.toml) makes NaN bits canonical, so floating-point
/// results are identical on every machine.
///
/// Fuel counts execution only. wasmi compiles each function on its first call
/// (`CompilationMode::LazyTranslation`, for start-up speed) and by default charges fuel for
/// it there, which would make the fuel a run uses depend on the compilation mode, and which
/// wasmi 2.0 reports as a trap that cannot be resumed when a slice of fuel ends inside it.
/// Free compilation keeps fuel a property of the module's execution alone.
pub fn engine() -> Engine {
    Engine::new(&config())
}

/// The configuration behind `engine`.
fn config() -> Config {
    let mut config = Config::default();
    config.consume_fuel(true);
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

/// A store for `engine` with the limits applied: every memory and table together within the
/// memory limit (`limiter`), growing past it failing with -1 as `memory.grow` does (compat
/// §7), and the fuel given: the user's, else as good as unlimited (`call` hands it out a
/// slice at a time).
pub fn new_store(
    engine: &Engine,
    wasi: WasiCtx,
    net: Option<Net>,
    limits: &Limits,
) -> Result<Store<Host>, wasmi::Error> {
    let host = Host {
        wasi,
        net,
        limiter: Limiter::new(
            limits
                .memory_pages()
                .map(|pages| pages.saturating_mul(crate::spec::limits::PAGE)),
        ),
    };
    let mut store = Store::new(engine, host);
    store.limiter(|host| &mut host.limiter);
    store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
    Ok(store)
}

/// A guest ready to run: what `execute` moves onto the guest's thread.
pub struct Guest {
    pub store: Store<Host>,
    pub linker: Linker<Host>,
    pub linked: Linked,
    pub limits: Limits,
    pub deadline: Option<Deadline>,
    /// The handle its host calls pass through, shared with its clock and network.
    pub interrupt: Arc<Interrupt>,
}

/// How the guest's run ended.
pub struct Ended {
    pub outcome: Outcome,
    /// The store, unless the guest did not return within `GRACE` of being told to stop.
    pub store: Option<Store<Host>>,
}

/// Why a guest could not run at all: not its doing.
#[derive(Debug)]
pub enum Failure {
    /// Its memories or tables need more than the memory limit.
    Limit(LinkError),
    /// The engine failed while instantiating.
    Engine(wasmi::Error),
}

/// Instantiates the guest's modules and calls its entrypoint on a thread of its own, watching
/// its deadline and the signals from this one (see the module's documentation).
pub fn execute(guest: Guest) -> Result<Ended, Failure> {
    let deadline = guest.deadline;
    let interrupt = Arc::clone(&guest.interrupt);
    // A mutex and a condition variable, not a channel: std's channels spin before they sleep,
    // which doubled the CPU time of a short run.
    let mailbox = Arc::new((Mutex::new(None), Condvar::new()));
    let thread = {
        let mailbox = Arc::clone(&mailbox);
        std::thread::Builder::new()
            .name("guest".into())
            .stack_size(guest_stack(guest.linked.largest_body))
            .spawn(move || {
                // Ctrl-C and SIGTERM go to the watching thread; only its wake-up reaches this one.
                signal::leave_to_others();
                let ended = run(guest);
                let (slot, arrived) = &*mailbox;
                *lock(slot) = Some(ended);
                arrived.notify_one();
            })
            .map_err(|e| {
                Failure::Engine(wasmi::Error::new(format!("failed to start the guest: {e}")))
            })?
    };
    let pthread = signal::Thread::of(&thread);
    let mut stopping: Option<(Outcome, Instant)> = None;
    loop {
        let wait = match (&stopping, deadline) {
            (None, Some(d)) => d.at.saturating_duration_since(Instant::now()).min(WATCH),
            _ => WATCH,
        };
        let (slot, arrived) = &*mailbox;
        let mut ended = arrived
            .wait_timeout_while(lock(slot), wait, |ended| ended.is_none())
            .unwrap_or_else(PoisonError::into_inner)
            .0;
        if let Some(result) = ended.take() {
            drop(ended);
            let _ = thread.join();
            return result;
        }
        drop(ended);
        if thread.is_finished() {
            // The guest's thread panicked (a bug): let its panic end the run. Or it left its
            // result just now.
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
            return lock(slot)
                .take()
                .expect("the guest's thread leaves its result before it ends");
        }
        if stopping.is_none()
            && let Some(outcome) = stop_now(deadline)
        {
            interrupt.request();
            stopping = Some((outcome, Instant::now()));
        }
        if let Some((outcome, since)) = &stopping {
            // Out of a blocking read, write or sleep, again and again until it returns.
            pthread.wake();
            if since.elapsed() >= GRACE {
                interrupt.close(|| pthread.wake());
                return Ok(Ended {
                    outcome: outcome.clone(),
                    store: None,
                });
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The guest's thread: instantiation, start-up functions, the entrypoint.
fn run(mut guest: Guest) -> Result<Ended, Failure> {
    let outcome = match instantiate(&mut guest) {
        Ok(Started::Ready(entrypoint)) => {
            call(&mut guest.store, entrypoint, &guest.limits, guest.deadline)
                .map(|ended| ended.unwrap_or(Outcome::Exited(0)))
                .map_err(Failure::Engine)?
        }
        Ok(Started::Ended(outcome)) => outcome,
        Err(Failure::Engine(error)) => classify(error, guest.deadline).map_err(Failure::Engine)?,
        Err(limit) => return Err(limit),
    };
    Ok(Ended {
        outcome,
        store: Some(guest.store),
    })
}

/// What instantiation gave: the entrypoint, or the end of the guest in a start-up function.
enum Started {
    Ready(Func),
    Ended(Outcome),
}

/// Instantiates the import modules (running their start functions and a reactor's
/// `_initialize`), then the entry module, and returns the entrypoint. Start-up functions run
/// through `call`, in fuel slices, bounded like the entrypoint; a guest that ends during
/// start-up ends the run. An engine error here is the guest's doing (a trap in a data
/// segment's initialisation), except a memory or table the limit refuses.
fn instantiate(guest: &mut Guest) -> Result<Started, Failure> {
    let Guest {
        store,
        linker,
        linked,
        limits,
        deadline,
        ..
    } = guest;
    let limit = store.data().limiter.limit();
    let count = linked.modules.len();
    for (i, module) in std::mem::take(&mut linked.modules).into_iter().enumerate() {
        let instance = linker
            .instantiate_and_start(&mut *store, &module.module)
            .map_err(|e| refused(e, &module.label, limit))?;
        // Runs a start-up function of `instance`, if it exports a `() -> ()` named `name`.
        let mut start_up = |name: &str| -> Result<Option<Outcome>, Failure> {
            match startable(store, instance, name) {
                Some(func) => call(store, func, limits, *deadline).map_err(Failure::Engine),
                None => Ok(None),
            }
        };
        if module.deferred_start
            && let Some(outcome) = start_up(start::EXPORT)?
        {
            return Ok(Started::Ended(outcome));
        }
        if i + 1 == count {
            let entrypoint = instance
                .get_func(&*store, &linked.entrypoint)
                .expect("entrypoint checked by link::resolve");
            return Ok(Started::Ready(entrypoint));
        }
        if let Some(outcome) = start_up("_initialize")? {
            return Ok(Started::Ended(outcome));
        }
        for name in &module.names {
            linker
                .instance(&mut *store, name, instance)
                .map_err(Failure::Engine)?;
        }
    }
    unreachable!("a linked graph ends with its entry module")
}

/// The function `name` of `instance` if it is a `() -> ()`.
fn startable(store: &Store<Host>, instance: Instance, name: &str) -> Option<Func> {
    instance.get_func(store, name).filter(|f| {
        let ty = f.ty(store);
        ty.params().is_empty() && ty.results().is_empty()
    })
}

/// An instantiation error, as the limit's refusal if it was one.
fn refused(error: wasmi::Error, label: &str, limit: u64) -> Failure {
    use InstantiationError::{FailedToInstantiateMemory, FailedToInstantiateTable};
    match error.kind() {
        ErrorKind::Instantiation(
            FailedToInstantiateMemory(MemoryError::ResourceLimiterDeniedAllocation)
            | FailedToInstantiateTable(TableError::ResourceLimiterDeniedAllocation),
        )
        | ErrorKind::Memory(MemoryError::ResourceLimiterDeniedAllocation)
        | ErrorKind::Table(TableError::ResourceLimiterDeniedAllocation) => {
            Failure::Limit(LinkError::MemoryLimit {
                label: label.to_string(),
                item: None,
                limit,
            })
        }
        _ => Failure::Engine(error),
    }
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
        wasmi::errors::ErrorKind::Host(_) | wasmi::errors::ErrorKind::Message(_) => {
            Ok(Outcome::Trapped(error.to_string()))
        }
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
        let lazy = fuel_to_run(&engine(), &wasm);
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
        let engine = engine();
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
