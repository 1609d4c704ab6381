//! Clocks the guest can read, injected through the builder.
//!
//! Owns: the `Clock` trait, the preview1 clock ids, the host clock, a virtual clock for
//! deterministic runs (it knows an epoch and a tick, nothing of jobs) and a fixed clock for
//! tests. Must not touch guest memory; `funcs/clock.rs` does that.

use std::cell::Cell;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// A preview1 `$clockid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockId {
    /// Wall-clock time, nanoseconds since the Unix epoch.
    Realtime,
    /// A clock that never goes backwards, nanoseconds from an arbitrary origin.
    Monotonic,
    /// CPU time of the process.
    ProcessCputime,
    /// CPU time of the thread.
    ThreadCputime,
}

impl ClockId {
    /// The id with this preview1 number (`realtime` = 0 .. `thread_cputime_id` = 3).
    pub fn from_raw(n: u32) -> Option<ClockId> {
        match n {
            0 => Some(ClockId::Realtime),
            1 => Some(ClockId::Monotonic),
            2 => Some(ClockId::ProcessCputime),
            3 => Some(ClockId::ThreadCputime),
            _ => None,
        }
    }

    /// The preview1 number, the inverse of [`ClockId::from_raw`].
    pub fn raw(self) -> u32 {
        match self {
            ClockId::Realtime => 0,
            ClockId::Monotonic => 1,
            ClockId::ProcessCputime => 2,
            ClockId::ThreadCputime => 3,
        }
    }

    /// The witx name (`realtime`, `process_cputime_id`), used in messages.
    pub fn name(self) -> &'static str {
        match self {
            ClockId::Realtime => "realtime",
            ClockId::Monotonic => "monotonic",
            ClockId::ProcessCputime => "process_cputime_id",
            ClockId::ThreadCputime => "thread_cputime_id",
        }
    }
}

/// A source of time. `None` means this clock is not offered (the guest sees `ENOTSUP`).
pub trait Clock {
    /// The current time of clock `id` in nanoseconds.
    fn now(&self, id: ClockId) -> Option<u64>;
    /// The resolution of clock `id` in nanoseconds.
    fn resolution(&self, id: ClockId) -> Option<u64>;
    /// The realtime the run starts at, if the clock can tell without advancing: a virtual
    /// clock's epoch, the host's current time. Virtual file metadata dates the files that
    /// existed before the run from it. `None` by default, since reading `now` may advance
    /// time the guest would then see; a clock wrapping another should pass this through.
    fn epoch(&self) -> Option<u64> {
        None
    }
    /// Waits `ns` nanoseconds (`poll_oneoff`'s clock subscriptions). A virtual clock can
    /// advance its own time here instead of blocking the host thread.
    fn sleep(&self, ns: u64) {
        std::thread::sleep(std::time::Duration::from_nanos(ns));
    }
}

/// A boxed clock is a clock, so wrappers (recording, stopping) compose over whichever clock a
/// run chose.
impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self, id: ClockId) -> Option<u64> {
        (**self).now(id)
    }

    fn resolution(&self, id: ClockId) -> Option<u64> {
        (**self).resolution(id)
    }

    fn epoch(&self) -> Option<u64> {
        (**self).epoch()
    }

    fn sleep(&self, ns: u64) {
        (**self).sleep(ns)
    }
}

/// The host's clocks: realtime from `SystemTime`, monotonic from an `Instant` taken when the
/// clock was made (so a guest sees small monotonic values, as wazero does). CPU-time clocks
/// are not offered.
#[derive(Debug, Clone, Copy)]
pub struct HostClock {
    start: Instant,
}

impl HostClock {
    /// A host clock whose monotonic origin is now.
    pub fn new() -> Self {
        HostClock {
            start: Instant::now(),
        }
    }
}

impl Default for HostClock {
    fn default() -> Self {
        HostClock::new()
    }
}

impl Clock for HostClock {
    fn now(&self, id: ClockId) -> Option<u64> {
        match id {
            ClockId::Realtime => {
                let since = SystemTime::now().duration_since(UNIX_EPOCH).ok()?;
                u64::try_from(since.as_nanos()).ok()
            }
            ClockId::Monotonic => u64::try_from(self.start.elapsed().as_nanos()).ok(),
            ClockId::ProcessCputime | ClockId::ThreadCputime => None,
        }
    }

    fn epoch(&self) -> Option<u64> {
        self.now(ClockId::Realtime)
    }

    fn resolution(&self, id: ClockId) -> Option<u64> {
        // The values wazero reports: microsecond wall clock, nanosecond monotonic clock.
        match id {
            ClockId::Realtime => Some(1_000),
            ClockId::Monotonic => Some(1),
            ClockId::ProcessCputime | ClockId::ThreadCputime => None,
        }
    }
}

/// A clock frozen at fixed values, for deterministic jobs and tests: realtime and
/// monotonic always read `realtime_ns` and `monotonic_ns`, with a 1 ns resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock {
    /// What `Realtime` reads.
    pub realtime_ns: u64,
    /// What `Monotonic` reads.
    pub monotonic_ns: u64,
}

impl Clock for FixedClock {
    fn now(&self, id: ClockId) -> Option<u64> {
        match id {
            ClockId::Realtime => Some(self.realtime_ns),
            ClockId::Monotonic => Some(self.monotonic_ns),
            ClockId::ProcessCputime | ClockId::ThreadCputime => None,
        }
    }

    fn resolution(&self, id: ClockId) -> Option<u64> {
        self.now(id).map(|_| 1)
    }

    fn epoch(&self) -> Option<u64> {
        Some(self.realtime_ns)
    }
}

/// A clock that reads only its own state, so a guest sees the same times on every run
/// (docs/RATIONALE.md, "Why a virtual clock by default?"). Monotonic starts at 0 and realtime
/// at `epoch_ns`; both read `epoch + elapsed` (monotonic without the epoch). Each read advances
/// `elapsed` by one tick after reading, so consecutive reads differ and a loop measuring
/// time ends; a sleep advances it by exactly the time asked for, without blocking the host.
/// The resolution reported is the tick. CPU-time clocks are not offered (`ENOTSUP`), as with
/// the host clock: a deterministic CPU time would only be a second copy of monotonic.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    epoch_ns: u64,
    tick_ns: u64,
    elapsed_ns: Cell<u64>,
}

impl VirtualClock {
    /// The default tick: one microsecond per read.
    pub const DEFAULT_TICK_NS: u64 = 1_000;

    /// A clock whose realtime starts at `epoch_ns` (nanoseconds since the Unix epoch) and
    /// advances `tick_ns` per read (at least 1 ns, so time always moves).
    pub fn new(epoch_ns: u64, tick_ns: u64) -> Self {
        VirtualClock {
            epoch_ns,
            tick_ns: tick_ns.max(1),
            elapsed_ns: Cell::new(0),
        }
    }

    /// The virtual time passed since the clock was made, in nanoseconds.
    pub fn elapsed(&self) -> u64 {
        self.elapsed_ns.get()
    }

    fn advance(&self, ns: u64) {
        self.elapsed_ns
            .set(self.elapsed_ns.get().saturating_add(ns));
    }
}

impl Clock for VirtualClock {
    fn now(&self, id: ClockId) -> Option<u64> {
        let elapsed = self.elapsed_ns.get();
        let value = match id {
            ClockId::Realtime => self.epoch_ns.saturating_add(elapsed),
            ClockId::Monotonic => elapsed,
            ClockId::ProcessCputime | ClockId::ThreadCputime => return None,
        };
        self.advance(self.tick_ns);
        Some(value)
    }

    fn resolution(&self, id: ClockId) -> Option<u64> {
        match id {
            ClockId::Realtime | ClockId::Monotonic => Some(self.tick_ns),
            ClockId::ProcessCputime | ClockId::ThreadCputime => None,
        }
    }

    fn epoch(&self) -> Option<u64> {
        Some(self.epoch_ns)
    }

    fn sleep(&self, ns: u64) {
        self.advance(ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_ids_use_preview1_numbers() {
        assert_eq!(ClockId::from_raw(0), Some(ClockId::Realtime));
        assert_eq!(ClockId::from_raw(1), Some(ClockId::Monotonic));
        assert_eq!(ClockId::from_raw(2), Some(ClockId::ProcessCputime));
        assert_eq!(ClockId::from_raw(3), Some(ClockId::ThreadCputime));
        assert_eq!(ClockId::from_raw(4), None);
        for n in 0..4 {
            assert_eq!(ClockId::from_raw(n).map(ClockId::raw), Some(n));
        }
        assert_eq!(ClockId::ThreadCputime.name(), "thread_cputime_id");
    }

    #[test]
    fn host_clock_is_after_2020_and_monotonic_never_goes_back() {
        let c = HostClock::new();
        assert!(c.now(ClockId::Realtime).unwrap() > 1_577_836_800_000_000_000);
        let a = c.now(ClockId::Monotonic).unwrap();
        let b = c.now(ClockId::Monotonic).unwrap();
        assert!(b >= a);
        assert_eq!(c.now(ClockId::ProcessCputime), None);
    }

    const EPOCH: u64 = 946_684_800_000_000_000;

    #[test]
    fn virtual_monotonic_starts_at_zero_and_advances_one_tick_per_read() {
        let c = VirtualClock::new(EPOCH, 1_000);
        assert_eq!(c.now(ClockId::Monotonic), Some(0));
        assert_eq!(c.now(ClockId::Monotonic), Some(1_000));
        assert_eq!(c.now(ClockId::Monotonic), Some(2_000));
        assert_eq!(c.elapsed(), 3_000);
    }

    #[test]
    fn virtual_realtime_is_the_epoch_plus_the_elapsed_time() {
        let c = VirtualClock::new(EPOCH, 1_000);
        assert_eq!(c.now(ClockId::Realtime), Some(EPOCH));
        assert_eq!(c.now(ClockId::Monotonic), Some(1_000));
        assert_eq!(c.now(ClockId::Realtime), Some(EPOCH + 2_000));
    }

    #[test]
    fn virtual_sleep_advances_exactly_and_does_not_block() {
        let c = VirtualClock::new(EPOCH, 1_000);
        let start = Instant::now();
        c.sleep(10_000_000_000);
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
        assert_eq!(c.now(ClockId::Monotonic), Some(10_000_000_000));
        assert_eq!(c.now(ClockId::Realtime), Some(EPOCH + 10_000_001_000));
    }

    #[test]
    fn the_epoch_is_where_realtime_starts_read_without_advancing_time() {
        let c = VirtualClock::new(EPOCH, 1_000);
        assert_eq!(c.epoch(), Some(EPOCH));
        assert_eq!(c.elapsed(), 0);
        c.sleep(5_000);
        assert_eq!(c.epoch(), Some(EPOCH), "still where the run started");
        let fixed = FixedClock {
            realtime_ns: 7,
            monotonic_ns: 1,
        };
        assert_eq!(fixed.epoch(), Some(7));
        assert!(HostClock::new().epoch() > Some(1_577_836_800_000_000_000));
        struct Wrapper;
        impl Clock for Wrapper {
            fn now(&self, _: ClockId) -> Option<u64> {
                panic!("the epoch must be read without reading the time")
            }
            fn resolution(&self, _: ClockId) -> Option<u64> {
                None
            }
        }
        assert_eq!(Wrapper.epoch(), None);
    }

    #[test]
    fn virtual_resolution_is_the_tick_and_reading_it_does_not_advance() {
        let c = VirtualClock::new(EPOCH, 1_000);
        assert_eq!(c.resolution(ClockId::Realtime), Some(1_000));
        assert_eq!(c.resolution(ClockId::Monotonic), Some(1_000));
        assert_eq!(c.elapsed(), 0);
        assert_eq!(c.resolution(ClockId::ProcessCputime), None);
        assert_eq!(c.now(ClockId::ThreadCputime), None);
        assert_eq!(c.elapsed(), 0, "an unoffered clock does not advance time");
        assert_eq!(
            VirtualClock::new(0, 0).resolution(ClockId::Monotonic),
            Some(1)
        );
    }
}
