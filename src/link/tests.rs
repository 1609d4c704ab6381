//! The linker's unit tests: modules compiled ahead, the names declared modules answer to, and
//! how limits fit.

use super::*;

struct NoFiles;
impl GuestFiles for NoFiles {
    fn read(&self, _: &str) -> Option<Vec<u8>> {
        None
    }
}

fn module(label: &str, name: &str, text: &str) -> ModuleBytes {
    ModuleBytes {
        label: label.to_string(),
        names: vec![ModuleName {
            name: name.to_string(),
            rule: NameRule::Alias,
        }],
        bytes: text.as_bytes().to_vec(),
    }
}

const ENTRY: &str = r#"(module (import "lib" "f" (func)) (func (export "_start") call 0))"#;
const LIB: &str = r#"(module (func (export "f")))"#;

fn resolved(compiler: &Compiler, ahead: Ahead, declared: Vec<ModuleBytes>) -> Linked {
    let entry = module("/app/main.wasm", "main", ENTRY);
    resolve(
        compiler,
        ahead,
        entry,
        declared,
        &NoFiles,
        "_start",
        &Offer::Withheld("no network"),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn compiling_ahead_takes_the_entry_and_the_declared_modules_it_names_and_links_the_same() {
    let compiler = Compiler::new(wasmi::Engine::default());
    let declared = || {
        vec![
            module("/app/unused.wasm", "unused", "(module)"),
            module("/app/lib.wasm", "lib", LIB),
            module("/app/broken.wasm", "broken", "(module (func (result i32)))"),
        ]
    };
    let ahead = compile_ahead(
        &compiler,
        &module("/app/main.wasm", "main", ENTRY),
        &declared(),
    );
    assert!(ahead.entry.is_some());
    let compiled: Vec<bool> = ahead.declared.iter().map(Option::is_some).collect();
    assert_eq!(compiled, [false, true, false]);
    let with = resolved(&compiler, ahead, declared());
    let without = resolved(&compiler, Ahead::default(), declared());
    for linked in [&with, &without] {
        let labels: Vec<&str> = linked.modules.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(labels, ["/app/lib.wasm", "/app/main.wasm"]);
        assert_eq!(linked.modules[0].names, ["lib"]);
    }
}

#[test]
fn resolve_links_what_was_compiled_ahead_without_compiling_it_again() {
    let compiler = Compiler::new(wasmi::Engine::default());
    let entry = module("/app/main.wasm", "main", ENTRY);
    let ahead = compile_ahead(&compiler, &entry, &[module("/app/lib.wasm", "lib", LIB)]);
    // Given bytes that are no module under the same labels, it links: it used what was
    // compiled ahead.
    let garbage = |label: &str, name: &str| ModuleBytes {
        bytes: b"not wasm".to_vec(),
        ..module(label, name, "")
    };
    let linked = resolve(
        &compiler,
        ahead,
        garbage("/app/main.wasm", "main"),
        vec![garbage("/app/lib.wasm", "lib")],
        &NoFiles,
        "_start",
        &Offer::Withheld("no network"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let labels: Vec<&str> = linked.modules.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["/app/lib.wasm", "/app/main.wasm"]);
}

#[test]
fn a_module_that_fails_ahead_fails_in_resolve_as_it_would_have() {
    let compiler = Compiler::new(wasmi::Engine::default());
    let broken_lib = || {
        vec![module(
            "/app/lib.wasm",
            "lib",
            "(module (func (export \"f\") (result i32)))",
        )]
    };
    let entry = || module("/app/main.wasm", "main", ENTRY);
    let ahead = compile_ahead(&compiler, &entry(), &broken_lib());
    assert!(ahead.entry.is_some() && ahead.declared[0].is_none());
    let error = resolve(
        &compiler,
        ahead,
        entry(),
        broken_lib(),
        &NoFiles,
        "_start",
        &Offer::Withheld("no network"),
    );
    assert!(matches!(error, Err(LinkError::Load { label, .. }) if label == "/app/lib.wasm"));
    // An entry module that fails leaves nothing compiled ahead, and is reported as itself.
    let bad_entry = || module("/app/main.wasm", "main", "(module (func (result i32)))");
    let ahead = compile_ahead(&compiler, &bad_entry(), &[]);
    assert!(ahead.entry.is_none() && ahead.declared.is_empty());
    let error = resolve(
        &compiler,
        ahead,
        bad_entry(),
        vec![],
        &NoFiles,
        "_start",
        &Offer::Withheld("no network"),
    );
    assert!(matches!(error, Err(LinkError::Load { label, .. }) if label == "/app/main.wasm"));
}

#[test]
fn names_cover_alias_target_and_file_name() {
    let names = |naming: &Naming| -> Vec<(String, NameRule)> {
        names_for(naming)
            .into_iter()
            .map(|n| (n.name, n.rule))
            .collect()
    };
    let owned = |list: &[(&str, NameRule)]| -> Vec<(String, NameRule)> {
        list.iter().map(|(n, r)| (n.to_string(), *r)).collect()
    };
    use NameRule::*;
    assert_eq!(
        names(&Naming {
            alias: Some("lib"),
            path: "/app/textlib.wasm",
            file_name: Some("build.wasm"),
            target: Some("/app"),
        }),
        owned(&[
            ("lib", Alias),
            ("/app/textlib.wasm", Path),
            ("app/textlib.wasm", Path),
            ("textlib.wasm", FileName),
            ("textlib", FileStem),
            ("build.wasm", FileName),
            ("build", FileStem),
            ("/app", Target),
            ("app", Target),
        ])
    );
    assert_eq!(
        names(&Naming {
            alias: None,
            path: "/m",
            file_name: None,
            target: None,
        }),
        owned(&[("/m", Path), ("m", Path)])
    );
}

#[test]
fn limits_fit_like_the_spec_says() {
    assert!(limits_fit(1, None, 2, None));
    assert!(!limits_fit(3, None, 2, None));
    assert!(limits_fit(1, Some(10), 1, Some(5)));
    assert!(!limits_fit(1, Some(10), 1, None));
    assert!(!limits_fit(1, Some(4), 1, Some(5)));
}
