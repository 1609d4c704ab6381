//! A run that has finished never loses its results: not through the path it was given, a
//! second run given the same directory, a tree too deep or too large to hash, a full disk, or
//! a signal while it finishes. And a run that never started leaves nothing. (Runs pass
//! `--quiet-portability`: the portability note is `portable.rs`'s subject.)

use std::fs;
use std::os::unix::fs::symlink;
use std::os::unix::process::CommandExt;
use std::process::Stdio;
use std::time::Duration;

use super::{hostile_job, receipt};
use crate::http_server::{Reply, Server};
use crate::support::{self, TempDir, bolinho, first_line, names, output, send, testdata};

#[test]
fn results_named_through_a_link_or_a_dot_are_finished_where_they_really_are() {
    let dir = TempDir::new("hostile-results-paths");
    hostile_job(&dir, &["write", "3"], "");
    fs::create_dir_all(dir.join("real")).unwrap();
    symlink("real", dir.join("link")).unwrap();
    fs::create_dir_all(dir.join("empty")).unwrap();
    for (cwd, job, results) in [
        (dir.path().to_path_buf(), "job.yaml", "link"),
        (dir.path().to_path_buf(), "job.yaml", "empty/."),
        (dir.join("real"), "../job.yaml", "."),
    ] {
        let out = bolinho(
            &cwd,
            &["run", job, "--quiet-portability", "--results", results],
        );
        assert_eq!(out.code, 0, "{results}: {}", out.stderr);
        assert_eq!(out.stderr, format!("bolinho: results in {results}\n"));
        let real = fs::canonicalize(cwd.join(results)).unwrap();
        assert_eq!(
            names(&real),
            ["exitCode", "outputs", "receipt.json", "stderr", "stdout"]
        );
        assert_eq!(
            fs::read_to_string(real.join("stdout")).unwrap(),
            "xxx\ndone\n"
        );
        for name in names(&real) {
            let path = real.join(name);
            if path.is_dir() {
                fs::remove_dir_all(path).unwrap();
            } else {
                fs::remove_file(path).unwrap();
            }
        }
    }
}

#[test]
fn a_second_run_given_the_same_directory_stops_before_running() {
    let dir = TempDir::new("hostile-shared-results");
    dir.write(
        "job.yaml",
        format!(
            "Name: spin\nTasks:\n  - Name: main\n    \
             Engine: {{Type: wasm, Params: {{EntryModule: /m.wat}}}}\n    InputSources:\n      \
             - Target: /m.wat\n        Source: {{Type: local, Params: {{SourcePath: {}}}}}\n",
            testdata("wat/forever.wat").display()
        ),
    );
    fs::create_dir(dir.join("shared")).unwrap();
    let mut first = support::command(
        dir.path(),
        &[
            "run",
            "job.yaml",
            "--quiet-portability",
            "--results",
            "shared",
            "--timeout",
            "2",
        ],
        &[],
    )
    .spawn()
    .unwrap();
    assert_eq!(
        first_line(&mut first),
        "started\n",
        "the first run's guest is running"
    );
    let second = bolinho(
        dir.path(),
        &[
            "run",
            "job.yaml",
            "--quiet-portability",
            "--results",
            "shared",
        ],
    );
    assert_eq!(second.code, 125);
    assert_eq!(second.stdout, "", "the second guest never ran");
    assert_eq!(
        second.stderr,
        "bolinho: error: failed to use shared: another bolinho run is writing it, or one did not \
         finish (shared/.bolinho-partial exists)\n"
    );
    let first = output(first.wait_with_output().unwrap());
    assert_eq!(first.code, 124, "{}", first.stderr);
    assert_eq!(
        fs::read_to_string(dir.join("shared/stdout")).unwrap(),
        "started\n"
    );
    assert_eq!(
        fs::read_to_string(dir.join("shared/exitCode")).unwrap(),
        "124"
    );
}

#[test]
fn an_output_tree_deeper_than_path_max_is_kept_and_hashed() {
    let dir = TempDir::new("hostile-deep-output");
    // 30 levels of 200-byte names: 6,000 bytes, past PATH_MAX (4,096).
    hostile_job(&dir, &["deep", "/outputs", "30", "200"], "");
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability", "--results", "out"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let results = &receipt(&dir.join("out"))["results"];
    let leaf = format!("outputs/{}leaf", format!("{}/", "d".repeat(200)).repeat(30));
    assert_eq!(results[leaf.as_str()], support::sha256(b"leaf\n"));
}

#[test]
fn an_output_tree_deeper_than_a_receipt_records_is_kept_without_one() {
    let dir = TempDir::new("hostile-deeper-output");
    hostile_job(&dir, &["deep", "/outputs", "300", "1"], "");
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability", "--results", "out"],
    );
    assert_eq!(out.code, 125);
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to finish out: failed to hash outputs: outputs holds directories \
         nested more than 256 deep, the most a receipt records; the rest of the results are in \
         place, without receipt.json\n"
    );
    assert_eq!(
        names(&dir.join("out")),
        ["exitCode", "outputs", "stderr", "stdout"]
    );
    assert_eq!(fs::read_to_string(dir.join("out/exitCode")).unwrap(), "0");
    assert!(dir.join("out/outputs/d/d/d").is_dir());
}

#[test]
fn a_full_disk_keeps_what_was_written_and_says_what_was_not() {
    let dir = TempDir::new("hostile-full-disk");
    hostile_job(&dir, &["write", "10000"], "");
    let out = on_a_full_disk(support::command(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability", "--results", "out"],
        &[],
    ));
    assert_eq!(out.code, 125, "{}", out.stderr);
    assert!(out.stdout.starts_with("xxxx"), "the terminal still saw it");
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to finish out: failed to write stdout whole: File too large (os \
         error 27); the rest of the results are in place, without receipt.json\n"
    );
    assert_eq!(
        names(&dir.join("out")),
        ["exitCode", "outputs", "stderr", "stdout"]
    );
    assert_eq!(fs::metadata(dir.join("out/stdout")).unwrap().len(), 4096);
    assert_eq!(fs::read_to_string(dir.join("out/exitCode")).unwrap(), "0");
}

/// Runs `command` as on a full disk: a file-size limit makes writes past 4 KiB fail (EFBIG),
/// and the signal that would otherwise end bolinho is ignored, as a disk that is full sends
/// none.
fn on_a_full_disk(mut command: std::process::Command) -> support::Output {
    // SAFETY: setrlimit and signal are async-signal-safe; nothing else runs before exec.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 4096,
                rlim_max: 4096,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            Ok(())
        });
    }
    output(command.output().unwrap())
}

#[test]
fn a_tape_the_disk_cannot_hold_keeps_the_rest_and_says_so() {
    let dir = TempDir::new("hostile-full-disk-tape");
    // 200,000 clock reads: a tape of 2.4 MB, and a stdout of seven bytes.
    let module = support::root().join("bench/clock_reads.wat");
    let out = on_a_full_disk(support::command(
        dir.path(),
        &[
            "run",
            "--nondeterministic",
            "--results",
            "out",
            &module.display().to_string(),
        ],
        &[],
    ));
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            125,
            "200000\n",
            "bolinho: error: failed to finish out: failed to write tape whole: File too large \
             (os error 27); the rest of the results are in place, without receipt.json\n"
        )
    );
    assert_eq!(
        names(&dir.join("out")),
        ["exitCode", "stderr", "stdout", "tape"]
    );
    assert_eq!(
        fs::read_to_string(dir.join("out/stdout")).unwrap(),
        "200000\n"
    );
}

#[test]
fn sigterm_while_hashing_keeps_the_results() {
    let dir = TempDir::new("hostile-signal-hashing");
    // Seconds of hashing after the guest has ended.
    hostile_job(&dir, &["sparse", "/outputs/big", "20000000000"], "");
    let mut child = support::command(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability", "--results", "out"],
        &[],
    )
    .spawn()
    .unwrap();
    assert_eq!(first_line(&mut child), "done\n");
    // The guest's last words: give it a moment to end, and the hashing to begin.
    std::thread::sleep(Duration::from_millis(300));
    send(&child, "-TERM");
    let out = output(child.wait_with_output().unwrap());
    assert_eq!(out.code, 143, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: stopped by SIGTERM while hashing the results; they are in out, without \
         receipt.json\n"
    );
    assert_eq!(
        names(&dir.join("out")),
        ["exitCode", "outputs", "stderr", "stdout"]
    );
    assert_eq!(fs::read_to_string(dir.join("out/exitCode")).unwrap(), "0");
}

#[test]
fn a_long_job_name_gets_a_results_directory_that_fits() {
    let dir = TempDir::new("hostile-long-name");
    hostile_job(&dir, &["write", "3"], "");
    let job = fs::read_to_string(dir.join("job.yaml")).unwrap();
    let name = "n".repeat(300);
    dir.write(
        "job.yaml",
        job.replace("Name: hostile", &format!("Name: {name}")),
    );
    let out = bolinho(dir.path(), &["run", "job.yaml", "--quiet-portability"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let made = names(&dir.join("bolinho-results"));
    assert_eq!(made, [format!("{}-1", "n".repeat(200))]);
}

#[test]
fn a_signal_while_fetching_leaves_nothing() {
    let server = Server::start();
    server.route("/slow.txt", Reply::hang());
    let dir = TempDir::new("hostile-signal-fetch");
    let tmp = dir.join("tmp");
    fs::create_dir(&tmp).unwrap();
    hostile_job(
        &dir,
        &["write", "3"],
        &format!(
            "      - Target: /data\n        Source: {{Type: urlDownload, Params: {{URL: '{}'}}}}\n",
            server.url("/slow.txt")
        ),
    );
    let child = support::command(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability"],
        &[("TMPDIR", tmp.to_str().unwrap())],
    )
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    // Once the download has begun, the run is waiting for it.
    for _ in 0..500 {
        if server.count("/slow.txt") > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.count("/slow.txt"), 1);
    send(&child, "-INT");
    let out = output(child.wait_with_output().unwrap());
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: stopped by SIGINT before the guest started; nothing was kept\n"
    );
    assert!(names(&tmp).is_empty(), "{:?}", names(&tmp));
    assert_eq!(names(dir.path()), ["app", "job.yaml", "tmp"]);
}

#[test]
fn a_signal_while_inputs_are_hashed_leaves_nothing() {
    let dir = TempDir::new("hostile-signal-hashing-inputs");
    // Seconds of hashing before the guest starts: a sparse input of 20 GB.
    fs::create_dir(dir.join("data")).unwrap();
    fs::File::create(dir.join("data/big"))
        .unwrap()
        .set_len(20_000_000_000)
        .unwrap();
    hostile_job(
        &dir,
        &["write", "3"],
        "      - Target: /data\n        Source: {Type: local, Params: {SourcePath: ./data}}\n",
    );
    let child = support::command(
        dir.path(),
        &["run", "job.yaml", "--quiet-portability", "--results", "out"],
        &[],
    )
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    send(&child, "-INT");
    let out = output(child.wait_with_output().unwrap());
    assert_eq!((out.code, out.stdout.as_str()), (130, ""), "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: stopped by SIGINT before the guest started; nothing was kept\n"
    );
    assert_eq!(names(dir.path()), ["app", "data", "job.yaml"]);
}
