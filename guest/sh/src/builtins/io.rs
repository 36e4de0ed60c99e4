//! `echo`, `printf`, `read`, `mapfile`.

use std::collections::BTreeMap;

use super::escapes;
use crate::shell::Shell;
use crate::sysio;
use crate::vars::Value;

/// `echo [-neE] args…`.
pub fn echo(sh: &mut Shell, args: &[String]) -> i32 {
    let (mut newline, mut interpret) = (true, false);
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| "neE".contains(c)) {
            for c in a[1..].chars() {
                match c {
                    'n' => newline = false,
                    'e' => interpret = true,
                    _ => interpret = false,
                }
            }
            i += 1;
        } else {
            break;
        }
    }
    let mut out = args[i..].join(" ");
    if interpret {
        let (text, stop) = escapes(&out, super::EscapeStyle::Echo);
        out = text;
        if stop {
            newline = false;
        }
    }
    if newline {
        out.push('\n');
    }
    i32::from(sh.out(out.as_bytes()).is_err())
}

/// `printf [-v var] format args…`.
pub fn printf(sh: &mut Shell, args: &[String]) -> i32 {
    let (var, args) = match args {
        [flag, name, rest @ ..] if flag == "-v" => (Some(name.clone()), rest),
        [dd, rest @ ..] if dd == "--" => (None, rest),
        _ => (None, args),
    };
    let Some((format, mut rest)) = args.split_first() else {
        sh.error("printf: usage: printf [-v var] format [arguments]");
        return 2;
    };
    let mut out = String::new();
    let mut status = 0;
    loop {
        let consumed_before = rest.len();
        let stop = format_once(sh, format, &mut rest, &mut out, &mut status);
        if stop || rest.is_empty() || rest.len() == consumed_before {
            break;
        }
    }
    match var {
        // `-v 'a[1]'` sets an element (its key expanded as an assignment's).
        Some(name) => match name.strip_suffix(']').and_then(|n| n.split_once('[')) {
            Some((array, key)) => {
                let key = match sh.expand_string(key) {
                    Ok(key) => key,
                    Err(_) => return 1,
                };
                if let Err(msg) = sh.assign_element(array, &key, out) {
                    sh.error(format!("printf: {msg}"));
                    return 1;
                }
            }
            None => {
                if !sh.set_var(&name, out) {
                    return 1;
                }
            }
        },
        None => {
            if sh.out(out.as_bytes()).is_err() {
                return 1;
            }
        }
    }
    status
}

/// Applies the format once, consuming arguments; true if `\c` stopped it.
fn format_once(sh: &Shell, format: &str, args: &mut &[String], out: &mut String, status: &mut i32) -> bool {
    let chars: Vec<char> = format.chars().collect();
    let mut i = 0;
    let next = |args: &mut &[String]| -> Option<String> {
        let (first, rest) = args.split_first()?;
        *args = rest;
        Some(first.clone())
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let mut j = i + 1;
            // (`\c` is two plain characters in a format, as in bash.)
            if j < chars.len() && matches!(chars[j], 'u' | 'U') {
                let max = if chars[j] == 'u' { 4 } else { 8 };
                j += 1;
                let start = j;
                while j < chars.len() && j < start + max && chars[j].is_ascii_hexdigit() {
                    j += 1;
                }
            } else if j < chars.len() && ('0'..='7').contains(&chars[j]) {
                while j < chars.len() && j < i + 4 && ('0'..='7').contains(&chars[j]) {
                    j += 1;
                }
            } else if j < chars.len() && chars[j] == 'x' {
                j += 1;
                while j < chars.len() && j < i + 4 && chars[j].is_ascii_hexdigit() {
                    j += 1;
                }
            } else {
                j = (j + 1).min(chars.len());
            }
            let seq: String = chars[i..j].iter().collect();
            out.push_str(&escapes(&seq, super::EscapeStyle::Printf).0);
            i = j;
            continue;
        }
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'%') {
            out.push('%');
            i += 2;
            continue;
        }
        // %[flags][width][.precision]conv
        let mut j = i + 1;
        let mut flags = String::new();
        while j < chars.len() && "-+ #0".contains(chars[j]) {
            flags.push(chars[j]);
            j += 1;
        }
        let mut width = String::new();
        if chars.get(j) == Some(&'*') {
            width = next(args).unwrap_or_default();
            j += 1;
        }
        while j < chars.len() && chars[j].is_ascii_digit() {
            width.push(chars[j]);
            j += 1;
        }
        let mut precision: Option<String> = None;
        if chars.get(j) == Some(&'.') {
            j += 1;
            let mut p = String::new();
            if chars.get(j) == Some(&'*') {
                p = next(args).unwrap_or_default();
                j += 1;
            }
            while j < chars.len() && chars[j].is_ascii_digit() {
                p.push(chars[j]);
                j += 1;
            }
            precision = Some(p);
        }
        // `%(FORMAT)T`: a time, seconds since the epoch (-1 or none: now).
        if chars.get(j) == Some(&'(') {
            let rest: String = chars[j + 1..].iter().collect();
            if let Some(end) = rest.find(")T") {
                let time_format = &rest[..end];
                let arg = next(args).unwrap_or_default();
                let now = || {
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
                };
                let secs = match parse_int(&arg) {
                    _ if arg.is_empty() => now(),
                    Some(-1 | -2) => now(),
                    Some(n) => n,
                    None => {
                        sh.error(format!("printf: {arg}: invalid number"));
                        *status = 1;
                        0
                    }
                };
                let text = super::strftime::format(time_format, secs);
                let width: usize = width.trim_start_matches('-').parse().unwrap_or(0);
                let pad = " ".repeat(width.saturating_sub(text.chars().count()));
                if flags.contains('-') {
                    out.push_str(&text);
                    out.push_str(&pad);
                } else {
                    out.push_str(&pad);
                    out.push_str(&text);
                }
                i = j + 1 + time_format.chars().count() + 2;
                continue;
            }
        }
        let Some(&conv) = chars.get(j) else {
            out.push_str(&chars[i..].iter().collect::<String>());
            break;
        };
        i = j + 1;
        let arg = next(args);
        let left = flags.contains('-');
        let zero = flags.contains('0') && !left;
        let width: usize = width.trim_start_matches('-').parse().unwrap_or(0);
        let left = left || args_negative_width(&flags);
        let prec: Option<usize> = precision.as_deref().map(|p| p.parse().unwrap_or(0));
        let body = match conv {
            's' => {
                let s = arg.unwrap_or_default();
                match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                }
            }
            'b' => {
                let (s, stop) = escapes(&arg.unwrap_or_default(), super::EscapeStyle::PrintfB);
                if stop {
                    out.push_str(&s);
                    return true;
                }
                s
            }
            'q' => super::quote_backslash(&arg.unwrap_or_default()),
            'c' => arg.unwrap_or_default().chars().next().map(String::from).unwrap_or_default(),
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                let text = arg.unwrap_or_default();
                let n = match parse_int(&text) {
                    Some(n) => n,
                    None => {
                        sh.error(format!("printf: {text}: invalid number"));
                        *status = 1;
                        0
                    }
                };
                let mut digits = match conv {
                    'x' => format!("{:x}", n),
                    'X' => format!("{:X}", n),
                    'o' => format!("{:o}", n),
                    // As bash: a negative number is its 64-bit two's complement.
                    'u' => (n as u64).to_string(),
                    _ => n.unsigned_abs().to_string(),
                };
                if let Some(p) = prec {
                    while digits.len() < p {
                        digits.insert(0, '0');
                    }
                }
                let sign = if matches!(conv, 'd' | 'i') && n < 0 {
                    "-"
                } else if flags.contains('+') && matches!(conv, 'd' | 'i') {
                    "+"
                } else if flags.contains(' ') && matches!(conv, 'd' | 'i') {
                    " "
                } else {
                    ""
                };
                if zero && prec.is_none() {
                    while digits.len() + sign.len() < width {
                        digits.insert(0, '0');
                    }
                }
                format!("{sign}{digits}")
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let text = arg.unwrap_or_default();
                let x: f64 = text.trim().parse().unwrap_or_else(|_| parse_int(&text).unwrap_or(0) as f64);
                let p = prec.unwrap_or(6);
                let s = match conv {
                    'e' | 'E' => {
                        let s = format!("{x:.p$e}");
                        let s = fix_exponent(&s);
                        if conv == 'E' { s.to_uppercase() } else { s }
                    }
                    'g' | 'G' => format!("{x}"),
                    _ => format!("{x:.p$}"),
                };
                let mut s = if flags.contains('+') && x >= 0.0 { format!("+{s}") } else { s };
                if zero {
                    while s.len() < width {
                        let at = usize::from(s.starts_with('-') || s.starts_with('+'));
                        s.insert(at, '0');
                    }
                }
                s
            }
            other => {
                sh.error(format!("printf: `{other}': invalid format character"));
                *status = 1;
                return true;
            }
        };
        let len = body.chars().count();
        if len < width {
            let pad = " ".repeat(width - len);
            if left {
                out.push_str(&body);
                out.push_str(&pad);
            } else {
                out.push_str(&pad);
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    false
}

fn args_negative_width(_flags: &str) -> bool {
    false
}

/// C-style exponent: `1.5e0` → `1.5e+00`.
fn fix_exponent(s: &str) -> String {
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = if let Some(d) = e.strip_prefix('-') { ('-', d) } else { ('+', e) };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s.to_string(),
    }
}

/// An integer argument: decimal, `0x` hex, `0` octal, or `'c` (a char code).
fn parse_int(s: &str) -> Option<i64> {
    let t = s.trim();
    if let Some(c) = t.strip_prefix('\'').or_else(|| t.strip_prefix('"')) {
        return Some(c.chars().next().map_or(0, |c| c as i64));
    }
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let n = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8).ok()?
    } else if t.is_empty() {
        0
    } else {
        t.parse().ok()?
    };
    Some(if neg { -n } else { n })
}

/// `read [-r] [-a arr] [-d delim] [-n n] [-p prompt] [-u fd] names…`.
pub fn read(sh: &mut Shell, args: &[String]) -> i32 {
    let (mut raw, mut array, mut delim, mut count, mut fd) = (false, None, '\n', None::<usize>, 0);
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        if args[i] == "--" {
            i += 1;
            break;
        }
        let flag: Vec<char> = args[i].chars().skip(1).collect();
        for (k, &c) in flag.iter().enumerate() {
            if matches!(c, 'r' | 's' | 'e') {
                raw |= c == 'r';
                continue;
            }
            // An option with a value takes the rest of this argument or the next.
            let rest: String = flag[k + 1..].iter().collect();
            let value = if rest.is_empty() {
                i += 1;
                args.get(i).cloned().unwrap_or_default()
            } else {
                rest
            };
            match c {
                'a' => array = Some(value),
                'd' => delim = value.chars().next().unwrap_or('\0'),
                'n' | 'N' => count = value.parse().ok(),
                'p' => sysio::write_fd(2, value.as_bytes()),
                't' => {}
                'u' => fd = value.parse().unwrap_or(-1),
                _ => {
                    sh.error(format!("read: -{c}: invalid option"));
                    return 2;
                }
            }
            break;
        }
        i += 1;
    }
    let Some(real) = sh.real_fd(fd) else {
        sh.error(format!("read: {fd}: invalid file descriptor: Bad file descriptor"));
        return 1;
    };
    let mut names: Vec<String> = args[i..].to_vec();
    // Without names the line goes to REPLY unsplit and untrimmed.
    let whole_line = names.is_empty() && array.is_none();
    if whole_line {
        names.push("REPLY".into());
    }
    // Read bytes up to the delimiter (one at a time: never past the line).
    let mut bytes = Vec::new();
    let mut eof = false;
    loop {
        if count.is_some_and(|n| String::from_utf8_lossy(&bytes).chars().count() >= n) {
            break;
        }
        match sysio::read_byte(real) {
            Ok(Some(b)) => {
                if b == b'\\' && !raw {
                    match sysio::read_byte(real) {
                        Ok(Some(b'\n')) => continue,
                        Ok(Some(next)) => {
                            bytes.push(0);
                            bytes.push(next);
                            continue;
                        }
                        _ => {
                            eof = true;
                            break;
                        }
                    }
                }
                if u32::from(b) == delim as u32 {
                    break;
                }
                bytes.push(b);
            }
            _ => {
                eof = true;
                break;
            }
        }
    }
    let line = crate::bytes::decode(&bytes);
    if whole_line {
        return if sh.set_var("REPLY", unmark(&line)) { i32::from(eof) } else { 1 };
    }
    let ifs = sh.ifs();
    let fields = split_read(&line, &ifs, if array.is_some() { usize::MAX } else { names.len() });
    let ok = |sh: &mut Shell, name: &str, v: String| sh.set_var(name, v);
    if let Some(arr) = array {
        let map: BTreeMap<i64, String> = fields.into_iter().enumerate().map(|(i, f)| (i as i64, unmark(&f))).collect();
        if let Err(msg) = sh.st.vars.set_value(&arr, Value::Indexed(map)) {
            sh.error(msg);
            return 1;
        }
    } else {
        for (k, name) in names.iter().enumerate() {
            let v = fields.get(k).map(|f| unmark(f)).unwrap_or_default();
            if !ok(sh, name, v) {
                return 1;
            }
        }
    }
    i32::from(eof)
}

/// A backslash-escaped character is kept as NUL + char while splitting.
fn unmark(s: &str) -> String {
    s.replace('\0', "")
}

/// Splits a line for `read`: `n` fields, the last taking the rest (with
/// trailing IFS whitespace removed).
fn split_read(line: &str, ifs: &str, n: usize) -> Vec<String> {
    let is_ws = |c: char| ifs.contains(c) && c.is_whitespace();
    let is_ifs = |c: char| ifs.contains(c);
    let chars: Vec<char> = line.chars().collect();
    let escaped = |i: usize| i > 0 && chars[i - 1] == '\0';
    let mut fields = Vec::new();
    let mut i = 0;
    while i < chars.len() && is_ws(chars[i]) && !escaped(i) {
        i += 1;
    }
    while i < chars.len() {
        if fields.len() + 1 == n {
            let mut rest: String = chars[i..].iter().collect();
            while rest.ends_with(|c: char| is_ws(c)) && !rest.ends_with("\0 ") {
                rest.pop();
            }
            fields.push(rest);
            return fields;
        }
        let start = i;
        while i < chars.len() && (!is_ifs(chars[i]) || escaped(i)) {
            i += 1;
        }
        fields.push(chars[start..i].iter().collect());
        // Skip the delimiter: whitespace, at most one non-whitespace, whitespace.
        while i < chars.len() && is_ws(chars[i]) {
            i += 1;
        }
        if i < chars.len() && is_ifs(chars[i]) && !is_ws(chars[i]) {
            i += 1;
            while i < chars.len() && is_ws(chars[i]) {
                i += 1;
            }
        }
    }
    fields
}

/// `mapfile [-t] [array]` / `readarray`.
pub fn mapfile(sh: &mut Shell, args: &[String]) -> i32 {
    let trim = args.iter().any(|a| a == "-t");
    let name = args.iter().rfind(|a| !a.starts_with('-')).cloned().unwrap_or_else(|| "MAPFILE".into());
    let data = sysio::read_all(0).unwrap_or_default();
    let text = String::from_utf8_lossy(&data);
    let mut map = BTreeMap::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let line = if trim { line.strip_suffix('\n').unwrap_or(line) } else { line };
        map.insert(i as i64, line.to_string());
    }
    match sh.st.vars.set_value(&name, Value::Indexed(map)) {
        Ok(()) => 0,
        Err(msg) => {
            sh.error(msg);
            1
        }
    }
}
