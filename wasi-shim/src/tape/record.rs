//! Recording: wrappers that pass the host's answers through and append each to one tape.
//!
//! Owns: the [`Recorder`] (the tape being written, shared by every wrapper and by host
//! modules outside the shim), the size limit, and [`RecordingClock`], [`RecordingRandom`] and
//! [`RecordingStdin`]. Records are encoded as they happen, so a tape costs its own size in
//! memory and each answer one copy. Must not change any answer: the guest sees exactly what
//! the wrapped source says, recorded or not. Must not decide whether a run records: the
//! runner does, and only a run whose guest sees something its content does not fix needs to.

use super::event::Event;
use super::format::{HEADER_LEN, Tape, push_record};
use crate::clock::{Clock, ClockId};
use crate::errno::Errno;
use crate::random::RandomSource;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard};

/// The tape being recorded, shared (cloning shares it) by the wrappers made from it. Guest
/// calls come from one thread; the runner takes the tape with [`Recorder::finish`] from
/// another once the guest's has ended.
#[derive(Debug, Clone)]
pub struct Recorder {
    shared: Arc<Mutex<Recording>>,
}

#[derive(Debug)]
struct Recording {
    /// The framed records so far.
    records: Vec<u8>,
    calls: u64,
    limit: u64,
    /// False once a record did not fit: nothing is recorded after it.
    complete: bool,
    finished: bool,
}

impl Recorder {
    /// An empty tape that may grow to `limit` bytes, header included. The first answer that
    /// does not fit stops the recording: the tape keeps what came before and says it is
    /// incomplete (the run goes on, but cannot be replayed).
    pub fn new(limit: u64) -> Recorder {
        Recorder {
            shared: Arc::new(Mutex::new(Recording {
                records: Vec::new(),
                calls: 0,
                limit,
                complete: true,
                finished: false,
            })),
        }
    }

    /// Records an answer given by a host module outside the shim: its `kind` (a name such
    /// as `wasi:http/requests`), the `request` (or its digest: whatever a replay must see
    /// again to give the same answer) and the `answer` bytes, in the module's encoding.
    pub fn host_call(&self, kind: &str, request: &[u8], answer: &[u8]) {
        self.push(&Event::HostCall {
            kind,
            request,
            answer,
        });
    }

    /// The answers recorded so far.
    pub fn calls(&self) -> u64 {
        self.lock().calls
    }

    /// Whether every answer so far fits within the limit.
    pub fn is_complete(&self) -> bool {
        self.lock().complete
    }

    /// The finished tape (a copy: calling it again gives the same one). Call it once the
    /// guest has ended: answers given after it are on no tape.
    pub fn finish(&self) -> Tape {
        let mut r = self.lock();
        r.finished = true;
        Tape::from_records(&r.records, r.calls, r.complete)
    }

    fn lock(&self) -> MutexGuard<'_, Recording> {
        // A wrapper that panicked mid-record left no partial record (see `push`).
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn push(&self, event: &Event<'_>) {
        let mut guard = self.lock();
        let r = &mut *guard;
        if !r.complete || r.finished {
            return;
        }
        let start = r.records.len();
        push_record(event, &mut r.records);
        if (HEADER_LEN + r.records.len()) as u64 > r.limit {
            r.records.truncate(start);
            r.complete = false;
            return;
        }
        r.calls += 1;
    }
}

/// A [`Clock`] whose every answer, and every sleep, goes on the tape.
#[derive(Debug)]
pub struct RecordingClock<C> {
    inner: C,
    recorder: Recorder,
}

impl<C: Clock> RecordingClock<C> {
    /// Records what `inner` answers.
    pub fn new(inner: C, recorder: &Recorder) -> Self {
        RecordingClock {
            inner,
            recorder: recorder.clone(),
        }
    }
}

impl<C: Clock> Clock for RecordingClock<C> {
    fn now(&self, clock: ClockId) -> Option<u64> {
        let answer = self.inner.now(clock);
        self.recorder.push(&Event::ClockNow { clock, answer });
        answer
    }

    fn resolution(&self, clock: ClockId) -> Option<u64> {
        let answer = self.inner.resolution(clock);
        self.recorder
            .push(&Event::ClockResolution { clock, answer });
        answer
    }

    fn epoch(&self) -> Option<u64> {
        let answer = self.inner.epoch();
        self.recorder.push(&Event::ClockEpoch { answer });
        answer
    }

    fn sleep(&self, ns: u64) {
        self.inner.sleep(ns);
        self.recorder.push(&Event::Sleep { ns });
    }
}

/// A [`RandomSource`] whose every fill goes on the tape.
#[derive(Debug)]
pub struct RecordingRandom<R> {
    inner: R,
    recorder: Recorder,
}

impl<R: RandomSource> RecordingRandom<R> {
    /// Records what `inner` gives.
    pub fn new(inner: R, recorder: &Recorder) -> Self {
        RecordingRandom {
            inner,
            recorder: recorder.clone(),
        }
    }
}

impl<R: RandomSource> RandomSource for RecordingRandom<R> {
    fn fill(&mut self, buf: &mut [u8]) {
        self.inner.fill(buf);
        self.recorder.push(&Event::Random { bytes: buf });
    }
}

/// A stdin whose every read (bytes, end of file or error) goes on the tape. It must be what
/// the builder gets, wrapping everything else, so each read is one the guest made.
#[derive(Debug)]
pub struct RecordingStdin<R> {
    inner: R,
    recorder: Recorder,
}

impl<R: Read> RecordingStdin<R> {
    /// Records what reading `inner` gives.
    pub fn new(inner: R, recorder: &Recorder) -> Self {
        RecordingStdin {
            inner,
            recorder: recorder.clone(),
        }
    }
}

impl<R: Read> Read for RecordingStdin<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let result = self.inner.read(buf);
        let answer = match &result {
            // A reader claiming more than the buffer is refused by `read_vecs` anyway; the
            // tape keeps only what fits.
            Ok(n) => Ok(&buf[..(*n).min(buf.len())]),
            // The errno the guest sees, not the host's error: portable, and all it learns.
            Err(e) => Err(Errno::from(e)),
        };
        self.recorder.push(&Event::StdinRead {
            asked: buf.len() as u64,
            answer,
        });
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{FixedClock, VirtualClock};
    use crate::random::SeededRandom;

    fn events(tape: &Tape) -> Vec<Event<'_>> {
        tape.events().collect()
    }

    #[test]
    fn the_wrappers_pass_answers_through_and_record_them_in_order() {
        let rec = Recorder::new(1 << 20);
        let clock = RecordingClock::new(VirtualClock::new(500, 10), &rec);
        let mut random = RecordingRandom::new(SeededRandom::new(1), &rec);
        let mut stdin = RecordingStdin::new(&b"hello"[..], &rec);
        assert_eq!(clock.epoch(), Some(500));
        assert_eq!(clock.now(ClockId::Realtime), Some(500));
        assert_eq!(clock.resolution(ClockId::Monotonic), Some(10));
        assert_eq!(clock.now(ClockId::ProcessCputime), None);
        clock.sleep(1_000);
        let mut bytes = [0u8; 3];
        random.fill(&mut bytes);
        let mut want = [0u8; 3];
        SeededRandom::new(1).fill(&mut want);
        assert_eq!(bytes, want, "the guest gets the inner source's bytes");
        let mut buf = [0u8; 4];
        assert_eq!(stdin.read(&mut buf).unwrap(), 4);
        assert_eq!(stdin.read(&mut buf).unwrap(), 1);
        assert_eq!(stdin.read(&mut buf).unwrap(), 0);
        rec.host_call("wasi:http/requests", b"req", b"answer");
        assert_eq!(rec.calls(), 10);

        let tape = rec.finish();
        assert!(tape.is_complete());
        assert_eq!(tape.calls(), 10);
        use Event::*;
        let clock = ClockId::Realtime;
        assert_eq!(
            events(&tape),
            [
                ClockEpoch { answer: Some(500) },
                ClockNow {
                    clock,
                    answer: Some(500)
                },
                ClockResolution {
                    clock: ClockId::Monotonic,
                    answer: Some(10)
                },
                ClockNow {
                    clock: ClockId::ProcessCputime,
                    answer: None
                },
                Sleep { ns: 1_000 },
                Random { bytes: &want },
                StdinRead {
                    asked: 4,
                    answer: Ok(b"hell")
                },
                StdinRead {
                    asked: 4,
                    answer: Ok(b"o")
                },
                StdinRead {
                    asked: 4,
                    answer: Ok(b"")
                },
                HostCall {
                    kind: "wasi:http/requests",
                    request: b"req",
                    answer: b"answer"
                },
            ]
        );
        assert_eq!(Tape::parse(tape.as_bytes().to_vec()), Ok(tape));
    }

    #[test]
    fn a_stdin_error_is_passed_through_and_recorded_as_the_guests_errno() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(
                    rustix::io::Errno::INTR.raw_os_error(),
                ))
            }
        }
        let rec = Recorder::new(1 << 20);
        let mut stdin = RecordingStdin::new(Failing, &rec);
        let err = stdin.read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Interrupted, "unchanged");
        let tape = rec.finish();
        assert_eq!(
            events(&tape),
            [Event::StdinRead {
                asked: 8,
                answer: Err(Errno::Intr)
            }]
        );
    }

    #[test]
    fn past_the_size_limit_recording_stops_and_the_tape_says_so() {
        // Each clock read is 12 bytes framed: kind, length, clock, tag, u64.
        let rec = Recorder::new((HEADER_LEN + 3 * 12 + 5) as u64);
        let fixed = FixedClock {
            realtime_ns: 7,
            monotonic_ns: 9,
        };
        let clock = RecordingClock::new(fixed, &rec);
        for _ in 0..3 {
            assert_eq!(clock.now(ClockId::Monotonic), Some(9));
        }
        assert!(rec.is_complete());
        assert_eq!(clock.now(ClockId::Monotonic), Some(9), "answers go on");
        assert!(!rec.is_complete());
        // A smaller answer that would still fit is not recorded either: order would break.
        clock.sleep(0);
        assert_eq!(rec.calls(), 3);
        let tape = rec.finish();
        assert_eq!(tape.as_bytes().len(), HEADER_LEN + 3 * 12);
        assert!(!tape.is_complete());
        let parsed = Tape::parse(tape.into_bytes()).unwrap();
        assert!(!parsed.is_complete());
        assert_eq!(parsed.calls(), 3);
    }

    #[test]
    fn a_limit_below_the_header_records_nothing() {
        let rec = Recorder::new(0);
        let mut random = RecordingRandom::new(SeededRandom::new(3), &rec);
        random.fill(&mut [0u8; 1]);
        let tape = rec.finish();
        assert!(!tape.is_complete());
        assert_eq!(tape.calls(), 0);
    }

    #[test]
    fn answers_after_finish_are_not_recorded() {
        let rec = Recorder::new(1 << 10);
        let clock = RecordingClock::new(VirtualClock::new(0, 1), &rec);
        clock.now(ClockId::Realtime);
        let tape = rec.finish();
        clock.now(ClockId::Realtime);
        assert_eq!(tape.calls(), 1);
        assert_eq!(rec.calls(), 1);
        assert_eq!(rec.finish(), tape, "finishing again gives the same tape");
    }
}
