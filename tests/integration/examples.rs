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
