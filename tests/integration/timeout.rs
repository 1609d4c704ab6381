//! Timeouts (README "Limits"): `--timeout SECONDS` and a job's `Timeouts` stop a running guest,
//! pure loops and sleeps included, with exit code 124 and its output so far kept.

use std::fs;
use std::time::{Duration, Instant};

use crate::support::{Output, TempDir, bolinho, testdata};

fn wat(name: &str) -> String {
    testdata(&format!("wat/{name}")).display().to_string()
}

/// Runs bolinho and returns what it did and how long it took.
fn timed(dir: &TempDir, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let out = bolinho(dir.path(), args);
    (out, start.elapsed())
}

#[test]
fn a_pure_loop_stops_at_the_timeout_and_keeps_its_output() {
    let dir = TempDir::new("timeout-loop");
    let (out, took) = timed(
        &dir,
        &[
            "run",
            "--timeout",
            "0.5",
            "--results",
            "r",
            &wat("forever.wat"),
        ],
    );
    assert_eq!(out.code, 124, "{}", out.stderr);
    // Generous bounds: the 0.1 s precision is a benchmark matter, not a test's.
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_millis(1000), "{took:?}");
    assert_eq!(out.stdout, "started\n");
    assert_eq!(
        out.stderr,
        "bolinho: error: the guest ran past its timeout of 0.5s\nbolinho: results in r\n"
    );
    assert_eq!(
        fs::read_to_string(dir.join("r/stdout")).unwrap(),
        "started\n"
    );
    assert_eq!(fs::read_to_string(dir.join("r/exitCode")).unwrap(), "124");
}

#[test]
fn a_sleep_past_the_timeout_is_cut_short() {
    let dir = TempDir::new("timeout-sleep");
    // The guest asks for 10 s of the host's clock; it must neither sleep them nor wake as if
    // they had passed.
    let (out, took) = timed(
        &dir,
        &[
            "run",
            "--nondeterministic",
            "--timeout",
            "0.5",
            &wat("sleep.wat"),
        ],
    );
    assert_eq!(out.code, 124, "{}", out.stderr);
    assert!(took < Duration::from_millis(1000), "{took:?}");
    assert_eq!(out.stdout, "sleeping\n");
    assert_eq!(
        out.stderr,
        "bolinho: error: the guest ran past its timeout of 0.5s\n"
    );
}

#[test]
fn a_virtual_sleep_takes_no_real_time_and_is_not_cut() {
    let dir = TempDir::new("timeout-virtual-sleep");
    // By default the clock is virtual: the 10 s pass at once, well inside the timeout.
    let (out, took) = timed(&dir, &["run", "--timeout", "0.5", &wat("sleep.wat")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(took < Duration::from_millis(1000), "{took:?}");
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("sleeping\nwoke\n", "")
    );
}

#[test]
fn a_guest_that_finishes_in_time_is_unaffected() {
    let dir = TempDir::new("timeout-in-time");
    for timeout in ["30", "0"] {
        let out = bolinho(
            dir.path(),
            &["run", "--timeout", timeout, &wat("count.wat")],
        );
        assert_eq!((out.code, out.stdout.as_str()), (0, "done\n"), "{timeout}");
        assert_eq!(out.stderr, "", "{timeout}");
    }
    // A guest's own exit and its traps pass through as without a timeout.
    let out = bolinho(dir.path(), &["run", "--timeout", "30", &wat("grow.wat")]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "ok\nok\nok\n"));
}

/// The smallest `--fuel` that lets `count.wat` finish, found without a timeout.
fn fuel_count_needs(dir: &TempDir) -> u64 {
    let finishes = |fuel: u64| {
        let fuel = fuel.to_string();
        bolinho(dir.path(), &["run", "--fuel", &fuel, &wat("count.wat")]).code == 0
    };
    let (mut lo, mut hi) = (0u64, 1 << 30);
    assert!(finishes(hi));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if finishes(mid) { hi = mid } else { lo = mid }
    }
    hi
}

#[test]
fn a_fuel_limit_with_a_timeout_gives_exactly_the_same_fuel() {
    let dir = TempDir::new("timeout-fuel");
    let needed = fuel_count_needs(&dir);
    // Several slices' worth, so slicing is what is tested.
    assert!(needed > 3_000_000, "{needed}");
    let run = |fuel: u64| {
        let fuel = fuel.to_string();
        bolinho(
            dir.path(),
            &["run", "--fuel", &fuel, "--timeout", "60", &wat("count.wat")],
        )
    };
    let out = run(needed);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "done\n"),
        "{}",
        out.stderr
    );
    let out = run(needed - 1);
    assert_eq!(out.code, 134);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "bolinho: error: the guest trapped: out of fuel\n"
    );
    // A loop out of the user's fuel long before its timeout: the fuel trap, at once.
    let (out, took) = timed(
        &dir,
        &[
            "run",
            "--fuel",
            "100000",
            "--timeout",
            "30",
            &wat("forever.wat"),
        ],
    );
    assert_eq!((out.code, out.stdout.as_str()), (134, "started\n"));
    assert!(took < Duration::from_secs(5), "{took:?}");
    let out = bolinho(
        dir.path(),
        &["run", "--fuel", "0", "--timeout", "30", &wat("forever.wat")],
    );
    assert_eq!((out.code, out.stdout.as_str()), (134, ""));
}

#[test]
fn bad_timeout_flags_say_why() {
    let dir = TempDir::new("timeout-flag");
    let grow = wat("grow.wat");
    for timeout in ["-1", "soon", "1e3", "2s", ""] {
        let out = bolinho(dir.path(), &["run", "--timeout", timeout, &grow]);
        assert_eq!(out.code, 2, "{timeout}");
        assert_eq!(
            out.stderr,
            format!(
                "bolinho: error: --timeout {timeout}: invalid timeout `{timeout}`: expected a \
                 non-negative number of seconds, such as 30 or 0.5\n"
            )
        );
    }
}

#[test]
fn validate_shows_the_timeout() {
    let dir = TempDir::new("validate-timeout");
    let job = testdata("jobs/limit-timeout-total/job.yaml")
        .display()
        .to_string();
    let out = bolinho(dir.path(), &["validate", &job]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .ends_with("limits:\n  memoryBytes: 512000000\n  timeoutSeconds: 1.0\n"),
        "{}",
        out.stdout
    );
}
