//! capsa's own commands: one multicall wasm32-wasip1 module that runs the
//! command named by the basename of `argv[0]` (`/bin/id` runs `id`), or by
//! `argv[1]` when invoked under its own name (`capsa-commands id -u`).
//! `capsa-commands --list` prints every command, one per line.
//!
//! These are the commands a user expects that uutils cannot build for
//! wasip1 (they need processes, users or signals: `env`, `id`, `kill`,
//! `timeout`, `ps`, …, through `wasi-ext`), `grep` and `awk`, the commands
//! that show or change modes and owners, which preview1 lacks and capsa's
//! `host_fs` provides (`ls`, `dir`, `vdir`, `stat`, `test`/`[`, `chmod`,
//! `chown`, `chgrp`), and replacements for uutils commands that cannot work
//! on wasip1 (`cat` refuses pipes and devices by path, `dd` starts a
//! thread, `tac` on stdin calls `temp_dir()`, `nice`
//! and `xargs` exec).
//!
//! A command that cannot do its job in capsa says so and exits 1:
//! `capsa: <cmd>: not supported: <why>`.

mod cmd;
mod files;
mod posix_re;
mod re;
mod util;

use std::ffi::OsString;

/// A command: its name and its entry point, which takes the arguments after
/// the command name and returns the exit status.
type Entry = fn(&str, Vec<OsString>) -> i32;

/// Every command, sorted by name.
const COMMANDS: &[(&str, Entry)] = &[
    ("[", cmd::test::bracket),
    ("ar", cmd::cc::main),
    ("awk", cmd::awk::main),
    ("bc", cmd::bc::main),
    ("bunzip2", cmd::compress::main),
    ("bzcat", cmd::compress::main),
    ("bzip2", cmd::compress::main),
    ("c++", cmd::cc::main),
    ("cat", cmd::cat::main),
    ("cc", cmd::cc::main),
    ("chgrp", cmd::chown::chgrp),
    ("chmod", cmd::chmod::chmod),
    ("chown", cmd::chown::chown),
    ("clang", cmd::cc::main),
    ("clang++", cmd::cc::main),
    ("curl", cmd::curl::main),
    ("dd", cmd::dd::main),
    ("df", cmd::df::main),
    ("dir", cmd::ls::main),
    ("du", cmd::du::main),
    ("egrep", cmd::grep::egrep),
    ("env", cmd::env::main),
    ("fgrep", cmd::grep::fgrep),
    ("file", cmd::file::main),
    ("g++", cmd::cc::main),
    ("gcc", cmd::cc::main),
    ("grep", cmd::grep::main),
    ("groups", cmd::id::groups),
    ("gunzip", cmd::compress::main),
    ("gzip", cmd::compress::main),
    ("hostname", cmd::hostname::main),
    ("id", cmd::id::id),
    ("install", cmd::install::main),
    ("jq", cmd::jq::main),
    ("kill", cmd::kill::main),
    ("ld", cmd::cc::main),
    ("less", cmd::pager::less),
    ("ls", cmd::ls::main),
    ("make", cmd::make::main),
    ("mktemp", cmd::mktemp::main),
    ("more", cmd::pager::more),
    ("nice", cmd::nice::main),
    ("patch", cmd::patch::main),
    ("ps", cmd::ps::main),
    ("ranlib", cmd::cc::main),
    ("stat", cmd::stat::main),
    ("stty", cmd::term::stty),
    ("tac", cmd::tac::main),
    ("tar", cmd::tar::main),
    ("test", cmd::test::test),
    ("timeout", cmd::timeout::main),
    ("tput", cmd::term::tput),
    ("tree", cmd::tree::main),
    ("uname", cmd::uname::main),
    ("unxz", cmd::compress::main),
    ("unzip", cmd::zip::unzip),
    ("unzstd", cmd::zstd::main),
    ("vdir", cmd::ls::main),
    ("wasm-ld", cmd::cc::main),
    ("wget", cmd::wget::main),
    ("which", cmd::which::main),
    ("whoami", cmd::id::whoami),
    ("xargs", cmd::xargs::main),
    ("xxd", cmd::xxd::main),
    ("xz", cmd::compress::main),
    ("xzcat", cmd::compress::main),
    ("zcat", cmd::compress::main),
    ("zip", cmd::zip::zip),
    ("zstd", cmd::zstd::main),
    ("zstdcat", cmd::zstd::main),
];

/// Names this module answers to itself (then `argv[1]` names the command).
const SELF_NAMES: &[&str] = &["capsa-commands", "commands"];

fn main() {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    if let Err(err) = wasi_ext::init() {
        eprintln!("capsa: cannot enter the working directory $PWD: {err}");
    }
    let argv0 = if args.is_empty() { OsString::new() } else { args.remove(0) };
    let mut name = basename(&argv0);
    if SELF_NAMES.contains(&name.as_str()) {
        if args.is_empty() {
            eprintln!("usage: capsa-commands COMMAND [ARG]...  (or --list)");
            std::process::exit(1);
        }
        name = args.remove(0).to_string_lossy().into_owned();
        if name == "--list" {
            for (command, _) in COMMANDS {
                println!("{command}");
            }
            std::process::exit(0);
        }
    }
    let code = match COMMANDS.binary_search_by(|(command, _)| (*command).cmp(name.as_str())) {
        Ok(index) => (COMMANDS[index].1)(&name, args),
        Err(_) => {
            eprintln!("capsa-commands: {name}: no such command");
            127
        }
    };
    util::flush_stdout();
    std::process::exit(code);
}

/// The last path component of `argv[0]`, lossily as UTF-8, without a
/// `.wasm` suffix (`capsa run capsa-commands.wasm` gives that argv[0]).
fn basename(argv0: &OsString) -> String {
    let text = argv0.to_string_lossy();
    let base = text.rsplit('/').next().unwrap_or_default();
    base.strip_suffix(".wasm").unwrap_or(base).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn commands_are_sorted() {
        assert!(super::COMMANDS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
