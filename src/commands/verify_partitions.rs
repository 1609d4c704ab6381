//! `bolinho verify DIR` for the results of a job's partitions run together (`partitions/I/`
//! beside `summary.json`): every partition is verified as its own receipt would be, as many
//! at once as `run` runs them, and reported in index order; the job passes only if every one
//! does.
//!
//! Owns: reading what the directory holds, which is someone else's word until checked: its
//! partitions must be exactly `0` to `N-1`, each receipt partition I of N, and all of one job
//! (one job id), before anything is rerun. Must not verify a receipt itself (`verify` does).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::VerifyArgs;
use crate::engine;
use crate::error::Error;
use crate::link::Compiler;
use crate::partitions::{self, PARTITIONS, pool};
use crate::receipt::{self, Recorded};
use crate::signal;
use crate::spec;

/// Whether `path` holds a job's partitions' results.
pub(super) fn holds_partitions(path: &Path) -> bool {
    path.join(PARTITIONS).is_dir()
}

/// Verifies every partition of the job whose results are in `args.receipt`, as many at once
/// as `run` would run (`partitions::default_parallel`), printing each in index order; the exit
/// code is the first failing partition's.
pub(super) fn verify(args: VerifyArgs) -> Result<u8, Error> {
    let dir = &args.receipt;
    let (receipts, memory_limit) = receipts(dir)?;
    if let Some(keep) = &args.keep {
        super::verify::refuse_existing(keep)?;
        let folder = keep.join(PARTITIONS);
        std::fs::create_dir_all(&folder)
            .map_err(|e| Error::host(format!("create {}", folder.display()), e))?;
    }
    let count = receipts.len();
    let parallel = partitions::default_parallel(memory_limit).min(count);
    let compiler = Arc::new(Compiler::shared(engine::new()));
    let work = |index: u64| {
        let args = VerifyArgs {
            receipt: receipts[index as usize].clone(),
            keep: args
                .keep
                .as_ref()
                .map(|keep| keep.join(PARTITIONS).join(index.to_string())),
            allow_env: args.allow_env.clone(),
            offline: args.offline,
            cache_dir: args.cache_dir.clone(),
        };
        super::verify::rerun_and_check(args, Some(Arc::clone(&compiler)))
    };
    let mut first_failure = None;
    // Those a signal stopped or kept from starting.
    let mut unverified = Vec::new();
    // Held across the reruns: a signal stops those running and starts no more.
    let _signals = signal::catch();
    pool::in_index_order(count as u64, parallel, &work, &mut |index, end| {
        let verified = match end {
            Some(Err(Error::Stopped { .. })) | None => {
                unverified.push(index);
                return;
            }
            Some(verified) => verified,
        };
        crate::outln!("partition {index} of {count}:");
        let code = match verified {
            Ok(verified) => {
                verified.print();
                verified.code
            }
            Err(error) => {
                eprintln!("bolinho: error: partition {index}: {error}");
                error.failure().code()
            }
        };
        if code != 0 && first_failure.is_none() {
            first_failure = Some((index, code));
        }
    })
    .map_err(|e| Error::host("start a thread for the job's partitions", e))?;
    if !unverified.is_empty() {
        let signal = signal::received().unwrap_or(signal::Signal::Interrupt);
        eprintln!(
            "bolinho: error: stopped by {}: {} not verified",
            signal.name(),
            partitions_named(&unverified)
        );
        return Ok(signal.failure().code());
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

/// `partition 3`, `partitions 1 to 2`, `partitions 0, 2 to 5`: `indexes`, ascending, by runs.
fn partitions_named(indexes: &[u64]) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &index in indexes {
        match runs.last_mut() {
            Some((_, last)) if *last + 1 == index => *last = index,
            _ => runs.push((index, index)),
        }
    }
    let named: Vec<String> = runs
        .iter()
        .map(|&(first, last)| match first == last {
            true => first.to_string(),
            false => format!("{first} to {last}"),
        })
        .collect();
    match indexes {
        [_] => format!("partition {}", named[0]),
        _ => format!("partitions {}", named.join(", ")),
    }
}

/// The receipts of the partitions in `dir`, in index order, checked to be one job's
/// partitions 0 to N-1 and nothing else; and the job's memory limit.
fn receipts(dir: &Path) -> Result<(Vec<PathBuf>, Option<u64>), Error> {
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
    let mut memory_limit = None;
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
        memory_limit = recorded.plan.limits.memory_bytes;
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
    Ok((paths, memory_limit))
}

fn read(path: &Path) -> Result<Recorded, Error> {
    let contents = super::read(path, receipt::MAX_BYTES)?;
    Recorded::parse(&String::from_utf8_lossy(&contents))
        .map_err(|e| Error::Verify(format!("failed to read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_named_by_runs_of_indexes() {
        assert_eq!(partitions_named(&[3]), "partition 3");
        assert_eq!(partitions_named(&[1, 2]), "partitions 1 to 2");
        assert_eq!(partitions_named(&[0, 2, 3, 4, 5]), "partitions 0, 2 to 5");
        assert_eq!(partitions_named(&[0, 2, 7]), "partitions 0, 2, 7");
    }
}
