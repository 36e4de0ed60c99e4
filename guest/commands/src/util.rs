//! What several commands share: error messages, signals, child statuses,
//! durations, sizes and dates.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};

/// Prints `<cmd>: <msg>` to stderr and returns exit status 1.
pub fn fail(cmd: &str, msg: impl std::fmt::Display) -> i32 {
    eprintln!("{cmd}: {msg}");
    1
}

/// Prints the usage error `<cmd>: <msg>` and a hint, returns `status`.
pub fn usage(cmd: &str, msg: impl std::fmt::Display, status: i32) -> i32 {
    eprintln!("{cmd}: {msg}");
    eprintln!("Try '{cmd} --help' for more information.");
    status
}

/// The honest refusal of something capsa cannot do: prints
/// `capsa: <cmd>: not supported: <why>` and returns exit status 1.
pub fn not_supported(cmd: &str, why: &str) -> i32 {
    eprintln!("capsa: {cmd}: not supported: {why}");
    1
}

/// An I/O error as coreutils print it: the OS message without Rust's
/// ` (os error N)` suffix.
pub fn errmsg(err: &io::Error) -> String {
    let text = err.to_string();
    match text.find(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// `'name'` as GNU tools quote file names in messages.
pub fn quote(name: &OsStr) -> String {
    format!("'{}'", name.to_string_lossy())
}

/// A file name as GNU's `quotef` writes it: as is when the shell would
/// read it back unchanged, else in single quotes.
pub fn quotef(name: &OsStr) -> String {
    let text = name.to_string_lossy();
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./:,+@%=-".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// Flushes stdout, ignoring a closed pipe.
pub fn flush_stdout() {
    let _ = io::stdout().flush();
}

/// A lexopt error as a usage message, returning status `status`.
pub fn bad_usage(cmd: &str, err: lexopt::Error, status: i32) -> i32 {
    usage(cmd, err, status)
}

/// The value of an option as a `String` (usage error text otherwise).
pub fn string(value: OsString) -> Result<String, String> {
    value.into_string().map_err(|v| format!("invalid UTF-8 in {}", v.to_string_lossy()))
}

// ------------------------------------------------------------------ signals

/// Linux signal names (without `SIG`), indexed by number - 1.
const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE", "ALRM", "TERM",
    "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "POLL",
    "PWR", "SYS",
];

/// The name of signal `n` without `SIG` (`9` → `KILL`).
pub fn signal_name(n: i32) -> Option<&'static str> {
    usize::try_from(n).ok().and_then(|n| n.checked_sub(1)).and_then(|i| SIGNALS.get(i)).copied()
}

/// Every `(number, name)`.
pub fn signals() -> impl Iterator<Item = (i32, &'static str)> {
    SIGNALS.iter().enumerate().map(|(i, name)| (i as i32 + 1, *name))
}

/// Parses a signal given by number or by name, with or without `SIG`,
/// in any case (`9`, `KILL`, `sigkill`); `0` is the null signal.
pub fn parse_signal(text: &str) -> Option<i32> {
    if let Ok(n) = text.parse::<i32>() {
        return (0..=64).contains(&n).then_some(n);
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    match name {
        "IOT" => Some(6),
        "IO" => Some(29),
        "CLD" => Some(17),
        _ => signals().find(|(_, n)| *n == name).map(|(number, _)| number),
    }
}

// ------------------------------------------------------------------ children

/// The shell-style status of a child: its exit code, or 128 + signal.
pub fn child_code(status: wasi_ext::ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => 1,
    }
}

/// Reports a command that could not be started as the shell does and
/// returns 127 (not found) or 126 (found but not runnable).
pub fn spawn_failed(cmd: &str, program: &OsStr, err: &io::Error) -> i32 {
    eprintln!("{cmd}: {}: {}", quote(program), errmsg(err));
    if err.kind() == io::ErrorKind::NotFound { 127 } else { 126 }
}

// ------------------------------------------------------------------ time

/// Parses a duration as `timeout` and `sleep` do: a non-negative decimal
/// number with an optional suffix `s`, `m`, `h` or `d`. Returns milliseconds
/// (rounded up, so that a tiny positive duration stays positive).
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let (number, unit) = match text.char_indices().last() {
        Some((at, c @ ('s' | 'm' | 'h' | 'd'))) => (&text[..at], c),
        _ => (text, 's'),
    };
    if number.starts_with('-') {
        return None;
    }
    let value: f64 = number.parse().ok().filter(|v: &f64| v.is_finite() && *v >= 0.0)?;
    let seconds = value
        * match unit {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            _ => 86400.0,
        };
    let ms = (seconds * 1000.0).ceil();
    Some(if ms >= u64::MAX as f64 { u64::MAX } else { ms as u64 })
}

/// The civil date of a day count since 1970-01-01 (proleptic Gregorian).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn +0000` for nanoseconds since the epoch
/// (UTC: a VM has no time zone database).
pub fn format_timestamp(nanos: u64) -> String {
    let secs = (nanos / 1_000_000_000) as i64;
    let frac = nanos % 1_000_000_000;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{frac:09} +0000", rem / 3600, rem % 3600 / 60, rem % 60)
}

// ------------------------------------------------------------------ sizes

/// `n` bytes in human-readable form as `du -h`/`df -h` print it: powers of
/// 1024, one decimal below 10, rounded up (`1.5K`, `12M`, `0`).
pub fn human_size(n: u64) -> String {
    const UNITS: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    if n < 1024 {
        return n.to_string();
    }
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        let tenths = (value * 10.0).ceil() / 10.0;
        if tenths >= 10.0 {
            format!("{:.0}{}", tenths.ceil(), UNITS[unit])
        } else {
            format!("{tenths:.1}{}", UNITS[unit])
        }
    } else {
        let whole = value.ceil();
        if whole >= 1024.0 && unit < UNITS.len() - 1 {
            format!("1.0{}", UNITS[unit + 1])
        } else {
            format!("{whole:.0}{}", UNITS[unit])
        }
    }
}

/// Parses a size with an optional multiplier suffix as `dd` and `du -B`
/// accept: `c` 1, `w` 2, `b` 512, `K`/`KiB` 1024, `KB` 1000, `M`, `G`, `T`
/// and so on; `x` multiplies (`2x512`).
pub fn parse_size(text: &str) -> Option<u64> {
    if let Some((a, b)) = text.split_once('x') {
        return parse_size(a)?.checked_mul(parse_size(b)?);
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, suffix) = text.split_at(digits);
    let number: u64 = if number.is_empty() { 1 } else { number.parse().ok()? };
    if digits == 0 && suffix.is_empty() {
        return None;
    }
    let power = |base: u64, exp: u32| base.checked_pow(exp);
    let multiplier = match suffix {
        "" | "c" => 1,
        "w" => 2,
        "b" => 512,
        _ => {
            let mut chars = suffix.chars();
            let letter = chars.next()?;
            let exp = "KMGTPEZY".find(letter.to_ascii_uppercase())? as u32 + 1;
            match chars.as_str() {
                "" | "iB" => power(1024, exp)?,
                "B" => power(1000, exp)?,
                _ => return None,
            }
        }
    };
    number.checked_mul(multiplier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("1"), Some(1000));
        assert_eq!(parse_duration_ms("0.5s"), Some(500));
        assert_eq!(parse_duration_ms("2m"), Some(120_000));
        assert_eq!(parse_duration_ms("-1"), None);
        assert_eq!(parse_duration_ms("x"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(format_timestamp(0), "1970-01-01 00:00:00.000000000 +0000");
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2K"), Some(2048));
        assert_eq!(parse_size("1kB"), Some(1000));
        assert_eq!(parse_size("2x512"), Some(1024));
        assert_eq!(human_size(1536), "1.5K");
        assert_eq!(human_size(4096), "4.0K");
    }
}
