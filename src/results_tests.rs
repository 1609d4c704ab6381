use std::os::unix::fs::symlink;

use super::*;
use crate::private::TempDir;

fn scratch() -> TempDir {
    TempDir::new("bolinho-results-test-").unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_finished_directory_has_its_files_and_exit_code_and_no_staging() {
    let dir = scratch();
    let target = dir.path().join("out");
    let mut results = ResultsDir::claim(Some(&target), "job").unwrap();
    results.write_file("stdout", b"hi\n").unwrap();
    results.create_output_dir("outputs").unwrap();
    assert_eq!(names(&target), [STAGING], "nothing in place before finish");
    results.start();
    let path = results.finish(3).unwrap();
    assert_eq!(path, target);
    assert_eq!(fs::read_to_string(path.join("exitCode")).unwrap(), "3");
    assert_eq!(fs::read_to_string(path.join("stdout")).unwrap(), "hi\n");
    assert_eq!(names(&path), ["exitCode", "outputs", "stdout"]);
}

#[test]
fn a_run_that_fails_before_its_guest_starts_leaves_nothing() {
    let dir = scratch();
    let target = dir.path().join("out");
    let results = ResultsDir::claim(Some(&target), "job").unwrap();
    results.write_file("stdout", b"").unwrap();
    drop(results);
    assert!(names(dir.path()).is_empty());
}

#[test]
fn once_the_guest_started_nothing_is_removed() {
    let dir = scratch();
    let target = dir.path().join("out");
    let mut results = ResultsDir::claim(Some(&target), "job").unwrap();
    results.write_file("stdout", b"partial").unwrap();
    results.start();
    drop(results);
    assert_eq!(
        fs::read_to_string(target.join(STAGING).join("stdout")).unwrap(),
        "partial"
    );
}

#[test]
fn an_existing_empty_directory_is_used_and_kept() {
    let dir = scratch();
    let target = dir.path().join("out");
    fs::create_dir(&target).unwrap();
    drop(ResultsDir::claim(Some(&target), "job").unwrap());
    assert!(target.is_dir(), "the user's directory is not removed");
    assert!(names(&target).is_empty());
    fs::write(target.join("x"), "").unwrap();
    let err = ResultsDir::claim(Some(&target), "job").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "failed to use {}: it exists and is not an empty directory",
            target.display()
        )
    );
    assert_eq!(names(&target), ["x"], "the refused claim left nothing");
}

#[test]
fn two_runs_given_one_empty_directory_cannot_both_claim_it() {
    let dir = scratch();
    let target = dir.path().join("out");
    fs::create_dir(&target).unwrap();
    let mut first = ResultsDir::claim(Some(&target), "job").unwrap();
    let err = ResultsDir::claim(Some(&target), "job").unwrap_err();
    assert!(
        err.to_string()
            .contains("another bolinho run is writing it"),
        "{err}"
    );
    // The loser removed nothing of the winner's.
    first.write_file("stdout", b"mine").unwrap();
    first.start();
    let path = first.finish(0).unwrap();
    assert_eq!(fs::read_to_string(path.join("stdout")).unwrap(), "mine");
}

#[test]
fn a_directory_named_through_a_link_or_with_a_dot_is_finished_where_it_really_is() {
    let dir = scratch();
    let real = dir.path().join("real");
    fs::create_dir(&real).unwrap();
    symlink(&real, dir.path().join("link")).unwrap();
    for given in [dir.path().join("link"), real.join(".")] {
        let mut results = ResultsDir::claim(Some(&given), "job").unwrap();
        results.start();
        let path = results.finish(0).unwrap();
        assert_eq!(path, given, "messages name it as the user did");
        assert_eq!(names(&real), ["exitCode"]);
        fs::remove_file(real.join("exitCode")).unwrap();
    }
}

#[test]
fn bolinho_files_are_never_written_through_a_planted_link() {
    let dir = scratch();
    let victim = dir.path().join("victim");
    fs::write(&victim, "keep").unwrap();
    let results = ResultsDir::claim(Some(&dir.path().join("out")), "job").unwrap();
    symlink(&victim, results.staging_path().join("receipt.json")).unwrap();
    let err = results.write_file("receipt.json", b"{}").unwrap_err();
    assert_eq!(err.action, "create");
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
    assert!(results.create_output_dir("../escape").is_err());
    assert!(results.create_file("a/b").is_err());
}

#[test]
fn a_directory_inside_what_the_guest_may_write_is_refused() {
    let dir = scratch();
    let mount = dir.path().join("mount");
    fs::create_dir(&mount).unwrap();
    let results = ResultsDir::claim(Some(&mount.join("out")), "job").unwrap();
    let err = results
        .check_outside(&[("Tasks[0].InputSources[0]", &mount)])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "failed to use {}: it lies inside Tasks[0].InputSources[0] ({}), which the guest \
             may write to; give --results a directory outside it",
            results.path.display(),
            fs::canonicalize(&mount).unwrap().display()
        )
    );
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    results.check_outside(&[("--dir", &elsewhere)]).unwrap();
}

#[test]
fn default_names_never_reuse_a_directory_and_fit_a_file_name() {
    let dir = scratch();
    let parent = dir.path().join("results");
    let (first, made) = claim_next(&parent, "my job/../x").unwrap();
    assert_eq!(made, Some(parent.clone()));
    let (second, made) = claim_next(&parent, "my job/../x").unwrap();
    assert_eq!(made, None);
    assert_eq!(first, parent.join("my_job_.._x-1"));
    assert_eq!(second, parent.join("my_job_.._x-2"));
    assert_eq!(safe_name("..."), "job");
    let (long, _) = claim_next(&parent, &"n".repeat(10_000)).unwrap();
    assert_eq!(long.file_name().unwrap().len(), MAX_STEM + 2);
}

#[test]
fn every_name_bolinho_writes_is_one_no_output_may_take() {
    let written = [
        "stdout",
        "stderr",
        "stdout.truncated",
        "stderr.truncated",
        EXIT_CODE,
        crate::receipt::FILE,
        crate::receipt::TAPE,
    ];
    for name in written {
        assert!(
            crate::spec::RESERVED_RESULT_NAMES
                .iter()
                .any(|reserved| reserved.eq_ignore_ascii_case(name)),
            "{name}"
        );
    }
    assert!(STAGING.starts_with('.'), "outputs may not start with a dot");
}
