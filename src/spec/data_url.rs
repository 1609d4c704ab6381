//! RFC 2397 `data:` URLs: `data:[<mediatype>][;base64],<data>`.
//!
//! Parses the URL into its media type and payload bytes. It writes nothing. The decoding is the
//! `percent-encoding` and `base64` crates' (already in the binary through ureq and rusty-s3);
//! what is ours is what is refused and the words for it: a `%` that does not start an escape is
//! an error, and a base64 error names the first byte that breaks the rules, at its offset. An
//! `inline` source's URL is decoded with the job (`spec::source`), so one that does not decode
//! is an error naming its line; the plan holds it decoded ([`InlineUrl`]), which
//! `fetch::inline` writes out.
//!
//! Following the WHATWG "data: URL processor", the data is percent-decoded first and, when the
//! last parameter is `base64`, the result is base64-decoded, ignoring ASCII whitespace. Offsets in
//! base64 errors are therefore offsets in the percent-decoded data, which is the data as written
//! unless it contains `%` escapes.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine as _};
use serde::{Deserialize, Serialize};

/// A parsed `data:` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUrl {
    /// The media type without parameters, lower-case; empty when the URL gives none
    /// (RFC 2397 then means `text/plain`).
    pub media_type: String,
    pub data: Vec<u8>,
}

pub(crate) fn parse(url: &str) -> Result<DataUrl, String> {
    let url = url.trim();
    let rest = match url.get(..5) {
        Some(scheme) if scheme.eq_ignore_ascii_case("data:") => &url[5..],
        _ => return Err("not a data URL: it must start with `data:`".to_string()),
    };
    let (header, body) = rest
        .split_once(',')
        .ok_or("malformed data URL: no `,` before the data")?;
    let params: Vec<&str> = header.split(';').collect();
    let media_type = params[0].trim().to_ascii_lowercase();
    let base64 = params.len() > 1
        && params[params.len() - 1]
            .trim()
            .eq_ignore_ascii_case("base64");
    let data = decode_percent(body.as_bytes())?;
    let data = if base64 { decode_base64(&data)? } else { data };
    Ok(DataUrl { media_type, data })
}

/// An `inline` source's URL as a plan holds it: as written (what a plan records), and decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineUrl {
    url: String,
    decoded: DataUrl,
}

impl InlineUrl {
    pub fn parse(url: &str) -> Result<InlineUrl, String> {
        Ok(InlineUrl {
            url: url.to_string(),
            decoded: parse(url)?,
        })
    }

    /// The media type and the payload.
    pub fn decoded(&self) -> &DataUrl {
        &self.decoded
    }
}

impl Serialize for InlineUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.url)
    }
}

/// Decoded as a job's is: a receipt's plan cannot carry a URL a job could not.
impl<'de> Deserialize<'de> for InlineUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        InlineUrl::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// Decodes `%XX` escapes; every other byte stands for itself (`+` is not a space here). A `%`
/// not followed by two hex digits is an error here, where the crate would keep it as written.
pub(crate) fn decode_percent(text: &[u8]) -> Result<Vec<u8>, String> {
    // Every `%` is looked at: none can be inside a valid escape, whose other two bytes are hex
    // digits.
    let escape_at = |i: usize| {
        text.get(i + 1..i + 3)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    };
    if let Some(i) = (0..text.len()).find(|&i| text[i] == b'%' && !escape_at(i)) {
        let escape = String::from_utf8_lossy(&text[i..text.len().min(i + 3)]);
        return Err(format!("invalid percent-escape `{escape}` at offset {i}"));
    }
    Ok(percent_encoding::percent_decode(text).collect())
}

/// The standard alphabet; no `=` accepted, since `decode_base64` removes the padding first;
/// the unused low bits of a final partial group ignored, as browsers do.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes standard-alphabet base64 (RFC 4648 §4) as WHATWG's "forgiving-base64 decode" does:
/// ASCII whitespace is skipped; padding is optional, but when present it must complete the last
/// group; the unused low bits of a final partial group are ignored.
pub(crate) fn decode_base64(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut symbols: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    // WHATWG: only when the length is a multiple of 4 may one or two `=` end it.
    if symbols.len().is_multiple_of(4) {
        for _ in 0..2 {
            if symbols.last() == Some(&b'=') {
                symbols.pop();
            }
        }
    }
    BASE64
        .decode(&symbols)
        .map_err(|error| base64_error(text, error))
}

/// Why `text` is not base64, naming the first byte that breaks the rules at its offset in `text`
/// (whitespace included). The crate's error cannot be passed on as it is: it counts offsets
/// without the whitespace, calls a misplaced `=` an invalid byte, and with `4n + 1` symbols
/// looks at the last one before the others, so it does not always name the first fault.
fn base64_error(text: &[u8], error: base64::DecodeError) -> String {
    let (mut symbols, mut padding) = (0, 0);
    for (offset, &b) in text.iter().enumerate() {
        if b.is_ascii_whitespace() {
            continue;
        }
        if b == b'=' {
            padding += 1;
        } else if padding > 0 {
            return format!(
                "invalid base64: {} at offset {offset} follows `=` padding",
                show(b)
            );
        } else if alphabet::STANDARD.as_str().as_bytes().contains(&b) {
            symbols += 1;
        } else {
            return format!("invalid base64 character {} at offset {offset}", show(b));
        }
    }
    match (symbols % 4, padding) {
        (1, _) => "invalid base64: the data ends with a lone character".to_string(),
        (_, 1..) => format!(
            "invalid base64: {padding} `=` padding characters where {} belong",
            (4 - symbols % 4) % 4
        ),
        // Not reached: every other input decodes.
        _ => format!("invalid base64: {error}"),
    }
}

/// A byte for an error message: printable ASCII in backquotes, anything else in hex.
fn show(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("`{}`", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// Standard base64 with padding (RFC 4648 §4), for the tests and the fuzz targets that make
/// `data:` URLs.
#[cfg(any(test, fuzzing))]
pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> Result<Vec<u8>, String> {
        decode_base64(text.as_bytes())
    }

    #[test]
    fn base64_rfc4648_vectors_with_and_without_padding() {
        let vectors = [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ];
        for (encoded, decoded) in vectors {
            assert_eq!(b64(encoded).unwrap(), decoded.as_bytes(), "{encoded}");
            let unpadded = encoded.trim_end_matches('=');
            assert_eq!(b64(unpadded).unwrap(), decoded.as_bytes(), "{unpadded}");
        }
    }

    #[test]
    fn base64_all_byte_values_and_alphabet_ends() {
        assert_eq!(b64("+/+/").unwrap(), [0xfb, 0xff, 0xbf]);
        assert_eq!(b64("AP8A").unwrap(), [0x00, 0xff, 0x00]);
        assert_eq!(b64(" Zm9v\r\n YmFy\t").unwrap(), b"foobar");
    }

    #[test]
    fn base64_errors_name_the_character_and_offset() {
        assert_eq!(
            b64("Zm9v-A==").unwrap_err(),
            "invalid base64 character `-` at offset 4"
        );
        assert_eq!(
            b64("Zm_v").unwrap_err(),
            "invalid base64 character `_` at offset 2"
        );
        assert_eq!(
            b64("Zm\u{e9}").unwrap_err(),
            "invalid base64 character byte 0xc3 at offset 2"
        );
        assert_eq!(
            b64("Zm\0").unwrap_err(),
            "invalid base64 character byte 0x00 at offset 2"
        );
        assert_eq!(
            b64("Zg==Zg==").unwrap_err(),
            "invalid base64: `Z` at offset 4 follows `=` padding"
        );
    }

    #[test]
    fn base64_errors_name_the_first_fault_where_it_was_written() {
        // Offsets count the whitespace the decoder skips.
        assert_eq!(
            b64(" Zm\n9v-A==").unwrap_err(),
            "invalid base64 character `-` at offset 6"
        );
        // The first fault, though the last byte of 4n + 1 symbols is wrong too.
        assert_eq!(
            b64("Zm_v-").unwrap_err(),
            "invalid base64 character `_` at offset 2"
        );
        assert_eq!(
            b64("Zg==-").unwrap_err(),
            "invalid base64: `-` at offset 4 follows `=` padding"
        );
        assert_eq!(
            b64("Z====").unwrap_err(),
            "invalid base64: the data ends with a lone character"
        );
    }

    #[test]
    fn base64_ignores_the_unused_bits_of_a_partial_group() {
        assert_eq!(b64("Zh==").unwrap(), b"f");
        assert_eq!(b64("Zm9=").unwrap(), b"fo");
    }

    #[test]
    fn base64_bad_lengths_and_padding() {
        assert_eq!(
            b64("Z").unwrap_err(),
            "invalid base64: the data ends with a lone character"
        );
        assert_eq!(
            b64("Zm9vY").unwrap_err(),
            "invalid base64: the data ends with a lone character"
        );
        assert_eq!(
            b64("Zg=").unwrap_err(),
            "invalid base64: 1 `=` padding characters where 2 belong"
        );
        assert_eq!(
            b64("Zm8==").unwrap_err(),
            "invalid base64: 2 `=` padding characters where 1 belong"
        );
        assert_eq!(
            b64("Zm9v=").unwrap_err(),
            "invalid base64: 1 `=` padding characters where 0 belong"
        );
        assert_eq!(
            b64("====").unwrap_err(),
            "invalid base64: 4 `=` padding characters where 0 belong"
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(decode_percent(b"a%41%4a%4A+b%20c").unwrap(), b"aAJJ+b c");
        assert_eq!(decode_percent(b"%00%ff").unwrap(), [0, 0xff]);
        assert_eq!(decode_percent(b"").unwrap(), b"");
    }

    #[test]
    fn percent_decoding_errors() {
        assert_eq!(
            decode_percent(b"ab%4G").unwrap_err(),
            "invalid percent-escape `%4G` at offset 2"
        );
        assert_eq!(
            decode_percent(b"ab%4").unwrap_err(),
            "invalid percent-escape `%4` at offset 2"
        );
        assert_eq!(
            decode_percent(b"%").unwrap_err(),
            "invalid percent-escape `%` at offset 0"
        );
        assert_eq!(
            decode_percent(b"%%41").unwrap_err(),
            "invalid percent-escape `%%4` at offset 0"
        );
    }

    #[test]
    fn parses_media_type_and_encoding() {
        let url = parse("data:text/plain;charset=US-ASCII,hello%20world").unwrap();
        assert_eq!(
            url,
            DataUrl {
                media_type: "text/plain".into(),
                data: b"hello world".to_vec()
            }
        );
        let url = parse("DATA:Application/GZIP;BASE64,AAEC").unwrap();
        assert_eq!(
            url,
            DataUrl {
                media_type: "application/gzip".into(),
                data: vec![0, 1, 2]
            }
        );
        let url = parse("data:,a,b").unwrap();
        assert_eq!(
            url,
            DataUrl {
                media_type: String::new(),
                data: b"a,b".to_vec()
            }
        );
        let url = parse("data:;base64,").unwrap();
        assert_eq!(url.data, b"");
        // `base64` counts only as the last parameter.
        assert_eq!(parse("data:text/plain;base64;x=y,Zg").unwrap().data, b"Zg");
        // Escapes inside base64 data are decoded first.
        assert_eq!(parse("data:;base64,Zg%3D%3D").unwrap().data, b"f");
    }

    #[test]
    fn rejects_what_is_not_a_data_url() {
        assert_eq!(
            parse("http://x/y").unwrap_err(),
            "not a data URL: it must start with `data:`"
        );
        assert_eq!(
            parse("dat").unwrap_err(),
            "not a data URL: it must start with `data:`"
        );
        assert_eq!(
            parse("data\u{e9}:,").unwrap_err(),
            "not a data URL: it must start with `data:`"
        );
        assert_eq!(
            parse("data:text/plain").unwrap_err(),
            "malformed data URL: no `,` before the data"
        );
        assert_eq!(
            parse("data:;base64,Zm9v!").unwrap_err(),
            "invalid base64 character `!` at offset 4"
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            let len = (next(&mut seed) % 40) as usize;
            let bytes: Vec<u8> = (0..len).map(|_| pick(&mut seed)).collect();
            let _ = decode_base64(&bytes);
            let _ = decode_percent(&bytes);
            let _ = parse(&format!("data:;base64,{}", String::from_utf8_lossy(&bytes)));
        }
    }

    fn next(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    /// Mostly base64 and escape characters, so the decoders get past their first byte.
    fn pick(seed: &mut u64) -> u8 {
        const INTERESTING: &[u8] = b"AZaz09+/=%4Gf \n,;-_";
        let r = next(seed);
        if r.is_multiple_of(4) {
            (r >> 8) as u8
        } else {
            INTERESTING[(r >> 8) as usize % INTERESTING.len()]
        }
    }
}
