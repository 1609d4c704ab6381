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
