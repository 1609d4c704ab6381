//! The file name a download is given in the guest's directory: from the server's
//! `Content-Disposition` (RFC 6266) if it names one, else from the last segment of the URL's
//! path, else `download`.
//!
//! Both come from outside, so both go through `sanitise`: whatever the text, the result is one
//! path component that is not `.` or `..`, holds no `/`, `\`, NUL or control character, and is
//! at most 255 bytes. A name that is a path keeps only its last component, as browsers do.

use percent_encoding::percent_decode_str;

/// The name used when neither the server nor the URL gives one.
pub const FALLBACK: &str = "download";

/// The longest name, in bytes (`NAME_MAX` on Linux).
const MAX_LEN: usize = 255;

/// The name from the last segment of `url`'s path, or `FALLBACK`. `%XX` escapes are decoded (a
/// `%` that starts none stays as it is) and the bytes read as UTF-8, invalid sequences replaced.
pub fn from_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    // The authority ends at the first `/`; with no path there is no name.
    let path = rest.split_once('/').map_or("", |(_, path)| path);
    let segment = path.rsplit('/').next().unwrap_or_default();
    sanitise(&percent_decode_str(segment).decode_utf8_lossy())
        .unwrap_or_else(|| FALLBACK.to_string())
}

/// The file name a `Content-Disposition` header value gives, if any: `filename*=` (RFC 5987,
/// UTF-8) before `filename=`, quoted or not.
pub fn from_content_disposition(value: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for (key, raw) in parameters(value) {
        if key.eq_ignore_ascii_case("filename*") {
            // charset'language'percent-encoded; only UTF-8 (and ASCII) are read.
            let mut parts = raw.splitn(3, '\'');
            if let (Some(charset), Some(_lang), Some(text)) =
                (parts.next(), parts.next(), parts.next())
                && (charset.eq_ignore_ascii_case("utf-8")
                    || charset.eq_ignore_ascii_case("us-ascii"))
            {
                extended = sanitise(&percent_decode_str(text).decode_utf8_lossy());
            }
        } else if key.eq_ignore_ascii_case("filename") {
            plain = sanitise(&raw);
        }
    }
    extended.or(plain)
}

/// The `key=value` parameters after the disposition type, with quoted values unescaped.
fn parameters(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = value.chars().peekable();
    // Skip the disposition type (`attachment`, `inline`).
    for c in chars.by_ref() {
        if c == ';' {
            break;
        }
    }
    loop {
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' || c == ';' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_string();
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => value.extend(chars.next()),
                    c => value.push(c),
                }
            }
            // Up to the next `;`.
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
            }
        } else {
            for c in chars.by_ref() {
                if c == ';' {
                    break;
                }
                value.push(c);
            }
            value = value.trim().to_string();
        }
        if !key.is_empty() {
            out.push((key, value));
        }
        if chars.peek().is_none() {
            return out;
        }
    }
}

/// One safe path component from `name`, or None if nothing usable is left.
pub fn sanitise(name: &str) -> Option<String> {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let mut cleaned = cleaned.trim().to_string();
    if cleaned.len() > MAX_LEN {
        let mut end = MAX_LEN;
        while !cleaned.is_char_boundary(end) {
            end -= 1;
        }
        cleaned.truncate(end);
    }
    match cleaned.as_str() {
        "" | "." | ".." => None,
        _ => Some(cleaned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_urls() {
        let table = [
            ("https://x.org/a/b/main.wasm", "main.wasm"),
            ("https://x.org/a/b/main.wasm?token=1#frag", "main.wasm"),
            ("http://x.org/my%20file.txt", "my file.txt"),
            ("http://x.org/caf%C3%A9", "café"),
            ("http://x.org/a%2F..%2Fetc%2Fpasswd", "passwd"),
            ("http://x.org/%2E%2E", FALLBACK),
            ("http://x.org/dir/", FALLBACK),
            ("http://x.org", FALLBACK),
            ("http://x.org?q=a/b", FALLBACK),
            ("http://x.org/a%00b%0A", "ab"),
            ("http://x.org/100%", "100%"),
            ("http://x.org/%zz", "%zz"),
            ("http://x.org/a%FFb", "a\u{fffd}b"),
        ];
        for (url, want) in table {
            assert_eq!(from_url(url), want, "{url}");
        }
    }

    #[test]
    fn names_from_content_disposition() {
        let table: &[(&str, Option<&str>)] = &[
            ("attachment; filename=data.csv", Some("data.csv")),
            ("attachment; filename=\"my data.csv\"", Some("my data.csv")),
            ("attachment;filename=\"a\\\"b.txt\"", Some("a\"b.txt")),
            ("ATTACHMENT; FILENAME = x.bin ; size=3", Some("x.bin")),
            (
                "attachment; filename=\"plain.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
                Some("€ rates.txt"),
            ),
            (
                "attachment; filename*=utf-8'en'only.txt; filename=other",
                Some("only.txt"),
            ),
            (
                "attachment; filename*=iso-8859-1''x.txt; filename=y.txt",
                Some("y.txt"),
            ),
            ("attachment; filename=\"../../etc/passwd\"", Some("passwd")),
            ("attachment; filename=\"..\\\\evil.exe\"", Some("evil.exe")),
            ("attachment; filename=\"..\"", None),
            ("attachment; filename=\"/\"", None),
            ("attachment; filename=\"\"", None),
            ("attachment", None),
            ("inline; name=x", None),
            ("", None),
            (";;;=;\"", None),
            ("attachment; filename=\"unterminated", Some("unterminated")),
        ];
        for &(value, want) in table {
            assert_eq!(
                from_content_disposition(value).as_deref(),
                want,
                "{value:?}"
            );
        }
    }

    #[test]
    fn sanitised_names_are_one_bounded_component() {
        assert_eq!(sanitise("  a b  ").as_deref(), Some("a b"));
        assert_eq!(sanitise("a/b/c").as_deref(), Some("c"));
        assert_eq!(sanitise("x\u{7f}\ty").as_deref(), Some("xy"));
        assert_eq!(sanitise(".hidden").as_deref(), Some(".hidden"));
        let long = "é".repeat(200); // 400 bytes
        let cut = sanitise(&long).unwrap();
        assert_eq!(cut.len(), 254);
        assert!(cut.chars().all(|c| c == 'é'));
        for bad in ["", ".", "..", "a/..", "\u{0}", " "] {
            assert_eq!(sanitise(bad), None, "{bad:?}");
        }
    }
}
