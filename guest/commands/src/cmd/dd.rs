//! `dd [OPERAND]...`: copies and converts blocks. Replaces uutils `dd`,
//! which starts a progress thread (threads do not exist on wasip1).
//!
//! Operands: `if=` `of=` `bs=` `ibs=` `obs=` `count=` `skip=` `seek=`
//! (`iseek=`/`oseek=`), `conv=` (`notrunc`, `noerror`, `sync`, `ucase`,
//! `lcase`, `swab`, `excl`, `nocreat`, `fsync`, `fdatasync`, `sparse`),
//! `iflag=`/`oflag=` (`fullblock`, `count_bytes`, `skip_bytes`,
//! `seek_bytes`, `append`), `status=` (`none`, `noxfer`, `progress`).
//! Sizes take GNU suffixes (`c w b K M G…`, `kB MB…`, `x`). The transfer
//! statistics give the elapsed time and rate only with the clock grant.
//! `conv=ascii/ebcdic/ibm/block/unblock` and `iflag=direct` and the like
//! are refused as not supported.

use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};

use crate::util;

#[derive(Default)]
struct Conv {
    notrunc: bool,
    noerror: bool,
    sync: bool,
    ucase: bool,
    lcase: bool,
    swab: bool,
    excl: bool,
    nocreat: bool,
    fsync: bool,
}

#[derive(Default)]
struct Flags {
    fullblock: bool,
    count_bytes: bool,
    skip_bytes: bool,
    seek_bytes: bool,
    append: bool,
}

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    match run(cmd, args) {
        Ok(code) => code,
        Err(msg) => util::fail(cmd, msg),
    }
}

fn run(cmd: &str, args: Vec<OsString>) -> Result<i32, String> {
    let (mut input, mut output) = (None, None);
    let (mut ibs, mut obs) = (512u64, 512u64);
    let (mut count, mut skip, mut seek) = (None, 0u64, 0u64);
    let mut conv = Conv::default();
    let mut flags = Flags::default();
    let mut status_level = 2; // 0 none, 1 noxfer, 2 default
    for arg in &args {
        let arg = arg.to_string_lossy();
        if arg == "--help" {
            println!("Usage: dd [OPERAND]...");
            return Ok(0);
        }
        let Some((key, value)) = arg.split_once('=') else {
            return Ok(util::usage(cmd, format!("unrecognized operand '{arg}'"), 1));
        };
        let size = || util::parse_size(value).ok_or_else(|| format!("invalid number: '{value}'"));
        match key {
            "if" => input = Some(value.to_string()),
            "of" => output = Some(value.to_string()),
            "bs" => {
                ibs = size()?;
                obs = ibs;
            }
            "ibs" => ibs = size()?,
            "obs" => obs = size()?,
            "count" => count = Some(size()?),
            "skip" | "iseek" => skip = size()?,
            "seek" | "oseek" => seek = size()?,
            "conv" => {
                for word in value.split(',') {
                    match word {
                        "notrunc" => conv.notrunc = true,
                        "noerror" => conv.noerror = true,
                        "sync" => conv.sync = true,
                        "ucase" => conv.ucase = true,
                        "lcase" => conv.lcase = true,
                        "swab" => conv.swab = true,
                        "excl" => conv.excl = true,
                        "nocreat" => conv.nocreat = true,
                        "fsync" | "fdatasync" => conv.fsync = true,
                        // Holes are an optimisation; writing the zeros gives the same file.
                        "sparse" => {}
                        "ascii" | "ebcdic" | "ibm" | "block" | "unblock" => {
                            return Ok(util::not_supported(cmd, &format!("conv={word}")));
                        }
                        _ => return Ok(util::usage(cmd, format!("invalid conversion: '{word}'"), 1)),
                    }
                }
            }
            "iflag" | "oflag" => {
                for word in value.split(',') {
                    match word {
                        "fullblock" if key == "iflag" => flags.fullblock = true,
                        "count_bytes" if key == "iflag" => flags.count_bytes = true,
                        "skip_bytes" if key == "iflag" => flags.skip_bytes = true,
                        "seek_bytes" if key == "oflag" => flags.seek_bytes = true,
                        "append" if key == "oflag" => flags.append = true,
                        "direct" | "dsync" | "sync" | "nonblock" | "noatime" | "nocache" | "noctty" | "nofollow"
                        | "directory" | "binary" | "text" => {
                            return Ok(util::not_supported(cmd, &format!("{key}={word}")));
                        }
                        _ => {
                            let what = if key == "iflag" { "input" } else { "output" };
                            return Ok(util::usage(cmd, format!("invalid {what} flag: '{word}'"), 1));
                        }
                    }
                }
            }
            "status" => {
                status_level = match value {
                    "none" => 0,
                    "noxfer" => 1,
                    "progress" => 2,
                    _ => return Ok(util::usage(cmd, format!("invalid status level: '{value}'"), 1)),
                }
            }
            _ => return Ok(util::usage(cmd, format!("unrecognized operand '{arg}'"), 1)),
        }
    }
    if ibs == 0 || obs == 0 {
        return Err("invalid number: block size cannot be 0".into());
    }
    if conv.ucase && conv.lcase {
        return Err("cannot combine lcase and ucase".into());
    }
    if conv.excl && conv.nocreat {
        return Err("cannot combine excl and nocreat".into());
    }
    let started = now_ns();

    // Input.
    let mut reader: Box<dyn Read> = match &input {
        Some(path) => {
            let mut file = File::open(path).map_err(|e| format!("failed to open '{path}': {}", util::errmsg(&e)))?;
            let offset = if flags.skip_bytes { skip } else { skip.saturating_mul(ibs) };
            if offset > 0 {
                file.seek(SeekFrom::Start(offset))
                    .map_err(|e| format!("'{path}': cannot skip: {}", util::errmsg(&e)))?;
            }
            Box::new(file)
        }
        None => {
            let mut stdin: Box<dyn Read> = Box::new(io::stdin().lock());
            let offset = if flags.skip_bytes { skip } else { skip.saturating_mul(ibs) };
            if offset > 0 {
                io::copy(&mut (&mut stdin).take(offset), &mut io::sink())
                    .map_err(|e| format!("'standard input': cannot skip: {}", util::errmsg(&e)))?;
            }
            stdin
        }
    };

    // Output.
    let seek_bytes = if flags.seek_bytes { seek } else { seek.saturating_mul(obs) };
    let mut writer: Box<dyn Write> = match &output {
        Some(path) => {
            let mut options = OpenOptions::new();
            options.write(true);
            if flags.append {
                options.append(true);
            }
            if conv.excl {
                options.create_new(true);
            } else if !conv.nocreat {
                options.create(true);
            }
            let mut file = options.open(path).map_err(|e| format!("failed to open '{path}': {}", util::errmsg(&e)))?;
            // Only a regular file is truncated (as GNU dd: not /dev/null).
            let regular = file.metadata().is_ok_and(|m| m.is_file());
            if regular && !conv.notrunc && !flags.append {
                file.set_len(seek_bytes).map_err(|e| format!("failed to truncate '{path}': {}", util::errmsg(&e)))?;
            }
            if seek_bytes > 0 && regular {
                file.seek(SeekFrom::Start(seek_bytes))
                    .map_err(|e| format!("'{path}': cannot seek: {}", util::errmsg(&e)))?;
            }
            Box::new(FileOut { file, fsync: conv.fsync })
        }
        None if seek_bytes > 0 => return Err("'standard output': cannot seek: Illegal seek".into()),
        None => Box::new(io::stdout().lock()),
    };

    // Copy.
    let (mut full_in, mut partial_in, mut full_out, mut partial_out) = (0u64, 0u64, 0u64, 0u64);
    let mut bytes_out = 0u64;
    let mut bytes_in = 0u64;
    let mut pending: Vec<u8> = Vec::new();
    let mut block = vec![0u8; usize::try_from(ibs).map_err(|_| "block size too large")?];
    let mut status = 0;
    loop {
        let want = match count {
            Some(n) if flags.count_bytes => {
                let left = n.saturating_sub(bytes_in);
                if left == 0 {
                    break;
                }
                left.min(ibs) as usize
            }
            Some(n) if full_in + partial_in >= n => break,
            _ => block.len(),
        };
        let got = match read_block(&mut reader, &mut block[..want], flags.fullblock) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if conv.noerror => {
                eprintln!(
                    "{cmd}: error reading '{}': {}",
                    input.as_deref().unwrap_or("standard input"),
                    util::errmsg(&err)
                );
                status = 1;
                partial_in += 1;
                continue;
            }
            Err(err) => {
                eprintln!(
                    "{cmd}: error reading '{}': {}",
                    input.as_deref().unwrap_or("standard input"),
                    util::errmsg(&err)
                );
                status = 1;
                break;
            }
        };
        bytes_in += got as u64;
        if got == want {
            full_in += 1;
        } else {
            partial_in += 1;
        }
        let mut data = block[..got].to_vec();
        if conv.sync && got < want {
            data.resize(want, 0);
        }
        if conv.swab {
            for pair in data.chunks_exact_mut(2) {
                pair.swap(0, 1);
            }
        }
        if conv.ucase {
            data.make_ascii_uppercase();
        } else if conv.lcase {
            data.make_ascii_lowercase();
        }
        pending.extend_from_slice(&data);
        while pending.len() as u64 >= obs {
            let rest = pending.split_off(obs as usize);
            writer.write_all(&pending).map_err(|e| format!("error writing: {}", util::errmsg(&e)))?;
            bytes_out += obs;
            full_out += 1;
            pending = rest;
        }
    }
    if !pending.is_empty() {
        writer.write_all(&pending).map_err(|e| format!("error writing: {}", util::errmsg(&e)))?;
        bytes_out += pending.len() as u64;
        partial_out += 1;
    }
    writer.flush().map_err(|e| format!("error writing: {}", util::errmsg(&e)))?;
    drop(writer);

    if status_level > 0 {
        eprintln!("{full_in}+{partial_in} records in\n{full_out}+{partial_out} records out");
    }
    if status_level > 1 {
        eprintln!("{}", transfer_line(bytes_out, started.and_then(|s| now_ns().map(|e| e.saturating_sub(s)))));
    }
    Ok(status)
}

/// Reads one input block: one `read`, or with `fullblock` as many as it
/// takes to fill it (or reach EOF).
fn read_block(reader: &mut dyn Read, buf: &mut [u8], fullblock: bool) -> io::Result<usize> {
    if !fullblock {
        loop {
            match reader.read(buf) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// An output file that is synced at the end with `conv=fsync`.
struct FileOut {
    file: File,
    fsync: bool,
}

impl Write for FileOut {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()?;
        if self.fsync { self.file.sync_all() } else { Ok(()) }
    }
}

/// The monotonic clock in ns, if the VM has the clock grant.
fn now_ns() -> Option<u64> {
    // SAFETY: a plain preview1 call with no pointers.
    unsafe { wasi::clock_time_get(wasi::CLOCKID_MONOTONIC, 1) }.ok()
}

/// GNU dd's last line: `N bytes (1.0 kB, 1000 B) copied, T s, R/s`.
fn transfer_line(bytes: u64, elapsed_ns: Option<u64>) -> String {
    let mut line = if bytes < 1000 {
        format!("{bytes} bytes copied")
    } else {
        format!(
            "{bytes} bytes ({}, {}) copied",
            si(bytes as f64, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB"]),
            si(bytes as f64, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB", "PiB"])
        )
    };
    if let Some(ns) = elapsed_ns {
        let secs = ns as f64 / 1e9;
        let rate = if secs > 0.0 {
            si(bytes as f64 / secs, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB"])
        } else {
            "Infinity B".into()
        };
        line.push_str(&format!(", {secs:.6} s, {rate}/s"));
    }
    line
}

fn si(mut value: f64, base: f64, units: &[&str]) -> String {
    let mut unit = 0;
    while value >= base && unit < units.len() - 1 {
        value /= base;
        unit += 1;
    }
    if value < 10.0 && unit > 0 { format!("{value:.1} {}", units[unit]) } else { format!("{value:.0} {}", units[unit]) }
}
