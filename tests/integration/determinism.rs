//! Determinism by default (README "Determinism"): a guest's clocks and random bytes depend only
//! on the job's content, never on where it runs or when; `--nondeterministic` gives the host's.

use std::fs;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::{TempDir, bolinho, testdata};

/// 2000-01-01T00:00:00Z, the default epoch, in nanoseconds.
const DEFAULT_EPOCH_NS: u64 = 946_684_800_000_000_000;

/// A job running `clock_random.wat` from beside it, with `meta` as its task's `Meta`.
fn job_dir(name: &str, meta: &str) -> TempDir {
    let dir = TempDir::new(name);
    fs::copy(
        testdata("wat/clock_random.wat"),
        dir.join("clock_random.wat"),
    )
    .unwrap();
    dir.write(
        "job.yaml",
        format!(
            "Name: clocks\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: {{EntryModule: /m.wat}}}}\n    \
             InputSources:\n      - Target: /m.wat\n        Source: {{Type: local, Params: {{SourcePath: clock_random.wat}}}}\n{meta}"
        ),
    );
    dir
}

/// The stdout of running `args` in `dir`, which must succeed.
fn stdout(dir: &TempDir, args: &[&str]) -> String {
    let out = bolinho(dir.path(), args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    out.stdout
}

/// What `clock_random.wat` prints on a virtual clock at `epoch` with random bytes `random`:
/// each read advances the clock one microsecond.
fn expected(epoch: u64, random: &str) -> String {
    format!(
        "{:016x}\n{:016x}\n{:016x}\n{:016x}\n{random}\n",
        epoch,
        1_000,
        epoch + 2_000,
        3_000
    )
}

#[test]
fn a_job_sees_the_same_clocks_and_random_bytes_on_every_run_and_anywhere() {
    let a = job_dir("determinism-a", "");
    let first = stdout(&a, &["run", "job.yaml", "--results", "r1"]);
    assert_eq!(stdout(&a, &["run", "job.yaml", "--results", "r2"]), first);
    // The same job elsewhere: another directory, another results path.
    let b = job_dir("determinism-b", "");
    assert_eq!(
        stdout(&b, &["run", "job.yaml", "--results", "elsewhere"]),
        first
    );
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(lines.len(), 5, "{first}");
    let random = lines[4];
    assert_eq!(first, expected(DEFAULT_EPOCH_NS, random));
    assert_ne!(random, "00000000000000000000000000000000");
    // Different content, a different seed: one more argument changes the random bytes.
    let c = job_dir("determinism-c", "");
    let yaml = fs::read_to_string(c.join("job.yaml")).unwrap();
    let yaml = yaml.replace(
        "EntryModule: /m.wat}",
        "EntryModule: /m.wat, Parameters: [x]}",
    );
    c.write("job.yaml", yaml);
    let other = stdout(&c, &["run", "job.yaml"]);
    assert_ne!(other.lines().nth(4), Some(random));
}

#[test]
fn a_module_run_is_deterministic_wherever_the_module_is() {
    let a = TempDir::new("determinism-module-a");
    let b = TempDir::new("determinism-module-b");
    fs::copy(testdata("wat/clock_random.wat"), a.join("m.wat")).unwrap();
    fs::copy(testdata("wat/clock_random.wat"), b.join("other.wat")).unwrap();
    let first = stdout(&a, &["run", "m.wat", "--", "x"]);
    assert_eq!(stdout(&a, &["run", "m.wat", "--", "x"]), first);
    assert_eq!(stdout(&b, &["run", "other.wat", "--", "x"]), first);
    assert_ne!(
        stdout(&a, &["run", "m.wat", "--", "y"]).lines().nth(4),
        first.lines().nth(4)
    );
}

#[test]
fn a_job_sets_its_own_epoch_and_seed() {
    let dir = job_dir(
        "determinism-meta",
        "    Meta: {bolinho.epoch: \"2024-01-01T00:00:00Z\", bolinho.seed: \"42\"}\n",
    );
    // splitmix64 from 42, its first two outputs little-endian (computed independently).
    let seeded = "956eeb2f2632d7bd03f166b233e3ef28";
    assert_eq!(
        stdout(&dir, &["run", "job.yaml"]),
        expected(1_704_067_200_000_000_000, seeded)
    );
    // Unix seconds are an epoch too.
    let dir = job_dir(
        "determinism-meta-seconds",
        "    Meta: {bolinho.epoch: \"1704067200\", bolinho.seed: \"42\"}\n",
    );
    assert_eq!(
        stdout(&dir, &["run", "job.yaml"]),
        expected(1_704_067_200_000_000_000, seeded)
    );
    let dir = job_dir(
        "determinism-meta-bad",
        "    Meta: {bolinho.epoch: \"noon\"}\n",
    );
    let out = bolinho(dir.path(), &["run", "job.yaml"]);
    assert_eq!(out.code, 121, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Tasks[0].Meta.bolinho.epoch: invalid epoch `noon`"),
        "{}",
        out.stderr
    );
}

#[test]
fn nondeterministic_gives_the_host_clock_and_os_randomness() {
    let dir = job_dir("determinism-host", "    Meta: {bolinho.seed: \"42\"}\n");
    let run = || stdout(&dir, &["run", "--nondeterministic", "job.yaml"]);
    let (first, second) = (run(), run());
    let random = |out: &str| out.lines().nth(4).unwrap().to_string();
    assert_ne!(random(&first), random(&second));
    assert_ne!(random(&first), "956eeb2f2632d7bd03f166b233e3ef28");
    let realtime = u64::from_str_radix(first.lines().next().unwrap(), 16).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let minute = 60_000_000_000;
    assert!(
        now - minute < realtime && realtime <= now,
        "{realtime} vs {now}"
    );
}

#[test]
fn epoch_and_seed_flags_set_the_clock_and_random_bytes_of_modules_and_jobs() {
    let seeded = "956eeb2f2632d7bd03f166b233e3ef28";
    let module = TempDir::new("determinism-flags-module");
    fs::copy(testdata("wat/clock_random.wat"), module.join("m.wat")).unwrap();
    let flags = ["--epoch", "2024-01-01T00:00:00Z", "--seed", "42"];
    assert_eq!(
        stdout(&module, &[&["run"][..], &flags, &["m.wat"]].concat()),
        expected(1_704_067_200_000_000_000, seeded)
    );
    // On a job, the flags override its Meta.
    let job = job_dir(
        "determinism-flags-job",
        "    Meta: {bolinho.epoch: \"0\", bolinho.seed: \"7\"}\n",
    );
    assert_eq!(
        stdout(&job, &[&["run"][..], &flags, &["job.yaml"]].concat()),
        expected(1_704_067_200_000_000_000, seeded)
    );
    let out = bolinho(module.path(), &["run", "--seed", "-1", "m.wat"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: --seed -1: invalid seed `-1`: expected a non-negative integer\n"
    );
    let out = bolinho(
        module.path(),
        &["run", "--nondeterministic", "--epoch", "0", "m.wat"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("which --nondeterministic replaces"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_epoch_flag_keeps_its_nanoseconds_through_a_dry_run_and_bacalhau_flags() {
    let dir = TempDir::new("determinism-epoch-flag");
    fs::copy(
        testdata("wat/clock_random.wat"),
        dir.join("clock_random.wat"),
    )
    .unwrap();
    let epoch = "2024-01-01T00:00:00.25Z";
    let first_clock = format!("{:016x}", 1_704_067_200_250_000_000u64);
    let clock = |out: String| out.lines().next().unwrap_or_default().to_string();
    let direct = stdout(&dir, &["run", "clock_random.wat", "--epoch", epoch]);
    assert_eq!(clock(direct), first_clock);
    let dry = bolinho(
        dir.path(),
        &["run", "clock_random.wat", "--epoch", epoch, "--dry-run"],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout
            .contains("  Meta:\n    bolinho.epoch: \"2024-01-01T00:00:00.25Z\"\n"),
        "{}",
        dry.stdout
    );
    dir.write("job.yaml", &dry.stdout);
    let back = stdout(&dir, &["run", "job.yaml", "--quiet-portability"]);
    assert_eq!(clock(back), first_clock);
    // bacalhau wasm run's flags (a SOURCE:TARGET entry module) write the same Meta.
    let flags = stdout(
        &dir,
        &[
            "run",
            "clock_random.wat:/m.wat",
            "--epoch",
            "1704067200",
            "--quiet-portability",
        ],
    );
    assert_eq!(
        clock(flags),
        format!("{:016x}", 1_704_067_200_000_000_000u64)
    );
}
