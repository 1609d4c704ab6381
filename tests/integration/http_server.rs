//! A loopback HTTP/1.1 server for tests: scripted routes, and a log of every request.
//!
//! ```ignore
//! let server = Server::start();
//! server.route("/a.txt", Reply::ok("hello").header("ETag", "\"v1\""));
//! server.route_sequence("/flaky", vec![Reply::status(500), Reply::ok("now")]);
//! server.route_fn("/cond", |req| match req.header("if-none-match") { .. });
//! run_something(&server.url("/a.txt"));
//! assert_eq!(server.count("/a.txt"), 1);
//! ```
//!
//! A route matches the request target exactly (path and query) first, then the path alone;
//! anything else is a `404`. Each connection serves one request and closes
//! (`Connection: close`), so a client never waits on a pooled connection. Every request is
//! logged (method, target, headers, body) as soon as it is read, before any delay, so a
//! request that times out is still counted. Replies can be delayed, hang (accept, read, never
//! answer), be cut short after a number of body bytes, or omit `Content-Length` or
//! `Connection: close` (the connection still closes). Dropping the server stops it; hanging
//! connections are closed then.

#![allow(dead_code)] // a toolkit: not every test uses every part

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// What a route answers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Never answer (until the server is dropped).
    pub hang: bool,
    /// Send `Content-Length` (the default) or end the body by closing the connection.
    pub content_length: bool,
    /// Close the connection after this many body bytes (`Content-Length` stays the full size).
    pub cut_after: Option<usize>,
    /// Send `Connection: close` (the default; the connection closes either way).
    pub connection_close: bool,
}

impl Reply {
    /// `200 OK` with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply::status(200).body(body)
    }

    /// `code` with its reason phrase as the body.
    pub fn status(code: u16) -> Reply {
        Reply {
            status: code,
            headers: Vec::new(),
            body: reason(code).as_bytes().to_vec(),
            delay: Duration::ZERO,
            hang: false,
            content_length: true,
            cut_after: None,
            connection_close: true,
        }
    }

    /// A redirect (`301`, `302`, `303`, `307`, `308`) to `location`.
    pub fn redirect(code: u16, location: &str) -> Reply {
        Reply::status(code).header("Location", location)
    }

    /// `304 Not Modified`, no body.
    pub fn not_modified() -> Reply {
        Reply::status(304).body("")
    }

    /// Accepts the request and never answers.
    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::status(200)
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    pub fn without_content_length(mut self) -> Reply {
        self.content_length = false;
        self
    }

    pub fn cut_after(mut self, bytes: usize) -> Reply {
        self.cut_after = Some(bytes);
        self
    }

    /// Leaves out `Connection: close`: with `without_content_length` or a bodiless status, a
    /// reply with no header at all.
    pub fn without_connection_close(mut self) -> Reply {
        self.connection_close = false;
        self
    }
}

/// A request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent (`/ipfs/x?format=raw`).
    pub target: String,
    pub path: String,
    pub query: Option<String>,
    /// In the order sent; names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = Box<dyn Fn(&Request) -> Reply + Send + Sync>;

enum Route {
    /// The same reply every time.
    Fixed(Reply),
    /// The next reply each time; the last one repeats.
    Sequence(Vec<Reply>, usize),
    Handler(Handler),
}

#[derive(Default)]
struct Shared {
    routes: Mutex<HashMap<String, Route>>,
    log: Mutex<Vec<Request>>,
    stop: AtomicBool,
}

/// A running server on `127.0.0.1` and a free port.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let accept_shared = Arc::clone(&shared);
        let accept = thread::spawn(move || {
            for stream in listener.incoming() {
                if accept_shared.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let shared = Arc::clone(&accept_shared);
                thread::spawn(move || serve(stream, &shared));
            }
        });
        Server {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base())
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers `target` (a path, or a path and query) with `reply`, every time.
    pub fn route(&self, target: &str, reply: Reply) -> &Server {
        self.set(target, Route::Fixed(reply))
    }

    /// Answers `target` with each of `replies` in turn, then the last one for ever.
    pub fn route_sequence(&self, target: &str, replies: Vec<Reply>) -> &Server {
        assert!(!replies.is_empty(), "a sequence needs a reply");
        self.set(target, Route::Sequence(replies, 0))
    }

    /// Answers `target` with whatever `handler` makes of the request.
    pub fn route_fn(
        &self,
        target: &str,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> &Server {
        self.set(target, Route::Handler(Box::new(handler)))
    }

    fn set(&self, target: &str, route: Route) -> &Server {
        self.shared
            .routes
            .lock()
            .unwrap()
            .insert(target.to_string(), route);
        self
    }

    /// Every request so far, in the order read.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.log.lock().unwrap().clone()
    }

    /// The requests whose path (without the query) is `path`.
    pub fn requests_to(&self, path: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// How many requests `path` (without the query) received.
    pub fn count(&self, path: &str) -> usize {
        self.requests_to(path).len()
    }

    /// How many requests the server received in all.
    pub fn total(&self) -> usize {
        self.shared.log.lock().unwrap().len()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// A URL on a loopback port nothing listens on: connecting is refused.
pub fn closed_port_url(path: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}{path}")
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_nodelay(true);
    let Some(request) = read_request(&stream) else {
        return;
    };
    shared.log.lock().unwrap().push(request.clone());
    let reply = answer(shared, &request);
    if !sleep_unless_stopped(shared, reply.delay) {
        return;
    }
    if reply.hang {
        while !shared.stop.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(20));
        }
        return;
    }
    let _ = write_reply(stream, &request, &reply);
}

/// The reply for `request`: exact target, then path, then 404.
fn answer(shared: &Shared, request: &Request) -> Reply {
    let mut routes = shared.routes.lock().unwrap();
    let key = if routes.contains_key(&request.target) {
        &request.target
    } else {
        &request.path
    };
    match routes.get_mut(key) {
        Some(Route::Fixed(reply)) => reply.clone(),
        Some(Route::Sequence(replies, next)) => {
            let reply = replies[(*next).min(replies.len() - 1)].clone();
            *next += 1;
            reply
        }
        Some(Route::Handler(handler)) => handler(request),
        None => Reply::status(404),
    }
}

/// Sleeps `d` in small steps; false if the server stopped meanwhile.
fn sleep_unless_stopped(shared: &Shared, d: Duration) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if shared.stop.load(Ordering::SeqCst) {
            return false;
        }
        thread::sleep((end - Instant::now()).min(Duration::from_millis(20)));
    }
    true
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_string(), Some(query.to_string())),
        None => (target.clone(), None),
    };
    Some(Request {
        method,
        target,
        path,
        query,
        headers,
        body,
    })
}

fn write_reply(mut stream: TcpStream, request: &Request, reply: &Reply) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    // 1xx, 204 and 304 have no body, so no length either.
    let bodyless = matches!(reply.status, 100..=199 | 204 | 304);
    if reply.content_length && !bodyless {
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    if reply.connection_close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if request.method != "HEAD" && !bodyless {
        let end = reply
            .cut_after
            .unwrap_or(reply.body.len())
            .min(reply.body.len());
        stream.write_all(&reply.body[..end])?;
    }
    stream.flush()?;
    stream.shutdown(std::net::Shutdown::Write)
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}
