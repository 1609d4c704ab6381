//! Bacalhau's WASM scenarios that reach the network (pkg/test/scenario/test_scenarios.go:
//! `wasm_http_get_full`, `wasm_http_get_allowlist`, `wasm_http_not_allowlisted`), run against a
//! loopback server instead of http://google.com/, so they need no internet. Each job has the
//! scenario's shape (its `Env`, `main.wasm` with entrypoint `_start`, its `Network`), with our
//! `testdata/wasm/http_get.wasm` for Bacalhau's http test module; only `HTTP_URL` and the
//! `Domains` naming the host differ. Bacalhau checks that stdout contains a phrase; these check
//! stdout exactly, the exit code, the results, and what the server received.
//!
//! The allowed domain is `127.0.0.1`, which both accept: Bacalhau's `NetworkConfig.Validate`
//! (pkg/models/network.go) takes a name matching its domain regex, which needs a dot and a
//! top-level label of letters, or an IP address, so it refuses `localhost` as "invalid domain"
//! (bolinho takes it).
//! The job case `bacalhau-scenario-wasm-http-not-allow-list` keeps the third scenario's
//! google.com; the test here adds that a refused request never reaches the server.

use crate::http_server::{Reply, Server};
use crate::support::{Output, TempDir, bolinho, testdata, tree};

/// Runs the scenario's job with `HTTP_URL` set to `url` and `network` as its Task's `Network`
/// (YAML), keeping results in `dir/results`.
fn run_scenario(dir: &TempDir, url: &str, network: &str) -> Output {
    let module = testdata("wasm/http_get.wasm").display().to_string();
    let job = dir.write(
        "job.yaml",
        format!(
            "Name: scenario\nType: batch\nCount: 1\nTasks:\n  - Name: scenario\n    Env:\n      \
             HTTP_METHOD: get\n      HTTP_URL: {url}\n    Engine:\n      Type: wasm\n      \
             Params:\n        EntryModule: main.wasm\n        Entrypoint: _start\n    \
             InputSources:\n      - Target: main.wasm\n        Source: {{Type: localDirectory, \
             Params: {{SourcePath: '{module}'}}}}\n    Network: {network}\n"
        ),
    );
    let results = dir.join("results").display().to_string();
    bolinho(
        dir.path(),
        &["run", &job.display().to_string(), "--results", &results],
    )
}

/// Checks a run's exit code, its stdout and stderr, and the results it kept.
fn assert_ran(dir: &TempDir, out: &Output, code: i32, stdout: &str) {
    let results = dir.join("results");
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            code,
            stdout,
            format!("bolinho: results in {}\n", results.display()).as_str()
        )
    );
    assert_eq!(
        tree(&results),
        format!("exitCode: {code}\nstderr: \nstdout: {stdout}")
    );
    // What the server said is on the run's tape (tests/integration/tapes.rs replays one); a
    // request Domains refuses (these scenarios' only failure) follows from the job, and needs
    // none.
    assert_eq!(results.join("tape").is_file(), code == 0);
}

/// A server answering `/` as a home page would, and the stdout the module prints for it.
fn home_page(server: &Server) -> (String, String) {
    let body = "<html>hello from the loopback</html>";
    server.route("/", Reply::ok(body).header("Content-Type", "text/html"));
    let url = server.url("/");
    let stdout = format!(
        "Making get request to {url}\nStatus Code: 200\nHeaders:\nContent-Type: text/html\n\
         Content-Length: {}\nConnection: close\n\nBody:\n{body}\n",
        body.len()
    );
    (url, stdout)
}

/// The server received exactly `count` requests, each a bodiless `GET /`.
fn assert_got_gets(server: &Server, count: usize) {
    let seen: Vec<(String, String, Vec<u8>)> = server
        .requests()
        .into_iter()
        .map(|r| (r.method, r.target, r.body))
        .collect();
    assert_eq!(seen, vec![("GET".into(), "/".into(), Vec::new()); count]);
}

/// Bacalhau's `wasm_http_get_full` (WasmGetHTTP): `Network.Type` Full, and Host, the name that
/// replaced it, reach any host.
#[test]
fn a_get_under_network_full_or_host_prints_the_whole_response_and_exits_0() {
    let server = Server::start();
    let (url, stdout) = home_page(&server);
    for network in ["{Type: Full}", "{Type: Host}"] {
        let dir = TempDir::new("scenario-full");
        let out = run_scenario(&dir, &url, network);
        assert_ran(&dir, &out, 0, &stdout);
    }
    assert_got_gets(&server, 2);
}

/// Bacalhau's `wasm_http_get_allowlist` (WasmGetHTTPAllowList): `Network.Type` HTTP with the
/// requested host in `Domains` (there `google.com`; here `127.0.0.1`, see the module comment).
#[test]
fn a_get_to_a_host_in_domains_prints_the_whole_response_and_exits_0() {
    let (dir, server) = (TempDir::new("scenario-allow"), Server::start());
    let (url, stdout) = home_page(&server);
    let out = run_scenario(&dir, &url, "{Type: HTTP, Domains: ['127.0.0.1']}");
    assert_ran(&dir, &out, 0, &stdout);
    assert_got_gets(&server, 1);
    // The server is gone; the job verifies from its tape, offline.
    drop(server);
    let out = bolinho(dir.path(), &["verify", "--offline", "results/receipt.json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.starts_with("ok  tape  1 answer replayed\n"),
        "{}",
        out.stdout
    );
}

/// Bacalhau's `wasm_http_not_allowlisted` (WasmGetHTTPNotAllowList): `Network.Type` HTTP with
/// `Domains: [httpbin.com]`; the module prints "host not allowed" and exits 1, and the host is
/// refused before any connection.
#[test]
fn a_get_to_a_host_outside_domains_is_refused_before_connecting_and_exits_1() {
    let (dir, server) = (TempDir::new("scenario-not-allowed"), Server::start());
    let (url, _) = home_page(&server);
    let out = run_scenario(&dir, &url, "{Type: HTTP, Domains: [httpbin.com]}");
    assert_ran(
        &dir,
        &out,
        1,
        &format!("Making get request to {url}\nError making request: host not allowed\n"),
    );
    assert_got_gets(&server, 0);
}

/// Bacalhau's module prints each response header as a line of its own, so a response without
/// headers prints none between `Headers:` and the blank line before `Body:`.
#[test]
fn a_response_without_headers_prints_no_header_line() {
    let (dir, server) = (TempDir::new("scenario-no-headers"), Server::start());
    server.route("/", Reply::status(204).without_connection_close());
    let url = server.url("/");
    let out = run_scenario(&dir, &url, "{Type: Host}");
    assert_ran(
        &dir,
        &out,
        0,
        &format!("Making get request to {url}\nStatus Code: 204\nHeaders:\n\nBody:\n\n"),
    );
    assert_got_gets(&server, 1);
}
