//! What a Ctrl-C or SIGTERM before the guest starts leaves behind: nothing.
//!
//! Owns: the paths bolinho made for a run that nothing but the run needs (its scratch
//! directory of downloads, a results directory it claimed, a bundle being written), and a thread that, while a run
//! is being set up (fetching can take minutes), removes them and ends bolinho as soon as one
//! of those signals is caught. Once the guest starts, a signal stops the guest instead and
//! keeps its results (`engine`); the thread is gone by then.
//!
//! A run that is one of several in this process (a job's partitions) must not end it: the
//! others may have guests running. Its thread removes its paths and leaves the run to fail
//! where it has got to: at its next download read (`fetch`) or, at the latest, when `done`
//! says it was abandoned.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::Error;
use crate::signal::{self, Signal};

/// How often the thread looks for a signal.
const POLL: Duration = Duration::from_millis(10);

/// A path to remove, and whether with everything in it (else only if it is empty).
type Made = (PathBuf, bool);

/// Paths to remove, newest last, shared with the thread: `None` once the setup is over, or
/// once the thread removed them for a signal (`Watched::abandoned`).
struct Watched {
    paths: Option<Vec<Made>>,
    abandoned: Option<Signal>,
}

struct Paths {
    watched: Mutex<Watched>,
    /// Whether the thread ends bolinho after removing them.
    exits: bool,
}

impl Paths {
    fn lock(&self) -> MutexGuard<'_, Watched> {
        self.watched.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Watches for a signal while a run is set up; see the module's documentation. The thread
/// starts with the first path to remove: a run that makes nothing has nothing to watch for.
pub struct Setup {
    paths: Arc<Paths>,
    thread: Option<JoinHandle<()>>,
}

impl Setup {
    /// The setup of the one run of this process: a signal ends bolinho.
    pub fn new() -> Setup {
        Setup::with_exit(true)
    }

    /// The setup of one run of several going on in this process: a signal abandons it only.
    pub fn one_of_several() -> Setup {
        Setup::with_exit(false)
    }

    fn with_exit(exits: bool) -> Setup {
        let watched = Watched {
            paths: Some(Vec::new()),
            abandoned: None,
        };
        Setup {
            paths: Arc::new(Paths {
                watched: Mutex::new(watched),
                exits,
            }),
            thread: None,
        }
    }

    /// Removes `path` (a file, or a directory with everything in it) if a signal ends the
    /// setup.
    pub fn remove_on_signal(&mut self, path: &Path) {
        self.add(path, true);
    }

    /// Removes `path` if a signal ends the setup and it is empty by then (a directory that
    /// other runs may share, such as `bolinho-results`).
    pub fn remove_if_empty_on_signal(&mut self, path: &Path) {
        self.add(path, false);
    }

    fn add(&mut self, path: &Path, tree: bool) {
        if let Some(paths) = self.paths.lock().paths.as_mut() {
            paths.push((path.to_path_buf(), tree));
        }
        if self.thread.is_none() {
            let watched = Arc::clone(&self.paths);
            self.thread = std::thread::Builder::new()
                .name("setup".into())
                .spawn(move || watch(&watched))
                .ok();
        }
    }

    /// The setup is over: from now on a signal is the run's to handle. Fails when a signal
    /// abandoned it (`one_of_several`): its paths are gone, and its guest must not start.
    pub fn done(mut self) -> Result<(), Signal> {
        self.stop();
        let abandoned = self.paths.lock().abandoned;
        // One of several also stops at a signal its thread did not see (or that it had
        // no thread to see): the other runs' guests are stopping.
        let late = (!self.paths.exits).then(signal::received).flatten();
        match abandoned.or(late) {
            Some(signal) => Err(signal),
            None => Ok(()),
        }
    }

    fn stop(&mut self) {
        self.paths.lock().paths = None;
        if let Some(thread) = self.thread.take() {
            // Out of its wait at once.
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

impl Default for Setup {
    fn default() -> Self {
        Setup::new()
    }
}

impl Drop for Setup {
    /// A setup that failed: the caller removes its own paths as it unwinds.
    fn drop(&mut self) {
        self.stop();
    }
}

/// The error of a run that a signal ended before its guest started.
pub fn stopped(signal: Signal) -> Error {
    Error::Stopped {
        signal,
        message: format!(
            "stopped by {} before the guest started; nothing was kept",
            signal.name()
        ),
    }
}

fn watch(paths: &Paths) {
    loop {
        std::thread::park_timeout(POLL);
        // Held while removing, so that the run cannot go on to start its guest meanwhile.
        let mut guard = paths.lock();
        let Some(list) = guard.paths.as_mut() else {
            return;
        };
        let Some(signal) = signal::received() else {
            continue;
        };
        for (path, tree) in list.iter().rev() {
            if !tree {
                let _ = std::fs::remove_dir(path);
                continue;
            }
            // The run may be adding files meanwhile: a few tries.
            for _ in 0..5 {
                let removed = std::fs::remove_dir_all(path).or_else(|_| std::fs::remove_file(path));
                if removed.is_ok() || !path.exists() {
                    break;
                }
            }
        }
        if !paths.exits {
            guard.paths = None;
            guard.abandoned = Some(signal);
            return;
        }
        eprintln!("bolinho: error: {}", stopped(signal));
        std::process::exit(signal.failure().code().into());
    }
}
