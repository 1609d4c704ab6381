//! `bolinho run JOB` for a job of `Count: N`: all N partitions run here (`partitions`), and
//! this prints each one's end in index order: its guest's stdout and stderr whole (they ran
//! out of sight, so as not to mix), a line of how it ended, and then where the job's results
//! are and which partition failed first.

use std::fs::File;
use std::io;
use std::path::Path;

use crate::error::Error;
use crate::job::RunOptions;
use crate::partitions::{self, Ended};
use crate::spec::{self, Plan};

pub(super) fn run(
    plan: &Plan,
    count: u64,
    parallel: usize,
    options: &RunOptions,
) -> Result<u8, Error> {
    eprintln!("bolinho: running the job's {count} partitions, {parallel} at a time");
    // Whether some partition's error was printed: then a job none of whose guests started
    // ends with a line that says so, not with the first partition's error again.
    let mut printed_an_error = false;
    let mut ended = |index: u64, dir: &Path, end: &Ended| {
        let prefix = format!("partition {index}: ");
        match end {
            Some(Ok(report)) => {
                if let Some(results) = &report.results {
                    replay(&results.join("stdout"), io::stdout().lock());
                    replay(&results.join("stderr"), io::stderr().lock());
                }
                let code = super::tell(report, &prefix);
                if let Some(target) = &report.published {
                    eprintln!("bolinho: {prefix}results published to {target}");
                }
                eprintln!(
                    "bolinho: {prefix}exit code {code}, results in {}",
                    dir.display()
                );
            }
            Some(Err(error)) => {
                printed_an_error = true;
                eprintln!("bolinho: error: {prefix}{error}");
            }
            None => eprintln!("bolinho: {prefix}not run"),
        }
    };
    let job = match partitions::run(plan, count, parallel, options, &mut ended) {
        Ok(job) => job,
        Err(error) if printed_an_error => {
            eprintln!("bolinho: error: no partition's guest started; nothing was kept");
            return Ok(error.failure().code());
        }
        Err(error) => return Err(error),
    };
    eprintln!(
        "bolinho: results in {}: {}, and each partition's in {}/I",
        job.dir.display(),
        partitions::SUMMARY,
        partitions::PARTITIONS
    );
    if let Some(index) = job.failed {
        eprintln!(
            "bolinho: error: partition {index} of {count} failed first, with exit code {}",
            job.code
        );
    }
    match job.not_run {
        0 => {}
        1 => eprintln!("bolinho: 1 partition did not run: a signal stopped the job"),
        n => eprintln!("bolinho: {n} partitions did not run: a signal stopped the job"),
    }
    Ok(job.code)
}

/// Warns when a job's partitions would publish over each other: an S3 publisher whose `Key`
/// holds no `{executionID}` gets the same keys from every partition (in Bacalhau too).
pub(super) fn warn_of_shared_keys(plan: &Plan, count: u64) {
    if let spec::Publisher::S3 { key, .. } = &plan.publisher
        && count > 1
        && !key.contains("{executionID}")
    {
        eprintln!(
            "bolinho: warning: the job's {count} partitions publish to the same S3 keys, \
             each over the last: its Publisher's Key has no {{executionID}}"
        );
    }
}

/// Copies a partition's saved output to bolinho's own; a reader that went away stops it.
fn replay(path: &Path, mut to: impl io::Write) {
    if let Ok(mut file) = File::open(path) {
        let _ = io::copy(&mut file, &mut to);
        let _ = to.flush();
    }
}
