//! `ChecksumSHA256`: the sha256 an object must have, as the job wrote it (hex, or the base64
//! S3 uses, decoded by the `base64` crate), and the one message a mismatch gives, for fresh and
//! cached copies alike. Read with the job (`spec::s3`), so a value that is no sha256 is an
//! error naming its line; the plan holds it parsed, and `fetch::s3` checks each copy of the
//! object against it.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine as _};
use serde::{Deserialize, Serialize};

use super::quote::quote;

/// An expected sha256: lower-case hex, and the base64 text the job gave, if it gave that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    /// As the job wrote it (what a plan records).
    written: String,
    pub hex: String,
    pub base64: Option<String>,
}

impl Checksum {
    /// 64 hex digits, or the 44-character base64 of the 32 bytes (S3's `x-amz-checksum-sha256`,
    /// which is what Bacalhau compares `ChecksumSHA256` with).
    pub fn parse(written: &str) -> Result<Checksum, String> {
        let text = written.trim();
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Checksum {
                written: written.to_string(),
                hex: text.to_ascii_lowercase(),
                base64: None,
            });
        }
        match decode_base64(text) {
            Some(bytes) if bytes.len() == 32 => Ok(Checksum {
                written: written.to_string(),
                hex: bytes.iter().map(|b| format!("{b:02x}")).collect(),
                base64: Some(text.to_string()),
            }),
            _ => {
                // Shown whole when it could be meant as either form, so the two can be compared.
                let shown = match text.len() <= 88 && text.bytes().all(|b| b.is_ascii_graphic()) {
                    true => format!("`{text}`"),
                    false => quote(text),
                };
                Err(format!(
                    "{shown} is neither 64 hex digits nor the base64 of a sha256 (44 characters)"
                ))
            }
        }
    }

    /// Checks the sha256 (hex) of a cached copy, with the words `Cache::store` uses for a
    /// fresh one.
    pub fn verify(&self, sha256: &str) -> Result<(), String> {
        if sha256 == self.hex {
            return Ok(());
        }
        Err(self.explain(format!(
            "checksum mismatch: expected sha256 {}, got {sha256}",
            self.hex
        )))
    }

    /// A mismatch message, saying what the job wrote when it wrote base64.
    pub fn explain(&self, message: String) -> String {
        match &self.base64 {
            Some(b64) if message.starts_with("checksum mismatch") => {
                format!(
                    "{message} (the job's ChecksumSHA256 `{b64}` is the expected sha256 in base64)"
                )
            }
            _ => message,
        }
    }
}

impl Serialize for Checksum {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.written)
    }
}

/// Parsed as a job's is: a receipt's plan cannot carry a checksum a job could not.
impl<'de> Deserialize<'de> for Checksum {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Checksum::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// Standard base64 (RFC 4648 §4), padded as S3 writes it; the unused low bits of the last
/// group ignored, as they always have been here.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Standard base64 with padding; `None` for anything else, and for nothing.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok().filter(|bytes| !bytes.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO_SHA: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    const HELLO_B64: &str = "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=";

    #[test]
    fn checksums_are_hex_or_base64() {
        let hex = Checksum::parse(&HELLO_SHA.to_uppercase()).unwrap();
        assert_eq!((hex.hex.as_str(), hex.base64), (HELLO_SHA, None));
        let b64 = Checksum::parse(HELLO_B64).unwrap();
        assert_eq!(b64.hex, HELLO_SHA);
        assert_eq!(b64.base64.as_deref(), Some(HELLO_B64));
        for bad in [
            "",
            "abc",
            &HELLO_SHA[1..],
            "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vg==",
            "!!!!",
        ] {
            assert_eq!(
                Checksum::parse(bad).unwrap_err(),
                format!(
                    "`{bad}` is neither 64 hex digits nor the base64 of a sha256 (44 characters)"
                )
            );
        }
    }

    #[test]
    fn base64_decodes_with_padding_only_at_the_end() {
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVsbG8h").unwrap(), b"hello!");
        assert_eq!(decode_base64("aA=="), Some(b"h".to_vec()));
        for bad in ["", "a", "aGk", "aG=k", "a===", "aGk=aGk=", "aGk-"] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_mismatch_names_both_digests_and_the_base64_the_job_gave() {
        let hex = Checksum::parse(HELLO_SHA).unwrap();
        assert_eq!(hex.verify(HELLO_SHA), Ok(()));
        assert_eq!(
            hex.verify("00").unwrap_err(),
            format!("checksum mismatch: expected sha256 {HELLO_SHA}, got 00")
        );
        let b64 = Checksum::parse(HELLO_B64).unwrap();
        assert_eq!(
            b64.verify("00").unwrap_err(),
            format!(
                "checksum mismatch: expected sha256 {HELLO_SHA}, got 00 (the job's ChecksumSHA256 \
                 `{HELLO_B64}` is the expected sha256 in base64)"
            )
        );
        assert_eq!(b64.explain("other".into()), "other");
    }

    #[test]
    fn a_plan_records_a_checksum_as_written() {
        let written = format!(" {} ", HELLO_SHA.to_uppercase());
        let c = Checksum::parse(&written).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, format!("\"{written}\""));
        assert_eq!(serde_json::from_str::<Checksum>(&json).unwrap(), c);
        assert!(serde_json::from_str::<Checksum>("\"abc\"").is_err());
    }
}
