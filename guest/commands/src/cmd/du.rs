//! `du [-a|-s] [-c] [-d N] [-h|-k|-m|-b|-B SIZE] [--apparent-size] [-L]
//! [-x] [-0] [FILE]...`: disk usage of files and directory trees.
//!
//! capsa's filesystems (in memory, or host directories seen through
//! preview1) report no allocated blocks, so usage is the apparent size:
//! each file counts its size in bytes, rounded up to whole units of the
//! block size (1 KiB unless `-b`, `-m` or `-B` say otherwise) when printed.
//! Hard links are counted once (by device and inode).

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};

use lexopt::prelude::*;

use crate::util;

struct Options {
    all: bool,
    summarize: bool,
    total: bool,
    max_depth: Option<usize>,
    human: bool,
    block: u64,
    deref: bool,
    one_fs: bool,
    end: u8,
}

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options {
        all: false,
        summarize: false,
        total: false,
        max_depth: None,
        human: false,
        block: 1024,
        deref: false,
        one_fs: false,
        end: b'\n',
    };
    let mut files = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(cmd, err, 1),
        };
        match arg {
            Short('a') | Long("all") => o.all = true,
            Short('s') | Long("summarize") => o.summarize = true,
            Short('c') | Long("total") => o.total = true,
            Short('h') | Long("human-readable") => o.human = true,
            Short('k') => o.block = 1024,
            Short('m') => o.block = 1 << 20,
            Short('b') | Long("bytes") => o.block = 1,
            Long("apparent-size") => {}
            Short('L') | Long("dereference") => o.deref = true,
            Short('P') | Long("no-dereference") => o.deref = false,
            Short('x') | Long("one-file-system") => o.one_fs = true,
            Short('0') | Long("null") => o.end = b'\0',
            Short('d') | Long("max-depth") | Short('B') | Long("block-size") => {
                let depth = matches!(arg, Short('d') | Long("max-depth"));
                let value = match parser.value().map_err(|e| e.to_string()).and_then(util::string) {
                    Ok(v) => v,
                    Err(err) => return util::usage(cmd, err, 1),
                };
                if depth {
                    match value.parse() {
                        Ok(depth) => o.max_depth = Some(depth),
                        Err(_) => return util::usage(cmd, format!("invalid maximum depth '{value}'"), 1),
                    }
                } else {
                    match util::parse_size(&value) {
                        Some(size) if size > 0 => o.block = size,
                        _ => return util::usage(cmd, format!("invalid -B argument '{value}'"), 1),
                    }
                }
            }
            Long("help") => {
                println!("Usage: du [OPTION]... [FILE]...");
                return 0;
            }
            Value(v) => files.push(PathBuf::from(v)),
            other => return util::usage(cmd, other.unexpected(), 1),
        }
    }
    if o.summarize && o.all {
        return util::usage(cmd, "cannot both summarize and show all entries", 1);
    }
    if o.summarize {
        if o.max_depth.is_some_and(|d| d > 0) {
            return util::usage(cmd, "cannot both summarize and set a depth", 1);
        }
        o.max_depth = Some(0);
    }
    if files.is_empty() {
        files.push(PathBuf::from("."));
    }
    let mut walker = Walker { o: &o, cmd, seen: BTreeSet::new(), status: 0, out: std::io::stdout().lock() };
    let mut grand = 0;
    for file in &files {
        match crate::files::stat(file, walker.o.deref) {
            Ok(st) => grand += walker.walk(file, st, 0, st.dev, true),
            Err(err) => {
                walker.status =
                    util::fail(cmd, format!("cannot access {}: {}", util::quote(file.as_os_str()), util::errmsg(&err)));
            }
        }
    }
    if o.total {
        walker.print(grand, Path::new("total"));
    }
    walker.status
}

struct Walker<'a> {
    o: &'a Options,
    cmd: &'a str,
    seen: BTreeSet<(u64, u64)>,
    status: i32,
    out: std::io::StdoutLock<'static>,
}

impl Walker<'_> {
    /// Walks `path` (whose status is `st`), printing what the options ask
    /// for; returns its total size in bytes.
    fn walk(&mut self, path: &Path, st: wasi_ext::fs::Stat, depth: usize, root_dev: u64, top: bool) -> u64 {
        if !self.seen.insert((st.dev, st.ino)) && st.nlink > 1 && !st.is_dir() {
            return 0;
        }
        let mut size = st.size;
        if st.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut names: Vec<OsString> = entries.filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
                    names.sort();
                    for name in names {
                        let child = path.join(&name);
                        match crate::files::stat(&child, self.o.deref) {
                            Ok(cst) if self.o.one_fs && cst.dev != root_dev => {}
                            Ok(cst) => size += self.walk(&child, cst, depth + 1, root_dev, false),
                            Err(err) => {
                                self.status = util::fail(
                                    self.cmd,
                                    format!("cannot access {}: {}", util::quote(child.as_os_str()), util::errmsg(&err)),
                                );
                            }
                        }
                    }
                }
                Err(err) => {
                    self.status = util::fail(
                        self.cmd,
                        format!("cannot read directory {}: {}", util::quote(path.as_os_str()), util::errmsg(&err)),
                    );
                }
            }
        }
        let shown = self.o.max_depth.is_none_or(|max| depth <= max);
        if shown && (top || st.is_dir() || self.o.all) {
            self.print(size, path);
        }
        size
    }

    fn print(&mut self, bytes: u64, path: &Path) {
        let amount = if self.o.human { util::human_size(bytes) } else { bytes.div_ceil(self.o.block).to_string() };
        let mut line = format!("{amount}\t{}", path.display()).into_bytes();
        line.push(self.o.end);
        let _ = self.out.write_all(&line);
    }
}
