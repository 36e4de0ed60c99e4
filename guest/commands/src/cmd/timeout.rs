//! `timeout [-s SIGNAL] [-k DURATION] [--preserve-status] [--foreground]
//! [-v] DURATION COMMAND [ARG]...`: runs a command and signals it if it
//! is still running after DURATION.
//!
//! The command runs in a process group of its own (unless `--foreground`),
//! which is what is signalled, so its own children end with it. Time is
//! counted by sleeping (`sleep_ms`), so no clock grant is needed; it is
//! the time `timeout` spent waiting, a few milliseconds short of wall time
//! at most per check.
//!
//! Exit status: 124 if the command timed out (unless `--preserve-status`),
//! 125 if `timeout` failed, 126/127 if the command could not be run or
//! found, 137 if it had to be killed after `-k`, else the command's status.

use std::ffi::OsString;

use lexopt::prelude::*;

use crate::util::{self, child_code};

const EXIT_TIMEDOUT: i32 = 124;
const EXIT_CANCELED: i32 = 125;

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut signal = 15;
    let mut kill_after = None;
    let (mut preserve, mut foreground, mut verbose) = (false, false, false);
    let mut operands: Vec<OsString> = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(cmd, err, EXIT_CANCELED),
        };
        match arg {
            Short('s') | Long("signal") => {
                let value = match parser.value().map_err(|e| e.to_string()).and_then(util::string) {
                    Ok(v) => v,
                    Err(err) => return util::usage(cmd, err, EXIT_CANCELED),
                };
                match util::parse_signal(&value) {
                    Some(n) => signal = n,
                    None => return canceled(cmd, format!("{value}: invalid signal")),
                }
            }
            Short('k') | Long("kill-after") => {
                let value = match parser.value().map_err(|e| e.to_string()).and_then(util::string) {
                    Ok(v) => v,
                    Err(err) => return util::usage(cmd, err, EXIT_CANCELED),
                };
                match util::parse_duration_ms(&value) {
                    Some(ms) => kill_after = Some(ms),
                    None => return util::usage(cmd, format!("invalid time interval '{value}'"), EXIT_CANCELED),
                }
            }
            Long("preserve-status") => preserve = true,
            Long("foreground") => foreground = true,
            Short('v') | Long("verbose") => verbose = true,
            Long("help") => {
                println!("Usage: timeout [OPTION] DURATION COMMAND [ARG]...");
                return 0;
            }
            Value(value) => {
                operands.push(value);
                operands.extend(parser.raw_args().map(|raw| raw.collect::<Vec<_>>()).unwrap_or_default());
                break;
            }
            other => return util::usage(cmd, other.unexpected(), EXIT_CANCELED),
        }
    }
    if operands.len() < 2 {
        return util::usage(cmd, "missing operand", EXIT_CANCELED);
    }
    let duration = operands[0].to_string_lossy().into_owned();
    let Some(limit) = util::parse_duration_ms(&duration) else {
        return util::usage(cmd, format!("invalid time interval '{duration}'"), EXIT_CANCELED);
    };
    let program = &operands[1];

    let mut child = match wasi_ext::Command::new(program).args(&operands[2..]).spawn() {
        Ok(child) => child,
        Err(err) => return util::spawn_failed(cmd, program, &err),
    };
    let pid = child.id();
    // Its own group, so that the signal reaches the command's children too.
    let group = !foreground && wasi_ext::setpgid(pid, pid).is_ok();
    let send = |signal: i32| {
        if verbose {
            let name = util::signal_name(signal).unwrap_or("?");
            eprintln!("{cmd}: sending signal {name} to command {}", util::quote(program));
        }
        let target = if group { -(pid as i32) } else { pid as i32 };
        let _ = wasi_ext::kill(target, signal);
    };

    // 0 means no limit.
    let status = match wait_for(&mut child, (limit > 0).then_some(limit)) {
        Err(err) => return canceled(cmd, util::errmsg(&err)),
        Ok(Some(status)) => return child_code(status),
        Ok(None) => {
            send(signal);
            match wait_for(&mut child, kill_after) {
                Err(err) => return canceled(cmd, util::errmsg(&err)),
                Ok(Some(status)) => status,
                Ok(None) => {
                    send(9);
                    return match child.wait() {
                        Ok(status) if preserve => child_code(status),
                        _ => 128 + 9,
                    };
                }
            }
        }
    };
    if preserve { child_code(status) } else { EXIT_TIMEDOUT }
}

/// Reports a failure of timeout itself: exit status 125.
fn canceled(cmd: &str, msg: impl std::fmt::Display) -> i32 {
    util::fail(cmd, msg);
    EXIT_CANCELED
}

/// Waits for `child` up to `limit` milliseconds (forever if `None`);
/// `None` if it is still running then.
fn wait_for(child: &mut wasi_ext::Child, limit: Option<u64>) -> std::io::Result<Option<wasi_ext::ExitStatus>> {
    let Some(limit) = limit else { return child.wait().map(Some) };
    let mut waited = 0u64;
    let mut step = 1u64;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if waited >= limit {
            return Ok(None);
        }
        let nap = step.min(limit - waited);
        wasi_ext::sleep_ms(nap)?;
        waited += nap;
        step = (step * 2).min(50);
    }
}
