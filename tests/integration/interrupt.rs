//! A run that does not reach its end never leaves a results directory that looks complete.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::{TempDir, testdata};

/// Starts a job whose guest prints "started" then spins, waits for that line (so the guest's
/// stdout is live), stops bolinho with `signal`, and returns the scratch directory and the pid.
fn interrupted(signal: &str) -> (TempDir, u32) {
    let dir = TempDir::new("interrupt");
    dir.write(
        "job.yaml",
        format!(
            "Name: spin\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: {{EntryModule: /m.wat}}}}\n    \
             InputSources:\n      - Target: /m.wat\n        Source: {{Type: local, Params: {{SourcePath: {}}}}}\n    \
             ResultPaths:\n      - {{Name: outputs, Path: /outputs}}\n",
            testdata("wat/forever.wat").display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_bolinho"))
        .args(["run", "job.yaml", "--results", "out"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line, "started\n", "the guest's stdout streams live");
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(!child.wait().unwrap().success());
    (dir, child.id())
}

#[test]
fn an_interrupted_run_leaves_only_a_partial_directory() {
    for signal in ["-INT", "-KILL"] {
        let (dir, pid) = interrupted(signal);
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names.len(), 3, "{signal}: {names:?}");
        assert_eq!(names[0], format!(".out.partial-{pid}"), "{signal}");
        assert_eq!(&names[1..], ["job.yaml", "out"], "{signal}");
        assert_eq!(
            std::fs::read_dir(dir.join("out")).unwrap().count(),
            0,
            "{signal}: nothing complete-looking in out/"
        );
    }
}
