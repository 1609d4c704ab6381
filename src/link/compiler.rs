//! Compiling a module's bytes into a wasmi `Module`, on one engine: text to binary, the start
//! section deferred (`start_section`), validated (`bolinho_validate`), then built.
//!
//! Owns: that sequence, and the memory of what it compiled for the runs that share a compiler
//! (a job's partitions): each distinct module is compiled once, by the sha256 of its bytes, and
//! the runs share the `Module`, so wasmi translates each function once for all of them. Must
//! not resolve imports (`resolve`) or instantiate anything.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};
use wasmi::{Engine, Module};

use super::{LinkError, start_section, text};

/// A compiled module and what linking needs to know of its source.
#[derive(Clone)]
pub(super) struct Compiled {
    pub module: Module,
    /// The size of its largest function body, in bytes.
    pub largest_body: usize,
    /// Whether its start function was taken out of instantiation (`start_section`).
    pub deferred_start: bool,
}

/// Compiles modules on one engine, and, when shared, compiles each distinct module once.
pub struct Compiler {
    engine: Engine,
    /// What a shared compiler compiled, by the sha256 of the bytes it was given.
    shared: Option<Mutex<HashMap<[u8; 32], Compiled>>>,
}

impl std::fmt::Debug for Compiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compiler")
            .field("shared", &self.shared.is_some())
            .finish_non_exhaustive()
    }
}

impl Compiler {
    /// A compiler for one run: nothing is kept.
    pub fn new(engine: Engine) -> Compiler {
        Compiler {
            engine,
            shared: None,
        }
    }

    /// A compiler for several runs of the same modules, from as many threads.
    pub fn shared(engine: Engine) -> Compiler {
        Compiler {
            engine,
            shared: Some(Mutex::new(HashMap::new())),
        }
    }

    /// The engine every module is compiled for: the one their store must use.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles `bytes`, a module's binary or text, or gives back what compiling the same
    /// bytes gave before. A failure is not kept: each run that asks reports it.
    pub(super) fn compile(&self, label: &str, bytes: &[u8]) -> Result<Compiled, LinkError> {
        let Some(shared) = &self.shared else {
            return compile(&self.engine, label, bytes);
        };
        let key: [u8; 32] = Sha256::digest(bytes).into();
        // Held while compiling: the runs that want the same module wait for it rather than
        // compile it too. A job's partitions all want the same ones.
        let mut compiled = shared.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = compiled.get(&key) {
            return Ok(found.clone());
        }
        let new = compile(&self.engine, label, bytes)?;
        compiled.insert(key, new.clone());
        Ok(new)
    }
}

fn compile(engine: &Engine, label: &str, bytes: &[u8]) -> Result<Compiled, LinkError> {
    let load = |cause| LinkError::Load {
        label: label.to_string(),
        cause,
    };
    // Text is compiled to binary first, so that a start section in a `.wat` module is
    // deferred too.
    let source = text::to_binary(bytes).map_err(|e| load(wasmi::Error::new(e)))?;
    let source = &*source;
    let deferred = start_section::defer(source);
    let wasm = deferred.as_deref().unwrap_or(source);
    bolinho_validate::validate(wasm).map_err(|e| load(e.into()))?;
    // SAFETY: `validate` accepted `wasm` for the proposals `engine` enables (`resolve` says
    // which engines; `validate`'s tests check them against wasmi's own validation).
    let module = unsafe { Module::new_unchecked(engine, wasm) }.map_err(load)?;
    Ok(Compiled {
        module,
        largest_body: start_section::largest_function_body(source),
        deferred_start: deferred.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &[u8] = b"\0asm\x01\0\0\0";
    const B: &str = "(module (func (export \"f\")))";

    fn kept(compiler: &Compiler) -> usize {
        compiler
            .shared
            .as_ref()
            .map_or(0, |m| m.lock().unwrap().len())
    }

    #[test]
    fn a_shared_compiler_compiles_each_distinct_module_once() {
        let compiler = Compiler::shared(wasmi::Engine::default());
        for _ in 0..3 {
            compiler.compile("a", A).unwrap();
        }
        assert_eq!(kept(&compiler), 1);
        // The same bytes under another label are the same module.
        compiler.compile("/elsewhere/a.wasm", A).unwrap();
        let b = compiler.compile("b", B.as_bytes()).unwrap();
        assert_eq!(kept(&compiler), 2);
        assert!(b.module.get_export("f").is_some());
        // A failure is not kept, and says whose it is each time.
        for label in ["bad", "worse"] {
            match compiler.compile(label, b"\0asm\x02\0\0\0") {
                Err(LinkError::Load { label: got, .. }) => assert_eq!(got, label),
                _ => panic!("an unknown version loads"),
            }
        }
        assert_eq!(kept(&compiler), 2);
    }

    #[test]
    fn a_compiler_for_one_run_keeps_nothing() {
        let compiler = Compiler::new(wasmi::Engine::default());
        compiler.compile("a", A).unwrap();
        assert_eq!(kept(&compiler), 0);
    }
}
