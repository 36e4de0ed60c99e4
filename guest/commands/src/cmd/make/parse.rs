//! Reading makefiles: logical lines, comments, conditionals, `define`,
//! `include`, assignments and rule lines.

use std::path::Path;
use std::rc::Rc;

use super::assign::{Cond, Mods};
use super::expand::matching;
use super::rules::{RuleLine, TargetVarLine};
use super::text::{self, words};
use super::vars::{Export, Flavor, Op, Origin, Var};
use super::{Cx, Loc, Make, Res};

/// How deeply `include` may nest (an include loop ends there).
const MAX_INCLUDE_DEPTH: usize = 64;

/// Finds an assignment operator at the top level of `line` (outside
/// `$(…)`), before any rule colon: `(end of the name, operator, start of
/// the value)`, the value's leading blanks skipped.
pub fn find_assign(line: &str) -> Option<(usize, Op, usize)> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'$' if matches!(bytes.get(i + 1), Some(b'(' | b'{')) => {
                let open = bytes[i + 1];
                let close = if open == b'(' { b')' } else { b'}' };
                i = matching(bytes, i + 2, open, close)? + 1;
                continue;
            }
            b'$' => i += 1,
            b'=' => {
                let (end, op) = match i.checked_sub(1).map(|p| bytes[p]) {
                    Some(b'+') => (i - 1, Op::Append),
                    Some(b'?') => (i - 1, Op::Conditional),
                    Some(b'!') => (i - 1, Op::Shell),
                    Some(b':') if i >= 2 && bytes[i - 2] == b':' => (i - 2, Op::Simple),
                    Some(b':') => (i - 1, Op::Simple),
                    _ => (i, Op::Recursive),
                };
                let value = i + 1 + line[i + 1..].len() - line[i + 1..].trim_start_matches([' ', '\t']).len();
                return Some((end, op, value));
            }
            b':' => {
                let next = &line[i + 1..];
                if !(next.starts_with('=') || next.starts_with(":=")) {
                    return None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Finds byte `what` at the top level of `line` (outside `$(…)`).
pub fn find_top(line: &str, what: u8) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && matches!(bytes.get(i + 1), Some(b'(' | b'{')) {
            let open = bytes[i + 1];
            let close = if open == b'(' { b')' } else { b'}' };
            i = matching(bytes, i + 2, open, close)? + 1;
            continue;
        }
        if bytes[i] == b'$' {
            i += 2;
            continue;
        }
        if bytes[i] == what {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A non-recipe line with its backslash-newlines, and the blanks around
/// them, turned into single spaces.
fn collapse(raw: &str) -> String {
    if !raw.contains("\\\n") {
        return raw.to_string();
    }
    let mut out = String::new();
    let mut parts = raw.split("\\\n").peekable();
    while let Some(part) = parts.next() {
        let part = if out.is_empty() { part } else { part.trim_start_matches([' ', '\t']) };
        if parts.peek().is_some() {
            out.push_str(part.trim_end_matches([' ', '\t']));
            out.push(' ');
        } else {
            out.push_str(part);
        }
    }
    out
}

/// `line` without its comment; `\#` is a literal `#`.
fn strip_comment(line: &str) -> String {
    if !line.contains('#') {
        return line.to_string();
    }
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'#') => {
                out.push('#');
                chars.next();
            }
            '#' => break,
            _ => out.push(c),
        }
    }
    out
}

/// The first word of `line` and the text after it (leading blanks
/// skipped).
pub fn split_word(line: &str) -> (&str, &str) {
    let line = line.trim_start_matches([' ', '\t']);
    let end = line.find([' ', '\t']).unwrap_or(line.len());
    (&line[..end], line[end..].trim_start_matches([' ', '\t']))
}

/// The physical lines of a makefile, joined into logical lines.
struct Reader<'a> {
    lines: Vec<&'a str>,
    pos: usize,
    first: usize,
}

impl Reader<'_> {
    /// The next logical line as written (backslash-newlines kept) and the
    /// number of its first physical line.
    fn next(&mut self) -> Option<(String, usize)> {
        let start = self.pos;
        let mut line = self.lines.get(self.pos)?.to_string();
        self.pos += 1;
        while line.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1 && self.pos < self.lines.len() {
            line.push('\n');
            line.push_str(self.lines[self.pos]);
            self.pos += 1;
        }
        Some((line, self.first + start))
    }

    /// The line number after the last line.
    fn end_line(&self) -> usize {
        self.first + self.lines.len()
    }
}

impl Make {
    /// Reads makefile `name` (`-` is standard input); one that does not
    /// exist is recorded for [`Make::missing_makefiles`] to report (or a
    /// rule to make).
    ///
    /// # Errors
    /// Anything fatal in the makefile; an unreadable one.
    pub fn include(&mut self, name: &str, loc: Option<Loc>, required: bool) -> Res<()> {
        let mut path = name.to_string();
        if name != "-"
            && !Path::new(name).exists()
            && !name.starts_with('/')
            && let Some(dir) = self.opts.include_dirs.iter().find(|d| Path::new(d).join(name).exists())
        {
            path = format!("{}/{name}", dir.trim_end_matches('/'));
        }
        let data = if path == "-" {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut data).map(|_| data)
        } else {
            std::fs::read(&path)
        };
        self.makefiles.push((path.clone(), loc.clone(), required));
        let data = match data {
            Ok(data) => data,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => {
                let msg = format!("{path}: {}", crate::util::errmsg(&err));
                return Err(super::Fatal { loc, msg });
            }
        };
        if self.makefiles.len() > MAX_INCLUDE_DEPTH * 64 || self.include_depth() > MAX_INCLUDE_DEPTH {
            return Err(self.fatal("makefiles include each other too deeply"));
        }
        let list =
            self.vars.entry("MAKEFILE_LIST".into()).or_insert_with(|| Var::new("", Flavor::Simple, Origin::File));
        list.value = if list.value.is_empty() { path.clone() } else { format!("{} {path}", list.value) };
        let saved = self.loc.take();
        self.reading.push(path.clone());
        let result = self.read_text(&String::from_utf8_lossy(&data), Rc::from(path.as_str()), 1);
        self.reading.pop();
        self.loc = saved;
        result
    }

    fn include_depth(&self) -> usize {
        self.reading.len()
    }

    /// Reads makefile text (a file, or `$(eval)`'s argument) whose first
    /// line is line `first` of `file`.
    ///
    /// # Errors
    /// Anything fatal in the text.
    pub fn read_text(&mut self, text: &str, file: Rc<str>, first: usize) -> Res<()> {
        let mut lines: Vec<&str> = text.split('\n').collect();
        if text.ends_with('\n') {
            lines.pop();
        }
        let mut reader = Reader { lines, pos: 0, first };
        let mut conds: Vec<Cond> = Vec::new();
        let mut rule: Option<RuleLine> = None;
        while let Some((raw, n)) = reader.next() {
            self.loc = Some(Loc { file: file.clone(), line: n });
            let ignoring = conds.iter().any(|c| !c.active);
            if let Some(body) = raw.strip_prefix(self.recipe_prefix)
                && let Some(rule) = rule.as_mut()
            {
                if !ignoring {
                    // A continuation line's leading recipe prefix is not part
                    // of the command (GNU make removes it).
                    let body = body.replace(&format!("\\\n{}", self.recipe_prefix), "\\\n");
                    rule.recipe_line.get_or_insert(n);
                    rule.recipe.push(body);
                }
                continue;
            }
            let full = collapse(&raw);
            let line = strip_comment(&full);
            let (word, rest) = split_word(&line);
            if matches!(word, "ifdef" | "ifndef" | "ifeq" | "ifneq" | "else" | "endif") {
                self.conditional(&mut conds, word, rest, ignoring)?;
                continue;
            }
            let (mods, body) = Mods::strip(&line);
            let (first_word, after) = split_word(body);
            if ignoring {
                if first_word == "define" {
                    self.define_body(&mut reader, n)?;
                }
                continue;
            }
            if line.trim_start_matches(text::is_space).is_empty() {
                continue;
            }
            self.commit(rule.take())?;
            self.loc = Some(Loc { file: file.clone(), line: n });
            match first_word {
                "define" => {
                    let value = self.define_body(&mut reader, n)?;
                    self.loc = Some(Loc { file: file.clone(), line: n });
                    self.define(after, &value, mods)?;
                }
                "endef" => return Err(self.fatal("extraneous 'endef'")),
                "undefine" => {
                    let name = text::strip(&self.expand(after, &Cx::default())?);
                    if self.vars.get(&name).is_some_and(|v| v.origin <= mods.origin()) {
                        self.vars.remove(&name);
                    }
                }
                "include" | "-include" | "sinclude" if find_assign(body).is_none() => {
                    let names = self.expand(after, &Cx::default())?;
                    let here = self.loc.clone();
                    for name in words(&names) {
                        for name in glob_word(name) {
                            self.include(&name, here.clone(), first_word == "include")?;
                        }
                    }
                }
                "vpath" => return Err(self.fatal("the 'vpath' directive is not supported by capsa's make")),
                "load" | "-load" => return Err(self.fatal("the 'load' directive is not supported by capsa's make")),
                "unexport" if find_assign(body).is_none() => self.set_export(after, Export::No)?,
                "export" if after.is_empty() => self.db.export_all = true,
                _ => match find_assign(body) {
                    Some((name_end, op, value_start)) => {
                        let (name, value) = (&body[..name_end], &body[value_start..]);
                        self.assign(name, op, value, mods.origin(), mods.export(), &Cx::default())?;
                    }
                    None if mods.export => self.set_export(body, Export::Yes)?,
                    None => rule = self.rule_line(&line, &full, &raw, n)?,
                },
            }
        }
        self.commit(rule.take())?;
        if !conds.is_empty() {
            self.loc = Some(Loc { file, line: reader.end_line() });
            return Err(self.fatal("missing 'endif'"));
        }
        Ok(())
    }

    /// The lines of a `define` up to its `endef`, joined by newlines.
    fn define_body(&mut self, reader: &mut Reader, start: usize) -> Res<String> {
        let mut depth = 0;
        let mut body: Vec<String> = Vec::new();
        while let Some((raw, _)) = reader.next() {
            let line = collapse(&raw);
            if !line.starts_with(self.recipe_prefix) {
                let (word, rest) = split_word(&line);
                if word == "endef" && (rest.is_empty() || rest.starts_with('#')) {
                    if depth == 0 {
                        return Ok(body.join("\n"));
                    }
                    depth -= 1;
                } else if word == "define" {
                    depth += 1;
                }
            }
            body.push(line);
        }
        self.loc = self.loc.as_ref().map(|l| Loc { file: l.file.clone(), line: start });
        Err(self.fatal("missing 'endef', unterminated 'define'"))
    }

    /// A line with a rule colon: a rule (returned, to collect its recipe
    /// lines) or target-specific variables. `full` is the line before its
    /// comment was removed (a `;` recipe keeps its `#`).
    fn rule_line(&mut self, line: &str, full: &str, raw: &str, n: usize) -> Res<Option<RuleLine>> {
        let cx = Cx::default();
        let Some(colon) = find_top(line, b':') else {
            let expanded = self.expand(line, &cx)?;
            if expanded.trim_matches(text::is_space).is_empty() {
                return Ok(None);
            }
            if find_top(&expanded, b':').is_some() {
                // A rule that a variable or function wrote: read it again
                // as written (escaping `$` so that it is not expanded twice).
                let escaped = expanded.replace('$', "$$");
                return self.rule_line(&escaped, &escaped, raw, n);
            }
            if raw.starts_with(self.recipe_prefix) {
                return Err(self.fatal("recipe commences before first target"));
            }
            let hint = if raw.starts_with("        ") { " (did you mean TAB instead of 8 spaces?)" } else { "" };
            return Err(self.fatal(&format!("missing separator{hint}")));
        };
        let targets = self.expand(&line[..colon], &cx)?;
        let targets: Vec<String> = words(&targets).flat_map(glob_word).collect();
        let mut rest = &line[colon + 1..];
        let double = rest.starts_with(':');
        if double {
            rest = &rest[1..];
        }
        if rest.starts_with('&') {
            return Err(self.fatal("grouped targets (&:) are not supported by capsa's make"));
        }
        let (mods, body) = Mods::strip(rest);
        if let Some((name_end, op, value_start)) = find_assign(body)
            && find_top(&body[..name_end], b';').is_none()
        {
            let name = text::strip(&self.expand(&body[..name_end], &cx)?);
            let mut value = body[value_start..].to_string();
            if op == Op::Simple {
                value = self.expand(&value, &cx)?;
            }
            let var = TargetVarLine { targets, name, op, value, origin: mods.origin(), export: mods.export() };
            self.add_target_var(var);
            return Ok(None);
        }
        // The recipe after `;` comes from the line with its comment (the
        // shell reads it), the prerequisites before it from the line without.
        let (deps, recipe) = match (find_top(rest, b';'), find_top(full, b';')) {
            (Some(semi), Some(full_semi)) => (&rest[..semi], Some(full[full_semi + 1..].to_string())),
            _ => (rest, None),
        };
        let deps = self.expand(deps, &cx)?;
        let (pattern, deps) = match find_top(&deps, b':') {
            Some(at) => (Some(text::strip(&deps[..at])), deps[at + 1..].to_string()),
            None => (None, deps),
        };
        let (normal, order) = match deps.split_once('|') {
            Some((normal, order)) => (normal.to_string(), order.to_string()),
            None => (deps, String::new()),
        };
        let loc = Loc { file: self.loc.as_ref().map_or(Rc::from(""), |l| l.file.clone()), line: n };
        Ok(Some(RuleLine {
            targets,
            prereqs: words(&normal).flat_map(glob_word).collect(),
            order_only: words(&order).flat_map(glob_word).collect(),
            pattern,
            double,
            recipe_line: recipe.as_ref().map(|_| n),
            recipe: recipe.into_iter().collect(),
            loc,
        }))
    }
}

/// A target or prerequisite word with its wildcards expanded (itself if
/// they match nothing, as in GNU make).
fn glob_word(word: &str) -> Vec<String> {
    if text::has_glob(word) && !text::has_percent(word) {
        let found = text::glob(word);
        if !found.is_empty() {
            return found.iter().map(|f| text::normalize(f)).collect();
        }
    }
    vec![text::normalize(word)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_and_rules_are_told_apart() {
        assert_eq!(find_assign("X = 1"), Some((2, Op::Recursive, 4)));
        assert_eq!(find_assign("X := 1").map(|a| a.1), Some(Op::Simple));
        assert_eq!(find_assign("X ::= 1").map(|a| (a.0, a.1)), Some((2, Op::Simple)));
        assert_eq!(find_assign("X += 1").map(|a| (a.0, a.1)), Some((2, Op::Append)));
        assert_eq!(find_assign("a: X = 1"), None);
        assert_eq!(find_assign("$(a:b=c) = 1").map(|a| a.0), Some(9));
        assert_eq!(collapse("a \\\n   b"), "a b");
        assert_eq!(strip_comment("a \\# b # c"), "a # b ");
    }
}
