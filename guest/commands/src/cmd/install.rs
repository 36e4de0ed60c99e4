//! `install [-d] [-D] [-m MODE] [-t DIR] [-v] SOURCE... DEST`: copies files
//! and sets their mode (0755 unless `-m`), as GNU install does: `-d` makes
//! directories, `-D` makes the destination's parents, `-t DIR` names the
//! target directory first. `-o`/`-g` are refused unless they name the
//! caller (capsa processes cannot give files away). Modes are octal or
//! symbolic as `chmod` takes them (`u+x`, `a=r`).

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use lexopt::prelude::*;

use crate::util;

#[derive(Default)]
struct Options {
    directories: bool,
    parents: bool,
    mode: Option<u32>,
    target: Option<PathBuf>,
    verbose: bool,
}

/// An octal mode, or a symbolic one applied to `base`.
fn parse_mode(text: &str, base: u32) -> Option<u32> {
    if let Ok(octal) = u32::from_str_radix(text, 8) {
        return (octal <= 0o7777).then_some(octal);
    }
    let mut mode = base;
    for clause in text.split(',') {
        let op_at = clause.find(['+', '-', '='])?;
        let (who, rest) = clause.split_at(op_at);
        let (op, perms) = rest.split_at(1);
        let mut mask = 0;
        for c in if who.is_empty() { "a".chars() } else { who.chars() } {
            mask |= match c {
                'u' => 0o4700,
                'g' => 0o2070,
                'o' => 0o1007,
                'a' => 0o7777,
                _ => return None,
            };
        }
        let mut bits = 0;
        for c in perms.chars() {
            bits |= match c {
                'r' => 0o444,
                'w' => 0o222,
                'x' => 0o111,
                's' => 0o6000,
                't' => 0o1000,
                _ => return None,
            };
        }
        bits &= mask;
        match op {
            "+" => mode |= bits,
            "-" => mode &= !bits,
            _ => mode = (mode & !(mask & 0o777)) | bits,
        }
    }
    Some(mode)
}

pub fn main(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options::default();
    let mut operands: Vec<PathBuf> = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage("install", err, 1),
        };
        match arg {
            Short('d') | Long("directory") => o.directories = true,
            Short('D') => o.parents = true,
            Short('v') | Long("verbose") => o.verbose = true,
            Short('c') | Short('C') | Long("compare") | Short('p') | Long("preserve-timestamps") => {}
            Short('s') | Long("strip") => {}
            Short('m') | Long("mode") => {
                let text = parser.value().map(|v| v.to_string_lossy().into_owned()).unwrap_or_default();
                match parse_mode(&text, 0o755) {
                    Some(mode) => o.mode = Some(mode),
                    None => return util::fail("install", format!("invalid mode '{text}'")),
                }
            }
            Short('t') | Long("target-directory") => match parser.value() {
                Ok(dir) => o.target = Some(PathBuf::from(dir)),
                Err(err) => return util::bad_usage("install", err, 1),
            },
            Short('o') | Long("owner") | Short('g') | Long("group") => {
                return util::not_supported("install", "changing the owner or group (a VM's files are its own)");
            }
            Long("help") => {
                println!("Usage: install [OPTION]... SOURCE DEST");
                println!("  or:  install [OPTION]... SOURCE... DIRECTORY");
                println!("  or:  install [OPTION]... -t DIRECTORY SOURCE...");
                println!("  or:  install [OPTION]... -d DIRECTORY...");
                return 0;
            }
            Value(v) => operands.push(PathBuf::from(v)),
            other => return util::usage("install", other.unexpected(), 1),
        }
    }
    if operands.is_empty() {
        return util::usage("install", "missing file operand", 1);
    }
    let mut status = 0;
    if o.directories {
        for dir in &operands {
            let made = fs::create_dir_all(dir).and_then(|()| wasi_ext::fs::chmod(dir, o.mode.unwrap_or(0o755)));
            match made {
                Ok(()) if o.verbose => println!("install: creating directory '{}'", dir.display()),
                Ok(()) => {}
                Err(err) => {
                    status = util::fail(
                        "install",
                        format!("cannot create directory '{}': {}", dir.display(), util::errmsg(&err)),
                    )
                }
            }
        }
        return status;
    }
    let (sources, target_dir, single) = match &o.target {
        Some(dir) => (operands.clone(), Some(dir.clone()), None),
        None if operands.len() == 1 => {
            return util::usage(
                "install",
                format!("missing destination file operand after '{}'", operands[0].display()),
                1,
            );
        }
        None => {
            let dest = operands.pop().unwrap_or_default();
            if operands.len() == 1 && !dest.is_dir() {
                (operands.clone(), None, Some(dest))
            } else {
                (operands.clone(), Some(dest), None)
            }
        }
    };
    if let Some(dir) = &target_dir
        && !dir.is_dir()
    {
        if o.parents {
            let _ = fs::create_dir_all(dir);
        } else {
            return util::fail("install", format!("target '{}' is not a directory", dir.display()));
        }
    }
    for source in &sources {
        let dest = match (&target_dir, &single) {
            (Some(dir), _) => dir.join(source.file_name().unwrap_or(source.as_os_str())),
            (None, Some(dest)) => dest.clone(),
            (None, None) => continue,
        };
        if let Err(message) = install_one(&o, source, &dest) {
            status = util::fail("install", message);
        }
    }
    status
}

fn install_one(o: &Options, source: &Path, dest: &Path) -> Result<(), String> {
    if source.is_dir() {
        return Err(format!("omitting directory '{}'", source.display()));
    }
    if o.parents
        && let Some(parent) = dest.parent().filter(|p| !p.as_os_str().is_empty())
    {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create directory '{}': {}", parent.display(), util::errmsg(&e)))?;
    }
    let bytes = fs::read(source).map_err(|e| format!("cannot stat '{}': {}", source.display(), util::errmsg(&e)))?;
    // Replaced, not written through: a link at DEST is not followed.
    if fs::symlink_metadata(dest).is_ok() {
        fs::remove_file(dest).map_err(|e| format!("cannot remove '{}': {}", dest.display(), util::errmsg(&e)))?;
    }
    fs::write(dest, bytes)
        .map_err(|e| format!("cannot create regular file '{}': {}", dest.display(), util::errmsg(&e)))?;
    wasi_ext::fs::chmod(dest, o.mode.unwrap_or(0o755))
        .map_err(|e| format!("cannot change permissions of '{}': {}", dest.display(), util::errmsg(&e)))?;
    if o.verbose {
        println!("'{}' -> '{}'", source.display(), dest.display());
    }
    Ok(())
}
