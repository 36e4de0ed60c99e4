//! `grep`, `egrep`, `fgrep`: GNU grep's everyday options over Rust's
//! `regex` crate.
//!
//! Patterns: basic (`-G`, the default), extended (`-E`) or fixed strings
//! (`-F`), translated to the `regex` crate's syntax (POSIX classes,
//! `\<` `\>`, `\{m,n\}`, GNU's `\+ \? \|` in basic ones). Back-references
//! (`\1`) have no equivalent there: such a pattern is refused as not
//! supported. Options: `-e -f -i -y -v -w -x -c -l -L -o -q -s -n -b -h -H
//! -r -R -m NUM -A/-B/-C NUM -NUM -a -I -z --color[=WHEN] --include
//! --exclude --exclude-dir --label --null -Z`. Colour is used only with
//! `--color=always`, or `auto` on a terminal (`host_user::isatty`).
//! Exit status: 0 if a line was selected, 1 if none, 2 on an error (unless
//! `-q` found a match).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use lexopt::prelude::*;

use crate::posix_re::{Unsupported, translate};
use crate::re::{Re, escape};
use crate::util;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Basic,
    Extended,
    Fixed,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ListMode {
    Matching,
    NonMatching,
}

struct Options {
    syntax: Syntax,
    ignore_case: bool,
    invert: bool,
    word: bool,
    line: bool,
    count: bool,
    list: Option<ListMode>,
    only: bool,
    quiet: bool,
    no_messages: bool,
    line_numbers: bool,
    byte_offset: bool,
    with_name: Option<bool>,
    recursive: bool,
    max_count: Option<u64>,
    after: usize,
    before: usize,
    text: bool,
    skip_binary: bool,
    null_data: bool,
    null_after_name: bool,
    color: bool,
    include: Vec<String>,
    exclude: Vec<String>,
    exclude_dir: Vec<String>,
    label: String,
}

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    run(cmd, args, Syntax::Basic)
}

/// `egrep`: `grep -E`.
pub fn egrep(cmd: &str, args: Vec<OsString>) -> i32 {
    run(cmd, args, Syntax::Extended)
}

/// `fgrep`: `grep -F`.
pub fn fgrep(cmd: &str, args: Vec<OsString>) -> i32 {
    run(cmd, args, Syntax::Fixed)
}

/// Rewrites `-5` (context) into `-C5`; lexopt would take it for `-5`.
fn context_shorthand(args: Vec<OsString>) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut operands = false;
    for arg in args {
        let text = arg.to_string_lossy();
        if !operands && text == "--" {
            operands = true;
        } else if !operands && text.len() > 1 && text.starts_with('-') && text[1..].bytes().all(|b| b.is_ascii_digit())
        {
            out.push(OsString::from(format!("-C{}", &text[1..])));
            continue;
        }
        out.push(arg);
    }
    out
}

fn run(cmd: &str, args: Vec<OsString>, syntax: Syntax) -> i32 {
    let mut o = Options {
        syntax,
        ignore_case: false,
        invert: false,
        word: false,
        line: false,
        count: false,
        list: None,
        only: false,
        quiet: false,
        no_messages: false,
        line_numbers: false,
        byte_offset: false,
        with_name: None,
        recursive: false,
        max_count: None,
        after: 0,
        before: 0,
        text: false,
        skip_binary: false,
        null_data: false,
        null_after_name: false,
        color: false,
        include: Vec::new(),
        exclude: Vec::new(),
        exclude_dir: Vec::new(),
        label: "(standard input)".into(),
    };
    let mut patterns: Option<Vec<String>> = None;
    let mut operands: Vec<OsString> = Vec::new();
    let mut parser = lexopt::Parser::from_args(context_shorthand(args));
    let value = |parser: &mut lexopt::Parser| -> Result<String, String> {
        parser.value().map_err(|e| e.to_string()).and_then(util::string)
    };
    let count = |text: String, what: &str| -> Result<u64, String> {
        text.parse::<u64>().map_err(|_| format!("invalid {what} argument"))
    };
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(cmd, err, 2),
        };
        macro_rules! t {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(e) => return util::usage(cmd, e, 2),
                }
            };
        }
        match arg {
            Short('E') | Long("extended-regexp") => o.syntax = Syntax::Extended,
            Short('F') | Long("fixed-strings") => o.syntax = Syntax::Fixed,
            Short('G') | Long("basic-regexp") => o.syntax = Syntax::Basic,
            Short('P') | Long("perl-regexp") => return util::not_supported(cmd, "-P: Perl regular expressions"),
            Short('e') | Long("regexp") => {
                let p = t!(value(&mut parser));
                patterns.get_or_insert_with(Vec::new).extend(p.split('\n').map(str::to_string));
            }
            Short('f') | Long("file") => {
                let path = t!(value(&mut parser));
                let text = if path == "-" {
                    let mut s = String::new();
                    io::stdin().read_to_string(&mut s).map(|_| s)
                } else {
                    std::fs::read_to_string(&path)
                }
                .map_err(|e| format!("{path}: {}", util::errmsg(&e)));
                let text = t!(text);
                let list = patterns.get_or_insert_with(Vec::new);
                list.extend(
                    text.strip_suffix('\n')
                        .unwrap_or(&text)
                        .split('\n')
                        .filter(|_| !text.is_empty())
                        .map(str::to_string),
                );
            }
            Short('i') | Short('y') | Long("ignore-case") => o.ignore_case = true,
            Long("no-ignore-case") => o.ignore_case = false,
            Short('v') | Long("invert-match") => o.invert = true,
            Short('w') | Long("word-regexp") => o.word = true,
            Short('x') | Long("line-regexp") => o.line = true,
            Short('c') | Long("count") => o.count = true,
            Short('l') | Long("files-with-matches") => o.list = Some(ListMode::Matching),
            Short('L') | Long("files-without-match") => o.list = Some(ListMode::NonMatching),
            Short('o') | Long("only-matching") => o.only = true,
            Short('q') | Long("quiet") | Long("silent") => o.quiet = true,
            Short('s') | Long("no-messages") => o.no_messages = true,
            Short('n') | Long("line-number") => o.line_numbers = true,
            Short('b') | Long("byte-offset") => o.byte_offset = true,
            Short('h') | Long("no-filename") => o.with_name = Some(false),
            Short('H') | Long("with-filename") => o.with_name = Some(true),
            Short('r') | Short('R') | Long("recursive") | Long("dereference-recursive") => o.recursive = true,
            Short('m') | Long("max-count") => o.max_count = Some(t!(count(t!(value(&mut parser)), "max count"))),
            Short('A') | Long("after-context") => {
                o.after = t!(count(t!(value(&mut parser)), "context length")) as usize
            }
            Short('B') | Long("before-context") => {
                o.before = t!(count(t!(value(&mut parser)), "context length")) as usize
            }
            Short('C') | Long("context") => {
                let n = t!(count(t!(value(&mut parser)), "context length")) as usize;
                o.after = n;
                o.before = n;
            }
            Short('a') | Long("text") => o.text = true,
            Short('I') => o.skip_binary = true,
            Long("binary-files") => match t!(value(&mut parser)).as_str() {
                "text" => o.text = true,
                "without-match" => o.skip_binary = true,
                "binary" => {}
                other => return util::usage(cmd, format!("unknown binary-files type '{other}'"), 2),
            },
            Short('z') | Long("null-data") => o.null_data = true,
            Short('Z') | Long("null") => o.null_after_name = true,
            Long("color") | Long("colour") => {
                let when = t!(parser.optional_value().map(util::string).transpose()).unwrap_or_else(|| "auto".into());
                o.color = match when.as_str() {
                    "always" | "yes" | "force" => true,
                    "never" | "no" | "none" => false,
                    "auto" | "tty" | "if-tty" => wasi_ext::isatty(1).unwrap_or(false),
                    other => return util::usage(cmd, format!("invalid argument '{other}' for '--color'"), 2),
                };
            }
            Long("include") => o.include.push(t!(value(&mut parser))),
            Long("exclude") => o.exclude.push(t!(value(&mut parser))),
            Long("exclude-dir") => o.exclude_dir.push(t!(value(&mut parser))),
            Long("label") => o.label = t!(value(&mut parser)),
            Long("line-buffered") | Short('U') | Long("binary") => {}
            Short('V') | Long("version") => {
                println!("grep (capsa) 0.1");
                return 0;
            }
            Long("help") => {
                println!("Usage: {cmd} [OPTION]... PATTERNS [FILE]...");
                return 0;
            }
            Value(v) => operands.push(v),
            other => return util::usage(cmd, other.unexpected(), 2),
        }
    }
    let patterns = match patterns {
        Some(p) => p,
        None if operands.is_empty() => {
            eprintln!("Usage: {cmd} [OPTION]... PATTERNS [FILE]...");
            eprintln!("Try '{cmd} --help' for more information.");
            return 2;
        }
        None => {
            let first = operands.remove(0).to_string_lossy().into_owned();
            first.split('\n').map(str::to_string).collect()
        }
    };
    let matcher = match Matcher::new(&patterns, &o) {
        Ok(m) => m,
        Err(Unsupported(why)) => return util::not_supported(cmd, &why),
    };
    let matcher = match matcher {
        Ok(m) => m,
        Err(err) => {
            util::fail(cmd, err);
            return 2;
        }
    };

    let implicit_dot = operands.is_empty() && o.recursive;
    if operands.is_empty() {
        operands.push(if o.recursive { ".".into() } else { "-".into() });
    }
    let show_names = o.with_name.unwrap_or(operands.len() > 1 || o.recursive);
    let mut grep = Grep { cmd, o: &o, matcher, show_names, out: io::stdout().lock(), selected: false, error: false };
    for operand in &operands {
        if grep.quiet_done() {
            break;
        }
        if operand == "-" {
            let label = o.label.clone();
            grep.search_reader(&label, io::stdin().lock());
        } else {
            let path = PathBuf::from(operand);
            grep.search_path(&path, implicit_dot, true);
        }
    }
    let _ = grep.out.flush();
    if o.quiet && grep.selected {
        return 0;
    }
    if grep.error && !(o.quiet && grep.selected) {
        2
    } else if grep.selected {
        0
    } else {
        1
    }
}

/// The compiled patterns.
struct Matcher {
    regex: Re,
    /// `-w`: matches must be delimited by non-word characters.
    word: bool,
    /// No pattern at all can match (an empty pattern list).
    never: bool,
}

impl Matcher {
    fn new(patterns: &[String], o: &Options) -> Result<Result<Matcher, String>, Unsupported> {
        let mut parts = Vec::new();
        for p in patterns {
            let translated = match o.syntax {
                Syntax::Fixed => escape(p),
                Syntax::Basic => translate(p, false)?,
                Syntax::Extended => translate(p, true)?,
            };
            parts.push(format!("(?:{translated})"));
        }
        let never = parts.is_empty();
        let mut joined = if never { "[^\\s\\S]".to_string() } else { parts.join("|") };
        if o.line {
            joined = format!("^(?:{joined})$");
        }
        Ok(match Re::new(&joined, o.ignore_case, false) {
            Ok(regex) => Ok(Matcher { regex, word: o.word && !o.line, never }),
            Err(err) => Err(format!("invalid regular expression: {err}")),
        })
    }

    /// The matches in `line` as `(start, end)`, leftmost first.
    fn matches(&self, line: &[u8]) -> Vec<(usize, usize)> {
        if self.never {
            return Vec::new();
        }
        let mut found = Vec::new();
        let mut at = 0;
        while at <= line.len() {
            let Some((start, end)) = self.regex.find_at(line, at) else { break };
            if !self.word || word_bounded(line, start, end) {
                found.push((start, end));
                at = if end > start { end } else { end + 1 };
            } else {
                // Try a shorter match at the same start, else move on.
                let shorter = (start..end).rev().find(|&e| {
                    word_bounded(line, start, e)
                        && self.regex.find_at(&line[..e], start).is_some_and(|m| m == (start, e))
                });
                match shorter {
                    Some(e) => {
                        found.push((start, e));
                        at = if e > start { e } else { e + 1 };
                    }
                    None => at = start + 1,
                }
            }
        }
        found
    }

    fn is_match(&self, line: &[u8]) -> bool {
        if self.never {
            return false;
        }
        if self.word { !self.matches(line).is_empty() } else { self.regex.is_match(line) }
    }
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// GNU `-w`: the match is not preceded or followed by a word character.
fn word_bounded(line: &[u8], start: usize, end: usize) -> bool {
    let before = start == 0 || !is_word_byte(line[start - 1]);
    let after = end == line.len() || !is_word_byte(line[end]);
    before && after
}

/// Shell-style glob match (`*`, `?`, `[…]`) of a file name.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&pattern[1..], name) || (!name.is_empty() && glob(pattern, &name[1..])),
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &name[1..]),
        (Some(b'['), Some(&n)) => {
            let Some(close) = pattern.iter().skip(2).position(|&b| b == b']').map(|p| p + 2) else {
                return n == b'[' && glob(&pattern[1..], &name[1..]);
            };
            let set = &pattern[1..close];
            let (negate, set) = match set.first() {
                Some(b'!' | b'^') => (true, &set[1..]),
                _ => (false, set),
            };
            let mut hit = false;
            let mut k = 0;
            while k < set.len() {
                if k + 2 < set.len() && set[k + 1] == b'-' {
                    hit |= (set[k]..=set[k + 2]).contains(&n);
                    k += 3;
                } else {
                    hit |= set[k] == n;
                    k += 1;
                }
            }
            hit != negate && glob(&pattern[close + 1..], &name[1..])
        }
        (Some(&p), Some(&n)) => p == n && glob(&pattern[1..], &name[1..]),
        _ => false,
    }
}

struct Grep<'a> {
    cmd: &'a str,
    o: &'a Options,
    matcher: Matcher,
    show_names: bool,
    out: io::StdoutLock<'static>,
    /// Some line was selected (in any file).
    selected: bool,
    /// Some file could not be read.
    error: bool,
}

impl Grep<'_> {
    fn quiet_done(&self) -> bool {
        self.o.quiet && self.selected
    }

    fn warn(&mut self, msg: String) {
        self.error = true;
        if !self.o.no_messages {
            let _ = self.out.flush();
            eprintln!("{}: {msg}", self.cmd);
        }
    }

    /// Searches a named file, or a directory tree with `-r`. `strip_dot`:
    /// the operand was the implicit `.` of `grep -r PATTERN`, whose `./`
    /// prefix is not shown. `top`: given on the command line.
    fn search_path(&mut self, path: &Path, strip_dot: bool, top: bool) {
        if self.quiet_done() {
            return;
        }
        let shown = if strip_dot { path.strip_prefix(".").unwrap_or(path).to_path_buf() } else { path.to_path_buf() };
        let name_bytes = path.file_name().map(|n| n.as_encoded_bytes().to_vec()).unwrap_or_default();
        let is_dir = std::fs::metadata(path).map(|m| m.is_dir());
        match is_dir {
            Ok(true) if self.o.recursive => {
                if !top && self.o.exclude_dir.iter().any(|g| glob(g.as_bytes(), &name_bytes)) {
                    return;
                }
                // `-r` does not follow symlinks met during the walk.
                if !top && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                    return;
                }
                let mut entries: Vec<PathBuf> = match std::fs::read_dir(path) {
                    Ok(entries) => entries.filter_map(|e| e.ok()).map(|e| e.path()).collect(),
                    Err(err) => return self.warn(format!("{}: {}", shown.display(), util::errmsg(&err))),
                };
                entries.sort();
                for entry in entries {
                    self.search_path(&entry, strip_dot, false);
                }
            }
            Ok(true) => self.warn(format!("{}: Is a directory", shown.display())),
            Ok(false) => {
                if !top && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
                    return;
                }
                if !self.o.include.is_empty() && !self.o.include.iter().any(|g| glob(g.as_bytes(), &name_bytes)) {
                    return;
                }
                if self.o.exclude.iter().any(|g| glob(g.as_bytes(), &name_bytes)) {
                    return;
                }
                match std::fs::File::open(path) {
                    Ok(file) => self.search_reader(&shown.display().to_string(), file),
                    Err(err) => self.warn(format!("{}: {}", shown.display(), util::errmsg(&err))),
                }
            }
            Err(err) => self.warn(format!("{}: {}", shown.display(), util::errmsg(&err))),
        }
    }

    /// Searches one input, printing what the options ask for.
    fn search_reader(&mut self, name: &str, reader: impl Read) {
        let o = self.o;
        let mut reader = BufReader::with_capacity(64 * 1024, reader);
        let end = if o.null_data { b'\0' } else { b'\n' };
        let mut binary = !o.text && !o.null_data && reader.fill_buf().is_ok_and(|buf| buf.contains(&0));
        if binary && o.skip_binary {
            return;
        }
        let listing = o.list.is_some() || o.quiet;
        let printing = !listing && !o.count;
        let mut count = 0u64;
        let mut number = 0u64;
        let mut offset = 0u64;
        let mut before: VecDeque<(u64, u64, Vec<u8>)> = VecDeque::new();
        let mut after_left = 0usize;
        let mut last_printed: Option<u64> = None;
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(end, &mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(err) => {
                    self.warn(format!("{name}: {}", util::errmsg(&err)));
                    break;
                }
            }
            number += 1;
            let line_offset = offset;
            offset += line.len() as u64;
            let content = line.strip_suffix(&[end]).unwrap_or(&line);
            if !o.text && !o.null_data && content.contains(&0) {
                binary = true;
                if o.skip_binary {
                    return;
                }
            }
            let selected = self.matcher.is_match(content) != o.invert;
            if !selected {
                if printing && !binary {
                    if after_left > 0 {
                        after_left -= 1;
                        self.print_line(
                            name,
                            number,
                            line_offset,
                            content,
                            b'-',
                            last_printed,
                            &mut last_printed,
                            false,
                        );
                    } else if o.before > 0 {
                        before.push_back((number, line_offset, content.to_vec()));
                        if before.len() > o.before {
                            before.pop_front();
                        }
                    }
                }
                continue;
            }
            count += 1;
            self.selected = true;
            if listing {
                break;
            }
            if printing {
                if binary {
                    let _ = self.out.flush();
                    if !o.quiet {
                        eprintln!("{}: {name}: binary file matches", self.cmd);
                    }
                    return;
                }
                let held: Vec<_> = before.drain(..).collect();
                for (n, off, text) in held {
                    self.print_line(name, n, off, &text, b'-', last_printed, &mut last_printed, false);
                }
                self.print_line(name, number, line_offset, content, b':', last_printed, &mut last_printed, true);
                after_left = o.after;
            }
            if o.max_count.is_some_and(|max| count >= max) {
                // GNU prints the trailing context of the last match still.
                if printing {
                    while after_left > 0 {
                        line.clear();
                        if !matches!(reader.read_until(end, &mut line), Ok(n) if n > 0) {
                            break;
                        }
                        number += 1;
                        let content = line.strip_suffix(&[end]).unwrap_or(&line).to_vec();
                        if self.matcher.is_match(&content) != o.invert {
                            break;
                        }
                        self.print_line(name, number, offset, &content, b'-', last_printed, &mut last_printed, false);
                        offset += line.len() as u64;
                        after_left -= 1;
                    }
                }
                break;
            }
        }
        if o.quiet {
            return;
        }
        let term = if o.null_after_name { "\0" } else { "\n" };
        match o.list {
            Some(ListMode::Matching) if count > 0 => {
                let _ = write!(self.out, "{name}{term}");
            }
            Some(ListMode::NonMatching) if count == 0 => {
                let _ = write!(self.out, "{name}{term}");
            }
            Some(_) => {}
            None if o.count => {
                if self.show_names {
                    let sep = if o.null_after_name { "\0" } else { ":" };
                    let _ = writeln!(self.out, "{name}{sep}{count}");
                } else {
                    let _ = writeln!(self.out, "{count}");
                }
            }
            None => {}
        }
    }

    /// Prints one output line (or its matches with `-o`), with the prefix
    /// the options ask for and a `--` before a gap in context output.
    #[allow(clippy::too_many_arguments)]
    fn print_line(
        &mut self,
        name: &str,
        number: u64,
        offset: u64,
        content: &[u8],
        sep: u8,
        previous: Option<u64>,
        last: &mut Option<u64>,
        selected: bool,
    ) {
        let o = self.o;
        if (o.before > 0 || o.after > 0) && !o.only && previous.is_some_and(|p| number > p + 1) {
            let _ = self.out.write_all(if o.color { b"\x1b[36m\x1b[K--\x1b[m\x1b[K\n" } else { b"--\n" });
        }
        *last = Some(number);
        let end = if o.null_data { b'\0' } else { b'\n' };
        let prefix = |out: &mut io::StdoutLock<'static>, at: u64| {
            let sep_text = [sep];
            let sep_str = if o.null_after_name && self.show_names { &[0u8][..] } else { &sep_text[..] };
            if self.show_names {
                let _ = if o.color { write!(out, "\x1b[35m\x1b[K{name}\x1b[m\x1b[K") } else { write!(out, "{name}") };
                let _ = out.write_all(sep_str);
            }
            if o.line_numbers {
                let _ =
                    if o.color { write!(out, "\x1b[32m\x1b[K{number}\x1b[m\x1b[K") } else { write!(out, "{number}") };
                let _ = out.write_all(&sep_text);
            }
            if o.byte_offset {
                let _ = write!(out, "{at}");
                let _ = out.write_all(&sep_text);
            }
        };
        if o.only {
            if !selected || o.invert {
                return;
            }
            for (start, stop) in self.matcher.matches(content) {
                if stop == start {
                    continue;
                }
                prefix(&mut self.out, offset + start as u64);
                if o.color {
                    let _ = self.out.write_all(b"\x1b[01;31m\x1b[K");
                    let _ = self.out.write_all(&content[start..stop]);
                    let _ = self.out.write_all(b"\x1b[m\x1b[K");
                } else {
                    let _ = self.out.write_all(&content[start..stop]);
                }
                let _ = self.out.write_all(&[end]);
            }
            return;
        }
        prefix(&mut self.out, offset);
        if o.color && selected && !o.invert {
            let mut at = 0;
            for (start, stop) in self.matcher.matches(content) {
                if stop == start {
                    continue;
                }
                let _ = self.out.write_all(&content[at..start]);
                let _ = self.out.write_all(b"\x1b[01;31m\x1b[K");
                let _ = self.out.write_all(&content[start..stop]);
                let _ = self.out.write_all(b"\x1b[m\x1b[K");
                at = stop;
            }
            let _ = self.out.write_all(&content[at..]);
        } else {
            let _ = self.out.write_all(content);
        }
        let _ = self.out.write_all(&[end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(p: &str, ext: bool) -> String {
        translate(p, ext).ok().unwrap()
    }

    #[test]
    fn basic_to_regex() {
        assert_eq!(t("a\\(b\\)*c", false), "a(b)*c");
        assert_eq!(t("a+b?", false), "a\\+b\\?");
        assert_eq!(t("*a", false), "\\*a");
        assert_eq!(t("a\\{2,3\\}", false), "a{2,3}");
        assert_eq!(t("^a$", false), "^a$");
        assert_eq!(t("a^b$c", false), "a\\^b\\$c");
        assert_eq!(t("[[:digit:]]x", false), "[[:digit:]]x");
    }

    #[test]
    fn extended_to_regex() {
        assert_eq!(t("(a|b)+", true), "(a|b)+");
        assert_eq!(t("a{2}", true), "a{2}");
        assert_eq!(t("a{x", true), "a\\{x");
        assert_eq!(t("\\(", true), "\\(");
    }

    #[test]
    fn globs() {
        assert!(glob(b"*.txt", b"a.txt"));
        assert!(!glob(b"*.txt", b"a.rs"));
        assert!(glob(b"[ab]?", b"bz"));
    }
}
