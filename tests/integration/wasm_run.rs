//! `bolinho run` with `bacalhau wasm run`'s flags (`-i`, `-I`, `-e`, `-o`, `-p`,
//! `--entry-point`, `--domain`, an entry module given as a URI or `PATH:TARGET`): the run is the
//! job Bacalhau would submit, and `--dry-run` prints it.

use std::fs;

use crate::http_server::{Reply, Server};
use crate::support::{TempDir, bolinho, bolinho_with_stdin, testdata, tree};

/// A directory holding the test modules `names` and `data/a.txt`.
fn workdir(name: &str, modules: &[&str]) -> TempDir {
    let dir = TempDir::new(name);
    for module in modules {
        fs::copy(testdata(&format!("wasm/{module}")), dir.join(module)).unwrap();
    }
    dir.write("data/a.txt", "from the host\n");
    dir
}

/// Lines of `stdout` without the job and execution ids, which hash the job document.
fn without_ids(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| !l.starts_with("BACALHAU_JOB_ID=") && !l.starts_with("BACALHAU_EXECUTION_ID="))
        .collect()
}

#[test]
fn bacalhau_flags_run_the_job_bacalhau_would_submit() {
    let dir = workdir("wasm-run", &["env.wasm"]);
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "env.wasm",
            "-e",
            "A=1,B=x=y",
            "-e",
            "C=a,b",
            "-o",
            "out:/outputs",
            "one",
            "two",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // A job's guest: argv[0] the module's guest path (Bacalhau's default target), the job's
    // variables and Bacalhau's own.
    assert_eq!(
        without_ids(&out.stdout),
        [
            "argc=3",
            "argv[0]=main.wasm",
            "argv[1]=one",
            "argv[2]=two",
            "A=1",
            "B=x=y",
            "BACALHAU_JOB_TYPE=batch",
            "BACALHAU_PARTITION_COUNT=1",
            "BACALHAU_PARTITION_INDEX=0",
            "C=a,b",
        ]
    );
    assert_eq!(out.stderr, "bolinho: results in bolinho-results/env-1\n");
    // Results as for a job file: the -o folder, and a receipt that verify accepts.
    let results = dir.join("bolinho-results/env-1");
    assert!(tree(&results).contains("out/\n"), "{}", tree(&results));
    let receipt = results.join("receipt.json").display().to_string();
    let verify = bolinho(dir.path(), &["verify", &receipt]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
}

#[test]
fn dry_run_prints_the_job_with_the_module_inline_and_it_runs_back_the_same() {
    let dir = workdir("wasm-run-dry", &["env.wasm"]);
    let args = [
        "run",
        "env.wasm",
        "-e",
        "GREETING=hi",
        "-o",
        "out:/outputs",
        "--",
        "x",
    ];
    let dry = bolinho(
        dir.path(),
        &[&["run", "--dry-run"][..], &args[1..]].concat(),
    );
    assert_eq!((dry.code, dry.stderr.as_str()), (0, ""));
    let module = fs::read(dir.join("env.wasm")).unwrap();
    use base64::Engine as _;
    let url = base64::engine::general_purpose::STANDARD.encode(&module);
    let expected_start = "Type: batch\nCount: 1\nTasks:\n- Name: main\n  Engine:\n    Type: wasm\n    \
         Params:\n      EntryModule: main.wasm\n      Entrypoint: _start\n      Parameters:\n      - x\n  \
         Env:\n    GREETING: hi\n  InputSources:\n  - Target: main.wasm\n    Source:\n      Type: inline\n      \
         Params:\n        URL: ";
    assert!(dry.stdout.starts_with(expected_start), "{}", dry.stdout);
    let folded: String = dry.stdout[expected_start.len()..]
        .split("ResultPaths")
        .next()
        .unwrap()
        .split_whitespace()
        .filter(|w| *w != ">-")
        .collect();
    assert_eq!(folded, format!("data:application/wasm;base64,{url}"));
    assert!(
        dry.stdout
            .ends_with("  ResultPaths:\n  - Name: out\n    Path: /outputs\n"),
        "{}",
        dry.stdout
    );
    let direct = bolinho(dir.path(), &args);
    assert_eq!(direct.code, 0, "{}", direct.stderr);
    let back = bolinho_with_stdin(dir.path(), &["run", "-"], dry.stdout.as_bytes());
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(without_ids(&back.stdout), without_ids(&direct.stdout));
}

#[test]
fn inputs_mount_local_directories_at_their_target_or_at_inputs() {
    let dir = workdir("wasm-run-inputs", &["cat.wasm"]);
    let cases: [&[&str]; 4] = [
        &["-i", "file://data:/data", "cat.wasm", "/data/a.txt"],
        &["-i", "file://./data", "cat.wasm", "/inputs/a.txt"],
        &[
            "-i",
            "src=file://data,dst=/d",
            "./cat.wasm:/app/cat.wasm",
            "/d/a.txt",
        ],
        // The entry module as the guest path an input gives it.
        &[
            "-i",
            "file://cat.wasm:/app/cat.wasm",
            "-i",
            "file://data:/d",
            "/app/cat.wasm",
            "/d/a.txt",
        ],
    ];
    for case in cases {
        let out = bolinho(dir.path(), &[&["run"][..], case].concat());
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "from the host\n"),
            "{case:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_read_write_input_is_written_in_place_only_when_asked() {
    let dir = workdir("wasm-run-rw", &["transform.wasm"]);
    // `transform IN OUT` writes OUT/<name>.upper for each file of IN.
    let rw = bolinho(
        dir.path(),
        &[
            "run",
            "-i",
            "file://data:/d,opt=rw=true",
            "transform.wasm",
            "/d",
            "/d",
        ],
    );
    assert_eq!(rw.code, 0, "{}{}", rw.stdout, rw.stderr);
    assert_eq!(
        fs::read_to_string(dir.join("data/a.txt.upper")).unwrap(),
        "FROM THE HOST\n"
    );
    fs::remove_file(dir.join("data/a.txt.upper")).unwrap();
    fs::remove_dir_all(dir.join("data/summary")).unwrap();
    let ro = bolinho(
        dir.path(),
        &["run", "-i", "file://data:/d", "transform.wasm", "/d", "/d"],
    );
    assert_eq!(ro.code, 2, "{}{}", ro.stdout, ro.stderr);
    assert!(!dir.join("data/a.txt.upper").exists());
}

#[test]
fn import_modules_come_from_files_or_from_inputs() {
    let dir = workdir("wasm-run-imports", &["easter_main.wasm", "easter_lib.wasm"]);
    // easter_main imports `easter` from module `input.wasm`, as Bacalhau's dynamic-link test.
    for case in [
        &["-I", "easter_lib.wasm:input.wasm"][..],
        &[
            "-i",
            "file://easter_lib.wasm:/input.wasm",
            "-I",
            "/input.wasm",
        ],
    ] {
        let out = bolinho(
            dir.path(),
            &[&["run", "easter_main.wasm"][..], case].concat(),
        );
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "17\n"),
            "{case:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn modules_and_inputs_come_from_urls() {
    let server = Server::start();
    server.route(
        "/m/cat.wasm",
        Reply::ok(fs::read(testdata("wasm/cat.wasm")).unwrap()),
    );
    server.route("/data/a.txt", Reply::ok("from the web\n"));
    let dir = TempDir::new("wasm-run-urls");
    // A URL with a port needs the long form; the file lands in a directory at the target.
    let module = format!("src={}", server.url("/m/cat.wasm"));
    let input = format!("src={},dst=/web", server.url("/data/a.txt"));
    let out = bolinho(dir.path(), &["run", &module, "-i", &input, "/web/a.txt"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "from the web\n"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr, "bolinho: results in bolinho-results/cat-1\n");
}

#[test]
fn bad_bacalhau_flags_exit_2_naming_the_flag() {
    let dir = workdir("wasm-run-bad", &["hello.wasm"]);
    let cases: [(&[&str], &str); 12] = [
        (
            &["-i", "http://127.0.0.1:8080/a"],
            "-i http://127.0.0.1:8080/a: Bacalhau reads 8080/a as the target: a URI with a port \
             needs the long form, src=URI,dst=PATH",
        ),
        (
            &["-i", "s3://b/k,opt=colour=red"],
            "-i s3://b/k,opt=colour=red: unknown option colour=red for storage s3",
        ),
        (
            &["-i", "ipfs://nope"],
            "-i ipfs://nope: Source.Params.CID: `nope` is not a CID: unsupported multibase prefix \
             `n` (bolinho reads CIDv0 `Qm...` and CIDv1 in base32 `b...` or base58btc `z...`)",
        ),
        (&["-o", "out"], "-o out: expected NAME:PATH"),
        (
            &["-o", "out:../x"],
            "-o out:../x: Path: invalid path `../x`: `..` is not allowed",
        ),
        (
            &["-p", "ipfs"],
            "-p ipfs: Type: publisher type `ipfs` is not supported: use `local` (the default), \
             `noop` or `s3`",
        ),
        (
            &["-o", "a:/a", "-e", "BACALHAU_X=1"],
            "-e BACALHAU_X: the `BACALHAU_` prefix is reserved for the variables bolinho sets",
        ),
        (
            &["-o", "a:/a", "--domain", "a.com"],
            "--domain a.com: applies to --network http",
        ),
        (
            &["-I", "/lib.wasm"],
            "-I /lib.wasm: no input source is mounted at `/lib.wasm` (targets: /main.wasm)",
        ),
        (
            &["-o", "a:/a", "--dir", "data"],
            "--dir is a flag of wasmtime-style module runs, and -i, -I, -o, -p or an entry module \
             given as a URI or SOURCE:TARGET make this run bacalhau wasm run's; write \
             -i file://HOST_PATH:GUEST_PATH,opt=rw=true",
        ),
        (
            &["-o", "a:/a", "--import", "m=lib.wasm"],
            "--import is a flag of wasmtime-style module runs, and -i, -I, -o, -p or an entry \
             module given as a URI or SOURCE:TARGET make this run bacalhau wasm run's; write \
             -I SOURCE:TARGET",
        ),
        (
            &["-o", "a:/a", "-V", "k=v"],
            "--template-vars applies to job files; with bacalhau wasm run's flags the job is made \
             from them",
        ),
    ];
    for (flags, message) in cases {
        let out = bolinho(dir.path(), &[&["run", "hello.wasm"][..], flags].concat());
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (2, format!("bolinho: error: {message}\n").as_str()),
            "{flags:?}"
        );
    }
    assert!(!dir.join("bolinho-results").exists());
}

#[test]
fn both_spellings_of_a_flag_work_and_must_agree() {
    let dir = workdir("wasm-run-spellings", &["env.wasm", "hello.wasm"]);
    // wasmtime-style runs read `-e A=1,B=2` as bacalhau does: two variables.
    let out = bolinho(
        dir.path(),
        &["run", "env.wasm", "-e", "A=1,B=2", "--env", "C=x,y"],
    );
    assert_eq!(
        out.stdout, "argc=1\nargv[0]=env.wasm\nA=1\nB=2\nC=x,y\n",
        "{}",
        out.stderr
    );
    let out = bolinho(
        dir.path(),
        &["run", "hello.wasm", "--entry-point", "_start"],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, "hello, world\n"));
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "hello.wasm",
            "--entry-point",
            "_start",
            "--entrypoint",
            "main",
        ],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: --entrypoint main and --entry-point _start disagree; give one\n"
        )
    );
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "hello.wasm",
            "--network",
            "http",
            "--domain",
            "a.com",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // cobra's `--NAME=VALUE`, as Bacalhau's commands are often written, before `--` only.
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "env.wasm",
            "--network=none",
            "--timeout=30",
            "--env=A=1",
            "--",
            "--x=1",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "argc=2\nargv[0]=env.wasm\nargv[1]=--x=1\nA=1\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn limits_go_in_the_job_as_bacalhau_writes_them() {
    let dir = workdir("wasm-run-limits", &["hello.wasm"]);
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "--dry-run",
            "hello.wasm:/m.wasm",
            "-o",
            "a:/a",
            "--timeout",
            "2.5",
            "--memory",
            "64MB",
            "--seed",
            "7",
            "--network",
            "http",
            "--domain",
            "example.com",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tail = out.stdout.split("  ResultPaths:").nth(1).unwrap();
    assert_eq!(
        tail,
        "\n  - Name: a\n    Path: /a\n  Network:\n    Type: HTTP\n    Domains:\n    - example.com\n  \
         Resources:\n    Memory: 64MB\n  Timeouts:\n    TotalTimeout: 3\n"
    );
    assert!(
        out.stdout.contains("  Meta:\n    bolinho.seed: \"7\"\n"),
        "{}",
        out.stdout
    );
}

// Bacalhau's own tests, here. cmd/cli/wasm/wasm_run_test.go runs `bacalhau wasm run` from
// `cmd/cli/wasm` on a devstack and waits for the job to succeed; wasm_run_cli_test.go reads the
// `--dry-run` job. These build the same directories and run the same command lines.

/// A scratch copy of Bacalhau's layout: `testdata/wasm/noop/main.wasm` (a module that prints a
/// line and exits 0, as Bacalhau's noop does), `testdata/wasm/env/main.wasm` (prints its
/// arguments and variables), and the directory its tests run in, `cmd/cli/wasm`.
fn bacalhau_layout(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    for (module, at) in [("hello.wasm", "noop"), ("env.wasm", "env")] {
        let path = dir.write(&format!("testdata/wasm/{at}/main.wasm"), "");
        fs::copy(testdata(&format!("wasm/{module}")), path).unwrap();
    }
    fs::create_dir_all(dir.join("cmd/cli/wasm")).unwrap();
    dir
}

const NOOP: &str = "../../../testdata/wasm/noop/main.wasm";

#[test]
fn bacalhau_local_module_tests_run_the_job_from_a_relative_path_and_at_a_custom_target() {
    let dir = bacalhau_layout("wasm-run-bacalhau-local");
    let cwd = dir.join("cmd/cli/wasm");
    use base64::Engine as _;
    let url = base64::engine::general_purpose::STANDARD
        .encode(fs::read(dir.join("testdata/wasm/noop/main.wasm")).unwrap());
    // TestLocalFileInputSource and TestRelativeLocalFileInputSource run `NOOP` as the job with
    // the module inline at `main.wasm`. A local file alone is a module run here (wasmtime's
    // way), so `NOOP:main.wasm`, Bacalhau's default target written out, asks for that job.
    // TestLocalFileWithCustomTarget: `NOOP:/app/custom.wasm`.
    for target in ["main.wasm", "/app/custom.wasm"] {
        let entry = format!("{NOOP}:{target}");
        let dry = bolinho(&cwd, &["run", "--dry-run", &entry]);
        assert_eq!((dry.code, dry.stderr.as_str()), (0, ""), "{entry}");
        let head = format!(
            "Type: batch\nCount: 1\nTasks:\n- Name: main\n  Engine:\n    Type: wasm\n    Params:\n      \
             EntryModule: {target}\n      Entrypoint: _start\n  InputSources:\n  - Target: {target}\n    \
             Source:\n      Type: inline\n      Params:\n        URL: "
        );
        let rest = dry
            .stdout
            .strip_prefix(&head)
            .unwrap_or_else(|| panic!("{}", dry.stdout));
        let folded: String = rest.split_whitespace().filter(|w| *w != ">-").collect();
        assert_eq!(folded, format!("data:application/wasm;base64,{url}"));
        // ... and the job completes successfully.
        let out = bolinho(&cwd, &["run", &entry]);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "hello, world\n"),
            "{entry}: {}",
            out.stderr
        );
        assert!(
            out.stderr
                .starts_with("bolinho: results in bolinho-results/main-"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn bacalhau_specifying_env_vars_gives_the_guest_both() {
    // TestSpecifyingEnvVars: `-e A=B,C=D` is two variables, and the job succeeds.
    let dir = bacalhau_layout("wasm-run-bacalhau-env");
    let out = bolinho(
        &dir.join("cmd/cli/wasm"),
        &[
            "run",
            "../../../testdata/wasm/env/main.wasm:main.wasm",
            "-e",
            "A=B,C=D",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        without_ids(&out.stdout),
        [
            "argc=1",
            "argv[0]=main.wasm",
            "A=B",
            "BACALHAU_JOB_TYPE=batch",
            "BACALHAU_PARTITION_COUNT=1",
            "BACALHAU_PARTITION_INDEX=0",
            "C=D",
        ]
    );
}

#[test]
fn bacalhau_job_flag_parsing_cases_on_the_command_line() {
    // TestJobFlagParsing's cases, through bolinho's command line (spec/wasm_run/bacalhau_cases.rs
    // has each of them against the grammar).
    let dir = bacalhau_layout("wasm-run-bacalhau-flags");
    let cwd = dir.join("cmd/cli/wasm");
    let head = |entry_module: &str| {
        format!(
            "Type: batch\nCount: 1\nTasks:\n- Name: main\n  Engine:\n    Type: wasm\n    Params:\n      \
             EntryModule: {entry_module}\n      Entrypoint: _start\n  InputSources:"
        )
    };
    let remote = "\n  - Alias: https://example.com/main.wasm\n    Target: main.wasm\n    \
         Source:\n      Type: urlDownload\n      Params:\n        URL: https://example.com/main.wasm\n";
    // "remote module with default target": a URI alone asks for Bacalhau's job.
    let out = bolinho(&cwd, &["run", "--dry-run", "https://example.com/main.wasm"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, format!("{}{remote}", head("main.wasm")).as_str(), "")
    );
    // "with network none", "with timeout" and, of "with resources", --memory. Bacalhau's tests
    // write `--network=none`; bolinho's parser takes the value as the next argument only.
    let out = bolinho(
        &cwd,
        &[
            "run",
            "--dry-run",
            "https://example.com/main.wasm",
            "--network",
            "none",
            "--timeout",
            "300",
            "--memory",
            "2",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            format!(
                "{}{remote}  Network:\n    Type: None\n  Resources:\n    Memory: \"2\"\n  \
                 Timeouts:\n    TotalTimeout: 300\n",
                head("main.wasm")
            )
            .as_str(),
            ""
        )
    );
    // "non-existent local module (pass as is)": the job names it as the guest path ...
    let args = ["run", "./nonexistent.wasm", "-o", "out:/outputs"];
    let out = bolinho(&cwd, &[&args[..1], &["--dry-run"], &args[1..]].concat());
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            0,
            format!(
                "{} []\n  ResultPaths:\n  - Name: out\n    Path: /outputs\n",
                head("./nonexistent.wasm")
            )
            .as_str()
        )
    );
    // ... which no input gives, so bolinho refuses to run it (Bacalhau submits it, and the
    // node fails). Without Bacalhau's flags the path is a module run's file, which is missing.
    let out = bolinho(&cwd, &args);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: the entry module ./nonexistent.wasm: no input source is mounted at \
             `/nonexistent.wasm`: the task has no InputSources\n"
        )
    );
    let out = bolinho(&cwd, &["run", "./nonexistent.wasm"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            121,
            "bolinho: error: failed to read ./nonexistent.wasm: No such file or directory (os \
             error 2)\n"
        )
    );
    assert!(!cwd.join("bolinho-results").exists());
}
