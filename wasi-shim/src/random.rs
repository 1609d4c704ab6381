//! Randomness the guest can read, injected through the builder.
//!
//! Owns: the `RandomSource` trait, the OS source (`/dev/urandom`) and a seeded source for
//! deterministic runs and tests. Must not touch guest memory; `funcs/random.rs` does that.

use std::collections::hash_map::RandomState;
use std::fs::File;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;

/// A source of random bytes. Infallible: a source that cannot reach the OS must fall back
/// rather than fail the guest (preview1 `random_get` has no useful error to give).
pub trait RandomSource {
    /// Fills `buf` entirely.
    fn fill(&mut self, buf: &mut [u8]);
}

/// A boxed source is a source, so a recording wrapper composes over whichever a run chose.
impl<R: RandomSource + ?Sized> RandomSource for Box<R> {
    fn fill(&mut self, buf: &mut [u8]) {
        (**self).fill(buf)
    }
}

/// Bytes from `/dev/urandom`, opened on first use. Where that file cannot be read, bytes come
/// from std's per-process random hash keys (themselves seeded by the OS) instead.
#[derive(Debug, Default)]
pub struct OsRandom {
    urandom: Option<File>,
    fallback: Option<(RandomState, u64)>,
}

impl OsRandom {
    /// A source that opens `/dev/urandom` lazily.
    pub fn new() -> Self {
        OsRandom::default()
    }

    fn fill_fallback(&mut self, buf: &mut [u8]) {
        let (state, counter) = self.fallback.get_or_insert_with(|| (RandomState::new(), 0));
        for chunk in buf.chunks_mut(8) {
            let mut h = state.build_hasher();
            h.write_u64(*counter);
            *counter += 1;
            chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
        }
    }
}

impl RandomSource for OsRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        if self.urandom.is_none() {
            self.urandom = File::open("/dev/urandom").ok();
        }
        if let Some(f) = &mut self.urandom
            && f.read_exact(buf).is_ok()
        {
            return;
        }
        self.fill_fallback(buf);
    }
}

/// A deterministic source (splitmix64) for reproducible jobs and tests.
#[derive(Debug, Clone)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// A source whose output depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom { state: seed }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl RandomSource for SeededRandom {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_random_fills_the_whole_buffer() {
        let mut buf = [0u8; 64];
        OsRandom::new().fill(&mut buf);
        assert!(buf.iter().any(|&b| b != 0));
    }

    #[test]
    fn fallback_fills_odd_lengths() {
        let mut buf = [0u8; 13];
        OsRandom::new().fill_fallback(&mut buf);
        assert!(buf.iter().any(|&b| b != 0));
    }

    #[test]
    fn seeded_random_is_reproducible() {
        let (mut a, mut b) = ([0u8; 20], [0u8; 20]);
        SeededRandom::new(42).fill(&mut a);
        SeededRandom::new(42).fill(&mut b);
        assert_eq!(a, b);
        SeededRandom::new(43).fill(&mut b);
        assert_ne!(a, b);
    }
}
