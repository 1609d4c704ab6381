//! Validating a WebAssembly module, its function bodies on every core when there is much code,
//! so that wasmi may build it without validating it again (bolinho's `link::compile`).
//!
//! wasmi validates every function body when it builds a module, on one thread: most of a large
//! module's start-up (yosys's 38 MB: about 330 of 370 ms; building it unchecked takes 40).
//! The validator here is wasmi's own (wasmparser, the same version, so the same crate) with the
//! features wasmi's engine enables (`features`), so it accepts exactly what wasmi would;
//! bolinho's tests check both against modules of each proposal, and a fuzz target against any
//! bytes.
//!
//! It is a crate of its own for one reason: the body validator is generic code, compiled in
//! the crate that calls it, and bolinho is built for size while this must be built for speed
//! (docs/RATIONALE.md, "Binary size").
//!
//! Owns: the feature set and the order errors are reported in. Must not build modules.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use wasmparser::{
    FuncToValidate, FuncValidatorAllocations, FunctionBody, Parser, Payload, ValidPayload,
    Validator, ValidatorResources, WasmFeatures,
};

/// Code below this many bytes is validated on the calling thread: starting threads costs
/// more than they would save.
const PARALLEL_FROM_BYTES: usize = 1 << 20;

/// The proposals wasmi 2.0 enables by default, with its `simd` and `memory64` features (both
/// on in bolinho), and bolinho's `engine::config` keeps: what its `engine::new()` accepts.
fn features() -> WasmFeatures {
    let mut features = WasmFeatures::empty();
    for feature in [
        WasmFeatures::MUTABLE_GLOBAL,
        WasmFeatures::MULTI_VALUE,
        WasmFeatures::MULTI_MEMORY,
        WasmFeatures::SATURATING_FLOAT_TO_INT,
        WasmFeatures::SIGN_EXTENSION,
        WasmFeatures::BULK_MEMORY,
        WasmFeatures::REFERENCE_TYPES,
        // wasmparser needs it for reference types.
        WasmFeatures::GC_TYPES,
        WasmFeatures::TAIL_CALL,
        WasmFeatures::EXTENDED_CONST,
        WasmFeatures::FLOATS,
        WasmFeatures::MEMORY64,
        WasmFeatures::SIMD,
        WasmFeatures::RELAXED_SIMD,
    ] {
        features.insert(feature);
    }
    features
}

type Body<'a> = (FuncToValidate<ValidatorResources>, FunctionBody<'a>);
type Error = wasmparser::BinaryReaderError;

/// Checks that `wasm` is a valid module under `features`, reporting the first fault in the
/// order wasmi's own validation meets them: section by section, each function body in turn.
/// A module with at least `PARALLEL_FROM_BYTES` of code has its bodies validated on every core
/// once the code section is read, and still reports the first invalid body, and a fault in a
/// later section only if every body is valid.
pub fn validate(wasm: &[u8]) -> Result<(), Error> {
    validate_from(wasm, PARALLEL_FROM_BYTES)
}

/// `validate`, with bodies on threads from `parallel_from` bytes of code: bolinho's fuzz
/// target takes every module down that path too.
pub fn validate_from(wasm: &[u8], parallel_from: usize) -> Result<(), Error> {
    let mut validator = Validator::new_with_features(features());
    let mut allocations = FuncValidatorAllocations::default();
    let mut later: Vec<Body<'_>> = Vec::new();
    // Asked only of a large module: std reads the cgroup's CPU quota to answer.
    let mut threads = 1;
    for payload in Parser::new(0).parse_all(wasm) {
        let checked = payload.and_then(|payload| {
            if let Payload::CodeSectionStart { size, .. } = payload
                && size as usize >= parallel_from
            {
                threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            }
            validator.payload(&payload)
        });
        match checked {
            Ok(ValidPayload::Func(func, body)) if threads > 1 => later.push((func, body)),
            Ok(ValidPayload::Func(func, body)) => {
                let mut validator = func.into_validator(allocations);
                validator.validate(&body)?;
                allocations = validator.into_allocations();
            }
            Ok(_) => {}
            Err(error) => {
                on_threads(later, threads)?;
                return Err(error);
            }
        }
    }
    on_threads(later, threads)
}

/// Validates `bodies` on `threads` threads, each taking the next body not yet taken; the
/// first failure by index is the one reported.
fn on_threads(bodies: Vec<Body<'_>>, threads: usize) -> Result<(), Error> {
    if bodies.is_empty() {
        return Ok(());
    }
    let shared = Shared {
        bodies: bodies.into_iter().map(|b| Mutex::new(Some(b))).collect(),
        next: AtomicUsize::new(0),
        failed_at: AtomicUsize::new(usize::MAX),
        first_error: Mutex::new(None),
    };
    std::thread::scope(|scope| {
        let spawned: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| shared.work()))
            .collect();
        // Joined one by one, each thread has ended, its thread-locals freed, when this
        // returns (the scope alone waits only for the closures).
        for thread in spawned {
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
    match shared
        .first_error
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
    {
        Some((_, error)) => Err(error),
        None => Ok(()),
    }
}

/// What the validating threads share.
struct Shared<'a> {
    /// Each body, taken by the thread that validates it.
    bodies: Vec<Mutex<Option<Body<'a>>>>,
    /// The index of the next body not yet taken.
    next: AtomicUsize,
    /// The lowest index found invalid so far: bodies after it need no look.
    failed_at: AtomicUsize,
    first_error: Mutex<Option<(usize, Error)>>,
}

impl Shared<'_> {
    /// One thread's share: bodies, the next one each time, until none is left.
    fn work(&self) {
        let mut allocations = FuncValidatorAllocations::default();
        loop {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = self.bodies.get(index) else {
                return;
            };
            if index > self.failed_at.load(Ordering::Relaxed) {
                return;
            }
            let Ok(Some((func, body))) = slot.lock().map(|mut body| body.take()) else {
                return;
            };
            let mut validator = func.into_validator(allocations);
            if let Err(error) = validator.validate(&body) {
                let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
                if first.as_ref().is_none_or(|(at, _)| index < *at) {
                    *first = Some((index, error));
                    self.failed_at.fetch_min(index, Ordering::Relaxed);
                }
            }
            allocations = validator.into_allocations();
        }
    }
}

#[cfg(test)]
mod tests;
