//! `zip` and `unzip` (Info-ZIP's everyday flags) on the `zip` crate:
//!
//! - `zip [-r] [-j] [-q] [-0..-9] [-x PATTERN...] ARCHIVE FILE...` adds files
//!   (directories with `-r`) to ARCHIVE, made or updated (an entry of the
//!   same name is replaced); modes are kept. `-` as ARCHIVE writes stdout.
//! - `unzip [-l] [-o | -n] [-q] [-p] [-d DIR] ARCHIVE [MEMBER...]` lists or
//!   extracts. As Info-ZIP does, `../` components and a leading `/` are
//!   dropped with a warning, so nothing lands outside DIR; an existing file
//!   is kept unless `-o` (without a terminal to ask, as `-n`).
//!
//! Entries are deflated (flate2) or stored; bzip2 entries are read too.
//! Exit statuses as Info-ZIP's: 0, 1 (a warning), 9 (no such archive),
//! 11 (no matching member), 12 (zip: nothing to do).

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

use lexopt::prelude::*;

use crate::util;

// ------------------------------------------------------------------ zip

pub fn zip(_cmd: &str, args: Vec<OsString>) -> i32 {
    let (mut recurse, mut junk, mut quiet, mut level) = (false, false, false, 6i64);
    let mut excludes: Vec<String> = Vec::new();
    let mut operands: Vec<OsString> = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage("zip", err, 16),
        };
        match arg {
            Short('r') | Long("recurse-paths") => recurse = true,
            Short('j') | Long("junk-paths") => junk = true,
            Short('q') | Long("quiet") => quiet = true,
            Short(c @ '0'..='9') => level = i64::from(c.to_digit(10).unwrap_or(6)),
            Short('x') | Long("exclude") => {
                // -x takes every following word as a pattern (Info-ZIP).
                let mut patterns = match parser.values() {
                    Ok(values) => values.map(|v| v.to_string_lossy().into_owned()).collect::<Vec<_>>(),
                    Err(err) => return util::bad_usage("zip", err, 16),
                };
                excludes.append(&mut patterns);
            }
            Short('h') | Long("help") => {
                println!("Usage: zip [-r] [-j] [-q] [-0..-9] [-x PATTERN...] ARCHIVE FILE...");
                return 0;
            }
            Value(v) => operands.push(v),
            other => return util::usage("zip", other.unexpected(), 16),
        }
    }
    if operands.is_empty() {
        eprintln!("zip error: Invalid command arguments (nothing to select from)");
        return 16;
    }
    let archive = PathBuf::from(operands.remove(0));
    let archive = if archive.extension().is_none() && archive.as_os_str() != "-" {
        archive.with_extension("zip")
    } else {
        archive
    };
    if operands.is_empty() {
        eprintln!("zip error: Nothing to do! ({})", archive.display());
        return 12;
    }
    // What to add: (name in the archive, path on disk, is a directory).
    let mut adds: Vec<(String, PathBuf, bool)> = Vec::new();
    let mut status = 0;
    for operand in &operands {
        let path = PathBuf::from(operand);
        match fs::symlink_metadata(&path) {
            Ok(meta) => collect(&path, &meta, recurse, junk, &mut adds),
            Err(_) => {
                eprintln!("\tzip warning: name not matched: {}", path.display());
                status = 12;
            }
        }
    }
    adds.retain(|(name, ..)| !excludes.iter().any(|p| crate::cmd::tar::glob_match(p, name)));
    if adds.is_empty() {
        eprintln!("zip error: Nothing to do! ({})", archive.display());
        return 12;
    }
    match write_zip(&archive, &adds, level, quiet) {
        Ok(()) => {
            if status == 12 {
                0
            } else {
                status
            }
        }
        Err(err) => {
            eprintln!("zip error: {}: {}", archive.display(), util::errmsg(&err));
            15
        }
    }
}

fn collect(path: &Path, meta: &fs::Metadata, recurse: bool, junk: bool, adds: &mut Vec<(String, PathBuf, bool)>) {
    let text = path.to_string_lossy();
    let stored = text.trim_start_matches('/').trim_start_matches("./").to_string();
    let name =
        if junk { path.file_name().map_or(stored.clone(), |n| n.to_string_lossy().into_owned()) } else { stored };
    if meta.is_dir() {
        if !junk {
            adds.push((format!("{}/", name.trim_end_matches('/')), path.to_path_buf(), true));
        }
        if recurse {
            let mut children: Vec<PathBuf> = match fs::read_dir(path) {
                Ok(read) => read.filter_map(|e| e.ok().map(|e| e.path())).collect(),
                Err(_) => return,
            };
            children.sort();
            for child in children {
                if let Ok(meta) = fs::symlink_metadata(&child) {
                    collect(&child, &meta, recurse, junk, adds);
                }
            }
        }
    } else {
        adds.push((name, path.to_path_buf(), false));
    }
}

fn write_zip(archive: &Path, adds: &[(String, PathBuf, bool)], level: i64, quiet: bool) -> io::Result<()> {
    let to_stdout = archive.as_os_str() == "-";
    // An existing archive is updated: its other entries are copied over.
    let existing = if to_stdout { None } else { File::open(archive).ok() };
    let mut buffer = io::Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut buffer);
        if let Some(file) = existing {
            let mut old = zip::ZipArchive::new(file).map_err(io::Error::other)?;
            for i in 0..old.len() {
                let entry = old.by_index_raw(i).map_err(io::Error::other)?;
                let old_name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
                if !adds.iter().any(|(name, ..)| *name == old_name) {
                    writer.raw_copy_file(entry).map_err(io::Error::other)?;
                }
            }
        }
        for (name, path, is_dir) in adds {
            let mode = wasi_ext::fs::stat(path).map(|s| s.permissions()).unwrap_or(if *is_dir { 0o755 } else { 0o644 });
            let options = zip::write::SimpleFileOptions::default()
                .unix_permissions(mode)
                .compression_method(if level == 0 || *is_dir {
                    zip::CompressionMethod::Stored
                } else {
                    zip::CompressionMethod::Deflated
                })
                .compression_level(if level == 0 { None } else { Some(level) });
            if *is_dir {
                writer.add_directory(name.as_str(), options).map_err(io::Error::other)?;
                if !quiet {
                    println!("  adding: {name} (stored 0%)");
                }
                continue;
            }
            let data = fs::read(path)?;
            writer.start_file(name.as_str(), options).map_err(io::Error::other)?;
            writer.write_all(&data)?;
            if !quiet {
                println!("  adding: {name} (deflated)");
            }
        }
        writer.finish().map_err(io::Error::other)?;
    }
    let bytes = buffer.into_inner();
    if to_stdout {
        io::stdout().lock().write_all(&bytes)
    } else {
        let tmp = archive.with_extension("zip.tmp");
        fs::write(&tmp, &bytes)?;
        fs::rename(&tmp, archive)
    }
}

// ---------------------------------------------------------------- unzip

#[derive(Default)]
struct Unzip {
    list: bool,
    overwrite: Option<bool>,
    quiet: bool,
    pipe: bool,
    dir: Option<PathBuf>,
    archive: Option<PathBuf>,
    members: Vec<String>,
}

pub fn unzip(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut u = Unzip::default();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage("unzip", err, 10),
        };
        match arg {
            Short('l') => u.list = true,
            Short('o') => u.overwrite = Some(true),
            Short('n') => u.overwrite = Some(false),
            Short('q') => u.quiet = true,
            Short('p') => u.pipe = true,
            Short('d') => match parser.value() {
                Ok(dir) => u.dir = Some(PathBuf::from(dir)),
                Err(err) => return util::bad_usage("unzip", err, 10),
            },
            Short('h') | Long("help") => {
                println!("Usage: unzip [-l] [-o|-n] [-q] [-p] [-d DIR] ARCHIVE [MEMBER...]");
                return 0;
            }
            Value(v) if u.archive.is_none() => u.archive = Some(PathBuf::from(v)),
            Value(v) => u.members.push(v.to_string_lossy().into_owned()),
            other => return util::usage("unzip", other.unexpected(), 10),
        }
    }
    let Some(archive) = u.archive.clone() else {
        eprintln!("Usage: unzip [-l] [-o|-n] [-q] [-p] [-d DIR] ARCHIVE [MEMBER...]");
        return 10;
    };
    let file = match File::open(&archive).or_else(|_| File::open(archive.with_extension("zip"))) {
        Ok(file) => file,
        Err(_) => {
            eprintln!("unzip:  cannot find or open {0}, {0}.zip or {0}.ZIP.", archive.display());
            return 9;
        }
    };
    let mut zip = match zip::ZipArchive::new(file) {
        Ok(zip) => zip,
        Err(err) => {
            eprintln!("unzip:  {}: not a zip archive ({err})", archive.display());
            return 9;
        }
    };
    if !u.quiet && !u.pipe {
        println!("Archive:  {}", archive.display());
    }
    if u.list { list(&u, &mut zip) } else { extract(&u, &mut zip) }
}

fn wanted(u: &Unzip, name: &str) -> bool {
    u.members.is_empty() || u.members.iter().any(|m| crate::cmd::tar::glob_match(m, name))
}

fn list<R: Read + Seek>(u: &Unzip, zip: &mut zip::ZipArchive<R>) -> i32 {
    println!("  Length      Date    Time    Name");
    println!("---------  ---------- -----   ----");
    let (mut total, mut count) = (0u64, 0usize);
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index(i) else { continue };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if !wanted(u, &name) {
            continue;
        }
        let date = entry.last_modified().map_or_else(
            || "1980-01-01 00:00".to_string(),
            |t| format!("{:04}-{:02}-{:02} {:02}:{:02}", t.year(), t.month(), t.day(), t.hour(), t.minute()),
        );
        println!("{:>9}  {date}   {name}", entry.size());
        total += entry.size();
        count += 1;
    }
    println!("---------                     -------");
    println!("{total:>9}                     {count} file{}", if count == 1 { "" } else { "s" });
    if count == 0 && !u.members.is_empty() { 11 } else { 0 }
}

/// An entry's name made safe as Info-ZIP makes it: no leading `/`, no `..`.
fn safe_name(name: &str, warned: &mut bool) -> Option<PathBuf> {
    let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    let kept: Vec<&str> = parts.iter().copied().filter(|p| *p != "..").collect();
    if (kept.len() != parts.len() || name.starts_with('/')) && !*warned {
        eprintln!("warning:  skipped \"../\" or leading \"/\" path component(s) in {name}");
        *warned = true;
    }
    if kept.is_empty() { None } else { Some(kept.iter().collect()) }
}

fn extract<R: Read + Seek>(u: &Unzip, zip: &mut zip::ZipArchive<R>) -> i32 {
    let dest = u.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    let overwrite = u.overwrite.unwrap_or(false);
    let mut status = 0;
    let mut matched = 0;
    let mut out = io::stdout().lock();
    for i in 0..zip.len() {
        let mut entry = match zip.by_index(i) {
            Ok(entry) => entry,
            Err(err) => {
                eprintln!("unzip: bad entry {i}: {err}");
                status = 2;
                continue;
            }
        };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if !wanted(u, &name) {
            continue;
        }
        matched += 1;
        if u.pipe {
            if entry.is_file() && io::copy(&mut entry, &mut out).is_err() {
                status = 2;
            }
            continue;
        }
        let mut warned = false;
        let Some(relative) = safe_name(&name, &mut warned) else { continue };
        if warned {
            status = status.max(1);
        }
        let path = dest.join(&relative);
        let mode = entry.unix_mode();
        if entry.is_dir() {
            if !u.quiet {
                let _ = writeln!(out, "   creating: {}/", path.display());
            }
            if let Err(err) = fs::create_dir_all(&path) {
                eprintln!("checkdir error:  cannot create {}: {}", path.display(), util::errmsg(&err));
                status = 2;
            }
            continue;
        }
        if fs::symlink_metadata(&path).is_ok() {
            if !overwrite {
                if u.overwrite.is_none() {
                    eprintln!("replace {}? [n]o (no terminal to ask: kept; -o replaces)", path.display());
                }
                continue;
            }
            let _ = fs::remove_file(&path);
        }
        if let Some(parent) = path.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let is_link = mode.is_some_and(|m| m & 0o170000 == 0o120000);
        let result = if is_link {
            let mut target = String::new();
            entry.read_to_string(&mut target).and_then(|_| wasi_ext::fs::symlink(&target, &path))
        } else {
            if !u.quiet {
                let verb =
                    if entry.compression() == zip::CompressionMethod::Stored { "extracting" } else { " inflating" };
                let _ = writeln!(out, " {verb}: {}", path.display());
            }
            File::create_new(&path).and_then(|mut file| io::copy(&mut entry, &mut file)).and_then(|_| match mode {
                Some(mode) => wasi_ext::fs::chmod(&path, mode & 0o777),
                None => Ok(()),
            })
        };
        if let Err(err) = result {
            eprintln!("error:  cannot create {}: {}", path.display(), util::errmsg(&err));
            status = 2;
        }
    }
    if matched == 0 && !u.members.is_empty() {
        for member in &u.members {
            eprintln!("caution: filename not matched:  {member}");
        }
        return 11;
    }
    status
}
