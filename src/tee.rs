//! Guest output that goes to two places: live to bolinho's own stdout or stderr, and into the
//! results file, which keeps at most a limit of bytes (README "Results").
//!
//! Owns: the copy to both, the cap, and what happens when either side cannot take more. The
//! guest is never failed by its copies: a closed terminal, a full disk or the cap only stop
//! that copy (a results file that could not be written whole says so when the run finishes).
//! What does end a write is a stop bolinho requested (`Interrupt`): a guest writing into a
//! pipe nobody reads, or gigabytes at once, is stopped between two chunks or woken out of the
//! blocked write, so its timeout holds.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex, MutexGuard};

use wasi_shim::Interrupt;

use crate::results::Opener;

/// bolinho's own stdout or stderr, written with one `write(2)` for each write of the guest,
/// as if the guest had the descriptor itself: nothing is held back until a newline (std's
/// `Stdout` would), and a write that a signal interrupts returns `Interrupted` instead of
/// being retried (std's `write_all` would), so that a requested stop can end it.
pub struct Live<F>(pub F);

impl<F: AsFd> Write for Live<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        rustix::io::write(self.0.as_fd(), buf).map_err(io::Error::from)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The most bytes written to a results file at once, between two looks for a stop.
const CHUNK: usize = 1 << 20;

/// Writes everything to `live` and, when saving, to `saved`, up to its limit.
pub struct Tee<W: Write> {
    live: W,
    live_ok: bool,
    saved: Option<Saved>,
    interrupt: Arc<Interrupt>,
}

/// A results file with its cap, shared between the guest's `Tee` and the run, which finishes
/// it (even when the guest's thread never returned).
#[derive(Clone)]
pub struct Saved(Arc<Mutex<SavedFile>>);

struct SavedFile {
    file: BufWriter<File>,
    limit: u64,
    written: u64,
    /// Where the marker is created, holding the limit in decimal, the first time output is
    /// dropped: `NAME.truncated` beside the file.
    marker: (Opener, String),
    truncated: bool,
    /// The first error writing the file; nothing more is written after it.
    failed: Option<io::Error>,
}

impl Saved {
    /// Saves at most `limit` bytes into `file`; the marker of a cut is `marker` in `opener`.
    pub fn new(file: File, limit: u64, opener: Opener, marker: String) -> Saved {
        Saved(Arc::new(Mutex::new(SavedFile {
            file: BufWriter::with_capacity(64 * 1024, file),
            limit,
            written: 0,
            marker: (opener, marker),
            truncated: false,
            failed: None,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, SavedFile> {
        // A panic while writing (a bug) leaves the file as it is: still worth finishing.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Flushes the file; the first error it met while the guest ran, if any.
    pub fn finish(&self) -> io::Result<()> {
        let mut saved = self.lock();
        if let Some(e) = saved.failed.take() {
            return Err(e);
        }
        saved.file.flush()
    }

    fn write(&self, buf: &[u8], interrupt: &Interrupt) -> io::Result<()> {
        let mut saved = self.lock();
        if saved.failed.is_some() {
            return Ok(());
        }
        let room = saved.limit.saturating_sub(saved.written);
        let kept = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        for chunk in buf[..kept].chunks(CHUNK) {
            if interrupt.requested() {
                return Err(stopped());
            }
            if let Err(e) = saved.file.write_all(chunk) {
                saved.failed = Some(e);
                return Ok(());
            }
            saved.written += chunk.len() as u64;
        }
        if kept < buf.len() && !saved.truncated {
            saved.truncated = true;
            let limit = saved.limit.to_string();
            let (opener, name) = &saved.marker;
            if let Err(e) = opener
                .create(name)
                .and_then(|mut f| f.write_all(limit.as_bytes()))
            {
                saved.failed = Some(e);
            }
        }
        Ok(())
    }
}

/// The error a write ends with when bolinho stopped the guest: not `Interrupted`, which
/// `write_all` (the WASI layer's) would retry for ever.
fn stopped() -> io::Error {
    io::Error::other("the guest was stopped")
}

impl<W: Write> Tee<W> {
    pub fn new(live: W, saved: Option<Saved>, interrupt: Arc<Interrupt>) -> Tee<W> {
        Tee {
            live,
            live_ok: true,
            saved,
            interrupt,
        }
    }

    /// Writes all of `buf` live, unless the live side fails (then it is left alone for good);
    /// only a requested stop ends it with an error.
    fn write_live(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while self.live_ok && !buf.is_empty() {
            match self.live.write(buf) {
                Ok(0) => self.live_ok = false,
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                    if self.interrupt.requested() {
                        return Err(stopped());
                    }
                }
                Err(_) => self.live_ok = false,
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(saved) = &self.saved {
            saved.write(buf, &self.interrupt)?;
        }
        self.write_live(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.live_ok && self.live.flush().is_err() {
            self.live_ok = false;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "tee_tests.rs"]
mod tests;
