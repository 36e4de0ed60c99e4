//! `zstd [OPTION]... [FILE]...`, `unzstd` (`zstd -d`) and `zstdcat`
//! (`zstd -dcf`): Zstandard by the pure-Rust `ruzstd` crate.
//!
//! As zstd's CLI: `FILE` becomes `FILE.zst` (and `X.zst` becomes `X`,
//! `X.tzst` becomes `X.tar`), the source is kept unless `--rm`, the twin
//! keeps the source's mode and modification time, an existing output is
//! not overwritten without `-f`, and with no file, or `-`, stdin goes to
//! stdout. Options: `-z`, `-d`, `-c`, `-k`, `--rm`, `-f`, `-q`, `-v`, `-t`,
//! `-o FILE`, `-T#`/`--threads=#`, `-#` (1 to 19, 20 to 22 with `--ultra`),
//! `--fast[=#]`, `--check`/`--no-check`, `--[no-]progress`, `--long[=#]`,
//! `-M#`, `-B#`. Decompression reads every frame of the input, skips
//! skippable frames and verifies each frame's checksum; with `-d -c -f`
//! (so `zstdcat`), input that is not Zstandard is copied as it is.
//!
//! Not as zstd: `ruzstd`'s encoder has one level, about zstd's `-1`, so
//! every level is accepted and compresses as `-1` (the output is a valid
//! `.zst` that any zstd reads), always single-threaded and with a content
//! checksum. `-l`, `-r`, `--train` and dictionaries (`-D`) are refused as
//! not supported. An existing output is never asked about: it is an error
//! without `-f`. Exit status 0, or 1 if any input failed.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use ruzstd::encoding::{CompressionLevel, FrameCompressor};

use crate::util;

/// The first four bytes of a Zstandard frame.
const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How much one decoding step may decode before its output is written out
/// (besides the frame's window, which the decoder keeps).
const DECODE_STEP: usize = 1 << 20;

/// What a run was asked to do.
#[derive(Default)]
struct Run {
    decompress: bool,
    test: bool,
    stdout: bool,
    remove: bool,
    force: bool,
    /// 0 quiet, 1 errors only (the default with `-c`), 2 a summary per file.
    verbosity: Option<u8>,
    output: Option<OsString>,
}

/// `zstd`, `unzstd` and `zstdcat`: see the module doc.
pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let mut run = Run::default();
    match cmd {
        "unzstd" => run.decompress = true,
        "zstdcat" => (run.decompress, run.stdout, run.force) = (true, true, true),
        _ => {}
    }
    let mut files: Vec<OsString> = Vec::new();
    let mut quiet_steps = 0u8;
    let mut loud_steps = 0u8;
    let mut args = args.into_iter();
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy().into_owned();
        if options_done || text == "-" || !text.starts_with('-') {
            files.push(arg);
            continue;
        }
        if let Some(long) = text.strip_prefix("--") {
            let (name, value) = long.split_once('=').unwrap_or((long, ""));
            match name {
                "" => options_done = true,
                "decompress" | "uncompress" => run.decompress = true,
                "compress" => run.decompress = false,
                "stdout" => run.stdout = true,
                "keep" => {}
                "rm" => run.remove = true,
                "force" => run.force = true,
                "quiet" => quiet_steps += 1,
                "verbose" => loud_steps += 1,
                "test" => run.test = true,
                "output" if !value.is_empty() => run.output = Some(value.into()),
                "output" => match args.next() {
                    Some(file) => run.output = Some(file),
                    None => return usage_error("--output requires an argument"),
                },
                "ultra" | "fast" | "threads" | "check" | "no-check" | "progress" | "no-progress" | "long"
                | "memory" | "single-thread" | "no-content-size" | "content-size" | "sparse" | "no-sparse" => {}
                "help" => return help(),
                "version" => return version(),
                "list" => return util::not_supported("zstd", "--list is not implemented"),
                "train" => return util::not_supported("zstd", "dictionaries are not implemented"),
                _ => return usage_error(&format!("unknown option: {text}")),
            }
            continue;
        }
        // Short options, bundled (`-dcf`, `-19`, `-T0`, `-qo FILE`).
        let letters: Vec<char> = text[1..].chars().collect();
        let mut i = 0;
        while i < letters.len() {
            let letter = letters[i];
            i += 1;
            match letter {
                '0'..='9' => {}
                'd' => run.decompress = true,
                'z' => run.decompress = false,
                'c' => run.stdout = true,
                'k' => {}
                'f' => run.force = true,
                'q' => quiet_steps += 1,
                'v' => loud_steps += 1,
                't' => run.test = true,
                // A number follows (threads, memory, block size): skip it.
                'T' | 'M' | 'B' => i = letters.len(),
                'o' => {
                    let rest: String = letters[i..].iter().collect();
                    i = letters.len();
                    run.output = if rest.is_empty() { args.next() } else { Some(rest.into()) };
                    if run.output.is_none() {
                        return usage_error("-o requires an argument");
                    }
                }
                'h' | 'H' => return help(),
                'V' => return version(),
                'l' => return util::not_supported("zstd", "--list is not implemented"),
                'r' => return util::not_supported("zstd", "-r is not implemented"),
                'D' => return util::not_supported("zstd", "dictionaries are not implemented"),
                _ => return usage_error(&format!("unknown option: -{letter}")),
            }
        }
    }
    // zstd says less when writing to stdout.
    let base: u8 = if run.stdout || run.test || files.is_empty() { 1 } else { 2 };
    run.verbosity = Some((base + loud_steps).saturating_sub(quiet_steps));
    if files.is_empty() {
        files.push("-".into());
    }
    if run.output.is_some() && files.len() > 1 {
        eprintln!("zstd: Concatenating multiple processed inputs into a single output loses file metadata.");
        return 1;
    }
    let mut status = 0;
    for file in &files {
        let result = if file == "-" { run.stream() } else { run.file(Path::new(file)) };
        if let Err(message) = result {
            if run.verbosity.unwrap_or(1) >= 1 {
                eprintln!("zstd: {message}");
            }
            status = 1;
        }
    }
    util::flush_stdout();
    status
}

fn usage_error(message: &str) -> i32 {
    eprintln!("zstd: {message}");
    eprintln!("Usage: zstd [OPTION]... [FILE]...  (zstd --help for more)");
    1
}

fn help() -> i32 {
    println!("Usage: zstd [OPTION]... [FILE]...");
    println!("Compress or decompress FILEs (FILE.zst); with no FILE, or -, stdin to stdout.");
    println!("  -d  decompress         -c  write to stdout      -o FILE  write to FILE");
    println!("  -f  overwrite, and pass non-zstd input through with -dc");
    println!("  -k  keep the source (the default)   --rm  remove it after success");
    println!("  -t  test compressed data            -q/-v  less/more messages");
    println!("  -#  level (accepted; capsa's encoder has one level, about zstd -1)");
    0
}

fn version() -> i32 {
    println!("*** Zstandard CLI (capsa, ruzstd) ***");
    0
}

/// `path: message` for an I/O error on `path`.
fn error(path: &Path, err: &io::Error) -> String {
    format!("{}: {}", path.display(), util::errmsg(err))
}

impl Run {
    /// stdin to stdout (or to `-o FILE`).
    fn stream(&self) -> Result<(), String> {
        let name = Path::new("/*stdin*\\");
        if let Some(output) = &self.output {
            return self.to_file(Box::new(io::stdin().lock()), name, Path::new(output), None);
        }
        let mut out = io::stdout().lock();
        if !self.decompress && !self.test && !self.force && out.is_terminal() {
            return Err("stdout is a console, aborting".to_string());
        }
        self.convert(Box::new(io::stdin().lock()), &mut out, name).map(|_| ())
    }

    /// What `path` becomes: `-o FILE`, or the name with `.zst` added or
    /// removed.
    fn target(&self, path: &Path) -> Result<PathBuf, String> {
        if let Some(output) = &self.output {
            return Ok(PathBuf::from(output));
        }
        let text = path.to_string_lossy();
        if !self.decompress {
            return Ok(PathBuf::from(format!("{text}.zst")));
        }
        for (suffix, replacement) in [(".zst", ""), (".tzst", ".tar")] {
            if let Some(stem) = text.strip_suffix(suffix).filter(|s| !s.is_empty() && !s.ends_with('/')) {
                return Ok(PathBuf::from(format!("{stem}{replacement}")));
            }
        }
        Err(format!(
            "{text}: unknown suffix (.zst/.tzst expected). Can't derive the output file name. Specify it with -o \
             dstFileName. Ignoring."
        ))
    }

    fn file(&self, path: &Path) -> Result<(), String> {
        let meta = fs::metadata(path)
            .map_err(|err| format!("can't stat {} : {} -- ignored", path.display(), util::errmsg(&err)))?;
        if meta.is_dir() {
            return Err(format!("{} is a directory -- ignored", path.display()));
        }
        let input = File::open(path).map_err(|err| error(path, &err))?;
        if self.test || (self.stdout && self.output.is_none()) {
            let mut out = io::stdout().lock();
            return self.convert(Box::new(input), &mut out, path).map(|_| ());
        }
        let target = self.target(path)?;
        self.to_file(Box::new(input), path, &target, Some(&meta))?;
        if self.remove {
            fs::remove_file(path).map_err(|err| error(path, &err))?;
        }
        Ok(())
    }

    /// Converts `input` (named `path`) into the new file `target`, which
    /// keeps the mode and modification time of `source` when there is one.
    fn to_file(
        &self,
        input: Box<dyn Read + '_>,
        path: &Path,
        target: &Path,
        source: Option<&fs::Metadata>,
    ) -> Result<(), String> {
        if fs::symlink_metadata(target).is_ok() {
            if !self.force {
                return Err(format!("{} already exists; not overwritten", target.display()));
            }
            fs::remove_file(target).map_err(|err| error(target, &err))?;
        }
        let mut out = File::create_new(target).map_err(|err| error(target, &err))?;
        let written = self.convert(input, &mut out, path).and_then(|sizes| {
            out.sync_all().map_err(|err| error(target, &err))?;
            Ok(sizes)
        });
        let (read, wrote) = match written {
            Ok(sizes) => sizes,
            Err(message) => {
                drop(out);
                let _ = fs::remove_file(target);
                return Err(message);
            }
        };
        if let Some(meta) = source {
            // The twin keeps the source's mode and modification time.
            if let Ok(stat) = wasi_ext::fs::stat(path) {
                let _ = wasi_ext::fs::chmod(target, stat.permissions());
            }
            if let Ok(modified) = meta.modified() {
                let _ = out.set_modified(modified);
            }
        }
        if self.verbosity.unwrap_or(2) >= 2 {
            let name = path.display().to_string();
            if self.decompress {
                eprintln!("{name:<20}: {wrote} bytes ");
            } else {
                let ratio = if read == 0 { 0.0 } else { 100.0 * wrote as f64 / read as f64 };
                eprintln!(
                    "{name:<20} :{ratio:6.2}%   ({:>6} => {:>6}, {}) ",
                    human(read),
                    human(wrote),
                    target.display()
                );
            }
        }
        Ok(())
    }

    /// Compresses, decompresses or tests `input` into `out`; returns the
    /// bytes read and written.
    fn convert(&self, input: Box<dyn Read + '_>, out: &mut dyn Write, path: &Path) -> Result<(u64, u64), String> {
        let mut source = Counted { inner: input, count: 0, error: None };
        let mut sink = Counted { inner: out, count: 0, error: None };
        let result = if self.decompress || self.test {
            let mut sink_or_null: Box<dyn Write + '_> = if self.test {
                Box::new(Counted { inner: io::sink(), count: 0, error: None })
            } else {
                Box::new(&mut sink)
            };
            let passthrough = self.force && self.stdout && !self.test;
            decompress(&mut BufReader::new(&mut source), &mut sink_or_null, passthrough)
                .and_then(|()| sink_or_null.flush().map_err(|err| util::errmsg(&err)))
        } else {
            let mut compressor = FrameCompressor::new(CompressionLevel::Fastest);
            compressor.set_source(&mut source);
            compressor.set_drain(&mut sink);
            compressor.compress();
            drop(compressor);
            sink.flush().map_err(|err| util::errmsg(&err))
        };
        // The compressor cannot report I/O errors: the wrappers keep them.
        if let Some(err) = source.error.take() {
            return Err(error(path, &err));
        }
        if let Some(err) = sink.error.take() {
            return Err(error(path, &err));
        }
        result.map_err(|message| format!("{} : {message}", path.display()))?;
        Ok((source.count, sink.count))
    }
}

/// Decodes every frame of `input` into `out`. With `passthrough`, input
/// that does not start with a frame is copied as it is.
fn decompress(input: &mut dyn BufRead, out: &mut dyn Write, passthrough: bool) -> Result<(), String> {
    let describe = |err: io::Error| util::errmsg(&err);
    let head = input.fill_buf().map_err(describe)?;
    if head.is_empty() {
        return if passthrough { Ok(()) } else { Err("unexpected end of file".to_string()) };
    }
    let skippable = |head: &[u8]| head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18];
    if !head.starts_with(&MAGIC) && !skippable(head) {
        if passthrough {
            io::copy(input, out).map_err(describe)?;
            return Ok(());
        }
        return Err("unsupported format".to_string());
    }
    let mut decoder = FrameDecoder::new();
    loop {
        if input.fill_buf().map_err(describe)?.is_empty() {
            return Ok(());
        }
        match decoder.reset(&mut *input) {
            Ok(()) => {}
            Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame { length, .. })) => {
                let skipped = io::copy(&mut input.take(u64::from(length)), &mut io::sink()).map_err(describe)?;
                if skipped < u64::from(length) {
                    return Err("Read error (39) : premature end".to_string());
                }
                continue;
            }
            Err(err) => return Err(format!("Decoding error: {err}")),
        }
        loop {
            let finished = decoder
                .decode_blocks(&mut *input, BlockDecodingStrategy::UptoBytes(DECODE_STEP))
                .map_err(|err| format!("Decoding error: {err}"))?;
            decoder.collect_to_writer(&mut *out).map_err(describe)?;
            if finished && decoder.is_finished() {
                break;
            }
        }
        decoder.collect_to_writer(&mut *out).map_err(describe)?;
        if let (Some(stored), Some(computed)) = (decoder.get_checksum_from_data(), decoder.get_calculated_checksum())
            && stored != computed
        {
            return Err("Decoding error (36) : Restored data doesn't match checksum".to_string());
        }
    }
}

/// A reader or writer that counts bytes and, instead of failing, keeps its
/// first error and then reads as the end of input (or swallows writes):
/// ruzstd's compressor unwraps its I/O results.
struct Counted<T> {
    inner: T,
    count: u64,
    error: Option<io::Error>,
}

impl<T: Read> Read for Counted<T> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Ok(0);
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.count += n as u64;
                Ok(n)
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => Err(err),
            Err(err) => {
                self.error = Some(err);
                Ok(0)
            }
        }
    }
}

impl<T: Write> Write for Counted<T> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.error.is_none() {
            match self.inner.write_all(buf) {
                Ok(()) => self.count += buf.len() as u64,
                Err(err) => self.error = Some(err),
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.error.is_none()
            && let Err(err) = self.inner.flush()
        {
            self.error = Some(err);
        }
        Ok(())
    }
}

/// A size as zstd's summary line writes it (`6 B`, `1.50 KiB`).
fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}
