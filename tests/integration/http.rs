//! `urlDownload` and `ipfs` sources against real loopback servers (`http_server`), through the
//! `bolinho` binary: naming, retries, timeouts, limits, redirects, IPFS gateways (raw blocks
//! verified, TARs expanded safely), the download cache (304 revalidation, immutable CIDs,
//! `--offline`) and two processes sharing one cache.

use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::http_server::{Reply, Server, closed_port_url};
use crate::support::{TempDir, bolinho_env, testdata};

/// Writes `job.yaml`: `cat.wasm` (a local source at `/app`) printing `files`, with `source`
/// (a YAML flow mapping) at `/data`, which is `Tasks[0].InputSources[1]`.
fn cat_job(dir: &TempDir, source: &str, files: &[&str]) {
    dir.write(
        "job.yaml",
        format!(
            "Name: fetch\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      Params:\n        \
             EntryModule: /app/cat.wasm\n        Parameters: [{}]\n    InputSources:\n      \
             - Target: /app\n        Source: {{Type: local, Params: {{SourcePath: {}}}}}\n      \
             - Target: /data\n        Source: {source}\n",
            files.join(", "),
            testdata("wasm").display()
        ),
    );
}

fn url_source(url: &str) -> String {
    format!("{{Type: urlDownload, Params: {{URL: \"{url}\"}}}}")
}

fn ipfs_source(cid: &str) -> String {
    format!("{{Type: ipfs, Params: {{CID: {cid}}}}}")
}

/// Runs the job in `dir`; expects success and returns stdout.
fn run_ok(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> String {
    // What Bacalhau would do otherwise (`portable.rs`) is not what these tests are about.
    let mut all = vec!["run", "job.yaml", "--quiet-portability"];
    all.extend(args);
    let out = bolinho_env(dir.path(), &all, env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // stderr is not a terminal: no progress line.
    assert!(!out.stderr.contains('\r'), "{:?}", out.stderr);
    out.stdout
}

/// Runs the job in `dir`; expects a fetch failure (122) and returns bolinho's error line.
fn run_err(dir: &TempDir, args: &[&str], env: &[(&str, &str)]) -> String {
    // What Bacalhau would do otherwise (`portable.rs`) is not what these tests are about.
    let mut all = vec!["run", "job.yaml", "--quiet-portability"];
    all.extend(args);
    let results = || fs::read_dir(dir.join("bolinho-results")).map_or(0, |d| d.count());
    let before = results();
    let out = bolinho_env(dir.path(), &all, env);
    assert_eq!((out.code, out.stdout.as_str()), (122, ""), "{}", out.stderr);
    assert_eq!(results(), before, "no results for a failed fetch");
    out.stderr.trim_end().to_string()
}

fn fetch_error(what: &str, message: &str) -> String {
    format!("bolinho: error: failed to fetch Tasks[0].InputSources[1] ({what}): {message}")
}

/// The files directly in `<dir>/.bolinho-cache/<sub>`.
fn cache_files(dir: &TempDir, sub: &str) -> usize {
    fs::read_dir(dir.join(".bolinho-cache").join(sub)).map_or(0, |d| d.count())
}

#[test]
fn a_url_becomes_a_directory_holding_one_file_named_from_the_url() {
    let server = Server::start();
    server.route("/files/hello%20world.txt", Reply::ok("hello, url\n"));
    let dir = TempDir::new("url-ok");
    cat_job(
        &dir,
        &url_source(&server.url("/files/hello%20world.txt?x=1")),
        &["'/data/hello world.txt'"],
    );
    assert_eq!(run_ok(&dir, &[], &[]), "hello, url\n");
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].target, "/files/hello%20world.txt?x=1");
    assert_eq!(cache_files(&dir, "objects"), 1);
    assert_eq!(cache_files(&dir, "tmp"), 0);
}

#[test]
fn content_disposition_names_the_file_but_never_as_a_path() {
    let server = Server::start();
    server.route(
        "/download",
        Reply::ok("a,b\n").header(
            "Content-Disposition",
            "attachment; filename=\"../../report.csv\"",
        ),
    );
    let dir = TempDir::new("url-disposition");
    cat_job(
        &dir,
        &url_source(&server.url("/download?id=7")),
        &["/data/report.csv"],
    );
    assert_eq!(run_ok(&dir, &[], &[]), "a,b\n");
}

#[test]
fn a_module_from_a_url_runs_as_the_entry_module() {
    let server = Server::start();
    let hello = fs::read(testdata("wasm/hello.wasm")).unwrap();
    server.route("/releases/hello.wasm", Reply::ok(hello));
    let url = server.url("/releases/hello.wasm");
    let expected = bolinho_env(
        Path::new("."),
        &["run", &testdata("wasm/hello.wasm").display().to_string()],
        &[],
    )
    .stdout;
    assert!(!expected.is_empty());

    // The current form: the module is the directory the URL becomes.
    let dir = TempDir::new("url-module");
    dir.write(
        "job.yaml",
        format!(
            "Name: m\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: {{EntryModule: /app}}}}\n    \
             InputSources:\n      - Target: /app\n        Source: {}\n",
            url_source(&url)
        ),
    );
    assert_eq!(run_ok(&dir, &[], &[]), expected);

    // The legacy form: the module is a source of its own.
    let legacy = TempDir::new("url-module-legacy");
    legacy.write(
        "job.yaml",
        format!(
            "Engine:\n  Type: WASM\n  Params:\n    EntryModule:\n      Source: {}\n",
            url_source(&url)
        ),
    );
    assert_eq!(run_ok(&legacy, &[], &[]), expected);
    assert_eq!(server.count("/releases/hello.wasm"), 2);
}

#[test]
fn client_errors_name_the_status_and_are_not_retried() {
    for (code, text) in [(404, "404 Not Found"), (403, "403 Forbidden")] {
        let server = Server::start();
        server.route("/x", Reply::status(code));
        let dir = TempDir::new("url-4xx");
        let url = server.url("/x");
        cat_job(&dir, &url_source(&url), &["/data/x"]);
        assert_eq!(
            run_err(&dir, &[], &[]),
            fetch_error(&format!("URL {url}"), &format!("server answered {text}"))
        );
        assert_eq!(server.count("/x"), 1, "{code} is not retried");
    }
}

#[test]
fn server_errors_and_429_are_retried_then_succeed() {
    let server = Server::start();
    server.route_sequence(
        "/flaky",
        vec![
            Reply::status(500),
            Reply::status(429),
            Reply::ok("third time\n"),
        ],
    );
    let dir = TempDir::new("url-retry");
    cat_job(&dir, &url_source(&server.url("/flaky")), &["/data/flaky"]);
    assert_eq!(run_ok(&dir, &[], &[]), "third time\n");
    assert_eq!(server.count("/flaky"), 3);
}

#[test]
fn three_server_errors_fail_after_three_attempts() {
    let server = Server::start();
    server.route("/down", Reply::status(500));
    let dir = TempDir::new("url-500");
    let url = server.url("/down");
    cat_job(&dir, &url_source(&url), &["/data/down"]);
    assert_eq!(
        run_err(&dir, &[], &[]),
        fetch_error(
            &format!("URL {url}"),
            "server answered 500 Internal Server Error (3 attempts)"
        )
    );
    assert_eq!(server.count("/down"), 3);
}

#[test]
fn a_download_cut_short_is_retried() {
    let server = Server::start();
    server.route_sequence(
        "/cut",
        vec![
            Reply::ok("complete\n").cut_after(3),
            Reply::ok("complete\n"),
        ],
    );
    let dir = TempDir::new("url-cut");
    cat_job(&dir, &url_source(&server.url("/cut")), &["/data/cut"]);
    assert_eq!(run_ok(&dir, &[], &[]), "complete\n");
    assert_eq!(server.count("/cut"), 2);
    assert_eq!(cache_files(&dir, "tmp"), 0, "the partial download is gone");
}

#[test]
fn connection_refused_is_retried_then_reported() {
    let url = closed_port_url("/x");
    let dir = TempDir::new("url-refused");
    cat_job(&dir, &url_source(&url), &["/data/x"]);
    assert_eq!(
        run_err(&dir, &[], &[]),
        fetch_error(&format!("URL {url}"), "connection refused (3 attempts)")
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = Server::start();
    server.route("/slow", Reply::hang());
    let dir = TempDir::new("url-timeout");
    let url = server.url("/slow");
    cat_job(&dir, &url_source(&url), &["/data/slow"]);
    let started = std::time::Instant::now();
    assert_eq!(
        run_err(&dir, &[], &[("BOLINHO_HTTP_TIMEOUT_MS", "300")]),
        fetch_error(
            &format!("URL {url}"),
            "timed out: the server sent nothing for 0.3s (3 attempts)"
        )
    );
    assert_eq!(server.count("/slow"), 3);
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_download_over_the_limit_is_refused_and_nothing_is_kept() {
    let server = Server::start();
    server.route("/announced", Reply::ok("0123456789A"));
    server.route(
        "/streamed",
        Reply::ok("0123456789A").without_content_length(),
    );
    server.route("/fits", Reply::ok("0123456789"));
    let limit = [("BOLINHO_HTTP_MAX_BYTES", "10")];
    for (path, message) in [
        (
            "/announced",
            "too large: the server announces 11 bytes, the limit is 10 bytes",
        ),
        ("/streamed", "too large: more than the limit of 10 bytes"),
    ] {
        let dir = TempDir::new("url-limit");
        let url = server.url(path);
        cat_job(&dir, &url_source(&url), &["/data/x"]);
        assert_eq!(
            run_err(&dir, &[], &limit),
            fetch_error(&format!("URL {url}"), message)
        );
        assert_eq!(server.count(path), 1, "a size failure is not retried");
        assert_eq!(cache_files(&dir, "objects"), 0);
        assert_eq!(cache_files(&dir, "tmp"), 0);
    }
    let dir = TempDir::new("url-limit-fits");
    cat_job(&dir, &url_source(&server.url("/fits")), &["/data/fits"]);
    assert_eq!(run_ok(&dir, &[], &limit), "0123456789");
}

#[test]
fn bad_urls_are_reported() {
    // Checked with the job file, naming its line and field, by `validate` as by `run`.
    for (url, message) in [
        ("http://exa mple.com/x", "bad URL: invalid uri character"),
        ("http:///x", "bad URL: invalid format"),
    ] {
        let dir = TempDir::new("url-bad");
        cat_job(&dir, &url_source(url), &["/data/x"]);
        for command in ["validate", "run"] {
            let out = bolinho_env(dir.path(), &[command, "job.yaml"], &[]);
            assert_eq!(
                (out.code, out.stderr.as_str()),
                (
                    121,
                    format!(
                        "bolinho: error: invalid job: job.yaml:13: \
                         Tasks[0].InputSources[1].Source.Params.URL: {message}\n"
                    )
                    .as_str()
                )
            );
        }
    }
}

#[test]
fn redirects_are_followed_and_a_loop_fails() {
    let server = Server::start();
    server.route("/old/tool.txt", Reply::redirect(301, "/mid"));
    server.route("/mid", Reply::redirect(307, "/new/renamed.txt"));
    server.route("/new/renamed.txt", Reply::ok("moved\n"));
    server.route("/loop", Reply::redirect(302, "/loop"));
    let dir = TempDir::new("url-redirect");
    // The file keeps the name the job's URL gives it.
    cat_job(
        &dir,
        &url_source(&server.url("/old/tool.txt")),
        &["/data/tool.txt"],
    );
    assert_eq!(run_ok(&dir, &[], &[]), "moved\n");
    assert_eq!(server.total(), 3);

    let dir = TempDir::new("url-redirect-loop");
    let url = server.url("/loop");
    cat_job(&dir, &url_source(&url), &["/data/loop"]);
    assert_eq!(
        run_err(&dir, &[], &[]),
        fetch_error(
            &format!("URL {url}"),
            "too many redirects (more than 5): a redirect loop?"
        )
    );
    assert_eq!(server.count("/loop"), 6);
}

#[test]
fn a_rerun_revalidates_and_reuses_the_cache_on_304() {
    let server = Server::start();
    let version = Arc::new(Mutex::new(1));
    let current = Arc::clone(&version);
    server.route_fn("/data.csv", move |request| {
        let v = *current.lock().unwrap();
        let etag = format!("\"v{v}\"");
        if request.header("if-none-match") == Some(etag.as_str()) {
            return Reply::not_modified().header("ETag", &etag);
        }
        Reply::ok(format!("version {v}\n"))
            .header("ETag", &etag)
            .header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
            .header("Content-Disposition", "attachment; filename=named.csv")
    });
    let dir = TempDir::new("url-304");
    cat_job(
        &dir,
        &url_source(&server.url("/data.csv")),
        &["/data/named.csv"],
    );
    assert_eq!(run_ok(&dir, &[], &[]), "version 1\n");
    // Unchanged: asked, answered 304, served from the cache under the same name.
    assert_eq!(run_ok(&dir, &[], &[]), "version 1\n");
    let second = &server.requests()[1];
    assert_eq!(second.header("if-none-match"), Some("\"v1\""));
    assert_eq!(
        second.header("if-modified-since"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(cache_files(&dir, "objects"), 1);
    // Changed: downloaded again.
    *version.lock().unwrap() = 2;
    assert_eq!(run_ok(&dir, &[], &[]), "version 2\n");
    assert_eq!(server.count("/data.csv"), 3);
    assert_eq!(cache_files(&dir, "objects"), 2);
}

#[test]
fn offline_runs_from_the_cache_and_names_what_is_missing() {
    let dir = TempDir::new("url-offline");
    let url = {
        let server = Server::start();
        server.route("/cached.txt", Reply::ok("from the cache\n"));
        let url = server.url("/cached.txt");
        cat_job(&dir, &url_source(&url), &["/data/cached.txt"]);
        assert_eq!(run_ok(&dir, &[], &[]), "from the cache\n");
        url
    }; // the server is gone
    assert_eq!(run_ok(&dir, &["--offline"], &[]), "from the cache\n");
    assert_eq!(
        run_err(&dir, &[], &[]),
        fetch_error(
            &format!("URL {url}"),
            "connection refused (3 attempts); a cached copy exists, and --offline would use it"
        )
    );

    let missing = format!("{url}-other");
    cat_job(&dir, &url_source(&missing), &["/data/x"]);
    let cache = dir.join(".bolinho-cache");
    assert_eq!(
        run_err(&dir, &["--offline"], &[]),
        fetch_error(
            &format!("URL {missing}"),
            &format!(
                "not in the download cache ({}), and --offline is set",
                cache.display()
            )
        )
    );
}

#[test]
fn two_processes_share_one_cache() {
    let server = Server::start();
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    server.route(
        "/big.bin",
        Reply::ok(body.clone()).delay(Duration::from_millis(300)),
    );
    server.route("/small.txt", Reply::ok("small\n"));
    let dir = TempDir::new("url-concurrent");
    dir.write(
        "job.yaml",
        format!(
            "Name: shared\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      Params:\n        \
             EntryModule: /app/cat.wasm\n        Parameters: [/small/small.txt]\n    InputSources:\n      \
             - Target: /app\n        Source: {{Type: local, Params: {{SourcePath: {}}}}}\n      \
             - Target: /big\n        Source: {}\n      \
             - Target: /small\n        Source: {}\n",
            testdata("wasm").display(),
            url_source(&server.url("/big.bin")),
            url_source(&server.url("/small.txt")),
        ),
    );
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || bolinho_env(&path, &["run", "job.yaml"], &[]))
        })
        .collect();
    for handle in runs {
        let out = handle.join().unwrap();
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "small\n"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(
        server.count("/big.bin"),
        2,
        "both ran at once, so both downloaded"
    );
    assert_eq!(cache_files(&dir, "objects"), 2);
    assert_eq!(cache_files(&dir, "keys"), 2);
    assert_eq!(cache_files(&dir, "tmp"), 0);
    let object = dir
        .join(".bolinho-cache/objects")
        .join(hex(&Sha256::digest(&body)));
    assert_eq!(fs::read(object).unwrap(), body);
}

// ---- IPFS ----

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CIDv1 (raw codec, sha2-256, base32) of `bytes`.
fn raw_cid(bytes: &[u8]) -> String {
    let mut binary = vec![0x01, 0x55, 0x12, 0x20];
    binary.extend_from_slice(&Sha256::digest(bytes));
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::from("b");
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in binary {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[(acc >> bits & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[(acc << (5 - bits) & 31) as usize] as char);
    }
    out
}

/// A dag-pb CID (a UnixFS node): fetched as a TAR, not verifiable.
const DIR_CID: &str = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o";

/// A tar of `(name, contents)`, names written raw (so `..` can be in them); a name ending in
/// `/` is a directory.
fn tar(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in entries {
        let mut header = tar::Header::new_ustar();
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        let dir = name.ends_with('/');
        header.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        header.set_mode(if dir { 0o755 } else { 0o644 });
        header.set_size(data.len() as u64);
        header.set_cksum();
        builder.append(&header, data.as_bytes()).unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn a_raw_cid_is_fetched_as_a_file_and_verified() {
    let server = Server::start();
    let cid = raw_cid(b"hello ipfs\n");
    server.route(&format!("/ipfs/{cid}"), Reply::ok("hello ipfs\n"));
    let dir = TempDir::new("ipfs-raw");
    cat_job(&dir, &ipfs_source(&cid), &["/data"]);
    let gateway = format!("{}/", server.base());
    assert_eq!(
        run_ok(&dir, &["--ipfs-gateway", &gateway], &[]),
        "hello ipfs\n"
    );
    let request = &server.requests()[0];
    assert_eq!(request.target, format!("/ipfs/{cid}?format=raw"));
    assert_eq!(request.header("accept"), Some("application/vnd.ipld.raw"));

    // A CID is immutable: the second run asks nothing (the gateway comes from the variable).
    assert_eq!(
        run_ok(&dir, &[], &[("BOLINHO_IPFS_GATEWAY", &server.base())]),
        "hello ipfs\n"
    );
    assert_eq!(server.total(), 1);
    assert_eq!(run_ok(&dir, &["--offline"], &[]), "hello ipfs\n");
}

#[test]
fn a_raw_block_that_does_not_match_its_cid_is_refused() {
    let server = Server::start();
    let cid = raw_cid(b"the real content\n");
    server.route(&format!("/ipfs/{cid}"), Reply::ok("forged content\n"));
    let dir = TempDir::new("ipfs-mismatch");
    cat_job(&dir, &ipfs_source(&cid), &["/data"]);
    let expected = hex(&Sha256::digest(b"the real content\n"));
    let got = hex(&Sha256::digest(b"forged content\n"));
    assert_eq!(
        run_err(&dir, &["--ipfs-gateway", &server.base()], &[]),
        fetch_error(
            &format!("IPFS CID {cid}"),
            &format!("checksum mismatch: expected sha256 {expected}, got {got}")
        )
    );
    assert_eq!(cache_files(&dir, "objects"), 0, "nothing forged is kept");
    assert_eq!(cache_files(&dir, "keys"), 0);
}

#[test]
fn a_directory_cid_is_expanded_from_the_gateways_tar() {
    let server = Server::start();
    let archive = tar(&[
        (&format!("{DIR_CID}/"), ""),
        (&format!("{DIR_CID}/a.txt"), "alpha\n"),
        (&format!("{DIR_CID}/sub/b.txt"), "beta\n"),
    ]);
    server.route(&format!("/ipfs/{DIR_CID}"), Reply::ok(archive));
    let dir = TempDir::new("ipfs-dir");
    cat_job(
        &dir,
        &ipfs_source(DIR_CID),
        &["/data/a.txt", "/data/sub/b.txt"],
    );
    let env = [("BOLINHO_IPFS_GATEWAY", server.base())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(run_ok(&dir, &[], &env), "alpha\nbeta\n");
    let request = &server.requests()[0];
    assert_eq!(request.target, format!("/ipfs/{DIR_CID}?format=tar"));
    assert_eq!(request.header("accept"), Some("application/x-tar"));
    assert_eq!(run_ok(&dir, &[], &env), "alpha\nbeta\n");
    assert_eq!(server.total(), 1, "a cached CID needs no request");
}

#[test]
fn a_gateway_tar_leaving_its_directory_is_refused() {
    let server = Server::start();
    let evil = format!("{DIR_CID}/../../evil");
    server.route(
        &format!("/ipfs/{DIR_CID}"),
        Reply::ok(tar(&[(&format!("{DIR_CID}/"), ""), (&evil, "gotcha")])),
    );
    let dir = TempDir::new("ipfs-slip");
    cat_job(&dir, &ipfs_source(DIR_CID), &["/data"]);
    assert_eq!(
        run_err(&dir, &["--ipfs-gateway", &server.base()], &[]),
        fetch_error(
            &format!("IPFS CID {DIR_CID}"),
            &format!(
                "failed to expand the gateway's TAR: refused entry `{evil}`: path contains `..`"
            )
        )
    );
    assert!(!dir.join("evil").exists());
}

#[test]
fn ipfs_without_a_gateway_names_the_flag_and_the_variable() {
    let dir = TempDir::new("ipfs-no-gateway");
    cat_job(&dir, &ipfs_source(DIR_CID), &["/data"]);
    assert_eq!(
        run_err(&dir, &[], &[]),
        fetch_error(
            &format!("IPFS CID {DIR_CID}"),
            "no IPFS gateway configured: pass --ipfs-gateway URL or set BOLINHO_IPFS_GATEWAY \
             (e.g. https://ipfs.io)"
        )
    );
}

#[test]
fn gateway_errors_are_reported_like_url_errors() {
    let server = Server::start(); // every path is a 404
    let dir = TempDir::new("ipfs-404");
    cat_job(&dir, &ipfs_source(DIR_CID), &["/data"]);
    assert_eq!(
        run_err(&dir, &["--ipfs-gateway", &server.base()], &[]),
        fetch_error(
            &format!("IPFS CID {DIR_CID}"),
            "server answered 404 Not Found"
        )
    );
    let dir = TempDir::new("ipfs-offline");
    cat_job(&dir, &ipfs_source(DIR_CID), &["/data"]);
    let err = run_err(&dir, &["--offline", "--ipfs-gateway", &server.base()], &[]);
    assert!(err.ends_with("and --offline is set"), "{err}");
    assert_eq!(server.total(), 1, "--offline asks nothing");
}

#[test]
fn verify_fetches_a_url_again_and_names_it_when_its_content_changed() {
    let server = Server::start();
    server.route("/data.txt", Reply::ok("first\n"));
    let dir = TempDir::new("url-verify");
    cat_job(
        &dir,
        &url_source(&server.url("/data.txt")),
        &["/data/data.txt"],
    );
    assert_eq!(run_ok(&dir, &["--results", "out"], &[]), "first\n");
    let verify = || bolinho_env(dir.path(), &["verify", "out/receipt.json"], &[]);
    let out = verify();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.lines().all(|l| l.starts_with("ok  ")),
        "{}",
        out.stdout
    );
    assert_eq!(server.requests().len(), 2, "verify downloads the URL again");
    // The server now has other bytes at the same URL: verify refuses to rerun, naming it.
    server.route("/data.txt", Reply::ok("second\n"));
    let out = verify();
    assert_eq!((out.code, out.stdout.as_str()), (120, ""), "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: the job's sources differ from the receipt, so it was not run: \
         input /data/data.txt: expected \
         sha256:b640e840b19d378660b32fb51ae18d67dccb4a8596a29e7bd72c1b2ae5928f41, \
         found other content\n"
    );
}

#[test]
fn without_a_cache_dir_the_cache_is_under_xdg_cache_home_else_home() {
    let server = Server::start();
    server.route("/a.txt", Reply::ok("cached\n"));
    let dir = TempDir::new("cache-default-root");
    cat_job(&dir, &url_source(&server.url("/a.txt")), &["/data/a.txt"]);
    let (xdg, home) = (dir.join("xdg"), dir.join("home"));
    let (xdg_text, home_text) = (xdg.display().to_string(), home.display().to_string());
    let env = [
        ("BOLINHO_CACHE_DIR", ""),
        ("XDG_CACHE_HOME", xdg_text.as_str()),
        ("HOME", home_text.as_str()),
    ];
    assert_eq!(run_ok(&dir, &[], &env), "cached\n");
    assert!(xdg.join("bolinho/objects").is_dir());
    assert!(!home.exists());
    // Later values win: an empty XDG_CACHE_HOME is none.
    let env = [env[0], env[1], env[2], ("XDG_CACHE_HOME", "")];
    assert_eq!(run_ok(&dir, &[], &env), "cached\n");
    assert!(home.join(".cache/bolinho/objects").is_dir());
}
