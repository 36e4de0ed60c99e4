//! `nice [-n N] [COMMAND [ARG]...]`: runs a command "with an adjusted
//! niceness". capsa has no scheduling priorities (every process is a host
//! thread of equal standing), so the adjustment is accepted and has no
//! effect; without a command, the niceness printed is always 0.

use std::ffi::OsString;

use crate::util::{self, child_code, spawn_failed};

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut args = args.into_iter().peekable();
    let mut adjustment: Option<String> = None;
    while let Some(arg) = args.peek() {
        let text = arg.to_string_lossy().into_owned();
        if text == "--" {
            args.next();
            break;
        } else if text == "-n" || text == "--adjustment" {
            args.next();
            match args.next() {
                Some(value) => adjustment = Some(value.to_string_lossy().into_owned()),
                None => return util::usage(cmd, "option requires an argument -- 'n'", 125),
            }
        } else if let Some(value) = text.strip_prefix("--adjustment=") {
            adjustment = Some(value.to_string());
            args.next();
        } else if let Some(value) = text.strip_prefix("-n") {
            adjustment = Some(value.to_string());
            args.next();
        } else if text.len() > 1 && text.starts_with('-') && text[1..].parse::<i64>().is_ok() {
            // The historical `-N` form.
            adjustment = Some(text[1..].to_string());
            args.next();
        } else if text == "--help" {
            println!(
                "Usage: nice [OPTION] [COMMAND [ARG]...]\n(capsa has no scheduling priorities: the adjustment has no effect)"
            );
            return 0;
        } else {
            break;
        }
    }
    if let Some(adjustment) = &adjustment
        && adjustment.trim_start_matches(['+', '-']).parse::<i64>().is_err()
    {
        return util::usage(cmd, format!("invalid adjustment '{adjustment}'"), 125);
    }
    let command: Vec<OsString> = args.collect();
    if command.is_empty() {
        if adjustment.is_some() {
            return util::usage(cmd, "a command must be given with an adjustment", 125);
        }
        println!("0");
        return 0;
    }
    match wasi_ext::Command::new(&command[0]).args(&command[1..]).status() {
        Ok(status) => child_code(status),
        Err(err) => spawn_failed(cmd, &command[0], &err),
    }
}
