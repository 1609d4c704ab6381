//! Guest output that goes to two places: live to bolinho's own stdout or stderr, and into the
//! results file, which keeps at most a limit of bytes (README "Results").

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// Writes everything to `live` and, when saving, to `saved`, up to its limit. The live side is
/// never allowed to fail the guest: a closed terminal must not lose what the results directory
/// records; nor is the limit: the guest goes on, and the terminal still sees everything.
pub struct Tee<W: Write> {
    live: W,
    live_ok: bool,
    saved: Option<Saved>,
}

/// A results file with its cap, and the marker written when the cap is reached.
pub struct Saved {
    file: BufWriter<File>,
    limit: u64,
    written: u64,
    /// Created, holding the limit in decimal, the first time output is dropped.
    marker: PathBuf,
    truncated: bool,
}

impl Saved {
    pub fn new(file: File, limit: u64, marker: PathBuf) -> Saved {
        Saved {
            file: BufWriter::with_capacity(64 * 1024, file),
            limit,
            written: 0,
            marker,
            truncated: false,
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<()> {
        let room = self.limit.saturating_sub(self.written);
        let kept = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        self.file.write_all(&buf[..kept])?;
        self.written += kept as u64;
        if kept < buf.len() && !self.truncated {
            self.truncated = true;
            fs::write(&self.marker, self.limit.to_string())?;
        }
        Ok(())
    }
}

impl<W: Write> Tee<W> {
    pub fn new(live: W, saved: Option<Saved>) -> Tee<W> {
        Tee {
            live,
            live_ok: true,
            saved,
        }
    }
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(saved) = &mut self.saved {
            saved.write(buf)?;
        }
        if self.live_ok && self.live.write_all(buf).is_err() {
            self.live_ok = false;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.live_ok && self.live.flush().is_err() {
            self.live_ok = false;
        }
        match &mut self.saved {
            Some(saved) => saved.file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("bolinho-tee-{name}-{}", std::process::id()))
    }

    #[test]
    fn both_sides_get_every_byte() {
        let path = scratch("both");
        let saved = Saved::new(File::create(&path).unwrap(), 100, scratch("both-marker"));
        let mut tee = Tee::new(Vec::new(), Some(saved));
        tee.write_all(b"one\n").unwrap();
        tee.write_all(b"two").unwrap();
        tee.flush().unwrap();
        assert_eq!(tee.live, b"one\ntwo");
        assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo");
        assert!(!scratch("both-marker").exists());
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn the_saved_side_stops_at_its_limit_and_says_so() {
        let (path, marker) = (scratch("cap"), scratch("cap-marker"));
        let saved = Saved::new(File::create(&path).unwrap(), 5, marker.clone());
        let mut tee = Tee::new(Vec::new(), Some(saved));
        tee.write_all(b"abc").unwrap();
        assert!(!marker.exists());
        assert_eq!(tee.write(b"defg").unwrap(), 4);
        tee.write_all(b"hij").unwrap();
        tee.flush().unwrap();
        assert_eq!(tee.live, b"abcdefghij");
        assert_eq!(std::fs::read(&path).unwrap(), b"abcde");
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), "5");
        std::fs::remove_file(path).unwrap();
        std::fs::remove_file(marker).unwrap();
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::ErrorKind::BrokenPipe.into())
        }
    }

    #[test]
    fn a_broken_terminal_does_not_fail_the_guest() {
        let mut tee = Tee::new(Broken, None);
        assert_eq!(tee.write(b"abc").unwrap(), 3);
        tee.flush().unwrap();
    }
}
