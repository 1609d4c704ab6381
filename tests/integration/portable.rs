//! What Bacalhau would do otherwise with a job bolinho runs: the links only bolinho's rules make
//! (an Alias, a bare file name, a name without `.wasm`), read from local and inline modules by
//! `validate --portable`; the one line `run` prints about it, and `--quiet-portability`.

use base64::Engine;

use crate::support::{TempDir, bolinho};

/// An import module exporting `greet`.
const LIB: &str = r#"(module (func (export "greet")))"#;

/// An entry module calling `greet` from the module named `name`.
fn entry_importing(name: &str) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module (import "{name}" "greet" (func $greet)) (func (export "_start") call $greet))"#
    ))
    .unwrap()
}

/// A job that is portable but for its modules, named as the demo's: `app/wordfreq.wasm` at
/// `/app/wordfreq.wasm`, importing from `name`, and its one import module `app/textlib.wasm` at
/// `/app/textlib.wasm`, with `alias`.
fn job(dir: &TempDir, name: &str, alias: Option<&str>) {
    dir.write("app/wordfreq.wasm", entry_importing(name));
    dir.write("app/textlib.wasm", wat::parse_str(LIB).unwrap());
    let alias = alias.map_or(String::new(), |a| format!("\n        Alias: {a}"));
    dir.write(
        "job.yaml",
        format!(
            "Name: wordfreq\nType: batch\nCount: 1\nTasks:\n  - Name: main\n    Engine:\n      \
             Type: wasm\n      Params:\n        EntryModule: /app/wordfreq.wasm\n        \
             ImportModules: [/app/textlib.wasm]\n        Entrypoint: _start\n    \
             Network: {{Type: None}}\n    InputSources:\n      - Target: /app/wordfreq.wasm\n        \
             Source: {{Type: localDirectory, Params: {{SourcePath: ./app/wordfreq.wasm}}}}\n      \
             - Target: /app/textlib.wasm{alias}\n        \
             Source: {{Type: localDirectory, Params: {{SourcePath: ./app/textlib.wasm}}}}\n"
        ),
    );
}

const NOTHING: &str = "nothing in the job file or its modules runs otherwise on Bacalhau\n";

fn run_note(ways: &str) -> String {
    format!(
        "bolinho: note: Bacalhau would run this job differently in {ways}; `bolinho validate \
         --portable job.yaml` lists them (--quiet-portability hides this note)\n"
    )
}

#[test]
fn an_import_only_a_bolinho_rule_links_gets_a_note_naming_the_rule_and_bacalhaus_lookup() {
    for (name, alias, rule) in [
        ("text", Some("text"), "its Alias"),
        ("textlib.wasm", None, "its file name"),
        // The old demo's link.
        ("textlib", None, "its file name without .wasm"),
    ] {
        let dir = TempDir::new("portable-rule");
        job(&dir, name, alias);
        let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
        assert_eq!(
            (out.code, out.stdout, out.stderr.as_str()),
            (
                0,
                format!(
                    "job.yaml: /app/wordfreq.wasm imports from `{name}`, which bolinho links \
                     to /app/textlib.wasm by {rule}; Bacalhau looks `{name}` up as the guest \
                     path `/{name}`, finds no file there and fails (import from \
                     `/app/textlib.wasm`, or \
                     mount the module at `/{name}` too)\n"
                ),
                ""
            ),
            "{name}"
        );
        // It runs here, saying so once, before it runs.
        let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "r"]);
        assert_eq!(
            (out.code, out.stderr),
            (0, format!("{}bolinho: results in r\n", run_note("1 way"))),
            "{name}"
        );
    }
}

#[test]
fn an_import_by_the_guest_path_of_its_module_gets_no_note() {
    // Bacalhau registers the import module under that path, and finds it by path too without
    // the leading slash.
    for name in ["/app/textlib.wasm", "app/textlib.wasm"] {
        let dir = TempDir::new("portable-path");
        job(&dir, name, None);
        let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
        assert_eq!((out.code, out.stdout.as_str()), (0, NOTHING), "{name}");
        let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "r"]);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (0, "bolinho: results in r\n"),
            "{name}"
        );
    }
}

#[test]
fn a_name_that_bacalhau_finds_as_the_directory_holding_only_the_module_gets_no_note() {
    // `textlib` is textlib.wasm's name without .wasm to bolinho, and to Bacalhau the directory
    // /textlib, whose single `.wasm` file it loads: the same module.
    let dir = TempDir::new("portable-dir");
    job(&dir, "textlib", None);
    std::fs::create_dir(dir.join("textlib")).unwrap();
    std::fs::rename(
        dir.join("app/textlib.wasm"),
        dir.join("textlib/textlib.wasm"),
    )
    .unwrap();
    let yaml = std::fs::read_to_string(dir.join("job.yaml")).unwrap();
    let yaml = yaml
        .replace("[/app/textlib.wasm]", "[/textlib/textlib.wasm]")
        .replace("Target: /app/textlib.wasm", "Target: /textlib")
        .replace("./app/textlib.wasm", "./textlib");
    dir.write("job.yaml", yaml);
    let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, NOTHING),
        "{}",
        out.stderr
    );
    // A second module there, and Bacalhau finds none.
    dir.write("textlib/other.wasm", wat::parse_str(LIB).unwrap());
    let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
    assert_eq!(
        out.stdout,
        "job.yaml: /app/wordfreq.wasm imports from `textlib`, which bolinho links to \
         /textlib/textlib.wasm by its file name without .wasm; Bacalhau looks `textlib` up as \
         the guest path `/textlib` instead (import from `/textlib/textlib.wasm`)\n"
    );
}

#[test]
fn the_run_note_counts_every_line_validate_lists_and_quiet_portability_hides_it() {
    let dir = TempDir::new("portable-quiet");
    job(&dir, "textlib", None);
    // Two more: no Network and no Entrypoint.
    let yaml = std::fs::read_to_string(dir.join("job.yaml")).unwrap();
    let yaml = yaml
        .replace("    Network: {Type: None}\n", "")
        .replace("        Entrypoint: _start\n", "");
    dir.write("job.yaml", yaml);
    let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "r"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr),
        (
            0,
            "",
            format!("{}bolinho: results in r\n", run_note("3 ways"))
        )
    );
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability", "--results", "q"],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (0, "bolinho: results in q\n")
    );
    // The note repeats the template flags, quoted for a shell, so that the command it gives
    // reads the same job.
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "-V", "who=a b", "--results", "v"],
    );
    assert!(
        out.stderr.starts_with(
            "bolinho: note: Bacalhau would run this job differently in 3 ways; `bolinho \
             validate --portable job.yaml -V 'who=a b'` lists them"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn inline_modules_are_read_too() {
    let dir = TempDir::new("portable-inline");
    job(&dir, "textlib", None);
    let lib = base64::engine::general_purpose::STANDARD.encode(wat::parse_str(LIB).unwrap());
    let yaml = std::fs::read_to_string(dir.join("job.yaml"))
        .unwrap()
        .replace(
            "{Type: localDirectory, Params: {SourcePath: ./app/textlib.wasm}}",
            &format!("{{Type: inline, Params: {{URL: \"data:application/wasm;base64,{lib}\"}}}}"),
        );
    dir.write("job.yaml", yaml);
    let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
    assert!(
        out.stdout.starts_with(
            "job.yaml: /app/wordfreq.wasm imports from `textlib`, which bolinho links to \
             /app/textlib.wasm by its file name without .wasm;"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(out.stdout.lines().count(), 1);
}

#[test]
fn remote_modules_are_said_once_to_be_unchecked_and_local_ones_are_still_read() {
    // The entry module and one import module come from remote sources, which `validate`
    // never fetches; the local import module is still read, and its link by file name noted.
    let dir = TempDir::new("portable-remote");
    dir.write("lib/lib.wasm", entry_importing("helper.wasm"));
    dir.write("helper/helper.wasm", wat::parse_str(LIB).unwrap());
    dir.write(
        "job.yaml",
        "Name: remote\nType: batch\nCount: 1\nTasks:\n  - Name: main\n    Engine:\n      \
         Type: wasm\n      Params:\n        EntryModule: /app\n        \
         ImportModules: [/lib/lib.wasm, /helper/helper.wasm, /ipfs]\n        \
         Entrypoint: _start\n    Network: {Type: None}\n    InputSources:\n      \
         - Target: /app\n        Source: {Type: urlDownload, Params: {URL: \"http://127.0.0.1:9/main.wasm\"}}\n      \
         - Target: /lib\n        Source: {Type: localDirectory, Params: {SourcePath: ./lib}}\n      \
         - Target: /helper\n        Source: {Type: localDirectory, Params: {SourcePath: ./helper}}\n      \
         - Target: /ipfs\n        Source: {Type: ipfs, Params: {CID: QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o}}\n",
    );
    let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "job.yaml: /lib/lib.wasm imports from `helper.wasm`, which bolinho links to \
             /helper/helper.wasm by its file name; Bacalhau looks `helper.wasm` up as the guest \
             path `/helper.wasm`, finds no file there and fails (import from \
             `/helper/helper.wasm`, or mount the module at `/helper.wasm` too)\n\
             job.yaml: the imports of /app and /ipfs were not checked: remote sources (bolinho \
             reads only local and inline modules for this)\n",
            ""
        )
    );
}

/// Jobs bolinho runs but Bacalhau refuses at submission or when the execution starts.
#[test]
fn what_bacalhau_would_refuse_is_named_line_by_line() {
    let dir = TempDir::new("portable-refusals");
    dir.write(
        "app/m.wasm",
        wat::parse_str("(module (func (export \"_start\")))").unwrap(),
    );
    dir.write("data/x", "x");
    dir.write(
        "job.yaml",
        "Type: batch\n\
         Tasks:\n  \
         - Name: main\n    \
           Engine: {Type: wasm, Params: {EntryModule: /app/m.wasm, Entrypoint: _start}}\n    \
           Network:\n      \
             Type: Host\n      \
             Domains:\n        \
               - localhost\n        \
               - example.com\n    \
           InputSources:\n      \
             - Target: /app\n        \
               Source: {Type: localDirectory, Params: {SourcePath: ./app}}\n      \
             - Target: /app/data\n        \
               Source: {Type: localDirectory, Params: {SourcePath: ./data}}\n",
    );
    let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "job.yaml:7: Tasks[0].Network.Domains: Bacalhau refuses Domains unless Type is HTTP; \
             bolinho ignores them\n\
             job.yaml:8: Tasks[0].Network.Domains[0]: Bacalhau refuses the job: it reads \
             `localhost` as no domain (it wants a name with a dot and a top-level label of letters, \
             or an IP address without a port)\n\
             job.yaml:13: Tasks[0].InputSources[1].Target: /app/data lies inside /app, the Target \
             of InputSources[0]: Bacalhau refuses the job when it starts (\"cannot mount\"); \
             bolinho nests the mounts\n",
            // Every read of the job says it, `validate` as `run`.
            "bolinho: warning: job.yaml:7: Tasks[0].Network.Domains: Domains apply to Type HTTP; \
             with Type host they are ignored (Bacalhau refuses the job)\n"
        )
    );
    let bridge = dir.write(
        "bridge.yaml",
        "Type: batch\nTasks:\n  - Name: main\n    Engine: {Type: wasm, Params: {EntryModule: \
         /app/m.wasm, Entrypoint: _start}}\n    Network: {Type: Bridge}\n    InputSources:\n      \
         - Target: /app\n        Source: {Type: localDirectory, Params: {SourcePath: ./app}}\n",
    );
    let out = bolinho(
        dir.path(),
        &["validate", "--portable", &bridge.display().to_string()],
    );
    assert_eq!(
        out.stdout,
        format!(
            "{}:5: Tasks[0].Network.Type: Bridge: Bacalhau gives the guest wasi:http/requests, \
             which refuses every host; bolinho gives it none, so a module importing it fails to \
             link\n",
            bridge.display()
        )
    );
}
