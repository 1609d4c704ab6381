//! The byte form pinned, and every way an untrusted tape is refused, with its message.

use super::*;
use crate::clock::ClockId;
use crate::errno::Errno;
use crate::random::{RandomSource, SeededRandom};

/// A header declaring `count` records with `flags`, then `records` as given.
fn raw(count: u64, flags: u8, records: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.push(flags);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(records);
    out
}

/// The message `bytes` is refused with.
fn refused(bytes: Vec<u8>) -> String {
    Tape::parse(bytes).expect_err("refused").to_string()
}

/// One record of each kind, framed.
fn one_of_each() -> Vec<u8> {
    let events = [
        Event::ClockNow {
            clock: ClockId::Realtime,
            answer: Some(5),
        },
        Event::ClockEpoch { answer: Some(1) },
        Event::ClockResolution {
            clock: ClockId::ThreadCputime,
            answer: None,
        },
        Event::Sleep { ns: 1_000 },
        Event::Random { bytes: b"xyz" },
        Event::StdinRead {
            asked: 300,
            answer: Ok(b"line\n"),
        },
        Event::StdinRead {
            asked: 8,
            answer: Err(Errno::Intr),
        },
        Event::HostCall {
            kind: "wasi:http/requests",
            request: &[0xab; 32],
            answer: b"200",
        },
    ];
    let mut out = Vec::new();
    for e in &events {
        push_record(e, &mut out);
    }
    out
}

#[test]
fn the_byte_form_is_pinned() {
    let tape = Tape::from_records(
        &[
            1, 10, 0, 1, 5, 0, 0, 0, 0, 0, 0, 0, 4, 8, 0xe8, 3, 0, 0, 0, 0, 0, 0,
        ],
        2,
        true,
    );
    let want = b"bolinho-tape\0\x01\x00\x00\x02\0\0\0\0\0\0\0\
                 \x01\x0a\x00\x01\x05\0\0\0\0\0\0\0\
                 \x04\x08\xe8\x03\0\0\0\0\0\0";
    assert_eq!(tape.as_bytes(), want);
    let parsed = Tape::parse(want.to_vec()).unwrap();
    let events: Vec<_> = parsed.events().collect();
    assert_eq!(
        events,
        [
            Event::ClockNow {
                clock: ClockId::Realtime,
                answer: Some(5)
            },
            Event::Sleep { ns: 1_000 }
        ]
    );
    assert!(parsed.is_complete());
    assert_eq!(parsed.calls(), 2);
}

#[test]
fn every_kind_survives_a_round_trip_and_one_list_has_one_byte_form() {
    let bytes = raw(8, 0, &one_of_each());
    let tape = Tape::parse(bytes.clone()).unwrap();
    assert_eq!(tape.calls(), 8);
    let mut again = Vec::new();
    for e in tape.events() {
        push_record(&e, &mut again);
    }
    assert_eq!(raw(8, 0, &again), bytes);
    assert_eq!(tape.into_bytes(), bytes);
}

#[test]
fn what_is_not_a_tape_of_this_version() {
    let not = "not a bolinho tape: it does not start with \"bolinho-tape\\0\"";
    assert_eq!(refused(Vec::new()), not);
    assert_eq!(refused(b"bolinho".to_vec()), not);
    assert_eq!(refused(b"\x7fELF and a lot more bytes".to_vec()), not);
    assert_eq!(
        refused(MAGIC.to_vec()),
        "the tape is cut short in its 24-byte header"
    );
    let mut v2 = raw(0, 0, &[]);
    v2[13] = 2;
    assert_eq!(
        refused(v2),
        "tape version 2 is not supported: this bolinho reads version 1"
    );
    assert_eq!(
        refused(raw(0, 0x06, &[])),
        "the tape's header has unknown flags 0x06"
    );
    assert!(Tape::parse(raw(0, 0, &[])).unwrap().is_complete());
    assert!(!Tape::parse(raw(0, 1, &[])).unwrap().is_complete());
}

#[test]
fn every_cut_of_a_tape_is_refused() {
    let whole = raw(8, 0, &one_of_each());
    for len in 0..whole.len() {
        assert!(
            Tape::parse(whole[..len].to_vec()).is_err(),
            "a tape cut to {len} bytes was accepted"
        );
    }
    // At a record boundary, the count tells; inside a record, its length does.
    assert_eq!(
        refused(whole[..24 + 12].to_vec()),
        "the tape declares 8 records but ends after 1"
    );
    assert_eq!(
        refused(whole[..24 + 12 + 1].to_vec()),
        "record 2 at byte 36 is cut short in its length"
    );
    assert_eq!(
        refused(whole[..24 + 12 + 5].to_vec()),
        "record 2 at byte 36 is cut short: it declares 9 bytes and 3 remain"
    );
}

#[test]
fn a_declared_length_past_the_input_is_refused_before_use() {
    let mut record = vec![5];
    put_varint(&mut record, u64::MAX);
    record.extend_from_slice(b"abc");
    assert_eq!(
        refused(raw(1, 0, &record)),
        "record 1 at byte 24 is cut short: it declares 18,446,744,073,709,551,615 bytes and 3 remain"
    );
    let mut record = vec![5];
    put_varint(&mut record, 1_000_000);
    assert_eq!(
        refused(raw(1, 0, &record)),
        "record 1 at byte 24 is cut short: it declares 1,000,000 bytes and 0 remain"
    );
    // A host call's inner lengths are checked against the payload, not the tape.
    let mut payload = Vec::new();
    put_varint(&mut payload, 1 << 40);
    let mut record = vec![7];
    put_varint(&mut record, payload.len() as u64);
    record.extend_from_slice(&payload);
    assert_eq!(
        refused(raw(1, 0, &record)),
        "record 1 at byte 24: its fields run past its end"
    );
    // A count of 2^64 - 1 records is only a claim too.
    assert_eq!(
        refused(raw(u64::MAX, 0, &[])),
        "the tape declares 18,446,744,073,709,551,615 records but ends after 0"
    );
}

#[test]
fn records_with_bad_contents_are_refused_with_what_is_wrong() {
    let at = |kind: u8, payload: &[u8]| {
        let mut record = vec![kind];
        put_varint(&mut record, payload.len() as u64);
        record.extend_from_slice(payload);
        refused(raw(1, 0, &record))
    };
    let cases: [(u8, &[u8], &str); 14] = [
        (0, b"", "unknown kind 0"),
        (9, b"", "unknown kind 9"),
        (1, &[4, 0], "unknown clock id 4"),
        (1, &[0, 2], "an optional value with tag 2"),
        (1, &[0, 1, 0], "its fields run past its end"),
        (1, &[0, 0, 7], "1 byte left over after its fields"),
        (3, &[], "its fields run past its end"),
        (4, &[0; 7], "its fields run past its end"),
        (
            6,
            &[2, 0, b'a', b'b', b'c'],
            "a read of up to 2 bytes returned 3",
        ),
        (6, &[2, 2], "a stdin outcome with tag 2"),
        (6, &[2, 1, 0, 0], "errno 0 is not a preview1 error"),
        (6, &[2, 1, 77, 0], "errno 77 is not a preview1 error"),
        (7, &[2, 0xff, 0xfe, 0], "a host call kind that is not UTF-8"),
        (
            7,
            &[0x80, 0x00],
            "a length that is not minimal LEB128 in 64 bits",
        ),
    ];
    for (kind, payload, want) in cases {
        assert_eq!(
            at(kind, payload),
            format!("record 1 at byte 24: {want}"),
            "kind {kind} payload {payload:?}"
        );
    }
}

#[test]
fn a_record_length_must_be_minimal_leb128() {
    let not_minimal = "record 1 at byte 24: a length that is not minimal LEB128 in 64 bits";
    assert_eq!(refused(raw(1, 0, &[5, 0x81, 0x00, 0])), not_minimal);
    let mut eleven = vec![5];
    eleven.extend_from_slice(&[0xff; 10]);
    eleven.push(1);
    assert_eq!(refused(raw(1, 0, &eleven)), not_minimal);
    let mut record = vec![5, 0x80, 0x01];
    record.extend_from_slice(&[7; 128]);
    assert_eq!(Tape::parse(raw(1, 0, &record)).unwrap().calls(), 1);
}

#[test]
fn bytes_after_the_declared_records_are_refused() {
    let records = one_of_each();
    assert_eq!(
        refused(raw(1, 0, &records)),
        "the tape goes on after the 1 record it declares, at byte 36"
    );
    assert_eq!(
        refused(raw(0, 0, &[0])),
        "the tape goes on after the 0 records it declares, at byte 24"
    );
}

#[test]
fn random_damage_is_refused_or_read_without_panicking() {
    let whole = raw(8, 0, &one_of_each());
    let mut g = SeededRandom::new(12);
    let mut pick = |n: usize| {
        let mut b = [0u8; 8];
        g.fill(&mut b);
        (u64::from_le_bytes(b) % n as u64) as usize
    };
    for _ in 0..5_000 {
        let mut bytes = whole.clone();
        for _ in 0..1 + pick(3) {
            let i = pick(bytes.len());
            bytes[i] = pick(256) as u8;
        }
        bytes.truncate(bytes.len() - pick(4));
        if let Ok(tape) = Tape::parse(bytes.clone()) {
            assert_eq!(tape.events().count() as u64, tape.calls());
            assert_eq!(tape.as_bytes(), &bytes[..]);
        }
    }
}

#[test]
fn payloads_either_side_of_a_one_byte_length_are_framed_in_shortest_form() {
    for n in [0usize, 1, 126, 127, 128, 129, 300, 20_000] {
        let bytes = vec![0x5a; n];
        let mut out = vec![0xee]; // a record before it stays as it was
        let size = push_record(&Event::Random { bytes: &bytes }, &mut out);
        assert_eq!(size, out.len() - 1, "{n}");
        assert_eq!(out[0], 0xee);
        let mut length = Vec::new();
        put_varint(&mut length, n as u64);
        assert_eq!(&out[2..2 + length.len()], length.as_slice(), "{n}");
        assert_eq!(&out[2 + length.len()..], bytes.as_slice(), "{n}");
        let tape = Tape::parse(raw(1, 0, &out[1..])).unwrap();
        assert_eq!(
            tape.events().collect::<Vec<_>>(),
            [Event::Random { bytes: &bytes }]
        );
    }
}
