//! `xxd [-p] [-i] [-u] [-c COLS] [-g BYTES] [-l LEN] [-s SEEK] [-r]
//! [INFILE [OUTFILE]]`: vim's hex dump — the same layout byte for byte,
//! plain (`-p`) and C include (`-i`) forms, and back (`-r`, `-r -p`).

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{self, Read, Write};

use lexopt::prelude::*;

use crate::util;

#[derive(Default)]
struct Options {
    plain: bool,
    include: bool,
    upper: bool,
    reverse: bool,
    cols: Option<usize>,
    group: Option<usize>,
    len: Option<usize>,
    seek: usize,
    input: Option<OsString>,
    output: Option<OsString>,
}

fn number(text: &str) -> Option<usize> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => usize::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

pub fn main(_cmd: &str, args: Vec<OsString>) -> i32 {
    let mut o = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage("xxd", err, 1),
        };
        let numeric = |parser: &mut lexopt::Parser, what: &str| -> Result<usize, i32> {
            let value = parser.value().map_err(|e| util::bad_usage("xxd", e, 1))?;
            number(&value.to_string_lossy()).ok_or_else(|| util::fail("xxd", format!("invalid {what}")))
        };
        let result = match arg {
            Short('p') | Long("ps") | Long("postscript") | Long("plain") => {
                o.plain = true;
                Ok(())
            }
            Short('i') | Long("include") => {
                o.include = true;
                Ok(())
            }
            Short('u') => {
                o.upper = true;
                Ok(())
            }
            Short('r') | Long("revert") => {
                o.reverse = true;
                Ok(())
            }
            Short('c') | Long("cols") => numeric(&mut parser, "column count").map(|n| o.cols = Some(n)),
            Short('g') | Long("groupsize") => numeric(&mut parser, "group size").map(|n| o.group = Some(n)),
            Short('l') | Long("len") => numeric(&mut parser, "length").map(|n| o.len = Some(n)),
            Short('s') | Long("seek") => numeric(&mut parser, "seek offset").map(|n| o.seek = n),
            Short('h') | Long("help") => {
                println!("Usage: xxd [-p] [-i] [-u] [-c cols] [-g bytes] [-l len] [-s seek] [-r] [infile [outfile]]");
                return 0;
            }
            Value(v) if o.input.is_none() => {
                o.input = Some(v);
                Ok(())
            }
            Value(v) if o.output.is_none() => {
                o.output = Some(v);
                Ok(())
            }
            other => Err(util::usage("xxd", other.unexpected(), 1)),
        };
        if let Err(status) = result {
            return status;
        }
    }
    let mut data = Vec::new();
    let read = match o.input.as_ref().filter(|i| *i != "-") {
        Some(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut data)),
        None => io::stdin().lock().read_to_end(&mut data),
    };
    if let Err(err) = read {
        let name = o.input.as_ref().map(|i| i.to_string_lossy().into_owned()).unwrap_or_default();
        return util::fail("xxd", format!("{name}: {}", util::errmsg(&err)));
    }
    let out = if o.reverse { revert(&o, &data) } else { dump(&o, &data) };
    let written = match o.output.as_ref().filter(|p| *p != "-") {
        Some(path) => std::fs::write(path, &out),
        None => io::stdout().lock().write_all(&out),
    };
    match written {
        Ok(()) => 0,
        Err(err) => util::fail("xxd", util::errmsg(&err)),
    }
}

fn hex(byte: u8, upper: bool) -> String {
    if upper { format!("{byte:02X}") } else { format!("{byte:02x}") }
}

fn dump(o: &Options, data: &[u8]) -> Vec<u8> {
    let start = o.seek.min(data.len());
    let end = o.len.map_or(data.len(), |n| start.saturating_add(n).min(data.len()));
    let bytes = &data[start..end];
    let mut out = String::new();
    if o.plain {
        let cols = o.cols.unwrap_or(30).max(1);
        for chunk in bytes.chunks(cols) {
            chunk.iter().for_each(|b| out.push_str(&hex(*b, o.upper)));
            out.push('\n');
        }
        return out.into_bytes();
    }
    if o.include {
        let cols = o.cols.unwrap_or(12).max(1);
        let name: String = o
            .input
            .as_ref()
            .filter(|i| *i != "-")
            .map(|i| i.to_string_lossy().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect())
            .unwrap_or_default();
        if !name.is_empty() {
            let _ = writeln!(out, "unsigned char {name}[] = {{");
        }
        let lines: Vec<String> = bytes
            .chunks(cols)
            .map(|chunk| {
                let cells: Vec<String> = chunk.iter().map(|b| format!("0x{}", hex(*b, o.upper))).collect();
                format!("  {}", cells.join(", "))
            })
            .collect();
        out.push_str(&lines.join(",\n"));
        if !lines.is_empty() {
            out.push('\n');
        }
        if !name.is_empty() {
            let _ = writeln!(out, "}};\nunsigned int {name}_len = {};", bytes.len());
        }
        return out.into_bytes();
    }
    let cols = o.cols.unwrap_or(16).max(1);
    let group = o.group.unwrap_or(2);
    // The hex field is as wide as a full line's, so the text column lines up.
    let hex_width = |n: usize| 2 * n + if group == 0 { 0 } else { n.div_ceil(group) };
    for (i, chunk) in bytes.chunks(cols).enumerate() {
        let offset = start + i * cols;
        let _ = write!(out, "{offset:08x}: ");
        let mut field = String::new();
        for (j, b) in chunk.iter().enumerate() {
            field.push_str(&hex(*b, o.upper));
            if group != 0 && (j + 1) % group == 0 {
                field.push(' ');
            }
        }
        if group != 0 && chunk.len() % group != 0 {
            field.push(' ');
        }
        let _ = write!(out, "{field:<width$}", width = hex_width(cols));
        out.push(' ');
        for b in chunk {
            out.push(if (0x20..0x7f).contains(b) { *b as char } else { '.' });
        }
        out.push('\n');
    }
    out.into_bytes()
}

/// Hex back to bytes: plain hex (`-p`), or a dump, whose offsets place the
/// bytes (a gap is zeros) and whose text column is ignored.
fn revert(o: &Options, data: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(data);
    let mut out = Vec::new();
    let push_hex = |digits: &str, out: &mut Vec<u8>| {
        let clean: Vec<u8> = digits.bytes().filter(u8::is_ascii_hexdigit).collect();
        for pair in clean.chunks(2).filter(|p| p.len() == 2) {
            let pair = std::str::from_utf8(pair).unwrap_or("00");
            out.push(u8::from_str_radix(pair, 16).unwrap_or(0));
        }
    };
    if o.plain {
        push_hex(&text, &mut out);
        return out;
    }
    let cols = o.cols.unwrap_or(16).max(1);
    for line in text.lines() {
        let Some((offset, rest)) = line.split_once(':') else { continue };
        let Ok(offset) = usize::from_str_radix(offset.trim(), 16) else { continue };
        // The hex field ends where two spaces start the text column.
        let field = rest.get(..rest.find("  ").unwrap_or(rest.len())).unwrap_or(rest);
        let mut bytes = Vec::new();
        push_hex(field, &mut bytes);
        bytes.truncate(cols);
        if out.len() < offset {
            out.resize(offset, 0);
        }
        out.truncate(offset);
        out.extend_from_slice(&bytes);
    }
    out
}
