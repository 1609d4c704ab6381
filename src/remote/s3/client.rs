//! The S3 client bolinho's S3 sources and S3 publisher share: each request is signed by
//! rusty-s3 as a presigned URL (AWS Signature Version 4 in the query string, valid for an hour;
//! unsigned when there are no credentials) and sent by the one ureq agent (`remote::agent`).
//!
//! Every answer is data: an error status becomes an [`S3Error`] carrying the S3 error code
//! parsed from the XML body (`xml::error`), or the HTTP status when the body has none; nothing
//! here panics on a response. Failures that may pass (connection refused or reset, timeouts,
//! `500`/`502`/`503`/`504`) are tried [`ATTEMPTS`] times in all, with a doubling delay.
//! This file knows nothing of caches, workspaces or jobs.

use std::fmt;
use std::io::Read;
use std::sync::OnceLock;
use std::time::Duration;

use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2};
use rusty_s3::{Bucket, S3Action};
use ureq::http::{self, Request, Response};

use super::config::Settings;
use super::xml;
use crate::remote::agent;

/// How long a presigned request stays valid: it only has to outlive its own sending.
const EXPIRY: Duration = Duration::from_secs(3600);
/// Tries per request, the first included.
pub const ATTEMPTS: u32 = 3;
/// The delay before the first retry; each later one doubles it.
const BACKOFF: Duration = Duration::from_millis(200);
/// The most we read into memory of an XML answer (a listing page of 1,000 long keys fits).
const MAX_XML: u64 = 16 << 20;

/// A failed S3 request: what S3 said, or why it could not be asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    /// The HTTP status, if the server answered.
    pub status: Option<u16>,
    /// The S3 error code (`NoSuchKey`, `AccessDenied`, ...), if the answer had one.
    pub code: Option<String>,
    /// The whole sentence, lower-case start except for codes and names.
    pub message: String,
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A conditional GET.
#[derive(Debug, Clone, Copy)]
pub enum Condition<'a> {
    None,
    /// Answer `304 Not Modified` if the object still has this ETag (revalidating a cached copy).
    IfNoneMatch(&'a str),
    /// Fail with `412 PreconditionFailed` unless the object still has this ETag (the listing's).
    IfMatch(&'a str),
}

/// The answer to a GET.
pub enum Got {
    NotModified { etag: Option<String> },
    Object(Object),
}

/// An object's metadata and its body, not yet read.
pub struct Object {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub version_id: Option<String>,
    /// `Content-Length`, when the server sent one.
    pub length: Option<u64>,
    pub body: Box<dyn Read + Send>,
}

/// One object of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub key: String,
    pub etag: Option<String>,
    pub size: u64,
}

/// One page of a listing, and the token of the next page if there is one.
#[derive(Debug)]
pub struct Page {
    pub objects: Vec<Listed>,
    pub next: Option<String>,
}

/// A bucket at an endpoint, with the credentials to use on it.
pub struct Client {
    settings: Settings,
    bucket: Bucket,
}

/// The agent for this process: one, so connections are pooled across every S3 request.
fn shared_agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(agent::agent)
}

impl Client {
    pub fn new(settings: Settings, bucket: &str) -> Result<Client, String> {
        let bucket = settings.bucket(bucket)?;
        Ok(Client { settings, bucket })
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// GETs `key` (at `version`, if given) under `condition`.
    pub fn get_object(
        &self,
        key: &str,
        version: Option<&str>,
        condition: Condition<'_>,
    ) -> Result<Got, S3Error> {
        let creds = self.settings.credentials.as_ref();
        let mut action = self.bucket.get_object(creds, key);
        if let Some(version) = version {
            action.query_mut().insert("versionId", version);
        }
        let (reply, attempts) = self.call(&|| {
            let mut request = Request::get(action.sign(EXPIRY).as_str());
            match condition {
                Condition::None => {}
                Condition::IfNoneMatch(etag) => request = request.header("If-None-Match", etag),
                Condition::IfMatch(etag) => request = request.header("If-Match", etag),
            }
            request.body(&[][..])
        })?;
        let header = |name: &str| header(&reply, name);
        match reply.status().as_u16() {
            304 => Ok(Got::NotModified {
                etag: header("etag"),
            }),
            200..=299 => Ok(Got::Object(Object {
                etag: header("etag"),
                last_modified: header("last-modified"),
                version_id: header("x-amz-version-id"),
                length: header("content-length").and_then(|v| v.trim().parse().ok()),
                body: Box::new(reply.into_body().into_reader()),
            })),
            _ => Err(self.failure(reply, attempts)),
        }
    }

    /// One page of the objects whose keys start with `prefix`, at most `max_keys` of them
    /// (the server's page size, 1,000 on AWS, when `None`).
    pub fn list_page(
        &self,
        prefix: &str,
        token: Option<&str>,
        max_keys: Option<usize>,
    ) -> Result<Page, S3Error> {
        let mut action = self
            .bucket
            .list_objects_v2(self.settings.credentials.as_ref());
        if !prefix.is_empty() {
            action.with_prefix(prefix);
        }
        if let Some(token) = token {
            action.with_continuation_token(token);
        }
        if let Some(max) = max_keys {
            action.with_max_keys(max);
        }
        let (reply, attempts) =
            self.call(&|| Request::get(action.sign(EXPIRY).as_str()).body(&[][..]))?;
        let body = self.success_text(reply, attempts)?;
        let parsed = ListObjectsV2::parse_response(&body).map_err(|e| {
            protocol(format!(
                "could not read the listing of bucket `{}` from {}: {e}",
                self.bucket.name(),
                self.settings.endpoint
            ))
        })?;
        Ok(Page {
            objects: parsed
                .contents
                .into_iter()
                .map(|c| Listed {
                    key: c.key,
                    etag: c.etag,
                    size: c.size.unwrap_or(0),
                })
                .collect(),
            next: parsed.next_continuation_token,
        })
    }

    /// PUTs `body` as object `key`.
    pub fn put_object(&self, key: &str, body: &[u8]) -> Result<(), S3Error> {
        let action = self
            .bucket
            .put_object(self.settings.credentials.as_ref(), key);
        let (reply, attempts) =
            self.call(&|| Request::put(action.sign(EXPIRY).as_str()).body(body))?;
        self.success_text(reply, attempts).map(drop)
    }

    /// Starts a multipart upload of `key`; returns its upload id.
    pub fn create_multipart(&self, key: &str) -> Result<String, S3Error> {
        let action = self
            .bucket
            .create_multipart_upload(self.settings.credentials.as_ref(), key);
        let (reply, attempts) =
            self.call(&|| Request::post(action.sign(EXPIRY).as_str()).body(&[][..]))?;
        let body = self.success_text(reply, attempts)?;
        CreateMultipartUpload::parse_response(&body)
            .map(|r| r.upload_id().to_string())
            .map_err(|e| protocol(format!("could not read the new upload's id: {e}")))
    }

    /// Uploads part `number` (from 1) of an upload; returns the part's ETag.
    pub fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u16,
        body: &[u8],
    ) -> Result<String, S3Error> {
        let action =
            self.bucket
                .upload_part(self.settings.credentials.as_ref(), key, number, upload_id);
        let (reply, attempts) =
            self.call(&|| Request::put(action.sign(EXPIRY).as_str()).body(body))?;
        if !reply.status().is_success() {
            return Err(self.failure(reply, attempts));
        }
        header(&reply, "etag")
            .ok_or_else(|| protocol(format!("the server gave part {number} no ETag")))
    }

    /// Completes an upload from its parts' ETags, in order.
    pub fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        etags: &[String],
    ) -> Result<(), S3Error> {
        let creds = self.settings.credentials.as_ref();
        let parts = || etags.iter().map(String::as_str);
        let action = self
            .bucket
            .complete_multipart_upload(creds, key, upload_id, parts());
        let url = action.sign(EXPIRY);
        let xml_body = self
            .bucket
            .complete_multipart_upload(creds, key, upload_id, parts())
            .body();
        let (reply, attempts) =
            self.call(&|| Request::post(url.as_str()).body(xml_body.as_bytes()))?;
        // S3 may answer 200 and still have failed: the body tells.
        let body = self.success_text(reply, attempts)?;
        match xml::error(&body) {
            Some((code, message)) => Err(S3Error {
                status: Some(200),
                message: format!("{code}: {message}"),
                code: Some(code),
            }),
            None => Ok(()),
        }
    }

    /// Abandons an upload, so its parts stop being stored (and billed); best effort.
    pub fn abort_multipart(&self, key: &str, upload_id: &str) {
        let action =
            self.bucket
                .abort_multipart_upload(self.settings.credentials.as_ref(), key, upload_id);
        let _ = self.call(&|| Request::delete(action.sign(EXPIRY).as_str()).body(&[][..]));
    }

    /// Sends the request `make` builds (anew for each try: a fresh signature), retrying what
    /// may pass. Returns the last answer, and how many tries it took.
    fn call<'b>(
        &self,
        make: &dyn Fn() -> http::Result<Request<&'b [u8]>>,
    ) -> Result<(Response<ureq::Body>, u32), S3Error> {
        let mut attempt = 1;
        loop {
            let request = make().map_err(|e| protocol(format!("invalid request: {e}")))?;
            match shared_agent().run(request) {
                Ok(reply) if transient_status(reply.status().as_u16()) && attempt < ATTEMPTS => {}
                Ok(reply) => return Ok((reply, attempt)),
                Err(e) => {
                    let (message, transient) = transport(e);
                    if !transient || attempt == ATTEMPTS {
                        let tries = if attempt > 1 {
                            format!(" ({attempt} attempts)")
                        } else {
                            String::new()
                        };
                        return Err(S3Error {
                            status: None,
                            code: None,
                            message: format!(
                                "failed to reach {}: {message}{tries}",
                                self.settings.endpoint
                            ),
                        });
                    }
                }
            }
            std::thread::sleep(BACKOFF * 2u32.pow(attempt - 1));
            attempt += 1;
        }
    }

    /// The body of a successful answer as text; an error answer as an [`S3Error`].
    fn success_text(&self, reply: Response<ureq::Body>, attempts: u32) -> Result<String, S3Error> {
        if !reply.status().is_success() {
            return Err(self.failure(reply, attempts));
        }
        reply
            .into_body()
            .into_with_config()
            .limit(MAX_XML)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| {
                let (message, _) = transport(e);
                protocol(format!(
                    "failed to read the answer of {}: {message}",
                    self.settings.endpoint
                ))
            })
    }

    /// An error answer as an [`S3Error`]: its code and message, and a hint where one helps.
    fn failure(&self, reply: Response<ureq::Body>, attempts: u32) -> S3Error {
        let status = reply.status().as_u16();
        let bucket_region = header(&reply, "x-amz-bucket-region");
        let body = reply
            .into_body()
            .into_with_config()
            .limit(1 << 20)
            .lossy_utf8(true)
            .read_to_string()
            .unwrap_or_default();
        let parsed = xml::error(&body);
        let region = bucket_region.or_else(|| xml::leaf(&body, "Region"));
        let mut message = match &parsed {
            Some((code, text)) if text.is_empty() => format!("{code} (HTTP {status})"),
            Some((code, text)) => format!("{code}: {text} (HTTP {status})"),
            None => format!("HTTP {}", agent::status_text(status)),
        };
        let code = parsed.map(|(code, _)| code);
        if let Some(hint) = self.hint(status, code.as_deref(), region.as_deref()) {
            message.push_str("; ");
            message.push_str(&hint);
        }
        if attempts > 1 {
            message.push_str(&format!(" ({attempts} attempts)"));
        }
        S3Error {
            status: Some(status),
            code,
            message,
        }
    }

    /// What the user can do about an error: a wrong region, or credentials that did not pass.
    fn hint(&self, status: u16, code: Option<&str>, region: Option<&str>) -> Option<String> {
        if let Some(region) = region.filter(|r| *r != self.settings.region) {
            return Some(format!(
                "the bucket is in region {region}, not {}: set the job's Region (or AWS_REGION) \
                 to {region}",
                self.settings.region
            ));
        }
        let credentials = matches!(
            code,
            Some(
                "AccessDenied"
                    | "InvalidAccessKeyId"
                    | "SignatureDoesNotMatch"
                    | "ExpiredToken"
                    | "InvalidToken"
                    | "TokenRefreshRequired"
            )
        );
        if credentials || (code.is_none() && matches!(status, 401 | 403)) {
            return Some(self.settings.origin.to_string());
        }
        None
    }
}

/// A response header as text.
fn header(reply: &Response<ureq::Body>, name: &str) -> Option<String> {
    reply
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn protocol(message: String) -> S3Error {
    S3Error {
        status: None,
        code: None,
        message,
    }
}

/// Statuses S3 uses for "try again" (`InternalError`, `SlowDown`, gateways).
fn transient_status(status: u16) -> bool {
    matches!(status, 500 | 502 | 503 | 504)
}

/// A ureq error as a message, and whether it may pass on another try.
fn transport(error: ureq::Error) -> (String, bool) {
    agent::transport_error(error, agent::CONNECT_TIMEOUT, agent::READ_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(endpoint: &str, anonymous: bool) -> Client {
        let settings = Settings::resolve(Some(endpoint), None, &|name| match name {
            "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" if !anonymous => Some("x".into()),
            _ => None,
        })
        .unwrap();
        Client::new(settings, "bucket").unwrap()
    }

    /// A port nobody listens on: bound, then closed.
    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[test]
    fn a_closed_port_is_connection_refused_after_three_tries() {
        let endpoint = format!("http://127.0.0.1:{}", closed_port());
        let err = match client(&endpoint, false).get_object("k", None, Condition::None) {
            Err(e) => e,
            Ok(_) => panic!("a closed port answered"),
        };
        assert_eq!(
            err.message,
            format!("failed to reach {endpoint}: connection refused (3 attempts)")
        );
        assert_eq!((err.status, err.code), (None, None));
    }

    #[test]
    fn transport_errors_are_named_and_classified() {
        use std::io;
        let io = |kind| transport(ureq::Error::Io(io::Error::from(kind)));
        assert_eq!(
            io(io::ErrorKind::ConnectionRefused),
            ("connection refused".to_string(), true)
        );
        assert!(io(io::ErrorKind::ConnectionReset).1);
        assert!(!io(io::ErrorKind::PermissionDenied).1);
        assert_eq!(
            transport(ureq::Error::Timeout(ureq::Timeout::Connect)),
            ("timed out connecting (after 10s)".to_string(), true)
        );
        assert_eq!(
            transport(ureq::Error::HostNotFound),
            ("host not found".to_string(), false)
        );
        assert!(transient_status(503) && !transient_status(404) && !transient_status(403));
        assert_eq!(agent::status_text(404), "404 Not Found");
        assert_eq!(agent::status_text(599), "599");
    }

    #[test]
    fn hints_name_the_credentials_or_the_region() {
        let signed = client("http://127.0.0.1:1", false);
        assert_eq!(
            signed
                .hint(403, Some("SignatureDoesNotMatch"), None)
                .unwrap(),
            "credentials from AWS_ACCESS_KEY_ID"
        );
        assert_eq!(
            signed.hint(400, Some("InvalidAccessKeyId"), None).unwrap(),
            "credentials from AWS_ACCESS_KEY_ID"
        );
        assert_eq!(signed.hint(404, Some("NoSuchKey"), None), None);
        assert_eq!(
            signed
                .hint(301, Some("PermanentRedirect"), Some("eu-west-1"))
                .unwrap(),
            "the bucket is in region eu-west-1, not us-east-1: set the job's Region \
             (or AWS_REGION) to eu-west-1"
        );
        assert_eq!(
            signed.hint(403, None, Some("us-east-1")).unwrap(),
            "credentials from AWS_ACCESS_KEY_ID"
        );
        let anonymous = client("http://127.0.0.1:1", true);
        assert!(
            anonymous
                .hint(403, None, None)
                .unwrap()
                .starts_with("no credentials found")
        );
    }
}
