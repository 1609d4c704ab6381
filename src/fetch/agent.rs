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
