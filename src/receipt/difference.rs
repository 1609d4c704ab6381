//! Where a result first differs from the one a receipt records, for `verify`'s `DIFF` lines:
//! both are read as they stream, never held whole.
//!
//! Owns: finding the first differing byte and saying where it is. Must not name a place in
//! bytes that are not the ones the receipt records: the expected bytes are hashed to their end
//! and must hash as recorded. Where they come from is `verify`'s to say.

use std::fmt;
use std::io::{self, Read};

use super::hashing::Hashing;

/// Where two byte streams first differ.
#[derive(Debug, PartialEq, Eq)]
pub struct Difference {
    /// The offset of the first byte that differs, counted from 0.
    at: u64,
    /// Whether it is where one of the two ends (the other goes on).
    ends: Option<Ends>,
}

#[derive(Debug, PartialEq, Eq)]
enum Ends {
    Expected,
    Got,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "first difference at byte {}", grouped(self.at))?;
        match self.ends {
            None => Ok(()),
            Some(Ends::Got) => f.write_str(", where the rerun's ends"),
            Some(Ends::Expected) => f.write_str(", where the expected one ends"),
        }
    }
}

/// Where `got` first differs from `expected`, whose bytes must hash to `expected_hex` (lower-case
/// hex sha256): `None` when they do not, or when the two are the same.
pub fn first_difference(
    expected: impl Read,
    mut got: impl Read,
    expected_hex: &str,
) -> io::Result<Option<Difference>> {
    const CHUNK: usize = 64 * 1024;
    let mut want = Hashing::new(expected);
    let (mut a, mut b) = (vec![0u8; CHUNK], vec![0u8; CHUNK]);
    let mut offset = 0u64;
    let mut found = None;
    loop {
        let n = fill(&mut want, &mut a)?;
        if found.is_none() {
            // Once the expected bytes end, one more byte of the rerun's says whether it goes on.
            let m = fill(&mut got, &mut b[..n.max(1)])?;
            let common = n.min(m);
            let at = |i: usize| offset + i as u64;
            found = match (
                a[..common]
                    .iter()
                    .zip(&b[..common])
                    .position(|(x, y)| x != y),
                m.cmp(&n),
            ) {
                (Some(i), _) => Some(Difference {
                    at: at(i),
                    ends: None,
                }),
                (None, std::cmp::Ordering::Less) => Some(Difference {
                    at: at(m),
                    ends: Some(Ends::Got),
                }),
                (None, std::cmp::Ordering::Greater) => Some(Difference {
                    at: at(n),
                    ends: Some(Ends::Expected),
                }),
                (None, std::cmp::Ordering::Equal) => None,
            };
            offset += common as u64;
        }
        if n == 0 {
            break;
        }
    }
    let (hex, _) = want.finish();
    Ok(found.filter(|_| hex == expected_hex))
}

/// Reads until `buf` is full or the stream ends; how many bytes it read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A number with a comma between each group of three digits: 1,234,567.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() * 4 / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        crate::receipt::sha256(bytes)["sha256:".len()..].to_string()
    }

    fn diff(expected: &[u8], got: &[u8]) -> Option<String> {
        first_difference(expected, got, &hex(expected))
            .unwrap()
            .map(|d| d.to_string())
    }

    #[test]
    fn the_first_differing_byte_is_named_from_zero() {
        assert_eq!(
            diff(b"abc", b"abd").as_deref(),
            Some("first difference at byte 2")
        );
        assert_eq!(
            diff(b"abc", b"xbc").as_deref(),
            Some("first difference at byte 0")
        );
        assert_eq!(diff(b"abc", b"abc"), None);
        assert_eq!(diff(b"", b""), None);
    }

    #[test]
    fn a_shorter_side_is_said() {
        assert_eq!(
            diff(b"abcd", b"ab").as_deref(),
            Some("first difference at byte 2, where the rerun's ends")
        );
        assert_eq!(
            diff(b"ab", b"abcd").as_deref(),
            Some("first difference at byte 2, where the expected one ends")
        );
        assert_eq!(
            diff(b"", b"x").as_deref(),
            Some("first difference at byte 0, where the expected one ends")
        );
    }

    #[test]
    fn far_differences_are_found_across_chunks_and_grouped() {
        let expected = vec![7u8; 1_234_567 + 10];
        let mut got = expected.clone();
        got[1_234_567] = 8;
        assert_eq!(
            diff(&expected, &got).as_deref(),
            Some("first difference at byte 1,234,567")
        );
        got.truncate(200_000);
        assert_eq!(
            diff(&expected, &got).as_deref(),
            Some("first difference at byte 200,000, where the rerun's ends")
        );
    }

    #[test]
    fn nothing_is_said_of_bytes_that_are_not_the_expected_ones() {
        let found = first_difference(&b"abc"[..], &b"abd"[..], &hex(b"xyz")).unwrap();
        assert_eq!(found, None);
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567_890), "1,234,567,890");
    }
}
