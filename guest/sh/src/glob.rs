//! Shell patterns: matching (`case`, `[[ == ]]`, `${x#pat}`) and pathname
//! expansion. A pattern is a string in which `\c` stands for a literal `c`
//! (the expander escapes quoted characters that way); `*`, `?` and
//! `[...]` (with `!`/`^`, ranges and `[:class:]`) are special, and so are
//! bash's extended patterns `?(a|b)`, `*(…)`, `+(…)`, `@(…)` and `!(…)`
//! (extglob: the parser accepts them, so they are always on here).

use std::path::Path;

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Lit(char),
    Any,
    Star,
    Class {
        negated: bool,
        items: Vec<ClassItem>,
    },
    /// An extended pattern: its operator (`?*+@!`) and alternatives.
    Ext {
        op: char,
        alts: Vec<Vec<Tok>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum ClassItem {
    Char(char),
    Range(char, char),
    Named(String),
}

/// Whether a pattern has any unescaped `*`, `?` or `[`.
pub fn has_magic(pattern: &str) -> bool {
    compile(pattern).iter().any(|t| !matches!(t, Tok::Lit(_)))
}

/// The pattern with its escapes removed (its literal text).
pub fn unescape(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.push(chars.next().unwrap_or('\\'));
        } else {
            out.push(c);
        }
    }
    out
}

/// Escapes every pattern character of `s`, so it matches only itself.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\' | '(' | ')' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn compile(pattern: &str) -> Vec<Tok> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if matches!(chars[i], '?' | '*' | '+' | '@' | '!')
            && chars.get(i + 1) == Some(&'(')
            && let Some((alts, next)) = ext_alternatives(&chars, i + 2)
        {
            toks.push(Tok::Ext { op: chars[i], alts });
            i = next;
            continue;
        }
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                toks.push(Tok::Lit(chars[i + 1]));
                i += 2;
            }
            '*' => {
                if toks.last() != Some(&Tok::Star) {
                    toks.push(Tok::Star);
                }
                i += 1;
            }
            '?' => {
                toks.push(Tok::Any);
                i += 1;
            }
            '[' => match class(&chars, i + 1) {
                Some((tok, next)) => {
                    toks.push(tok);
                    i = next;
                }
                None => {
                    toks.push(Tok::Lit('['));
                    i += 1;
                }
            },
            c => {
                toks.push(Tok::Lit(c));
                i += 1;
            }
        }
    }
    toks
}

/// The alternatives of an extended pattern whose text starts at `start`
/// (after `X(`), compiled, and the index after its `)`; `None` if it is not
/// closed.
fn ext_alternatives(chars: &[char], start: usize) -> Option<(Vec<Vec<Tok>>, usize)> {
    let mut depth = 0;
    let mut alts = Vec::new();
    let mut from = start;
    let mut i = start;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            ')' => {
                alts.push(compile(&chars[from..i].iter().collect::<String>()));
                return Some((alts, i + 1));
            }
            '|' if depth == 0 => {
                alts.push(compile(&chars[from..i].iter().collect::<String>()));
                from = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses a bracket expression starting after `[`; returns it and the
/// index after its `]`, or `None` if it is not closed.
fn class(chars: &[char], mut i: usize) -> Option<(Tok, usize)> {
    let mut negated = false;
    if i < chars.len() && (chars[i] == '!' || chars[i] == '^') {
        negated = true;
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && !first {
            return Some((Tok::Class { negated, items }, i + 1));
        }
        first = false;
        if c == '[' && chars.get(i + 1) == Some(&':') {
            let rest: String = chars[i + 2..].iter().collect();
            if let Some(end) = rest.find(":]") {
                items.push(ClassItem::Named(rest[..end].to_string()));
                i += 2 + rest[..end].chars().count() + 2;
                continue;
            }
        }
        let (lo, next) = if c == '\\' && i + 1 < chars.len() { (chars[i + 1], i + 2) } else { (c, i + 1) };
        if chars.get(next) == Some(&'-') && chars.get(next + 1).is_some_and(|&c| c != ']') {
            let (hi, after) = if chars[next + 1] == '\\' && next + 2 < chars.len() {
                (chars[next + 2], next + 3)
            } else {
                (chars[next + 1], next + 2)
            };
            items.push(ClassItem::Range(lo, hi));
            i = after;
        } else {
            items.push(ClassItem::Char(lo));
            i = next;
        }
    }
    None
}

fn class_matches(negated: bool, items: &[ClassItem], c: char) -> bool {
    let hit = items.iter().any(|item| match item {
        ClassItem::Char(x) => *x == c,
        ClassItem::Range(lo, hi) => *lo <= c && c <= *hi,
        ClassItem::Named(name) => match name.as_str() {
            "alpha" => c.is_alphabetic(),
            "digit" => c.is_ascii_digit(),
            "alnum" => c.is_alphanumeric(),
            "upper" => c.is_uppercase(),
            "lower" => c.is_lowercase(),
            "space" => c.is_whitespace(),
            "blank" => c == ' ' || c == '\t',
            "punct" => c.is_ascii_punctuation(),
            "xdigit" => c.is_ascii_hexdigit(),
            "cntrl" => c.is_control(),
            "print" => !c.is_control(),
            "graph" => !c.is_control() && c != ' ',
            "word" => c.is_alphanumeric() || c == '_',
            _ => false,
        },
    });
    hit != negated
}

fn tok_matches(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Lit(x) => *x == c,
        Tok::Any => true,
        Tok::Class { negated, items } => class_matches(*negated, items, c),
        Tok::Star => true,
        Tok::Ext { .. } => false,
    }
}

/// Whether `text` matches all of `pattern`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let toks = compile(pattern);
    let text: Vec<char> = text.chars().collect();
    match_toks(&toks, &text)
}

/// The classic one-backtrack-point wildcard match: correct for `*`, `?`
/// and classes, linear in practice; patterns with extended parts go to
/// [`match_ext`].
fn match_toks(toks: &[Tok], text: &[char]) -> bool {
    if toks.iter().any(|t| matches!(t, Tok::Ext { .. })) {
        return match_ext(toks, text);
    }
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < toks.len() && toks[p] == Tok::Star {
            star = Some((p, t));
            p += 1;
        } else if p < toks.len() && tok_matches(&toks[p], text[t]) {
            p += 1;
            t += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while p < toks.len() && toks[p] == Tok::Star {
        p += 1;
    }
    p == toks.len()
}

/// Backtracking match for patterns with extended parts: each one tries
/// every length of text it could take.
fn match_ext(toks: &[Tok], text: &[char]) -> bool {
    match toks.first() {
        None => text.is_empty(),
        Some(Tok::Star) => (0..=text.len()).any(|k| match_ext(&toks[1..], &text[k..])),
        Some(Tok::Ext { op, alts }) => {
            (0..=text.len()).any(|k| ext_matches(*op, alts, &text[..k]) && match_ext(&toks[1..], &text[k..]))
        }
        Some(tok) => text.first().is_some_and(|&c| tok_matches(tok, c)) && match_ext(&toks[1..], &text[1..]),
    }
}

/// Whether `text` is what the extended pattern `op(alts)` matches whole.
fn ext_matches(op: char, alts: &[Vec<Tok>], text: &[char]) -> bool {
    let one = |part: &[char]| alts.iter().any(|alt| match_ext(alt, part));
    match op {
        '@' => one(text),
        '?' => text.is_empty() || one(text),
        '!' => !one(text),
        '*' => text.is_empty() || repeated(alts, text),
        _ => repeated(alts, text), // '+'
    }
}

/// Whether `text` is one or more matches of the alternatives in a row.
fn repeated(alts: &[Vec<Tok>], text: &[char]) -> bool {
    if alts.iter().any(|alt| match_ext(alt, text)) {
        return true;
    }
    (1..text.len()).any(|k| alts.iter().any(|alt| match_ext(alt, &text[..k])) && repeated(alts, &text[k..]))
}

/// The char-boundary byte offsets of `s`, including its end.
fn boundaries(s: &str) -> Vec<usize> {
    s.char_indices().map(|(i, _)| i).chain(std::iter::once(s.len())).collect()
}

/// Removes the shortest (`longest` false) or longest prefix of `text`
/// matching `pattern` (`${x#p}`, `${x##p}`).
pub fn remove_prefix(text: &str, pattern: &str, longest: bool) -> String {
    let toks = compile(pattern);
    let mut ends = boundaries(text);
    if longest {
        ends.reverse();
    }
    for end in ends {
        let head: Vec<char> = text[..end].chars().collect();
        if match_toks(&toks, &head) {
            return text[end..].to_string();
        }
    }
    text.to_string()
}

/// Removes the shortest or longest suffix of `text` matching `pattern`.
pub fn remove_suffix(text: &str, pattern: &str, longest: bool) -> String {
    let toks = compile(pattern);
    let mut starts = boundaries(text);
    if !longest {
        starts.reverse();
    }
    for start in starts {
        let tail: Vec<char> = text[start..].chars().collect();
        if match_toks(&toks, &tail) {
            return text[..start].to_string();
        }
    }
    text.to_string()
}

/// The longest match of `pattern` starting at byte `start`, as its end.
fn longest_at(toks: &[Tok], text: &str, start: usize) -> Option<usize> {
    boundaries(text).into_iter().rev().filter(|&e| e >= start).find(|&e| {
        let part: Vec<char> = text[start..e].chars().collect();
        match_toks(toks, &part)
    })
}

/// `${x/pat/rep}` and its forms: `all` replaces every match, `anchor`
/// `Some(true)` only at the start, `Some(false)` only at the end.
pub fn replace(text: &str, pattern: &str, rep: &str, all: bool, anchor: Option<bool>) -> String {
    let toks = compile(pattern);
    match anchor {
        Some(true) => match longest_at(&toks, text, 0) {
            Some(end) => format!("{rep}{}", &text[end..]),
            None => text.to_string(),
        },
        Some(false) => {
            for start in boundaries(text) {
                let tail: Vec<char> = text[start..].chars().collect();
                if match_toks(&toks, &tail) {
                    return format!("{}{rep}", &text[..start]);
                }
            }
            text.to_string()
        }
        None => {
            let mut out = String::new();
            let mut i = 0;
            let mut replaced = false;
            while i <= text.len() {
                if (!replaced || all)
                    && let Some(end) = longest_at(&toks, text, i).filter(|&e| e > i)
                {
                    out.push_str(rep);
                    i = end;
                    replaced = true;
                    continue;
                }
                match text[i..].chars().next() {
                    Some(c) => {
                        out.push(c);
                        i += c.len_utf8();
                    }
                    None => break,
                }
            }
            out
        }
    }
}

/// Pathname expansion: the sorted paths matching `pattern`, empty if none.
/// Names starting with `.` match only a pattern component starting with a
/// literal `.` (unless `dotglob`).
pub fn expand_path(pattern: &str, dotglob: bool) -> Vec<String> {
    let absolute = pattern.starts_with('/');
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let trailing = pattern.ends_with('/');
    let mut paths: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
    for (i, comp) in components.iter().enumerate() {
        let last = i + 1 == components.len() && !trailing;
        let mut next = Vec::new();
        for base in &paths {
            if !has_magic(comp) {
                let candidate = format!("{base}{}", unescape(comp));
                if last || Path::new(&candidate).is_dir() {
                    if last && std::fs::symlink_metadata(&candidate).is_err() {
                        continue;
                    }
                    next.push(if last { candidate } else { format!("{candidate}/") });
                }
                continue;
            }
            let dir = if base.is_empty() { ".".to_string() } else { base.clone() };
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| dotglob || !n.starts_with('.') || comp.starts_with('.') || comp.starts_with("\\."))
                .filter(|n| n != "." && n != "..")
                .filter(|n| matches(comp, n))
                .collect();
            names.sort();
            for name in names {
                let path = format!("{base}{name}");
                if last {
                    next.push(path);
                } else if Path::new(&path).is_dir() {
                    next.push(format!("{path}/"));
                }
            }
        }
        paths = next;
        if paths.is_empty() {
            break;
        }
    }
    paths.sort();
    paths
}
