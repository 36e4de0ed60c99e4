//! awk's tokens. A `/` starts a regular expression unless the token before
//! it ends an operand (then it divides), as in every awk.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Number(f64),
    Str(String),
    Regex(String),
    /// A variable or array name.
    Name(String),
    /// A user function name immediately followed by `(`.
    FuncName(String),
    /// A builtin function (`length`, `substr`, …).
    Builtin(String),
    /// A keyword (`BEGIN`, `if`, `print`, `getline`, `in`, …).
    Keyword(&'static str),
    /// Punctuation and operators (`{`, `+=`, `!~`, …).
    Op(&'static str),
    Newline,
    Eof,
}

const KEYWORDS: &[&str] = &[
    "BEGIN", "END", "function", "func", "if", "else", "while", "for", "do", "break", "continue", "next", "nextfile",
    "exit", "return", "delete", "in", "getline", "print", "printf",
];

pub const BUILTINS: &[&str] = &[
    "atan2", "close", "cos", "exp", "fflush", "gsub", "index", "int", "length", "log", "match", "rand", "sin", "split",
    "sprintf", "sqrt", "srand", "sub", "substr", "system", "tolower", "toupper",
];

/// Operators, longest first so that the first match is the right one.
const OPS: &[&str] = &[
    "**=", "&&", "||", "==", "<=", ">=", "!=", "!~", "++", "--", "+=", "-=", "*=", "/=", "%=", "^=", ">>", "**", "{",
    "}", "(", ")", "[", "]", ";", ",", "+", "-", "*", "/", "%", "^", "!", ">", "<", "|", "?", ":", "~", "$", "=",
];

/// A token and the line it is on.
pub type Spanned = (Tok, usize);

/// Splits `src` into tokens.
///
/// # Errors
/// An unterminated string or regular expression, or an unknown character.
pub fn tokenize(src: &str) -> Result<Vec<Spanned>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out: Vec<Spanned> = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' | '\r' => i += 1,
            '\\' if chars.get(i + 1) == Some(&'\n') => {
                i += 2;
                line += 1;
            }
            '\\' if chars.get(i + 1) == Some(&'\r') && chars.get(i + 2) == Some(&'\n') => {
                i += 3;
                line += 1;
            }
            '\n' => {
                out.push((Tok::Newline, line));
                line += 1;
                i += 1;
            }
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' => {
                let (text, next) = string(&chars, i + 1).ok_or_else(|| format!("line {line}: unterminated string"))?;
                out.push((Tok::Str(text), line));
                i = next;
            }
            '/' if !ends_operand(out.last().map(|t| &t.0)) => {
                let mut text = String::new();
                let mut j = i + 1;
                let mut in_bracket = false;
                loop {
                    match chars.get(j) {
                        None | Some('\n') => return Err(format!("line {line}: unterminated regular expression")),
                        Some('\\') if chars.get(j + 1) == Some(&'/') => {
                            text.push('/');
                            j += 2;
                        }
                        Some('\\') => {
                            text.push('\\');
                            if let Some(&n) = chars.get(j + 1) {
                                text.push(n);
                            }
                            j += 2;
                        }
                        Some('[') if !in_bracket => {
                            in_bracket = true;
                            text.push('[');
                            j += 1;
                            // A `]` right after `[` or `[^` is literal.
                            if chars.get(j) == Some(&'^') {
                                text.push('^');
                                j += 1;
                            }
                            if chars.get(j) == Some(&']') {
                                text.push(']');
                                j += 1;
                            }
                        }
                        Some(']') if in_bracket => {
                            in_bracket = false;
                            text.push(']');
                            j += 1;
                        }
                        Some('/') if !in_bracket => break,
                        Some(&other) => {
                            text.push(other);
                            j += 1;
                        }
                    }
                }
                out.push((Tok::Regex(text), line));
                i = j + 1;
            }
            '0'..='9' | '.' if c != '.' || chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()) => {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if chars.get(i) == Some(&'.') {
                    i += 1;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if matches!(chars.get(i), Some('e' | 'E')) {
                    let mut j = i + 1;
                    if matches!(chars.get(j), Some('+' | '-')) {
                        j += 1;
                    }
                    if chars.get(j).is_some_and(|d| d.is_ascii_digit()) {
                        i = j;
                        while i < chars.len() && chars[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                }
                let text: String = chars[start..i].iter().collect();
                let value = text.parse::<f64>().map_err(|_| format!("line {line}: bad number {text}"))?;
                out.push((Tok::Number(value), line));
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let tok = if let Some(k) = KEYWORDS.iter().find(|k| **k == word) {
                    Tok::Keyword(if *k == "func" { "function" } else { k })
                } else if BUILTINS.contains(&word.as_str()) {
                    Tok::Builtin(word)
                } else if chars.get(i) == Some(&'(') {
                    Tok::FuncName(word)
                } else {
                    Tok::Name(word)
                };
                out.push((tok, line));
            }
            _ => {
                let rest: String = chars[i..chars.len().min(i + 3)].iter().collect();
                let op = OPS
                    .iter()
                    .find(|op| rest.starts_with(**op))
                    .ok_or_else(|| format!("line {line}: unexpected character '{c}'"))?;
                let op: &'static str = match *op {
                    "**" => "^",
                    "**=" => "^=",
                    other => other,
                };
                out.push((Tok::Op(op), line));
                i += if rest.starts_with("**=") {
                    3
                } else if rest.starts_with("**") {
                    2
                } else {
                    op.chars().count()
                };
            }
        }
    }
    out.push((Tok::Eof, line));
    Ok(out)
}

/// Whether a `/` after `tok` divides (the token ends an operand).
fn ends_operand(tok: Option<&Tok>) -> bool {
    matches!(
        tok,
        Some(Tok::Number(_) | Tok::Str(_) | Tok::Name(_) | Tok::Builtin(_) | Tok::Op(")" | "]" | "$" | "++" | "--"))
    )
}

/// A string literal's contents from `chars[start]` (after the quote), with
/// escapes applied; returns it and the index after the closing quote.
fn string(chars: &[char], start: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut i = start;
    loop {
        match *chars.get(i)? {
            '"' => return Some((out, i + 1)),
            '\n' => return None,
            '\\' => {
                i += 1;
                let c = *chars.get(i)?;
                match c {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '/' => out.push('/'),
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'v' => out.push('\x0b'),
                    '\n' => {}
                    '0'..='7' => {
                        let mut n = c.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.get(i + 1).and_then(|c| c.to_digit(8)) {
                                Some(d) => {
                                    n = n * 8 + d;
                                    i += 1;
                                }
                                None => break,
                            }
                        }
                        out.push(char::from_u32(n).unwrap_or('?'));
                    }
                    other => {
                        // Unknown escapes keep their backslash (for regexes in strings).
                        out.push('\\');
                        out.push(other);
                    }
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
}
