use std::collections::BTreeMap;
use std::path::Path;

use super::*;
use crate::private::TempDir;
use crate::receipt::{RecordedOutcome, RecordedSources, sha256};
use crate::spec::{ParseOptions, Source, parse_job};

/// A receipt of a job with the module at `/app/m.wasm` and inputs at `/app` and `/data`,
/// recording `inputs` (the module's entry included when wanted).
fn recorded(inputs: &[(&str, &str)]) -> Recorded {
    let job = "Tasks:\n  - Name: t\n    Engine: {Type: wasm, Params: {EntryModule: /app/m.wasm}}\n    \
               InputSources:\n      - {Target: /app, Source: {Type: local, Params: {SourcePath: /nowhere/app}}}\n      \
               - {Target: /data, Source: {Type: local, Params: {SourcePath: /nowhere/data}}}\n      \
               - {Target: /data/inner, Source: {Type: local, Params: {SourcePath: /nowhere/inner}}}\n";
    let plan = parse_job(job, Path::new("job.yaml"), &ParseOptions::default())
        .unwrap()
        .plan;
    Recorded {
        plan,
        template_vars: BTreeMap::new(),
        ids: None,
        determinism: RecordedSources::Nondeterministic(true),
        modules: BTreeMap::from([("/app/m.wasm".to_string(), sha256(b"\0asm"))]),
        inputs: inputs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        results: BTreeMap::from([
            ("stdout".to_string(), sha256(b"out")),
            (
                "outputs/link".to_string(),
                format!("symlink:{}", sha256(b"x")),
            ),
        ]),
        outcome: RecordedOutcome::Exited(0),
        exit_code: 0,
        fuel_used: None,
        tape: None,
        no_record: false,
    }
}

fn hex(bytes: &[u8]) -> String {
    sha256(bytes)["sha256:".len()..].to_string()
}

#[test]
fn items_are_every_input_file_and_link_and_every_result_file() {
    let module = sha256(b"\0asm");
    let link = format!("symlink:{}", sha256(b"m.wasm"));
    let recorded = recorded(&[
        ("/app/m.wasm", &module),
        ("/data/a", &sha256(b"a")),
        ("/data/l", &link),
        ("/data/empty", "directory"),
    ]);
    let items: Vec<(String, String)> = items(&recorded)
        .unwrap()
        .into_iter()
        .map(|(item, hex)| (item.to_string(), hex.to_string()))
        .collect();
    assert_eq!(
        items,
        [
            ("input /app/m.wasm".to_string(), hex(b"\0asm")),
            ("input /data/a".to_string(), hex(b"a")),
            ("the target of the link /data/l".to_string(), hex(b"m.wasm")),
            ("result stdout".to_string(), hex(b"out")),
        ]
    );
}

#[test]
fn items_refuse_what_no_bundle_can_replay() {
    let module = sha256(b"\0asm");
    let link = format!("symlink:{}", sha256(b"elsewhere"));
    let other = sha256(b"other");
    let kinds = |kind: &str| {
        format!(
            "input /data/x is recorded as `{kind}`: a bundle holds files, links and directories \
             only, so its run cannot be replayed from one"
        )
    };
    let through = |key: &str| {
        format!(
            "module /app/m.wasm is reached through the link {key}, which a replay does not \
             follow"
        )
    };
    let cases = [
        (
            vec![("/app/m.wasm", module.as_str()), ("/data/x", "fifo")],
            kinds("fifo"),
        ),
        (
            vec![("/app/m.wasm", &module), ("/data/x", "unreadable")],
            kinds("unreadable"),
        ),
        (vec![("/app/m.wasm", &link)], through("/app/m.wasm")),
        (vec![("/app", &link)], through("/app")),
        (
            vec![("/app/m.wasm", &other)],
            format!("module /app/m.wasm ({module}) is not one of the inputs' files"),
        ),
    ];
    for (inputs, why) in cases {
        assert_eq!(items(&recorded(&inputs)).unwrap_err(), why);
    }
}

#[test]
fn a_module_in_a_module_directory_is_one_of_its_files() {
    let mut recorded = recorded(&[("/app/x/m.wasm", &sha256(b"\0asm"))]);
    recorded.modules = BTreeMap::from([("/app/x".to_string(), sha256(b"\0asm"))]);
    recorded.plan.entry_module = ModuleLocation::Guest("/app/x".into());
    assert!(items(&recorded).is_ok());
    // A link beside it would be looked at by the module loader, which follows links.
    let link = format!("symlink:{}", sha256(b"/etc"));
    recorded.inputs.insert("/app/x/other".into(), link);
    assert_eq!(
        items(&recorded).unwrap_err(),
        "module /app/x is reached through the link /app/x/other, which a replay does not follow"
    );
}

#[test]
fn below_target_takes_whole_names_only() {
    assert_eq!(below_target("/data/a/b", "/data"), Some("a/b"));
    assert_eq!(below_target("/data", "/data"), Some(""));
    assert_eq!(below_target("/database", "/data"), None);
    assert_eq!(below_target("/a", "/"), Some("a"));
    assert_eq!(below_target("/", "/"), Some(""));
}

/// `recorded` written as a bundle's blobs would be, opened from `dir`.
fn opened(recorded: Recorded, blobs: &[&[u8]], dir: &Path) -> Opened {
    let path = dir.join("blobs");
    std::fs::create_dir(&path).unwrap();
    for blob in blobs {
        std::fs::write(path.join(hex(blob)), blob).unwrap();
    }
    Opened::for_tests(recorded, path)
}

#[test]
fn a_rebuilt_input_belongs_to_the_deepest_target_and_nothing_leaves_the_scratch_directory() {
    let scratch = TempDir::new("bolinho-rebuild-test-").unwrap();
    let module = sha256(b"\0asm");
    let link = format!("symlink:{}", sha256(b"../../../../../../../tmp"));
    let recorded = recorded(&[
        ("/app/m.wasm", &module),
        ("/data/a", &sha256(b"a")),
        ("/data/inner/b", &sha256(b"b")),
        ("/data/inner/l", &link),
        ("/data/inner/sub/empty", "directory"),
    ]);
    let blobs: [&[u8]; 4] = [b"\0asm", b"a", b"b", b"../../../../../../../tmp"];
    let opened = opened(recorded, &blobs, scratch.path());
    let replay = rebuild(&opened, scratch.path()).unwrap();
    let root = |i: usize| match &replay.plan.inputs[i].source {
        Source::Local {
            path,
            read_write: false,
            ..
        } => path.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(std::fs::read(root(0).join("m.wasm")).unwrap(), b"\0asm");
    assert_eq!(std::fs::read(root(1).join("a")).unwrap(), b"a");
    assert!(
        !root(1).join("inner").exists(),
        "the inner input's entries are its own"
    );
    assert_eq!(std::fs::read(root(2).join("b")).unwrap(), b"b");
    assert_eq!(
        std::fs::read_link(root(2).join("l")).unwrap(),
        Path::new("../../../../../../../tmp")
    );
    assert!(root(2).join("sub/empty").is_dir());
    assert!(root(2).starts_with(scratch.path()));
    assert!(replay.host_modules.is_empty());
}
