//! No host file is read or written outside the mounts: not through the results directory, not
//! through the hashing of outputs or inputs, not through a receipt handed to `verify`, not
//! through bolinho's own temporary files.

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::time::{Duration, Instant};

use super::{hostile_job, receipt};
use crate::support::sha256;
use crate::support::{self, TempDir, bolinho, bolinho_env, names, testdata};

/// The job's directory mounted read-write at /w, so that results under it (the default
/// `./bolinho-results`) would be in the guest's reach; the guest plants links named after
/// results files everywhere below /w, pointing at `victim` beside the job.
fn planting_job(dir: &TempDir) {
    hostile_job(
        dir,
        &["plant", "/w", "../../../../victim"],
        "      - Target: /w\n        Source: {Type: local, Params: {SourcePath: ., ReadWrite: true}}\n",
    );
    dir.write("victim", "keep");
}

#[test]
fn results_inside_a_writable_mount_are_refused_before_the_guest_runs() {
    let dir = TempDir::new("hostile-results-in-mount");
    planting_job(&dir);
    let mount = fs::canonicalize(dir.path()).unwrap();
    for (args, shown) in [
        (
            vec!["run", "job.yaml", "--quiet-portability"],
            "bolinho-results/hostile-1",
        ),
        (
            vec!["run", "job.yaml", "--quiet-portability", "--results", "out"],
            "out",
        ),
    ] {
        let out = bolinho(dir.path(), &args);
        assert_eq!(out.code, 125, "{}", out.stderr);
        assert_eq!(out.stdout, "", "the guest never ran");
        assert_eq!(
            out.stderr,
            format!(
                "bolinho: error: failed to use {shown}: it lies inside \
                 Tasks[0].InputSources[1] ({}), which the guest may write to; give --results a \
                 directory outside it\n",
                mount.display()
            )
        );
        assert_eq!(names(dir.path()), ["app", "job.yaml", "victim"]);
    }
    // A module run's --dir is read-write too.
    let module = testdata("wasm/hostile.wasm").display().to_string();
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "--dir",
            ".::/w",
            "--results",
            "out",
            &module,
            "--",
            "plant",
            "/w",
            "x",
        ],
    );
    assert_eq!(out.code, 125, "{}", out.stderr);
    assert!(
        out.stderr.contains("it lies inside --dir .::/w"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_to_string(dir.join("victim")).unwrap(), "keep");

    // Outside the mount, the guest plants its links in vain.
    let elsewhere = TempDir::new("hostile-results-elsewhere");
    let results = elsewhere.join("out");
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--results", results.to_str().unwrap()],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "done\n"),
        "{}",
        out.stderr
    );
    assert_eq!(fs::read_to_string(dir.join("victim")).unwrap(), "keep");
    assert_eq!(fs::read_to_string(results.join("exitCode")).unwrap(), "0");
    assert_eq!(
        fs::read_to_string(results.join("stdout")).unwrap(),
        "done\n"
    );
}

#[test]
fn receipts_record_a_guests_links_as_links_never_what_they_point_at() {
    let dir = TempDir::new("hostile-output-links");
    dir.write("secret", "the host's secret\n");
    dir.write("tree/inner", "inner\n");
    // The output directory is out/.bolinho-partial/outputs while the guest runs.
    hostile_job(
        &dir,
        &[
            "links",
            "/outputs",
            "file=../../../secret",
            "dir=../../../tree",
            "root=../../../../../../../../../../../..",
            "dangling=nowhere",
            "loop=loop",
        ],
        "",
    );
    let started = Instant::now();
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a link to / is not walked"
    );
    let results = &receipt(&dir.join("out"))["results"];
    let link = |target: &str| format!("symlink:{}", sha256(target.as_bytes()));
    assert_eq!(results["outputs/file"], link("../../../secret"));
    assert_eq!(results["outputs/dir"], link("../../../tree"));
    assert_eq!(results["outputs/dangling"], link("nowhere"));
    assert_eq!(results["outputs/loop"], link("loop"));
    let keys: Vec<&String> = results.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "outputs/dangling",
            "outputs/dir",
            "outputs/file",
            "outputs/loop",
            "outputs/root",
            "stderr",
            "stdout"
        ],
        "nothing behind a link is listed"
    );
    let text = fs::read_to_string(dir.join("out/receipt.json")).unwrap();
    assert!(!text.contains(&sha256(b"the host's secret\n")));
    assert!(!text.contains(&sha256(b"inner\n")));
}

#[test]
fn inputs_holding_links_fifos_and_unreadable_files_run_and_are_recorded_as_the_guest_sees_them() {
    let dir = TempDir::new("hostile-input-entries");
    dir.write("secret", "the host's secret\n");
    dir.write("data/plain.txt", "plain\n");
    symlink("../secret", dir.join("data/outside")).unwrap();
    symlink("nowhere", dir.join("data/dangling")).unwrap();
    symlink("loop", dir.join("data/loop")).unwrap();
    let fifo = std::ffi::CString::new(dir.join("data/pipe").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    dir.write("data/locked", "locked\n");
    fs::set_permissions(dir.join("data/locked"), fs::Permissions::from_mode(0o000)).unwrap();
    hostile_job(
        &dir,
        &["write", "0"],
        "      - Target: /data\n        Source: {Type: local, Params: {SourcePath: ./data}}\n",
    );
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let inputs = &receipt(&dir.join("out"))["inputs"];
    let link = |target: &str| format!("symlink:{}", sha256(target.as_bytes()));
    assert_eq!(inputs["/data/plain.txt"], sha256(b"plain\n"));
    assert_eq!(inputs["/data/outside"], link("../secret"));
    assert_eq!(inputs["/data/dangling"], link("nowhere"));
    assert_eq!(inputs["/data/loop"], link("loop"));
    assert_eq!(inputs["/data/pipe"], "fifo");
    // SAFETY: geteuid has no preconditions.
    let locked = if unsafe { libc::geteuid() } == 0 {
        sha256(b"locked\n") // root reads it, and so would its guest
    } else {
        "unreadable".to_string()
    };
    assert_eq!(inputs["/data/locked"], locked);
    let text = fs::read_to_string(dir.join("out/receipt.json")).unwrap();
    assert!(!text.contains(&sha256(b"the host's secret\n")));
}

/// A receipt of a small job that writes 3 bytes, in `dir/out`, parsed for tampering.
fn receipt_to_tamper(dir: &TempDir) -> serde_json::Value {
    hostile_job(dir, &["write", "3"], "");
    let out = bolinho(dir.path(), &["run", "job.yaml", "--results", "out"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    receipt(&dir.join("out"))
}

/// Runs `verify` on `tampered`, written beside the job.
fn verify(dir: &TempDir, tampered: &serde_json::Value) -> crate::support::Output {
    dir.write(
        "tampered.json",
        serde_json::to_string_pretty(tampered).unwrap(),
    );
    bolinho(dir.path(), &["verify", "tampered.json"])
}

/// Adds a local source to a receipt's plan, and what the receipt says of it.
fn add_input(receipt: &mut serde_json::Value, source: serde_json::Value, target: &str, hash: &str) {
    let inputs = receipt["plan"]["inputs"].as_array_mut().unwrap();
    inputs.push(serde_json::json!({
        "source": source,
        "target": target,
        "field": "Tasks[0].InputSources[9]",
    }));
    receipt["inputs"][target] = hash.into();
}

#[test]
fn verify_checks_a_receipts_plan_as_a_job_file_is_checked() {
    let dir = TempDir::new("hostile-verify-plan");
    let mut tampered = receipt_to_tamper(&dir);
    tampered["plan"]["outputs"][0]["name"] = "../../../victim/.ssh".into();
    let out = verify(&dir, &tampered);
    assert_eq!(out.code, 120, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: the receipt's plan is not one a job file could give: tampered.json: \
         plan.outputs[0].name: invalid name `../../../victim/.ssh`: it must be a plain directory \
         name\n"
    );
    assert!(!dir.join("victim").exists());
}

#[test]
fn verify_never_writes_or_creates_a_host_path_a_receipt_names() {
    let dir = TempDir::new("hostile-verify-writes");
    let mut tampered = receipt_to_tamper(&dir);
    // A file the receipt knows the hash of (it is empty: the hash of nothing), which the
    // guest then writes into.
    let created = dir.join("victim/new.txt");
    add_input(
        &mut tampered,
        serde_json::json!({"type": "local", "path": created, "readWrite": true, "createAs": "file"}),
        "/new.txt",
        &sha256(b""),
    );
    dir.write("existing.txt", "keep");
    add_input(
        &mut tampered,
        serde_json::json!({"type": "local", "path": dir.join("existing.txt"), "readWrite": true, "createAs": "noCreate"}),
        "/existing.txt",
        &sha256(b"keep"),
    );
    tampered["plan"]["args"] = serde_json::json!(["sparse", "/existing.txt", "100"]);
    // The seed follows the arguments; a tampered plan pins the receipt's.
    tampered["plan"]["determinism"] =
        serde_json::json!({"seed": tampered["determinism"]["virtual"]["seed"]});
    let out = verify(&dir, &tampered);
    // The guest ran (on private copies) and produced other results than the receipt's.
    assert_eq!(out.code, 120, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("DIFF stdout"), "{}", out.stdout);
    assert!(!dir.join("victim").exists(), "nothing created on the host");
    assert_eq!(
        fs::read_to_string(dir.join("existing.txt")).unwrap(),
        "keep"
    );
}

#[test]
fn verify_never_reveals_the_digest_of_a_file_a_receipt_names() {
    let dir = TempDir::new("hostile-verify-digest");
    let mut tampered = receipt_to_tamper(&dir);
    dir.write("shadow", "root:$6$secret:19000:0:99999:7:::\n");
    fs::set_permissions(dir.join("shadow"), fs::Permissions::from_mode(0o600)).unwrap();
    let zeros = format!("sha256:{}", "0".repeat(64));
    add_input(
        &mut tampered,
        serde_json::json!({"type": "local", "path": dir.join("shadow"), "readWrite": false, "createAs": "noCreate"}),
        "/shadow",
        &zeros,
    );
    let out = verify(&dir, &tampered);
    assert_eq!(out.code, 120, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: the job's sources differ from the receipt, so it was not run: \
             input /shadow: expected {zeros}, found other content\n"
        )
    );
    let digest = sha256(b"root:$6$secret:19000:0:99999:7:::\n");
    assert!(!out.stdout.contains(&digest) && !out.stderr.contains(&digest));
}

#[test]
fn verify_refuses_a_receipt_naming_a_huge_tree_without_reading_it() {
    let dir = TempDir::new("hostile-verify-root");
    let mut tampered = receipt_to_tamper(&dir);
    add_input(
        &mut tampered,
        serde_json::json!({"type": "local", "path": "/", "readWrite": false, "createAs": "noCreate"}),
        "/host",
        &sha256(b""),
    );
    let started = Instant::now();
    let out = verify(&dir, &tampered);
    assert_eq!(out.code, 120, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: the job's sources differ from the receipt, so it was not run: /host \
         holds more files than the receipt records\n"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn verify_reads_no_module_that_is_not_a_regular_file() {
    let dir = TempDir::new("hostile-verify-device");
    let mut tampered = receipt_to_tamper(&dir);
    tampered["plan"]["inputs"][0]["source"]["path"] = "/dev/zero".into();
    let out = verify(&dir, &tampered);
    assert_eq!(out.code, 122, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to fetch Tasks[0].InputSources[0] (local path /dev/zero): not a \
         regular file or directory\n"
    );
    // A module run's receipt names its module by host path.
    let module = testdata("wasm/hostile.wasm").display().to_string();
    let out = bolinho(
        dir.path(),
        &["run", "--results", "mr", &module, "--", "write", "3"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut tampered = receipt(&dir.join("mr"));
    tampered["plan"]["entryModule"]["host"] = "/dev/zero".into();
    let out = verify(&dir, &tampered);
    assert_eq!(out.code, 122, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to fetch /dev/zero (module /dev/zero): failed to read /dev/zero: \
         not a regular file\n"
    );
}

#[test]
fn scratch_directories_are_private_and_removed() {
    let dir = TempDir::new("hostile-scratch");
    let tmp = dir.join("tmp");
    fs::create_dir(&tmp).unwrap();
    hostile_job(
        &dir,
        &["write", "3"],
        "      - Target: /inline\n        Source: {Type: inline, Params: {URL: 'data:,hello'}}\n",
    );
    let env = [("TMPDIR", tmp.to_str().unwrap())];
    let out = bolinho_env(dir.path(), &["run", "job.yaml", "--results", "out"], &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = bolinho_env(dir.path(), &["verify", "out/receipt.json"], &env);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(names(&tmp).is_empty(), "{:?}", names(&tmp));

    // While a run goes on: its scratch directory is private, under a name no one can guess.
    dir.write(
        "spin.yaml",
        format!(
            "Name: spin\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: {{EntryModule: /m.wat}}}}\n    \
             InputSources:\n      - Target: /m.wat\n        Source: {{Type: local, Params: {{SourcePath: {}}}}}\n      \
             - Target: /inline\n        Source: {{Type: inline, Params: {{URL: 'data:,hello'}}}}\n",
            testdata("wat/forever.wat").display()
        ),
    );
    let mut child = support::command(
        dir.path(),
        &["run", "spin.yaml", "--results", "spin", "--timeout", "2"],
        &env,
    )
    .spawn()
    .unwrap();
    assert_eq!(support::first_line(&mut child), "started\n");
    let scratch = names(&tmp);
    assert_eq!(scratch.len(), 1, "{scratch:?}");
    let random = scratch[0].strip_prefix("bolinho-").unwrap();
    assert!(
        random.len() == 16 && random.chars().all(|c| c.is_ascii_hexdigit()),
        "{random}"
    );
    let mode = fs::metadata(tmp.join(&scratch[0]))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o700);
    assert_eq!(child.wait().unwrap().code(), Some(124));
    assert!(names(&tmp).is_empty(), "{:?}", names(&tmp));
}
