//! capsa's virtual kernel. It owns everything a guest can observe of the
//! "machine": the filesystem ([`vfs`]), open files, pipes and fd tables
//! ([`file`](mod@file), [`pipe`], [`fd`]), processes ([`process`], [`control`]),
//! the VM's memory and host-fd budget ([`budget`]),
//! sockets ([`net`]), programs ([`exec`]), users ([`cred`], [`user`]), clocks and entropy
//! ([`kernel`]). It has no wasm types and no unsafe code; the WASI adapter
//! drives it.
//!
//! ```
//! use capsa_kernel::{BudgetLimits, Cred, Kernel, KernelConfig, OpenOptions, Quota, VfsConfig};
//!
//! let kernel = Kernel::new(KernelConfig {
//!     vfs: VfsConfig {
//!         layers: vec![],
//!         mounts: vec![],
//!         quota: Quota { max_bytes: 1 << 20, max_inodes: 100 },
//!         real_time: false,
//!         entropy: false,
//!     },
//!     clock: false,
//!     entropy: false,
//!     max_processes: 16,
//!     budget: BudgetLimits { memory: 64 << 20, host_fds: 16, cpu: std::time::Duration::from_secs(10) },
//! })?;
//! let root = kernel.vfs().root();
//! let opts = OpenOptions { write: true, create: true, mode: 0o644, ..OpenOptions::default() };
//! let file = kernel.vfs().open_at(&Cred::root(), &root, "tmp/hello", opts)?;
//! file.write(b"hi")?;
//! assert_eq!(file.stat()?.size, 2);
//! # Ok::<(), capsa_kernel::KernelError>(())
//! ```
#![forbid(unsafe_code)]

pub mod budget;
pub mod bytes;
pub mod control;
pub mod cred;
pub mod error;
pub mod exec;
pub mod fd;
pub mod file;
pub mod image;
pub mod kernel;
pub mod layer;
pub mod net;
pub mod pipe;
pub mod process;
pub mod stdio;
pub mod types;
pub mod user;
pub mod vfs;

pub use budget::{Budget, BudgetLimits, BudgetUsage, HostFdSlot, MemoryCharge};
pub use bytes::SharedBytes;
pub use control::{KillReason, ProcessControl, clear_current, current_pending, set_current};
pub use cred::Cred;
pub use error::{KernelError, LimitKind, Result};
pub use exec::Executable;
pub use fd::{Fd, FdEntry, FdTable, Rights};
pub use file::OpenFile;
pub use image::{ImageEntry, ImageNode};
pub use kernel::{Kernel, KernelConfig};
pub use layer::{Layer, LayerBuilder, Meta, Stamp};
pub use net::{Family, NetConfig, Network, Protocol, Socket};
pub use pipe::{PIPE_CAPACITY, PIPE_CHARGE};
pub use process::{Pid, ProcessSpec, WaitStatus};
pub use stdio::{HostInput, HostOutput};
pub use types::{ClockId, DirEntry, FileType, OpenOptions, Readiness, SetTime, Stat, StatusFlags, Timestamp};
pub use vfs::{Mount, PathStat, Quota, Usage, Vfs, VfsConfig, vouch_for_program};
