//! `tac [-b] [-r] [-s SEPARATOR] [FILE]...`: files (or stdin) with their
//! records in reverse order. Replaces uutils `tac`, which copies stdin to a
//! temporary file through `std::env::temp_dir()` — a panic on wasip1. This
//! one reads each input into memory.

use std::ffi::OsString;
use std::io::{Read, Write};

use lexopt::prelude::*;

use crate::util;

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    let (mut before, mut regex) = (false, false);
    let mut separator = "\n".to_string();
    let mut files = Vec::new();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(err) => return util::bad_usage(cmd, err, 1),
        };
        match arg {
            Short('b') | Long("before") => before = true,
            Short('r') | Long("regex") => regex = true,
            Short('s') | Long("separator") => match parser.value().map_err(|e| e.to_string()).and_then(util::string) {
                Ok(v) if v.is_empty() => return util::fail(cmd, "separator cannot be empty"),
                Ok(v) => separator = v,
                Err(err) => return util::usage(cmd, err, 1),
            },
            Long("help") => {
                println!("Usage: tac [OPTION]... [FILE]...");
                return 0;
            }
            Value(v) => files.push(v),
            other => return util::usage(cmd, other.unexpected(), 1),
        }
    }
    let pattern = if regex {
        match crate::re::Re::new(&separator, false, true) {
            Ok(re) => Some(re),
            Err(err) => return util::fail(cmd, format!("invalid regular expression: {err}")),
        }
    } else {
        None
    };
    if files.is_empty() {
        files.push("-".into());
    }
    let mut status = 0;
    let mut out = std::io::stdout().lock();
    for file in &files {
        let mut data = Vec::new();
        let read = if file == "-" {
            std::io::stdin().lock().read_to_end(&mut data)
        } else {
            std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut data))
        };
        if let Err(err) = read {
            let what = if file == "-" {
                "read error".to_string()
            } else {
                format!("failed to open {} for reading", util::quote(file))
            };
            status = util::fail(cmd, format!("{what}: {}", util::errmsg(&err)));
            continue;
        }
        // Separator matches as (start, end) byte ranges.
        let matches: Vec<(usize, usize)> = match &pattern {
            Some(re) => re.find_iter(&data).filter(|(start, end)| end > start).collect(),
            None => {
                let sep = separator.as_bytes();
                let mut found = Vec::new();
                let mut at = 0;
                while let Some(pos) = find(&data[at..], sep) {
                    found.push((at + pos, at + pos + sep.len()));
                    at += pos + sep.len();
                }
                found
            }
        };
        // Record boundaries: each record ends after (or, with -b, starts at) a separator.
        let mut cuts = vec![0];
        cuts.extend(matches.iter().map(|&(start, end)| if before { start } else { end }));
        cuts.push(data.len());
        cuts.dedup();
        let mut failed = false;
        for pair in cuts.windows(2).rev() {
            if out.write_all(&data[pair[0]..pair[1]]).is_err() {
                failed = true;
                break;
            }
        }
        if failed {
            return util::fail(cmd, "write error");
        }
    }
    if out.flush().is_err() {
        return util::fail(cmd, "write error");
    }
    status
}

/// The first position of `needle` in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
