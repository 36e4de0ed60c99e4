//! awk's grammar (POSIX), parsed by recursive descent into an AST whose
//! variables are already resolved to global or local slots.

use std::collections::BTreeMap;

use super::lexer::{Spanned, Tok};

/// Where a variable lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    Global(usize),
    Local(usize),
}

#[derive(Debug, Clone)]
pub enum Expr {
    Num(f64),
    Str(String),
    /// A regex literal used as a value: matches `$0`.
    Regex(String),
    Var(Var),
    Index(Var, Vec<Expr>),
    Field(Box<Expr>),
    /// `(a, b)`: only valid before `in` and as a print list.
    Group(Vec<Expr>),
    Assign(Box<Expr>, Option<&'static str>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    In(Vec<Expr>, Var),
    Match(bool, Box<Expr>, Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Concat(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Plus(Box<Expr>),
    /// `++x` / `--x` (`true` = increment), and the postfix forms.
    PreIncr(bool, Box<Expr>),
    PostIncr(bool, Box<Expr>),
    Call(usize, Vec<Expr>),
    Builtin(String, Vec<Expr>),
    /// `getline [var] [< file]`.
    Getline(Option<Box<Expr>>, Option<Box<Expr>>),
    /// `cmd | getline [var]`.
    PipeGetline(Box<Expr>, Option<Box<Expr>>),
}

#[derive(Debug, Clone)]
pub enum Redirect {
    File(Expr),
    Append(Expr),
    Pipe(Expr),
}

#[derive(Debug, Clone)]
pub enum Stmt {
    Expr(Expr),
    Print(Vec<Expr>, Option<Redirect>),
    Printf(Vec<Expr>, Option<Redirect>),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    While(Expr, Box<Stmt>),
    Do(Box<Stmt>, Expr),
    For(Option<Box<Stmt>>, Option<Expr>, Option<Box<Stmt>>, Box<Stmt>),
    ForIn(Var, Var, Box<Stmt>),
    Block(Vec<Stmt>),
    Next,
    NextFile,
    Exit(Option<Expr>),
    Return(Option<Expr>),
    Break,
    Continue,
    Delete(Var, Option<Vec<Expr>>),
    Getline(Expr),
}

#[derive(Debug, Clone)]
pub enum Pattern {
    Begin,
    End,
    All,
    Expr(Expr),
    Range(Expr, Expr),
}

#[derive(Debug, Clone)]
pub struct Function {
    pub name: String,
    pub params: usize,
    pub body: Vec<Stmt>,
}

#[derive(Debug, Default)]
pub struct Program {
    pub rules: Vec<(Pattern, Option<Vec<Stmt>>)>,
    pub functions: Vec<Function>,
    /// Global variable names by slot.
    pub globals: Vec<String>,
}

/// Special variables, in slot order: the interpreter relies on it.
pub const SPECIAL: &[&str] = &[
    "NR", "NF", "FNR", "FS", "OFS", "ORS", "RS", "FILENAME", "SUBSEP", "RSTART", "RLENGTH", "CONVFMT", "OFMT",
    "ENVIRON", "ARGC", "ARGV",
];

struct Parser {
    toks: Vec<Spanned>,
    pos: usize,
    globals: BTreeMap<String, usize>,
    global_names: Vec<String>,
    /// Parameters of the function being parsed.
    locals: Option<Vec<String>>,
    functions: BTreeMap<String, usize>,
    /// While parsing a print list: `>` is a redirection, not a comparison.
    no_gt: bool,
    /// While parsing the condition of `for (… in …)` tests: `in` is not an operator.
    no_in: bool,
}

/// Parses a whole program.
///
/// # Errors
/// A syntax error, with its line.
pub fn parse(toks: Vec<Spanned>) -> Result<Program, String> {
    let mut p = Parser {
        toks,
        pos: 0,
        globals: BTreeMap::new(),
        global_names: Vec::new(),
        locals: None,
        functions: BTreeMap::new(),
        no_gt: false,
        no_in: false,
    };
    for name in SPECIAL {
        p.global(name);
    }
    // Function names first, so that calls may precede definitions.
    let mut i = 0;
    while i + 1 < p.toks.len() {
        if p.toks[i].0 == Tok::Keyword("function")
            && let Tok::Name(name) | Tok::FuncName(name) = &p.toks[i + 1].0
        {
            let index = p.functions.len();
            p.functions.entry(name.clone()).or_insert(index);
        }
        i += 1;
    }
    let mut program = Program::default();
    let mut functions: Vec<Option<Function>> = vec![None; p.functions.len()];
    p.skip_terminators();
    while p.peek() != &Tok::Eof {
        if p.peek() == &Tok::Keyword("function") {
            let f = p.function()?;
            let index = p.functions[&f.name];
            functions[index] = Some(f);
        } else {
            program.rules.push(p.rule()?);
        }
        p.skip_terminators();
    }
    program.functions = functions
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            f.ok_or_else(|| {
                format!(
                    "function {} declared twice",
                    p.functions.iter().find(|(_, v)| **v == i).map(|(k, _)| k.as_str()).unwrap_or("?")
                )
            })
        })
        .collect::<Result<_, _>>()?;
    program.globals = p.global_names;
    Ok(program)
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn peek_at(&self, n: usize) -> &Tok {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)].0
    }

    fn line(&self) -> usize {
        self.toks[self.pos].1
    }

    fn next(&mut self) -> Tok {
        let tok = self.toks[self.pos].0.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        tok
    }

    fn error<T>(&self, what: &str) -> Result<T, String> {
        let near = match self.peek() {
            Tok::Eof => "end of program".to_string(),
            Tok::Newline => "newline".to_string(),
            Tok::Op(op) => format!("'{op}'"),
            Tok::Keyword(k) => k.to_string(),
            Tok::Name(n) | Tok::FuncName(n) | Tok::Builtin(n) => n.clone(),
            Tok::Str(s) => format!("\"{s}\""),
            Tok::Regex(r) => format!("/{r}/"),
            Tok::Number(n) => n.to_string(),
        };
        Err(format!("syntax error at source line {}: {what} near {near}", self.line()))
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Tok::Op(o) if *o == op)
    }

    fn eat_op(&mut self, op: &str) -> bool {
        if self.is_op(op) {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), String> {
        if self.eat_op(op) { Ok(()) } else { self.error(&format!("expected '{op}'")) }
    }

    fn skip_newlines(&mut self) {
        while self.peek() == &Tok::Newline {
            self.next();
        }
    }

    fn skip_terminators(&mut self) {
        while self.peek() == &Tok::Newline || self.is_op(";") {
            self.next();
        }
    }

    fn global(&mut self, name: &str) -> usize {
        if let Some(&i) = self.globals.get(name) {
            return i;
        }
        let i = self.global_names.len();
        self.globals.insert(name.to_string(), i);
        self.global_names.push(name.to_string());
        i
    }

    fn var(&mut self, name: &str) -> Var {
        if let Some(locals) = &self.locals
            && let Some(i) = locals.iter().position(|l| l == name)
        {
            return Var::Local(i);
        }
        Var::Global(self.global(name))
    }

    fn function(&mut self) -> Result<Function, String> {
        self.next();
        let name = match self.next() {
            Tok::Name(n) | Tok::FuncName(n) => n,
            _ => return self.error("expected a function name"),
        };
        self.expect_op("(")?;
        let mut params = Vec::new();
        while !self.is_op(")") {
            match self.next() {
                Tok::Name(n) => params.push(n),
                _ => return self.error("expected a parameter name"),
            }
            if !self.eat_op(",") {
                break;
            }
            self.skip_newlines();
        }
        self.expect_op(")")?;
        self.skip_newlines();
        self.locals = Some(params.clone());
        let body = self.block()?;
        self.locals = None;
        Ok(Function { name, params: params.len(), body })
    }

    fn rule(&mut self) -> Result<(Pattern, Option<Vec<Stmt>>), String> {
        let pattern = match self.peek() {
            Tok::Keyword("BEGIN") => {
                self.next();
                Pattern::Begin
            }
            Tok::Keyword("END") => {
                self.next();
                Pattern::End
            }
            Tok::Op("{") => Pattern::All,
            _ => {
                let first = self.expr()?;
                if self.eat_op(",") {
                    self.skip_newlines();
                    Pattern::Range(first, self.expr()?)
                } else {
                    Pattern::Expr(first)
                }
            }
        };
        if self.is_op("{") {
            Ok((pattern, Some(self.block()?)))
        } else if matches!(pattern, Pattern::Begin | Pattern::End) {
            self.error("BEGIN and END need an action")
        } else {
            Ok((pattern, None))
        }
    }

    fn block(&mut self) -> Result<Vec<Stmt>, String> {
        self.expect_op("{")?;
        let mut stmts = Vec::new();
        self.skip_terminators();
        while !self.is_op("}") {
            if self.peek() == &Tok::Eof {
                return self.error("unexpected end of program, missing '}'");
            }
            stmts.push(self.stmt()?);
            self.skip_terminators();
        }
        self.next();
        Ok(stmts)
    }

    /// A simple statement ends at `;`, a newline, `}` (not consumed) or EOF.
    fn end_simple(&mut self) -> Result<(), String> {
        if self.is_op(";") || self.peek() == &Tok::Newline {
            self.next();
            Ok(())
        } else if self.is_op("}") || self.peek() == &Tok::Eof {
            Ok(())
        } else {
            self.error("expected end of statement")
        }
    }

    fn body(&mut self) -> Result<Stmt, String> {
        self.skip_newlines();
        if self.eat_op(";") {
            return Ok(Stmt::Block(Vec::new()));
        }
        self.stmt()
    }

    fn stmt(&mut self) -> Result<Stmt, String> {
        match self.peek().clone() {
            Tok::Op("{") => Ok(Stmt::Block(self.block()?)),
            Tok::Keyword("if") => {
                self.next();
                self.expect_op("(")?;
                let cond = self.expr()?;
                self.expect_op(")")?;
                let then = self.body()?;
                // `else` may follow newlines or a `;`.
                let save = self.pos;
                self.skip_terminators();
                if self.peek() == &Tok::Keyword("else") {
                    self.next();
                    let other = self.body()?;
                    Ok(Stmt::If(cond, Box::new(then), Some(Box::new(other))))
                } else {
                    self.pos = save;
                    Ok(Stmt::If(cond, Box::new(then), None))
                }
            }
            Tok::Keyword("while") => {
                self.next();
                self.expect_op("(")?;
                let cond = self.expr()?;
                self.expect_op(")")?;
                if self.is_op(";") {
                    self.next();
                    return Ok(Stmt::While(cond, Box::new(Stmt::Block(Vec::new()))));
                }
                Ok(Stmt::While(cond, Box::new(self.body()?)))
            }
            Tok::Keyword("do") => {
                self.next();
                let body = self.body()?;
                self.skip_terminators();
                if self.next() != Tok::Keyword("while") {
                    return self.error("expected 'while' after 'do'");
                }
                self.expect_op("(")?;
                let cond = self.expr()?;
                self.expect_op(")")?;
                self.end_simple()?;
                Ok(Stmt::Do(Box::new(body), cond))
            }
            Tok::Keyword("for") => {
                self.next();
                self.expect_op("(")?;
                if let (Tok::Name(k), Tok::Keyword("in"), Tok::Name(a), Tok::Op(")")) =
                    (self.peek().clone(), self.peek_at(1).clone(), self.peek_at(2).clone(), self.peek_at(3).clone())
                {
                    self.pos += 4;
                    let key = self.var(&k);
                    let array = self.var(&a);
                    return Ok(Stmt::ForIn(key, array, Box::new(self.body()?)));
                }
                let init = if self.is_op(";") { None } else { Some(Box::new(self.simple_stmt()?)) };
                self.expect_op(";")?;
                self.skip_newlines();
                let cond = if self.is_op(";") { None } else { Some(self.expr()?) };
                self.expect_op(";")?;
                self.skip_newlines();
                let step = if self.is_op(")") { None } else { Some(Box::new(self.simple_stmt()?)) };
                self.expect_op(")")?;
                if self.is_op(";") {
                    self.next();
                    return Ok(Stmt::For(init, cond, step, Box::new(Stmt::Block(Vec::new()))));
                }
                Ok(Stmt::For(init, cond, step, Box::new(self.body()?)))
            }
            Tok::Op(";") => {
                self.next();
                Ok(Stmt::Block(Vec::new()))
            }
            _ => {
                let stmt = self.simple_stmt()?;
                self.end_simple()?;
                Ok(stmt)
            }
        }
    }

    fn simple_stmt(&mut self) -> Result<Stmt, String> {
        match self.peek().clone() {
            Tok::Keyword(k @ ("print" | "printf")) => {
                self.next();
                let mut args = Vec::new();
                let old = self.no_gt;
                self.no_gt = true;
                if !self.is_op(";")
                    && !self.is_op("}")
                    && !self.is_op(">")
                    && !self.is_op(">>")
                    && !self.is_op("|")
                    && !matches!(self.peek(), Tok::Newline | Tok::Eof)
                {
                    let first = self.expr()?;
                    match first {
                        Expr::Group(items) if !self.is_op(",") => args = items,
                        first => {
                            args.push(first);
                            while self.eat_op(",") {
                                self.skip_newlines();
                                args.push(self.expr()?);
                            }
                        }
                    }
                }
                self.no_gt = old;
                let redirect = if self.eat_op(">") {
                    Some(Redirect::File(self.concat_no_gt()?))
                } else if self.eat_op(">>") {
                    Some(Redirect::Append(self.concat_no_gt()?))
                } else if self.eat_op("|") {
                    Some(Redirect::Pipe(self.concat_no_gt()?))
                } else {
                    None
                };
                if k == "print" {
                    Ok(Stmt::Print(args, redirect))
                } else if args.is_empty() {
                    self.error("printf needs a format")
                } else {
                    Ok(Stmt::Printf(args, redirect))
                }
            }
            Tok::Keyword("next") => {
                self.next();
                Ok(Stmt::Next)
            }
            Tok::Keyword("nextfile") => {
                self.next();
                Ok(Stmt::NextFile)
            }
            Tok::Keyword("break") => {
                self.next();
                Ok(Stmt::Break)
            }
            Tok::Keyword("continue") => {
                self.next();
                Ok(Stmt::Continue)
            }
            Tok::Keyword(k @ ("exit" | "return")) => {
                self.next();
                let value = if self.is_op(";") || self.is_op("}") || matches!(self.peek(), Tok::Newline | Tok::Eof) {
                    None
                } else {
                    Some(self.expr()?)
                };
                Ok(if k == "exit" { Stmt::Exit(value) } else { Stmt::Return(value) })
            }
            Tok::Keyword("delete") => {
                self.next();
                let Tok::Name(name) = self.next() else { return self.error("expected an array name") };
                let array = self.var(&name);
                if self.eat_op("[") {
                    let subs = self.expr_list("]")?;
                    Ok(Stmt::Delete(array, Some(subs)))
                } else {
                    Ok(Stmt::Delete(array, None))
                }
            }
            _ => {
                let e = self.expr()?;
                Ok(match e {
                    e @ (Expr::Getline(..) | Expr::PipeGetline(..)) => Stmt::Getline(e),
                    e => Stmt::Expr(e),
                })
            }
        }
    }

    /// A redirection target: a concatenation without `>` comparisons.
    fn concat_no_gt(&mut self) -> Result<Expr, String> {
        let old = self.no_gt;
        self.no_gt = true;
        let e = self.concat();
        self.no_gt = old;
        e
    }

    fn expr_list(&mut self, close: &str) -> Result<Vec<Expr>, String> {
        let old = (self.no_gt, self.no_in);
        self.no_gt = false;
        self.no_in = false;
        let mut list = Vec::new();
        self.skip_newlines();
        if !self.is_op(close) {
            loop {
                list.push(self.expr()?);
                self.skip_newlines();
                if !self.eat_op(",") {
                    break;
                }
                self.skip_newlines();
            }
        }
        self.expect_op(close)?;
        (self.no_gt, self.no_in) = old;
        Ok(list)
    }

    pub fn expr(&mut self) -> Result<Expr, String> {
        self.ternary()
    }

    fn ternary(&mut self) -> Result<Expr, String> {
        let cond = self.or()?;
        if self.eat_op("?") {
            self.skip_newlines();
            let a = self.ternary()?;
            self.skip_newlines();
            self.expect_op(":")?;
            self.skip_newlines();
            let b = self.ternary()?;
            return Ok(Expr::Cond(Box::new(cond), Box::new(a), Box::new(b)));
        }
        if is_lvalue(&cond) {
            let op = match self.peek() {
                Tok::Op("=") => Some(None),
                Tok::Op(op @ ("+=" | "-=" | "*=" | "/=" | "%=" | "^=")) => Some(Some(&op[..1])),
                _ => None,
            };
            if let Some(op) = op {
                self.next();
                self.skip_newlines();
                let value = self.ternary()?;
                let op: Option<&'static str> = op.map(|o| match o {
                    "+" => "+",
                    "-" => "-",
                    "*" => "*",
                    "/" => "/",
                    "%" => "%",
                    _ => "^",
                });
                return Ok(Expr::Assign(Box::new(cond), op, Box::new(value)));
            }
        }
        Ok(cond)
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat_op("||") {
            self.skip_newlines();
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.in_expr()?;
        while self.eat_op("&&") {
            self.skip_newlines();
            let right = self.in_expr()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn in_expr(&mut self) -> Result<Expr, String> {
        let mut left = self.matching()?;
        while !self.no_in && self.peek() == &Tok::Keyword("in") {
            self.next();
            let Tok::Name(name) = self.next() else { return self.error("expected an array after 'in'") };
            let array = self.var(&name);
            let subs = match left {
                Expr::Group(items) => items,
                other => vec![other],
            };
            left = Expr::In(subs, array);
        }
        Ok(left)
    }

    fn matching(&mut self) -> Result<Expr, String> {
        let mut left = self.comparison()?;
        loop {
            let negate = if self.eat_op("~") {
                false
            } else if self.eat_op("!~") {
                true
            } else {
                break;
            };
            let right = self.comparison()?;
            left = Expr::Match(negate, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let left = self.pipe_getline()?;
        let op = match self.peek() {
            Tok::Op(op @ ("<" | "<=" | "!=" | "==" | ">=")) => *op,
            Tok::Op(">") if !self.no_gt => ">",
            _ => return Ok(left),
        };
        self.next();
        let right = self.pipe_getline()?;
        Ok(Expr::Binary(op, Box::new(left), Box::new(right)))
    }

    /// `cmd | getline [var]`, which binds looser than concatenation.
    fn pipe_getline(&mut self) -> Result<Expr, String> {
        let mut left = self.concat()?;
        while self.is_op("|") && self.peek_at(1) == &Tok::Keyword("getline") {
            self.next();
            self.next();
            let var = self.opt_getline_var()?;
            left = Expr::PipeGetline(Box::new(left), var);
        }
        Ok(left)
    }

    fn starts_operand(&self) -> bool {
        match self.peek() {
            Tok::Number(_) | Tok::Str(_) | Tok::Regex(_) | Tok::Name(_) | Tok::FuncName(_) | Tok::Builtin(_) => true,
            Tok::Op("$" | "(" | "!" | "-" | "+" | "++" | "--") => true,
            Tok::Keyword("getline") => false,
            _ => false,
        }
    }

    fn concat(&mut self) -> Result<Expr, String> {
        let mut left = self.additive()?;
        // `a -1` is subtraction, not concatenation: `-`/`+`/`!` were taken
        // by `additive` already, so here they only start unary operands.
        while self.starts_operand() && !self.is_op("-") && !self.is_op("+") && !self.is_op("!") {
            if self.peek() == &Tok::Keyword("in") {
                break;
            }
            let right = self.additive()?;
            left = Expr::Concat(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn additive(&mut self) -> Result<Expr, String> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Op("+") => "+",
                Tok::Op("-") => "-",
                _ => break,
            };
            self.next();
            let right = self.multiplicative()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn multiplicative(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Op("*") => "*",
                Tok::Op("/") => "/",
                Tok::Op("%") => "%",
                _ => break,
            };
            self.next();
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_op("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat_op("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if self.eat_op("+") {
            return Ok(Expr::Plus(Box::new(self.unary()?)));
        }
        self.power()
    }

    fn power(&mut self) -> Result<Expr, String> {
        let base = self.postfix()?;
        if self.eat_op("^") {
            // Right-associative, and binds tighter than unary minus on its left
            // but allows one on its right: 2^-1.
            let exp = if self.eat_op("-") { Expr::Neg(Box::new(self.power_operand()?)) } else { self.power_operand()? };
            return Ok(Expr::Binary("^", Box::new(base), Box::new(exp)));
        }
        Ok(base)
    }

    fn power_operand(&mut self) -> Result<Expr, String> {
        if self.eat_op("+") {
            return self.power();
        }
        if self.eat_op("!") {
            return Ok(Expr::Not(Box::new(self.power()?)));
        }
        self.power()
    }

    fn postfix(&mut self) -> Result<Expr, String> {
        if self.eat_op("++") {
            let e = self.postfix()?;
            return if is_lvalue(&e) {
                Ok(Expr::PreIncr(true, Box::new(e)))
            } else {
                self.error("++ needs a variable")
            };
        }
        if self.eat_op("--") {
            let e = self.postfix()?;
            return if is_lvalue(&e) {
                Ok(Expr::PreIncr(false, Box::new(e)))
            } else {
                self.error("-- needs a variable")
            };
        }
        let e = self.primary()?;
        if is_lvalue(&e) {
            if self.eat_op("++") {
                return Ok(Expr::PostIncr(true, Box::new(e)));
            }
            if self.eat_op("--") {
                return Ok(Expr::PostIncr(false, Box::new(e)));
            }
        }
        Ok(e)
    }

    fn opt_getline_var(&mut self) -> Result<Option<Box<Expr>>, String> {
        match self.peek() {
            Tok::Name(_) | Tok::Op("$") => {
                let e = self.primary()?;
                if is_lvalue(&e) { Ok(Some(Box::new(e))) } else { self.error("getline needs a variable") }
            }
            _ => Ok(None),
        }
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let line = self.line();
        match self.next() {
            Tok::Number(n) => Ok(Expr::Num(n)),
            Tok::Str(s) => Ok(Expr::Str(s)),
            Tok::Regex(r) => Ok(Expr::Regex(r)),
            Tok::Op("$") => {
                // `$` binds tighter than everything but grouping and ++/--.
                let e = if self.eat_op("++") {
                    let e = self.primary()?;
                    Expr::PreIncr(true, Box::new(e))
                } else if self.eat_op("--") {
                    let e = self.primary()?;
                    Expr::PreIncr(false, Box::new(e))
                } else if self.eat_op("-") {
                    Expr::Neg(Box::new(self.primary()?))
                } else {
                    self.primary()?
                };
                Ok(Expr::Field(Box::new(e)))
            }
            Tok::Op("(") => {
                let old = (self.no_gt, self.no_in);
                self.no_gt = false;
                self.no_in = false;
                self.skip_newlines();
                let first = self.expr()?;
                self.skip_newlines();
                let result = if self.is_op(",") {
                    let mut items = vec![first];
                    while self.eat_op(",") {
                        self.skip_newlines();
                        items.push(self.expr()?);
                        self.skip_newlines();
                    }
                    self.expect_op(")")?;
                    Expr::Group(items)
                } else {
                    self.expect_op(")")?;
                    Expr::Group(vec![first])
                };
                (self.no_gt, self.no_in) = old;
                // A one-element group is just a parenthesised expression.
                Ok(match result {
                    Expr::Group(mut items) if items.len() == 1 => {
                        let item = items.remove(0);
                        if self.peek() == &Tok::Keyword("in") { Expr::Group(vec![item]) } else { item }
                    }
                    other => other,
                })
            }
            Tok::Name(name) => {
                let var = self.var(&name);
                if self.eat_op("[") {
                    let subs = self.expr_list("]")?;
                    if subs.is_empty() {
                        return self.error("empty subscript");
                    }
                    Ok(Expr::Index(var, subs))
                } else {
                    Ok(Expr::Var(var))
                }
            }
            Tok::FuncName(name) => {
                self.expect_op("(")?;
                let args = self.expr_list(")")?;
                let Some(&index) = self.functions.get(&name) else {
                    return Err(format!("line {line}: calling undefined function {name}"));
                };
                Ok(Expr::Call(index, args))
            }
            Tok::Builtin(name) => {
                if self.eat_op("(") {
                    let args = self.expr_list(")")?;
                    Ok(Expr::Builtin(name, args))
                } else if name == "length" {
                    Ok(Expr::Builtin(name, Vec::new()))
                } else {
                    self.error(&format!("{name} needs arguments"))
                }
            }
            Tok::Keyword("getline") => {
                let var = self.opt_getline_var()?;
                let file = if self.eat_op("<") { Some(Box::new(self.getline_file()?)) } else { None };
                Ok(Expr::Getline(var, file))
            }
            Tok::Op("-") => Ok(Expr::Neg(Box::new(self.unary()?))),
            Tok::Op("+") => Ok(Expr::Plus(Box::new(self.unary()?))),
            Tok::Op("!") => Ok(Expr::Not(Box::new(self.unary()?))),
            _ => {
                self.pos -= 1;
                self.error("unexpected token")
            }
        }
    }

    /// The file of `getline < file`: a primary (with `$`), no concatenation.
    fn getline_file(&mut self) -> Result<Expr, String> {
        self.primary()
    }
}

fn is_lvalue(e: &Expr) -> bool {
    matches!(e, Expr::Var(_) | Expr::Index(..) | Expr::Field(_))
}
