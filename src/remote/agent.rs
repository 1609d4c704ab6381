//! The one HTTP client configuration every download uses (URLs, S3, IPFS gateways).
//!
//! Blocking `ureq` over rustls: no async runtime, no C but `ring`. Timeouts bound every
//! phase, redirects are bounded, and an HTTP error status is a response to inspect (S3 error
//! bodies carry the error code), not an error value.

use std::io;
use std::time::Duration;

use super::io_message;

/// Connecting (DNS, TCP, TLS) may take this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Each read from the server may wait this long: a stalled download fails, a slow one does not.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: u32 = 5;

/// A new agent with bolinho's settings. Agents pool connections: make one per run.
pub fn agent() -> ureq::Agent {
    stopping(
        ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_per_read(Some(READ_TIMEOUT))
            .max_redirects(MAX_REDIRECTS)
            .http_status_as_error(false)
            .user_agent(concat!("bolinho/", env!("CARGO_PKG_VERSION")))
            .build(),
    )
}

/// The agent for guests' own requests (`wasi:http/requests`, `src/net/`): `timeout` for each
/// whole exchange, body included (Bacalhau's `http.Client{Timeout}`; the caller shortens it
/// per redirect hop), and no redirects followed here: `net` follows them itself, checking each
/// hop's host against the job's `Domains`. A `3xx` is then returned as a response.
pub fn guest_agent(timeout: Duration) -> ureq::Agent {
    stopping(
        ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .user_agent(concat!("bolinho/", env!("CARGO_PKG_VERSION")))
            .build(),
    )
}

/// An agent with `config` whose waits to connect and for an answer end at a signal
/// (`stopping`): ureq's own chain of connectors (`DefaultConnector` with its `rustls`
/// feature), its TCP connector waiting in slices, and the wait for input sliced over it all.
fn stopping(config: ureq::config::Config) -> ureq::Agent {
    use super::stopping::{AtSignal, TcpAtSignal};
    use ureq::unversioned::resolver::DefaultResolver;
    use ureq::unversioned::transport::{ConnectProxyConnector, Connector, RustlsConnector};
    let connector =
        ().chain(ConnectProxyConnector::default())
            .chain(TcpAtSignal)
            .chain(RustlsConnector::default())
            .chain(AtSignal);
    ureq::Agent::with_parts(config, connector, DefaultResolver::default())
}

/// A transport error as a message, and whether another try may succeed (refused, reset and
/// timed-out connections may; a bad URL or a redirect loop may not). The timeouts are the
/// ones in force, for the message.
pub fn transport_error(
    error: ureq::Error,
    connect_timeout: Duration,
    read_timeout: Duration,
) -> (String, bool) {
    use ureq::Error as E;
    use ureq::Timeout as T;
    let (message, transient) = match error {
        E::Io(e) => {
            use io::ErrorKind as K;
            let transient = matches!(
                e.kind(),
                K::ConnectionRefused
                    | K::ConnectionReset
                    | K::ConnectionAborted
                    | K::NotConnected
                    | K::BrokenPipe
                    | K::TimedOut
                    | K::UnexpectedEof
            );
            let message = match e.kind() {
                K::ConnectionRefused => "connection refused".to_string(),
                K::ConnectionReset => "connection reset by the server".to_string(),
                K::UnexpectedEof => "the server closed the connection early".to_string(),
                K::TimedOut => "timed out".to_string(),
                _ => io_message(&e),
            };
            (message, transient)
        }
        E::Timeout(T::Connect | T::Resolve) => (
            format!("timed out connecting (after {})", seconds(connect_timeout)),
            true,
        ),
        E::Timeout(T::PerRead) => (
            format!(
                "timed out: the server sent nothing for {}",
                seconds(read_timeout)
            ),
            true,
        ),
        E::Timeout(other) => (format!("timed out ({other})"), true),
        E::ConnectionFailed => ("connection failed".to_string(), true),
        E::HostNotFound => ("host not found".to_string(), false),
        E::TooManyRedirects => (
            format!(
                "too many redirects (more than {}): a redirect loop?",
                MAX_REDIRECTS
            ),
            false,
        ),
        E::RedirectFailed => (
            "a redirect could not be followed (no usable Location)".to_string(),
            false,
        ),
        E::BadUri(why) => (format!("bad URL: {why}"), false),
        E::Http(why) => (format!("bad URL: {why}"), false),
        other => (other.to_string(), false),
    };
    (message, transient)
}

/// `404 Not Found`; a code without a standard reason is the number alone.
pub fn status_text(code: u16) -> String {
    match ureq::http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
    {
        Some(reason) => format!("{code} {reason}"),
        None => code.to_string(),
    }
}

/// `10s`, or `0.3s` below a second.
fn seconds(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(seconds(Duration::from_secs(30)), "30s");
        assert_eq!(seconds(Duration::from_millis(300)), "0.3s");
        assert_eq!(status_text(404), "404 Not Found");
        assert_eq!(status_text(599), "599");
    }
}
