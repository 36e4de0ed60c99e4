//! Guest-side bindings of capsa's extension imports, `host_process`,
//! `host_user`, `host_fs` and `host_net` (capsa-abi 0.5, `docs/abi.md`):
//! processes, signals, pipes, fd duplication, sleep, users, terminals, file
//! modes and owners ([`fs`]), and sockets ([`net`]), for `wasm32-wasip1`
//! programs running inside capsa.
//!
//! The API follows `std::process` and POSIX so guest code reads naturally:
//! [`Command`] / [`Child`] / [`ExitStatus`], and free functions named after
//! their POSIX counterparts ([`pipe`], [`dup2`], [`kill`], [`waitpid`],
//! [`getpwuid`], …). Errors are `io::Error`s carrying the WASI errno as their
//! raw OS error, so `kind()` and the message come out as for any std error
//! (`ENOENT` → `ErrorKind::NotFound`).
//!
//! A program calls [`init`] first thing in `main`, so that relative paths
//! resolve against the working directory its parent gave it:
//!
//! ```no_run
//! use std::io::Read;
//! use wasi_ext::{Command, Stdio};
//!
//! fn main() -> std::io::Result<()> {
//!     wasi_ext::init()?;
//!     let mut child = Command::new("grep").arg("-c").arg("x").stdout(Stdio::piped()).spawn()?;
//!     let mut count = String::new();
//!     child.stdout.take().unwrap().read_to_string(&mut count)?;
//!     let status = child.wait()?;
//!     println!("{} lines ({status})", count.trim());
//!     Ok(())
//! }
//! ```
//!
//! C programs get the same through `include/wasi_ext.h` and `c/*.c`
//! (`posix_spawn`, `waitpid`, `pipe`, `getpwuid`, `capsa_stat`, `chmod`,
//! `chown`, `socket`, `bind`, `connect`, `getaddrinfo`, …).

mod fd;
pub mod fs;
pub mod net;
mod process;
mod sys;
mod user;

use std::io;

pub use fd::{dup, dup2, isatty, pipe, window_size};
pub use process::{
    Child, Command, ExitStatus, Output, Stdio, getpgid, getpid, getppid, kill, setpgid, sleep_ms, waitpid,
};
pub use user::{Group, Passwd, getegid, geteuid, getgid, getgrgid, getgrnam, getpwnam, getpwuid, getuid};

/// Signal numbers (Linux's, as the ABI uses them).
pub mod signal {
    /// Hangup.
    pub const SIGHUP: i32 = 1;
    /// Interrupt (^C).
    pub const SIGINT: i32 = 2;
    /// Quit.
    pub const SIGQUIT: i32 = 3;
    /// Abort; also how a child that trapped is reported.
    pub const SIGABRT: i32 = 6;
    /// Kill (cannot be ignored); also how a child ended by a limit is reported.
    pub const SIGKILL: i32 = 9;
    /// User-defined 1.
    pub const SIGUSR1: i32 = 10;
    /// User-defined 2.
    pub const SIGUSR2: i32 = 12;
    /// Write to a pipe with no reader (after `EPIPE` was ignored).
    pub const SIGPIPE: i32 = 13;
    /// Alarm clock.
    pub const SIGALRM: i32 = 14;
    /// Termination request.
    pub const SIGTERM: i32 = 15;
    /// Child ended (ignored).
    pub const SIGCHLD: i32 = 17;
    /// Continue (ignored).
    pub const SIGCONT: i32 = 18;
    /// Stop (`ENOTSUP`: capsa does not stop processes).
    pub const SIGSTOP: i32 = 19;
    /// Terminal stop (`ENOTSUP`).
    pub const SIGTSTP: i32 = 20;

    /// The name of a signal this module defines (`"SIGKILL"`).
    pub fn signal_name(signal: i32) -> Option<&'static str> {
        Some(match signal {
            SIGHUP => "SIGHUP",
            SIGINT => "SIGINT",
            SIGQUIT => "SIGQUIT",
            SIGABRT => "SIGABRT",
            SIGKILL => "SIGKILL",
            SIGUSR1 => "SIGUSR1",
            SIGUSR2 => "SIGUSR2",
            SIGPIPE => "SIGPIPE",
            SIGALRM => "SIGALRM",
            SIGTERM => "SIGTERM",
            SIGCHLD => "SIGCHLD",
            SIGCONT => "SIGCONT",
            SIGSTOP => "SIGSTOP",
            SIGTSTP => "SIGTSTP",
            _ => return None,
        })
    }
}

/// Takes the working directory the parent gave from `$PWD`: call it first
/// thing in `main`.
///
/// WASI has no working directory. wasi-libc keeps one of its own, a string
/// that starts as `/` in every process and against which it resolves
/// relative paths (and `std::env::current_dir` reports). capsa records each
/// process's directory in the kernel and [`Command`] passes it to the child
/// both in the spawn call and as `PWD`; this sets wasi-libc's string from
/// `PWD`. Without `PWD` (a VM's first process, or a parent that removed it)
/// nothing changes.
///
/// # Errors
/// If `$PWD` names no directory the process can reach (`ENOENT`,
/// `ENOTDIR`, `EACCES`).
pub fn init() -> io::Result<()> {
    match std::env::var_os("PWD") {
        Some(pwd) if !pwd.is_empty() => std::env::set_current_dir(pwd),
        _ => Ok(()),
    }
}
