//! `clock_res_get`, `clock_time_get` over the injected [`Clock`](crate::Clock).
//!
//! Owns: the mapping of raw clock ids and of "clock not offered" to errnos. Must not read
//! the host time directly: determinism depends on the builder's clock being the only one.

use crate::WasiCtx;
use crate::clock::ClockId;
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// An unknown id is `EINVAL` (preview1 `clockid` is a closed enum); a known clock the
/// context does not offer (CPU time, by default) is `ENOTSUP`.
fn clock_id(id: u32) -> Result<ClockId, Errno> {
    ClockId::from_raw(id).ok_or(Errno::Inval)
}

/// `clock_res_get(id) -> timestamp`.
pub fn clock_res_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    res_ptr: u32,
) -> Result<(), Errno> {
    let id = clock_id(id)?;
    mem.check(res_ptr, 8)?;
    let res = ctx.clock.resolution(id).ok_or(Errno::Notsup)?;
    mem.write_u64(res_ptr, res)
}

/// `clock_time_get(id, precision) -> timestamp`. The precision hint is ignored, as every
/// runtime does.
pub fn clock_time_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    _precision: u64,
    time_ptr: u32,
) -> Result<(), Errno> {
    let id = clock_id(id)?;
    mem.check(time_ptr, 8)?;
    let now = ctx.clock.now(id).ok_or(Errno::Notsup)?;
    mem.write_u64(time_ptr, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WasiCtxBuilder;
    use crate::clock::FixedClock;
    use crate::testutil::marked;

    fn ctx() -> WasiCtx {
        let clock = FixedClock {
            realtime_ns: 0x0102_0304_0506_0708,
            monotonic_ns: 5,
        };
        WasiCtxBuilder::new()
            .clock(Box::new(clock))
            .build()
            .unwrap()
    }

    #[test]
    fn time_is_written_little_endian() {
        let mut buf = marked(10);
        let mut mem = GuestMemory::new(&mut buf);
        clock_time_get(&mut ctx(), &mut mem, 0, 0, 1).unwrap();
        assert_eq!(buf, b"?\x08\x07\x06\x05\x04\x03\x02\x01?");
        let mut mem = GuestMemory::new(&mut buf);
        clock_time_get(&mut ctx(), &mut mem, 1, 1000, 1).unwrap();
        assert_eq!(buf, b"?\x05\0\0\0\0\0\0\0?");
    }

    #[test]
    fn resolution_is_written() {
        let mut buf = marked(10);
        let mut mem = GuestMemory::new(&mut buf);
        clock_res_get(&mut ctx(), &mut mem, 1, 1).unwrap();
        assert_eq!(buf, b"?\x01\0\0\0\0\0\0\0?");
    }

    #[test]
    fn errnos() {
        let mut buf = marked(9);
        let mut mem = GuestMemory::new(&mut buf);
        assert_eq!(
            clock_time_get(&mut ctx(), &mut mem, 4, 0, 0),
            Err(Errno::Inval)
        );
        assert_eq!(
            clock_res_get(&mut ctx(), &mut mem, 99, 0),
            Err(Errno::Inval)
        );
        assert_eq!(
            clock_time_get(&mut ctx(), &mut mem, 2, 0, 0),
            Err(Errno::Notsup)
        );
        assert_eq!(
            clock_res_get(&mut ctx(), &mut mem, 3, 0),
            Err(Errno::Notsup)
        );
        assert_eq!(
            clock_time_get(&mut ctx(), &mut mem, 0, 0, 2),
            Err(Errno::Fault)
        );
        assert_eq!(
            clock_res_get(&mut ctx(), &mut mem, 0, u32::MAX),
            Err(Errno::Fault)
        );
        assert_eq!(buf, marked(9));
    }
}
