//! How a guest run ended, and what capsa's own exit code is for each ending.

use std::fmt;
use std::time::Duration;

use capsa_kernel::{KillReason, LimitKind};

use crate::config::Limits;

/// Exit code when a guest trapped (128 + SIGABRT, as a shell would show an abort).
pub const EXIT_TRAP: i32 = 134;
/// Exit code when a guest was killed for exceeding a limit (128 + SIGKILL).
pub const EXIT_KILLED: i32 = 137;
/// Exit code when a module could not be loaded or linked (as a shell's "cannot execute").
pub const EXIT_NOT_RUNNABLE: i32 = 126;
/// Exit code for a usage, grant or manifest error: nothing ran.
pub const EXIT_USAGE: i32 = 2;

/// Which limit ended a guest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Limit {
    /// Its VM spent its CPU time.
    CpuTime(Duration),
    /// Ran out of fuel.
    Fuel(u64),
    /// Passed its wall-clock deadline.
    WallClock(Duration),
    /// Wrote more than this many bytes to stdout.
    Stdout(u64),
    /// Wrote more than this many bytes to stderr.
    Stderr(u64),
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::CpuTime(d) => write!(f, "CPU-time limit {}", humantime(*d)),
            Limit::Fuel(n) => write!(f, "fuel limit {n}"),
            Limit::WallClock(d) => write!(f, "wall-clock limit {}", humantime(*d)),
            Limit::Stdout(n) => write!(f, "stdout limit {n} bytes"),
            Limit::Stderr(n) => write!(f, "stderr limit {n} bytes"),
        }
    }
}

fn humantime(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{}s", d.as_secs()) } else { format!("{}ms", d.as_millis()) }
}

/// How a guest process ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ExitStatus {
    /// It returned from `_start` (0) or called `proc_exit(code)`.
    Exited(u32),
    /// It trapped; the message is wasmtime's trap description.
    Trapped(String),
    /// A limit ended it.
    Killed(Limit),
    /// A signal ended it (Linux numbering).
    Signaled(u8),
}

impl ExitStatus {
    /// The exit code capsa itself exits with: the guest's code (low 8 bits, as
    /// POSIX), [`EXIT_TRAP`], [`EXIT_KILLED`], or 128+n for signal n.
    pub fn code(&self) -> i32 {
        match self {
            ExitStatus::Exited(code) => (code & 0xff) as i32,
            ExitStatus::Trapped(_) => EXIT_TRAP,
            ExitStatus::Killed(_) => EXIT_KILLED,
            ExitStatus::Signaled(signal) => 128 + i32::from(*signal),
        }
    }

    /// Whether the guest exited with status 0.
    pub fn success(&self) -> bool {
        matches!(self, ExitStatus::Exited(0))
    }

    /// The one-line reason capsa prints for an abnormal end (`None` for an exit).
    pub fn reason(&self) -> Option<String> {
        match self {
            ExitStatus::Exited(_) => None,
            ExitStatus::Trapped(msg) => Some(format!("capsa: trapped: {msg}")),
            ExitStatus::Killed(limit) => Some(format!("capsa: killed: {limit}")),
            ExitStatus::Signaled(signal) => Some(format!("capsa: terminated by signal {signal}")),
        }
    }
}

/// How a process ended by a kill from outside its code, given why.
pub fn killed_by(reason: KillReason, limits: &Limits) -> ExitStatus {
    match reason {
        KillReason::Signal(signal) => ExitStatus::Signaled(signal),
        KillReason::WallClock => ExitStatus::Killed(Limit::WallClock(limits.wall)),
        KillReason::CpuTime => ExitStatus::Killed(Limit::CpuTime(limits.cpu)),
        KillReason::Output(LimitKind::Stdout) => ExitStatus::Killed(Limit::Stdout(limits.stdout_bytes)),
        KillReason::Output(LimitKind::Stderr) => ExitStatus::Killed(Limit::Stderr(limits.stderr_bytes)),
    }
}

/// The result of running a guest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// How it ended.
    pub status: ExitStatus,
    /// CPU time the VM spent during the run (all its processes, and
    /// compiles of modules its guests wrote).
    pub cpu: Duration,
    /// Fuel the top process used, when fuel was metered ([`Limits::fuel`]).
    pub fuel_used: Option<u64>,
    /// Captured stdout (empty unless stdout was [`crate::Output::Capture`]).
    pub stdout: Vec<u8>,
    /// Captured stderr (empty unless stderr was [`crate::Output::Capture`]).
    pub stderr: Vec<u8>,
}

impl Outcome {
    /// Captured stdout as (lossy) UTF-8.
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Captured stderr as (lossy) UTF-8.
    pub fn stderr_str(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
}
