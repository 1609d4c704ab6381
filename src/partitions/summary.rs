//! `summary.json`: how each of a job's partitions ended, beside their results directories.
//!
//! Owns: its fields. Each partition's own `receipt.json` is what `verify` checks; the summary
//! is for a reader (and a script) to see the job at a glance. It holds no times and no host
//! paths of bolinho's choosing (its results paths are relative), so that two runs of the same
//! job write the same summary; a partition's error is bolinho's message, which may name a
//! file the job named.

use serde::Serialize;

use super::{Ended, PARTITIONS};
use crate::engine::Outcome;
use crate::spec::Plan;

/// Its name in the job's results directory.
pub const SUMMARY: &str = "summary.json";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    job: &'a str,
    count: usize,
    /// The job's exit code: its first failing partition's.
    exit_code: u8,
    partitions: Vec<Partition>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Partition {
    index: usize,
    /// What bolinho would have exited with had it run this partition alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    exit_code: Option<u8>,
    /// How its guest ended: `exited`, `trapped`, `timed out` or `stopped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    ended: Option<&'static str>,
    /// Its results directory, relative to the job's.
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<String>,
    /// Why it failed without its guest ending, or did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// The summary of a job whose partitions ended as `ends` say, with these exit codes (`None`:
/// not run), and whose results directory holds those that `has_results` says.
pub fn write(
    plan: &Plan,
    ends: &[Ended],
    codes: &[Option<u8>],
    has_results: &[bool],
    exit_code: u8,
) -> String {
    let partitions = ends
        .iter()
        .zip(codes)
        .zip(has_results)
        .enumerate()
        .map(|(index, ((end, exit_code), has_results))| Partition {
            index,
            exit_code: *exit_code,
            ended: match end {
                Some(Ok(report)) => Some(match report.outcome {
                    Outcome::Exited(_) => "exited",
                    Outcome::Trapped(_) => "trapped",
                    Outcome::TimedOut(_) => "timed out",
                    Outcome::Stopped(_) => "stopped",
                }),
                _ => None,
            },
            results: has_results.then(|| format!("{PARTITIONS}/{index}")),
            error: match end {
                Some(Ok(_)) => None,
                Some(Err(error)) => Some(error.to_string()),
                None => Some("not run: a signal stopped the job first".into()),
            },
        })
        .collect();
    let summary = Summary {
        job: &plan.name,
        count: ends.len(),
        exit_code,
        partitions,
    };
    let mut json = serde_json::to_string_pretty(&summary).expect("a summary always serialises");
    json.push('\n');
    json
}
