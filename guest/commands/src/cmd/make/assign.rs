//! Assignments and conditionals: `=`, `:=`, `+=`, `?=`, `!=`, `define`,
//! `export`, `override`, and `ifeq`/`ifdef`…`endif`.

use super::expand::matching;
use super::parse::split_word;
use super::text::{self, words};
use super::vars::{Export, Flavor, Op, Origin, Var};
use super::{Cx, Make, Res};

/// One level of `ifeq`/`ifdef`…`endif`.
pub struct Cond {
    /// Whether the lines now read are used.
    pub active: bool,
    /// Whether some branch was taken (so an `else` is not).
    pub taken: bool,
    /// Whether a plain `else` was seen.
    pub seen_else: bool,
    /// Whether the enclosing levels are active.
    pub outer: bool,
}

/// The modifiers before an assignment or `define`.
#[derive(Default, Clone, Copy)]
pub struct Mods {
    pub export: bool,
    pub over: bool,
}

impl Mods {
    /// Strips `export`, `override` and `private` from the front of `line`.
    pub fn strip(mut line: &str) -> (Mods, &str) {
        let mut mods = Mods::default();
        loop {
            let (word, rest) = split_word(line);
            match word {
                "export" if !rest.is_empty() => mods.export = true,
                "override" if !rest.is_empty() => mods.over = true,
                "private" if !rest.is_empty() => {}
                _ => return (mods, line.trim_start_matches([' ', '\t'])),
            }
            line = rest;
        }
    }

    pub fn origin(self) -> Origin {
        if self.over { Origin::Override } else { Origin::File }
    }

    pub fn export(self) -> Option<Export> {
        self.export.then_some(Export::Yes)
    }
}

impl Make {
    /// `export NAME…` / `unexport NAME…`: marks variables (defining
    /// missing ones as empty, as GNU make does).
    pub fn set_export(&mut self, names: &str, export: Export) -> Res<()> {
        let names = self.expand(names, &Cx::default())?;
        for name in words(&names) {
            self.vars.entry(name.to_string()).or_insert_with(|| Var::new("", Flavor::Recursive, Origin::File)).export =
                export;
        }
        Ok(())
    }

    /// One `ifeq`/`ifneq`/`ifdef`/`ifndef`/`else`/`endif` line.
    pub fn conditional(&mut self, conds: &mut Vec<Cond>, word: &str, rest: &str, ignoring: bool) -> Res<()> {
        match word {
            "endif" => {
                if conds.pop().is_none() {
                    return Err(self.fatal("extraneous 'endif'"));
                }
            }
            "else" => {
                let Some(top) = conds.last() else { return Err(self.fatal("extraneous 'else'")) };
                if top.seen_else {
                    return Err(self.fatal("only one 'else' per conditional"));
                }
                let (outer, taken) = (top.outer, top.taken);
                let (next, next_rest) = split_word(rest);
                let active = if rest.is_empty() {
                    !taken && outer
                } else if matches!(next, "ifdef" | "ifndef" | "ifeq" | "ifneq") {
                    !taken && outer && self.condition(next, next_rest)?
                } else {
                    return Err(self.fatal("extraneous text after 'else' directive"));
                };
                if let Some(top) = conds.last_mut() {
                    top.seen_else = rest.is_empty();
                    top.active = active;
                    top.taken |= active;
                }
            }
            _ => {
                let active = !ignoring && self.condition(word, rest)?;
                conds.push(Cond { active, taken: active, seen_else: false, outer: !ignoring });
            }
        }
        Ok(())
    }

    /// Evaluates the condition of `ifdef NAME`, `ifeq (A,B)` and so on.
    fn condition(&mut self, word: &str, rest: &str) -> Res<bool> {
        let cx = Cx::default();
        if word == "ifdef" || word == "ifndef" {
            let name = text::strip(&self.expand(rest, &cx)?);
            let defined = self.lookup(&name, &cx).is_some_and(|v| !v.value.is_empty());
            return Ok(defined == (word == "ifdef"));
        }
        let Some((a, b)) = eq_args(rest.trim_end_matches(text::is_space)) else {
            return Err(self.fatal("invalid syntax in conditional"));
        };
        let (a, b) = (self.expand(a, &cx)?, self.expand(b, &cx)?);
        Ok((a == b) == (word == "ifeq"))
    }

    /// Assigns a `define`d variable: `spec` is `NAME [OP]`.
    pub fn define(&mut self, spec: &str, value: &str, mods: Mods) -> Res<()> {
        let spec = spec.trim_end_matches(text::is_space);
        let ops = [("::=", Op::Simple), (":=", Op::Simple), ("+=", Op::Append), ("?=", Op::Conditional)];
        let ops = ops.into_iter().chain([("!=", Op::Shell), ("=", Op::Recursive)]);
        let (name, op) = ops
            .into_iter()
            .find_map(|(text, op)| spec.strip_suffix(text).map(|name| (name, op)))
            .unwrap_or((spec, Op::Recursive));
        if name.trim().is_empty() {
            return Err(self.fatal("empty variable name"));
        }
        self.assign(name, op, value, mods.origin(), mods.export(), &Cx::default())
    }

    /// Assigns variable `name` (expanded) with `op`, unless it has a
    /// value from a stronger origin.
    ///
    /// # Errors
    /// An empty name; errors expanding the name or a `:=` value.
    pub fn assign(
        &mut self,
        name: &str,
        op: Op,
        value: &str,
        origin: Origin,
        export: Option<Export>,
        cx: &Cx,
    ) -> Res<()> {
        let name = text::strip(&self.expand(name, cx)?);
        if name.is_empty() {
            return Err(self.fatal("empty variable name"));
        }
        let mut old = self.vars.get(&name).cloned();
        if let Some(old) = old.as_mut()
            && old.origin == Origin::Environment
            && self.opts.env_override
        {
            // Under -e, the environment wins over the makefile, and
            // `$(origin)` says so once the makefile tried to set it.
            old.origin = Origin::EnvOverride;
            self.vars.insert(name.clone(), old.clone());
        }
        if let Some(old) = &old
            && old.origin > origin
        {
            if let Some(export) = export {
                self.vars.entry(name).and_modify(|v| v.export = export);
            }
            return Ok(());
        }
        let mut var = match (op, &old) {
            (Op::Recursive, _) => Var::new(value, Flavor::Recursive, origin),
            (Op::Simple, _) => Var::new(self.expand(value, cx)?, Flavor::Simple, origin),
            (Op::Conditional, Some(_)) => return Ok(()),
            (Op::Conditional, None) | (Op::Append, None) => Var::new(value, Flavor::Recursive, origin),
            (Op::Append, Some(old)) => {
                let add = if old.flavor == Flavor::Simple { self.expand(value, cx)? } else { value.to_string() };
                let joined = if old.value.is_empty() { add } else { format!("{} {add}", old.value) };
                Var::new(joined, old.flavor, origin)
            }
            (Op::Shell, _) => {
                let command = self.expand(value, cx)?;
                Var::new(self.shell_output(&command, cx)?, Flavor::Recursive, origin)
            }
        };
        var.export = export.or(old.map(|o| o.export)).unwrap_or(Export::Default);
        var.loc = self.loc.clone();
        if name == ".RECIPEPREFIX" {
            self.recipe_prefix = var.value.chars().next().unwrap_or('\t');
        }
        self.vars.insert(name, var);
        Ok(())
    }
}

/// The two operands of `ifeq`/`ifneq`: `(A,B)`, `"A" "B"` or `'A' 'B'`.
/// In the parenthesised form A keeps its leading blanks and B its
/// trailing ones, as in GNU make.
fn eq_args(rest: &str) -> Option<(&str, &str)> {
    if let Some(inner) = rest.strip_prefix('(') {
        let bytes = inner.as_bytes();
        let mut depth = 0usize;
        let mut comma = None;
        for (i, b) in bytes.iter().enumerate() {
            match b {
                b'(' => depth += 1,
                b')' => depth = depth.checked_sub(1)?,
                b',' if depth == 0 => {
                    comma = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let comma = comma?;
        let a = inner[..comma].trim_end_matches([' ', '\t']);
        let after = inner[comma + 1..].trim_start_matches([' ', '\t']);
        let close = matching(after.as_bytes(), 0, b'(', b')')?;
        return after[close + 1..].trim().is_empty().then_some((a, &after[..close]));
    }
    let quoted = |text: &str| -> Option<(usize, usize)> {
        let q = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
        let end = text[1..].find(q)? + 1;
        Some((1, end))
    };
    let (s, e) = quoted(rest)?;
    let a = &rest[s..e];
    let tail = rest[e + 1..].trim_start_matches([' ', '\t']);
    let (s2, e2) = quoted(tail)?;
    tail[e2 + 1..].trim().is_empty().then_some((a, &tail[s2..e2]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_split_as_gnu_make_does() {
        assert_eq!(eq_args("( a , a )"), Some((" a", "a ")));
        assert_eq!(eq_args("\"a\" 'b'"), Some(("a", "b")));
        assert_eq!(eq_args("(a,b) extra"), None);
    }
}
