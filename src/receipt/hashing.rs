//! Hashing bytes as they stream past, for what must be checked against a receipt's `sha256:`
//! values without holding a file in memory (a bundle's blobs, the results beside a receipt).
//!
//! Owns: the reader that hashes and counts. Must not decide what a digest means.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// A reader that hashes what passes through it, and counts it.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// The lower-case hex sha256 of what was read, and how many bytes.
    pub fn finish(self) -> (String, u64) {
        (
            crate::fetch::cache::hex(&self.hasher.finalize()),
            self.bytes,
        )
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The lower-case hex sha256 of everything `reader` gives, read in chunks.
pub fn sha256_of(reader: impl Read) -> io::Result<String> {
    let mut hashing = Hashing::new(reader);
    io::copy(&mut hashing, &mut io::sink())?;
    Ok(hashing.finish().0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_counts_what_passes() {
        let mut hashing = Hashing::new(&b"abc"[..]);
        let mut out = Vec::new();
        hashing.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
        let (hex, bytes) = hashing.finish();
        assert_eq!(format!("sha256:{hex}"), crate::receipt::sha256(b"abc"));
        assert_eq!(bytes, 3);
        assert_eq!(sha256_of(&b"abc"[..]).unwrap(), hex);
    }
}
