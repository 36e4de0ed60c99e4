//! How a guest process stops other than by returning from `_start`. The kill
//! machinery itself ([`ProcessControl`], [`KillReason`]) belongs to the kernel.

pub use capsa_kernel::{KillReason, ProcessControl};

/// A guest process ended without returning: returned as the error of the
/// host call that ended it, and recognised by the runtime with `downcast_ref`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GuestExit {
    /// `proc_exit(code)`.
    #[error("guest exited with status {0}")]
    Exit(u32),
    /// Ended by a signal it raised or provoked itself (`proc_raise`, a second
    /// write to a broken pipe), Linux numbering.
    #[error("guest terminated by signal {0}")]
    Signal(u8),
    /// Stopped by the runtime or another process.
    #[error("guest killed: {0:?}")]
    Killed(KillReason),
}
