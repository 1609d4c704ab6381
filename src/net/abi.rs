//! The `http_request` ABI: its twelve arguments, the request read out of guest memory, the
//! response written back, and the result codes. Plain functions over a `&[u8]`/`&mut [u8]`,
//! so every case is tested without an engine or a network.
//!
//! What Bacalhau does (pkg/executor/wasm/funcs/http/http.go, `httpRequest`), and we with it:
//! a zero pointer among the four response pointers is `BadInput` before anything else; the
//! URL is checked, then its host against the policy; request headers are `Key: Value` lines
//! split on `\n`, each trimmed, blank and colon-less lines skipped; a request header pointer or
//! body pointer of 0 means "none"; the capacities are read from their `u32` slots, the header
//! text and body are cut to them, and the slots receive the byte counts written (not the full
//! lengths); the HTTP status goes to `status_ptr` unless it is 0.
//!
//! Where we differ, each so that a bug in the guest is told apart from a problem on the
//! network: every pointer range is checked **before** the request is sent, and any range
//! outside memory is `Memory` (7), where Bacalhau answers 1 for an unreadable URL, 6 for an
//! unreadable body, silently sends no headers for unreadable headers, and checks the output
//! slots only after the request went out. A header name or value HTTP forbids is `BadInput`
//! (Bacalhau: its client fails, 2). An output buffer must lie in memory in full, capacity
//! included, as preview1 demands of buffers. Nothing is written unless the call succeeds.

use ureq::http::{HeaderName, HeaderValue, Method, Uri};

use super::client::{Request, Response};
use crate::spec::Policy;

/// What `http_request` returns (Bacalhau's `Status*` constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Code {
    Success = 0,
    /// Not UTF-8, not a URI, not `http`/`https`, or no host.
    InvalidUrl = 1,
    /// Connecting, sending or receiving failed (refused, reset, DNS, TLS, bad redirect).
    Network = 2,
    /// The whole exchange, redirects and body included, took longer than the timeout.
    Timeout = 3,
    /// The host, or a redirect's host, is not allowed by `Domains`.
    NotAllowed = 4,
    /// The response body is over the limit ([`body_limit`]).
    TooLarge = 5,
    /// A zero response pointer, or a header HTTP forbids.
    BadInput = 6,
    /// A pointer range outside guest memory.
    Memory = 7,
}

/// The request body limit's absolute maximum and minimum (Bacalhau's `DefaultMaxResponseSize`
/// and `MinResponseSize`).
pub const MAX_BODY: u64 = 100 * 1024 * 1024;
pub const MIN_BODY: u64 = 64 * 1024;

/// The largest response body a guest with `memory_len` bytes of memory may receive: 80% of
/// its memory, at most 100 MiB, at least 64 KiB. Computed in `f64` as Bacalhau does, so the
/// rounding is the same.
pub fn body_limit(memory_len: usize) -> u64 {
    let share = (memory_len as f64 * 0.8) as u64;
    share.clamp(MIN_BODY, MAX_BODY)
}

/// The twelve `i32` arguments, as the unsigned numbers they mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Args {
    pub method: u32,
    pub url: (u32, u32),
    pub headers: (u32, u32),
    pub body: (u32, u32),
    pub response_headers: u32,
    pub response_headers_len: u32,
    pub response_body: u32,
    pub response_body_len: u32,
    pub status: u32,
}

impl Args {
    /// The arguments in the import's order: method, url ptr/len, headers ptr/len, body
    /// ptr/len, response headers ptr, its capacity slot, response body ptr, its capacity slot,
    /// status ptr.
    pub fn from_wasm(a: [i32; 12]) -> Args {
        let u = a.map(|v| v as u32);
        Args {
            method: u[0],
            url: (u[1], u[2]),
            headers: (u[3], u[4]),
            body: (u[5], u[6]),
            response_headers: u[7],
            response_headers_len: u[8],
            response_body: u[9],
            response_body_len: u[10],
            status: u[11],
        }
    }
}

/// 0 GET, 1 POST, 2 PUT, 3 DELETE, 4 HEAD, 5 OPTIONS, 6 PATCH; anything else GET.
pub fn method(code: u32) -> Method {
    match code {
        1 => Method::POST,
        2 => Method::PUT,
        3 => Method::DELETE,
        4 => Method::HEAD,
        5 => Method::OPTIONS,
        6 => Method::PATCH,
        _ => Method::GET,
    }
}

/// Where the response goes, every range already checked to lie in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Out {
    headers: u32,
    headers_cap: u32,
    headers_len_slot: u32,
    body: u32,
    body_cap: u32,
    body_len_slot: u32,
    status: u32,
}

impl Out {
    /// The most body bytes the guest can take.
    pub fn body_capacity(&self) -> usize {
        self.body_cap as usize
    }
}

/// The bytes `[ptr, ptr + len)`, or `Memory` if any lies outside (`ptr + len` overflowing
/// `u32` included).
fn slice(mem: &[u8], ptr: u32, len: u32) -> Result<&[u8], Code> {
    let end = ptr.checked_add(len).ok_or(Code::Memory)? as usize;
    mem.get(ptr as usize..end).ok_or(Code::Memory)
}

fn read_u32(mem: &[u8], ptr: u32) -> Result<u32, Code> {
    let bytes = slice(mem, ptr, 4)?;
    Ok(u32::from_le_bytes(bytes.try_into().expect("four bytes")))
}

/// An optional input: pointer 0 or length 0 is none, as in Bacalhau.
fn optional(mem: &[u8], (ptr, len): (u32, u32)) -> Result<&[u8], Code> {
    if ptr == 0 || len == 0 {
        Ok(&[])
    } else {
        slice(mem, ptr, len)
    }
}

/// Reads and checks everything the call needs before anything is sent.
pub fn read(mem: &[u8], args: &Args, policy: &Policy) -> Result<(Request, Out), Code> {
    if [
        args.response_headers,
        args.response_headers_len,
        args.response_body,
        args.response_body_len,
    ]
    .contains(&0)
    {
        return Err(Code::BadInput);
    }
    let url = parse_url(slice(mem, args.url.0, args.url.1)?)?;
    if !policy.allows(url.host().unwrap_or_default()) {
        return Err(Code::NotAllowed);
    }
    let headers = parse_headers(optional(mem, args.headers)?)?;
    let body = optional(mem, args.body)?.to_vec();
    let out = Out {
        headers: args.response_headers,
        headers_cap: read_u32(mem, args.response_headers_len)?,
        headers_len_slot: args.response_headers_len,
        body: args.response_body,
        body_cap: read_u32(mem, args.response_body_len)?,
        body_len_slot: args.response_body_len,
        status: args.status,
    };
    slice(mem, out.headers, out.headers_cap)?;
    slice(mem, out.body, out.body_cap)?;
    if out.status != 0 {
        slice(mem, out.status, 4)?;
    }
    let request = Request {
        method: method(args.method),
        url,
        headers,
        body,
    };
    Ok((request, out))
}

/// An absolute `http` or `https` URL with a host.
pub fn parse_url(bytes: &[u8]) -> Result<Uri, Code> {
    let text = std::str::from_utf8(bytes).map_err(|_| Code::InvalidUrl)?;
    let url = Uri::try_from(text).map_err(|_| Code::InvalidUrl)?;
    let web = url
        .scheme_str()
        .is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"));
    if !web || url.host().is_none_or(str::is_empty) {
        return Err(Code::InvalidUrl);
    }
    Ok(url)
}

/// Headers Go's `http.Request.Write` takes from elsewhere, never from the header map
/// (`reqWriteExcludeHeader`); Bacalhau's guests cannot set them either.
const NOT_FROM_GUEST: [&str; 4] = ["host", "content-length", "transfer-encoding", "trailer"];

/// `Key: Value` lines separated by `\n`; surrounding white space is trimmed, blank lines and
/// lines without a colon are skipped (Bacalhau's `parseHeaders`).
pub fn parse_headers(bytes: &[u8]) -> Result<Vec<(HeaderName, HeaderValue)>, Code> {
    let mut headers = Vec::new();
    for line in bytes.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (key, value) = (line[..colon].trim_ascii(), line[colon + 1..].trim_ascii());
        let name = HeaderName::from_bytes(key).map_err(|_| Code::BadInput)?;
        let value = HeaderValue::from_bytes(value).map_err(|_| Code::BadInput)?;
        if !NOT_FROM_GUEST.contains(&name.as_str()) {
            headers.push((name, value));
        }
    }
    Ok(headers)
}

/// Writes the response: the status (unless its pointer is 0), the two byte counts, then the
/// header text and the body, each cut to its buffer.
pub fn write(mem: &mut [u8], out: &Out, response: &Response) -> Code {
    let headers = &response.headers[..response.headers.len().min(out.headers_cap as usize)];
    let body = &response.body[..response.body.len().min(out.body_cap as usize)];
    let mut writes: Vec<(u32, &[u8])> = Vec::with_capacity(5);
    let status = u32::from(response.status).to_le_bytes();
    let headers_len = (headers.len() as u32).to_le_bytes();
    let body_len = (body.len() as u32).to_le_bytes();
    if out.status != 0 {
        writes.push((out.status, &status));
    }
    writes.extend([
        (out.headers_len_slot, &headers_len[..]),
        (out.body_len_slot, &body_len[..]),
        (out.headers, headers),
        (out.body, body),
    ]);
    for (ptr, bytes) in writes {
        // Checked by `read`, and memory cannot shrink; kept as a check, not a panic.
        let end = ptr as usize + bytes.len();
        match mem.get_mut(ptr as usize..end) {
            Some(dest) => dest.copy_from_slice(bytes),
            None => return Code::Memory,
        }
    }
    Code::Success
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &[u8] = b"http://example.com/path?q=1";

    /// A 256-byte memory filled with `?`: the URL at 16, headers at 64, body at 112, the
    /// capacities at 200 and 204 (32 and 16), the status slot at 208, the header buffer at 128
    /// and the body buffer at 176.
    fn memory(headers: &[u8], body: &[u8]) -> (Vec<u8>, Args) {
        let mut mem = vec![b'?'; 256];
        mem[16..16 + URL.len()].copy_from_slice(URL);
        mem[64..64 + headers.len()].copy_from_slice(headers);
        mem[112..112 + body.len()].copy_from_slice(body);
        mem[200..204].copy_from_slice(&32u32.to_le_bytes());
        mem[204..208].copy_from_slice(&16u32.to_le_bytes());
        let args = Args::from_wasm([
            1,
            16,
            URL.len() as i32,
            64,
            headers.len() as i32,
            112,
            body.len() as i32,
            128,
            200,
            176,
            204,
            208,
        ]);
        (mem, args)
    }

    fn read_code(mem: &[u8], args: &Args) -> Code {
        read(mem, args, &Policy::Any)
            .map(|_| Code::Success)
            .unwrap_or_else(|c| c)
    }

    #[test]
    fn arguments_decode_in_order_and_unsigned() {
        let args = Args::from_wasm([6, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, -1]);
        assert_eq!(
            args,
            Args {
                method: 6,
                url: (1, 2),
                headers: (3, 4),
                body: (5, 6),
                response_headers: 7,
                response_headers_len: 8,
                response_body: 9,
                response_body_len: 10,
                status: u32::MAX,
            }
        );
    }

    #[test]
    fn methods_decode_like_bacalhau() {
        let names: Vec<String> = (0..9).map(|m| method(m).to_string()).collect();
        assert_eq!(
            names,
            [
                "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "GET", "GET"
            ]
        );
        assert_eq!(method(u32::MAX), Method::GET);
    }

    #[test]
    fn a_request_is_read_with_its_headers_and_body() {
        let (mem, args) = memory(b"X-One: 1\n\n  X-Two :  two words \r\nno colon\n", b"{}");
        let (request, out) = read(&mem, &args, &Policy::Any).unwrap();
        assert_eq!(request.method, Method::POST);
        assert_eq!(request.url, "http://example.com/path?q=1");
        let headers: Vec<(&str, &[u8])> = request
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes()))
            .collect();
        assert_eq!(
            headers,
            [("x-one", &b"1"[..]), ("x-two", &b"two words"[..])]
        );
        assert_eq!(request.body, b"{}");
        assert_eq!(out.body_capacity(), 16);
    }

    #[test]
    fn headers_go_computes_itself_are_dropped() {
        let parsed =
            parse_headers(b"Host: evil\nContent-Length: 9\nTransfer-Encoding: x\nTrailer: y\nA: b")
                .unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].0.as_str(), "a");
    }

    #[test]
    fn forbidden_header_names_and_values_are_bad_input() {
        assert_eq!(parse_headers(b"Bad Name: x").unwrap_err(), Code::BadInput);
        assert_eq!(parse_headers(b": x").unwrap_err(), Code::BadInput);
        assert_eq!(parse_headers(b"A: x\x7fy").unwrap_err(), Code::BadInput);
        assert!(parse_headers(b"").unwrap().is_empty());
    }

    #[test]
    fn zero_pointers_for_headers_or_body_mean_none() {
        let (mem, mut args) = memory(b"A: b", b"xyz");
        args.headers.0 = 0;
        args.body = (0, 3);
        let (request, _) = read(&mem, &args, &Policy::Any).unwrap();
        assert!(request.headers.is_empty());
        assert!(request.body.is_empty());
    }

    #[test]
    fn any_zero_response_pointer_is_bad_input_before_anything_else() {
        for field in 0..4 {
            let (mem, mut args) = memory(b"", b"");
            args.url = (u32::MAX, 10);
            match field {
                0 => args.response_headers = 0,
                1 => args.response_headers_len = 0,
                2 => args.response_body = 0,
                _ => args.response_body_len = 0,
            }
            assert_eq!(read_code(&mem, &args), Code::BadInput, "field {field}");
        }
        // The status pointer may be 0: no status wanted.
        let (mem, mut args) = memory(b"", b"");
        args.status = 0;
        assert_eq!(read_code(&mem, &args), Code::Success);
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        for bad in [
            &b"not a url"[..],
            b"example.com/x",
            b"ftp://example.com/",
            b"http://",
            b"/just/a/path",
            b"http://exa mple.com/",
            b"http://\xff/",
            b"",
        ] {
            assert_eq!(
                parse_url(bad).unwrap_err(),
                Code::InvalidUrl,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        for good in [
            &b"http://a"[..],
            b"HTTPS://Example.com:8443/x?y#z",
            b"http://[::1]:80/",
        ] {
            assert!(parse_url(good).is_ok(), "{}", String::from_utf8_lossy(good));
        }
    }

    #[test]
    fn the_host_is_checked_against_the_policy() {
        let (mem, args) = memory(b"", b"");
        let only = |glob: &str| Policy::Domains(vec![crate::spec::Domain::parse(glob).unwrap()]);
        assert!(read(&mem, &args, &only("*.com")).is_ok());
        assert_eq!(
            read(&mem, &args, &only("*.example.com")).unwrap_err(),
            Code::NotAllowed
        );
    }

    /// Each range at the edge of memory: ending exactly at the end is fine, one byte more is
    /// `Memory`, and so is a `ptr + len` that overflows `u32`.
    #[test]
    fn every_range_is_checked_with_off_by_one_edges() {
        /// Puts one range so that it ends at the given address.
        type Place = fn(&mut Args, &mut Vec<u8>, u32);
        let cases: Vec<(&str, Place)> = vec![
            ("url", |a, m, at| {
                let n = URL.len() as u32;
                m[(at - n) as usize..at as usize].copy_from_slice(URL);
                a.url = (at - n, n);
            }),
            ("headers", |a, _, at| a.headers = (at - 4, 4)),
            ("body", |a, _, at| a.body = (at - 4, 4)),
            ("headers capacity slot", |a, m, at| {
                a.response_headers_len = at - 4;
                m[(at - 4) as usize..at as usize].copy_from_slice(&0u32.to_le_bytes());
            }),
            ("body capacity slot", |a, m, at| {
                a.response_body_len = at - 4;
                m[(at - 4) as usize..at as usize].copy_from_slice(&0u32.to_le_bytes());
            }),
            ("status slot", |a, _, at| a.status = at - 4),
            ("headers buffer", |a, _, at| a.response_headers = at - 32),
            ("body buffer", |a, _, at| a.response_body = at - 16),
        ];
        for (name, place) in cases {
            let (mut mem, mut args) = memory(b"", b"");
            place(&mut args, &mut mem, 256);
            assert_eq!(read_code(&mem, &args), Code::Success, "{name} at the end");
            let (mut mem, mut args) = memory(b"", b"");
            mem.push(b'?');
            place(&mut args, &mut mem, 257);
            mem.pop();
            assert_eq!(read_code(&mem, &args), Code::Memory, "{name} one past");
        }
        let (mem, mut args) = memory(b"", b"");
        args.body = (u32::MAX - 1, 4);
        assert_eq!(read_code(&mem, &args), Code::Memory, "overflowing body");
        let (mut mem, args) = memory(b"", b"");
        mem[204..208].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(read_code(&mem, &args), Code::Memory, "huge body capacity");
        // No memory at all (a module without a `memory` export).
        let (_, args) = memory(b"", b"");
        assert_eq!(read_code(&[], &args), Code::Memory);
    }

    fn response(headers: &[u8], body: &[u8]) -> Response {
        Response {
            status: 201,
            headers: headers.to_vec(),
            body: body.to_vec(),
        }
    }

    #[test]
    fn a_response_is_written_exactly_and_nothing_else_is_touched() {
        let (mut mem, args) = memory(b"", b"");
        let (_, out) = read(&mem, &args, &Policy::Any).unwrap();
        let before = mem.clone();
        let code = write(&mut mem, &out, &response(b"A: b", b"hello"));
        assert_eq!(code, Code::Success);
        assert_eq!(&mem[128..132], b"A: b");
        assert_eq!(&mem[176..181], b"hello");
        assert_eq!(&mem[200..204], &4u32.to_le_bytes());
        assert_eq!(&mem[204..208], &5u32.to_le_bytes());
        assert_eq!(&mem[208..212], &201u32.to_le_bytes());
        for (i, (a, b)) in mem.iter().zip(&before).enumerate() {
            let written = [128..132, 176..181, 200..212]
                .iter()
                .any(|r| r.contains(&i));
            if !written {
                assert_eq!(a, b, "byte {i} changed");
            }
        }
    }

    #[test]
    fn headers_and_body_are_cut_to_their_buffers_and_the_slots_get_what_was_written() {
        let (mut mem, args) = memory(b"", b"");
        let (_, out) = read(&mem, &args, &Policy::Any).unwrap();
        let long_headers = [b'h'; 40];
        let long_body = [b'b'; 20];
        assert_eq!(
            write(&mut mem, &out, &response(&long_headers, &long_body)),
            Code::Success
        );
        assert_eq!(&mem[128..160], &[b'h'; 32]);
        assert_eq!(mem[160], b'?');
        assert_eq!(&mem[176..192], &[b'b'; 16]);
        assert_eq!(mem[192], b'?');
        assert_eq!(&mem[200..204], &32u32.to_le_bytes());
        assert_eq!(&mem[204..208], &16u32.to_le_bytes());
    }

    #[test]
    fn no_status_pointer_writes_no_status() {
        let (mut mem, mut args) = memory(b"", b"");
        args.status = 0;
        let (_, out) = read(&mem, &args, &Policy::Any).unwrap();
        assert_eq!(write(&mut mem, &out, &response(b"", b"")), Code::Success);
        assert_eq!(&mem[208..212], b"????");
        assert_eq!(&mem[0..4], b"????");
        assert_eq!(&mem[200..208], &[0; 8]);
    }

    #[test]
    fn the_body_limit_is_80_percent_of_memory_within_64k_and_100m() {
        assert_eq!(body_limit(0), 65536);
        assert_eq!(body_limit(65536), 65536);
        assert_eq!(body_limit(81920), 65536);
        assert_eq!(body_limit(131072), 104857);
        assert_eq!(body_limit(1 << 30), 100 * 1024 * 1024);
        assert_eq!(body_limit(usize::MAX), 100 * 1024 * 1024);
    }
}
