//! Unit tests of the S3 source that need no server: parameter checks, checksums, paths, cache
//! keys and `--offline`. The integration tests (`tests/integration/s3.rs`) run against moto.

use std::fs;

use super::checksum::decode_base64;
use super::*;
use crate::fetch::test_util::TempDir;
use crate::fetch::{Cache, Options, Workspace};

const HELLO_SHA: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
const HELLO_B64: &str = "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM=";

fn source(key: &str) -> S3Source {
    S3Source {
        bucket: "bk".into(),
        key: key.into(),
        filter: None,
        region: None,
        endpoint: Some("http://127.0.0.1:9".into()),
        version_id: None,
        checksum_sha256: None,
    }
}

fn checked(s: S3Source) -> Result<Shape, String> {
    Shape::check(&s)
}

#[test]
fn prefixes_end_in_a_slash_or_a_star_or_are_empty() {
    for key in ["", "dir/", "dir/file-*", "*"] {
        assert!(is_prefix(key), "{key}");
    }
    for key in ["file", "dir/file.txt", "a*b"] {
        assert!(!is_prefix(key), "{key}");
    }
    let Shape::Prefix { prefix, .. } = checked(source("dir/file-*")).unwrap() else {
        panic!("a prefix")
    };
    assert_eq!(prefix, "dir/file-");
}

#[test]
fn parameters_for_the_other_shape_are_errors_before_any_request() {
    let err = |s| checked(s).err().unwrap();
    let mut s = source("one.txt");
    s.filter = Some(".*".into());
    assert_eq!(
        err(s),
        "Filter applies to a prefix (a Key ending in `/` or `*`, or no Key); Key `one.txt` names one object"
    );
    let mut s = source("dir/");
    s.version_id = Some("v1".into());
    assert_eq!(
        err(s),
        "VersionID applies to one object; Key `dir/` is a prefix"
    );
    let mut s = source("");
    s.checksum_sha256 = Some(HELLO_SHA.into());
    assert_eq!(
        err(s),
        "ChecksumSHA256 applies to one object; Key `` is a prefix"
    );
    let mut s = source("dir/");
    s.filter = Some("(".into());
    assert_eq!(
        err(s),
        "invalid Filter `(`: missing `)` for the group at offset 0"
    );
    assert_eq!(
        err(source("a/../b")),
        "Key `a/../b` has a `.` or `..` segment, which an S3 URL cannot address"
    );
    let mut s = source("k");
    s.bucket = " ".into();
    assert_eq!(err(s), "Bucket is empty");
}

#[test]
fn checksums_are_hex_or_base64() {
    let hex = Checksum::parse(&HELLO_SHA.to_uppercase()).unwrap();
    assert_eq!((hex.hex.as_str(), hex.base64), (HELLO_SHA, None));
    let b64 = Checksum::parse(HELLO_B64).unwrap();
    assert_eq!(b64.hex, HELLO_SHA);
    assert_eq!(b64.base64.as_deref(), Some(HELLO_B64));
    for bad in [
        "",
        "abc",
        &HELLO_SHA[1..],
        "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vg==",
        "!!!!",
    ] {
        assert_eq!(
            Checksum::parse(bad).unwrap_err(),
            format!(
                "ChecksumSHA256 `{bad}` is neither 64 hex digits nor the base64 of a sha256 (44 characters)"
            )
        );
    }
}

#[test]
fn base64_decodes_with_padding_only_at_the_end() {
    assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
    assert_eq!(decode_base64("aGVsbG8=").unwrap(), b"hello");
    assert_eq!(decode_base64("aGVsbG8h").unwrap(), b"hello!");
    assert_eq!(decode_base64("aA=="), Some(b"h".to_vec()));
    for bad in ["", "a", "aGk", "aG=k", "a===", "aGk=aGk=", "aGk-"] {
        assert_eq!(decode_base64(bad), None, "{bad}");
    }
}

#[test]
fn a_mismatch_names_both_digests_and_the_base64_the_job_gave() {
    let entry = |sha: &str| Entry {
        sha256: sha.into(),
        size: 6,
        validators: Validators::default(),
        path: "/x".into(),
        name: None,
    };
    let hex = Checksum::parse(HELLO_SHA).unwrap();
    assert_eq!(hex.verify(&entry(HELLO_SHA)), Ok(()));
    assert_eq!(
        hex.verify(&entry("00")).unwrap_err(),
        format!("checksum mismatch: expected sha256 {HELLO_SHA}, got 00")
    );
    let b64 = Checksum::parse(HELLO_B64).unwrap();
    assert_eq!(
        b64.verify(&entry("00")).unwrap_err(),
        format!(
            "checksum mismatch: expected sha256 {HELLO_SHA}, got 00 (the job's ChecksumSHA256 \
             `{HELLO_B64}` is the expected sha256 in base64)"
        )
    );
    assert_eq!(b64.explain("other".into()), "other");
}

#[test]
fn keys_become_paths_of_plain_names() {
    let ok = |rel: &str| relative_path(rel).unwrap();
    assert_eq!(ok("a/b.txt"), Some(PathBuf::from("a/b.txt")));
    assert_eq!(ok("dir/"), Some(PathBuf::from("dir")));
    assert_eq!(ok(""), None);
    assert_eq!(ok("/"), None);
    let err = |rel: &str| relative_path(rel).unwrap_err();
    assert_eq!(err("a/../../etc"), "it has a `..` component");
    assert_eq!(err("./a"), "it has a `.` component");
    assert_eq!(
        err("a//b"),
        "it has an empty path component (`//` or a leading `/`)"
    );
    assert_eq!(
        err("//a"),
        "it has an empty path component (`//` or a leading `/`)"
    );
    assert_eq!(err("a\0b"), "it contains a NUL byte");
}

#[test]
fn cache_keys_name_the_endpoint_bucket_key_and_version() {
    let settings = Settings::resolve(Some("http://127.0.0.1:9000/"), None, &|_| None).unwrap();
    assert_eq!(
        object_key(&settings, "bk", "a/b.txt", None),
        "s3://127.0.0.1:9000/bk/a/b.txt"
    );
    assert_eq!(
        object_key(&settings, "bk", "a", Some("v1")),
        "s3://127.0.0.1:9000/bk/a?versionId=v1"
    );
    assert_eq!(
        listing_key(&settings, "bk", "dir/"),
        "s3-listing://127.0.0.1:9000/bk/dir/"
    );
}

/// A context whose workspace and cache live in `tmp`, with `--offline`.
fn offline(tmp: &TempDir) -> Context {
    let workspace = tmp.path().join("ws");
    fs::create_dir(&workspace).unwrap();
    Context {
        workspace: Workspace::new(workspace),
        cache: Cache::open(tmp.path().join("cache")),
        options: Options {
            offline: true,
            ..Options::default()
        },
    }
}

#[test]
fn offline_serves_what_the_cache_holds_and_names_what_it_lacks() {
    let tmp = TempDir::new();
    let ctx = offline(&tmp);
    let src = source("dir/hello.txt");
    let slot = tmp.path().join("ws/s3-0");
    let err = fetch(&src, &slot, &ctx).unwrap_err();
    assert_eq!(
        err,
        format!(
            "s3://bk/dir/hello.txt is not in the download cache ({}), and --offline is set",
            ctx.cache.root().display()
        )
    );
    ctx.cache
        .store(
            "s3://127.0.0.1:9/bk/dir/hello.txt",
            Validators::default(),
            &mut &b"hello\n"[..],
            100,
            None,
        )
        .unwrap();
    let fetched = fetch(&src, &slot, &ctx).unwrap();
    assert_eq!((fetched.kind, fetched.writable), (Kind::File, false));
    assert_eq!(fs::read(&slot).unwrap(), b"hello\n");

    // A cached object is checked against ChecksumSHA256 too.
    let mut sums = src.clone();
    sums.checksum_sha256 = Some("0".repeat(64));
    let err = fetch(&sums, &tmp.path().join("ws/s3-1"), &ctx).unwrap_err();
    assert_eq!(
        err,
        format!(
            "checksum mismatch: expected sha256 {}, got {HELLO_SHA}",
            "0".repeat(64)
        )
    );
}

#[test]
fn offline_prefixes_come_from_the_cached_listing() {
    let tmp = TempDir::new();
    let ctx = offline(&tmp);
    let src = source("dir/");
    let slot = tmp.path().join("ws/s3-0");
    let err = fetch(&src, &slot, &ctx).unwrap_err();
    assert_eq!(
        err,
        format!(
            "the listing of s3://bk/dir/ is not in the download cache ({}), and --offline is set",
            ctx.cache.root().display()
        )
    );
    let listing = br#"[{"key":"dir/","size":0},{"key":"dir/a.txt","etag":"\"1\"","size":6},
        {"key":"dir/sub/b.txt","etag":"\"2\"","size":6},{"key":"dir/empty/","size":0}]"#;
    let store = |key: &str, body: &[u8]| {
        ctx.cache
            .store(key, Validators::default(), &mut &body[..], 1000, None)
            .unwrap();
    };
    store("s3-listing://127.0.0.1:9/bk/dir/", listing);
    store("s3://127.0.0.1:9/bk/dir/a.txt", b"hello\n");
    let err = fetch(&src, &slot, &ctx).unwrap_err();
    assert_eq!(
        err,
        format!(
            "failed to download s3://bk/dir/sub/b.txt: s3://bk/dir/sub/b.txt is not in the \
             download cache ({}), and --offline is set",
            ctx.cache.root().display()
        )
    );
    store("s3://127.0.0.1:9/bk/dir/sub/b.txt", b"bye\n");
    let slot = tmp.path().join("ws/s3-1");
    let fetched = fetch(&src, &slot, &ctx).unwrap();
    assert_eq!(fetched.kind, Kind::Dir);
    assert_eq!(fs::read(slot.join("a.txt")).unwrap(), b"hello\n");
    assert_eq!(fs::read(slot.join("sub/b.txt")).unwrap(), b"bye\n");
    assert!(slot.join("empty").is_dir());

    // Filter sees keys below the prefix.
    let mut filtered = src.clone();
    filtered.filter = Some("^sub/".into());
    let slot = tmp.path().join("ws/s3-2");
    fetch(&filtered, &slot, &ctx).unwrap();
    assert!(!slot.join("a.txt").exists());
    assert_eq!(fs::read(slot.join("sub/b.txt")).unwrap(), b"bye\n");
}

#[test]
fn a_listed_key_that_would_escape_is_refused() {
    let tmp = TempDir::new();
    let ctx = offline(&tmp);
    ctx.cache
        .store(
            "s3-listing://127.0.0.1:9/bk/dir/",
            Validators::default(),
            &mut &br#"[{"key":"dir/../../x","size":1}]"#[..],
            1000,
            None,
        )
        .unwrap();
    let err = fetch(&source("dir/"), &tmp.path().join("ws/s3-0"), &ctx).unwrap_err();
    assert_eq!(
        err,
        "object key `dir/../../x` cannot be a path below s3://bk/dir/: it has a `..` component"
    );
}

#[test]
fn a_listed_key_that_a_url_cannot_address_is_refused() {
    let tmp = TempDir::new();
    let ctx = offline(&tmp);
    ctx.cache
        .store(
            "s3-listing://127.0.0.1:9/bk/x/../",
            Validators::default(),
            &mut &br#"[{"key":"x/../a","size":1}]"#[..],
            1000,
            None,
        )
        .unwrap();
    let err = fetch(&source("x/../"), &tmp.path().join("ws/s3-0"), &ctx).unwrap_err();
    assert_eq!(
        err,
        "failed to download s3://bk/x/../a: Key `x/../a` has a `.` or `..` segment, which an S3 \
         URL cannot address"
    );
}

#[test]
fn errors_name_the_bucket_key_and_version() {
    let mut s = source("dir/a.txt");
    assert_eq!(
        crate::fetch::describe(&crate::spec::plan::Source::S3(s.clone())),
        "s3://bk/dir/a.txt"
    );
    s.version_id = Some("v1".into());
    assert_eq!(
        crate::fetch::describe(&crate::spec::plan::Source::S3(s)),
        "s3://bk/dir/a.txt?versionId=v1"
    );
}
