use std::path::Path;

use super::*;

/// `main.wasm` and `lib.wasm` are files here; nothing else is.
fn probe(path: &str) -> LocalPath {
    match path {
        "main.wasm" | "./main.wasm" | "lib.wasm" => LocalPath::File,
        "dir" => LocalPath::Unusable("should point to a single file".into()),
        _ => LocalPath::Missing,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The job `flags` build, as YAML.
fn yaml(flags: &WasmRunFlags<'_>) -> Result<String, String> {
    dry_run(flags, probe)
}

/// The job `flags` build as `--dry-run` prints it, with `probe` for the host's files and each
/// local module inline as the bytes `\0asm`.
pub(super) fn dry_run(
    flags: &WasmRunFlags<'_>,
    probe: impl Fn(&str) -> LocalPath,
) -> Result<String, String> {
    WasmRun::build(flags, probe).map(|run| {
        let bytes: Vec<Vec<u8>> = run
            .local_module_paths()
            .map(|_| b"\0asm".to_vec())
            .collect();
        run.yaml_with_inline_modules(&bytes)
    })
}

fn input(value: &str) -> Result<String, String> {
    storage_spec(value, "/inputs").map(|source| serde_saphyr::to_string(&source).unwrap())
}

#[test]
fn a_local_entry_module_goes_inline_to_main_wasm_as_bacalhau_sends_it() {
    let args = strings(&["a", "b"]);
    let got = yaml(&WasmRunFlags {
        entry: "./main.wasm",
        args: &args,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        got,
        "Type: batch\nCount: 1\nTasks:\n- Name: main\n  Engine:\n    Type: wasm\n    Params:\n      \
         EntryModule: main.wasm\n      Entrypoint: _start\n      Parameters:\n      - a\n      - b\n  \
         InputSources:\n  - Target: main.wasm\n    Source:\n      Type: inline\n      Params:\n        \
         URL: data:application/wasm;base64,AGFzbQ==\n"
    );
}

#[test]
fn storage_specs_read_as_bacalhau_reads_them() {
    assert_eq!(
        input("s3://bkt/dir/key.csv").unwrap(),
        "Alias: s3://bkt/dir/key.csv\nTarget: /inputs\nSource:\n  Type: s3\n  Params:\n    \
         Bucket: bkt\n    Key: dir/key.csv\n"
    );
    assert_eq!(
        input("src=s3://bkt/a%20b,dst=/data,opt=region=eu-west-1,opt=endpoint=http://127.0.0.1:9000,opt=version-id=7")
            .unwrap(),
        "Alias: s3://bkt/a%20b\nTarget: /data\nSource:\n  Type: s3\n  Params:\n    Bucket: bkt\n    \
         Endpoint: http://127.0.0.1:9000\n    Key: a b\n    Region: eu-west-1\n    VersionID: \"7\"\n"
    );
    assert_eq!(
        input("ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG:/cid").unwrap(),
        "Alias: ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\nTarget: /cid\nSource:\n  \
         Type: ipfs\n  Params:\n    CID: QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\n"
    );
    assert_eq!(
        input("https://example.com/a.csv:/in").unwrap(),
        "Alias: https://example.com/a.csv\nTarget: /in\nSource:\n  Type: urlDownload\n  Params:\n    \
         URL: https://example.com/a.csv\n"
    );
    // A port needs the long form, where the URL keeps it.
    assert_eq!(
        input("src=http://127.0.0.1:8080/a.csv").unwrap(),
        "Alias: http://127.0.0.1:8080/a.csv\nTarget: /inputs\nSource:\n  Type: urlDownload\n  Params:\n    \
         URL: http://127.0.0.1:8080/a.csv\n"
    );
    // Go's filepath.Join(host, path): relative and absolute local paths.
    assert_eq!(
        input("file://./data:/d,opt=rw=true").unwrap(),
        "Alias: file://./data\nTarget: /d\nSource:\n  Type: localDirectory\n  Params:\n    \
         ReadWrite: true\n    SourcePath: data\n"
    );
    assert_eq!(
        input("file:///srv/x//y/").unwrap(),
        "Alias: file:///srv/x//y/\nTarget: /inputs\nSource:\n  Type: localDirectory\n  Params:\n    \
         ReadWrite: false\n    SourcePath: /srv/x/y\n"
    );
    // Quotes and spaces around the URI and target are dropped, as Bacalhau trims them.
    assert_eq!(
        input("src=' file:///a ',dst=' /b'").unwrap(),
        "Alias: \"' file:///a '\"\nTarget: /b\nSource:\n  Type: localDirectory\n  Params:\n    \
         ReadWrite: false\n    SourcePath: /a\n"
    );
}

#[test]
fn bad_storage_specs_say_why() {
    let cases = [
        (
            "http://127.0.0.1:8080/a.csv",
            "Bacalhau reads 8080/a.csv as the target: a URI with a port needs the long form, \
             src=URI,dst=PATH",
        ),
        (
            "s3://b/k,opt=color=red",
            "unknown option color=red for storage s3",
        ),
        (
            "s3://b/k,/x",
            "invalid storage option: /x. Must be a key=value pair",
        ),
        ("s3://b/k,size=1", "unexpected key size in field size=1"),
        ("git://h/r", "unsupported type: git"),
        (
            "ftp://h/f",
            "unknown storage schema: ftp (expected s3, http, https, ipfs or file)",
        ),
        ("dst=/x", "no source: write URI[:TARGET] or src=URI"),
        (
            "/data/x.csv",
            "/data/x.csv is not a URI: write s3://BUCKET/KEY, http(s)://..., ipfs://CID or file://PATH",
        ),
        (
            "file:///a,opt=rw=yes",
            "failed to parse read-write option: rw=yes",
        ),
        ("file:///a,opt=mode=1", "unknown option mode"),
        ("\"s3://b", "extraneous or missing \" in quoted-field"),
    ];
    for (value, want) in cases {
        assert_eq!(input(value).unwrap_err(), want, "{value}");
    }
}

#[test]
fn entry_and_import_modules_are_files_uris_or_guest_paths() {
    let inputs = strings(&["s3://b/lib.wasm:/app/lib.wasm"]);
    let imports = strings(&[
        "/app/lib.wasm,lib.wasm:/app/other.wasm",
        "s3://b/x.wasm:/x.wasm",
    ]);
    let run = WasmRun::build(
        &WasmRunFlags {
            entry: "main.wasm:/app/main.wasm",
            inputs: &inputs,
            import_modules: &imports,
            ..Default::default()
        },
        probe,
    )
    .unwrap();
    assert_eq!(run.name, "main");
    let params = &run.job.tasks[0].engine.params;
    assert_eq!(params.entry_module, "/app/main.wasm");
    assert_eq!(
        params.import_modules,
        ["/app/lib.wasm", "/app/other.wasm", "/x.wasm"]
    );
    let targets: Vec<_> = run.job.tasks[0]
        .input_sources
        .iter()
        .map(|s| (s.target.as_str(), s.source.r#type))
        .collect();
    assert_eq!(
        targets,
        [
            ("/app/lib.wasm", "s3"),
            ("/app/main.wasm", "localDirectory"),
            ("/app/other.wasm", "localDirectory"),
            ("/x.wasm", "s3"),
        ]
    );
    assert_eq!(
        run.local_module_paths().collect::<Vec<_>>(),
        [Path::new("main.wasm"), Path::new("lib.wasm")]
    );
    // A path that is no file here is the guest path of an input, whole.
    let run = WasmRun::build(
        &WasmRunFlags {
            entry: "/app/main.wasm",
            inputs: &inputs,
            ..Default::default()
        },
        probe,
    )
    .unwrap();
    assert_eq!(
        run.job.tasks[0].engine.params.entry_module,
        "/app/main.wasm"
    );
    assert_eq!(run.job.tasks[0].input_sources.len(), 1);
    let remote = WasmRun::build(
        &WasmRunFlags {
            entry: "ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG",
            ..Default::default()
        },
        probe,
    )
    .unwrap();
    assert_eq!(
        remote.name,
        "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"
    );
    assert_eq!(remote.job.tasks[0].engine.params.entry_module, "main.wasm");
}

#[test]
fn bacalhau_style_entries_are_uris_or_files_with_a_target() {
    assert!(entry_is_bacalhau_style("s3://b/k.wasm", probe));
    assert!(entry_is_bacalhau_style("src=http://h:1/x.wasm", probe));
    assert!(entry_is_bacalhau_style("main.wasm:/app/m.wasm", probe));
    assert!(!entry_is_bacalhau_style("missing.wasm:/app/m.wasm", probe));
    assert!(!entry_is_bacalhau_style("missing.wasm", probe));
    assert!(!entry_is_bacalhau_style("a=b.wasm", probe));
}

#[test]
fn bad_flags_name_themselves() {
    let build = |flags: WasmRunFlags<'_>| WasmRun::build(&flags, probe).err().unwrap();
    let one = |items: &[&str]| strings(items);
    assert_eq!(
        build(WasmRunFlags {
            entry: "main.wasm",
            import_modules: &one(&["lib.wasm"]),
            ..Default::default()
        }),
        "-I lib.wasm: an import module given as a file or URI needs the path the guest sees it at: \
         lib.wasm:TARGET"
    );
    assert_eq!(
        build(WasmRunFlags {
            entry: "dir:/x.wasm",
            ..Default::default()
        }),
        "the entry module dir:/x.wasm: dir: should point to a single file"
    );
    assert_eq!(
        build(WasmRunFlags {
            entry: "s3://b/k,opt=x=1",
            ..Default::default()
        }),
        "the entry module s3://b/k,opt=x=1: unknown option x=1 for storage s3"
    );
    assert_eq!(
        build(WasmRunFlags {
            entry: "main.wasm",
            env: &one(&["HOME"]),
            ..Default::default()
        }),
        "-e HOME: expected KEY=VALUE: a run with Bacalhau's flags is a job, and a job writes its \
         variables' values (pass the host's as -e HOME=\"$HOME\")"
    );
    assert_eq!(
        build(WasmRunFlags {
            entry: "main.wasm",
            outputs: &one(&["a:b:c"]),
            ..Default::default()
        }),
        "-o a:b:c: expected NAME:PATH"
    );
    assert_eq!(
        build(WasmRunFlags {
            entry: "main.wasm",
            publisher: Some("noop"),
            ..Default::default()
        }),
        "-p noop: unknown publisher type: noop (expected local, ipfs, s3 or s3managed)"
    );
    // A bare type is compared as written, a URI's scheme in any case, as Go's url.Parse does.
    assert_eq!(
        build(WasmRunFlags {
            entry: "main.wasm",
            publisher: Some("Local"),
            ..Default::default()
        }),
        "-p Local: unknown publisher type: Local (expected local, ipfs, s3 or s3managed)"
    );
    assert_eq!(storage::publisher("S3://b/k").unwrap().r#type, "s3");
    assert_eq!(
        build(WasmRunFlags {
            entry: "main.wasm",
            domains: &[DomainFlag::domain("a.com")],
            ..Default::default()
        }),
        "--domain a.com: applies to --network http"
    );
    assert_eq!(
        build(WasmRunFlags {
            entry: "main.wasm",
            network: Some("wifi"),
            ..Default::default()
        }),
        "--network wifi: expected one of Default, None, Host, Full, HTTP, Bridge"
    );
}

#[test]
fn env_outputs_publisher_network_and_limits_fill_the_task() {
    let env = strings(&["A=1,B=x=y", "C=a,b", "A=2"]);
    let outputs = strings(&["out:/outputs"]);
    let domains = [DomainFlag::domain("example.com")];
    let got = yaml(&WasmRunFlags {
        entry: "ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG:/m.wasm",
        env: &env,
        outputs: &outputs,
        publisher: Some("s3://bkt/results/,opt=region=eu-west-1"),
        entrypoint: Some("run"),
        network: Some("http"),
        domains: &domains,
        memory: Some("64MB"),
        timeout_seconds: Some(3),
        meta: BTreeMap::from([("bolinho.seed", "7".to_string())]),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        got,
        "Type: batch\nCount: 1\nTasks:\n- Name: main\n  Engine:\n    Type: wasm\n    Params:\n      \
         EntryModule: /m.wasm\n      Entrypoint: run\n  Env:\n    A: \"2\"\n    B: x=y\n    C: a,b\n  \
         Meta:\n    bolinho.seed: \"7\"\n  InputSources:\n  - Alias: \
         ipfs://QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\n    Target: /m.wasm\n    Source:\n      \
         Type: ipfs\n      Params:\n        CID: QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG\n  \
         ResultPaths:\n  - Name: out\n    Path: /outputs\n  Publisher:\n    Type: s3\n    Params:\n      \
         bucket: bkt\n      key: results/\n      region: eu-west-1\n  Network:\n    Type: HTTP\n    \
         Domains:\n    - example.com\n  Resources:\n    Memory: 64MB\n  Timeouts:\n    TotalTimeout: 3\n"
    );
}

#[test]
fn a_validation_error_is_told_against_its_flag() {
    let inputs = strings(&["s3://b/k", "file:///d:/data"]);
    let run = WasmRun::build(
        &WasmRunFlags {
            entry: "main.wasm",
            inputs: &inputs,
            ..Default::default()
        },
        probe,
    )
    .unwrap();
    let error = |field: &str| SpecError {
        file: "<stdin>".into(),
        line: None,
        column: None,
        field: field.into(),
        message: "bad".into(),
    };
    assert_eq!(
        run.flag_error(&error("Tasks[0].InputSources[1].Source.Params.SourcePath")),
        "-i file:///d:/data: Source.Params.SourcePath: bad"
    );
    assert_eq!(
        run.flag_error(&error("Tasks[0].InputSources[2]")),
        "the entry module main.wasm: bad"
    );
    assert_eq!(
        run.flag_error(&error("Tasks[0].Engine.Params.Entrypoint")),
        "--entry-point _start: bad"
    );
    assert_eq!(
        run.flag_error(&error("Tasks[0].InputSources[10]")),
        "the job of bacalhau wasm run's flags: Tasks[0].InputSources[10]: bad"
    );
}

#[test]
fn names_are_the_entry_modules_stem() {
    assert_eq!(stem("/app/main.wasm"), "main");
    assert_eq!(stem("a/b.c.wasm/"), "b.c");
    assert_eq!(stem("/"), "module");
    assert_eq!(source_name("s3://b/app.wasm:/x.wasm"), "s3://b/app.wasm");
    assert_eq!(source_name("./m.wasm:/x.wasm"), "./m.wasm");
}
