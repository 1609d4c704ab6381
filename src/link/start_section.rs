//! A module's start function, taken out of instantiation so that it runs like the entrypoint:
//! in slices of fuel, stopped by a timeout or a signal.
//!
//! wasmi runs a module's `start` section inside instantiation, with no resumable form (the
//! fuel slicing of `engine` needs one). So before compiling, a module with a start section is
//! rewritten: the section is dropped and its function exported as [`EXPORT`], which `engine`
//! calls right after instantiating the module, where wasmi would have run it.
//! Owns: that byte-level rewrite, and one more reading of the sections it walks: the size of
//! the largest function body, which the guest's host stack is sized by. The module's hash in
//! a receipt is of the bytes as given; only the engine sees the rewrite.
//!
//! The bytes are untrusted, and a rewrite must never turn an invalid module into a valid one:
//! dropping a start section that holds a stray byte, or moving an export section that came after
//! it, would hide the fault wasmi should report. So everything the rewrite reads, drops or moves
//! is checked to the letter of the binary format (the header, section ids, order, sizes, LEB128
//! integers, the start and export sections' contents), and anything off leaves the module alone.
//! Some faults the rewrite would hide lie beyond what it reads: a start function of the wrong
//! type or that does not exist, or one that a `ref.func` names without declaring it (an export
//! declares it). So a module with a start section is also validated, as given, before it is
//! rewritten; an invalid one is left alone. That validates such modules twice (`link`
//! compiles the rewrite), a cost only modules with a start section pay.
//! One limit is not checked: wasmparser caps a module's imports and exports together at an
//! "effective type size" of a million, so a module within one export of it is refused once
//! rewritten. Reaching it takes about a million imports and exports.

/// The name the start function is exported as. Not a name a compiler emits, and checked to be
/// free in each module rewritten.
pub const EXPORT: &str = "bolinho:start";

/// The preamble of a module: the magic number and version 1 (spec §5.5.16).
const HEADER: &[u8; 8] = b"\0asm\x01\0\0\0";
const CUSTOM_SECTION: u8 = 0;
const EXPORT_SECTION: u8 = 7;
const START_SECTION: u8 = 8;
const CODE_SECTION: u8 = 10;
/// The ids of the other sections in the order a module must give them, each at most once
/// (§5.5.16; custom sections may appear anywhere): type, import, function, table, memory, tag,
/// global, export, start, element, data count, code, data. The tag section (exception handling)
/// and the data count section sit where wasmparser expects them.
const ORDER: [u8; 13] = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11];
/// The export kind of a function.
const FUNC: u8 = 0;

/// `wasm` with its start section replaced by an export of the start function as [`EXPORT`], or
/// `None` when it has no start section. Also `None` when the module is malformed where this
/// looks or invalid (wasmi then reports it, on the original bytes), or already exports
/// [`EXPORT`].
pub fn defer(wasm: &[u8]) -> Option<Vec<u8>> {
    let sections = sections(wasm)?;
    let start = sections.iter().find(|s| s.id == START_SECTION)?;
    let func = start_function(&wasm[start.payload.clone()])?;
    bolinho_validate::validate(wasm).ok()?;
    let exports = sections.iter().find(|s| s.id == EXPORT_SECTION);
    let payload = exports_with(exports.map(|s| &wasm[s.payload.clone()]), func)?;
    let payload_len = u32::try_from(payload.len()).ok()?;

    let mut out = Vec::with_capacity(wasm.len() + payload.len());
    out.extend_from_slice(HEADER);
    for section in &sections {
        let export_here = match section.id {
            // The export section comes just before the start section, so a module without one
            // gets it where its start section was: the order stays valid.
            EXPORT_SECTION => true,
            START_SECTION => exports.is_none(),
            _ => {
                out.extend_from_slice(&wasm[section.whole.clone()]);
                false
            }
        };
        if export_here {
            out.push(EXPORT_SECTION);
            write_u32(&mut out, payload_len);
            out.extend_from_slice(&payload);
        }
    }
    Some(out)
}

/// The size in bytes of the largest function body of `wasm`: 0 when it has none, or is
/// malformed where this looks (wasmi then refuses it). It bounds how much host stack one block
/// of its code may take (`engine::execute`'s `guest_stack`).
pub fn largest_function_body(wasm: &[u8]) -> usize {
    let Some(code) = sections(wasm)
        .into_iter()
        .flatten()
        .find(|s| s.id == CODE_SECTION)
    else {
        return 0;
    };
    let mut reader = Reader::at(&wasm[code.payload], 0);
    let mut largest = 0;
    for _ in 0..reader.u32().unwrap_or(0) {
        match reader.u32().and_then(|len| reader.take(len as usize)) {
            Some(body) => largest = largest.max(body.len()),
            None => break,
        }
    }
    largest
}

/// One section: its id, its bytes with the header, and its payload.
struct Section {
    id: u8,
    whole: std::ops::Range<usize>,
    payload: std::ops::Range<usize>,
}

/// The sections of `wasm`, after its header; `None` unless the header is version 1's, every
/// section id is known, the non-custom sections come in [`ORDER`], each at most once, and each
/// section's size ends within the module, the last one exactly at its end.
fn sections(wasm: &[u8]) -> Option<Vec<Section>> {
    if !wasm.starts_with(HEADER) {
        return None;
    }
    let mut reader = Reader::at(wasm, HEADER.len());
    let mut sections = Vec::new();
    let mut last = None; // where in ORDER the last non-custom section stands
    while !reader.done() {
        let begin = reader.at;
        let id = reader.byte()?;
        if id != CUSTOM_SECTION {
            let rank = ORDER.iter().position(|&o| o == id)?;
            if last.is_some_and(|last| last >= rank) {
                return None;
            }
            last = Some(rank);
        }
        let len = reader.u32()?;
        let payload = reader.at;
        reader.take(len as usize)?;
        sections.push(Section {
            id,
            whole: begin..reader.at,
            payload: payload..reader.at,
        });
    }
    Some(sections)
}

/// The function a start section's payload names: one index, and nothing after it (§5.5.11).
fn start_function(payload: &[u8]) -> Option<u32> {
    let mut reader = Reader::at(payload, 0);
    let func = reader.u32()?;
    reader.done().then_some(func)
}

/// A new export section's payload: the entries of the old one (`old`, its payload), if any,
/// then [`EXPORT`] naming function `func`. `None` if the old entries do not fill their section
/// exactly (§5.5.10: a vector of name, kind byte, index) or one of them is already [`EXPORT`].
fn exports_with(old: Option<&[u8]>, func: u32) -> Option<Vec<u8>> {
    let (count, entries) = match old {
        None => (0, &[][..]),
        Some(old) => {
            let mut reader = Reader::at(old, 0);
            let count = reader.u32()?;
            let entries = reader.at;
            for _ in 0..count {
                let len = reader.u32()?;
                if reader.take(len as usize)? == EXPORT.as_bytes() {
                    return None;
                }
                reader.byte()?; // the kind
                reader.u32()?; // the index
            }
            if !reader.done() {
                return None;
            }
            (count, &old[entries..])
        }
    };
    let count = count.checked_add(1)?;
    let mut payload = Vec::with_capacity(entries.len() + EXPORT.len() + 16);
    write_u32(&mut payload, count);
    payload.extend_from_slice(entries);
    write_u32(&mut payload, EXPORT.len() as u32);
    payload.extend_from_slice(EXPORT.as_bytes());
    payload.push(FUNC);
    write_u32(&mut payload, func);
    Some(payload)
}

/// A cursor over `bytes`; every read is `None` past their end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn at(bytes: &'a [u8], at: usize) -> Self {
        Reader { bytes, at }
    }

    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn byte(&mut self) -> Option<u8> {
        let byte = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(byte)
    }

    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(len)?;
        let taken = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(taken)
    }

    /// An unsigned LEB128 `u32` (§5.2.2): at most five bytes, of which the fifth holds bits 28
    /// to 31 only, so it must be below 0x10. Shorter encodings padded with `0x80` bytes are
    /// well-formed.
    fn u32(&mut self) -> Option<u32> {
        let mut value: u32 = 0;
        for shift in [0, 7, 14, 21, 28] {
            let byte = self.byte()?;
            if shift == 28 && byte >= 0x10 {
                return None;
            }
            value |= u32::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }
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

    /// The `u32` at the start of `bytes`.
    fn read_u32(bytes: &[u8]) -> Option<u32> {
        Reader::at(bytes, 0).u32()
    }

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

    /// `module` is rejected by wasmi, and `defer` leaves it alone, so wasmi names the real
    /// fault in the bytes as given.
    fn left_alone(module: &[u8]) {
        assert!(
            Module::new(&Engine::default(), module).is_err(),
            "{module:?}"
        );
        assert_eq!(defer(module), None, "{module:?}");
    }

    /// `module` with `bytes` spliced in at `at` (and `drop` bytes removed there).
    fn spliced(module: &[u8], at: usize, drop: usize, bytes: &[u8]) -> Vec<u8> {
        let mut out = module.to_vec();
        out.splice(at..at + drop, bytes.iter().copied());
        out
    }

    #[test]
    fn leb128_fifth_byte_may_only_use_its_low_four_bits() {
        // §5.2.2: the last byte of a u32 holds bits 28..31, so it must be below 0x10.
        let max = [0xff, 0xff, 0xff, 0xff, 0x0f];
        assert_eq!(read_u32(&max), Some(u32::MAX));
        for last in [0x10, 0x1f, 0x40, 0x70, 0x7f] {
            let bytes = [0x80, 0x80, 0x80, 0x80, last];
            assert_eq!(read_u32(&bytes), None, "{last:#x}");
        }
        // The start section naming function 0 as `80 80 80 80 10`: 2^32, not 0.
        left_alone(&spliced(
            START_ONLY,
            19,
            2,
            &[6, 0x80, 0x80, 0x80, 0x80, 0x10],
        ));
    }

    #[test]
    fn leb128_longer_than_five_bytes_is_refused() {
        let six = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        assert_eq!(read_u32(&six), None);
        // Padded encodings of five bytes or fewer are well-formed (§5.2.2 allows them).
        assert_eq!(read_u32(&[0x80, 0x80, 0x00]), Some(0));
        left_alone(&spliced(
            START_ONLY,
            19,
            2,
            &[7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00],
        ));
        let padded = spliced(START_ONLY, 19, 2, &[5, 0x80, 0x80, 0x80, 0x80, 0x00]);
        assert_eq!(
            exports(&defer(&padded).unwrap()),
            [(EXPORT.to_string(), true)]
        );
    }

    #[test]
    fn a_start_section_with_trailing_bytes_is_left_alone() {
        // Size 2, function 0, then a stray byte: dropping the section would hide it.
        left_alone(&spliced(START_ONLY, 19, 2, &[2, 0, 0]));
    }

    #[test]
    fn an_export_section_with_trailing_bytes_is_left_alone() {
        // Size 11: the entry, then a stray byte.
        let entry = [1, 6, 95, 115, 116, 97, 114, 116, 0, 1];
        left_alone(&spliced(
            START_AND_EXPORTS,
            20,
            11,
            &[&[11], &entry[..], &[0]].concat(),
        ));
    }

    #[test]
    fn an_export_name_past_its_section_is_left_alone() {
        // The name's length (9) runs past the section's 10 bytes, into the start section.
        left_alone(&spliced(START_AND_EXPORTS, 22, 1, &[9]));
        // The export section claims more entries than it holds.
        left_alone(&spliced(START_AND_EXPORTS, 21, 1, &[2]));
    }

    #[test]
    fn a_section_running_past_the_end_is_left_alone() {
        let mut long = START_ONLY.to_vec();
        long[22] = 5; // the code section's size, one more than follows
        left_alone(&long);
        left_alone(&START_ONLY[..START_ONLY.len() - 1]);
    }

    #[test]
    fn sections_out_of_order_or_repeated_are_left_alone() {
        // The start section before the export section.
        let swapped = [
            &START_AND_EXPORTS[..19],
            &START_AND_EXPORTS[31..34],
            &START_AND_EXPORTS[19..31],
            &START_AND_EXPORTS[34..],
        ]
        .concat();
        left_alone(&swapped);
        // Two start sections.
        left_alone(&spliced(START_AND_EXPORTS, 34, 0, &[8, 1, 0]));
        left_alone(&spliced(START_ONLY, 21, 0, &[8, 1, 0]));
        // A function section after the start section.
        left_alone(&spliced(START_ONLY, 21, 0, &[3, 2, 1, 0]));
        // A section id the spec does not define.
        left_alone(&spliced(START_ONLY, 21, 0, &[14, 0]));
    }

    #[test]
    fn a_start_function_of_the_wrong_type_is_left_alone() {
        // Type 0 is (i32) -> (): exported, the function would be valid; as a start, it is not.
        left_alone(&spliced(START_ONLY, 8, 6, &[1, 5, 1, 96, 1, 127, 0]));
    }

    #[test]
    fn a_start_function_that_does_not_exist_is_left_alone() {
        // wasmi says "unknown function 5" of the start function, not of an export.
        left_alone(&spliced(START_ONLY, 20, 1, &[5]));
    }

    #[test]
    fn a_start_function_referenced_undeclared_is_left_alone() {
        // Function 1 takes `ref.func 0`, which no element segment or export declares; the
        // export the rewrite adds would declare it.
        let module = [
            &START_ONLY[..14],
            &[3, 3, 2, 0, 0], // two functions of type 0
            &[8, 1, 0],       // start: function 0
            &[10, 10, 2, 2, 0, 11, 5, 0, 0xd2, 0, 0x1a, 11], // `ref.func 0; drop`
        ]
        .concat();
        left_alone(&module);
    }

    #[test]
    fn custom_sections_may_sit_anywhere() {
        let custom = [0, 2, 1, b'x'];
        for at in [8, 14, 18, 21, START_ONLY.len()] {
            let module = spliced(START_ONLY, at, 0, &custom);
            assert_eq!(
                exports(&defer(&module).unwrap()),
                [(EXPORT.to_string(), true)]
            );
        }
    }

    #[test]
    fn another_binary_format_version_is_left_alone() {
        left_alone(&spliced(START_ONLY, 4, 1, &[2]));
        left_alone(&START_ONLY[..7]);
    }

    #[test]
    fn leb128_round_trips() {
        for value in [0, 1, 127, 128, 300, 16_384, u32::MAX] {
            let mut bytes = Vec::new();
            write_u32(&mut bytes, value);
            assert_eq!(read_u32(&bytes), Some(value));
        }
        assert_eq!(read_u32(&[0x80]), None);
    }

    #[test]
    fn the_largest_function_body_is_measured() {
        let big = "(drop (i32.const 1))\n".repeat(100);
        let wasm = wat::parse_str(format!("(module (func) (func {big}) (func (nop)))")).unwrap();
        // `i32.const 1; drop` is 3 bytes; the body adds its local count and `end`.
        assert_eq!(largest_function_body(&wasm), 300 + 2);
        assert_eq!(
            largest_function_body(&wat::parse_str("(module)").unwrap()),
            0
        );
        assert_eq!(largest_function_body(b"\0asm\x01\0\0\0\x0a\xff"), 0);
    }
}
