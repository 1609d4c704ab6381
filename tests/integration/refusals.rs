//! A job file is refused with the job file: `validate` refuses exactly what `run` would, in the
//! same words, naming the file, the line and (where there is one) the field, with the
//! invalid-job code. Each `testdata/jobs/error-*` case whose expected code is that code is run
//! both ways (the other error cases fail later, on what only a run has: host files, modules,
//! the network); a new refusal is a new case directory, no Rust.

use std::fs;
use std::path::{Path, PathBuf};

use crate::support::{TempDir, bolinho, testdata};

/// The exit code of a job file that cannot be read, parsed or validated (README "Exit codes").
const INVALID_JOB: i32 = 121;

/// The error cases refused with the job file, sorted.
fn refused_cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = fs::read_dir(testdata("jobs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("error-")
        })
        .filter(|p| {
            let code = fs::read_to_string(p.join("expect/code")).unwrap_or_default();
            code.trim() == INVALID_JOB.to_string()
        })
        .collect();
    cases.sort();
    cases
}

/// `validate` and `run` on the case's job file (with its `args`), compared.
fn refused_alike(case: &Path) -> Result<(), String> {
    let job = ["job.yaml", "job.json"]
        .iter()
        .map(|n| case.join(n))
        .find(|p| p.exists())
        .ok_or("no job.yaml or job.json")?;
    let job = job.display().to_string();
    let extra: Vec<String> = fs::read_to_string(case.join("args"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let scratch = TempDir::new("refused");
    let results = scratch.join("results").display().to_string();
    let command = |first: &[&str]| {
        let mut args: Vec<&str> = first.to_vec();
        args.extend(extra.iter().map(String::as_str));
        bolinho(scratch.path(), &args)
    };
    let validate = command(&["validate", &job]);
    let run = command(&["run", &job, "--results", &results]);
    let mut problems = Vec::new();
    for (name, out) in [("validate", &validate), ("run", &run)] {
        if out.code != INVALID_JOB {
            problems.push(format!(
                "{name} exited {} (expected {INVALID_JOB})",
                out.code
            ));
        }
        if !out.stdout.is_empty() {
            problems.push(format!("{name} wrote to stdout:\n{}", out.stdout));
        }
    }
    if validate.stderr != run.stderr {
        problems.push(format!(
            "different messages:\n  validate: {}  run:      {}",
            validate.stderr, run.stderr
        ));
    }
    // `<file>:<line>: ` (`<file>:<line>:<column>: ` for a template), then the field and the
    // message (the field is empty only for what is wrong with the document as a whole).
    let prefix = format!("bolinho: error: invalid job: {job}:");
    let number =
        |rest: &str| rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let line = run.stderr.strip_prefix(&prefix).and_then(|rest| {
        let digits = number(rest);
        let column = match rest[digits..].strip_prefix(':') {
            Some(after) if number(after) > 0 => 1 + number(after),
            _ => 0,
        };
        let end = digits + column;
        (digits > 0 && rest[end..].starts_with(": ")).then_some(&rest[..digits])
    });
    if line.is_none() {
        problems.push(format!(
            "the message does not start with `{prefix}<line>: `:\n  {}",
            run.stderr
        ));
    }
    if Path::new(&results).exists() {
        problems.push("run left a results directory".into());
    }
    match problems.is_empty() {
        true => Ok(()),
        false => Err(problems.join("\n")),
    }
}

#[test]
fn validate_refuses_every_invalid_job_that_run_refuses_in_the_same_words() {
    let cases = refused_cases();
    assert!(
        cases.len() >= 25,
        "testdata/jobs holds the error cases refused with the job ({} found)",
        cases.len()
    );
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            refused_alike(case)
                .err()
                .map(|e| format!("--- {}:\n{e}", case.file_name().unwrap().to_string_lossy()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases are not refused alike:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A document past spec's size bound (16 MiB; too large to keep as a case) is refused by
/// `validate` in the words `run` uses, not as a file that could not be read.
#[test]
fn a_document_past_the_size_bound_is_refused_alike() {
    let dir = TempDir::new("refused-size");
    let text = format!(
        "Name: big\nEngine: {{Type: wasm, Params: {{EntryModule: /m}}}}\n# {}\n",
        "x".repeat(16 << 20)
    );
    let job = dir.write("job.yaml", &text).display().to_string();
    let validate = bolinho(dir.path(), &["validate", &job]);
    let run = bolinho(dir.path(), &["run", &job, "--results", "out"]);
    let expected = format!(
        "bolinho: error: invalid job: {job}: the document is {} bytes, more than 16777216 \
         (16 MiB), the most bolinho reads\n",
        text.len()
    );
    for out in [&validate, &run] {
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (INVALID_JOB, expected.as_str())
        );
    }
}
