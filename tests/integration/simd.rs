//! The WebAssembly proposals bolinho runs and refuses (README "WebAssembly proposals"): SIMD
//! results to the bit, NaNs included, a C program whose SIMD is clang's, each proposal that is
//! on, and the error a module using one that is off gets.

use crate::support::{TempDir, bolinho, bolinho_with_stdin, testdata};

fn path(relative: &str) -> String {
    testdata(relative).display().to_string()
}

#[test]
fn simd_results_are_the_committed_bits_with_canonical_nans() {
    // `simd.stdout` holds the expected bits, each line worked out from the spec by hand; the
    // lines are compared one by one first so that a failure names its operation.
    // scripts/cross-arch.sh checks that aarch64 prints the same.
    let dir = TempDir::new("simd");
    let out = bolinho(dir.path(), &["run", &path("wat/simd.wat")]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let expected = std::fs::read_to_string(testdata("wat/simd.stdout")).unwrap();
    for (got, want) in out.stdout.lines().zip(expected.lines()) {
        assert_eq!(got, want);
    }
    assert_eq!(out.stdout, expected);
}

#[test]
fn no_simd_float_operation_gives_a_nan_other_than_the_canonical_one() {
    // Sign-bit operations, pmin/pmax, lane moves, loads and stores keep a NaN operand's bits
    // (the spec's bit operations); every other NaN in the output must be the canonical one.
    let keeps_bits = [
        "pmin",
        "pmax",
        ".neg ",
        ".abs ",
        "splat",
        "replace_lane",
        "load",
    ];
    let expected = std::fs::read_to_string(testdata("wat/simd.stdout")).unwrap();
    let mut checked = 0;
    for line in expected.lines() {
        let (label, lanes) = line.split_once(": ").unwrap();
        let op = label
            .trim_start_matches("relaxed ")
            .trim_start_matches("const ");
        // Float results; a comparison's are masks.
        let float = (op.starts_with("f32x4") || op.starts_with("f64x2")) && !op.contains(".eq ");
        if !float || keeps_bits.iter().any(|kept| op.contains(kept)) {
            continue;
        }
        for lane in lanes.split(' ') {
            let is_nan = match lane.len() {
                8 => f32::from_bits(u32::from_str_radix(lane, 16).unwrap()).is_nan(),
                16 => f64::from_bits(u64::from_str_radix(lane, 16).unwrap()).is_nan(),
                _ => false,
            };
            if is_nan {
                assert!(lane == "7fc00000" || lane == "7ff8000000000000", "{line}");
                checked += 1;
            }
        }
    }
    // Every NaN lane of the output outside the bit operations.
    assert_eq!(checked, 58);
}

#[test]
fn a_simd_run_verifies_from_its_receipt() {
    let dir = TempDir::new("simd-verify");
    let out = bolinho(
        dir.path(),
        &["run", &path("wat/simd.wat"), "--results", "out"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stdout = std::fs::read_to_string(dir.join("out/stdout")).unwrap();
    assert_eq!(
        stdout,
        std::fs::read_to_string(testdata("wat/simd.stdout")).unwrap()
    );
    let out = bolinho(dir.path(), &["verify", "out/receipt.json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// The bytes the `bytestats` test reads: every byte value, a newline now and then.
fn mixed_bytes() -> Vec<u8> {
    (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[test]
fn a_c_program_clang_vectorised_counts_and_checksums_its_inputs() {
    // The expected lines are Python's (`len`, `count`, `sum`, `zlib.adler32`) of the same bytes.
    let dir = TempDir::new("bytestats");
    let module = path("wasm/bytestats.wasm");
    for (input, expected) in [
        (
            mixed_bytes(),
            "bytes 300000 lines 1172 sum 38249710 high 149997 min 00 max ff adler32 0787c718\n",
        ),
        (
            b"hello\nworld\n".to_vec(),
            "bytes 12 lines 2 sum 1104 high 0 min 0a max 77 adler32 1dd80451\n",
        ),
        (
            vec![],
            "bytes 0 lines 0 sum 0 high 0 min 00 max 00 adler32 00000001\n",
        ),
    ] {
        let out = bolinho_with_stdin(dir.path(), &["run", &module], &input);
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (0, expected, "")
        );
    }
    dir.write("data/mixed", mixed_bytes());
    dir.write("data/empty", "");
    let out = bolinho(
        dir.path(),
        &[
            "run",
            &module,
            "--dir",
            "data::/d",
            "--",
            "/d/mixed",
            "/d/missing",
            "/d/empty",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "/d/mixed: bytes 300000 lines 1172 sum 38249710 high 149997 min 00 max ff adler32 0787c718\n\
             /d/empty: bytes 0 lines 0 sum 0 high 0 min 00 max 00 adler32 00000001\n",
            "bytestats: /d/missing: No such file or directory\n"
        )
    );
}

#[test]
fn bytestats_wasm_is_simd_code() {
    // Loading it with SIMD off fails where its code first uses a SIMD instruction: clang
    // vectorised its loops, so the test above ran SIMD a real toolchain emitted.
    let wasm = std::fs::read(testdata("wasm/bytestats.wasm")).unwrap();
    let mut config = wasmi::Config::default();
    config.wasm_simd(false);
    let err = wasmi::Module::new(&wasmi::Engine::new(&config), &wasm).unwrap_err();
    assert!(
        err.to_string().starts_with("SIMD support is not enabled"),
        "{err}"
    );
}

#[test]
fn each_proposal_bolinho_supports_runs() {
    let dir = TempDir::new("proposals");
    let out = bolinho(dir.path(), &["run", &path("wat/proposals.wat")]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            0,
            "multi-value: 00000102\n\
             sign-extension: ffffff80\n\
             non-trapping float-to-int: 7fffffff\n\
             mutable-global: 00000007\n\
             bulk-memory: 6b6c7562\n\
             reference-types: 0000002a\n\
             tail-call: 000186a0\n\
             extended-const: 0000006a\n\
             multi-memory: 00000005\n\
             memory64: 55667789\n\
             simd: 0000002c\n\
             relaxed-simd: 00000007\n",
            ""
        )
    );
}

#[test]
fn a_module_using_exception_handling_is_a_load_error() {
    // wasmi 2.0 has no exception handling: the tag section is refused before any code.
    let dir = TempDir::new("exceptions");
    let module = path("wat/exceptions.wat");
    let out = bolinho(dir.path(), &["run", &module]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            123,
            "",
            format!(
                "bolinho: error: failed to load module {module}: \
                 exceptions proposal not enabled (at offset 0x14)\n"
            )
            .as_str()
        )
    );
}

#[test]
fn modules_using_proposals_bolinho_does_not_support_are_load_errors() {
    let dir = TempDir::new("unsupported");
    for (name, wat, error) in [
        (
            "try_table.wat",
            "(module (func (export \"_start\") (block $h (try_table (catch_all $h)))))",
            "exceptions support is not enabled (at offset 0x25)",
        ),
        (
            "threads.wat",
            "(module (memory 1 1 shared) (func (export \"_start\")))",
            "threads must be enabled for shared memories (at offset 0x15)",
        ),
        (
            "custom_page_sizes.wat",
            "(module (memory 1 (pagesize 1)) (func (export \"_start\")))",
            "the custom page sizes proposal must be enabled to customize a memory's page size \
             (at offset 0x15)",
        ),
        (
            "wide_arithmetic.wat",
            "(module (func (export \"_start\") \
             (drop (drop (i64.add128 (i64.const 1) (i64.const 2) (i64.const 3) (i64.const 4))))))",
            "wide arithmetic support is not enabled (at offset 0x2b)",
        ),
        (
            "function_references.wat",
            "(module (type $t (func)) (func $f (type $t)) (elem declare func $f) \
             (func (export \"_start\") (call_ref $t (ref.func $f))))",
            "function references support is not enabled (at offset 0x30)",
        ),
        (
            "gc.wat",
            "(module (type $s (struct (field i32))) \
             (func (export \"_start\") (drop (struct.new $s (i32.const 1)))))",
            "struct indexed types not supported without the gc feature (at offset 0xb)",
        ),
    ] {
        let module = dir.write(name, wat).display().to_string();
        let out = bolinho(dir.path(), &["run", &module]);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (
                123,
                format!("bolinho: error: failed to load module {module}: {error}\n").as_str()
            ),
            "{name}"
        );
    }
}
