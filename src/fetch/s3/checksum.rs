//! `ChecksumSHA256`: the sha256 an object must have, as the job wrote it (hex, or the base64
//! S3 uses, decoded by the `base64` crate), and the one message a mismatch gives, for fresh and
//! cached copies alike.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine as _};

use crate::fetch::cache::Entry;

/// An expected sha256: lower-case hex, and the base64 text the job gave, if it gave that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Checksum {
    pub hex: String,
    pub base64: Option<String>,
}

impl Checksum {
    /// 64 hex digits, or the 44-character base64 of the 32 bytes (S3's `x-amz-checksum-sha256`,
    /// which is what Bacalhau compares `ChecksumSHA256` with).
    pub fn parse(text: &str) -> Result<Checksum, String> {
        let text = text.trim();
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Checksum {
                hex: text.to_ascii_lowercase(),
                base64: None,
            });
        }
        match decode_base64(text) {
            Some(bytes) if bytes.len() == 32 => Ok(Checksum {
                hex: crate::fetch::cache::hex(&bytes),
                base64: Some(text.to_string()),
            }),
            _ => Err(format!(
                "ChecksumSHA256 `{text}` is neither 64 hex digits nor the base64 of a sha256 \
                 (44 characters)"
            )),
        }
    }

    /// Checks a cached object, with the words `Cache::store` uses for a fresh one.
    pub fn verify(&self, entry: &Entry) -> Result<(), String> {
        if entry.sha256 == self.hex {
            return Ok(());
        }
        Err(self.explain(format!(
            "checksum mismatch: expected sha256 {}, got {}",
            self.hex, entry.sha256
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

/// Standard base64 (RFC 4648 §4), padded as S3 writes it; the unused low bits of the last
/// group ignored, as they always have been here.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Standard base64 with padding; `None` for anything else, and for nothing.
pub(super) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    BASE64.decode(text).ok().filter(|bytes| !bytes.is_empty())
}
