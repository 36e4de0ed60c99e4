//! `ps`: the VM's live processes.
//!
//! capsa-abi 0.2 has no call that lists processes or reads another
//! process's command line, parent or user, so `ps` finds processes by
//! probing pids with the null signal (`proc_kill(pid, 0)`: a process that
//! exists answers success, or `EPERM` if it belongs to another user) and
//! reports what it can read of each: its pid and process group
//! (`proc_getpgid`). It knows its own parent and name. Pids count up and are
//! never reused, so every live process has a pid below the caller's or
//! shortly above it (processes started meanwhile). Ended processes not yet
//! waited for (zombies) are listed like live ones. Options are accepted
//! for compatibility (`-e`, `-A`, `-a`, `-f`, `aux`…) and change nothing:
//! all processes found are always shown.

use std::ffi::OsString;

use crate::util;

/// Pids probed above the caller's own before giving up.
const PROBE_ABOVE: u32 = 64;
/// `EPERM` as a raw WASI errno.
const EPERM: i32 = 63;

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    for arg in &args {
        if arg == "--help" {
            println!("Usage: ps [options]\n(capsa: shows PID, PGID and, for ps itself, PPID and CMD)");
            return 0;
        }
    }
    let me = match wasi_ext::getpid() {
        Ok(pid) => pid,
        Err(err) => return util::fail(cmd, util::errmsg(&err)),
    };
    let parent = wasi_ext::getppid().unwrap_or(0);
    println!("{:>5} {:>5} {:>5} CMD", "PID", "PPID", "PGID");
    let mut misses = 0;
    let mut pid = 1u32;
    while pid <= me || misses < PROBE_ABOVE {
        let exists = match wasi_ext::kill(pid as i32, 0) {
            Ok(()) => true,
            Err(err) => err.raw_os_error() == Some(EPERM),
        };
        if exists {
            misses = 0;
            let pgid = wasi_ext::getpgid(pid).map_or_else(|_| "?".to_string(), |g| g.to_string());
            if pid == me {
                println!("{pid:>5} {parent:>5} {pgid:>5} {cmd}");
            } else {
                println!("{pid:>5} {:>5} {pgid:>5} ?", "?");
            }
        } else if pid > me {
            misses += 1;
        }
        pid += 1;
    }
    0
}
