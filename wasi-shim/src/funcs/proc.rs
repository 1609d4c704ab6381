//! `proc_exit` and `proc_raise`.
//!
//! Owns: what exiting means to the embedder. `proc_exit` does not return to the guest: it
//! yields a [`ProcExit`] that `linker.rs` turns into `wasmi::Error::i32_exit`, which the
//! embedder reads back with `Error::i32_exit_status()`. Must not flush or tear down the
//! context: the embedder does that after the call unwinds.

use crate::errno::Errno;

/// The guest asked to exit with this status (preview1 `exitcode` is a `u32`; it is passed
/// through bit for bit as an `i32`, so 7 is 7 and `u32::MAX` is -1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcExit(pub i32);

/// `proc_exit(rval)`.
pub fn proc_exit(rval: u32) -> ProcExit {
    ProcExit(rval as i32)
}

/// `proc_raise(sig)`: always `ENOSYS`, whatever the signal.
///
/// Preview1 has no signal model (no handlers, no masks, nothing can interrupt a guest), and
/// WASI removed the call after this snapshot (WebAssembly/WASI#136). `ENOSYS` tells the
/// program the truth and lets it fall back to `abort` or `exit`, as wazero answers.
/// wasi-common traps instead, which ends the guest for what POSIX lets a program handle;
/// exiting with `128 + sig` would invent a disposition the guest never chose.
pub fn proc_raise(_sig: u32) -> Result<(), Errno> {
    Err(Errno::Nosys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_passes_through() {
        assert_eq!(proc_exit(0), ProcExit(0));
        assert_eq!(proc_exit(7), ProcExit(7));
        assert_eq!(proc_exit(u32::MAX), ProcExit(-1));
    }

    #[test]
    fn raise_is_enosys_for_every_signal() {
        for sig in [0, 1, 6, 9, 15, 30, u32::MAX] {
            assert_eq!(proc_raise(sig), Err(Errno::Nosys), "signal {sig}");
        }
    }
}
