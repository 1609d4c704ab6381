//! Byte sizes as Bacalhau reads them (go-humanize's `ParseBytes`), and the memory limit they
//! become (compat §7), fuel amounts and timeouts. Parsing only: the limits are applied in `engine` (and the output limit in `tee`).
//!
//! go-humanize (bytes.go): the number is the leading run of ASCII digits and `.`, read as a
//! float; the rest, trimmed and lower-cased, must be one of the suffixes below (none is bytes);
//! the product is truncated to whole bytes. So `512Mb`, `512MB`, `512 mb` and `512M` are all
//! 512,000,000 bytes, `512MiB` and `512mi` are 2^29, and `1.5GB` is 1,500,000,000.

use std::time::Duration;

use super::quote::quote;

/// The suffixes go-humanize accepts, lower-case, with their multipliers.
const SUFFIXES: [(&str, u64); 26] = [
    ("", 1),
    ("b", 1),
    ("k", 1000),
    ("kb", 1000),
    ("ki", 1 << 10),
    ("kib", 1 << 10),
    ("m", 1_000_000),
    ("mb", 1_000_000),
    ("mi", 1 << 20),
    ("mib", 1 << 20),
    ("g", 1_000_000_000),
    ("gb", 1_000_000_000),
    ("gi", 1 << 30),
    ("gib", 1 << 30),
    ("t", 1_000_000_000_000),
    ("tb", 1_000_000_000_000),
    ("ti", 1 << 40),
    ("tib", 1 << 40),
    ("p", 1_000_000_000_000_000),
    ("pb", 1_000_000_000_000_000),
    ("pi", 1 << 50),
    ("pib", 1 << 50),
    ("e", 1_000_000_000_000_000_000),
    ("eb", 1_000_000_000_000_000_000),
    ("ei", 1 << 60),
    ("eib", 1 << 60),
];

/// A WebAssembly page.
pub const PAGE: u64 = 65536;
/// The most pages a 32-bit linear memory can have (4 GiB).
pub const MAX_PAGES: u64 = 65536;

/// Parses a size such as `512Mb`, `1.5GB` or `512MiB` into bytes; the error says what is wrong
/// with the text (the caller names the field or flag). A size that is not 0 but less than a
/// byte (`0.5`) is an error: go-humanize would truncate it to 0, which a limit reads as none.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let shown = quote(text);
    let digits = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(digits);
    let invalid = || {
        format!(
            "invalid size {shown}: expected a number and an optional unit, such as 512MB, 1.5GiB or 4096"
        )
    };
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let suffix = suffix.trim().to_ascii_lowercase();
    let Some((_, multiplier)) = SUFFIXES.iter().find(|(s, _)| *s == suffix) else {
        return Err(format!(
            "invalid size {shown}: unknown unit {}; expected B, kB, MB, GB, TB, PB, EB, KiB, MiB, GiB, TiB, PiB or EiB (case does not matter)",
            quote(&suffix)
        ));
    };
    let bytes = number * *multiplier as f64;
    if bytes >= u64::MAX as f64 {
        return Err(format!("invalid size {shown}: too large"));
    }
    // Truncated, as go-humanize's uint64 conversion does.
    let truncated = bytes as u64;
    if truncated == 0 && number > 0.0 {
        return Err(format!(
            "invalid size {shown}: less than one byte, so it would round down to 0 \
             (write 0 if that is what you mean)"
        ));
    }
    Ok(truncated)
}

/// A memory limit in bytes: `None` for no limit (`0`, as Bacalhau treats an unset quantity),
/// else the bytes; more than 4 GiB is an error, as in Bacalhau. The error is the reason alone.
pub fn memory_limit(bytes: u64) -> Result<Option<u64>, String> {
    if bytes == 0 {
        return Ok(None);
    }
    if bytes.div_ceil(PAGE) > MAX_PAGES {
        return Err(format!(
            "{bytes} bytes, more than a 32-bit memory can hold (4 GiB, {MAX_PAGES} pages)"
        ));
    }
    Ok(Some(bytes))
}

/// A memory size, read by `parse_size` and bounded by `memory_limit`.
pub fn parse_memory(text: &str) -> Result<Option<u64>, String> {
    memory_limit(parse_size(text)?).map_err(|why| format!("{} is {why}", quote(text)))
}

/// A fuel amount: a plain non-negative integer (`0` runs nothing).
pub fn parse_fuel(text: &str) -> Result<u64, String> {
    text.trim().parse().map_err(|_| {
        format!(
            "invalid fuel {}: expected a non-negative integer",
            quote(text)
        )
    })
}

/// The longest timeout: what a Go `time.Duration` holds (2^63 - 1 ns, about 292 years), the
/// type Bacalhau reads timeouts into. Its whole seconds are exact in a receipt's f64.
pub const MAX_TIMEOUT: Duration = Duration::from_nanos(i64::MAX as u64);

/// A timeout: `None` for none (a zero duration, as a job's 0), else the duration, at most
/// `MAX_TIMEOUT`. The error is the reason alone.
pub fn timeout_limit(duration: Duration) -> Result<Option<Duration>, String> {
    if duration > MAX_TIMEOUT {
        return Err(format!(
            "more than {} seconds (about 292 years), the longest timeout",
            MAX_TIMEOUT.as_secs()
        ));
    }
    Ok(Some(duration).filter(|d| !d.is_zero()))
}

/// A timeout in seconds, decimals allowed (`30`, `0.5`); `0` is no timeout, as a job's 0. A
/// timeout that is not 0 but less than a nanosecond is an error: it would round down to none.
pub fn parse_timeout(text: &str) -> Result<Option<Duration>, String> {
    let shown = quote(text);
    let invalid = || {
        format!(
            "invalid timeout {shown}: expected a non-negative number of seconds, such as 30 or 0.5"
        )
    };
    // Rust's f64 parser also takes `inf`, `NaN` and `1e3`: only plain decimals are seconds.
    if !text.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(invalid());
    }
    let seconds: f64 = text.parse().map_err(|_| invalid())?;
    // Past what a `Duration` holds is past `MAX_TIMEOUT` too.
    let timeout = Duration::try_from_secs_f64(seconds).unwrap_or(Duration::MAX);
    if timeout.is_zero() && seconds > 0.0 {
        return Err(format!(
            "invalid timeout {shown}: less than a nanosecond, so it would round down to 0, \
             which is no timeout (write 0 if that is what you mean)"
        ));
    }
    timeout_limit(timeout).map_err(|why| format!("invalid timeout {shown}: {why}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_go_humanize_reads_them() {
        let table: [(&str, u64); 16] = [
            ("512Mb", 512_000_000),
            ("512MB", 512_000_000),
            ("512mb", 512_000_000),
            ("512 MB", 512_000_000),
            ("512M", 512_000_000),
            ("512MiB", 1 << 29),
            ("512mi", 1 << 29),
            ("1.5GB", 1_500_000_000),
            ("1.5GiB", 3 << 29),
            ("64kB", 64_000),
            ("64KB", 64_000),
            ("64k", 64_000),
            ("2TB", 2_000_000_000_000),
            ("1TiB", 1 << 40),
            ("4096", 4096),
            ("0.0MB", 0),
        ];
        for (text, bytes) in table {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn bad_sizes_say_why() {
        assert_eq!(
            parse_size("lots").unwrap_err(),
            "invalid size `lots`: expected a number and an optional unit, such as 512MB, 1.5GiB or 4096"
        );
        assert_eq!(
            parse_size(" 5MB").unwrap_err(),
            "invalid size ` 5MB`: expected a number and an optional unit, such as 512MB, 1.5GiB or 4096"
        );
        assert_eq!(
            parse_size("5 parsecs").unwrap_err(),
            "invalid size `5 parsecs`: unknown unit `parsecs`; expected B, kB, MB, GB, TB, PB, EB, KiB, MiB, GiB, TiB, PiB or EiB (case does not matter)"
        );
        assert_eq!(
            parse_size("1.2.3MB").unwrap_err(),
            "invalid size `1.2.3MB`: expected a number and an optional unit, such as 512MB, 1.5GiB or 4096"
        );
        assert_eq!(
            parse_size("100EB").unwrap_err(),
            "invalid size `100EB`: too large"
        );
    }

    #[test]
    fn a_size_that_is_not_zero_never_rounds_down_to_zero() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("0kB"), Ok(0));
        assert_eq!(parse_size("1.5"), Ok(1), "truncated, as go-humanize does");
        for text in ["0.5", "0.999B", "0.0001kB"] {
            assert_eq!(
                parse_size(text).unwrap_err(),
                format!(
                    "invalid size `{text}`: less than one byte, so it would round down to 0 \
                     (write 0 if that is what you mean)"
                )
            );
        }
        assert_eq!(
            parse_memory("0.5").unwrap_err(),
            "invalid size `0.5`: less than one byte, so it would round down to 0 (write 0 if that is what you mean)"
        );
        assert_eq!(parse_memory("0"), Ok(None), "an explicit 0 is no limit");
    }

    #[test]
    fn memory_is_at_most_four_gib() {
        assert_eq!(parse_memory("0"), Ok(None));
        assert_eq!(parse_memory("4GiB"), Ok(Some(1 << 32)));
        assert_eq!(parse_memory("1"), Ok(Some(1)));
        assert_eq!(
            parse_memory("4.3GB").unwrap_err(),
            "`4.3GB` is 4300000000 bytes, more than a 32-bit memory can hold (4 GiB, 65536 pages)"
        );
        assert_eq!(
            parse_memory("4294967297").unwrap_err(),
            "`4294967297` is 4294967297 bytes, more than a 32-bit memory can hold (4 GiB, 65536 pages)"
        );
    }

    #[test]
    fn fuel_is_an_integer() {
        assert_eq!(parse_fuel("1000"), Ok(1000));
        assert_eq!(
            parse_fuel("1e6").unwrap_err(),
            "invalid fuel `1e6`: expected a non-negative integer"
        );
    }

    #[test]
    fn timeouts_are_seconds() {
        assert_eq!(parse_timeout("2"), Ok(Some(Duration::from_secs(2))));
        assert_eq!(parse_timeout("0.5"), Ok(Some(Duration::from_millis(500))));
        assert_eq!(parse_timeout("0"), Ok(None));
        assert_eq!(parse_timeout("0.0"), Ok(None));
        assert_eq!(
            parse_timeout("0.000000001"),
            Ok(Some(Duration::from_nanos(1)))
        );
        assert_eq!(
            parse_timeout("0.0000000001").unwrap_err(),
            "invalid timeout `0.0000000001`: less than a nanosecond, so it would round down to 0, \
             which is no timeout (write 0 if that is what you mean)"
        );
        for bad in ["-1", "soon", "", "1e3", "inf", "NaN", "1.2.3", " 2", "2s"] {
            assert_eq!(
                parse_timeout(bad).unwrap_err(),
                format!(
                    "invalid timeout `{bad}`: expected a non-negative number of seconds, such as 30 or 0.5"
                ),
                "{bad}"
            );
        }
        assert_eq!(
            parse_timeout("9223372036"),
            Ok(Some(Duration::from_secs(9_223_372_036)))
        );
        for huge in ["9223372037".to_string(), "9".repeat(30)] {
            assert_eq!(
                parse_timeout(&huge).unwrap_err(),
                format!(
                    "invalid timeout `{huge}`: more than 9223372036 seconds (about 292 years), the longest timeout"
                )
            );
        }
    }
}
