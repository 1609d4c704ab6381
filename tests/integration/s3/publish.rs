//! The S3 publisher: every result file uploaded, multipart uploads, failures.

use super::*;

const PUBLISH_JOB: &str = "Name: publish
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: /app/transform.wasm, Parameters: [/inputs, /outputs]}}
    Publisher: {Type: s3, Params: {Bucket: {B}, Key: 'runs/{jobID}', Endpoint: '{E}'}}
    InputSources:
      - Target: /app
        Source: {Type: local, Params: {SourcePath: APP}}
      - Target: /inputs
        Source: {Type: local, Params: {SourcePath: ./inputs}}
    ResultPaths:
      - {Name: outputs, Path: /outputs}
      - {Name: nothing, Path: /nothing}
";

/// Every file below `dir`, as `/`-separated relative paths.
fn files(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = format!("{rel}{}", e.file_name().to_string_lossy());
        if e.file_type().unwrap().is_dir() {
            files(&e.path(), &format!("{name}/"), out);
        } else {
            out.push(name);
        }
    }
}

/// The job id of the run whose results are in `results`, from its receipt (the ids are
/// derived from what the guest is given, when it runs).
fn job_id(results: &Path) -> String {
    let receipt = std::fs::read_to_string(results.join("receipt.json")).unwrap();
    let receipt: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    receipt["jobId"].as_str().unwrap().to_string()
}

#[test]
fn the_s3_publisher_uploads_every_result_file() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("publish");
    let dir = TempDir::new("s3-publish");
    dir.write("inputs/one.txt", "first file\n");
    dir.write("inputs/two.txt", "second\n");
    let app = testdata("wasm").display().to_string();
    job(&dir, &s3, &bucket, &PUBLISH_JOB.replace("APP", &app));
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let id = job_id(&dir.join("out"));
    assert!(id.starts_with("j-"), "{id}");
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: results in {}\nbolinho: results published to s3://{bucket}/runs/{id}/\n",
            dir.join("out").display()
        )
    );
    let mut local = Vec::new();
    files(&dir.join("out"), "", &mut local);
    assert_eq!(
        local,
        [
            "exitCode",
            "outputs/one.txt.upper",
            "outputs/summary/count.txt",
            "outputs/two.txt.upper",
            "receipt.json",
            "stderr",
            "stdout"
        ]
    );
    let mut expected: Vec<String> = local.iter().map(|f| format!("runs/{id}/{f}")).collect();
    expected.push(format!("runs/{id}/nothing/"));
    expected.sort();
    assert_eq!(s3.keys(&bucket), expected);
    for f in &local {
        assert_eq!(
            s3.get(&bucket, &format!("runs/{id}/{f}")).unwrap(),
            std::fs::read(dir.join("out").join(f)).unwrap(),
            "{f}"
        );
    }
}

/// Writes 11 MiB and a bit to stdout in one `fd_write`: three runs of different bytes, so parts
/// sent out of order would show. (A guest looping over its output would take long under the
/// interpreter.)
const BIG_WAT: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 180)
  (func (export "_start")
    (memory.fill (i32.const 1024) (i32.const 97) (i32.const 5242880))
    (memory.fill (i32.const 5243904) (i32.const 98) (i32.const 5242880))
    (memory.fill (i32.const 10486784) (i32.const 99) (i32.const 1060000))
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (i32.const 11545760))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
"#;

#[test]
fn large_results_are_published_in_parts() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("multipart");
    let dir = TempDir::new("s3-multipart");
    dir.write("app/big.wat", BIG_WAT);
    job(
        &dir,
        &s3,
        &bucket,
        "Name: big
Tasks:
  - Name: main
    Engine: {Type: wasm, Params: {EntryModule: /app/big.wat}}
    Publisher: {Type: s3, Params: {Bucket: {B}, Key: big/, Endpoint: '{E}'}}
    InputSources:
      - Target: /app
        Source: {Type: local, Params: {SourcePath: ./app}}
    ResultPaths:
      - {Name: outputs, Path: /outputs}
",
    );
    // Parts of 5 MiB, the smallest S3 allows: three parts, the last one short.
    let out = run_job(&dir, "out", &[], &[("BOLINHO_S3_PART_SIZE", "5242880")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let local = std::fs::read(dir.join("out/stdout")).unwrap();
    assert_eq!(local.len(), 11_545_760);
    let uploaded = s3.get(&bucket, "big/stdout").unwrap();
    assert!(uploaded == local, "the uploaded stdout differs");
    let etag = s3.etag(&bucket, "big/stdout");
    assert!(etag.ends_with("-3\""), "uploaded in three parts: {etag}");
    assert!(
        !s3.etag(&bucket, "big/stderr").contains('-'),
        "small files in one PUT"
    );
    assert_eq!(
        s3.keys(&bucket),
        [
            "big/exitCode",
            "big/outputs/",
            "big/receipt.json",
            "big/stderr",
            "big/stdout"
        ]
    );
}

#[test]
fn a_failed_publish_keeps_the_results_and_exits_126() {
    let Some(s3) = server() else { return };
    let dir = TempDir::new("s3-publish-fail");
    dir.write("inputs/one.txt", "kept\n");
    let app = testdata("wasm").display().to_string();
    let bucket = "bolinho-no-such-bucket";
    job(
        &dir,
        &s3,
        bucket,
        &PUBLISH_JOB
            .replace("APP", &app)
            .replace("runs/{jobID}", "x"),
    );
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 126, "{}", out.stderr);
    let results = dir.join("out");
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to publish the results to s3://{bucket}/x/: failed to upload \
             exitCode: NoSuchBucket: The specified bucket does not exist (HTTP 404); the results \
             are kept in {}\n",
            results.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(results.join("outputs/one.txt.upper")).unwrap(),
        "KEPT\n"
    );
    assert_eq!(
        std::fs::read_to_string(results.join("exitCode")).unwrap(),
        "0"
    );
}

#[test]
fn bacalhau_wasm_run_flags_read_and_publish_through_s3() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("wasm-run");
    s3.put(&bucket, "in/one.txt", b"first file\n");
    s3.put(&bucket, "in/two.txt", b"second\n");
    s3.put(&bucket, "app/transform.wasm", &wasm("transform.wasm"));
    let dir = TempDir::new("s3-wasm-run");
    let endpoint = format!("opt=endpoint={}", s3.endpoint);
    // The entry module from S3 too, in the short form with an option.
    let module = format!("s3://{bucket}/app/transform.wasm,{endpoint}");
    let input = format!("src=s3://{bucket}/in/,dst=/inputs,{endpoint}");
    let publisher = format!("s3://{bucket}/runs/flags/,{endpoint}");
    let args = [
        "run",
        &module,
        "-i",
        &input,
        "-o",
        "outputs:/outputs",
        "-p",
        &publisher,
        "--results",
        "out",
    ];
    let out = bolinho(dir.path(), &args, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: results in out\nbolinho: results published to s3://{bucket}/runs/flags/\n"
        )
    );
    assert_eq!(
        s3.get(&bucket, "runs/flags/outputs/one.txt.upper").unwrap(),
        b"FIRST FILE\n"
    );
    assert_eq!(
        s3.get(&bucket, "runs/flags/stdout").unwrap(),
        b"one.txt: 11 bytes\ntwo.txt: 7 bytes\n"
    );
}

#[test]
fn a_guest_stopped_by_a_signal_still_has_its_results_published() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("publish-stopped");
    let dir = TempDir::new("s3-publish-stopped");
    let forever = testdata("wat/forever.wat").display().to_string();
    job(
        &dir,
        &s3,
        &bucket,
        &format!(
            "Name: stopped\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: \
             {{EntryModule: /m.wat}}}}\n    Publisher: {{Type: s3, Params: {{Bucket: {{B}}, \
             Key: runs, Endpoint: '{{E}}'}}}}\n    InputSources:\n      - Target: /m.wat\n        \
             Source: {{Type: local, Params: {{SourcePath: {forever}}}}}\n"
        ),
    );
    let mut child = bolinho_command(dir.path(), &["run", "job.yaml", "--results", "out"], &[])
        .spawn()
        .unwrap();
    assert_eq!(support::first_line(&mut child), "started\n");
    support::send(&child, "-INT");
    let out = support::output(child.wait_with_output().unwrap());
    // The signal stopped the guest; the upload that follows is not stopped by it too.
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: the guest was stopped by SIGINT\nbolinho: results in out\n\
             bolinho: results published to s3://{bucket}/runs/\n"
        )
    );
    assert_eq!(
        s3.get(&bucket, "runs/stdout").unwrap(),
        b"started\n".to_vec()
    );
    assert_eq!(s3.get(&bucket, "runs/exitCode").unwrap(), b"130".to_vec());
}

#[test]
fn a_link_the_guest_made_is_not_published_and_bolinho_says_so() {
    let Some(s3) = server() else { return };
    let bucket = s3.new_bucket("publish-link");
    let dir = TempDir::new("s3-publish-link");
    let hostile = testdata("wasm/hostile.wasm").display().to_string();
    job(
        &dir,
        &s3,
        &bucket,
        &format!(
            "Name: link\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: \
             {{EntryModule: /m.wasm, Parameters: [links, /outputs, link=elsewhere.txt]}}}}\n    \
             Publisher: {{Type: s3, Params: {{Bucket: {{B}}, Key: runs, Endpoint: '{{E}}'}}}}\n    \
             InputSources:\n      - Target: /m.wasm\n        Source: {{Type: local, Params: \
             {{SourcePath: {hostile}}}}}\n    ResultPaths:\n      - {{Name: outputs, Path: \
             /outputs}}\n"
        ),
    );
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "bolinho: warning: not publishing outputs/link: only regular files and directories \
             are published\n"
        ),
        "{}",
        out.stderr
    );
    let keys = s3.keys(&bucket);
    assert!(keys.contains(&"runs/stdout".to_string()), "{keys:?}");
    assert!(!keys.iter().any(|k| k.contains("link")), "{keys:?}");
}
