//! `random_get` over the injected [`RandomSource`](crate::RandomSource).
//!
//! Owns: filling a guest buffer. Must not read the OS directly: determinism depends on the
//! builder's source being the only one.

use crate::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// `random_get(buf, buf_len)`.
pub fn random_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    buf: u32,
    buf_len: u32,
) -> Result<(), Errno> {
    ctx.random.fill(mem.slice_mut(buf, buf_len)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::WasiCtxBuilder;
    use crate::random::{RandomSource, SeededRandom};
    use crate::testutil::marked;

    fn ctx() -> WasiCtx {
        WasiCtxBuilder::new()
            .random(Box::new(SeededRandom::new(7)))
            .build()
            .unwrap()
    }

    #[test]
    fn fills_exactly_the_buffer() {
        let mut want = [0u8; 5];
        SeededRandom::new(7).fill(&mut want);
        let mut buf = marked(7);
        let mut mem = GuestMemory::new(&mut buf);
        random_get(&mut ctx(), &mut mem, 1, 5).unwrap();
        assert_eq!(buf[0], b'?');
        assert_eq!(&buf[1..6], &want);
        assert_eq!(buf[6], b'?');
    }

    #[test]
    fn out_of_bounds_faults_without_writing() {
        let mut buf = marked(7);
        let mut mem = GuestMemory::new(&mut buf);
        assert_eq!(random_get(&mut ctx(), &mut mem, 3, 5), Err(Errno::Fault));
        assert_eq!(
            random_get(&mut ctx(), &mut mem, u32::MAX, 2),
            Err(Errno::Fault)
        );
        assert_eq!(buf, marked(7));
    }
}
