//! How a runner ends a guest from outside: a shared handle every host call passes through.
//!
//! Owns: the three flags and the order in which they are read and written. A runner (on any
//! thread) *requests* a stop; the guest's next host call refuses to run, or the one in
//! progress ends it on return, with [`Interrupted`]. A runner that must go on without the guest
//! (it is stuck inside the engine, past its deadline) *closes* the handle: `close` returns once
//! no host call is running, and from then on none has any effect, so nothing the guest does can
//! change a file the runner is about to read. Must not know why a stop is requested: a
//! deadline, a signal, a sleep cut short are the runner's business.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The error a host call ends the guest with once a stop was requested; the runner
/// recognises it by downcasting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the guest was stopped by its runner")
    }
}

impl std::error::Error for Interrupted {}

/// Shared between a guest's host calls and its runner (in an `Arc`).
#[derive(Debug, Default)]
pub struct Interrupt {
    requested: AtomicBool,
    closed: AtomicBool,
    in_call: AtomicBool,
}

impl Interrupt {
    /// A handle nobody has stopped.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Ends the guest at its next host call, or when the one in progress returns.
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was requested.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::Relaxed)
    }

    /// Requests a stop, waits until no host call is running, and makes every later one a
    /// no-op that ends the guest. For a runner giving up on a guest that does not return;
    /// `nudge` is called every millisecond while a host call is still running (to wake it
    /// out of a blocking system call, say).
    pub fn close(&self, mut nudge: impl FnMut()) {
        self.request();
        self.closed.store(true, Ordering::SeqCst);
        // A host call that had passed `enter` before `closed` was set is waited for; one that
        // enters after it sees `closed` (both sides write their flag, then read the other's,
        // in sequentially consistent order).
        while self.in_call.load(Ordering::SeqCst) {
            nudge();
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Called by every host function before it does anything: false if it must not run.
    pub fn enter(&self) -> bool {
        self.in_call.store(true, Ordering::SeqCst);
        if self.closed.load(Ordering::SeqCst) || self.requested() {
            self.in_call.store(false, Ordering::Release);
            return false;
        }
        true
    }

    /// Called by every host function when it has done its work: true if the guest must end
    /// now instead of going on.
    pub fn leave(&self) -> bool {
        // Release: `close` need only see it eventually; it is entering that must not be missed.
        self.in_call.store(false, Ordering::Release);
        self.requested()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_request_refuses_the_next_call_and_ends_the_current_one() {
        let i = Interrupt::new();
        assert!(i.enter());
        assert!(!i.leave());
        assert!(i.enter());
        i.request();
        assert!(i.leave(), "the call in progress ends the guest");
        assert!(!i.enter(), "the next call does not run");
    }

    #[test]
    fn close_waits_for_the_call_in_progress() {
        let i = Arc::new(Interrupt::new());
        assert!(i.enter());
        let closer = {
            let i = Arc::clone(&i);
            std::thread::spawn(move || {
                i.close(|| {});
                std::time::Instant::now()
            })
        };
        std::thread::sleep(Duration::from_millis(50));
        let left = std::time::Instant::now();
        assert!(i.leave());
        let closed = closer.join().unwrap();
        assert!(closed >= left, "close returned before the call left");
        assert!(!i.enter());
    }
}
