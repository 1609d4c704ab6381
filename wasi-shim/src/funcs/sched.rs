//! `sched_yield`.
//!
//! Owns: nothing but the call. It yields the host thread (`std::thread::yield_now`), which
//! is what a guest spinning on `sched_yield` asks for and lets the rest of the host run.
//! What the guest can observe does not depend on it, so runs stay deterministic.

use crate::errno::Errno;

/// `sched_yield()`: yields the host thread and always succeeds.
pub fn sched_yield() -> Result<(), Errno> {
    std::thread::yield_now();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn succeeds() {
        assert_eq!(super::sched_yield(), Ok(()));
    }
}
