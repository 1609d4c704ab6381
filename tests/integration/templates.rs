//! Job files as Go templates (README "Templates"): `-V`, `-E`, `--no-template`, `validate`
//! printing the rendered plan, and receipts recording the variables read.

use std::fs;

use crate::support::{TempDir, bolinho, bolinho_env, testdata};

/// A job that prints its arguments and environment, with a template in three places.
const JOB: &str = "Name: tpl\n\
Count: {{.count}}\n\
Tasks:\n  - Name: main\n    Env:\n      GREETING: '{{index . \"TPL_GREETING\"}}'\n    \
Engine:\n      Type: wasm\n      Params:\n        EntryModule: /app/env.wasm\n        \
Parameters: ['--dir={{or (index . \"dir\") \"/app\"}}']\n    \
InputSources:\n      - Target: /app/env.wasm\n        Source: {Type: localDirectory, Params: {SourcePath: env.wasm}}\n";

fn job_dir(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::copy(testdata("wasm/env.wasm"), dir.join("env.wasm")).unwrap();
    dir.write("job.yaml", JOB);
    dir
}

#[test]
fn template_vars_fill_the_job_and_the_receipt_records_those_read() {
    let dir = job_dir("tpl-vars");
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "job.yaml",
            "--results",
            "r",
            "-V",
            "count=1",
            "-V",
            "dir=/data,unused=x",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("argv[1]=--dir=/data\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("GREETING=\n"), "{}", out.stdout);
    let receipt: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("r/receipt.json")).unwrap()).unwrap();
    // Read: count and dir; `TPL_GREETING` was looked up but not given; `unused` never read.
    assert_eq!(
        receipt["templateVars"],
        serde_json::json!({"count": "1", "dir": "/data"})
    );
    assert_eq!(receipt["plan"]["args"][0], "--dir=/data");
    let verify = bolinho(dir.path(), &["verify", "r/receipt.json"]);
    assert_eq!(verify.code, 0, "{}{}", verify.stdout, verify.stderr);
    assert!(
        verify
            .stdout
            .starts_with("template variables: count=1 dir=/data\n"),
        "{}",
        verify.stdout
    );
}

#[test]
fn template_envs_read_the_host_variables_the_pattern_matches() {
    let dir = job_dir("tpl-envs");
    let env = [("TPL_GREETING", "hi from the host"), ("count", "1")];
    let out = bolinho_env(
        dir.path(),
        &["run", "job.yaml", "--results", "r", "-E", "^(TPL_|count$)"],
        &env,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("GREETING=hi from the host\n"),
        "{}",
        out.stdout
    );
    // -V wins over a host variable of the same name.
    let out = bolinho_env(
        dir.path(),
        &[
            "validate",
            "job.yaml",
            "-E",
            "TPL_",
            "-V",
            "TPL_GREETING=mine",
            "-V",
            "count=1",
        ],
        &env,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("value: mine\n"), "{}", out.stdout);
}

#[test]
fn validate_prints_the_rendered_plan() {
    let dir = job_dir("tpl-validate");
    let out = bolinho(dir.path(), &["validate", "job.yaml", "-V", "count=1"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("- --dir=/app\n"), "{}", out.stdout);
    assert!(!out.stdout.contains("{{"), "{}", out.stdout);
}

#[test]
fn a_missing_variable_names_the_line_column_and_key() {
    let dir = job_dir("tpl-missing");
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "r"]);
    assert_eq!(out.code, 121);
    assert_eq!(
        out.stderr,
        "bolinho: error: invalid job: job.yaml:2:10: template: map has no entry for key \"count\"\n"
    );
    assert!(!dir.join("r").exists());
}

#[test]
fn no_template_reads_the_file_as_it_is() {
    let dir = job_dir("tpl-off");
    let out = bolinho(dir.path(), &["validate", "--no-template", "job.yaml"]);
    assert_eq!(out.code, 121);
    assert_eq!(
        out.stderr,
        "bolinho: error: invalid job: job.yaml:2: invalid yaml: a key must be a string, not a list or a map\n"
    );
    let out = bolinho(
        dir.path(),
        &["validate", "--no-template", "-V", "count=1", "job.yaml"],
    );
    assert_eq!(out.code, 2);
}

#[test]
fn errors_after_rendering_name_the_files_lines() {
    let dir = TempDir::new("tpl-lines");
    dir.write(
        "job.yaml",
        "Name: x\nTasks:\n{{- if .extra}}\n  - Name: extra\n{{- end}}\n  - Name: main\n    Engine: {Type: wasm, Params: {EntryModule: 5}}\n",
    );
    let out = bolinho(dir.path(), &["validate", "job.yaml", "-V", "extra="]);
    assert_eq!(out.code, 121);
    assert!(
        out.stderr
            .contains("job.yaml:7: Tasks[0].Engine.Params.EntryModule"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_receipt_without_templates_has_no_template_vars() {
    let dir = job_dir("tpl-none");
    dir.write(
        "job.yaml",
        JOB.replace("{{.count}}", "1")
            .replace("'{{index . \"TPL_GREETING\"}}'", "x")
            .replace("{{or (index . \"dir\") \"/app\"}}", "/app"),
    );
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "r"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let receipt = fs::read_to_string(dir.join("r/receipt.json")).unwrap();
    assert!(!receipt.contains("templateVars"), "{receipt}");
}

#[test]
fn template_flags_do_not_apply_to_modules() {
    let dir = job_dir("tpl-module");
    let out = bolinho(dir.path(), &["run", "env.wasm", "-V", "a=1"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--template-vars applies to job files"),
        "{}",
        out.stderr
    );
}
