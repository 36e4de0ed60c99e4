//! Word lists, `%` patterns and file-name globbing: the text operations that
//! variables, functions and rules share.

use std::path::Path;

/// Most entries a directory may contribute to one glob; a pattern over a
/// huge directory stops there rather than exhausting the guest's memory.
const GLOB_DIR_LIMIT: usize = 100_000;

/// Whether `c` separates words (make's `isspace`).
pub fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

/// The whitespace-separated words of `text`.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(is_space).filter(|w| !w.is_empty())
}

/// The words of `text`, joined by single spaces (`$(strip)`).
pub fn strip(text: &str) -> String {
    words(text).collect::<Vec<_>>().join(" ")
}

/// A `%` pattern, split at its first `%` that no backslash escapes; `\%`
/// stands for a literal `%` and `\\%` for a backslash before the wildcard,
/// as in GNU make. A pattern without `%` matches only itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// Text before the `%` (or all of it).
    pub prefix: String,
    /// Text after the `%`.
    pub suffix: String,
    /// Whether there was a wildcard `%`.
    pub percent: bool,
}

impl Pattern {
    /// Parses `text`.
    pub fn new(text: &str) -> Pattern {
        let bytes = text.as_bytes();
        let mut prefix = String::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'\\' {
                let run = bytes[i..].iter().take_while(|b| **b == b'\\').count();
                if bytes.get(i + run) == Some(&b'%') {
                    prefix.push_str(&"\\".repeat(run / 2));
                    i += run;
                    if run % 2 == 1 {
                        prefix.push('%');
                        i += 1;
                        continue;
                    }
                    let suffix = text[i + 1..].to_string();
                    return Pattern { prefix, suffix, percent: true };
                }
                prefix.push_str(&text[i..i + run]);
                i += run;
                continue;
            }
            if bytes[i] == b'%' {
                return Pattern { prefix, suffix: text[i + 1..].to_string(), percent: true };
            }
            let len = text[i..].chars().next().map_or(1, char::len_utf8);
            prefix.push_str(&text[i..i + len]);
            i += len;
        }
        Pattern { prefix, suffix: String::new(), percent: false }
    }

    /// The stem `word` matches with, if it matches.
    pub fn matches<'a>(&self, word: &'a str) -> Option<&'a str> {
        if !self.percent {
            return (word == self.prefix).then_some("");
        }
        if word.len() < self.prefix.len() + self.suffix.len() {
            return None;
        }
        let rest = word.strip_prefix(self.prefix.as_str())?;
        rest.strip_suffix(self.suffix.as_str())
    }

    /// The pattern with `stem` in place of its `%` (itself without one).
    pub fn fill(&self, stem: &str) -> String {
        if self.percent { format!("{}{stem}{}", self.prefix, self.suffix) } else { self.prefix.clone() }
    }
}

/// Whether `text` has a `%` (escaped or not: callers use it to tell pattern
/// rules from explicit ones, as GNU's `find_percent` does).
pub fn has_percent(text: &str) -> bool {
    Pattern::new(text).percent
}

/// `$(patsubst PATTERN,REPLACEMENT,TEXT)`: each word of `text` matching
/// `pattern` becomes `replacement` with the stem for its `%`; words are
/// joined by single spaces.
pub fn patsubst(pattern: &str, replacement: &str, text: &str) -> String {
    let pattern = Pattern::new(pattern);
    let replacement = Pattern::new(replacement);
    let out: Vec<String> = words(text)
        .map(|word| match pattern.matches(word) {
            Some(stem) if pattern.percent => replacement.fill(stem),
            Some(_) => replacement.fill(""),
            None => word.to_string(),
        })
        .collect();
    out.join(" ")
}

/// A file name as make keys it: without leading `./` (`./foo` and `foo`
/// are one target, as in GNU make).
pub fn normalize(name: &str) -> String {
    let mut name = name;
    while name.len() > 2 && name.starts_with("./") {
        name = name[2..].trim_start_matches('/');
        if name.is_empty() {
            return "./".to_string();
        }
    }
    name.to_string()
}

/// The directory part of `word` with its slash (`./` if none), as `$(dir)`.
pub fn dir(word: &str) -> &str {
    match word.rfind('/') {
        Some(at) => &word[..=at],
        None => "./",
    }
}

/// The part of `word` after its last slash, as `$(notdir)`.
pub fn notdir(word: &str) -> &str {
    match word.rfind('/') {
        Some(at) => &word[at + 1..],
        None => word,
    }
}

/// The suffix of `word` (from the last `.` of its last component), if any.
pub fn suffix(word: &str) -> Option<&str> {
    let dot = word.rfind('.')?;
    if word[dot..].contains('/') { None } else { Some(&word[dot..]) }
}

/// Whether `text` has a glob character that no backslash escapes.
pub fn has_glob(text: &str) -> bool {
    let mut escaped = false;
    for c in text.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

/// `text` with glob backslashes removed (`\*` is `*`).
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

/// The existing files `pattern` names, sorted (`$(wildcard)` and wildcards
/// in rules). A pattern without glob characters names itself if it exists.
pub fn glob(pattern: &str) -> Vec<String> {
    if !has_glob(pattern) {
        let name = unescape(pattern);
        return if Path::new(&name).symlink_metadata().is_ok() { vec![name] } else { Vec::new() };
    }
    let (mut found, rest) = match pattern.strip_prefix('/') {
        Some(rest) => (vec!["/".to_string()], rest),
        None => (vec![String::new()], pattern),
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    for (index, part) in parts.iter().enumerate() {
        let last = index + 1 == parts.len();
        let mut next = Vec::new();
        for base in &found {
            let join = |name: &str| {
                if base.is_empty() || base.ends_with('/') { format!("{base}{name}") } else { format!("{base}/{name}") }
            };
            if !has_glob(part) {
                next.push(join(&unescape(part)));
                continue;
            }
            let dir = if base.is_empty() { "." } else { base.as_str() };
            let Ok(entries) = std::fs::read_dir(dir) else { continue };
            let mut names: Vec<String> = entries
                .take(GLOB_DIR_LIMIT)
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| fnmatch(part, name))
                .collect();
            names.sort();
            for name in names {
                let path = join(&name);
                if (last && !pattern.ends_with('/')) || Path::new(&path).is_dir() {
                    next.push(path);
                }
            }
        }
        found = next;
    }
    let mut found: Vec<String> = found.into_iter().filter(|p| Path::new(p).symlink_metadata().is_ok()).collect();
    if pattern.ends_with('/') {
        found.iter_mut().for_each(|p| p.push('/'));
    }
    found.sort();
    found
}

/// Whether file name `name` matches the shell pattern `pat` (`*`, `?`,
/// `[…]`, `\`); a leading `.` must be matched explicitly.
pub fn fnmatch(pat: &str, name: &str) -> bool {
    if name.starts_with('.') && !pat.starts_with('.') && !pat.starts_with("\\.") {
        return false;
    }
    let pat: Vec<char> = pat.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&pat, &name)
}

fn match_from(pat: &[char], name: &[char]) -> bool {
    let (mut p, mut n) = (0, 0);
    // Where to resume after the last `*`: (pattern index, name index).
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        let step = match pat.get(p) {
            Some('*') => {
                star = Some((p + 1, n));
                p += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => class(&pat[p..], name[n]),
            Some('\\') if p + 1 < pat.len() => (pat[p + 1] == name[n]).then_some(2),
            Some(c) => (*c == name[n]).then_some(1),
            None => None,
        };
        match step {
            Some(width) => {
                p += width;
                n += 1;
            }
            None => match star {
                Some((sp, sn)) => {
                    p = sp;
                    n = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    pat[p..].iter().all(|c| *c == '*')
}

/// Matches `c` against the bracket expression at the start of `pat`;
/// returns the expression's width when it matches.
fn class(pat: &[char], c: char) -> Option<usize> {
    let mut i = 1;
    let negate = matches!(pat.get(i), Some('!' | '^'));
    if negate {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    while i < pat.len() && (first || pat[i] != ']') {
        first = false;
        let lo = pat[i];
        if pat.get(i + 1) == Some(&'-') && pat.get(i + 2).is_some_and(|hi| *hi != ']') {
            hit |= lo <= c && c <= pat[i + 2];
            i += 3;
        } else {
            hit |= lo == c;
            i += 1;
        }
    }
    if i >= pat.len() {
        // No closing bracket: the `[` is an ordinary character.
        return (c == '[').then_some(1);
    }
    (hit != negate).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        let p = Pattern::new("%.c");
        assert_eq!(p.matches("a.c"), Some("a"));
        assert_eq!(p.matches("a.h"), None);
        assert_eq!(Pattern::new("a\\%b").matches("a%b"), Some(""));
        assert_eq!(patsubst("%.c", "%.o", "a.c b.h"), "a.o b.h");
        assert_eq!(normalize(".//a/b"), "a/b");
        assert_eq!(normalize("./"), "./");
    }

    #[test]
    fn globs() {
        assert!(fnmatch("*.c", "a.c"));
        assert!(!fnmatch("*.c", ".a.c"));
        assert!(fnmatch("[a-c]?", "bx"));
        assert!(!fnmatch("[!a-c]?", "bx"));
        assert!(fnmatch("a\\*", "a*"));
    }
}
