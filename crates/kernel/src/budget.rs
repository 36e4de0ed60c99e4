//! One VM's budget for what its guests make the host hold or spend that the
//! VFS quota and the process table do not already bound: host memory (every
//! linear memory, table and GC heap of every process, pipe buffers, compiled
//! modules of guest-written code), host file descriptors (files and
//! directories open inside host mounts), and CPU time (the sum over every
//! thread that works for the VM: its processes, and compiles of modules its
//! guests wrote).
//!
//! A cost is charged where it is created, before the host commits to it, and
//! given back when it goes: charges are RAII guards ([`MemoryCharge`],
//! [`HostFdSlot`]) or, for costs that grow in steps (a linear memory),
//! [`Budget::try_charge_memory`] paired with [`Budget::release_memory`]. The
//! counters are atomics, so charging never takes a lock another subsystem
//! holds and can be done from any thread of the VM.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use crate::error::{KernelError, Result};

/// The limits of a [`Budget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLimits {
    /// Bytes of host memory the VM's guests may hold at once.
    pub memory: u64,
    /// Host file descriptors the VM may hold open at once through its mounts.
    pub host_fds: usize,
    /// CPU time the VM's threads may spend in all.
    pub cpu: Duration,
}

impl BudgetLimits {
    /// No limit at all: for tests and tools that build a kernel by hand.
    pub const UNLIMITED: BudgetLimits = BudgetLimits { memory: u64::MAX, host_fds: usize::MAX, cpu: Duration::MAX };
}

/// What a VM's budget has in use now, and the most memory it ever held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetUsage {
    /// Bytes of memory charged now.
    pub memory: u64,
    /// The most bytes of memory charged at any one time.
    pub memory_peak: u64,
    /// Host file descriptors held now.
    pub host_fds: usize,
    /// Charges refused because the budget was exhausted (memory or fds).
    pub refused: u64,
    /// CPU time spent so far.
    pub cpu: Duration,
}

/// One VM's budget; shared (`Arc`) by its kernel, its VFS and the runtime's
/// per-process resource limiters.
#[derive(Debug)]
pub struct Budget {
    limits: BudgetLimits,
    memory: AtomicU64,
    memory_peak: AtomicU64,
    host_fds: AtomicUsize,
    refused: AtomicU64,
    /// Nanoseconds of CPU time spent.
    cpu_ns: AtomicU64,
}

impl Budget {
    /// A budget with nothing charged.
    pub fn new(limits: BudgetLimits) -> Arc<Budget> {
        Arc::new(Budget {
            limits,
            memory: AtomicU64::new(0),
            memory_peak: AtomicU64::new(0),
            host_fds: AtomicUsize::new(0),
            refused: AtomicU64::new(0),
            cpu_ns: AtomicU64::new(0),
        })
    }

    /// The limits it was made with.
    pub fn limits(&self) -> BudgetLimits {
        self.limits
    }

    /// What is in use now.
    pub fn usage(&self) -> BudgetUsage {
        BudgetUsage {
            memory: self.memory.load(Ordering::SeqCst),
            memory_peak: self.memory_peak.load(Ordering::SeqCst),
            host_fds: self.host_fds.load(Ordering::SeqCst),
            refused: self.refused.load(Ordering::SeqCst),
            cpu: Duration::from_nanos(self.cpu_ns.load(Ordering::SeqCst)),
        }
    }

    /// Adds `spent` to the CPU time the VM used; `false` once the total is
    /// past the limit (then and on every later charge).
    pub fn charge_cpu(&self, spent: Duration) -> bool {
        let ns = u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX);
        let total = self.cpu_ns.fetch_add(ns, Ordering::SeqCst).saturating_add(ns);
        Duration::from_nanos(total) <= self.limits.cpu
    }

    /// Whether the VM has used up its CPU time.
    pub fn cpu_exhausted(&self) -> bool {
        Duration::from_nanos(self.cpu_ns.load(Ordering::SeqCst)) > self.limits.cpu
    }

    /// Charges `bytes` of memory if they fit under the limit; `false` (and
    /// nothing charged) if not. The caller gives them back with
    /// [`Budget::release_memory`].
    pub fn try_charge_memory(&self, bytes: u64) -> bool {
        let charged = self.memory.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
            used.checked_add(bytes).filter(|total| *total <= self.limits.memory)
        });
        match charged {
            Ok(before) => {
                self.memory_peak.fetch_max(before.saturating_add(bytes), Ordering::SeqCst);
                true
            }
            Err(_) => {
                self.refused.fetch_add(1, Ordering::SeqCst);
                false
            }
        }
    }

    /// Gives back `bytes` charged by [`Budget::try_charge_memory`].
    pub fn release_memory(&self, bytes: u64) {
        // Saturating: a release can never make the counter wrap, whatever a
        // caller's bookkeeping says.
        let _ = self.memory.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| Some(used.saturating_sub(bytes)));
    }

    /// Charges `bytes` of memory for as long as the returned guard lives.
    ///
    /// # Errors
    /// `NoMemory` (ENOMEM) if they do not fit.
    pub fn charge_memory(self: &Arc<Self>, bytes: u64) -> Result<MemoryCharge> {
        if self.try_charge_memory(bytes) {
            Ok(MemoryCharge { budget: self.clone(), bytes })
        } else {
            Err(KernelError::NoMemory)
        }
    }

    /// Takes one host file descriptor for as long as the returned guard lives.
    ///
    /// # Errors
    /// `VmFileLimit` (ENFILE) when the VM holds its limit.
    pub fn host_fd(self: &Arc<Self>) -> Result<HostFdSlot> {
        let taken = self
            .host_fds
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| (held < self.limits.host_fds).then_some(held + 1));
        match taken {
            Ok(_) => Ok(HostFdSlot { budget: self.clone() }),
            Err(_) => {
                self.refused.fetch_add(1, Ordering::SeqCst);
                Err(KernelError::VmFileLimit)
            }
        }
    }
}

/// Memory charged to a [`Budget`]; given back on drop.
#[derive(Debug)]
pub struct MemoryCharge {
    budget: Arc<Budget>,
    bytes: u64,
}

impl MemoryCharge {
    /// The bytes this guard holds.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl Drop for MemoryCharge {
    fn drop(&mut self) {
        self.budget.release_memory(self.bytes);
    }
}

/// One host file descriptor held against a [`Budget`]; given back on drop.
#[derive(Debug)]
pub struct HostFdSlot {
    budget: Arc<Budget>,
}

impl Drop for HostFdSlot {
    fn drop(&mut self) {
        let _ =
            self.budget.host_fds.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |held| Some(held.saturating_sub(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_is_charged_up_to_the_limit_and_given_back() {
        let budget = Budget::new(BudgetLimits { memory: 100, host_fds: 1, cpu: Duration::MAX });
        let first = budget.charge_memory(60).expect("fits");
        assert_eq!(budget.charge_memory(41).err(), Some(KernelError::NoMemory));
        assert!(budget.try_charge_memory(40));
        assert!(!budget.try_charge_memory(1));
        drop(first);
        budget.release_memory(40);
        let usage = budget.usage();
        assert_eq!((usage.memory, usage.memory_peak, usage.refused), (0, 100, 2));
        budget.release_memory(7);
        assert_eq!(budget.usage().memory, 0, "a release never wraps");
    }

    #[test]
    fn cpu_time_adds_up_to_the_limit() {
        let budget = Budget::new(BudgetLimits { memory: 0, host_fds: 0, cpu: Duration::from_millis(10) });
        assert!(budget.charge_cpu(Duration::from_millis(6)));
        assert!(budget.charge_cpu(Duration::from_millis(4)), "exactly the limit is within it");
        assert!(!budget.cpu_exhausted());
        assert!(!budget.charge_cpu(Duration::from_nanos(1)));
        assert!(budget.cpu_exhausted() && !budget.charge_cpu(Duration::ZERO));
        assert_eq!(budget.usage().cpu, Duration::from_nanos(10_000_001));
    }

    #[test]
    fn host_fds_are_counted_while_held() {
        let budget = Budget::new(BudgetLimits { memory: 0, host_fds: 2, cpu: Duration::MAX });
        let a = budget.host_fd().expect("first");
        let _b = budget.host_fd().expect("second");
        assert_eq!(budget.host_fd().err(), Some(KernelError::VmFileLimit));
        drop(a);
        assert_eq!(budget.usage().host_fds, 1);
        assert!(budget.host_fd().is_ok());
    }
}
