use super::*;

/// `validate`'s verdict on `wasm`, and wasmi's on an engine of every run, as wasmi words
/// its errors.
fn both(wasm: &[u8]) -> (Result<(), String>, Result<(), String>) {
    let ours = validate(wasm).map_err(|e| wasmi::Error::from(e).to_string());
    let engine = crate::engine::new();
    let wasmi = wasmi::Module::validate(&engine, wasm).map_err(|e| e.to_string());
    (ours, wasmi)
}

#[test]
fn accepts_what_wasmi_accepts_proposal_by_proposal() {
    // Each proposal wasmi enables, then some it does not: both must agree on each.
    let probes = [
        ("mvp", "(module (func (result i32) (i32.const 1)))", true),
        (
            "simd",
            "(module (func (drop (v128.const i64x2 0 0))))",
            true,
        ),
        (
            "relaxed simd",
            "(module (func (param v128 v128 v128) (drop (f32x4.relaxed_madd \
             (local.get 0) (local.get 1) (local.get 2)))))",
            true,
        ),
        ("memory64", "(module (memory i64 1))", true),
        ("tail calls", "(module (func $f (return_call $f)))", true),
        ("multi-memory", "(module (memory 1) (memory 1))", true),
        (
            "extended const",
            "(module (global i32 (i32.add (i32.const 1) (i32.const 2))))",
            true,
        ),
        (
            "reference types",
            "(module (table 1 externref) (func (drop (ref.null extern))))",
            true,
        ),
        (
            "bulk memory",
            "(module (memory 1) (func (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))))",
            true,
        ),
        (
            "multi-value",
            "(module (func (result i32 i32) (i32.const 1) (i32.const 2)))",
            true,
        ),
        (
            "sign extension",
            "(module (func (param i32) (result i32) (i32.extend8_s (local.get 0))))",
            true,
        ),
        (
            "saturating conversions",
            "(module (func (param f32) (result i32) (i32.trunc_sat_f32_s (local.get 0))))",
            true,
        ),
        ("threads", "(module (memory 1 1 shared))", false),
        ("exceptions", "(module (tag))", false),
        (
            "custom page sizes",
            "(module (memory 1 (pagesize 1)))",
            false,
        ),
        (
            "wide arithmetic",
            "(module (func (param i64 i64 i64 i64) (result i64 i64) (i64.add128 \
             (local.get 0) (local.get 1) (local.get 2) (local.get 3))))",
            false,
        ),
        (
            "function references",
            "(module (type $t (func)) (func (param (ref $t))))",
            false,
        ),
        ("gc", "(module (type (struct)))", false),
        ("an invalid body", "(module (func (result i32)))", false),
    ];
    for (proposal, text, valid) in probes {
        let wasm = wat::parse_str(text).unwrap_or_else(|e| panic!("{proposal}: {e}"));
        let (ours, wasmi) = both(&wasm);
        assert_eq!(ours, wasmi, "{proposal}");
        assert_eq!(ours.is_ok(), valid, "{proposal}: {ours:?}");
    }
}

/// A module of `count` `() -> ()` functions of about `size` bytes each (`nop`s), with
/// the ones at `invalid` leaving an i32 behind, and `trailer` after its code section.
fn module(count: usize, size: usize, invalid: &[usize], trailer: &[u8]) -> Vec<u8> {
    fn leb(out: &mut Vec<u8>, mut n: usize) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            out.push(if n == 0 { byte } else { byte | 0x80 });
            if n == 0 {
                return;
            }
        }
    }
    fn section(out: &mut Vec<u8>, id: u8, body: &[u8]) {
        out.push(id);
        leb(out, body.len());
        out.extend_from_slice(body);
    }
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    section(&mut wasm, 1, &[1, 0x60, 0, 0]);
    let mut functions = Vec::new();
    leb(&mut functions, count);
    functions.extend(std::iter::repeat_n(0, count));
    section(&mut wasm, 3, &functions);
    let mut code = Vec::new();
    leb(&mut code, count);
    for i in 0..count {
        let mut body = vec![0]; // no locals
        body.extend(std::iter::repeat_n(0x01, size));
        if invalid.contains(&i) {
            body.extend([0x41, 0]); // i32.const 0
        }
        body.push(0x0b);
        leb(&mut code, body.len());
        code.extend(body);
    }
    section(&mut wasm, 10, &code);
    wasm.extend_from_slice(trailer);
    wasm
}

#[test]
fn a_large_module_is_validated_on_threads_with_wasmi_s_verdict() {
    // Over PARALLEL_FROM_BYTES of code: the bodies go to threads (on a machine of one
    // core, to the calling thread; the verdict is the same).
    let (count, size) = (1200, 1000);
    assert!(count * size > PARALLEL_FROM_BYTES);
    let valid = module(count, size, &[], &[]);
    assert_eq!(both(&valid), (Ok(()), Ok(())));

    // Of several invalid bodies, the first is reported, as wasmi reports it.
    let invalid = module(count, size, &[1100, 700, 701], &[]);
    let (ours, wasmi) = both(&invalid);
    assert!(ours.is_err());
    assert_eq!(ours, wasmi);

    // A fault in a section after the code, and an invalid body: the body's comes first.
    let junk = [11, 1, 0xff]; // a data section holding only a bad count
    let (ours, wasmi) = both(&module(count, size, &[900], &junk));
    assert_eq!(ours, wasmi);
    let (body_fault, _) = both(&module(count, size, &[900], &[]));
    assert_eq!(ours, body_fault);
    // And alone, the later fault is the one reported.
    let (ours, wasmi) = both(&module(count, size, &[], &junk));
    assert!(ours.is_err());
    assert_eq!(ours, wasmi);
}

/// The function bodies of a module whose sections are valid, as `validate_from` hands them
/// to threads.
fn bodies(wasm: &[u8]) -> Vec<Body<'_>> {
    let mut validator = Validator::new_with_features(features());
    let mut bodies = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let ValidPayload::Func(func, body) = validator.payload(&payload.unwrap()).unwrap() {
            bodies.push((func, body));
        }
    }
    bodies
}

#[test]
fn threads_report_the_first_invalid_body_by_index_however_many_there_are() {
    let wasm = module(300, 50, &[250, 40, 41, 299], &[]);
    let first = validate_from(&wasm, usize::MAX).unwrap_err().to_string();
    for threads in [1, 2, 3, 8] {
        let got = on_threads(bodies(&wasm), threads).unwrap_err().to_string();
        assert_eq!(got, first, "{threads} threads");
    }
    assert!(on_threads(bodies(&module(300, 50, &[], &[])), 4).is_ok());
}
