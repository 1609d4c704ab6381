//! Records what this binary is built from, for `bolinho --version --verbose` and receipts
//! (src/about.rs): the commit (`git rev-parse HEAD`, or `BOLINHO_COMMIT` when building from
//! a tarball; `unknown` with neither), the rustc that compiles it, and the target. Nothing
//! here depends on the directory or the time of the build, so that two builds of one commit
//! are the same bytes (scripts/reproducible.sh checks it).

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=BOLINHO_COMMIT");
    // The static x86_64 release's link reads it (scripts/build-static.sh); cargo knows nothing
    // of a file a link argument names, so a new order would otherwise not be linked in.
    println!("cargo:rerun-if-changed=scripts/startup-functions-x86_64.txt");
    let commit = std::env::var("BOLINHO_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_string());
    // A new commit moves HEAD or the branch it names (loose, or in packed-refs); a path that
    // does not exist is left out, since cargo would rerun this on every build for it.
    let mut watched = vec!["HEAD".to_string(), "packed-refs".to_string()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let rustc = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let target = std::env::var("TARGET").expect("cargo sets TARGET for build scripts");
    println!("cargo:rustc-env=BOLINHO_COMMIT={commit}");
    println!("cargo:rustc-env=BOLINHO_RUSTC={rustc}");
    println!("cargo:rustc-env=BOLINHO_TARGET={target}");
}

/// The trimmed output of a git command that succeeds, run in the package's directory.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}
