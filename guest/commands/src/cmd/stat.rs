//! `stat [-L] [-t] [-c FORMAT | --printf FORMAT] FILE...`: file status from
//! capsa's `host_fs.stat` (preview1's `filestat` has no mode, owner or
//! group): device, inode, type, mode, owner, group, links, size, times.
//!
//! Formats are GNU's, with printf-style flags, width and precision
//! (`%04a`, `%-10s`, `%10.10A`, `%.3Y`). Blocks (`%b`) are the size in
//! 512-byte units rounded up: capsa's filesystems allocate no blocks. The
//! birth time is unknown (`%w` is `-`, `%W` is 0), as are device numbers
//! of special files (`%t`, `%T`: 0). Times are UTC (a VM has no time zone
//! database) and read as the epoch unless the VM has the clock grant. `-f`
//! (file system status) is not supported: preview1 has no `statvfs`.

use std::ffi::OsString;
use std::path::Path;

use lexopt::prelude::*;
use wasi_ext::fs::{self as xfs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG, S_IFSOCK};

use crate::files::{self, Names};
use crate::util;

/// GNU's `--terse` format.
const TERSE: &str = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n";

/// stat's entry point.
pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let (mut deref, mut terse) = (false, false);
    let mut format: Option<(String, bool)> = None;
    let mut files = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(cmd, err, 1),
        };
        match arg {
            Short('L') | Long("dereference") => deref = true,
            Short('t') | Long("terse") => terse = true,
            Short('f') | Long("file-system") => {
                return util::not_supported(cmd, "file system status (-f): preview1 has no statvfs");
            }
            Short('c') | Long("format") | Long("printf") => {
                let newline = matches!(arg, Short('c') | Long("format"));
                match parser.value().map_err(|e| e.to_string()).and_then(util::string) {
                    Ok(value) => format = Some((value, newline)),
                    Err(err) => return util::usage(cmd, err, 1),
                }
            }
            Long("help") => {
                println!("Usage: stat [OPTION]... FILE...");
                return 0;
            }
            Value(v) => files.push(v),
            other => return util::usage(cmd, other.unexpected(), 1),
        }
    }
    if files.is_empty() {
        return util::usage(cmd, "missing operand", 1);
    }
    let mut names = Names::default();
    let mut status = 0;
    for file in &files {
        let path = Path::new(file);
        let st = match files::stat(path, deref) {
            Ok(st) => st,
            Err(err) => {
                status = util::fail(cmd, format!("cannot stat {}: {}", util::quote(file), util::errmsg(&err)));
                continue;
            }
        };
        let info = Info { name: file.to_string_lossy().into_owned(), path, st };
        let text = match &format {
            Some((format, newline)) => {
                let mut out = expand(format, &info, &mut names, !*newline);
                if *newline {
                    out.push('\n');
                }
                out
            }
            None if terse => expand(TERSE, &info, &mut names, false),
            None => expand(&default_format(&info), &info, &mut names, false),
        };
        print!("{text}");
    }
    status
}

struct Info<'a> {
    name: String,
    path: &'a Path,
    st: xfs::Stat,
}

impl Info<'_> {
    fn type_name(&self) -> &'static str {
        match self.st.file_type() {
            S_IFLNK => "symbolic link",
            S_IFDIR => "directory",
            S_IFREG if self.st.size == 0 => "regular empty file",
            S_IFREG => "regular file",
            S_IFCHR => "character special file",
            S_IFBLK => "block special file",
            S_IFSOCK => "socket",
            S_IFIFO => "fifo",
            _ => "unknown",
        }
    }

    fn blocks(&self) -> u64 {
        self.st.size.div_ceil(512)
    }

    /// The symlink's target, if this is one.
    fn target(&self) -> Option<String> {
        if !self.st.is_symlink() {
            return None;
        }
        std::fs::read_link(self.path).ok().map(|t| t.to_string_lossy().into_owned())
    }

    /// `%N`: `'name'`, or `'name' -> 'target'` for a symlink.
    fn quoted_name(&self) -> String {
        match self.target() {
            Some(target) => format!("{} -> {}", quote(&self.name), quote(&target)),
            None => quote(&self.name),
        }
    }
}

/// Single quotes as GNU's shell-escape-always style writes them.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// GNU's default format (without `%N`'s quotes on the first line).
fn default_format(info: &Info) -> String {
    let name = match info.target() {
        Some(target) => format!("{} -> {}", info.name, target),
        None => info.name.clone(),
    };
    let kind = info.st.file_type();
    let device = if kind == S_IFCHR || kind == S_IFBLK {
        "Device: %Hd,%Ld\tInode: %-11i  Links: %-5h Device type: %Hr,%Lr\n"
    } else {
        "Device: %Hd,%Ld\tInode: %-11i  Links: %h\n"
    };
    format!(
        "  File: {}\n  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n{device}Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\nAccess: %x\nModify: %y\nChange: %z\n Birth: %w\n",
        name.replace('%', "%%")
    )
}

/// glibc's `major()` of a device number.
fn major(dev: u64) -> u64 {
    ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)
}

/// glibc's `minor()` of a device number.
fn minor(dev: u64) -> u64 {
    (dev & 0xff) | ((dev >> 12) & !0xff)
}

/// A directive's value.
enum Value {
    /// An unsigned number and its base (8, 10 or 16).
    Num(u64, u32),
    /// Seconds since the epoch with nanoseconds (`%X %Y %Z %W`).
    Secs(u64),
    /// Text.
    Text(String),
}

/// A directive's printf-style flags, width and precision.
#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    zero: bool,
    alt: bool,
    plus: bool,
    space: bool,
    width: usize,
    precision: Option<usize>,
}

impl Spec {
    fn pad(&self, body: String, numeric: bool) -> String {
        let len = body.chars().count();
        if len >= self.width {
            return body;
        }
        let fill = self.width - len;
        if self.left {
            format!("{body}{}", " ".repeat(fill))
        } else if self.zero && numeric && self.precision.is_none() {
            // Zeros go after a sign.
            let (sign, digits) = body.split_at(usize::from(body.starts_with(['+', ' '])));
            format!("{sign}{}{digits}", "0".repeat(fill))
        } else {
            format!("{}{body}", " ".repeat(fill))
        }
    }

    fn render(&self, value: Value) -> String {
        match value {
            Value::Text(text) => {
                let text = match self.precision {
                    Some(p) => text.chars().take(p).collect(),
                    None => text,
                };
                self.pad(text, false)
            }
            Value::Num(n, base) => {
                let mut digits = match base {
                    8 => format!("{n:o}"),
                    16 => format!("{n:x}"),
                    _ => n.to_string(),
                };
                if let Some(p) = self.precision
                    && digits.len() < p
                {
                    digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                }
                if self.alt && base == 8 && !digits.starts_with('0') {
                    digits.insert(0, '0');
                } else if self.alt && base == 16 && n != 0 {
                    digits.insert_str(0, "0x");
                }
                if base == 10 && self.plus {
                    digits.insert(0, '+');
                } else if base == 10 && self.space {
                    digits.insert(0, ' ');
                }
                self.pad(digits, true)
            }
            Value::Secs(nanos) => {
                let secs = nanos / 1_000_000_000;
                let mut text = match self.precision {
                    Some(0) | None => secs.to_string(),
                    Some(p) => {
                        let frac = format!("{:09}", nanos % 1_000_000_000);
                        let frac: String = frac.chars().chain(std::iter::repeat('0')).take(p).collect();
                        format!("{secs}.{frac}")
                    }
                };
                if self.plus {
                    text.insert(0, '+');
                }
                let spec = Spec { precision: None, ..*self };
                spec.pad(text, true)
            }
        }
    }
}

/// The value of directive `conv` (`H`/`L` prefixed ones as `'H'`, then the
/// letter in `sub`), or `None` for an unknown directive.
fn value(conv: char, sub: Option<char>, info: &Info, names: &mut Names) -> Option<Value> {
    let st = &info.st;
    let num = |n: u64| Value::Num(n, 10);
    Some(match (conv, sub) {
        ('H', Some('d')) => num(major(st.dev)),
        ('L', Some('d')) => num(minor(st.dev)),
        ('H' | 'L', Some('r')) => num(0),
        ('a', _) => Value::Num(u64::from(st.permissions()), 8),
        ('A', _) => Value::Text(files::mode_string(st.mode)),
        ('b', _) => num(info.blocks()),
        ('B', _) => num(512),
        ('d', _) => num(st.dev),
        ('D', _) => Value::Num(st.dev, 16),
        ('f', _) => Value::Num(u64::from(st.mode), 16),
        ('F', _) => Value::Text(info.type_name().to_string()),
        ('g', _) => num(u64::from(st.gid)),
        ('G', _) => Value::Text(names.group(st.gid).unwrap_or("UNKNOWN").to_string()),
        ('h', _) => num(st.nlink),
        ('i', _) => num(st.ino),
        ('n', _) => Value::Text(info.name.clone()),
        ('N', _) => Value::Text(info.quoted_name()),
        ('o', _) => num(4096),
        ('s', _) => num(st.size),
        ('t' | 'T', _) => Value::Num(0, 16),
        ('u', _) => num(u64::from(st.uid)),
        ('U', _) => Value::Text(names.user(st.uid).unwrap_or("UNKNOWN").to_string()),
        ('w', _) => Value::Text("-".to_string()),
        ('W', _) => Value::Secs(0),
        ('x', _) => Value::Text(util::format_timestamp(st.atime)),
        ('y', _) => Value::Text(util::format_timestamp(st.mtime)),
        ('z', _) => Value::Text(util::format_timestamp(st.ctime)),
        ('X', _) => Value::Secs(st.atime),
        ('Y', _) => Value::Secs(st.mtime),
        ('Z', _) => Value::Secs(st.ctime),
        _ => return None,
    })
}

/// Expands a `--format`/`--printf` string. `escapes`: also interpret
/// backslash escapes (`--printf`).
fn expand(format: &str, info: &Info, names: &mut Names, escapes: bool) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && escapes {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('a') => out.push('\x07'),
                Some('r') => out.push('\r'),
                Some('0') => out.push('\0'),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
            continue;
        }
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '#' => spec.alt = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '\'' => {}
                _ => break,
            }
            chars.next();
        }
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            spec.width = spec.width.saturating_mul(10).saturating_add(d as usize);
            chars.next();
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut precision = 0usize;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                precision = precision.saturating_mul(10).saturating_add(d as usize);
                chars.next();
            }
            spec.precision = Some(precision);
        }
        let Some(conv) = chars.next() else {
            out.push('%');
            break;
        };
        if conv == '%' {
            out.push('%');
            continue;
        }
        let sub = if matches!(conv, 'H' | 'L') { chars.next() } else { None };
        match value(conv, sub, info, names) {
            Some(v) => out.push_str(&spec.render(v)),
            None => out.push('?'),
        }
    }
    out
}
