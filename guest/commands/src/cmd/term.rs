//! `stty` and `tput`: what a program may ask of the terminal on capsa — its
//! size, from the host terminal (`host_tty.winsize`, following resizes).
//!
//! `stty` (no operand), `stty size`, `stty -a` print the size (`rows R;
//! columns C;`); every setting (`raw`, `-echo`, `sane`, speeds) is refused
//! with exit 1: the terminal's modes are the host's line editor's and the
//! VM cannot change them. `tput cols`, `tput lines` print the size (without
//! a terminal, `COLUMNS`/`LINES` or 80x24, as ncurses does); other
//! capabilities are refused (there is no terminfo database).

use std::ffi::OsString;

use crate::util;

/// The size of the terminal on stdin, else stdout.
fn size() -> Option<(u16, u16)> {
    wasi_ext::window_size(0).or_else(|_| wasi_ext::window_size(1)).ok()
}

/// `stty [-a | size | -F DEV …]`.
pub fn stty(cmd: &str, args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let operands: Vec<&str> = args.iter().map(String::as_str).collect();
    match operands.as_slice() {
        ["--help"] => {
            println!(
                "Usage: stty [size | -a]\nPrints the terminal's size; capsa's VMs cannot change terminal settings."
            );
            0
        }
        [] | ["-a"] | ["--all"] | ["size"] => {
            let Some((rows, cols)) = size() else {
                eprintln!("{cmd}: 'standard input': Inappropriate ioctl for device");
                return 1;
            };
            if operands == ["size"] {
                println!("{rows} {cols}");
            } else {
                println!("speed 38400 baud; rows {rows}; columns {cols}; line = 0;");
            }
            0
        }
        _ => util::fail(
            cmd,
            format!(
                "'{}': not supported: the terminal's settings belong to the host's line editor (only `stty size` and `stty -a` work)",
                operands.join(" ")
            ),
        ),
    }
}

/// `tput cols | lines`.
pub fn tput(cmd: &str, args: Vec<OsString>) -> i32 {
    let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
    let from_env = |name: &str, fallback: u16| {
        std::env::var(name).ok().and_then(|v| v.parse::<u16>().ok()).filter(|&v| v > 0).unwrap_or(fallback)
    };
    let (rows, cols) = size().unwrap_or_else(|| (from_env("LINES", 24), from_env("COLUMNS", 80)));
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["cols"] => println!("{cols}"),
        ["lines"] => println!("{rows}"),
        [] => return util::fail(cmd, "usage: tput cols | lines"),
        [other, ..] => {
            return util::fail(
                cmd,
                format!("unknown terminal capability '{other}' (capsa has no terminfo: only cols and lines)"),
            );
        }
    }
    0
}
