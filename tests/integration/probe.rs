//! File metadata is deterministic too (issue 5): `testdata/c/probe.c` prints everything a
//! program can observe (clocks, random bytes, listings with `d_ino`, the stat of its inputs
//! and of a file it makes), and a job running it gives byte-identical results wherever its
//! inputs are on the host, whatever their inodes and times; `--nondeterministic` shows the host.

use std::collections::HashMap;
use std::fs;
use std::time::{Duration, SystemTime};

use crate::support::{TempDir, bolinho, testdata, tree};

const INPUTS: [(&str, &str); 3] = [
    ("a.txt", "alpha\n"),
    ("sub/b.txt", "beta\n"),
    ("sub/deeper/c.txt", "gamma\n"),
];

/// A job running the probe over `inputs/` with `/outputs` as a result path, everything beside
/// its job file. The inputs are written in `order` and their host times set to `mtime`.
fn job_dir(name: &str, order: [usize; 3], mtime: SystemTime) -> TempDir {
    let dir = TempDir::new(name);
    fs::copy(testdata("wasm/probe.wasm"), dir.join("probe.wasm")).unwrap();
    for i in order {
        let (path, contents) = INPUTS[i];
        dir.write(&format!("inputs/{path}"), contents);
    }
    let times = fs::FileTimes::new().set_accessed(mtime).set_modified(mtime);
    for path in [
        "a.txt",
        "sub/b.txt",
        "sub/deeper/c.txt",
        "sub/deeper",
        "sub",
        "",
    ] {
        let file = fs::File::open(dir.join("inputs").join(path)).unwrap();
        file.set_times(times).unwrap();
    }
    dir.write(
        "job.yaml",
        "Name: probe\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      Params:\n        \
         EntryModule: /app/probe.wasm\n        Parameters: [/inputs, /outputs]\n    InputSources:\n      \
         - Target: /app/probe.wasm\n        Source: {Type: localDirectory, Params: {SourcePath: probe.wasm}}\n      \
         - Target: /inputs\n        Source: {Type: localDirectory, Params: {SourcePath: ./inputs}}\n    \
         ResultPaths:\n      - Name: outputs\n        Path: /outputs\n",
    );
    dir
}

/// Runs the job into `results` and returns the results directory as a tree: stdout, stderr,
/// exitCode and the output files.
fn run(dir: &TempDir, results: &str, extra: &[&str]) -> String {
    let mut args = vec!["run", "job.yaml", "--results", results];
    args.extend(extra);
    let out = bolinho(dir.path(), &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    tree(&dir.join(results))
}

/// The fields of the probe's line `<kind> <path> k=v k=v...` in `stdout`.
fn fields(stdout: &str, line: &str) -> HashMap<String, String> {
    let found = stdout
        .lines()
        .find(|l| l.starts_with(&format!("{line} ")))
        .unwrap_or_else(|| panic!("no line {line:?} in:\n{stdout}"));
    found
        .split(' ')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_probe_sees_the_same_run_wherever_its_inputs_are() {
    let hour = Duration::from_secs(3_600);
    let a = job_dir(
        "probe-a",
        [0, 1, 2],
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000),
    );
    // Another place, made in another order (other inode numbers), with other times.
    let b = job_dir("probe-b", [2, 1, 0], SystemTime::now() - hour);
    let first = run(&a, "r", &[]);
    assert_eq!(run(&b, "elsewhere", &[]), first);
    let stdout = fs::read_to_string(a.join("r/stdout")).unwrap();
    assert!(first.contains("exitCode: 0\n"), "{first}");
    assert!(
        first.contains("outputs/created.txt: written by the probe\n"),
        "{first}"
    );

    // The values themselves: times from the default epoch, one device, inode numbers in the
    // order the probe meets files, directories of size 0 with one link.
    let epoch = "946684800.000000000";
    assert_eq!(fields(&stdout, "clock realtime")["now"], epoch);
    let input = fields(&stdout, "stat /inputs/a.txt");
    for (k, v) in [("dev", "1"), ("nlink", "1"), ("size", "6")] {
        assert_eq!(input[k], v, "{k}");
    }
    for k in ["atime", "mtime", "ctime"] {
        assert_eq!(input[k], epoch, "{k}");
    }
    assert_eq!(fields(&stdout, "entry /inputs a.txt")["ino"], input["ino"]);
    assert_eq!(fields(&stdout, "entry / .")["ino"], "1");
    let sub = fields(&stdout, "stat /inputs/sub");
    assert_eq!((sub["size"].as_str(), sub["nlink"].as_str()), ("0", "1"));
    let created = fields(&stdout, "stat /outputs/created.txt");
    let linked = fields(&stdout, "stat /outputs/linked.txt");
    assert_eq!(
        linked["ino"], created["ino"],
        "a hard link is the same file"
    );
    assert_eq!(linked["nlink"], "2");
    assert_eq!(linked["mtime"], "1234567890.000000005", "set by the probe");
    // A virtual sleep takes exactly what was asked, and the clock reads around it.
    assert!(stdout.contains("\nslept 20002000 ns\n"), "{stdout}");

    // With the host's clocks the output changes. The metadata stays virtual, dated from the
    // host's clock (the host's own is on no tape), so the run replays from its tape.
    let host = run(&a, "host", &["--nondeterministic"]);
    assert_ne!(host, first);
    let host_stdout = fs::read_to_string(a.join("host/stdout")).unwrap();
    let host_input = fields(&host_stdout, "stat /inputs/a.txt");
    assert_eq!(host_input["ino"], input["ino"]);
    assert_eq!(host_input["dev"], "1");
    let mtime = &host_input["mtime"];
    assert!(
        mtime.as_str() > "1700000000" && mtime.len() == "1700000000.000000000".len(),
        "{mtime}: the host's time at the start, not the file's 1500000000"
    );
    let out = bolinho(a.path(), &["verify", "host/receipt.json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.starts_with("ok  tape  "), "{}", out.stdout);
}

/// Issue 12: a job names its inputs by absolute host path, and the same content at another
/// path (other inodes, other times) gives the same ids, seed, results and receipt, but for the
/// paths the job file names. Before, the ids (and so the seed) hashed the job file's text.
#[test]
fn the_same_content_at_other_absolute_paths_gives_the_same_run_and_receipt() {
    let hour = Duration::from_secs(3_600);
    let a = job_dir("probe-abs-a", [0, 1, 2], SystemTime::now() - hour);
    let b = job_dir("probe-abs-b", [2, 1, 0], SystemTime::now());
    for dir in [&a, &b] {
        let text = fs::read_to_string(dir.join("job.yaml")).unwrap();
        let text = text
            .replace(
                "SourcePath: probe.wasm",
                &format!("SourcePath: {}", dir.join("probe.wasm").display()),
            )
            .replace(
                "SourcePath: ./inputs",
                &format!("SourcePath: {}", dir.join("inputs").display()),
            );
        dir.write("job.yaml", text);
    }
    assert_eq!(run(&a, "r", &[]), run(&b, "r", &[]));
    let receipt = |dir: &TempDir| fs::read_to_string(dir.join("r/receipt.json")).unwrap();
    let (from_a, from_b) = (receipt(&a), receipt(&b));
    assert!(from_a.contains("\"jobId\": \"j-"), "{from_a}");
    assert!(from_a.contains(&a.path().display().to_string()));
    assert_eq!(
        from_a.replace(
            &a.path().display().to_string(),
            &b.path().display().to_string()
        ),
        from_b
    );
    // And both verify, each where it is.
    for dir in [&a, &b] {
        let out = bolinho(dir.path(), &["verify", "r/receipt.json"]);
        assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("ok  jobId  j-"), "{}", out.stdout);
    }
}
