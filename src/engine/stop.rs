//! When and how a running guest is stopped from outside: its deadline, and Ctrl-C or SIGTERM.
//!
//! Owns: the deadline, the decision that a guest must stop now (`stop_now`), and the guest's
//! clock made to honour it (`StopClock`). The guest is reached three ways, whatever it is
//! doing: between fuel slices (`slices.rs` asks `stop_now`), at its host calls (the shared
//! `wasi_shim::Interrupt`, requested here when a real sleep is cut at the deadline and by the
//! watching thread in `execute.rs` otherwise), and inside a blocking system call (the supervisor's
//! wake-up signal ends it with `EINTR`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasi_shim::{Clock, ClockId, Interrupt};

use super::Outcome;
use crate::signal;

/// When a run's timeout ends.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    pub at: Instant,
    /// The timeout itself, for the message.
    pub timeout: Duration,
}

impl Deadline {
    /// The deadline of a run with this timeout starting now, if it has one.
    pub fn start(timeout: Option<Duration>) -> Option<Deadline> {
        timeout.map(|timeout| Deadline {
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
pub fn stop_now(deadline: Option<Deadline>) -> Option<Outcome> {
    if let Some(signal) = signal::received() {
        return Some(Outcome::Stopped(signal));
    }
    deadline
        .filter(|d| Instant::now() >= d.at)
        .map(|d| Outcome::TimedOut(d.timeout))
}

/// The guest's clock, made to end the guest when bolinho must stop it: when its sleeps are
/// real (`--nondeterministic`), they end at the deadline or at a signal, whichever comes
/// first, and a sleep cut short requests the stop, so the host call that slept ends the guest
/// instead of letting it wake as if its time had passed. A virtual clock's sleeps take no real
/// time and pass through whole.
pub struct StopClock<C> {
    inner: C,
    /// Whether `inner` sleeps in real time, and so must be cut short.
    real: bool,
    deadline: Option<Instant>,
    interrupt: Arc<Interrupt>,
}

/// How long a real sleep waits between two looks for a signal.
const SIGNAL_POLL: Duration = Duration::from_millis(20);

impl<C: Clock> StopClock<C> {
    /// Wraps a clock whose sleeps are real, cutting them at `deadline` and at a signal.
    pub fn real(inner: C, deadline: Option<Instant>, interrupt: Arc<Interrupt>) -> Self {
        StopClock {
            inner,
            real: true,
            deadline,
            interrupt,
        }
    }

    /// Wraps a virtual clock, whose sleeps are instant.
    pub fn virtual_time(inner: C, interrupt: Arc<Interrupt>) -> Self {
        StopClock {
            inner,
            real: false,
            deadline: None,
            interrupt,
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
        let (end, cut) = match (wake, self.deadline) {
            (Some(wake), Some(deadline)) if deadline < wake => (deadline, true),
            (Some(wake), _) => (wake, false),
            (None, Some(deadline)) => (deadline, true),
            (None, None) => (start + Duration::from_secs(1 << 30), false),
        };
        // Asleep in steps, so a signal ends the sleep within one step.
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if signal::received().is_some() || self.interrupt.requested() {
                return self.interrupt.request();
            }
            if left.is_zero() {
                if cut {
                    self.interrupt.request();
                }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_sleeps_end_at_the_deadline_and_request_the_stop() {
        let interrupt = Arc::new(Interrupt::new());
        let clock = StopClock::real(
            wasi_shim::HostClock::new(),
            Some(Instant::now() + Duration::from_millis(200)),
            interrupt.clone(),
        );
        let start = Instant::now();
        clock.sleep(10_000_000);
        assert!(start.elapsed() >= Duration::from_millis(10));
        assert!(
            !interrupt.requested(),
            "a sleep ending before the deadline is whole"
        );
        clock.sleep(3_600_000_000_000);
        assert!(interrupt.requested());
        let slept = start.elapsed();
        assert!(
            (Duration::from_millis(200)..Duration::from_secs(5)).contains(&slept),
            "{slept:?}"
        );
        // Past the deadline a sleep does not wait at all.
        let interrupt = Arc::new(Interrupt::new());
        let past = StopClock::real(
            wasi_shim::HostClock::new(),
            Some(Instant::now() - Duration::from_millis(1)),
            interrupt.clone(),
        );
        let start = Instant::now();
        past.sleep(1_000_000_000);
        assert!(interrupt.requested());
        assert!(start.elapsed() < Duration::from_millis(100));
    }

    #[test]
    fn virtual_sleeps_pass_through_whole() {
        let interrupt = Arc::new(Interrupt::new());
        let clock = StopClock::virtual_time(wasi_shim::VirtualClock::new(0, 1), interrupt.clone());
        let start = Instant::now();
        clock.sleep(3_600_000_000_000);
        assert!(start.elapsed() < Duration::from_secs(1));
        assert!(!interrupt.requested());
        assert!(clock.now(ClockId::Monotonic).unwrap() >= 3_600_000_000_000);
    }

    #[test]
    fn a_deadline_follows_the_timeout() {
        assert!(Deadline::start(Some(Duration::from_secs(1))).is_some());
        assert!(Deadline::start(None).is_none());
        // A timeout beyond what an Instant holds is as good as none, not a panic.
        assert!(Deadline::start(Some(Duration::MAX)).is_some());
    }
}
