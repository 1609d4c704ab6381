//! The download cache: revalidation, listings' ETags, --offline, concurrent runs.

use super::*;

/// Overwrites the cached copy of `content` with bytes of the same length, so a run that reuses
/// the cache shows them, and a run that downloads again does not.
fn tamper(dir: &TempDir, content: &[u8], with: &[u8]) {
    assert_eq!(content.len(), with.len());
    let path = dir.join(&format!(".bolinho-cache/objects/{}", sha256_hex(content)));
    assert!(path.exists(), "{} is cached", path.display());
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, with).unwrap();
}

#[test]
fn a_rerun_revalidates_instead_of_downloading_and_offline_needs_no_server() {
    let Some(s3) = server() else { return };
    let bucket = prefix_bucket(&s3, "cache");
    s3.put(&bucket, "modules/cat.wasm", &wasm("cat.wasm"));
    s3.put(&bucket, "texts/poem.txt", b"version one\n");
    let dir = TempDir::new("s3-cache");
    job(&dir, &s3, &bucket, CAT_OBJECT_AND_INPUT);
    let out = run_job(&dir, "r1", &[], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "version one\n"),
        "{}",
        out.stderr
    );

    // The server says 304 Not Modified: the (doctored) cached copy is used, not downloaded.
    tamper(&dir, b"version one\n", b"VERSION ONE\n");
    let out = run_job(&dir, "r2", &[], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "VERSION ONE\n"),
        "{}",
        out.stderr
    );

    // A changed object is downloaded again.
    s3.put(&bucket, "texts/poem.txt", b"version two\n");
    let out = run_job(&dir, "r3", &[], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "version two\n"),
        "{}",
        out.stderr
    );

    // Offline, the server is not asked: the object is gone from it, not from the cache.
    s3.delete(&bucket, "texts/poem.txt");
    let out = run_job(&dir, "r4", &["--offline"], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "version two\n"),
        "{}",
        out.stderr
    );
    let out = run_job(&dir, "r5", &[], &[]);
    assert_eq!(out.code, 122, "online, the missing object is missing");
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to fetch Tasks[0].InputSources[1] (s3://{bucket}/texts/poem.txt): \
             NoSuchKey: The specified key does not exist. (HTTP 404); a cached copy exists, and \
             --offline would use it\n"
        )
    );

    // Offline, what was never fetched is an error naming it.
    let other = TempDir::new("s3-cache-miss");
    job(&other, &s3, &bucket, CAT_OBJECT_AND_INPUT);
    let out = run_job(&other, "out", &["--offline"], &[]);
    assert_eq!(out.code, 122);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to fetch Tasks[0].InputSources[0] (s3://{bucket}/modules/cat.wasm): \
             s3://{bucket}/modules/cat.wasm is not in the download cache ({}), and --offline is set\n",
            other.join(".bolinho-cache").display()
        )
    );

    // A prefix: objects whose listed ETag is the cached one are not downloaded again.
    let dir = TempDir::new("s3-cache-prefix");
    prefix_job(
        &dir,
        &s3,
        &bucket,
        "data/",
        "",
        "/data/a.txt, /data/sub/c.csv",
    );
    let out = run_job(&dir, "p1", &[], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "alpha\ngamma\n"),
        "{}",
        out.stderr
    );
    tamper(&dir, b"alpha\n", b"ALPHA\n");
    let out = run_job(&dir, "p2", &[], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "ALPHA\ngamma\n"),
        "{}",
        out.stderr
    );
    s3.put(&bucket, "data/sub/c.csv", b"GAMMA!\n");
    s3.delete(&bucket, "data/a.txt");
    let out = run_job(&dir, "p3", &["--offline"], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "ALPHA\ngamma\n"),
        "{}",
        out.stderr
    );
    let out = run_job(&dir, "p4", &[], &[]);
    assert_eq!(out.code, 1, "a.txt is gone: {}", out.stderr);
    assert_eq!(out.stdout, "GAMMA!\n");
}

#[test]
fn concurrent_runs_share_the_cache() {
    let Some(s3) = server() else { return };
    let bucket = prefix_bucket(&s3, "concurrent");
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    s3.put(&bucket, "data/big.bin", &big);
    let dir = TempDir::new("s3-concurrent");
    prefix_job(
        &dir,
        &s3,
        &bucket,
        "data/",
        "",
        "/data/a.txt, /data/sub/deeper/d.txt",
    );
    let children: Vec<_> = (0..2)
        .map(|i| {
            let results = dir.join(&format!("out{i}")).display().to_string();
            bolinho_command(dir.path(), &["run", "job.yaml", "--results", &results], &[])
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "alpha\ndelta\n");
    }
    let cache = dir.join(".bolinho-cache");
    assert_eq!(
        std::fs::read_dir(cache.join("tmp")).unwrap().count(),
        0,
        "no download left half-done"
    );
    assert_eq!(
        std::fs::read(cache.join("objects").join(sha256_hex(&big))).unwrap(),
        big
    );
    let out = run_job(&dir, "offline", &["--offline"], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "alpha\ndelta\n"),
        "{}",
        out.stderr
    );
}
