//! `bc [-l] [-q] [-s] [-w] [FILE]...`: POSIX bc with GNU bc's extensions
//! and output, reading the files, then stdin.
//!
//! Arbitrary-precision decimals with bc's scale rules (results truncate,
//! never round), `scale`, `ibase` (2 to 16) and `obase` (2 to 999, digits
//! above 16 as space-separated decimal groups), `last` (also `.`), `+ - * /
//! % ^`, unary minus, `++`/`--`, the assignment operators, comparisons,
//! `! && ||`, variables and arrays (names of lowercase letters, digits and
//! `_`), `if`/`else`, `while`, `for`, `break`, `continue`, `define` with
//! array parameters and `auto`, `return`, `length()`, `scale()`, `sqrt()`,
//! strings, `print`, comments (`/* */` and `#`), `quit` (which ends bc as
//! soon as it is read) and `halt`. `-l` loads the math library (`s c a l e
//! j`, and `scale=20`). Output lines are split at `BC_LINE_LENGTH` (70)
//! with a backslash, as GNU bc splits them.
//!
//! As GNU bc, each line (with what it opens) is read, then run; a syntax
//! error (`(standard_in) N: syntax error`) drops its line, a runtime error
//! (`Runtime error (func=…): …`) the rest of its line; the exit status is
//! 0. Not supported: `read()`, `limits`, `warranty`, `void` functions and
//! `-i` prompting; calls nest at most 200 deep, and a result may have at
//! most a million digits.

mod lex;
mod math;
mod num;
mod parse;
mod run;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader};

use lex::ParseError;
use parse::Item;

use crate::util;

/// `bc`: see the module doc.
pub fn main(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut library = false;
    let mut files = Vec::new();
    let mut options_done = false;
    for arg in args {
        let text = arg.to_string_lossy().into_owned();
        if options_done || !text.starts_with('-') || text == "-" {
            files.push(arg);
            continue;
        }
        match text.as_str() {
            "--" => options_done = true,
            "--mathlib" => library = true,
            "--quiet" | "--standard" | "--warn" | "--interactive" => {}
            "--help" => {
                println!("usage: bc [-lqsw] [file ...]");
                return 0;
            }
            "--version" => {
                println!("bc 1.07.1 (capsa)");
                return 0;
            }
            _ if text.starts_with("--") => return util::usage("bc", format!("unrecognized option '{text}'"), 1),
            _ => {
                for letter in text[1..].chars() {
                    match letter {
                        'l' => library = true,
                        'q' | 's' | 'w' | 'i' => {}
                        'h' => {
                            println!("usage: bc [-lqsw] [file ...]");
                            return 0;
                        }
                        'v' => {
                            println!("bc 1.07.1 (capsa)");
                            return 0;
                        }
                        _ => return util::usage("bc", format!("invalid option -- '{letter}'"), 1),
                    }
                }
            }
        }
    }
    let mut machine = run::Machine::new(library);
    for file in &files {
        let name = file.to_string_lossy();
        let reader: Box<dyn BufRead> = if file == "-" {
            Box::new(io::stdin().lock())
        } else {
            match File::open(file) {
                Ok(f) => Box::new(BufReader::new(f)),
                Err(_) => {
                    machine.flush();
                    eprintln!("File {name} is unavailable.");
                    return 1;
                }
            }
        };
        let shown = if file == "-" { "(standard_in)".to_string() } else { name.to_string() };
        if !feed(&mut machine, reader, &shown) {
            machine.flush();
            return 0;
        }
    }
    feed(&mut machine, Box::new(io::stdin().lock()), "(standard_in)");
    machine.flush();
    0
}

/// Reads `input` (called `name` in messages) a line at a time, running
/// each complete unit; returns false when bc is to end (`quit`, `halt`).
fn feed(machine: &mut run::Machine, mut input: Box<dyn BufRead + '_>, name: &str) -> bool {
    let mut pending = String::new();
    // The line the pending text starts on.
    let mut first_line = 1;
    let mut line_count = 0;
    loop {
        let mut line = String::new();
        let at_end = match input.read_line(&mut line) {
            Ok(0) | Err(_) => true,
            Ok(_) => false,
        };
        line_count += usize::from(!at_end);
        pending.push_str(&line);
        if at_end && pending.is_empty() {
            return true;
        }
        // Only whole lines are parsed, unless the input ended.
        if !at_end && !pending.ends_with('\n') {
            continue;
        }
        loop {
            match step(machine, &pending, first_line, at_end) {
                Step::Ran(rest, next_line) => {
                    pending = rest;
                    first_line = next_line;
                }
                Step::Wait => break,
                Step::Quit => return false,
                Step::Error(line) => {
                    machine.flush();
                    eprintln!("{name} {line}: syntax error");
                    pending.clear();
                    first_line = line_count + 1;
                    break;
                }
            }
            if pending.trim().is_empty() {
                pending.clear();
                first_line = line_count + 1;
                break;
            }
        }
        if machine.halted {
            return false;
        }
        if at_end {
            return true;
        }
    }
}

/// What came of parsing the pending text.
enum Step {
    /// A unit ran; the text after it and its first line.
    Ran(String, usize),
    /// The text is an incomplete unit: read on.
    Wait,
    Quit,
    Error(usize),
}

fn step(machine: &mut run::Machine, pending: &str, first_line: usize, at_end: bool) -> Step {
    let tokens = match lex::tokenize(pending, first_line) {
        Ok(tokens) => tokens,
        Err(ParseError::Incomplete) if !at_end => return Step::Wait,
        Err(ParseError::Incomplete) => return Step::Error(first_line + pending.matches('\n').count()),
        Err(ParseError::Syntax(line)) => return Step::Error(line),
    };
    let unit = match parse::parse_unit(&tokens) {
        Ok(unit) => unit,
        Err(ParseError::Incomplete) if !at_end => return Step::Wait,
        Err(ParseError::Incomplete) => return Step::Error(first_line + pending.matches('\n').count()),
        Err(ParseError::Syntax(line)) => return Step::Error(line),
    };
    if unit.quit {
        return Step::Quit;
    }
    for item in unit.items {
        match item {
            Item::Define(function) => machine.define(function),
            // A runtime error drops the rest of the unit.
            Item::Stmt(stmt) => {
                if !machine.run(std::slice::from_ref(&stmt)) {
                    break;
                }
            }
        }
    }
    if machine.halted {
        return Step::Quit;
    }
    // The rest of the text: from the token after the unit.
    let (rest, line) = match tokens.get(unit.used) {
        None => (String::new(), first_line + pending.matches('\n').count()),
        Some((_, line, offset)) => (pending[*offset..].to_string(), *line),
    };
    Step::Ran(rest, line)
}
