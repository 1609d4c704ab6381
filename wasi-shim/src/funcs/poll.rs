//! `poll_oneoff`: waiting on clocks and on fds being ready to read or write.
//!
//! Owns: the `$subscription` and `$event` layouts and when a subscription is ready.
//! Must not read the host clock or sleep directly: deadlines are measured on the context's
//! injected [`Clock`](crate::Clock) and waiting goes through its `sleep`, so a virtual
//! clock can make a sleeping guest deterministic. Must not block on host I/O.
//!
//! Semantics:
//! - Zero subscriptions is `EINVAL`, as in wasi-common (nothing could ever end the wait).
//!   An unknown subscription tag is `EINVAL` for the whole call: the record cannot be read.
//!   All three regions (subscriptions, events, `nevents`) are checked before anything
//!   else, so a bad pointer is `EFAULT` with nothing written and no time spent.
//! - Every other problem is the subscription's own: its event carries the errno and the
//!   call succeeds. A clock id preview1 does not define, or flags other than `ABSTIME`, is
//!   `EINVAL`; a defined clock the context does not offer (CPU time) is `ENOTSUP`, as in
//!   `clock_time_get`. An fd subscription gets what `fd_read`/`fd_write` would answer on
//!   the fd before any I/O: `EBADF` if it is not open, or cannot go that way at all (reading
//!   stdout, writing stdin or a file opened read-only, a directory), then `ENOTCAPABLE`
//!   without the rights `POLL_FD_READWRITE` and `FD_READ` (resp. `FD_WRITE`), as witx says.
//! - Otherwise an fd is ready, at once: regular files always are, as POSIX `poll` says; for
//!   reading, `nbytes` is what remains from the current offset to the end, for writing 0.
//!   Stdin is ready to read and stdout/stderr to write, with `nbytes` 0: the guest's stdio
//!   is a pipe or a file here and a read or write completes without waiting on anyone.
//!   `flags` (HANGUP) is never set.
//! - Any ready fd, error or already expired clock (a relative timeout of 0, an `ABSTIME`
//!   in the past) is reported at once, without sleeping. Otherwise every subscription is
//!   a pending clock: the call sleeps until the earliest deadline and reports each clock
//!   that has expired, always including the earliest ones, so a clock that does not
//!   advance while sleeping cannot make the call spin.
//! - Events follow subscription order. `precision` is ignored, as every runtime does.

use crate::WasiCtx;
use crate::clock::ClockId;
use crate::errno::Errno;
use crate::fdtable::Object;
use crate::memory::GuestMemory;
use crate::rights;
use std::io::Seek;

/// Size of `$subscription`.
pub const SUBSCRIPTION_SIZE: u32 = 48;
/// Size of `$event`.
pub const EVENT_SIZE: u32 = 32;

/// `$eventtype`, the subscription tag and the event's `type`.
mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `$subclockflags`: the timeout is an absolute time on the clock, not a duration.
pub const SUBSCRIPTION_CLOCK_ABSTIME: u16 = 1;

/// One `$subscription`, decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sub {
    Clock { id: u32, timeout: u64, flags: u16 },
    Read(u32),
    Write(u32),
}

/// One `$event` to write back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
}

/// Reads the subscription at `ptr` (already checked to be in bounds).
fn read_subscription(mem: &GuestMemory<'_>, ptr: u32) -> Result<(u64, Sub), Errno> {
    let userdata = mem.read_u64(ptr)?;
    let sub = match mem.read_u8(ptr + 8)? {
        eventtype::CLOCK => Sub::Clock {
            id: mem.read_u32(ptr + 16)?,
            timeout: mem.read_u64(ptr + 24)?,
            // `precision` at 32 is a hint nobody honours.
            flags: mem.read_u16(ptr + 40)?,
        },
        eventtype::FD_READ => Sub::Read(mem.read_u32(ptr + 16)?),
        eventtype::FD_WRITE => Sub::Write(mem.read_u32(ptr + 16)?),
        _ => return Err(Errno::Inval),
    };
    Ok((userdata, sub))
}

/// Writes `e` at `ptr` as a full 32-byte record, padding zeroed so it is deterministic.
fn write_event(mem: &mut GuestMemory<'_>, ptr: u32, e: &Event) -> Result<(), Errno> {
    mem.write_bytes(ptr, &[0; EVENT_SIZE as usize])?;
    mem.write_u64(ptr, e.userdata)?;
    mem.write_u16(ptr + 8, e.error.raw())?;
    mem.write_u8(ptr + 10, e.kind)?;
    // `fd_readwrite`: `nbytes` at 16, `flags` at 24 (left 0: never HANGUP).
    mem.write_u64(ptr + 16, e.nbytes)
}

/// A clock subscription not yet expired.
struct Timer {
    /// Index of its subscription.
    index: usize,
    id: ClockId,
    /// Absolute deadline on clock `id`.
    deadline: u64,
}

/// The clock and absolute deadline of a clock subscription, or its event's errno.
fn deadline(ctx: &WasiCtx, id: u32, timeout: u64, flags: u16) -> Result<(ClockId, u64), Errno> {
    let id = ClockId::from_raw(id).ok_or(Errno::Inval)?;
    if flags & !SUBSCRIPTION_CLOCK_ABSTIME != 0 {
        return Err(Errno::Inval);
    }
    let now = ctx.clock.now(id).ok_or(Errno::Notsup)?;
    if flags & SUBSCRIPTION_CLOCK_ABSTIME != 0 {
        Ok((id, timeout))
    } else {
        Ok((id, now.saturating_add(timeout)))
    }
}

/// How long until `t` expires, by its clock now (0 if it has, or its clock is gone).
fn remaining(ctx: &WasiCtx, t: &Timer) -> u64 {
    let now = ctx.clock.now(t.id).unwrap_or(t.deadline);
    t.deadline.saturating_sub(now)
}

/// `nbytes` if `fd` is ready for reading (`write` false) or writing, else the errno.
fn fd_ready(ctx: &mut WasiCtx, fd: u32, write: bool) -> Result<u64, Errno> {
    let entry = ctx.fds.get(fd)?;
    // As `fd_read`/`fd_write` would answer: the POSIX errno for what the object cannot do
    // at all, then `ENOTCAPABLE` for a missing right.
    let able = match (&entry.object, write) {
        (Object::File(f), false) => f.readable,
        (Object::File(f), true) => f.writable,
        (Object::Reader(_), false) | (Object::Writer(_), true) => true,
        _ => false,
    };
    if !able {
        return Err(Errno::Badf);
    }
    let direction = if write {
        rights::FD_WRITE
    } else {
        rights::FD_READ
    };
    entry.require(rights::POLL_FD_READWRITE | direction)?;
    match &mut entry.object {
        Object::File(f) if !write => {
            let size = f.file.metadata()?.len();
            let offset = f.file.stream_position()?;
            Ok(size.saturating_sub(offset))
        }
        _ => Ok(0),
    }
}

/// The events for `subs`, after sleeping if nothing is ready yet.
fn wait(ctx: &mut WasiCtx, subs: &[(u64, Sub)]) -> Vec<Event> {
    let mut events: Vec<Option<Event>> = vec![None; subs.len()];
    let mut timers = Vec::new();
    for (index, &(userdata, sub)) in subs.iter().enumerate() {
        let event = |kind, result: Result<u64, Errno>| Event {
            userdata,
            error: result.err().unwrap_or(Errno::Success),
            kind,
            nbytes: result.unwrap_or(0),
        };
        events[index] = match sub {
            Sub::Clock { id, timeout, flags } => match deadline(ctx, id, timeout, flags) {
                Ok((id, deadline)) => {
                    let timer = Timer {
                        index,
                        id,
                        deadline,
                    };
                    if remaining(ctx, &timer) == 0 {
                        Some(event(eventtype::CLOCK, Ok(0)))
                    } else {
                        timers.push(timer);
                        None
                    }
                }
                Err(e) => Some(event(eventtype::CLOCK, Err(e))),
            },
            Sub::Read(fd) => Some(event(eventtype::FD_READ, fd_ready(ctx, fd, false))),
            Sub::Write(fd) => Some(event(eventtype::FD_WRITE, fd_ready(ctx, fd, true))),
        };
    }
    if events.iter().all(Option::is_none) {
        // Only pending clocks (there is at least one subscription): sleep for the nearest.
        let before: Vec<u64> = timers.iter().map(|t| remaining(ctx, t)).collect();
        let shortest = before.iter().copied().min().unwrap_or(0);
        ctx.clock.sleep(shortest);
        for (t, &left) in timers.iter().zip(&before) {
            if left == shortest || remaining(ctx, t) == 0 {
                events[t.index] = Some(Event {
                    userdata: subs[t.index].0,
                    error: Errno::Success,
                    kind: eventtype::CLOCK,
                    nbytes: 0,
                });
            }
        }
    }
    events.into_iter().flatten().collect()
}

/// `poll_oneoff(in, out, nsubscriptions) -> nevents`.
pub fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    in_ptr: u32,
    out_ptr: u32,
    nsubscriptions: u32,
    nevents_ptr: u32,
) -> Result<(), Errno> {
    if nsubscriptions == 0 {
        return Err(Errno::Inval);
    }
    let in_len = nsubscriptions
        .checked_mul(SUBSCRIPTION_SIZE)
        .ok_or(Errno::Fault)?;
    let out_len = nsubscriptions.checked_mul(EVENT_SIZE).ok_or(Errno::Fault)?;
    mem.check(in_ptr, in_len)?;
    mem.check(out_ptr, out_len)?;
    mem.check(nevents_ptr, 4)?;
    let subs = (0..nsubscriptions)
        .map(|i| read_subscription(mem, in_ptr + i * SUBSCRIPTION_SIZE))
        .collect::<Result<Vec<_>, _>>()?;
    let events = wait(ctx, &subs);
    for (i, e) in (0..).zip(&events) {
        write_event(mem, out_ptr + i * EVENT_SIZE, e)?;
    }
    mem.write_u32(nevents_ptr, events.len() as u32)
}

#[cfg(test)]
#[path = "poll_tests.rs"]
mod tests;
