//! `bolinho run MODULE`: exit codes, traps, entrypoints, wasmtime-style flags.

use crate::support::{TempDir, bolinho, bolinho_with_stdin, testdata};

fn traps() -> String {
    testdata("wat/traps.wat").display().to_string()
}

#[test]
fn a_normal_return_exits_zero() {
    let dir = TempDir::new("return");
    let out = bolinho(dir.path(), &["run", &traps()]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "before\n", "")
    );
}

#[test]
fn proc_exit_codes_pass_through() {
    let dir = TempDir::new("exit");
    let module = testdata("wat/exit_code.wat").display().to_string();
    for (entrypoint, code) in [
        ("exit_0", 0),
        ("exit_3", 3),
        ("exit_255", 255),
        ("exit_256", 0),
        ("_start", 42),
    ] {
        let out = bolinho(dir.path(), &["run", &module, "--entrypoint", entrypoint]);
        assert_eq!(out.code, code, "{entrypoint}: {}", out.stderr);
        assert_eq!(out.stderr, "");
    }
    // The process exits with the low 8 bits, as a shell sees them; `exitCode` keeps them all.
    let out = bolinho(
        dir.path(),
        &["run", &module, "--entrypoint", "exit_256", "--results", "r"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("r/exitCode")).unwrap(),
        "256"
    );
}

#[test]
fn each_trap_is_named_and_keeps_earlier_output() {
    let dir = TempDir::new("traps");
    for (entrypoint, name) in [
        ("unreachable", "unreachable instruction executed"),
        ("divide_by_zero", "integer division by zero"),
        ("out_of_bounds", "out of bounds memory access"),
        ("stack_overflow", "stack overflow"),
    ] {
        let out = bolinho(dir.path(), &["run", &traps(), "--entrypoint", entrypoint]);
        assert_eq!(out.code, 134, "{entrypoint}");
        assert_eq!(out.stdout, "before\n", "{entrypoint}");
        assert_eq!(
            out.stderr,
            format!("bolinho: error: the guest trapped: {name}\n")
        );
    }
}

#[test]
fn a_bad_entrypoint_lists_the_exported_functions() {
    let dir = TempDir::new("entrypoint");
    let exports = "exported functions:\n  _start () -> ()\n  divide_by_zero () -> ()\n  \
        not_void () -> i32\n  out_of_bounds () -> ()\n  stack_overflow () -> ()\n  unreachable () -> ()\n";
    for (entrypoint, problem) in [
        ("main", "no such export"),
        ("not_void", "it has type () -> i32, not () -> ()"),
        ("not_a_function", "it is a global, not a function"),
        ("memory", "it is a memory, not a function"),
    ] {
        let out = bolinho(dir.path(), &["run", &traps(), "--entrypoint", entrypoint]);
        assert_eq!(out.code, 123);
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            format!(
                "bolinho: error: failed to find entrypoint `{entrypoint}` in {}: {problem}; {exports}",
                traps()
            )
        );
    }
}

#[test]
fn hello_world_in_c() {
    let dir = TempDir::new("hello");
    let out = bolinho(
        dir.path(),
        &["run", &testdata("wasm/hello.wasm").display().to_string()],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "hello, world\n", "")
    );
}

#[test]
fn args_and_env_are_exactly_the_flags() {
    let dir = TempDir::new("env");
    let module = testdata("wasm/env.wasm").display().to_string();
    let out = bolinho(
        dir.path(),
        &[
            "run", &module, "--env", "B=2", "--env", "A=1", "--", "x", "--y",
        ],
    );
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        "argc=3\nargv[0]=env.wasm\nargv[1]=x\nargv[2]=--y\nB=2\nA=1\n"
    );
    assert_eq!(out.code, 0);
}

#[test]
fn dir_mounts_a_host_directory_anywhere() {
    let dir = TempDir::new("dir");
    dir.write("host/data/a.txt", "alpha\n");
    dir.write("host/b.txt", "beta\n");
    let module = testdata("wasm/cat.wasm").display().to_string();
    let out = bolinho(
        dir.path(),
        &[
            "run",
            &module,
            "--dir",
            "host::/mnt",
            "--",
            "/mnt/data/a.txt",
            "mnt/b.txt",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "alpha\nbeta\n", "")
    );
    let out = bolinho(
        dir.path(),
        &["run", &module, "--dir", "host::/", "--", "/data/a.txt"],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, "alpha\n"));
}

#[test]
fn guests_cannot_read_outside_their_mounts() {
    let dir = TempDir::new("escape");
    dir.write("secret.txt", "secret\n");
    dir.write("host/a.txt", "a\n");
    let module = testdata("wasm/cat.wasm").display().to_string();
    let out = bolinho(
        dir.path(),
        &[
            "run",
            &module,
            "--dir",
            "host::/mnt",
            "--",
            "/mnt/../secret.txt",
            "/etc/passwd",
        ],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.starts_with("cat: /mnt/../secret.txt: "),
        "{}",
        out.stderr
    );
}

#[test]
fn a_module_that_does_not_validate_is_a_load_error() {
    let dir = TempDir::new("invalid");
    let path = dir.write("bad.wasm", b"\0asm\x01\0\0\0\x01");
    let out = bolinho(dir.path(), &["run", &path.display().to_string()]);
    assert_eq!(out.code, 123);
    assert!(
        out.stderr.starts_with(&format!(
            "bolinho: error: failed to load module {}: ",
            path.display()
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn a_module_run_reads_bolinhos_stdin_and_a_job_reads_nothing() {
    let dir = TempDir::new("stdin");
    let cat = testdata("wasm/cat.wasm").display().to_string();
    let out = bolinho_with_stdin(dir.path(), &["run", &cat], b"piped in\n");
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "piped in\n", "")
    );
    dir.write(
        "job.yaml",
        format!(
            "Name: cat\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: {{EntryModule: /cat.wasm}}}}\n    \
             InputSources:\n      - Target: /cat.wasm\n        Source: {{Type: local, Params: {{SourcePath: {cat}}}}}\n"
        ),
    );
    let out = bolinho_with_stdin(
        dir.path(),
        &["run", "job.yaml", "--results", "r"],
        b"not for the job\n",
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
}

/// A guest that copies stdin to stdout as it reads: more than a pipe holds goes through both
/// at once, byte for byte (and the test's own feeding of stdin must not wait on its reading).
#[test]
fn a_module_run_streams_more_stdin_than_a_pipe_holds_through_its_guest() {
    let dir = TempDir::new("stdin-large");
    let input: Vec<u8> = (0..1_000_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let cat = testdata("wasm/cat.wasm").display().to_string();
    let out = bolinho_with_stdin(dir.path(), &["run", &cat], &input);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert!(
        out.stdout.as_bytes() == input,
        "{} bytes out",
        out.stdout.len()
    );
}

/// A guest running millions of instructions once overflowed the host's stack in debug builds:
/// wasmi's handlers only chain as jumps when optimised (see Cargo.toml's profiles).
#[test]
fn a_long_running_guest_does_not_overflow_the_stack() {
    let dir = TempDir::new("long-running");
    let line = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n";
    let text = line.repeat(16 * 1024); // 1.2 MB, about 16 million guest instructions through cat
    dir.write("big.txt", &text);
    let cat = testdata("wasm/cat.wasm").display().to_string();
    let out = bolinho(dir.path(), &["run", &cat, "--dir", ".::/", "--", "big.txt"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert!(
        out.stdout == text,
        "stdout differs from the file ({} bytes)",
        out.stdout.len()
    );
}
