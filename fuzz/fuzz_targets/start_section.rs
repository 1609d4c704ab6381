#![no_main]

use libfuzzer_sys::fuzz_target;
use wasmparser::{Parser, Payload};

fuzz_target!(|data: &[u8]| {
    let has_start = Parser::new(0)
        .parse_all(data)
        .any(|payload| matches!(payload, Ok(Payload::StartSection { .. })));
    bolinho::fuzz::start_section(data, has_start);
});
