//! The smallest pieces of the byte form: little-endian integers, optional values, and
//! lengths in unsigned LEB128, written in their shortest form and read only in it.
//!
//! Owns: reading a payload field by field without ever reading past it. Must not know what
//! the fields mean (`event.rs` does) or how records are framed (`format.rs`).

use super::event::RecordProblem;
use crate::clock::ClockId;

pub(crate) fn put_option(out: &mut Vec<u8>, v: Option<u64>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

/// Unsigned LEB128, the shortest form.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a minimal unsigned LEB128 value from the start of `bytes`: the value and its size,
/// `Ok(None)` if `bytes` ends inside it.
pub(crate) fn get_varint(bytes: &[u8]) -> Result<Option<(u64, usize)>, RecordProblem> {
    let mut v = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        let low = u64::from(b & 0x7f);
        // The tenth byte may hold only the 64th bit; a last byte of 0 (after the first) is
        // a longer form of a shorter value, which would give one tape two byte forms.
        if (i == 9 && b > 1) || (i > 0 && b == 0) {
            return Err(RecordProblem::BadLength);
        }
        v |= low << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((v, i + 1)));
        }
    }
    // Only fewer than ten bytes can end without a last byte: the tenth always is one.
    Ok(None)
}

/// A payload being read field by field.
pub(crate) struct Fields<'a>(pub(crate) &'a [u8]);

impl<'a> Fields<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], RecordProblem> {
        if n > self.0.len() {
            return Err(RecordProblem::FieldsCutShort);
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], RecordProblem> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    pub(crate) fn byte(&mut self) -> Result<u8, RecordProblem> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u64(&mut self) -> Result<u64, RecordProblem> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    pub(crate) fn varint(&mut self) -> Result<u64, RecordProblem> {
        let (v, n) = get_varint(self.0)?.ok_or(RecordProblem::FieldsCutShort)?;
        self.0 = &self.0[n..];
        Ok(v)
    }

    /// A length-prefixed byte string.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], RecordProblem> {
        let n = self.varint()?;
        // Compared as u64: a length past the payload is refused before any slicing.
        if n > self.0.len() as u64 {
            return Err(RecordProblem::FieldsCutShort);
        }
        self.take(n as usize)
    }

    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.0)
    }

    pub(crate) fn clock(&mut self) -> Result<ClockId, RecordProblem> {
        let c = self.byte()?;
        ClockId::from_raw(u32::from(c)).ok_or(RecordProblem::UnknownClock(c))
    }

    pub(crate) fn option(&mut self) -> Result<Option<u64>, RecordProblem> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.u64()?)),
            t => Err(RecordProblem::BadOption(t)),
        }
    }
}
