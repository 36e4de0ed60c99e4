//! `file [-bLhNE] [-i|--mime|--mime-type|--mime-encoding] FILE...`:
//! what a file is, by its content, in GNU `file`'s (5.44's) words.
//!
//! Known: `empty`, `directory`, `[broken ]symbolic link to X` (not
//! followed unless `-L`), special files, text (`ASCII text`, `Unicode
//! text, UTF-8 text`, `… (with BOM)`, `ISO-8859 text`, `Non-ISO
//! extended-ASCII text`, with file's notes: `with very long lines (N)`,
//! `with CRLF line terminators` and the like, `with no line terminators`,
//! `with escape sequences`, `with overstriking`), JSON and newline-delimited
//! JSON, `#!` scripts (`POSIX shell script, ASCII text executable`, Python,
//! Bourne-Again, Perl, Ruby, Node.js, awk, zsh…, else `a PATH script`),
//! WebAssembly, ELF (the header's fields only: `ELF 64-bit LSB executable,
//! x86-64, version 1 (SYSV)`), gzip (with name, date in UTC, system and
//! size), bzip2, xz, Zstandard, Zip, tar (POSIX, GNU, v7), PNG, GIF, JPEG
//! (JFIF fields), PDF, SQLite 3 (header fields), and `data` otherwise.
//! `-b` leaves out the name, `-i`/`--mime` prints `type; charset=…`,
//! `--mime-type` and `--mime-encoding` one half of it; `-` reads stdin.
//!
//! Not known (file(1)'s magic database has thousands of formats): text
//! kinds found by content (C source, HTML, XML, CSV, makefiles…) are plain
//! text here, Zip-based formats (JAR, OOXML, EPUB) plain Zip, UTF-16 text
//! `data`, and ELF details beyond the header are left out. As file(1), a
//! file that cannot be read is reported on stdout (`cannot open`) with
//! exit status 0 (1 with `-E`); a usage error exits 1.

mod binary;
mod text;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use wasi_ext::fs::{self as xfs, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFSOCK};

use crate::util;

/// How much of a file is read, as file(1)'s default `bytes` limit.
const BYTES_MAX: u64 = 7 * 1024 * 1024;

/// What a file is.
pub struct Kind {
    description: String,
    mime: String,
    /// The `charset=` of `--mime` (none for a broken symlink).
    charset: Option<&'static str>,
}

impl Kind {
    fn new(description: &str, mime: &str) -> Kind {
        Kind { description: description.to_string(), mime: mime.to_string(), charset: Some("binary") }
    }
}

/// What to print.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Show {
    Description,
    Mime,
    MimeType,
    MimeEncoding,
}

struct Options {
    brief: bool,
    follow: bool,
    pad: bool,
    errors_fail: bool,
    show: Show,
}

/// `file`: see the module doc.
pub fn main(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options { brief: false, follow: false, pad: true, errors_fail: false, show: Show::Description };
    let mut files: Vec<OsString> = Vec::new();
    let mut options_done = false;
    for arg in args {
        let text = arg.to_string_lossy().into_owned();
        if options_done || text == "-" || !text.starts_with('-') {
            files.push(arg);
            continue;
        }
        match text.as_str() {
            "--" => options_done = true,
            "--brief" => o.brief = true,
            "--mime" => o.show = Show::Mime,
            "--mime-type" => o.show = Show::MimeType,
            "--mime-encoding" => o.show = Show::MimeEncoding,
            "--dereference" => o.follow = true,
            "--no-dereference" => o.follow = false,
            "--no-pad" => o.pad = false,
            "--help" => {
                println!("Usage: file [-bLhNE] [-i|--mime|--mime-type|--mime-encoding] FILE...");
                return 0;
            }
            "--version" => {
                println!("file-5.44 (capsa)");
                return 0;
            }
            _ if text.starts_with("--") => return usage(&format!("unrecognized option '{text}'")),
            _ => {
                for letter in text[1..].chars() {
                    match letter {
                        'b' => o.brief = true,
                        'i' => o.show = Show::Mime,
                        'L' => o.follow = true,
                        'h' => o.follow = false,
                        'N' => o.pad = false,
                        'E' => o.errors_fail = true,
                        'v' => {
                            println!("file-5.44 (capsa)");
                            return 0;
                        }
                        _ => return usage(&format!("invalid option -- '{letter}'")),
                    }
                }
            }
        }
    }
    if files.is_empty() {
        return usage("missing file name");
    }
    let shown: Vec<String> = files
        .iter()
        .map(|f| if f == "-" { "/dev/stdin".to_string() } else { f.to_string_lossy().into_owned() })
        .collect();
    let width = shown.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let mut out = io::stdout().lock();
    let mut failed = false;
    for (file, name) in files.iter().zip(&shown) {
        let result = match identify(file, o.follow) {
            Ok(kind) => match o.show {
                Show::Description => kind.description,
                Show::MimeType => kind.mime,
                Show::MimeEncoding => kind.charset.unwrap_or("binary").to_string(),
                Show::Mime => match kind.charset {
                    Some(charset) => format!("{}; charset={charset}", kind.mime),
                    None => kind.mime,
                },
            },
            Err(err) => {
                failed = true;
                format!("cannot open `{name}' ({})", util::errmsg(&err))
            }
        };
        let written = if o.brief {
            writeln!(out, "{result}")
        } else {
            let pad = if o.pad { width - name.chars().count() } else { 0 };
            writeln!(out, "{name}:{:pad$} {result}", "")
        };
        if written.is_err() {
            return 1;
        }
    }
    let _ = out.flush();
    i32::from(failed && o.errors_fail)
}

fn usage(message: &str) -> i32 {
    eprintln!("file: {message}");
    eprintln!("Usage: file [-bLhNE] [-i|--mime|--mime-type|--mime-encoding] FILE...");
    1
}

/// What `file` is (`-` is stdin).
fn identify(file: &OsString, follow: bool) -> io::Result<Kind> {
    if file == "-" {
        let mut head = Vec::new();
        io::stdin().lock().take(BYTES_MAX).read_to_end(&mut head)?;
        let tail = head.len().checked_sub(4).and_then(|at| head[at..].try_into().ok());
        return Ok(content(&head, tail));
    }
    let path = Path::new(file);
    let stat = if follow { xfs::stat(path)? } else { xfs::lstat(path)? };
    let special = |description: &str, mime: &str| Ok(Kind::new(description, mime));
    match stat.mode & S_IFMT {
        S_IFDIR => return special("directory", "inode/directory"),
        S_IFLNK => {
            let target = std::fs::read_link(path)?;
            let target = target.to_string_lossy();
            return Ok(match xfs::stat(path) {
                Ok(_) => Kind::new(&format!("symbolic link to {target}"), "inode/symlink"),
                Err(_) => Kind {
                    description: format!("broken symbolic link to {target}"),
                    mime: "inode/symlink".to_string(),
                    charset: None,
                },
            });
        }
        S_IFCHR => return special("character special", "inode/chardevice"),
        S_IFBLK => return special("block special", "inode/blockdevice"),
        S_IFIFO => return special("fifo (named pipe)", "inode/fifo"),
        S_IFSOCK => return special("socket", "inode/socket"),
        _ => {}
    }
    let mut input = File::open(path)?;
    let mut head = Vec::new();
    (&mut input).take(BYTES_MAX).read_to_end(&mut head)?;
    let mut tail = None;
    if head.len() >= 4 {
        let mut last = [0u8; 4];
        if input.seek(SeekFrom::End(-4)).and_then(|_| input.read_exact(&mut last)).is_ok() {
            tail = Some(last);
        }
    }
    Ok(content(&head, tail))
}

/// What a regular file whose first bytes are `head` is.
fn content(head: &[u8], tail: Option<[u8; 4]>) -> Kind {
    if head.is_empty() {
        return Kind::new("empty", "inode/x-empty");
    }
    let encoding = text::encoding(head);
    let mut kind = match binary::identify(&binary::Sample { head, tail }) {
        Some(kind) => kind,
        None => match encoding {
            Some(encoding) => text::classify(head, encoding),
            None => Kind::new("data", "application/octet-stream"),
        },
    };
    // As file(1), the charset is the bytes' even for a binary format.
    kind.charset = Some(encoding.map_or("binary", text::Encoding::charset));
    kind
}
