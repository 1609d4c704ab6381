//! Guest output that goes to two places: live to bolinho's own stdout or stderr, and into the
//! results file.

use std::fs::File;
use std::io::{self, BufWriter, Write};

/// Writes everything to `live` and, when saving, to `saved`. The live side is never allowed to
/// fail the guest: a closed terminal must not lose what the results directory records.
pub struct Tee<W: Write> {
    live: W,
    live_ok: bool,
    saved: Option<BufWriter<File>>,
}

impl<W: Write> Tee<W> {
    pub fn new(live: W, saved: Option<File>) -> Tee<W> {
        Tee {
            live,
            live_ok: true,
            saved: saved.map(|f| BufWriter::with_capacity(64 * 1024, f)),
        }
    }
}

impl<W: Write> Write for Tee<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(saved) = &mut self.saved {
            saved.write_all(buf)?;
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
            Some(saved) => saved.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_get_every_byte() {
        let path = std::env::temp_dir().join(format!("bolinho-tee-{}", std::process::id()));
        let mut tee = Tee::new(Vec::new(), Some(File::create(&path).unwrap()));
        tee.write_all(b"one\n").unwrap();
        tee.write_all(b"two").unwrap();
        tee.flush().unwrap();
        assert_eq!(tee.live, b"one\ntwo");
        assert_eq!(std::fs::read(&path).unwrap(), b"one\ntwo");
        std::fs::remove_file(path).unwrap();
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
