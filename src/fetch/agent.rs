//! The one HTTP client configuration every download uses (URLs, S3, IPFS gateways).
//!
//! Blocking `ureq` over rustls: no async runtime, no C but `ring`. Timeouts bound every
//! phase, redirects are bounded, and an HTTP error status is a response to inspect (S3 error
//! bodies carry the error code), not an error value.

use std::time::Duration;

/// Connecting (DNS, TCP, TLS) may take this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Each read from the server may wait this long: a stalled download fails, a slow one does not.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Redirects followed before giving up.
pub const MAX_REDIRECTS: u32 = 5;

/// A new agent with bolinho's settings. Agents pool connections: make one per run.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(READ_TIMEOUT))
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .user_agent(concat!("bolinho/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// The agent for guests' own requests (`wasi:http/requests`, `src/net/`): `timeout` for each
/// whole exchange, body included (Bacalhau's `http.Client{Timeout}`; the caller shortens it
/// per redirect hop), and no redirects followed here: `net` follows them itself, checking each
/// hop's host against the job's `Domains`. A `3xx` is then returned as a response.
pub fn guest_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(0)
        .max_redirects_will_error(false)
        .http_status_as_error(false)
        .user_agent(concat!("bolinho/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}
