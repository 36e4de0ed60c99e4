//! `cat [-AbeEnstTuv] [FILE]...`: files (or stdin, `-`) concatenated to
//! stdout, with GNU cat's options. Replaces uutils `cat`, which refuses any
//! file that is neither regular nor a directory on wasip1 ("unknown
//! filetype") — so `cat /dev/stdin` and `cat <(cmd)` (a pipe at
//! `/dev/fd/N`) failed. This one reads whatever opens.

use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Write};

use lexopt::prelude::*;

use crate::util;

/// What the options ask for.
#[derive(Default)]
struct Options {
    number: bool,
    number_nonblank: bool,
    squeeze: bool,
    show_ends: bool,
    show_tabs: bool,
    show_nonprinting: bool,
}

impl Options {
    /// Whether lines must be looked at (else bytes are copied as they are).
    fn transforms(&self) -> bool {
        self.number || self.number_nonblank || self.squeeze || self.show_ends || self.show_tabs || self.show_nonprinting
    }
}

/// Line numbering and blank-run state, kept across files as GNU cat does.
#[derive(Default)]
struct State {
    line: u64,
    blank_run: bool,
}

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options::default();
    let mut files: Vec<OsString> = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(cmd, err, 1),
        };
        match arg {
            Short('A') | Long("show-all") => (o.show_nonprinting, o.show_ends, o.show_tabs) = (true, true, true),
            Short('b') | Long("number-nonblank") => o.number_nonblank = true,
            Short('e') => (o.show_nonprinting, o.show_ends) = (true, true),
            Short('E') | Long("show-ends") => o.show_ends = true,
            Short('n') | Long("number") => o.number = true,
            Short('s') | Long("squeeze-blank") => o.squeeze = true,
            Short('t') => (o.show_nonprinting, o.show_tabs) = (true, true),
            Short('T') | Long("show-tabs") => o.show_tabs = true,
            Short('u') => {}
            Short('v') | Long("show-nonprinting") => o.show_nonprinting = true,
            Long("help") => {
                println!("Usage: {cmd} [OPTION]... [FILE]...\nConcatenate FILE(s) to standard output (-AbeEnstTuv).");
                return 0;
            }
            Long("version") => {
                println!("cat (capsa) 1");
                return 0;
            }
            Value(file) => files.push(file),
            other => return util::bad_usage(cmd, other.unexpected(), 1),
        }
    }
    if files.is_empty() {
        files.push("-".into());
    }
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut state = State::default();
    let mut status = 0;
    for file in &files {
        let result = if file == "-" {
            copy(&mut io::stdin().lock(), &mut out, &o, &mut state)
        } else {
            match std::fs::File::open(file) {
                Ok(f) => copy(&mut BufReader::new(f), &mut out, &o, &mut state),
                Err(err) => Err(err),
            }
        };
        if let Err(err) = result {
            if err.kind() == io::ErrorKind::BrokenPipe {
                return 1;
            }
            let _ = out.flush();
            eprintln!("{cmd}: {}: {}", file.to_string_lossy(), util::errmsg(&err));
            status = 1;
        }
    }
    if let Err(err) = out.flush()
        && err.kind() != io::ErrorKind::BrokenPipe
    {
        eprintln!("{cmd}: write error: {}", util::errmsg(&err));
        status = 1;
    }
    status
}

/// Copies one input, as the options ask.
fn copy(input: &mut impl BufRead, out: &mut impl Write, o: &Options, state: &mut State) -> io::Result<()> {
    if !o.transforms() {
        let mut buf = [0u8; 64 * 1024];
        loop {
            let n = match input.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            out.write_all(&buf[..n])?;
        }
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let ended = line.last() == Some(&b'\n');
        let body = if ended { &line[..line.len() - 1] } else { &line[..] };
        let blank = body.is_empty() && ended;
        if o.squeeze && blank && state.blank_run {
            continue;
        }
        state.blank_run = blank;
        if o.number_nonblank && !blank || o.number && !o.number_nonblank {
            state.line += 1;
            write!(out, "{:>6}\t", state.line)?;
        }
        for &b in body {
            show(out, b, o)?;
        }
        if ended {
            if o.show_ends {
                out.write_all(b"$")?;
            }
            out.write_all(b"\n")?;
        }
    }
}

/// One byte as `-v`/`-T` show it (GNU's `^X` and `M-` notation).
fn show(out: &mut impl Write, b: u8, o: &Options) -> io::Result<()> {
    if b == b'\t' {
        return out.write_all(if o.show_tabs { b"^I" } else { b"\t" });
    }
    if !o.show_nonprinting {
        return out.write_all(&[b]);
    }
    let (meta, low) = if b >= 0x80 { (true, b - 0x80) } else { (false, b) };
    if meta {
        out.write_all(b"M-")?;
    }
    match low {
        0x7f => out.write_all(b"^?"),
        c if c < 0x20 => out.write_all(&[b'^', c + 0x40]),
        c => out.write_all(&[c]),
    }
}
