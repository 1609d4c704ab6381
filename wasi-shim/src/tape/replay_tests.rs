//! Replay: recorded answers come back in order, divergence is caught and named exactly.

use super::*;
use crate::clock::{FixedClock, VirtualClock};
use crate::errno::Errno;
use crate::random::SeededRandom;
use crate::tape::{Recorder, RecordingClock, RecordingRandom, RecordingStdin};
use std::time::{Duration, Instant};

/// One thing a guest can ask the host.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Now(ClockId),
    Resolution(ClockId),
    Epoch,
    Sleep(u64),
    Random(usize),
    Read(usize),
    Host(&'static str, Vec<u8>),
}

/// What the guest was told.
#[derive(Debug, Clone, PartialEq)]
enum Seen {
    Time(Option<u64>),
    Slept,
    Bytes(Vec<u8>),
    Read(Result<Vec<u8>, Errno>),
    Host(Option<Vec<u8>>),
}

/// A host module outside the shim: a request of a kind in, an answer out.
type Module<'a> = Box<dyn FnMut(&str, &[u8]) -> Option<Vec<u8>> + 'a>;

/// The host as a guest sees it: the builder's three sources and one outside module.
struct Host<'a> {
    clock: Box<dyn Clock + 'a>,
    random: Box<dyn RandomSource + 'a>,
    stdin: Box<dyn Read + 'a>,
    call: Module<'a>,
}

impl Host<'_> {
    fn run(&mut self, ops: &[Op]) -> Vec<Seen> {
        ops.iter().map(|op| self.ask(op)).collect()
    }

    fn ask(&mut self, op: &Op) -> Seen {
        match op {
            Op::Now(c) => Seen::Time(self.clock.now(*c)),
            Op::Resolution(c) => Seen::Time(self.clock.resolution(*c)),
            Op::Epoch => Seen::Time(self.clock.epoch()),
            Op::Sleep(ns) => {
                self.clock.sleep(*ns);
                Seen::Slept
            }
            Op::Random(n) => {
                let mut buf = vec![b'?'; *n];
                self.random.fill(&mut buf);
                Seen::Bytes(buf)
            }
            Op::Read(n) => {
                let mut buf = vec![b'?'; *n];
                Seen::Read(match self.stdin.read(&mut buf) {
                    Ok(got) => Ok(buf[..got].to_vec()),
                    Err(e) => Err(Errno::from(e)),
                })
            }
            Op::Host(kind, request) => Seen::Host((self.call)(kind, request)),
        }
    }
}

/// A stdin that gives short reads, errors and then end of file, by its seed.
struct Flaky(SeededRandom, usize);

impl Read for Flaky {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut roll = [0u8; 2];
        self.0.fill(&mut roll);
        if self.1 == 0 {
            return Ok(0);
        }
        self.1 -= 1;
        match roll[0] % 8 {
            0 => Err(io::ErrorKind::Interrupted.into()),
            1 => Err(io::ErrorKind::WouldBlock.into()),
            _ => {
                let n = usize::from(roll[1]).min(buf.len());
                self.0.fill(&mut buf[..n]);
                Ok(n)
            }
        }
    }
}

/// Runs `ops` against real-ish sources seeded by `seed`, recording; the answers and tape.
fn record(seed: u64, ops: &[Op]) -> (Vec<Seen>, Tape) {
    let rec = Recorder::new(1 << 24);
    let seen = {
        let r = rec.clone();
        let mut host = Host {
            clock: Box::new(RecordingClock::new(
                VirtualClock::new(seed, 1 + seed % 999),
                &rec,
            )),
            random: Box::new(RecordingRandom::new(SeededRandom::new(seed), &rec)),
            stdin: Box::new(RecordingStdin::new(
                Flaky(SeededRandom::new(!seed), 20),
                &rec,
            )),
            call: Box::new(move |kind, request| {
                // A server answering with its request reversed.
                let answer: Vec<u8> = request.iter().rev().copied().collect();
                r.host_call(kind, request, &answer);
                Some(answer)
            }),
        };
        host.run(ops)
    };
    (seen, rec.finish())
}

/// Replays `tape` (through its byte form) for `ops`: the answers, the replay, the interrupt.
fn replay_of(tape: &Tape, ops: &[Op]) -> (Vec<Seen>, Replay, Arc<Interrupt>) {
    let tape = Tape::parse(tape.as_bytes().to_vec()).expect("a recorded tape parses");
    let interrupt = Arc::new(Interrupt::new());
    let replay = Replay::new(tape, interrupt.clone()).unwrap();
    let r = replay.clone();
    let mut host = Host {
        clock: Box::new(ReplayClock::new(&replay)),
        random: Box::new(ReplayRandom::new(&replay)),
        stdin: Box::new(ReplayStdin::new(&replay)),
        call: Box::new(move |kind, request| r.host_call(kind, request)),
    };
    let seen = host.run(ops);
    (seen, replay, interrupt)
}

/// The divergence replaying a recording of `recorded` meets when the guest asks `asked`.
fn diverge(recorded: &[Op], asked: &[Op]) -> String {
    let (_, tape) = record(1, recorded);
    let (_, replay, interrupt) = replay_of(&tape, asked);
    let d = replay.finish().expect_err("a divergence");
    assert!(interrupt.requested() || matches!(d, Divergence::Unconsumed { .. }));
    d.to_string()
}

#[test]
fn a_recorded_run_replays_with_the_same_answers() {
    use ClockId::*;
    let ops = [
        Op::Epoch,
        Op::Now(Realtime),
        Op::Now(Monotonic),
        Op::Now(ProcessCputime),
        Op::Resolution(Monotonic),
        Op::Sleep(5_000),
        Op::Random(0),
        Op::Random(33),
        Op::Read(64),
        Op::Read(0),
        Op::Host("wasi:http/requests", b"GET /".to_vec()),
    ];
    let (seen, tape) = record(9, &ops);
    let (again, replay, interrupt) = replay_of(&tape, &ops);
    assert_eq!(again, seen);
    assert_eq!(replay.finish(), Ok(()));
    assert_eq!(replay.calls(), ops.len() as u64);
    assert!(!interrupt.requested());
}

#[test]
fn each_divergence_is_named_exactly() {
    use ClockId::*;
    let host = |r: &[u8]| Op::Host("wasi:http/requests", r.to_vec());
    let cases: [(&[Op], &[Op], &str); 11] = [
        (
            &[Op::Now(Realtime)],
            &[Op::Random(16)],
            "call 1: the guest asked for random_get(16), the tape has clock_time_get(realtime)",
        ),
        (
            &[Op::Now(Realtime)],
            &[Op::Now(Monotonic)],
            "call 1: the guest asked for clock_time_get(monotonic), the tape has clock_time_get(realtime)",
        ),
        (
            &[Op::Epoch, Op::Resolution(Realtime)],
            &[Op::Epoch, Op::Resolution(ThreadCputime)],
            "call 2: the guest asked for clock_res_get(thread_cputime_id), the tape has clock_res_get(realtime)",
        ),
        (
            &[Op::Random(16)],
            &[Op::Random(8)],
            "call 1: the guest asked for random_get(8), the tape has random_get(16)",
        ),
        (
            &[Op::Read(1024)],
            &[Op::Read(4096)],
            "call 1: the guest asked for fd_read(stdin, 4,096), the tape has fd_read(stdin, 1,024)",
        ),
        (
            &[Op::Sleep(1_000)],
            &[Op::Sleep(2_000)],
            "call 1: the guest asked for a sleep of 2,000 ns, the tape has a sleep of 1,000 ns",
        ),
        (
            &[Op::Random(4)],
            &[Op::Epoch],
            "call 1: the guest asked for the clock's epoch, the tape has random_get(4)",
        ),
        (
            &[host(b"\x01\x02")],
            &[host(b"\x01\x03")],
            "call 1: the guest asked for wasi:http/requests(0103, 2 bytes), the tape has wasi:http/requests(0102, 2 bytes) (the requests differ from byte 1)",
        ),
        (
            &[host(&[7; 40])],
            &[host(&[7; 41])],
            "call 1: the guest asked for wasi:http/requests(0707070707070707070707070707070707070707070707070707070707070707…, 41 bytes), the tape has wasi:http/requests(0707070707070707070707070707070707070707070707070707070707070707…, 40 bytes) (the requests differ from byte 40)",
        ),
        (
            &[Op::Host("a", vec![0])],
            &[Op::Host("b", vec![0])],
            "call 1: the guest asked for b(00, 1 byte), the tape has a(00, 1 byte)",
        ),
        (
            &[],
            &[Op::Sleep(1)],
            "the tape ends after 0 calls; the guest asked for a sleep of 1 ns",
        ),
    ];
    for (recorded, asked, want) in cases {
        assert_eq!(
            diverge(recorded, asked),
            want,
            "{recorded:?} then {asked:?}"
        );
    }
    assert_eq!(
        diverge(
            &[Op::Random(1), Op::Random(2)],
            &[Op::Random(1), Op::Random(2), Op::Random(1)]
        ),
        "the tape ends after 2 calls; the guest asked for random_get(1)"
    );
    assert_eq!(
        diverge(&[Op::Read(1), Op::Read(1), Op::Read(1)], &[Op::Read(1)]),
        "the guest made 1 call, the tape has 3"
    );
}

#[test]
fn call_numbers_count_in_thousands() {
    let mut recorded = vec![Op::Now(ClockId::Monotonic); 18_203];
    let mut asked = recorded.clone();
    recorded.push(Op::Now(ClockId::Realtime));
    asked.push(Op::Random(16));
    assert_eq!(
        diverge(&recorded, &asked),
        "call 18,204: the guest asked for random_get(16), the tape has clock_time_get(realtime)"
    );
}

#[test]
fn after_a_divergence_the_guest_is_stopped_and_gets_harmless_answers() {
    let ops = [Op::Random(4), Op::Now(ClockId::Realtime), Op::Read(8)];
    let (seen, tape) = record(3, &ops);
    let asked = [
        Op::Random(4),
        Op::Random(2),
        Op::Now(ClockId::Realtime),
        Op::Read(8),
        Op::Host("x", vec![]),
    ];
    let (again, replay, interrupt) = replay_of(&tape, &asked);
    assert!(interrupt.requested(), "a stop was requested");
    assert_eq!(
        again,
        [
            seen[0].clone(),
            Seen::Bytes(vec![0, 0]),
            Seen::Time(Some(0)),
            Seen::Read(Ok(Vec::new())),
            Seen::Host(None),
        ],
        "nothing more is taken from the tape"
    );
    assert_eq!(replay.calls(), 1);
    let first = "call 2: the guest asked for random_get(2), the tape has clock_time_get(realtime)";
    assert_eq!(replay.divergence().unwrap().to_string(), first);
    assert_eq!(replay.finish().unwrap_err().to_string(), first);
}

#[test]
fn replayed_sleeps_take_no_time() {
    let ten_seconds = 10_000_000_000;
    let ops = [Op::Sleep(ten_seconds), Op::Sleep(ten_seconds)];
    let (_, tape) = record(4, &ops);
    let start = Instant::now();
    let (seen, replay, _) = replay_of(&tape, &ops);
    assert!(start.elapsed() < Duration::from_secs(1));
    assert_eq!(seen, [Seen::Slept, Seen::Slept]);
    assert_eq!(replay.finish(), Ok(()));
}

#[test]
fn recorded_stdin_errors_are_replayed_as_the_same_errnos() {
    /// Fails twice (a signal, then an OS `EAGAIN`), then gives "ok" and end of file.
    struct Scripted(u8);
    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0 += 1;
            match self.0 {
                1 => Err(io::ErrorKind::Interrupted.into()),
                2 => Err(io::Error::from_raw_os_error(
                    rustix::io::Errno::AGAIN.raw_os_error(),
                )),
                3 => {
                    buf[..2].copy_from_slice(b"ok");
                    Ok(2)
                }
                _ => Ok(0),
            }
        }
    }
    let rec = Recorder::new(1 << 10);
    let mut stdin = RecordingStdin::new(Scripted(0), &rec);
    let mut host = Host {
        clock: Box::new(FixedClock {
            realtime_ns: 0,
            monotonic_ns: 0,
        }),
        random: Box::new(SeededRandom::new(0)),
        stdin: Box::new(&mut stdin),
        call: Box::new(|_, _| None),
    };
    let ops = vec![Op::Read(16); 4];
    let seen = host.run(&ops);
    drop(host);
    let want = [
        Seen::Read(Err(Errno::Intr)),
        Seen::Read(Err(Errno::Again)),
        Seen::Read(Ok(b"ok".to_vec())),
        Seen::Read(Ok(Vec::new())),
    ];
    assert_eq!(seen, want);
    assert_eq!(replay_of(&rec.finish(), &ops).0, want);
}

#[test]
fn a_tape_cut_at_its_size_limit_is_not_replayed() {
    let rec = Recorder::new(24 + 30);
    let clock = RecordingClock::new(
        FixedClock {
            realtime_ns: 1,
            monotonic_ns: 2,
        },
        &rec,
    );
    for _ in 0..3 {
        clock.now(ClockId::Realtime);
    }
    let tape = Tape::parse(rec.finish().into_bytes()).unwrap();
    let err = Replay::new(tape, Arc::new(Interrupt::new())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the tape stops after 2 calls, where its recording reached the size limit: \
         the run cannot be replayed"
    );
}

/// `n` guest requests drawn from `g`.
fn random_ops(g: &mut SeededRandom, n: usize) -> Vec<Op> {
    let mut roll = || {
        let mut b = [0u8; 8];
        g.fill(&mut b);
        u64::from_le_bytes(b)
    };
    (0..n)
        .map(|_| {
            let clock = ClockId::from_raw((roll() % 4) as u32).expect("0..4");
            match roll() % 7 {
                0 => Op::Now(clock),
                1 => Op::Resolution(clock),
                2 => Op::Epoch,
                3 => Op::Sleep(roll() % 3_000_000_000),
                4 => Op::Random((roll() % 300) as usize),
                5 => Op::Read((roll() % 5_000) as usize),
                _ => Op::Host(
                    "wasi:http/requests",
                    vec![roll() as u8; (roll() % 70) as usize],
                ),
            }
        })
        .collect()
}

#[test]
fn property_any_recorded_sequence_replays_and_any_change_is_caught_where_it_happens() {
    let mut g = SeededRandom::new(2024);
    let mut caught = 0;
    for seed in 0..300u64 {
        let len = 1 + (seed as usize * 7) % 60;
        let ops = random_ops(&mut g, len);
        let (seen, tape) = record(seed, &ops);
        assert_eq!(tape.calls(), len as u64);
        let (again, replay, interrupt) = replay_of(&tape, &ops);
        assert_eq!(again, seen, "seed {seed}");
        assert_eq!(replay.finish(), Ok(()));
        assert!(!interrupt.requested());

        // Change one request: replay follows the tape up to it, then stops there.
        let at = (seed as usize * 13) % len;
        let mut changed = ops.clone();
        changed[at] = random_ops(&mut g, 1).remove(0);
        let (again, replay, interrupt) = replay_of(&tape, &changed);
        assert_eq!(again[..at], seen[..at], "seed {seed}");
        if changed[at] == ops[at] {
            continue;
        }
        match replay.finish() {
            Err(Divergence::Mismatch { call, .. }) => assert_eq!(call, at as u64 + 1),
            other => panic!("seed {seed}: {other:?}"),
        }
        assert!(interrupt.requested());
        caught += 1;
    }
    assert!(caught > 250, "only {caught} changes were real");
}
