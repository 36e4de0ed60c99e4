//! `env [-i] [-0] [-u NAME]... [-C DIR] [NAME=VALUE]... [COMMAND [ARG]...]`:
//! prints the environment, or runs a command in a changed one.

use std::ffi::OsString;
use std::io::Write;
use std::os::wasi::ffi::OsStringExt;

use lexopt::prelude::*;

use crate::util::{self, child_code, spawn_failed};

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut ignore = false;
    let mut nul = false;
    let mut unset: Vec<OsString> = Vec::new();
    let mut chdir: Option<OsString> = None;
    let mut rest: Vec<OsString> = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(cmd, err, 125),
        };
        let value = match arg {
            Short('i') | Long("ignore-environment") => {
                ignore = true;
                continue;
            }
            Short('0') | Long("null") => {
                nul = true;
                continue;
            }
            Short('u') | Long("unset") => parser.value().map(|v| unset.push(v)),
            Short('C') | Long("chdir") => parser.value().map(|v| chdir = Some(v)),
            Long("help") => {
                println!("Usage: env [OPTION]... [-] [NAME=VALUE]... [COMMAND [ARG]...]");
                return 0;
            }
            Value(value) => {
                rest.push(value);
                rest.extend(parser.raw_args().map(|raw| raw.collect::<Vec<_>>()).unwrap_or_default());
                break;
            }
            other => return util::usage(cmd, other.unexpected(), 125),
        };
        if let Err(err) = value {
            return util::bad_usage(cmd, err, 125);
        }
    }
    // A lone `-` is `-i`.
    if rest.first().is_some_and(|a| a == "-") {
        ignore = true;
        rest.remove(0);
    }

    let mut vars: Vec<(OsString, OsString)> = if ignore { Vec::new() } else { std::env::vars_os().collect() };
    for name in &unset {
        if name.is_empty() || name.as_encoded_bytes().contains(&b'=') {
            return util::fail(cmd, format!("cannot unset {}: Invalid argument", util::quote(name)));
        }
        vars.retain(|(key, _)| key != name);
    }
    let mut operands = rest.into_iter().peekable();
    while let Some(assignment) = operands.next_if(|a| a.as_encoded_bytes().get(1..).is_some_and(|b| b.contains(&b'=')))
    {
        let bytes = assignment.as_encoded_bytes();
        let eq = bytes.iter().skip(1).position(|&b| b == b'=').map_or(0, |p| p + 1);
        let key = OsString::from_vec(bytes[..eq].to_vec());
        let value = OsString::from_vec(bytes[eq + 1..].to_vec());
        vars.retain(|(k, _)| *k != key);
        vars.push((key, value));
    }
    let command: Vec<OsString> = operands.collect();

    if command.is_empty() {
        if chdir.is_some() {
            return util::usage(cmd, "must specify command with --chdir (-C)", 125);
        }
        let mut out = std::io::stdout().lock();
        let end = if nul { b'\0' } else { b'\n' };
        for (key, value) in &vars {
            let mut line = key.as_encoded_bytes().to_vec();
            line.push(b'=');
            line.extend_from_slice(value.as_encoded_bytes());
            line.push(end);
            if out.write_all(&line).is_err() {
                return 125;
            }
        }
        return 0;
    }
    if nul {
        return util::usage(cmd, "cannot specify --null (-0) with command", 125);
    }

    let mut child = wasi_ext::Command::new(&command[0]);
    child.args(&command[1..]).env_clear().envs(vars.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = &chdir {
        child.current_dir(dir);
    }
    match child.status() {
        Ok(status) => child_code(status),
        Err(err) => spawn_failed(cmd, &command[0], &err),
    }
}
