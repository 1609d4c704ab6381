//! How an `http_request` goes on a run's tape: the request as a replay must see it again, and
//! the answer the guest was given, each as bytes (`wasi_shim::Recorder::host_call`).
//!
//! Owns: those two encodings, and the reading back of an answer from a tape, which is
//! untrusted input (a tape comes with a receipt someone handed over): any malformed answer
//! is `None`, never a panic. Must not send anything: `Net` decides whether a request goes to
//! the network, to the tape, or both.

use super::abi::Code;
use super::client::{Request, Response};

/// The request's part of a tape record: everything that decides the answer the guest sees.
/// That is the request itself (method, URL, headers, body), how many body bytes the guest
/// has room for and the body limit its memory gives. Fields are length-prefixed, so no two
/// requests encode the same.
pub fn request(request: &Request, keep: usize, limit: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + request.body.len());
    field(&mut out, request.method.as_str().as_bytes());
    field(&mut out, request.url.to_string().as_bytes());
    out.extend_from_slice(&(request.headers.len() as u64).to_le_bytes());
    for (name, value) in &request.headers {
        field(&mut out, name.as_str().as_bytes());
        field(&mut out, value.as_bytes());
    }
    field(&mut out, &request.body);
    out.extend_from_slice(&(keep as u64).to_le_bytes());
    out.extend_from_slice(&limit.to_le_bytes());
    out
}

/// The answer's part: `0`, the status, headers and body of a response; or `1` and the code
/// of a failure.
pub fn answer(answer: &Result<Response, Code>) -> Vec<u8> {
    match answer {
        Ok(response) => {
            let mut out = Vec::with_capacity(19 + response.headers.len() + response.body.len());
            out.push(0);
            out.extend_from_slice(&response.status.to_le_bytes());
            field(&mut out, &response.headers);
            field(&mut out, &response.body);
            out
        }
        Err(code) => {
            let mut out = vec![1];
            out.extend_from_slice(&(*code as u32).to_le_bytes());
            out
        }
    }
}

/// An answer read back from a tape, or `None` if the bytes are not one `answer` writes. A
/// response body longer than `keep` is refused too: the guest could never have received it.
pub fn read_answer(bytes: &[u8], keep: usize) -> Option<Result<Response, Code>> {
    let mut rest = bytes;
    match take(&mut rest, 1)?[0] {
        0 => {
            let status = u16::from_le_bytes(take(&mut rest, 2)?.try_into().ok()?);
            let headers = take_field(&mut rest)?.to_vec();
            let body = take_field(&mut rest)?.to_vec();
            (rest.is_empty() && body.len() <= keep).then_some(Ok(Response {
                status,
                headers,
                body,
            }))
        }
        1 => {
            let code = u32::from_le_bytes(take(&mut rest, 4)?.try_into().ok()?);
            let code = FAILURES.into_iter().find(|c| *c as u32 == code)?;
            rest.is_empty().then_some(Err(code))
        }
        _ => None,
    }
}

/// Every code a request can fail with (`Success` is a response).
const FAILURES: [Code; 7] = [
    Code::InvalidUrl,
    Code::Network,
    Code::Timeout,
    Code::NotAllowed,
    Code::TooLarge,
    Code::BadInput,
    Code::Memory,
];

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if rest.len() < n {
        return None;
    }
    let (head, tail) = rest.split_at(n);
    *rest = tail;
    Some(head)
}

fn take_field<'a>(rest: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = u64::from_le_bytes(take(rest, 8)?.try_into().ok()?);
    take(rest, usize::try_from(len).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response() -> Response {
        Response {
            status: 201,
            headers: b"Content-Type: text/plain".to_vec(),
            body: b"hello".to_vec(),
        }
    }

    #[test]
    fn answers_read_back_as_written() {
        for given in [
            Ok(response()),
            Err(Code::Network),
            Err(Code::Memory),
            Err(Code::InvalidUrl),
        ] {
            assert_eq!(read_answer(&answer(&given), 5), Some(given));
        }
    }

    #[test]
    fn malformed_answers_are_refused() {
        let good = answer(&Ok(response()));
        // Every cut-short prefix, a trailing byte, an unknown tag, an unknown code.
        for end in 0..good.len() {
            assert_eq!(read_answer(&good[..end], 5), None, "prefix of {end} bytes");
        }
        let mut long = good.clone();
        long.push(0);
        assert_eq!(read_answer(&long, 5), None);
        assert_eq!(read_answer(&[2], 5), None);
        assert_eq!(
            read_answer(&[1, 0, 0, 0, 0], 5),
            None,
            "Success is no failure"
        );
        assert_eq!(read_answer(&[1, 99, 0, 0, 0], 5), None);
        // A length field claiming more than the bytes hold.
        let mut huge = vec![0, 200, 0];
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        assert_eq!(read_answer(&huge, 5), None);
    }

    #[test]
    fn a_body_larger_than_the_guest_had_room_for_is_refused() {
        assert_eq!(read_answer(&answer(&Ok(response())), 4), None);
    }

    #[test]
    fn requests_differ_in_every_field_that_decides_the_answer() {
        let base = Request {
            method: ureq::http::Method::GET,
            url: "http://example.com/a".parse().unwrap(),
            headers: vec![],
            body: vec![],
        };
        let key = request(&base, 10, 100);
        let mut other = base.clone();
        other.url = "http://example.com/b".parse().unwrap();
        assert_ne!(request(&other, 10, 100), key);
        let mut other = base.clone();
        other.method = ureq::http::Method::POST;
        assert_ne!(request(&other, 10, 100), key);
        let mut other = base.clone();
        other.body = b"x".to_vec();
        assert_ne!(request(&other, 10, 100), key);
        let mut other = base.clone();
        other.headers = vec![("x-a".parse().unwrap(), "1".parse().unwrap())];
        assert_ne!(request(&other, 10, 100), key);
        assert_ne!(request(&base, 11, 100), key);
        assert_ne!(request(&base, 10, 101), key);
        assert_eq!(request(&base.clone(), 10, 100), key);
    }
}
