//! Ctrl-C (SIGINT) and SIGTERM stop the guest and keep its results, exiting with 130 and 143;
//! SIGKILL, which nothing can catch, never leaves a results directory that looks complete.

use std::fs;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{self, TempDir, first_line, names, send, testdata};

/// Starts bolinho with `args` in `dir`, waits for the guest's first line, `first` (so the
/// guest is running), and returns the child. With `stdin_open`, stdin is a pipe that stays
/// open and empty, so a read from it waits.
fn start(dir: &TempDir, args: &[&str], stdin_open: bool, first: &str) -> Child {
    let mut child = support::command(dir.path(), args, &[])
        .stdin(if stdin_open {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .spawn()
        .unwrap();
    assert_eq!(
        first_line(&mut child),
        first,
        "the guest's stdout streams live"
    );
    child
}

/// Sends `signal` to `child` and returns its exit code, its stderr, and how long it took to end.
fn stop(child: Child, signal: &str) -> (Option<i32>, String, Duration) {
    let sent = Instant::now();
    send(&child, signal);
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    )
}

/// A job running `wat` from testdata, with an output directory.
fn job(dir: &TempDir, wat: &str) {
    dir.write(
        "job.yaml",
        format!(
            "Name: spin\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: {{EntryModule: /m.wat}}}}\n    \
             InputSources:\n      - Target: /m.wat\n        Source: {{Type: local, Params: {{SourcePath: {}}}}}\n    \
             ResultPaths:\n      - {{Name: outputs, Path: /outputs}}\n",
            testdata(wat).display()
        ),
    );
}

#[test]
fn ctrl_c_and_sigterm_stop_a_computing_guest_and_keep_its_results() {
    for (signal, name, code) in [("-INT", "SIGINT", 130), ("-TERM", "SIGTERM", 143)] {
        let dir = TempDir::new("interrupt-job");
        job(&dir, "wat/forever.wat");
        let child = start(
            &dir,
            &["run", "job.yaml", "--quiet-portability", "--results", "out"],
            false,
            "started\n",
        );
        let (status, stderr, took) = stop(child, signal);
        assert_eq!(status, Some(code), "{signal}: {stderr}");
        assert_eq!(
            stderr,
            format!("bolinho: error: the guest was stopped by {name}\nbolinho: results in out\n")
        );
        assert!(took < Duration::from_secs(2), "{signal}: {took:?}");
        // A finished results directory, and nothing half-written beside it.
        assert_eq!(names(dir.path()), ["job.yaml", "out"], "{signal}");
        let read = |file: &str| fs::read_to_string(dir.join("out").join(file)).unwrap();
        assert_eq!(read("stdout"), "started\n");
        assert_eq!(read("exitCode"), code.to_string());
        let receipt: serde_json::Value = serde_json::from_str(&read("receipt.json")).unwrap();
        assert_eq!(receipt["outcome"]["stopped"], name);
        assert!(dir.join("out/outputs").is_dir());
    }
}

#[test]
fn a_signal_ends_a_real_sleep_at_once() {
    let dir = TempDir::new("interrupt-sleep");
    let sleep = testdata("wat/sleep.wat").display().to_string();
    let args = ["run", "--nondeterministic", "--results", "out", &sleep];
    let child = start(&dir, &args, false, "sleeping\n");
    let (status, stderr, took) = stop(child, "-TERM");
    assert_eq!(status, Some(143), "{stderr}");
    assert!(
        took < Duration::from_secs(2),
        "the 10 s sleep ended: {took:?}"
    );
    assert_eq!(
        fs::read_to_string(dir.join("out/stdout")).unwrap(),
        "sleeping\n",
        "the guest never woke"
    );
}

#[test]
fn a_signal_ends_a_read_of_stdin() {
    let dir = TempDir::new("interrupt-stdin");
    let wait = testdata("wat/wait_stdin.wat").display().to_string();
    let mut child = start(&dir, &["run", "--results", "out", &wait], true, "started\n");
    // Held open (and empty) until the test ends: the read can only end by the signal.
    let _stdin = child.stdin.take();
    let (status, stderr, took) = stop(child, "-INT");
    assert_eq!(status, Some(130), "{stderr}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(
        fs::read_to_string(dir.join("out/stdout")).unwrap(),
        "started\n"
    );
    assert_eq!(fs::read_to_string(dir.join("out/exitCode")).unwrap(), "130");
}

#[test]
fn sigkill_leaves_only_a_partial_directory() {
    let dir = TempDir::new("interrupt-kill");
    job(&dir, "wat/forever.wat");
    let mut child = start(
        &dir,
        &["run", "job.yaml", "--results", "out"],
        false,
        "started\n",
    );
    send(&child, "-KILL");
    assert!(!child.wait().unwrap().success());
    assert_eq!(names(dir.path()), ["job.yaml", "out"]);
    // Only the staging directory: nothing complete-looking (no exitCode) in out/.
    assert_eq!(names(&dir.join("out")), [".bolinho-partial"]);
    assert!(dir.join("out/.bolinho-partial/stdout").is_file());
}

#[test]
fn a_signal_while_results_are_published_stops_the_upload_and_keeps_them() {
    use crate::http_server::{Reply, Server};
    let server = Server::start();
    server.route("/b/runs/exitCode", Reply::hang());
    let dir = TempDir::new("interrupt-publish");
    crate::support::publishing_job(&dir, &server.base());
    let credentials = crate::support::LOOPBACK_CREDENTIALS;
    let args = ["run", "job.yaml", "--quiet-portability", "--results", "out"];
    let child = support::command(dir.path(), &args, &credentials)
        .spawn()
        .unwrap();
    let asked = Instant::now();
    while server.count("/b/runs/exitCode") == 0 {
        assert!(asked.elapsed() < Duration::from_secs(10), "no upload came");
        std::thread::sleep(Duration::from_millis(10));
    }
    let (status, stderr, took) = stop(child, "-INT");
    // Not the 30 s a read may wait for the server's answer.
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(status, Some(126), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "bolinho: error: failed to publish the results to \
             s3://b/runs/: failed to upload exitCode: failed to reach {}: stopped by SIGINT; \
             the results are kept in out\n",
            server.base().trim_end_matches('/')
        )
    );
    assert_eq!(
        fs::read_to_string(dir.join("out/stdout")).unwrap(),
        "hello, world\n"
    );
    assert_eq!(fs::read_to_string(dir.join("out/exitCode")).unwrap(), "0");
    assert_eq!(
        names(&dir.join("out")),
        ["exitCode", "receipt.json", "stderr", "stdout"]
    );
}

#[test]
fn a_second_signal_kills_bolinho_at_once_leaving_only_the_partial_directory() {
    use std::os::unix::process::ExitStatusExt;
    let dir = TempDir::new("interrupt-twice");
    // Prints "started", then grows its memory by almost 4 GiB: one step that takes wasmi
    // seconds, which the first signal cannot cut short.
    dir.write(
        "m.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "started\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 8))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (memory.grow (i32.const 60000)))))"#,
    );
    let child = start(
        &dir,
        &["run", "--results", "out", "m.wat"],
        false,
        "started\n",
    );
    send(&child, "-INT");
    std::thread::sleep(Duration::from_millis(50));
    let sent = Instant::now();
    send(&child, "-INT");
    let status = child.wait_with_output().unwrap().status;
    assert!(
        sent.elapsed() < Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(status.signal(), Some(libc::SIGINT), "{status:?}");
    // Nothing complete-looking: the results stay in the staging directory.
    assert_eq!(names(&dir.join("out")), [".bolinho-partial"]);
}
