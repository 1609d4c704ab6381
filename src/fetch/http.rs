//! `urlDownload` sources, and the one cached HTTP GET that URL and IPFS downloads share.
//!
//! A download goes through the cache (`cache.rs`): a URL already there is revalidated with
//! `If-None-Match` / `If-Modified-Since` and reused on `304 Not Modified`; an immutable key (an
//! IPFS CID) is reused without asking; `--offline` never asks. New content is streamed into the
//! cache (temp file, then rename) with a size bound, and only then linked into the workspace,
//! so neither the cache nor the guest ever sees a half-written file.
//!
//! Failures that may pass (connection refused or reset, timeouts, `5xx`, `429`) are retried,
//! [`ATTEMPTS`] tries in all with exponential backoff; anything else (`4xx`, a bad URL, a
//! redirect loop, a body over the limit) fails at once. This file never panics on a response:
//! every status, header and body is data. It must not write outside the slot it is given.
//!
//! Testing aids (environment variables, for the integration tests; not for production use):
//! `BOLINHO_HTTP_TIMEOUT_MS` (connect and per-read timeout), `BOLINHO_HTTP_BACKOFF_MS` (the
//! first retry delay), `BOLINHO_HTTP_MAX_BYTES` (the size limit).

mod name;

use std::fs;
use std::io::{self, Read};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use super::cache::{Entry, Validators};
use super::{Context, Fetched, Kind, io_message, progress};
use crate::remote::agent;

/// The largest download, after content decoding (1 GiB, as the archive bound).
pub const MAX_DOWNLOAD: u64 = 1 << 30;
/// Tries per download, the first included.
pub const ATTEMPTS: u32 = 3;
/// The delay before the first retry; each later one doubles it.
pub const BACKOFF: Duration = Duration::from_millis(500);

/// Materialises the `urlDownload` source `url` at `slot` (a workspace path that does not exist
/// yet): a directory holding one file, named by the server or the URL (see `name`).
pub(super) fn fetch(url: &str, slot: &Path, ctx: &Context) -> Result<Fetched, String> {
    let entry = download(
        ctx,
        &Download {
            url,
            key: url,
            accept: None,
            immutable: false,
            expected_sha256: None,
        },
    )?;
    // The name the job's URL gives, not the URL a redirect ends at: the author knows the former.
    let file_name = entry.name.clone().unwrap_or_else(|| name::from_url(url));
    fs::create_dir(slot)
        .map_err(|e| format!("failed to create {}: {}", slot.display(), io_message(&e)))?;
    ctx.cache.materialize(&entry, &slot.join(file_name))?;
    Ok(Fetched {
        path: slot.to_path_buf(),
        kind: Kind::Dir,
        writable: false,
    })
}

/// `url` as shown in messages and progress: credentials in it (`user:password@`) hidden.
pub(super) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// One download through the cache.
pub(super) struct Download<'a> {
    /// What to GET.
    pub url: &'a str,
    /// The cache key, and the label progress shows (`url`, or `ipfs://<cid>`).
    pub key: &'a str,
    /// The `Accept` header to send, if any.
    pub accept: Option<&'a str>,
    /// Whether a cached copy is good for ever (content-addressed): no request at all.
    pub immutable: bool,
    /// The sha256 the content must have (hex); nothing is kept if it does not.
    pub expected_sha256: Option<&'a str>,
}

/// The cache entry holding `d`'s content, downloading it if needed.
pub(super) fn download(ctx: &Context, d: &Download<'_>) -> Result<Entry, String> {
    let _held = ctx.cache.hold(d.key);
    let cached = ctx.cache.lookup(d.key);
    if ctx.options.offline {
        return cached.ok_or_else(|| {
            format!(
                "not in the download cache ({}), and --offline is set",
                ctx.cache.root().display()
            )
        });
    }
    if d.immutable
        && let Some(entry) = cached
    {
        return Ok(entry);
    }
    let settings = Settings::from_env();
    let mut attempt = 1;
    let failure = loop {
        // A signal caught before a try, or between two, ends the download: a request already
        // connecting or waiting for its answer is ended by the agent (`remote::stopping`).
        if let Some(signal) = ctx.cache.stopped() {
            return Err(format!("stopped by {}", signal.name()));
        }
        match try_once(ctx, d, cached.as_ref(), &settings) {
            Ok(entry) => return Ok(entry),
            Err(failure) if failure.transient && attempt < ATTEMPTS => {
                std::thread::sleep(settings.backoff.saturating_mul(1 << (attempt - 1)));
                attempt += 1;
            }
            Err(failure) => break failure,
        }
    };
    let mut message = failure.message;
    if attempt > 1 {
        message.push_str(&format!(" ({attempt} attempts)"));
    }
    // Never served silently when the server cannot be asked; but say how to use it.
    if cached.is_some() {
        message.push_str("; a cached copy exists, and --offline would use it");
    }
    Err(message)
}

/// Limits, from the constants unless a testing aid overrides them.
struct Settings {
    connect_timeout: Duration,
    read_timeout: Duration,
    backoff: Duration,
    limit: u64,
}

impl Settings {
    fn from_env() -> Settings {
        let var = |name: &str| std::env::var(name).ok()?.trim().parse::<u64>().ok();
        let timeout = var("BOLINHO_HTTP_TIMEOUT_MS").map(Duration::from_millis);
        Settings {
            connect_timeout: timeout.unwrap_or(agent::CONNECT_TIMEOUT),
            read_timeout: timeout.unwrap_or(agent::READ_TIMEOUT),
            backoff: var("BOLINHO_HTTP_BACKOFF_MS").map_or(BACKOFF, Duration::from_millis),
            limit: var("BOLINHO_HTTP_MAX_BYTES").unwrap_or(MAX_DOWNLOAD),
        }
    }
}

/// Why one try failed, and whether another may succeed.
#[derive(Debug)]
struct Failure {
    message: String,
    transient: bool,
}

impl Failure {
    fn fatal(message: String) -> Failure {
        Failure {
            message,
            transient: false,
        }
    }
}

/// The agent for this process: one, so connections are pooled across a run's downloads.
fn shared_agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(agent::agent)
}

fn try_once(
    ctx: &Context,
    d: &Download<'_>,
    cached: Option<&Entry>,
    s: &Settings,
) -> Result<Entry, Failure> {
    let mut request = shared_agent().get(d.url);
    if let Some(accept) = d.accept {
        request = request.header("Accept", accept);
    }
    if let Some(entry) = cached {
        if let Some(etag) = &entry.validators.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(date) = &entry.validators.last_modified {
            request = request.header("If-Modified-Since", date);
        }
    }
    let response = request
        .config()
        .timeout_connect(Some(s.connect_timeout))
        .timeout_per_read(Some(s.read_timeout))
        .build()
        .call()
        .map_err(|e| classify(e, s))?;
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let validators = Validators {
        etag: header("etag"),
        last_modified: header("last-modified"),
        ..Validators::default()
    };
    if status == 304
        && let Some(entry) = cached
    {
        let mut entry = entry.clone();
        // A 304 may carry fresher validators; keep those it does not repeat.
        let merged = Validators {
            etag: validators.etag.or(entry.validators.etag.clone()),
            last_modified: validators
                .last_modified
                .or(entry.validators.last_modified.clone()),
            ..entry.validators.clone()
        };
        if merged != entry.validators {
            entry.validators = merged;
            ctx.cache.remember(d.key, &entry).map_err(Failure::fatal)?;
        }
        return Ok(entry);
    }
    if !status.is_success() {
        let code = status.as_u16();
        return Err(Failure {
            message: format!("server answered {}", agent::status_text(code)),
            transient: code >= 500 || code == 429,
        });
    }
    let name = header("content-disposition").and_then(|v| name::from_content_disposition(&v));
    let length = header("content-length").and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(length) = length
        && length > s.limit
    {
        return Err(Failure::fatal(too_large(Some(length), s.limit)));
    }
    let mut body = Body {
        inner: response.into_body().into_reader(),
        read: 0,
        limit: s.limit,
        settings: s,
        failure: None,
    };
    let stored = {
        let label = redact(d.key);
        let mut shown = progress::reader(&mut body, length, &label, ctx.options.progress);
        ctx.cache.store_named(
            d.key,
            validators,
            name,
            &mut shown,
            s.limit,
            d.expected_sha256,
        )
    };
    // A failed read is described by `Body`, which knows what failed; the cache's message is
    // about everything else (disk, checksum).
    stored.map_err(|message| body.failure.take().unwrap_or(Failure::fatal(message)))
}

/// The response body, bounded, remembering why a read failed.
struct Body<'a, R> {
    inner: R,
    read: u64,
    limit: u64,
    settings: &'a Settings,
    failure: Option<Failure>,
}

impl<R: Read> Read for Body<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.read += n as u64;
                if self.read > self.limit {
                    let message = too_large(None, self.limit);
                    self.failure = Some(Failure::fatal(message.clone()));
                    return Err(io::Error::other(message));
                }
                Ok(n)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                let failure = classify(ureq::Error::from(e), self.settings);
                let message = failure.message.clone();
                self.failure = Some(Failure {
                    message: format!("download interrupted: {message}"),
                    ..failure
                });
                Err(io::Error::other(message))
            }
        }
    }
}

/// A ureq error as a message, and whether it may pass.
fn classify(error: ureq::Error, s: &Settings) -> Failure {
    let (message, transient) = agent::transport_error(error, s.connect_timeout, s.read_timeout);
    Failure { message, transient }
}

fn too_large(announced: Option<u64>, limit: u64) -> String {
    let limit = if limit == MAX_DOWNLOAD {
        "1 GiB".to_string()
    } else {
        format!("{limit} bytes")
    };
    match announced {
        Some(size) => format!("too large: the server announces {size} bytes, the limit is {limit}"),
        None => format!("too large: more than the limit of {limit}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_millis(200),
            backoff: BACKOFF,
            limit: MAX_DOWNLOAD,
        }
    }

    #[test]
    fn transient_failures_are_retried_and_others_are_not() {
        let s = settings();
        let io = |kind| classify(ureq::Error::Io(io::Error::from(kind)), &s);
        let refused = io(io::ErrorKind::ConnectionRefused);
        assert_eq!(
            (refused.message.as_str(), refused.transient),
            ("connection refused", true)
        );
        assert!(io(io::ErrorKind::ConnectionReset).transient);
        assert!(!io(io::ErrorKind::PermissionDenied).transient);
        let timeout = classify(ureq::Error::Timeout(ureq::Timeout::PerRead), &s);
        assert_eq!(
            (timeout.message.as_str(), timeout.transient),
            ("timed out: the server sent nothing for 0.2s", true)
        );
        let redirects = classify(ureq::Error::TooManyRedirects, &s);
        assert_eq!(
            (redirects.message.as_str(), redirects.transient),
            ("too many redirects (more than 5): a redirect loop?", false)
        );
        assert!(!classify(ureq::Error::BadUri("x".into()), &s).transient);
        // A ureq error that crossed an `io::Error` boundary (a body read) is still recognised.
        let wrapped = ureq::Error::Timeout(ureq::Timeout::PerRead).into_io();
        assert!(classify(ureq::Error::from(wrapped), &s).transient);
    }

    #[test]
    fn credentials_are_hidden() {
        let table = [
            (
                "https://u:secret@x.org/a?b=c@d",
                "https://***@x.org/a?b=c@d",
            ),
            ("http://token@x.org", "http://***@x.org"),
            ("https://x.org/a@b", "https://x.org/a@b"),
            ("https://x.org?q=a@b", "https://x.org?q=a@b"),
            ("ipfs://bafk", "ipfs://bafk"),
            ("not a url", "not a url"),
        ];
        for (url, want) in table {
            assert_eq!(redact(url), want, "{url}");
        }
    }

    #[test]
    fn status_texts() {
        assert_eq!(agent::status_text(404), "404 Not Found");
        assert_eq!(agent::status_text(503), "503 Service Unavailable");
        assert_eq!(agent::status_text(599), "599");
    }

    #[test]
    fn size_messages() {
        assert_eq!(
            too_large(Some(2 << 30), MAX_DOWNLOAD),
            "too large: the server announces 2147483648 bytes, the limit is 1 GiB"
        );
        assert_eq!(
            too_large(None, 10),
            "too large: more than the limit of 10 bytes"
        );
    }

    #[test]
    fn the_body_stops_past_the_limit() {
        let s = Settings {
            limit: 4,
            ..settings()
        };
        let mut body = Body {
            inner: &b"hello"[..],
            read: 0,
            limit: 4,
            settings: &s,
            failure: None,
        };
        let mut out = Vec::new();
        assert!(body.read_to_end(&mut out).is_err());
        let failure = body.failure.unwrap();
        assert_eq!(failure.message, "too large: more than the limit of 4 bytes");
        assert!(!failure.transient);
    }
}
