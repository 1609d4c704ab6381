//! Bacalhau's tests of its `wasi:http/requests` host module (pkg/executor/wasm/funcs/http:
//! `http_integ_test.go`'s HTTPIntegrationSuite and `http_test.go`'s HTTPUnitSuite), run through
//! the binary against a loopback server that answers as theirs does.
//!
//! Their integration suite runs the http test module (TinyGo) with `HTTP_METHOD`, `HTTP_URL`,
//! `HTTP_HEADERS` and `HTTP_BODY` in its environment and the network as a parameter, with no
//! job around it: here, a module run of our `testdata/wasm/http_get.wasm`, which reads the same
//! variables and prints what theirs prints, with `--env` and `--network`/`--allow-domain`.
//! Bacalhau checks only that a run succeeds or fails; these check stdout, the exit code and what
//! the server received. Their unit tests of host matching (`TestNetworkAccess`,
//! `TestWildcardMatching`) are also in `src/spec/domains.rs`; here they run end to end, with
//! the server's address `127.0.0.1` in place of their names (the policy is applied before any
//! name is resolved, and a loopback test can reach no other host).

use crate::http_server::{Reply, Server};
use crate::support::{Output, TempDir, bolinho, testdata};

/// Our equivalent of Bacalhau's http test module.
fn module() -> String {
    testdata("wasm/http_get.wasm").display().to_string()
}

/// Runs `http_get.wasm` with `flags` (the network) and the module's variables.
fn run(dir: &TempDir, flags: &[&str], vars: &[(&str, &str)]) -> Output {
    let module = module();
    let vars: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut args = vec!["run", module.as_str()];
    args.extend(flags);
    for var in &vars {
        args.extend(["--env", var.as_str()]);
    }
    bolinho(dir.path(), &args)
}

/// Bacalhau's `endpointHandler` (http_utils_test.go): the route's method gets its status and
/// JSON body; any other method `405 Method not allowed`.
fn endpoint(server: &Server, path: &str, method: &'static str, status: u16, body: &'static str) {
    server.route_fn(path, move |req| {
        if req.method == method {
            Reply::status(status)
                .header("Content-Type", "application/json")
                .body(body)
        } else {
            Reply::status(405).body("Method not allowed\n")
        }
    });
}

/// What `http_get.wasm` prints for a JSON response, with the server's own headers after the
/// route's.
fn printed(method: &str, url: &str, status: u16, body: &str) -> String {
    format!(
        "Making {method} request to {url}\nStatus Code: {status}\nHeaders:\n\
         Content-Type: application/json\nContent-Length: {}\nConnection: close\n\nBody:\n{body}\n",
        body.len()
    )
}

/// `/get` as Bacalhau's integration suite serves it.
const GET_BODY: &str = r#"{"message": "Hello, World!", "method": "GET"}"#;

/// Bacalhau's TestWasmHTTPMethods: GET, POST, PUT and DELETE under Network Host, POST and PUT
/// with a JSON body and its Content-Type; each reaches its endpoint with its method, headers and
/// body, and the module prints the status and body it was given.
#[test]
fn get_post_put_and_delete_reach_their_endpoints_with_headers_and_body() {
    let (dir, server) = (TempDir::new("bacalhau-http-methods"), Server::start());
    let cases = [
        ("GET", "/get", 200, GET_BODY, "", ""),
        (
            "POST",
            "/post",
            201,
            r#"{"message": "Resource created", "method": "POST"}"#,
            "Content-Type: application/json",
            r#"{"test": "data"}"#,
        ),
        (
            "PUT",
            "/put",
            200,
            r#"{"message": "Resource updated", "method": "PUT"}"#,
            "Content-Type: application/json",
            r#"{"test": "update"}"#,
        ),
        (
            "DELETE",
            "/delete",
            200,
            r#"{"message": "Resource deleted", "method": "DELETE"}"#,
            "",
            "",
        ),
    ];
    for (method, path, status, body, _, _) in cases {
        endpoint(&server, path, method, status, body);
    }
    for (method, path, status, body, headers, request_body) in cases {
        let url = server.url(path);
        let out = run(
            &dir,
            &["--network", "host"],
            &[
                ("HTTP_METHOD", method),
                ("HTTP_URL", &url),
                ("HTTP_HEADERS", headers),
                ("HTTP_BODY", request_body),
            ],
        );
        assert_eq!(
            (out.code, out.stdout, out.stderr),
            (0, printed(method, &url, status, body), String::new()),
            "{method}"
        );
    }
    let seen: Vec<(String, String, Option<String>, String)> = server
        .requests()
        .into_iter()
        .map(|r| {
            let content_type = r.header("content-type").map(str::to_string);
            let body = String::from_utf8(r.body).unwrap();
            (r.method, r.target, content_type, body)
        })
        .collect();
    let json = || Some("application/json".to_string());
    assert_eq!(
        seen,
        [
            ("GET".into(), "/get".into(), None, String::new()),
            (
                "POST".into(),
                "/post".into(),
                json(),
                r#"{"test": "data"}"#.into()
            ),
            (
                "PUT".into(),
                "/put".into(),
                json(),
                r#"{"test": "update"}"#.into()
            ),
            ("DELETE".into(), "/delete".into(), None, String::new()),
        ]
    );
}

/// Bacalhau's TestWasmHTTPNetworkRestrictions, Network None: Bacalhau registers no
/// `wasi:http/requests`, so the module fails to instantiate. bolinho fails it before running
/// too (exit 123), naming the flag that would allow it (README, differences table).
#[test]
fn without_network_the_module_fails_to_link_and_nothing_is_sent() {
    let (dir, server) = (TempDir::new("bacalhau-http-none"), Server::start());
    endpoint(&server, "/get", "GET", 200, GET_BODY);
    let url = server.url("/get");
    let out = run(
        &dir,
        &["--network", "none"],
        &[("HTTP_METHOD", "GET"), ("HTTP_URL", &url)],
    );
    let module = module();
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (
            123,
            String::new(),
            format!(
                "bolinho: error: failed to link {module}: 1 unresolved import:\n  {module} \
                 imports wasi:http/requests::http_request (func (i32, i32, i32, i32, i32, i32, \
                 i32, i32, i32, i32, i32, i32) -> i32): the network is off: run with --network \
                 host, or --network http --allow-domain GLOB, to allow wasi:http/requests\n"
            )
        )
    );
    assert_eq!(server.total(), 0);
}

/// Bacalhau's TestWasmHTTPNetworkRestrictions, Network HTTP with `Domains: [example.com,
/// test.com]`: the request's host is in neither, so the call answers 4 ("host not allowed")
/// and the module exits 1, and nothing reaches the server.
#[test]
fn a_host_outside_the_domains_is_not_allowed_and_nothing_is_sent() {
    let (dir, server) = (TempDir::new("bacalhau-http-domains"), Server::start());
    endpoint(&server, "/get", "GET", 200, GET_BODY);
    let url = server.url("/get");
    let flags = [
        "--network",
        "http",
        "--allow-domain",
        "example.com",
        "--allow-domain",
        "test.com",
    ];
    let out = run(&dir, &flags, &[("HTTP_METHOD", "GET"), ("HTTP_URL", &url)]);
    assert_eq!(
        (out.code, out.stdout, out.stderr),
        (
            1,
            format!("Making GET request to {url}\nError making request: host not allowed\n"),
            String::new()
        )
    );
    assert_eq!(server.total(), 0);
}

/// Bacalhau's TestWasmHTTPWildcardHostMatching: Network HTTP with the server's host given
/// exactly (`127.0.0.1`, the URL adding its port) or by a wildcard (`127.0.0.*`) reaches it.
#[test]
fn a_host_given_exactly_or_by_a_wildcard_is_reached() {
    let (dir, server) = (TempDir::new("bacalhau-http-wildcard"), Server::start());
    endpoint(&server, "/get", "GET", 200, GET_BODY);
    let url = server.url("/get");
    for domain in ["127.0.0.1", "127.0.0.*"] {
        let flags = ["--network", "http", "--allow-domain", domain];
        let out = run(&dir, &flags, &[("HTTP_METHOD", "GET"), ("HTTP_URL", &url)]);
        assert_eq!(
            (out.code, out.stdout, out.stderr),
            (0, printed("GET", &url, 200, GET_BODY), String::new()),
            "{domain}"
        );
    }
    assert_eq!(server.count("/get"), 2);
}

/// Bacalhau's TestNetworkAccess and TestWildcardMatching (http_test.go), row by row, with
/// `127.0.0.1` for their host names: Host allows any host (Full, its older name, is a job's
/// `Network.Type`: tests/integration/network_scenarios.rs); HTTP allows a host matching
/// one of its domains, exactly (also when the URL has a port), or by a leading, trailing, middle
/// or lone `*`; "no match" and "not in allowlist" are refused (result 4, exit 1) before
/// connecting. Their "No network access" row is
/// `without_network_the_module_fails_to_link_and_nothing_is_sent`.
#[test]
fn network_types_and_domain_patterns_decide_like_bacalhaus_tables() {
    let (dir, server) = (TempDir::new("bacalhau-http-access"), Server::start());
    endpoint(&server, "/get", "GET", 200, GET_BODY);
    let url = server.url("/get");
    let http = |domain: &'static str| vec!["--network", "http", "--allow-domain", domain];
    // Every URL here has the server's port, so each row also checks that the host's port is
    // ignored (their "Exact match with port"); a port in the pattern is ignored too.
    let rows: [(&str, Vec<&str>, bool); 9] = [
        (
            "Host network access allows any host",
            vec!["--network", "host"],
            true,
        ),
        (
            "HTTP restricted - exact host match",
            http("127.0.0.1"),
            true,
        ),
        (
            "HTTP restricted - host not in allowlist",
            http("127.0.0.2"),
            false,
        ),
        ("HTTP restricted - wildcard match", http("*.0.0.1"), true),
        ("Exact match with port", http("127.0.0.1:8080"), true),
        ("Suffix wildcard", http("127.*"), true),
        ("Middle wildcard", http("127.*.1"), true),
        ("No match", http("10.0.0.1"), false),
        ("Global wildcard", http("*"), true),
    ];
    let mut reached = 0;
    for (row, flags, allowed) in rows {
        let out = run(&dir, &flags, &[("HTTP_URL", &url)]);
        let expected = if allowed {
            reached += 1;
            (0, printed("GET", &url, 200, GET_BODY))
        } else {
            (
                1,
                format!("Making GET request to {url}\nError making request: host not allowed\n"),
            )
        };
        assert_eq!((out.code, out.stdout), expected, "{row}: {}", out.stderr);
    }
    assert_eq!(server.count("/get"), reached);
}

/// Bacalhau's TestHeaderParsing: request headers are `Key: Value` lines; empty lines, and a
/// leading or trailing newline, are skipped, and an empty text sends no header of the guest's.
#[test]
fn request_headers_are_lines_and_empty_lines_are_skipped() {
    let (dir, server) = (TempDir::new("bacalhau-http-headers"), Server::start());
    endpoint(&server, "/get", "GET", 200, GET_BODY);
    let url = server.url("/get");
    for headers in [
        "Content-Type: application/json",
        "Content-Type: application/json\nAuthorization: Bearer token",
        "\nContent-Type: application/json\n\nAuthorization: Bearer token\n",
        "",
    ] {
        let vars = [("HTTP_URL", url.as_str()), ("HTTP_HEADERS", headers)];
        let out = run(&dir, &["--network", "host"], &vars);
        assert_eq!(out.code, 0, "{headers:?}: {}", out.stderr);
    }
    let seen: Vec<(Option<String>, Option<String>)> = server
        .requests()
        .iter()
        .map(|r| {
            let get = |name| r.header(name).map(str::to_string);
            (get("content-type"), get("authorization"))
        })
        .collect();
    let some = |s: &str| Some(s.to_string());
    assert_eq!(
        seen,
        [
            (some("application/json"), None),
            (some("application/json"), some("Bearer token")),
            (some("application/json"), some("Bearer token")),
            (None, None),
        ]
    );
    // bolinho says who is asking, where Go says `Go-http-client/1.1` (README's differences).
    for r in server.requests() {
        let agent = concat!("bolinho/", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            (r.header("user-agent"), r.header("accept")),
            (Some(agent), Some("*/*"))
        );
    }
}
