//! Small helpers every integration test uses: the binary, scratch directories, result trees.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The repository root, for testdata paths.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata(path: &str) -> PathBuf {
    root().join("testdata").join(path)
}

/// A directory removed when the test ends.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("bolinho-it-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, path: &str) -> PathBuf {
        self.0.join(path)
    }

    /// Writes a file (creating parents) and returns its path.
    pub fn write(&self, path: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let full = self.0.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, contents).unwrap();
        full
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sends `signal` (`-INT`, `-TERM`, `-KILL`) to a running bolinho.
pub fn send(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The first line a running bolinho writes on stdout (its guest's, streamed live).
pub fn first_line(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    line
}

/// The names in `dir`, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// `bolinho ARGS` in `cwd`, with `env` added, as every test runs it: none of the caller's
/// `BOLINHO_*` or `AWS_*` variables (a developer's settings must not change a test),
/// downloads cached in `cwd/.bolinho-cache` (never the user's cache), retries 5 ms apart, and
/// `BOLINHO_TEST_HOST_VAR` set for the tests of `env:NAME`. Stdin is empty.
pub fn command(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bolinho"));
    command
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Nor the task index of an orchestrator the tests may run under (`--partition auto`).
    let cleared = [
        "AWS_",
        "BOLINHO_",
        "JOB_COMPLETION_INDEX",
        "SLURM_ARRAY_TASK_",
        "CLOUD_RUN_TASK_",
        "BATCH_TASK_",
    ];
    for (name, _) in std::env::vars() {
        if cleared.iter().any(|prefix| name.starts_with(prefix)) {
            command.env_remove(name);
        }
    }
    command
        .env("BOLINHO_TEST_HOST_VAR", "from the host")
        .env("BOLINHO_CACHE_DIR", cwd.join(".bolinho-cache"))
        .env("BOLINHO_HTTP_BACKOFF_MS", "5");
    for (name, value) in env {
        command.env(name, value);
    }
    command
}

/// What a finished bolinho did.
pub fn output(out: std::process::Output) -> Output {
    Output {
        code: out
            .status
            .code()
            .expect("bolinho exits with a code, not a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `bolinho ARGS` in `cwd` (see `command`).
pub fn bolinho(cwd: &Path, args: &[&str]) -> Output {
    bolinho_env(cwd, args, &[])
}

/// Runs `bolinho ARGS` in `cwd` with `env` added (see `command`).
pub fn bolinho_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    output(
        command(cwd, args, env)
            .output()
            .expect("the bolinho binary runs"),
    )
}

/// Runs `bolinho ARGS` in `cwd` with `stdin` as its standard input.
pub fn bolinho_with_stdin(cwd: &Path, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = command(cwd, args, &[])
        .stdin(Stdio::piped())
        .spawn()
        .expect("the bolinho binary runs");
    let mut input = child.stdin.take().unwrap();
    // Written from another thread while this one reads the output: a guest that writes more
    // than a pipe holds before it has read all its input would otherwise wait on this test,
    // and this test on it. A guest that never reads stdin may exit first: a broken pipe here
    // is not a failure. The pipe closes when `input` is dropped, at the thread's end.
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let _ = input.write_all(stdin);
        });
        output(child.wait_with_output().unwrap())
    })
}

/// The files below `dir` with their contents, as sorted `path: contents` lines; directories
/// end in `/`. Compares whole result trees in one assertion; `receipt.json` and `tape`, which
/// the verify and tape tests check, are left out.
pub fn tree(dir: &Path) -> String {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        entries.retain(|p| {
            p.file_name()
                .is_none_or(|n| n != "receipt.json" && n != "tape")
        });
        for path in entries {
            let rel = path.strip_prefix(base).unwrap().display().to_string();
            if path.is_dir() {
                out.push(format!("{rel}/"));
                walk(base, &path, out);
            } else {
                out.push(format!(
                    "{rel}: {}",
                    String::from_utf8_lossy(&std::fs::read(&path).unwrap())
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.join("\n")
}

/// `sha256:HEX` of `bytes`, as receipts write it.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// A `verify` that found everything as recorded: exit 0, and every line it printed `ok`.
pub fn assert_all_ok(out: &Output) {
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.lines().all(|l| l.starts_with("ok  ")),
        "{}",
        out.stdout
    );
}

/// Credentials for a loopback S3 endpoint, which reads none of them.
pub const LOOPBACK_CREDENTIALS: [(&str, &str); 2] =
    [("AWS_ACCESS_KEY_ID", "k"), ("AWS_SECRET_ACCESS_KEY", "s")];

/// Writes `job.yaml` in `dir`: `hello.wasm`, its results published to the bucket `b` of the
/// S3 endpoint `endpoint`, under `runs/`.
pub fn publishing_job(dir: &TempDir, endpoint: &str) {
    dir.write(
        "job.yaml",
        format!(
            "Name: publish\nTasks:\n  - Name: main\n    Engine: {{Type: wasm, Params: \
             {{EntryModule: /m.wasm}}}}\n    Publisher: {{Type: s3, Params: {{Bucket: b, Key: \
             runs, Endpoint: '{endpoint}'}}}}\n    InputSources:\n      - Target: /m.wasm\n        \
             Source: {{Type: local, Params: {{SourcePath: {}}}}}\n",
            testdata("wasm/hello.wasm").display()
        ),
    );
}

/// Sends SIGINT to `child` after `after`, and what it did, which must end within 5 s of it.
pub fn interrupt_after(child: std::process::Child, after: std::time::Duration) -> Output {
    std::thread::sleep(after);
    let sent = std::time::Instant::now();
    send(&child, "-INT");
    let out = output(child.wait_with_output().unwrap());
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        sent.elapsed()
    );
    out
}
