//! Word expansion, in bash's order: brace expansion, then tilde, parameter,
//! arithmetic and command substitution left to right, then field splitting
//! on `IFS`, pathname expansion, and quote removal.
//!
//! brush-parser turns a word's text into pieces (quoted text, `$x`,
//! `$(…)`…). Expanding them yields characters each tagged with a [`Kind`]:
//! quoted characters are neither split nor globbed, unquoted literal text is
//! globbed but not split, and the results of unquoted expansions are both.

mod arith;
mod brace;
mod param;

use brush_parser::word::{WordPiece, WordPieceWithSource};

use crate::glob;
use crate::shell::{Flow, Shell};

/// How a character of an expanded word behaves afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Unquoted literal text: globbed, not split.
    Lit,
    /// Quoted: literal.
    Quoted,
    /// The result of an unquoted expansion: split and globbed.
    Exp,
}

/// A field being built.
#[derive(Debug, Clone, Default)]
pub struct Field {
    chars: Vec<(char, Kind)>,
    /// Had a quoted part, so survives even when empty (`""`).
    quoted: bool,
}

/// The fields of one word being expanded.
#[derive(Debug, Default)]
pub struct Builder {
    done: Vec<Field>,
    cur: Field,
}

impl Builder {
    /// Appends text to the current field.
    pub fn push(&mut self, s: &str, kind: Kind) {
        self.cur.chars.extend(s.chars().map(|c| (c, kind)));
        if kind == Kind::Quoted {
            self.cur.quoted = true;
        }
    }

    /// Appends a list as separate fields (`"$@"`): the first joins the
    /// current field, each next one starts a new field.
    pub fn push_list(&mut self, items: &[String], kind: Kind) {
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.done.push(std::mem::take(&mut self.cur));
            }
            self.push(item, kind);
        }
    }

    fn finish(mut self) -> Vec<Field> {
        self.done.push(self.cur);
        self.done
    }
}

/// Parser options for programs and words: bash defaults, with extended
/// patterns accepted (`glob.rs` matches them).
pub fn word_options() -> brush_parser::ParserOptions {
    brush_parser::ParserOptions { enable_extended_globbing: true, ..Default::default() }
}

impl Shell {
    /// Full expansion of command words: brace expansion, splitting, globbing.
    ///
    /// # Errors
    /// A fatal expansion error (`${x:?}`, `set -u`, bad arithmetic).
    pub fn expand_words<'a>(&mut self, words: impl IntoIterator<Item = &'a str>) -> Result<Vec<String>, Flow> {
        let mut out = Vec::new();
        for word in words {
            let variants = if word.contains('{') { brace::expand(word) } else { vec![word.to_string()] };
            for variant in variants {
                let fields = self.expand_fields(&variant)?;
                for field in fields {
                    self.split_and_glob(field, &mut out);
                }
            }
        }
        Ok(out)
    }

    /// Expands a word into fields before splitting.
    fn expand_fields(&mut self, word: &str) -> Result<Vec<Field>, Flow> {
        let pieces = self.parse_word(word)?;
        let mut b = Builder::default();
        self.expand_pieces(&pieces, false, false, &mut b)?;
        Ok(b.finish())
    }

    fn parse_word(&mut self, word: &str) -> Result<Vec<WordPieceWithSource>, Flow> {
        if crate::parse::would_panic_brush(word) {
            self.error(format!("{word}: bad substitution"));
            return Err(Flow::Exit(1));
        }
        brush_parser::word::parse(word, &word_options()).map_err(|_| {
            self.error(format!("{word}: bad substitution"));
            Flow::Exit(1)
        })
    }

    /// Expansion without splitting or globbing (assignments, redirection
    /// targets, `case` words, here-strings).
    ///
    /// # Errors
    /// As [`Shell::expand_words`].
    pub fn expand_string(&mut self, word: &str) -> Result<String, Flow> {
        let fields = self.expand_fields(word)?;
        Ok(join_fields(fields))
    }

    /// Expansion into a pattern: quoted characters are escaped so that they
    /// match literally.
    ///
    /// # Errors
    /// As [`Shell::expand_words`].
    pub fn expand_pattern(&mut self, word: &str) -> Result<String, Flow> {
        let fields = self.expand_fields(word)?;
        let mut out = String::new();
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            for &(c, kind) in &field.chars {
                if kind == Kind::Quoted {
                    out.push_str(&glob::escape(&c.to_string()));
                } else {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// Expands a here-document body (`$`, `` ` `` and `\` are special;
    /// quotes are not).
    ///
    /// # Errors
    /// As [`Shell::expand_words`].
    pub fn expand_heredoc(&mut self, body: &str) -> Result<String, Flow> {
        let body = join_continued_lines(body);
        let pieces = brush_parser::word::parse_heredoc(&body, &word_options()).map_err(|_| {
            self.error("bad substitution in here-document");
            Flow::Exit(1)
        })?;
        let mut b = Builder::default();
        self.expand_pieces(&pieces, true, false, &mut b)?;
        Ok(join_fields(b.finish()))
    }

    /// Expands pieces into `b`. `in_dq`: inside double quotes. `sub`: inside
    /// the word of a `${x:-word}`, where unquoted text is split like an
    /// expansion's result.
    pub(crate) fn expand_pieces(
        &mut self,
        pieces: &[WordPieceWithSource],
        in_dq: bool,
        sub: bool,
        b: &mut Builder,
    ) -> Result<(), Flow> {
        let exp_kind = if in_dq { Kind::Quoted } else { Kind::Exp };
        for (i, piece) in pieces.iter().enumerate() {
            match &piece.piece {
                // brush-parser leaves a `${…}` it cannot read (`${a&}`,
                // `${}`, `${a b}`) as the texts `$` and `{…}`; bash refuses it.
                WordPiece::Text(s)
                    if s.ends_with('$')
                        && let Some(WordPiece::Text(next)) = pieces.get(i + 1).map(|p| &p.piece)
                        && next.starts_with('{') =>
                {
                    let end = next.find('}').map_or(next.len(), |e| e + 1);
                    self.error(format!("${}: bad substitution", &next[..end]));
                    return Err(Flow::Exit(1));
                }
                WordPiece::Text(s) => {
                    let kind = if in_dq {
                        Kind::Quoted
                    } else if sub {
                        Kind::Exp
                    } else {
                        Kind::Lit
                    };
                    b.push(s, kind);
                }
                // Inside `"${x:-'$y'}"` single quotes are literal characters
                // and what they enclose is expanded as in double quotes
                // (`$`, `` ` `` and `\` special: a here-document's rules).
                WordPiece::SingleQuotedText(s) if in_dq => {
                    let inner = brush_parser::word::parse_heredoc(s, &word_options()).map_err(|_| {
                        self.error(format!("{s}: bad substitution"));
                        Flow::Exit(1)
                    })?;
                    b.push("'", Kind::Quoted);
                    self.expand_pieces(&inner, true, sub, b)?;
                    b.push("'", Kind::Quoted);
                }
                WordPiece::SingleQuotedText(s) => b.push(s, Kind::Quoted),
                WordPiece::AnsiCQuotedText(s) => {
                    b.push(&crate::builtins::escapes(s, crate::builtins::EscapeStyle::AnsiC).0, Kind::Quoted)
                }
                WordPiece::DoubleQuotedSequence(inner) | WordPiece::GettextDoubleQuotedSequence(inner) => {
                    let lone_list = inner.len() == 1
                        && matches!(&inner[0].piece, WordPiece::ParameterExpansion(p) if param::is_list(p));
                    if !lone_list {
                        b.cur.quoted = true;
                    }
                    self.expand_pieces(inner, true, sub, b)?;
                }
                WordPiece::TildeExpansion(t) => {
                    let text = self.tilde(t);
                    b.push(&text, Kind::Quoted);
                }
                WordPiece::ParameterExpansion(expr) => self.expand_parameter(expr, in_dq, b)?,
                WordPiece::CommandSubstitution(src) => {
                    let out = self.command_substitution(src)?;
                    b.push(&out, exp_kind);
                }
                WordPiece::BackquotedCommandSubstitution(src) => {
                    let out = self.command_substitution(&unescape_backquoted(src))?;
                    b.push(&out, exp_kind);
                }
                WordPiece::EscapeSequence(s) => {
                    let mut chars = s.chars();
                    chars.next();
                    let rest: String = chars.collect();
                    if rest == "\n" {
                        continue;
                    }
                    if in_dq && !matches!(rest.as_str(), "$" | "`" | "\"" | "\\") {
                        b.push(s, Kind::Quoted);
                    } else {
                        b.push(&rest, Kind::Quoted);
                    }
                }
                WordPiece::ArithmeticExpression(expr) => {
                    let n = self.arith(&expr.value)?;
                    b.push(&n.to_string(), exp_kind);
                }
            }
        }
        Ok(())
    }

    fn tilde(&self, t: &brush_parser::word::TildeExpr) -> String {
        use brush_parser::word::TildeExpr;
        match t {
            TildeExpr::Home => self.var("HOME"),
            TildeExpr::UserHome(user) => match wasi_ext::getpwnam(user) {
                Ok(pw) => pw.dir,
                Err(_) => format!("~{user}"),
            },
            TildeExpr::WorkingDir => self.var("PWD"),
            TildeExpr::OldWorkingDir => self.var("OLDPWD"),
            _ => "~".into(),
        }
    }

    /// Splits a field on `IFS` and expands pathnames, appending the results.
    fn split_and_glob(&self, field: Field, out: &mut Vec<String>) {
        let ifs: Vec<char> = self.ifs().chars().collect();
        for f in split_field(field, &ifs) {
            let magic = !self.st.options.noglob
                && f.chars.iter().any(|&(c, k)| k != Kind::Quoted && matches!(c, '*' | '?' | '['));
            if magic {
                let pattern: String = f
                    .chars
                    .iter()
                    .map(|&(c, k)| if k == Kind::Quoted { glob::escape(&c.to_string()) } else { c.to_string() })
                    .collect();
                let found = glob::expand_path(&pattern, self.st.options.shopt("dotglob"));
                if !found.is_empty() {
                    out.extend(found);
                    continue;
                }
                if self.st.options.shopt("nullglob") {
                    continue;
                }
            }
            out.push(f.chars.iter().map(|&(c, _)| c).collect());
        }
    }
}

/// The fields joined by spaces (for contexts that take one string).
fn join_fields(fields: Vec<Field>) -> String {
    let texts: Vec<String> = fields.into_iter().map(|f| f.chars.into_iter().map(|(c, _)| c).collect()).collect();
    texts.join(" ")
}

/// Field splitting: `Exp` characters found in `ifs` delimit fields; IFS
/// whitespace runs count once and are trimmed at the ends.
fn split_field(field: Field, ifs: &[char]) -> Vec<Field> {
    let is_delim = |&(c, k): &(char, Kind)| k == Kind::Exp && ifs.contains(&c);
    let is_ws = |c: char| matches!(c, ' ' | '\t' | '\n');
    if !field.chars.iter().any(is_delim) {
        return if field.chars.is_empty() && !field.quoted { Vec::new() } else { vec![field] };
    }
    let had_quotes = field.quoted;
    let chars = field.chars;
    let mut out = Vec::new();
    let mut cur = Field::default();
    let mut i = 0;
    while i < chars.len() && is_delim(&chars[i]) && is_ws(chars[i].0) {
        i += 1;
    }
    let mut pending = i < chars.len();
    while i < chars.len() {
        if is_delim(&chars[i]) {
            out.push(std::mem::take(&mut cur));
            let mut saw_hard = !is_ws(chars[i].0);
            i += 1;
            while i < chars.len() && is_delim(&chars[i]) {
                if is_ws(chars[i].0) {
                    i += 1;
                } else if !saw_hard {
                    saw_hard = true;
                    i += 1;
                } else {
                    break;
                }
            }
            pending = i < chars.len();
        } else {
            if chars[i].1 == Kind::Quoted {
                cur.quoted = true;
            }
            cur.chars.push(chars[i]);
            i += 1;
        }
    }
    if pending || !cur.chars.is_empty() || cur.quoted {
        out.push(cur);
    }
    // An empty quoted part (`$s""` with s=' ') is a field of its own even
    // when everything else was separators.
    if out.is_empty() && had_quotes {
        out.push(Field { chars: Vec::new(), quoted: true });
    }
    out
}

/// Removes backslash-newline pairs (line continuations) from text where
/// `\\` stands for one backslash.
fn join_continued_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('\\', Some('\n')) => {
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                out.push('\\');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// Inside backquotes, `\$`, `` \` `` and `\\` stand for the character.
fn unescape_backquoted(src: &str) -> String {
    let mut out = String::new();
    let mut chars = src.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && matches!(chars.peek(), Some('$' | '`' | '\\')) {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}
