//! The guest's run on a thread of its own, watched from the calling thread until it ends.
//!
//! Two reasons for the thread. Its stack: wasmi's interpreter keeps a host stack frame for
//! each of a few instructions until its fuel slice ends, more than a main thread's 8 MiB may
//! hold (`guest_stack`; docs/upstream/wasmi-non-tail-handlers.md). And its time: some single
//! steps take long without a chance to look at the clock (growing a memory by gigabytes, a
//! write into a pipe nobody reads). The calling thread watches the deadline and the signals,
//! requests the stop, wakes the guest out of a blocking system call, and, if the guest still
//! does not return within `GRACE`, closes its `Interrupt` (no host call of it has any effect
//! from then on) and goes on without it, with the results written so far.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use wasi_shim::Interrupt;
use wasmi::{Linker, Store};

use super::StoreData;
use super::instantiate::{Started, instantiate};
use super::outcome::{Outcome, classify};
use super::slices::call;
use super::stop::{Deadline, stop_now};
use crate::link::{LinkError, Linked};
use crate::signal;
use crate::spec::Limits;

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

/// A guest ready to run: what `execute` moves onto the guest's thread.
pub struct Guest {
    pub store: Store<StoreData>,
    pub linker: Linker<StoreData>,
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
    pub store: Option<Store<StoreData>>,
}

/// Why a guest could not run at all: not its doing.
#[derive(Debug)]
pub enum CannotRun {
    /// Its memories or tables need more than the memory limit.
    MemoryLimit(LinkError),
    /// The engine refused to instantiate or call the linked modules.
    Engine(wasmi::Error),
    /// The guest's thread could not be started.
    Thread(std::io::Error),
}

/// Instantiates the guest's modules and calls its entrypoint on a thread of its own, watching
/// its deadline and the signals from this one (see the module's documentation).
pub fn execute(guest: Guest) -> Result<Ended, CannotRun> {
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
                let ended = run_guest(guest);
                let (slot, arrived) = &*mailbox;
                *lock(slot) = Some(ended);
                arrived.notify_one();
            })
            .map_err(CannotRun::Thread)?
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
fn run_guest(mut guest: Guest) -> Result<Ended, CannotRun> {
    let outcome = match instantiate(&mut guest) {
        Ok(Started::Ready(entrypoint)) => {
            call(&mut guest.store, entrypoint, &guest.limits, guest.deadline)
                .map(|ended| ended.unwrap_or(Outcome::Exited(0)))
                .map_err(CannotRun::Engine)?
        }
        Ok(Started::Ended(outcome)) => outcome,
        Err(CannotRun::Engine(error)) => {
            classify(error, guest.deadline).map_err(CannotRun::Engine)?
        }
        Err(limit) => return Err(limit),
    };
    Ok(Ended {
        outcome,
        store: Some(guest.store),
    })
}
