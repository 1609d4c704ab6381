//! Which hosts a guest may reach: any (`Network.Type` Host or Full), or those matching the
//! `Domains` globs (HTTP). Here, below `net`, because a job's `Domains` are part of what a job
//! file says: `spec` parses each into a [`Domain`] with the file (so `validate` refuses a bad
//! one, naming its line), the plan holds them parsed, and `net` asks the same `Policy` on every
//! request.
//!
//! Matching follows Bacalhau's `matchWildcard` (pkg/executor/wasm/funcs/http/http.go): ports
//! are ignored on both sides, letters match whatever their case, a pattern without `*` must
//! equal the host, and `*` matches any run of characters, dots included. So `*.example.com`
//! matches `api.example.com` and `a.b.example.com` but **not** `example.com` itself (Bacalhau
//! tests the suffix `.example.com`); list `example.com` too, or write `.example.com`.
//!
//! Two deliberate differences, both where Bacalhau's rule can never match what the user
//! meant: a leading dot (`.example.com`, the form Bacalhau's Docker HTTP gateway uses) matches
//! the domain and every subdomain, where Bacalhau's WASM matcher compares it literally; and a
//! pattern with several `*` is a true glob (Bacalhau looks at the text around the first `*`
//! only, and lets a middle `*` match overlapping text: `api.*.com` matches `api.com` there).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::quote::quote;

/// The hosts a run may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// `Network.Type` Host (or Full): any host.
    Any,
    /// `Network.Type` HTTP: hosts matching one of these.
    Domains(Vec<Domain>),
}

impl Policy {
    /// Whether a request may go to `host` (a URL's host: a name, an IPv4 address, or an IPv6
    /// address with or without brackets; no port).
    pub fn allows(&self, host: &str) -> bool {
        match self {
            Policy::Any => true,
            Policy::Domains(domains) => {
                let host = normalise_host(host);
                domains.iter().any(|d| d.matches(&host))
            }
        }
    }
}

/// One entry of `Domains` (or `--allow-domain`), parsed. A plan records it as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// As the job or the flag wrote it.
    written: String,
    /// Lower-case, without port, brackets or trailing dot.
    pattern: String,
    /// Written with a leading dot: the domain and all its subdomains.
    subdomains: bool,
}

/// A 253-character host name, a leading `.` and a `:port`.
const MAX_DOMAIN: usize = 253 + 1 + 6;

impl Domain {
    /// Parses a `Domains` entry or an `--allow-domain` value: a host name, an IP address or a
    /// glob, optionally with a port (ignored). The error says what is wrong with it. Bounded
    /// first, since a host name is at most 253 characters and messages show the whole entry.
    pub fn parse(text: &str) -> Result<Domain, String> {
        if text.len() > MAX_DOMAIN {
            return Err(format!(
                "{} is not a domain: it is {} bytes long, more than a host name and port can be ({MAX_DOMAIN})",
                quote(text),
                text.len()
            ));
        }
        if text.contains(char::is_control) {
            return Err(format!(
                "{} is not a domain: it holds a control character",
                quote(text)
            ));
        }
        let lower = text.trim().to_ascii_lowercase();
        if lower.is_empty() {
            return Err("empty domain".into());
        }
        if lower.contains('/') || lower.contains(char::is_whitespace) {
            return Err(format!(
                "`{text}` is not a domain: write a host name or a glob such as *.example.com, \
                 without scheme or path"
            ));
        }
        let host = strip_port(&lower).ok_or_else(|| format!("`{text}` has a bad port"))?;
        let (pattern, subdomains) = match host.strip_prefix('.') {
            Some(rest) => (rest, true),
            None => (host, false),
        };
        let pattern = pattern.strip_suffix('.').unwrap_or(pattern);
        if pattern.is_empty() {
            return Err(format!("`{text}` names no host"));
        }
        // No host has an empty label; `a..b` is a typo that would match nothing.
        if pattern.split('.').any(str::is_empty) {
            return Err(format!("`{text}` has an empty label (`..`)"));
        }
        Ok(Domain {
            written: text.to_string(),
            pattern: pattern.to_string(),
            subdomains,
        })
    }

    /// The entry as written.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// `host` is already normalised (`normalise_host`).
    fn matches(&self, host: &str) -> bool {
        if self.subdomains {
            return host == self.pattern
                || host
                    .strip_suffix(self.pattern.as_str())
                    .is_some_and(|rest| rest.ends_with('.'));
        }
        glob(self.pattern.as_bytes(), host.as_bytes())
    }
}

/// As written, so that a plan's JSON shows what the job said.
impl Serialize for Domain {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.written)
    }
}

/// Parsed as a job's entry is: a receipt's plan cannot carry a domain a job could not.
impl<'de> Deserialize<'de> for Domain {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Domain::parse(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dot = if self.subdomains { "." } else { "" };
        write!(f, "{dot}{}", self.pattern)
    }
}

/// `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address, without the port and
/// brackets; `None` when a port is there but is not a number.
fn strip_port(text: &str) -> Option<&str> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            None if after.is_empty() => Some(host),
            Some(port) if is_port(port) => Some(host),
            _ => None,
        };
    }
    match text.split_once(':') {
        // Two colons or more: an IPv6 address, which cannot carry a port without brackets.
        Some((_, rest)) if rest.contains(':') => Some(text),
        Some((host, port)) if is_port(port) => Some(host),
        Some(_) => None,
        None => Some(text),
    }
}

/// A TCP port: digits, at most 65535.
fn is_port(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) && text.parse::<u16>().is_ok()
}

/// A URL's host as the patterns are written: lower-case, no brackets, no trailing dot.
fn normalise_host(host: &str) -> String {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = host.strip_suffix('.').unwrap_or(host);
    host.to_ascii_lowercase()
}

/// Whether `text` matches `pattern`, where `*` matches any run of bytes (the classic
/// greedy matcher that backtracks to the last `*`: linear in practice, never exponential).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            // Let the last `*` swallow one more byte and retry from there.
            star = Some((sp, st + 1));
            p = sp + 1;
            t = st + 1;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// Whether Bacalhau's own check (`NetworkConfig.Validate`, pkg/models/network.go) accepts
/// `text` as a domain: lower-cased and trimmed, it must hold a match of
/// `\b([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}\b` anywhere, or be an IP address. bolinho accepts
/// more (`localhost`, `10.0.0.1:8080`); `validate --portable` names what Bacalhau would refuse.
pub(crate) fn bacalhau_accepts(text: &str) -> bool {
    let text = text.trim().to_ascii_lowercase();
    if text.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    let bytes = text.as_bytes();
    let word = |i: usize| {
        bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let label_char = |i: usize| {
        bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    // From each word start, labels ending in `.`, then a letters-only label of two or more
    // ending at a word boundary. A label is greedy: only its full length can be followed by `.`.
    (0..bytes.len())
        .filter(|&start| word(start) && (start == 0 || !word(start - 1)))
        .any(|start| {
            let mut at = start;
            loop {
                let mut end = at;
                while label_char(end)
                    || (bytes.get(end) == Some(&b'-') && label_char(end + 1) && end > at)
                {
                    end += 1;
                }
                if end == at || bytes.get(end) != Some(&b'.') {
                    return false;
                }
                at = end + 1;
                let letters = bytes[at..]
                    .iter()
                    .take_while(|b| b.is_ascii_lowercase())
                    .count();
                if letters >= 2 && !word(at + letters) {
                    return true;
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(patterns: &[&str], host: &str) -> bool {
        let domains = patterns.iter().map(|p| Domain::parse(p).unwrap()).collect();
        Policy::Domains(domains).allows(host)
    }

    /// Bacalhau's own table (TestWildcardMatching, TestNetworkAccess), then our edges.
    #[test]
    fn globs_match_like_bacalhau() {
        for (pattern, host, expected) in [
            ("example.com", "example.com", true),
            ("example.com:8080", "example.com", true),
            ("*.example.com", "api.example.com", true),
            ("api.*", "api.example.com", true),
            ("api.*.com", "api.test.com", true),
            ("example.com", "test.com", false),
            ("*", "anything.com", true),
            // `*.example.com` does not match the bare domain (Bacalhau: suffix `.example.com`).
            ("*.example.com", "example.com", false),
            ("*.example.com", "a.b.example.com", true),
            ("*.example.com", "badexample.com", false),
            ("*.example.com", "example.com.evil.net", false),
            ("Example.COM", "example.com", true),
            ("example.com", "EXAMPLE.com", true),
            ("example.com", "example.com.", true),
            ("127.0.0.1", "127.0.0.1", true),
            ("127.0.0.*", "127.0.0.1", true),
            ("127.0.0.1", "127.0.0.10", false),
            ("*.*.com", "a.b.com", true),
            ("*.*.com", "a.com", false),
            // A true glob: the middle `*` cannot overlap the text around it.
            ("api.*.com", "api.com", false),
            ("a*b*c", "aXbYc", true),
            ("a*b*c", "aXbY", false),
        ] {
            assert_eq!(allows(&[pattern], host), expected, "{pattern} ~ {host}");
        }
    }

    #[test]
    fn a_leading_dot_allows_the_domain_and_its_subdomains() {
        assert!(allows(&[".example.com"], "example.com"));
        assert!(allows(&[".example.com"], "a.b.example.com"));
        assert!(!allows(&[".example.com"], "badexample.com"));
        assert!(!allows(&[".example.com"], "com"));
    }

    #[test]
    fn ports_and_brackets_are_ignored() {
        assert!(allows(&["[::1]:8080"], "[::1]"));
        assert!(allows(&["::1"], "[::1]"));
        assert!(allows(&["[::1]"], "::1"));
        assert!(!allows(&["::1"], "[::2]"));
        assert!(allows(&["localhost:1"], "localhost"));
    }

    #[test]
    fn several_domains_any_match_and_none_allows_nothing() {
        assert!(allows(&["a.com", "*.b.com"], "x.b.com"));
        assert!(!allows(&["a.com", "*.b.com"], "c.com"));
        assert!(!allows(&[], "a.com"));
        assert!(Policy::Any.allows("anything"));
    }

    #[test]
    fn bad_domains_say_why() {
        assert_eq!(Domain::parse(" ").unwrap_err(), "empty domain");
        assert_eq!(
            Domain::parse("https://example.com").unwrap_err(),
            "`https://example.com` is not a domain: write a host name or a glob such as \
             *.example.com, without scheme or path"
        );
        assert_eq!(
            Domain::parse("example.com:http").unwrap_err(),
            "`example.com:http` has a bad port"
        );
        assert_eq!(
            Domain::parse("[::1]x").unwrap_err(),
            "`[::1]x` has a bad port"
        );
        assert_eq!(Domain::parse(".").unwrap_err(), "`.` names no host");
        assert_eq!(
            Domain::parse("example.com:65536").unwrap_err(),
            "`example.com:65536` has a bad port"
        );
        assert!(Domain::parse("example.com:65535").is_ok());
        assert_eq!(
            Domain::parse("example..com").unwrap_err(),
            "`example..com` has an empty label (`..`)"
        );
        assert_eq!(
            Domain::parse("..com").unwrap_err(),
            "`..com` has an empty label (`..`)"
        );
        // The issue's example: refused for its space before its other faults.
        assert_eq!(
            Domain::parse("exa mple..com:99999").unwrap_err(),
            "`exa mple..com:99999` is not a domain: write a host name or a glob such as \
             *.example.com, without scheme or path"
        );
        assert_eq!(
            Domain::parse("a\u{1b}b").unwrap_err(),
            "`a\\u{1b}b` is not a domain: it holds a control character"
        );
        let long = "a".repeat(MAX_DOMAIN + 1);
        assert_eq!(
            Domain::parse(&long).unwrap_err(),
            format!(
                "`{}...` (261 bytes) is not a domain: it is 261 bytes long, more than a host \
                 name and port can be (260)",
                "a".repeat(60)
            )
        );
        assert_eq!(
            Domain::parse(" *.Example.com:443 ").unwrap().to_string(),
            "*.example.com"
        );
        assert_eq!(Domain::parse(".a.org").unwrap().to_string(), ".a.org");
    }

    #[test]
    fn a_plan_records_a_domain_as_written_and_reads_it_back_checked() {
        let d = Domain::parse("*.Example.com:443").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), r#""*.Example.com:443""#);
        assert_eq!(
            serde_json::from_str::<Domain>(r#""*.Example.com:443""#).unwrap(),
            d
        );
        assert_eq!(
            serde_json::from_str::<Domain>(r#""https://a.org/""#)
                .unwrap_err()
                .to_string(),
            "`https://a.org/` is not a domain: write a host name or a glob such as \
             *.example.com, without scheme or path"
        );
    }

    #[test]
    fn bacalhaus_domain_check_is_followed_to_the_letter() {
        for accepted in [
            "example.com",
            "*.example.com",
            "API.Example.COM",
            "b.org:8080",
            "a-b.c-d.io",
            "127.0.0.1",
            "::1",
            " example.com ",
            // A match anywhere will do, as Go's MatchString finds one.
            "-a.com-",
            "http://a.com/",
        ] {
            assert!(bacalhau_accepts(accepted), "{accepted}");
        }
        for refused in [
            "localhost",
            "intranet",
            "127.0.0.1:8080",
            "a.b",
            "a.c0m",
            "a_b.c",
            "example.",
            "",
        ] {
            assert!(!bacalhau_accepts(refused), "{refused}");
        }
    }
}
