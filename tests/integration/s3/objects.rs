//! One object, a directory holding it: entry modules, inputs, versions, checksums, errors,
//! credentials.

use super::*;

#[test]
fn an_object_is_the_entry_module_and_another_an_input_file() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("object");
    s3.put(&bucket, "modules/cat.wasm", &wasm("cat.wasm"));
    s3.put(&bucket, "texts/poem.txt", b"so much depends\nupon\n");
    let dir = TempDir::new("s3-object");
    job(&dir, &s3, &bucket, CAT_OBJECT_AND_INPUT);
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "so much depends\nupon\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("out/stdout")).unwrap(),
        out.stdout
    );
}

#[test]
fn a_legacy_entry_module_comes_from_s3() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("legacy");
    s3.put(&bucket, "hello.wasm", &wasm("hello.wasm"));
    let dir = TempDir::new("s3-legacy");
    job(
        &dir,
        &s3,
        &bucket,
        "Engine:
  Type: WASM
  Params:
    EntryModule:
      Source: {Type: s3, Params: {Bucket: {B}, Key: hello.wasm, Endpoint: '{E}'}}
",
    );
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "hello, world\n");
}

const CHECKSUM_JOB: &str = "Name: sum
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: /cat.wasm, Parameters: [/texts/poem.txt]}}
    InputSources:
      - Target: /cat.wasm
        Source: {Type: s3, Params: {Bucket: {B}, Key: cat.wasm, Endpoint: '{E}'}}
      - Target: /texts
        Source: {Type: s3, Params: {Bucket: {B}, Key: poem.txt, Endpoint: '{E}', ChecksumSHA256: 'SUM'}}
";

#[test]
fn a_checksum_must_match_and_a_mismatch_names_both_digests() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("checksum");
    s3.put(&bucket, "cat.wasm", &wasm("cat.wasm"));
    s3.put(&bucket, "poem.txt", b"hello\n");
    let hello = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    let dir = TempDir::new("s3-checksum");
    for (i, sum) in [hello, "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="]
        .iter()
        .enumerate()
    {
        job(&dir, &s3, &bucket, &CHECKSUM_JOB.replace("SUM", sum));
        let out = run_job(&dir, &format!("ok{i}"), &[], &[]);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "hello\n"),
            "{}",
            out.stderr
        );
    }
    let wrong = "0".repeat(64);
    job(&dir, &s3, &bucket, &CHECKSUM_JOB.replace("SUM", &wrong));
    // Once from the cache (the object was downloaded above), once fresh.
    for fresh in [false, true] {
        if fresh {
            std::fs::remove_dir_all(dir.join(".bolinho-cache")).unwrap();
        }
        let out = run_job(&dir, "bad", &[], &[]);
        assert_eq!(out.code, 122);
        assert_eq!(
            out.stderr,
            format!(
                "bolinho: error: failed to fetch Tasks[0].InputSources[1] (s3://{bucket}/poem.txt): \
                 checksum mismatch: expected sha256 {wrong}, got {hello}\n"
            ),
            "fresh: {fresh}"
        );
        assert!(!dir.join("bad").exists(), "nothing ran");
    }
}

#[test]
fn missing_keys_and_buckets_are_named_with_their_s3_codes() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("missing");
    s3.put(&bucket, "modules/cat.wasm", &wasm("cat.wasm"));
    let dir = TempDir::new("s3-missing");
    job(&dir, &s3, &bucket, CAT_OBJECT_AND_INPUT);
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 122);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to fetch Tasks[0].InputSources[1] (s3://{bucket}/texts/poem.txt): \
             NoSuchKey: The specified key does not exist. (HTTP 404)\n"
        )
    );
    assert!(!dir.join("out").exists());

    let nobucket = format!("{bucket}-gone");
    job(&dir, &s3, &nobucket, CAT_OBJECT_AND_INPUT);
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 122);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to fetch Tasks[0].InputSources[0] (s3://{nobucket}/modules/cat.wasm): \
             NoSuchBucket: The specified bucket does not exist (HTTP 404)\n"
        )
    );
    prefix_job(&dir, &s3, &nobucket, "data/", "", "");
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 122);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to fetch Tasks[0].InputSources[0] (s3://{nobucket}/app/): \
             NoSuchBucket: The specified bucket does not exist (HTTP 404)\n"
        )
    );
}

#[test]
fn a_closed_port_is_connection_refused() {
    let Some(s3) = server() else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = TempDir::new("s3-refused");
    let closed = S3 {
        endpoint: format!("http://127.0.0.1:{port}"),
        ..s3
    };
    job(&dir, &closed, "bucket", CAT_OBJECT_AND_INPUT);
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 122);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to fetch Tasks[0].InputSources[0] (s3://bucket/modules/cat.wasm): \
             failed to reach http://127.0.0.1:{port}: connection refused (3 attempts)\n"
        )
    );
}

#[test]
fn without_credentials_requests_are_unsigned() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("anonymous");
    s3.put_public(&bucket, "modules/cat.wasm", &wasm("cat.wasm"));
    s3.put_public(&bucket, "texts/poem.txt", b"public\n");
    let dir = TempDir::new("s3-anonymous");
    job(&dir, &s3, &bucket, CAT_OBJECT_AND_INPUT);
    let anonymous = [("AWS_ACCESS_KEY_ID", ""), ("AWS_SECRET_ACCESS_KEY", "")];
    let out = run_job(&dir, "out", &[], &anonymous);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "public\n"),
        "{}",
        out.stderr
    );

    // A private object: the error says the request went unsigned, and why.
    s3.put(&bucket, "texts/poem.txt", b"private\n");
    let out = run_job(&dir, "out2", &[], &anonymous);
    assert_eq!(out.code, 122);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to fetch Tasks[0].InputSources[1] (s3://{bucket}/texts/poem.txt): \
             HTTP 403 Forbidden; no credentials found (AWS_ACCESS_KEY_ID, AWS_PROFILE, \
             ~/.aws/credentials), so the request was unsigned; a cached copy exists, and \
             --offline would use it\n"
        )
    );
}

#[test]
fn credentials_come_from_a_profile_and_the_endpoint_from_the_environment() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("profile");
    s3.put(&bucket, "modules/cat.wasm", &wasm("cat.wasm"));
    s3.put(&bucket, "texts/poem.txt", b"from a profile\n");
    let dir = TempDir::new("s3-profile");
    let creds = dir.write(
        "creds",
        "[default]\naws_access_key_id = d\naws_secret_access_key = d\n\
         [work]\naws_access_key_id = w\naws_secret_access_key = w\n",
    );
    let creds = creds.display().to_string();
    // No Endpoint in the job: AWS_ENDPOINT_URL gives it.
    job(
        &dir,
        &s3,
        &bucket,
        &CAT_OBJECT_AND_INPUT.replace(", Endpoint: '{E}'", ""),
    );
    let env = |profile: &'static str| {
        [
            ("AWS_ACCESS_KEY_ID", ""),
            ("AWS_SECRET_ACCESS_KEY", ""),
            ("AWS_SHARED_CREDENTIALS_FILE", creds.as_str()),
            ("AWS_PROFILE", profile),
            ("AWS_ENDPOINT_URL", s3.endpoint.as_str()),
        ]
    };
    let out = run_job(&dir, "out", &[], &env("work"));
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "from a profile\n"),
        "{}",
        out.stderr
    );
    let out = run_job(&dir, "out2", &[], &env("nope"));
    assert_eq!(out.code, 122);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to fetch Tasks[0].InputSources[0] (s3://{bucket}/modules/cat.wasm): \
             AWS_PROFILE is `nope`, but {creds} has no [nope] section\n"
        )
    );
}

#[test]
fn a_version_id_fetches_that_version() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("versions");
    s3.enable_versioning(&bucket);
    s3.put(&bucket, "cat.wasm", &wasm("cat.wasm"));
    let first = s3.put(&bucket, "v.txt", b"first\n").expect("a version id");
    s3.put(&bucket, "v.txt", b"second\n").expect("a version id");
    let dir = TempDir::new("s3-version");
    let yaml = |version: &str| {
        format!(
            "Name: v
Tasks:
  - Name: main
    Engine: {{Type: wasm, Params: {{EntryModule: /cat.wasm, Parameters: [/v/v.txt]}}}}
    InputSources:
      - Target: /cat.wasm
        Source: {{Type: s3, Params: {{Bucket: {{B}}, Key: cat.wasm, Endpoint: '{{E}}'}}}}
      - Target: /v
        Source: {{Type: s3, Params: {{Bucket: {{B}}, Key: v.txt, Endpoint: '{{E}}'{version}}}}}
"
        )
    };
    job(&dir, &s3, &bucket, &yaml(&format!(", VersionID: {first}")));
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "first\n"),
        "{}",
        out.stderr
    );
    job(&dir, &s3, &bucket, &yaml(""));
    let out = run_job(&dir, "out2", &[], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "second\n"),
        "{}",
        out.stderr
    );
    // A version never changes: once cached, it needs no server.
    job(&dir, &s3, &bucket, &yaml(&format!(", VersionID: {first}")));
    let out = run_job(&dir, "out3", &[], &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "first\n"),
        "{}",
        out.stderr
    );
}

/// Bacalhau's layout (`pkg/storage/s3/storage.go`): one object is a directory at `Target`
/// holding the object under its key's last segment.
const BACALHAU_LAYOUT_JOB: &str = "Name: layout
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: /app/transform.wasm, Parameters: [/inputs, /outputs]}}
    InputSources:
      - Target: /app
        Source: {Type: s3, Params: {Bucket: {B}, Key: modules/transform.wasm, Endpoint: '{E}'}}
      - Target: /inputs
        Source: {Type: s3, Params: {Bucket: {B}, Key: data/file.csv, Endpoint: '{E}'}}
    ResultPaths:
      - {Name: outputs, Path: /outputs}
";

#[test]
fn one_object_is_a_directory_holding_it_under_its_last_key_segment() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("layout");
    s3.put(&bucket, "modules/transform.wasm", &wasm("transform.wasm"));
    s3.put(&bucket, "data/file.csv", b"a,b\n1,2\n");
    s3.put(&bucket, "data/other.csv", b"not this one\n");
    let dir = TempDir::new("s3-layout");
    job(&dir, &s3, &bucket, BACALHAU_LAYOUT_JOB);
    // Fresh, revalidated (304), then from the cache alone: the same directory every time.
    for (results, extra) in [("r1", &[][..]), ("r2", &[][..]), ("r3", &["--offline"][..])] {
        let out = run_job(&dir, results, extra, &[]);
        assert_eq!(out.code, 0, "{results}: {}", out.stderr);
        // transform lists the regular files directly inside /inputs: file.csv alone.
        assert_eq!(out.stdout, "file.csv: 8 bytes\n", "{results}");
        let outputs = dir.join(&format!("{results}/outputs"));
        assert_eq!(
            std::fs::read(outputs.join("file.csv.upper")).unwrap(),
            b"A,B\n1,2\n",
            "{results}"
        );
        assert_eq!(
            std::fs::read(outputs.join("summary/count.txt")).unwrap(),
            b"1\n",
            "{results}"
        );
    }
}

#[test]
fn an_entry_module_named_by_its_s3_target_runs() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("by-target");
    s3.put(&bucket, "modules/cat.wasm", &wasm("cat.wasm"));
    s3.put(&bucket, "data/file.csv", b"x,y\n");
    let dir = TempDir::new("s3-by-target");
    // `/app` is a directory holding cat.wasm: a module directory, which resolves to its one
    // `.wasm`, as Bacalhau's loader resolves it (`pkg/executor/wasm/loader.go`).
    for entry in ["/app", "/app/cat.wasm"] {
        job(
            &dir,
            &s3,
            &bucket,
            &format!(
                "Name: by-target
Tasks:
  - Name: main
    Engine: {{Type: wasm, Params: {{EntryModule: {entry}, Parameters: [/inputs/file.csv]}}}}
    InputSources:
      - Target: /app
        Source: {{Type: s3, Params: {{Bucket: {{B}}, Key: modules/cat.wasm, Endpoint: '{{E}}'}}}}
      - Target: /inputs
        Source: {{Type: s3, Params: {{Bucket: {{B}}, Key: data/file.csv, Endpoint: '{{E}}'}}}}
"
            ),
        );
        for (n, extra) in [("fresh", &[][..]), ("cached", &["--offline"][..])] {
            let results = format!("out{}-{n}", entry.len());
            let out = run_job(&dir, &results, extra, &[]);
            assert_eq!(
                (out.code, out.stdout.as_str()),
                (0, "x,y\n"),
                "{entry} {n}: {}",
                out.stderr
            );
            assert_eq!(
                std::fs::read(dir.join(&format!("{results}/stdout"))).unwrap(),
                b"x,y\n"
            );
        }
    }
}
