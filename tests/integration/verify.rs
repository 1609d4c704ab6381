//! Receipts and `bolinho verify` (README "Receipts and verify"): every job run records what it
//! was given and what it produced by sha256, and `verify` reruns it to check.

use std::fs;

use crate::support::{TempDir, bolinho, sha256, testdata};

/// A job that upper-cases each file of `/inputs` into `/outputs`, with its module and inputs
/// beside it so a test may change them.
pub(crate) fn job_dir(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::copy(testdata("wasm/transform.wasm"), dir.join("transform.wasm")).unwrap();
    dir.write("inputs/a.txt", "alpha\n");
    dir.write("inputs/sub/b.txt", "beta\n");
    dir.write(
        "job.yaml",
        "Name: transform\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      Params:\n        \
         EntryModule: /app/transform.wasm\n        Parameters: [/inputs, /outputs]\n    InputSources:\n      \
         - Target: /app/transform.wasm\n        Source: {Type: localDirectory, Params: {SourcePath: transform.wasm}}\n      \
         - Target: /inputs\n        Source: {Type: localDirectory, Params: {SourcePath: ./inputs}}\n    \
         ResultPaths:\n      - Name: outputs\n        Path: /outputs\n",
    );
    dir
}

/// Runs the job into `results` and returns its receipt, parsed.
fn run(dir: &TempDir, results: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["run", "job.yaml", "--results", results];
    args.extend(extra);
    let out = bolinho(dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = fs::read_to_string(dir.join(results).join("receipt.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn a_job_run_writes_a_receipt_of_what_it_was_given_and_produced() {
    let dir = job_dir("receipt-fields");
    let receipt = run(&dir, "out", &["--fuel", "100000000"]);
    let stdout = fs::read(dir.join("out/stdout")).unwrap();
    assert_eq!(receipt["results"]["stdout"], sha256(&stdout));
    assert_eq!(receipt["results"]["stderr"], sha256(b""));
    let upper = fs::read(dir.join("out/outputs/a.txt.upper")).unwrap();
    assert_eq!(receipt["results"]["outputs/a.txt.upper"], sha256(&upper));
    assert_eq!(receipt["bolinho"], env!("CARGO_PKG_VERSION"));
    // The build, as `--version --verbose` prints it.
    let about = bolinho(dir.path(), &["--version", "--verbose"]).stdout;
    let build = &receipt["build"];
    for field in ["commit", "target", "rustc"] {
        let line = format!("{field}: {}\n", build[field].as_str().unwrap());
        assert!(about.contains(&line), "{line:?} not in {about:?}");
    }
    assert_eq!(build["features"], serde_json::json!(["wat"]));
    assert_eq!(receipt["wasmi"], "2.0.0");
    assert_eq!(receipt["plan"]["name"], "transform");
    let module = fs::read(dir.join("transform.wasm")).unwrap();
    assert_eq!(receipt["modules"]["/app/transform.wasm"], sha256(&module));
    assert_eq!(receipt["inputs"]["/inputs/a.txt"], sha256(b"alpha\n"));
    assert_eq!(receipt["inputs"]["/inputs/sub/b.txt"], sha256(b"beta\n"));
    assert_eq!(
        receipt["determinism"]["virtual"]["epochNs"],
        946_684_800_000_000_000u64
    );
    assert_eq!(receipt["determinism"]["virtual"]["tickNs"], 1000);
    assert!(receipt["determinism"]["virtual"]["seed"].is_u64());
    assert_eq!(receipt["limits"]["fuel"], 100_000_000);
    assert_eq!(receipt["outcome"]["exited"], 0);
    assert_eq!(receipt["exitCode"], 0);
    assert!(receipt["fuelUsed"].as_u64().unwrap() > 0);
}

#[test]
fn fuel_used_is_the_same_with_or_without_a_timeout() {
    let dir = job_dir("receipt-fuel");
    let fuel = run(&dir, "fuel", &["--fuel", "100000000"])["fuelUsed"].clone();
    let sliced = run(&dir, "sliced", &["--fuel", "100000000", "--timeout", "60"]);
    let timeout_only = run(&dir, "timeout", &["--timeout", "60"]);
    assert!(fuel.as_u64().unwrap() > 0);
    assert_eq!(sliced["fuelUsed"], fuel);
    assert_eq!(timeout_only["fuelUsed"], fuel);
    // Fuel is metered on every run, limit or not.
    assert_eq!(run(&dir, "unlimited", &[])["fuelUsed"], fuel);
}

#[test]
fn two_runs_of_a_job_write_identical_receipts() {
    let dir = job_dir("receipt-identical");
    run(&dir, "one", &[]);
    run(&dir, "two", &[]);
    assert_eq!(
        fs::read(dir.join("one/receipt.json")).unwrap(),
        fs::read(dir.join("two/receipt.json")).unwrap()
    );
}

#[test]
fn verify_of_an_untouched_receipt_passes_every_check() {
    let dir = job_dir("verify-ok");
    run(&dir, "out", &[]);
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let stdout = sha256(&fs::read(dir.join("out/stdout")).unwrap());
    assert!(
        lines.contains(&format!("ok  stdout  {stdout}").as_str()),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ok  outputs/a.txt.upper  sha256:"))
    );
    assert!(lines.iter().all(|l| l.starts_with("ok  ")), "{lines:?}");
    assert_eq!(out.stderr, "");
    // The results directory stands for the receipt in it, as for `bundle`.
    let by_dir = bolinho(dir.path(), &["verify", "out"]);
    assert_eq!(
        (by_dir.code, &by_dir.stdout),
        (0, &out.stdout),
        "{}",
        by_dir.stderr
    );
}

#[test]
fn verify_reruns_with_the_output_limit_the_run_had() {
    // The receipt records --output-limit: a rerun with the default would keep more of stdout
    // and report a difference on an unchanged job.
    let dir = job_dir("verify-output-limit");
    let receipt = run(&dir, "out", &["--output-limit", "10"]);
    assert_eq!(receipt["plan"]["limits"]["outputBytes"], 10);
    assert_eq!(receipt["limits"]["outputBytes"], 10);
    assert_eq!(fs::read(dir.join("out/stdout")).unwrap().len(), 10);
    assert!(dir.join("out/stdout.truncated").exists());
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("ok  stdout.truncated  sha256:")),
        "{lines:?}"
    );
    assert!(lines.iter().all(|l| l.starts_with("ok  ")), "{lines:?}");
}

#[test]
fn verify_after_an_input_changed_fails_before_running_and_names_it() {
    let dir = job_dir("verify-input");
    run(&dir, "out", &[]);
    dir.write("inputs/sub/b.txt", "BETA\n");
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 120, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: the job's sources differ from the receipt, so it was not run: \
             input /inputs/sub/b.txt: expected {}, found other content\n",
            sha256(b"beta\n"),
        )
    );
}

#[test]
fn verify_after_the_module_changed_names_the_module() {
    let dir = job_dir("verify-module");
    run(&dir, "out", &[]);
    fs::copy(testdata("wasm/hello.wasm"), dir.join("transform.wasm")).unwrap();
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 120, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("module /app/transform.wasm: expected sha256:"),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_finds_a_changed_result() {
    let dir = job_dir("verify-result");
    run(&dir, "out", &[]);
    // A receipt whose recorded stdout no longer matches what the job prints.
    let path = dir.join("out/receipt.json");
    let mut receipt: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    let real = receipt["results"]["stdout"].as_str().unwrap().to_string();
    receipt["results"]["stdout"] = sha256(b"something else").into();
    fs::write(&path, serde_json::to_string_pretty(&receipt).unwrap()).unwrap();
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 120, "{}", out.stderr);
    assert!(
        out.stdout.lines().any(|l| l
            == format!(
                "DIFF stdout: expected {}, got {real}",
                sha256(b"something else")
            )),
        "{}",
        out.stdout
    );
}

#[test]
fn verify_refuses_a_nondeterministic_run_without_a_tape() {
    let dir = job_dir("verify-nondet");
    let receipt = run(&dir, "out", &["--nondeterministic", "--no-record"]);
    assert_eq!(receipt["determinism"]["nondeterministic"], true);
    assert_eq!(receipt.get("tape"), None);
    assert_eq!(receipt["noRecord"], true);
    assert!(!dir.join("out/tape").exists());
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 120);
    assert_eq!(
        out.stderr,
        "bolinho: error: out/receipt.json records a --nondeterministic run made with \
         --no-record (the host's clocks and OS randomness, on no tape), which cannot be \
         verified\n"
    );
}

#[test]
fn fuel_used_over_many_slices_is_the_same_with_or_without_a_timeout() {
    let dir = TempDir::new("receipt-fuel-slices");
    let forever = testdata("wat/forever.wat").display().to_string();
    let fuel_used = |results: &str, extra: &[&str]| {
        let mut args = vec!["run", "--fuel", "3500000", "--results", results];
        args.extend(extra);
        args.push(&forever);
        let out = bolinho(dir.path(), &args);
        assert_eq!(out.code, 134, "{}", out.stderr);
        let text = fs::read_to_string(dir.join(results).join("receipt.json")).unwrap();
        let receipt: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(receipt["outcome"]["trapped"], "out of fuel");
        receipt["fuelUsed"].as_u64().unwrap()
    };
    let unsliced = fuel_used("plain", &[]);
    // Three full slices of a million and part of a fourth.
    assert!(unsliced > 3_000_000, "{unsliced}");
    assert_eq!(fuel_used("sliced", &["--timeout", "60"]), unsliced);
}

#[test]
fn verify_refuses_a_run_its_timeout_stopped() {
    let dir = TempDir::new("verify-timeout");
    let forever = testdata("wat/forever.wat").display().to_string();
    let out = bolinho(
        dir.path(),
        &["run", "--timeout", "0.2", "--results", "out", &forever],
    );
    assert_eq!(out.code, 124, "{}", out.stderr);
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 120);
    assert_eq!(
        out.stderr,
        "bolinho: error: out/receipt.json records a run stopped by its timeout, at a point \
         that depends on real time, which cannot be verified\n"
    );
}

#[test]
fn verify_refuses_a_run_a_signal_stopped() {
    let dir = TempDir::new("verify-signalled");
    let forever = testdata("wat/forever.wat").display().to_string();
    let mut child =
        crate::support::command(dir.path(), &["run", "--results", "out", &forever], &[])
            .spawn()
            .unwrap();
    assert_eq!(crate::support::first_line(&mut child), "started\n");
    crate::support::send(&child, "-TERM");
    assert_eq!(child.wait().unwrap().code(), Some(143));
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 120);
    assert_eq!(
        out.stderr,
        "bolinho: error: out/receipt.json records a run stopped by SIGTERM, at a point that \
         depends on real time, which cannot be verified\n"
    );
}

#[test]
fn a_signal_stops_a_rerun_and_nothing_is_said_verified_or_different() {
    // A guest that computes for about a second (bench/compute.wasm).
    let dir = TempDir::new("verify-stopped");
    fs::copy(
        crate::support::root().join("bench/compute.wasm"),
        dir.join("compute.wasm"),
    )
    .unwrap();
    let out = bolinho(
        dir.path(),
        &["run", "--results", "out", "compute.wasm", "--", "1"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let child = crate::support::command(dir.path(), &["verify", "out/receipt.json"], &[])
        .spawn()
        .unwrap();
    let out = crate::support::interrupt_after(child, std::time::Duration::from_millis(200));
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "bolinho: error: stopped by SIGINT before the rerun finished; nothing was verified\n"
    );
}

#[test]
fn a_rerun_never_publishes() {
    // An S3 endpoint that knows no bucket: the run's publish fails, its results are kept.
    let server = crate::http_server::Server::start();
    let dir = TempDir::new("verify-no-publish");
    crate::support::publishing_job(&dir, &server.base());
    let credentials = crate::support::LOOPBACK_CREDENTIALS;
    let run = crate::support::bolinho_env(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability", "--results", "out"],
        &credentials,
    );
    assert_eq!(run.code, 126, "{}", run.stderr);
    let asked = server.total();
    assert!(asked > 0);
    let out =
        crate::support::bolinho_env(dir.path(), &["verify", "out/receipt.json"], &credentials);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        server.total(),
        asked,
        "the rerun sent nothing to the publisher"
    );
}
