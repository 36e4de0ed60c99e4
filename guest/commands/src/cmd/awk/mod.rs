//! `awk [-F FS] [-v VAR=VALUE]... [-f PROGFILE | 'PROGRAM'] [ARGUMENT]...`:
//! a POSIX awk of our own. (The `awk-rs` crate builds for wasip1 but seeds
//! its random generator from the real-time clock and keys `HashMap`s with
//! host entropy when it starts, so it panics in a VM without the clock and
//! entropy grants; and it runs `system()` and pipes through `std::process`,
//! which wasip1 lacks.)
//!
//! Everything POSIX specifies: patterns and ranges, fields and `NF`/`$0`
//! rebuilding, `FS` as a blank, a character or an extended regular
//! expression, paragraph mode (`RS=""`), arrays and `SUBSEP`, user
//! functions (arrays by reference), `getline` in all its forms, output to
//! files and to commands, `printf` and the numeric and string builtins,
//! `ARGV`/`ARGC` read as the program runs (`VAR=VALUE` operands applied when
//! reached), `ENVIRON`. Commands (`system()`, `cmd | getline`, `print |
//! cmd`) run as `sh -c CMD` through `wasi-ext`. Regular expressions are
//! POSIX EREs, without back-references. `srand()` seeds from the clock
//! only with the clock grant (else 0); `rand()` is deterministic per seed.
//! `for (k in a)` visits keys in string order. gawk's multi-character `RS`
//! (a regular expression) works for the main input.

mod format;
mod interp;
mod lexer;
mod parser;

use std::ffi::OsString;
use std::io::Read;

use crate::util;

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let mut fs: Option<String> = None;
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let mut value = |name: &str| -> Result<String, i32> {
            i += 1;
            args.get(i).cloned().ok_or_else(|| util::usage(cmd, format!("option requires an argument -- {name}"), 2))
        };
        if arg == "--" {
            i += 1;
            break;
        } else if arg == "-F" {
            match value("F") {
                Ok(v) => fs = Some(v),
                Err(code) => return code,
            }
        } else if let Some(v) = arg.strip_prefix("-F") {
            fs = Some(v.to_string());
        } else if arg == "-v" || (arg.starts_with("-v") && arg.len() > 2) {
            let assignment = if arg == "-v" {
                match value("v") {
                    Ok(v) => v,
                    Err(code) => return code,
                }
            } else {
                arg[2..].to_string()
            };
            match assignment.split_once('=') {
                Some((name, val)) if is_name(name) => vars.push((name.to_string(), unescape(val))),
                _ => return util::usage(cmd, format!("invalid -v argument '{assignment}'"), 2),
            }
        } else if arg == "-f" || (arg.starts_with("-f") && arg.len() > 2) {
            let path = if arg == "-f" {
                match value("f") {
                    Ok(v) => v,
                    Err(code) => return code,
                }
            } else {
                arg[2..].to_string()
            };
            let text = if path == "-" {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s).map(|_| s)
            } else {
                std::fs::read_to_string(&path)
            };
            match text {
                Ok(text) => sources.push(text),
                Err(err) => {
                    util::fail(cmd, format!("can't open source file {path}: {}", util::errmsg(&err)));
                    return 2;
                }
            }
        } else if arg == "--version" || arg == "-V" {
            println!("awk (capsa) 0.1");
            return 0;
        } else if arg == "--help" {
            println!("Usage: {cmd} [-F fs] [-v var=value] ['prog' | -f progfile] [file ...]");
            return 0;
        } else if arg.starts_with('-') && arg.len() > 1 {
            return util::usage(cmd, format!("unknown option {arg}"), 2);
        } else {
            break;
        }
        i += 1;
    }
    let mut operands: Vec<String> = args[i..].to_vec();
    if sources.is_empty() {
        if operands.is_empty() {
            eprintln!("usage: {cmd} [-F fs][-v var=value][prog | -f progfile][file ...]");
            return 2;
        }
        sources.push(operands.remove(0));
    }
    let source = sources.join("\n");
    let program = match lexer::tokenize(&source).and_then(parser::parse) {
        Ok(program) => program,
        Err(err) => {
            util::fail(cmd, err);
            return 2;
        }
    };
    let mut argv = vec![cmd.to_string()];
    argv.extend(operands);
    let env: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned()))
        .collect();
    let mut interp = interp::Interp::new(&program, cmd, argv, env);
    if let Some(fs) = fs {
        interp.assign("FS", &if fs == "t" { "\t".to_string() } else { unescape(&fs) });
    }
    for (name, value) in &vars {
        interp.assign(name, value);
    }
    match interp.run() {
        Ok(code) => code,
        Err(err) => {
            util::flush_stdout();
            util::fail(cmd, err);
            2
        }
    }
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Escape sequences in a command-line assignment, as in a string literal.
pub fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('/') => out.push('/'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some(d @ '0'..='7') => {
                let mut n = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(v) => {
                            n = n * 8 + v;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(n).unwrap_or('?'));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
