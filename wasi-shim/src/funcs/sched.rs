//! `sched_yield`.
//!
//! Owns: nothing but the call. The interpreter runs one guest thread, so there is nobody
//! to yield to; the call succeeds without touching the host scheduler, keeping runs
//! deterministic.

use crate::errno::Errno;

/// `sched_yield()`: always succeeds.
pub fn sched_yield() -> Result<(), Errno> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn succeeds() {
        assert_eq!(super::sched_yield(), Ok(()));
    }
}
