//! Publishers: where a job's finished results directory goes besides the local disk.
//!
//! The results directory is always written locally first (`results.rs`); a publisher only
//! copies it somewhere else, after the run, so a failed publish never loses results: the error
//! says where they are, and bolinho exits with `Failure::Publish`. `local` (the default) and
//! `noop` publish nothing more. `s3` uploads every file of the directory (`s3.rs`). What the
//! job says of its publisher was checked with the job (`spec`: `ipfs` is refused there);
//! [`prepare`] resolves what the host adds, the S3 endpoint and credentials from the
//! environment, before anything runs, so a job that could never be published does not run
//! first.
//!
//! An S3 `Key` may hold Bacalhau's placeholders: `{jobID}`, `{executionID}` (the job's
//! `BACALHAU_JOB_ID` and `BACALHAU_EXECUTION_ID`), `{nodeID}` (this host's name), `{date}`
//! (`YYYYMMDD`) and `{time}` (`HHMMSS`), both UTC. The files go below the Key as a prefix
//! (Bacalhau's `Encoding: plain`), a `/` added if it does not end with one.

mod s3;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::remote::s3::{Client, Settings};
use crate::spec::{Plan, Publisher};

/// A publisher ready to run once the results directory is finished.
pub enum Prepared {
    /// Nothing beyond the local results directory (`local`, `noop`).
    Nothing,
    S3 {
        client: Box<Client>,
        bucket: String,
        /// The Key as the job writes it.
        key: String,
        /// Its placeholders but the ids, taken when the run starts.
        placeholders: Placeholders,
    },
}

/// Results that were written locally but could not be published.
#[derive(Debug)]
pub struct PublishError {
    /// Where they were going, e.g. `s3://bucket/prefix/`.
    pub target: String,
    /// The local results directory, which is kept.
    pub results: PathBuf,
    pub message: String,
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "failed to publish the results to {}: {}; the results are kept in {}",
            self.target,
            self.message,
            self.results.display()
        )
    }
}

impl std::error::Error for PublishError {}

/// Checks and resolves `plan`'s publisher before anything runs.
pub fn prepare(plan: &Plan) -> Result<Prepared, String> {
    match &plan.publisher {
        Publisher::Local | Publisher::Noop => Ok(Prepared::Nothing),
        Publisher::S3 {
            bucket,
            key,
            region,
            endpoint,
        } => {
            let settings = Settings::from_env(endpoint.as_deref(), region.as_deref())
                .map_err(|e| format!("S3 publisher: {e}"))?;
            let client = Client::new(settings, bucket).map_err(|e| format!("S3 publisher: {e}"))?;
            Ok(Prepared::S3 {
                client: Box::new(client),
                bucket: bucket.clone(),
                key: key.clone(),
                placeholders: Placeholders::at(std::time::SystemTime::now()),
            })
        }
    }
}

impl Prepared {
    /// Publishes the finished results directory `results`; returns where it went, if anywhere.
    /// `env` is the guest's environment, whose `BACALHAU_JOB_ID` and `BACALHAU_EXECUTION_ID`
    /// fill `{jobID}` and `{executionID}` (derived from the job's content when it ran).
    pub fn publish(
        &self,
        results: &Path,
        env: &[(String, String)],
    ) -> Result<Option<String>, PublishError> {
        match self {
            Prepared::Nothing => Ok(None),
            Prepared::S3 {
                client,
                bucket,
                key,
                placeholders,
            } => {
                let var = |name: &str| {
                    env.iter()
                        .find(|(n, _)| n == name)
                        .map_or("", |(_, v)| v.as_str())
                };
                let prefix = &prefix(&placeholders.expand(
                    key,
                    var("BACALHAU_JOB_ID"),
                    var("BACALHAU_EXECUTION_ID"),
                ));
                let target = format!("s3://{bucket}/{prefix}");
                s3::upload_dir(client, prefix, results, s3::part_size())
                    .map(|()| Some(target.clone()))
                    .map_err(|message| PublishError {
                        target,
                        results: results.to_path_buf(),
                        message,
                    })
            }
        }
    }
}

/// A Key as a prefix: empty, or ending in `/`.
fn prefix(key: &str) -> String {
    if key.is_empty() || key.ends_with('/') {
        key.to_string()
    } else {
        format!("{key}/")
    }
}

/// The values of Bacalhau's Key placeholders but the ids, which the run derives.
pub struct Placeholders {
    node_id: String,
    date: String,
    time: String,
}

impl Placeholders {
    fn at(now: std::time::SystemTime) -> Placeholders {
        let secs = now
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (date, time) = utc(secs);
        Placeholders {
            node_id: host_name(),
            date,
            time,
        }
    }

    fn expand(&self, key: &str, job_id: &str, execution_id: &str) -> String {
        key.replace("{nodeID}", &self.node_id)
            .replace("{executionID}", execution_id)
            .replace("{jobID}", job_id)
            .replace("{date}", &self.date)
            .replace("{time}", &self.time)
    }
}

/// This host's name (Linux), else `localhost`.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// `("YYYYMMDD", "HHMMSS")` in UTC for seconds since the Unix epoch.
fn utc(secs: u64) -> (String, String) {
    // Past jiff's last second (in the year 9999) only with a clock gone wrong: that second then.
    let time = i64::try_from(secs)
        .ok()
        .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
        .unwrap_or(jiff::Timestamp::MAX);
    (
        time.strftime("%Y%m%d").to_string(),
        time.strftime("%H%M%S").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times_are_utc() {
        assert_eq!(utc(0), ("19700101".into(), "000000".into()));
        // 2024-02-29T23:59:58Z, a leap day.
        assert_eq!(utc(1_709_251_198), ("20240229".into(), "235958".into()));
        // 2000-03-01T12:34:56Z.
        assert_eq!(utc(951_914_096), ("20000301".into(), "123456".into()));
        // Past the year 9999, jiff's last second.
        assert_eq!(utc(u64::MAX), ("99991230".into(), "220000".into()));
    }

    #[test]
    fn keys_expand_placeholders_and_become_prefixes() {
        let p = Placeholders {
            node_id: "box".into(),
            date: "20240101".into(),
            time: "120000".into(),
        };
        assert_eq!(
            p.expand(
                "runs/{jobID}/{executionID}-{nodeID}/{date}T{time}{other}",
                "j-1",
                "e-2"
            ),
            "runs/j-1/e-2-box/20240101T120000{other}"
        );
        assert_eq!(prefix(""), "");
        assert_eq!(prefix("a/b"), "a/b/");
        assert_eq!(prefix("a/b/"), "a/b/");
    }

    #[test]
    fn local_and_noop_publish_nothing_more() {
        let job = "Engine: {Type: wasm, Params: {EntryModule: {Source: {Type: inline, Params: {URL: 'data:,x'}}}}}\n";
        let options = crate::spec::ParseOptions {
            strict: true,
            ..Default::default()
        };
        let mut plan = crate::spec::parse_job(job, Path::new("job.yaml"), &options)
            .unwrap()
            .plan;
        assert!(matches!(prepare(&plan), Ok(Prepared::Nothing)));
        plan.publisher = Publisher::Noop;
        assert!(matches!(prepare(&plan), Ok(Prepared::Nothing)));
    }
}
