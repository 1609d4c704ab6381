//! Determinism by default (README "Determinism"): the clock and the random source a guest
//! gets, unless the run opts out with `--nondeterministic`.
//!
//! Owns: the default epoch, the parsing of a job's `bolinho.epoch` and `bolinho.seed`, and the
//! derivation of the default seed from what the guest is given. Must not read host paths, the
//! time or anything else outside the guest's content: a rerun, anywhere, must see the same.

use sha2::{Digest, Sha256};
use wasi_shim::{HostClock, OsRandom, SeededRandom, VirtualClock};

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

/// The sources for `plan`: the host's with `nondeterministic`, else a virtual clock at the
/// job's epoch and random bytes from its seed; `module` is the entry module's bytes and `env`
/// the guest's resolved environment.
pub fn sources(
    plan: &Plan,
    module: &[u8],
    env: &[(String, String)],
    nondeterministic: bool,
) -> Sources {
    if nondeterministic {
        return Sources {
            clock: Clock::Host(HostClock::new()),
            random: Box::new(OsRandom::new()),
        };
    }
    let (epoch, seed) = settings(plan, module, env);
    Sources {
        clock: Clock::Virtual(VirtualClock::new(epoch, VirtualClock::DEFAULT_TICK_NS)),
        random: Box::new(SeededRandom::new(seed)),
    }
}

/// The epoch (ns) and seed a deterministic run of `plan` uses: the job's own, else the defaults.
pub fn settings(plan: &Plan, module: &[u8], env: &[(String, String)]) -> (u64, u64) {
    let epoch = plan.determinism.epoch_ns.unwrap_or(DEFAULT_EPOCH_NS);
    let seed = plan
        .determinism
        .seed
        .unwrap_or_else(|| content_seed(module, &plan.args, env));
    (epoch, seed)
}

/// The default seed: the first 8 bytes (little-endian) of the sha256 of what the guest is
/// given: its entry module's bytes, `argv[1..]` and environment, each length-prefixed so no
/// two different inputs run together the same. `argv[0]` is left out: it is a host file's name
/// for module runs. A job's environment holds its ids, which are the document's sha256
/// (`spec/env.rs`), so a job's seed follows the whole document.
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

/// A seed: a non-negative integer below 2^64.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim().parse().map_err(|_| {
        format!(
            "invalid seed {}: expected a non-negative integer",
            crate::spec::quote(text)
        )
    })
}

/// An epoch: whole Unix seconds (`946684800`), or an RFC 3339 time in UTC (`Z`, `+00:00` or
/// `-00:00`; `2000-01-01T00:00:00Z`, fractions of a second allowed, digits past nanoseconds
/// dropped), from 1970 to the latest instant the clock holds in 64-bit nanoseconds.
pub fn parse_epoch(text: &str) -> Result<u64, String> {
    /// `u64::MAX` nanoseconds after 1970: the latest instant the guest's clock holds.
    const LATEST: &str = "2554-07-21T23:34:33.709551615Z";
    let shown = crate::spec::quote(text);
    let invalid = || {
        format!(
            "invalid epoch {shown}: expected Unix seconds or an RFC 3339 time in UTC, such as 2000-01-01T00:00:00Z"
        )
    };
    let too_late = || {
        format!(
            "invalid epoch {shown}: after {LATEST}, the latest instant the guest's clock holds \
             (2^64 - 1 nanoseconds since 1970)"
        )
    };
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        // Digits too many for 64 bits are seconds too late all the same.
        return t
            .parse::<u64>()
            .ok()
            .and_then(|seconds| seconds.checked_mul(NANOS))
            .ok_or_else(too_late);
    }
    let utc = ["Z", "z", "+00:00", "-00:00"];
    let t = utc
        .iter()
        .find_map(|suffix| t.strip_suffix(suffix))
        .ok_or_else(invalid)?;
    let (date, time) = t.split_once(['T', 't', ' ']).ok_or_else(invalid)?;
    let number = |s: &str, len: usize| -> Option<u64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
    };
    let d: Vec<&str> = date.split('-').collect();
    let (whole, fraction) = match time.split_once('.') {
        // RFC 3339's time-secfrac is `.` and at least one digit.
        Some((_, "")) => return Err(invalid()),
        Some((whole, fraction)) => (whole, fraction),
        None => (time, ""),
    };
    let c: Vec<&str> = whole.split(':').collect();
    if d.len() != 3 || c.len() != 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let field = |s: &str, len| number(s, len).ok_or_else(invalid);
    let (year, month, day) = (field(d[0], 4)?, field(d[1], 2)?, field(d[2], 2)?);
    let (hour, minute, second) = (field(c[0], 2)?, field(c[1], 2)?, field(c[2], 2)?);
    // The clock counts whole nanoseconds: the first nine digits, padded with zeros.
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0, |n, digit| n * 10 + u64::from(digit - b'0'));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month)
        || day == 0
        || day > month_days[month as usize - 1]
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(invalid());
    }
    if year < 1970 {
        return Err(format!(
            "invalid epoch {shown}: before 1970-01-01T00:00:00Z, the earliest instant the guest's clock holds"
        ));
    }
    let days = days_since_unix_epoch(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
    seconds
        .checked_mul(NANOS)
        .and_then(|n| n.checked_add(nanos))
        .ok_or_else(too_late)
}

/// Days from 1970-01-01 to a date on or after it (Howard Hinnant's `days_from_civil`).
fn days_since_unix_epoch(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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

    #[test]
    fn epochs_parse_as_unix_seconds_or_rfc_3339_utc() {
        assert_eq!(parse_epoch("0"), Ok(0));
        assert_eq!(parse_epoch("946684800"), Ok(DEFAULT_EPOCH_NS));
        assert_eq!(parse_epoch("2000-01-01T00:00:00Z"), Ok(DEFAULT_EPOCH_NS));
        assert_eq!(parse_epoch("2000-01-01t00:00:00z"), Ok(DEFAULT_EPOCH_NS));
        assert_eq!(
            parse_epoch("2000-01-01 00:00:00+00:00"),
            Ok(DEFAULT_EPOCH_NS)
        );
        assert_eq!(
            parse_epoch("2000-01-01T00:00:00-00:00"),
            Ok(DEFAULT_EPOCH_NS)
        );
        assert_eq!(parse_epoch("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(
            parse_epoch("2024-02-29T12:34:56.5Z"),
            Ok(1_709_210_096 * NANOS + 500_000_000)
        );
        assert_eq!(
            parse_epoch("2021-03-01T00:00:00Z"),
            Ok(1_614_556_800 * NANOS)
        );
        // RFC 3339 allows any number of digits; the clock keeps nanoseconds.
        assert_eq!(
            parse_epoch("1970-01-01T00:00:00.123456789999Z"),
            Ok(123_456_789)
        );
        for bad in [
            "",
            "yesterday",
            "2000-01-01T00:00:00",
            "2000-01-01T00:00:00+01:00",
            "2000-01-01T00:00:00.Z",
            "2000-01-01T00:00:00.1x2Z",
            "2023-02-29T00:00:00Z",
            "2000-13-01T00:00:00Z",
            "-1",
            "+5",
        ] {
            assert_eq!(
                parse_epoch(bad).unwrap_err(),
                format!(
                    "invalid epoch `{bad}`: expected Unix seconds or an RFC 3339 time in UTC, such as 2000-01-01T00:00:00Z"
                )
            );
        }
        assert_eq!(
            parse_epoch("1969-12-31T23:59:59Z").unwrap_err(),
            "invalid epoch `1969-12-31T23:59:59Z`: before 1970-01-01T00:00:00Z, the earliest instant the guest's clock holds"
        );
    }

    #[test]
    fn epochs_reach_the_last_nanosecond_the_clock_holds() {
        assert_eq!(parse_epoch("2554-07-21T23:34:33.709551615Z"), Ok(u64::MAX));
        assert_eq!(
            parse_epoch("18446744073"),
            Ok(18_446_744_073 * NANOS),
            "the last whole second"
        );
        let too_late = |text: &str| {
            format!(
                "invalid epoch `{text}`: after 2554-07-21T23:34:33.709551615Z, the latest instant \
                 the guest's clock holds (2^64 - 1 nanoseconds since 1970)"
            )
        };
        for text in [
            "2554-07-21T23:34:33.709551616Z",
            "2554-07-21T23:34:34Z",
            "9999-12-31T23:59:59Z",
            "18446744074",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_epoch(text).unwrap_err(), too_late(text));
        }
    }

    #[test]
    fn long_epochs_and_seeds_are_quoted_in_part() {
        let long = "9".repeat(100_000);
        let shown = format!("`{}...` (100000 bytes)", "9".repeat(60));
        assert!(
            parse_epoch(&long)
                .unwrap_err()
                .starts_with(&format!("invalid epoch {shown}: after"))
        );
        assert_eq!(
            parse_seed(&long).unwrap_err(),
            format!("invalid seed {shown}: expected a non-negative integer")
        );
    }

    #[test]
    fn seeds_are_integers() {
        assert_eq!(parse_seed("42"), Ok(42));
        assert_eq!(
            parse_seed("-1").unwrap_err(),
            "invalid seed `-1`: expected a non-negative integer"
        );
    }
}
