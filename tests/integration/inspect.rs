//! `bolinho inspect` and `bolinho validate`: what they print, and their errors.

use crate::support::{TempDir, bolinho, root, testdata};

#[test]
fn inspect_lists_imports_exports_memories_and_needs() {
    let dir = TempDir::new("inspect");
    let module = testdata("wat/uses_memlib.wat").display().to_string();
    let out = bolinho(dir.path(), &["inspect", &module]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(
        out.stdout,
        format!(
            "module {module}\nimports:\n  memlib::greet: func (i32) -> i32\n  \
             wasi_snapshot_preview1::fd_write: func (i32, i32, i32, i32) -> i32\n  \
             memlib::table: table 1.. funcref\n  memlib::memory: memory 1.. pages\n  \
             memlib::calls: global mut i32\nexports:\n  _start: func () -> ()\n  \
             memory: memory 1.. pages\nmemories:\n  imported memlib::memory: memory 1.. pages\n  \
             exported memory: memory 1.. pages\nneeds import module `memlib` (an ImportModules \
             entry, --import memlib=PATH, or the file /memlib in the guest)\n\
             bolinho provides every WASI import\n"
        )
    );
}

#[test]
fn inspect_names_what_bolinho_cannot_provide() {
    let dir = TempDir::new("inspect-missing");
    let module = dir.write(
        "m.wat",
        r#"(module
             (import "wasi_snapshot_preview1" "fd_write" (func (param i32)))
             (import "wasi_snapshot_preview1" "sock_open" (func))
             (import "wasi_snapshot_preview1" "path_link" (func (param i32 i32 i32 i32 i32 i32 i32) (result i32))))"#,
    );
    let out = bolinho(dir.path(), &["inspect", &module.display().to_string()]);
    assert_eq!(out.code, 0);
    let tail = out.stdout.split_once("memories:\n").unwrap().1;
    assert_eq!(
        tail,
        "bolinho cannot provide:\n  \
         wasi_snapshot_preview1::fd_write: WASI defines it as func (i32, i32, i32, i32) -> i32\n  \
         wasi_snapshot_preview1::sock_open: `sock_open` is not a WASI preview1 function\n"
    );
}

#[test]
fn inspect_of_an_invalid_module_is_a_load_error() {
    let dir = TempDir::new("inspect-invalid");
    let module = dir.write("bad.wat", "(module (func (result i32)))");
    let out = bolinho(dir.path(), &["inspect", &module.display().to_string()]);
    assert_eq!(out.code, 123);
    assert!(
        out.stderr.starts_with(&format!(
            "bolinho: error: failed to load module {}: ",
            module.display()
        )),
        "{}",
        out.stderr
    );
}

#[test]
fn validate_prints_the_plan_and_runs_nothing() {
    let dir = TempDir::new("validate");
    let job = root().join("examples/wordfreq/job.yaml");
    let out = bolinho(dir.path(), &["validate", &job.display().to_string()]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let app = root().join("examples/wordfreq/app").display().to_string();
    assert!(out.stdout.starts_with(&format!(
        "name: wordfreq\norigin: job\ninputs:\n- source:\n    type: local\n    path: {app}\n    \
         readWrite: false\n    createAs: noCreate\n  target: /app\n  field: Tasks[0].InputSources[0]\n"
    )), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("\nentryModule:\n  guest: /app/wordfreq.wasm\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\nargs:\n- /inputs/poem.txt\n- /outputs/report.txt\n"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "validate writes nothing"
    );
}

#[test]
fn validate_reports_errors_with_their_line_and_warnings() {
    let dir = TempDir::new("validate-errors");
    let job = "Name: x\nTasks:\n  - Name: t\n    Engine:\n      Type: wasm\n      Params:\n        \
               EntryModule: /m.wasm\n        Paramters: [a]\n";
    dir.write("bad.yaml", job);
    let out = bolinho(dir.path(), &["validate", "bad.yaml"]);
    assert_eq!((out.code, out.stdout.as_str()), (121, ""));
    assert_eq!(
        out.stderr,
        "bolinho: error: invalid job: bad.yaml:7: Tasks[0].Engine.Params.EntryModule: \
         no input source is mounted at `/m.wasm`: the task has no InputSources\n"
    );
    let fixed = format!(
        "{job}    InputSources:\n      - Target: /m.wasm\n        Source: {{Type: local, Params: {{SourcePath: m.wasm}}}}\n"
    );
    dir.write("good.yaml", fixed);
    let out = bolinho(dir.path(), &["validate", "good.yaml"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stderr,
        "bolinho: warning: good.yaml:8: Tasks[0].Engine.Params.Paramters: unknown key (ignored)\n"
    );
    let out = bolinho(dir.path(), &["validate", "--strict", "good.yaml"]);
    assert_eq!(out.code, 121);
    assert_eq!(
        out.stderr,
        "bolinho: error: invalid job: good.yaml:8: Tasks[0].Engine.Params.Paramters: unknown key\n"
    );
}
