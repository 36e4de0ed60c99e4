//! `tree [-a] [-d] [-f] [-L LEVEL] [-I PATTERN] [--noreport] [DIR]...`: a
//! directory as an indented tree, in the layout of the `tree` program
//! (entries sorted by name, `├── `/`└── `/`│   ` branches, `name -> target`
//! for a symlink, then `N directories, M files`).

use std::ffi::OsString;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use lexopt::prelude::*;

use crate::util;

#[derive(Default)]
struct Options {
    all: bool,
    dirs_only: bool,
    full_path: bool,
    level: Option<usize>,
    ignore: Vec<String>,
    no_report: bool,
}

#[derive(Default)]
struct Counts {
    dirs: usize,
    files: usize,
}

pub fn main(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options::default();
    let mut roots: Vec<OsString> = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage("tree", err, 1),
        };
        match arg {
            Short('a') => o.all = true,
            Short('d') => o.dirs_only = true,
            Short('f') => o.full_path = true,
            Short('L') => match parser.value().ok().and_then(|v| v.to_str()?.parse::<usize>().ok()) {
                Some(level) if level > 0 => o.level = Some(level),
                _ => return util::fail("tree", "Invalid level, must be greater than 0."),
            },
            Short('I') => match parser.value() {
                Ok(pattern) => o.ignore.extend(pattern.to_string_lossy().split('|').map(String::from)),
                Err(err) => return util::bad_usage("tree", err, 1),
            },
            Long("noreport") => o.no_report = true,
            Long("help") => {
                println!("usage: tree [-a] [-d] [-f] [-L level] [-I pattern] [--noreport] [directory ...]");
                return 0;
            }
            Value(v) => roots.push(v),
            other => return util::usage("tree", other.unexpected(), 1),
        }
    }
    if roots.is_empty() {
        roots.push(".".into());
    }
    let mut out = io::stdout().lock();
    let mut counts = Counts::default();
    let mut status = 0;
    for root in &roots {
        let path = Path::new(root);
        if !path.is_dir() {
            let _ = writeln!(out, "{}  [error opening dir]", path.display());
            status = 2;
            continue;
        }
        let _ = writeln!(out, "{}", path.display());
        walk(&o, path, &path.to_string_lossy(), "", 1, &mut counts, &mut out);
    }
    if !o.no_report {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "y" } else { "ies" });
        let dirs = plural(counts.dirs, "director");
        if o.dirs_only {
            let _ = writeln!(out, "\n{dirs}");
        } else {
            let files = format!("{} file{}", counts.files, if counts.files == 1 { "" } else { "s" });
            let _ = writeln!(out, "\n{dirs}, {files}");
        }
    }
    status
}

fn walk(o: &Options, dir: &Path, shown: &str, prefix: &str, depth: usize, counts: &mut Counts, out: &mut impl Write) {
    let Ok(read) = fs::read_dir(dir) else { return };
    let mut entries: Vec<(String, fs::Metadata)> = read
        .filter_map(|e| {
            let e = e.ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), fs::symlink_metadata(e.path()).ok()?))
        })
        .filter(|(name, _)| o.all || !name.starts_with('.'))
        .filter(|(name, _)| !o.ignore.iter().any(|p| crate::cmd::tar::glob_match(p, name)))
        .filter(|(name, meta)| !o.dirs_only || meta.is_dir() || fs::metadata(dir.join(name)).is_ok_and(|m| m.is_dir()))
        .collect();
    // `tree` sorts by name as `ls` does in the C locale.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let last = entries.len().saturating_sub(1);
    for (i, (name, meta)) in entries.iter().enumerate() {
        let (branch, next) = if i == last { ("└── ", "    ") } else { ("├── ", "│   ") };
        let path = dir.join(name);
        let label = if o.full_path { format!("{shown}/{name}") } else { name.clone() };
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).map(|t| t.to_string_lossy().into_owned()).unwrap_or_default();
            let _ = writeln!(out, "{prefix}{branch}{label} -> {target}");
            if fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
                counts.dirs += 1;
            } else {
                counts.files += 1;
            }
            continue;
        }
        let _ = writeln!(out, "{prefix}{branch}{label}");
        if meta.is_dir() {
            counts.dirs += 1;
            if o.level.is_none_or(|level| depth < level) {
                let shown = format!("{shown}/{name}");
                walk(o, &path, &shown, &format!("{prefix}{next}"), depth + 1, counts, out);
            }
        } else {
            counts.files += 1;
        }
    }
}
