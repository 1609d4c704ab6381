//! Where results go: `--results`, the default directory, and what a failed run leaves.
//! Job runs pass `--quiet-portability`: the portability note is `portable.rs`'s subject.

use crate::support::{TempDir, bolinho, testdata, tree};

fn hello_job() -> String {
    testdata("jobs/single-task-json/job.json")
        .display()
        .to_string()
}

#[test]
fn default_results_directories_never_overwrite_each_other() {
    let dir = TempDir::new("default-results");
    for n in 1..=2 {
        let out = bolinho(dir.path(), &["run", &hello_job(), "--quiet-portability"]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.stdout, "hello, world\n");
        assert_eq!(
            out.stderr,
            format!("bolinho: results in bolinho-results/hello-{n}\n")
        );
    }
    assert_eq!(
        tree(&dir.join("bolinho-results")),
        "hello-1/\nhello-1/exitCode: 0\nhello-1/stderr: \nhello-1/stdout: hello, world\n\
         \nhello-2/\nhello-2/exitCode: 0\nhello-2/stderr: \nhello-2/stdout: hello, world\n"
    );
}

#[test]
fn a_non_empty_results_directory_is_refused() {
    let dir = TempDir::new("busy-results");
    dir.write("out/keep.txt", "mine");
    let out = bolinho(
        dir.path(),
        &[
            "run",
            &hello_job(),
            "--quiet-portability",
            "--results",
            "out",
        ],
    );
    assert_eq!(out.code, 125);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to use out: it exists and is not an empty directory\n"
    );
    assert_eq!(tree(&dir.join("out")), "keep.txt: mine");
}

#[test]
fn module_only_flags_are_refused_for_jobs() {
    let dir = TempDir::new("job-flags");
    let out = bolinho(dir.path(), &["run", &hello_job(), "--env", "A=1"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "bolinho: error: --env applies to module runs; a job file sets its own \
         (Parameters, InputSources, Env, Entrypoint, ImportModules)\n"
    );
}

#[test]
fn a_module_run_saves_results_only_when_asked() {
    let dir = TempDir::new("module-results");
    let module = testdata("wasm/hello.wasm").display().to_string();
    let out = bolinho(dir.path(), &["run", &module]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let out = bolinho(dir.path(), &["run", &module, "--results", "r"]);
    assert_eq!(out.stderr, "bolinho: results in r\n");
    assert_eq!(
        tree(&dir.join("r")),
        "exitCode: 0\nstderr: \nstdout: hello, world\n"
    );
}

#[test]
fn a_scratch_directory_the_host_cannot_make_is_the_hosts_failure_not_the_jobs() {
    // An inline source materialises into a scratch directory below TMPDIR; one that does not
    // exist is this host's problem (119), not an invalid job (121), and nothing is left behind.
    let dir = TempDir::new("no-scratch");
    let job = testdata("jobs/inline-sources/job.yaml")
        .display()
        .to_string();
    let missing = dir.join("no-such-tmp").display().to_string();
    let out = crate::support::bolinho_env(
        dir.path(),
        &["run", &job, "--quiet-portability", "--results", "res"],
        &[("TMPDIR", &missing)],
    );
    assert_eq!(out.code, 119, "{}", out.stderr);
    assert!(
        out.stderr.starts_with(&format!(
            "bolinho: error: failed to create a scratch directory in {missing}: "
        )),
        "{}",
        out.stderr
    );
    assert!(!dir.join("res").exists());
}

#[test]
fn an_allowed_host_variable_the_host_lacks_is_the_hosts_failure() {
    let dir = TempDir::new("no-host-var");
    host_env_job(&dir, "BOLINHO_TEST_UNSET_VAR_9");
    let run = |allow: &str| {
        let args = [
            "run",
            "job.yaml",
            "--quiet-portability",
            "--allow-env",
            allow,
            "--results",
            "res",
        ];
        crate::support::bolinho(dir.path(), &args)
    };
    // Not allowed: the job asks for what the command line did not grant.
    assert_eq!(run("OTHER").code, 121);
    // Allowed, but this host has no such variable: the host's failure.
    let out = run("BOLINHO_TEST_UNSET_VAR_9");
    assert_eq!(out.code, 119, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to read the host's BOLINHO_TEST_UNSET_VAR_9 for environment \
         variable FROM_HOST: environment variable not found\n"
    );
    assert!(!dir.join("res").exists());
}

#[test]
fn verify_reads_an_allowed_host_variable_as_run_does() {
    let dir = TempDir::new("verify-allow-env");
    host_env_job(&dir, "BOLINHO_TEST_HOST_VAR");
    let allow = ["--allow-env", "BOLINHO_TEST_HOST_VAR"];
    let run = [
        &["run", "job.yaml", "--quiet-portability", "--results", "res"][..],
        &allow,
    ]
    .concat();
    let out = crate::support::bolinho(dir.path(), &run);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("FROM_HOST=from the host\n"),
        "{}",
        out.stdout
    );
    let verify = [&["verify", "res/receipt.json"][..], &allow].concat();
    let out = crate::support::bolinho(dir.path(), &verify);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // Not allowed: the rerun may not read it, and nothing runs.
    let out = crate::support::bolinho(dir.path(), &["verify", "res/receipt.json"]);
    assert_eq!(out.code, 121, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, "");
}

#[test]
fn a_module_found_in_a_directory_target_is_argv0_by_its_file_name() {
    let dir = TempDir::new("argv0-directory");
    std::fs::create_dir(dir.join("app")).unwrap();
    std::fs::copy(testdata("wasm/env.wasm"), dir.join("app/env.wasm")).unwrap();
    dir.write(
        "job.yaml",
        "Name: argv0\nTasks:\n  - Name: main\n    Engine: {Type: wasm, Params: {EntryModule: \
         /app}}\n    InputSources:\n      - Target: /app\n        Source: {Type: \
         localDirectory, Params: {SourcePath: ./app}}\n",
    );
    let out = crate::support::bolinho(dir.path(), &["run", "job.yaml", "--quiet-portability"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with("argc=1\nargv[0]=env.wasm\n"),
        "{}",
        out.stdout
    );
}

/// Writes `job.yaml` in `dir`: `env.wasm`, its `FROM_HOST` set from the host variable `var`.
fn host_env_job(dir: &TempDir, var: &str) {
    let wasm = testdata("wasm").display().to_string();
    dir.write(
        "job.yaml",
        format!(
            "Name: host-env\nTasks:\n  - Name: main\n    Env:\n      FROM_HOST: \
             env:{var}\n    Engine:\n      Type: wasm\n      Params:\n        \
             EntryModule: /app/env.wasm\n    InputSources:\n      - Target: /app\n        \
             Source: {{Type: localDirectory, Params: {{SourcePath: {wasm}}}}}\n"
        ),
    );
}
