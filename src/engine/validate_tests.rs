//! The validator (crate `bolinho-validate`) against bolinho's own engine: the proposals it
//! accepts must be exactly those `engine::new()` accepts.

use bolinho_validate::validate;

/// `validate`'s verdict on `wasm`, and wasmi's on an engine of every run, as wasmi words
/// its errors.
fn both(wasm: &[u8]) -> (Result<(), String>, Result<(), String>) {
    let ours = validate(wasm).map_err(|e| wasmi::Error::from(e).to_string());
    let engine = super::new();
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
