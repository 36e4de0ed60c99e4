//! Parsing with brush-parser, with extended patterns (`@(a|b)`) accepted
//! everywhere, as if `shopt -s extglob` were always set, and syntax
//! errors as bash-like messages (the caller makes them status 2).

use brush_parser::ast::Program;

/// Parses a whole program.
///
/// # Errors
/// `syntax error: …` with the position brush-parser reports.
pub fn parse(src: &str) -> Result<Program, String> {
    let options = crate::expand::word_options();
    if would_panic_brush(src) {
        return Err("syntax error: number out of range".into());
    }
    let fixed = split_empty_for_parts(src);
    let src = fixed.as_str();
    let mut parser = brush_parser::Parser::new(std::io::BufReader::new(src.as_bytes()), &options);
    parser.parse_program().map_err(|e| match e {
        brush_parser::ParseError::ParsingNear(pos) => {
            let near: String = src.chars().skip(pos.index).take_while(|c| *c != '\n').take(20).collect();
            format!("syntax error near `{}' (line {})", near.trim(), pos.line)
        }
        brush_parser::ParseError::ParsingAtEndOfInput => "syntax error: unexpected end of file".to_string(),
        brush_parser::ParseError::Tokenizing { inner, .. } => format!("syntax error: {inner}"),
    })
}

/// Whether `src` is a program cut short — an open quote, `if` without `fi`,
/// a here-document without its end — that more lines could complete (an
/// interactive shell then asks for them with `PS2`).
pub fn is_incomplete(src: &str) -> bool {
    if would_panic_brush(src) {
        return false;
    }
    let options = crate::expand::word_options();
    let fixed = split_empty_for_parts(src);
    let mut parser = brush_parser::Parser::new(std::io::BufReader::new(fixed.as_bytes()), &options);
    match parser.parse_program() {
        Err(brush_parser::ParseError::ParsingAtEndOfInput) => true,
        Err(brush_parser::ParseError::Tokenizing { inner, .. }) => inner.is_incomplete(),
        Ok(_) | Err(brush_parser::ParseError::ParsingNear(_)) => false,
    }
}

/// brush-parser's tokenizer reads the `;;` of `for ((;;))` or
/// `for ((i=0;;i++))` as a `case` terminator; `; ;` means the same and
/// parses. Only the text between `for ((` and the next `))` changes.
fn split_empty_for_parts(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(at) = rest.find("((") {
        let before = rest[..at].trim_end();
        out.push_str(&rest[..at + 2]);
        rest = &rest[at + 2..];
        let is_for = before.ends_with("for")
            && before[..before.len() - 3].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if !is_for {
            continue;
        }
        let end = rest.find("))").unwrap_or(rest.len());
        out.push_str(&rest[..end].replace(";;", "; ;"));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Inputs on which brush-parser 0.4.0 panics (it unwraps integer parses):
/// an fd number too large for `i32` before `<`/`>`, and `~N` with N too
/// large for `usize`. The shell reports a syntax error instead.
pub fn would_panic_brush(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let run = i - start;
            let after_tilde = start > 0 && matches!(chars[start - 1], '~' | '+' | '-');
            if (run > 9 && matches!(chars.get(i), Some('<' | '>'))) || (run > 18 && after_tilde) {
                return true;
            }
        } else {
            i += 1;
        }
    }
    false
}
