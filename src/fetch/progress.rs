//! Download progress on stderr: bytes so far, rate, and total and percent when known.
//!
//! Every remote source (URL, IPFS, S3) wraps its response body in [`reader`]; the wrapper
//! counts bytes as the consumer reads them and redraws one status line at most every
//! [`INTERVAL`]. It draws nothing unless `enabled` (the caller passes
//! `ctx.options.progress`, true only when stderr is a terminal), nothing for downloads that
//! finish before the first interval (small files stay silent), and it erases its line when the
//! body ends or the reader is dropped, so later output starts on a clean line. It never
//! changes the bytes, and it never fails a read: a failed write to stderr is ignored.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// The shortest time between two redraws.
pub const INTERVAL: Duration = Duration::from_millis(200);

/// Wraps `inner` so that reading it shows progress labelled `label` (e.g. the URL) on stderr
/// when `enabled`. `total` is the expected size (`Content-Length`), if known. When not
/// `enabled` the wrapper only forwards reads.
///
/// ```text
/// let mut body = progress::reader(body, len, "https://x/y.wasm", true);
/// std::io::copy(&mut body, &mut std::io::sink())?;
/// ```
pub fn reader<R: Read>(inner: R, total: Option<u64>, label: &str, enabled: bool) -> Progress<R> {
    Progress {
        inner,
        total,
        label: shorten(label),
        enabled,
        read: 0,
        started: Instant::now(),
        last_draw: None,
        drawn: false,
    }
}

/// A reader that reports progress; see [`reader`].
pub struct Progress<R> {
    inner: R,
    total: Option<u64>,
    label: String,
    enabled: bool,
    read: u64,
    started: Instant,
    last_draw: Option<Instant>,
    /// Whether a status line is on the screen (and must be erased).
    drawn: bool,
}

impl<R> Progress<R> {
    /// Erases the status line, if one is shown.
    fn clear(&mut self) {
        if self.drawn {
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }

    fn maybe_draw(&mut self) {
        let now = Instant::now();
        let due = match self.last_draw {
            Some(last) => now.duration_since(last) >= INTERVAL,
            None => now.duration_since(self.started) >= INTERVAL,
        };
        if !due {
            return;
        }
        self.last_draw = Some(now);
        let line = status_line(
            &self.label,
            self.read,
            self.total,
            now.duration_since(self.started),
        );
        let mut err = io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
        self.drawn = true;
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.inner.read(buf);
        if self.enabled {
            match result {
                Ok(0) | Err(_) => self.clear(),
                Ok(n) => {
                    self.read += n as u64;
                    self.maybe_draw();
                }
            }
        } else if let Ok(n) = result {
            self.read += n as u64;
        }
        result
    }
}

impl<R> Drop for Progress<R> {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The longest label shown, in characters: the line must fit one terminal row, or `\r` would
/// erase only its last part.
const MAX_LABEL: usize = 40;

/// `label`, or its last `MAX_LABEL - 1` characters after `…` (the end of a URL says the most).
fn shorten(label: &str) -> String {
    let count = label.chars().count();
    if count <= MAX_LABEL {
        return label.to_string();
    }
    let tail: String = label.chars().skip(count - (MAX_LABEL - 1)).collect();
    format!("…{tail}")
}

/// The text of one status line, e.g. `https://x/y  1.5 MiB / 10.0 MiB (15%)  3.0 MiB/s`.
pub fn status_line(label: &str, read: u64, total: Option<u64>, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        (read as f64 / secs) as u64
    } else {
        0
    };
    let amount = match total {
        Some(total) if total > 0 => format!(
            "{} / {} ({}%)",
            human(read),
            human(total),
            // u128: no overflow whatever the server announced.
            u128::from(read.min(total)) * 100 / u128::from(total)
        ),
        _ => human(read),
    };
    format!("{label}  {amount}  {}/s", human(rate))
}

/// A byte count with a binary unit: `512 B`, `1.5 KiB`, `3.0 MiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sizes() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(3 * 1024 * 1024), "3.0 MiB");
        assert_eq!(human(1 << 30), "1.0 GiB");
    }

    #[test]
    fn status_line_with_and_without_total() {
        let s = Duration::from_secs(2);
        assert_eq!(
            status_line("u", 1024 * 1024, Some(4 * 1024 * 1024), s),
            "u  1.0 MiB / 4.0 MiB (25%)  512.0 KiB/s"
        );
        assert_eq!(status_line("u", 2048, None, s), "u  2.0 KiB  1.0 KiB/s");
        assert_eq!(
            status_line("u", 10, Some(5), s),
            "u  10 B / 5 B (100%)  5 B/s"
        );
        assert_eq!(
            status_line("u", 0, Some(0), Duration::ZERO),
            "u  0 B  0 B/s"
        );
    }

    #[test]
    fn long_labels_keep_their_end() {
        assert_eq!(shorten("https://x.org/a.wasm"), "https://x.org/a.wasm");
        let long = format!("https://example.org/{}/module.wasm", "d".repeat(50));
        let short = shorten(&long);
        assert_eq!(short.chars().count(), MAX_LABEL);
        assert!(
            short.starts_with('…') && short.ends_with("ddd/module.wasm"),
            "{short}"
        );
    }

    #[test]
    fn forwards_bytes_unchanged() {
        for enabled in [false, true] {
            let mut r = reader(&b"hello world"[..], Some(11), "x", enabled);
            let mut out = Vec::new();
            r.read_to_end(&mut out).unwrap();
            assert_eq!(out, b"hello world");
            assert_eq!(r.read, 11);
            // Read ends before the first interval: nothing was drawn.
            assert!(!r.drawn);
        }
    }
}
