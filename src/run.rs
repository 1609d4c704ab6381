//! The engine, the store and its limits, and the call of the entrypoint; turns how the guest
//! ended into an `Outcome`. Every limit of `Plan.limits` is applied here and nowhere else.
//!
//! A timeout is enforced by fuel slicing (docs/RATIONALE.md): the guest runs on `SLICE` units
//! of fuel at a time through wasmi's resumable calls, and between two slices bolinho looks at
//! the clock and for a caught signal (`signal.rs`). A user's fuel limit is the total of the
//! slices given.

use std::cell::Cell;
use std::time::{Duration, Instant};

use wasi_shim::{Clock, ClockId, Interrupted, WasiCtx};
use wasmi::{
    Config, CustomFuelCosts, Engine, Func, ResumableCall, Store, StoreLimits, StoreLimitsBuilder,
    TrapCode,
};

use crate::net::Net;
use crate::signal::{self, Signal};
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
    /// The guest was stopped when it ran past this timeout.
    TimedOut(Duration),
    /// The guest was stopped because bolinho caught this signal.
    Stopped(Signal),
}

/// The fuel a guest runs on between two looks at the clock and the signal flag. A slice takes
/// 0.16 ms (a compute benchmark, about 6 units a nanosecond) to 0.8 ms (a bare loop) on the
/// project's build box, so even a machine 50 times slower, or instructions 50 times dearer,
/// stays well inside the 0.1 s a timeout may be overrun by; the clock and the resumption cost
/// nothing measurable (bench/RESULTS.md).
pub const SLICE: u64 = 1_000_000;

/// When a run's timeout ends.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Instant,
    /// The timeout itself, for the message.
    pub timeout: Duration,
}

impl Deadline {
    /// The deadline of a run with these limits starting now, if it has a timeout.
    pub fn start(limits: &Limits) -> Option<Deadline> {
        limits.timeout.map(|timeout| Deadline {
            // A timeout too large for an Instant is as good as none: stop in ~30 years.
            at: Instant::now()
                .checked_add(timeout)
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(1 << 30)),
            timeout,
        })
    }
}

/// Why a guest that has not ended should stop now, if it should: a caught signal first (the
/// user's explicit word), then the deadline.
fn stop_now(deadline: Option<Deadline>) -> Option<Outcome> {
    if let Some(signal) = signal::received() {
        return Some(Outcome::Stopped(signal));
    }
    deadline
        .filter(|d| Instant::now() >= d.at)
        .map(|d| Outcome::TimedOut(d.timeout))
}

/// The guest's clock, made to end the guest when bolinho must stop it: a caught signal makes
/// it `interrupted`, so the host call in progress ends the guest with
/// `wasi_shim::Interrupted`; and when its sleeps are real (`--nondeterministic`), they end at
/// the deadline or at a signal, whichever comes first. A virtual clock's sleeps take no real
/// time and pass through whole.
pub struct StopClock<C> {
    inner: C,
    /// Whether `inner` sleeps in real time, and so must be cut short.
    real: bool,
    deadline: Option<Instant>,
    cut: Cell<bool>,
}

/// How long a real sleep waits between two looks for a signal.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

impl<C: Clock> StopClock<C> {
    /// Wraps a clock whose sleeps are real, cutting them at `deadline` and at a signal.
    pub fn real(inner: C, deadline: Option<Instant>) -> Self {
        StopClock {
            inner,
            real: true,
            deadline,
            cut: Cell::new(false),
        }
    }

    /// Wraps a virtual clock, whose sleeps are instant.
    pub fn virtual_time(inner: C) -> Self {
        StopClock {
            inner,
            real: false,
            deadline: None,
            cut: Cell::new(false),
        }
    }
}

impl<C: Clock> Clock for StopClock<C> {
    fn now(&self, id: ClockId) -> Option<u64> {
        self.inner.now(id)
    }

    fn resolution(&self, id: ClockId) -> Option<u64> {
        self.inner.resolution(id)
    }

    fn sleep(&self, ns: u64) {
        if !self.real {
            return self.inner.sleep(ns);
        }
        let start = Instant::now();
        let wake = start.checked_add(Duration::from_nanos(ns));
        let end = match (wake, self.deadline) {
            (Some(wake), Some(deadline)) if deadline < wake => {
                self.cut.set(true);
                deadline
            }
            (Some(wake), _) => wake,
            (None, Some(deadline)) => {
                self.cut.set(true);
                deadline
            }
            (None, None) => start + Duration::from_secs(1 << 30),
        };
        // Asleep in steps, so a signal ends the sleep within one step.
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() || signal::received().is_some() {
                return;
            }
            let step = left.min(SIGNAL_POLL);
            self.inner
                .sleep(u64::try_from(step.as_nanos()).unwrap_or(u64::MAX));
        }
    }

    fn epoch(&self) -> Option<u64> {
        self.inner.epoch()
    }

    fn interrupted(&self) -> bool {
        self.cut.get() || signal::received().is_some()
    }
}

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
    config.fuel_cost(CustomFuelCosts {
        // wasmi's default for `memory.copy`, `memory.fill` and their kin.
        bytes_copied_per_fuel: 64,
        fuel_per_bytes_translated: 0,
        fuel_per_bytes_validated: 0,
    });
    config
}

/// A store for `engine` with the limits applied: each memory at most `memory_pages` pages,
/// growing past it failing with -1 as `memory.grow` does (compat §7), and the fuel given: the
/// user's, else as good as unlimited (`call` hands it out a slice at a time).
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
    store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
    Ok(store)
}

/// Calls `func`, a `() -> ()` function of the guest (the entrypoint, checked by `link`; a start
/// function; a reactor's `_initialize`), in slices of fuel, stopping the guest at the first
/// slice that ends past the deadline or after a signal. `None` when the function returned:
/// the run goes on; else how the guest ended (an exit, a trap, a stop).
pub fn call(
    store: &mut Store<Host>,
    func: Func,
    limits: &Limits,
    deadline: Option<Deadline>,
) -> Result<Option<Outcome>, wasmi::Error> {
    if let Some(stopped) = stop_now(deadline) {
        // Caught before the function started: it never does.
        return Ok(Some(stopped));
    }
    // What the user's fuel limit leaves after instantiation; `None` is no limit.
    let before = store.get_fuel()?;
    let mut budget = Budget {
        left: limits.fuel.map(|_| before),
        used: 0,
        slice: 0,
    };
    store.set_fuel(0)?;
    budget.refill(store, 0)?;
    let outcome = sliced(store, func, &mut budget, deadline);
    // Leave in the store what a run without slices would have left, so `fuel_used` reads the
    // same with or without a timeout.
    let unused = store.get_fuel()?;
    let used = budget.used + budget.slice.saturating_sub(unused);
    store.set_fuel(before.saturating_sub(used))?;
    outcome
}

/// The fuel the guest consumed, instantiation included.
pub fn fuel_used(store: &Store<Host>, limits: &Limits) -> Option<u64> {
    let given = limits.fuel.unwrap_or(u64::MAX);
    store.get_fuel().ok().map(|left| given.saturating_sub(left))
}

/// Runs `func` a slice at a time until it returns, the guest ends or traps, or it passes the
/// deadline or is stopped by a signal.
fn sliced(
    store: &mut Store<Host>,
    func: Func,
    budget: &mut Budget,
    deadline: Option<Deadline>,
) -> Result<Option<Outcome>, wasmi::Error> {
    let mut call = func.call_resumable(&mut *store, &[], &mut []);
    loop {
        match call {
            Ok(ResumableCall::Finished) => return Ok(None),
            // A host function's error (`proc_exit` among them) ends the guest as it would
            // without slicing; bolinho never resumes one.
            Ok(ResumableCall::HostTrap(trap)) => {
                return classify(trap.into_host_error(), deadline).map(Some);
            }
            Ok(ResumableCall::OutOfFuel(paused)) => {
                // The user's fuel first: running out of it is the same trap with or without
                // a timeout, whatever the clock says.
                if !budget.refill(store, paused.required_fuel())? {
                    return Ok(Some(Outcome::Trapped(
                        trap_name(TrapCode::OutOfFuel).into(),
                    )));
                }
                if let Some(stopped) = stop_now(deadline) {
                    return Ok(Some(stopped));
                }
                call = paused.resume(&mut *store, &mut []);
            }
            Err(error) => return classify(error, deadline).map(Some),
        }
    }
}

/// The user's fuel not yet handed to the store, given out a slice at a time.
struct Budget {
    /// `None`: no fuel limit.
    left: Option<u64>,
    /// What the guest consumed of the slices before the current one.
    used: u64,
    /// The fuel the store was last given.
    slice: u64,
}

impl Budget {
    /// Takes back what the store has left and gives it the next slice: `SLICE`, or the
    /// `required` fuel the next instruction needs if more, but never past the user's limit.
    /// False when the limit cannot cover `required`: the guest is out of fuel.
    fn refill(&mut self, store: &mut Store<Host>, required: u64) -> Result<bool, wasmi::Error> {
        let unused = store.get_fuel()?;
        self.used += self.slice.saturating_sub(unused);
        let slice = SLICE.max(required);
        let slice = match &mut self.left {
            None => slice,
            Some(left) => {
                *left += unused;
                if *left < required {
                    store.set_fuel(*left)?;
                    self.slice = *left;
                    return Ok(false);
                }
                let slice = slice.min(*left);
                *left -= slice;
                slice
            }
        };
        store.set_fuel(slice)?;
        self.slice = slice;
        Ok(true)
    }
}

/// Sorts an error from guest execution into an exit, a trap, a stop (a host call ended by
/// `StopClock` for the deadline or a signal), or a failure of bolinho's own (returned as the
/// error).
pub fn classify(error: wasmi::Error, deadline: Option<Deadline>) -> Result<Outcome, wasmi::Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_sleeps_end_at_the_deadline_and_say_so() {
        let clock = StopClock::real(
            wasi_shim::HostClock::new(),
            Some(Instant::now() + Duration::from_millis(200)),
        );
        let start = Instant::now();
        clock.sleep(10_000_000);
        assert!(start.elapsed() >= Duration::from_millis(10));
        assert!(
            !clock.interrupted(),
            "a sleep ending before the deadline is whole"
        );
        clock.sleep(3_600_000_000_000);
        assert!(clock.interrupted());
        let slept = start.elapsed();
        assert!(
            (Duration::from_millis(200)..Duration::from_secs(5)).contains(&slept),
            "{slept:?}"
        );
        // Past the deadline a sleep does not wait at all.
        let past = StopClock::real(
            wasi_shim::HostClock::new(),
            Some(Instant::now() - Duration::from_millis(1)),
        );
        let start = Instant::now();
        past.sleep(1_000_000_000);
        assert!(past.interrupted());
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[test]
    fn virtual_sleeps_pass_through_whole() {
        let clock = StopClock::virtual_time(wasi_shim::VirtualClock::new(0, 1));
        let start = Instant::now();
        clock.sleep(3_600_000_000_000);
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(!clock.interrupted());
        assert!(clock.now(ClockId::Monotonic).unwrap() >= 3_600_000_000_000);
    }

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

    #[test]
    fn a_deadline_follows_the_timeout() {
        let timeout = Limits {
            timeout: Some(Duration::from_secs(1)),
            ..Limits::default()
        };
        assert!(Deadline::start(&timeout).is_some());
        assert!(Deadline::start(&Limits::default()).is_none());
        // A timeout beyond what an Instant holds is as good as none, not a panic.
        let huge = Limits {
            timeout: Some(Duration::MAX),
            ..Limits::default()
        };
        assert!(Deadline::start(&huge).is_some());
    }
}
