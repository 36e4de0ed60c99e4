//! The kernel of one VM: its VFS, its process table, its network, and the
//! clock and entropy capabilities. The runtime builds one per VM from the VM's grants;
//! every process of the VM shares it.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::budget::{Budget, BudgetLimits};
use crate::error::{KernelError, Result};
use crate::net::{NetConfig, Network};
use crate::process::ProcessTable;
use crate::types::{ClockId, Timestamp};
use crate::vfs::{Vfs, VfsConfig};

/// Capabilities and resources a kernel is built from. Everything is denied
/// unless set here.
#[derive(Debug)]
pub struct KernelConfig {
    /// The filesystem: layers, host mounts, quota. Its `real_time` and `entropy`
    /// fields are overwritten from `clock` and `entropy` below.
    pub vfs: VfsConfig,
    /// Grant: the guest may read the real clocks. Without it `clock_time_get`
    /// and `clock_res_get` fail with `NoSys` and file times read as 0.
    pub clock: bool,
    /// Grant: the guest may read host entropy. Without it `random_get` fails
    /// with `NoSys` and `/dev/urandom` cannot be opened.
    pub entropy: bool,
    /// Most processes the VM's table may hold at once, zombies (ended,
    /// not yet waited for) included; spawning past it fails with
    /// `WouldBlock` (EAGAIN).
    pub max_processes: usize,
    /// The VM's memory and host-fd budget ([`Budget`]).
    pub budget: BudgetLimits,
}

/// One VM's kernel.
#[derive(Debug)]
pub struct Kernel {
    vfs: Arc<Vfs>,
    budget: Arc<Budget>,
    clock: bool,
    entropy: bool,
    booted: Instant,
    net: Arc<Network>,
    pub(crate) procs: ProcessTable,
}

impl Kernel {
    /// Boots a kernel with the default network ([`NetConfig::default`]:
    /// egress denied).
    ///
    /// # Errors
    /// What [`Vfs::new`] reports for a bad layer or mount.
    pub fn new(config: KernelConfig) -> Result<Arc<Kernel>> {
        Kernel::with_network(config, NetConfig::default())
    }

    /// Boots a kernel whose network has the given limits, addresses and
    /// egress policy.
    ///
    /// # Errors
    /// What [`Vfs::new`] reports for a bad layer or mount.
    pub fn with_network(mut config: KernelConfig, net: NetConfig) -> Result<Arc<Kernel>> {
        config.vfs.real_time = config.clock;
        config.vfs.entropy = config.entropy;
        let budget = Budget::new(config.budget);
        let vfs = Vfs::with_budget(config.vfs, budget.clone())?;
        Ok(Arc::new(Kernel {
            vfs,
            budget,
            clock: config.clock,
            entropy: config.entropy,
            booted: Instant::now(),
            net: Network::new(net),
            procs: ProcessTable::new(config.max_processes),
        }))
    }

    /// The VM's filesystem.
    pub fn vfs(&self) -> &Arc<Vfs> {
        &self.vfs
    }

    /// The VM's budget: memory and host fds, shared by every process.
    pub fn budget(&self) -> &Arc<Budget> {
        &self.budget
    }

    /// The VM's network: its sockets, ports and egress audit log.
    pub fn network(&self) -> &Arc<Network> {
        &self.net
    }

    /// Whether the clock capability was granted.
    pub fn has_clock(&self) -> bool {
        self.clock
    }

    /// Reads a clock.
    ///
    /// # Errors
    /// `NoSys` without the clock grant.
    pub fn clock_time(&self, id: ClockId) -> Result<Timestamp> {
        if !self.clock {
            return Err(KernelError::NoSys);
        }
        match id {
            ClockId::Realtime => {
                let since = SystemTime::now().duration_since(UNIX_EPOCH).map_err(|_| KernelError::Overflow)?;
                u64::try_from(since.as_nanos()).map_err(|_| KernelError::Overflow)
            }
            ClockId::Monotonic | ClockId::ProcessCpuTime | ClockId::ThreadCpuTime => {
                u64::try_from(self.booted.elapsed().as_nanos()).map_err(|_| KernelError::Overflow)
            }
        }
    }

    /// Resolution of a clock, in nanoseconds.
    ///
    /// # Errors
    /// `NoSys` without the clock grant.
    pub fn clock_resolution(&self, id: ClockId) -> Result<Timestamp> {
        if !self.clock {
            return Err(KernelError::NoSys);
        }
        match id {
            ClockId::Realtime | ClockId::Monotonic | ClockId::ProcessCpuTime | ClockId::ThreadCpuTime => Ok(1),
        }
    }

    /// Fills `buf` with host entropy.
    ///
    /// # Errors
    /// `NoSys` without the entropy grant; `Io` if the host source fails.
    pub fn random_fill(&self, buf: &mut [u8]) -> Result<()> {
        if !self.entropy {
            return Err(KernelError::NoSys);
        }
        getrandom::fill(buf).map_err(|_| KernelError::Io)
    }
}
