//! The results directory: `stdout`, `stderr`, `exitCode` and one folder per `ResultPaths` entry,
//! laid out as Bacalhau lays it out, plus bolinho's `receipt.json`.
//!
//! Owns: claiming the directory, the staging directory inside it, writing bolinho's own files
//! there, and moving everything into place at the end. A run never presents a half-written
//! directory as complete: everything is written into `DIR/.bolinho-partial/` and moved up into
//! `DIR` when the run ends, `exitCode` last, so `exitCode` is there only when the rest is.
//! Making the staging directory is also how a run claims `DIR`: a second run given the same
//! directory finds it and stops before running.
//!
//! Before the guest starts, a failure removes everything claimed. Once it has started, nothing
//! is ever removed: a failure leaves what was produced where it is, and the error says where.
//! Every file bolinho writes here is created by handle, exclusively (`O_EXCL`, `O_NOFOLLOW`),
//! and the directory must not lie inside anything the guest may write (`check_outside`), so no
//! file of bolinho's is ever written through a path a guest can touch.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, RenameFlags};

/// Where results go when the user gives no `--results`.
pub const DEFAULT_PARENT: &str = "bolinho-results";

/// The staging directory's name inside the results directory.
pub const STAGING: &str = ".bolinho-partial";

/// The file whose presence says a results directory is complete; written last.
pub const EXIT_CODE: &str = "exitCode";

/// The longest job-name part of a default results directory's name, in bytes: with `-N` it
/// stays well inside a file name's 255.
const MAX_STEM: usize = 200;

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

fn errno(e: rustix::io::Errno) -> io::Error {
    e.into()
}

/// A results directory being written.
#[derive(Debug)]
pub struct ResultsDir {
    /// The directory as the user named it (or the default): what messages show.
    path: PathBuf,
    /// Its real path (symlinks resolved): where bolinho works.
    real: PathBuf,
    dir: OwnedFd,
    staging: OwnedFd,
    /// Whether bolinho created `path` (and so removes it when the run fails before running).
    created: bool,
    /// `bolinho-results`, if this run created it (removed with `path`, if empty).
    parent: Option<PathBuf>,
    /// Whether the guest has started: from then on nothing is removed.
    started: bool,
    finished: bool,
}

impl ResultsDir {
    /// Claims `requested` (which must not exist, or be an empty directory), or else a new
    /// `bolinho-results/<job>-<n>` under the current directory, and creates the staging
    /// directory in it.
    pub fn claim(requested: Option<&Path>, job_name: &str) -> Result<ResultsDir, ResultsError> {
        let (path, created, parent) = match requested {
            Some(path) => {
                let (path, created) = claim_requested(path)?;
                (path, created, None)
            }
            None => {
                let (path, parent) = claim_next(Path::new(DEFAULT_PARENT), job_name)?;
                (path, true, parent)
            }
        };
        let unclaim = |e: ResultsError| {
            if created {
                let _ = fs::remove_dir(&path);
            }
            if let Some(parent) = &parent {
                let _ = fs::remove_dir(parent);
            }
            e
        };
        let real = fs::canonicalize(&path)
            .map_err(error(&path, "use"))
            .map_err(unclaim)?;
        let dir = rustix::fs::open(&real, DIR, Mode::empty())
            .map_err(|e| error(&path, "use")(errno(e)))
            .map_err(unclaim)?;
        let staging = stage(&dir, &path).map_err(unclaim)?;
        Ok(ResultsDir {
            path,
            real,
            dir,
            staging,
            created,
            parent,
            started: false,
            finished: false,
        })
    }

    /// The directory as the user named it (or the default).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `bolinho-results`, if this claim created it: removed only if empty.
    pub fn made_parent(&self) -> Option<&Path> {
        self.parent.as_deref()
    }

    /// What this claim made inside `made_parent`, oldest first: the directory itself if it
    /// did not exist, and the staging directory.
    pub fn made(&self) -> Vec<PathBuf> {
        let mut made = Vec::new();
        if self.created {
            made.push(self.real.clone());
        }
        made.push(self.staging_path());
        made
    }

    /// Where results are while the run is going on (by their real path).
    pub fn staging_path(&self) -> PathBuf {
        self.real.join(STAGING)
    }

    /// Refuses to go on if the directory lies inside, or holds, one of `writable`: the host
    /// paths the guest may write to, each with the field that names it. A guest could plant
    /// links where bolinho writes its own files, or move the directory elsewhere.
    pub fn check_outside(&self, writable: &[(&str, &Path)]) -> Result<(), ResultsError> {
        for (field, host) in writable {
            let host = fs::canonicalize(host).unwrap_or_else(|_| host.to_path_buf());
            if self.real.starts_with(&host) || host.starts_with(&self.real) {
                return Err(ResultsError {
                    path: self.path.clone(),
                    action: "use",
                    cause: io::Error::other(format!(
                        "it lies inside {field} ({}), which the guest may write to; \
                         give --results a directory outside it",
                        host.display()
                    )),
                });
            }
        }
        Ok(())
    }

    /// Creates one of bolinho's own files (`stdout`, `stderr`, `receipt.json`) in the
    /// staging directory: a new file, never one that was there.
    pub fn create_file(&self, name: &str) -> Result<File, ResultsError> {
        let path = self.path.join(STAGING).join(name);
        one_component(name, &path)?;
        create_in(&self.staging, name).map_err(error(&path, "create"))
    }

    /// A handle for creating files in the staging directory from elsewhere (the guest's
    /// output creates its `.truncated` marker when it is cut).
    pub fn opener(&self) -> Result<Opener, ResultsError> {
        self.staging
            .try_clone()
            .map(Opener)
            .map_err(error(&self.path.join(STAGING), "open"))
    }

    /// Writes one of bolinho's own files whole.
    pub fn write_file(&self, name: &str, contents: &[u8]) -> Result<(), ResultsError> {
        let path = self.path.join(STAGING).join(name);
        self.create_file(name)?
            .write_all(contents)
            .map_err(error(&path, "write"))
    }

    /// Creates the empty folder for a `ResultPaths` entry and returns its host path.
    pub fn create_output_dir(&self, name: &str) -> Result<PathBuf, ResultsError> {
        let path = self.path.join(STAGING).join(name);
        one_component(name, &path)?;
        rustix::fs::mkdirat(&self.staging, name, Mode::from_raw_mode(0o755))
            .map_err(|e| error(&path, "create")(errno(e)))?;
        Ok(self.staging_path().join(name))
    }

    /// The guest is about to start: from now on nothing here is ever removed.
    pub fn start(&mut self) {
        self.started = true;
    }

    /// Moves every result up from the staging directory into place, then writes `exitCode`,
    /// then removes the empty staging directory. Call only after every file written into it
    /// has been flushed. On failure nothing is removed; the error says where the results are.
    pub fn finish(mut self, exit_code: i32) -> Result<PathBuf, ResultsError> {
        self.finished = true;
        let staging = self.path.join(STAGING);
        let unfinished = |e: io::Error| ResultsError {
            path: self.path.clone(),
            action: "finish",
            cause: io::Error::new(
                e.kind(),
                format!("{e}; the results are in {}", staging.display()),
            ),
        };
        let names = list(&self.staging).map_err(unfinished)?;
        for name in &names {
            move_up(&self.staging, &self.dir, name)
                .map_err(|e| unfinished(io::Error::other(format!("failed to move {name}: {e}"))))?;
        }
        // `exitCode` last, so that it is there only when everything else is.
        let mut code = create_in(&self.staging, EXIT_CODE).map_err(unfinished)?;
        code.write_all(exit_code.to_string().as_bytes())
            .map_err(unfinished)?;
        move_up(&self.staging, &self.dir, EXIT_CODE).map_err(|e| unfinished(errno(e)))?;
        rustix::fs::unlinkat(&self.dir, STAGING, AtFlags::REMOVEDIR)
            .map_err(|e| error(&staging, "remove")(errno(e)))?;
        Ok(self.path.clone())
    }
}

impl Drop for ResultsDir {
    /// A run that failed before its guest started (bad link, fetch error) leaves nothing
    /// behind: no results files, and no directory bolinho created. Once the guest has
    /// started, everything stays.
    fn drop(&mut self) {
        if self.started || self.finished {
            return;
        }
        let _ = fs::remove_dir_all(self.staging_path());
        if self.created {
            let _ = fs::remove_dir(&self.real);
        }
        if let Some(parent) = &self.parent {
            // Only if empty: another run may have put its results there meanwhile.
            let _ = fs::remove_dir(parent);
        }
    }
}

/// A handle on a staging directory, for creating bolinho's own files in it.
#[derive(Debug)]
pub struct Opener(OwnedFd);

impl Opener {
    /// Creates `name` (one path component), a new file, never one that was there.
    pub fn create(&self, name: &str) -> io::Result<File> {
        create_in(&self.0, name)
    }
}

/// Creates `name` in `dir` exclusively: a file, link or anything else already there (planted,
/// say) is an error, never opened or followed.
fn create_in(dir: &OwnedFd, name: &str) -> io::Result<File> {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW;
    rustix::fs::openat(
        dir,
        name,
        flags | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o644),
    )
    .map(File::from)
    .map_err(errno)
}

const DIR: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::CLOEXEC);

/// Creates the staging directory in `dir`, which claims it: fails if it is already there (a
/// run is writing `dir`, or one did not finish) or if `dir` holds anything else.
fn stage(dir: &OwnedFd, path: &Path) -> Result<OwnedFd, ResultsError> {
    let staging = path.join(STAGING);
    match rustix::fs::mkdirat(dir, STAGING, Mode::from_raw_mode(0o755)) {
        Ok(()) => {}
        Err(rustix::io::Errno::EXIST) => {
            return Err(error(path, "use")(io::Error::other(format!(
                "another bolinho run is writing it, or one did not finish ({} exists)",
                staging.display()
            ))));
        }
        Err(e) => return Err(error(&staging, "create")(errno(e))),
    }
    let others = list(dir).map_err(error(path, "use"))?;
    if others.iter().any(|name| name != STAGING) {
        let _ = rustix::fs::unlinkat(dir, STAGING, AtFlags::REMOVEDIR);
        return Err(error(path, "use")(io::Error::other(
            "it exists and is not an empty directory",
        )));
    }
    rustix::fs::openat(dir, STAGING, DIR | OFlags::NOFOLLOW, Mode::empty())
        .map_err(|e| error(&staging, "open")(errno(e)))
}

/// Moves `name` from `from` to `to`, never replacing anything there (`to` held only the
/// staging directory when it was claimed). A filesystem without `RENAME_NOREPLACE` gets a
/// plain rename.
fn move_up(from: &OwnedFd, to: &OwnedFd, name: &str) -> rustix::io::Result<()> {
    match rustix::fs::renameat_with(from, name, to, name, RenameFlags::NOREPLACE) {
        Err(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS) => {
            rustix::fs::renameat(from, name, to, name)
        }
        done => done,
    }
}

/// The names in a directory, sorted, without `.` and `..`. Every name bolinho writes is UTF-8.
fn list(dir: &impl AsFd) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy();
        if name != "." && name != ".." {
            names.push(name.into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// A name bolinho writes must be one path component; the plan's checks make sure of it, and
/// this keeps it so whatever the plan says.
fn one_component(name: &str, path: &Path) -> Result<(), ResultsError> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(error(path, "create")(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file name",
        )));
    }
    Ok(())
}

fn claim_requested(path: &Path) -> Result<(PathBuf, bool), ResultsError> {
    match fs::create_dir(path) {
        Ok(()) => Ok((path.to_path_buf(), true)),
        // An existing directory (or a link to one, `.`, `x/.`) is used if it is empty; `stage`
        // checks that once it holds the claim.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {
            Ok((path.to_path_buf(), false))
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(error(path, "use")(
            io::Error::other("it exists and is not an empty directory"),
        )),
        Err(e) => Err(error(path, "create")(e)),
    }
}

/// Claims `<parent>/<job>-<n>` for the smallest free `n`, atomically; and `parent` too, if
/// it did not exist.
fn claim_next(parent: &Path, job_name: &str) -> Result<(PathBuf, Option<PathBuf>), ResultsError> {
    let made_parent = match fs::create_dir(parent) {
        Ok(()) => Some(parent.to_path_buf()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => None,
        Err(e) => return Err(error(parent, "create")(e)),
    };
    let stem = safe_name(job_name);
    for n in 1u32.. {
        let candidate = parent.join(format!("{stem}-{n}"));
        match fs::create_dir(&candidate) {
            Ok(()) => return Ok((candidate, made_parent)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(error(&candidate, "create")(e)),
        }
    }
    unreachable!("u32 run numbers exhausted")
}

/// A job name made safe as one path component, at most `MAX_STEM` bytes.
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
        .take(MAX_STEM)
        .collect();
    match cleaned.trim_start_matches('.') {
        "" => "job".to_string(),
        rest => rest.to_string(),
    }
}

#[cfg(test)]
#[path = "results_tests.rs"]
mod tests;
