//! Text as file(1) tells it: the encoding (file's `encoding.c` tables),
//! JSON (the lenient parser of file's `is_json.c`), `#!` scripts (the
//! interpreters of file's `commands`, `python`, `perl`, `ruby` and
//! `javascript` magic) and the line notes of file's `ascmagic.c`.

use super::Kind;

/// A text encoding file(1) recognizes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Ascii,
    Utf8,
    Utf8Bom,
    Latin1,
    Extended,
}

impl Encoding {
    /// How the description names it (before ` text`).
    fn label(self) -> &'static str {
        match self {
            Encoding::Ascii => "ASCII",
            Encoding::Utf8 => "Unicode text, UTF-8",
            Encoding::Utf8Bom => "Unicode text, UTF-8 (with BOM)",
            Encoding::Latin1 => "ISO-8859",
            Encoding::Extended => "Non-ISO extended-ASCII",
        }
    }

    /// The `charset=` of `--mime`.
    pub fn charset(self) -> &'static str {
        match self {
            Encoding::Ascii => "us-ascii",
            Encoding::Utf8 | Encoding::Utf8Bom => "utf-8",
            Encoding::Latin1 => "iso-8859-1",
            Encoding::Extended => "unknown-8bit",
        }
    }
}

/// file's classes of bytes: text in any encoding, text in ISO-8859, text
/// only in some other 8-bit set, and never text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Text,
    Iso,
    Extended,
    Binary,
}

fn class(byte: u8) -> Class {
    match byte {
        7..=13 | 27 | 32..=126 => Class::Text,
        0x85 | 0xa0..=0xff => Class::Iso,
        0x80..=0x9f => Class::Extended,
        _ => Class::Binary,
    }
}

/// The encoding of `data` if it is text.
pub fn encoding(data: &[u8]) -> Option<Encoding> {
    if data.iter().all(|b| class(*b) == Class::Text) {
        return Some(Encoding::Ascii);
    }
    let ascii_ok = |text: &str| text.bytes().all(|b| b >= 0x80 || class(b) == Class::Text);
    if let Some(rest) = data.strip_prefix(b"\xef\xbb\xbf")
        && std::str::from_utf8(rest).is_ok_and(ascii_ok)
    {
        return Some(Encoding::Utf8Bom);
    }
    if std::str::from_utf8(data).is_ok_and(ascii_ok) {
        return Some(Encoding::Utf8);
    }
    if data.iter().all(|b| matches!(class(*b), Class::Text | Class::Iso)) {
        return Some(Encoding::Latin1);
    }
    if data.iter().all(|b| class(*b) != Class::Binary) {
        return Some(Encoding::Extended);
    }
    None
}

/// What `data`, text in `encoding`, is: JSON, a script, or plain text.
pub fn classify(data: &[u8], encoding: Encoding) -> Kind {
    let text = encoding.label();
    let notes = line_notes(data, encoding);
    match json(data) {
        Some(false) => return Kind::new("JSON text data", "application/json"),
        Some(true) => return Kind::new("New Line Delimited JSON text data", "application/x-ndjson"),
        None => {}
    }
    if let Some((interpreter, mime)) = script(data) {
        let description = match interpreter.as_str() {
            "Perl script" => format!("Perl script text executable{notes}"),
            "Node.js script" => format!("Node.js script executable, {text} text{notes}"),
            _ => format!("{interpreter}, {text} text executable{notes}"),
        };
        return Kind::new(&description, mime);
    }
    Kind::new(&format!("{text} text{notes}"), "text/plain")
}

/// The interpreters of `#!` lines file(1) names, by the start of the path:
/// (path, description, mime type).
const INTERPRETERS: &[(&str, &str, &str)] = &[
    ("/bin/sh", "POSIX shell script", "text/x-shellscript"),
    ("/bin/csh", "C shell script", "text/x-shellscript"),
    ("/bin/ksh", "Korn shell script", "text/x-shellscript"),
    ("/bin/tcsh", "Tenex C shell script", "text/x-shellscript"),
    ("/usr/bin/tcsh", "Tenex C shell script", "text/x-shellscript"),
    ("/usr/local/bin/tcsh", "Tenex C shell script", "text/x-shellscript"),
    ("/bin/zsh", "Paul Falstad's zsh script", "text/x-shellscript"),
    ("/usr/bin/zsh", "Paul Falstad's zsh script", "text/x-shellscript"),
    ("/usr/local/bin/zsh", "Paul Falstad's zsh script", "text/x-shellscript"),
    ("/bin/nawk", "new awk script", "text/x-nawk"),
    ("/usr/bin/nawk", "new awk script", "text/x-nawk"),
    ("/bin/gawk", "GNU awk script", "text/x-gawk"),
    ("/usr/bin/gawk", "GNU awk script", "text/x-gawk"),
    ("/bin/awk", "awk script", "text/x-awk"),
    ("/usr/bin/awk", "awk script", "text/x-awk"),
    ("/bin/bash", "Bourne-Again shell script", "text/x-shellscript"),
    ("/usr/bin/bash", "Bourne-Again shell script", "text/x-shellscript"),
    ("/usr/local/bin/bash", "Bourne-Again shell script", "text/x-shellscript"),
    ("/usr/bin/env bash", "Bourne-Again shell script", "text/x-shellscript"),
    ("/usr/bin/python", "Python script", "text/x-script.python"),
    ("/usr/local/bin/python", "Python script", "text/x-script.python"),
    ("/usr/bin/env python", "Python script", "text/x-script.python"),
    ("/usr/bin/ruby", "Ruby script", "text/x-ruby"),
    ("/usr/local/bin/ruby", "Ruby script", "text/x-ruby"),
    ("/usr/bin/env ruby", "Ruby script", "text/x-ruby"),
    ("/usr/bin/perl", "Perl script", "text/x-perl"),
    ("/usr/local/bin/perl", "Perl script", "text/x-perl"),
    ("/usr/bin/env perl", "Perl script", "text/x-perl"),
    ("/usr/bin/node", "Node.js script", "application/javascript"),
    ("/usr/bin/env node", "Node.js script", "application/javascript"),
];

/// The description and mime type of a `#!` script; an interpreter file(1)
/// does not know is `a PATH script` (`a NAME script` through `env`).
fn script(data: &[u8]) -> Option<(String, &'static str)> {
    let rest = data.strip_prefix(b"#!")?;
    let line = rest.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let line = line.trim_start_matches([' ', '\t']);
    for (path, description, mime) in INTERPRETERS {
        if line.starts_with(path) {
            return Some((description.to_string(), mime));
        }
    }
    let shown = line.strip_prefix("/usr/bin/env ").unwrap_or(line).trim();
    Some((format!("a {shown} script"), "text/plain"))
}

/// The notes ascmagic adds to text: very long lines (over 300 characters),
/// the line terminators, escape sequences and backspaces.
fn line_notes(data: &[u8], encoding: Encoding) -> String {
    const MAX_LINE: usize = 300;
    let chars: Vec<u32> = match encoding {
        Encoding::Utf8 | Encoding::Utf8Bom => {
            let body = if encoding == Encoding::Utf8Bom { &data[3..] } else { data };
            String::from_utf8_lossy(body).chars().map(u32::from).collect()
        }
        _ => data.iter().map(|b| u32::from(*b)).collect(),
    };
    let (mut crlf, mut cr, mut lf, mut nel) = (0usize, 0usize, 0usize, 0usize);
    let (mut escapes, mut backspaces, mut seen_cr) = (false, false, false);
    let mut longest: Option<usize> = None;
    // The index of the last line end, plus one (0 before the first).
    let mut line_start = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        if c == u32::from(b'\n') {
            if seen_cr {
                crlf += 1;
            } else {
                lf += 1;
            }
            line_start = i + 1;
        } else if seen_cr {
            cr += 1;
        }
        seen_cr = c == u32::from(b'\r');
        if seen_cr {
            line_start = i + 1;
        }
        if c == 0x85 {
            nel += 1;
            line_start = i + 1;
        }
        if i >= line_start + MAX_LINE {
            let length = i + 1 - line_start;
            longest = Some(longest.map_or(length, |l| l.max(length)));
        }
        escapes |= c == 0x1b;
        backspaces |= c == 0x08;
    }
    let mut notes = String::new();
    if let Some(length) = longest {
        notes.push_str(&format!(", with very long lines ({length})"));
    }
    if crlf + cr + lf + nel == 0 {
        notes.push_str(", with no line terminators");
    } else if crlf + cr + nel > 0 {
        let kinds: Vec<&str> = [(crlf, "CRLF"), (cr, "CR"), (lf, "LF"), (nel, "NEL")]
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(_, name)| *name)
            .collect();
        notes.push_str(&format!(", with {} line terminators", kinds.join(", ")));
    }
    if escapes {
        notes.push_str(", with escape sequences");
    }
    if backspaces {
        notes.push_str(", with overstriking");
    }
    notes
}

// ------------------------------------------------------------------ JSON

/// Nesting deeper than this is not JSON to file(1) (and bounds the
/// recursion).
const MAX_DEPTH: usize = 500;

/// Whether `data` is JSON as file(1) judges it: `Some(false)` for one
/// value, `Some(true)` for newline-delimited values; the top level must
/// hold an object or an array somewhere.
fn json(data: &[u8]) -> Option<bool> {
    let mut p = Json { data, at: 0, containers: 0 };
    let first = p.skip_space();
    if !p.value(0) {
        return None;
    }
    p.skip_space();
    if p.at == data.len() {
        return (p.containers > 0).then_some(false);
    }
    // A second value starting as the first did: newline-delimited JSON.
    if data.get(first) == data.get(p.at) && p.value(1) {
        return (p.containers > 0).then_some(true);
    }
    None
}

/// file's JSON scanner: lenient (it takes `[1,]` and `01`) and never
/// looking back.
struct Json<'a> {
    data: &'a [u8],
    at: usize,
    /// Objects and non-empty arrays seen.
    containers: usize,
}

impl Json<'_> {
    fn peek(&self) -> Option<u8> {
        self.data.get(self.at).copied()
    }

    /// Skips whitespace; returns the new position.
    fn skip_space(&mut self) -> usize {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
        self.at
    }

    fn value(&mut self, depth: usize) -> bool {
        self.skip_space();
        if depth > MAX_DEPTH {
            return false;
        }
        let Some(c) = self.peek() else { return false };
        self.at += 1;
        let ok = match c {
            b'"' => self.string(),
            b'[' => self.array(depth),
            b'{' => self.object(depth),
            b't' => self.constant(b"rue"),
            b'f' => self.constant(b"alse"),
            b'n' => self.constant(b"ull"),
            _ => {
                self.at -= 1;
                self.number()
            }
        };
        self.skip_space();
        ok
    }

    fn string(&mut self) -> bool {
        while let Some(c) = self.peek() {
            self.at += 1;
            match c {
                0 => return false,
                b'"' => return true,
                b'\\' => match self.peek() {
                    Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.at += 1,
                    Some(b'u') => {
                        self.at += 1;
                        let hex = self.data.get(self.at..self.at + 4);
                        if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                            return false;
                        }
                        self.at += 4;
                    }
                    _ => return false,
                },
                _ => {}
            }
        }
        false
    }

    fn array(&mut self, depth: usize) -> bool {
        loop {
            self.skip_space();
            match self.peek() {
                None => return false,
                Some(b']') => break,
                Some(_) => {}
            }
            if !self.value(depth + 1) {
                return false;
            }
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => break,
                _ => return false,
            }
        }
        self.at += 1;
        self.containers += 1;
        true
    }

    fn object(&mut self, depth: usize) -> bool {
        loop {
            self.skip_space();
            match self.peek() {
                None => return false,
                Some(b'}') => {
                    self.at += 1;
                    break;
                }
                Some(b'"') => self.at += 1,
                Some(_) => return false,
            }
            if !self.string() {
                return false;
            }
            self.skip_space();
            if self.peek() != Some(b':') {
                return false;
            }
            self.at += 1;
            if !self.value(depth + 1) {
                return false;
            }
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    break;
                }
                _ => return false,
            }
        }
        self.containers += 1;
        true
    }

    fn constant(&mut self, rest: &[u8]) -> bool {
        let end = (self.at + rest.len()).min(self.data.len());
        let ok = self.data[self.at..end] == rest[..end - self.at];
        self.at = end;
        ok
    }

    fn number(&mut self) -> bool {
        let digits = |p: &mut Self| {
            let start = p.at;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.at += 1;
            }
            p.at > start
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let mut got = digits(self);
        if self.peek() == Some(b'.') {
            self.at += 1;
        }
        got |= digits(self);
        if got && matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            got = digits(self);
        }
        got
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_as_file_judges_it() {
        assert_eq!(json(b"{\"a\": [1, 2]}\n"), Some(false));
        assert_eq!(json(b"[1,]"), Some(false));
        assert_eq!(json(b"{\"a\":1}\n{\"b\":2}\n"), Some(true));
        assert_eq!(json(b"1\n"), None);
        assert_eq!(json(b"{bad}"), None);
    }

    #[test]
    fn line_notes_as_ascmagic() {
        assert_eq!(line_notes(b"a\r\nb\n", Encoding::Ascii), ", with CRLF, LF line terminators");
        assert_eq!(line_notes(b"abc", Encoding::Ascii), ", with no line terminators");
        let long = [vec![b'y'; 301], b"\n".to_vec()].concat();
        assert_eq!(line_notes(&long, Encoding::Ascii), ", with very long lines (301)");
        assert_eq!(line_notes(&long[1..], Encoding::Ascii), "");
    }
}
