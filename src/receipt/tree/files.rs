//! Hashing the regular files a walk finds, on as many threads as the machine has cores once a
//! tree holds more than a handful of them: one core hashes about 1.1 GB/s (SHA extensions),
//! so a tree of thousands of files is hashed at the disk's pace, not one core's. A small tree
//! is hashed on the walk's own thread, and starts no thread at all.
//!
//! Owns: the hashing threads, the queue that feeds them and the one file read. Must not
//! decide what is walked or how an entry is recorded (the walk's), and never reads a file
//! whole: each thread reads in chunks through its own buffer.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread::{self, Scope};

use rustix::fs::{FileType, Mode, OFlags};
use sha2::{Digest, Sha256};

use super::{TreeError, UNREADABLE, digest, symlink};

/// How many files the walk's own thread hashes before the hashing threads start: a job's
/// usual few inputs or results cost no thread.
const INLINE_FILES: usize = 16;
/// Files queued for the hashing threads at most. Each holds its directory open, so this
/// bounds the descriptors a walk holds however many directories it crosses.
const QUEUE: usize = 16;
/// The chunk each read takes.
const CHUNK: usize = 64 * 1024;

/// One file for a hashing thread: its directory, its name there, and its key.
struct Job {
    dir: Arc<OwnedFd>,
    name: OsString,
    key: String,
}

type Hashed = (String, Result<String, TreeError>);

/// The files of one walk, hashed where they are found or handed to threads of `scope`.
pub(super) struct Files<'scope, 'env> {
    scope: &'scope Scope<'scope, 'env>,
    stop: &'env (dyn Fn() -> bool + Sync),
    /// Set when the walk fails or stops: the threads then skip what is still queued.
    cancel: &'env AtomicBool,
    /// Where files go to the threads, and come back hashed, once the threads are started.
    queue: Option<SyncSender<Job>>,
    results: Option<Receiver<Hashed>>,
    inline: usize,
    buf: Vec<u8>,
    /// The first failure among the files hashed so far, by key, so that which one is
    /// reported does not depend on which thread finished first.
    failed: Option<(String, TreeError)>,
}

impl<'scope, 'env> Files<'scope, 'env> {
    pub(super) fn new(
        scope: &'scope Scope<'scope, 'env>,
        stop: &'env (dyn Fn() -> bool + Sync),
        cancel: &'env AtomicBool,
    ) -> Self {
        Files {
            scope,
            stop,
            cancel,
            queue: None,
            results: None,
            inline: 0,
            buf: vec![0; CHUNK],
            failed: None,
        }
    }

    /// Hashes the file `name` of `dir` now, and records it in `into`.
    pub(super) fn hash_now(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &OsStr,
        key: String,
        into: &mut BTreeMap<String, String>,
    ) -> Result<(), TreeError> {
        let value = file(dir, name, &key, &mut self.buf, self.stop)?;
        into.insert(key, value);
        Ok(())
    }

    /// Hashes the file `name` of `dir`, now or on a hashing thread, and records it in `into`
    /// by the time `finish` returns.
    pub(super) fn hash(
        &mut self,
        dir: &Arc<OwnedFd>,
        name: &OsStr,
        key: String,
        into: &mut BTreeMap<String, String>,
    ) -> Result<(), TreeError> {
        if self.inline < INLINE_FILES {
            self.inline += 1;
            return self.hash_now(dir.as_fd(), name, key, into);
        }
        let job = Job {
            dir: Arc::clone(dir),
            name: name.to_os_string(),
            key,
        };
        if self.queue.is_none() {
            self.start();
        }
        // The threads drain the queue until it is dropped, cancelled or not, so this send
        // never waits forever.
        let queue = self.queue.as_ref().expect("started above");
        queue
            .send(job)
            .expect("the hashing threads live until the queue is dropped");
        self.collect(into, false);
        match self.failed.take() {
            Some((_, error)) => Err(error),
            None => Ok(()),
        }
    }

    /// Waits for every queued file and records it in `into`; the first failure by key, if
    /// any. `walked` is how the walk itself ended: its failure comes first.
    pub(super) fn finish(
        mut self,
        walked: Result<(), TreeError>,
        into: &mut BTreeMap<String, String>,
    ) -> Result<(), TreeError> {
        if walked.is_err() {
            self.cancel.store(true, Ordering::Relaxed);
        }
        self.queue = None;
        self.collect(into, true);
        walked?;
        match self.failed {
            Some((_, error)) => Err(error),
            None => Ok(()),
        }
    }

    /// Starts the hashing threads, one per core, and the channels to and from them.
    fn start(&mut self) {
        let (queue, jobs) = mpsc::sync_channel::<Job>(QUEUE);
        let (done, results) = mpsc::channel::<Hashed>();
        let jobs = Arc::new(Mutex::new(jobs));
        let threads = thread::available_parallelism().map_or(1, |n| n.get());
        for _ in 0..threads {
            let jobs = Arc::clone(&jobs);
            let done = done.clone();
            let (stop, cancel) = (self.stop, self.cancel);
            self.scope.spawn(move || {
                let mut buf = vec![0; CHUNK];
                loop {
                    // A poisoned lock means another hashing thread panicked; the scope
                    // passes that panic on when it ends.
                    let Ok(job) = jobs.lock().map(|jobs| jobs.recv()) else {
                        return;
                    };
                    let Ok(job) = job else { return };
                    if cancel.load(Ordering::Relaxed) {
                        continue;
                    }
                    let value = file(job.dir.as_fd(), &job.name, &job.key, &mut buf, stop);
                    if value.is_err() {
                        cancel.store(true, Ordering::Relaxed);
                    }
                    if done.send((job.key, value)).is_err() {
                        return;
                    }
                }
            });
        }
        self.queue = Some(queue);
        self.results = Some(results);
    }

    /// Records what the threads have hashed; with `all`, waits for every one of them (the
    /// queue must be dropped first).
    fn collect(&mut self, into: &mut BTreeMap<String, String>, all: bool) {
        let Some(results) = &self.results else { return };
        loop {
            // Only the threads hold senders: the channel ends when the last one does.
            let next = if all {
                results.recv().ok()
            } else {
                results.try_recv().ok()
            };
            let Some((key, value)) = next else { return };
            match value {
                Ok(value) => {
                    into.insert(key, value);
                }
                Err(error) => {
                    if self.failed.as_ref().is_none_or(|(first, _)| key < *first) {
                        self.failed = Some((key, error));
                    }
                }
            }
        }
    }
}

/// `sha256:HEX` of a regular file's bytes, read in chunks through `buf`.
fn file(
    dir: BorrowedFd<'_>,
    name: &OsStr,
    key: &str,
    buf: &mut [u8],
    stop: &dyn Fn() -> bool,
) -> Result<String, TreeError> {
    let io = |cause: io::Error| TreeError::Io {
        key: key.to_string(),
        cause,
    };
    // Non-blocking and no-follow: if the file was swapped for a FIFO or a link since the
    // stat, the open neither waits for a writer nor leaves the tree.
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = match rustix::fs::openat(dir, name, flags | OFlags::CLOEXEC, Mode::empty()) {
        Ok(fd) => fd,
        Err(rustix::io::Errno::ACCESS | rustix::io::Errno::PERM) => {
            return Ok(UNREADABLE.to_string());
        }
        Err(rustix::io::Errno::LOOP) => return symlink(dir, name).map_err(|e| io(e.into())),
        Err(e) => return Err(io(e.into())),
    };
    let stat = rustix::fs::fstat(&fd).map_err(|e| io(e.into()))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Ok("unknown".to_string());
    }
    let mut hasher = Sha256::new();
    loop {
        if stop() {
            return Err(TreeError::Stopped);
        }
        let n = match rustix::io::read(&fd, &mut *buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(io(e.into())),
        };
        hasher.update(&buf[..n]);
    }
    Ok(digest(hasher))
}
