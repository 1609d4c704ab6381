//! The memory limit, on the guest's total: every linear memory and every table of every module
//! of the run count together against one budget.
//!
//! Owns: the budget and what counts against it. wasmi asks the store's `ResourceLimiter`
//! before it creates or grows any memory or table; a request past the budget is refused, so
//! `memory.grow` and `table.grow` return -1 (compat §7) and a memory or table declared larger
//! fails instantiation. A table element costs the bytes wasmi keeps for it. Without a limit
//! the budget is 4 GiB, what one 32-bit memory can address, so that neither several memories,
//! a 64-bit memory nor a huge table is unbounded.

use wasmi::ResourceLimiter;
use wasmi::errors::{MemoryError, TableError};
use wasmi_core::LimiterError;

use crate::link::TABLE_ELEMENT_BYTES;

/// The budget of a run without a memory limit.
pub const DEFAULT_BYTES: u64 = 4 << 30;

/// How many instances, memories and tables a store may hold (wasmi's own defaults).
const COUNT: usize = 10_000;

#[derive(Debug)]
pub struct Limiter {
    limit: u64,
    used: u64,
    /// What the last approved request added, taken back if wasmi then failed to grow.
    pending: u64,
}

impl Limiter {
    /// A budget of `limit` bytes, or `DEFAULT_BYTES`.
    pub fn new(limit: Option<u64>) -> Limiter {
        Limiter {
            limit: limit.unwrap_or(DEFAULT_BYTES),
            used: 0,
            pending: 0,
        }
    }

    /// The budget in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    fn grow(&mut self, added: u64) -> bool {
        self.pending = 0;
        match self.used.checked_add(added) {
            Some(total) if total <= self.limit => {
                self.used = total;
                self.pending = added;
                true
            }
            _ => false,
        }
    }

    fn failed(&mut self) {
        self.used -= self.pending;
        self.pending = 0;
    }
}

fn bytes(current: usize, desired: usize, each: u64) -> u64 {
    (desired.saturating_sub(current) as u64).saturating_mul(each)
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        Ok(self.grow(bytes(current, desired, 1)))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        Ok(self.grow(bytes(current, desired, TABLE_ELEMENT_BYTES)))
    }

    fn memory_grow_failed(&mut self, _error: &MemoryError) -> Result<(), LimiterError> {
        self.failed();
        Ok(())
    }

    fn table_grow_failed(&mut self, _error: &TableError) -> Result<(), LimiterError> {
        self.failed();
        Ok(())
    }

    fn instances(&self) -> usize {
        COUNT
    }

    fn tables(&self) -> usize {
        COUNT
    }

    fn memories(&self) -> usize {
        COUNT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memories_and_tables_share_one_budget() {
        let mut l = Limiter::new(Some(1000));
        assert!(l.memory_growing(0, 600, None).unwrap());
        assert!(!l.memory_growing(0, 600, None).unwrap(), "a second memory");
        assert!(l.table_growing(0, 100, None).unwrap(), "400 bytes");
        assert!(
            !l.table_growing(100, 101, None).unwrap(),
            "one element more"
        );
        assert!(l.memory_growing(0, 0, None).unwrap());
    }

    #[test]
    fn a_growth_wasmi_could_not_make_is_given_back() {
        let mut l = Limiter::new(Some(1000));
        assert!(l.memory_growing(0, 800, None).unwrap());
        l.memory_grow_failed(&MemoryError::OutOfSystemMemory)
            .unwrap();
        l.memory_grow_failed(&MemoryError::OutOfSystemMemory)
            .unwrap();
        assert!(
            l.memory_growing(0, 1000, None).unwrap(),
            "given back once only"
        );
        assert!(!l.memory_growing(0, 1, None).unwrap());
    }

    #[test]
    fn without_a_limit_the_total_is_4_gib() {
        let mut l = Limiter::new(None);
        assert!(l.memory_growing(0, 3 << 30, None).unwrap());
        assert!(!l.memory_growing(0, 2 << 30, None).unwrap());
        assert!(!l.table_growing(0, usize::MAX, None).unwrap());
    }
}
