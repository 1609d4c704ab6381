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
/// given: its entry module's bytes, `argv[1..]` and environment, each length-prefixed so no
/// two different inputs run together the same. `argv[0]` is left out: it is a host file's name
/// for module runs. A job's environment holds its ids, which hash everything its guest is given
/// (`identity`), so a job's seed follows its inputs too.
pub fn content_seed(module: &[u8], args: &[String], env: &[(String, String)]) -> u64 {
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(b"bolinho seed v1");
    part(module);
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
