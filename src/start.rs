//! A module's start function, taken out of instantiation so that it runs like the entrypoint:
//! in slices of fuel, stopped by a timeout or a signal.
//!
//! wasmi runs a module's `start` section inside instantiation, with no resumable form (the
//! fuel slicing of `run.rs` needs one). So before compiling, a module with a start section is
//! rewritten: the section is dropped and its function exported as [`EXPORT`], which `link.rs`
//! calls through `run` right after instantiating the module, where wasmi would have run it.
//! Owns: that byte-level rewrite, nothing else. The module's hash in a receipt is of the bytes
//! as given; only the engine sees the rewrite.

/// The name the start function is exported as. Not a name a compiler emits, and checked to be
/// free in each module rewritten.
pub const EXPORT: &str = "bolinho:start";

const EXPORT_SECTION: u8 = 7;
const START_SECTION: u8 = 8;
/// The export kind of a function.
const FUNC: u8 = 0;

/// `wasm` with its start section replaced by an export of the start function as [`EXPORT`], or
/// `None` when it has no start section. Also `None` when the module is malformed where this
/// looks (wasmi then reports it, on the original bytes) or already exports [`EXPORT`].
pub fn defer(wasm: &[u8]) -> Option<Vec<u8>> {
    let sections = sections(wasm)?;
    let start = sections.iter().find(|s| s.id == START_SECTION)?;
    let mut at = start.payload.clone();
    let func = read_u32(wasm, &mut at)?;
    let exports = sections.iter().find(|s| s.id == EXPORT_SECTION);
    // The new export section's payload: the old entries, if any, then ours.
    let mut payload = Vec::new();
    match exports {
        Some(section) => {
            let mut at = section.payload.clone();
            let count = read_u32(wasm, &mut at)?;
            let entries = at.start;
            for _ in 0..count {
                let len = read_u32(wasm, &mut at)? as usize;
                let name = wasm.get(at.start..at.start.checked_add(len)?)?;
                if name == EXPORT.as_bytes() {
                    return None;
                }
                at.start += len + 1; // the name, then the kind
                read_u32(wasm, &mut at)?;
            }
            write_u32(&mut payload, count.checked_add(1)?);
            payload.extend_from_slice(&wasm[entries..section.payload.end]);
        }
        None => write_u32(&mut payload, 1),
    }
    write_u32(&mut payload, EXPORT.len() as u32);
    payload.extend_from_slice(EXPORT.as_bytes());
    payload.push(FUNC);
    write_u32(&mut payload, func);

    let mut out = Vec::with_capacity(wasm.len() + payload.len());
    out.extend_from_slice(&wasm[..8]);
    for section in &sections {
        let (export_here, copy) = match section.id {
            // The export section comes just before the start section, so a module without one
            // gets it where its start section was: the order stays valid.
            EXPORT_SECTION => (true, false),
            START_SECTION => (exports.is_none(), false),
            _ => (false, true),
        };
        if export_here {
            out.push(EXPORT_SECTION);
            write_u32(&mut out, u32::try_from(payload.len()).ok()?);
            out.extend_from_slice(&payload);
        }
        if copy {
            out.extend_from_slice(&wasm[section.whole.clone()]);
        }
    }
    Some(out)
}

/// One section: its id, its bytes with the header, and its payload.
struct Section {
    id: u8,
    whole: std::ops::Range<usize>,
    payload: std::ops::Range<usize>,
}

/// The sections of `wasm`, after its 8-byte header; `None` if they do not fit.
fn sections(wasm: &[u8]) -> Option<Vec<Section>> {
    if wasm.get(..4)? != b"\0asm" || wasm.len() < 8 {
        return None;
    }
    let mut sections = Vec::new();
    let mut at = 8..wasm.len();
    while at.start < wasm.len() {
        let begin = at.start;
        let id = wasm[begin];
        at.start += 1;
        let len = read_u32(wasm, &mut at)? as usize;
        let end = at.start.checked_add(len).filter(|&e| e <= wasm.len())?;
        sections.push(Section {
            id,
            whole: begin..end,
            payload: at.start..end,
        });
        at.start = end;
    }
    Some(sections)
}

/// Reads an unsigned LEB128 `u32` at `at.start`, advancing it; `None` past `at.end` or when
/// malformed.
fn read_u32(wasm: &[u8], at: &mut std::ops::Range<usize>) -> Option<u32> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        if at.start >= at.end {
            return None;
        }
        let byte = *wasm.get(at.start)?;
        at.start += 1;
        value |= u32::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn write_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmi::{Engine, ExternType, Module};

    /// A function `() -> ()` with an empty body, run by the start section.
    const START_ONLY: &[u8] = &[
        0, 97, 115, 109, 1, 0, 0, 0, // header
        1, 4, 1, 96, 0, 0, // type section: () -> ()
        3, 2, 1, 0, // function section: one function of type 0
        8, 1, 0, // start section: function 0
        10, 4, 1, 2, 0, 11, // code section: an empty body
    ];

    /// Two such functions: the first the start function, the second exported as `_start`.
    const START_AND_EXPORTS: &[u8] = &[
        0, 97, 115, 109, 1, 0, 0, 0, // header
        1, 4, 1, 96, 0, 0, // type section: () -> ()
        3, 3, 2, 0, 0, // function section: two functions of type 0
        7, 10, 1, 6, 95, 115, 116, 97, 114, 116, 0, 1, // export "_start" = function 1
        8, 1, 0, // start section: function 0
        10, 7, 2, 2, 0, 11, 2, 0, 11, // code section: two empty bodies
    ];

    fn exports(bytes: &[u8]) -> Vec<(String, bool)> {
        let module = Module::new(&Engine::default(), bytes).unwrap();
        module
            .exports()
            .map(|e| (e.name().to_string(), matches!(e.ty(), ExternType::Func(_))))
            .collect()
    }

    #[test]
    fn a_start_section_becomes_an_export() {
        let rewritten = defer(START_ONLY).unwrap();
        assert_eq!(exports(&rewritten), [(EXPORT.to_string(), true)]);
        let rewritten = defer(START_AND_EXPORTS).unwrap();
        assert_eq!(
            exports(&rewritten),
            [("_start".to_string(), true), (EXPORT.to_string(), true)]
        );
        // Rewritten once, there is no start section left to rewrite.
        assert_eq!(defer(&rewritten), None);
    }

    #[test]
    fn modules_without_a_start_section_or_malformed_are_left_alone() {
        let mut no_start = START_ONLY.to_vec();
        no_start.drain(18..21);
        assert_eq!(defer(&no_start), None);
        Module::new(&Engine::default(), &no_start[..]).unwrap();
        let mut cut = START_AND_EXPORTS.to_vec();
        cut.truncate(30);
        assert_eq!(defer(&cut), None);
        assert_eq!(defer(b"(module)"), None);
        assert_eq!(defer(b""), None);
    }

    #[test]
    fn leb128_round_trips() {
        for value in [0, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut bytes = Vec::new();
            write_u32(&mut bytes, value);
            assert_eq!(read_u32(&bytes, &mut (0..bytes.len())), Some(value));
        }
        assert_eq!(read_u32(&[0x80], &mut (0..1)), None);
    }
}
