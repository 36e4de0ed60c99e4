//! File names as GNU `ls` quotes them (`--quoting-style`, `-b`, `-Q`,
//! `-q`), in the C locale: every byte above ASCII is unprintable.

/// GNU's quoting styles (`--quoting-style`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Quoting {
    Literal,
    Escape,
    C,
    Shell,
    ShellAlways,
    ShellEscape,
    ShellEscapeAlways,
}

impl Quoting {
    /// A `--quoting-style` argument.
    pub(super) fn parse(text: &str) -> Option<Quoting> {
        Some(match text {
            "literal" => Quoting::Literal,
            "escape" => Quoting::Escape,
            "c" => Quoting::C,
            "shell" => Quoting::Shell,
            "shell-always" => Quoting::ShellAlways,
            "shell-escape" => Quoting::ShellEscape,
            "shell-escape-always" => Quoting::ShellEscapeAlways,
            _ => return None,
        })
    }
}

/// Whether a byte prints as itself in the C locale.
fn printable(b: u8) -> bool {
    (0x20..0x7f).contains(&b)
}

/// The C escape of a control character (`\n`), if it has a letter.
fn named_escape(b: u8) -> Option<char> {
    Some(match b {
        7 => 'a',
        8 => 'b',
        0x0c => 'f',
        b'\n' => 'n',
        b'\r' => 'r',
        b'\t' => 't',
        0x0b => 'v',
        _ => return None,
    })
}

/// Whether a byte makes a name need quotes in the shell styles (gnulib's
/// list); `at`/`len` place it in the name.
fn shell_special(b: u8, at: usize, len: usize) -> bool {
    match b {
        b'{' | b'}' => len == 1,
        b'#' | b'~' => at == 0,
        b' ' | b'!' | b'"' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b';' | b'<' | b'=' | b'>' | b'?' | b'['
        | b'\\' | b'^' | b'`' | b'|' => true,
        _ => named_escape(b).is_some(),
    }
}

/// A name as the quoting style writes it. `hide_control` shows
/// unprintable bytes as `?` (literal and shell styles, as GNU's `-q`);
/// `extra` are bytes the backslash styles also escape (`-F`'s indicators).
pub(super) fn quote_name(name: &[u8], style: Quoting, hide_control: bool, extra: &[u8]) -> String {
    let out = match style {
        Quoting::Literal => String::from_utf8_lossy(name).into_owned(),
        Quoting::Escape | Quoting::C => {
            let c = style == Quoting::C;
            let mut out = String::new();
            if c {
                out.push('"');
            }
            for &b in name {
                if let Some(letter) = named_escape(b) {
                    out.push('\\');
                    out.push(letter);
                } else if b == b'\\' || (c && b == b'"') || (!c && b == b' ') || extra.contains(&b) {
                    out.push('\\');
                    out.push(char::from(b));
                } else if printable(b) {
                    out.push(char::from(b));
                } else {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
            if c {
                out.push('"');
            }
            return out;
        }
        Quoting::Shell | Quoting::ShellAlways | Quoting::ShellEscape | Quoting::ShellEscapeAlways => {
            return shell_quote(name, style, hide_control);
        }
    };
    if hide_control { hide(&out) } else { out }
}

/// Replaces unprintable characters with `?`, byte by byte (C locale).
fn hide(text: &str) -> String {
    text.bytes().map(|b| if printable(b) { char::from(b) } else { '?' }).collect()
}

/// The shell quoting styles.
fn shell_quote(name: &[u8], style: Quoting, hide_control: bool) -> String {
    let escape = matches!(style, Quoting::ShellEscape | Quoting::ShellEscapeAlways);
    let always = matches!(style, Quoting::ShellAlways | Quoting::ShellEscapeAlways);
    let len = name.len();
    let needs = name.is_empty()
        || name.iter().enumerate().any(|(at, &b)| shell_special(b, at, len) || (escape && !printable(b)));
    if !needs && !always {
        let text = String::from_utf8_lossy(name).into_owned();
        return if hide_control && !escape { hide(&text) } else { text };
    }
    // A name with a single quote and nothing else special reads best in
    // double quotes ("it's").
    let compat = |b: u8| printable(b) && (b == b'\'' || b == b' ' || !shell_special(b, 1, 2));
    if name.contains(&b'\'') && name.iter().all(|&b| compat(b)) {
        return format!("\"{}\"", String::from_utf8_lossy(name));
    }
    let mut out = vec![b'\''];
    let mut in_escape = false;
    for &b in name {
        if escape && !printable(b) {
            if !in_escape {
                out.extend_from_slice(b"'$'");
                in_escape = true;
            }
            match named_escape(b) {
                Some(letter) => out.extend_from_slice(&[b'\\', letter as u8]),
                None => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            }
            continue;
        }
        if in_escape {
            out.extend_from_slice(b"''");
            in_escape = false;
        }
        if b == b'\'' {
            out.extend_from_slice(b"'\\''");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
    let text = String::from_utf8_lossy(&out).into_owned();
    if hide_control && !escape { hide(&text) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_styles() {
        let q = |name: &str, style| quote_name(name.as_bytes(), style, false, b"");
        assert_eq!(q("a b", Quoting::Escape), "a\\ b");
        assert_eq!(q("nl\nx", Quoting::C), "\"nl\\nx\"");
        assert_eq!(q("plain", Quoting::ShellEscape), "plain");
        assert_eq!(q("it's", Quoting::ShellEscape), "\"it's\"");
        assert_eq!(q("$x", Quoting::Shell), "'$x'");
        assert_eq!(q("nl\nx", Quoting::ShellEscape), "'nl'$'\\n''x'");
        assert_eq!(q("é", Quoting::ShellEscape), "''$'\\303\\251'");
        assert_eq!(q("é", Quoting::Shell), "é");
        assert_eq!(q("plain", Quoting::ShellAlways), "'plain'");
    }
}
