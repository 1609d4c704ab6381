//! One guest request over HTTP(S), made the way Bacalhau's Go `http.Client` makes it.
//!
//! - Redirects are followed as Go follows them: up to 10; `301`/`302`/`303` turn into a
//!   bodiless `GET` (a `HEAD` stays `HEAD`), `307`/`308` resend the method and body; a `3xx`
//!   without `Location` is the response; `Authorization`, `Cookie` and the like are dropped
//!   when a redirect leaves the first URL's host and its subdomains. Unlike Bacalhau, whose Go
//!   client follows redirects anywhere, **each hop's host is checked against the policy**:
//!   otherwise one open redirect on an allowed domain would reach every host.
//! - One deadline covers the whole exchange, redirects and body included (Go's
//!   `Client.Timeout`); passing it anywhere is `Timeout` (Bacalhau answers `Network` when it
//!   passes while the body is read).
//! - The body is read against the limit: a `Content-Length` over it fails before reading, and
//!   a body without one fails as soon as it passes the limit. Only what the guest's buffer can
//!   take is kept. Bacalhau reads up to the limit and silently cuts the rest, so a guest there
//!   cannot tell a whole body from a cut one; it declares `TooLarge` and never returns it.
//! - Response headers are `Key: Value` lines joined by `\n` (no final newline), names in Go's
//!   canonical case (`Content-Type`), each value its own line, in the order received (Go's is
//!   random). As in Go, `Transfer-Encoding` is not among them, and a gzip body is decoded with
//!   its `Content-Encoding` and `Content-Length` removed.

use std::io::{self, Read};
use std::time::{Duration, Instant};

use ureq::http::{self, HeaderMap, HeaderName, HeaderValue, Method, Uri, header};

use super::abi::Code;
use crate::remote::agent;
use crate::spec::Policy;

/// Go's limit: the 11th redirect in a row fails.
pub const MAX_REDIRECTS: u32 = 10;

/// A request as read from the guest.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: Method,
    pub url: Uri,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Vec<u8>,
}

/// What the guest receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// `Key: Value` lines joined by `\n`.
    pub headers: Vec<u8>,
    /// At most the `keep` bytes `send` was asked for.
    pub body: Vec<u8>,
}

/// The HTTP client of one run.
pub struct Client {
    agent: ureq::Agent,
    timeout: Duration,
    /// When the run's timeout ends: no request outlives it.
    end: Option<Instant>,
}

impl Client {
    pub fn new(timeout: Duration) -> Client {
        Client {
            agent: agent::guest_agent(timeout),
            timeout,
            end: None,
        }
    }

    /// Cuts every request short at `at`, the run's deadline.
    pub fn end_by(&mut self, at: Instant) {
        self.end = Some(at);
    }

    /// Whether the run's deadline has passed.
    pub fn past_end(&self) -> bool {
        self.end.is_some_and(|end| Instant::now() >= end)
    }

    /// Sends `request`, following redirects allowed by `policy`, and returns the response with
    /// at most `keep` body bytes; a body over `limit` bytes is `TooLarge`.
    pub fn send(
        &self,
        policy: &Policy,
        mut request: Request,
        keep: usize,
        limit: u64,
    ) -> Result<Response, Code> {
        let own = Instant::now() + self.timeout;
        let deadline = self.end.map_or(own, |end| end.min(own));
        let first_host = request.url.host().unwrap_or_default().to_ascii_lowercase();
        for hop in 0..=MAX_REDIRECTS {
            if !policy.allows(request.url.host().unwrap_or_default()) {
                return Err(Code::NotAllowed);
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(Code::Timeout);
            }
            let response = self.exchange(&request, remaining).map_err(classify)?;
            match redirect(&request, &response, &first_host)? {
                Some(_) if hop == MAX_REDIRECTS => return Err(Code::Network),
                Some(next) => request = next,
                None => return read_response(&request.method, response, keep, limit),
            }
        }
        unreachable!("the last hop returns")
    }

    fn exchange(
        &self,
        request: &Request,
        remaining: Duration,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(request.url.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        // An empty body is no body: no `Content-Length: 0` on a GET, as Go sends none.
        if request.body.is_empty() {
            self.run(builder.body(())?, remaining)
        } else {
            self.run(builder.body(request.body.clone())?, remaining)
        }
    }

    fn run(
        &self,
        request: http::Request<impl ureq::AsSendBody>,
        remaining: Duration,
    ) -> Result<http::Response<ureq::Body>, ureq::Error> {
        let request = self
            .agent
            .configure_request(request)
            .timeout_global(Some(remaining))
            .build();
        self.agent.run(request)
    }
}

/// A timeout anywhere is `Timeout`; every other failure to talk to the server is `Network`.
fn classify(error: ureq::Error) -> Code {
    match error {
        ureq::Error::Timeout(_) => Code::Timeout,
        ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => Code::Timeout,
        _ => Code::Network,
    }
}

/// The next request when `response` is a redirect Go's client would follow; `None` when it is
/// the final response.
fn redirect(
    request: &Request,
    response: &http::Response<ureq::Body>,
    first_host: &str,
) -> Result<Option<Request>, Code> {
    let status = response.status().as_u16();
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = response.headers().get(header::LOCATION) else {
        return Ok(None);
    };
    let location = location.to_str().map_err(|_| Code::Network)?;
    let url = resolve(&request.url, location).ok_or(Code::Network)?;
    let (method, body) = match status {
        307 | 308 => (request.method.clone(), request.body.clone()),
        _ if request.method == Method::HEAD => (Method::HEAD, Vec::new()),
        _ => (Method::GET, Vec::new()),
    };
    let host = url.host().unwrap_or_default().to_ascii_lowercase();
    let same_site = host == first_host
        || host
            .strip_suffix(first_host)
            .is_some_and(|sub| sub.ends_with('.'));
    let headers = request
        .headers
        .iter()
        .filter(|(name, _)| same_site || !is_sensitive(name))
        .cloned()
        .collect();
    Ok(Some(Request {
        method,
        url,
        headers,
        body,
    }))
}

/// Headers Go keeps only on redirects within the first host (`shouldCopyHeaderOnRedirect`).
fn is_sensitive(name: &HeaderName) -> bool {
    [
        header::AUTHORIZATION,
        header::WWW_AUTHENTICATE,
        header::COOKIE,
        header::PROXY_AUTHORIZATION,
    ]
    .contains(name)
        || name.as_str() == "cookie2"
}

/// `location` resolved against `base` (RFC 3986 §5.2); `None` unless the result is an
/// `http`/`https` URL with a host.
pub fn resolve(base: &Uri, location: &str) -> Option<Uri> {
    let location = location.split('#').next().unwrap_or_default();
    let scheme = base.scheme_str()?;
    let has_scheme = location.split_once(':').is_some_and(|(s, _)| is_scheme(s));
    let text = if has_scheme {
        location.to_string()
    } else if location.starts_with("//") {
        format!("{scheme}:{location}")
    } else {
        let authority = base.authority()?.as_str();
        let (path, query) = match location.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (location, None),
        };
        let (path, query) = if path.is_empty() {
            (base.path().to_string(), query.or(base.query()))
        } else if path.starts_with('/') {
            (remove_dots(path), query)
        } else {
            let dir = &base.path()[..base.path().rfind('/').map_or(0, |i| i + 1)];
            let dir = if dir.is_empty() { "/" } else { dir };
            (remove_dots(&format!("{dir}{path}")), query)
        };
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        format!("{scheme}://{authority}{path}{query}")
    };
    super::abi::parse_url(text.as_bytes()).ok()
}

fn is_scheme(s: &str) -> bool {
    let mut bytes = s.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// An absolute path with its `.` and `..` segments applied (RFC 3986 §5.2.4).
fn remove_dots(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let mut out: Vec<&str> = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *segment {
            "." | ".." => {
                if *segment == ".." {
                    out.pop();
                }
                if last {
                    out.push("");
                }
            }
            other => out.push(other),
        }
    }
    format!("/{}", out.join("/"))
}

fn read_response(
    method: &Method,
    mut response: http::Response<ureq::Body>,
    keep: usize,
    limit: u64,
) -> Result<Response, Code> {
    let status = response.status().as_u16();
    if has_body(method, status) && declared_length(response.headers()) > Some(limit) {
        return Err(Code::TooLarge);
    }
    let headers = format_headers(response.headers());
    let body = read_limited(response.body_mut().as_reader(), keep, limit)?;
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Whether a response can carry a body (RFC 9110 §6.4.1): a `Content-Length` on a `HEAD`
/// response, a `204` or a `304` describes a body that is not sent.
fn has_body(method: &Method, status: u16) -> bool {
    *method != Method::HEAD && !matches!(status, 100..=199 | 204 | 304)
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.trim().parse().ok())
}

/// Reads `reader` to its end, keeping the first `keep` bytes; more than `limit` in all is
/// `TooLarge`.
fn read_limited(mut reader: impl Read, keep: usize, limit: u64) -> Result<Vec<u8>, Code> {
    let mut kept = Vec::with_capacity(keep.min(64 * 1024));
    let mut total: u64 = 0;
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(kept),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(classify(ureq::Error::from(e))),
        };
        total += n as u64;
        if total > limit {
            return Err(Code::TooLarge);
        }
        let room = keep - kept.len();
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
}

/// `Key: Value` lines joined by `\n`, names in Go's canonical case.
fn format_headers(headers: &HeaderMap) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in headers {
        if name == header::TRANSFER_ENCODING {
            continue;
        }
        if !out.is_empty() {
            out.push(b'\n');
        }
        out.extend_from_slice(canonical(name.as_str()).as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
    }
    out
}

/// Go's `CanonicalMIMEHeaderKey` for a valid (lower-case) header name: the first letter and
/// every letter after a `-` upper-case.
fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let c = if upper { c.to_ascii_uppercase() } else { c };
            upper = c == '-';
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_take_gos_canonical_case() {
        assert_eq!(canonical("content-type"), "Content-Type");
        assert_eq!(canonical("www-authenticate"), "Www-Authenticate");
        assert_eq!(canonical("x-a--b"), "X-A--B");
        assert_eq!(canonical("etag"), "Etag");
    }

    #[test]
    fn headers_are_lines_in_order_received_without_transfer_encoding() {
        let mut map = HeaderMap::new();
        map.append("x-b", HeaderValue::from_static("1"));
        map.append("content-type", HeaderValue::from_static("text/plain"));
        map.append("x-b", HeaderValue::from_static("2"));
        map.append("transfer-encoding", HeaderValue::from_static("chunked"));
        assert_eq!(
            String::from_utf8(format_headers(&map)).unwrap(),
            "X-B: 1\nX-B: 2\nContent-Type: text/plain"
        );
        assert!(format_headers(&HeaderMap::new()).is_empty());
    }

    #[test]
    fn head_204_and_304_responses_have_no_body_whatever_their_length() {
        assert!(has_body(&Method::GET, 200));
        assert!(has_body(&Method::POST, 404));
        assert!(!has_body(&Method::HEAD, 200));
        assert!(!has_body(&Method::GET, 204));
        assert!(!has_body(&Method::GET, 304));
        assert!(!has_body(&Method::GET, 101));
    }

    #[test]
    fn bodies_keep_what_fits_and_fail_past_the_limit() {
        let body = vec![7u8; 100];
        assert_eq!(read_limited(&body[..], 10, 100).unwrap(), vec![7; 10]);
        assert_eq!(read_limited(&body[..], 1000, 100).unwrap(), body);
        assert_eq!(read_limited(&body[..], 0, 100).unwrap(), Vec::<u8>::new());
        assert_eq!(read_limited(&body[..], 10, 99).unwrap_err(), Code::TooLarge);
    }

    #[test]
    fn read_errors_are_timeouts_or_network_errors() {
        struct Failing(fn() -> io::Error);
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(self.0())
            }
        }
        let read = |error| read_limited(Failing(error), 1, 1).unwrap_err();
        assert_eq!(read(|| io::ErrorKind::TimedOut.into()), Code::Timeout);
        assert_eq!(
            read(|| io::ErrorKind::ConnectionReset.into()),
            Code::Network
        );
        // ureq hands its own timeout to a body reader wrapped in an `io::Error`.
        assert_eq!(
            read(|| ureq::Error::Timeout(ureq::Timeout::Global).into_io()),
            Code::Timeout
        );
    }

    #[test]
    fn locations_resolve_like_rfc_3986() {
        let base: Uri = "http://a.com:8080/b/c/d?q".parse().unwrap();
        for (location, expected) in [
            ("https://other.org/x", "https://other.org/x"),
            ("//other.org/x", "http://other.org/x"),
            ("/x/y", "http://a.com:8080/x/y"),
            ("/x/../y/./z", "http://a.com:8080/y/z"),
            ("g", "http://a.com:8080/b/c/g"),
            ("../g?h", "http://a.com:8080/b/g?h"),
            ("../../../../g", "http://a.com:8080/g"),
            ("./", "http://a.com:8080/b/c/"),
            ("..", "http://a.com:8080/b/"),
            ("?r", "http://a.com:8080/b/c/d?r"),
            ("", "http://a.com:8080/b/c/d?q"),
            ("#frag", "http://a.com:8080/b/c/d?q"),
            ("g#frag", "http://a.com:8080/b/c/g"),
        ] {
            assert_eq!(
                resolve(&base, location).map(|u| u.to_string()).as_deref(),
                Some(expected),
                "{location}"
            );
        }
        assert_eq!(resolve(&base, "ftp://a.com/"), None);
        assert_eq!(resolve(&base, "mailto:x@y"), None);
        assert_eq!(resolve(&base, "http://"), None);
    }
}
