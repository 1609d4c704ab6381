//! One host answer on a tape: what the guest asked, what it was told, and their bytes.
//!
//! Owns: the [`Event`] kinds, each one's record encoding and decoding (the only code that
//! knows a record's payload), and how a request is named in messages
//! (`clock_time_get(realtime)`, `random_get(16)`). Must not know about the tape's header,
//! record framing, limits or replay order: `format.rs` frames records, `record.rs` and
//! `replay.rs` decide what to do with them. Events borrow their bytes, so recording copies
//! nothing but into the tape, and reading a tape allocates nothing per event.

use super::wire::{Fields, put_option, put_varint};
use crate::clock::ClockId;
use crate::errno::Errno;
use std::fmt;

/// A host answer the guest saw that its content does not fix, as a tape holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// `Clock::now`: what `clock_time_get` (and `poll_oneoff`'s deadlines) read; `None` if
    /// the clock is not offered.
    ClockNow {
        /// The clock read.
        clock: ClockId,
        /// The time, in nanoseconds.
        answer: Option<u64>,
    },
    /// `Clock::resolution`, what `clock_res_get` reads.
    ClockResolution {
        /// The clock asked about.
        clock: ClockId,
        /// The resolution, in nanoseconds.
        answer: Option<u64>,
    },
    /// `Clock::epoch`, read once by the builder for virtual file metadata.
    ClockEpoch {
        /// The realtime the run starts at.
        answer: Option<u64>,
    },
    /// `Clock::sleep`, from `poll_oneoff`: recorded so its place in the order is checked.
    Sleep {
        /// How long the guest waited, in nanoseconds.
        ns: u64,
    },
    /// `RandomSource::fill`: the bytes given (the guest asked for as many).
    Random {
        /// The bytes.
        bytes: &'a [u8],
    },
    /// One `read` of stdin of up to `asked` bytes.
    StdinRead {
        /// The size of the guest's buffer.
        asked: u64,
        /// The bytes read (none: end of file), or the errno the guest saw.
        answer: Result<&'a [u8], Errno>,
    },
    /// A call to a host module outside the shim (bolinho's `wasi:http/requests`, say).
    HostCall {
        /// Which call: a name the module chooses, such as `wasi:http/requests`.
        kind: &'a str,
        /// What the guest asked, as the module chooses to fix it: the request or its digest.
        request: &'a [u8],
        /// The answer, in the module's own encoding.
        answer: &'a [u8],
    },
}

/// What the guest asked for: the part of a call that its own state fixes, and that a replay
/// must see again at the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Request<'a> {
    ClockNow(ClockId),
    ClockResolution(ClockId),
    ClockEpoch,
    Sleep(u64),
    Random(u64),
    StdinRead(u64),
    HostCall { kind: &'a str, request: &'a [u8] },
}

/// The record kinds, one byte each; numbers are never reused.
mod kind {
    pub const CLOCK_NOW: u8 = 1;
    pub const CLOCK_RESOLUTION: u8 = 2;
    pub const CLOCK_EPOCH: u8 = 3;
    pub const SLEEP: u8 = 4;
    pub const RANDOM: u8 = 5;
    pub const STDIN_READ: u8 = 6;
    pub const HOST_CALL: u8 = 7;
}

/// Why a record's payload cannot be read; `format.rs` adds where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordProblem {
    /// The kind byte names no event.
    UnknownKind(u8),
    /// The payload ends inside a field.
    FieldsCutShort,
    /// Bytes remain after the last field.
    BytesLeftOver(usize),
    /// A clock number preview1 does not define.
    UnknownClock(u8),
    /// An optional value's tag is neither 0 nor 1.
    BadOption(u8),
    /// A stdin outcome tag is neither 0 (bytes) nor 1 (errno).
    BadOutcome(u8),
    /// An errno preview1 does not define, or `success` given as a failure.
    BadErrno(u16),
    /// A stdin read that returned more bytes than the guest asked for.
    ReadTooLong {
        /// The guest's buffer.
        asked: u64,
        /// The bytes the record holds.
        got: u64,
    },
    /// A host call's kind that is not UTF-8.
    KindNotUtf8,
    /// A length written with more bytes than it needs, or past 64 bits.
    BadLength,
}

impl fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordProblem::UnknownKind(k) => write!(f, "unknown kind {k}"),
            RecordProblem::FieldsCutShort => f.write_str("its fields run past its end"),
            RecordProblem::BytesLeftOver(n) => {
                write!(
                    f,
                    "{} left over after its fields",
                    plural(*n as u64, "byte")
                )
            }
            RecordProblem::UnknownClock(c) => write!(f, "unknown clock id {c}"),
            RecordProblem::BadOption(t) => write!(f, "an optional value with tag {t}"),
            RecordProblem::BadOutcome(t) => write!(f, "a stdin outcome with tag {t}"),
            RecordProblem::BadErrno(e) => write!(f, "errno {e} is not a preview1 error"),
            RecordProblem::ReadTooLong { asked, got } => write!(
                f,
                "a read of up to {} bytes returned {}",
                grouped(*asked),
                grouped(*got)
            ),
            RecordProblem::KindNotUtf8 => f.write_str("a host call kind that is not UTF-8"),
            RecordProblem::BadLength => {
                f.write_str("a length that is not minimal LEB128 in 64 bits")
            }
        }
    }
}

impl<'a> Event<'a> {
    /// What the guest asked for to get this answer.
    pub(crate) fn request(&self) -> Request<'a> {
        match *self {
            Event::ClockNow { clock, .. } => Request::ClockNow(clock),
            Event::ClockResolution { clock, .. } => Request::ClockResolution(clock),
            Event::ClockEpoch { .. } => Request::ClockEpoch,
            Event::Sleep { ns } => Request::Sleep(ns),
            Event::Random { bytes } => Request::Random(bytes.len() as u64),
            Event::StdinRead { asked, .. } => Request::StdinRead(asked),
            Event::HostCall { kind, request, .. } => Request::HostCall { kind, request },
        }
    }

    /// Appends the record's kind byte and payload (framing is `format.rs`'s).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> u8 {
        match *self {
            Event::ClockNow { clock, answer } | Event::ClockResolution { clock, answer } => {
                out.push(clock.raw() as u8);
                put_option(out, answer);
                if matches!(self, Event::ClockNow { .. }) {
                    kind::CLOCK_NOW
                } else {
                    kind::CLOCK_RESOLUTION
                }
            }
            Event::ClockEpoch { answer } => {
                put_option(out, answer);
                kind::CLOCK_EPOCH
            }
            Event::Sleep { ns } => {
                out.extend_from_slice(&ns.to_le_bytes());
                kind::SLEEP
            }
            Event::Random { bytes } => {
                out.extend_from_slice(bytes);
                kind::RANDOM
            }
            Event::StdinRead { asked, answer } => {
                put_varint(out, asked);
                match answer {
                    Ok(bytes) => {
                        out.push(0);
                        out.extend_from_slice(bytes);
                    }
                    Err(errno) => {
                        out.push(1);
                        out.extend_from_slice(&errno.raw().to_le_bytes());
                    }
                }
                kind::STDIN_READ
            }
            Event::HostCall {
                kind,
                request,
                answer,
            } => {
                put_varint(out, kind.len() as u64);
                out.extend_from_slice(kind.as_bytes());
                put_varint(out, request.len() as u64);
                out.extend_from_slice(request);
                out.extend_from_slice(answer);
                kind::HOST_CALL
            }
        }
    }

    /// Reads the payload of a record of kind `kind`: every field present, every value
    /// defined, nothing left over.
    pub(crate) fn decode(kind: u8, payload: &'a [u8]) -> Result<Event<'a>, RecordProblem> {
        let mut r = Fields(payload);
        let event = match kind {
            kind::CLOCK_NOW => Event::ClockNow {
                clock: r.clock()?,
                answer: r.option()?,
            },
            kind::CLOCK_RESOLUTION => Event::ClockResolution {
                clock: r.clock()?,
                answer: r.option()?,
            },
            kind::CLOCK_EPOCH => Event::ClockEpoch {
                answer: r.option()?,
            },
            kind::SLEEP => Event::Sleep { ns: r.u64()? },
            kind::RANDOM => Event::Random { bytes: r.rest() },
            kind::STDIN_READ => {
                let asked = r.varint()?;
                let answer = match r.byte()? {
                    0 => Ok(r.rest()),
                    1 => {
                        let n = u16::from_le_bytes(r.array()?);
                        Err(Errno::from_raw(n)
                            .filter(|e| *e != Errno::Success)
                            .ok_or(RecordProblem::BadErrno(n))?)
                    }
                    t => return Err(RecordProblem::BadOutcome(t)),
                };
                if let Ok(bytes) = answer
                    && bytes.len() as u64 > asked
                {
                    let got = bytes.len() as u64;
                    return Err(RecordProblem::ReadTooLong { asked, got });
                }
                Event::StdinRead { asked, answer }
            }
            kind::HOST_CALL => {
                let kind = r.bytes()?;
                let kind = std::str::from_utf8(kind).map_err(|_| RecordProblem::KindNotUtf8)?;
                Event::HostCall {
                    kind,
                    request: r.bytes()?,
                    answer: r.rest(),
                }
            }
            k => return Err(RecordProblem::UnknownKind(k)),
        };
        match r.0.len() {
            0 => Ok(event),
            n => Err(RecordProblem::BytesLeftOver(n)),
        }
    }
}

impl fmt::Display for Request<'_> {
    /// As the guest's call would be written: `clock_time_get(realtime)`, `random_get(16)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::ClockNow(c) => write!(f, "clock_time_get({})", c.name()),
            Request::ClockResolution(c) => write!(f, "clock_res_get({})", c.name()),
            Request::ClockEpoch => f.write_str("the clock's epoch"),
            Request::Sleep(ns) => write!(f, "a sleep of {} ns", grouped(*ns)),
            Request::Random(n) => write!(f, "random_get({})", grouped(*n)),
            Request::StdinRead(n) => write!(f, "fd_read(stdin, {})", grouped(*n)),
            Request::HostCall { kind, request } => {
                // A digest (32 bytes) is shown whole; a longer request by its start.
                let shown = &request[..request.len().min(32)];
                let hex: String = shown.iter().map(|b| format!("{b:02x}")).collect();
                let more = if shown.len() < request.len() {
                    "…"
                } else {
                    ""
                };
                write!(
                    f,
                    "{kind}({hex}{more}, {})",
                    plural(request.len() as u64, "byte")
                )
            }
        }
    }
}

/// `n` things, grouped: "1 call", "18,204 calls".
pub(crate) fn plural(n: u64, thing: &str) -> String {
    match n {
        1 => format!("1 {thing}"),
        n => format!("{} {thing}s", grouped(n)),
    }
}

/// `n` with a comma between each group of three digits: 18,204.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
