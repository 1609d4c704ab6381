use super::*;

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

/// `validate`'s verdict on `wasm`, and wasmi's own (on its default engine, which enables the
/// same proposals), as wasmi words errors.
fn both(wasm: &[u8]) -> (Result<(), String>, Result<(), String>) {
    let ours = validate(wasm).map_err(|e| wasmi::Error::from(e).to_string());
    let engine = wasmi::Engine::default();
    let theirs = wasmi::Module::validate(&engine, wasm).map_err(|e| e.to_string());
    (ours, theirs)
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
    let (ours, theirs) = both(&invalid);
    assert!(ours.is_err());
    assert_eq!(ours, theirs);

    // A fault in a section after the code, and an invalid body: the body's comes first.
    let junk = [11, 1, 0xff]; // a data section holding only a bad count
    let (ours, theirs) = both(&module(count, size, &[900], &junk));
    assert_eq!(ours, theirs);
    let (body_fault, _) = both(&module(count, size, &[900], &[]));
    assert_eq!(ours, body_fault);
    // And alone, the later fault is the one reported.
    let (ours, theirs) = both(&module(count, size, &[], &junk));
    assert!(ours.is_err());
    assert_eq!(ours, theirs);
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
