//! `bolinho verify DIR` for the results of a job's partitions run together (`partitions/I/`
//! beside `summary.json`): every partition is verified, in index order, as its own receipt
//! would be, and the job passes only if every one does.
//!
//! Owns: reading what the directory holds, which is someone else's word until checked: its
//! partitions must be exactly `0` to `N-1`, each receipt partition I of N, and all of one job
//! (one job id), before anything is rerun. Must not verify a receipt itself (`verify` does).

use std::path::{Path, PathBuf};

use crate::cli::VerifyArgs;
use crate::error::Error;
use crate::partitions::PARTITIONS;
use crate::receipt::{self, Recorded};
use crate::signal;
use crate::spec;

/// Whether `path` holds a job's partitions' results.
pub(super) fn holds_partitions(path: &Path) -> bool {
    path.join(PARTITIONS).is_dir()
}

/// Verifies every partition of the job whose results are in `args.receipt`; the exit code is
/// the first failing partition's.
pub(super) fn verify(args: VerifyArgs) -> Result<u8, Error> {
    let dir = &args.receipt;
    let receipts = receipts(dir)?;
    if let Some(keep) = &args.keep {
        super::verify::refuse_existing(keep)?;
        let folder = keep.join(PARTITIONS);
        std::fs::create_dir_all(&folder)
            .map_err(|e| Error::host(format!("create {}", folder.display()), e))?;
    }
    let count = receipts.len();
    let mut first_failure = None;
    // Held across the reruns: a signal that stops one stops the verification.
    let _signals = signal::catch();
    for (index, path) in receipts.into_iter().enumerate() {
        if let Some(signal) = signal::received() {
            eprintln!(
                "bolinho: error: stopped by {}: partitions {index} to {} not verified",
                signal.name(),
                count - 1
            );
            return Ok(signal.failure().code());
        }
        crate::outln!("partition {index} of {count}:");
        let args = VerifyArgs {
            receipt: path,
            keep: args
                .keep
                .as_ref()
                .map(|keep| keep.join(PARTITIONS).join(index.to_string())),
            allow_env: args.allow_env.clone(),
            offline: args.offline,
            cache_dir: args.cache_dir.clone(),
        };
        let code = match super::verify::verify(args) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("bolinho: error: partition {index}: {error}");
                error.failure().code()
            }
        };
        if code != 0 && first_failure.is_none() {
            first_failure = Some((index, code));
        }
    }
    match first_failure {
        Some((index, code)) => {
            eprintln!("bolinho: error: partition {index} of {count} failed verification first");
            Ok(code)
        }
        None => {
            crate::outln!("all {count} partitions verified");
            Ok(0)
        }
    }
}

/// The receipts of the partitions in `dir`, in index order, checked to be one job's
/// partitions 0 to N-1 and nothing else.
fn receipts(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let folder = dir.join(PARTITIONS);
    let refuse = |why: String| Error::Verify(format!("{}: {why}", folder.display()));
    let entries = std::fs::read_dir(&folder).map_err(|e| refuse(e.to_string()))?;
    let mut indexes = Vec::new();
    for entry in entries {
        let name = entry.map_err(|e| refuse(e.to_string()))?.file_name();
        let index = name
            .to_str()
            .and_then(spec::partition::number)
            .filter(|index| name.to_str() == Some(&index.to_string()))
            .ok_or_else(|| refuse(format!("{} is not a partition's number", name.display())))?;
        indexes.push(index);
    }
    indexes.sort_unstable();
    let count = indexes.len() as u64;
    if count == 0 {
        return Err(refuse("it holds no partitions".into()));
    }
    if let Some(missing) = (0..count).find(|i| indexes.binary_search(i).is_err()) {
        return Err(refuse(format!(
            "partition {missing} is missing: a job's partitions are 0 to N-1"
        )));
    }
    let mut job_id = None;
    let mut paths = Vec::new();
    for index in 0..count {
        let path = folder.join(index.to_string()).join(receipt::FILE);
        let recorded = read(&path)?;
        let said = (
            spec::partition::index(&recorded.plan),
            spec::partition::count(&recorded.plan),
        );
        if said != (Some(index), Some(count)) {
            return Err(Error::Verify(format!(
                "{} is not the receipt of partition {index} of {count}",
                path.display()
            )));
        }
        let id = recorded.ids.map(|ids| ids.job_id);
        match &job_id {
            None => job_id = Some(id),
            Some(first) if *first != id => {
                return Err(Error::Verify(format!(
                    "{} is of another job than partition 0's",
                    path.display()
                )));
            }
            Some(_) => {}
        }
        paths.push(path);
    }
    Ok(paths)
}

fn read(path: &Path) -> Result<Recorded, Error> {
    let contents = super::read(path, receipt::MAX_BYTES)?;
    Recorded::parse(&String::from_utf8_lossy(&contents))
        .map_err(|e| Error::Verify(format!("failed to read {}: {e}", path.display())))
}
