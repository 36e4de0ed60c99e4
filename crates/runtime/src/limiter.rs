//! Each process's wasmtime `ResourceLimiter`: every linear memory, GC heap
//! and table a process creates or grows is charged to its VM's [`Budget`],
//! so the VM's memory limit bounds the sum over all its processes, not each
//! memory on its own. What a process was granted goes back to the budget
//! when its store is dropped.

use std::sync::Arc;

use capsa_kernel::Budget;
use wasmtime::ResourceLimiter;

use crate::engine::MAX_TABLE_ELEMENTS;

/// Host bytes one table element is charged (a pointer-sized reference).
pub const TABLE_ELEMENT_BYTES: u64 = 8;
/// Most linear memories (a GC heap is one) a process may have.
const MAX_MEMORIES: usize = 8;
/// Most tables a process may have.
const MAX_TABLES: usize = 8;

/// The limiter of one process's store.
pub(crate) struct VmLimiter {
    budget: Arc<Budget>,
    /// Bytes this store holds against the budget.
    charged: u64,
    /// The last growth granted, given back if wasmtime then fails to grow.
    last_grant: u64,
}

impl VmLimiter {
    pub(crate) fn new(budget: Arc<Budget>) -> Self {
        VmLimiter { budget, charged: 0, last_grant: 0 }
    }

    fn grant(&mut self, bytes: u64) -> bool {
        if !self.budget.try_charge_memory(bytes) {
            return false;
        }
        self.charged = self.charged.saturating_add(bytes);
        self.last_grant = bytes;
        true
    }

    fn undo_last_grant(&mut self) {
        self.budget.release_memory(self.last_grant);
        self.charged = self.charged.saturating_sub(self.last_grant);
        self.last_grant = 0;
    }
}

impl Drop for VmLimiter {
    fn drop(&mut self) {
        self.budget.release_memory(self.charged);
    }
}

impl ResourceLimiter for VmLimiter {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        Ok(self.grant(desired.saturating_sub(current) as u64))
    }

    fn memory_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.undo_last_grant();
        Ok(())
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS || maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        let elements = desired.saturating_sub(current) as u64;
        Ok(self.grant(elements.saturating_mul(TABLE_ELEMENT_BYTES)))
    }

    fn table_grow_failed(&mut self, _error: wasmtime::Error) -> wasmtime::Result<()> {
        self.undo_last_grant();
        Ok(())
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capsa_kernel::BudgetLimits;

    #[test]
    fn growth_is_charged_to_the_shared_budget_and_given_back() {
        let budget = Budget::new(BudgetLimits { memory: 100, ..BudgetLimits::UNLIMITED });
        let mut first = VmLimiter::new(budget.clone());
        let mut second = VmLimiter::new(budget.clone());
        assert!(first.memory_growing(0, 60, None).unwrap());
        assert!(!second.memory_growing(0, 50, None).unwrap(), "the sum is what counts");
        assert!(second.memory_growing(0, 40, None).unwrap());
        assert!(!first.memory_growing(60, 61, None).unwrap());
        second.memory_grow_failed(wasmtime::Error::msg("mmap")).unwrap();
        assert_eq!(budget.usage().memory, 60);
        assert!(!first.memory_growing(60, 90, Some(80)).unwrap(), "past the declared maximum");
        assert!(second.table_growing(0, 5, None).unwrap());
        assert_eq!(budget.usage().memory, 60 + 5 * TABLE_ELEMENT_BYTES);
        drop(first);
        drop(second);
        assert_eq!(budget.usage().memory, 0);
    }
}
