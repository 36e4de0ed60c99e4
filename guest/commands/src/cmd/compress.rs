//! `gzip`, `gunzip`, `zcat`, `bzip2`, `bunzip2`, `bzcat`, `xz`, `unxz`,
//! `xzcat`: one command over three codecs, with GNU gzip's everyday flags
//! (`-d -c -k -f -t -v -1..-9`, `--stdout`, `--keep`, `--force`). A file
//! is replaced by its compressed (or decompressed) twin, which keeps its
//! mode and modification time; with no file, or `-`, stdin goes to stdout.
//!
//! Codecs: gzip by `flate2` (miniz_oxide), bzip2 by `bzip2` (libbz2-rs, a
//! Rust port of libbzip2), xz by `lzma-rs` (its encoder writes valid `.xz`
//! streams but compresses less than xz's own). Exit status as gzip's: 0,
//! 1 on an error, 2 when a file was skipped with a warning.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use lexopt::prelude::*;

use crate::util;

/// A compression format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Bzip2,
    Xz,
}

impl Codec {
    /// The program name GNU uses in messages.
    fn program(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Bzip2 => "bzip2",
            Codec::Xz => "xz",
        }
    }

    /// Suffixes a compressed file has, the usual first, with what each
    /// becomes when decompressed.
    fn suffixes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Codec::Gzip => &[(".gz", ""), (".tgz", ".tar"), (".taz", ".tar"), (".z", ""), ("-gz", "")],
            Codec::Bzip2 => &[(".bz2", ""), (".tbz2", ".tar"), (".tbz", ".tar"), (".bz", "")],
            Codec::Xz => &[(".xz", ""), (".txz", ".tar")],
        }
    }

    /// The codec whose magic number starts `head`, if any.
    pub fn sniff(head: &[u8]) -> Option<Codec> {
        if head.starts_with(&[0x1f, 0x8b]) {
            Some(Codec::Gzip)
        } else if head.starts_with(b"BZh") {
            Some(Codec::Bzip2)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Codec::Xz)
        } else {
            None
        }
    }

    /// Compresses all of `input` into `output` at `level` (1–9).
    pub fn compress(self, input: &mut dyn Read, output: &mut dyn Write, level: u32) -> io::Result<()> {
        match self {
            Codec::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(output, flate2::Compression::new(level));
                io::copy(input, &mut encoder)?;
                encoder.finish()?.flush()
            }
            Codec::Bzip2 => {
                let mut encoder = bzip2::write::BzEncoder::new(output, bzip2::Compression::new(level));
                io::copy(input, &mut encoder)?;
                encoder.finish()?.flush()
            }
            Codec::Xz => {
                let mut input = BufReader::new(input);
                let mut output = output;
                lzma_rs::xz_compress(&mut input, &mut output).map_err(io::Error::other)?;
                output.flush()
            }
        }
    }

    /// A reader of `input`'s decompressed bytes (every concatenated stream
    /// of it, as gzip and bzip2 read them).
    pub fn decoder<'a>(self, input: Box<dyn Read + 'a>) -> Box<dyn Read + 'a> {
        match self {
            Codec::Gzip => Box::new(flate2::read::MultiGzDecoder::new(input)),
            Codec::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(input)),
            Codec::Xz => Box::new(XzReader::new(input)),
        }
    }
}

/// lzma-rs decodes into a writer: the whole stream is decoded on the first
/// read (xz files are read whole by `tar -J` anyway).
struct XzReader<'a> {
    input: Option<Box<dyn Read + 'a>>,
    decoded: io::Cursor<Vec<u8>>,
}

impl<'a> XzReader<'a> {
    fn new(input: Box<dyn Read + 'a>) -> Self {
        XzReader { input: Some(input), decoded: io::Cursor::new(Vec::new()) }
    }
}

impl Read for XzReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(input) = self.input.take() {
            let mut input = BufReader::new(input);
            let mut out = Vec::new();
            lzma_rs::xz_decompress(&mut input, &mut out)
                .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err.to_string()))?;
            self.decoded = io::Cursor::new(out);
        }
        self.decoded.read(buf)
    }
}

/// What a run was asked to do.
struct Run {
    codec: Codec,
    decompress: bool,
    stdout: bool,
    keep: bool,
    force: bool,
    test: bool,
    verbose: bool,
    level: u32,
}

/// `gzip` and its aliases; the codec and defaults come from the name.
pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let (codec, decompress, stdout) = match cmd {
        "gunzip" => (Codec::Gzip, true, false),
        "zcat" => (Codec::Gzip, true, true),
        "bzip2" => (Codec::Bzip2, false, false),
        "bunzip2" => (Codec::Bzip2, true, false),
        "bzcat" => (Codec::Bzip2, true, true),
        "xz" => (Codec::Xz, false, false),
        "unxz" => (Codec::Xz, true, false),
        "xzcat" => (Codec::Xz, true, true),
        _ => (Codec::Gzip, false, false),
    };
    let name = codec.program();
    let mut run = Run { codec, decompress, stdout, keep: false, force: false, test: false, verbose: false, level: 6 };
    if codec == Codec::Bzip2 {
        run.level = 9;
    }
    let mut files = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(name, err, 1),
        };
        match arg {
            Short('d') | Long("decompress") | Long("uncompress") => run.decompress = true,
            Short('z') | Long("compress") => run.decompress = false,
            Short('c') | Long("stdout") | Long("to-stdout") => run.stdout = true,
            Short('k') | Long("keep") => run.keep = true,
            Short('f') | Long("force") => run.force = true,
            Short('t') | Long("test") => run.test = true,
            Short('v') | Long("verbose") => run.verbose = true,
            Short('q') | Long("quiet") => run.verbose = false,
            Short('n') | Short('N') | Long("no-name") | Long("name") => {}
            Short(c @ '1'..='9') => run.level = c.to_digit(10).unwrap_or(6),
            Long("fast") => run.level = 1,
            Long("best") => run.level = 9,
            Short('h') | Long("help") => {
                println!("Usage: {cmd} [OPTION]... [FILE]...");
                println!("Compress or uncompress FILEs (by default, compress FILES in-place).");
                println!("  -c, --stdout  write on standard output, keep original files unchanged");
                println!("  -d, --decompress  decompress");
                println!("  -f, --force   force overwrite of output file");
                println!("  -k, --keep    keep (don't delete) input files");
                println!("  -t, --test    test compressed file integrity");
                println!("  -v, --verbose verbose mode");
                println!("  -1, --fast    compress faster;  -9, --best  compress better");
                println!("With no FILE, or when FILE is -, read standard input.");
                return 0;
            }
            Short('l') | Long("list") => return util::not_supported(cmd, "--list is not implemented"),
            Short('r') | Long("recursive") => return util::not_supported(cmd, "--recursive is not implemented"),
            Value(v) => files.push(v),
            other => return util::usage(name, other.unexpected(), 1),
        }
    }
    if files.is_empty() {
        files.push("-".into());
    }
    let mut status = 0;
    for file in &files {
        let result = if file == "-" { run.stream() } else { run.file(Path::new(file)) };
        match result {
            Ok(()) => {}
            Err(Outcome::Warning(message)) => {
                eprintln!("{name}: {message}");
                status = status.max(2);
            }
            Err(Outcome::Error(message)) => {
                eprintln!("{name}: {message}");
                status = 1;
            }
        }
    }
    util::flush_stdout();
    status
}

/// Why a file was not done.
enum Outcome {
    /// Skipped (gzip's exit status 2).
    Warning(String),
    /// Failed (exit status 1).
    Error(String),
}

fn error(path: &Path, err: &io::Error) -> Outcome {
    Outcome::Error(format!("{}: {}", path.display(), util::errmsg(err)))
}

impl Run {
    /// stdin to stdout.
    fn stream(&self) -> Result<(), Outcome> {
        let stdin = io::stdin();
        let mut out = io::stdout().lock();
        if !self.decompress && !self.force && !self.test && out.is_terminal() {
            return Err(Outcome::Error(
                "compressed data not written to a terminal. Use -f to force compression.".to_string(),
            ));
        }
        let path = Path::new("stdin");
        self.convert(Box::new(stdin.lock()), &mut out, path).map_err(|err| error(path, &err))
    }

    /// What `path` becomes, or why it is skipped.
    fn target(&self, path: &Path) -> Result<PathBuf, Outcome> {
        let text = path.to_string_lossy();
        if self.decompress {
            for (suffix, replacement) in self.codec.suffixes() {
                if let Some(stem) = text.strip_suffix(suffix).filter(|s| !s.is_empty() && !s.ends_with('/')) {
                    return Ok(PathBuf::from(format!("{stem}{replacement}")));
                }
            }
            return Err(Outcome::Warning(format!("{text}: unknown suffix -- ignored")));
        }
        let suffix = self.codec.suffixes()[0].0;
        if self.codec.suffixes().iter().any(|(s, _)| text.ends_with(s)) {
            return Err(Outcome::Warning(format!("{text} already has {suffix} suffix -- unchanged")));
        }
        Ok(PathBuf::from(format!("{text}{suffix}")))
    }

    fn file(&self, path: &Path) -> Result<(), Outcome> {
        let meta = fs::symlink_metadata(path).map_err(|err| error(path, &err))?;
        if meta.is_dir() {
            return Err(Outcome::Warning(format!("{}: is a directory -- ignored", path.display())));
        }
        if meta.file_type().is_symlink() && !self.stdout && !self.force {
            return Err(Outcome::Warning(format!(
                "{}: is not a directory or a regular file - ignored",
                path.display()
            )));
        }
        let input = File::open(path).map_err(|err| error(path, &err))?;
        if self.stdout || self.test {
            let mut out = io::stdout().lock();
            return self.convert(Box::new(input), &mut out, path).map_err(|err| error(path, &err));
        }
        let target = self.target(path)?;
        if fs::symlink_metadata(&target).is_ok() {
            if !self.force {
                return Err(Outcome::Warning(format!("{} already exists; not overwritten", target.display())));
            }
            fs::remove_file(&target).map_err(|err| error(&target, &err))?;
        }
        let written = File::create_new(&target).and_then(|mut out| {
            self.convert(Box::new(input), &mut out, path)?;
            out.sync_all()?;
            // The twin keeps the original's mode and modification time.
            if let Ok(stat) = wasi_ext::fs::stat(path) {
                let _ = wasi_ext::fs::chmod(&target, stat.permissions());
            }
            if let Ok(modified) = meta.modified() {
                let _ = out.set_modified(modified);
            }
            Ok(())
        });
        if let Err(err) = written {
            let _ = fs::remove_file(&target);
            return Err(error(path, &err));
        }
        if self.verbose {
            let (before, after) = (meta.len(), fs::metadata(&target).map_or(0, |m| m.len()));
            let (small, big) = if self.decompress { (after, before) } else { (before, after) };
            let saved = if small == 0 { 0.0 } else { 100.0 * (1.0 - big as f64 / small as f64) };
            eprintln!("{}:\t{saved:5.1}% -- replaced with {}", path.display(), target.display());
        }
        if !self.keep {
            fs::remove_file(path).map_err(|err| error(path, &err))?;
        }
        Ok(())
    }

    /// Compresses, decompresses or tests `input` into `out`.
    fn convert(&self, input: Box<dyn Read + '_>, out: &mut dyn Write, path: &Path) -> io::Result<()> {
        if !self.decompress && !self.test {
            let mut input = input;
            return self.codec.compress(&mut input, out, self.level);
        }
        let mut input = BufReader::new(input);
        let head = {
            use std::io::BufRead;
            input.fill_buf()?.to_vec()
        };
        if head.is_empty() {
            return Ok(());
        }
        if Codec::sniff(&head) != Some(self.codec) {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("not in {} format", self.codec.program())));
        }
        let mut decoder = self.codec.decoder(Box::new(input));
        if self.test {
            io::copy(&mut decoder, &mut io::sink())?;
            if self.verbose {
                eprintln!("{}:\t OK", path.display());
            }
            return Ok(());
        }
        io::copy(&mut decoder, out)?;
        out.flush()
    }
}
