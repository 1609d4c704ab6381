//! Determinism by default (README "Determinism"): the clock and the random source a guest
//! gets, unless the run opts out with `--nondeterministic`.
//!
//! Owns: the default epoch and the derivation of the default seed from what the guest is given
//! (a job's own `bolinho.epoch` and `bolinho.seed` are read by `spec::meta`). Must not read host paths, the
//! time or anything else outside the guest's content: a rerun, anywhere, must see the same.

use sha2::{Digest, Sha256};
use wasi_shim::{HostClock, OsRandom, SeededRandom, VirtualClock};

use super::RunOptions;
use crate::spec::Plan;

/// Where the guest's realtime clock starts unless the job says otherwise:
/// 2000-01-01T00:00:00Z, in nanoseconds since the Unix epoch.
pub const DEFAULT_EPOCH_NS: u64 = 946_684_800 * NANOS;

const NANOS: u64 = 1_000_000_000;

/// The clock and the random source of one run.
pub struct Sources {
    pub clock: Clock,
    pub random: Box<dyn wasi_shim::RandomSource + Send>,
}

/// Which clock a run has: the timeout only caps the sleeps of a clock that really sleeps.
pub enum Clock {
    Virtual(VirtualClock),
    Host(HostClock),
}

/// The settings of a deterministic run's clock and random bytes.
#[derive(Debug, Clone, Copy)]
pub struct Seeding {
    /// Where the virtual clock starts, in nanoseconds since the Unix epoch.
    pub epoch_ns: u64,
    pub seed: u64,
}

/// The seeding of a run of `plan`, unless it is `--nondeterministic`: the job's own epoch
/// and seed, else the defaults. `module` is the entry module's bytes and `env` the guest's
/// resolved environment, which the default seed derives from.
pub fn seeding(
    plan: &Plan,
    module: &[u8],
    env: &[(String, String)],
    options: &RunOptions,
) -> Option<Seeding> {
    if options.nondeterministic {
        return None;
    }
    Some(Seeding {
        epoch_ns: plan.determinism.epoch_ns.unwrap_or(DEFAULT_EPOCH_NS),
        seed: plan
            .determinism
            .seed
            .unwrap_or_else(|| content_seed(module, &plan.args, env)),
    })
}

/// The clock and random source of a run seeded with `seeding`, or the host's without.
pub fn sources(seeding: Option<Seeding>) -> Sources {
    match seeding {
        None => Sources {
            clock: Clock::Host(HostClock::new()),
            random: Box::new(OsRandom::new()),
        },
        Some(Seeding { epoch_ns, seed }) => Sources {
            clock: Clock::Virtual(VirtualClock::new(epoch_ns, VirtualClock::DEFAULT_TICK_NS)),
            random: Box::new(SeededRandom::new(seed)),
        },
    }
}

/// The default seed: the first 8 bytes (little-endian) of the sha256 of what the guest is
/// given: its entry module (by [`fingerprint`]), `argv[1..]` and environment, each
/// length-prefixed so no two different inputs run together the same. `argv[0]` is left out: it
/// is a host file's name for module runs. A job's environment holds its ids, which hash
/// everything its guest is given (`identity`), so a job's seed follows its inputs too.
pub fn content_seed(module: &[u8], args: &[String], env: &[(String, String)]) -> u64 {
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(b"bolinho seed v2");
    part(&fingerprint(module).to_le_bytes());
    part(&(args.len() as u64).to_le_bytes());
    for arg in args {
        part(arg.as_bytes());
    }
    part(&(env.len() as u64).to_le_bytes());
    for (name, value) in env {
        part(name.as_bytes());
        part(value.as_bytes());
    }
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// A 128-bit fingerprint of a module's bytes, for the seed only: every byte counts, the same
/// on every host (words are read little-endian), and about ten times faster than sha256,
/// which took 27 ms of every run of a 38 MB module that never asks for a random byte (issue
/// 13). Seeded bytes are reproducible, not secret (README "Determinism"): the seed needs
/// every module to give its own, not resistance to someone forging a collision. Four lanes of
/// multiply-rotate over 32-byte blocks keep the multiplier busy; the tail and the length are
/// mixed in last.
fn fingerprint(bytes: &[u8]) -> u128 {
    const K: [u64; 4] = [
        0x9e37_79b9_7f4a_7c15,
        0xc2b2_ae3d_27d4_eb4f,
        0x1656_67b1_9e37_79f9,
        0x85eb_ca77_c2b2_ae63,
    ];
    // Blocks and words as arrays, no slice copied by length, and the four lanes written out
    // as locals: this crate is built for size (Cargo.toml), which neither inlines a
    // variable-length copy nor unrolls a loop over an array of lanes, and kept the lanes in
    // memory, a store and a load per word (3.5 ms of a 20 MB module's start-up).
    let (blocks, tail) = bytes.as_chunks::<32>();
    let [mut a, mut b, mut c, mut d] = K;
    for block in blocks {
        let (words, _) = block.as_chunks::<8>();
        let word = |i: usize| u64::from_le_bytes(words[i]);
        a = (a ^ word(0)).wrapping_mul(K[0] | 1).rotate_left(29);
        b = (b ^ word(1)).wrapping_mul(K[1] | 1).rotate_left(29);
        c = (c ^ word(2)).wrapping_mul(K[2] | 1).rotate_left(29);
        d = (d ^ word(3)).wrapping_mul(K[3] | 1).rotate_left(29);
    }
    let mut lanes = [a, b, c, d];
    for (i, chunk) in tail.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        lanes[i] = (lanes[i] ^ u64::from_le_bytes(w))
            .wrapping_mul(K[i] | 1)
            .rotate_left(29);
    }
    let mix = |a: u64, b: u64| {
        let m = u128::from(a ^ K[0]) * u128::from(b ^ K[1]);
        (m as u64) ^ ((m >> 64) as u64)
    };
    let len = bytes.len() as u64;
    let high = mix(mix(lanes[0], lanes[1]), len);
    let low = mix(mix(lanes[2], lanes[3]), high);
    (u128::from(high) << 64) | u128::from(low)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_seed_is_stable_for_identical_content() {
        let args = vec!["a".to_string()];
        let e = env(&[("K", "V")]);
        assert_eq!(
            content_seed(b"\0asm", &args, &e),
            content_seed(b"\0asm", &args, &e)
        );
    }

    #[test]
    fn the_fingerprint_is_pinned_so_seeds_are_the_same_on_every_host() {
        // Values from this implementation, which reads words little-endian: a big-endian host
        // must give them too, or its runs would see other random bytes.
        assert_eq!(fingerprint(b""), 0x8dd9_092e_2a44_8508_78a2_6ba0_9d91_fb1b);
        let bytes: Vec<u8> = (0..100u8).collect();
        assert_eq!(
            fingerprint(&bytes),
            0xc870_17a6_6c85_b261_ee3e_e3fb_f0b2_42e4
        );
    }

    #[test]
    fn every_byte_and_the_length_change_the_fingerprint() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let base = fingerprint(&bytes);
        for at in [0, 7, 8, 31, 32, 500, 991, 992, 999] {
            let mut other = bytes.clone();
            other[at] ^= 1;
            assert_ne!(fingerprint(&other), base, "byte {at}");
        }
        // Trailing zero bytes are not the same module.
        let mut longer = bytes.clone();
        longer.push(0);
        assert_ne!(fingerprint(&longer), base);
        assert_ne!(fingerprint(&[0]), fingerprint(&[]));
        assert_ne!(fingerprint(&[0; 33]), fingerprint(&[0; 32]));
    }

    #[test]
    fn the_seed_differs_for_different_content() {
        let base = content_seed(b"\0asm", &["a".into()], &env(&[("K", "V")]));
        assert_ne!(
            base,
            content_seed(b"\0asm!", &["a".into()], &env(&[("K", "V")]))
        );
        assert_ne!(
            base,
            content_seed(b"\0asm", &["b".into()], &env(&[("K", "V")]))
        );
        assert_ne!(
            base,
            content_seed(b"\0asm", &["a".into()], &env(&[("K", "W")]))
        );
        // Length prefixes keep boundaries: "ab" + "" is not "a" + "b".
        assert_ne!(
            content_seed(b"", &["ab".into(), "".into()], &[]),
            content_seed(b"", &["a".into(), "b".into()], &[])
        );
    }
}
