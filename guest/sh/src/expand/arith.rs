//! Arithmetic: `$(( ))`, `(( ))`, `let`, array indices and `declare -i`.
//! The text is expanded first (parameters, command substitutions), then
//! parsed by brush-parser's arithmetic grammar and evaluated here in 64-bit
//! wrapping arithmetic, as bash does.

use brush_parser::ast::{ArithmeticExpr, ArithmeticTarget, BinaryOperator, UnaryAssignmentOperator, UnaryOperator};

use crate::shell::{Flow, Shell};
use crate::vars::Value;

/// How deep a variable may refer to another expression.
const MAX_NESTING: usize = 64;

impl Shell {
    /// Expands and evaluates arithmetic text; an error is printed and ends
    /// the shell with status 1, as a non-interactive bash does.
    ///
    /// # Errors
    /// `Flow::Exit(1)` on a syntax or evaluation error.
    pub fn arith(&mut self, text: &str) -> Result<i64, Flow> {
        match self.arith_status(text)? {
            Ok(n) => Ok(n),
            Err(msg) => {
                self.error(msg);
                Err(Flow::Exit(1))
            }
        }
    }

    /// Like [`Shell::arith`] but returning the error message to the caller
    /// (`(( ))` and `let` fail with status 1 instead of ending the shell).
    ///
    /// # Errors
    /// A fatal expansion error inside the text.
    pub fn arith_status(&mut self, text: &str) -> Result<Result<i64, String>, Flow> {
        // As in double quotes (no tilde expansion: `~0` is bitwise not).
        let expanded = self.expand_heredoc(text)?;
        Ok(self.eval_text(&expanded, 0))
    }

    fn eval_text(&mut self, text: &str, nesting: usize) -> Result<i64, String> {
        if nesting > MAX_NESTING {
            return Err(format!("{text}: expression recursion level exceeded"));
        }
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Ok(0);
        }
        if !trimmed.starts_with('0')
            && let Ok(n) = trimmed.parse::<i64>()
        {
            return Ok(n);
        }
        let expr = brush_parser::arithmetic::parse(trimmed)
            .map_err(|_| format!("{trimmed}: syntax error in expression (error token is \"{trimmed}\")"))?;
        self.eval(&expr, nesting).map_err(|e| format!("{trimmed}: {e}"))
    }

    fn eval(&mut self, e: &ArithmeticExpr, nesting: usize) -> Result<i64, String> {
        Ok(match e {
            ArithmeticExpr::Literal(n) => *n,
            ArithmeticExpr::Reference(target) => self.read_target(target, nesting)?,
            ArithmeticExpr::UnaryOp(op, x) => {
                let x = self.eval(x, nesting)?;
                match op {
                    UnaryOperator::UnaryPlus => x,
                    UnaryOperator::UnaryMinus => x.wrapping_neg(),
                    UnaryOperator::BitwiseNot => !x,
                    UnaryOperator::LogicalNot => i64::from(x == 0),
                }
            }
            ArithmeticExpr::BinaryOp(op, x, y) => match op {
                BinaryOperator::LogicalAnd => i64::from(self.eval(x, nesting)? != 0 && self.eval(y, nesting)? != 0),
                BinaryOperator::LogicalOr => i64::from(self.eval(x, nesting)? != 0 || self.eval(y, nesting)? != 0),
                BinaryOperator::Comma => {
                    self.eval(x, nesting)?;
                    self.eval(y, nesting)?
                }
                _ => {
                    let a = self.eval(x, nesting)?;
                    let b = self.eval(y, nesting)?;
                    binary(op, a, b)?
                }
            },
            ArithmeticExpr::Conditional(c, a, b) => {
                if self.eval(c, nesting)? != 0 {
                    self.eval(a, nesting)?
                } else {
                    self.eval(b, nesting)?
                }
            }
            ArithmeticExpr::Assignment(target, x) => {
                let v = self.eval(x, nesting)?;
                self.write_target(target, v, nesting)?;
                v
            }
            ArithmeticExpr::BinaryAssignment(op, target, x) => {
                let old = self.read_target(target, nesting)?;
                let y = self.eval(x, nesting)?;
                let v = binary(op, old, y)?;
                self.write_target(target, v, nesting)?;
                v
            }
            ArithmeticExpr::UnaryAssignment(op, target) => {
                let old = self.read_target(target, nesting)?;
                let (new, result) = match op {
                    UnaryAssignmentOperator::PrefixIncrement => (old.wrapping_add(1), old.wrapping_add(1)),
                    UnaryAssignmentOperator::PrefixDecrement => (old.wrapping_sub(1), old.wrapping_sub(1)),
                    UnaryAssignmentOperator::PostfixIncrement => (old.wrapping_add(1), old),
                    UnaryAssignmentOperator::PostfixDecrement => (old.wrapping_sub(1), old),
                };
                self.write_target(target, new, nesting)?;
                result
            }
        })
    }

    /// The text of a variable or array element, for arithmetic.
    fn target_text(&mut self, target: &ArithmeticTarget, nesting: usize) -> Result<Option<String>, String> {
        match target {
            ArithmeticTarget::Variable(name) => {
                if name == "RANDOM" {
                    return Ok(Some(self.next_random().to_string()));
                }
                if self.st.options.nounset && self.st.vars.scalar(name).is_none() {
                    return Err(format!("{name}: unbound variable"));
                }
                Ok(self.st.vars.scalar(name).map(str::to_string))
            }
            ArithmeticTarget::ArrayElement(name, index) => {
                let value = self.st.vars.get(name).and_then(|v| v.value.clone());
                match value {
                    Some(Value::Assoc(map)) => Ok(map.get(&index.to_string()).cloned()),
                    Some(Value::Indexed(map)) => {
                        let i = self.eval(index, nesting)?;
                        let i = if i < 0 { map.keys().next_back().map_or(i, |last| last + 1 + i) } else { i };
                        Ok(map.get(&i).cloned())
                    }
                    Some(Value::Scalar(s)) => Ok((self.eval(index, nesting)? == 0).then_some(s)),
                    None => Ok(None),
                }
            }
        }
    }

    fn read_target(&mut self, target: &ArithmeticTarget, nesting: usize) -> Result<i64, String> {
        match self.target_text(target, nesting)? {
            None => Ok(0),
            Some(text) => self.eval_text(&text, nesting + 1),
        }
    }

    fn write_target(&mut self, target: &ArithmeticTarget, v: i64, nesting: usize) -> Result<(), String> {
        match target {
            ArithmeticTarget::Variable(name) => {
                if self.set_var(name, v.to_string()) {
                    Ok(())
                } else {
                    Err(format!("{name}: readonly variable"))
                }
            }
            ArithmeticTarget::ArrayElement(name, index) => {
                let key = match self.st.vars.get(name).and_then(|v| v.value.as_ref()) {
                    Some(Value::Assoc(_)) => index.to_string(),
                    _ => self.eval(index, nesting)?.to_string(),
                };
                self.assign_element(name, &key, v.to_string())
            }
        }
    }
}

fn binary(op: &BinaryOperator, a: i64, b: i64) -> Result<i64, String> {
    Ok(match op {
        BinaryOperator::Power => {
            if b < 0 {
                return Err("exponent less than 0".into());
            }
            a.wrapping_pow(u32::try_from(b).unwrap_or(u32::MAX))
        }
        BinaryOperator::Multiply => a.wrapping_mul(b),
        BinaryOperator::Divide | BinaryOperator::Modulo if b == 0 => {
            return Err("division by 0".into());
        }
        BinaryOperator::Divide => a.wrapping_div(b),
        BinaryOperator::Modulo => a.wrapping_rem(b),
        BinaryOperator::Add => a.wrapping_add(b),
        BinaryOperator::Subtract => a.wrapping_sub(b),
        BinaryOperator::ShiftLeft => a.wrapping_shl((b & 63) as u32),
        BinaryOperator::ShiftRight => a.wrapping_shr((b & 63) as u32),
        BinaryOperator::LessThan => i64::from(a < b),
        BinaryOperator::LessThanOrEqualTo => i64::from(a <= b),
        BinaryOperator::GreaterThan => i64::from(a > b),
        BinaryOperator::GreaterThanOrEqualTo => i64::from(a >= b),
        BinaryOperator::Equals => i64::from(a == b),
        BinaryOperator::NotEquals => i64::from(a != b),
        BinaryOperator::BitwiseAnd => a & b,
        BinaryOperator::BitwiseXor => a ^ b,
        BinaryOperator::BitwiseOr => a | b,
        BinaryOperator::LogicalAnd => i64::from(a != 0 && b != 0),
        BinaryOperator::LogicalOr => i64::from(a != 0 || b != 0),
        BinaryOperator::Comma => b,
    })
}
