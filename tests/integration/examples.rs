//! The demo in examples/ must do what its README says, in both job forms.

use crate::support::{TempDir, bolinho, root, tree};

#[test]
fn wordfreq_runs_in_both_forms() {
    let example = root().join("examples/wordfreq");
    let stdout = std::fs::read_to_string(example.join("expected-stdout.txt")).unwrap();
    let report = "report on /inputs/poem.txt\nlines: 14\nwords: 69\ndistinct words: 48\ntop 5 words:\n\
                  1. the (9)\n2. and (5)\n3. in (4)\n4. that (3)\n5. heard (2)\n";
    for job in ["job.yaml", "job-legacy.yaml"] {
        let dir = TempDir::new("wordfreq");
        let out = bolinho(
            dir.path(),
            &[
                "run",
                &example.join(job).display().to_string(),
                "--results",
                "r",
            ],
        );
        // No portability note: the demo runs the same on Bacalhau.
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (0, stdout.as_str(), "bolinho: results in r\n")
        );
        assert_eq!(
            tree(&dir.join("r")),
            format!(
                "exitCode: 0\noutputs/\noutputs/report.txt: {report}\nstderr: \nstdout: {stdout}"
            )
        );
    }
}

#[test]
fn wordfreq_links_by_a_rule_bacalhau_has_too() {
    // Bacalhau (v1.7+) registers an import module under the guest path its job names, and looks
    // other names up as paths: the demo's import module name is that path, in both forms, so
    // the demo runs there unmodified (no Alias, no bare file name).
    let example = root().join("examples/wordfreq");
    let module = example.join("app/wordfreq.wasm").display().to_string();
    let out = bolinho(&example, &["inspect", &module]);
    let foreign: Vec<&str> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("  ")?.split_once("::"))
        .map(|(module, _)| module)
        .filter(|m| *m != "wasi_snapshot_preview1")
        .collect();
    assert_eq!(foreign, ["/app/textlib.wasm", "/app/textlib.wasm"]);
    let current = std::fs::read_to_string(example.join("job.yaml")).unwrap();
    assert!(current.contains("ImportModules: [/app/textlib.wasm]"));
    let legacy = std::fs::read_to_string(example.join("job-legacy.yaml")).unwrap();
    assert!(legacy.contains("- Target: /app/textlib.wasm"));
}

#[test]
fn validate_portable_passes_the_demo_and_names_what_bacalhau_does_otherwise() {
    let example = root().join("examples/wordfreq");
    for job in ["job.yaml", "job-legacy.yaml"] {
        let file = example.join(job).display().to_string();
        let out = bolinho(&example, &["validate", "--portable", &file]);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (
                0,
                "nothing in the job file or its modules runs otherwise on Bacalhau\n",
                ""
            )
        );
    }
    // The demo as it was: no Network, no Entrypoint; and what else a job may hold.
    let dir = TempDir::new("portable");
    dir.write("m.wasm", r#"(module (func (export "_start")))"#);
    dir.write(
        "job.yaml",
        "Name: x\nCount: 3\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      \
         Params: {EntryModule: /app/m.wasm}\n    Meta: {bolinho.seed: \"7\"}\n    Env:\n      \
         HOME_DIR: env:HOME\n    InputSources:\n      - Target: /app\n        Source: {Type: \
         localDirectory, Params: {SourcePath: .}}\n    ResultPaths:\n      - Name: outputs\n        \
         Path: /results\n",
    );
    let out = bolinho(dir.path(), &["validate", "--portable", "job.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "job.yaml: Tasks[0].Network: unset: Bacalhau gives a WASM job the host's network, bolinho \
         none (write Type: None or Host to have the same on both)\n\
         job.yaml:8: Tasks[0].Meta.bolinho.seed: only bolinho reads it; Bacalhau ignores it\n\
         job.yaml:7: Tasks[0].Engine.Params.Entrypoint: unset: bolinho calls _start; Bacalhau has \
         no default and fails\n\
         job.yaml:10: Tasks[0].Env.HOME_DIR: a host variable: Bacalhau passes it if the node's \
         allow-list matches; bolinho with --allow-env NAME\n\
         job.yaml:16: Tasks[0].ResultPaths[0].Path: Bacalhau's WASM executor mounts this result at \
         /outputs, bolinho at /results (make Path /outputs to have the same on both)\n"
    );
}

#[test]
fn the_demo_has_no_portability_notes_for_validate_or_run() {
    // As the README runs it, from the repository root.
    let out = bolinho(
        &root(),
        &["validate", "--portable", "examples/wordfreq/job.yaml"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "nothing in the job file or its modules runs otherwise on Bacalhau\n",
            ""
        )
    );
    let dir = TempDir::new("wordfreq-note");
    let job = root().join("examples/wordfreq/job.yaml");
    let out = bolinho(
        dir.path(),
        &["run", &job.display().to_string(), "--results", "r"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        !out.stderr.contains("bolinho: note:"),
        "no portability line: {}",
        out.stderr
    );
}

#[test]
fn the_partitions_example_counts_every_file_once_across_its_partitions() {
    let job = root()
        .join("examples/partitions/job.yaml")
        .display()
        .to_string();
    let dir = TempDir::new("partitions-example");
    // All three in one bolinho, as the example's README first shows.
    let out = bolinho(
        dir.path(),
        &["run", &job, "--results", "out", "--quiet-portability"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "partition 0 of 3: 3 files, 36 lines\npartition 1 of 3: 2 files, 21 lines\n\
         partition 2 of 3: 2 files, 27 lines\n"
    );
    let mut counted = String::new();
    for i in ["0", "1", "2"] {
        let counts = dir
            .join("out/partitions")
            .join(i)
            .join("outputs/counts.txt");
        counted.push_str(&std::fs::read_to_string(counts).unwrap());
    }
    let mut lines: Vec<&str> = counted.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "file-1.txt 3",
            "file-2.txt 6",
            "file-3.txt 9",
            "file-4.txt 12",
            "file-5.txt 15",
            "file-6.txt 18",
            "file-7.txt 21"
        ]
    );
    // One partition at a time, as on a machine of its own, counts the same.
    let one = bolinho(
        dir.path(),
        &[
            "run",
            &job,
            "--partition",
            "1",
            "--results",
            "one",
            "--quiet-portability",
        ],
    );
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert_eq!(one.stdout, "partition 1 of 3: 2 files, 21 lines\n");
    assert_eq!(
        std::fs::read(dir.join("one/outputs/counts.txt")).unwrap(),
        std::fs::read(dir.join("out/partitions/1/outputs/counts.txt")).unwrap()
    );
    let verified = bolinho(dir.path(), &["verify", "out"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
    assert!(
        verified.stdout.ends_with("all 3 partitions verified\n"),
        "{}",
        verified.stdout
    );
}

/// A Bacalhau Docker job's arguments with its container's paths (`/inputs/...`,
/// `/outputs/...`) as they are on this host, below `root`.
fn in_container(root: &std::path::Path, args: &[String]) -> Vec<String> {
    args.iter()
        .map(|arg| match arg.strip_prefix('/') {
            Some(rest) if arg.starts_with("/inputs/") || arg.starts_with("/outputs/") => {
                root.join(rest).display().to_string()
            }
            _ => arg.clone(),
        })
        .collect()
}

#[test]
fn the_bacalhau_docker_example_runs_bolinho_and_replays_its_receipt() {
    let example = root().join("examples/bacalhau-docker");
    let read = |name: &str| -> serde_json::Value {
        serde_saphyr::from_str(&std::fs::read_to_string(example.join(name)).unwrap()).unwrap()
    };
    let (run, verify) = (read("run.yaml"), read("verify.yaml"));
    // Both run the image as its Containerfile builds it.
    let containerfile = std::fs::read_to_string(root().join("Containerfile")).unwrap();
    // As the README describes it: nothing but the binary, user 65532, working in /work.
    for line in [
        "FROM scratch",
        "USER 65532:65532",
        "WORKDIR /work",
        "ENTRYPOINT [\"/usr/local/bin/bolinho\"]",
    ] {
        assert!(containerfile.lines().any(|l| l == line), "{line}");
    }
    let params = |job: &serde_json::Value| -> Vec<String> {
        let engine = &job["Tasks"][0]["Engine"];
        assert_eq!(engine["Type"], "docker");
        assert!(
            engine["Params"]["Image"]
                .as_str()
                .unwrap()
                .contains("/bolinho:")
        );
        assert_eq!(engine["Params"]["Entrypoint"][0], "/usr/local/bin/bolinho");
        engine["Params"]["Parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect()
    };
    let (run_args, verify_args) = (params(&run), params(&verify));
    // The job folder is the same source, at the same place, in both.
    assert_eq!(
        run["Tasks"][0]["InputSources"][0],
        verify["Tasks"][0]["InputSources"][0]
    );
    assert_eq!(run["Tasks"][0]["ResultPaths"][0]["Path"], "/outputs");

    // The run job's container, on this host: the wordfreq folder at /inputs/job.
    let dir = TempDir::new("bacalhau-docker");
    let job = dir.join("inputs/job");
    for name in [
        "job.yaml",
        "app/wordfreq.wasm",
        "app/textlib.wasm",
        "inputs/poem.txt",
    ] {
        let to = job.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(root().join("examples/wordfreq").join(name), to).unwrap();
    }
    std::fs::create_dir_all(dir.join("outputs")).unwrap();
    let args = in_container(dir.path(), &run_args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = bolinho(dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let expected =
        std::fs::read_to_string(root().join("examples/wordfreq/expected-stdout.txt")).unwrap();
    assert_eq!(out.stdout, expected);

    // The verify job's container: the run's published results at /inputs/run (Bacalhau
    // publishes a result path under its name: outputs/), the job folder where it was.
    std::fs::rename(dir.join("outputs"), dir.join("published")).unwrap();
    std::fs::create_dir_all(dir.join("inputs/run")).unwrap();
    std::fs::rename(dir.join("published"), dir.join("inputs/run/outputs")).unwrap();
    let args = in_container(dir.path(), &verify_args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = bolinho(dir.path(), &args);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // And an input changed since the run is caught.
    std::fs::write(dir.join("inputs/job/inputs/poem.txt"), "another poem\n").unwrap();
    let out = bolinho(dir.path(), &args);
    assert_eq!(out.code, 120, "{}{}", out.stdout, out.stderr);
}
