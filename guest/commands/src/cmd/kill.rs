//! `kill [-s SIGNAL | -SIGNAL | -n NUM] PID...`, `kill -l [SIGNAL]...`,
//! `kill -L`: sends signals through `host_process` (`proc_kill`). A negative
//! PID (after `--`) names a process group; `0` the caller's group; `-1`
//! every process the caller may signal.

use std::ffi::OsString;

use crate::util;

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut signal = 15;
    let mut i = 0;
    let mut list = None;
    while i < args.len() {
        let arg = args[i].as_str();
        match arg {
            "--" => {
                i += 1;
                break;
            }
            "-l" | "--list" => list = Some(false),
            "-L" | "--table" => list = Some(true),
            "-s" | "--signal" | "-n" => {
                i += 1;
                let Some(name) = args.get(i) else {
                    return util::usage(cmd, format!("option requires an argument -- '{}'", &arg[1..]), 1);
                };
                match util::parse_signal(name) {
                    Some(n) => signal = n,
                    None => return util::fail(cmd, format!("{name}: invalid signal")),
                }
            }
            "--help" => {
                println!("Usage: kill [-s SIGNAL | -SIGNAL] PID...\n  or:  kill -l [SIGNAL]...\n  or:  kill -L");
                return 0;
            }
            _ if arg.starts_with("--signal=") => match util::parse_signal(&arg[9..]) {
                Some(n) => signal = n,
                None => return util::fail(cmd, format!("{}: invalid signal", &arg[9..])),
            },
            _ if arg.starts_with('-') && arg.len() > 1 && list.is_none() => {
                let name = &arg[1..];
                // `-9`, `-KILL`, `-SIGKILL`; a `-123` that is not a signal is a group.
                match util::parse_signal(name) {
                    Some(n) => signal = n,
                    None if name.bytes().all(|b| b.is_ascii_digit()) => break,
                    None => return util::fail(cmd, format!("{name}: invalid signal")),
                }
            }
            _ => break,
        }
        i += 1;
    }
    let operands = &args[i..];

    if let Some(table) = list {
        return list_signals(cmd, operands, table);
    }
    if operands.is_empty() {
        return util::usage(cmd, "no process ID specified", 1);
    }
    let mut status = 0;
    for operand in operands {
        let Ok(pid) = operand.parse::<i32>() else {
            status = util::fail(cmd, format!("{operand}: invalid process id"));
            continue;
        };
        if let Err(err) = wasi_ext::kill(pid, signal) {
            status = util::fail(cmd, format!("{operand}: {}", util::errmsg(&err)));
        }
    }
    status
}

/// `kill -l` / `kill -L`: signal names, or the numbers of named signals.
fn list_signals(cmd: &str, operands: &[String], table: bool) -> i32 {
    if operands.is_empty() {
        if table {
            for (n, name) in util::signals() {
                println!("{n:>2} {name}");
            }
        } else {
            for (_, name) in util::signals() {
                println!("{name}");
            }
        }
        return 0;
    }
    let mut status = 0;
    for operand in operands {
        match operand.parse::<i32>() {
            // An exit status above 128 stands for the signal that caused it.
            Ok(n) => match util::signal_name(if n > 128 { n - 128 } else { n }) {
                Some(name) => println!("{name}"),
                None => status = util::fail(cmd, format!("{operand}: invalid signal")),
            },
            Err(_) => match util::parse_signal(operand) {
                Some(n) => println!("{n}"),
                None => status = util::fail(cmd, format!("{operand}: invalid signal")),
            },
        }
    }
    status
}
