//! POSIX regular expressions (basic and extended, with GNU's extensions)
//! translated to the syntax of the `regex` crate, for `grep` and `awk`.

/// A pattern feature the `regex` crate cannot express.
pub struct Unsupported(pub String);

/// Translates a POSIX basic (`extended == false`) or extended regular
/// expression, with GNU's extensions, to `regex` crate syntax.
pub fn translate(pattern: &str, extended: bool) -> Result<String, Unsupported> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // Whether the previous token starts an expression (where `*` is literal
    // and, in a basic RE, `^` is an anchor).
    let mut at_start = true;
    while i < chars.len() {
        let c = chars[i];
        let was_start = at_start;
        at_start = false;
        match c {
            '\\' => {
                i += 1;
                let Some(&next) = chars.get(i) else {
                    // A trailing backslash: GNU calls it an error.
                    out.push_str("\\\\");
                    break;
                };
                match next {
                    '(' if !extended => {
                        out.push('(');
                        at_start = true;
                    }
                    ')' if !extended => out.push(')'),
                    '|' if !extended => {
                        out.push('|');
                        at_start = true;
                    }
                    '{' if !extended => {
                        // \{m,n\} → {m,n}
                        let close =
                            (i + 1..chars.len().saturating_sub(1)).find(|&j| chars[j] == '\\' && chars[j + 1] == '}');
                        match close {
                            Some(j) if !was_start => {
                                out.push('{');
                                out.extend(&chars[i + 1..j]);
                                out.push('}');
                                i = j + 1;
                            }
                            _ => out.push_str("\\{"),
                        }
                    }
                    '}' if !extended => out.push_str("\\}"),
                    '+' | '?' if !extended => {
                        if was_start {
                            out.push('\\');
                        }
                        out.push(next);
                    }
                    '<' => out.push_str("\\b{start}"),
                    '>' => out.push_str("\\b{end}"),
                    '`' => out.push_str("\\A"),
                    '\'' => out.push_str("\\z"),
                    'b' | 'B' | 'w' | 'W' | 's' | 'S' => {
                        out.push('\\');
                        out.push(next);
                    }
                    '1'..='9' => return Err(Unsupported("back-references (\\1…\\9)".into())),
                    other => out.push_str(&crate::re::escape(&other.to_string())),
                }
            }
            '[' => {
                let (class, next) = bracket(&chars, i);
                out.push_str(&class);
                i = next;
                continue;
            }
            '*' if was_start => out.push_str("\\*"),
            '*' => out.push('*'),
            '^' => {
                if extended || was_start {
                    out.push('^');
                    at_start = true;
                } else {
                    out.push_str("\\^");
                }
            }
            '$' => {
                let at_end = i + 1 == chars.len()
                    || (!extended && chars.get(i + 1) == Some(&'\\') && matches!(chars.get(i + 2), Some(')' | '|')));
                if extended || at_end {
                    out.push('$');
                } else {
                    out.push_str("\\$");
                }
            }
            '.' => out.push('.'),
            '(' | '|' if extended => {
                out.push(c);
                at_start = true;
                if c == '(' && chars.get(i + 1) == Some(&')') {
                    // `()` matches the empty string.
                    out.push(')');
                    i += 1;
                    at_start = false;
                }
            }
            ')' if extended => out.push(')'),
            '+' | '?' if extended => {
                if was_start {
                    out.push('\\');
                }
                out.push(c);
            }
            '{' if extended => {
                // An interval only if it is well formed; else a literal brace.
                let rest: String = chars[i..].iter().collect();
                let valid = !was_start
                    && rest.find('}').is_some_and(|close| {
                        let inner = &rest[1..close];
                        !inner.is_empty()
                            && inner.split(',').count() <= 2
                            && inner.split(',').next().is_some_and(|m| m.chars().all(|c| c.is_ascii_digit()))
                            && inner.chars().all(|c| c.is_ascii_digit() || c == ',')
                    });
                if valid {
                    let close = rest.find('}').unwrap_or(0);
                    let inner = &rest[1..close];
                    // `{,n}` is `{0,n}`.
                    if inner.starts_with(',') {
                        out.push_str(&format!("{{0{inner}}}"));
                    } else {
                        out.push_str(&format!("{{{inner}}}"));
                    }
                    i += close + 1;
                    continue;
                }
                out.push_str("\\{");
            }
            other => out.push_str(&crate::re::escape(&other.to_string())),
        }
        i += 1;
    }
    Ok(out)
}

/// Translates the bracket expression starting at `chars[start] == '['`;
/// returns it and the index after it. An unterminated `[` is a literal.
fn bracket(chars: &[char], start: usize) -> (String, usize) {
    let mut i = start + 1;
    let mut out = String::from("[");
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && !first {
            out.push(']');
            return (out, i + 1);
        }
        first = false;
        if c == '[' && matches!(chars.get(i + 1), Some(':' | '=' | '.')) {
            let kind = chars[i + 1];
            let end = (i + 2..chars.len().saturating_sub(1)).find(|&j| chars[j] == kind && chars[j + 1] == ']');
            if let Some(end) = end {
                let name: String = chars[i + 2..end].iter().collect();
                if kind == ':' {
                    out.push_str(&format!("[:{name}:]"));
                } else {
                    // Equivalence classes and collating symbols: the character itself.
                    out.push_str(&crate::re::escape(&name));
                }
                i = end + 2;
                continue;
            }
        }
        match c {
            '\\' | '[' | '&' | '~' | '^' => {
                out.push('\\');
                out.push(c);
            }
            '-' if out.ends_with('[') || out.ends_with("[^") || chars.get(i + 1) == Some(&']') => out.push_str("\\-"),
            _ => out.push(c),
        }
        i += 1;
    }
    // No closing bracket: a literal `[`.
    ("\\[".to_string(), start + 1)
}
