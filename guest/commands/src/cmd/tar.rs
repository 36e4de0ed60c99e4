//! `tar`: create (`-c`), extract (`-x`) and list (`-t`) ustar/GNU/PAX
//! archives, compressed or not, with GNU tar's everyday flags: `-f FILE`
//! (`-` for stdin/stdout, the default), `-z`/`-j`/`-J` (on reading, the
//! format is found by its magic number anyway), `-a` (by suffix), `-C DIR`,
//! `-v`, `-O`, `-k`, `-m`, `-h`, `--strip-components=N`, `--exclude=GLOB`,
//! member names after the archive, and the old form `tar czf x.tgz dir`.
//! Headers and long names are the `tar` crate's; modes, owners and times
//! come from capsa's `host_fs` (preview1 has no modes).
//!
//! Extraction follows GNU tar's defaults against hostile archives: a
//! leading `/` is removed (once said), a member whose name holds `..` is
//! skipped with an error, an existing file is removed before it is
//! replaced (never written through a symlink), and the archive's symlinks
//! and hard links are made after every file, so no member is written
//! through a link the archive itself planted. Exit status 2 after any
//! error, as GNU's.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use lexopt::prelude::*;

use crate::cmd::compress::Codec;
use crate::util;

const CMD: &str = "tar";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    Extract,
    List,
}

#[derive(Debug, Default)]
struct Options {
    mode: Option<Mode>,
    archive: Option<String>,
    codec: Option<Codec>,
    auto: bool,
    directory: Option<PathBuf>,
    verbose: u8,
    to_stdout: bool,
    keep_old: bool,
    touch: bool,
    dereference: bool,
    preserve: bool,
    strip: usize,
    excludes: Vec<String>,
    names: Vec<OsString>,
}

/// Letters of the old form (`tar czf x.tgz`) whose value is the next word.
const TAKES_VALUE: &[char] = &['f', 'C', 'b', 'T', 'X'];

/// `tar czf x.tgz dir` → `tar -c -z -f x.tgz dir`.
fn modernize(mut args: Vec<OsString>) -> Vec<OsString> {
    let Some(first) = args.first().and_then(|a| a.to_str()).map(String::from) else { return args };
    if first.starts_with('-') || first.is_empty() {
        return args;
    }
    let mut rest = args.split_off(1).into_iter();
    let mut out = Vec::new();
    for letter in first.chars() {
        out.push(OsString::from(format!("-{letter}")));
        if TAKES_VALUE.contains(&letter)
            && let Some(value) = rest.next()
        {
            out.push(value);
        }
    }
    out.extend(rest);
    out
}

pub fn main(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options::default();
    let mut parser = lexopt::Parser::from_args(modernize(args));
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(CMD, err, 2),
        };
        // An option's value, or the usage error that ends the run.
        let value = |parser: &mut lexopt::Parser| {
            parser.value().map_err(|e| e.to_string()).and_then(util::string).map_err(|m| util::usage(CMD, m, 2))
        };
        let mode = match arg {
            Short('c') | Long("create") => Some(Mode::Create),
            Short('x') | Long("extract") | Long("get") => Some(Mode::Extract),
            Short('t') | Long("list") => Some(Mode::List),
            _ => None,
        };
        if let Some(mode) = mode {
            if o.mode.is_some_and(|m| m != mode) {
                return util::usage(
                    CMD,
                    "You may not specify more than one '-Acdtrux', '--delete' or  '--test-label' option",
                    2,
                );
            }
            o.mode = Some(mode);
            continue;
        }
        match arg {
            Short('f') | Long("file") => match value(&mut parser) {
                Ok(v) => o.archive = Some(v),
                Err(status) => return status,
            },
            Short('z') | Long("gzip") | Long("gunzip") | Long("ungzip") => o.codec = Some(Codec::Gzip),
            Short('j') | Long("bzip2") => o.codec = Some(Codec::Bzip2),
            Short('J') | Long("xz") => o.codec = Some(Codec::Xz),
            Short('a') | Long("auto-compress") => o.auto = true,
            Short('C') | Long("directory") => match value(&mut parser) {
                Ok(v) => o.directory = Some(PathBuf::from(v)),
                Err(status) => return status,
            },
            Short('v') | Long("verbose") => o.verbose += 1,
            Short('O') | Long("to-stdout") => o.to_stdout = true,
            Short('k') | Long("keep-old-files") => o.keep_old = true,
            Long("overwrite") | Long("unlink-first") | Short('U') => o.keep_old = false,
            Short('m') | Long("touch") => o.touch = true,
            Short('h') | Long("dereference") => o.dereference = true,
            Short('p') | Long("preserve-permissions") | Long("same-permissions") => o.preserve = true,
            Long("no-same-owner") | Long("same-owner") | Long("numeric-owner") | Long("no-same-permissions") => {}
            Long("strip-components") => match value(&mut parser).map(|v| v.parse::<usize>().map_err(|_| v)) {
                Ok(Ok(n)) => o.strip = n,
                Ok(Err(v)) => return util::usage(CMD, format!("invalid number of elements: '{v}'"), 2),
                Err(status) => return status,
            },
            Long("exclude") => match value(&mut parser) {
                Ok(v) => o.excludes.push(v),
                Err(status) => return status,
            },
            Long("help") => {
                println!("Usage: tar [OPTION...] [FILE]...");
                println!("  tar -cf archive.tar foo bar   # Create archive.tar from files foo and bar.");
                println!("  tar -tvf archive.tar          # List all files in archive.tar verbosely.");
                println!("  tar -xf archive.tar           # Extract all files from archive.tar.");
                println!("Options: -c -x -t -f FILE -z -j -J -a -C DIR -v -O -k -m -h -p");
                println!("         --strip-components=N --exclude=PATTERN");
                return 0;
            }
            Short('r') | Short('u') | Short('A') | Long("append") | Long("update") | Long("delete") => {
                return util::not_supported(CMD, "appending to or updating an archive is not implemented");
            }
            Value(v) => o.names.push(v),
            other => return util::usage(CMD, other.unexpected(), 2),
        }
    }
    let Some(mode) = o.mode else {
        return util::usage(CMD, "You must specify one of the '-Acdtrux', '--delete' or '--test-label' options", 2);
    };
    let status = match mode {
        Mode::Create => create(&o),
        Mode::Extract | Mode::List => read(&o, mode),
    };
    util::flush_stdout();
    if status != 0 {
        eprintln!("tar: Exiting with failure status due to previous errors");
    }
    status
}

/// Whether `name` matches the glob `pattern` (as [`glob`]; zip and unzip
/// select members with it too).
pub fn glob_match(pattern: &str, name: &str) -> bool {
    glob(pattern.as_bytes(), name.as_bytes())
}

/// GNU tar's glob: `*`, `?` and `[...]`, where `*` also matches `/`.
fn glob(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&pattern[1..], name) || (!name.is_empty() && glob(pattern, &name[1..])),
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &name[1..]),
        (Some(b'['), Some(&c)) => match pattern.iter().position(|&b| b == b']') {
            Some(end) if end > 1 => {
                let set = &pattern[1..end];
                let (negate, set) = match set.first() {
                    Some(b'!' | b'^') => (true, &set[1..]),
                    _ => (false, set),
                };
                let mut hit = false;
                let mut i = 0;
                while i < set.len() {
                    if i + 2 < set.len() && set[i + 1] == b'-' {
                        hit |= set[i] <= c && c <= set[i + 2];
                        i += 3;
                    } else {
                        hit |= set[i] == c;
                        i += 1;
                    }
                }
                hit != negate && glob(&pattern[end + 1..], &name[1..])
            }
            _ => c == b'[' && glob(&pattern[1..], &name[1..]),
        },
        (Some(&p), Some(&c)) => p == c && glob(&pattern[1..], &name[1..]),
        _ => false,
    }
}

/// Whether `name` is excluded: a pattern matches it, or any tail of it
/// that starts after a `/` (GNU's default, `--no-anchored`).
fn excluded(o: &Options, name: &str) -> bool {
    let name = name.trim_end_matches('/');
    o.excludes.iter().any(|pattern| {
        let pattern = pattern.trim_end_matches('/').as_bytes();
        glob(pattern, name.as_bytes())
            || name.match_indices('/').any(|(at, _)| glob(pattern, &name.as_bytes()[at + 1..]))
    })
}

// ------------------------------------------------------------------ create

fn create(o: &Options) -> i32 {
    if o.names.is_empty() {
        eprintln!("tar: Cowardly refusing to create an empty archive");
        eprintln!("Try 'tar --help' for more information.");
        return 2;
    }
    let archive = o.archive.clone().unwrap_or_else(|| "-".into());
    let codec = o.codec.or_else(|| if o.auto { codec_by_suffix(&archive) } else { None });
    let mut sink: Box<dyn Write> = if archive == "-" {
        Box::new(io::stdout().lock())
    } else {
        match File::create(&archive) {
            Ok(file) => Box::new(file),
            Err(err) => {
                eprintln!("tar: {archive}: Cannot open: {}", util::errmsg(&err));
                return 2;
            }
        }
    };
    let written = match codec {
        None => write_members(o, &mut sink),
        // Compressed: the archive is made in memory first (the codecs
        // read their input).
        Some(codec) => {
            let mut plain = Vec::new();
            write_members(o, &mut plain)
                .and_then(|status| codec.compress(&mut plain.as_slice(), &mut sink, 6).map(|()| status))
        }
    };
    match written {
        Ok(status) => status,
        Err(err) => {
            eprintln!("tar: {archive}: Cannot write: {}", util::errmsg(&err));
            2
        }
    }
}

/// Writes every member named on the command line as a tar stream into
/// `out`; the status says whether some could not be added.
fn write_members(o: &Options, out: &mut dyn Write) -> io::Result<i32> {
    let mut builder = tar::Builder::new(out);
    let mut writer = Writer { o, builder: &mut builder, links: BTreeMap::new(), status: 0, said_root: false };
    let base = o.directory.clone().unwrap_or_default();
    for name in &o.names {
        writer.add(&base, &PathBuf::from(name));
    }
    let status = writer.status;
    builder.finish()?;
    Ok(status)
}

fn codec_by_suffix(name: &str) -> Option<Codec> {
    let ends = |s: &[&str]| s.iter().any(|suffix| name.ends_with(suffix));
    if ends(&[".gz", ".tgz", ".taz"]) {
        Some(Codec::Gzip)
    } else if ends(&[".bz2", ".tbz", ".tbz2", ".tb2"]) {
        Some(Codec::Bzip2)
    } else if ends(&[".xz", ".txz"]) {
        Some(Codec::Xz)
    } else {
        None
    }
}

struct Writer<'a, 'b, W: Write> {
    o: &'a Options,
    builder: &'b mut tar::Builder<W>,
    /// Files with more than one link, by (device, inode): the first name.
    /// (A BTreeMap: a std HashMap needs entropy a VM may not grant.)
    links: BTreeMap<(u64, u64), String>,
    status: i32,
    said_root: bool,
}

impl<W: Write> Writer<'_, '_, W> {
    fn fail(&mut self, path: &Path, what: &str, err: &io::Error) {
        eprintln!("tar: {}: {what}: {}", path.display(), util::errmsg(err));
        self.status = 2;
    }

    /// Adds `name` (relative to `base`, or absolute) and what is under it.
    fn add(&mut self, base: &Path, name: &Path) {
        let on_disk =
            if name.is_absolute() || base.as_os_str().is_empty() { name.to_path_buf() } else { base.join(name) };
        let mut stored = name.to_string_lossy().into_owned();
        if stored.starts_with('/') {
            if !self.said_root {
                eprintln!("tar: Removing leading `/' from member names");
                self.said_root = true;
            }
            stored = stored.trim_start_matches('/').to_string();
            if stored.is_empty() {
                stored = ".".into();
            }
        }
        if excluded(self.o, &stored) {
            return;
        }
        let stat = if self.o.dereference { wasi_ext::fs::stat(&on_disk) } else { wasi_ext::fs::lstat(&on_disk) };
        let stat = match stat {
            Ok(stat) => stat,
            Err(err) => return self.fail(&on_disk, "Cannot stat", &err),
        };
        let mut header = tar::Header::new_gnu();
        header.set_mode(stat.permissions());
        header.set_uid(u64::from(stat.uid));
        header.set_gid(u64::from(stat.gid));
        header.set_mtime(stat.mtime / 1_000_000_000);
        if let Ok(user) = wasi_ext::getpwuid(stat.uid) {
            let _ = header.set_username(&user.name);
        }
        if let Ok(group) = wasi_ext::getgrgid(stat.gid) {
            let _ = header.set_groupname(&group.name);
        }
        if self.o.verbose > 0 {
            let shown = if stat.is_dir() && !stored.ends_with('/') { format!("{stored}/") } else { stored.clone() };
            // With -f -, the listing would mix with the archive: GNU sends it to stderr.
            if self.o.archive.as_deref().is_none_or(|a| a == "-") {
                eprintln!("{shown}");
            } else {
                println!("{shown}");
            }
        }
        if stat.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            let dir_name = if stored.ends_with('/') { stored.clone() } else { format!("{stored}/") };
            if let Err(err) = self.builder.append_data(&mut header, &dir_name, io::empty()) {
                return self.fail(&on_disk, "Cannot write", &err);
            }
            let mut children: Vec<OsString> = match fs::read_dir(&on_disk) {
                Ok(read) => read.filter_map(|e| e.ok().map(|e| e.file_name())).collect(),
                Err(err) => return self.fail(&on_disk, "Cannot open", &err),
            };
            children.sort();
            for child in children {
                self.add(base, &name.join(child));
            }
        } else if stat.is_symlink() {
            let target = match fs::read_link(&on_disk) {
                Ok(target) => target,
                Err(err) => return self.fail(&on_disk, "Cannot readlink", &err),
            };
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            if let Err(err) = self.builder.append_link(&mut header, &stored, &target) {
                self.fail(&on_disk, "Cannot write", &err);
            }
        } else if stat.is_file() {
            if stat.nlink > 1 {
                if let Some(first) = self.links.get(&(stat.dev, stat.ino)).cloned() {
                    header.set_entry_type(tar::EntryType::Link);
                    header.set_size(0);
                    if let Err(err) = self.builder.append_link(&mut header, &stored, &first) {
                        self.fail(&on_disk, "Cannot write", &err);
                    }
                    return;
                }
                self.links.insert((stat.dev, stat.ino), stored.clone());
            }
            let file = match File::open(&on_disk) {
                Ok(file) => file,
                Err(err) => return self.fail(&on_disk, "Cannot open", &err),
            };
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(stat.size);
            if let Err(err) = self.builder.append_data(&mut header, &stored, file) {
                self.fail(&on_disk, "Cannot write", &err);
            }
        } else {
            eprintln!("tar: {}: socket, device or FIFO ignored", on_disk.display());
        }
    }
}

// ------------------------------------------------------------ extract, list

/// The archive's bytes, decompressed if they are compressed.
fn open_archive(o: &Options) -> io::Result<Box<dyn Read>> {
    let archive = o.archive.clone().unwrap_or_else(|| "-".into());
    let raw: Box<dyn Read> = if archive == "-" { Box::new(io::stdin()) } else { Box::new(File::open(&archive)?) };
    let mut raw = BufReader::new(raw);
    let head = raw.fill_buf()?.to_vec();
    // The magic number decides, as GNU tar does; -z/-j/-J only when it
    // says nothing (an empty archive).
    Ok(match Codec::sniff(&head).or(if head.is_empty() { o.codec } else { None }) {
        Some(codec) => codec.decoder(Box::new(raw)),
        None => Box::new(raw),
    })
}

/// Whether `name` was asked for by the names after the archive (all when
/// none were given); marks the names that matched.
fn wanted(o: &Options, name: &str, matched: &mut [bool]) -> bool {
    if o.names.is_empty() {
        return true;
    }
    let name = name.trim_end_matches('/');
    let mut hit = false;
    for (asked, seen) in o.names.iter().zip(matched.iter_mut()) {
        let asked = asked.to_string_lossy();
        let asked = asked.trim_end_matches('/');
        if name == asked || name.strip_prefix(asked).is_some_and(|rest| rest.starts_with('/')) {
            *seen = true;
            hit = true;
        }
    }
    hit
}

/// What extraction leaves for the end: links (so nothing is written
/// through one), then directory modes and times.
enum Later {
    Symlink { path: PathBuf, target: PathBuf },
    HardLink { path: PathBuf, target: PathBuf },
}

fn read(o: &Options, mode: Mode) -> i32 {
    let archive_name = o.archive.clone().unwrap_or_else(|| "-".into());
    let input = match open_archive(o) {
        Ok(input) => input,
        Err(err) => {
            eprintln!("tar: {archive_name}: Cannot open: {}", util::errmsg(&err));
            return 2;
        }
    };
    let dest = o.directory.clone().unwrap_or_else(|| PathBuf::from("."));
    let mut archive = tar::Archive::new(input);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(err) => {
            eprintln!("tar: {archive_name}: {}", util::errmsg(&err));
            return 2;
        }
    };
    let umask = wasi_ext::fs::umask(0o022);
    wasi_ext::fs::umask(umask);
    let mut status = 0;
    let mut said_root = false;
    let mut matched = vec![false; o.names.len()];
    let mut later = Vec::new();
    let mut dirs: Vec<(PathBuf, u32, u64)> = Vec::new();
    let mut out = io::stdout().lock();
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                eprintln!("tar: {}", util::errmsg(&err));
                eprintln!("tar: Error is not recoverable: exiting now");
                return 2;
            }
        };
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mut name = raw_name.clone();
        if name.starts_with('/') {
            if !said_root {
                eprintln!("tar: Removing leading `/' from member names");
                said_root = true;
            }
            name = name.trim_start_matches('/').to_string();
        }
        if excluded(o, &name) || !wanted(o, &name, &mut matched) {
            continue;
        }
        let header = entry.header().clone();
        let kind = header.entry_type();
        if mode == Mode::List {
            if o.verbose > 0 {
                let _ = writeln!(out, "{}", long_listing(&header, &name, entry.link_name_bytes().as_deref()));
            } else {
                let _ = writeln!(out, "{name}");
            }
            continue;
        }
        if o.to_stdout {
            if kind.is_file()
                && let Err(err) = io::copy(&mut entry, &mut out)
            {
                eprintln!("tar: {name}: {}", util::errmsg(&err));
                status = 2;
            }
            continue;
        }
        // --strip-components: a member with no component left is skipped.
        let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        if parts.contains(&"..") {
            eprintln!("tar: {raw_name}: Member name contains '..'");
            status = 2;
            continue;
        }
        if parts.len() <= o.strip {
            continue;
        }
        let relative: PathBuf = parts[o.strip..].iter().collect();
        let path = dest.join(&relative);
        if o.verbose > 0 {
            let _ = writeln!(out, "{name}");
        }
        let perms = header.mode().unwrap_or(0o644) & 0o7777;
        let perms = if o.preserve { perms } else { perms & !umask };
        let mtime = header.mtime().unwrap_or(0);
        let result = match kind {
            tar::EntryType::Directory => fs::create_dir_all(&path).map(|()| dirs.push((path.clone(), perms, mtime))),
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let Some(target) = entry.link_name().ok().flatten().map(|t| t.into_owned()) else {
                    eprintln!("tar: {name}: a link without a target");
                    status = 2;
                    continue;
                };
                if kind == tar::EntryType::Link {
                    // A hard link names another member: the same rules apply.
                    let text = target.to_string_lossy();
                    let parts: Vec<&str> = text.trim_start_matches('/').split('/').filter(|p| !p.is_empty()).collect();
                    if parts.contains(&"..") || parts.len() <= o.strip {
                        eprintln!("tar: {raw_name}: Cannot hard link to '{text}': Invalid cross-device link");
                        status = 2;
                        continue;
                    }
                    let target = dest.join(parts[o.strip..].iter().collect::<PathBuf>());
                    later.push(Later::HardLink { path: path.clone(), target });
                } else {
                    later.push(Later::Symlink { path: path.clone(), target });
                }
                Ok(())
            }
            kind if kind.is_file() || kind == tar::EntryType::Continuous => {
                write_file(o, &path, &mut entry, perms, mtime)
            }
            _ => {
                eprintln!("tar: {name}: Cannot mknod: Operation not permitted");
                status = 2;
                continue;
            }
        };
        if let Err(err) = result {
            eprintln!("tar: {name}: Cannot open: {}", util::errmsg(&err));
            status = 2;
        }
    }
    for item in later {
        let (path, made) = match item {
            Later::Symlink { path, target } => {
                let made = replace(o, &path).and_then(|()| wasi_ext::fs::symlink(&target, &path));
                (path, made)
            }
            Later::HardLink { path, target } => {
                let made = replace(o, &path).and_then(|()| fs::hard_link(&target, &path));
                (path, made)
            }
        };
        if let Err(err) = made {
            eprintln!("tar: {}: Cannot create link: {}", path.display(), util::errmsg(&err));
            status = 2;
        }
    }
    // Directories last, deepest first: their modes may forbid writing in them.
    dirs.sort_by_key(|(path, ..)| std::cmp::Reverse(path.components().count()));
    for (path, perms, mtime) in dirs {
        let _ = wasi_ext::fs::chmod(&path, perms);
        if !o.touch
            && let Ok(dir) = File::open(&path)
        {
            let _ = dir.set_modified(UNIX_EPOCH + Duration::from_secs(mtime));
        }
    }
    for (asked, seen) in o.names.iter().zip(&matched) {
        if !seen {
            eprintln!("tar: {}: Not found in archive", asked.to_string_lossy());
            status = 2;
        }
    }
    status
}

/// Makes room for `path`: its parents, and no file (or link) in its place,
/// as GNU tar's default; with `-k`, an existing file is an error.
fn replace(o: &Options, path: &Path) -> io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    match fs::symlink_metadata(path) {
        Ok(_) if o.keep_old => Err(io::Error::new(io::ErrorKind::AlreadyExists, "File exists")),
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => fs::remove_file(path),
        Err(_) => Ok(()),
    }
}

fn write_file(o: &Options, path: &Path, data: &mut impl Read, perms: u32, mtime: u64) -> io::Result<()> {
    replace(o, path)?;
    if path.components().next_back().is_none_or(|c| matches!(c, Component::ParentDir)) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a file name"));
    }
    let mut file = File::create_new(path)?;
    io::copy(data, &mut file)?;
    wasi_ext::fs::chmod(path, perms)?;
    if !o.touch {
        file.set_modified(UNIX_EPOCH + Duration::from_secs(mtime))?;
    }
    Ok(())
}

/// `tar -tv`'s line: mode, owner/group, size, date, name (and link).
fn long_listing(header: &tar::Header, name: &str, link: Option<&[u8]>) -> String {
    let kind = header.entry_type();
    let letter = match kind {
        tar::EntryType::Directory => 'd',
        tar::EntryType::Symlink => 'l',
        tar::EntryType::Char => 'c',
        tar::EntryType::Block => 'b',
        tar::EntryType::Fifo => 'p',
        tar::EntryType::Link => 'h',
        _ => '-',
    };
    let mode = header.mode().unwrap_or(0);
    let mut bits = String::with_capacity(10);
    bits.push(letter);
    for (shift, special, lower, upper) in [(6, 0o4000, 's', 'S'), (3, 0o2000, 's', 'S'), (0, 0o1000, 't', 'T')] {
        let triple = (mode >> shift) & 7;
        bits.push(if triple & 4 != 0 { 'r' } else { '-' });
        bits.push(if triple & 2 != 0 { 'w' } else { '-' });
        bits.push(match (triple & 1 != 0, mode & special != 0) {
            (true, true) => lower,
            (false, true) => upper,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    let user =
        header.username().ok().flatten().map(String::from).unwrap_or_else(|| header.uid().unwrap_or(0).to_string());
    let group =
        header.groupname().ok().flatten().map(String::from).unwrap_or_else(|| header.gid().unwrap_or(0).to_string());
    let owner = format!("{user}/{group}");
    let size = header.size().unwrap_or(0);
    let secs = header.mtime().unwrap_or(0) as i64;
    let (y, m, d) = util::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let date = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rem / 3600, rem % 3600 / 60);
    // GNU pads owner, a space and the size together to 19 columns.
    let width = 18usize.saturating_sub(owner.len()).max(1);
    let mut line = format!("{bits} {owner} {size:>width$} {date} {name}");
    if let Some(link) = link {
        let link = String::from_utf8_lossy(link);
        match kind {
            tar::EntryType::Symlink => line.push_str(&format!(" -> {link}")),
            tar::EntryType::Link => line.push_str(&format!(" link to {link}")),
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_gnu_tars() {
        assert!(glob(b"*.o", b"a/b.o"));
        assert!(glob(b"b?.[ch]", b"b1.c"));
        assert!(!glob(b"b?.[!ch]", b"b1.c"));
        assert!(!glob(b"*.o", b"a.c"));
    }

    #[test]
    fn the_old_form_takes_values_in_order() {
        let args: Vec<OsString> = ["czf", "x.tgz", "dir"].iter().map(OsString::from).collect();
        let modern: Vec<String> = modernize(args).into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(modern, ["-c", "-z", "-f", "x.tgz", "dir"]);
    }
}
