//! No crash, no hang, and every limit holding on the guest's total: guests that loop on a
//! failing `memory.grow`, grow gigabytes in one step, write into a pipe nobody reads, spread
//! memory over many memories and tables, or leave an output of gigabytes behind.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{ended_at_the_timeout, hostile_job, receipt};
use crate::support::{self, TempDir, bolinho, output};

/// Runs `bolinho run MODULE.wat ARGS` with the module's text, returning the output and how
/// long it took.
fn run_wat(dir: &TempDir, wat: &str, args: &[&str]) -> (support::Output, Duration) {
    dir.write("m.wat", wat);
    let mut all = vec!["run"];
    all.extend(args);
    all.push("m.wat");
    let started = Instant::now();
    let out = bolinho(dir.path(), &all);
    (out, started.elapsed())
}

const TIMED_OUT: &str = "bolinho: error: the guest ran past its timeout of 1s\n";

#[test]
fn a_failing_grow_in_a_loop_never_overflows_the_host_stack() {
    let dir = TempDir::new("hostile-grow-loop");
    // wasmi keeps a host stack frame for each `memory.grow` or `table.grow` until its slice
    // of fuel ends (docs/upstream/wasmi-non-tail-handlers.md); a loop of failing ones used to
    // abort bolinho with SIGABRT, whatever the limits said.
    let loops = [
        "(module (memory 1) (func (export \"_start\") (local i32) (local.set 0 (i32.const -1)) \
         (loop (drop (memory.grow (local.get 0))) (br 0))))",
        "(module (table 1 funcref) (func (export \"_start\") (local i32) \
         (loop (drop (table.grow (ref.null func) (local.get 0))) (br 0))))",
    ];
    for wat in loops {
        let (out, _) = run_wat(&dir, wat, &["--timeout", "1"]);
        assert_eq!((out.code, out.stderr.as_str()), (124, TIMED_OUT), "{wat}");
        let (out, _) = run_wat(&dir, wat, &["--fuel", "50000000"]);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (134, "bolinho: error: the guest trapped: out of fuel\n"),
            "{wat}"
        );
    }
}

#[test]
fn one_block_of_a_million_grows_has_the_stack_it_needs() {
    let dir = TempDir::new("hostile-grow-block");
    // One function whose one block is a million failing `memory.grow`s: the block is paid for
    // whole, so its frames all stay until it ends (176 MB of them).
    let grows = 1_000_000usize;
    let mut body = vec![0x00, 0x41, 0x7f]; // no locals; i32.const -1
    body.extend(std::iter::repeat_n([0x40, 0x00], grows).flatten()); // memory.grow 0
    body.extend([0x1a, 0x0b]); // drop; end
    let mut module = b"\0asm\x01\0\0\0".to_vec();
    let section = |module: &mut Vec<u8>, id: u8, payload: &[u8]| {
        module.push(id);
        leb128(module, payload.len());
        module.extend_from_slice(payload);
    };
    section(&mut module, 1, &[1, 0x60, 0, 0]); // type () -> ()
    section(&mut module, 3, &[1, 0]); // one function of type 0
    section(&mut module, 5, &[1, 0, 1]); // memory 1
    section(&mut module, 7, b"\x01\x06_start\x00\x00"); // export it
    let mut code = vec![1];
    leb128(&mut code, body.len());
    code.extend_from_slice(&body);
    section(&mut module, 10, &code);
    dir.write("block.wasm", &module);
    let out = bolinho(dir.path(), &["run", "block.wasm"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
}

fn leb128(out: &mut Vec<u8>, mut value: usize) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            return out.push(byte);
        }
        out.push(byte | 0x80);
    }
}

#[test]
fn a_step_of_gigabytes_cannot_outrun_the_timeout() {
    let dir = TempDir::new("hostile-huge-step");
    // Each is one step wasmi cannot stop: zero-filling almost 4 GiB takes seconds.
    let steps = [
        "(module (memory 1) (func (export \"_start\") (drop (memory.grow (i32.const 60000)))))",
        "(module (memory 65536) (func (export \"_start\")))",
    ];
    for wat in steps {
        let (out, took) = run_wat(&dir, wat, &["--timeout", "1"]);
        assert_eq!((out.code, out.stderr.as_str()), (124, TIMED_OUT), "{wat}");
        assert!(took < Duration::from_secs(4), "{took:?}: {wat}");
    }
}

#[test]
fn a_write_into_a_pipe_nobody_reads_ends_at_the_timeout() {
    let dir = TempDir::new("hostile-full-pipe");
    // 100 MB in one fd_write, to a stdout nobody reads: the pipe fills and the write blocks.
    dir.write(
        "m.wat",
        "(module (import \"wasi_snapshot_preview1\" \"fd_write\" \
         (func $w (param i32 i32 i32 i32) (result i32))) (memory (export \"memory\") 1600) \
         (func (export \"_start\") (i32.store (i32.const 0) (i32.const 64)) \
         (i32.store (i32.const 4) (i32.const 100000000)) \
         (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))",
    );
    let started = Instant::now();
    let mut child = support::command(
        dir.path(),
        &["run", "--timeout", "1", "--results", "out", "m.wat"],
        &[],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Held open, never read, until bolinho has ended.
    let _stdout = child.stdout.take();
    ended_at_the_timeout(child, started, &dir);
}

#[test]
fn every_memory_and_table_counts_against_one_limit() {
    let dir = TempDir::new("hostile-total-memory");
    // Four memories of 4 pages under a limit of 8: each fits, together they do not.
    let memories =
        "(module (memory 4) (memory 4) (memory 4) (memory 4) (func (export \"_start\")))";
    let (out, _) = run_wat(&dir, memories, &["--memory", "512KiB"]);
    assert_eq!(out.code, 123, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "its memories and tables need more than the memory limit of 524288 bytes, shared by \
             every memory and table of the run"
        ),
        "{}",
        out.stderr
    );
    let (out, _) = run_wat(&dir, memories, &["--memory", "1MiB"]);
    assert_eq!(out.code, 0, "{}", out.stderr);

    // A table counts 4 bytes an element: 300,000 of them are over a MiB.
    let (out, _) = run_wat(
        &dir,
        "(module (table (export \"t\") 300000 funcref) (func (export \"_start\")))",
        &["--memory", "1MiB"],
    );
    assert_eq!(out.code, 123, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "table `t` declares a minimum of 300000 elements (1200000 bytes), above the memory \
             limit of 1048576 bytes"
        ),
        "{}",
        out.stderr
    );
    // Growing a table past the limit fails as `table.grow` does, with -1.
    let grow = "(module (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32))) \
                (table 0 funcref) (func (export \"_start\") \
                (call $exit (i32.eq (table.grow (ref.null func) (i32.const 300000)) (i32.const -1)))))";
    let (out, _) = run_wat(&dir, grow, &["--memory", "1MiB"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, ""),
        "-1 under the limit"
    );
    let (out, _) = run_wat(&dir, grow, &["--memory", "2MiB"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""), "grown within it");

    // A 64-bit memory larger than 4 GiB, with no limit given: the default is 4 GiB in all.
    let (out, _) = run_wat(
        &dir,
        "(module (memory (export \"m\") i64 70000) (func (export \"_start\")))",
        &[],
    );
    assert_eq!(out.code, 123, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("above the memory limit of 4294967296 bytes"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_table_grow_that_needs_more_than_a_slice_of_fuel_finishes() {
    let dir = TempDir::new("hostile-table-grow");
    // 16.7M elements cost more fuel than a slice; it used to be asked for again for ever.
    let (out, took) = run_wat(
        &dir,
        "(module (table 0 funcref) (func (export \"_start\") \
         (drop (table.grow (ref.null func) (i32.const 16700000)))))",
        &["--timeout", "20"],
    );
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert!(took < Duration::from_secs(10), "{took:?}");
}

/// `command` with its `resource` limited to `value` in the child.
fn limited(command: &mut Command, resource: libc::__rlimit_resource_t, value: u64) -> &mut Command {
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: value,
                rlim_max: value,
            };
            if libc::setrlimit(resource, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    }
}

#[test]
fn hashing_a_huge_sparse_output_takes_little_memory() {
    let dir = TempDir::new("hostile-sparse");
    const SIZE: u64 = 3_000_000_000;
    hostile_job(&dir, &["sparse", "/outputs/big", &SIZE.to_string()], "");
    let mut command = support::command(dir.path(), &["run", "job.yaml", "--results", "out"], &[]);
    // 3 GB read whole would not fit in 1 GiB of address space.
    let out = output(
        limited(&mut command, libc::RLIMIT_AS, 1 << 30)
            .output()
            .unwrap(),
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "done\n"),
        "{}",
        out.stderr
    );
    let mut zeros = sha2::Sha256::default();
    let chunk = vec![0u8; 1 << 20];
    let mut left = SIZE;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        sha2::Digest::update(&mut zeros, &chunk[..n]);
        left -= n as u64;
    }
    let hex: String = sha2::Digest::finalize(zeros)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        receipt(&dir.join("out"))["results"]["outputs/big"],
        format!("sha256:{hex}")
    );
}

#[test]
fn a_read_of_stdin_that_never_ends_ends_at_the_timeout() {
    let dir = TempDir::new("hostile-stdin-timeout");
    let wait = crate::support::testdata("wat/wait_stdin.wat");
    let started = Instant::now();
    let mut child = support::command(
        dir.path(),
        &[
            "run",
            "--timeout",
            "1",
            "--results",
            "out",
            wait.to_str().unwrap(),
        ],
        &[],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Held open, and empty, until bolinho has ended: only the timeout ends the read.
    let _stdin = child.stdin.take();
    ended_at_the_timeout(child, started, &dir);
}

#[test]
fn messages_about_a_module_name_what_the_guest_did_not_the_engines_internals() {
    let dir = TempDir::new("hostile-messages");
    // An element segment outside its table traps as instantiation runs it, as a data segment
    // outside its memory does; wasmi's own error quoted its store handles.
    let (out, _) = run_wat(
        &dir,
        "(module (table 1 funcref) (func $f) (elem (i32.const 5) $f) (func (export \"_start\")))",
        &[],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            134,
            "bolinho: error: the guest trapped: out of bounds table access\n"
        )
    );
    // A minimum of 2^48 pages is 2^64 bytes: said as it is, not wrapped round to 0.
    let (out, _) = run_wat(
        &dir,
        "(module (memory (export \"m\") i64 281474976710656) (func (export \"_start\")))",
        &[],
    );
    assert_eq!(out.code, 123);
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to instantiate m.wat: memory `m` declares a minimum of \
         281474976710656 pages (18446744073709551616 bytes), above the memory limit of \
         4294967296 bytes, shared by every memory and table of the run\n"
    );
}

#[test]
fn output_reaches_the_terminal_as_the_guest_writes_it() {
    use std::io::Read;
    let dir = TempDir::new("live-output");
    // Half a line, then a loop until the timeout: bolinho holds nothing back for a newline.
    dir.write(
        "m.wat",
        "(module (import \"wasi_snapshot_preview1\" \"fd_write\" \
         (func $w (param i32 i32 i32 i32) (result i32))) (memory (export \"memory\") 1) \
         (data (i32.const 16) \"partial\") (func (export \"_start\") \
         (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 7)) \
         (drop (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) \
         (loop (br 0))))",
    );
    let started = Instant::now();
    let mut child = support::command(dir.path(), &["run", "--timeout", "20", "m.wat"], &[])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut partial = [0u8; 7];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut partial)
        .unwrap();
    let took = started.elapsed();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(&partial, b"partial");
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn a_tree_of_many_directories_is_hashed_within_a_few_descriptors() {
    let dir = TempDir::new("hostile-many-directories");
    // Past the files hashed on the walk's own thread, each file waits for a hashing thread
    // with its directory open: one file per directory is the most directories at once.
    // Files large enough that the walk outpaces the hashing and fills the queue.
    let file = |i: usize| i.to_string().repeat(50_000);
    for i in 0..300 {
        dir.write(&format!("in/d{i:03}/f"), file(i));
    }
    let source = format!("file://{}:/inputs", dir.join("in").display());
    let hello = support::testdata("wasm/hello.wasm");
    let args = [
        "run",
        hello.to_str().unwrap(),
        "-i",
        &source,
        "--results",
        "out",
    ];
    let mut command = support::command(dir.path(), &args, &[]);
    let out = output(
        limited(&mut command, libc::RLIMIT_NOFILE, 40)
            .output()
            .unwrap(),
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "hello, world\n"),
        "{}",
        out.stderr
    );
    let inputs = &receipt(&dir.join("out"))["inputs"];
    assert_eq!(
        inputs["/inputs/d299/f"],
        support::sha256(file(299).as_bytes())
    );
    let files = inputs.as_object().unwrap().keys();
    assert_eq!(files.filter(|k| k.starts_with("/inputs/")).count(), 300);
}
