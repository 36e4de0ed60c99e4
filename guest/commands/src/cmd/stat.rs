//! `stat [-L] [-t] [-c FORMAT | --printf FORMAT] FILE...`: file status from
//! preview1's `filestat` (device, inode, type, links, size, times).
//!
//! preview1 has no mode, owner or group (capsa's `host_fs` extension has
//! them; this command does not use it yet): `stat` shows them as `?`
//! (`%a %A %u %U %g %G`, and the `Access: (…)` line). Blocks are the size in
//! 512-byte units rounded up (capsa's filesystems allocate no blocks).
//! Times are UTC (a VM has no time zone database) and read as the epoch
//! unless the VM has the clock grant. `-f` (file system status) is not
//! supported: preview1 has no `statvfs`.

use std::ffi::OsString;
use std::path::Path;

use lexopt::prelude::*;

use crate::util::{self, Stat};

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
    let mut status = 0;
    for file in &files {
        let path = Path::new(file);
        let meta = match util::stat(path, deref) {
            Ok(meta) => meta,
            Err(err) => {
                status = util::fail(cmd, format!("cannot stat {}: {}", util::quote(file), util::errmsg(&err)));
                continue;
            }
        };
        let info = Info { name: file.to_string_lossy().into_owned(), path, meta };
        let text = match &format {
            Some((format, newline)) => {
                let mut out = expand(format, &info, !*newline);
                if *newline {
                    out.push('\n');
                }
                out
            }
            None if terse => expand("%n %s %b ? ? ? %d %i %h 0 0 %X %Y %Z %W 4096\n", &info, false),
            None => default_format(&info),
        };
        print!("{text}");
    }
    status
}

struct Info<'a> {
    name: String,
    path: &'a Path,
    meta: Stat,
}

impl Info<'_> {
    fn type_name(&self) -> &'static str {
        match self.meta.kind {
            libc::S_IFLNK => "symbolic link",
            libc::S_IFDIR => "directory",
            libc::S_IFREG if self.meta.size == 0 => "regular empty file",
            libc::S_IFREG => "regular file",
            libc::S_IFCHR => "character special file",
            libc::S_IFBLK => "block special file",
            libc::S_IFSOCK => "socket",
            libc::S_IFIFO => "fifo",
            _ => "unknown",
        }
    }

    /// The `ls -l` type letter.
    fn type_char(&self) -> char {
        match self.meta.kind {
            libc::S_IFLNK => 'l',
            libc::S_IFDIR => 'd',
            libc::S_IFCHR => 'c',
            libc::S_IFBLK => 'b',
            libc::S_IFSOCK => 's',
            libc::S_IFIFO => 'p',
            _ => '-',
        }
    }

    fn blocks(&self) -> u64 {
        self.meta.size.div_ceil(512)
    }

    fn quoted_name(&self) -> String {
        if self.meta.is_symlink()
            && let Ok(target) = std::fs::read_link(self.path)
        {
            return format!("'{}' -> '{}'", self.name, target.display());
        }
        format!("'{}'", self.name)
    }
}

fn default_format(info: &Info) -> String {
    let m = &info.meta;
    let name = if m.is_symlink() { info.quoted_name() } else { info.name.clone() };
    format!(
        "  File: {name}\n  Size: {:<15} Blocks: {:<10} IO Block: 4096   {}\nDevice: {}\tInode: {:<11} Links: {}\nAccess: (?/{}?????????)  Uid: (?/?)   Gid: (?/?)\nAccess: {}\nModify: {}\nChange: {}\n Birth: -\n",
        m.size,
        info.blocks(),
        info.type_name(),
        m.dev,
        m.ino,
        m.nlink,
        info.type_char(),
        util::format_timestamp(m.atime),
        util::format_timestamp(m.mtime),
        util::format_timestamp(m.ctime),
    )
}

/// Expands a `--format`/`--printf` string. `escapes`: also interpret
/// backslash escapes (`--printf`).
fn expand(format: &str, info: &Info, escapes: bool) -> String {
    let m = &info.meta;
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
        let Some(spec) = chars.next() else {
            out.push('%');
            break;
        };
        let secs = |nanos: u64| (nanos / 1_000_000_000).to_string();
        match spec {
            '%' => out.push('%'),
            'n' => out.push_str(&info.name),
            'N' => out.push_str(&info.quoted_name()),
            's' => out.push_str(&m.size.to_string()),
            'b' => out.push_str(&info.blocks().to_string()),
            'B' => out.push_str("512"),
            'o' => out.push_str("4096"),
            'F' => out.push_str(info.type_name()),
            'i' => out.push_str(&m.ino.to_string()),
            'h' => out.push_str(&m.nlink.to_string()),
            'd' => out.push_str(&m.dev.to_string()),
            'D' => out.push_str(&format!("{:x}", m.dev)),
            'x' => out.push_str(&util::format_timestamp(m.atime)),
            'y' => out.push_str(&util::format_timestamp(m.mtime)),
            'z' => out.push_str(&util::format_timestamp(m.ctime)),
            'X' => out.push_str(&secs(m.atime)),
            'Y' => out.push_str(&secs(m.mtime)),
            'Z' => out.push_str(&secs(m.ctime)),
            'w' => out.push('-'),
            'W' => out.push('0'),
            // Mode, owner and group: not in preview1.
            'a' | 'u' | 'U' | 'g' | 'G' | 'f' | 't' | 'T' => out.push('?'),
            'A' => {
                out.push(info.type_char());
                out.push_str("?????????");
            }
            other => {
                out.push('%');
                out.push(other);
            }
        }
    }
    out
}
