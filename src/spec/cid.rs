//! Reading a CID: enough to choose how to fetch it and to verify raw blocks. Read with the job
//! (`spec::source`), so a CID bolinho cannot read is an error naming its line; the plan holds
//! it parsed, and `fetch::ipfs` asks the gateway for it.
//!
//! Supported forms (https://github.com/multiformats/cid): CIDv0, `Qm...` (base58btc of a
//! sha2-256 multihash; always dag-pb), and CIDv1 in multibase base32 (`b...`, or `B...` upper
//! case) or base58btc (`z...`): `<version=1><codec><multihash>`, each an unsigned varint, the
//! multihash `<hash code><digest length><digest>`. Anything else is refused, which also keeps
//! the text we put in a gateway URL to letters and digits. The decoders are written here
//! (a few lines each) rather than added as crates.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The multicodec of raw bytes: the block is the content.
pub const RAW: u64 = 0x55;
/// The multicodec of UnixFS files and directories (every CIDv0).
pub const DAG_PB: u64 = 0x70;
/// The multihash code of sha2-256.
pub const SHA2_256: u64 = 0x12;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cid {
    /// As the job wrote it: what a plan records, and what the gateway is asked for.
    text: String,
    pub version: u8,
    pub codec: u64,
    pub hash_code: u64,
    pub digest: Vec<u8>,
}

impl Cid {
    /// The CID as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The sha256 the content must have, when the CID says so directly: a raw block hashed
    /// with sha2-256. A dag-pb CID hashes a UnixFS node, not the file's bytes.
    pub fn raw_sha256(&self) -> Option<&[u8]> {
        (self.codec == RAW && self.hash_code == SHA2_256 && self.digest.len() == 32)
            .then_some(self.digest.as_slice())
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CIDv{} codec {:#x} hash {:#x}",
            self.version, self.codec, self.hash_code
        )
    }
}

impl Serialize for Cid {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Parsed as a job's is: a receipt's plan cannot carry a CID a job could not.
impl<'de> Deserialize<'de> for Cid {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// The longest text taken for a CID. The longest CIDs are identity multihashes, whose digest
/// Kubo caps at 128 bytes: with the varints before it, under 160 bytes, about 260 characters in
/// base32. Longer text is refused before it is decoded (base58 decoding takes time quadratic in
/// the length) or echoed in full in an error.
pub const MAX_LEN: usize = 512;

/// Parses `text`, or says why it is not a CID bolinho can read.
pub fn parse(text: &str) -> Result<Cid, String> {
    if text.len() > MAX_LEN {
        let start: String = text.chars().take(16).collect();
        return Err(format!(
            "`{start}...` is not a CID: {} bytes long, and a CID is at most {MAX_LEN}",
            text.len()
        ));
    }
    let bad = |why: &str| format!("`{text}` is not a CID: {why}");
    if text.len() == 46 && text.starts_with("Qm") {
        let bytes = base58btc(text).ok_or_else(|| bad("not base58btc"))?;
        return match bytes.as_slice() {
            [0x12, 0x20, digest @ ..] if digest.len() == 32 => Ok(Cid {
                text: text.to_string(),
                version: 0,
                codec: DAG_PB,
                hash_code: SHA2_256,
                digest: digest.to_vec(),
            }),
            _ => Err(bad("a CIDv0 is a sha2-256 multihash")),
        };
    }
    let mut chars = text.chars();
    let bytes = match chars.next() {
        Some('b') => base32(chars.as_str()),
        Some('B') => base32(&chars.as_str().to_ascii_lowercase()),
        Some('z') => base58btc(chars.as_str()),
        Some(other) => {
            return Err(bad(&format!(
                "unsupported multibase prefix `{other}` (bolinho reads CIDv0 `Qm...` and CIDv1 in \
                 base32 `b...` or base58btc `z...`)"
            )));
        }
        None => return Err(bad("empty")),
    }
    .ok_or_else(|| bad("bad multibase encoding"))?;
    let mut rest = bytes.as_slice();
    let mut next = || varint(&mut rest).ok_or_else(|| bad("truncated"));
    let version = next()?;
    if version != 1 {
        return Err(bad(&format!("unknown CID version {version}")));
    }
    let codec = next()?;
    let hash_code = next()?;
    let length = next()?;
    if rest.len() as u64 != length {
        return Err(bad(&format!(
            "the multihash says {length} digest bytes, {} follow",
            rest.len()
        )));
    }
    Ok(Cid {
        text: text.to_string(),
        version: 1,
        codec,
        hash_code,
        digest: rest.to_vec(),
    })
}

/// An unsigned LEB128 varint (at most 9 bytes, as multiformats allows), advancing `bytes`.
fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(9) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(value);
        }
    }
    None
}

/// RFC 4648 base32, lower case, no padding; None on any other character or non-zero spare bits.
pub fn base32(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // Leftover bits are padding: fewer than 5 of them, all zero.
    (bits < 5 && acc == 0).then_some(out)
}

/// Bitcoin's base58 (the multibase `z` alphabet); leading `1`s are leading zero bytes.
pub fn base58btc(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    let zeros = text.bytes().take_while(|&c| c == b'1').count();
    // Little-endian base-256 digits of the number.
    let mut number: Vec<u8> = Vec::new();
    for c in text.bytes().skip(zeros) {
        let mut carry = ALPHABET.iter().position(|&a| a == c)? as u32;
        for digit in number.iter_mut() {
            carry += u32::from(*digit) * 58;
            *digit = carry as u8;
            carry >>= 8;
        }
        while carry > 0 {
            number.push(carry as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(number.iter().rev());
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn base32_rfc4648_vectors() {
        let table = [
            ("", ""),
            ("my", "f"),
            ("mzxq", "fo"),
            ("mzxw6", "foo"),
            ("mzxw6yq", "foob"),
            ("mzxw6ytb", "fooba"),
            ("mzxw6ytboi", "foobar"),
        ];
        for (text, want) in table {
            assert_eq!(base32(text).as_deref(), Some(want.as_bytes()), "{text}");
        }
        for bad in ["MZXQ", "mzx1", "mz", "mzxr", "m"] {
            assert_eq!(base32(bad), None, "{bad}");
        }
    }

    #[test]
    fn base58_bitcoin_vectors() {
        let table = [
            ("", ""),
            ("2g", "61"),
            ("a3gV", "626262"),
            ("aPEr", "636363"),
            (
                "2cFupjhnEsSn59qHXstmK2ffpLv2",
                "73696d706c792061206c6f6e6720737472696e67",
            ),
            (
                "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
                "00eb15231dfceb60925886b67d065299925915aeb172c06647",
            ),
            ("ABnLTmg", "516b6fcd0f"),
            ("1111111111", "00000000000000000000"),
        ];
        for (text, want) in table {
            assert_eq!(
                base58btc(text).map(|b| hex(&b)).as_deref(),
                Some(want),
                "{text}"
            );
        }
        for bad in ["0", "O", "I", "l", "a+b"] {
            assert_eq!(base58btc(bad), None, "{bad}");
        }
    }

    /// sha256("hello world").
    const HELLO: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

    #[test]
    fn a_raw_cidv1_in_base32_carries_its_sha256() {
        let cid = parse("bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e").unwrap();
        assert_eq!((cid.version, cid.codec, cid.hash_code), (1, RAW, SHA2_256));
        assert_eq!(cid.raw_sha256().map(hex).as_deref(), Some(HELLO));
        let upper = parse("BAFKREIFZJUT3TE2NHYEKKLSS27NH3K72YSCO7Y32KOAO5EEI66WOF36N5E").unwrap();
        let parts = |c: &Cid| (c.version, c.codec, c.hash_code, c.digest.clone());
        assert_eq!(parts(&upper), parts(&cid));
        assert_eq!(
            upper.as_str(),
            "BAFKREIFZJUT3TE2NHYEKKLSS27NH3K72YSCO7Y32KOAO5EEI66WOF36N5E"
        );
    }

    #[test]
    fn a_cidv1_in_base58_and_a_cidv0() {
        // base58btc of the same bytes as the base32 CID above.
        let bytes = base32("afkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e").unwrap();
        let cid = parse(&format!("z{}", encode58(&bytes))).unwrap();
        assert_eq!(cid.raw_sha256().map(hex).as_deref(), Some(HELLO));

        let v0 = parse("QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o").unwrap();
        assert_eq!((v0.version, v0.codec, v0.hash_code), (0, DAG_PB, SHA2_256));
        assert_eq!(v0.digest.len(), 32);
        assert_eq!(
            v0.raw_sha256(),
            None,
            "dag-pb cannot be checked by a plain hash"
        );
        let dir = parse("bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi").unwrap();
        assert_eq!((dir.version, dir.codec), (1, DAG_PB));
    }

    #[test]
    fn bad_cids_say_why() {
        let table = [
            ("", "`` is not a CID: empty"),
            (
                "k51qzi5uqu5dl",
                "`k51qzi5uqu5dl` is not a CID: unsupported multibase prefix `k` (bolinho reads \
                 CIDv0 `Qm...` and CIDv1 in base32 `b...` or base58btc `z...`)",
            ),
            ("b!!", "`b!!` is not a CID: bad multibase encoding"),
            ("ba", "`ba` is not a CID: bad multibase encoding"),
            ("bae", "`bae` is not a CID: truncated"),
            ("baa", "`baa` is not a CID: unknown CID version 0"),
            (
                "bafkreifzjut3te2n",
                "`bafkreifzjut3te2n` is not a CID: the multihash says 32 digest bytes, 6 follow",
            ),
            (
                "../../etc",
                "`../../etc` is not a CID: unsupported multibase prefix `.` (bolinho reads CIDv0 `Qm...` and CIDv1 in base32 `b...` or base58btc `z...`)",
            ),
            (
                "Qm0000000000000000000000000000000000000000000000",
                "`Qm0000000000000000000000000000000000000000000000` is not a CID: unsupported multibase prefix `Q` (bolinho reads CIDv0 `Qm...` and CIDv1 in base32 `b...` or base58btc `z...`)",
            ),
            (
                "Qm000000000000000000000000000000000000000000ab",
                "`Qm000000000000000000000000000000000000000000ab` is not a CID: not base58btc",
            ),
        ];
        for (text, want) in table {
            assert_eq!(parse(text).unwrap_err(), want, "{text}");
        }
    }

    #[test]
    fn a_very_long_cid_is_refused_before_decoding() {
        // Decoding 100,000 base58 characters took seconds, and a megabyte of them half an hour.
        let long = format!("z{}", "2".repeat(100_000));
        let started = std::time::Instant::now();
        assert_eq!(
            parse(&long).unwrap_err(),
            "`z222222222222222...` is not a CID: 100001 bytes long, and a CID is at most 512"
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        // At the limit, text is still decoded (and here refused for what it says).
        let at_limit = format!("z{}", "1".repeat(MAX_LEN - 1));
        assert_eq!(
            parse(&at_limit).unwrap_err(),
            format!("`{at_limit}` is not a CID: unknown CID version 0")
        );
    }

    /// The inverse of `base58btc`, for tests.
    fn encode58(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        let mut digits: Vec<u8> = Vec::new(); // little-endian base 58
        for &b in &bytes[zeros..] {
            let mut carry = u32::from(b);
            for d in digits.iter_mut() {
                carry += u32::from(*d) << 8;
                *d = (carry % 58) as u8;
                carry /= 58;
            }
            while carry > 0 {
                digits.push((carry % 58) as u8);
                carry /= 58;
            }
        }
        let mut out = "1".repeat(zeros);
        out.extend(digits.iter().rev().map(|&d| ALPHABET[d as usize] as char));
        out
    }
}
