//! Expansion: `$(VAR)`, `${VAR}`, `$X`, `$$`, substitution references
//! `$(VAR:a=b)`, automatic variables and function calls.

use super::text;
use super::vars::{Flavor, Origin, Var};
use super::{Cx, Make, Res};

/// How deeply expansions may nest (a recursive `$(call)` takes about
/// three levels per call). The guest's stack is 1 MiB: about 2,400 levels
/// overflow it, and this bound leaves room for a deep prerequisite chain
/// (`run::MAX_DEPTH`) at the same time. GNU make would exhaust its memory
/// on an unbounded recursion anyway.
const MAX_DEPTH: usize = 500;

/// The index of the `close` that ends a reference opened just before
/// `start`, counting nested `open`s as GNU make does (only the same kind).
pub fn matching(bytes: &[u8], start: usize, open: u8, close: u8) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        if b == open {
            depth += 1;
        } else if b == close {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
        }
    }
    None
}

impl Make {
    /// `text` with every reference expanded in scope `cx`.
    ///
    /// # Errors
    /// An unterminated reference, a self-referencing variable, `$(error)`,
    /// a bad function call.
    pub fn expand(&mut self, text: &str, cx: &Cx) -> Res<String> {
        if !text.contains('$') {
            return Ok(text.to_string());
        }
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err(self.fatal("expansion nested too deeply (a recursive $(call) without an end?)"));
        }
        let mut out = String::new();
        let result = self.expand_into(text, cx, &mut out);
        self.depth -= 1;
        result.map(|()| out)
    }

    fn expand_into(&mut self, text: &str, cx: &Cx, out: &mut String) -> Res<()> {
        let bytes = text.as_bytes();
        let mut i = 0;
        while let Some(offset) = text[i..].find('$') {
            let dollar = i + offset;
            out.push_str(&text[i..dollar]);
            let Some(&c) = bytes.get(dollar + 1) else {
                // A lone `$` at the end expands to nothing.
                return Ok(());
            };
            match c {
                b'$' => {
                    out.push('$');
                    i = dollar + 2;
                }
                b'(' | b'{' => {
                    let close = if c == b'(' { b')' } else { b'}' };
                    let start = dollar + 2;
                    let Some(end) = matching(bytes, start, c, close) else {
                        // Reported where the innermost variable being
                        // expanded was defined, as GNU make does.
                        let loc = self.expanding.iter().rev().find_map(|(_, loc)| loc.clone());
                        let msg = "unterminated variable reference".to_string();
                        return Err(super::Fatal { loc: loc.or_else(|| self.loc.clone()), msg });
                    };
                    self.reference(&text[start..end], c, cx, out)?;
                    i = end + 1;
                }
                _ => {
                    let len = text[dollar + 1..].chars().next().map_or(1, char::len_utf8);
                    let name = &text[dollar + 1..dollar + 1 + len];
                    self.var_into(name, cx, out)?;
                    i = dollar + 1 + len;
                }
            }
        }
        out.push_str(&text[i..]);
        Ok(())
    }

    /// What is inside `$(…)`: a function call, a substitution reference or
    /// a variable name (itself possibly computed).
    fn reference(&mut self, inner: &str, open: u8, cx: &Cx, out: &mut String) -> Res<()> {
        let word_end = inner.find(|c: char| !(c.is_ascii_lowercase() || c == '-')).unwrap_or(inner.len());
        if word_end > 0 && (word_end == inner.len() || text::is_space(inner[word_end..].chars().next().unwrap_or(' ')))
        {
            let args = inner[word_end..].trim_start_matches(text::is_space);
            if self.function(&inner[..word_end], args, open, cx, out)? {
                return Ok(());
            }
        }
        let name = if inner.contains('$') { self.expand(inner, cx)? } else { inner.to_string() };
        if let Some(colon) = name.find(':')
            && let Some(eq) = name[colon + 1..].find('=')
        {
            let (var, from, to) = (&name[..colon], &name[colon + 1..colon + 1 + eq], &name[colon + 2 + eq..]);
            let value = self.expand_var(var, cx)?;
            let result = if text::has_percent(from) {
                text::patsubst(from, to, &value)
            } else {
                text::patsubst(&format!("%{from}"), &format!("%{to}"), &value)
            };
            out.push_str(&result);
            return Ok(());
        }
        self.var_into(&name, cx, out)
    }

    /// The value of variable `name`, expanded.
    ///
    /// # Errors
    /// As [`Make::expand`].
    pub fn expand_var(&mut self, name: &str, cx: &Cx) -> Res<String> {
        let mut out = String::new();
        self.var_into(name, cx, &mut out)?;
        Ok(out)
    }

    fn var_into(&mut self, name: &str, cx: &Cx, out: &mut String) -> Res<()> {
        if let Some(value) = automatic(cx, name) {
            out.push_str(&value);
            return Ok(());
        }
        let Some(var) = self.lookup(name, cx) else {
            if self.opts.warn_undefined {
                self.warn(&format!("warning: undefined variable '{name}'"));
            }
            return Ok(());
        };
        match var.flavor {
            Flavor::Simple => out.push_str(&var.value),
            Flavor::Recursive => {
                if !var.value.contains('$') {
                    out.push_str(&var.value);
                    return Ok(());
                }
                if self.expanding.iter().any(|(n, _)| n == name) {
                    let msg = format!("Recursive variable '{name}' references itself (eventually)");
                    return Err(super::Fatal { loc: var.loc.or_else(|| self.loc.clone()), msg });
                }
                self.expanding.push((name.to_string(), var.loc.clone()));
                let result = self.expand(&var.value, cx);
                self.expanding.pop();
                out.push_str(&result?);
            }
        }
        Ok(())
    }

    /// Variable `name` as `cx` sees it (automatic variables apart).
    pub fn lookup(&self, name: &str, cx: &Cx) -> Option<Var> {
        cx.layers.iter().rev().find_map(|layer| layer.get(name)).or_else(|| self.vars.get(name)).cloned()
    }

    /// Whether `name` is an automatic variable in `cx` (for `$(origin)`).
    pub fn is_automatic(cx: &Cx, name: &str) -> bool {
        automatic(cx, name).is_some()
    }

    /// `$(origin NAME)`.
    pub fn origin(&self, name: &str, cx: &Cx) -> &'static str {
        if automatic(cx, name).is_some() {
            return Origin::Automatic.name();
        }
        self.lookup(name, cx).map_or("undefined", |v| v.origin.name())
    }
}

/// The value of automatic variable `name` (`@`, `<`, `^`, `+`, `?`, `*`,
/// `|`, `%`, and each with `D` or `F`) inside a recipe.
fn automatic(cx: &Cx, name: &str) -> Option<String> {
    let auto = cx.auto.as_ref()?;
    let mut chars = name.chars();
    let which = chars.next()?;
    let part = chars.as_str();
    let list = |items: &[String]| items.join(" ");
    let value = match which {
        '@' => auto.target.clone(),
        '<' => auto.first.clone(),
        '^' => list(&auto.all),
        '+' => list(&auto.plus),
        '?' => list(&auto.newer),
        '*' => auto.stem.clone(),
        '|' => list(&auto.order),
        '%' => String::new(),
        _ => return None,
    };
    match part {
        "" => Some(value),
        "D" => Some(
            text::words(&value)
                .map(|w| match w.rfind('/') {
                    Some(0) => "/".to_string(),
                    Some(at) => w[..at].to_string(),
                    None => ".".to_string(),
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "F" => Some(text::words(&value).map(text::notdir).collect::<Vec<_>>().join(" ")),
        _ => None,
    }
}
