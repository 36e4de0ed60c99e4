//! Running parsed bc: variables, arrays and functions (dynamically
//! scoped, as bc's are), `scale`, `ibase`, `obase` and `last`, and output
//! with bc's line splitting.

use std::collections::BTreeMap;
use std::io::Write;
use std::rc::Rc;

use super::math;
use super::num::Num;
use super::parse::{Arg, Expr, Function, Printed, Stmt};

/// Array indices run from 0 to this (GNU bc's `BC_DIM_MAX`).
const MAX_INDEX: i64 = 16_777_215;

/// How deep calls may nest: bounds the interpreter's own stack.
const MAX_DEPTH: usize = 200;

/// An array: its set elements.
type Array = BTreeMap<usize, Num>;

/// Why a statement stopped early.
pub enum Flow {
    Break,
    Continue,
    Return(Num),
    /// `halt`, or a runtime error already reported: the unit ends.
    Stop,
}

/// A runtime error's message.
type Failure = String;

/// The interpreter's state.
pub struct Machine {
    /// `scale`: digits kept by `/`, `*`, `^`, `sqrt` and the library.
    pub scale: usize,
    ibase: u32,
    obase: u32,
    last: Num,
    /// Each name's values, innermost call last.
    vars: BTreeMap<String, Vec<Num>>,
    arrays: BTreeMap<String, Vec<Array>>,
    functions: BTreeMap<String, Rc<Function>>,
    /// The math library's functions are there (`-l`).
    pub library: bool,
    /// Names of the functions being run, innermost last (for messages).
    calls: Vec<String>,
    out: Output,
    /// `halt` ran: stop reading input.
    pub halted: bool,
}

/// stdout with bc's column count: a line longer than `BC_LINE_LENGTH - 1`
/// characters (69 by default) goes on after a backslash and a newline.
struct Output {
    column: usize,
    width: usize,
    buffer: Vec<u8>,
}

impl Output {
    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if c == '\n' {
                self.column = 0;
            } else {
                self.column += 1;
                if self.width > 1 && self.column == self.width - 1 {
                    self.buffer.extend_from_slice(b"\\\n");
                    self.column = 1;
                }
            }
            let mut utf8 = [0u8; 4];
            self.buffer.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        if self.buffer.len() > 1 << 16 {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&self.buffer);
        let _ = out.flush();
        self.buffer.clear();
    }
}

impl Machine {
    /// A fresh machine: scale 0 (20 with the library), bases 10.
    pub fn new(library: bool) -> Machine {
        let width = std::env::var("BC_LINE_LENGTH").ok().and_then(|v| v.trim().parse::<usize>().ok());
        let width = match width {
            Some(0) => 0,
            Some(w) if w >= 3 => w,
            _ => 70,
        };
        Machine {
            scale: if library { 20 } else { 0 },
            ibase: 10,
            obase: 10,
            last: Num::default(),
            vars: BTreeMap::new(),
            arrays: BTreeMap::new(),
            functions: BTreeMap::new(),
            library,
            calls: Vec::new(),
            out: Output { column: 0, width, buffer: Vec::new() },
            halted: false,
        }
    }

    /// Defines (or redefines) a function.
    pub fn define(&mut self, function: Function) {
        self.functions.insert(function.name.clone(), Rc::new(function));
    }

    /// Writes what is buffered for stdout.
    pub fn flush(&mut self) {
        self.out.flush();
    }

    /// Runs statements; false if a runtime error (reported here) or
    /// `halt` stopped them.
    pub fn run(&mut self, stmts: &[Stmt]) -> bool {
        for stmt in stmts {
            match self.exec(stmt) {
                Ok(None) => {}
                Ok(Some(_)) => return !self.halted,
                Err(message) => {
                    self.report("error", &message);
                    self.calls.clear();
                    return false;
                }
            }
            if self.halted {
                return false;
            }
        }
        true
    }

    fn report(&mut self, kind: &str, message: &str) {
        self.flush();
        let function = self.calls.last().map_or("(main)".to_string(), Clone::clone);
        eprintln!("Runtime {kind} (func={function}, adr=0): {message}");
    }

    fn exec(&mut self, stmt: &Stmt) -> Result<Option<Flow>, Failure> {
        match stmt {
            Stmt::Expr(expr) => {
                let value = self.eval(expr)?;
                if !matches!(expr, Expr::Assign(..)) {
                    let text = value.format(self.obase);
                    self.out.text(&text);
                    self.out.text("\n");
                    self.last = value;
                }
            }
            Stmt::Text(text) => self.out.text(text),
            Stmt::Print(items) => {
                for item in items {
                    match item {
                        Printed::Text(text) => self.out.text(&unescape(text)),
                        Printed::Value(expr) => {
                            let value = self.eval(expr)?;
                            self.out.text(&value.format(self.obase));
                            self.last = value;
                        }
                    }
                }
            }
            Stmt::Block(body) => {
                for stmt in body {
                    if let Some(flow) = self.exec(stmt)? {
                        return Ok(Some(flow));
                    }
                }
            }
            Stmt::If(condition, then, otherwise) => {
                if !self.eval(condition)?.is_zero() {
                    return self.exec(then);
                } else if let Some(otherwise) = otherwise {
                    return self.exec(otherwise);
                }
            }
            Stmt::While(condition, body) => {
                while !self.eval(condition)?.is_zero() {
                    match self.exec(body)? {
                        Some(Flow::Break) => break,
                        None | Some(Flow::Continue) => {}
                        other => return Ok(other),
                    }
                }
            }
            Stmt::For(init, test, step, body) => {
                if let Some(init) = init {
                    self.eval(init)?;
                }
                loop {
                    if let Some(test) = test
                        && self.eval(test)?.is_zero()
                    {
                        break;
                    }
                    match self.exec(body)? {
                        Some(Flow::Break) => break,
                        None | Some(Flow::Continue) => {}
                        other => return Ok(other),
                    }
                    if let Some(step) = step {
                        self.eval(step)?;
                    }
                }
            }
            Stmt::Break => return Ok(Some(Flow::Break)),
            Stmt::Continue => return Ok(Some(Flow::Continue)),
            Stmt::Return(value) => {
                let value = match value {
                    Some(expr) => self.eval(expr)?,
                    None => Num::int(0),
                };
                return Ok(Some(Flow::Return(value)));
            }
            Stmt::Halt => {
                self.halted = true;
                return Ok(Some(Flow::Stop));
            }
        }
        Ok(None)
    }

    /// The value of a variable.
    fn get(&self, name: &str) -> Num {
        match name {
            "scale" => Num::int(self.scale as i64),
            "ibase" => Num::int(i64::from(self.ibase)),
            "obase" => Num::int(i64::from(self.obase)),
            "last" => self.last.clone(),
            _ => self.vars.get(name).and_then(|stack| stack.last()).cloned().unwrap_or_default(),
        }
    }

    fn set(&mut self, name: &str, value: Num) {
        let warn = |m: &mut Machine, message: &str| m.report("warning", message);
        match name {
            "scale" => {
                if value.is_negative() {
                    warn(self, "negative scale, set to 0");
                }
                self.scale = value.to_i64().map_or(0, |n| n.clamp(0, i64::from(u32::MAX)) as usize);
            }
            "ibase" => {
                let base = value.to_i64().unwrap_or(16);
                if base < 2 {
                    warn(self, "ibase too small, set to 2");
                }
                self.ibase = base.clamp(2, 16) as u32;
            }
            "obase" => {
                let base = value.to_i64().unwrap_or(999);
                if base < 2 {
                    warn(self, "obase too small, set to 2");
                }
                self.obase = base.clamp(2, 999) as u32;
            }
            "last" => self.last = value,
            _ => {
                let stack = self.vars.entry(name.to_string()).or_default();
                match stack.last_mut() {
                    Some(slot) => *slot = value,
                    None => stack.push(value),
                }
            }
        }
    }

    fn index(&mut self, name: &str, index: &Expr) -> Result<usize, Failure> {
        let index = self.eval(index)?.to_i64().unwrap_or(-1);
        if !(0..=MAX_INDEX).contains(&index) {
            return Err(format!("Array {name} subscript out of bounds."));
        }
        Ok(index as usize)
    }

    fn array(&mut self, name: &str) -> &mut Array {
        let stack = self.arrays.entry(name.to_string()).or_default();
        if stack.is_empty() {
            stack.push(Array::new());
        }
        let last = stack.len() - 1;
        &mut stack[last]
    }

    /// Reads the target of an assignment or `++`.
    fn load(&mut self, target: &Expr) -> Result<Num, Failure> {
        match target {
            Expr::Var(name) => Ok(self.get(name)),
            Expr::Element(name, index) => {
                let index = self.index(name, index)?;
                Ok(self.array(name).get(&index).cloned().unwrap_or_default())
            }
            _ => Err("bad assignment".to_string()),
        }
    }

    fn store(&mut self, target: &Expr, value: Num) -> Result<(), Failure> {
        match target {
            Expr::Var(name) => self.set(name, value),
            Expr::Element(name, index) => {
                let index = self.index(name, index)?;
                self.array(name).insert(index, value);
            }
            _ => return Err("bad assignment".to_string()),
        }
        Ok(())
    }

    fn binary(&mut self, op: &str, a: &Num, b: &Num) -> Result<Num, Failure> {
        let scale = self.scale;
        Ok(match op {
            "+" => a.add(b),
            "-" => a.sub(b),
            "*" => a.mul(b, scale),
            "/" => a.div(b, scale)?,
            "%" => a.rem(b, scale)?,
            _ => {
                if b.scale() > 0 && b.magnitude() % super::num::pow10(b.scale()) != 0u32.into() {
                    self.report("warning", "non-zero scale in exponent");
                }
                let n = b.to_i64().ok_or("exponent too large")?;
                a.pow(n, scale)?
            }
        })
    }

    /// The value of `expr`, or the message of a runtime error.
    pub fn eval(&mut self, expr: &Expr) -> Result<Num, Failure> {
        let truth = |b: bool| Num::int(i64::from(b));
        Ok(match expr {
            Expr::Number(text) => Num::parse(text, self.ibase),
            Expr::Var(_) | Expr::Element(..) => self.load(expr)?,
            Expr::Group(inner) => self.eval(inner)?,
            Expr::Neg(inner) => self.eval(inner)?.neg(),
            Expr::Not(inner) => truth(self.eval(inner)?.is_zero()),
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                self.binary(op, &a, &b)?
            }
            Expr::Compare(op, a, b) => {
                let ordering = self.eval(a)?.cmp(&self.eval(b)?);
                truth(match *op {
                    "<" => ordering.is_lt(),
                    "<=" => ordering.is_le(),
                    ">" => ordering.is_gt(),
                    ">=" => ordering.is_ge(),
                    "==" => ordering.is_eq(),
                    _ => ordering.is_ne(),
                })
            }
            Expr::And(a, b) => truth(!self.eval(a)?.is_zero() && !self.eval(b)?.is_zero()),
            Expr::Or(a, b) => truth(!self.eval(a)?.is_zero() || !self.eval(b)?.is_zero()),
            Expr::Assign(op, target, value) => {
                let value = self.eval(value)?;
                let value = match op {
                    None => value,
                    Some(op) => {
                        let old = self.load(target)?;
                        self.binary(op, &old, &value)?
                    }
                };
                self.store(target, value)?;
                // The value of an assignment is what the target now holds
                // (`scale = -1` is 0).
                self.load(target)?
            }
            Expr::Step(op, before, target) => {
                let old = self.load(target)?;
                let new = if *op == "+" { old.add(&Num::int(1)) } else { old.sub(&Num::int(1)) };
                self.store(target, new)?;
                if *before { self.load(target)? } else { old }
            }
            Expr::Builtin(which, arg) => {
                let value = self.eval(arg)?;
                match *which {
                    "length" => Num::int(value.length() as i64),
                    "scale" => Num::int(value.scale() as i64),
                    _ => value.sqrt(self.scale)?,
                }
            }
            Expr::Call(name, args) => self.call(name, args)?,
        })
    }

    fn call(&mut self, name: &str, args: &[Arg]) -> Result<Num, Failure> {
        let Some(function) = self.functions.get(name).cloned() else {
            if self.library && math::NAMES.contains(&name) {
                let mut values = Vec::new();
                for arg in args {
                    match arg {
                        Arg::Value(expr) => values.push(self.eval(expr)?),
                        Arg::Array(_) => return Err("Parameter type mismatch".to_string()),
                    }
                }
                return math::call(name, &values, self.scale).map_err(str::to_string);
            }
            return Err(format!("Function {name} not defined."));
        };
        if function.params.len() != args.len() {
            return Err(format!("Parameter number mismatch for {name}."));
        }
        if self.calls.len() >= MAX_DEPTH {
            return Err("Function calls nested too deeply.".to_string());
        }
        // Arguments are evaluated in the caller's scope, then bound.
        let mut scalars = Vec::new();
        let mut arrays = Vec::new();
        for (param, arg) in function.params.iter().zip(args) {
            match (param.array, arg) {
                (false, Arg::Value(expr)) => scalars.push((param.name.clone(), self.eval(expr)?)),
                (true, Arg::Array(array)) => {
                    let copy = self.array(array).clone();
                    arrays.push((param.name.clone(), copy));
                }
                _ => return Err(format!("Parameter type mismatch for {name}.")),
            }
        }
        for auto in &function.autos {
            if auto.array {
                arrays.push((auto.name.clone(), Array::new()));
            } else {
                scalars.push((auto.name.clone(), Num::default()));
            }
        }
        for (var, value) in &scalars {
            self.vars.entry(var.clone()).or_default().push(value.clone());
        }
        for (var, value) in &arrays {
            self.arrays.entry(var.clone()).or_default().push(value.clone());
        }
        self.calls.push(name.to_string());
        let mut result = Ok(Num::int(0));
        for stmt in &function.body {
            match self.exec(stmt) {
                Ok(None) => {}
                Ok(Some(Flow::Return(value))) => {
                    result = Ok(value);
                    break;
                }
                Ok(Some(_)) => break,
                Err(err) => {
                    result = Err(err);
                    break;
                }
            }
            if self.halted {
                break;
            }
        }
        if result.is_ok() {
            self.calls.pop();
        }
        for (var, _) in &scalars {
            if let Some(stack) = self.vars.get_mut(var) {
                stack.pop();
            }
        }
        for (var, _) in &arrays {
            if let Some(stack) = self.arrays.get_mut(var) {
                stack.pop();
            }
        }
        result
    }
}

/// The escapes of a `print` string: `\a \b \f \n \r \t \q` (a quote) and
/// `\\`; any other backslash stays.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('q') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('e') => out.push('\x1b'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}
