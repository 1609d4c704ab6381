//! The command line itself: version, help, usage errors, and the exit-code table's usage row.

use crate::support::{TempDir, bolinho, testdata};

#[test]
fn version_names_bolinho_and_wasmi() {
    let dir = TempDir::new("version");
    let out = bolinho(dir.path(), &["--version"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.stdout,
        format!("bolinho {} (wasmi 2)\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn version_verbose_names_the_build() {
    let dir = TempDir::new("version-verbose");
    let out = bolinho(dir.path(), &["--version", "--verbose"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", out.stdout);
    assert_eq!(
        lines[0],
        format!("bolinho {} (wasmi 2)", env!("CARGO_PKG_VERSION"))
    );
    // The commit the tests are built from, as git names it.
    let head = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8(out.stdout).unwrap().trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    assert_eq!(lines[1], format!("commit: {head}"));
    let target = lines[2].strip_prefix("target: ").unwrap();
    assert!(
        target.starts_with(std::env::consts::ARCH) && target.contains(std::env::consts::OS),
        "{target}"
    );
    assert!(lines[3].starts_with("rustc: rustc 1."), "{}", lines[3]);
    assert_eq!(lines[4], "features: wat");

    let alone = bolinho(dir.path(), &["--verbose"]);
    assert_eq!(alone.code, 2);
    assert!(
        alone.stderr.contains("--verbose goes with --version"),
        "{}",
        alone.stderr
    );
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let dir = TempDir::new("help");
    let out = bolinho(dir.path(), &["--help"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stdout.contains("bolinho run job.yaml"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("121 invalid job"), "{}", out.stdout);
    // The help's note copies the exit-code table by hand: every code must be in it.
    let note = out.stdout.split_once("Exit codes:").unwrap().1;
    for (_, code, _) in bolinho::exit::TABLE {
        assert!(
            note.contains(&format!(" {code} ")),
            "--help lacks exit code {code}"
        );
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new("usage");
    let out = bolinho(dir.path(), &["run", "--frobnicate", "x"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "bolinho: error: Unrecognized argument: --frobnicate\nRun bolinho --help for more information.\n"
    );
    let out = bolinho(dir.path(), &[]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: no command given; try `bolinho --help`\n"
        )
    );
    let module = testdata("wat/traps.wat").display().to_string();
    let out = bolinho(dir.path(), &["run", &module, "--dir", "::/x"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: --dir ::/x: expected HOST::GUEST or HOST\n"
        )
    );
}

#[test]
fn a_missing_file_is_named() {
    let dir = TempDir::new("missing");
    let out = bolinho(dir.path(), &["run", "nope.yaml"]);
    assert_eq!(out.code, 121);
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to read nope.yaml: No such file or directory (os error 2)\n"
    );
}
