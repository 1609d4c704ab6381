//! The values of the `Meta` keys that set a job's determinism: `bolinho.epoch` (where the
//! guest's realtime clock starts) and `bolinho.seed` (its random bytes), and the `--epoch`
//! and `--seed` flags that override them.
//!
//! Owns: their grammar and their messages. What the clock and the random source then do with
//! them is `job::sources`'s, a later stage.

use super::quote;

const NANOS: u64 = 1_000_000_000;

/// A seed: a non-negative integer below 2^64.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    text.trim().parse().map_err(|_| {
        format!(
            "invalid seed {}: expected a non-negative integer",
            quote(text)
        )
    })
}

/// An epoch: whole Unix seconds (`946684800`), or an RFC 3339 time in UTC (`Z`, `+00:00` or
/// `-00:00`; `2000-01-01T00:00:00Z`, fractions of a second allowed, digits past nanoseconds
/// dropped), from 1970 to the latest instant the clock holds in 64-bit nanoseconds.
pub fn parse_epoch(text: &str) -> Result<u64, String> {
    /// `u64::MAX` nanoseconds after 1970: the latest instant the guest's clock holds.
    const LATEST: &str = "2554-07-21T23:34:33.709551615Z";
    let shown = quote(text);
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

/// An epoch as `parse_epoch` reads it back, the same to the nanosecond: an RFC 3339 time in UTC
/// (`2000-01-01T00:00:00Z`, with a fraction of a second when there is one). What `--dry-run`
/// and `bacalhau wasm run`'s flags write into a job's `Meta`.
pub fn format_epoch(ns: u64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ns))
        .expect("every u64 of nanoseconds (up to 2554) is within jiff's range (up to 9999)")
        .to_string()
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

    /// 2000-01-01T00:00:00Z, bolinho's default epoch.
    const DEFAULT_EPOCH_NS: u64 = 946_684_800 * NANOS;

    #[test]
    fn a_formatted_epoch_parses_back_to_the_same_nanosecond() {
        assert_eq!(format_epoch(DEFAULT_EPOCH_NS), "2000-01-01T00:00:00Z");
        assert_eq!(format_epoch(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_epoch(u64::MAX), "2554-07-21T23:34:33.709551615Z");
        assert_eq!(
            format_epoch(951_782_400 * NANOS + 10),
            "2000-02-29T00:00:00.00000001Z"
        );
        assert_eq!(format_epoch(1_704_067_199 * NANOS), "2023-12-31T23:59:59Z");
        // Every day for eight years and more, and the last days the clock holds.
        let last_day = u64::MAX / NANOS / 86_400;
        for day in (0..3_000).chain(last_day - 400..last_day) {
            let ns = day * 86_400 * NANOS + 45_296 * NANOS;
            assert_eq!(
                parse_epoch(&format_epoch(ns)),
                Ok(ns),
                "{}",
                format_epoch(ns)
            );
        }
        for ns in [
            0,
            1,
            1_000 * NANOS,
            DEFAULT_EPOCH_NS + 500_000_000,
            1_704_067_200 * NANOS + 7,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(
                parse_epoch(&format_epoch(ns)),
                Ok(ns),
                "{}",
                format_epoch(ns)
            );
        }
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
