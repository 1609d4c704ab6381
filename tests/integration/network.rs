//! `wasi:http/requests`, Bacalhau's HTTP host module: real requests to a loopback server from
//! `testdata/wat/net_request.wat`, every result code, the Domains policy, redirects, and the
//! link error when the run has no network.

use std::path::Path;

use crate::http_server::{Reply, Server, closed_port_url};
use crate::support::{Output, TempDir, bolinho_env, testdata};

fn guest() -> String {
    testdata("wat/net_request.wat").display().to_string()
}

/// Runs `bolinho run net_request.wat FLAGS -- METHOD URL HEADERS BODY HCAP BCAP` with `env`.
fn run(dir: &Path, flags: &[&str], argv: [&str; 6], env: &[(&str, &str)]) -> Output {
    let guest = guest();
    let mut args = vec!["run", guest.as_str()];
    args.extend(flags);
    args.push("--");
    args.extend(argv);
    bolinho_env(dir, &args, env)
}

/// Runs with `--network host` and returns stdout, insisting on a clean exit.
fn host(dir: &TempDir, flags: &[&str], argv: [&str; 6]) -> String {
    let mut all = vec!["--network", "host"];
    all.extend(flags);
    let out = run(dir.path(), &all, argv, &[]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "{}", out.stdout);
    out.stdout
}

/// What the guest prints for a successful call.
fn printed(status: &str, headers: &str, body: &str) -> String {
    format!(
        "result 0\nstatus {status}\nheaders {}\n{headers}\nbody {}\n{body}\n",
        headers.len(),
        body.len()
    )
}

/// The server's headers after the route's own: the length and `Connection: close`.
fn tail(body: &str) -> String {
    format!("Content-Length: {}\nConnection: close", body.len())
}

/// Echoes the method, the target, the `X-Token` header and the body.
fn echo(server: &Server) {
    server.route_fn("/echo", |req| {
        let token = req.header("x-token").unwrap_or("-");
        let body = format!(
            "{} {} {token} {}",
            req.method,
            req.target,
            String::from_utf8_lossy(&req.body)
        );
        Reply::ok(body).header("X-Seen", "yes")
    });
}

#[test]
fn a_get_returns_status_headers_and_body() {
    let (dir, server) = (TempDir::new("net-get"), Server::start());
    echo(&server);
    let url = server.url("/echo?q=1");
    let out = host(&dir, &[], ["0", &url, "X-Token: abc", "", "1000", "1000"]);
    let body = "GET /echo?q=1 abc ";
    assert_eq!(
        out,
        printed("200", &format!("X-Seen: yes\n{}", tail(body)), body)
    );
    let request = &server.requests()[0];
    assert_eq!(request.header("x-token"), Some("abc"));
    assert_eq!(request.header("content-length"), None);
}

#[test]
fn a_post_sends_its_body_and_headers() {
    let (dir, server) = (TempDir::new("net-post"), Server::start());
    server.route_fn("/items", |req| {
        Reply::status(201)
            .body(req.body.clone())
            .header("Content-Type", req.header("content-type").unwrap_or("-"))
    });
    let out = host(
        &dir,
        &[],
        [
            "1",
            &server.url("/items"),
            "Content-Type: application/json\n  X-Token :  t1  \n\nnot a header\nX-Token: t2",
            r#"{"a":1}"#,
            "1000",
            "1000",
        ],
    );
    let body = r#"{"a":1}"#;
    assert_eq!(
        out,
        printed(
            "201",
            &format!("Content-Type: application/json\n{}", tail(body)),
            body
        )
    );
    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.body, body.as_bytes());
    let tokens: Vec<&str> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("x-token"))
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(tokens, ["t1", "t2"]);
}

/// Bacalhau's TestHTTPMethodConversion (pkg/executor/wasm/funcs/http/http_test.go): 0 to 6 are
/// GET, POST, PUT, DELETE, HEAD, OPTIONS and PATCH, and any other number (its 99) is GET.
#[test]
fn method_numbers_map_like_bacalhau() {
    let (dir, server) = (TempDir::new("net-methods"), Server::start());
    server.route("/m", Reply::ok(""));
    for method in [0, 1, 2, 3, 4, 5, 6, 7, 8, 99, u32::MAX] {
        host(
            &dir,
            &[],
            [&method.to_string(), &server.url("/m"), "", "", "0", "0"],
        );
    }
    let methods: Vec<String> = server.requests().into_iter().map(|r| r.method).collect();
    assert_eq!(
        methods,
        [
            "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "GET", "GET", "GET", "GET"
        ]
    );
}

#[test]
fn headers_and_body_are_cut_to_small_buffers() {
    let (dir, server) = (TempDir::new("net-cut"), Server::start());
    server.route(
        "/big",
        Reply::ok("0123456789").header("X-Long", "abcdefghij"),
    );
    let out = host(&dir, &[], ["0", &server.url("/big"), "", "", "12", "4"]);
    assert_eq!(
        out,
        "result 0\nstatus 200\nheaders 12\nX-Long: abcd\nbody 4\n0123\n"
    );
    let out = host(&dir, &[], ["0", &server.url("/big"), "", "", "0", "0"]);
    assert_eq!(out, "result 0\nstatus 200\nheaders 0\n\nbody 0\n\n");
}

#[test]
fn a_zero_status_pointer_still_delivers_the_response() {
    let (dir, server) = (TempDir::new("net-nostatus"), Server::start());
    server.route("/gone", Reply::status(410).body("bye"));
    let out = host(
        &dir,
        &["--entrypoint", "no_status"],
        ["0", &server.url("/gone"), "", "", "0", "10"],
    );
    assert_eq!(out, "result 0\nstatus -\nheaders 0\n\nbody 3\nbye\n");
}

#[test]
fn result_1_for_urls_that_are_not_http() {
    let dir = TempDir::new("net-badurl");
    for url in ["not a url", "ftp://127.0.0.1/x", "http://", "/path/only"] {
        let out = host(&dir, &[], ["0", url, "", "", "10", "10"]);
        assert_eq!(out, "result 1\n", "{url}");
    }
}

#[test]
fn result_2_when_the_connection_is_refused() {
    let dir = TempDir::new("net-refused");
    let out = host(&dir, &[], ["0", &closed_port_url("/x"), "", "", "10", "10"]);
    assert_eq!(out, "result 2\n");
}

#[test]
fn the_run_timeout_cuts_a_request_short() {
    let (dir, server) = (TempDir::new("net-run-timeout"), Server::start());
    server.route("/hang", Reply::hang());
    let start = std::time::Instant::now();
    let out = run(
        dir.path(),
        &["--network", "host", "--timeout", "0.5"],
        ["0", &server.url("/hang"), "", "", "10", "10"],
        &[],
    );
    let took = start.elapsed();
    assert_eq!(out.code, 124, "{}", out.stderr);
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    // The request did not end as if the server were slow: the guest never saw it end.
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "bolinho: error: the guest ran past its timeout of 0.5s\n"
    );
}

/// Runs the guest's request to `url`, sends SIGINT once `asking` says the request is under
/// way, and checks that the guest was stopped in it within 5 s (`interrupt_after`), not the
/// 30 s the request may take.
fn interrupted_in_a_request(name: &str, url: &str, asking: impl Fn() -> bool) {
    use std::time::{Duration, Instant};
    let dir = TempDir::new(name);
    let guest = guest();
    let args = [
        "run",
        &guest,
        "--network",
        "host",
        "--",
        "0",
        url,
        "",
        "",
        "10",
        "10",
    ];
    let child = crate::support::command(dir.path(), &args, &[])
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !asking() {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no request came"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = crate::support::interrupt_after(child, Duration::ZERO);
    assert_eq!(out.code, 130, "{}", out.stderr);
    // The guest never saw its request end: it was stopped in it.
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "bolinho: error: the guest was stopped by SIGINT\n"
    );
}

#[test]
fn a_signal_ends_a_request_waiting_for_its_answer() {
    let server = Server::start();
    server.route("/hang", Reply::hang());
    interrupted_in_a_request("net-signal", &server.url("/hang"), || {
        server.count("/hang") > 0
    });
}

#[test]
fn a_signal_ends_a_request_still_connecting() {
    use std::os::fd::AsRawFd;
    // A server whose queue of connections not yet accepted is full: a new connection's SYN
    // goes unanswered, and connecting waits for the request's timeout.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: a listening socket's backlog set again, on its own descriptor.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let _queued = std::net::TcpStream::connect(addr).unwrap();
    // The server sees nothing: 0.5 s is time for the guest to start and be connecting.
    let started = std::time::Instant::now();
    interrupted_in_a_request("net-signal-connecting", &format!("http://{addr}/x"), || {
        started.elapsed() > std::time::Duration::from_millis(500)
    });
}

#[test]
fn result_3_when_the_server_does_not_answer_in_time() {
    let (dir, server) = (TempDir::new("net-timeout"), Server::start());
    server.route("/hang", Reply::hang());
    server.route(
        "/slow",
        Reply::ok("late").delay(std::time::Duration::from_secs(2)),
    );
    let timeout = [("BOLINHO_HTTP_TIMEOUT_MS", "300")];
    for path in ["/hang", "/slow"] {
        let out = run(
            dir.path(),
            &["--network", "host"],
            ["0", &server.url(path), "", "", "10", "10"],
            &timeout,
        );
        assert_eq!((out.code, out.stdout.as_str()), (0, "result 3\n"), "{path}");
    }
}

#[test]
fn result_4_for_hosts_outside_the_allowed_domains_ports_ignored() {
    let (dir, server) = (TempDir::new("net-domains"), Server::start());
    server.route("/d", Reply::ok("in"));
    let url = server.url("/d");
    for (domains, expected) in [
        (&["*.example.com"][..], "result 4\n"),
        (&["example.com", "127.0.0.2"], "result 4\n"),
        (&["127.0.0.1"], "result 0\n"),
        (&["127.0.0.1:1"], "result 0\n"),
        (&["*.example.com", "127.0.0.*"], "result 0\n"),
    ] {
        let mut flags = vec!["--network", "http"];
        for domain in domains {
            flags.extend(["--allow-domain", domain]);
        }
        let out = run(dir.path(), &flags, ["0", &url, "", "", "0", "0"], &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stdout.starts_with(expected),
            "{domains:?}: {}",
            out.stdout
        );
    }
    // Refused before connecting: the server saw only the allowed requests.
    assert_eq!(server.count("/d"), 3);
}

#[test]
fn redirects_are_followed_like_go_and_each_host_is_checked() {
    let (dir, server) = (TempDir::new("net-redirect"), Server::start());
    echo(&server);
    server.route("/see-other", Reply::redirect(303, "/echo"));
    server.route("/temporary", Reply::redirect(307, "echo"));
    let elsewhere = server.url("/echo").replace("127.0.0.1", "localhost");
    server.route("/away", Reply::redirect(302, &elsewhere));
    let post = |path: &str, flags: &[&str]| {
        let url = server.url(path);
        let argv = ["1", url.as_str(), "X-Token: t", "data", "0", "100"];
        let out = run(dir.path(), flags, argv, &[]);
        out.stdout.lines().last().unwrap_or_default().to_string()
    };
    let host = ["--network", "host"];
    assert_eq!(post("/see-other", &host), "GET /echo t ");
    assert_eq!(post("/temporary", &host), "POST /echo t data");
    let only_ip = ["--network", "http", "--allow-domain", "127.0.0.1"];
    assert_eq!(post("/see-other", &only_ip), "GET /echo t ");
    assert_eq!(post("/away", &only_ip), "result 4");
    assert_eq!(server.count("/echo"), 3);
}

#[test]
fn credentials_are_dropped_when_a_redirect_leaves_the_host() {
    let (dir, server) = (TempDir::new("net-credentials"), Server::start());
    server.route("/e", Reply::ok(""));
    server.route("/here", Reply::redirect(302, "/e"));
    let elsewhere = server.url("/e").replace("127.0.0.1", "localhost");
    server.route("/away", Reply::redirect(302, &elsewhere));
    let headers = "Authorization: secret\nCookie: c=1\nX-Other: kept";
    for path in ["/here", "/away"] {
        host(&dir, &[], ["0", &server.url(path), headers, "", "0", "0"]);
    }
    let seen: Vec<(Option<String>, Option<String>, Option<String>)> = server
        .requests_to("/e")
        .iter()
        .map(|r| {
            let get = |name| r.header(name).map(str::to_string);
            (get("authorization"), get("cookie"), get("x-other"))
        })
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        seen,
        [
            (some("secret"), some("c=1"), some("kept")),
            (None, None, some("kept"))
        ]
    );
}

#[test]
fn a_redirect_loop_is_a_network_error_after_ten() {
    let (dir, server) = (TempDir::new("net-loop"), Server::start());
    server.route("/loop", Reply::redirect(302, "/loop"));
    let out = host(&dir, &[], ["0", &server.url("/loop"), "", "", "0", "0"]);
    assert_eq!(out, "result 2\n");
    assert_eq!(server.count("/loop"), 11);
}

/// One page of memory: 80% is under 64 KiB, so the limit is 64 KiB; two pages: 104857 bytes.
#[test]
fn result_5_for_bodies_over_the_limit() {
    let (dir, server) = (TempDir::new("net-large"), Server::start());
    let limit = 64 * 1024;
    server.route("/fits", Reply::ok(vec![b'a'; limit]));
    server.route("/over", Reply::ok(vec![b'a'; limit + 1]));
    server.route(
        "/over-unsized",
        Reply::ok(vec![b'a'; limit + 1]).without_content_length(),
    );
    server.route("/over-grown", Reply::ok(vec![b'a'; 104858]));
    let body = |path: &str, entry: &str| {
        let out = host(
            &dir,
            &["--entrypoint", entry],
            ["0", &server.url(path), "", "", "0", "3"],
        );
        out.lines().next().unwrap().to_string() + out.lines().last().unwrap()
    };
    assert_eq!(body("/fits", "_start"), "result 0aaa");
    assert_eq!(body("/over", "_start"), "result 5result 5");
    assert_eq!(body("/over-unsized", "_start"), "result 5result 5");
    assert_eq!(body("/over", "grown"), "result 0aaa");
    assert_eq!(body("/over-grown", "grown"), "result 5result 5");
    // A HEAD response's Content-Length describes a body that is not sent.
    let out = host(&dir, &[], ["4", &server.url("/over"), "", "", "100", "3"]);
    assert_eq!(
        out,
        "result 0\nstatus 200\nheaders 39\nContent-Length: 65537\nConnection: close\nbody 0\n\n"
    );
}

#[test]
fn result_6_for_a_zero_response_pointer_or_a_forbidden_header() {
    let (dir, server) = (TempDir::new("net-badinput"), Server::start());
    server.route("/x", Reply::ok(""));
    let url = server.url("/x");
    let out = host(
        &dir,
        &["--entrypoint", "zero_body_pointer"],
        ["0", &url, "", "", "10", "10"],
    );
    assert_eq!(out, "result 6\n");
    let out = host(&dir, &[], ["0", &url, "Bad Name: x", "", "10", "10"]);
    assert_eq!(out, "result 6\n");
    assert_eq!(server.total(), 0);
}

#[test]
fn result_7_for_pointers_outside_memory_before_anything_is_sent() {
    let (dir, server) = (TempDir::new("net-memory"), Server::start());
    server.route("/x", Reply::ok(""));
    let url = server.url("/x");
    for entry in ["status_out_of_bounds", "url_out_of_bounds"] {
        let out = host(
            &dir,
            &["--entrypoint", entry],
            ["0", &url, "", "", "10", "10"],
        );
        assert_eq!(out, "result 7\n", "{entry}");
    }
    // A body capacity reaching past the end of memory (the buffer starts at 16384).
    let out = host(&dir, &[], ["0", &url, "", "", "10", "49153"]);
    assert_eq!(out, "result 7\n");
    assert_eq!(server.total(), 0);
}

#[test]
fn without_network_the_import_fails_to_link_naming_the_flag() {
    let dir = TempDir::new("net-off");
    let out = run(dir.path(), &[], ["0", "http://a/", "", "", "0", "0"], &[]);
    assert_eq!((out.code, out.stdout.as_str()), (123, ""));
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to link {g}: 1 unresolved import:\n  {g} imports \
             wasi:http/requests::http_request (func (i32, i32, i32, i32, i32, i32, i32, i32, \
             i32, i32, i32, i32) -> i32): the network is off: run with --network host, or \
             --network http --allow-domain GLOB, to allow wasi:http/requests\n",
            g = guest()
        )
    );
}

#[test]
fn an_import_of_the_wrong_type_or_name_is_listed() {
    let dir = TempDir::new("net-type");
    let module = dir.write(
        "m.wat",
        r#"(module
             (import "wasi:http/requests" "http_request" (func (param i32) (result i32)))
             (import "wasi:http/requests" "http_get" (func))
             (func (export "_start")))"#,
    );
    let m = module.display().to_string();
    let out = bolinho_env(dir.path(), &["run", &m, "--network", "host"], &[]);
    assert_eq!(out.code, 123);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to link {m}: 2 unresolved imports:\n  {m} imports \
             wasi:http/requests::http_request (func (i32) -> i32): wasi:http/requests defines \
             it as func (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> i32\n  \
             {m} imports wasi:http/requests::http_get (func () -> ()): `http_get` is not a \
             function of wasi:http/requests; it has only http_request\n"
        )
    );
}

/// A job running the guest, with `network` as its Task's `Network` block (YAML), or none.
fn job(dir: &TempDir, url: &str, network: Option<&str>) -> String {
    std::fs::create_dir_all(dir.join("app")).unwrap();
    std::fs::copy(guest(), dir.join("app/net_request.wat")).unwrap();
    let network = network.map_or(String::new(), |n| format!("    Network: {n}\n"));
    dir.write(
        "job.yaml",
        format!(
            "Name: net\nType: batch\nCount: 1\nTasks:\n  - Name: main\n    Engine:\n      \
             Type: wasm\n      Params:\n        EntryModule: /app/net_request.wat\n        \
             Parameters: ['0', '{url}', '', '', '0', '100']\n{network}    InputSources:\n      \
             - Target: /app\n        Source: {{Type: localDirectory, Params: {{SourcePath: ./app}}}}\n"
        ),
    )
    .display()
    .to_string()
}

#[test]
fn a_job_with_http_domains_reaches_only_those() {
    let (dir, server) = (TempDir::new("net-job"), Server::start());
    server.route("/j", Reply::ok("from the job"));
    let url = server.url("/j");
    for (domains, results, last) in [
        ("['127.0.0.1:9']", "ok", "from the job"),
        ("['*.example.com', example.com]", "no", "result 4"),
    ] {
        let file = job(
            &dir,
            &url,
            Some(&format!("{{Type: HTTP, Domains: {domains}}}")),
        );
        let out = bolinho_env(dir.path(), &["run", &file, "--results", results], &[]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout.lines().last(), Some(last));
        let saved = std::fs::read_to_string(dir.join(results).join("stdout")).unwrap();
        assert_eq!(saved, out.stdout);
    }
    let file = job(&dir, &url, Some("{Type: Full}"));
    let out = bolinho_env(dir.path(), &["run", &file, "--results", "full"], &[]);
    assert_eq!(out.stdout.lines().last(), Some("from the job"));
    assert_eq!(server.count("/j"), 2);
}

#[test]
fn a_job_without_network_fails_to_link_naming_the_setting() {
    let dir = TempDir::new("net-job-off");
    // Without Network, Bacalhau would give the guest the host's network, and with Bridge a
    // module refusing every host: the note counts either beside the unset Entrypoint.
    for (network, ways) in [
        (None, "2 ways"),
        (Some("{Type: None}"), "1 way"),
        (Some("{Type: Bridge}"), "2 ways"),
    ] {
        let file = job(&dir, "http://127.0.0.1/", network);
        let out = bolinho_env(dir.path(), &["run", &file, "--results", "out"], &[]);
        assert_eq!(out.code, 123);
        let note = format!(
            "bolinho: note: Bacalhau would run this job differently in {ways}; `bolinho \
             validate --portable {file}` lists them (--quiet-portability hides this note)\n"
        );
        assert_eq!(
            out.stderr.strip_prefix(&note),
            Some(
                "bolinho: error: failed to link /app/net_request.wat: 1 unresolved import:\n  \
             /app/net_request.wat imports wasi:http/requests::http_request (func (i32, i32, \
             i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> i32): the job has no network \
             (Network.Type None, Bridge, Default or unset): set Network.Type to Host, or HTTP \
             with Domains, or run with --network host, or --network http --allow-domain GLOB, \
             to allow wasi:http/requests\n"
            ),
            "{}",
            out.stderr
        );
        assert!(!dir.join("out").exists());
    }
}

#[test]
fn a_job_domain_that_is_not_one_is_an_error_before_running() {
    let dir = TempDir::new("net-job-bad");
    let file = job(
        &dir,
        "http://127.0.0.1/",
        Some("{Type: HTTP, Domains: ['https://example.com/']}"),
    );
    // Checked with the job file, naming its line and field, by `validate` as by `run`.
    for command in ["run", "validate"] {
        let out = bolinho_env(dir.path(), &[command, &file], &[]);
        assert_eq!(out.code, 121);
        assert_eq!(
            out.stderr,
            format!(
                "bolinho: error: invalid job: {file}:11: Tasks[0].Network.Domains[0]: \
                 `https://example.com/` is not a domain: write a host name or a glob such as \
                 *.example.com, without scheme or path\n"
            )
        );
    }
}

#[test]
fn network_flags_replace_a_jobs_network() {
    // A published job that posts to an endpoint runs unmodified when the command line grants
    // the network its file does not; the flags' own rules hold as for module runs, and the
    // receipt's plan records the network the guest had.
    let (dir, server) = (TempDir::new("net-flags"), Server::start());
    server.route("/f", Reply::ok("granted"));
    let file = job(&dir, &server.url("/f"), None);
    let out = bolinho_env(
        dir.path(),
        &["run", &file, "--network", "host", "--results", "host"],
        &[],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.lines().last(), Some("granted"));
    let receipt = std::fs::read_to_string(dir.join("host/receipt.json")).unwrap();
    let receipt: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    assert_eq!(receipt["plan"]["network"]["type"], "host");
    let args = [
        "--network",
        "http",
        "--allow-domain",
        "127.0.0.1",
        "--results",
        "http",
    ];
    let out = bolinho_env(
        dir.path(),
        &[&["run", file.as_str()][..], &args].concat(),
        &[],
    );
    assert_eq!(out.stdout.lines().last(), Some("granted"), "{}", out.stderr);
    assert_eq!(server.count("/f"), 2);
    // And withheld: a job whose file grants the network runs without it when told so.
    let file = job(&dir, &server.url("/f"), Some("{Type: Host}"));
    let out = bolinho_env(dir.path(), &["run", &file, "--network", "none"], &[]);
    assert_eq!(out.code, 123, "{}", out.stderr);
    let out = bolinho_env(dir.path(), &["run", &file, "--network", "http"], &[]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: --network http: name the hosts the guest may reach with \
             --allow-domain GLOB\n"
        )
    );
    let out = run(
        dir.path(),
        &["--allow-domain", "a.com"],
        ["0", "", "", "", "0", "0"],
        &[],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: --allow-domain a.com: applies to --network http\n"
        )
    );
    // Bacalhau's spelling is named as the user wrote it, for a job file too.
    let out = run(
        dir.path(),
        &["--domain", "a.com"],
        ["0", "", "", "", "0", "0"],
        &[],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: --domain a.com: applies to --network http\n"
        )
    );
    let out = bolinho_env(
        dir.path(),
        &["run", &file, "--network", "http", "--domain", "a.com/x"],
        &[],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: --domain a.com/x: `a.com/x` is not a domain: write a host name or \
             a glob such as *.example.com, without scheme or path\n"
        )
    );
}

#[test]
fn inspect_names_the_network_and_a_bad_import_of_it() {
    let dir = TempDir::new("net-inspect");
    let out = bolinho_env(dir.path(), &["inspect", &guest()], &[]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.ends_with(
            "needs the network (wasi:http/requests): --network host or http, or a job's \
             Network.Type Host or HTTP\nbolinho provides every WASI import\n"
        ),
        "{}",
        out.stdout
    );
    let module = dir.write(
        "m.wat",
        r#"(module (import "wasi:http/requests" "http_request" (func)))"#,
    );
    let out = bolinho_env(dir.path(), &["inspect", &module.display().to_string()], &[]);
    assert!(
        out.stdout.ends_with(
            "bolinho cannot provide:\n  wasi:http/requests::http_request: wasi:http/requests \
             defines it as func (i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32) -> i32\n"
        ),
        "{}",
        out.stdout
    );
}
