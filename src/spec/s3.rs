//! S3 parameters (compat §3; README "S3: sources and publishing"): what a job may write for an
//! `s3` source and for the S3 publisher, read with each value's line, so that `validate`
//! refuses what a run would.
//!
//! Owns the grammar of `Bucket`, `Key`, `Endpoint` and `Region`, and the rule of which
//! parameters a Key's shape takes (`Filter` for a prefix; `VersionID` and `ChecksumSHA256` for
//! one object). `Filter` and `ChecksumSHA256` are parsed by their own modules, into the values
//! the plan holds. `check` applies the same rules to a receipt's plan. What the host adds (an
//! endpoint or a region from the environment, credentials) is `fetch::s3`'s to read when the
//! job runs; it reads an endpoint from the environment with [`endpoint`], the one rule.

use rusty_s3::{Bucket, UrlStyle};

use super::SpecError;
use super::checksum::Checksum;
use super::filter::{self, Filter};
use super::plan::{Publisher, S3Source};
use super::quote::quote;
use super::reader::{Ctx, Field, MapReader, join};
use super::source::optional;

/// Reads an `s3` source's Params, `bucket` being its `Bucket`.
pub(crate) fn read_source(
    bucket: &Field,
    p: &mut MapReader,
    ctx: &Ctx,
) -> Result<S3Source, SpecError> {
    let bucket = checked(bucket, ctx, bucket_name)?;
    let key = match param(p, "Key", ctx)? {
        Some((key, f)) => {
            source_key(&key).map_err(|message| f.error(ctx, message))?;
            key
        }
        None => String::new(),
    };
    let fits = |name: &str, f: &Field| fits_key(name, &key).map_err(|m| f.error(ctx, m));
    let filter = match param(p, "Filter", ctx)? {
        Some((pattern, f)) => {
            fits("Filter", &f)?;
            let filter = Filter::new(&pattern);
            Some(filter.map_err(|e| f.error(ctx, filter::invalid(&pattern, &e)))?)
        }
        None => None,
    };
    let (region, endpoint) = read_location(p, ctx)?;
    let version_id = match param(p, "VersionID", ctx)? {
        Some((version, f)) => {
            fits("VersionID", &f)?;
            Some(version)
        }
        None => None,
    };
    let checksum_sha256 = match param(p, "ChecksumSHA256", ctx)? {
        Some((text, f)) => {
            fits("ChecksumSHA256", &f)?;
            Some(Checksum::parse(&text).map_err(|message| f.error(ctx, message))?)
        }
        None => None,
    };
    Ok(S3Source {
        bucket,
        key,
        filter,
        region,
        endpoint,
        version_id,
        checksum_sha256,
    })
}

/// Reads the S3 publisher's Params (`params_path` names them). The other keys (`Compress`,
/// `Encoding`, ...) belong to Bacalhau's publisher and are left to the caller.
pub(crate) fn read_publisher(
    p: &mut MapReader,
    params_path: &str,
    ctx: &Ctx,
) -> Result<Publisher, SpecError> {
    let Some(bucket) = p.get("Bucket") else {
        return Err(ctx.error(p.line(), &join(params_path, "Bucket"), "required"));
    };
    let bucket = checked(&bucket, ctx, bucket_name)?;
    let key = match param(p, "Key", ctx)? {
        Some((key, f)) => {
            publisher_key(&key).map_err(|message| f.error(ctx, message))?;
            key
        }
        None => String::new(),
    };
    let (region, endpoint) = read_location(p, ctx)?;
    Ok(Publisher::S3 {
        bucket,
        key,
        region,
        endpoint,
    })
}

/// `Region` and `Endpoint`, as written.
fn read_location(
    p: &mut MapReader,
    ctx: &Ctx,
) -> Result<(Option<String>, Option<String>), SpecError> {
    let region = match param(p, "Region", ctx)? {
        Some((text, f)) => Some(checked_text(text, &f, ctx, region)?),
        None => None,
    };
    let endpoint = match param(p, "Endpoint", ctx)? {
        Some((text, f)) => Some(checked_text(text, &f, ctx, |e| endpoint(e).map(drop))?),
        None => None,
    };
    Ok((region, endpoint))
}

/// An optional parameter and where it is; an empty string is absent, as in Go.
fn param<'n>(
    p: &mut MapReader<'n>,
    key: &str,
    ctx: &Ctx,
) -> Result<Option<(String, Field<'n>)>, SpecError> {
    match p.get(key) {
        Some(f) => Ok(optional(f.string(ctx)?).map(|text| (text, f))),
        None => Ok(None),
    }
}

/// The string at `field`, which `rule` accepts.
fn checked(
    field: &Field,
    ctx: &Ctx,
    rule: impl Fn(&str) -> Result<(), String>,
) -> Result<String, SpecError> {
    checked_text(field.string(ctx)?, field, ctx, rule)
}

fn checked_text(
    text: String,
    field: &Field,
    ctx: &Ctx,
    rule: impl Fn(&str) -> Result<(), String>,
) -> Result<String, SpecError> {
    rule(&text).map_err(|message| field.error(ctx, message))?;
    Ok(text)
}

/// Whether a Key names a prefix (every object below it) rather than one object: it ends in
/// `/` or `*`, or is empty (the whole bucket).
pub(crate) fn is_prefix(key: &str) -> bool {
    key.is_empty() || key.ends_with('/') || key.ends_with('*')
}

/// A `Bucket`: required (blank is as good as none), and not `.` or `..`, which a path-style
/// URL would resolve away. The rest of S3's naming rules is the server's to apply:
/// S3-compatible servers differ in them, and Bacalhau checks no more.
pub(crate) fn bucket_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("required".into());
    }
    if name == "." || name == ".." {
        return Err(format!(
            "{} cannot be a bucket name: a URL resolves it away",
            quote(name)
        ));
    }
    Ok(())
}

/// A source's `Key`: no `.` or `..` segment, which a URL resolves (path-style, `x/../../b`
/// would even name another bucket). A prefix's last segment is only the start of the names
/// below it (`data/.*` keeps `data/.env`), so only its complete segments count.
pub(crate) fn source_key(key: &str) -> Result<(), String> {
    let segments: Vec<&str> = key.split('/').collect();
    let complete = match is_prefix(key) {
        true => &segments[..segments.len() - 1],
        false => &segments[..],
    };
    addressable(key, complete)
}

/// The publisher's `Key`: the prefix every result's path is put below, so every segment
/// counts. (Its placeholders expand to ids, the host's name and digits, never to `.` or `..`.)
pub(crate) fn publisher_key(key: &str) -> Result<(), String> {
    addressable(key, &key.split('/').collect::<Vec<_>>())
}

fn addressable(key: &str, segments: &[&str]) -> Result<(), String> {
    if segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(format!(
            "{} has a `.` or `..` segment, which an S3 URL cannot address",
            quote(key)
        ));
    }
    Ok(())
}

/// Whether `param` (`Filter`, `VersionID` or `ChecksumSHA256`) applies to a source whose Key
/// is `key`: a Filter chooses among the objects of a prefix; a version and a checksum are
/// those of one object. A parameter that would be ignored is an error, not a silent no-op
/// (an ignored checksum must not pass for a checked one).
pub(crate) fn fits_key(param: &str, key: &str) -> Result<(), String> {
    match (param, is_prefix(key)) {
        ("Filter", false) => Err(format!(
            "Filter applies to a prefix (a Key ending in `/` or `*`, or no Key); Key {} names \
             one object",
            quote(key)
        )),
        ("Filter", true) | (_, false) => Ok(()),
        (_, true) => Err(format!(
            "{param} applies to one object; Key {} is a prefix",
            quote(key)
        )),
    }
}

/// An S3 endpoint (`Endpoint`, and `$AWS_ENDPOINT_URL_S3` or `$AWS_ENDPOINT_URL` when the job
/// has none): an `http://` or `https://` URL with a host, at which the S3 client (rusty-s3)
/// can address a bucket; checked by making that address, so what passes here the client
/// takes. Returned as requests use it: without surrounding blanks or a trailing `/`.
pub fn endpoint(text: &str) -> Result<String, String> {
    let url = text.trim();
    let (scheme, rest) = url.split_once("://").unwrap_or_default();
    let http = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    if !http || rest.is_empty() || rest.starts_with('/') {
        return Err(format!(
            "{} must be an http:// or https:// URL, e.g. http://127.0.0.1:9000",
            quote(url)
        ));
    }
    let url = url.trim_end_matches('/');
    let not_a_url = |why: String| format!("{} is not a URL: {why}", quote(url));
    let parsed = url.parse().map_err(|e| not_a_url(format!("{e}")))?;
    Bucket::new(parsed, UrlStyle::Path, "bucket", "us-east-1")
        .map_err(|e| not_a_url(e.to_string()))?;
    Ok(url.to_string())
}

/// A `Region`: one DNS label, as the AWS SDKs require of a region (`isValidHostLabel`):
/// ASCII letters, digits and `-`, at most 63, not starting or ending with `-`. It is part of
/// AWS's host name (`s3.<region>.amazonaws.com`) and of every request's signature.
pub(crate) fn region(text: &str) -> Result<(), String> {
    let label = !text.is_empty()
        && text.len() <= 63
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-');
    if !label {
        return Err(format!(
            "{} is not a region: use letters, digits and `-` (at most 63), not starting or \
             ending with `-`, e.g. eu-west-1",
            quote(text)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tree::parse;
    use super::*;

    fn source(params: &str) -> Result<S3Source, String> {
        let node = parse(params).unwrap();
        let ctx = Ctx::new(Path::new("job.yaml"), true, &[]);
        let mut p = Field::root(&node).map(&ctx).unwrap();
        let bucket = p.require("Bucket", &ctx).unwrap();
        read_source(&bucket, &mut p, &ctx).map_err(|e| e.to_string())
    }

    fn publisher(params: &str) -> Result<Publisher, String> {
        let node = parse(params).unwrap();
        let ctx = Ctx::new(Path::new("job.yaml"), true, &[]);
        let mut p = Field::root(&node).map(&ctx).unwrap();
        read_publisher(&mut p, "Params", &ctx).map_err(|e| e.to_string())
    }

    #[test]
    fn prefixes_end_in_a_slash_or_a_star_or_are_empty() {
        for key in ["", "dir/", "dir/file-*", "*"] {
            assert!(is_prefix(key), "{key}");
        }
        for key in ["file", "dir/file.txt", "a*b"] {
            assert!(!is_prefix(key), "{key}");
        }
    }

    #[test]
    fn a_source_reads_its_parameters() {
        let s = source(
            "Bucket: b\nKey: k/*\nFilter: '\\.csv$'\nRegion: eu-west-1\nEndpoint: 'http://h:9/'\n",
        )
        .unwrap();
        assert_eq!(s.prefix(), Some("k/"));
        assert_eq!(s.filter.as_ref().map(Filter::pattern), Some("\\.csv$"));
        assert_eq!(s.endpoint.as_deref(), Some("http://h:9/"), "as written");
        let s = source("Bucket: b\nKey: k\nVersionID: v\nChecksumSHA256: ''\n").unwrap();
        assert_eq!((s.prefix(), s.version_id.as_deref()), (None, Some("v")));
        assert_eq!(s.checksum_sha256, None, "empty is absent");
    }

    #[test]
    fn parameters_for_the_other_shape_are_errors_at_their_line() {
        let err = |params: &str| source(params).unwrap_err();
        assert_eq!(
            err("Bucket: bk\nKey: one.txt\nFilter: '.*'\n"),
            "job.yaml:3: Filter: Filter applies to a prefix (a Key ending in `/` or `*`, or no \
             Key); Key `one.txt` names one object"
        );
        assert_eq!(
            err("Bucket: bk\nKey: dir/\nVersionID: v1\n"),
            "job.yaml:3: VersionID: VersionID applies to one object; Key `dir/` is a prefix"
        );
        assert_eq!(
            err("Bucket: bk\nChecksumSHA256: abc\n"),
            "job.yaml:2: ChecksumSHA256: ChecksumSHA256 applies to one object; Key `` is a prefix"
        );
        assert_eq!(
            err("Bucket: bk\nKey: dir/\nFilter: (\n"),
            "job.yaml:3: Filter: invalid regular expression `(`: missing `)` for the group at \
             offset 0"
        );
        assert_eq!(
            err("Bucket: bk\nKey: k\nChecksumSHA256: abc\n"),
            "job.yaml:3: ChecksumSHA256: `abc` is neither 64 hex digits nor the base64 of a \
             sha256 (44 characters)"
        );
    }

    #[test]
    fn values_that_cannot_be_requested_are_errors_at_their_line() {
        let err = |params: &str| source(params).unwrap_err();
        assert_eq!(err("Bucket: ' '\n"), "job.yaml:1: Bucket: required");
        assert_eq!(
            err("Bucket: '..'\n"),
            "job.yaml:1: Bucket: `..` cannot be a bucket name: a URL resolves it away"
        );
        assert_eq!(
            err("Bucket: b\nKey: a/../b\n"),
            "job.yaml:2: Key: `a/../b` has a `.` or `..` segment, which an S3 URL cannot address"
        );
        assert_eq!(
            err("Bucket: b\nKey: ./\n"),
            "job.yaml:2: Key: `./` has a `.` or `..` segment, which an S3 URL cannot address"
        );
        assert_eq!(
            err("Bucket: b\nRegion: eu west\n"),
            "job.yaml:2: Region: `eu west` is not a region: use letters, digits and `-` (at most \
             63), not starting or ending with `-`, e.g. eu-west-1"
        );
        assert_eq!(
            err("Bucket: b\nEndpoint: 'ftp://x'\n"),
            "job.yaml:2: Endpoint: `ftp://x` must be an http:// or https:// URL, e.g. \
             http://127.0.0.1:9000"
        );
        assert_eq!(
            err("Bucket: b\nEndpoint: 'http://a b'\n"),
            "job.yaml:2: Endpoint: `http://a b` is not a URL: invalid international domain name"
        );
    }

    #[test]
    fn a_prefix_keeps_names_starting_with_dots() {
        for key in ["data/.*", "data/..*", ".*", "*", "", "a//b/"] {
            assert_eq!(source_key(key), Ok(()), "{key}");
        }
        for key in ["data/../", "./x", "a/.", "a/./b/*", ".."] {
            assert!(source_key(key).is_err(), "{key}");
        }
        for key in ["runs/..", "runs/./", "../other/"] {
            assert!(publisher_key(key).is_err(), "{key}");
        }
        for key in ["", "runs/", "runs/{jobID}", ".hidden/"] {
            assert_eq!(publisher_key(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn the_publisher_reads_its_parameters() {
        assert_eq!(
            publisher("Bucket: b\nKey: 'runs/{jobID}'\nRegion: us-east-1\n"),
            Ok(Publisher::S3 {
                bucket: "b".into(),
                key: "runs/{jobID}".into(),
                region: Some("us-east-1".into()),
                endpoint: None,
            })
        );
        assert_eq!(
            publisher("Key: k\n"),
            Err("job.yaml:1: Params.Bucket: required".into())
        );
        assert_eq!(
            publisher("Bucket: b\nKey: ../other/\n"),
            Err(
                "job.yaml:2: Key: `../other/` has a `.` or `..` segment, which an S3 URL cannot \
                 address"
                    .into()
            )
        );
        assert_eq!(
            publisher("Bucket: b\nEndpoint: 'localhost:9000'\n"),
            Err(
                "job.yaml:2: Endpoint: `localhost:9000` must be an http:// or https:// URL, e.g. \
                 http://127.0.0.1:9000"
                    .into()
            )
        );
    }

    #[test]
    fn endpoints_are_http_urls_with_a_host() {
        assert_eq!(
            endpoint(" HTTP://job:3/base/ "),
            Ok("HTTP://job:3/base".into())
        );
        assert_eq!(
            endpoint("https://[::1]:9000"),
            Ok("https://[::1]:9000".into())
        );
        for bad in ["localhost:9000", "ftp://x", "http://", "http:///x", ""] {
            assert_eq!(
                endpoint(bad),
                Err(format!(
                    "`{bad}` must be an http:// or https:// URL, e.g. http://127.0.0.1:9000"
                ))
            );
        }
        assert_eq!(
            endpoint("http://h:99999"),
            Err("`http://h:99999` is not a URL: invalid port number".into())
        );
    }

    #[test]
    fn regions_are_one_dns_label() {
        for ok in ["us-east-1", "eu-west-1", "garage", "X1"] {
            assert_eq!(region(ok), Ok(()), "{ok}");
        }
        for bad in ["", "eu west", "-a", "a-", "a.b", "a/b", &"a".repeat(64)] {
            assert!(region(bad).is_err(), "{bad}");
        }
    }
}
