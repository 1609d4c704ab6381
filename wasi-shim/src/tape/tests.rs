//! A tape recorded and replayed through a real context and the preview1 functions: what the
//! guest's memory holds after each run is the same, poll included.

use super::*;
use crate::clock::{ClockId, HostClock};
use crate::funcs::{clock, fd, poll, random};
use crate::interrupt::Interrupt;
use crate::memory::GuestMemory;
use crate::random::OsRandom;
use crate::{WasiCtx, WasiCtxBuilder};
use std::sync::Arc;

/// A small guest: reads the time, `random_len` random bytes, sleeps 2 ms through
/// `poll_oneoff`, reads stdin and the monotonic resolution. Its memory afterwards.
fn guest(ctx: &mut WasiCtx, random_len: u32) -> Vec<u8> {
    let mut bytes = vec![b'?'; 256];
    let mut mem = GuestMemory::new(&mut bytes);
    clock::clock_time_get(ctx, &mut mem, 0, 0, 0).unwrap();
    random::random_get(ctx, &mut mem, 8, random_len).unwrap();
    // One relative clock subscription on monotonic: userdata 7, 2 ms.
    mem.write_bytes(64, &[0; 48]).unwrap();
    mem.write_u64(64, 7).unwrap();
    mem.write_u32(64 + 16, ClockId::Monotonic.raw()).unwrap();
    mem.write_u64(64 + 24, 2_000_000).unwrap();
    poll::poll_oneoff(ctx, &mut mem, 64, 112, 1, 144).unwrap();
    // One iovec of 16 bytes at 160.
    mem.write_u32(150, 160).unwrap();
    mem.write_u32(154, 16).unwrap();
    fd::fd_read(ctx, &mut mem, 0, 150, 1, 148).unwrap();
    clock::clock_res_get(ctx, &mut mem, 1, 200).unwrap();
    bytes
}

/// A context whose sources come from `replay`, stopped through `interrupt`.
fn replaying(replay: &Replay, interrupt: Arc<Interrupt>) -> WasiCtx {
    WasiCtxBuilder::new()
        .interrupt(interrupt)
        .virtual_metadata(true)
        .clock(Box::new(ReplayClock::new(replay)))
        .random(Box::new(ReplayRandom::new(replay)))
        .stdin(Box::new(ReplayStdin::new(replay)))
        .build()
        .unwrap()
}

/// Records `guest` against the host's clock, OS randomness and a stdin.
fn recorded() -> (Vec<u8>, Tape) {
    let recorder = Recorder::new(1 << 20);
    let mut ctx = WasiCtxBuilder::new()
        .virtual_metadata(true)
        .clock(Box::new(RecordingClock::new(HostClock::new(), &recorder)))
        .random(Box::new(RecordingRandom::new(OsRandom::new(), &recorder)))
        .stdin(Box::new(RecordingStdin::new(&b"hello tape"[..], &recorder)))
        .build()
        .unwrap();
    let memory = guest(&mut ctx, 16);
    drop(ctx);
    (memory, recorder.finish())
}

#[test]
fn a_run_on_the_hosts_sources_replays_byte_for_byte() {
    let (memory, tape) = recorded();
    assert_eq!(&memory[160..170], b"hello tape");
    assert_eq!(&memory[112..120], &7u64.to_le_bytes(), "the sleep's event");

    let tape = Tape::parse(tape.into_bytes()).unwrap();
    let interrupt = Arc::new(Interrupt::new());
    let replay = Replay::new(tape, interrupt.clone()).unwrap();
    let mut ctx = replaying(&replay, interrupt.clone());
    assert_eq!(guest(&mut ctx, 16), memory);
    assert_eq!(replay.finish(), Ok(()));
    assert!(!interrupt.requested());
}

#[test]
fn a_guest_that_asks_otherwise_is_stopped_at_that_call() {
    let (_, tape) = recorded();
    let interrupt = Arc::new(Interrupt::new());
    let replay = Replay::new(tape, interrupt.clone()).unwrap();
    let mut ctx = replaying(&replay, interrupt.clone());
    let memory = guest(&mut ctx, 4);
    assert!(
        interrupt.requested(),
        "its host call's return ends the guest"
    );
    assert_eq!(&memory[8..12], &[0; 4], "a harmless answer");
    // Call 1 is the epoch the builder read for virtual metadata.
    assert_eq!(
        replay.finish().unwrap_err().to_string(),
        "call 3: the guest asked for random_get(4), the tape has random_get(16)"
    );
}
