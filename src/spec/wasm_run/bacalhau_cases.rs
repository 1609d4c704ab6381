//! Bacalhau's own tests of `bacalhau wasm run`'s flags, case by case, in bolinho's words: the
//! same flags, and the job, source or publisher that Bacalhau's test expects, or a refusal where
//! it expects an error. Each case names the Go test it mirrors: `TestJobFlagParsing`
//! (cmd/cli/wasm/wasm_run_cli_test.go), `TestParseInputSourceSpecConfig` and
//! `TestParseMultipleStorageInputSources` (cmd/util/opts/storage_specconfig_test.go),
//! `TestParsePublisherSpecConfig` (cmd/util/opts/publisher_specconfig_test.go).
//!
//! A job is compared whole, so a case also checks what Bacalhau's `defaultTaskAssertions` and
//! `defaultJobAssertions` do: no name, `batch`, count 1, task `main`, and no env, meta,
//! publisher, result paths, network, resources or timeouts unless a flag asks. Bacalhau writes
//! an empty `ResourcesConfig`, a zero `Timeouts` and every S3 source parameter (`Region: ""`);
//! bolinho leaves out what is empty, which Bacalhau reads back as the same values.

use super::*;

/// Bacalhau's tests run in `cmd/cli/wasm`, where these two modules exist and nothing else does
/// (`./main.wasm` and `./nonexistent.wasm` name no file there).
const NOOP: &str = "../../../testdata/wasm/noop/main.wasm";
const ENV: &str = "../../../testdata/wasm/env/main.wasm";

fn probe(path: &str) -> LocalPath {
    if path == NOOP || path == ENV {
        LocalPath::File
    } else {
        LocalPath::Missing
    }
}

/// The job as `--dry-run` prints it, each local module inline as the bytes `\0asm`.
fn job(flags: &WasmRunFlags<'_>) -> Result<String, String> {
    super::tests::dry_run(flags, probe)
}

/// A job of the default shape: its entry module and import modules, then `tail` (its
/// `InputSources` and anything after).
fn expected(entry_module: &str, imports: &[&str], tail: &str) -> String {
    let mut yaml = format!(
        "Type: batch\nCount: 1\nTasks:\n- Name: main\n  Engine:\n    Type: wasm\n    Params:\n      \
         EntryModule: {entry_module}\n      Entrypoint: _start\n"
    );
    if !imports.is_empty() {
        yaml.push_str("      ImportModules:\n");
        for import in imports {
            yaml.push_str(&format!("      - {import}\n"));
        }
    }
    yaml + tail
}

/// An `InputSources` entry: a local module sent inline.
fn inline_at(target: &str) -> String {
    format!(
        "  - Target: {target}\n    Source:\n      Type: inline\n      Params:\n        \
         URL: data:application/wasm;base64,AGFzbQ==\n"
    )
}

/// An `InputSources` entry: a module downloaded from `url`.
fn url_at(url: &str, target: &str) -> String {
    format!(
        "  - Alias: {url}\n    Target: {target}\n    Source:\n      Type: urlDownload\n      \
         Params:\n        URL: {url}\n"
    )
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// TestJobFlagParsing: "local module with default target".
#[test]
fn local_module_with_default_target() {
    let got = job(&WasmRunFlags {
        entry: NOOP,
        ..Default::default()
    });
    let want = expected(
        "main.wasm",
        &[],
        &format!("  InputSources:\n{}", inline_at("main.wasm")),
    );
    assert_eq!(got.unwrap(), want);
}

// TestJobFlagParsing: "local module with custom target".
#[test]
fn local_module_with_custom_target() {
    let entry = format!("{NOOP}:/app/custom.wasm");
    let got = job(&WasmRunFlags {
        entry: &entry,
        ..Default::default()
    });
    let want = expected(
        "/app/custom.wasm",
        &[],
        &format!("  InputSources:\n{}", inline_at("/app/custom.wasm")),
    );
    assert_eq!(got.unwrap(), want);
}

// TestJobFlagParsing: "remote module with default target" and "remote module with custom
// target".
#[test]
fn remote_module_with_default_or_custom_target() {
    let url = "https://example.com/main.wasm";
    for (entry, target) in [
        (url.to_string(), "main.wasm"),
        (format!("{url}:/app/custom.wasm"), "/app/custom.wasm"),
    ] {
        let got = job(&WasmRunFlags {
            entry: &entry,
            ..Default::default()
        });
        let want = expected(
            target,
            &[],
            &format!("  InputSources:\n{}", url_at(url, target)),
        );
        assert_eq!(got.unwrap(), want, "{entry}");
    }
}

// TestJobFlagParsing: "non-existent local module (pass as is)". The job is Bacalhau's; running
// it is refused before the guest starts (no input source is mounted there), where Bacalhau
// submits it and the node fails. And `bolinho run ./nonexistent.wasm` with none of Bacalhau's
// flags is a module run, which fails to read the file (tests/integration/wasm_run.rs).
#[test]
fn a_path_that_is_no_file_here_passes_as_the_guest_path() {
    let got = job(&WasmRunFlags {
        entry: "./nonexistent.wasm",
        ..Default::default()
    });
    assert_eq!(
        got.unwrap(),
        expected("./nonexistent.wasm", &[], "  InputSources: []\n")
    );
}

// TestJobFlagParsing: "with local import module without target" and "with remote import module
// without target": both are errors.
#[test]
fn import_modules_without_a_target_are_refused() {
    let cases = [
        (ENV, NOOP),
        (
            "https://example.com/lib.wasm",
            "https://example.com/main.wasm",
        ),
    ];
    for (import, entry) in cases {
        let imports = strings(&[import]);
        let got = job(&WasmRunFlags {
            entry,
            import_modules: &imports,
            ..Default::default()
        });
        assert_eq!(
            got.unwrap_err(),
            format!(
                "-I {import}: an import module given as a file or URI needs the path the guest \
                 sees it at: {import}:TARGET"
            )
        );
    }
}

// TestJobFlagParsing: "with local import module with target".
#[test]
fn local_import_module_with_target() {
    let imports = strings(&[&format!("{ENV}:/app/lib.wasm")]);
    let got = job(&WasmRunFlags {
        entry: NOOP,
        import_modules: &imports,
        ..Default::default()
    });
    let want = expected(
        "main.wasm",
        &["/app/lib.wasm"],
        &format!(
            "  InputSources:\n{}{}",
            inline_at("main.wasm"),
            inline_at("/app/lib.wasm")
        ),
    );
    assert_eq!(got.unwrap(), want);
}

// TestJobFlagParsing: "with remote import module with target" (one -I) and "with multiple
// import modules" (two). Bacalhau compares the sources in any order; bolinho's order is
// Bacalhau's: the entry module, then the import modules as given.
#[test]
fn remote_import_modules_with_targets() {
    let main = "https://example.com/main.wasm";
    let one = strings(&["https://example.com/lib.wasm:/app/lib.wasm"]);
    let got = job(&WasmRunFlags {
        entry: main,
        import_modules: &one,
        ..Default::default()
    });
    let want = expected(
        "main.wasm",
        &["/app/lib.wasm"],
        &format!(
            "  InputSources:\n{}{}",
            url_at(main, "main.wasm"),
            url_at("https://example.com/lib.wasm", "/app/lib.wasm")
        ),
    );
    assert_eq!(got.unwrap(), want);

    let two = strings(&[
        "https://example.com/lib1.wasm:/app/lib1.wasm",
        "https://example.com/lib2.wasm:/app/lib2.wasm",
    ]);
    let got = job(&WasmRunFlags {
        entry: main,
        import_modules: &two,
        ..Default::default()
    });
    let want = expected(
        "main.wasm",
        &["/app/lib1.wasm", "/app/lib2.wasm"],
        &format!(
            "  InputSources:\n{}{}{}",
            url_at(main, "main.wasm"),
            url_at("https://example.com/lib1.wasm", "/app/lib1.wasm"),
            url_at("https://example.com/lib2.wasm", "/app/lib2.wasm")
        ),
    );
    assert_eq!(got.unwrap(), want);
}

// TestJobFlagParsing: "with network none", "with network http", "with network host" (a
// `Network` of that type, no domains), and "with network invalid" (an error).
#[test]
fn network_types() {
    for (flag, r#type) in [("none", "None"), ("http", "HTTP"), ("host", "Host")] {
        let got = job(&WasmRunFlags {
            entry: "./main.wasm",
            network: Some(flag),
            ..Default::default()
        });
        let tail = format!("  InputSources: []\n  Network:\n    Type: {type}\n");
        assert_eq!(got.unwrap(), expected("./main.wasm", &[], &tail), "{flag}");
    }
    let got = job(&WasmRunFlags {
        entry: "./main.wasm",
        network: Some("invalid"),
        ..Default::default()
    });
    assert_eq!(
        got.unwrap_err(),
        "--network invalid: expected one of Default, None, Host, Full, HTTP, Bridge"
    );
}

// TestJobFlagParsing: "with timeout" (`--timeout=300`: `TotalTimeout` 300) and, of "with
// resources", `--memory=2` (`Memory` "2", as written). bolinho has no `--cpu`, `--disk` or
// `--gpu`: they ask a cluster for a node, and a run here has the one it is on.
#[test]
fn timeout_and_memory() {
    let got = job(&WasmRunFlags {
        entry: "./main.wasm",
        memory: Some("2"),
        timeout_seconds: Some(300),
        ..Default::default()
    });
    let tail =
        "  InputSources: []\n  Resources:\n    Memory: \"2\"\n  Timeouts:\n    TotalTimeout: 300\n";
    assert_eq!(got.unwrap(), expected("./main.wasm", &[], tail));
}

/// `-i VALUE` as its input source, in YAML.
fn input(value: &str) -> Result<String, String> {
    storage_spec(value, "/inputs").map(|source| serde_saphyr::to_string(&source).unwrap())
}

/// An IPFS input source of Bacalhau's test CID at `target`.
fn ipfs_at(target: &str) -> String {
    let cid = "QmXJ3wT1C27W8Vvc21NjLEb7VdNk9oM8zJYtDkG1yH2fnA";
    format!(
        "Alias: ipfs://{cid}\nTarget: {target}\nSource:\n  Type: ipfs\n  Params:\n    CID: {cid}\n"
    )
}

// TestParseInputSourceSpecConfig, each case by its name there.
#[test]
fn input_source_spec_config() {
    let cid = "QmXJ3wT1C27W8Vvc21NjLEb7VdNk9oM8zJYtDkG1yH2fnA";
    // Params in order: Bucket, then `params`, which name Key.
    let s3 = |key: &str, target: &str, params: &str| {
        format!(
            "Alias: s3://myBucket/{key}\nTarget: {target}\nSource:\n  Type: s3\n  Params:\n    \
             Bucket: myBucket\n{params}"
        )
    };
    let url = |target: &str| {
        format!(
            "Alias: https://example.com:9000/file\nTarget: {target}\nSource:\n  Type: urlDownload\n  \
             Params:\n    URL: https://example.com:9000/file\n"
        )
    };
    let cases = [
        ("ipfs", format!("ipfs://{cid}"), ipfs_at("/inputs")),
        (
            "ipfs with path",
            format!("ipfs://{cid}:/mount/path"),
            ipfs_at("/mount/path"),
        ),
        (
            "ipfs with explicit dst path",
            format!("ipfs://{cid},dst=/mount/path"),
            ipfs_at("/mount/path"),
        ),
        (
            "ipfs with explicit src and dst",
            format!("src=ipfs://{cid},dst=/mount/path"),
            ipfs_at("/mount/path"),
        ),
        (
            "ipfs with explicit dst overrides",
            format!("ipfs://{cid}:/input,dst=/mount/path"),
            ipfs_at("/mount/path"),
        ),
        (
            "s3",
            "s3://myBucket/dir/file-001.txt".into(),
            s3("dir/file-001.txt", "/inputs", "    Key: dir/file-001.txt\n"),
        ),
        (
            "s3 with endpoint and region",
            "s3://myBucket/dir/file-001.txt,opt=endpoint=http://127.0.0.1:9000,opt=region=us-east-1"
                .into(),
            s3(
                "dir/file-001.txt",
                "/inputs",
                "    Endpoint: http://127.0.0.1:9000\n    Key: dir/file-001.txt\n    \
                 Region: us-east-1\n",
            ),
        ),
        (
            "s3 with multiple colons",
            "s3://myBucket/dir:file:001.txt:/mount/path".into(),
            s3(
                "dir:file:001.txt",
                "/mount/path",
                "    Key: dir:file:001.txt\n",
            ),
        ),
        // bolinho refuses the short form of a URI with a port only when the port is all
        // that follows the host: here the last `:` starts a target, as Bacalhau reads it.
        (
            "http with port",
            "https://example.com:9000/file:/mount/path".into(),
            url("/mount/path"),
        ),
        (
            "http with port and explicit format",
            "src=https://example.com:9000/file,dst=/mount/path".into(),
            url("/mount/path"),
        ),
    ];
    for (name, value, want) in cases {
        assert_eq!(
            input(&value).as_deref(),
            Ok(want.as_str()),
            "{name}: {value}"
        );
    }
    // "empty" and "invalid flags": errors.
    let errors = [
        ("", "no source: write URI[:TARGET] or src=URI".to_string()),
        (
            "x=ipfs://QmXJ3wT1C27W8Vvc21NjLEb7VdNk9oM8zJYtDkG1yH2fnA,y=/mount/path",
            format!("unexpected key x in field x=ipfs://{cid}"),
        ),
    ];
    for (value, want) in errors {
        assert_eq!(input(value), Err(want), "{value}");
    }
}

// TestParseMultipleStorageInputSources: two -i make two sources, in the order given.
#[test]
fn multiple_storage_input_sources() {
    let inputs = strings(&[
        "ipfs://QmXJ3wT1C27W8Vvc21NjLEb7VdNk9oM8zJYtDkG1yH2fnA",
        "s3://myBucket/dir/file-001.txt",
    ]);
    let run = WasmRun::build(
        &WasmRunFlags {
            entry: "/inputs/main.wasm",
            inputs: &inputs,
            ..Default::default()
        },
        probe,
    )
    .unwrap();
    let types: Vec<_> = run.job.tasks[0]
        .input_sources
        .iter()
        .map(|source| source.source.r#type)
        .collect();
    assert_eq!(types, ["ipfs", "s3"]);
}

/// `-p VALUE` as its publisher, in YAML.
fn publisher_yaml(value: &str) -> Result<String, String> {
    publisher(value).map(|spec| serde_saphyr::to_string(&spec).unwrap())
}

// TestParsePublisherSpecConfig, each case by its name there.
#[test]
fn publisher_spec_config() {
    let s3 = |params: &str| format!("Type: s3\nParams:\n{params}");
    let cases = [
        // The job is then refused: bolinho has no IPFS node to publish to (the `-p ipfs` case
        // of bad_bacalhau_flags_exit_2_naming_the_flag).
        ("ipfs", "ipfs", "Type: ipfs\n".to_string()),
        (
            "s3",
            "s3://myBucket/dir/file-001.txt",
            s3("  bucket: myBucket\n  key: dir/file-001.txt\n"),
        ),
        (
            "s3 with endpoint and region",
            "s3://myBucket/dir/file-001.txt,opt=endpoint=http://127.0.0.1:9000,opt=region=us-east-1",
            s3(
                "  bucket: myBucket\n  endpoint: http://127.0.0.1:9000\n  key: dir/file-001.txt\n  \
                 region: us-east-1\n",
            ),
        ),
        (
            "s3 with encoding",
            "s3://myBucket/dir/file-001.txt,opt=encoding=plain",
            s3("  bucket: myBucket\n  encoding: plain\n  key: dir/file-001.txt\n"),
        ),
        (
            "s3 non URI",
            "s3,opt=bucket=myBucket,opt=key=dir/file-001.txt,opt=region=us-east-1",
            s3("  bucket: myBucket\n  key: dir/file-001.txt\n  region: us-east-1\n"),
        ),
    ];
    for (name, value, want) in cases {
        assert_eq!(
            publisher_yaml(value).as_deref(),
            Ok(want.as_str()),
            "{name}"
        );
    }
    // "empty" and "invalid flags": errors.
    let errors = [
        (
            "",
            "no publisher type: expected local, ipfs, s3 or s3managed",
        ),
        (
            "s3://myBucket/dir/file-001.txt,y=/mount/path",
            "invalid publisher option: y=/mount/path",
        ),
    ];
    for (value, want) in errors {
        assert_eq!(publisher_yaml(value), Err(want.to_string()), "{value}");
    }
}
