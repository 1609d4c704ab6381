//! Tests of `poll_oneoff`: exact event bytes in `?`-marked memory, on a fake clock.

use super::*;
use crate::WasiCtxBuilder;
use crate::clock::{Clock, HostClock};
use crate::fdtable::{Entry, OpenFile};
use crate::fs::meta::Key;
use crate::testutil::{TempDir, marked};
use std::io::SeekFrom;
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What the fake clock's realtime reads when its monotonic time is 0.
const EPOCH: u64 = 1_700_000_000_000_000_000;
const MEM: usize = 1024;
const IN: u32 = 8;
const OUT: u32 = 512;
const NEVENTS: u32 = 1000;
const USERDATA: u64 = 0x0102_0304_0506_0708;

/// Monotonic time `now`, realtime `EPOCH + now`; no CPU-time clocks. Records each sleep
/// and, unless frozen, advances by it.
#[derive(Clone, Default)]
struct FakeClock {
    now: Arc<AtomicU64>,
    slept: Arc<Mutex<Vec<u64>>>,
    frozen: bool,
}

impl Clock for FakeClock {
    fn now(&self, id: ClockId) -> Option<u64> {
        match id {
            ClockId::Realtime => Some(EPOCH + self.now.load(Ordering::Relaxed)),
            ClockId::Monotonic => Some(self.now.load(Ordering::Relaxed)),
            _ => None,
        }
    }
    fn resolution(&self, id: ClockId) -> Option<u64> {
        self.now(id).map(|_| 1)
    }
    fn sleep(&self, ns: u64) {
        self.slept.lock().unwrap().push(ns);
        if !self.frozen {
            let now = self.now.load(Ordering::Relaxed);
            self.now.store(now.saturating_add(ns), Ordering::Relaxed);
        }
    }
}

impl FakeClock {
    fn at(now: u64) -> FakeClock {
        let c = FakeClock::default();
        c.now.store(now, Ordering::Relaxed);
        c
    }
    fn slept(&self) -> Vec<u64> {
        self.slept.lock().unwrap().clone()
    }
}

/// A context on `clock`, with fd 3 a (virtual) directory.
fn ctx(clock: &FakeClock) -> WasiCtx {
    WasiCtxBuilder::new()
        .clock(Box::new(clock.clone()))
        .preopen_root(true)
        .build()
        .unwrap()
}

/// A subscription record; its padding holds garbage, which must be ignored.
fn sub(userdata: u64, tag: u8) -> [u8; 48] {
    let mut s = [0xaa; 48];
    s[..8].copy_from_slice(&userdata.to_le_bytes());
    s[8] = tag;
    s
}

fn clock(userdata: u64, id: u32, timeout: u64, flags: u16) -> [u8; 48] {
    let mut s = sub(userdata, eventtype::CLOCK);
    s[16..20].copy_from_slice(&id.to_le_bytes());
    s[24..32].copy_from_slice(&timeout.to_le_bytes());
    s[32..40].copy_from_slice(&1_000u64.to_le_bytes());
    s[40..42].copy_from_slice(&flags.to_le_bytes());
    s
}

fn fd(userdata: u64, tag: u8, fd: u32) -> [u8; 48] {
    let mut s = sub(userdata, tag);
    s[16..20].copy_from_slice(&fd.to_le_bytes());
    s
}

fn event(userdata: u64, error: Errno, kind: u8, nbytes: u64) -> [u8; 32] {
    let mut e = [0; 32];
    e[..8].copy_from_slice(&userdata.to_le_bytes());
    e[8..10].copy_from_slice(&error.raw().to_le_bytes());
    e[10] = kind;
    e[16..24].copy_from_slice(&nbytes.to_le_bytes());
    e
}

/// Memory marked with `?` holding `subs` at `IN`.
fn memory(subs: &[[u8; 48]]) -> Vec<u8> {
    let mut buf = marked(MEM);
    for (i, s) in subs.iter().enumerate() {
        buf[IN as usize + 48 * i..][..48].copy_from_slice(s);
    }
    buf
}

/// Polls `subs` and checks the call wrote exactly `events` and their count, and not
/// one byte more.
fn poll(ctx: &mut WasiCtx, subs: &[[u8; 48]], events: &[[u8; 32]]) {
    let mut buf = memory(subs);
    let mut expected = buf.clone();
    for (i, e) in events.iter().enumerate() {
        expected[OUT as usize + 32 * i..][..32].copy_from_slice(e);
    }
    expected[NEVENTS as usize..][..4].copy_from_slice(&(events.len() as u32).to_le_bytes());
    let mut mem = GuestMemory::new(&mut buf);
    let n = subs.len() as u32;
    assert_eq!(poll_oneoff(ctx, &mut mem, IN, OUT, n, NEVENTS), Ok(()));
    assert_eq!(buf, expected);
}

/// Polls with raw pointers, expecting the call to fail with nothing written.
fn refused(ctx: &mut WasiCtx, subs: &[[u8; 48]], args: (u32, u32, u32, u32), want: Errno) {
    let mut buf = memory(subs);
    let before = buf.clone();
    let mut mem = GuestMemory::new(&mut buf);
    let (i, o, n, ne) = args;
    assert_eq!(
        poll_oneoff(ctx, &mut mem, i, o, n, ne),
        Err(want),
        "{args:?}"
    );
    assert_eq!(buf, before, "{args:?}");
}

const C: u8 = eventtype::CLOCK;
const R: u8 = eventtype::FD_READ;
const W: u8 = eventtype::FD_WRITE;
const OK: Errno = Errno::Success;

#[test]
fn zero_subscriptions_is_einval() {
    let c = FakeClock::default();
    refused(&mut ctx(&c), &[], (IN, OUT, 0, NEVENTS), Errno::Inval);
    assert!(c.slept().is_empty());
}

#[test]
fn unknown_tags_are_einval_for_the_whole_call() {
    let c = FakeClock::default();
    for tag in [3, 4, 0xff] {
        let subs = [fd(1, W, 1), sub(2, tag)];
        refused(&mut ctx(&c), &subs, (IN, OUT, 2, NEVENTS), Errno::Inval);
    }
}

#[test]
fn bad_pointers_are_efault_before_waiting_or_writing() {
    let c = FakeClock::default();
    let subs = [clock(1, 1, 5_000, 0)];
    let m = MEM as u32;
    for args in [
        (m - 47, OUT, 1, NEVENTS),        // the subscription leaves memory
        (IN, OUT, 22, NEVENTS),           // the 22nd subscription leaves memory
        (u32::MAX - 10, OUT, 1, NEVENTS), // in + 48 overflows
        (IN, OUT, 0x0555_5556, NEVENTS),  // n * 48 overflows
        (IN, m - 31, 1, NEVENTS),         // the event leaves memory
        (IN, u32::MAX, 1, NEVENTS),       // out + 32 overflows
        (IN, OUT, 1, m - 3),              // nevents leaves memory
        (IN, OUT, 1, u32::MAX),           // nevents overflows
    ] {
        refused(&mut ctx(&c), &subs, args, Errno::Fault);
    }
    assert!(c.slept().is_empty());
}

#[test]
fn records_ending_exactly_at_the_end_of_memory_are_allowed() {
    let c = FakeClock::default();
    let m = MEM as u32;
    let mut buf = marked(MEM);
    buf[MEM - 48..].copy_from_slice(&fd(USERDATA, W, 2));
    let mut mem = GuestMemory::new(&mut buf);
    assert_eq!(
        poll_oneoff(&mut ctx(&c), &mut mem, m - 48, m - 80, 1, m - 84),
        Ok(())
    );
    assert_eq!(&buf[MEM - 80..MEM - 48], &event(USERDATA, OK, W, 0));
    assert_eq!(&buf[MEM - 84..MEM - 80], &1u32.to_le_bytes());
    assert_eq!(&buf[..MEM - 84], &marked(MEM - 84)[..]);
}

#[test]
fn relative_clocks_sleep_their_timeout() {
    for id in [0, 1] {
        let c = FakeClock::at(1_000);
        poll(
            &mut ctx(&c),
            &[clock(USERDATA, id, 5_000, 0)],
            &[event(USERDATA, OK, C, 0)],
        );
        assert_eq!(c.slept(), [5_000], "clock {id}");
        assert_eq!(c.now.load(Ordering::Relaxed), 6_000);
    }
}

#[test]
fn absolute_clocks_sleep_until_their_deadline() {
    let c = FakeClock::at(1_000);
    let abs = SUBSCRIPTION_CLOCK_ABSTIME;
    poll(
        &mut ctx(&c),
        &[clock(7, 1, 4_000, abs)],
        &[event(7, OK, C, 0)],
    );
    poll(
        &mut ctx(&c),
        &[clock(8, 0, EPOCH + 4_250, abs)],
        &[event(8, OK, C, 0)],
    );
    assert_eq!(c.slept(), [3_000, 250]);
}

#[test]
fn expired_clocks_return_at_once() {
    let c = FakeClock::at(1_000);
    let abs = SUBSCRIPTION_CLOCK_ABSTIME;
    for s in [
        clock(1, 1, 10, abs),
        clock(1, 1, 1_000, abs),
        clock(1, 0, 0, abs),
        clock(1, 0, EPOCH, abs),
        clock(1, 1, 0, 0),
        clock(1, 0, 0, 0),
    ] {
        poll(&mut ctx(&c), &[s], &[event(1, OK, C, 0)]);
    }
    assert!(c.slept().is_empty());
}

#[test]
fn the_earliest_clocks_are_reported_in_subscription_order() {
    let c = FakeClock::at(1_000);
    let subs = [
        clock(1, 1, 300, 0),
        clock(2, 1, 100, 0),
        clock(3, 0, EPOCH + 1_100, SUBSCRIPTION_CLOCK_ABSTIME),
        clock(4, 1, 101, 0),
    ];
    poll(
        &mut ctx(&c),
        &subs,
        &[event(2, OK, C, 0), event(3, OK, C, 0)],
    );
    assert_eq!(c.slept(), [100]);
}

#[test]
fn a_clock_that_does_not_advance_still_ends_the_wait() {
    let c = FakeClock {
        frozen: true,
        ..FakeClock::at(50)
    };
    let subs = [clock(1, 1, 200, 0), clock(2, 1, 100, 0)];
    poll(&mut ctx(&c), &subs, &[event(2, OK, C, 0)]);
    assert_eq!(c.slept(), [100]);
}

#[test]
fn clocks_that_overshoot_report_every_expired_one() {
    // The host slept longer than asked: both deadlines have passed when it wakes.
    struct Late(FakeClock);
    impl Clock for Late {
        fn now(&self, id: ClockId) -> Option<u64> {
            self.0.now(id)
        }
        fn resolution(&self, id: ClockId) -> Option<u64> {
            self.0.resolution(id)
        }
        fn sleep(&self, ns: u64) {
            self.0.sleep(ns + 1_000);
        }
    }
    let fake = FakeClock::default();
    let mut ctx = WasiCtxBuilder::new()
        .clock(Box::new(Late(fake.clone())))
        .build()
        .unwrap();
    let subs = [
        clock(1, 1, 500, 0),
        clock(2, 1, 100, 0),
        clock(3, 1, 5_000, 0),
    ];
    poll(&mut ctx, &subs, &[event(1, OK, C, 0), event(2, OK, C, 0)]);
    assert_eq!(fake.slept(), [1_100]);
}

#[test]
fn deadlines_saturate_instead_of_overflowing() {
    let c = FakeClock::at(1_000);
    poll(
        &mut ctx(&c),
        &[clock(1, 1, u64::MAX, 0)],
        &[event(1, OK, C, 0)],
    );
    assert_eq!(c.slept(), [u64::MAX - 1_000]);
}

#[test]
fn clock_problems_are_events_and_do_not_wait() {
    let c = FakeClock::at(1_000);
    let abs = SUBSCRIPTION_CLOCK_ABSTIME;
    let subs = [
        clock(1, 4, 10, 0),        // no such clock
        clock(2, u32::MAX, 10, 0), // no such clock
        clock(3, 2, 10, 0),        // process CPU time: not offered
        clock(4, 3, 10, abs),      // thread CPU time: not offered
        clock(5, 1, 10, 2),        // undefined flag
        clock(6, 1, 10, abs | 4),  // undefined flag beside ABSTIME
        clock(7, 1, 5_000, 0),     // pending: not reported
    ];
    let events = [
        event(1, Errno::Inval, C, 0),
        event(2, Errno::Inval, C, 0),
        event(3, Errno::Notsup, C, 0),
        event(4, Errno::Notsup, C, 0),
        event(5, Errno::Inval, C, 0),
        event(6, Errno::Inval, C, 0),
    ];
    poll(&mut ctx(&c), &subs, &events);
    assert!(c.slept().is_empty());
}

#[test]
fn stdio_is_ready_in_its_direction() {
    let c = FakeClock::default();
    let subs = [fd(1, R, 0), fd(2, W, 1), fd(3, W, 2)];
    let events = [event(1, OK, R, 0), event(2, OK, W, 0), event(3, OK, W, 0)];
    poll(&mut ctx(&c), &subs, &events);
}

#[test]
fn bad_fds_wrong_directions_and_directories_are_ebadf() {
    let c = FakeClock::default();
    let subs = [
        fd(1, R, 1),        // stdout cannot be read
        fd(2, R, 2),        // nor stderr
        fd(3, W, 0),        // stdin cannot be written
        fd(4, R, 3),        // a directory
        fd(5, W, 3),        // a directory
        fd(6, R, 4),        // not open
        fd(7, W, u32::MAX), // not open
    ];
    let events: Vec<_> = subs
        .iter()
        .map(|s| event(u64::from(s[0]), Errno::Badf, s[8], 0))
        .collect();
    poll(&mut ctx(&c), &subs, &events);
}

/// Opens `f.txt` ("hello world") of `tmp` as a new fd of `ctx` with `rights` (`None`:
/// every right a file opened that way can use).
fn open(ctx: &mut WasiCtx, tmp: &TempDir, write: bool, rights: Option<u64>) -> u32 {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(write)
        .open(tmp.path().join("f.txt"))
        .unwrap();
    let key = Key::of(&crate::fs::host::stat_fd(file.as_fd()).unwrap());
    let object = Object::File(OpenFile {
        file,
        readable: true,
        writable: write,
        key,
    });
    let entry = match rights {
        Some(r) => Entry::with_rights(object, r, 0),
        None => Entry::new(object),
    };
    ctx.fds.insert(entry).unwrap()
}

#[test]
fn regular_files_are_ready_and_report_the_bytes_left_to_read() {
    let tmp = TempDir::new();
    tmp.file("f.txt", b"hello world");
    let c = FakeClock::default();
    let mut ctx = ctx(&c);
    let n = open(&mut ctx, &tmp, true, None);
    let subs = [fd(1, R, n), fd(2, W, n)];
    poll(&mut ctx, &subs, &[event(1, OK, R, 11), event(2, OK, W, 0)]);
    for (at, left) in [(4, 7), (11, 0), (20, 0)] {
        match &mut ctx.fds.get(n).unwrap().object {
            Object::File(f) => f.file.seek(SeekFrom::Start(at)).unwrap(),
            _ => unreachable!(),
        };
        poll(&mut ctx, &[fd(9, R, n)], &[event(9, OK, R, left)]);
    }
}

#[test]
fn a_file_opened_read_only_is_not_ready_for_writing() {
    let tmp = TempDir::new();
    tmp.file("f.txt", b"hello world");
    let c = FakeClock::default();
    let mut ctx = ctx(&c);
    let n = open(&mut ctx, &tmp, false, None);
    let subs = [fd(1, R, n), fd(2, W, n)];
    poll(
        &mut ctx,
        &subs,
        &[event(1, OK, R, 11), event(2, Errno::Badf, W, 0)],
    );
}

#[test]
fn missing_rights_are_enotcapable() {
    let tmp = TempDir::new();
    tmp.file("f.txt", b"hello world");
    let c = FakeClock::default();
    let mut ctx = ctx(&c);
    let all = rights::POLL_FD_READWRITE | rights::FD_READ | rights::FD_WRITE;
    let no_poll = open(&mut ctx, &tmp, true, Some(all & !rights::POLL_FD_READWRITE));
    let no_read = open(&mut ctx, &tmp, true, Some(all & !rights::FD_READ));
    let no_write = open(&mut ctx, &tmp, true, Some(all & !rights::FD_WRITE));
    ctx.fds.get(1).unwrap().rights_base &= !rights::POLL_FD_READWRITE;
    let cap = Errno::Notcapable;
    let subs = [
        fd(1, R, no_poll),
        fd(2, W, no_poll),
        fd(3, R, no_read),
        fd(4, W, no_read),
        fd(5, R, no_write),
        fd(6, W, no_write),
        fd(7, W, 1),
        fd(8, R, 1), // EBADF comes first: stdout cannot be read at all
    ];
    let events = [
        event(1, cap, R, 0),
        event(2, cap, W, 0),
        event(3, cap, R, 0),
        event(4, OK, W, 0),
        event(5, OK, R, 11),
        event(6, cap, W, 0),
        event(7, cap, W, 0),
        event(8, Errno::Badf, R, 0),
    ];
    poll(&mut ctx, &subs, &events);
}

#[test]
fn ready_fds_and_errors_end_the_call_without_sleeping() {
    let c = FakeClock::at(1_000);
    let subs = [
        clock(1, 1, 1_000_000_000, 0),
        fd(2, W, 1),
        clock(3, 1, 999, SUBSCRIPTION_CLOCK_ABSTIME),
        fd(4, R, 9),
    ];
    let events = [
        event(2, OK, W, 0),
        event(3, OK, C, 0),
        event(4, Errno::Badf, R, 0),
    ];
    poll(&mut ctx(&c), &subs, &events);
    assert!(c.slept().is_empty());
}

#[test]
fn the_host_clock_really_sleeps() {
    let mut ctx = WasiCtxBuilder::new()
        .clock(Box::new(HostClock::new()))
        .build()
        .unwrap();
    let start = std::time::Instant::now();
    poll(
        &mut ctx,
        &[clock(1, 1, 2_000_000, 0)],
        &[event(1, OK, C, 0)],
    );
    assert!(start.elapsed() >= std::time::Duration::from_millis(2));
}
