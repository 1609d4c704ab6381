//! Unit tests of the S3 source that need no server: prefixes, checksums of cached copies,
//! paths, cache keys and `--offline`. The integration tests (`tests/integration/s3.rs`) run against moto.

use std::fs;

use super::*;
use crate::fetch::test_util::TempDir;
use crate::fetch::{Cache, Options, Workspace};

const HELLO_SHA: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

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

#[test]
fn a_prefix_is_listed_without_its_star() {
    assert_eq!(source("dir/file-*").prefix(), Some("dir/file-"));
    assert_eq!(source("dir/").prefix(), Some("dir/"));
    assert_eq!(source("").prefix(), Some(""));
    assert_eq!(source("dir/file").prefix(), None);
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
    // A directory holding the object under the key's last segment, as Bacalhau mounts it.
    let fetched = fetch(&src, &slot, &ctx).unwrap();
    assert_eq!(
        (fetched.path.as_path(), fetched.kind, fetched.writable),
        (slot.as_path(), Kind::Dir, false)
    );
    let names: Vec<_> = fs::read_dir(&slot)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["hello.txt"]);
    assert_eq!(fs::read(slot.join("hello.txt")).unwrap(), b"hello\n");

    // A cached object is checked against ChecksumSHA256 too.
    let mut sums = src.clone();
    sums.checksum_sha256 = Some(Checksum::parse(&"0".repeat(64)).unwrap());
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
    filtered.filter = Some(Filter::new("^sub/").unwrap());
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
fn errors_name_the_bucket_key_and_version() {
    let mut s = source("dir/a.txt");
    assert_eq!(
        crate::fetch::describe(&crate::spec::plan::Source::S3(Box::new(s.clone()))),
        "s3://bk/dir/a.txt"
    );
    s.version_id = Some("v1".into());
    assert_eq!(
        crate::fetch::describe(&crate::spec::plan::Source::S3(Box::new(s))),
        "s3://bk/dir/a.txt?versionId=v1"
    );
}
