//! The results directory: `stdout`, `stderr`, `exitCode` and one folder per `ResultPaths` entry,
//! laid out as Bacalhau lays it out.
//!
//! A run never presents a half-written directory as complete: everything is written into a
//! staging directory beside the final one (`.NAME.partial-PID`), and only a run that reached its
//! end renames it into place, in one `rename(2)`. The final path is claimed first with
//! `create_dir`, so two runs never share a directory and an earlier run is never overwritten. A
//! crash or Ctrl-C leaves only the clearly named staging directory.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// Where results go when the user gives no `--results`.
pub const DEFAULT_PARENT: &str = "bolinho-results";

#[derive(Debug)]
pub struct ResultsError {
    pub path: PathBuf,
    pub action: &'static str,
    pub cause: io::Error,
}

impl std::fmt::Display for ResultsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "failed to {} {}: {}",
            self.action,
            self.path.display(),
            self.cause
        )
    }
}

impl std::error::Error for ResultsError {}

fn error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> ResultsError {
    let path = path.to_path_buf();
    move |cause| ResultsError {
        path,
        action,
        cause,
    }
}

/// A results directory being written.
#[derive(Debug)]
pub struct ResultsDir {
    final_path: PathBuf,
    staging: PathBuf,
    /// Whether we created `final_path` (and so may remove it when the run fails before running).
    claimed: bool,
    finished: bool,
}

impl ResultsDir {
    /// Claims `requested` (which must not exist, or be an empty directory), or else a new
    /// `bolinho-results/<job>-<n>` under the current directory, and creates the staging directory.
    pub fn create(requested: Option<&Path>, job_name: &str) -> Result<ResultsDir, ResultsError> {
        let (final_path, claimed) = match requested {
            Some(path) => claim_requested(path)?,
            None => (claim_next(Path::new(DEFAULT_PARENT), job_name)?, true),
        };
        let name = final_path
            .file_name()
            .map_or("results".into(), |n| n.to_string_lossy());
        let parent = final_path.parent().unwrap_or(Path::new("."));
        let staging = parent.join(format!(".{name}.partial-{}", std::process::id()));
        // A staging directory left by an earlier crashed process with our pid is stale.
        let _ = fs::remove_dir_all(&staging);
        fs::create_dir(&staging).map_err(error(&staging, "create"))?;
        Ok(ResultsDir {
            final_path,
            staging,
            claimed,
            finished: false,
        })
    }

    /// The path the directory will have once finished.
    pub fn path(&self) -> &Path {
        &self.final_path
    }

    /// Creates one of the results files (`stdout`, `stderr`) in the staging directory.
    pub fn create_file(&self, name: &str) -> Result<File, ResultsError> {
        let path = self.staging.join(name);
        File::create(&path).map_err(error(&path, "create"))
    }

    /// Where a results file is written until `finish` moves the directory into place.
    pub fn staging_path(&self, name: &str) -> PathBuf {
        self.staging.join(name)
    }

    /// Creates the empty folder for a `ResultPaths` entry and returns its host path.
    pub fn create_output_dir(&self, name: &str) -> Result<PathBuf, ResultsError> {
        let path = self.staging.join(name);
        fs::create_dir(&path).map_err(error(&path, "create"))?;
        Ok(path)
    }

    /// Writes `exitCode` and moves the directory into place. Call only after every file written
    /// into it has been flushed.
    pub fn finish(mut self, exit_code: i32) -> Result<PathBuf, ResultsError> {
        let code_path = self.staging.join("exitCode");
        fs::write(&code_path, exit_code.to_string()).map_err(error(&code_path, "write"))?;
        // rename(2) replaces the empty directory that claimed the final name.
        fs::rename(&self.staging, &self.final_path).map_err(error(&self.final_path, "create"))?;
        self.finished = true;
        Ok(self.final_path.clone())
    }
}

impl Drop for ResultsDir {
    /// A run that failed before it could finish (bad link, fetch error) leaves nothing behind:
    /// no results files, and no directory we created.
    fn drop(&mut self) {
        if !self.finished {
            let _ = fs::remove_dir_all(&self.staging);
            if self.claimed {
                let _ = fs::remove_dir(&self.final_path);
            }
        }
    }
}

fn claim_requested(path: &Path) -> Result<(PathBuf, bool), ResultsError> {
    match fs::create_dir(path) {
        Ok(()) => Ok((path.to_path_buf(), true)),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let not_empty = || io::Error::other("it exists and is not an empty directory");
            let mut entries = fs::read_dir(path)
                .map_err(|_| not_empty())
                .map_err(error(path, "use"))?;
            if entries.next().is_some() {
                return Err(error(path, "use")(not_empty()));
            }
            Ok((path.to_path_buf(), false))
        }
        Err(e) => Err(error(path, "create")(e)),
    }
}

/// Claims `<parent>/<job>-<n>` for the smallest free `n`, atomically.
fn claim_next(parent: &Path, job_name: &str) -> Result<PathBuf, ResultsError> {
    fs::create_dir_all(parent).map_err(error(parent, "create"))?;
    let stem = safe_name(job_name);
    for n in 1u32.. {
        let candidate = parent.join(format!("{stem}-{n}"));
        match fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(error(&candidate, "create")(e)),
        }
    }
    unreachable!("u32 run numbers exhausted")
}

/// A job name made safe as one path component.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    match cleaned.trim_start_matches('.') {
        "" => "job".to_string(),
        rest => rest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "bolinho-results-test-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn finished_directory_has_exit_code_and_files() {
        let dir = scratch("finish");
        let target = dir.join("out");
        let results = ResultsDir::create(Some(&target), "job").unwrap();
        fs::write(results.staging.join("stdout"), "hi\n").unwrap();
        assert!(
            !target.join("stdout").exists(),
            "nothing visible before finish"
        );
        let path = results.finish(3).unwrap();
        assert_eq!(fs::read_to_string(path.join("exitCode")).unwrap(), "3");
        assert_eq!(fs::read_to_string(path.join("stdout")).unwrap(), "hi\n");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no staging directory left"
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unfinished_run_leaves_nothing() {
        let dir = scratch("drop");
        let target = dir.join("out");
        drop(ResultsDir::create(Some(&target), "job").unwrap());
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_existing_empty_directory_is_used_and_kept() {
        let dir = scratch("empty");
        drop(ResultsDir::create(Some(&dir), "job").unwrap());
        assert!(dir.is_dir(), "the user's directory is not removed");
        fs::write(dir.join("x"), "").unwrap();
        let err = ResultsDir::create(Some(&dir), "job").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "failed to use {}: it exists and is not an empty directory",
                dir.display()
            )
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn default_names_never_reuse_a_directory() {
        let dir = scratch("next");
        let first = claim_next(&dir, "my job/../x").unwrap();
        let second = claim_next(&dir, "my job/../x").unwrap();
        assert_eq!(first, dir.join("my_job_.._x-1"));
        assert_eq!(second, dir.join("my_job_.._x-2"));
        assert_eq!(safe_name("..."), "job");
        fs::remove_dir_all(dir).unwrap();
    }
}
