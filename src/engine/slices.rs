//! Running a guest function in slices of fuel, so that it can be stopped whatever it does.
//!
//! Owns: the slice size, the hand-out of the user's fuel limit a slice at a time, and the
//! reading of how much fuel the guest used. The guest runs on `SLICE` units of fuel at a time
//! through wasmi's resumable calls; between two slices `stop::stop_now` looks at the clock and
//! for a caught signal (docs/RATIONALE.md). A user's fuel limit is the total of the slices.

use wasmi::{Func, ResumableCall, Store, TrapCode};

use super::StoreData;
use super::outcome::{Outcome, classify, trap_name};
use super::stop::{Deadline, stop_now};
use crate::spec::Limits;

/// The fuel a guest runs on between two looks at the clock and the signal flag. A slice takes
/// 0.16 ms (a compute benchmark, about 6 units a nanosecond) to 0.8 ms (a bare loop) on the
/// project's build box, so even a machine 50 times slower, or instructions 50 times dearer,
/// stays well inside the 0.1 s a timeout may be overrun by; the clock and the resumption cost
/// nothing measurable (bench/RESULTS.md). It also bounds the host stack a guest can use: the
/// few wasmi instructions that do not hand over to the next in tail position keep their frame
/// until the slice ends (`guest_stack` in `mod.rs`).
pub const SLICE: u64 = 1_000_000;

/// Calls `func`, a `() -> ()` function of the guest (the entrypoint, checked by `link`; a start
/// function; a reactor's `_initialize`), in slices of fuel, stopping the guest at the first
/// slice that ends past the deadline or after a signal. `None` when the function returned:
/// the run goes on; else how the guest ended (an exit, a trap, a stop).
pub fn call(
    store: &mut Store<StoreData>,
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
pub fn fuel_used(store: &Store<StoreData>, limits: &Limits) -> Option<u64> {
    let given = limits.fuel.unwrap_or(u64::MAX);
    store.get_fuel().ok().map(|left| given.saturating_sub(left))
}

/// Runs `func` a slice at a time until it returns, the guest ends or traps, or it passes the
/// deadline or is stopped by a signal.
fn sliced(
    store: &mut Store<StoreData>,
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
    /// Takes back what the store has left and gives it the next slice: `SLICE`, plus the
    /// `required` fuel the instruction that ran out needs, but never past the user's limit.
    /// False when the limit cannot cover `required`: the guest is out of fuel.
    ///
    /// `required` alone is not always enough: wasmi 2.0 resumes a `table.grow` that ran out of
    /// fuel from the start of its block, which is charged again before the instruction is
    /// (docs/upstream/wasmi-non-tail-handlers.md); with exactly `required` it would run out
    /// there again, for ever.
    fn refill(
        &mut self,
        store: &mut Store<StoreData>,
        required: u64,
    ) -> Result<bool, wasmi::Error> {
        let unused = store.get_fuel()?;
        self.used += self.slice.saturating_sub(unused);
        let slice = SLICE.saturating_add(required);
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
