//! Tests of `linker.rs` with a real engine: WAT modules (wasmi's default `wat` feature
//! parses them) linked against every table entry.

use super::*;
use crate::funcs::test_support::Captured;
use crate::table::FuncSpec;
use crate::{WasiCtx, WasiCtxBuilder};
use wasmi::{Engine, Module, Store, ValType};

struct Host {
    wasi: WasiCtx,
}

fn setup(wat: &str, wasi: WasiCtx) -> (Store<Host>, wasmi::Instance) {
    let engine = Engine::default();
    let module = Module::new(&engine, wat).expect("valid wat");
    let mut linker = Linker::<Host>::new(&engine);
    add_to_linker(&mut linker, |h: &mut Host| &mut h.wasi).unwrap();
    let mut store = Store::new(&engine, Host { wasi });
    let instance = linker.instantiate_and_start(&mut store, &module).unwrap();
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
fn handlers_exist_exactly_for_implemented_functions() {
    for s in &FUNCTIONS {
        assert_eq!(handler(s.name).is_some(), s.implemented, "{}", s.name);
    }
}

#[test]
fn every_function_links_and_unimplemented_ones_answer_enosys() {
    let wasi = WasiCtxBuilder::new().build().unwrap();
    let (mut store, instance) = setup(&import_everything(true), wasi);
    let mut unimplemented = 0;
    for s in FUNCTIONS.iter().filter(|s| !s.implemented) {
        let f = instance.get_func(&store, s.name).unwrap();
        let args: Vec<Val> = s
            .params
            .iter()
            .map(|t| {
                if *t == ValType::I64 {
                    Val::I64(0)
                } else {
                    Val::I32(0)
                }
            })
            .collect();
        let mut out = [Val::I32(-1)];
        f.call(&mut store, &args, &mut out).unwrap();
        assert_eq!(out[0].i32(), Some(52), "{}", s.name);
        unimplemented += 1;
    }
    assert!(unimplemented > 0);
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
    assert_eq!(
        call(&mut store, "args_sizes_get", &[Val::I32(0), Val::I32(4)]),
        Some(21)
    );
    assert_eq!(call(&mut store, "fd_close", &[Val::I32(2)]), Some(0));
    assert_eq!(call(&mut store, "fd_close", &[Val::I32(2)]), Some(8));
    assert!(FuncSpec::find("fd_close").unwrap().implemented);
}
