//! `xargs [OPTION]... [COMMAND [INITIAL-ARGS]...]`: builds command lines
//! from standard input and runs them (through `wasi-ext`; uutils findutils'
//! `xargs` cannot spawn on wasip1).
//!
//! Options: `-0`, `-d DELIM`, `-a FILE`, `-E EOF`, `-I REPLACE` (`-i`),
//! `-L N`, `-n N`, `-s N`, `-x`, `-r`, `-t`, `-P N` (up to N commands at
//! once). `-p` (prompting on the terminal) is not supported.
//!
//! Exit status: 0; 123 if a command exited with 1–125; 124 if one exited
//! with 255; 125 if one was killed by a signal; 126 if the command cannot
//! be run; 127 if it was not found; 1 for xargs's own errors.

use std::ffi::OsString;
use std::io::Read;

use lexopt::prelude::*;

use crate::util;

/// Default command-line length limit (bytes of arguments), as GNU's
/// POSIX minimum-friendly default.
const DEFAULT_MAX_CHARS: usize = 128 * 1024;

enum Split {
    /// Blanks and newlines, with quotes and backslashes (the default).
    Blanks,
    /// One delimiter byte, no quoting (`-0`, `-d`).
    Delim(u8),
}

struct Options {
    split: Split,
    eof: Option<String>,
    replace: Option<String>,
    max_lines: Option<usize>,
    max_args: Option<usize>,
    max_chars: usize,
    exit_on_size: bool,
    no_empty: bool,
    trace: bool,
    procs: usize,
}

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    match run(cmd, args) {
        Ok(code) => code,
        Err(msg) => util::fail(cmd, msg),
    }
}

fn run(cmd: &str, args: Vec<OsString>) -> Result<i32, String> {
    let mut o = Options {
        split: Split::Blanks,
        eof: None,
        replace: None,
        max_lines: None,
        max_args: None,
        max_chars: DEFAULT_MAX_CHARS,
        exit_on_size: false,
        no_empty: false,
        trace: false,
        procs: 1,
    };
    let mut input_file: Option<OsString> = None;
    let mut command: Vec<OsString> = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    let number = |v: Result<OsString, lexopt::Error>, what: &str| -> Result<usize, String> {
        let v = v.map_err(|e| e.to_string()).and_then(util::string)?;
        v.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| format!("invalid number \"{v}\" for -{what} option"))
    };
    loop {
        let arg = parser.next().map_err(|e| e.to_string())?;
        let Some(arg) = arg else { break };
        match arg {
            Short('0') | Long("null") => o.split = Split::Delim(0),
            Short('d') | Long("delimiter") => {
                let v = util::string(parser.value().map_err(|e| e.to_string())?)?;
                o.split = Split::Delim(parse_delim(&v)?);
            }
            Short('a') | Long("arg-file") => input_file = Some(parser.value().map_err(|e| e.to_string())?),
            Short('E') => o.eof = Some(util::string(parser.value().map_err(|e| e.to_string())?)?),
            Short('e') | Long("eof") => o.eof = parser.optional_value().map(util::string).transpose()?,
            Short('I') => {
                o.replace = Some(util::string(parser.value().map_err(|e| e.to_string())?)?);
                o.max_lines = Some(1);
            }
            Short('i') | Long("replace") => {
                o.replace = Some(parser.optional_value().map(util::string).transpose()?.unwrap_or_else(|| "{}".into()));
                o.max_lines = Some(1);
            }
            Short('L') | Long("max-lines") => {
                o.max_lines = Some(number(parser.value(), "L")?);
                o.max_args = None;
            }
            Short('l') => o.max_lines = Some(parser.optional_value().map_or(Ok(1), |v| number(Ok(v), "l"))?),
            Short('n') | Long("max-args") => {
                o.max_args = Some(number(parser.value(), "n")?);
                if o.replace.is_none() {
                    o.max_lines = None;
                }
            }
            Short('s') | Long("max-chars") => o.max_chars = number(parser.value(), "s")?,
            Short('P') | Long("max-procs") => {
                let v = util::string(parser.value().map_err(|e| e.to_string())?)?;
                o.procs = v.parse::<usize>().map_err(|_| format!("invalid number \"{v}\" for -P option"))?;
                if o.procs == 0 {
                    // "As many as possible": the VM's process limit bounds it.
                    o.procs = 32;
                }
            }
            Short('x') | Long("exit") => o.exit_on_size = true,
            Short('r') | Long("no-run-if-empty") => o.no_empty = true,
            Short('t') | Long("verbose") => o.trace = true,
            Short('p') | Long("interactive") => {
                return Ok(util::not_supported(cmd, "-p: prompting needs a terminal capsa does not provide"));
            }
            Long("help") => {
                println!("Usage: xargs [OPTION]... COMMAND [INITIAL-ARGS]...");
                return Ok(0);
            }
            Value(v) => {
                command.push(v);
                command.extend(parser.raw_args().map(|raw| raw.collect::<Vec<_>>()).unwrap_or_default());
                break;
            }
            other => return Ok(util::usage(cmd, other.unexpected(), 1)),
        }
    }
    if command.is_empty() {
        command.push("echo".into());
    }

    let mut data = Vec::new();
    let read = match &input_file {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut data)),
        None => std::io::stdin().lock().read_to_end(&mut data),
    };
    read.map_err(|e| format!("cannot read input: {}", util::errmsg(&e)))?;

    // Input as lines of items (a line matters for -L and -I).
    let lines: Vec<Vec<Vec<u8>>> = match (&o.split, &o.replace) {
        (Split::Delim(d), _) => data.split(|b| b == d).map(|item| vec![item.to_vec()]).collect(),
        (Split::Blanks, Some(_)) => data
            .split(|&b| b == b'\n')
            .map(|line| {
                let trimmed: Vec<u8> = line.iter().copied().skip_while(|b| *b == b' ' || *b == b'\t').collect();
                vec![trimmed]
            })
            .collect(),
        (Split::Blanks, None) => split_blanks(&data, o.eof.as_deref())?,
    };
    // With a delimiter, a final empty item after the last delimiter is not an item.
    let mut lines = lines;
    if matches!(o.split, Split::Delim(_)) && lines.last().is_some_and(|l| l.len() == 1 && l[0].is_empty()) {
        lines.pop();
    }
    if matches!(o.split, Split::Blanks) && o.replace.is_some() {
        if lines.last().is_some_and(|l| l[0].is_empty()) {
            lines.pop();
        }
        lines.retain(|l| !l[0].is_empty());
    }

    let mut runner = Runner { cmd, trace: o.trace, procs: o.procs.max(1), running: Vec::new(), status: 0 };
    let fixed_len: usize = command.iter().map(|a| a.len() + 1).sum();

    if let Some(replace) = &o.replace {
        for line in &lines {
            let item = String::from_utf8_lossy(&line[0]).into_owned();
            let argv: Vec<OsString> =
                command.iter().map(|a| OsString::from(a.to_string_lossy().replace(replace.as_str(), &item))).collect();
            if runner.run(argv)? {
                break;
            }
        }
        runner.finish();
        return Ok(runner.status);
    }

    let mut batch: Vec<OsString> = Vec::new();
    let mut batch_len = fixed_len;
    let mut batch_lines = 0;
    let mut ran_any = false;
    for line in &lines {
        for item in line {
            let item = OsString::from(String::from_utf8_lossy(item).into_owned());
            let len = item.len() + 1;
            if fixed_len + len > o.max_chars {
                return Err("argument line too long".into());
            }
            if !batch.is_empty() && batch_len + len > o.max_chars {
                if o.exit_on_size {
                    return Err("argument list too long".into());
                }
                let argv = command.iter().cloned().chain(batch.drain(..)).collect();
                ran_any = true;
                if runner.run(argv)? {
                    runner.finish();
                    return Ok(runner.status);
                }
                batch_len = fixed_len;
                batch_lines = 0;
            }
            batch.push(item);
            batch_len += len;
            if o.max_args.is_some_and(|n| batch.len() >= n) {
                let argv = command.iter().cloned().chain(batch.drain(..)).collect();
                ran_any = true;
                if runner.run(argv)? {
                    runner.finish();
                    return Ok(runner.status);
                }
                batch_len = fixed_len;
                batch_lines = 0;
            }
        }
        if !line.is_empty() {
            batch_lines += 1;
        }
        if o.max_lines.is_some_and(|n| batch_lines >= n) && !batch.is_empty() {
            let argv = command.iter().cloned().chain(batch.drain(..)).collect();
            ran_any = true;
            if runner.run(argv)? {
                runner.finish();
                return Ok(runner.status);
            }
            batch_len = fixed_len;
            batch_lines = 0;
        }
    }
    if !batch.is_empty() || (!ran_any && !o.no_empty) {
        let argv = command.iter().cloned().chain(batch.drain(..)).collect();
        runner.run(argv)?;
    }
    runner.finish();
    Ok(runner.status)
}

/// `-d`'s argument: one character or an escape (`\n`, `\t`, `\0`, `\\`, `\xHH`, `\NNN`).
fn parse_delim(text: &str) -> Result<u8, String> {
    let bytes = text.as_bytes();
    match bytes {
        [b] => Ok(*b),
        [b'\\', b'n'] => Ok(b'\n'),
        [b'\\', b't'] => Ok(b'\t'),
        [b'\\', b'r'] => Ok(b'\r'),
        [b'\\', b'0'] => Ok(0),
        [b'\\', b'\\'] => Ok(b'\\'),
        [b'\\', b'x', hex @ ..] => u8::from_str_radix(std::str::from_utf8(hex).unwrap_or(""), 16)
            .map_err(|_| format!("invalid input delimiter specification {text}")),
        [b'\\', oct @ ..] => u8::from_str_radix(std::str::from_utf8(oct).unwrap_or(""), 8)
            .map_err(|_| format!("invalid input delimiter specification {text}")),
        _ => Err(format!("invalid input delimiter specification {text}: the delimiter must be a single character")),
    }
}

/// The default input syntax: items separated by blanks and newlines, `'…'`
/// and `"…"` quoting (not across lines), `\` escaping the next character.
/// Returns the items line by line; stops at an item equal to `eof`.
fn split_blanks(data: &[u8], eof: Option<&str>) -> Result<Vec<Vec<Vec<u8>>>, String> {
    let mut lines = Vec::new();
    let mut line: Vec<Vec<u8>> = Vec::new();
    let mut item: Option<Vec<u8>> = None;
    let mut quote: Option<u8> = None;
    let mut i = 0;
    let finish = |item: &mut Option<Vec<u8>>, line: &mut Vec<Vec<u8>>| -> bool {
        if let Some(done) = item.take() {
            if eof.is_some_and(|e| e.as_bytes() == done.as_slice()) {
                return true;
            }
            line.push(done);
        }
        false
    };
    while i < data.len() {
        let b = data[i];
        i += 1;
        if let Some(q) = quote {
            if b == q {
                quote = None;
            } else if b == b'\n' {
                let which = if q == b'\'' { "single" } else { "double" };
                return Err(format!(
                    "unmatched {which} quote; by default quotes are special to xargs unless you use the -0 option"
                ));
            } else {
                item.get_or_insert_with(Vec::new).push(b);
            }
            continue;
        }
        match b {
            b'\'' | b'"' => {
                quote = Some(b);
                item.get_or_insert_with(Vec::new);
            }
            b'\\' => {
                if let Some(&next) = data.get(i) {
                    item.get_or_insert_with(Vec::new).push(next);
                    i += 1;
                }
            }
            b'\n' => {
                if finish(&mut item, &mut line) {
                    lines.push(line);
                    return Ok(lines);
                }
                lines.push(std::mem::take(&mut line));
            }
            b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => {
                if finish(&mut item, &mut line) {
                    lines.push(line);
                    return Ok(lines);
                }
            }
            _ => item.get_or_insert_with(Vec::new).push(b),
        }
    }
    if let Some(q) = quote {
        let which = if q == b'\'' { "single" } else { "double" };
        return Err(format!(
            "unmatched {which} quote; by default quotes are special to xargs unless you use the -0 option"
        ));
    }
    finish(&mut item, &mut line);
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// Runs commands, up to `procs` at a time, and keeps the combined status.
struct Runner<'a> {
    cmd: &'a str,
    trace: bool,
    procs: usize,
    running: Vec<(String, wasi_ext::Child)>,
    status: i32,
}

impl Runner<'_> {
    /// Starts one command (waiting for a slot first). `Ok(true)` means stop:
    /// a command exited with 255 or was killed, as GNU xargs stops then.
    fn run(&mut self, argv: Vec<OsString>) -> Result<bool, String> {
        if self.trace {
            let line: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
            eprintln!("{}", line.join(" "));
        }
        while self.running.len() >= self.procs {
            if self.reap_one() {
                return Ok(true);
            }
        }
        match wasi_ext::Command::new(&argv[0]).args(&argv[1..]).stdin(wasi_ext::Stdio::null()).spawn() {
            Ok(child) => {
                self.running.push((argv[0].to_string_lossy().into_owned(), child));
                if self.procs == 1 {
                    return Ok(self.reap_one());
                }
                Ok(false)
            }
            Err(err) => {
                let code = util::spawn_failed(self.cmd, &argv[0], &err);
                self.finish();
                std::process::exit(code);
            }
        }
    }

    /// Waits for the oldest running command; `true` means stop.
    fn reap_one(&mut self) -> bool {
        if self.running.is_empty() {
            return false;
        }
        let (program, mut child) = self.running.remove(0);
        match child.wait() {
            Ok(status) => match (status.code(), status.signal()) {
                (Some(0), _) => false,
                (Some(255), _) => {
                    eprintln!("{}: {program}: exited with status 255; aborting", self.cmd);
                    self.status = 124;
                    true
                }
                (Some(_), _) => {
                    self.status = self.status.max(123);
                    false
                }
                (None, Some(signal)) => {
                    eprintln!("{}: {program}: terminated by signal {signal}", self.cmd);
                    self.status = 125;
                    true
                }
                (None, None) => false,
            },
            Err(err) => {
                eprintln!("{}: waiting for a command: {}", self.cmd, util::errmsg(&err));
                self.status = 1;
                true
            }
        }
    }

    /// Waits for every command still running.
    fn finish(&mut self) {
        while !self.running.is_empty() {
            self.reap_one();
        }
    }
}
