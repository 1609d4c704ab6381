//! Host-call cost: the same WAT guests under wasi-shim and under wasmi_wasi, on one wasmi
//! engine configuration, printing nanoseconds per call.
//!
//! Each guest exports `run(n)`, a loop of `n` calls of one WASI function that traps on any
//! errno, so a broken call cannot look fast. Each case is instantiated once, warmed up,
//! then timed `REPS` times; the median is reported (the minimum beside it). The `loop`
//! case calls nothing: it is the interpreter's own cost per iteration, included in every
//! other figure; `empty host function` calls a host function that does nothing (defined
//! by this program, not by either WASI layer), which is wasmi's own floor for a host call.
//!
//! Usage: `cargo run --release -- [CALLS] [REPS] [FILTER]` (defaults 2000000, 7, and every
//! case). FILTER keeps the runs whose "<runtime> <case>" contains it, to profile one of
//! them: `perf record target/release/hostcalls 5000000 3 "wasi-shim fd_write 16 B to a s"`.

use std::io;
use std::path::Path;
use std::time::Instant;
use wasmi::{Engine, Linker, Module, Store, TypedFunc};

/// The loop every guest shares: `$body` runs `$n` times.
fn guest(imports: &str, setup: &str, body: &str, teardown: &str) -> String {
    format!(
        r#"(module
          {imports}
          (memory (export "memory") 1)
          (data (i32.const 64) "0123456789abcde\n")
          (data (i32.const 32) "data.bin")
          (func (export "run") (param $n i32) (local $fd i32)
            ;; iovec at 0: 16 bytes at 64. Out-values go to 8 and 24.
            (i32.store (i32.const 0) (i32.const 64))
            (i32.store (i32.const 4) (i32.const 16))
            {setup}
            (block $done
              (loop $next
                (br_if $done (i32.eqz (local.get $n)))
                {body}
                (local.set $n (i32.sub (local.get $n) (i32.const 1)))
                (br $next)))
            {teardown}))"#
    )
}

const W: &str = "wasi_snapshot_preview1";

struct Case {
    name: &'static str,
    wat: String,
}

fn cases() -> Vec<Case> {
    let fd_write = format!(
        r#"(import "{W}" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))"#
    );
    let write_body = "(if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
                        (then unreachable))";
    let read_imports = format!(
        r#"(import "{W}" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
           (import "{W}" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
           (import "{W}" "fd_close" (func $fd_close (param i32) (result i32)))"#
    );
    // path_open(3, 0, "data.bin", oflags 0, rights FD_READ, 0, fdflags 0, &fd at 24).
    let open = "(if (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 8)
                   (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 24))
                 (then unreachable))
               (local.set $fd (i32.load (i32.const 24)))";
    // Every read must fill the 16 bytes: the file is large enough for all calls.
    let read_body = "(if (call $fd_read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))
                       (then unreachable))
                     (if (i32.ne (i32.load (i32.const 8)) (i32.const 16)) (then unreachable))";
    let close = "(drop (call $fd_close (local.get $fd)))";
    let sizes = format!(
        r#"(import "{W}" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))"#
    );
    let sizes_body = "(if (call $args_sizes_get (i32.const 8) (i32.const 12)) (then unreachable))";
    vec![
        Case {
            name: "loop (no call)",
            wat: guest("", "", "(nop)", ""),
        },
        Case {
            name: "empty host function",
            wat: guest(
                r#"(import "bench" "nop" (func $nop (param i32 i32) (result i32)))"#,
                "",
                "(if (call $nop (i32.const 8) (i32.const 12)) (then unreachable))",
                "",
            ),
        },
        Case {
            name: "args_sizes_get",
            wat: guest(&sizes, "", sizes_body, ""),
        },
        Case {
            name: "fd_write 16 B to a sink",
            wat: guest(&fd_write, "", write_body, ""),
        },
        Case {
            name: "fd_write 16 B to /dev/null",
            wat: guest(&fd_write, "", write_body, ""),
        },
        Case {
            name: "fd_read 16 B from a file",
            wat: guest(&read_imports, open, read_body, close),
        },
    ]
}

/// Median and minimum ns per call over `reps` timed runs of `run(calls)`.
fn time<T>(store: &mut Store<T>, run: TypedFunc<i32, ()>, calls: u32, reps: usize) -> (f64, f64) {
    run.call(&mut *store, (calls / 10) as i32).expect("warm-up");
    let mut ns: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            run.call(&mut *store, calls as i32).expect("timed run");
            start.elapsed().as_nanos() as f64 / f64::from(calls)
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    (ns[reps / 2], ns[0])
}

/// The guest's stdout for a case: a sink, or /dev/null for the case that says so.
fn devnull(case: &Case) -> Option<std::fs::File> {
    case.name.ends_with("/dev/null").then(|| {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .expect("/dev/null")
    })
}

/// The host function of the `empty host function` case.
fn nop(_: u32, _: u32) -> u32 {
    0
}

struct ShimHost {
    wasi: wasi_shim::WasiCtx,
}

fn run_shim(engine: &Engine, case: &Case, dir: &Path, calls: u32, reps: usize) -> (f64, f64) {
    let stdout: Box<dyn io::Write + Send> = match devnull(case) {
        Some(f) => Box::new(f),
        None => Box::new(io::sink()),
    };
    let wasi = wasi_shim::WasiCtxBuilder::new()
        .stdout(stdout)
        .mount("/", dir, wasi_shim::Access::ReadOnly)
        .build()
        .expect("shim context");
    let mut linker = Linker::<ShimHost>::new(engine);
    wasi_shim::add_to_linker(&mut linker, |h| &mut h.wasi).expect("shim linker");
    linker.func_wrap("bench", "nop", nop).expect("nop");
    let module = Module::new(engine, &case.wat).expect("guest");
    let mut store = Store::new(engine, ShimHost { wasi });
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .expect("instantiate");
    let run = instance.get_typed_func(&store, "run").expect("run");
    time(&mut store, run, calls, reps)
}

fn run_wasmi_wasi(engine: &Engine, case: &Case, dir: &Path, calls: u32, reps: usize) -> (f64, f64) {
    use wasmi_wasi::wasi_common::pipe::WritePipe;
    use wasmi_wasi::{Dir, ambient_authority};
    let mut builder = wasmi_wasi::WasiCtxBuilder::new();
    match devnull(case) {
        Some(f) => builder.stdout(Box::new(WritePipe::new(f))),
        None => builder.stdout(Box::new(WritePipe::new(io::sink()))),
    };
    let preopen = Dir::open_ambient_dir(dir, ambient_authority()).expect("preopen");
    builder.preopened_dir(preopen, "/").expect("preopen");
    let wasi = builder.build();
    let mut linker = Linker::<wasmi_wasi::WasiCtx>::new(engine);
    wasmi_wasi::add_to_linker(&mut linker, |ctx| ctx).expect("wasmi_wasi linker");
    linker.func_wrap("bench", "nop", nop).expect("nop");
    let module = Module::new(engine, &case.wat).expect("guest");
    let mut store = Store::new(engine, wasi);
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .expect("instantiate");
    let run = instance.get_typed_func(&store, "run").expect("run");
    time(&mut store, run, calls, reps)
}

/// Median ns of one 16-byte `write(2)` to /dev/null from Rust: what the /dev/null rows cost
/// before any wasm or WASI is involved.
fn native_write(calls: u32, reps: usize) -> f64 {
    use std::io::Write;
    let mut null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .expect("/dev/null");
    let mut ns: Vec<f64> = (0..reps)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..calls {
                null.write_all(b"0123456789abcde\n").expect("write");
            }
            start.elapsed().as_nanos() as f64 / f64::from(calls)
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    ns[reps / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let calls: u32 = args.next().map_or(2_000_000, |a| a.parse().expect("CALLS"));
    let reps: usize = args.next().map_or(7, |a| a.parse().expect("REPS"));
    let filter = args.next().unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("hostcalls-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    // Enough for every read of the warm-up and of each timed run (each run reopens the file).
    let data = vec![b'x'; 16 * calls as usize + 16];
    std::fs::write(dir.join("data.bin"), data).expect("data file");

    let engine = Engine::default();
    println!("{calls} calls per run, median of {reps} runs (min), ns per call");
    println!("{:<28} {:>18} {:>18}", "case", "wasi-shim", "wasmi_wasi");
    let wanted = |runtime: &str, name: &str| format!("{runtime} {name}").contains(&filter);
    let show = |r: Option<(f64, f64)>| match r {
        Some((median, min)) => format!("{median:>9.1} ({min:>6.1})"),
        None => format!("{:>18}", "-"),
    };
    for case in cases() {
        let shim =
            wanted("wasi-shim", case.name).then(|| run_shim(&engine, &case, &dir, calls, reps));
        let peer = wanted("wasmi_wasi", case.name)
            .then(|| run_wasmi_wasi(&engine, &case, &dir, calls, reps));
        if shim.is_some() || peer.is_some() {
            println!("{:<28} {} {}", case.name, show(shim), show(peer));
        }
    }
    if wanted("native", "write(2)") {
        println!(
            "{:<28} {:>9.1}  (the host syscall alone, no wasm)",
            "native write(2) /dev/null",
            native_write(calls, reps)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
