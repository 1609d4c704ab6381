//! Recorded runs (README "Recorded runs", issue 12): a run whose guest is told something its
//! content does not fix (the host's clocks and randomness, stdin, HTTP responses) writes a
//! `tape` beside its receipt, and `verify` replays it: no real waiting, no network, the same
//! bytes, and a precise message when the guest departs from it.

use std::fs;
use std::time::{Duration, Instant};

use crate::http_server::{Reply, Server};
use crate::support::{Output, TempDir, bolinho, bolinho_with_stdin, sha256, testdata};

fn wat(name: &str) -> String {
    testdata(&format!("wat/{name}")).display().to_string()
}

fn receipt(dir: &TempDir, results: &str) -> serde_json::Value {
    let text = fs::read_to_string(dir.join(results).join("receipt.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Runs `bolinho run FLAGS --results RESULTS MODULE`, insisting on a clean exit.
fn run(dir: &TempDir, results: &str, flags: &[&str], module: &str) -> Output {
    let mut args = vec!["run", "--results", results];
    args.extend(flags);
    args.push(module);
    let out = bolinho(dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out
}

fn verify(dir: &TempDir, results: &str) -> Output {
    bolinho(dir.path(), &["verify", &format!("{results}/receipt.json")])
}

/// Every line `verify` printed is an `ok`, and the first is the tape's.
pub(crate) fn assert_verified(out: &Output, answers: &str) {
    crate::support::assert_all_ok(out);
    assert_eq!(
        out.stdout.lines().next(),
        Some(format!("ok  tape  {answers} replayed").as_str())
    );
}

/// Rewrites the receipt in `results` with `edit`.
fn edit_receipt(dir: &TempDir, results: &str, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value = receipt(dir, results);
    edit(&mut value);
    let path = dir.join(results).join("receipt.json");
    fs::write(path, serde_json::to_string_pretty(&value).unwrap()).unwrap();
}

#[test]
fn a_nondeterministic_run_records_a_tape_and_verifies_from_it() {
    let dir = TempDir::new("tape-nondet");
    let module = wat("clock_random.wat");
    let first = run(&dir, "a", &["--nondeterministic"], &module);
    let second = run(&dir, "b", &["--nondeterministic"], &module);
    // The host's clocks and random bytes: two runs differ.
    assert_ne!(first.stdout, second.stdout);
    let tape = fs::read(dir.join("a/tape")).unwrap();
    assert!(tape.starts_with(b"bolinho-tape"), "{tape:?}");
    assert_eq!(receipt(&dir, "a")["tape"], sha256(&tape));
    // The clock's epoch (which dates the files), four clock reads and one random_get.
    assert_verified(&verify(&dir, "a"), "6 answers");
    assert_verified(&verify(&dir, "b"), "6 answers");
}

#[test]
fn a_deterministic_run_writes_no_tape() {
    let dir = TempDir::new("tape-none");
    run(&dir, "out", &[], &wat("clock_random.wat"));
    assert!(!dir.join("out/tape").exists());
    let receipt = receipt(&dir, "out");
    assert_eq!(receipt.get("tape"), None);
    assert_eq!(receipt.get("noRecord"), None);
    let out = verify(&dir, "out");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("ok  stderr "), "{}", out.stdout);
}

#[test]
fn a_real_sleep_is_replayed_without_waiting() {
    let dir = TempDir::new("tape-sleep");
    let out = run(&dir, "out", &["--nondeterministic"], &wat("nap.wat"));
    assert_eq!(out.stdout, "slept 1\n");
    let start = Instant::now();
    let out = verify(&dir, "out");
    let took = start.elapsed();
    assert_verified(&out, "7 answers");
    assert!(
        took < Duration::from_secs(1),
        "verify slept for real: {took:?}"
    );
}

#[test]
fn a_module_run_replays_its_stdin_not_verifys() {
    let dir = TempDir::new("tape-stdin");
    let cat = testdata("wasm/cat.wasm").display().to_string();
    let out = bolinho_with_stdin(
        dir.path(),
        &["run", "--results", "out", &cat],
        b"what the guest read\n",
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "what the guest read\n"),
        "{}",
        out.stderr
    );
    assert!(dir.join("out/tape").is_file());
    let out = bolinho_with_stdin(
        dir.path(),
        &["verify", "out/receipt.json"],
        b"something else entirely\n",
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("ok  tape  "), "{}", out.stdout);
    assert!(out.stdout.lines().all(|l| l.starts_with("ok  ")));
}

#[test]
fn a_network_run_verifies_offline_after_its_server_is_gone() {
    let dir = TempDir::new("tape-network");
    let server = Server::start();
    server.route_sequence(
        "/count",
        vec![Reply::ok("first answer"), Reply::ok("second answer")],
    );
    let url = server.url("/count");
    let guest = wat("net_request.wat");
    let args = |results: &'static str| {
        let mut args = vec!["run", "--network", "host", "--results", results, &guest];
        args.extend(["--", "GET", &url, "", "", "4096", "4096"]);
        args
    };
    let out = bolinho(dir.path(), &args("a"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.ends_with("body 12\nfirst answer\n"),
        "{}",
        out.stdout
    );
    drop(server);
    assert_verified(&verify(&dir, "a"), "1 answer");
}

#[test]
fn a_changed_tape_is_refused_before_anything_runs() {
    let dir = TempDir::new("tape-changed");
    run(
        &dir,
        "out",
        &["--nondeterministic"],
        &wat("clock_random.wat"),
    );
    let path = dir.join("out/tape");
    let mut tape = fs::read(&path).unwrap();
    let recorded = sha256(&tape);
    *tape.last_mut().unwrap() ^= 1;
    fs::write(&path, &tape).unwrap();
    let out = verify(&dir, "out");
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            120,
            "",
            format!("bolinho: error: out/tape is not the tape the receipt records ({recorded})\n")
                .as_str()
        )
    );
}

#[test]
fn a_tape_that_is_not_one_is_refused_with_its_fault() {
    let dir = TempDir::new("tape-garbage");
    run(
        &dir,
        "out",
        &["--nondeterministic"],
        &wat("clock_random.wat"),
    );
    // A receipt and tape someone else wrote: the hash matches, the bytes are no tape.
    let hostile: &[&[u8]] = &[b"", b"not a tape at all", b"bolinho-tape\0\x01"];
    for bytes in hostile {
        fs::write(dir.join("out/tape"), bytes).unwrap();
        edit_receipt(&dir, "out", |r| r["tape"] = sha256(bytes).into());
        let out = verify(&dir, "out");
        assert_eq!(out.code, 120, "{}", out.stderr);
        assert!(
            out.stderr
                .starts_with("bolinho: error: failed to read out/tape: "),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn a_guest_that_departs_from_its_tape_is_stopped_and_the_call_named() {
    let dir = TempDir::new("tape-diverge");
    run(
        &dir,
        "clock",
        &["--nondeterministic"],
        &wat("clock_random.wat"),
    );
    run(&dir, "nap", &["--nondeterministic"], &wat("nap.wat"));
    // The clock module's receipt, with the nap module's tape.
    let tape = fs::read(dir.join("nap/tape")).unwrap();
    fs::write(dir.join("clock/tape"), &tape).unwrap();
    edit_receipt(&dir, "clock", |r| r["tape"] = sha256(&tape).into());
    let out = verify(&dir, "clock");
    assert_eq!(out.code, 120, "{}", out.stderr);
    assert_eq!(
        out.stdout.lines().next(),
        Some(
            "DIFF tape: call 2: the guest asked for clock_time_get(realtime), the tape has \
             clock_time_get(monotonic)"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_tape_past_its_limit_says_the_run_cannot_be_verified() {
    let dir = TempDir::new("tape-limit");
    let module = wat("clock_random.wat");
    let out = run(
        &dir,
        "out",
        &["--nondeterministic", "--tape-limit", "40"],
        &module,
    );
    assert!(
        out.stderr.starts_with(
            "bolinho: warning: the run's tape reached its limit of 40 bytes after 1 answer \
             from the host, so verify cannot replay it (raise --tape-limit)\n"
        ),
        "{}",
        out.stderr
    );
    let out = verify(&dir, "out");
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            120,
            "bolinho: error: the receipt's tape reached its size limit after 1 answer, so the \
             run cannot be verified\n"
        )
    );
}

#[test]
fn no_record_writes_no_tape_and_says_so_in_the_receipt() {
    let dir = TempDir::new("tape-no-record");
    let cat = testdata("wasm/cat.wasm").display().to_string();
    let out = bolinho_with_stdin(
        dir.path(),
        &["run", "--no-record", "--results", "out", &cat],
        b"unrecorded\n",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!dir.join("out/tape").exists());
    assert_eq!(receipt(&dir, "out")["noRecord"], true);
    // Its stdin is on no tape: the replay gives none, and says why.
    let out = verify(&dir, "out");
    assert_eq!(out.code, 120, "{}", out.stderr);
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("DIFF tape: the tape ends after 0 calls; the guest asked for ")
            && first.ends_with(
                " (the run was made with --no-record: what its guest was told is on no tape)"
            ),
        "{}",
        out.stdout
    );
    let out = bolinho(
        dir.path(),
        &["run", "--no-record", "--tape-limit", "1MiB", &cat],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: --tape-limit sets the size of the tape that --no-record turns off\n"
        )
    );
}

#[test]
fn a_receipt_with_a_tape_read_from_stdin_is_refused() {
    let dir = TempDir::new("tape-stdin-receipt");
    run(
        &dir,
        "out",
        &["--nondeterministic"],
        &wat("clock_random.wat"),
    );
    let receipt = fs::read(dir.join("out/receipt.json")).unwrap();
    let out = bolinho_with_stdin(dir.path(), &["verify", "-"], &receipt);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: the receipt records a tape, which verify reads from beside it: \
             give the receipt's path, not -\n"
        )
    );
}

#[test]
fn verify_into_a_closed_pipe_ends_with_its_verdict_not_a_panic() {
    let dir = TempDir::new("tape-closed-pipe");
    run(
        &dir,
        "out",
        &["--nondeterministic"],
        &wat("clock_random.wat"),
    );
    // `bolinho verify R | head -0`: the reader is gone before verify prints anything.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = crate::support::command(dir.path(), &["verify", "out/receipt.json"], &[])
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "")
    );
}

#[test]
fn verify_keep_keeps_the_replayed_tape_and_an_identical_receipt() {
    let dir = TempDir::new("tape-keep");
    run(&dir, "out", &["--nondeterministic"], &wat("nap.wat"));
    let out = bolinho(
        dir.path(),
        &["verify", "out/receipt.json", "--keep", "kept"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for name in ["receipt.json", "tape", "stdout"] {
        assert_eq!(
            fs::read(dir.join("kept").join(name)).unwrap(),
            fs::read(dir.join("out").join(name)).unwrap(),
            "{name}"
        );
    }
    // And a run made with --no-record: its kept receipt says so as the original does.
    let cat = testdata("wasm/cat.wasm").display().to_string();
    let out = bolinho(
        dir.path(),
        &["run", "--no-record", "--results", "plain", &cat],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = bolinho(
        dir.path(),
        &["verify", "plain/receipt.json", "--keep", "kept2"],
    );
    assert_eq!(
        out.code, 120,
        "stdin was read, and is on no tape: {}",
        out.stdout
    );
    assert_eq!(receipt(&dir, "kept2")["noRecord"], true);
}

#[test]
fn the_default_tape_limit_is_64_mib_and_the_largest_1_gib() {
    let dir = TempDir::new("tape-default-limit");
    let cat = testdata("wasm/cat.wasm").display().to_string();
    // 65 MiB through stdin: all of it reaches stdout, one MiB of it misses the tape.
    let input = dir.write("input", vec![b'x'; 65 << 20]);
    let out = crate::support::command(dir.path(), &["run", "--results", "out", &cat], &[])
        .stdin(fs::File::open(input).unwrap())
        .output()
        .unwrap();
    let out = crate::support::output(out);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout.len(), 65 << 20);
    assert!(
        out.stderr.starts_with(
            "bolinho: warning: the run's tape reached its limit of 67108864 bytes after "
        ),
        "{}",
        out.stderr
    );
    let tape = fs::metadata(dir.join("out/tape")).unwrap().len();
    assert!(tape <= 64 << 20 && tape > 63 << 20, "{tape}");
    let out = bolinho(dir.path(), &["run", "--tape-limit", "1025MiB", &cat]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            2,
            "bolinho: error: --tape-limit 1025MiB: more than 1GiB, the largest tape verify reads\n"
        )
    );
}
