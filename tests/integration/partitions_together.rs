//! All partitions of a job of `Count: N` in one bolinho: each its own execution with its own
//! results and receipt in `partitions/I/`, their output printed in index order, a summary, the
//! job's exit code its first failing partition's, `verify` of every partition, and a signal
//! that keeps what ran and starts nothing more.

use std::fs;
use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use crate::http_server::{Reply, Server};
use crate::support::{self, TempDir, bolinho, names, send, testdata};

/// A job of `count` partitions of `partition_exit.wasm`, with `env` (`NAME: value` lines).
fn job(name: &str, count: u32, env: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new(name);
    fs::copy(
        testdata("wasm/partition_exit.wasm"),
        dir.join("partition_exit.wasm"),
    )
    .unwrap();
    let env: String = env
        .iter()
        .map(|(name, value)| format!("      {name}: \"{value}\"\n"))
        .collect();
    let env = match env.is_empty() {
        true => String::new(),
        false => format!("    Env:\n{env}"),
    };
    dir.write(
        "job.yaml",
        format!(
            "Name: parts\nType: batch\nCount: {count}\nTasks:\n  - Name: main\n    Engine:\n      \
             Type: wasm\n      Params:\n        EntryModule: /app/partition_exit.wasm\n        \
             Entrypoint: _start\n    Network: {{Type: None}}\n{env}    InputSources:\n      - Target: \
             /app/partition_exit.wasm\n        Source: {{Type: localDirectory, Params: {{SourcePath: \
             partition_exit.wasm}}}}\n"
        ),
    );
    dir
}

/// Adds to the job in `dir` an input at `target` downloaded from `url`.
fn with_url_input(dir: &TempDir, target: &str, url: &str) {
    let text = read(dir, "job.yaml").replace(
        "    InputSources:\n",
        &format!(
            "    InputSources:\n      - Target: {target}\n        Source: {{Type: urlDownload, \
             Params: {{URL: \"{url}\"}}}}\n"
        ),
    );
    dir.write("job.yaml", text);
}

fn read(dir: &TempDir, path: &str) -> String {
    fs::read_to_string(dir.join(path)).unwrap()
}

fn receipt(dir: &TempDir, partition: u32) -> serde_json::Value {
    serde_json::from_str(&read(
        dir,
        &format!("out/partitions/{partition}/receipt.json"),
    ))
    .unwrap()
}

#[test]
fn every_partition_runs_as_its_own_execution_and_prints_in_index_order() {
    let dir = job("together", 4, &[]);
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--parallel", "2", "--results", "out"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Whatever order they ended in, their output comes whole and in order.
    assert_eq!(
        out.stdout,
        "partition 0 of 4\npartition 1 of 4\npartition 2 of 4\npartition 3 of 4\n"
    );
    let mut stderr = "bolinho: running the job's 4 partitions, 2 at a time\n".to_string();
    for i in 0..4 {
        stderr += &format!(
            "partition {i} says hello on stderr\n\
             bolinho: partition {i}: exit code 0, results in out/partitions/{i}\n"
        );
    }
    stderr += "bolinho: results in out: summary.json, and each partition's in partitions/I\n";
    assert_eq!(out.stderr, stderr);

    assert_eq!(
        names(&dir.join("out")),
        ["exitCode", "partitions", "summary.json"]
    );
    assert_eq!(read(&dir, "out/exitCode"), "0");
    assert_eq!(names(&dir.join("out/partitions")), ["0", "1", "2", "3"]);
    let mut executions = Vec::new();
    for i in 0..4 {
        let at = |file: &str| read(&dir, &format!("out/partitions/{i}/{file}"));
        assert_eq!(at("stdout"), format!("partition {i} of 4\n"));
        assert_eq!(at("exitCode"), "0");
        let receipt = receipt(&dir, i);
        // One job, as in Bacalhau: the job id is partition 0's, each execution its own.
        assert_eq!(receipt["jobId"], receipt_job_id(&dir));
        executions.push(receipt["executionId"].as_str().unwrap().to_string());
    }
    executions.sort();
    executions.dedup();
    assert_eq!(executions.len(), 4, "{executions:?}");
    let partition = |i: u32| {
        format!(
            "    {{\n      \"index\": {i},\n      \"exitCode\": 0,\n      \"ended\": \"exited\",\n      \
             \"results\": \"partitions/{i}\"\n    }}"
        )
    };
    let partitions: Vec<String> = (0..4).map(partition).collect();
    assert_eq!(
        read(&dir, "out/summary.json"),
        format!(
            "{{\n  \"job\": \"parts\",\n  \"count\": 4,\n  \"exitCode\": 0,\n  \"partitions\": [\n{}\n  ]\n}}\n",
            partitions.join(",\n")
        )
    );

    // A bundle is of one run: of one partition.
    let bundled = bolinho(dir.path(), &["bundle", "out", "-o", "job.bundle"]);
    assert_eq!(bundled.code, 118, "{}", bundled.stderr);
    assert_eq!(
        bundled.stderr,
        "bolinho: error: out holds the results of a job's partitions, each with its receipt: \
         bundle one partition's, such as out/partitions/0\n"
    );
    let bundled = bolinho(
        dir.path(),
        &["bundle", "out/partitions/3", "-o", "3.bundle"],
    );
    assert_eq!(bundled.code, 0, "{}", bundled.stderr);
    support::assert_all_ok(&bolinho(dir.path(), &["verify", "3.bundle"]));

    // A partition's results are what it gives alone, receipt and all.
    let alone = bolinho(
        dir.path(),
        &["run", "job.yaml", "--partition", "2", "--results", "alone"],
    );
    assert_eq!(alone.code, 0, "{}", alone.stderr);
    assert_eq!(alone.stdout, "partition 2 of 4\n");
    assert_eq!(
        support::tree(&dir.join("alone")),
        support::tree(&dir.join("out/partitions/2"))
    );
    assert_eq!(
        read(&dir, "alone/receipt.json"),
        read(&dir, "out/partitions/2/receipt.json")
    );

    let verified = bolinho(dir.path(), &["verify", "out"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
    let headers: Vec<&str> = verified
        .stdout
        .lines()
        .filter(|l| !l.starts_with("ok  "))
        .collect();
    assert_eq!(
        headers,
        [
            "partition 0 of 4:",
            "partition 1 of 4:",
            "partition 2 of 4:",
            "partition 3 of 4:",
            "all 4 partitions verified"
        ]
    );
}

fn receipt_job_id(dir: &TempDir) -> serde_json::Value {
    receipt(dir, 0)["jobId"].clone()
}

#[test]
fn the_job_fails_with_its_first_failing_partition_and_keeps_every_result() {
    let dir = job(
        "together-fail",
        4,
        &[("FAIL_PARTITION_1", "3"), ("FAIL_PARTITION_3", "5")],
    );
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "out"]);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.ends_with(
            "bolinho: partition 3: exit code 5, results in out/partitions/3\n\
             bolinho: results in out: summary.json, and each partition's in partitions/I\n\
             bolinho: error: partition 1 of 4 failed first, with exit code 3\n"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(read(&dir, "out/exitCode"), "3");
    for (i, code) in [(0, "0"), (1, "3"), (2, "0"), (3, "5")] {
        assert_eq!(read(&dir, &format!("out/partitions/{i}/exitCode")), code);
    }
    let summary: serde_json::Value = serde_json::from_str(&read(&dir, "out/summary.json")).unwrap();
    assert_eq!(summary["exitCode"], 3);
    assert_eq!(summary["partitions"][3]["exitCode"], 5);
    // The failures are the guest's own: its receipt replays them.
    let verified = bolinho(dir.path(), &["verify", "out"]);
    assert_eq!(verified.code, 0, "{}{}", verified.stdout, verified.stderr);
}

#[test]
fn partitions_that_all_fail_before_their_guests_start_leave_nothing() {
    let dir = job("together-link", 3, &[]);
    let text = read(&dir, "job.yaml").replace("Entrypoint: _start", "Entrypoint: missing");
    dir.write("job.yaml", text);
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "out"]);
    assert_eq!(out.code, 123, "{}", out.stderr);
    let message = "failed to find entrypoint `missing` in /app/partition_exit.wasm: no such export";
    for i in 0..3 {
        assert!(
            out.stderr
                .contains(&format!("bolinho: error: partition {i}: {message}")),
            "{}",
            out.stderr
        );
    }
    // Once a partition, then what it means for the job, with the first one's exit code.
    assert!(
        out.stderr
            .ends_with("\nbolinho: error: no partition's guest started; nothing was kept\n"),
        "{}",
        out.stderr
    );
    assert_eq!(names(dir.path()), ["job.yaml", "partition_exit.wasm"]);
}

#[test]
fn parallel_is_a_number_of_a_jobs_partitions() {
    let dir = job("together-flags", 3, &[]);
    let cases: [(&[&str], &str); 4] = [
        (
            &["job.yaml", "--parallel", "0"],
            "--parallel 0: expected a number of partitions, 1 or more",
        ),
        (
            &["job.yaml", "--parallel", "two"],
            "--parallel two: expected a number of partitions, 1 or more",
        ),
        (
            &["job.yaml", "--parallel", "2", "--partition", "1"],
            "--parallel 2: --partition runs one partition only",
        ),
        (
            &["partition_exit.wasm", "--parallel", "2"],
            "--parallel 2: a module run has no partitions; --parallel is for jobs",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["run"];
        all.extend(args);
        let out = bolinho(dir.path(), &all);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert_eq!(
            out.stderr,
            format!("bolinho: error: {message}\n"),
            "{args:?}"
        );
    }
    assert_eq!(names(dir.path()), ["job.yaml", "partition_exit.wasm"]);
    // More than the job has: as many as it has.
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--parallel", "8", "--results", "out"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .starts_with("bolinho: running the job's 3 partitions, 3 at a time\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_signal_stops_the_running_partition_keeps_the_finished_ones_and_starts_no_more() {
    let dir = job("together-signal", 3, &[("SPIN_PARTITION_1", "1")]);
    let mut child = support::command(
        dir.path(),
        &["run", "job.yaml", "--parallel", "1", "--results", "out"],
        &[],
    )
    .spawn()
    .unwrap();
    // Partition 0 has ended once its line is out; partition 1 then spins for ever.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("bolinho: partition 0: exit code 0") {
        let mut line = String::new();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "{seen}");
        seen += &line;
    }
    std::thread::sleep(Duration::from_millis(200));
    let sent = Instant::now();
    send(&child, "-INT");
    let status = child.wait().unwrap();
    assert!(sent.elapsed() < Duration::from_secs(5));
    std::io::Read::read_to_string(&mut stderr, &mut seen).unwrap();
    assert_eq!(status.code(), Some(130), "{seen}");
    assert!(
        seen.ends_with(
            "bolinho: partition 2: not run\n\
             bolinho: results in out: summary.json, and each partition's in partitions/I\n\
             bolinho: error: partition 1 of 3 failed first, with exit code 130\n\
             bolinho: 1 partition did not run: a signal stopped the job\n"
        ),
        "{seen}"
    );
    // What ran is kept whole; partition 1 was stopped, in its guest (its results kept, and
    // its receipt says so) or, had the signal come first, before it (nothing of it kept).
    assert_eq!(read(&dir, "out/exitCode"), "130");
    assert_eq!(read(&dir, "out/partitions/0/exitCode"), "0");
    assert_eq!(read(&dir, "out/partitions/0/stdout"), "partition 0 of 3\n");
    let partitions = names(&dir.join("out/partitions"));
    match partitions.as_slice() {
        [zero, one] if zero == "0" && one == "1" => {
            assert_eq!(read(&dir, "out/partitions/1/exitCode"), "130");
            assert_eq!(receipt(&dir, 1)["outcome"]["stopped"], "SIGINT");
        }
        [zero] if zero == "0" => {}
        other => panic!("{other:?}"),
    }
    let summary: serde_json::Value = serde_json::from_str(&read(&dir, "out/summary.json")).unwrap();
    assert_eq!(
        summary["partitions"][2],
        serde_json::json!({"index": 2, "error": "not run: a signal stopped the job first"})
    );
}

#[test]
fn verify_refuses_a_jobs_directory_that_is_not_its_partitions_0_to_n() {
    let dir = job("together-verify", 3, &[]);
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let copy = |name: &str| {
        let status = std::process::Command::new("cp")
            .args(["-r", "out", name])
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    };
    // A partition left out, one added, a stray name, and a receipt moved to another index.
    copy("missing");
    fs::remove_dir_all(dir.join("missing/partitions/1")).unwrap();
    copy("stray");
    fs::create_dir(dir.join("stray/partitions/01")).unwrap();
    copy("moved");
    fs::copy(
        dir.join("out/partitions/0/receipt.json"),
        dir.join("moved/partitions/2/receipt.json"),
    )
    .unwrap();
    copy("other");
    let other = dir.join("other/partitions/2/receipt.json");
    let text = fs::read_to_string(&other).unwrap();
    let job_id = receipt_job_id(&dir);
    let job_id = job_id.as_str().unwrap();
    fs::write(
        &other,
        text.replace(job_id, "j-00000000-0000-0000-0000-000000000000"),
    )
    .unwrap();
    let cases = [
        (
            "missing",
            "missing/partitions: partition 1 is missing: a job's partitions are 0 to N-1",
        ),
        ("stray", "stray/partitions: 01 is not a partition's number"),
        (
            "moved",
            "moved/partitions/2/receipt.json is not the receipt of partition 2 of 3",
        ),
        (
            "other",
            "other/partitions/2/receipt.json is of another job than partition 0's",
        ),
    ];
    for (name, message) in cases {
        let out = bolinho(dir.path(), &["verify", name]);
        assert_eq!(out.code, 120, "{name}: {}", out.stderr);
        assert_eq!(out.stderr, format!("bolinho: error: {message}\n"), "{name}");
        assert_eq!(out.stdout, "", "{name}: nothing is rerun");
    }
}

#[test]
fn partitions_fetching_the_same_source_download_it_once() {
    let server = Server::start();
    server.route_fn("/data.txt", |request| {
        match request.header("if-none-match") {
            Some("\"v1\"") => Reply::not_modified().header("ETag", "\"v1\""),
            _ => Reply::ok("shared input\n")
                .header("ETag", "\"v1\"")
                // Long enough that the partitions' fetches overlap.
                .delay(Duration::from_millis(300)),
        }
    });
    let dir = job("together-fetch", 4, &[]);
    with_url_input(&dir, "/data.txt", &server.url("/data.txt"));
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--parallel", "4", "--results", "out"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let requests = server.requests_to("/data.txt");
    let full: Vec<_> = requests
        .iter()
        .filter(|r| r.header("if-none-match").is_none())
        .collect();
    // One download; the other partitions found it cached and only asked whether it changed.
    assert_eq!(full.len(), 1, "{requests:#?}");
    assert_eq!(requests.len(), 4);
}

#[test]
fn partitions_publishing_to_the_same_keys_are_warned_of() {
    let dir = job("together-keys", 2, &[]);
    let text = read(&dir, "job.yaml");
    let with_key = |key: &str| {
        text.replace(
            "    Network: {Type: None}\n",
            &format!(
                "    Network: {{Type: None}}\n    Publisher: {{Type: s3, Params: {{Bucket: b, Key: \
                 '{key}', Endpoint: '{}'}}}}\n",
                crate::http_server::closed_port_url("/")
            ),
        )
    };
    let warning = "bolinho: warning: the job's 2 partitions publish to the same S3 keys, each \
                   over the last: its Publisher's Key has no {executionID}\n";
    let cases = [
        ("runs/{jobID}/", true, "shared"),
        ("runs/{jobID}/{executionID}/", false, "own"),
    ];
    for (key, warned, results) in cases {
        dir.write("job.yaml", with_key(key));
        // The publish fails (nothing listens): the warning comes before anything runs.
        let out = bolinho(
            dir.path(),
            &["run", "job.yaml", "--partition", "1", "--results", results],
        );
        assert_eq!(out.code, 126, "{key}: {}", out.stderr);
        assert_eq!(
            out.stderr.starts_with(warning),
            warned,
            "{key}: {}",
            out.stderr
        );
    }
}

/// A server whose one route sends its headers and then a body of 10 MB, a kilobyte every 50
/// ms; each response's start is sent on the channel.
fn trickling_server() -> (String, std::sync::mpsc::Receiver<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/big.bin", listener.local_addr().unwrap());
    let (started, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let started = started.clone();
            std::thread::spawn(move || {
                let mut request = Vec::new();
                let mut byte = [0u8];
                while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    request.push(byte[0]);
                }
                let head =
                    "HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\n";
                if stream.write_all(head.as_bytes()).is_err() {
                    return;
                }
                let _ = started.send(());
                let deadline = Instant::now() + Duration::from_secs(30);
                while Instant::now() < deadline && stream.write_all(&[b'x'; 1024]).is_ok() {
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
    });
    (url, receive)
}

#[test]
fn a_signal_stops_partitions_downloading_at_once_and_leaves_nothing() {
    let (url, started) = trickling_server();
    let dir = job("together-download", 2, &[]);
    with_url_input(&dir, "/big.bin", &url);
    let child = support::command(dir.path(), &["run", "job.yaml", "--results", "out"], &[])
        .spawn()
        .unwrap();
    started.recv_timeout(Duration::from_secs(10)).unwrap();
    // Not the 8 minutes the download would take.
    let out = support::interrupt_after(child, Duration::from_millis(100));
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "bolinho: error: partition 0: stopped by SIGINT before the guest started; \
             nothing was kept\n"
        ) && out
            .stderr
            .ends_with("\nbolinho: error: no partition's guest started; nothing was kept\n"),
        "{}",
        out.stderr
    );
    assert_eq!(
        names(dir.path()),
        [".bolinho-cache", "job.yaml", "partition_exit.wasm"]
    );
    assert_eq!(names(&dir.join(".bolinho-cache/tmp")), Vec::<String>::new());
}

#[test]
fn a_signal_stops_partitions_waiting_for_a_servers_answer() {
    let server = Server::start();
    server.route("/silent.bin", Reply::hang());
    let dir = job("together-silent", 2, &[]);
    with_url_input(&dir, "/silent.bin", &server.url("/silent.bin"));
    let child = support::command(dir.path(), &["run", "job.yaml", "--results", "out"], &[])
        .spawn()
        .unwrap();
    let asked = Instant::now();
    while server.count("/silent.bin") == 0 {
        assert!(asked.elapsed() < Duration::from_secs(10), "no request came");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Not the 30 s a read may wait, three times over, for each partition in turn.
    let out = support::interrupt_after(child, Duration::ZERO);
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: running the job's 2 partitions, 2 at a time\n\
         bolinho: error: partition 0: stopped by SIGINT before the guest started; nothing was kept\n\
         bolinho: error: partition 1: stopped by SIGINT before the guest started; nothing was kept\n\
         bolinho: error: no partition's guest started; nothing was kept\n"
    );
    assert_eq!(server.count("/silent.bin"), 1, "no retry after the signal");
    // Nothing was downloaded: not even the cache's directory was made.
    assert_eq!(names(dir.path()), ["job.yaml", "partition_exit.wasm"]);
}

#[test]
fn a_signal_stops_the_verification_of_a_jobs_partitions() {
    // Partitions whose guests compute for most of a second each (bench/compute.wasm).
    let dir = TempDir::new("together-verify-signal");
    fs::copy(
        crate::support::root().join("bench/compute.wasm"),
        dir.join("compute.wasm"),
    )
    .unwrap();
    dir.write(
        "job.yaml",
        "Name: compute\nCount: 3\nTasks:\n  - Name: main\n    Engine: {Type: wasm, Params: \
         {EntryModule: /app/compute.wasm, Entrypoint: _start, Parameters: ['1']}}\n    \
         Network: {Type: None}\n    InputSources:\n      - Target: /app/compute.wasm\n        \
         Source: {Type: localDirectory, Params: {SourcePath: compute.wasm}}\n",
    );
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let child = support::command(dir.path(), &["verify", "out"], &[])
        .spawn()
        .unwrap();
    // Before any rerun can end, however many run at once: those running are stopped, and
    // the others never start.
    let out = support::interrupt_after(child, Duration::from_millis(200));
    assert_eq!(out.code, 130, "{}", out.stderr);
    assert_eq!(
        out.stdout, "",
        "a stopped rerun is no verification, failed or passed"
    );
    assert_eq!(
        out.stderr,
        "bolinho: error: stopped by SIGINT: partitions 0 to 2 not verified\n"
    );
}
