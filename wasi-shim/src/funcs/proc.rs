//! `proc_exit` and `proc_raise`.
//!
//! Owns: what exiting means to the embedder. `proc_exit` does not return to the guest: it
//! yields a [`ProcExit`] that `linker.rs` turns into `wasmi::Error::i32_exit`, which the
//! embedder reads back with `Error::i32_exit_status()`. Must not flush or tear down the
//! context: the embedder does that after the call unwinds.

/// The guest asked to exit with this status (preview1 `exitcode` is a `u32`; it is passed
/// through bit for bit as an `i32`, so 7 is 7 and `u32::MAX` is -1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcExit(pub i32);

/// `proc_exit(rval)`.
pub fn proc_exit(rval: u32) -> ProcExit {
    ProcExit(rval as i32)
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
}
