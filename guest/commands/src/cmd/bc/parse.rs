//! bc's grammar: a parser of one line's worth of input (a line and
//! whatever it opened: a `{` block, a definition) into statements and
//! function definitions.

use super::lex::{ParseError, Token};

/// An expression.
#[derive(Debug, Clone)]
pub enum Expr {
    /// A constant, converted with `ibase` when evaluated.
    Number(String),
    Var(String),
    Element(String, Box<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    /// `+ - * / % ^`.
    Binary(&'static str, Box<Expr>, Box<Expr>),
    /// `< <= > >= == !=`.
    Compare(&'static str, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// `=` or `op=` (the operator without `=`), target, value.
    Assign(Option<&'static str>, Box<Expr>, Box<Expr>),
    /// `++`/`--` (`"+"` or `"-"`), before or after, target.
    Step(&'static str, bool, Box<Expr>),
    Call(String, Vec<Arg>),
    /// `length`, `scale`, `sqrt`.
    Builtin(&'static str, Box<Expr>),
    /// A parenthesized expression (an assignment in parentheses prints).
    Group(Box<Expr>),
}

/// An argument of a call: a value or a whole array.
#[derive(Debug, Clone)]
pub enum Arg {
    Value(Expr),
    Array(String),
}

/// An item of a `print` statement.
#[derive(Debug, Clone)]
pub enum Printed {
    Value(Expr),
    Text(String),
}

/// A statement.
#[derive(Debug, Clone)]
pub enum Stmt {
    Expr(Expr),
    Text(String),
    Print(Vec<Printed>),
    Block(Vec<Stmt>),
    If(Expr, Box<Stmt>, Option<Box<Stmt>>),
    While(Expr, Box<Stmt>),
    For(Option<Expr>, Option<Expr>, Option<Expr>, Box<Stmt>),
    Break,
    Continue,
    Return(Option<Expr>),
    Halt,
}

/// A parameter or `auto` name: a scalar or an array (`a[]`).
#[derive(Debug, Clone)]
pub struct Name {
    /// The name.
    pub name: String,
    /// Whether it names an array.
    pub array: bool,
}

/// A function definition.
#[derive(Debug, Clone)]
pub struct Function {
    /// The function's name.
    pub name: String,
    /// Its parameters, in order.
    pub params: Vec<Name>,
    /// Its `auto` locals.
    pub autos: Vec<Name>,
    /// Its statements.
    pub body: Vec<Stmt>,
}

/// What a unit of input holds, in order.
#[derive(Debug)]
pub enum Item {
    Stmt(Stmt),
    Define(Function),
}

/// A parsed unit: its items, and whether it said `quit` (bc quits when it
/// reads `quit`, before running anything of that unit).
pub struct Unit {
    /// The statements and definitions, in order.
    pub items: Vec<Item>,
    /// Whether `quit` was read.
    pub quit: bool,
    /// How many tokens of the input the unit used.
    pub used: usize,
}

/// Parses one unit from `tokens`: items up to a newline outside any
/// block, or to the end.
pub fn parse_unit(tokens: &[(Token, usize, usize)]) -> Result<Unit, ParseError> {
    let mut p = Parser { tokens, at: 0, quit: false, loops: 0, in_function: false };
    let mut items = Vec::new();
    loop {
        match p.peek() {
            None => break,
            Some(Token::Newline) => {
                p.at += 1;
                break;
            }
            Some(Token::Semicolon) => p.at += 1,
            Some(Token::Name(name)) if name == "define" => items.push(Item::Define(p.define()?)),
            Some(_) => {
                if let Some(stmt) = p.statement()? {
                    items.push(Item::Stmt(stmt));
                }
                match p.peek() {
                    None | Some(Token::Newline | Token::Semicolon) => {}
                    Some(_) => return Err(p.error()),
                }
            }
        }
    }
    Ok(Unit { items, quit: p.quit, used: p.at })
}

struct Parser<'a> {
    tokens: &'a [(Token, usize, usize)],
    at: usize,
    quit: bool,
    loops: usize,
    in_function: bool,
}

const KEYWORDS: [&str; 17] = [
    "auto", "break", "continue", "define", "else", "for", "halt", "if", "ibase", "last", "length", "obase", "print",
    "quit", "return", "scale", "sqrt",
];

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(t, _, _)| t)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Token::Op(o)) if *o == op)
    }

    fn is_name(&self, name: &str) -> bool {
        matches!(self.peek(), Some(Token::Name(n)) if n == name)
    }

    /// The error for the current token: incomplete input at the end. As
    /// GNU bc counts lines, an error at a newline is on the next line.
    fn error(&self) -> ParseError {
        match self.tokens.get(self.at) {
            None => ParseError::Incomplete,
            Some((Token::Newline, line, _)) => ParseError::Syntax(line + 1),
            Some((_, line, _)) => ParseError::Syntax(*line),
        }
    }

    fn expect_op(&mut self, op: &str) -> Result<(), ParseError> {
        if self.is_op(op) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    fn skip_newlines(&mut self) {
        while self.peek() == Some(&Token::Newline) {
            self.at += 1;
        }
    }

    /// A variable name that is not a keyword.
    fn name(&mut self) -> Result<String, ParseError> {
        match self.peek() {
            Some(Token::Name(n)) if !KEYWORDS.contains(&n.as_str()) => {
                let n = n.clone();
                self.at += 1;
                Ok(n)
            }
            _ => Err(self.error()),
        }
    }

    /// `name` or `name[]`, comma-separated, for parameters and `auto`.
    fn names(&mut self, end: &str) -> Result<Vec<Name>, ParseError> {
        let mut names = Vec::new();
        loop {
            if end == ")" && self.is_op(")") && names.is_empty() {
                break;
            }
            let name = self.name()?;
            let array = self.is_op("[");
            if array {
                self.at += 1;
                self.expect_op("]")?;
            }
            names.push(Name { name, array });
            if !self.is_op(",") {
                break;
            }
            self.at += 1;
        }
        Ok(names)
    }

    fn define(&mut self) -> Result<Function, ParseError> {
        self.at += 1;
        let name = self.name()?;
        self.expect_op("(")?;
        let params = self.names(")")?;
        self.expect_op(")")?;
        self.skip_newlines();
        self.expect_op("{")?;
        self.in_function = true;
        let mut autos = Vec::new();
        let mut body = Vec::new();
        loop {
            match self.peek() {
                None => return Err(ParseError::Incomplete),
                Some(Token::Newline | Token::Semicolon) => self.at += 1,
                Some(Token::Op("}")) => {
                    self.at += 1;
                    break;
                }
                Some(Token::Name(n)) if n == "auto" => {
                    self.at += 1;
                    autos.extend(self.names(";")?);
                }
                Some(_) => body.extend(self.statement()?),
            }
        }
        self.in_function = false;
        Ok(Function { name, params, autos, body })
    }

    /// A statement, or `None` for one that does nothing (`quit` sets the
    /// flag instead).
    fn statement(&mut self) -> Result<Option<Stmt>, ParseError> {
        let Some(token) = self.peek().cloned() else { return Err(ParseError::Incomplete) };
        let stmt = match token {
            Token::Str(text) => {
                self.at += 1;
                Stmt::Text(text)
            }
            Token::Op("{") => {
                self.at += 1;
                let mut body = Vec::new();
                loop {
                    match self.peek() {
                        None => return Err(ParseError::Incomplete),
                        Some(Token::Newline | Token::Semicolon) => self.at += 1,
                        Some(Token::Op("}")) => {
                            self.at += 1;
                            break;
                        }
                        Some(_) => body.extend(self.statement()?),
                    }
                }
                Stmt::Block(body)
            }
            Token::Name(word) => match word.as_str() {
                "quit" => {
                    self.at += 1;
                    self.quit = true;
                    return Ok(None);
                }
                "halt" => {
                    self.at += 1;
                    Stmt::Halt
                }
                "break" | "continue" if self.loops > 0 => {
                    self.at += 1;
                    if word == "break" { Stmt::Break } else { Stmt::Continue }
                }
                "return" if self.in_function => {
                    self.at += 1;
                    match self.peek() {
                        None | Some(Token::Newline | Token::Semicolon | Token::Op("}")) => Stmt::Return(None),
                        _ => Stmt::Return(Some(self.expr()?)),
                    }
                }
                "print" => {
                    self.at += 1;
                    let mut items = Vec::new();
                    loop {
                        match self.peek() {
                            Some(Token::Str(text)) => {
                                items.push(Printed::Text(text.clone()));
                                self.at += 1;
                            }
                            _ => items.push(Printed::Value(self.expr()?)),
                        }
                        if !self.is_op(",") {
                            break;
                        }
                        self.at += 1;
                    }
                    Stmt::Print(items)
                }
                "if" => {
                    self.at += 1;
                    let condition = self.condition()?;
                    let then = self.body()?;
                    let otherwise = if self.is_name("else") {
                        self.at += 1;
                        Some(self.body()?)
                    } else {
                        None
                    };
                    Stmt::If(condition, then, otherwise)
                }
                "while" => {
                    self.at += 1;
                    let condition = self.condition()?;
                    self.loops += 1;
                    let body = self.body();
                    self.loops -= 1;
                    Stmt::While(condition, body?)
                }
                "for" => {
                    self.at += 1;
                    self.expect_op("(")?;
                    let init = if matches!(self.peek(), Some(Token::Semicolon)) { None } else { Some(self.expr()?) };
                    self.semicolon()?;
                    let test = if matches!(self.peek(), Some(Token::Semicolon)) { None } else { Some(self.expr()?) };
                    self.semicolon()?;
                    let step = if self.is_op(")") { None } else { Some(self.expr()?) };
                    self.expect_op(")")?;
                    self.loops += 1;
                    let body = self.body();
                    self.loops -= 1;
                    Stmt::For(init, test, step, body?)
                }
                _ => Stmt::Expr(self.expr()?),
            },
            _ => Stmt::Expr(self.expr()?),
        };
        Ok(Some(stmt))
    }

    fn semicolon(&mut self) -> Result<(), ParseError> {
        if matches!(self.peek(), Some(Token::Semicolon)) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error())
        }
    }

    /// `( expr )` of `if` and `while`.
    fn condition(&mut self) -> Result<Expr, ParseError> {
        self.expect_op("(")?;
        let condition = self.expr()?;
        self.expect_op(")")?;
        Ok(condition)
    }

    /// The statement of `if`, `while` and `for`, which may start on the
    /// next line; an empty one is an empty block.
    fn body(&mut self) -> Result<Box<Stmt>, ParseError> {
        self.skip_newlines();
        if matches!(self.peek(), Some(Token::Semicolon)) {
            return Ok(Box::new(Stmt::Block(Vec::new())));
        }
        Ok(Box::new(self.statement()?.unwrap_or(Stmt::Block(Vec::new()))))
    }

    // Precedence, lowest first: || && ! relational assignment + - * / % ^
    // unary-minus ++/--.

    /// An expression, from `||` down.
    fn expr(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.and()?;
        while self.is_op("||") {
            self.at += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.not()?;
        while self.is_op("&&") {
            self.at += 1;
            left = Expr::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Expr, ParseError> {
        if self.is_op("!") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.compare()
    }

    fn compare(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.assign()?;
        while let Some(Token::Op(op @ ("<" | "<=" | ">" | ">=" | "==" | "!="))) = self.peek() {
            let op = *op;
            self.at += 1;
            left = Expr::Compare(op, Box::new(left), Box::new(self.assign()?));
        }
        Ok(left)
    }

    fn assign(&mut self) -> Result<Expr, ParseError> {
        let left = self.sum()?;
        let op = match self.peek() {
            Some(Token::Op("=")) => None,
            Some(Token::Op(op @ ("+=" | "-=" | "*=" | "/=" | "%=" | "^="))) => Some(&op[..1]),
            _ => return Ok(left),
        };
        if !is_lvalue(&left) {
            return Err(self.error());
        }
        self.at += 1;
        let value = self.assign()?;
        Ok(Expr::Assign(op.map(static_op), Box::new(left), Box::new(value)))
    }

    fn sum(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.product()?;
        while let Some(Token::Op(op @ ("+" | "-"))) = self.peek() {
            let op = *op;
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.product()?));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, ParseError> {
        let mut left = self.power()?;
        while let Some(Token::Op(op @ ("*" | "/" | "%"))) = self.peek() {
            let op = *op;
            self.at += 1;
            left = Expr::Binary(op, Box::new(left), Box::new(self.power()?));
        }
        Ok(left)
    }

    fn power(&mut self) -> Result<Expr, ParseError> {
        let base = self.unary()?;
        if self.is_op("^") {
            self.at += 1;
            return Ok(Expr::Binary("^", Box::new(base), Box::new(self.power()?)));
        }
        Ok(base)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.is_op("-") {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        if let Some(Token::Op(op @ ("++" | "--"))) = self.peek() {
            let op = &op[..1];
            self.at += 1;
            let target = self.primary()?;
            if !is_lvalue(&target) {
                return Err(self.error());
            }
            return Ok(Expr::Step(static_op(op), true, Box::new(target)));
        }
        let value = self.primary()?;
        if let Some(Token::Op(op @ ("++" | "--"))) = self.peek()
            && is_lvalue(&value)
        {
            let op = &op[..1];
            self.at += 1;
            return Ok(Expr::Step(static_op(op), false, Box::new(value)));
        }
        Ok(value)
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some(token) = self.peek().cloned() else { return Err(ParseError::Incomplete) };
        self.at += 1;
        match token {
            Token::Number(text) => Ok(Expr::Number(text)),
            Token::Op("(") => {
                let inner = self.expr()?;
                self.expect_op(")")?;
                Ok(Expr::Group(Box::new(inner)))
            }
            Token::Name(name) => match name.as_str() {
                "scale" | "ibase" | "obase" | "last" if !self.is_op("(") || name != "scale" => Ok(Expr::Var(name)),
                "length" | "scale" | "sqrt" => {
                    self.expect_op("(")?;
                    let arg = self.expr()?;
                    self.expect_op(")")?;
                    let which = match name.as_str() {
                        "length" => "length",
                        "scale" => "scale",
                        _ => "sqrt",
                    };
                    Ok(Expr::Builtin(which, Box::new(arg)))
                }
                _ if KEYWORDS.contains(&name.as_str()) => {
                    self.at -= 1;
                    Err(self.error())
                }
                _ if self.is_op("[") => {
                    self.at += 1;
                    let index = self.expr()?;
                    self.expect_op("]")?;
                    Ok(Expr::Element(name, Box::new(index)))
                }
                _ if self.is_op("(") => {
                    self.at += 1;
                    let mut args = Vec::new();
                    while !self.is_op(")") {
                        let array = matches!(self.tokens.get(self.at + 1), Some((Token::Op("["), _, _)))
                            && matches!(self.tokens.get(self.at + 2), Some((Token::Op("]"), _, _)));
                        if array {
                            args.push(Arg::Array(self.name()?));
                            self.at += 2;
                        } else {
                            args.push(Arg::Value(self.expr()?));
                        }
                        if !self.is_op(",") {
                            break;
                        }
                        self.at += 1;
                    }
                    self.expect_op(")")?;
                    Ok(Expr::Call(name, args))
                }
                _ => Ok(Expr::Var(name)),
            },
            _ => {
                self.at -= 1;
                Err(self.error())
            }
        }
    }
}

/// Whether `expr` can be assigned to.
fn is_lvalue(expr: &Expr) -> bool {
    matches!(expr, Expr::Var(_) | Expr::Element(..))
}

/// The operator `+ - * / % ^` as a `'static` string.
fn static_op(op: &str) -> &'static str {
    match op {
        "+" => "+",
        "-" => "-",
        "*" => "*",
        "/" => "/",
        "%" => "%",
        _ => "^",
    }
}
