//! The tape's byte form: a header, then one length-prefixed record per host answer.
//!
//! Owns: the layout, written once here and in `event.rs` (payloads), and [`Tape::parse`], the
//! trust boundary: a tape may come from anyone, so every byte is checked before a [`Tape`]
//! exists, and code past it only walks records already known to be well formed. Parsing
//! keeps the input and allocates nothing else; no length read from the input is used before
//! it is checked against what remains. Must not know how records are made or replayed.
//!
//! Layout (all integers little-endian, lengths unsigned LEB128 in their shortest form):
//! ```text
//! header   "bolinho-tape\0"  version: u16  flags: u8  records: u64
//! record   kind: u8  length: LEB128  payload: length bytes      (see event.rs)
//! ```
//! Flag bit 0 says the recording stopped at its size limit; other bits must be 0. The record
//! count makes a tape cut at a record boundary detectable. One event list has one byte form,
//! so the bytes can be hashed (a receipt does).

use super::event::{Event, RecordProblem, grouped, plural};
use super::wire::{get_varint, put_varint};
use std::fmt;

/// The first bytes of every tape.
pub const MAGIC: &[u8; 13] = b"bolinho-tape\0";
/// The version this crate writes and reads.
pub const VERSION: u16 = 1;
/// Magic, version, flags and record count.
pub(crate) const HEADER_LEN: usize = MAGIC.len() + 2 + 1 + 8;
/// Flag bit: the recording stopped at its size limit; later answers are missing.
const FLAG_INCOMPLETE: u8 = 1;

/// A well-formed tape: its bytes, checked record by record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tape {
    bytes: Vec<u8>,
    calls: u64,
    complete: bool,
}

/// Why bytes are not a tape this crate can read, or (`Incomplete`) cannot replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TapeError {
    /// The bytes do not start with [`MAGIC`].
    NotATape,
    /// The header ends early.
    HeaderCutShort,
    /// Another version than [`VERSION`].
    UnsupportedVersion(u16),
    /// Flag bits this version does not define.
    UnknownFlags(u8),
    /// A record's length, or its payload, runs past the end of the bytes.
    RecordCutShort {
        /// Its number, from 1.
        record: u64,
        /// Where it starts.
        offset: usize,
        /// The payload length it declares, if that could be read.
        declared: Option<u64>,
        /// The bytes left after its length.
        remain: usize,
    },
    /// A record whose contents are not valid.
    BadRecord {
        /// Its number, from 1.
        record: u64,
        /// Where it starts.
        offset: usize,
        /// What is wrong.
        problem: RecordProblem,
    },
    /// Fewer records than the header declares.
    MissingRecords {
        /// What the header says.
        declared: u64,
        /// What the bytes hold.
        found: u64,
    },
    /// Bytes after the last declared record.
    TrailingBytes {
        /// What the header says.
        declared: u64,
        /// Where the extra bytes start.
        offset: usize,
    },
    /// The recording stopped at its size limit, so the run cannot be replayed.
    Incomplete {
        /// The calls it holds.
        calls: u64,
    },
}

impl fmt::Display for TapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TapeError::NotATape => {
                f.write_str("not a bolinho tape: it does not start with \"bolinho-tape\\0\"")
            }
            TapeError::HeaderCutShort => {
                write!(f, "the tape is cut short in its {HEADER_LEN}-byte header")
            }
            TapeError::UnsupportedVersion(v) => write!(
                f,
                "tape version {v} is not supported: this bolinho reads version {VERSION}"
            ),
            TapeError::UnknownFlags(flags) => {
                write!(f, "the tape's header has unknown flags {flags:#04x}")
            }
            TapeError::RecordCutShort {
                record,
                offset,
                declared: None,
                ..
            } => write!(
                f,
                "record {} at byte {} is cut short in its length",
                grouped(*record),
                grouped(*offset as u64)
            ),
            TapeError::RecordCutShort {
                record,
                offset,
                declared: Some(n),
                remain,
            } => write!(
                f,
                "record {} at byte {} is cut short: it declares {} bytes and {} remain",
                grouped(*record),
                grouped(*offset as u64),
                grouped(*n),
                grouped(*remain as u64)
            ),
            TapeError::BadRecord {
                record,
                offset,
                problem,
            } => write!(
                f,
                "record {} at byte {}: {problem}",
                grouped(*record),
                grouped(*offset as u64)
            ),
            TapeError::MissingRecords { declared, found } => write!(
                f,
                "the tape declares {} but ends after {}",
                plural(*declared, "record"),
                grouped(*found)
            ),
            TapeError::TrailingBytes { declared, offset } => write!(
                f,
                "the tape goes on after the {} it declares, at byte {}",
                plural(*declared, "record"),
                grouped(*offset as u64)
            ),
            TapeError::Incomplete { calls } => write!(
                f,
                "the tape stops after {}, where its recording reached the size limit: \
                 the run cannot be replayed",
                plural(*calls, "call")
            ),
        }
    }
}

impl std::error::Error for TapeError {}

impl Tape {
    /// Checks `bytes` as a tape: header, every record's framing and contents, the count.
    pub fn parse(bytes: Vec<u8>) -> Result<Tape, TapeError> {
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(TapeError::NotATape);
        }
        if bytes.len() < HEADER_LEN {
            return Err(TapeError::HeaderCutShort);
        }
        let version = u16::from_le_bytes([bytes[13], bytes[14]]);
        if version != VERSION {
            return Err(TapeError::UnsupportedVersion(version));
        }
        let flags = bytes[15];
        if flags & !FLAG_INCOMPLETE != 0 {
            return Err(TapeError::UnknownFlags(flags));
        }
        let declared = u64::from_le_bytes(bytes[16..HEADER_LEN].try_into().expect("8 bytes"));
        let mut pos = HEADER_LEN;
        let mut found = 0u64;
        while pos < bytes.len() {
            if found == declared {
                return Err(TapeError::TrailingBytes {
                    declared,
                    offset: pos,
                });
            }
            let record = found + 1;
            let (kind, payload, next) = frame(&bytes, pos).map_err(|e| e.at(record, pos))?;
            Event::decode(kind, payload).map_err(|problem| TapeError::BadRecord {
                record,
                offset: pos,
                problem,
            })?;
            pos = next;
            found = record;
        }
        if found < declared {
            return Err(TapeError::MissingRecords { declared, found });
        }
        Ok(Tape {
            bytes,
            calls: found,
            complete: flags & FLAG_INCOMPLETE == 0,
        })
    }

    /// A tape of `calls` records already framed in `records` (by [`push_record`]).
    pub(crate) fn from_records(records: &[u8], calls: u64, complete: bool) -> Tape {
        let mut bytes = Vec::with_capacity(HEADER_LEN + records.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&VERSION.to_le_bytes());
        bytes.push(if complete { 0 } else { FLAG_INCOMPLETE });
        bytes.extend_from_slice(&calls.to_le_bytes());
        bytes.extend_from_slice(records);
        Tape {
            bytes,
            calls,
            complete,
        }
    }

    /// The byte form: what is written beside the receipt, and hashed in it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The byte form, without copying.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// How many host answers (calls) it holds.
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// False if the recording stopped at its size limit, so later answers are missing and
    /// the run cannot be replayed.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// The answers, in the order the guest got them.
    pub fn events(&self) -> Events<'_> {
        Events {
            bytes: &self.bytes,
            pos: HEADER_LEN,
        }
    }
}

/// The events of a [`Tape`], in order.
#[derive(Debug, Clone)]
pub struct Events<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Events<'_> {
    /// Where the next record starts (for `replay.rs`, which keeps its place across calls).
    pub(crate) fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Events<'a> {
    /// Continues the events of `tape` from byte `pos`, a record boundary `position` gave.
    pub(crate) fn resume(tape: &'a Tape, pos: usize) -> Events<'a> {
        Events {
            bytes: &tape.bytes,
            pos,
        }
    }
}

impl<'a> Iterator for Events<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if self.pos >= self.bytes.len() {
            return None;
        }
        // `Tape::parse` (or the recorder) checked every record, so neither step fails.
        let (kind, payload, next) = frame(self.bytes, self.pos).ok()?;
        let event = Event::decode(kind, payload).ok()?;
        self.pos = next;
        Some(event)
    }
}

/// Appends `event` as one framed record; returns its size. The payload is encoded in place
/// after a one-byte length, which nearly every record needs (a clock read is 12 bytes in all);
/// a payload of 128 bytes or more is moved up to make room for its longer length. This is the
/// recorder's hot path: one call per clock read of a guest that reads the clock in a loop.
pub(crate) fn push_record(event: &Event<'_>, out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0, 0]);
    let kind = event.encode(out);
    out[start] = kind;
    let len = out.len() - start - 2;
    match u8::try_from(len) {
        Ok(short) if short < 0x80 => out[start + 1] = short,
        _ => {
            let mut length = Vec::with_capacity(10);
            put_varint(&mut length, len as u64);
            out.splice(start + 1..start + 2, length);
        }
    }
    out.len() - start
}

/// What is wrong with a record's framing, before its number is known.
enum FrameError {
    CutShort(Option<u64>, usize),
    Bad(RecordProblem),
}

impl FrameError {
    fn at(self, record: u64, offset: usize) -> TapeError {
        match self {
            FrameError::CutShort(declared, remain) => TapeError::RecordCutShort {
                record,
                offset,
                declared,
                remain,
            },
            FrameError::Bad(problem) => TapeError::BadRecord {
                record,
                offset,
                problem,
            },
        }
    }
}

/// The kind, payload and end of the record starting at `pos` (before the end of `bytes`).
fn frame(bytes: &[u8], pos: usize) -> Result<(u8, &[u8], usize), FrameError> {
    let kind = bytes[pos];
    let after_kind = &bytes[pos + 1..];
    let (len, n) = get_varint(after_kind)
        .map_err(FrameError::Bad)?
        .ok_or(FrameError::CutShort(None, after_kind.len()))?;
    let remain = after_kind.len() - n;
    // Compared as u64 before any conversion: a declared length is only a claim.
    if len > remain as u64 {
        return Err(FrameError::CutShort(Some(len), remain));
    }
    let start = pos + 1 + n;
    let end = start + len as usize;
    Ok((kind, &bytes[start..end], end))
}

#[cfg(test)]
#[path = "format_tests.rs"]
mod tests;
