//! Parameter expansion: `$x`, `${x:-y}`, `${#x}`, `${x%pat}`, `${x/a/b}`,
//! `${x^^}`, `${x:1:2}`, `${!x}`, `${a[@]}`, `${!a[@]}`, special parameters.

use brush_parser::word::{
    Parameter, ParameterExpr, ParameterTestType, ParameterTransformOp, SpecialParameter, SubstringMatchKind,
};

use super::{Builder, Kind};
use crate::glob;
use crate::shell::{Flow, Shell};
use crate::vars::Value;

/// A parameter's value.
#[derive(Debug, Clone)]
enum PVal {
    Unset,
    One(String),
    /// `$@`, `$*`, `${a[@]}`, `${a[*]}`: elements and whether `*` (joined).
    List(Vec<String>, bool),
}

impl PVal {
    fn is_unset_or_null(&self, test: &ParameterTestType) -> bool {
        match (self, test) {
            (PVal::Unset, _) => true,
            (PVal::One(s), ParameterTestType::UnsetOrNull) => s.is_empty(),
            (PVal::List(items, _), ParameterTestType::UnsetOrNull) => items.iter().all(String::is_empty),
            (PVal::List(items, _), ParameterTestType::Unset) => items.is_empty(),
            _ => false,
        }
    }

    fn map(self, mut f: impl FnMut(&str) -> String) -> PVal {
        match self {
            PVal::Unset => PVal::Unset,
            PVal::One(s) => PVal::One(f(&s)),
            PVal::List(items, concat) => PVal::List(items.iter().map(|s| f(s)).collect(), concat),
        }
    }
}

/// Whether a lone `"${…}"` of this kind may expand to no field at all.
pub fn is_list(expr: &ParameterExpr) -> bool {
    matches!(
        expr,
        ParameterExpr::Parameter {
            parameter: Parameter::Special(SpecialParameter::AllPositionalParameters { concatenate: false })
                | Parameter::NamedWithAllIndices { concatenate: false, .. },
            ..
        }
    )
}

fn parameter_of(expr: &ParameterExpr) -> Option<(&Parameter, bool)> {
    use ParameterExpr as P;
    match expr {
        P::Parameter { parameter, indirect }
        | P::UseDefaultValues { parameter, indirect, .. }
        | P::AssignDefaultValues { parameter, indirect, .. }
        | P::IndicateErrorIfNullOrUnset { parameter, indirect, .. }
        | P::UseAlternativeValue { parameter, indirect, .. }
        | P::ParameterLength { parameter, indirect }
        | P::RemoveSmallestSuffixPattern { parameter, indirect, .. }
        | P::RemoveLargestSuffixPattern { parameter, indirect, .. }
        | P::RemoveSmallestPrefixPattern { parameter, indirect, .. }
        | P::RemoveLargestPrefixPattern { parameter, indirect, .. }
        | P::Substring { parameter, indirect, .. }
        | P::Transform { parameter, indirect, .. }
        | P::UppercaseFirstChar { parameter, indirect, .. }
        | P::UppercasePattern { parameter, indirect, .. }
        | P::LowercaseFirstChar { parameter, indirect, .. }
        | P::LowercasePattern { parameter, indirect, .. }
        | P::ReplaceSubstring { parameter, indirect, .. } => Some((parameter, *indirect)),
        P::VariableNames { .. } | P::MemberKeys { .. } => None,
    }
}

fn param_name(p: &Parameter) -> String {
    match p {
        Parameter::Positional(n) => n.to_string(),
        Parameter::Special(s) => s.to_string(),
        Parameter::Named(name) => name.clone(),
        Parameter::NamedWithIndex { name, index } => format!("{name}[{index}]"),
        Parameter::NamedWithAllIndices { name, concatenate } => {
            format!("{name}[{}]", if *concatenate { '*' } else { '@' })
        }
    }
}

impl Shell {
    /// The variable a `${name…}`, `${name[i]…}` or `${name[@]…}` names.
    fn var_of(&self, expr: &ParameterExpr) -> Option<&crate::vars::Var> {
        match parameter_of(expr)?.0 {
            Parameter::Named(name)
            | Parameter::NamedWithIndex { name, .. }
            | Parameter::NamedWithAllIndices { name, .. } => self.st.vars.get(name),
            Parameter::Positional(_) | Parameter::Special(_) => None,
        }
    }

    /// `${v@A}`: an assignment (or `declare`) that recreates the variable;
    /// for `${a[@]@A}` the whole array's, as `declare -p` shows it.
    fn assignment_form(&self, expr: &ParameterExpr, value: PVal) -> PVal {
        let Some((parameter, _)) = parameter_of(expr) else { return value };
        let Some(var) = self.var_of(expr) else { return value.map(crate::builtins::quote) };
        let (name, all) = match parameter {
            Parameter::Named(name) | Parameter::NamedWithIndex { name, .. } => (name, false),
            Parameter::NamedWithAllIndices { name, .. } => (name, true),
            Parameter::Positional(_) | Parameter::Special(_) => return value.map(crate::builtins::quote),
        };
        if all {
            return if matches!(value, PVal::Unset) {
                value
            } else {
                PVal::One(crate::builtins::vars::describe(name, var))
            };
        }
        let flags = crate::builtins::vars::attribute_flags(var);
        if matches!(value, PVal::Unset) {
            // Declared with attributes but no value: what `declare` would
            // recreate (bash gives nothing for a plain unset variable).
            return if flags.is_empty() { value } else { PVal::One(format!("declare -{flags} {name}")) };
        }
        value.map(|v| {
            let quoted = crate::builtins::quote(v);
            if flags.is_empty() { format!("{name}={quoted}") } else { format!("declare -{flags} {name}={quoted}") }
        })
    }

    /// `${a[@]@K}` (one word) and `${a[@]@k}` (separate words): each key
    /// followed by its quoted value; other parameters are quoted as `@Q`.
    fn keys_and_values(&self, expr: &ParameterExpr, value: PVal, separate: bool) -> PVal {
        let all = matches!(parameter_of(expr), Some((Parameter::NamedWithAllIndices { .. }, _)));
        let pairs: Option<Vec<(String, String)>> = match self.var_of(expr).and_then(|v| v.value.as_ref()) {
            Some(crate::vars::Value::Indexed(map)) if all => {
                Some(map.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
            }
            Some(crate::vars::Value::Assoc(map)) if all => {
                Some(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            }
            _ => None,
        };
        match pairs {
            None => value.map(crate::builtins::quote),
            Some(pairs) if separate => PVal::List(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect(), false),
            Some(pairs) => PVal::One(
                pairs.iter().map(|(k, v)| format!("{k} {}", crate::builtins::dquote(v))).collect::<Vec<_>>().join(" "),
            ),
        }
    }

    /// Expands one `${…}` into `b`.
    pub(crate) fn expand_parameter(&mut self, expr: &ParameterExpr, in_dq: bool, b: &mut Builder) -> Result<(), Flow> {
        use ParameterExpr as P;
        let kind = if in_dq { Kind::Quoted } else { Kind::Exp };
        let value = match parameter_of(expr) {
            Some((p, indirect)) => self.lookup(p, indirect)?,
            None => PVal::Unset,
        };
        let name = parameter_of(expr).map(|(p, _)| param_name(p)).unwrap_or_default();
        let check_unset = |sh: &mut Shell, v: &PVal| -> Result<(), Flow> {
            if sh.st.options.nounset && matches!(v, PVal::Unset) {
                sh.error(format!("{name}: unbound variable"));
                return Err(Flow::Exit(sh.fatal_status()));
            }
            Ok(())
        };
        let result = match expr {
            P::Parameter { .. } => {
                check_unset(self, &value)?;
                value
            }
            P::UseDefaultValues { test_type, default_value, .. } => {
                if value.is_unset_or_null(test_type) {
                    return self.expand_sub(default_value.as_deref().unwrap_or(""), in_dq, b);
                }
                value
            }
            P::AssignDefaultValues { parameter, test_type, default_value, .. } => {
                if value.is_unset_or_null(test_type) {
                    let text = self.expand_string(default_value.as_deref().unwrap_or(""))?;
                    self.assign_parameter(parameter, &text)?;
                    PVal::One(text)
                } else {
                    value
                }
            }
            P::IndicateErrorIfNullOrUnset { test_type, error_message, .. } => {
                if value.is_unset_or_null(test_type) {
                    let msg = match error_message {
                        Some(m) if !m.is_empty() => self.expand_string(m)?,
                        _ => "parameter null or not set".into(),
                    };
                    self.error(format!("{name}: {msg}"));
                    return Err(Flow::Exit(self.fatal_status()));
                }
                value
            }
            P::UseAlternativeValue { test_type, alternative_value, .. } => {
                if value.is_unset_or_null(test_type) {
                    PVal::One(String::new())
                } else {
                    return self.expand_sub(alternative_value.as_deref().unwrap_or(""), in_dq, b);
                }
            }
            P::ParameterLength { parameter, .. } => {
                check_unset(self, &value)?;
                let n = match (&value, parameter) {
                    (PVal::List(items, _), _) => items.len(),
                    (PVal::One(s), _) => s.chars().count(),
                    (PVal::Unset, _) => 0,
                };
                PVal::One(n.to_string())
            }
            P::RemoveSmallestSuffixPattern { pattern, .. } | P::RemoveLargestSuffixPattern { pattern, .. } => {
                check_unset(self, &value)?;
                let longest = matches!(expr, P::RemoveLargestSuffixPattern { .. });
                let pat = self.expand_pattern(pattern.as_deref().unwrap_or(""))?;
                value.map(|s| glob::remove_suffix(s, &pat, longest))
            }
            P::RemoveSmallestPrefixPattern { pattern, .. } | P::RemoveLargestPrefixPattern { pattern, .. } => {
                check_unset(self, &value)?;
                let longest = matches!(expr, P::RemoveLargestPrefixPattern { .. });
                let pat = self.expand_pattern(pattern.as_deref().unwrap_or(""))?;
                value.map(|s| glob::remove_prefix(s, &pat, longest))
            }
            P::Substring { offset, length, parameter, .. } => {
                check_unset(self, &value)?;
                let off = self.arith(&offset.value)?;
                let len = match length {
                    Some(l) => Some(self.arith(&l.value)?),
                    None => None,
                };
                let positional =
                    matches!(parameter, Parameter::Special(SpecialParameter::AllPositionalParameters { .. }));
                self.substring(value, off, len, positional)?
            }
            P::Transform { op, .. } => {
                check_unset(self, &value)?;
                match op {
                    ParameterTransformOp::ToUpperCase => value.map(str::to_uppercase),
                    ParameterTransformOp::ToLowerCase => value.map(str::to_lowercase),
                    ParameterTransformOp::CapitalizeInitial => value.map(|s| first_upper(s, true)),
                    ParameterTransformOp::Quoted => value.map(crate::builtins::quote),
                    ParameterTransformOp::ExpandEscapeSequences => {
                        value.map(|s| crate::builtins::escapes(s, crate::builtins::EscapeStyle::AnsiC).0)
                    }
                    ParameterTransformOp::ToAttributeFlags => match self.var_of(expr) {
                        // A declared variable has its flags even when the
                        // element named is unset (`declare -A m; ${m@a}`).
                        Some(var) => {
                            let flags = crate::builtins::vars::attribute_flags(var);
                            match value {
                                PVal::Unset => PVal::One(flags),
                                value => value.map(|_| flags.clone()),
                            }
                        }
                        None => value.map(|_| String::new()),
                    },
                    ParameterTransformOp::ToAssignmentLogic => self.assignment_form(expr, value),
                    ParameterTransformOp::PossiblyQuoteWithArraysExpanded { separate_words } => {
                        self.keys_and_values(expr, value, *separate_words)
                    }
                    ParameterTransformOp::PromptExpand => {
                        self.error(format!("{name}: the @P transformation is not supported"));
                        return Err(Flow::Exit(1));
                    }
                }
            }
            P::UppercaseFirstChar { .. } => value.map(|s| first_upper(s, true)),
            P::LowercaseFirstChar { .. } => value.map(|s| first_upper(s, false)),
            P::UppercasePattern { .. } => value.map(str::to_uppercase),
            P::LowercasePattern { .. } => value.map(str::to_lowercase),
            P::ReplaceSubstring { pattern, replacement, match_kind, .. } => {
                check_unset(self, &value)?;
                let pat = self.expand_pattern(pattern)?;
                let rep = self.expand_string(replacement.as_deref().unwrap_or(""))?;
                let (all, anchor) = match match_kind {
                    SubstringMatchKind::Prefix => (false, Some(true)),
                    SubstringMatchKind::Suffix => (false, Some(false)),
                    SubstringMatchKind::FirstOccurrence => (false, None),
                    SubstringMatchKind::Anywhere => (true, None),
                };
                value.map(|s| glob::replace(s, &pat, &rep, all, anchor))
            }
            P::VariableNames { prefix, concatenate } => {
                let names: Vec<String> = self
                    .st
                    .vars
                    .visible()
                    .keys()
                    .filter(|n| n.starts_with(prefix.as_str()))
                    .map(|n| n.to_string())
                    .collect();
                PVal::List(names, *concatenate)
            }
            P::MemberKeys { variable_name, concatenate } => {
                let keys = match self.st.vars.get(variable_name).and_then(|v| v.value.as_ref()) {
                    Some(v) => v.keys(),
                    None => Vec::new(),
                };
                PVal::List(keys, *concatenate)
            }
        };
        self.push_value(result, in_dq, kind, b);
        Ok(())
    }

    /// Expands the word of `${x:-word}` / `${x:+word}` into the builder.
    fn expand_sub(&mut self, word: &str, in_dq: bool, b: &mut Builder) -> Result<(), Flow> {
        if crate::parse::would_panic_brush(word) {
            self.error(format!("{word}: bad substitution"));
            return Err(Flow::Exit(1));
        }
        let pieces = brush_parser::word::parse(word, &super::word_options());
        let pieces = pieces.map_err(|_| {
            self.error(format!("{word}: bad substitution"));
            Flow::Exit(1)
        })?;
        self.expand_pieces(&pieces, in_dq, true, b)
    }

    fn push_value(&self, value: PVal, in_dq: bool, kind: Kind, b: &mut Builder) {
        match value {
            PVal::Unset => {}
            PVal::One(s) => b.push(&s, kind),
            PVal::List(items, concat) => {
                if in_dq && concat {
                    let sep = self.ifs().chars().next().map(String::from).unwrap_or_default();
                    b.push(&items.join(&sep), kind);
                } else {
                    b.push_list(&items, kind);
                }
            }
        }
    }

    /// The value of a parameter (`indirect`: of the one it names).
    fn lookup(&mut self, p: &Parameter, indirect: bool) -> Result<PVal, Flow> {
        let value = self.lookup_direct(p)?;
        if !indirect {
            return Ok(value);
        }
        let target = match value {
            PVal::One(s) => s,
            PVal::Unset => return Ok(PVal::Unset),
            PVal::List(items, _) => items.join(" "),
        };
        match brush_parser::word::parse_parameter(&target, &super::word_options()) {
            Ok(p) => self.lookup_direct(&p),
            Err(_) => {
                self.error(format!("{target}: invalid indirect expansion"));
                Err(Flow::Exit(1))
            }
        }
    }

    fn lookup_direct(&mut self, p: &Parameter) -> Result<PVal, Flow> {
        Ok(match p {
            Parameter::Positional(0) => PVal::One(self.st.arg0.clone()),
            Parameter::Positional(n) => {
                self.st.positional.get(*n as usize - 1).map_or(PVal::Unset, |s| PVal::One(s.clone()))
            }
            Parameter::Special(s) => match s {
                SpecialParameter::AllPositionalParameters { concatenate } => {
                    PVal::List(self.st.positional.clone(), *concatenate)
                }
                SpecialParameter::PositionalParameterCount => PVal::One(self.st.positional.len().to_string()),
                SpecialParameter::LastExitStatus => PVal::One(self.st.status.to_string()),
                SpecialParameter::CurrentOptionFlags => PVal::One(self.st.options.flags(self.st.dash_c)),
                SpecialParameter::ProcessId => PVal::One(self.st.pid.to_string()),
                SpecialParameter::LastBackgroundProcessId => {
                    self.st.last_bg.map_or(PVal::Unset, |p| PVal::One(p.to_string()))
                }
                SpecialParameter::ShellName => PVal::One(self.st.arg0.clone()),
            },
            Parameter::Named(name) => match self.dynamic(name) {
                Some(v) => v,
                None => match self.st.vars.get(name).and_then(|v| v.value.as_ref()) {
                    Some(v) => v.scalar().map_or(PVal::Unset, |s| PVal::One(s.to_string())),
                    None => PVal::Unset,
                },
            },
            Parameter::NamedWithIndex { name, index } => {
                if let Some(PVal::List(items, _)) = self.dynamic(name) {
                    let i = self.arith(index)?;
                    return Ok(usize::try_from(i)
                        .ok()
                        .and_then(|i| items.get(i))
                        .map_or(PVal::Unset, |s| PVal::One(s.clone())));
                }
                let value = self.st.vars.get(name).and_then(|v| v.value.clone());
                match value {
                    Some(Value::Assoc(map)) => {
                        let key = self.expand_string(index)?;
                        map.get(&key).map_or(PVal::Unset, |s| PVal::One(s.clone()))
                    }
                    Some(Value::Indexed(map)) => {
                        let i = self.arith(index)?;
                        let i = if i < 0 { map.keys().next_back().map_or(i, |last| last + 1 + i) } else { i };
                        map.get(&i).map_or(PVal::Unset, |s| PVal::One(s.clone()))
                    }
                    Some(Value::Scalar(s)) => {
                        if self.arith(index)? == 0 {
                            PVal::One(s)
                        } else {
                            PVal::Unset
                        }
                    }
                    None => PVal::Unset,
                }
            }
            Parameter::NamedWithAllIndices { name, concatenate } => match self.dynamic(name) {
                Some(PVal::List(items, _)) => PVal::List(items, *concatenate),
                _ => match self.st.vars.get(name).and_then(|v| v.value.as_ref()) {
                    Some(v) => PVal::List(v.elements(), *concatenate),
                    None => PVal::List(Vec::new(), *concatenate),
                },
            },
        })
    }

    /// Variables computed on each use.
    fn dynamic(&mut self, name: &str) -> Option<PVal> {
        Some(match name {
            "RANDOM" => PVal::One(self.next_random().to_string()),
            "PIPESTATUS" => PVal::List(self.pipestatus.iter().map(i32::to_string).collect(), false),
            "FUNCNAME" if !self.st.funcnames.is_empty() => PVal::List(self.st.funcnames.clone(), false),
            "SECONDS" | "LINENO" => PVal::One("0".into()),
            _ => return None,
        })
    }

    /// `${x:=word}` assigns to `x` (an array element too).
    fn assign_parameter(&mut self, p: &Parameter, text: &str) -> Result<(), Flow> {
        let ok = match p {
            Parameter::Named(name) => self.set_var(name, text),
            Parameter::NamedWithIndex { name, index } => {
                let key = self.expand_string(index)?;
                match self.assign_element(name, &key, text.to_string()) {
                    Ok(()) => true,
                    Err(msg) => {
                        self.error(msg);
                        false
                    }
                }
            }
            other => {
                self.error(format!("{}: cannot assign in this way", param_name(other)));
                false
            }
        };
        if ok { Ok(()) } else { Err(Flow::Exit(1)) }
    }

    /// `${x:off:len}`: characters of a string, elements of a list.
    fn substring(&mut self, value: PVal, off: i64, len: Option<i64>, positional: bool) -> Result<PVal, Flow> {
        fn window(total: usize, off: i64, len: Option<i64>) -> Option<(usize, usize)> {
            let total_i = i64::try_from(total).unwrap_or(i64::MAX);
            let start = if off < 0 { total_i + off } else { off };
            if start < 0 || start > total_i {
                return None;
            }
            let end = match len {
                None => total_i,
                Some(l) if l < 0 => total_i + l,
                Some(l) => start.saturating_add(l).min(total_i),
            };
            if end < start {
                return Some((start as usize, start as usize));
            }
            Some((start as usize, end as usize))
        }
        if let Some(l) = len
            && l < 0
            && matches!(value, PVal::List(..))
        {
            self.error(format!("{l}: substring expression < 0"));
            return Err(Flow::Exit(1));
        }
        Ok(match value {
            PVal::Unset => PVal::Unset,
            PVal::One(s) => {
                let chars: Vec<char> = s.chars().collect();
                match window(chars.len(), off, len) {
                    Some((a, b)) => PVal::One(chars[a..b].iter().collect()),
                    None => PVal::One(String::new()),
                }
            }
            PVal::List(items, concat) => {
                let mut all = items;
                if positional {
                    all.insert(0, self.st.arg0.clone());
                }
                match window(all.len(), off, len) {
                    Some((a, b)) => PVal::List(all[a..b].to_vec(), concat),
                    None => PVal::List(Vec::new(), concat),
                }
            }
        })
    }
}

fn first_upper(s: &str, upper: bool) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => {
            let first: String = if upper { c.to_uppercase().collect() } else { c.to_lowercase().collect() };
            first + chars.as_str()
        }
        None => String::new(),
    }
}
