//! One partition of a job of `Count: N`: the one `--partition` names, by number or from the
//! orchestrator's task index (`auto`), and its receipt replays that partition. All N run
//! together without it (`partitions_together`).

use std::fs;

use crate::support::{TempDir, bolinho, bolinho_env, testdata};

/// A job of Count: 3 whose guest prints its environment.
fn job(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::copy(testdata("wasm/env.wasm"), dir.join("env.wasm")).unwrap();
    dir.write(
        "job.yaml",
        "Name: parts\nType: batch\nCount: 3\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      \
         Params:\n        EntryModule: /app/env.wasm\n    InputSources:\n      - Target: /app/env.wasm\n        \
         Source: {Type: localDirectory, Params: {SourcePath: env.wasm}}\n",
    );
    dir
}

/// The guest's BACALHAU_PARTITION_* and BACALHAU_EXECUTION_ID lines.
fn told(stdout: &str) -> (Vec<&str>, &str) {
    let partition = stdout
        .lines()
        .filter(|l| l.starts_with("BACALHAU_PARTITION_"))
        .collect();
    let execution = stdout
        .lines()
        .find(|l| l.starts_with("BACALHAU_EXECUTION_ID="))
        .unwrap();
    (partition, execution)
}

#[test]
fn a_partition_named_is_the_one_the_guest_is_told_and_the_receipt_replays() {
    let dir = job("partition-number");
    let first = bolinho(
        dir.path(),
        &["run", "job.yaml", "--partition", "0", "--results", "p0"],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let (partition, first_execution) = told(&first.stdout);
    assert_eq!(
        partition,
        ["BACALHAU_PARTITION_COUNT=3", "BACALHAU_PARTITION_INDEX=0"]
    );

    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--partition", "2", "--results", "p2"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (partition, execution) = told(&out.stdout);
    assert_eq!(
        partition,
        ["BACALHAU_PARTITION_COUNT=3", "BACALHAU_PARTITION_INDEX=2"]
    );
    // Each partition is its own execution of one job, as in Bacalhau.
    assert_ne!(execution, first_execution);
    let job_id = |stdout: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with("BACALHAU_JOB_ID="))
            .unwrap()
            .to_string()
    };
    assert_eq!(job_id(&out.stdout), job_id(&first.stdout));
    let receipt: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("p2/receipt.json")).unwrap()).unwrap();
    let env = receipt["plan"]["env"].as_array().unwrap();
    assert!(
        env.iter()
            .any(|v| v["name"] == "BACALHAU_PARTITION_INDEX" && v["value"] == "2"),
        "{env:?}"
    );
    let verified = bolinho(dir.path(), &["verify", "p2/receipt.json"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
}

#[test]
fn auto_takes_the_index_a_kubernetes_indexed_job_gives_and_says_so() {
    let dir = job("partition-auto");
    let out = bolinho_env(
        dir.path(),
        &["run", "job.yaml", "--partition", "auto"],
        &[("JOB_COMPLETION_INDEX", "1")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        told(&out.stdout).0,
        ["BACALHAU_PARTITION_COUNT=3", "BACALHAU_PARTITION_INDEX=1"]
    );
    assert!(
        out.stderr.starts_with(
            "bolinho: partition 1 of 3, from a Kubernetes Indexed Job \
             (JOB_COMPLETION_INDEX=1)\n"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_partition_the_job_does_not_have_is_a_usage_error() {
    let dir = job("partition-refused");
    // The flags, the environment, and the error.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 4] = [
        (
            &["--partition", "3"],
            &[],
            "--partition 3: partition 3, but the job (Count: 3) has partitions 0 to 2",
        ),
        (
            &["--partition", "x"],
            &[],
            "--partition x: expected a partition number or `auto`",
        ),
        (
            &["--partition", "auto"],
            &[("CLOUD_RUN_TASK_INDEX", "0"), ("CLOUD_RUN_TASK_COUNT", "5")],
            "--partition auto: a Cloud Run job runs 5 tasks (CLOUD_RUN_TASK_COUNT) but the job \
             has Count: 3: partitions would be missed or run twice",
        ),
        (
            &["--partition", "auto"],
            &[("JOB_COMPLETION_INDEX", "7")],
            "--partition auto: partition 7, but the job (Count: 3) has partitions 0 to 2",
        ),
    ];
    for (flags, env, message) in cases {
        let mut args = vec!["run", "job.yaml"];
        args.extend(flags);
        let out = bolinho_env(dir.path(), &args, env);
        assert_eq!(out.code, 2, "{flags:?}: {}", out.stderr);
        assert_eq!(
            out.stderr,
            format!("bolinho: error: {message}\n"),
            "{flags:?}"
        );
        assert!(
            !dir.join("bolinho-results").exists(),
            "{flags:?} left results"
        );
    }

    let module = bolinho(dir.path(), &["run", "env.wasm", "--partition", "0"]);
    assert_eq!(module.code, 2);
    assert_eq!(
        module.stderr,
        "bolinho: error: --partition 0: a module run has no partitions; --partition is for jobs\n"
    );
}

#[test]
fn verify_refuses_a_receipt_whose_partition_is_past_its_count() {
    let dir = job("partition-tampered");
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--partition", "1", "--results", "out"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = fs::read_to_string(dir.join("out/receipt.json")).unwrap();
    let tampered = text.replace(
        "\"name\": \"BACALHAU_PARTITION_INDEX\",\n        \"value\": \"1\"",
        "\"name\": \"BACALHAU_PARTITION_INDEX\",\n        \"value\": \"3\"",
    );
    assert_ne!(tampered, text, "the receipt's layout changed: {text}");
    dir.write("tampered.json", tampered);
    let out = bolinho(dir.path(), &["verify", "tampered.json"]);
    assert_eq!(out.code, 120, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: the receipt's plan is not one a job file could give: tampered.json: \
         plan.env: BACALHAU_PARTITION_INDEX is 3, but BACALHAU_PARTITION_COUNT is 3: partitions \
         count from 0\n"
    );
}
