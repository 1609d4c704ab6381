//! Limits (README "Limits"): memory (`--memory`, `Resources.Memory`), fuel (`--fuel`,
//! `Meta: {bolinho.fuel}`) and the results files' output cap (`--output-limit`).

use std::fs;

use crate::support::{TempDir, bolinho, testdata};

fn wat(name: &str) -> String {
    testdata(&format!("wat/{name}")).display().to_string()
}

#[test]
fn memory_grow_past_the_limit_returns_minus_one() {
    let dir = TempDir::new("grow");
    for (memory, stdout) in [
        (None, "ok\nok\nok\n"),
        (Some("0"), "ok\nok\nok\n"),
        (Some("128KiB"), "ok\n-1\n-1\n"),
        // 131073 bytes round up to three pages.
        (Some("131073"), "ok\nok\n-1\n"),
        (Some("64kB"), "-1\n-1\n-1\n"),
    ] {
        let mut args = vec!["run", "--results", "r"];
        args.extend(memory.iter().flat_map(|m| ["--memory", *m]));
        let grow = wat("grow.wat");
        args.push(&grow);
        let _ = fs::remove_dir_all(dir.join("r"));
        let out = bolinho(dir.path(), &args);
        assert_eq!((out.code, out.stdout.as_str()), (0, stdout), "{memory:?}");
    }
}

#[test]
fn a_declared_minimum_above_the_limit_fails_before_running() {
    let dir = TempDir::new("minimum");
    let module = wat("big_memory.wat");
    let out = bolinho(dir.path(), &["run", "--memory", "512KiB", &module]);
    assert_eq!(out.code, 123);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to instantiate {module}: memory `memory` declares a minimum \
             of 10 pages (655360 bytes), above the memory limit of 524288 bytes, shared by \
             every memory and table of the run\n"
        )
    );
    // At the limit exactly, it runs.
    let out = bolinho(dir.path(), &["run", "--memory", "640KiB", &module]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "ran\n"));
}

#[test]
fn a_hidden_memory_above_the_limit_fails_when_instantiated() {
    let dir = TempDir::new("hidden");
    let module = wat("hidden_memory.wat");
    let out = bolinho(dir.path(), &["run", "--memory", "1MiB", &module]);
    assert_eq!(out.code, 123);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to instantiate {module}: its memories and tables need more \
             than the memory limit of 1048576 bytes, shared by every memory and table of the run\n"
        )
    );
}

#[test]
fn bad_memory_flags_say_why() {
    let dir = TempDir::new("memory-flag");
    let grow = wat("grow.wat");
    for (memory, error) in [
        (
            "lots",
            "--memory lots: invalid size `lots`: expected a number and an optional unit, such as 512MB, 1.5GiB or 4096",
        ),
        (
            "5GB",
            "--memory 5GB: `5GB` is 5000000000 bytes, more than a 32-bit memory can hold (4 GiB, 65536 pages)",
        ),
        (
            "4294967297",
            "--memory 4294967297: `4294967297` is 4294967297 bytes, more than a 32-bit memory can hold (4 GiB, 65536 pages)",
        ),
    ] {
        let out = bolinho(dir.path(), &["run", "--memory", memory, &grow]);
        assert_eq!(out.code, 2, "{memory}");
        assert_eq!(out.stderr, format!("bolinho: error: {error}\n"));
    }
}

#[test]
fn fuel_runs_out_with_a_trap_and_keeps_earlier_output() {
    let dir = TempDir::new("fuel");
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "--fuel",
            "100000",
            "--results",
            "r",
            &wat("forever.wat"),
        ],
    );
    assert_eq!(out.code, 134);
    assert_eq!(out.stdout, "started\n");
    assert!(
        out.stderr
            .starts_with("bolinho: error: the guest trapped: out of fuel\n"),
        "{}",
        out.stderr
    );
    assert_eq!(
        fs::read_to_string(dir.join("r/stdout")).unwrap(),
        "started\n"
    );
    assert_eq!(fs::read_to_string(dir.join("r/exitCode")).unwrap(), "134");
    // Enough fuel: the guest finishes as without a limit.
    let out = bolinho(dir.path(), &["run", "--fuel", "100000", &wat("grow.wat")]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "ok\nok\nok\n"));
}

#[test]
fn results_files_stop_at_the_output_limit_and_say_so() {
    let dir = TempDir::new("output-limit");
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "--output-limit",
            "7",
            "--results",
            "r",
            &wat("chatty.wat"),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // The terminal still gets everything.
    assert_eq!(out.stdout, "0123456789");
    assert!(out.stderr.starts_with("abcdefghij"), "{}", out.stderr);
    let read = |name: &str| fs::read_to_string(dir.join("r").join(name)).unwrap();
    assert_eq!(read("stdout"), "0123456");
    assert_eq!(read("stderr"), "abcdefg");
    assert_eq!(read("stdout.truncated"), "7");
    assert_eq!(read("stderr.truncated"), "7");
    // The receipt records the markers with the files they qualify.
    let receipt: serde_json::Value = serde_json::from_str(&read("receipt.json")).unwrap();
    let results = receipt["results"].as_object().unwrap();
    let names: Vec<&str> = results.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["stderr", "stderr.truncated", "stdout", "stdout.truncated"]
    );
    assert_eq!(
        results["stdout.truncated"],
        // sha256 of "7"
        "sha256:7902699be42c8a8e46fbbb4501726517e86b22c56a189f7625a6da49081b2451"
    );
    // At the limit exactly nothing is dropped, and there is no marker.
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "--output-limit",
            "10B",
            "--results",
            "s",
            &wat("chatty.wat"),
        ],
    );
    assert_eq!(out.code, 0);
    assert_eq!(
        fs::read_to_string(dir.join("s/stdout")).unwrap(),
        "0123456789"
    );
    assert!(!dir.join("s/stdout.truncated").exists());
    assert!(!dir.join("s/stderr.truncated").exists());
}

#[test]
fn validate_shows_the_limits() {
    let dir = TempDir::new("validate-limits");
    let job = testdata("jobs/limit-memory/job.yaml").display().to_string();
    let out = bolinho(dir.path(), &["validate", &job]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.ends_with("limits:\n  memoryBytes: 131072\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn fuel_and_timeout_flags_override_the_jobs_own() {
    let dir = TempDir::new("limit-overrides");
    let job = |meta_and_timeouts: &str, module: &str| {
        dir.write(
            "job.yaml",
            format!(
                "Name: limits\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: \
                 {{EntryModule: /m.wat}}}}\n{meta_and_timeouts}    InputSources:\n      - \
                 Target: /m.wat\n        Source: {{Type: local, Params: {{SourcePath: {}}}}}\n",
                wat(module)
            ),
        );
    };
    let run = |results: &str, flags: &[&str]| {
        let fixed = [
            "run",
            "job.yaml",
            "--quiet-portability",
            "--results",
            results,
        ];
        bolinho(dir.path(), &[&fixed[..], flags].concat())
    };
    // The job's fuel runs out at once; the flag's lets the guest finish.
    job("    Meta: {bolinho.fuel: \"100\"}\n", "count.wat");
    assert_eq!(run("r1", &[]).code, 134);
    let out = run("r2", &["--fuel", "100000000"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "done\n"),
        "{}",
        out.stderr
    );
    // The job allows a minute; the flag stops the guest after 0.2 s.
    job("    Timeouts: {ExecutionTimeout: 60}\n", "forever.wat");
    let out = run("r3", &["--timeout", "0.2"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            124,
            "bolinho: error: the guest ran past its timeout of 0.2s\nbolinho: results in r3\n"
        )
    );
}
