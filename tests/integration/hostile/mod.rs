//! Hostile guests and hostile layouts: what a guest, a job file, a receipt or a bundle handed
//! over by someone else, or the machine itself (a full disk, a signal at the worst moment) can
//! do to what is around the sandbox. Each test attacks as the issue that found the hole
//! described it, and checks that no host file outside the mounts is read or written, that bolinho ends
//! with a clear outcome, and that results that were produced are kept.
//!
//! Most use `testdata/c/hostile.c` (`hostile.wasm`), a guest that plants links, nests
//! directories past PATH_MAX, makes sparse files and floods stdout on request.

mod access;
mod bundles;
mod limits;
mod results;

use std::fs;
use std::path::Path;

use crate::support::{TempDir, testdata};

/// `hostile.wasm` copied into `dir/app/`, and `dir/job.yaml` running it with `args`, the
/// module at `/app`, `extra` (YAML lines of the task, indented by four spaces) and an output
/// directory `/outputs` saved as `outputs`.
fn hostile_job(dir: &TempDir, args: &[&str], extra: &str) {
    fs::create_dir_all(dir.join("app")).unwrap();
    fs::copy(testdata("wasm/hostile.wasm"), dir.join("app/hostile.wasm")).unwrap();
    let args: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
    dir.write(
        "job.yaml",
        format!(
            "Name: hostile\nTasks:\n  - Name: main\n    Engine:\n      Type: wasm\n      Params:\n        \
             EntryModule: /app/hostile.wasm\n        Parameters: [{}]\n    InputSources:\n      \
             - Target: /app\n        Source: {{Type: local, Params: {{SourcePath: ./app}}}}\n{extra}    \
             ResultPaths:\n      - {{Name: outputs, Path: /outputs}}\n",
            args.join(", ")
        ),
    );
}

/// The receipt in results directory `dir`, parsed.
fn receipt(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&fs::read_to_string(dir.join("receipt.json")).unwrap()).unwrap()
}

/// Waits for `child`, a run started at `started` with `--timeout 1 --results out`, and checks
/// that its timeout held: exit 124, well within seconds, and the results kept.
fn ended_at_the_timeout(
    mut child: std::process::Child,
    started: std::time::Instant,
    dir: &TempDir,
) {
    assert_eq!(child.wait().unwrap().code(), Some(124));
    let took = started.elapsed();
    assert!(took < std::time::Duration::from_secs(5), "{took:?}");
    assert_eq!(fs::read_to_string(dir.join("out/exitCode")).unwrap(), "124");
}
