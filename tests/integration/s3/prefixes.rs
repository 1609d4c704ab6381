//! Prefixes as directories: paging, paths below the prefix, Filter, empty prefixes.

use super::*;

#[test]
fn a_prefix_is_a_directory_of_its_objects_across_pages() {
    let Some(s3) = server() else { return };
    let bucket = prefix_bucket(&s3, "prefix");
    let dir = TempDir::new("s3-prefix");
    let all = "/data/a.txt, /data/b.csv, /data/sub/c.csv, /data/sub/deeper/d.txt";
    prefix_job(&dir, &s3, &bucket, "data/", "", all);
    let page = [("BOLINHO_S3_PAGE_SIZE", "2")];
    let out = run_job(&dir, "out", &[], &page);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "alpha\nbeta\ngamma\ndelta\n");

    // What the guest sees at /data, exactly: transform lists its regular files.
    let yaml = std::fs::read_to_string(dir.join("job.yaml"))
        .unwrap()
        .replace(
            "EntryModule: /app/cat.wasm",
            "EntryModule: /app/transform.wasm",
        )
        .replace(all, "/data, /outputs");
    let yaml = format!("{yaml}    ResultPaths: [{{Name: outputs, Path: /outputs}}]\n");
    dir.write("job.yaml", yaml);
    let out = run_job(&dir, "out2", &[], &page);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "a.txt: 6 bytes\nb.csv: 5 bytes\n");

    // A star: the keys keep their path below the prefix's last `/`.
    let dir = TempDir::new("s3-prefix-star");
    prefix_job(
        &dir,
        &s3,
        &bucket,
        "data/s*",
        "",
        "/data/sub/c.csv, /data/sub/deeper/d.txt",
    );
    let out = run_job(&dir, "out", &[], &page);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "gamma\ndelta\n");
}

#[test]
fn a_filter_keeps_the_keys_it_matches_below_the_prefix() {
    let Some(s3) = server() else { return };
    let bucket = prefix_bucket(&s3, "filter");
    let dir = TempDir::new("s3-filter");
    // `^sub/` would not match `data/sub/...`: the Filter sees keys without the prefix.
    prefix_job(
        &dir,
        &s3,
        &bucket,
        "data/",
        r"^sub/.*\.csv$|^a",
        "/data/a.txt, /data/sub/c.csv, /data/b.csv, /data/sub/deeper/d.txt",
    );
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "alpha\ngamma\n");
    assert_eq!(
        out.stderr,
        format!(
            "cat: /data/b.csv: No such file or directory\n\
             cat: /data/sub/deeper/d.txt: No such file or directory\n\
             bolinho: results in {}\n",
            dir.join("out").display()
        )
    );
}

#[test]
fn an_empty_prefix_is_an_empty_directory_with_a_warning() {
    let Some(s3) = server() else { return };
    let bucket = prefix_bucket(&s3, "empty");
    let dir = TempDir::new("s3-empty");
    prefix_job(&dir, &s3, &bucket, "nothing/", "", "");
    let out = run_job(&dir, "out", &[], &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: warning: s3://{bucket}/nothing/ holds no objects; the guest sees an empty directory\n\
             bolinho: results in {}\n",
            dir.join("out").display()
        )
    );
    prefix_job(&dir, &s3, &bucket, "data/", "zzz", "");
    let out = run_job(&dir, "out2", &[], &[]);
    assert!(
        out.stderr.starts_with(&format!(
            "bolinho: warning: s3://{bucket}/data/ holds no objects matching Filter `zzz`;"
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn an_object_that_changes_while_its_prefix_is_fetched_stops_the_run() {
    // A loopback S3 whose listing names one object at ETag "v1", and whose object is at
    // another ETag by the time it is asked for (`If-Match` fails).
    use crate::http_server::{Reply, Server};
    let server = Server::start();
    server.route(
        "/b/",
        Reply::ok(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult \
             xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>data/\
             </Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false\
             </IsTruncated><Contents><Key>data/a.txt</Key><LastModified>\
             2026-01-01T00:00:00.000Z</LastModified><ETag>\"v1\"</ETag><Size>6</Size>\
             <StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>",
        ),
    );
    server.route(
        "/b/data/a.txt",
        Reply::status(412).body(
            "<Error><Code>PreconditionFailed</Code><Message>At least one of the \
             pre-conditions you specified did not hold</Message></Error>",
        ),
    );
    let dir = TempDir::new("s3-prefix-changed");
    dir.write(
        "job.yaml",
        format!(
            "Name: changed\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: \
             {{EntryModule: /app/cat.wasm}}}}\n    InputSources:\n      - Target: /app\n        \
             Source: {{Type: local, Params: {{SourcePath: {}}}}}\n      - Target: /data\n        \
             Source: {{Type: s3, Params: {{Bucket: b, Key: data/, Endpoint: '{}'}}}}\n",
            testdata("wasm").display(),
            server.base()
        ),
    );
    let out = bolinho(dir.path(), &["run", "job.yaml"], &[]);
    assert_eq!(out.code, 122, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "s3://b/data/a.txt changed while its prefix was being fetched; run the job again"
        ),
        "{}",
        out.stderr
    );
    let asked = server.requests_to("/b/data/a.txt");
    assert_eq!(asked.len(), 1, "not retried");
    assert_eq!(asked[0].header("if-match"), Some("\"v1\""));
}
