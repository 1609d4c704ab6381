//! Bundles (README "Bundles"): `bolinho bundle` packs a run into one file, and `bolinho verify
//! FILE` replays it from that file alone, in any directory, after the run's sources and results
//! are gone. The attacks on `verify FILE` are in `hostile::bundles`.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

use crate::http_server::{Reply, Server};
use crate::support::{Output, TempDir, bolinho, bolinho_env, names, sha256, testdata};

/// `verify`'s job (upper-casing each file of `/inputs` into `/outputs`), its inputs given a
/// link and an empty directory too: every kind of entry a bundle rebuilds.
pub fn transform_job(name: &str) -> TempDir {
    let dir = crate::verify::job_dir(name);
    std::os::unix::fs::symlink("a.txt", dir.join("inputs/link")).unwrap();
    fs::create_dir(dir.join("inputs/empty")).unwrap();
    dir
}

/// Runs `dir/job.yaml` into `dir/out` and bundles it into `dir/job.bundle`; the bundle's path.
pub fn run_and_bundle(dir: &TempDir) -> PathBuf {
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--results", "out", "--quiet-portability"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "job.bundle"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    dir.join("job.bundle")
}

/// One entry of a bundle, as the tests read and write them.
#[derive(Clone, Debug)]
pub struct Entry {
    pub name: Vec<u8>,
    pub kind: tar::EntryType,
    pub data: Vec<u8>,
}

/// The entries of the bundle at `path`, in order.
pub fn entries(path: &Path) -> Vec<Entry> {
    let mut archive = tar::Archive::new(GzDecoder::new(fs::File::open(path).unwrap()));
    let entries = archive.entries().unwrap().raw(true);
    entries
        .map(|entry| {
            let mut entry = entry.unwrap();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            Entry {
                name: entry.path_bytes().into_owned(),
                kind: entry.header().entry_type(),
                data,
            }
        })
        .collect()
}

/// A gzip-compressed tar of `entries`, names written as they are (`..` included).
pub fn pack(entries: &[Entry]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for entry in entries {
        let mut header = tar::Header::new_ustar();
        header.as_old_mut().name[..entry.name.len()].copy_from_slice(&entry.name);
        header.set_entry_type(entry.kind);
        header.set_mode(0o644);
        header.set_size(entry.data.len() as u64);
        header.set_cksum();
        tar.append(&header, entry.data.as_slice()).unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap()
}

/// `blobs/sha256/HEX` of `bytes`, as a bundle names it.
pub fn blob_name(bytes: &[u8]) -> Vec<u8> {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("blobs/sha256/{hex}").into_bytes()
}

/// The bundle's receipt, parsed.
pub fn receipt_of(entries: &[Entry]) -> serde_json::Value {
    serde_json::from_slice(&entries[1].data).unwrap()
}

/// `entries` with the receipt replaced by `receipt`.
pub fn with_receipt(entries: &[Entry], receipt: &serde_json::Value) -> Vec<Entry> {
    let mut entries = entries.to_vec();
    entries[1].data = serde_json::to_vec_pretty(receipt).unwrap();
    entries
}

/// `bolinho verify BUNDLE ARGS` in a new, empty directory, with a temporary directory of its
/// own; checks that both are as they were when it ends (only what `--keep` asks for may be
/// added to the first).
pub fn verify_elsewhere(bundle: &[u8], args: &[&str]) -> (Output, TempDir) {
    let elsewhere = TempDir::new("bundle-elsewhere");
    let tmp = TempDir::new("bundle-tmp");
    fs::write(elsewhere.join("job.bundle"), bundle).unwrap();
    let mut all = vec!["verify", "job.bundle"];
    all.extend(args);
    let tmpdir = tmp.path().display().to_string();
    let out = bolinho_env(elsewhere.path(), &all, &[("TMPDIR", &tmpdir)]);
    assert_eq!(
        names(tmp.path()),
        Vec::<String>::new(),
        "scratch left behind"
    );
    (out, elsewhere)
}

#[test]
fn a_bundle_replays_in_another_directory_after_the_run_and_its_sources_are_gone() {
    let dir = transform_job("bundle-replay");
    let bundle = run_and_bundle(&dir);
    let original = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(original.code, 0, "{}", original.stderr);
    let bytes = fs::read(&bundle).unwrap();
    drop(dir);
    let (out, elsewhere) = verify_elsewhere(&bytes, &[]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stdout, original.stdout);
    assert!(
        out.stdout.contains("ok  outputs/link.upper  sha256:"),
        "{}",
        out.stdout
    );
    assert_eq!(out.stderr, "");
    assert_eq!(names(elsewhere.path()), ["job.bundle"]);
}

#[test]
fn a_bundle_holds_each_content_once_and_the_same_run_gives_the_same_bytes() {
    let dir = transform_job("bundle-layout");
    let bundle = run_and_bundle(&dir);
    let entries = entries(&bundle);
    let names: Vec<String> = entries
        .iter()
        .map(|e| String::from_utf8(e.name.clone()).unwrap())
        .collect();
    assert_eq!(names[..2], ["bundle.json", "receipt.json"]);
    assert_eq!(
        entries[1].data,
        fs::read(dir.join("out/receipt.json")).unwrap()
    );
    // a.txt.upper and link.upper hold the same bytes, as do stderr and nothing else: one blob
    // each; a link's blob is its target's text.
    let blobs = &names[2..];
    let mut sorted = blobs.to_vec();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, blobs, "blobs in name order, each once");
    for content in [&b"alpha\n"[..], b"ALPHA\n", b"a.txt", b""] {
        let name = String::from_utf8(blob_name(content)).unwrap();
        assert!(blobs.contains(&name), "{name} in {blobs:?}");
    }
    for entry in &entries[2..] {
        assert_eq!(entry.name, blob_name(&entry.data));
        assert_eq!(entry.kind, tar::EntryType::Regular);
    }
    // A second bundle of the same run, made from its receipt.json: the same bytes.
    let out = bolinho(
        dir.path(),
        &["bundle", "out/receipt.json", "-o", "again.bundle"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        fs::read(dir.join("again.bundle")).unwrap(),
        fs::read(&bundle).unwrap()
    );
}

#[test]
fn bundle_never_writes_over_a_file_and_leaves_nothing_half_written() {
    let dir = transform_job("bundle-exists");
    run_and_bundle(&dir);
    dir.write("taken.bundle", "keep");
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "taken.bundle"]);
    assert_eq!((out.code, out.stdout.as_str()), (118, ""));
    assert_eq!(
        out.stderr,
        "bolinho: error: failed to write taken.bundle: it exists; bolinho never writes over a \
         file\n"
    );
    assert_eq!(
        fs::read_to_string(dir.join("taken.bundle")).unwrap(),
        "keep"
    );
    let left: Vec<String> = names(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".bolinho-bundle-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn bundle_names_a_file_that_changed_since_the_run() {
    let dir = transform_job("bundle-changed");
    run_and_bundle(&dir);
    dir.write("inputs/sub/b.txt", "BETA\n");
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "new.bundle"]);
    assert_eq!((out.code, out.stdout.as_str()), (118, ""));
    let inputs = fs::canonicalize(dir.join("inputs")).unwrap();
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to find input /inputs/sub/b.txt as the run had it ({}): \
             {}/sub/b.txt does not hash as the receipt records\n",
            sha256(b"beta\n"),
            inputs.display()
        )
    );
    assert!(!dir.join("new.bundle").exists());
    // So does a result.
    dir.write("inputs/sub/b.txt", "beta\n");
    dir.write("out/stdout", "changed");
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "new.bundle"]);
    assert_eq!(out.code, 118);
    assert!(
        out.stderr
            .contains("failed to find result stdout as the run had it")
            && out
                .stderr
                .contains("out/stdout does not hash as the receipt records"),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_keep_keeps_the_rerun_results_in_a_new_directory() {
    let dir = transform_job("bundle-keep");
    let bundle = fs::read(run_and_bundle(&dir)).unwrap();
    let (out, elsewhere) = verify_elsewhere(&bundle, &["--keep", "replay"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(out.stderr, "bolinho: the rerun's results are in replay\n");
    assert_eq!(
        crate::support::tree(&elsewhere.join("replay")),
        crate::support::tree(&dir.join("out"))
    );
    assert_eq!(
        fs::read(elsewhere.join("replay/receipt.json")).unwrap(),
        fs::read(dir.join("out/receipt.json")).unwrap()
    );
    // An existing directory is refused before anything runs, and left as it was.
    let again = bolinho(
        elsewhere.path(),
        &["verify", "job.bundle", "--keep", "replay"],
    );
    assert_eq!((again.code, again.stdout.as_str()), (125, ""));
    assert_eq!(
        again.stderr,
        "bolinho: error: failed to keep the rerun's results in replay: it exists; --keep takes \
         a directory that does not\n"
    );
    // A receipt's rerun too.
    let out = bolinho(
        dir.path(),
        &["verify", "out/receipt.json", "--keep", "kept"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        crate::support::tree(&dir.join("kept")),
        crate::support::tree(&dir.join("out"))
    );
    assert_eq!(
        fs::read(dir.join("kept/receipt.json")).unwrap(),
        fs::read(dir.join("out/receipt.json")).unwrap()
    );
}

/// The bundle of `dir`'s run with the receipt's stdout recorded as `stdout` instead, and that
/// content as a blob in place of the real stdout's.
fn with_stdout(bundle: &Path, stdout: &[u8]) -> Vec<u8> {
    let entries = entries(bundle);
    let mut receipt = receipt_of(&entries);
    let real = receipt["results"]["stdout"].as_str().unwrap().to_string();
    receipt["results"]["stdout"] = sha256(stdout).into();
    let mut entries = with_receipt(&entries, &receipt);
    entries.retain(|e| sha256(&e.data) != real || e.name == b"receipt.json");
    entries.push(Entry {
        name: blob_name(stdout),
        kind: tar::EntryType::Regular,
        data: stdout.to_vec(),
    });
    pack(&entries)
}

#[test]
fn verify_names_the_first_differing_byte_of_a_result() {
    let dir = transform_job("bundle-first-byte");
    let bundle = run_and_bundle(&dir);
    let stdout = fs::read(dir.join("out/stdout")).unwrap();
    let mut other = stdout.clone();
    other[3] ^= 0x20;
    let (out, _elsewhere) = verify_elsewhere(&with_stdout(&bundle, &other), &[]);
    assert_eq!(out.code, 120, "{}", out.stderr);
    let line = format!(
        "DIFF stdout: expected {}, got {}; first difference at byte 3",
        sha256(&other),
        sha256(&stdout)
    );
    assert!(out.stdout.lines().any(|l| l == line), "{}", out.stdout);
    // Where one of the two ends first, that is said.
    let longer = [stdout.as_slice(), b"more"].concat();
    let (out, _elsewhere) = verify_elsewhere(&with_stdout(&bundle, &longer), &[]);
    let line = format!(
        "DIFF stdout: expected {}, got {}; first difference at byte {}, where the rerun's ends",
        sha256(&longer),
        sha256(&stdout),
        stdout.len()
    );
    assert!(out.stdout.lines().any(|l| l == line), "{}", out.stdout);
}

#[test]
fn verify_of_a_receipt_names_the_first_differing_byte_from_the_results_beside_it() {
    let dir = transform_job("receipt-first-byte");
    run_and_bundle(&dir);
    let stdout = fs::read(dir.join("out/stdout")).unwrap();
    let mut other = stdout.clone();
    other.truncate(5);
    // The results directory holds other bytes than the run's, and a receipt that says so.
    let path = dir.join("out/receipt.json");
    let mut receipt: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    receipt["results"]["stdout"] = sha256(&other).into();
    fs::write(&path, serde_json::to_string_pretty(&receipt).unwrap()).unwrap();
    fs::write(dir.join("out/stdout"), &other).unwrap();
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 120, "{}", out.stderr);
    let line = format!(
        "DIFF stdout: expected {}, got {}; first difference at byte 5, where the expected one \
         ends",
        sha256(&other),
        sha256(&stdout)
    );
    assert!(out.stdout.lines().any(|l| l == line), "{}", out.stdout);
    // Bytes beside the receipt that do not hash as it records say nothing.
    fs::write(dir.join("out/stdout"), b"something else").unwrap();
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    let line = format!(
        "DIFF stdout: expected {}, got {}",
        sha256(&other),
        sha256(&stdout)
    );
    assert!(out.stdout.lines().any(|l| l == line), "{}", out.stdout);
}

#[test]
fn a_module_run_replays_from_its_bundle_with_its_module_named_as_it_was() {
    let dir = TempDir::new("bundle-module-argv");
    fs::copy(testdata("wasm/env.wasm"), dir.join("env.wasm")).unwrap();
    let out = bolinho(
        dir.path(),
        &["run", "--results", "out", "env.wasm", "--", "x"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("argv[0]=env.wasm\n"), "{}", out.stdout);
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "run.bundle"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bytes = fs::read(dir.join("run.bundle")).unwrap();
    drop(dir);
    let (out, elsewhere) = verify_elsewhere(&bytes, &["--keep", "replay"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let stdout = fs::read_to_string(elsewhere.join("replay/stdout")).unwrap();
    assert!(stdout.contains("argv[0]=env.wasm\n"), "{stdout}");
}

#[test]
fn a_module_run_with_an_import_replays_from_its_bundle() {
    let dir = TempDir::new("bundle-module-run");
    fs::copy(testdata("wat/uses_memlib.wat"), dir.join("uses_memlib.wat")).unwrap();
    fs::copy(testdata("wat/memlib.wat"), dir.join("memlib.wat")).unwrap();
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "--results",
            "out",
            "--import",
            "memlib=memlib.wat",
            "uses_memlib.wat",
        ],
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, "hello from memlib\n"));
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "run.bundle"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bytes = fs::read(dir.join("run.bundle")).unwrap();
    drop(dir);
    let (out, _elsewhere) = verify_elsewhere(&bytes, &[]);
    crate::support::assert_all_ok(&out);
}

#[test]
fn a_downloaded_input_is_bundled_from_the_cache_once_its_server_is_gone() {
    let server = Server::start();
    server.route("/data.txt", Reply::ok("from the server\n"));
    let dir = TempDir::new("bundle-url");
    fs::copy(testdata("wasm/cat.wasm"), dir.join("cat.wasm")).unwrap();
    dir.write(
        "job.yaml",
        format!(
            "Name: fetch\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      Params:\n        \
             EntryModule: /app/cat.wasm\n        Parameters: [/data/data.txt]\n    InputSources:\n      \
             - Target: /app/cat.wasm\n        Source: {{Type: local, Params: {{SourcePath: cat.wasm}}}}\n      \
             - Target: /data\n        Source: {{Type: urlDownload, Params: {{URL: \"{}\"}}}}\n",
            server.url("/data.txt")
        ),
    );
    let out = bolinho(
        dir.path(),
        &["run", "job.yaml", "--results", "out", "--quiet-portability"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "from the server\n"),
        "{}",
        out.stderr
    );
    // Not in the cache: fetched again, unless --offline.
    fs::remove_dir_all(dir.join(".bolinho-cache")).unwrap();
    let out = bolinho(
        dir.path(),
        &["bundle", "out", "-o", "a.bundle", "--offline"],
    );
    assert_eq!(out.code, 122, "{}", out.stderr);
    assert!(
        out.stderr.ends_with("and --offline is set\n"),
        "{}",
        out.stderr
    );
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "a.bundle"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(server.count("/data.txt"), 2);
    // In the cache (here the one --cache-dir names): taken from there, server or not.
    drop(server);
    let out = bolinho_env(
        dir.path(),
        &[
            "bundle",
            "out",
            "-o",
            "job.bundle",
            "--cache-dir",
            ".bolinho-cache",
        ],
        &[("BOLINHO_CACHE_DIR", "/nonexistent")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bytes = fs::read(dir.join("job.bundle")).unwrap();
    assert_eq!(bytes, fs::read(dir.join("a.bundle")).unwrap());
    drop(dir);
    let (out, _elsewhere) = verify_elsewhere(&bytes, &[]);
    crate::support::assert_all_ok(&out);
}

/// Verifies `bytes` elsewhere and checks that every line is `ok`, the first the tape's.
fn replays_with_tape(bytes: &[u8], answers: &str) {
    let (out, _elsewhere) = verify_elsewhere(bytes, &[]);
    crate::tapes::assert_verified(&out, answers);
}

#[test]
fn a_nondeterministic_run_replays_from_the_tape_in_its_bundle() {
    let dir = TempDir::new("bundle-tape");
    fs::copy(
        testdata("wat/clock_random.wat"),
        dir.join("clock_random.wat"),
    )
    .unwrap();
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "--nondeterministic",
            "--results",
            "out",
            "clock_random.wat",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let tape = fs::read(dir.join("out/tape")).unwrap();
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "run.bundle"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bytes = fs::read(dir.join("run.bundle")).unwrap();
    assert!(
        entries(&dir.join("run.bundle"))
            .iter()
            .any(|e| e.data == tape)
    );
    // Without its tape, a run cannot be bundled.
    fs::remove_file(dir.join("out/tape")).unwrap();
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "again.bundle"]);
    assert_eq!(out.code, 118);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: failed to find the tape as the run had it ({}): out/tape: no such \
             file or directory\n",
            sha256(&tape)
        )
    );
    drop(dir);
    replays_with_tape(&bytes, "6 answers");
}

#[test]
fn a_network_run_replays_from_its_bundle_with_no_server_and_no_sources() {
    let dir = TempDir::new("bundle-network");
    fs::copy(testdata("wat/net_request.wat"), dir.join("net_request.wat")).unwrap();
    let server = Server::start();
    server.route("/answer", Reply::ok("the answer"));
    let url = server.url("/answer");
    let out = bolinho(
        dir.path(),
        &[
            "run",
            "--network",
            "host",
            "--results",
            "out",
            "net_request.wat",
            "--",
            "GET",
            &url,
            "",
            "",
            "4096",
            "4096",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.ends_with("the answer\n"), "{}", out.stdout);
    drop(server);
    let out = bolinho(dir.path(), &["bundle", "out", "-o", "run.bundle"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let bytes = fs::read(dir.join("run.bundle")).unwrap();
    drop(dir);
    replays_with_tape(&bytes, "1 answer");
}
