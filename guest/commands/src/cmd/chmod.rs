//! `chmod`, `chown`, `chgrp`. preview1 has no call that changes a file's
//! mode or owner; capsa's `host_fs` extension has them, but the suite does
//! not use it yet. So these check everything they can — the mode or owner
//! syntax, that users and groups exist, that each file exists — and then
//! refuse honestly: `capsa: chmod: not supported: …`, exit 1.

use std::ffi::OsString;
use std::path::Path;

use crate::util;

const WHY: &str = "preview1 cannot change file modes or owners (this command does not use host_fs yet)";

/// Splits options (`-R`, `-v`, `-f`, `-c`, `-h`, `--reference=…`…) from
/// operands. Modes like `-w` are operands for chmod, so an option is only a
/// known flag.
fn split(args: Vec<OsString>, known: &[&str]) -> (Vec<String>, Vec<OsString>) {
    let mut flags = Vec::new();
    let mut operands = Vec::new();
    let mut done = false;
    for arg in args {
        let text = arg.to_string_lossy().into_owned();
        if !done && text == "--" {
            done = true;
        } else if !done && (known.contains(&text.as_str()) || text.starts_with("--") && text.len() > 2) {
            flags.push(text);
        } else {
            operands.push(arg);
        }
    }
    (flags, operands)
}

const FLAGS: &[&str] = &["-R", "-v", "-c", "-f", "-h", "-H", "-L", "-P", "-Rv", "-Rf", "-vR", "-fR"];

/// Whether `mode` is a valid chmod mode: octal, or symbolic clauses
/// `[ugoa]*([-+=]([rwxXst]*|[ugo]))+` separated by commas.
pub fn valid_mode(mode: &str) -> bool {
    if !mode.is_empty() && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return mode.len() <= 4;
    }
    mode.split(',').all(|clause| {
        let rest = clause.trim_start_matches(['u', 'g', 'o', 'a']);
        if rest.is_empty() {
            return false;
        }
        let mut chars = rest.chars().peekable();
        while let Some(op) = chars.next() {
            if !matches!(op, '+' | '-' | '=') {
                return false;
            }
            if chars.peek().is_some_and(|c| "ugo".contains(*c)) {
                chars.next();
                continue;
            }
            while chars.peek().is_some_and(|c| "rwxXst".contains(*c)) {
                chars.next();
            }
            // A permission copy or an octal after the operator are also fine.
            while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
                chars.next();
            }
        }
        true
    })
}

/// Checks that every file exists; reports those that do not.
fn check_files(cmd: &str, files: &[OsString]) -> i32 {
    let mut status = 0;
    for file in files {
        if let Err(err) = std::fs::symlink_metadata(Path::new(file)) {
            status = util::fail(cmd, format!("cannot access {}: {}", util::quote(file), util::errmsg(&err)));
        }
    }
    status
}

fn help(cmd: &str, flags: &[String]) -> bool {
    if flags.iter().any(|f| f == "--help") {
        println!("Usage: {cmd} [OPTION]... ... FILE...\n(capsa: not supported yet: {WHY})");
        return true;
    }
    false
}

pub fn chmod(cmd: &str, args: Vec<OsString>) -> i32 {
    let (flags, operands) = split(args, FLAGS);
    if help(cmd, &flags) {
        return 0;
    }
    let reference = flags.iter().any(|f| f.starts_with("--reference="));
    let (mode, files) = if reference {
        (None, &operands[..])
    } else {
        match operands.split_first() {
            Some((mode, files)) => (Some(mode.to_string_lossy().into_owned()), files),
            None => return util::usage(cmd, "missing operand", 1),
        }
    };
    if let Some(mode) = &mode
        && !valid_mode(mode)
    {
        return util::fail(cmd, format!("invalid mode: '{mode}'"));
    }
    if files.is_empty() {
        return util::usage(cmd, format!("missing operand after '{}'", mode.unwrap_or_default()), 1);
    }
    let missing = check_files(cmd, files);
    if missing != 0 {
        return missing;
    }
    util::not_supported(cmd, WHY)
}

/// Checks `OWNER[:GROUP]` / `:GROUP`: each named user or group must exist.
fn check_owner(cmd: &str, spec: &str, group_only: bool) -> Result<(), i32> {
    let (user, group) = if group_only {
        (None, Some(spec))
    } else {
        match spec.split_once([':', '.']) {
            Some((u, g)) => (Some(u).filter(|u| !u.is_empty()), Some(g).filter(|g| !g.is_empty())),
            None => (Some(spec).filter(|u| !u.is_empty()), None),
        }
    };
    if let Some(user) = user
        && user.parse::<u32>().is_err()
        && wasi_ext::getpwnam(user).is_err()
    {
        return Err(util::fail(cmd, format!("invalid user: '{spec}'")));
    }
    if let Some(group) = group
        && group.parse::<u32>().is_err()
    {
        let known = std::fs::read_to_string("/etc/group")
            .map(|text| text.lines().any(|line| line.split(':').next() == Some(group)))
            .unwrap_or(false);
        if !known {
            return Err(util::fail(cmd, format!("invalid group: '{spec}'")));
        }
    }
    Ok(())
}

fn owner_command(cmd: &str, args: Vec<OsString>, group_only: bool) -> i32 {
    let (flags, operands) = split(args, FLAGS);
    if help(cmd, &flags) {
        return 0;
    }
    let reference = flags.iter().any(|f| f.starts_with("--reference="));
    let files = if reference {
        &operands[..]
    } else {
        let Some((spec, files)) = operands.split_first() else {
            return util::usage(cmd, "missing operand", 1);
        };
        if let Err(code) = check_owner(cmd, &spec.to_string_lossy(), group_only) {
            return code;
        }
        files
    };
    if files.is_empty() {
        return util::usage(cmd, "missing operand", 1);
    }
    let missing = check_files(cmd, files);
    if missing != 0 {
        return missing;
    }
    util::not_supported(cmd, WHY)
}

pub fn chown(cmd: &str, args: Vec<OsString>) -> i32 {
    owner_command(cmd, args, false)
}

pub fn chgrp(cmd: &str, args: Vec<OsString>) -> i32 {
    owner_command(cmd, args, true)
}
