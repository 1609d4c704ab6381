//! The URIs of `bacalhau wasm run`'s flags: storage specs (`-i`, and module sources) as
//! `cmd/util/opts/storage_specconfig.go` reads them, and publisher specs (`-p`) as
//! `publisher_specconfig.go` does, written as the job's source and publisher parts.
//!
//! Owns: that grammar, and the pieces of Go's `net/url`, `path/filepath` and `strconv` it
//! leans on. Must not decide what a module or an input is: `wasm_run` does.

use std::collections::BTreeMap;

use super::super::export::{InputSource, SourceParam, SourceSpec};
use super::super::pflag::csv_record;
use super::super::quote::key;

pub(super) fn local_source(path: &str, read_write: bool) -> SourceSpec {
    SourceSpec {
        r#type: "localDirectory",
        params: BTreeMap::from([
            ("SourcePath".into(), SourceParam::Text(path.to_string())),
            ("ReadWrite".into(), SourceParam::Flag(read_write)),
        ]),
    }
}

/// A value meant as a storage spec: a URI with a scheme, or `key=value` fields.
pub(super) fn looks_like_storage_spec(value: &str) -> bool {
    let first = value.split(',').next().unwrap_or_default();
    scheme(first).is_some()
        || first.split_once('=').is_some_and(|(key, _)| {
            matches!(
                key.to_ascii_lowercase().as_str(),
                "source" | "src" | "target" | "dst" | "destination" | "opt" | "option"
            )
        })
}

/// The scheme of `scheme://...`, as RFC 3986 (and Go's url.Parse) spells one.
fn scheme(uri: &str) -> Option<&str> {
    let (scheme, _) = uri.split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// `ParseStorageSpec`: one CSV record, either `URI[:TARGET]` or `src=URI,dst=PATH,opt=K=V`
/// fields (the first may be the short form), into an input source whose Alias is the URI.
pub(super) fn storage_spec(value: &str, default_target: &str) -> Result<InputSource, String> {
    let fields = csv_record(value)?;
    let mut uri = String::new();
    let mut target = default_target.to_string();
    let mut options = Vec::new();
    for (i, field) in fields.iter().enumerate() {
        let Some((key, val)) = field.split_once('=') else {
            if i > 0 {
                return Err(format!(
                    "invalid storage option: {field}. Must be a key=value pair"
                ));
            }
            (uri, target) = short_form(field, &target)?;
            continue;
        };
        match key.to_ascii_lowercase().as_str() {
            "source" | "src" => uri = val.to_string(),
            "target" | "dst" | "destination" => target = val.to_string(),
            "opt" | "option" => match val.split_once('=') {
                Some((k, v)) if !k.is_empty() => options.push((k.to_string(), v.to_string())),
                None if !val.is_empty() => options.push((val.to_string(), String::new())),
                _ => {}
            },
            other => return Err(format!("unexpected key {other} in field {field}")),
        }
    }
    let alias = uri.trim().to_string();
    let uri = uri.trim_matches([' ', '\'', '"']);
    let target = target.trim_matches([' ', '\'', '"']).to_string();
    let source = match scheme(uri).map(str::to_ascii_lowercase).as_deref() {
        Some("ipfs") => SourceSpec {
            r#type: "ipfs",
            params: text_params([("CID", host(uri))]),
        },
        Some("http" | "https") => SourceSpec {
            r#type: "urlDownload",
            params: text_params([("URL", uri.to_string())]),
        },
        Some("s3") => s3_source(uri, &options)?,
        Some("file") => {
            let mut read_write = false;
            for (key, value) in &options {
                match key.as_str() {
                    "rw" | "read-write" | "read_write" | "readwrite" => {
                        read_write = go_bool(value).ok_or_else(|| {
                            format!(
                                "failed to parse read-write option: {}",
                                key_value(key, value)
                            )
                        })?
                    }
                    _ => return Err(format!("unknown option {key}")),
                }
            }
            // Go's filepath.Join(host, path): `file://./data` is `data`, `file:///d` is `/d`.
            let joined = format!("{}{}", host(uri), path(uri));
            local_source(&clean(&joined), read_write)
        }
        Some(scheme @ ("git" | "gitlfs")) => return Err(format!("unsupported type: {scheme}")),
        Some(other) => {
            return Err(format!(
                "unknown storage schema: {other} (expected s3, http, https, ipfs or file)"
            ));
        }
        None if uri.is_empty() => return Err("no source: write URI[:TARGET] or src=URI".into()),
        None => {
            return Err(format!(
                "{} is not a URI: write s3://BUCKET/KEY, http(s)://..., ipfs://CID or file://PATH",
                key(uri)
            ));
        }
    };
    Ok(InputSource {
        alias,
        target,
        source,
    })
}

/// `URI:TARGET`: the last `:` after the scheme's `://` starts the target. A port (`host:8080`)
/// would be taken for the target, so that is refused.
fn short_form(field: &str, default_target: &str) -> Result<(String, String), String> {
    let (prefix, rest) = match scheme(field) {
        Some(scheme) => field.split_at(scheme.len() + 3),
        None => ("", field),
    };
    let Some(index) = rest.rfind(':') else {
        return Ok((field.to_string(), default_target.to_string()));
    };
    let after = &rest[index + 1..];
    let port = after.split('/').next().unwrap_or_default();
    let in_authority = rest.find('/').is_none_or(|slash| index < slash);
    if in_authority && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "Bacalhau reads {} as the target: a URI with a port needs the long form, \
             src=URI,dst=PATH",
            key(after)
        ));
    }
    Ok((
        format!("{prefix}{}", &rest[..index]),
        rest[index + 1..].to_string(),
    ))
}

/// The host of `scheme://host/path?query`.
fn host(uri: &str) -> String {
    let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The path of `scheme://host/path?query#fragment`, percent-decoded as Go's url.Parse does.
fn path(uri: &str) -> String {
    let rest = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let rest = &rest[rest.find('/').unwrap_or(rest.len())..];
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    percent_encoding::percent_decode_str(rest)
        .decode_utf8_lossy()
        .into_owned()
}

/// Go's `filepath.Clean` for the paths a `file://` URI gives: `./a//b/` -> `a/b`.
fn clean(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            part => parts.push(part),
        }
    }
    match (absolute, parts.is_empty()) {
        (true, _) => format!("/{}", parts.join("/")),
        (false, true) => ".".into(),
        (false, false) => parts.join("/"),
    }
}

/// An `s3://BUCKET/KEY` source and its `opt=` options.
fn s3_source(uri: &str, options: &[(String, String)]) -> Result<SourceSpec, String> {
    let mut params = text_params([
        ("Bucket", host(uri)),
        ("Key", path(uri).trim_start_matches('/').to_string()),
    ]);
    for (key, value) in options {
        let name = match key.as_str() {
            "endpoint" => "Endpoint",
            "region" => "Region",
            "versionID" | "version-id" | "version_id" => "VersionID",
            "checksum-256" | "checksum256" | "checksum_256" => "ChecksumSHA256",
            "filter" => "Filter",
            _ => {
                return Err(format!(
                    "unknown option {} for storage s3",
                    key_value(key, value)
                ));
            }
        };
        params.insert(name.into(), SourceParam::Text(value.clone()));
    }
    Ok(SourceSpec {
        r#type: "s3",
        params,
    })
}

fn key_value(key: &str, value: &str) -> String {
    format!("{key}={value}")
}

fn text_params<const N: usize>(pairs: [(&str, String); N]) -> BTreeMap<String, SourceParam> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), SourceParam::Text(v)))
        .collect()
}

/// Go's `strconv.ParseBool`.
fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// `-p TYPE` or `-p s3://BUCKET/KEY,opt=region=...`, as `PublisherSpecConfigOpt` reads it.
pub(super) fn publisher(value: &str) -> Result<SourceSpec, String> {
    let mut destination = String::new();
    let mut options = BTreeMap::new();
    for (i, field) in csv_record(value)?.iter().enumerate() {
        match field.split_once('=') {
            None if i == 0 => destination = field.clone(),
            None => {
                return Err(format!(
                    "invalid publisher option: {field}. Must be a key=value pair"
                ));
            }
            Some((key, val)) => match key.to_ascii_lowercase().as_str() {
                "target" | "dst" | "destination" => destination = val.to_string(),
                "opt" | "option" => {
                    if let Some((k, v)) = val.split_once('=').filter(|(k, _)| !k.is_empty()) {
                        options.insert(k.to_string(), SourceParam::Text(v.to_string()));
                    }
                }
                _ => return Err(format!("invalid publisher option: {field}")),
            },
        }
    }
    let destination = destination.trim_matches([' ', '\'', '"']);
    // Go's url.Parse lowercases a scheme (`S3://b/k`), but a bare type is compared as
    // written: Bacalhau refuses `-p IPFS` and `-p Local`, and so does bolinho.
    let kind = match scheme(destination) {
        Some(scheme) => scheme.to_ascii_lowercase(),
        None => destination.to_string(),
    };
    let r#type = match kind.as_str() {
        "ipfs" => "ipfs",
        "local" => "local",
        "s3managed" => "s3managed",
        "s3" => {
            // The URI's bucket and key, unless an option gave them.
            options
                .entry("bucket".into())
                .or_insert_with(|| SourceParam::Text(host(destination)));
            options.entry("key".into()).or_insert_with(|| {
                SourceParam::Text(path(destination).trim_start_matches('/').to_string())
            });
            "s3"
        }
        "" => return Err("no publisher type: expected local, ipfs, s3 or s3managed".into()),
        _ => {
            return Err(format!(
                "unknown publisher type: {kind} (expected local, ipfs, s3 or s3managed)"
            ));
        }
    };
    if r#type != "s3" {
        options.clear();
    }
    Ok(SourceSpec {
        r#type,
        params: options,
    })
}
