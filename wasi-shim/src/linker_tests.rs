//! Tests of `linker.rs` with a real engine: WAT modules (wasmi's default `wat` feature
//! parses them) linked against every table entry.

use super::*;
use crate::funcs::test_support::Captured;
use crate::table::{FUNCTIONS, FuncSpec};
use crate::testutil::TempDir;
use crate::{Access, WasiCtxBuilder};
use wasmi::{Engine, Instance, Module, Store, Val, ValType};

struct Host {
    wasi: WasiCtx,
}

fn linker(engine: &Engine) -> Linker<Host> {
    let mut linker = Linker::<Host>::new(engine);
    add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
    linker
}

fn setup(wat: &str, wasi: WasiCtx) -> (Store<Host>, Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("valid wat");
    let mut store = Store::new(&engine, Host { wasi });
    let instance = linker(&engine)
        .instantiate_and_start(&mut store, &module)
        .unwrap();
    (store, instance)
}

fn wat_type(t: &ValType) -> &'static str {
    match t {
        ValType::I32 => "i32",
        ValType::I64 => "i64",
        _ => unreachable!(),
    }
}

/// A module importing all 46 functions with the table's signatures, re-exporting each.
fn import_everything(with_memory: bool) -> String {
    let mut wat = String::from("(module\n");
    for s in &FUNCTIONS {
        let params: Vec<_> = s.params.iter().map(wat_type).collect();
        let results: Vec<_> = s.results.iter().map(wat_type).collect();
        wat += &format!(
            "  (import \"{MODULE}\" \"{n}\" (func ${n} (param {}) (result {})))\n  (export \"{n}\" (func ${n}))\n",
            params.join(" "),
            results.join(" "),
            n = s.name,
        );
    }
    if with_memory {
        wat += "  (memory (export \"memory\") 1)\n";
    }
    wat + ")"
}

#[test]
fn every_function_is_registered_with_the_tables_signature() {
    let wasi = WasiCtxBuilder::new().build().unwrap();
    let (store, instance) = setup(&import_everything(true), wasi);
    for s in &FUNCTIONS {
        let ty = instance.get_func(&store, s.name).unwrap().ty(&store);
        assert_eq!(ty, s.func_type(), "{}", s.name);
    }
}

#[test]
fn fd_write_reaches_stdout_and_proc_exit_returns_the_status() {
    let wat = r#"
        (module
          (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "hello\n")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 6))
            (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
              (then unreachable))
            (if (i32.ne (i32.load (i32.const 8)) (i32.const 6))
              (then unreachable))
            (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
            (call $proc_exit (i32.add (i32.load (i32.const 32)) (i32.const 5)))
            unreachable)
          (func (export "exit_max")
            (call $proc_exit (i32.const -1)))
          (func (export "bad_fd") (result i32)
            (call $fd_write (i32.const 99) (i32.const 0) (i32.const 1) (i32.const 8))))
    "#;
    let stdout = Captured::default();
    let wasi = WasiCtxBuilder::new()
        .arg("prog")
        .arg("x")
        .stdout(Box::new(stdout.clone()))
        .build()
        .unwrap();
    let (mut store, instance) = setup(wat, wasi);
    let start = instance.get_typed_func::<(), ()>(&store, "_start").unwrap();
    let err = start.call(&mut store, ()).unwrap_err();
    assert_eq!(err.i32_exit_status(), Some(7));
    assert_eq!(stdout.bytes(), b"hello\n");
    let exit_max = instance
        .get_typed_func::<(), ()>(&store, "exit_max")
        .unwrap();
    let err = exit_max.call(&mut store, ()).unwrap_err();
    assert_eq!(err.i32_exit_status(), Some(-1), "u32::MAX passes through");
    let bad_fd = instance
        .get_typed_func::<(), i32>(&store, "bad_fd")
        .unwrap();
    assert_eq!(bad_fd.call(&mut store, ()).unwrap(), 8);
    store.data_mut().wasi.flush().unwrap();
}

#[test]
fn a_module_without_memory_gets_efault_but_still_works() {
    let wasi = WasiCtxBuilder::new().build().unwrap();
    let (mut store, instance) = setup(&import_everything(false), wasi);
    let call = |store: &mut Store<Host>, name: &str, args: &[Val]| {
        let mut out = [Val::I32(-1)];
        instance
            .get_func(&*store, name)
            .unwrap()
            .call(store, args, &mut out)
            .unwrap();
        out[0].i32()
    };
    assert_eq!(call(&mut store, "sched_yield", &[]), Some(0));
    // fd_datasync reaches `fd::fd_datasync`; stdio cannot be synced (EINVAL).
    assert_eq!(call(&mut store, "fd_datasync", &[Val::I32(1)]), Some(28));
    assert_eq!(
        call(&mut store, "args_sizes_get", &[Val::I32(0), Val::I32(4)]),
        Some(21)
    );
    assert_eq!(call(&mut store, "fd_close", &[Val::I32(2)]), Some(0));
    assert_eq!(call(&mut store, "fd_close", &[Val::I32(2)]), Some(8));
    assert!(FuncSpec::find("fd_close").is_some());
}

/// A module whose `go` writes `text` from its own memory and returns the errno; with no
/// memory export its own memory is private, so the call must fault.
fn writer(text: &str, export_memory: bool) -> String {
    let memory = if export_memory {
        r#"(memory (export "memory") 1)"#
    } else {
        "(memory 1)"
    };
    format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          {memory}
          (data (i32.const 16) "{text}")
          (func (export "go") (result i32)
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const {len}))
            (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))"#,
        len = text.replace("\\n", "\n").len(),
    )
}

#[test]
fn each_call_uses_the_calling_instances_memory() {
    let engine = Engine::default();
    let stdout = Captured::default();
    let wasi = WasiCtxBuilder::new()
        .stdout(Box::new(stdout.clone()))
        .build()
        .unwrap();
    let mut store = Store::new(&engine, Host { wasi });
    let linker = linker(&engine);
    let mut go = |wat: String| {
        let module = Module::new(&engine, wat).unwrap();
        let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
        instance.get_typed_func::<(), i32>(&store, "go").unwrap()
    };
    let (a, b, hidden) = (
        go(writer("from a\\n", true)),
        go(writer("b\\n", true)),
        go(writer("hidden\\n", false)),
    );
    let results: Vec<i32> = [a, b, hidden, a, hidden, b]
        .iter()
        .map(|f| f.call(&mut store, ()).unwrap())
        .collect();
    assert_eq!(results, [0, 0, 21, 0, 21, 0]);
    assert_eq!(stdout.bytes(), b"from a\nb\nfrom a\nb\n");
}

#[test]
fn i64_arguments_keep_all_their_bits() {
    // path_open (nine parameters, two i64 rights), then fd_seek by -3 from the end.
    let tmp = TempDir::new();
    tmp.file("f.txt", b"hello world");
    let wat = r#"
        (module
          (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 32) "f.txt")
          (func (export "go") (result i64)
            (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 5) (i32.const 0)
                  (i64.const 6) (i64.const 0) (i32.const 0) (i32.const 0))
              (then unreachable))
            (if (call $fd_seek (i32.load (i32.const 0)) (i64.const -3) (i32.const 2) (i32.const 8))
              (then unreachable))
            (i64.load (i32.const 8))))
    "#;
    let wasi = WasiCtxBuilder::new()
        .mount("/", tmp.path(), Access::ReadOnly)
        .build()
        .unwrap();
    let (mut store, instance) = setup(wat, wasi);
    let go = instance.get_typed_func::<(), i64>(&store, "go").unwrap();
    assert_eq!(go.call(&mut store, ()).unwrap(), 8);
}

#[test]
fn handlers_awaiting_the_table_work_through_the_engine() {
    // One relative 1 ms sleep on the monotonic clock: subscription at 0, event at 64.
    let wat = r#"
        (module
          (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
          (memory (export "memory") 1)
          (func (export "sleep") (result i32)
            (i64.store (i32.const 0) (i64.const 42))
            (i32.store8 (i32.const 8) (i32.const 0))
            (i32.store (i32.const 16) (i32.const 1))
            (i64.store (i32.const 24) (i64.const 1000000))
            (i32.store16 (i32.const 40) (i32.const 0))
            (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
          (func (export "raise") (result i32)
            (call $proc_raise (i32.const 6))))
    "#;
    let engine = Engine::default();
    let mut linker = Linker::<Host>::new(&engine);
    add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
    let wasi = WasiCtxBuilder::new().build().unwrap();
    let mut store = Store::new(&engine, Host { wasi });
    let module = Module::new(&engine, wat).unwrap();
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
    let sleep = instance.get_typed_func::<(), i32>(&store, "sleep").unwrap();
    let start = std::time::Instant::now();
    assert_eq!(sleep.call(&mut store, ()).unwrap(), 0);
    assert!(start.elapsed() >= std::time::Duration::from_millis(1));
    let memory = instance.get_memory(&store, "memory").unwrap();
    let bytes = memory.data(&store);
    let mut event = [0u8; 32];
    event[0] = 42;
    assert_eq!(&bytes[64..96], &event, "userdata 42, no error, type clock");
    assert_eq!(&bytes[128..132], &1u32.to_le_bytes());
    let raise = instance.get_typed_func::<(), i32>(&store, "raise").unwrap();
    assert_eq!(raise.call(&mut store, ()).unwrap(), 52);
}

#[test]
fn a_requested_stop_ends_the_guest_and_a_closed_handle_lets_no_call_run() {
    let wat = r#"
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 16) "x")
          (func (export "write") (result i32)
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 1))
            (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
    "#;
    let stdout = Captured::default();
    let interrupt = std::sync::Arc::new(crate::Interrupt::new());
    let wasi = WasiCtxBuilder::new()
        .stdout(Box::new(stdout.clone()))
        .interrupt(interrupt.clone())
        .build()
        .unwrap();
    let (mut store, instance) = setup(wat, wasi);
    let write = instance.get_typed_func::<(), i32>(&store, "write").unwrap();
    assert_eq!(write.call(&mut store, ()).unwrap(), 0);
    interrupt.close(|| {});
    let err = write.call(&mut store, ()).unwrap_err();
    assert!(err.downcast_ref::<Interrupted>().is_some(), "{err}");
    assert_eq!(stdout.bytes(), b"x", "the refused call wrote nothing");
}
