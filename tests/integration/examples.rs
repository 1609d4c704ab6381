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
