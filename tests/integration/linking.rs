//! Import modules: found by `--import NAME=PATH`, by Alias, by Target and by guest path, sharing
//! functions, a memory and a global; every unresolved import reported at once.

use crate::support::{TempDir, bolinho, testdata};

fn uses_memlib(module_name: &str) -> String {
    std::fs::read_to_string(testdata("wat/uses_memlib.wat"))
        .unwrap()
        .replace("\"memlib\"", &format!("\"{module_name}\""))
}

#[test]
fn import_flag_links_functions_memory_and_global() {
    let dir = TempDir::new("import-flag");
    let entry = testdata("wat/uses_memlib.wat").display().to_string();
    let lib = format!("memlib={}", testdata("wat/memlib.wat").display());
    let out = bolinho(dir.path(), &["run", &entry, "--import", &lib]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "hello from memlib\n", "")
    );
}

#[test]
fn every_unresolved_import_is_listed_before_running() {
    let dir = TempDir::new("unresolved");
    let entry = dir.write(
        "entry.wat",
        uses_memlib("memlib").replace("fd_write", "fd_writ"),
    );
    let e = entry.display();
    let out = bolinho(dir.path(), &["run", &entry.display().to_string()]);
    assert_eq!(out.code, 123);
    assert_eq!(out.stdout, "");
    let missing = "no import module is named `memlib`, and no file /memlib exists";
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to link {e}: 5 unresolved imports:\n  \
             {e} imports memlib::greet (func (i32) -> i32): {missing}\n  \
             {e} imports wasi_snapshot_preview1::fd_writ (func (i32, i32, i32, i32) -> i32): \
             `fd_writ` is not a WASI preview1 function\n  \
             {e} imports memlib::table (table 1.. funcref): {missing}\n  \
             {e} imports memlib::memory (memory 1.. pages): {missing}\n  \
             {e} imports memlib::calls (global mut i32): {missing}\n"
        )
    );
}

#[test]
fn a_provider_with_the_wrong_types_is_reported() {
    let dir = TempDir::new("mismatch");
    let lib = dir.write("lib.wat", r#"(module (memory (export "memory") 1) (func (export "greet")) (global (export "calls") i32 (i32.const 0)) (table (export "table") 2 externref))"#);
    let entry = testdata("wat/uses_memlib.wat").display().to_string();
    let out = bolinho(
        dir.path(),
        &[
            "run",
            &entry,
            "--import",
            &format!("memlib={}", lib.display()),
        ],
    );
    let l = lib.display();
    assert_eq!(out.code, 123);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to link {entry}: 3 unresolved imports:\n  \
             {entry} imports memlib::greet (func (i32) -> i32): {l} exports it as func () -> ()\n  \
             {entry} imports memlib::table (table 1.. funcref): {l} exports it as table 2.. externref\n  \
             {entry} imports memlib::calls (global mut i32): {l} exports it as global i32\n"
        )
    );
}

#[test]
fn import_modules_may_import_each_other_but_not_in_a_cycle() {
    let dir = TempDir::new("cycle");
    let a = dir.write(
        "a.wat",
        r#"(module (import "b" "f" (func)) (func (export "f")))"#,
    );
    let b = dir.write(
        "b.wat",
        r#"(module (import "a" "f" (func)) (func (export "f")))"#,
    );
    let entry = dir.write(
        "main.wat",
        r#"(module (import "a" "f" (func)) (func (export "_start")))"#,
    );
    let args = [
        "run".to_string(),
        entry.display().to_string(),
        "--import".into(),
        format!("a={}", a.display()),
        "--import".into(),
        format!("b={}", b.display()),
    ];
    let out = bolinho(
        dir.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(out.code, 123);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to link: import modules form a cycle: {0} -> {1} -> {0}\n",
            a.display(),
            b.display()
        )
    );
}

#[test]
fn two_names_for_one_import_module_share_one_instance() {
    // greet (through the alias) counts calls in a global that the entry reads through the file
    // name: with two instances the count would read 0 and the entry would trap.
    let dir = TempDir::new("one-instance");
    let entry = dir.write(
        "entry.wat",
        uses_memlib("memlib").replace(
            r#"(import "memlib" "calls""#,
            r#"(import "memlib.wat" "calls""#,
        ),
    );
    let lib = format!("memlib={}", testdata("wat/memlib.wat").display());
    let out = bolinho(
        dir.path(),
        &["run", &entry.display().to_string(), "--import", &lib],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "hello from memlib\n", "")
    );
}
