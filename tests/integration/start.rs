//! A module's start function (its `start` section) runs as bolinho runs the entrypoint: in
//! slices of fuel, stopped by a timeout or a signal, its end the run's end when the guest exits
//! or traps there (`src/start.rs`).

use std::time::{Duration, Instant};

use crate::support::{TempDir, bolinho};

/// A module whose start function prints "started" then does `then`, and whose `_start` prints
/// "entry".
fn module(then: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "started\n")
  (data (i32.const 32) "entry\n")
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $init
    (call $print (i32.const 16) (i32.const 8))
    {then})
  (start $init)
  (func (export "_start") (call $print (i32.const 32) (i32.const 6))))"#
    )
}

/// Writes `module(then)` as `m.wat` in a new scratch directory.
fn scratch(name: &str, then: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("m.wat", module(then));
    dir
}

#[test]
fn a_start_function_runs_before_the_entrypoint() {
    let dir = scratch("start-ok", "");
    let out = bolinho(dir.path(), &["run", "--results", "r", "m.wat"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "started\nentry\n"),
        "{}",
        out.stderr
    );
    // Its fuel is counted with the rest.
    let receipt = std::fs::read_to_string(dir.join("r/receipt.json")).unwrap();
    let receipt: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    assert!(receipt["fuelUsed"].as_u64().unwrap() > 0);
}

#[test]
fn a_start_function_that_loops_is_stopped_by_the_timeout() {
    let dir = scratch("start-loop", "(loop $spin (br $spin))");
    let start = Instant::now();
    let out = bolinho(
        dir.path(),
        &["run", "--timeout", "0.3", "--results", "r", "m.wat"],
    );
    let took = start.elapsed();
    assert_eq!(out.code, 124, "{}", out.stderr);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(out.stdout, "started\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("r/exitCode")).unwrap(),
        "124"
    );
    // And by fuel, exactly as the entrypoint would be.
    let out = bolinho(dir.path(), &["run", "--fuel", "100000", "m.wat"]);
    assert_eq!(out.code, 134, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: the guest trapped: out of fuel\n"
    );
}

#[test]
fn an_exit_or_a_trap_in_a_start_function_ends_the_run() {
    let dir = scratch("start-exit", "(call $proc_exit (i32.const 3))");
    let out = bolinho(dir.path(), &["run", "m.wat"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (3, "started\n"),
        "{}",
        out.stderr
    );
    let dir = scratch("start-trap", "unreachable");
    let out = bolinho(dir.path(), &["run", "m.wat"]);
    assert_eq!((out.code, out.stdout.as_str()), (134, "started\n"));
    assert_eq!(
        out.stderr,
        "bolinho: error: the guest trapped: unreachable instruction executed\n"
    );
}

#[test]
fn the_start_function_is_not_an_entrypoint() {
    let dir = scratch("start-hidden", "");
    let out = bolinho(
        dir.path(),
        &["run", "--entrypoint", "bolinho:start", "m.wat"],
    );
    assert_eq!(out.code, 123, "{}", out.stderr);
    assert!(out.stderr.contains("no such export"), "{}", out.stderr);
    assert!(!out.stderr.contains("bolinho:start ()"), "{}", out.stderr);
    assert!(out.stderr.contains("_start () -> ()"), "{}", out.stderr);
}

/// An import module `lib` (a reactor) whose `_initialize` prints "initialised" then does
/// `then`, and an entry module that calls its `hello` ("hello") from `_start`.
fn reactor_and_entry(name: &str, then: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write(
        "lib.wat",
        format!(
            r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "initialised\n")
  (data (i32.const 32) "hello\n")
  (func $print (param $at i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_initialize")
    (call $print (i32.const 16) (i32.const 12))
    {then})
  (func (export "hello") (call $print (i32.const 32) (i32.const 6))))"#
        ),
    );
    dir.write(
        "main.wat",
        r#"(module
  (import "lib" "hello" (func $hello))
  (func (export "_start") (call $hello)))"#,
    );
    dir
}

#[test]
fn a_reactors_initialize_runs_first_and_is_bounded_like_the_entrypoint() {
    let run = |dir: &TempDir, flags: &[&str]| {
        let args = [&["run", "main.wat", "--import", "lib=lib.wat"][..], flags].concat();
        bolinho(dir.path(), &args)
    };
    let dir = reactor_and_entry("reactor-ok", "");
    let out = run(&dir, &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "initialised\nhello\n"),
        "{}",
        out.stderr
    );
    let dir = reactor_and_entry("reactor-loop", "(loop $spin (br $spin))");
    let start = Instant::now();
    let out = run(&dir, &["--timeout", "0.3"]);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (124, "initialised\n"),
        "{}",
        out.stderr
    );
    let out = run(&dir, &["--fuel", "100000"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (134, "bolinho: error: the guest trapped: out of fuel\n")
    );
}

#[test]
fn the_entry_modules_initialize_is_not_called() {
    // As Bacalhau: the entry module is called through its entrypoint alone, here the
    // reactor's `hello`.
    let dir = reactor_and_entry("reactor-entry", "");
    let out = bolinho(dir.path(), &["run", "lib.wat", "--entrypoint", "hello"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "hello\n"),
        "{}",
        out.stderr
    );
}
