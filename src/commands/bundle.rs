//! `bolinho bundle RESULTS_DIR -o FILE` (README "Bundles"): packs a run's receipt and the bytes
//! of everything its replay needs into one file.
//!
//! Owns: reading the run's receipt, the scratch directory and download settings the search
//! for its bytes uses, and what it prints. Must not decide where bytes are found (`bundle`'s
//! `gather`) or how the file is written (`bundle`'s `write`).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::bundle;
use crate::cleanup;
use crate::cli::BundleArgs;
use crate::error::Error;
use crate::fetch::{self, Cache, Workspace};
use crate::private::TempDir;
use crate::receipt::{self, Recorded};
use crate::signal;
use crate::spec;

pub(super) fn bundle(args: BundleArgs) -> Result<u8, Error> {
    // A results directory, or the receipt.json in one.
    let (dir, path) = match args.results.is_dir() {
        true => (args.results.clone(), args.results.join(receipt::FILE)),
        false => (parent(&args.results), args.results.clone()),
    };
    if super::verify_partitions::holds_partitions(&args.results) {
        return Err(Error::Bundle(format!(
            "{} holds the results of a job's partitions, each with its receipt: bundle one \
             partition's, such as {}",
            args.results.display(),
            args.results
                .join(crate::partitions::PARTITIONS)
                .join("0")
                .display()
        )));
    }
    bundle::check_free(&args.output)?;
    let contents = super::read(&path, receipt::MAX_BYTES)?;
    let recorded = Recorded::parse(&String::from_utf8_lossy(&contents))
        .map_err(|e| Error::Bundle(format!("failed to read {}: {e}", path.display())))?;
    spec::check_plan(&recorded.plan, &path).map_err(|e| {
        Error::Bundle(format!(
            "the receipt's plan is not one a job file could give: {e}"
        ))
    })?;
    // Downloads and expanded sources go to a private directory; a signal removes it, and the
    // bundle being written.
    let _signals = signal::catch();
    let mut setup = cleanup::Setup::new();
    let scratch = TempDir::new("bolinho-bundle-").map_err(|e| {
        let dir = std::env::temp_dir();
        Error::host(
            format!("create a scratch directory in {}", dir.display()),
            e,
        )
    })?;
    setup.remove_on_signal(scratch.path());
    let workspace = scratch.path().join("inputs");
    std::fs::create_dir(&workspace)
        .map_err(|e| Error::host(format!("create {}", workspace.display()), e))?;
    // As a run: `--cache-dir`, else the default cache, else one for this bundle only.
    let cache = args
        .cache_dir
        .or_else(Cache::default_root)
        .unwrap_or_else(|| scratch.path().join("cache"));
    let context = fetch::Context {
        workspace: Workspace::new(workspace),
        cache: Cache::open(cache),
        options: fetch::Options {
            offline: args.offline,
            ipfs_gateway: args
                .ipfs_gateway
                .or_else(|| std::env::var("BOLINHO_IPFS_GATEWAY").ok()),
            progress: std::io::stderr().is_terminal(),
            // Nothing is run: no source is written to, or created.
            private_writes: true,
        },
    };
    let blobs = bundle::gather(&recorded, &dir, &context)?;
    bundle::write(&args.output, &contents, &blobs, &mut setup)?;
    // This setup ends bolinho on a signal; it is never abandoned.
    let _ = setup.done();
    eprintln!(
        "bolinho: bundle in {} ({} blobs)",
        args.output.display(),
        blobs.len()
    );
    Ok(0)
}

/// The directory a file is in (`.` for a bare name).
fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
