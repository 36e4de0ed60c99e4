//! `patch [-pN] [-R] [-N] [--dry-run] [-s] [-d DIR] [-i PATCHFILE] [FILE]`:
//! applies a unified diff (as `diff -u` and `git diff` write them, one file
//! or many) the way GNU patch does without fuzz: each hunk where its
//! context says, or — when the file moved — at the nearest place the
//! context matches ("succeeded at L (offset K lines)"); a hunk that fits
//! nowhere is written to FILE.rej and the run ends with status 1; a file a
//! patch did not fit exactly keeps its original as FILE.orig (GNU's
//! `--backup-if-mismatch`; `--no-backup-if-mismatch` turns it off). Files
//! are created (`--- /dev/null`) and removed (`+++ /dev/null`); messages
//! and statuses as GNU's (0, 1 some hunks failed, 2 trouble).

use std::ffi::OsString;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use lexopt::prelude::*;

use crate::util;

#[derive(Default)]
struct Options {
    strip: Option<usize>,
    reverse: bool,
    forward: bool,
    dry_run: bool,
    no_backup: bool,
    silent: bool,
    dir: Option<PathBuf>,
    input: Option<PathBuf>,
    target: Option<PathBuf>,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq)]
enum Line {
    Context(String),
    Remove(String),
    Add(String),
}

#[derive(Debug, Clone)]
struct Hunk {
    old_start: usize,
    new_start: usize,
    lines: Vec<Line>,
    /// The old side ends without a newline (`\ No newline at end of file`).
    old_no_eol: bool,
    new_no_eol: bool,
    /// The hunk as written in the patch (for a .rej file).
    text: String,
}

#[derive(Debug)]
struct FilePatch {
    old: String,
    new: String,
    /// The `---` and `+++` lines as written (a .rej file repeats them).
    header: String,
    hunks: Vec<Hunk>,
}

pub fn main(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage("patch", err, 2),
        };
        let value = |parser: &mut lexopt::Parser| parser.value().map(PathBuf::from);
        match arg {
            Short('p') | Long("strip") => match parser.value().ok().and_then(|v| v.to_str()?.parse().ok()) {
                Some(n) => o.strip = Some(n),
                None => return util::usage("patch", "strip count must be a number", 2),
            },
            Short('R') | Long("reverse") => o.reverse = true,
            Short('N') | Long("forward") => o.forward = true,
            Long("dry-run") => o.dry_run = true,
            Long("no-backup-if-mismatch") => o.no_backup = true,
            Long("backup-if-mismatch") => o.no_backup = false,
            Short('s') | Long("silent") | Long("quiet") => o.silent = true,
            Short('d') | Long("directory") => match value(&mut parser) {
                Ok(dir) => o.dir = Some(dir),
                Err(err) => return util::bad_usage("patch", err, 2),
            },
            Short('i') | Long("input") => match value(&mut parser) {
                Ok(file) => o.input = Some(file),
                Err(err) => return util::bad_usage("patch", err, 2),
            },
            Short('u') | Long("unified") | Short('t') | Long("batch") | Short('f') | Long("force") => {}
            Long("help") => {
                println!("Usage: patch [OPTION]... [ORIGFILE [PATCHFILE]]");
                println!("  -p NUM  strip NUM leading components from file names");
                println!("  -R  reverse the patch;  -N  ignore patches already applied;  --dry-run");
                println!("  -i PATCHFILE  read the patch from PATCHFILE;  -d DIR  change to DIR first");
                return 0;
            }
            Value(v) if o.target.is_none() => o.target = Some(PathBuf::from(v)),
            Value(v) if o.input.is_none() => o.input = Some(PathBuf::from(v)),
            other => return util::usage("patch", other.unexpected(), 2),
        }
    }
    let mut text = Vec::new();
    let read = match &o.input {
        Some(path) => fs::File::open(path).and_then(|mut f| f.read_to_end(&mut text)),
        None => io::stdin().lock().read_to_end(&mut text),
    };
    if let Err(err) = read {
        eprintln!("patch: **** Can't open patch file: {}", util::errmsg(&err));
        return 2;
    }
    if let Some(dir) = &o.dir
        && let Err(err) = std::env::set_current_dir(dir)
    {
        eprintln!("patch: **** Can't change to directory {}: {}", dir.display(), util::errmsg(&err));
        return 2;
    }
    let text = String::from_utf8_lossy(&text);
    let patches = match parse(&text) {
        Ok(patches) if !patches.is_empty() => patches,
        Ok(_) => {
            eprintln!("patch: **** Only garbage was found in the patch input.");
            return 2;
        }
        Err(message) => {
            eprintln!("patch: **** {message}");
            return 2;
        }
    };
    let mut status = 0;
    for patch in &patches {
        status = status.max(apply(&o, patch));
    }
    util::flush_stdout();
    status
}

fn parse_range(text: &str) -> Option<(usize, usize)> {
    let (start, count) = text.split_once(',').unwrap_or((text, "1"));
    Some((start.parse().ok()?, count.parse().ok()?))
}

/// Every file patch in a unified diff; other lines are ignored.
fn parse(text: &str) -> Result<Vec<FilePatch>, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut patches = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end_matches(['\n', '\r']);
        let next = lines.get(i + 1).map(|l| l.trim_end_matches(['\n', '\r']));
        let (Some(old), Some(new)) = (line.strip_prefix("--- "), next.and_then(|n| n.strip_prefix("+++ "))) else {
            i += 1;
            continue;
        };
        // A name ends at a tab (a date follows), as GNU reads it.
        let name = |s: &str| s.split('\t').next().unwrap_or(s).trim().to_string();
        let header = format!("{line}\n{}\n", next.unwrap_or_default());
        let mut patch = FilePatch { old: name(old), new: name(new), header, hunks: Vec::new() };
        i += 2;
        while i < lines.len() && lines[i].starts_with("@@ ") {
            let header = lines[i].trim_end();
            let ranges: Vec<&str> = header.split_whitespace().collect();
            let old_range = ranges.get(1).and_then(|r| r.strip_prefix('-')).and_then(parse_range);
            let new_range = ranges.get(2).and_then(|r| r.strip_prefix('+')).and_then(parse_range);
            let (Some((old_start, old_count)), Some((new_start, new_count))) = (old_range, new_range) else {
                return Err(format!("malformed hunk header: {header}"));
            };
            let mut hunk = Hunk {
                old_start,
                new_start,
                lines: Vec::new(),
                old_no_eol: false,
                new_no_eol: false,
                text: lines[i].to_string(),
            };
            i += 1;
            let (mut old_seen, mut new_seen) = (0, 0);
            while i < lines.len() && (old_seen < old_count || new_seen < new_count || lines[i].starts_with('\\')) {
                let raw = lines[i];
                hunk.text.push_str(raw);
                if !raw.ends_with('\n') {
                    hunk.text.push('\n');
                }
                // A CR stays part of the line, as it does in the file.
                let body = raw.strip_suffix('\n').unwrap_or(raw);
                match raw.as_bytes().first() {
                    Some(b' ') => {
                        hunk.lines.push(Line::Context(body[1..].to_string()));
                        old_seen += 1;
                        new_seen += 1;
                    }
                    // An empty line in a hunk is an empty context line (some tools trim it).
                    Some(b'\n') => {
                        hunk.lines.push(Line::Context(String::new()));
                        old_seen += 1;
                        new_seen += 1;
                    }
                    Some(b'-') => {
                        hunk.lines.push(Line::Remove(body[1..].to_string()));
                        old_seen += 1;
                    }
                    Some(b'+') => {
                        hunk.lines.push(Line::Add(body[1..].to_string()));
                        new_seen += 1;
                    }
                    Some(b'\\') => match hunk.lines.last() {
                        Some(Line::Remove(_)) => hunk.old_no_eol = true,
                        Some(Line::Add(_)) => hunk.new_no_eol = true,
                        _ => {
                            hunk.old_no_eol = true;
                            hunk.new_no_eol = true;
                        }
                    },
                    _ => return Err(format!("malformed patch at line {}: {}", i + 1, body)),
                }
                i += 1;
            }
            patch.hunks.push(hunk);
        }
        patches.push(patch);
    }
    Ok(patches)
}

/// `name` with its first `n` components removed (`-pN`); `None` if it has
/// too few. Without `-p`, GNU keeps only the base name.
fn strip(name: &str, n: Option<usize>) -> Option<String> {
    match n {
        None => Path::new(name).file_name().map(|f| f.to_string_lossy().into_owned()),
        Some(n) => {
            let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
            if parts.len() <= n {
                return None;
            }
            let rest = parts[n..].join("/");
            Some(if n == 0 && name.starts_with('/') { format!("/{rest}") } else { rest })
        }
    }
}

/// Where in `file` the hunk's old lines `old` match, nearest `at` first.
fn locate(file: &[String], old: &[String], at: usize) -> Option<usize> {
    let fits = |pos: usize| pos + old.len() <= file.len() && file[pos..pos + old.len()] == *old;
    let limit = file.len().max(at) + 1;
    for distance in 0..limit {
        if at >= distance && fits(at - distance) {
            return Some(at - distance);
        }
        if distance > 0 && fits(at + distance) {
            return Some(at + distance);
        }
    }
    None
}

/// A .rej file: the file's header and the hunks that did not apply.
fn rejects(patch: &FilePatch, hunks: &[&Hunk]) -> String {
    let mut text = patch.header.clone();
    for hunk in hunks {
        text.push_str(&hunk.text);
    }
    text
}

/// The two sides of a hunk (old, new), as applied in this direction.
fn sides(hunk: &Hunk, reverse: bool) -> (Vec<String>, Vec<String>) {
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for line in &hunk.lines {
        match (line, reverse) {
            (Line::Context(t), _) => {
                old.push(t.clone());
                new.push(t.clone());
            }
            (Line::Remove(t), false) | (Line::Add(t), true) => old.push(t.clone()),
            (Line::Add(t), false) | (Line::Remove(t), true) => new.push(t.clone()),
        }
    }
    (old, new)
}

/// Whether the hunk looks applied already: its old side fits nowhere and
/// its new side does.
fn reversed(file: &[String], hunk: &Hunk, reverse: bool) -> bool {
    let (old, new) = sides(hunk, reverse);
    old != new && locate(file, &old, 0).is_none() && locate(file, &new, 0).is_some()
}

fn apply(o: &Options, patch: &FilePatch) -> i32 {
    let (old_name, new_name) = if o.reverse { (&patch.new, &patch.old) } else { (&patch.old, &patch.new) };
    let creates = old_name == "/dev/null";
    let removes = new_name == "/dev/null";
    let target = match &o.target {
        Some(target) => target.to_string_lossy().into_owned(),
        None => {
            let old = (!creates).then(|| strip(old_name, o.strip)).flatten();
            let new = (!removes).then(|| strip(new_name, o.strip)).flatten();
            let exists = |name: &String| Path::new(name).exists();
            match (old, new) {
                (Some(old), _) if exists(&old) => old,
                (_, Some(new)) if creates || exists(&new) => new,
                (Some(old), _) => old,
                (None, Some(new)) => new,
                (None, None) => {
                    eprintln!("patch: **** can't find file to patch");
                    return 2;
                }
            }
        }
    };
    if !o.silent {
        println!("{} file {target}", if o.dry_run { "checking" } else { "patching" });
    }
    let original =
        if creates { Ok(String::new()) } else { fs::read(&target).map(|b| String::from_utf8_lossy(&b).into_owned()) };
    let original = match original {
        Ok(text) => text,
        Err(err) => {
            eprintln!("patch: **** Can't open file {target}: {}", util::errmsg(&err));
            return 1;
        }
    };
    let ends_with_newline = original.is_empty() || original.ends_with('\n');
    let mut file: Vec<String> = original.split_terminator('\n').map(str::to_string).collect();
    if let Some(first) = patch.hunks.first()
        && reversed(&file, first, o.reverse)
    {
        // GNU asks whether to assume -R; with no terminal the answer is no.
        if o.forward {
            println!("Reversed (or previously applied) patch detected!  Skipping patch.");
        } else {
            println!("Reversed (or previously applied) patch detected!  Assume -R? [n] ");
            println!("Apply anyway? [n] ");
            println!("Skipping patch.");
        }
        let total = patch.hunks.len();
        let rej = format!("{target}.rej");
        println!(
            "{total} out of {total} hunk{} ignored -- saving rejects to file {rej}",
            if total == 1 { "" } else { "s" }
        );
        if !o.dry_run {
            let hunks: Vec<&Hunk> = patch.hunks.iter().collect();
            let _ = fs::write(&rej, rejects(patch, &hunks));
        }
        return 1;
    }
    let mut offset: isize = 0;
    // GNU's --backup-if-mismatch (its default): a patch that did not fit
    // exactly leaves the original beside the result as FILE.orig.
    let mut mismatch = false;
    let mut failed: Vec<&Hunk> = Vec::new();
    let mut no_eol_at_end = !ends_with_newline;
    for (n, hunk) in patch.hunks.iter().enumerate() {
        let (old, new) = sides(hunk, o.reverse);
        let old_start = if o.reverse { hunk.new_start } else { hunk.old_start };
        let new_no_eol = if o.reverse { hunk.old_no_eol } else { hunk.new_no_eol };
        // Line numbers are 1-based; an empty old side names the line before.
        let expected = if old.is_empty() { old_start } else { old_start.saturating_sub(1) };
        let at = (expected as isize + offset).max(0) as usize;
        match locate(&file, &old, at) {
            Some(pos) => {
                mismatch |= pos != at;
                if pos != at && !o.silent {
                    let moved = pos as isize - at as isize;
                    let plural = if moved.abs() == 1 { "" } else { "s" };
                    println!("Hunk #{} succeeded at {} (offset {moved} line{plural}).", n + 1, pos + 1);
                }
                offset += pos as isize - at as isize + new.len() as isize - old.len() as isize;
                let touches_end = pos + old.len() == file.len();
                file.splice(pos..pos + old.len(), new);
                if touches_end {
                    no_eol_at_end = new_no_eol;
                }
            }
            None => {
                if !o.silent {
                    println!("Hunk #{} FAILED at {}.", n + 1, old_start);
                }
                failed.push(hunk);
                mismatch = true;
            }
        }
    }
    let total = patch.hunks.len();
    let mut status = 0;
    if !failed.is_empty() {
        status = 1;
        let plural = if total == 1 { "" } else { "s" };
        let rej = format!("{target}.rej");
        println!("{} out of {total} hunk{plural} FAILED -- saving rejects to file {rej}", failed.len());
        if !o.dry_run {
            let _ = fs::write(&rej, rejects(patch, &failed));
        }
    }
    if o.dry_run {
        return status;
    }
    if mismatch && !creates && !o.no_backup {
        let _ = fs::write(format!("{target}.orig"), &original);
    }
    if removes && file.is_empty() {
        if let Err(err) = fs::remove_file(&target) {
            eprintln!("patch: **** Can't remove {target}: {}", util::errmsg(&err));
            return 2;
        }
        return status;
    }
    let mut text = file.join("\n");
    if !file.is_empty() && !no_eol_at_end {
        text.push('\n');
    }
    if let Some(parent) = Path::new(&target).parent().filter(|p| !p.as_os_str().is_empty()) {
        let _ = fs::create_dir_all(parent);
    }
    // The file keeps its mode: written in place.
    if let Err(err) = fs::write(&target, text) {
        eprintln!("patch: **** Can't write {target}: {}", util::errmsg(&err));
        return 2;
    }
    status
}
