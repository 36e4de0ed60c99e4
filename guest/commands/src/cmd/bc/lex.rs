//! bc's tokens: numbers, names, strings, operators, newlines and
//! semicolons, with comments, blanks and backslash-newlines skipped.

/// A token (the tokenizer pairs each with its line and byte offset).
#[derive(Clone, Debug, PartialEq)]
pub enum Token {
    Number(String),
    Name(String),
    Str(String),
    /// An operator or punctuation: `+`, `+=`, `++`, `(`, `{`, …
    Op(&'static str),
    Newline,
    Semicolon,
}

/// Why a unit of input did not parse.
#[derive(Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The input stops inside a statement: read another line.
    Incomplete,
    /// A syntax error on this line.
    Syntax(usize),
}

const OPERATORS: [&str; 31] = [
    "++", "--", "+=", "-=", "*=", "/=", "%=", "^=", "==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "^",
    "=", "<", ">", "!", "(", ")", "[", "]", "{", "}", ",",
];

/// Splits `text` (starting at line `line`) into tokens with their lines
/// and byte offsets.
pub fn tokenize(text: &str, mut line: usize) -> Result<Vec<(Token, usize, usize)>, ParseError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start_line = line;
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => {
                i += 2;
                line += 1;
            }
            b'\n' => {
                tokens.push((Token::Newline, line, i));
                line += 1;
                i += 1;
            }
            b';' => {
                tokens.push((Token::Semicolon, line, i));
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..].find("*/").ok_or(ParseError::Incomplete)?;
                line += text[i..i + 2 + end].matches('\n').count();
                i += end + 4;
            }
            b'"' => {
                let end = text[i + 1..].find('"').ok_or(ParseError::Incomplete)?;
                let body = &text[i + 1..i + 1 + end];
                tokens.push((Token::Str(body.to_string()), start_line, i));
                line += body.matches('\n').count();
                i += end + 2;
            }
            b'0'..=b'9' | b'A'..=b'F' | b'.' => {
                let mut j = i;
                let mut dot = false;
                while j < bytes.len() {
                    match bytes[j] {
                        b'0'..=b'9' | b'A'..=b'F' => j += 1,
                        b'.' if !dot => {
                            dot = true;
                            j += 1;
                        }
                        b'\\' if bytes.get(j + 1) == Some(&b'\n') => {
                            line += 1;
                            j += 2;
                        }
                        _ => break,
                    }
                }
                let number: String = text[i..j].chars().filter(|c| *c != '\\' && *c != '\n').collect();
                // A lone `.` is `last`.
                let token = if number == "." { Token::Name("last".into()) } else { Token::Number(number) };
                tokens.push((token, start_line, i));
                i = j;
            }
            b'a'..=b'z' => {
                let mut j = i;
                while j < bytes.len()
                    && (bytes[j].is_ascii_lowercase() || bytes[j].is_ascii_digit() || bytes[j] == b'_')
                {
                    j += 1;
                }
                tokens.push((Token::Name(text[i..j].to_string()), start_line, i));
                i = j;
            }
            _ => {
                let op = OPERATORS.iter().find(|op| text[i..].starts_with(**op)).ok_or(ParseError::Syntax(line))?;
                tokens.push((Token::Op(op), start_line, i));
                i += op.len();
            }
        }
    }
    Ok(tokens)
}
