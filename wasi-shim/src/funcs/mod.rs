//! The preview1 host functions, one file per area, as plain functions over a
//! [`GuestMemory`](crate::memory::GuestMemory) and a [`WasiCtx`](crate::WasiCtx).
//!
//! Owns: the semantics of each call (argument checks, which errno when) and the byte
//! layout of the records they write. Must not touch wasmi: `linker.rs` adapts these
//! functions to the engine, so each is unit-tested with a `Vec<u8>` and no engine.
//! Each preview1 call is the function of its name here, taking the call's wasm parameters
//! in order (even those it ignores) with the types its entry in `table.rs` gives them: the
//! compiler holds the two together.
//! Every function checks every output pointer before doing anything observable, so a
//! fault leaves no half-done I/O behind.

pub mod args;
pub mod clock;
pub mod environ;
pub mod fd;
pub mod fd_dir;
pub mod path;
pub mod poll;
pub mod proc;
pub mod random;
pub mod sched;
pub mod sock;

#[cfg(test)]
pub(crate) mod test_support {
    //! A context over a temporary host directory and a marked memory image.
    use crate::testutil::TempDir;
    use crate::{Access, WasiCtx, WasiCtxBuilder};
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// A writer tests can read back.
    #[derive(Clone, Default)]
    pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        pub fn bytes(&self) -> Vec<u8> {
            self.0.lock().unwrap().clone()
        }
    }

    /// "/" is `rw` (read-write), "/ro" is `ro` (read-only).
    pub struct World {
        pub ctx: WasiCtx,
        pub rw: TempDir,
        pub ro: TempDir,
        pub stdout: Captured,
    }

    pub fn world() -> World {
        let rw = TempDir::new();
        let ro = TempDir::new();
        rw.file("hello.txt", b"hello world");
        rw.dir("sub");
        ro.file("data.txt", b"read only");
        ro.dir("dir");
        let stdout = Captured::default();
        let ctx = WasiCtxBuilder::new()
            .stdout(Box::new(stdout.clone()))
            .mount("/", rw.path(), Access::ReadWrite)
            .mount("/ro", ro.path(), Access::ReadOnly)
            .build()
            .unwrap();
        World {
            ctx,
            rw,
            ro,
            stdout,
        }
    }
}
