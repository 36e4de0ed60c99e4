//! Shell variables: scalars, indexed and associative arrays, their
//! attributes (`export`, `readonly`, `-i`), and the stack of function scopes
//! that `local` pushes onto (bash's dynamic scoping).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The value of a variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    /// A string.
    Scalar(String),
    /// An indexed array (sparse, by index).
    Indexed(BTreeMap<i64, String>),
    /// An associative array. Keys iterate in sorted order (bash uses hash
    /// order; see the documented differences).
    Assoc(BTreeMap<String, String>),
}

impl Value {
    /// The value as a scalar: element 0 of an indexed array, key "0" of an
    /// associative one.
    pub fn scalar(&self) -> Option<&str> {
        match self {
            Value::Scalar(s) => Some(s),
            Value::Indexed(map) => map.get(&0).map(String::as_str),
            Value::Assoc(map) => map.get("0").map(String::as_str),
        }
    }

    /// Every element, in index order (a scalar is one element).
    pub fn elements(&self) -> Vec<String> {
        match self {
            Value::Scalar(s) => vec![s.clone()],
            Value::Indexed(map) => map.values().cloned().collect(),
            Value::Assoc(map) => map.values().cloned().collect(),
        }
    }

    /// Every key (`${!a[@]}`).
    pub fn keys(&self) -> Vec<String> {
        match self {
            Value::Scalar(_) => vec!["0".into()],
            Value::Indexed(map) => map.keys().map(i64::to_string).collect(),
            Value::Assoc(map) => map.keys().cloned().collect(),
        }
    }
}

/// A variable: its value (`None` when declared but unset, as `local x` or
/// `declare -a x` leave it) and attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Var {
    /// The value, if set.
    pub value: Option<Value>,
    /// Passed to children in their environment.
    pub exported: bool,
    /// Assignments fail.
    pub readonly: bool,
    /// Assignments are evaluated arithmetically (`declare -i`).
    pub integer: bool,
}

/// The variable scopes: the global one first, then one per active function
/// call that declared locals.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Vars {
    scopes: Vec<BTreeMap<String, Var>>,
}

impl Default for Vars {
    fn default() -> Self {
        Vars { scopes: vec![BTreeMap::new()] }
    }
}

impl Vars {
    /// The variable `name`, from the innermost scope that has it.
    pub fn get(&self, name: &str) -> Option<&Var> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    /// The variable `name` for changing: the innermost scope's, else a new
    /// global one.
    pub fn get_mut(&mut self, name: &str) -> &mut Var {
        let idx = self.scopes.iter().rposition(|s| s.contains_key(name)).unwrap_or(0);
        self.scopes[idx].entry(name.to_string()).or_default()
    }

    /// The scalar value of `name`, if set.
    pub fn scalar(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| v.value.as_ref()).and_then(Value::scalar)
    }

    /// Whether `name` is readonly.
    pub fn is_readonly(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| v.readonly)
    }

    /// Sets `name` to a scalar. A readonly variable is left alone.
    ///
    /// # Errors
    /// The variable is readonly.
    pub fn set(&mut self, name: &str, value: impl Into<String>) -> Result<(), String> {
        let var = self.get_mut(name);
        if var.readonly {
            return Err(format!("{name}: readonly variable"));
        }
        let value = value.into();
        var.value = Some(match var.value.take() {
            Some(Value::Indexed(mut map)) => {
                map.insert(0, value);
                Value::Indexed(map)
            }
            Some(Value::Assoc(mut map)) => {
                map.insert("0".into(), value);
                Value::Assoc(map)
            }
            _ => Value::Scalar(value),
        });
        Ok(())
    }

    /// Replaces the whole value of `name`.
    ///
    /// # Errors
    /// The variable is readonly.
    pub fn set_value(&mut self, name: &str, value: Value) -> Result<(), String> {
        let var = self.get_mut(name);
        if var.readonly {
            return Err(format!("{name}: readonly variable"));
        }
        var.value = Some(value);
        Ok(())
    }

    /// Removes `name` from the innermost scope that has it.
    ///
    /// # Errors
    /// The variable is readonly.
    pub fn unset(&mut self, name: &str) -> Result<(), String> {
        if let Some(idx) = self.scopes.iter().rposition(|s| s.contains_key(name)) {
            if self.scopes[idx].get(name).is_some_and(|v| v.readonly) {
                return Err(format!("{name}: cannot unset: readonly variable"));
            }
            if idx == 0 {
                self.scopes[idx].remove(name);
            } else if let Some(var) = self.scopes[idx].get_mut(name) {
                // A local stays declared (and shadowing) until its function returns.
                var.value = None;
            }
        }
        Ok(())
    }

    /// Declares `name` in the innermost function scope (`local`).
    pub fn declare_local(&mut self, name: &str) -> &mut Var {
        let top = self.scopes.len() - 1;
        self.scopes[top].entry(name.to_string()).or_default()
    }

    /// Enters a function call.
    pub fn push_scope(&mut self) {
        self.scopes.push(BTreeMap::new());
    }

    /// Leaves a function call, dropping its locals.
    pub fn pop_scope(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    /// Every visible variable, sorted by name.
    pub fn visible(&self) -> BTreeMap<&str, &Var> {
        let mut all = BTreeMap::new();
        for scope in &self.scopes {
            for (name, var) in scope {
                all.insert(name.as_str(), var);
            }
        }
        all
    }

    /// The environment children get: every exported variable with a value.
    pub fn environment(&self) -> Vec<(String, String)> {
        self.visible()
            .into_iter()
            .filter(|(_, v)| v.exported)
            // Arrays are not exported (bash has no way to), only scalars.
            .filter_map(|(name, v)| match v.value.as_ref()? {
                Value::Scalar(s) => Some((name.to_string(), s.clone())),
                Value::Indexed(_) | Value::Assoc(_) => None,
            })
            .collect()
    }
}

/// Whether `name` is a valid variable name.
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}
