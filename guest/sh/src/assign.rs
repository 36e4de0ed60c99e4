//! Assignments: `x=v`, `x+=v`, `a[i]=v`, `a=(…)`, `m=([k]=v …)`, with the
//! `declare -i` (arithmetic) and `set -a` (export) attributes.

use std::collections::BTreeMap;

use brush_parser::ast;

use crate::shell::{Flow, Shell};
use crate::vars::Value;

impl Shell {
    /// Performs an assignment. `temp`: in the innermost scope and exported
    /// (`x=1 builtin`).
    ///
    /// # Errors
    /// `Ok(Err(()))` when it failed (printed: readonly, bad index);
    /// `Err(flow)` for a fatal expansion error.
    pub fn assign(&mut self, a: &ast::Assignment, temp: bool) -> Result<Result<(), ()>, Flow> {
        let (name, index) = match &a.name {
            ast::AssignmentName::VariableName(n) => (n.clone(), None),
            ast::AssignmentName::ArrayElementName(n, i) => (n.clone(), Some(i.clone())),
        };
        if temp {
            let var = self.st.vars.declare_local(&name);
            var.exported = true;
        }
        let result = match (&a.value, index) {
            (ast::AssignmentValue::Scalar(w), None) => {
                let value = self.expand_string(&colon_tildes(&w.value))?;
                self.assign_scalar(&name, value, a.append)?
            }
            (ast::AssignmentValue::Scalar(w), Some(index)) => {
                let value = self.expand_string(&w.value)?;
                let key = self.expand_string(&index)?;
                let value = if a.append {
                    let old = self.element(&name, &key)?;
                    old + &value
                } else {
                    value
                };
                self.assign_element(&name, &key, value)
            }
            (ast::AssignmentValue::Array(items), _) => self.assign_array(&name, items, a.append)?,
        };
        Ok(result.map_err(|msg| self.error(msg)))
    }

    /// `name=value` or `name+=value`, honouring `declare -i`.
    ///
    /// # Errors
    /// `Ok(Err(msg))` for a readonly variable; `Err` for bad arithmetic.
    pub fn assign_scalar(&mut self, name: &str, value: String, append: bool) -> Result<Result<(), String>, Flow> {
        let integer = self.st.vars.get(name).is_some_and(|v| v.integer);
        let value = if integer {
            let n = self.arith(&value)?;
            if append { (self.arith(&self.var(name))? + n).to_string() } else { n.to_string() }
        } else if append {
            self.var(name) + &value
        } else {
            value
        };
        if let Some(Value::Indexed(_)) = self.st.vars.get(name).and_then(|v| v.value.as_ref())
            && append
        {
            return Ok(self.assign_element(name, "0", value));
        }
        let r = self.st.vars.set(name, value);
        if r.is_ok() && self.st.options.allexport {
            self.st.vars.get_mut(name).exported = true;
        }
        Ok(r)
    }

    /// The current text of element `key` of `name` (empty if unset).
    fn element(&mut self, name: &str, key: &str) -> Result<String, Flow> {
        Ok(match self.st.vars.get(name).and_then(|v| v.value.clone()) {
            Some(Value::Assoc(map)) => map.get(key).cloned().unwrap_or_default(),
            Some(Value::Indexed(map)) => {
                let i = self.arith(key)?;
                map.get(&i).cloned().unwrap_or_default()
            }
            Some(Value::Scalar(s)) => s,
            None => String::new(),
        })
    }

    /// Sets element `key` (already expanded) of array `name`; an indexed
    /// array's key is evaluated arithmetically, a negative one counts from
    /// the end.
    ///
    /// # Errors
    /// A readonly variable or a bad index.
    pub fn assign_element(&mut self, name: &str, key: &str, value: String) -> Result<(), String> {
        if self.st.vars.is_readonly(name) {
            return Err(format!("{name}: readonly variable"));
        }
        let current = self.st.vars.get(name).and_then(|v| v.value.clone());
        let new = match current {
            Some(Value::Assoc(mut map)) => {
                map.insert(key.to_string(), value);
                Value::Assoc(map)
            }
            other => {
                let mut map = match other {
                    Some(Value::Indexed(map)) => map,
                    Some(Value::Scalar(s)) => BTreeMap::from([(0, s)]),
                    _ => BTreeMap::new(),
                };
                let expanded = match self.arith_status(key) {
                    Ok(r) => r?,
                    Err(_) => return Err(format!("{key}: bad array subscript")),
                };
                let i = if expanded < 0 { map.keys().next_back().map_or(-1, |l| l + 1) + expanded } else { expanded };
                if i < 0 {
                    return Err(format!("{name}[{key}]: bad array subscript"));
                }
                map.insert(i, value);
                Value::Indexed(map)
            }
        };
        self.st.vars.set_value(name, new)
    }

    /// `name=(…)` / `name+=(…)`.
    fn assign_array(
        &mut self,
        name: &str,
        items: &[(Option<ast::Word>, ast::Word)],
        append: bool,
    ) -> Result<Result<(), String>, Flow> {
        let assoc = matches!(self.st.vars.get(name).and_then(|v| v.value.as_ref()), Some(Value::Assoc(_)));
        if assoc {
            let mut map = match (append, self.st.vars.get(name).and_then(|v| v.value.clone())) {
                (true, Some(Value::Assoc(map))) => map,
                _ => BTreeMap::new(),
            };
            for (key, value) in items {
                let value = self.expand_string(&value.value)?;
                match key {
                    Some(k) => {
                        let k = self.expand_string(&k.value)?;
                        map.insert(k, value);
                    }
                    None => {
                        return Ok(Err(format!(
                            "{name}: {value}: must use subscript when assigning associative array"
                        )));
                    }
                }
            }
            return Ok(self.st.vars.set_value(name, Value::Assoc(map)));
        }
        let mut map = match (append, self.st.vars.get(name).and_then(|v| v.value.clone())) {
            (true, Some(Value::Indexed(map))) => map,
            (true, Some(Value::Scalar(s))) => BTreeMap::from([(0, s)]),
            _ => BTreeMap::new(),
        };
        let mut next = map.keys().next_back().map_or(0, |l| l + 1);
        for (key, value) in items {
            match key {
                Some(k) => {
                    let i = self.arith(&k.value)?;
                    let v = self.expand_string(&value.value)?;
                    map.insert(i, v);
                    next = i + 1;
                }
                None => {
                    for v in self.expand_words([value.value.as_str()])? {
                        map.insert(next, v);
                        next += 1;
                    }
                }
            }
        }
        let r = self.st.vars.set_value(name, Value::Indexed(map));
        if self.st.options.allexport {
            self.st.vars.get_mut(name).exported = true;
        }
        Ok(r)
    }
}

/// An assignment's value with each unquoted `~` that follows a `:` made a
/// word of its own, as bash expands a tilde there (`PATH=a:~/bin`): `:~`
/// becomes `:"$HOME"` text for the expander. Values with quotes, escapes or
/// expansions are left as they are.
fn colon_tildes(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(":~") || value.contains(['\'', '"', '\\', '$', '`']) {
        return std::borrow::Cow::Borrowed(value);
    }
    let parts: Vec<&str> = value.split(':').collect();
    let mut out = String::with_capacity(value.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(':');
            // `~` alone or `~/…` (a `~user` prefix is left to the expander).
            if let Some(rest) = part.strip_prefix('~')
                && (rest.is_empty() || rest.starts_with('/'))
            {
                out.push_str("${HOME}");
                out.push_str(rest);
                continue;
            }
        }
        out.push_str(part);
    }
    std::borrow::Cow::Owned(out)
}
