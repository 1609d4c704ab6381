//! `bolinho run MODULE --dry-run`: the Bacalhau job a module run is, which `bolinho run`
//! accepts back and runs to the same output.

use crate::support::{TempDir, bolinho, bolinho_with_stdin, testdata};

fn wasm(name: &str) -> String {
    testdata(&format!("wasm/{name}")).display().to_string()
}

#[test]
fn each_module_run_comes_back_from_its_job_with_the_same_output() {
    let dir = TempDir::new("dry-run");
    dir.write("data/a.txt", "from a mounted file\n");
    let (hello, env, cat, uses_lib) = (
        wasm("hello.wasm"),
        wasm("env.wasm"),
        wasm("cat.wasm"),
        wasm("uses_lib.wasm"),
    );
    let import = format!("mathlib={}", wasm("lib_reactor.wasm"));
    let runs: [Vec<&str>; 4] = [
        vec![&hello],
        vec![&env, "--env", "GREETING=hi there", "--", "one", "two words"],
        vec![&cat, "--dir", "data::/data", "--", "/data/a.txt"],
        vec![
            &uses_lib,
            "--import",
            &import,
            "--memory",
            "64MiB",
            "--timeout",
            "30",
        ],
    ];
    for (i, run) in runs.iter().enumerate() {
        let direct = bolinho(dir.path(), &[&["run"][..], run].concat());
        assert_eq!(direct.code, 0, "{run:?}: {}", direct.stderr);
        let dry = bolinho(dir.path(), &[&["run", "--dry-run"][..], run].concat());
        assert_eq!(dry.code, 0, "{run:?}: {}", dry.stderr);
        assert!(dry.stdout.starts_with("Name: "), "{}", dry.stdout);
        assert!(
            dry.stderr
                .ends_with("bolinho: note: a job's guest has no stdin\n")
        );
        let results = format!("r{i}");
        let back = bolinho_with_stdin(
            dir.path(),
            &["run", "-", "--results", &results],
            dry.stdout.as_bytes(),
        );
        assert_eq!(back.code, 0, "{run:?}: {}", back.stderr);
        // The job's own variables (BACALHAU_*) come on top of the module run's.
        let job_only = |l: &&str| !l.starts_with("BACALHAU_");
        let direct: Vec<&str> = direct.stdout.lines().collect();
        let back: Vec<&str> = back.stdout.lines().filter(job_only).collect();
        assert_eq!(back, direct, "{run:?}");
    }
}

#[test]
fn the_job_says_the_limits_and_network_a_job_can_say() {
    let dir = TempDir::new("dry-run-limits");
    let hello = wasm("hello.wasm");
    let args = [
        "run",
        &hello,
        "--memory",
        "64MiB",
        "--timeout",
        "2.5",
        "--fuel",
        "1000000",
        "--seed",
        "7",
        "--network",
        "http",
        "--allow-domain",
        "*.example.com",
        "--dry-run",
    ];
    let out = bolinho(dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stderr, "bolinho: note: a job's guest has no stdin\n");
    for line in [
        "  Meta:\n    bolinho.fuel: \"1000000\"\n    bolinho.seed: \"7\"\n",
        "  Network:\n    Type: HTTP\n    Domains:\n    - \"*.example.com\"\n",
        "  Resources:\n    Memory: \"67108864\"\n",
        // Whole seconds, rounded up.
        "  Timeouts:\n    ExecutionTimeout: 3\n",
    ] {
        assert!(out.stdout.contains(line), "{line}\n{}", out.stdout);
    }
    // The job it prints validates, and keeps the limits.
    let plan = bolinho_with_stdin(dir.path(), &["validate", "-"], out.stdout.as_bytes());
    assert_eq!(plan.code, 0, "{}", plan.stderr);
    assert!(
        plan.stdout.contains("memoryBytes: 67108864"),
        "{}",
        plan.stdout
    );
    assert!(plan.stdout.contains("fuel: 1000000"), "{}", plan.stdout);
    // What a job cannot say is a note: no memory limit is Bacalhau's default, and the output
    // limit is its nodes'.
    let out = bolinho(
        dir.path(),
        &["run", &hello, "--output-limit", "1MB", "--dry-run"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: note: the run has no memory limit; the job gets Bacalhau's default, 512 MB \
         (set --memory to choose)\n\
         bolinho: note: the output limit is a setting of Bacalhau's nodes, not of a job; left out\n\
         bolinho: note: a job's guest has no stdin\n"
    );
    assert!(!out.stdout.contains("Resources"), "{}", out.stdout);
    // The default output limit is 1 GB, 10^9 bytes: asking for it is no note.
    for (limit, noted) in [("1GB", false), ("1000000000", false), ("999999999", true)] {
        let out = bolinho(
            dir.path(),
            &[
                "run",
                &hello,
                "--memory",
                "1MiB",
                "--output-limit",
                limit,
                "--dry-run",
            ],
        );
        assert_eq!(
            out.stderr.contains("output limit"),
            noted,
            "{limit}: {}",
            out.stderr
        );
    }
    // A job file is a Bacalhau job already.
    let job = testdata("jobs/single-task-json/job.json")
        .display()
        .to_string();
    let out = bolinho(dir.path(), &["run", &job, "--dry-run"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}
