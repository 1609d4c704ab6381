//! Job cases from `testdata/jobs/<case>/`: a new case needs files, not Rust.
//!
//! A case holds `job.yaml` or `job.json`, optionally `args` (extra flags, one per line), and
//! `expect/`: `code` (the exit code), `stdout`, `stderr` (with `<CASE>` for the case directory and
//! `<RESULTS>` for the results directory), and `results`, the exact results tree as `support::tree`
//! prints it (one `path: contents` line per file, `dir/` per directory, so empty output folders
//! count). Without `expect/results` the run must leave no results directory.

use std::fs;
use std::path::Path;

use crate::support::{TempDir, bolinho, bolinho_with_stdin, testdata, tree};

fn run_case(case: &Path) -> Result<(), String> {
    let job = ["job.yaml", "job.json"]
        .iter()
        .map(|n| case.join(n))
        .find(|p| p.exists())
        .ok_or("no job.yaml or job.json")?;
    let expect = case.join("expect");
    let read = |name: &str| {
        fs::read_to_string(expect.join(name)).map_err(|e| format!("expect/{name}: {e}"))
    };
    let scratch = TempDir::new("job");
    let results = scratch.join("results");
    let mut args = vec![
        "run".to_string(),
        job.display().to_string(),
        "--results".into(),
        results.display().to_string(),
    ];
    if let Ok(extra) = fs::read_to_string(case.join("args")) {
        args.extend(extra.lines().filter(|l| !l.is_empty()).map(str::to_string));
    }
    let out = bolinho(
        scratch.path(),
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let stderr = out
        .stderr
        .replace(&results.display().to_string(), "<RESULTS>")
        .replace(&case.display().to_string(), "<CASE>");
    let mut problems = Vec::new();
    let code: i32 = read("code")?
        .trim()
        .parse()
        .map_err(|e| format!("expect/code: {e}"))?;
    if out.code != code {
        problems.push(format!("exit code {} (expected {code})", out.code));
    }
    if out.stdout != read("stdout").unwrap_or_default() {
        problems.push(format!("stdout:\n{}", out.stdout));
    }
    if stderr != read("stderr").unwrap_or_default() {
        problems.push(format!("stderr:\n{stderr}"));
    }
    match (read("results").ok(), results.exists()) {
        (Some(want), true) => {
            let got = tree(&results);
            if want.trim_end() != got.trim_end() {
                problems.push(format!("results tree:\n{got}\nexpected:\n{want}"));
            }
        }
        (Some(_), false) => problems.push("no results directory".into()),
        (None, true) => problems.push(format!("unexpected results directory:\n{}", tree(&results))),
        (None, false) => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[test]
fn every_job_case_in_testdata() {
    let mut cases: Vec<_> = fs::read_dir(testdata("jobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "testdata/jobs holds the job cases");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            run_case(case)
                .err()
                .map(|e| format!("--- {}:\n{e}", case.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} job cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn a_job_read_from_standard_input_resolves_local_paths_from_the_current_directory() {
    // As `bacalhau job run -`: `-` is the job document, and a relative SourcePath is the
    // current directory's, since standard input has no directory of its own.
    let dir = TempDir::new("stdin-job");
    fs::copy(testdata("wasm/hello.wasm"), dir.join("hello.wasm")).unwrap();
    let job = "Tasks:\n  - Engine:\n      Type: wasm\n      Params: {EntryModule: /app/hello.wasm}\n    \
               InputSources:\n      - Target: /app/hello.wasm\n        \
               Source: {Type: localDirectory, Params: {SourcePath: hello.wasm}}\n";
    let out = bolinho_with_stdin(
        dir.path(),
        &["run", "-", "--results", "res"],
        job.as_bytes(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "hello, world\n");
    assert_eq!(
        fs::read_to_string(dir.join("res/stdout")).unwrap(),
        "hello, world\n"
    );
    // Without Name, the job is called `job`.
    let out = bolinho_with_stdin(dir.path(), &["validate", "-"], job.as_bytes());
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("name: job\n"), "{}", out.stdout);
    // Errors name it `<stdin>`; a module is run from its file, never from standard input.
    let out = bolinho_with_stdin(dir.path(), &["validate", "-"], "Tasks: 5\n".as_bytes());
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            121,
            "bolinho: error: invalid job: <stdin>:1: Tasks: expected a list, found a number\n"
        )
    );
    let out = bolinho_with_stdin(dir.path(), &["run", "-"], "(module)".as_bytes());
    assert_eq!(out.code, 2, "{}", out.stderr);
    // After `--`, `-` is the module's own argument.
    let out = crate::support::bolinho(dir.path(), &["run", "hello.wasm", "--", "-"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "hello, world\n"));
}
