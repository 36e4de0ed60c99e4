//! Builtins, dispatched by name, and the quoting and escape helpers they
//! share.

mod flow;
mod io;
pub mod jobs;
mod misc;
mod strftime;
pub(crate) mod vars;

use crate::shell::{Res, Shell};

/// Every builtin name.
const NAMES: &[&str] = &[
    ":",
    ".",
    "[",
    "alias",
    "bg",
    "break",
    "builtin",
    "cd",
    "command",
    "continue",
    "declare",
    "echo",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fg",
    "getopts",
    "hash",
    "jobs",
    "kill",
    "let",
    "local",
    "mapfile",
    "printf",
    "pwd",
    "read",
    "readarray",
    "readonly",
    "return",
    "set",
    "shift",
    "shopt",
    "source",
    "test",
    "trap",
    "true",
    "type",
    "typeset",
    "umask",
    "unalias",
    "unset",
    "wait",
];

/// Whether `name` is a builtin.
pub fn is_builtin(name: &str) -> bool {
    NAMES.contains(&name)
}

/// Runs builtin `argv[0]`.
///
/// # Errors
/// Control flow (`exit`, `return`, `break`…).
pub fn run(sh: &mut Shell, argv: &[String]) -> Res {
    let args = &argv[1..];
    Ok(match argv[0].as_str() {
        ":" | "true" | "hash" => 0,
        "false" => 1,
        "echo" => io::echo(sh, args),
        "printf" => io::printf(sh, args),
        "read" => io::read(sh, args),
        "mapfile" | "readarray" => io::mapfile(sh, args),
        "test" => sh.test_builtin(args),
        "[" => {
            if args.last().map(String::as_str) != Some("]") {
                sh.error("[: missing `]'");
                2
            } else {
                sh.test_builtin(&args[..args.len() - 1])
            }
        }
        "cd" => misc::cd(sh, args),
        "pwd" => misc::pwd(sh, args),
        "type" => misc::type_(sh, args),
        "command" => return misc::command(sh, args),
        "builtin" => {
            if args.is_empty() {
                0
            } else if is_builtin(&args[0]) {
                return run(sh, args);
            } else {
                sh.error(format!("builtin: {}: not a shell builtin", args[0]));
                1
            }
        }
        "alias" => misc::alias(sh, args),
        "unalias" => misc::unalias(sh, args),
        "umask" => misc::umask(sh, args),
        "wait" => misc::wait(sh, args),
        "jobs" => jobs::jobs(sh, args),
        "fg" => jobs::no_job_control(sh, "fg"),
        "bg" => jobs::no_job_control(sh, "bg"),
        "kill" => misc::kill(sh, args),
        "trap" => misc::trap(sh, args),
        "getopts" => misc::getopts(sh, args),
        "eval" => return flow::eval(sh, args),
        "source" | "." => return flow::source(sh, args),
        "exec" => return flow::exec(sh, args),
        "exit" => return flow::exit(sh, args),
        "return" => return flow::return_(sh, args),
        "break" | "continue" => return flow::break_continue(sh, &argv[0], args),
        "export" => vars::export(sh, args),
        "readonly" => vars::readonly(sh, args),
        "declare" | "typeset" => vars::declare(sh, args, false),
        "local" => vars::local(sh, args),
        "unset" => vars::unset(sh, args),
        "shift" => vars::shift(sh, args),
        "set" => vars::set(sh, args),
        "shopt" => vars::shopt(sh, args),
        "let" => return vars::let_(sh, args),
        other => {
            sh.error(format!("{other}: command not found"));
            127
        }
    })
}

/// Where backslash escapes are read: each takes a slightly different set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscapeStyle {
    /// `echo -e`: octal only as `\0nnn`; `\c` stops all output.
    Echo,
    /// `printf %b`: `\0nnn` and `\nnn`; `\c` stops all output.
    PrintfB,
    /// A `printf` format: `\nnn`; `\c` is literal.
    Printf,
    /// `$'…'` and `${x@E}`: `\nnn`, and `\cX` is control-X.
    AnsiC,
}

/// Interprets backslash escapes. Returns the text and whether a `\c` asked
/// to stop all output.
pub fn escapes(s: &str, style: EscapeStyle) -> (String, bool) {
    let echo_style = matches!(style, EscapeStyle::Echo | EscapeStyle::PrintfB);
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' || i + 1 >= chars.len() {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let e = chars[i];
        i += 1;
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            'e' | 'E' => out.push('\x1b'),
            '\\' => out.push('\\'),
            '\'' => out.push('\''),
            '"' => out.push('"'),
            'c' if echo_style => return (out, true),
            // Control-X: the character with bit 6 flipped off (`\c?` is DEL).
            'c' if style == EscapeStyle::AnsiC && i < chars.len() => {
                let x = chars[i].to_ascii_uppercase();
                i += 1;
                out.push(char::from((x as u32 as u8) ^ 0x40));
            }
            'x' => {
                let digits: String = chars[i..].iter().take(2).take_while(|c| c.is_ascii_hexdigit()).collect();
                if digits.is_empty() {
                    out.push_str("\\x");
                } else {
                    i += digits.len();
                    out.push(crate::bytes::raw(u8::from_str_radix(&digits, 16).unwrap_or(0)));
                }
            }
            'u' | 'U' => {
                let max = if e == 'u' { 4 } else { 8 };
                let digits: String = chars[i..].iter().take(max).take_while(|c| c.is_ascii_hexdigit()).collect();
                match u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32) {
                    Some(ch) if ch.is_ascii() || utf8_locale() => {
                        i += digits.len();
                        out.push(ch);
                    }
                    // Outside a UTF-8 locale bash writes the escape back,
                    // its digits in upper case.
                    Some(ch) => {
                        i += digits.len();
                        let width = if e == 'u' { 4 } else { 8 };
                        out.push_str(&format!("\\{e}{:0width$X}", ch as u32));
                    }
                    None => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            // echo's octal needs its `\0`; `\1` is two characters there.
            '1'..='7' if style == EscapeStyle::Echo => {
                out.push('\\');
                out.push(e);
            }
            '0'..='7' => {
                // echo's and %b's `\0nnn` take up to 3 digits after the 0;
                // `$'\nnn'` and printf's `\nnn` up to 3 in all.
                let (start, max) = if echo_style && e == '0' { (i, 3) } else { (i - 1, 3) };
                let digits: String = chars[start..].iter().take(max).take_while(|c| ('0'..='7').contains(c)).collect();
                i = start + digits.len();
                out.push(crate::bytes::raw((u32::from_str_radix(&digits, 8).unwrap_or(0) & 0xff) as u8));
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    (out, false)
}

/// Whether the shell's locale (`LC_ALL`, else `LC_CTYPE`, else `LANG`, as
/// exported to it) is UTF-8: `\u` escapes decode only then, as in bash.
fn utf8_locale() -> bool {
    let locale = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default()
        .to_ascii_lowercase();
    locale.contains("utf-8") || locale.contains("utf8")
}

/// Quotes a string for reuse as shell input (`printf %q`, `${x@Q}`).
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// bash's `printf %q`: backslashes before special characters, `''` for
/// the empty string, `$'…'` when there are control characters.
pub fn quote_backslash(s: &str) -> String {
    if s.is_empty() {
        return "''".into();
    }
    if s.chars().any(|c| c.is_control()) {
        let mut out = String::from("$'");
        for c in s.chars() {
            match c {
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\'' => out.push_str("\\'"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\{:03o}", c as u32)),
                c => out.push(c),
            }
        }
        out.push('\'');
        return out;
    }
    let mut out = String::new();
    for c in s.chars() {
        if !(c.is_alphanumeric() || "_-./=:,+@%^".contains(c)) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Quotes a string only if it needs it (`set -x`, `alias`).
pub fn quote_if_needed(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "_-./=:,+@%^".contains(c)) {
        s.to_string()
    } else {
        quote(s)
    }
}

/// bash's `declare -p` quoting of a value: double quotes with `"`, `\`,
/// `$` and `` ` `` escaped.
pub fn dquote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}
