//! Ctrl-C (SIGINT) and SIGTERM while a guest runs: caught, so that the run stops the guest at
//! its next fuel slice or host call and keeps its results, instead of dying with them
//! half-written.
//!
//! Owns: installing the handlers for the guest's run and restoring the previous ones, and the
//! one flag the handlers set. The handler does nothing but store the signal's number, the only
//! thing a signal handler may safely do. A second signal finds the default action again
//! (`SA_RESETHAND`) and kills bolinho at once: the way out when the guest cannot be reached.

use std::sync::atomic::{AtomicI32, Ordering};

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

/// Handlers installed for the life of this value; dropping it restores the previous ones.
pub struct Catching {
    previous: Vec<(libc::c_int, libc::sigaction)>,
}

/// Catches SIGINT and SIGTERM until the returned value is dropped. Blocking system calls are
/// not restarted after the signal (no `SA_RESTART`): a guest waiting on stdin gets `EINTR`
/// from its read, and the host call's end stops it.
pub fn catch() -> Catching {
    RECEIVED.store(0, Ordering::Relaxed);
    let mut previous = Vec::new();
    for signal in [Signal::Interrupt, Signal::Terminate] {
        // SAFETY: a zeroed sigaction is a valid value (empty mask, no flags), and `record` is
        // async-signal-safe: one atomic store.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = record as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESETHAND;
            libc::sigemptyset(&mut action.sa_mask);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal.number(), &action, &mut old) == 0 {
                previous.push((signal.number(), old));
            }
        }
    }
    Catching { previous }
}

impl Drop for Catching {
    fn drop(&mut self) {
        for (number, old) in &self.previous {
            // SAFETY: restores an action sigaction itself returned.
            unsafe {
                libc::sigaction(*number, old, std::ptr::null_mut());
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
