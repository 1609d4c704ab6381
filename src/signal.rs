//! Ctrl-C (SIGINT) and SIGTERM while a run goes on: caught, so that the run stops the guest at
//! its next fuel slice or host call and keeps its results, instead of dying with them
//! half-written; and the wake-up signal by which the run gets its guest's thread out of a
//! blocking system call.
//!
//! Owns: installing the handlers for a run and restoring the previous ones, the one flag the
//! handlers set, and sending the wake-up. Runs may overlap (a job's partitions run on threads
//! of their own): the handlers are installed by the first `catch` and restored when the last
//! value it returned is dropped, and the flag is cleared only by the first. The handler does nothing but store the signal's
//! number, the only thing a signal handler may safely do; the wake-up's handler does nothing
//! at all: its arrival is what ends a blocking call with `EINTR` (no handler is installed with
//! `SA_RESTART`). A second SIGINT or SIGTERM finds the default action again (`SA_RESETHAND`)
//! and kills bolinho at once: the way out when nothing else answers.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, PoisonError};

/// The number of the first signal caught, 0 for none.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// A signal that stops the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C in a terminal.
    Interrupt,
    /// SIGTERM: `kill`, a container runtime stopping its container.
    Terminate,
}

impl Signal {
    /// Its conventional name.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    fn number(self) -> libc::c_int {
        match self {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
        }
    }

    fn from_number(number: i32) -> Option<Signal> {
        [Signal::Interrupt, Signal::Terminate]
            .into_iter()
            .find(|s| s.number() == number)
    }
}

/// The first signal caught since `catch`, if any.
pub fn received() -> Option<Signal> {
    Signal::from_number(RECEIVED.load(Ordering::Relaxed))
}

extern "C" fn record(number: libc::c_int) {
    // Only the first signal counts: the second finds the default action and ends bolinho.
    let _ = RECEIVED.compare_exchange(0, number, Ordering::Relaxed, Ordering::Relaxed);
}

extern "C" fn ignore(_: libc::c_int) {}

/// The signal that wakes the guest's thread. SIGURG is ignored by default, so one that
/// arrives when no run is going on does nothing; Go and Wasmtime preempt threads with it too.
const WAKE: libc::c_int = libc::SIGURG;

/// A thread that can be woken out of a blocking system call.
#[derive(Debug, Clone, Copy)]
pub struct Thread(libc::pthread_t);

impl Thread {
    pub fn of<T>(handle: &std::thread::JoinHandle<T>) -> Thread {
        use std::os::unix::thread::JoinHandleExt;
        Thread(handle.as_pthread_t() as libc::pthread_t)
    }

    /// Ends the system call the thread is blocked in, if any, with `EINTR`.
    pub fn wake(self) {
        // SAFETY: the thread is alive: it is joined only after its last wake-up.
        unsafe {
            libc::pthread_kill(self.0, WAKE);
        }
    }
}

/// Leaves SIGINT and SIGTERM to the process's other threads: the calling thread (the guest's)
/// is then reached only by the wake-up its watcher sends.
pub fn leave_to_others() {
    // SAFETY: a mask built with the libc calls, applied to the calling thread.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// Handlers installed for the life of this value (and of any other `catch` returned meanwhile);
/// dropping the last restores the previous ones.
pub struct Catching(());

/// How many `Catching` values are alive, and the actions the first one replaced.
static CATCHERS: Mutex<(usize, Vec<(libc::c_int, libc::sigaction)>)> = Mutex::new((0, Vec::new()));

/// Catches SIGINT and SIGTERM, and installs the wake-up's handler, until the returned value
/// (and every other one alive) is dropped. Blocking system calls are not restarted after a
/// signal (no `SA_RESTART`): a guest waiting on stdin or on a full pipe gets `EINTR`, and its
/// host call's end stops it.
pub fn catch() -> Catching {
    let mut catchers = CATCHERS.lock().unwrap_or_else(PoisonError::into_inner);
    catchers.0 += 1;
    if catchers.0 == 1 {
        RECEIVED.store(0, Ordering::Relaxed);
        catchers.1 = install();
    }
    Catching(())
}

/// Installs the handlers and returns the actions they replaced.
fn install() -> Vec<(libc::c_int, libc::sigaction)> {
    let record = record as extern "C" fn(libc::c_int) as libc::sighandler_t;
    let ignore = ignore as extern "C" fn(libc::c_int) as libc::sighandler_t;
    let handlers = [
        (libc::SIGINT, record, libc::SA_RESETHAND),
        (libc::SIGTERM, record, libc::SA_RESETHAND),
        (WAKE, ignore, 0),
    ];
    let mut previous = Vec::new();
    for (number, handler, flags) in handlers {
        // SAFETY: a zeroed sigaction is a valid value (empty mask, no flags), and both
        // handlers are async-signal-safe: one atomic store, or nothing.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = handler;
            action.sa_flags = flags;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(number, &action, &mut old) == 0 {
                previous.push((number, old));
            }
        }
    }
    previous
}

impl Drop for Catching {
    fn drop(&mut self) {
        let mut catchers = CATCHERS.lock().unwrap_or_else(PoisonError::into_inner);
        catchers.0 -= 1;
        if catchers.0 > 0 {
            return;
        }
        for (number, old) in std::mem::take(&mut catchers.1) {
            // SAFETY: restores an action sigaction itself returned.
            unsafe {
                libc::sigaction(number, &old, std::ptr::null_mut());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip() {
        for signal in [Signal::Interrupt, Signal::Terminate] {
            assert_eq!(Signal::from_number(signal.number()), Some(signal));
        }
        assert_eq!(Signal::from_number(0), None);
        assert_eq!(Signal::Interrupt.name(), "SIGINT");
        assert_eq!(Signal::Terminate.name(), "SIGTERM");
    }
}
