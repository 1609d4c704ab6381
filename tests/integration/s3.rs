//! S3 sources and the S3 publisher against a real S3-compatible server (moto), which `test.sh`
//! starts and names in `BOLINHO_TEST_S3_ENDPOINT`. Without that variable these tests fail,
//! unless `BOLINHO_SKIP_S3=1` says to skip them: CI can never skip them silently.
//!
//! Buckets and objects are made with rusty-s3 and ureq directly, not with bolinho's own client,
//! so a bug there cannot hide itself. moto accepts any credentials; each run of bolinho gets
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` explicitly, and a `HOME` of its own, so nothing
//! from the developer's AWS configuration leaks in.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use sha2::{Digest, Sha256};

use crate::support::{self, Output, TempDir, testdata};

mod cache;
mod kubernetes;
mod objects;
mod prefixes;
mod publish;

const EXPIRY: Duration = Duration::from_secs(600);

/// The test server, or `None` when the S3 tests are skipped on purpose.
pub(super) fn server() -> Option<S3> {
    if std::env::var("BOLINHO_SKIP_S3").is_ok_and(|v| v == "1") {
        eprintln!("skipped: BOLINHO_SKIP_S3=1");
        return None;
    }
    let endpoint = std::env::var("BOLINHO_TEST_S3_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "BOLINHO_TEST_S3_ENDPOINT is not set: run ./test.sh, which starts an S3 server \
             (moto) for these tests, or set BOLINHO_SKIP_S3=1 to skip them"
        )
    });
    Some(S3 {
        endpoint: endpoint.trim_end_matches('/').to_string(),
        credentials: Credentials::new("test-key", "test-secret"),
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into(),
    })
}

/// A minimal S3 client for setting up and checking the server.
pub(super) struct S3 {
    pub(super) endpoint: String,
    credentials: Credentials,
    agent: ureq::Agent,
}

impl S3 {
    /// A new bucket, named uniquely for this test process.
    pub(super) fn new_bucket(&self, name: &str) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let bucket = format!("{name}-{}-{n}-{}", std::process::id(), secs % 100_000);
        let b = self.bucket(&bucket);
        let url = b.create_bucket(&self.credentials).sign(EXPIRY);
        self.expect_ok(self.agent.put(url.as_str()).send(&[][..]), "create bucket");
        bucket
    }

    pub(super) fn bucket(&self, name: &str) -> Bucket {
        Bucket::new(
            self.endpoint.parse().unwrap(),
            UrlStyle::Path,
            name.to_string(),
            "us-east-1",
        )
        .unwrap()
    }

    pub(super) fn expect_ok(
        &self,
        reply: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        what: &str,
    ) -> ureq::http::Response<ureq::Body> {
        let mut reply = reply.unwrap_or_else(|e| panic!("{what}: {e}"));
        if !reply.status().is_success() {
            let body = reply.body_mut().read_to_string().unwrap_or_default();
            panic!("{what}: HTTP {}: {body}", reply.status());
        }
        reply
    }

    /// Puts an object; returns its version id, if the bucket keeps versions.
    pub(super) fn put(&self, bucket: &str, key: &str, body: &[u8]) -> Option<String> {
        let b = self.bucket(bucket);
        let url = b.put_object(Some(&self.credentials), key).sign(EXPIRY);
        let reply = self.expect_ok(self.agent.put(url.as_str()).send(body), "put object");
        reply
            .headers()
            .get("x-amz-version-id")
            .map(|v| v.to_str().unwrap().to_string())
    }

    /// Puts an object anyone may read.
    pub(super) fn put_public(&self, bucket: &str, key: &str, body: &[u8]) {
        let b = self.bucket(bucket);
        let mut action = b.put_object(Some(&self.credentials), key);
        action.headers_mut().insert("x-amz-acl", "public-read");
        let url = action.sign(EXPIRY);
        self.expect_ok(
            self.agent
                .put(url.as_str())
                .header("x-amz-acl", "public-read")
                .send(body),
            "put public object",
        );
    }

    pub(super) fn get(&self, bucket: &str, key: &str) -> Option<Vec<u8>> {
        let b = self.bucket(bucket);
        let url = b.get_object(Some(&self.credentials), key).sign(EXPIRY);
        let mut reply = self.agent.get(url.as_str()).call().unwrap();
        match reply.status().as_u16() {
            200 => Some(
                reply
                    .body_mut()
                    .with_config()
                    .limit(1 << 30)
                    .read_to_vec()
                    .unwrap(),
            ),
            404 => None,
            other => panic!("get {key}: HTTP {other}"),
        }
    }

    /// The object's ETag (a multipart upload's is `"<md5>-<parts>"`).
    pub(super) fn etag(&self, bucket: &str, key: &str) -> String {
        let b = self.bucket(bucket);
        let url = b.head_object(Some(&self.credentials), key).sign(EXPIRY);
        let reply = self.expect_ok(self.agent.head(url.as_str()).call(), "head object");
        reply.headers()["etag"].to_str().unwrap().to_string()
    }

    pub(super) fn delete(&self, bucket: &str, key: &str) {
        let b = self.bucket(bucket);
        let url = b.delete_object(Some(&self.credentials), key).sign(EXPIRY);
        self.expect_ok(self.agent.delete(url.as_str()).call(), "delete object");
    }

    /// Every key in the bucket, sorted.
    pub(super) fn keys(&self, bucket: &str) -> Vec<String> {
        let b = self.bucket(bucket);
        let url = b.list_objects_v2(Some(&self.credentials)).sign(EXPIRY);
        let mut reply = self.expect_ok(self.agent.get(url.as_str()).call(), "list");
        let body = reply.body_mut().read_to_string().unwrap();
        let parsed = rusty_s3::actions::ListObjectsV2::parse_response(&body).unwrap();
        assert!(
            parsed.next_continuation_token.is_none(),
            "more than one page"
        );
        let mut keys: Vec<String> = parsed.contents.into_iter().map(|c| c.key).collect();
        keys.sort();
        keys
    }

    pub(super) fn enable_versioning(&self, bucket: &str) {
        let b = self.bucket(bucket);
        let mut action = b.create_bucket(&self.credentials);
        action.query_mut().insert("versioning", "");
        let url = action.sign(EXPIRY);
        let body = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                    <Status>Enabled</Status></VersioningConfiguration>";
        self.expect_ok(
            self.agent.put(url.as_str()).send(body.as_bytes()),
            "enable versioning",
        );
    }
}

/// Runs bolinho in `dir` with test credentials (unless `env` removes them by setting them
/// empty) and a HOME, cache and AWS configuration of its own.
pub(super) fn bolinho(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    support::output(bolinho_command(dir, args, env).output().unwrap())
}

/// `support::command` with test credentials and `HOME` in `dir` (no shared credentials file),
/// which `env` may override. A `run` gets `--quiet-portability`: the portability note is
/// `portable.rs`'s subject, not S3's.
pub(super) fn bolinho_command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut args = args.to_vec();
    if args.first() == Some(&"run") {
        args.insert(1, "--quiet-portability");
    }
    let home = dir.display().to_string();
    let defaults = [
        ("HOME", home.as_str()),
        ("AWS_ACCESS_KEY_ID", "test-key"),
        ("AWS_SECRET_ACCESS_KEY", "test-secret"),
    ];
    support::command(dir, &args, &[&defaults[..], env].concat())
}

/// Writes `job.yaml` (with `{E}` replaced by the endpoint and `{B}` by the bucket).
pub(super) fn job(dir: &TempDir, s3: &S3, bucket: &str, yaml: &str) -> String {
    let text = yaml.replace("{E}", &s3.endpoint).replace("{B}", bucket);
    dir.write("job.yaml", text).display().to_string()
}

/// Runs `job.yaml` in `dir` with results in `dir/<results>`.
pub(super) fn run_job(
    dir: &TempDir,
    results: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let results = dir.join(results).display().to_string();
    let mut args = vec!["run", "job.yaml", "--results", &results];
    args.extend(extra);
    bolinho(dir.path(), &args, env)
}

pub(super) fn wasm(name: &str) -> Vec<u8> {
    std::fs::read(testdata(&format!("wasm/{name}"))).unwrap()
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One object as the entry module, another as an input file. Each is a directory at its
/// Target holding the object under its key's last segment, as in Bacalhau: the module is
/// `/app/cat.wasm/cat.wasm`, which `EntryModule: /app/cat.wasm` (a module directory) finds.
pub(super) const CAT_OBJECT_AND_INPUT: &str = "Name: s3-object
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: /app/cat.wasm, Parameters: [/data/poem.txt]}}
    InputSources:
      - Target: /app/cat.wasm
        Source: {Type: s3, Params: {Bucket: {B}, Key: modules/cat.wasm, Endpoint: '{E}'}}
      - Target: /data
        Source: {Type: s3, Params: {Bucket: {B}, Key: texts/poem.txt, Endpoint: '{E}'}}
";

/// Puts the objects of the prefix tests: more than one page at `BOLINHO_S3_PAGE_SIZE=2`.
pub(super) fn prefix_bucket(s3: &S3, name: &str) -> String {
    let bucket = s3.new_bucket(name);
    s3.put(&bucket, "app/cat.wasm", &wasm("cat.wasm"));
    s3.put(&bucket, "app/transform.wasm", &wasm("transform.wasm"));
    for (key, body) in [
        ("data/a.txt", "alpha\n"),
        ("data/b.csv", "beta\n"),
        ("data/empty/", ""),
        ("data/sub/c.csv", "gamma\n"),
        ("data/sub/deeper/d.txt", "delta\n"),
        ("database.txt", "not below data/\n"),
        ("other/x.txt", "outside\n"),
    ] {
        s3.put(&bucket, key, body.as_bytes());
    }
    bucket
}

pub(super) const PREFIX_JOB: &str = "Name: s3-prefix
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: /app/cat.wasm, Parameters: [ARGS]}}
    InputSources:
      - Target: /app
        Source: {Type: s3, Params: {Bucket: {B}, Key: app/, Endpoint: '{E}'}}
      - Target: /data
        Source: {Type: s3, Params: {Bucket: {B}, Key: 'KEY', Endpoint: '{E}'FILTER}}
";

pub(super) fn prefix_job(
    dir: &TempDir,
    s3: &S3,
    bucket: &str,
    key: &str,
    filter: &str,
    args: &str,
) {
    let filter = if filter.is_empty() {
        String::new()
    } else {
        format!(", Filter: '{filter}'")
    };
    let yaml = PREFIX_JOB
        .replace("KEY", key)
        .replace("FILTER", &filter)
        .replace("ARGS", args);
    job(dir, s3, bucket, &yaml);
}
