//! The awk interpreter: values, records and fields, I/O streams (files, and
//! commands through `wasi-ext`), builtins and the main loop.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::rc::Rc;

use super::format::{self, Arg};
use super::parser::{Expr, Pattern, Program, Redirect, SPECIAL, Stmt, Var};
use crate::posix_re;
use crate::re::Re as Regex;

// Slots of the special variables (the order of `parser::SPECIAL`).
const NR: usize = 0;
const NF: usize = 1;
const FNR: usize = 2;
const FS: usize = 3;
const OFS: usize = 4;
const ORS: usize = 5;
const RS: usize = 6;
const FILENAME: usize = 7;
const SUBSEP: usize = 8;
const RSTART: usize = 9;
const RLENGTH: usize = 10;
const CONVFMT: usize = 11;
const OFMT: usize = 12;
const ENVIRON: usize = 13;
const ARGC: usize = 14;
const ARGV: usize = 15;

/// An awk value.
#[derive(Debug, Clone)]
pub enum Value {
    Uninit,
    Num(f64),
    Str(Rc<str>),
    /// A string from input (fields, `getline`, `ARGV`, `ENVIRON`, `-v`):
    /// compares as a number if it looks like one.
    StrNum(Rc<str>),
}

impl Value {
    fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    fn strnum(s: impl Into<Rc<str>>) -> Value {
        Value::StrNum(s.into())
    }

    pub fn num(&self) -> f64 {
        match self {
            Value::Uninit => 0.0,
            Value::Num(n) => *n,
            Value::Str(s) | Value::StrNum(s) => strtod(s),
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Value::Uninit => false,
            Value::Num(n) => *n != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::StrNum(s) => {
                if looks_numeric(s) {
                    strtod(s) != 0.0
                } else {
                    !s.is_empty()
                }
            }
        }
    }

    /// The numeric value if this compares as a number.
    fn numeric(&self) -> Option<f64> {
        match self {
            Value::Uninit => Some(0.0),
            Value::Num(n) => Some(*n),
            Value::StrNum(s) if looks_numeric(s) => Some(strtod(s)),
            _ => None,
        }
    }
}

/// C `strtod` on the longest numeric prefix (after blanks); 0 if none.
pub fn strtod(s: &str) -> f64 {
    let s = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i == digits_start || (i == digits_start + 1 && b[digits_start] == b'.') {
        return 0.0;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    s[..i].parse().unwrap_or(0.0)
}

/// Whether the whole string (blanks around allowed) is a number.
fn looks_numeric(s: &str) -> bool {
    let t = s.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    if t.is_empty() {
        return false;
    }
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b[0], b'+' | b'-') {
        i += 1;
    }
    let start = i;
    let mut digits = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        digits += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 || i == start {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// A number as awk prints it: integers exactly, others with `fmt`.
fn num_to_string(n: f64, fmt: &str) -> String {
    if n == n.trunc() && n.abs() < 1e16 {
        if n == 0.0 {
            return "0".into();
        }
        return format!("{}", n as i64);
    }
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan".into() } else { "nan".into() };
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf".into() } else { "inf".into() };
    }
    struct N(f64);
    impl Arg for N {
        fn num(&self) -> f64 {
            self.0
        }
        fn text(&self) -> String {
            String::new()
        }
        fn is_num(&self) -> bool {
            true
        }
    }
    format::sprintf(fmt, &[&N(n)])
}

type Array = BTreeMap<String, Value>;

/// A variable's storage.
#[derive(Debug, Clone)]
enum Cell {
    Uninit,
    Val(Value),
    Arr(Rc<RefCell<Array>>),
}

/// How a statement ended.
enum Flow {
    Normal,
    Next,
    NextFile,
    Exit,
    Return(Value),
    Break,
    Continue,
}

/// A fatal runtime error.
pub type Fatal = String;

type R<T> = Result<T, Fatal>;

/// An output stream opened by a redirection.
enum Output {
    File(io::BufWriter<File>),
    Pipe(wasi_ext::Child, io::BufWriter<File>),
}

impl Output {
    fn writer(&mut self) -> &mut io::BufWriter<File> {
        match self {
            Output::File(w) | Output::Pipe(_, w) => w,
        }
    }
}

/// An input stream for `getline`.
enum Input {
    Reader(Box<dyn BufRead>),
    Pipe(wasi_ext::Child, BufReader<File>),
}

impl Input {
    fn reader(&mut self) -> &mut dyn BufRead {
        match self {
            Input::Reader(r) => r.as_mut(),
            Input::Pipe(_, r) => r,
        }
    }
}

/// The main input: the files named in `ARGV`, in turn.
struct MainInput {
    /// Next `ARGV` index to look at.
    next_arg: usize,
    current: Option<Box<dyn BufRead>>,
    /// No file operand was found: read stdin once.
    used_stdin: bool,
}

pub struct Interp<'p> {
    prog: &'p Program,
    globals: Vec<Cell>,
    frames: Vec<Vec<Cell>>,
    record: String,
    fields: Vec<String>,
    /// `fields` reflects `record`.
    split: bool,
    nf: usize,
    regexes: BTreeMap<String, Regex>,
    outputs: BTreeMap<String, Output>,
    inputs: BTreeMap<String, Input>,
    main: MainInput,
    stdout: io::BufWriter<io::Stdout>,
    range_active: Vec<bool>,
    exit_code: i32,
    rand_state: u64,
    prev_seed: f64,
    /// A file operand could not be opened (exit status 2 at the end).
    input_error: bool,
    cmd: String,
}

impl<'p> Interp<'p> {
    pub fn new(prog: &'p Program, cmd: &str, argv: Vec<String>, env: Vec<(String, String)>) -> Interp<'p> {
        let mut globals = vec![Cell::Uninit; prog.globals.len()];
        let set = |g: &mut Vec<Cell>, i: usize, v: Value| g[i] = Cell::Val(v);
        set(&mut globals, NR, Value::Num(0.0));
        set(&mut globals, NF, Value::Num(0.0));
        set(&mut globals, FNR, Value::Num(0.0));
        set(&mut globals, FS, Value::str(" "));
        set(&mut globals, OFS, Value::str(" "));
        set(&mut globals, ORS, Value::str("\n"));
        set(&mut globals, RS, Value::str("\n"));
        set(&mut globals, FILENAME, Value::str(""));
        set(&mut globals, SUBSEP, Value::str("\x1c"));
        set(&mut globals, RSTART, Value::Num(0.0));
        set(&mut globals, RLENGTH, Value::Num(-1.0));
        set(&mut globals, CONVFMT, Value::str("%.6g"));
        set(&mut globals, OFMT, Value::str("%.6g"));
        set(&mut globals, ARGC, Value::Num(argv.len() as f64));
        let environ: Array = env.into_iter().map(|(k, v)| (k, Value::strnum(v))).collect();
        globals[ENVIRON] = Cell::Arr(Rc::new(RefCell::new(environ)));
        let argv: Array = argv.into_iter().enumerate().map(|(i, a)| (i.to_string(), Value::strnum(a))).collect();
        globals[ARGV] = Cell::Arr(Rc::new(RefCell::new(argv)));
        debug_assert_eq!(&prog.globals[..SPECIAL.len()], SPECIAL);
        Interp {
            prog,
            globals,
            frames: Vec::new(),
            record: String::new(),
            fields: Vec::new(),
            split: true,
            nf: 0,
            regexes: BTreeMap::new(),
            outputs: BTreeMap::new(),
            inputs: BTreeMap::new(),
            main: MainInput { next_arg: 1, current: None, used_stdin: false },
            stdout: io::BufWriter::new(io::stdout()),
            range_active: vec![false; prog.rules.len()],
            exit_code: 0,
            rand_state: 0x2545_f491_4f6c_dd1d,
            prev_seed: 0.0,
            input_error: false,
            cmd: cmd.to_string(),
        }
    }

    /// Sets a global before `BEGIN` (`-v`).
    pub fn assign(&mut self, name: &str, value: &str) {
        if let Some(i) = self.prog.globals.iter().position(|g| g == name) {
            self.set_global(i, Value::strnum(value.to_string()));
        }
    }

    /// Runs `BEGIN`, the main loop and `END`; returns the exit status.
    pub fn run(&mut self) -> R<i32> {
        let prog = self.prog;
        let has_main = prog.rules.iter().any(|(p, _)| !matches!(p, Pattern::Begin));
        let mut exiting = false;
        for (pattern, action) in &prog.rules {
            if matches!(pattern, Pattern::Begin)
                && let Some(action) = action
                && let Flow::Exit = self.action(action)?
            {
                exiting = true;
                break;
            }
        }
        if !exiting && has_main {
            'records: while self.next_main_record()? {
                for (index, (pattern, action)) in prog.rules.iter().enumerate() {
                    let selected = match pattern {
                        Pattern::Begin | Pattern::End => continue,
                        Pattern::All => true,
                        Pattern::Expr(e) => self.eval(e)?.truthy(),
                        Pattern::Range(start, end) => {
                            if self.range_active[index] {
                                if self.eval(end)?.truthy() {
                                    self.range_active[index] = false;
                                }
                                true
                            } else if self.eval(start)?.truthy() {
                                if !self.eval(end)?.truthy() {
                                    self.range_active[index] = true;
                                }
                                true
                            } else {
                                false
                            }
                        }
                    };
                    if !selected {
                        continue;
                    }
                    let flow = match action {
                        Some(action) => self.action(action)?,
                        None => {
                            self.print_record()?;
                            Flow::Normal
                        }
                    };
                    match flow {
                        Flow::Next => continue 'records,
                        Flow::NextFile => {
                            self.main.current = None;
                            continue 'records;
                        }
                        Flow::Exit => break 'records,
                        _ => {}
                    }
                }
            }
        }
        for (pattern, action) in &prog.rules {
            if matches!(pattern, Pattern::End)
                && let Some(action) = action
                && let Flow::Exit = self.action(action)?
            {
                break;
            }
        }
        self.close_all();
        if self.input_error && self.exit_code == 0 {
            return Ok(2);
        }
        Ok(self.exit_code)
    }

    /// Runs a rule's action; `exit` and `next` inside a function called
    /// from it arrive as markers and become flow here.
    fn action(&mut self, stmts: &[Stmt]) -> R<Flow> {
        match self.block(stmts) {
            Err(e) if e == EXIT_IN_FUNCTION => Ok(Flow::Exit),
            Err(e) if e == NEXT_IN_FUNCTION => Ok(Flow::Next),
            other => other,
        }
    }

    fn print_record(&mut self) -> R<()> {
        let ors = self.global_str(ORS);
        let text = format!("{}{ors}", self.record);
        self.write_out(None, &text)
    }

    // ------------------------------------------------------------ variables

    fn cell(&mut self, var: Var) -> &mut Cell {
        match var {
            Var::Global(i) => &mut self.globals[i],
            Var::Local(i) => {
                let frame = self.frames.last_mut().expect("a local outside a function");
                &mut frame[i]
            }
        }
    }

    fn global_str(&mut self, i: usize) -> String {
        match &self.globals[i] {
            Cell::Val(v) => {
                let v = v.clone();
                self.text(&v)
            }
            _ => String::new(),
        }
    }

    fn set_global(&mut self, i: usize, v: Value) {
        if i == NF {
            let n = v.num().max(0.0) as usize;
            self.set_nf(n);
            return;
        }
        self.globals[i] = Cell::Val(v);
    }

    fn get_var(&mut self, var: Var) -> R<Value> {
        if var == Var::Global(NF) {
            self.ensure_split();
            return Ok(Value::Num(self.nf as f64));
        }
        match self.cell(var) {
            Cell::Uninit => Ok(Value::Uninit),
            Cell::Val(v) => Ok(v.clone()),
            Cell::Arr(_) => Err("can't use an array in a scalar context".into()),
        }
    }

    fn set_var(&mut self, var: Var, v: Value) -> R<()> {
        if let Var::Global(i) = var {
            if let Cell::Arr(_) = self.globals[i] {
                return Err("can't assign to an array".into());
            }
            self.set_global(i, v);
            return Ok(());
        }
        let cell = self.cell(var);
        if let Cell::Arr(_) = cell {
            return Err("can't assign to an array".into());
        }
        *cell = Cell::Val(v);
        Ok(())
    }

    fn array(&mut self, var: Var) -> R<Rc<RefCell<Array>>> {
        let cell = self.cell(var);
        match cell {
            Cell::Arr(a) => Ok(a.clone()),
            Cell::Uninit => {
                let a = Rc::new(RefCell::new(Array::new()));
                *cell = Cell::Arr(a.clone());
                Ok(a)
            }
            Cell::Val(_) => Err("can't use a scalar as an array".into()),
        }
    }

    fn subscript(&mut self, subs: &[Expr]) -> R<String> {
        if subs.len() == 1 {
            let v = self.eval(&subs[0])?;
            return Ok(self.text(&v));
        }
        let sep = self.global_str(SUBSEP);
        let mut parts = Vec::with_capacity(subs.len());
        for e in subs {
            let v = self.eval(e)?;
            parts.push(self.text(&v));
        }
        Ok(parts.join(&sep))
    }

    /// A value as a string (numbers through `CONVFMT`).
    fn text(&mut self, v: &Value) -> String {
        match v {
            Value::Uninit => String::new(),
            Value::Num(n) => {
                let fmt = match &self.globals[CONVFMT] {
                    Cell::Val(Value::Str(s) | Value::StrNum(s)) => s.to_string(),
                    _ => "%.6g".into(),
                };
                num_to_string(*n, &fmt)
            }
            Value::Str(s) | Value::StrNum(s) => s.to_string(),
        }
    }

    /// A value as `print` writes it (numbers through `OFMT`).
    fn output_text(&mut self, v: &Value) -> String {
        match v {
            Value::Num(n) => {
                let fmt = self.global_str(OFMT);
                num_to_string(*n, &fmt)
            }
            other => self.text(other),
        }
    }

    // ------------------------------------------------------------ records

    fn set_record(&mut self, text: String) {
        self.record = text;
        self.split = false;
    }

    fn ensure_split(&mut self) {
        if self.split {
            return;
        }
        let fs = self.global_str(FS);
        let record = std::mem::take(&mut self.record);
        self.fields = self.split_text(&record, &fs, true);
        self.record = record;
        self.nf = self.fields.len();
        self.split = true;
    }

    /// Splits by a field separator: `" "` (blank runs, trimmed), one
    /// ordinary character (literally), or a regular expression.
    fn split_text(&mut self, text: &str, fs: &str, record: bool) -> Vec<String> {
        if text.is_empty() {
            return Vec::new();
        }
        let paragraph = record && self.global_str(RS).is_empty();
        if fs == " " {
            return text.split([' ', '\t', '\n']).filter(|f| !f.is_empty()).map(str::to_string).collect();
        }
        let mut out: Vec<String> = if fs.chars().count() == 1 && fs != "\\" {
            // One character other than a blank separates literally.
            text.split(fs).map(str::to_string).collect()
        } else if fs.is_empty() {
            text.chars().map(String::from).collect()
        } else {
            match self.regex(fs) {
                Ok(re) => re.split(text).into_iter().map(str::to_string).collect(),
                Err(_) => text.split(fs).map(str::to_string).collect(),
            }
        };
        if paragraph {
            // In paragraph mode a newline always separates fields too.
            out = out.iter().flat_map(|f| f.split('\n').map(str::to_string).collect::<Vec<_>>()).collect();
        }
        out
    }

    fn get_field(&mut self, i: usize) -> Value {
        if i == 0 {
            return Value::strnum(self.record.clone());
        }
        self.ensure_split();
        match self.fields.get(i - 1) {
            Some(f) => Value::strnum(f.clone()),
            None => Value::Uninit,
        }
    }

    fn set_field(&mut self, i: usize, text: String) {
        if i == 0 {
            self.set_record(text);
            return;
        }
        self.ensure_split();
        if i > self.fields.len() {
            self.fields.resize(i, String::new());
        }
        self.fields[i - 1] = text;
        self.nf = self.fields.len();
        self.rebuild();
    }

    fn set_nf(&mut self, n: usize) {
        self.ensure_split();
        self.fields.resize(n, String::new());
        self.nf = n;
        self.rebuild();
    }

    fn rebuild(&mut self) {
        let ofs = self.global_str(OFS);
        self.record = self.fields.join(&ofs);
        self.split = true;
    }

    /// Reads one record by `RS` from `reader`; `None` at end of input.
    fn read_record(&mut self, reader: &mut dyn BufRead, main: bool) -> R<Option<String>> {
        let rs = self.global_str(RS);
        let io_err = |e: io::Error| format!("read error: {}", crate::util::errmsg(&e));
        if rs == "\n" || (rs.len() == 1 && rs != " ") {
            let sep = rs.as_bytes()[0];
            let mut buf = Vec::new();
            if reader.read_until(sep, &mut buf).map_err(io_err)? == 0 {
                return Ok(None);
            }
            if buf.last() == Some(&sep) {
                buf.pop();
            }
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
        if rs.is_empty() {
            // Paragraph mode: records are separated by blank lines.
            let mut lines: Vec<String> = Vec::new();
            loop {
                let mut buf = Vec::new();
                if reader.read_until(b'\n', &mut buf).map_err(io_err)? == 0 {
                    break;
                }
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                }
                let line = String::from_utf8_lossy(&buf).into_owned();
                if line.is_empty() {
                    if lines.is_empty() {
                        continue;
                    }
                    break;
                }
                lines.push(line);
            }
            return Ok(if lines.is_empty() { None } else { Some(lines.join("\n")) });
        }
        // A regular expression: read everything left, then cut (gawk's extension).
        if !main {
            return Err("a multi-character RS works only for the main input".into());
        }
        let mut rest = String::new();
        reader.read_to_string(&mut rest).map_err(io_err)?;
        if rest.is_empty() {
            return Ok(None);
        }
        let re = self.regex(&rs)?;
        match re.find(rest.as_bytes()) {
            Some((start, end)) => {
                let record = rest[..start].to_string();
                let tail = rest[end..].to_string();
                // Put the unread part back in front of the stream.
                self.main.current = Some(Box::new(io::Cursor::new(tail.into_bytes())));
                Ok(Some(record))
            }
            None => Ok(Some(rest.trim_end_matches('\n').to_string())),
        }
    }

    /// Advances the main input to the next record, opening `ARGV` files in
    /// turn and applying `var=value` operands. `false` at the end.
    fn next_main_record(&mut self) -> R<bool> {
        loop {
            if let Some(mut reader) = self.main.current.take() {
                match self.read_record(reader.as_mut(), true)? {
                    Some(record) => {
                        if self.main.current.is_none() {
                            self.main.current = Some(reader);
                        }
                        self.set_record(record);
                        self.bump(NR);
                        self.bump(FNR);
                        return Ok(true);
                    }
                    None => {
                        // read_record may have replaced the stream (regex RS).
                        if self.main.current.is_some() {
                            continue;
                        }
                        continue_to_next(&mut self.main);
                    }
                }
            }
            let argc = self.get_var(Var::Global(ARGC))?.num() as usize;
            let argv = self.array(Var::Global(ARGV))?;
            let mut opened = false;
            while self.main.next_arg < argc {
                let index = self.main.next_arg;
                self.main.next_arg += 1;
                let arg = argv.borrow().get(&index.to_string()).cloned().unwrap_or(Value::Uninit);
                let arg = self.text(&arg);
                if arg.is_empty() {
                    continue;
                }
                if let Some((name, value)) = arg.split_once('=')
                    && is_name(name)
                {
                    let value = super::unescape(value);
                    if let Some(i) = self.prog.globals.iter().position(|g| g == name) {
                        self.set_global(i, Value::strnum(value));
                    }
                    continue;
                }
                self.main.used_stdin = true;
                self.set_global(FILENAME, Value::str(arg.clone()));
                self.set_global(FNR, Value::Num(0.0));
                if arg == "-" || arg == "/dev/stdin" {
                    self.main.current = Some(Box::new(BufReader::new(io::stdin())));
                } else {
                    match File::open(&arg) {
                        Ok(file) => self.main.current = Some(Box::new(BufReader::new(file))),
                        Err(err) => {
                            let _ = self.stdout.flush();
                            eprintln!("{}: cannot open \"{arg}\" ({})", self.cmd, crate::util::errmsg(&err));
                            self.input_error = true;
                            continue;
                        }
                    }
                }
                opened = true;
                break;
            }
            if opened {
                continue;
            }
            if !self.main.used_stdin {
                self.main.used_stdin = true;
                self.main.current = Some(Box::new(BufReader::new(io::stdin())));
                continue;
            }
            return Ok(false);
        }
    }

    fn bump(&mut self, slot: usize) {
        let n = match &self.globals[slot] {
            Cell::Val(v) => v.num(),
            _ => 0.0,
        };
        self.globals[slot] = Cell::Val(Value::Num(n + 1.0));
    }

    // ------------------------------------------------------------ regexes

    fn regex(&mut self, source: &str) -> R<Regex> {
        if let Some(re) = self.regexes.get(source) {
            return Ok(re.clone());
        }
        let translated = posix_re::translate(source, true)
            .map_err(|posix_re::Unsupported(why)| format!("regular expression /{source}/: not supported: {why}"))?;
        let re = Regex::new(&translated, false, false).map_err(|e| format!("regular expression /{source}/: {e}"))?;
        if self.regexes.len() > 500 {
            self.regexes.clear();
        }
        self.regexes.insert(source.to_string(), re.clone());
        Ok(re)
    }

    /// The regex an operand stands for: a literal's source, else the value's text.
    fn regex_of(&mut self, e: &Expr) -> R<Regex> {
        match e {
            Expr::Regex(source) => self.regex(source),
            other => {
                let v = self.eval(other)?;
                let s = self.text(&v);
                self.regex(&s)
            }
        }
    }

    // ------------------------------------------------------------ statements

    fn block(&mut self, stmts: &[Stmt]) -> R<Flow> {
        for stmt in stmts {
            let flow = self.stmt(stmt)?;
            if !matches!(flow, Flow::Normal) {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn stmt(&mut self, stmt: &Stmt) -> R<Flow> {
        match stmt {
            Stmt::Expr(e) | Stmt::Getline(e) => {
                self.eval(e)?;
            }
            Stmt::Print(args, redirect) => {
                let text = if args.is_empty() {
                    self.record.clone()
                } else {
                    let ofs = self.global_str(OFS);
                    let mut parts = Vec::with_capacity(args.len());
                    for a in args {
                        let v = self.eval(a)?;
                        parts.push(self.output_text(&v));
                    }
                    parts.join(&ofs)
                };
                let ors = self.global_str(ORS);
                self.write_out(redirect.as_ref(), &format!("{text}{ors}"))?;
            }
            Stmt::Printf(args, redirect) => {
                let text = self.sprintf(args)?;
                self.write_out(redirect.as_ref(), &text)?;
            }
            Stmt::If(cond, then, other) => {
                if self.eval(cond)?.truthy() {
                    return self.stmt(then);
                } else if let Some(other) = other {
                    return self.stmt(other);
                }
            }
            Stmt::While(cond, body) => {
                while self.eval(cond)?.truthy() {
                    match self.stmt(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        other => return Ok(other),
                    }
                }
            }
            Stmt::Do(body, cond) => loop {
                match self.stmt(body)? {
                    Flow::Break => break,
                    Flow::Normal | Flow::Continue => {}
                    other => return Ok(other),
                }
                if !self.eval(cond)?.truthy() {
                    break;
                }
            },
            Stmt::For(init, cond, step, body) => {
                if let Some(init) = init {
                    self.stmt(init)?;
                }
                loop {
                    if let Some(cond) = cond
                        && !self.eval(cond)?.truthy()
                    {
                        break;
                    }
                    match self.stmt(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        other => return Ok(other),
                    }
                    if let Some(step) = step {
                        self.stmt(step)?;
                    }
                }
            }
            Stmt::ForIn(key, array, body) => {
                let keys: Vec<String> = self.array(*array)?.borrow().keys().cloned().collect();
                for k in keys {
                    self.set_var(*key, Value::strnum(k))?;
                    match self.stmt(body)? {
                        Flow::Break => break,
                        Flow::Normal | Flow::Continue => {}
                        other => return Ok(other),
                    }
                }
            }
            Stmt::Block(stmts) => return self.block(stmts),
            Stmt::Next => return Ok(Flow::Next),
            Stmt::NextFile => return Ok(Flow::NextFile),
            Stmt::Exit(code) => {
                if let Some(code) = code {
                    self.exit_code = self.eval(code)?.num() as i32;
                }
                return Ok(Flow::Exit);
            }
            Stmt::Return(value) => {
                let v = match value {
                    Some(e) => self.eval(e)?,
                    None => Value::Uninit,
                };
                return Ok(Flow::Return(v));
            }
            Stmt::Break => return Ok(Flow::Break),
            Stmt::Continue => return Ok(Flow::Continue),
            Stmt::Delete(array, subs) => {
                let key = match subs {
                    Some(subs) => Some(self.subscript(subs)?),
                    None => None,
                };
                let array = self.array(*array)?;
                match key {
                    Some(key) => {
                        array.borrow_mut().remove(&key);
                    }
                    None => array.borrow_mut().clear(),
                }
            }
        }
        Ok(Flow::Normal)
    }

    fn sprintf(&mut self, args: &[Expr]) -> R<String> {
        let mut values = Vec::with_capacity(args.len());
        for a in args {
            values.push(self.eval(a)?);
        }
        let fmt = self.text(&values[0]);
        struct A(Value, String);
        impl Arg for A {
            fn num(&self) -> f64 {
                self.0.num()
            }
            fn text(&self) -> String {
                self.1.clone()
            }
            fn is_num(&self) -> bool {
                self.0.numeric().is_some() && !matches!(self.0, Value::Uninit)
            }
        }
        let rest: Vec<A> = values[1..].iter().map(|v| A(v.clone(), self.text(v))).collect();
        let refs: Vec<&dyn Arg> = rest.iter().map(|a| a as &dyn Arg).collect();
        Ok(format::sprintf(&fmt, &refs))
    }

    // ------------------------------------------------------------ output

    fn write_out(&mut self, redirect: Option<&Redirect>, text: &str) -> R<()> {
        let Some(redirect) = redirect else {
            return self.stdout.write_all(text.as_bytes()).map_err(|e| self.write_error(&e));
        };
        let (target, append, pipe) = match redirect {
            Redirect::File(e) => (e, false, false),
            Redirect::Append(e) => (e, true, false),
            Redirect::Pipe(e) => (e, false, true),
        };
        let v = self.eval(target)?;
        let name = self.text(&v);
        if !pipe && (name == "/dev/stdout" || name == "-") {
            return self.stdout.write_all(text.as_bytes()).map_err(|e| self.write_error(&e));
        }
        if !pipe && name == "/dev/stderr" {
            let _ = self.stdout.flush();
            let _ = io::stderr().write_all(text.as_bytes());
            return Ok(());
        }
        if !self.outputs.contains_key(&name) {
            let output = if pipe {
                let _ = self.stdout.flush();
                let mut child = wasi_ext::Command::new("sh")
                    .arg("-c")
                    .arg(&name)
                    .stdin(wasi_ext::Stdio::piped())
                    .spawn()
                    .map_err(|e| format!("can't open pipe {name} ({})", crate::util::errmsg(&e)))?;
                let stdin = child.stdin.take().ok_or("no pipe to the command")?;
                Output::Pipe(child, io::BufWriter::new(stdin))
            } else {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .create(true)
                    .append(append)
                    .truncate(!append)
                    .open(&name)
                    .map_err(|e| format!("can't redirect to {name} ({})", crate::util::errmsg(&e)))?;
                Output::File(io::BufWriter::new(file))
            };
            self.outputs.insert(name.clone(), output);
        }
        let Some(out) = self.outputs.get_mut(&name).map(Output::writer) else { return Ok(()) };
        out.write_all(text.as_bytes()).map_err(|e| format!("write error on {name}: {}", crate::util::errmsg(&e)))
    }

    fn write_error(&self, err: &io::Error) -> Fatal {
        if err.kind() == io::ErrorKind::BrokenPipe {
            // Like a process killed by SIGPIPE: stop quietly.
            std::process::exit(141);
        }
        format!("write error: {}", crate::util::errmsg(err))
    }

    /// Closes a stream by name; returns its status (a command's exit status).
    fn close(&mut self, name: &str) -> f64 {
        let mut result = -1.0;
        if let Some(output) = self.outputs.remove(name) {
            result = match output {
                Output::File(mut w) => {
                    if w.flush().is_ok() {
                        0.0
                    } else {
                        -1.0
                    }
                }
                Output::Pipe(mut child, mut w) => {
                    let _ = w.flush();
                    drop(w);
                    child.wait().map_or(-1.0, |s| crate::util::child_code(s) as f64)
                }
            };
        }
        if let Some(input) = self.inputs.remove(name) {
            result = match input {
                Input::Reader(_) => 0.0,
                Input::Pipe(mut child, r) => {
                    drop(r);
                    child.wait().map_or(-1.0, |s| crate::util::child_code(s) as f64)
                }
            };
        }
        result
    }

    fn flush_outputs(&mut self) {
        for out in self.outputs.values_mut() {
            let _ = out.writer().flush();
        }
    }

    fn close_all(&mut self) {
        let _ = self.stdout.flush();
        let names: Vec<String> = self.outputs.keys().chain(self.inputs.keys()).cloned().collect();
        for name in names {
            self.close(&name);
        }
    }

    // ------------------------------------------------------------ getline

    /// `getline [var] [< file]` and `cmd | getline [var]`: 1, 0 at end, -1 on error.
    fn getline(&mut self, var: Option<&Expr>, source: Option<(String, bool)>) -> R<Value> {
        let record = match source {
            None => {
                // From the main input.
                let saved = (self.record.clone(), self.split, self.fields.clone(), self.nf);
                if !self.next_main_record()? {
                    return Ok(Value::Num(0.0));
                }
                if let Some(var) = var {
                    let text = std::mem::take(&mut self.record);
                    (self.record, self.split, self.fields, self.nf) = saved;
                    self.assign_to(var, Value::strnum(text))?;
                }
                return Ok(Value::Num(1.0));
            }
            Some((name, pipe)) => {
                if !self.inputs.contains_key(&name) {
                    let input = if pipe {
                        let _ = self.stdout.flush();
                        self.flush_outputs();
                        match wasi_ext::Command::new("sh").arg("-c").arg(&name).stdout(wasi_ext::Stdio::piped()).spawn()
                        {
                            Ok(mut child) => match child.stdout.take() {
                                Some(out) => Input::Pipe(child, BufReader::new(out)),
                                None => return Ok(Value::Num(-1.0)),
                            },
                            Err(_) => return Ok(Value::Num(-1.0)),
                        }
                    } else if name == "-" || name == "/dev/stdin" {
                        Input::Reader(Box::new(BufReader::new(io::stdin())))
                    } else {
                        match File::open(&name) {
                            Ok(f) => Input::Reader(Box::new(BufReader::new(f))),
                            Err(_) => return Ok(Value::Num(-1.0)),
                        }
                    };
                    self.inputs.insert(name.clone(), input);
                }
                let mut input = self.inputs.remove(&name).expect("just inserted");
                let record = self.read_record(input.reader(), false);
                self.inputs.insert(name.clone(), input);
                match record? {
                    Some(r) => {
                        if pipe {
                            self.bump(NR);
                        }
                        r
                    }
                    None => return Ok(Value::Num(0.0)),
                }
            }
        };
        match var {
            Some(var) => self.assign_to(var, Value::strnum(record))?,
            None => {
                self.set_record(record);
            }
        }
        Ok(Value::Num(1.0))
    }

    // ------------------------------------------------------------ expressions

    fn assign_to(&mut self, target: &Expr, v: Value) -> R<()> {
        match target {
            Expr::Var(var) => self.set_var(*var, v),
            Expr::Index(var, subs) => {
                let key = self.subscript(subs)?;
                self.array(*var)?.borrow_mut().insert(key, v);
                Ok(())
            }
            Expr::Field(e) => {
                let i = self.eval(e)?.num();
                if i < 0.0 {
                    return Err(format!("trying to access out of range field {}", i as i64));
                }
                let text = self.text(&v);
                self.set_field(i as usize, text);
                Ok(())
            }
            _ => Err("assignment to a non-variable".into()),
        }
    }

    pub fn eval(&mut self, e: &Expr) -> R<Value> {
        Ok(match e {
            Expr::Num(n) => Value::Num(*n),
            Expr::Str(s) => Value::str(s.as_str()),
            Expr::Regex(source) => {
                let re = self.regex(source)?;
                Value::Num(f64::from(u8::from(re.is_match(self.record.as_bytes()))))
            }
            Expr::Var(var) => self.get_var(*var)?,
            Expr::Index(var, subs) => {
                let key = self.subscript(subs)?;
                let array = self.array(*var)?;
                let mut array = array.borrow_mut();
                array.entry(key).or_insert(Value::Uninit).clone()
            }
            Expr::Field(e) => {
                let i = self.eval(e)?.num();
                if i < 0.0 {
                    return Err(format!("trying to access out of range field {}", i as i64));
                }
                self.get_field(i as usize)
            }
            Expr::Group(items) => {
                // `(a, b)` outside `in` or print: concatenated with SUBSEP.
                let key = self.subscript(items)?;
                Value::str(key)
            }
            Expr::Assign(target, op, value) => {
                let v = self.eval(value)?;
                let v = match op {
                    None => match v {
                        Value::Uninit => Value::Uninit,
                        other => other,
                    },
                    Some(op) => {
                        let old = self.eval(target)?.num();
                        Value::Num(arith(op, old, v.num())?)
                    }
                };
                self.assign_to(target, v.clone())?;
                v
            }
            Expr::Cond(c, a, b) => {
                if self.eval(c)?.truthy() {
                    self.eval(a)?
                } else {
                    self.eval(b)?
                }
            }
            Expr::And(a, b) => Value::Num(f64::from(u8::from(self.eval(a)?.truthy() && self.eval(b)?.truthy()))),
            Expr::Or(a, b) => Value::Num(f64::from(u8::from(self.eval(a)?.truthy() || self.eval(b)?.truthy()))),
            Expr::In(subs, array) => {
                let key = self.subscript(subs)?;
                let present = self.array(*array)?.borrow().contains_key(&key);
                Value::Num(f64::from(u8::from(present)))
            }
            Expr::Match(negate, left, right) => {
                let l = self.eval(left)?;
                let text = self.text(&l);
                let re = self.regex_of(right)?;
                Value::Num(f64::from(u8::from(re.is_match(text.as_bytes()) != *negate)))
            }
            Expr::Binary(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                match *op {
                    "<" | "<=" | "!=" | "==" | ">" | ">=" => {
                        let ord = match (a.numeric(), b.numeric()) {
                            (Some(x), Some(y)) => x.partial_cmp(&y),
                            _ => {
                                let (x, y) = (self.text(&a), self.text(&b));
                                Some(x.cmp(&y))
                            }
                        };
                        use std::cmp::Ordering::*;
                        let r = matches!(
                            (*op, ord),
                            ("<", Some(Less))
                                | ("<=", Some(Less | Equal))
                                | ("==", Some(Equal))
                                | (">", Some(Greater))
                                | (">=", Some(Greater | Equal))
                                | ("!=", Some(Less | Greater) | None)
                        );
                        Value::Num(f64::from(u8::from(r)))
                    }
                    op => Value::Num(arith(op, a.num(), b.num())?),
                }
            }
            Expr::Concat(a, b) => {
                let a = self.eval(a)?;
                let mut s = self.text(&a);
                let b = self.eval(b)?;
                s.push_str(&self.text(&b));
                Value::str(s)
            }
            Expr::Not(e) => Value::Num(f64::from(u8::from(!self.eval(e)?.truthy()))),
            Expr::Neg(e) => Value::Num(-self.eval(e)?.num()),
            Expr::Plus(e) => Value::Num(self.eval(e)?.num()),
            Expr::PreIncr(up, target) => {
                let n = self.eval(target)?.num() + if *up { 1.0 } else { -1.0 };
                self.assign_to(target, Value::Num(n))?;
                Value::Num(n)
            }
            Expr::PostIncr(up, target) => {
                let n = self.eval(target)?.num();
                self.assign_to(target, Value::Num(n + if *up { 1.0 } else { -1.0 }))?;
                Value::Num(n)
            }
            Expr::Call(index, args) => self.call(*index, args)?,
            Expr::Builtin(name, args) => self.builtin(name, args)?,
            Expr::Getline(var, file) => {
                let source = match file {
                    Some(f) => {
                        let v = self.eval(f)?;
                        Some((self.text(&v), false))
                    }
                    None => None,
                };
                self.getline(var.as_deref(), source)?
            }
            Expr::PipeGetline(cmd, var) => {
                let v = self.eval(cmd)?;
                let name = self.text(&v);
                self.getline(var.as_deref(), Some((name, true)))?
            }
        })
    }

    fn call(&mut self, index: usize, args: &[Expr]) -> R<Value> {
        let f = &self.prog.functions[index];
        if args.len() > f.params {
            return Err(format!("function {} called with {} args, accepts only {}", f.name, args.len(), f.params));
        }
        if self.frames.len() > 1000 {
            return Err(format!("function {}: call depth over 1000", f.name));
        }
        let mut frame = vec![Cell::Uninit; f.params];
        // Uninitialised variables passed bare may become arrays in the callee.
        let mut adopt: Vec<(usize, Var)> = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            frame[i] = match arg {
                Expr::Var(var) if *var != Var::Global(NF) => match self.cell(*var).clone() {
                    Cell::Arr(a) => Cell::Arr(a),
                    Cell::Uninit => {
                        adopt.push((i, *var));
                        Cell::Uninit
                    }
                    Cell::Val(v) => Cell::Val(v),
                },
                other => Cell::Val(self.eval(other)?),
            };
        }
        self.frames.push(frame);
        let result = self.block(&f.body);
        let frame = self.frames.pop().expect("the frame pushed above");
        for (i, var) in adopt {
            if let Cell::Arr(a) = &frame[i]
                && let Cell::Uninit = self.cell(var)
            {
                *self.cell(var) = Cell::Arr(a.clone());
            }
        }
        match result? {
            Flow::Return(v) => Ok(v),
            Flow::Exit => Err(EXIT_IN_FUNCTION.into()),
            Flow::Next => Err(NEXT_IN_FUNCTION.into()),
            _ => Ok(Value::Uninit),
        }
    }

    fn builtin(&mut self, name: &str, args: &[Expr]) -> R<Value> {
        let arg = |i: usize| args.get(i);
        let need = |n: usize| -> R<()> {
            if args.len() < n {
                Err(format!("{name}: needs {n} argument{}", if n == 1 { "" } else { "s" }))
            } else {
                Ok(())
            }
        };
        Ok(match name {
            "length" => match arg(0) {
                None => Value::Num(self.record.chars().count() as f64),
                Some(Expr::Var(var)) if matches!(self.cell(*var), Cell::Arr(_)) => {
                    Value::Num(self.array(*var)?.borrow().len() as f64)
                }
                Some(e) => {
                    let v = self.eval(e)?;
                    Value::Num(self.text(&v).chars().count() as f64)
                }
            },
            "substr" => {
                need(2)?;
                let v = self.eval(&args[0])?;
                let s: Vec<char> = self.text(&v).chars().collect();
                let m = round(self.eval(&args[1])?.num());
                let n = match arg(2) {
                    Some(e) => round(self.eval(e)?.num()),
                    None => f64::INFINITY,
                };
                // Characters at positions m .. m+n (1-based), clipped.
                let start = m.max(1.0);
                let end = (m + n).min(s.len() as f64 + 1.0);
                if end <= start || start.is_nan() || end.is_nan() {
                    Value::str("")
                } else {
                    Value::str(s[(start as usize - 1)..(end as usize - 1)].iter().collect::<String>())
                }
            }
            "index" => {
                need(2)?;
                let a = self.eval(&args[0])?;
                let b = self.eval(&args[1])?;
                let (hay, needle) = (self.text(&a), self.text(&b));
                let pos = hay.find(&needle).map_or(0, |byte| hay[..byte].chars().count() + 1);
                Value::Num(pos as f64)
            }
            "split" => {
                need(2)?;
                let v = self.eval(&args[0])?;
                let text = self.text(&v);
                let Expr::Var(var) = &args[1] else { return Err("split: the second argument must be an array".into()) };
                let parts = match arg(2) {
                    None => {
                        let fs = self.global_str(FS);
                        self.split_text(&text, &fs, false)
                    }
                    Some(Expr::Regex(source)) => {
                        if text.is_empty() {
                            Vec::new()
                        } else {
                            let re = self.regex(source)?;
                            re.split(&text).into_iter().map(str::to_string).collect()
                        }
                    }
                    Some(e) => {
                        let v = self.eval(e)?;
                        let fs = self.text(&v);
                        self.split_text(&text, &fs, false)
                    }
                };
                let array = self.array(*var)?;
                let mut array = array.borrow_mut();
                array.clear();
                for (i, part) in parts.iter().enumerate() {
                    array.insert((i + 1).to_string(), Value::strnum(part.clone()));
                }
                Value::Num(parts.len() as f64)
            }
            "sub" | "gsub" => {
                need(2)?;
                let re = self.regex_of(&args[0])?;
                let v = self.eval(&args[1])?;
                let repl = self.text(&v);
                let target = arg(2).cloned().unwrap_or(Expr::Field(Box::new(Expr::Num(0.0))));
                let tv = self.eval(&target)?;
                let text = self.text(&tv);
                let (result, count) = substitute(&re, &text, &repl, name == "gsub");
                if count > 0 {
                    self.assign_to(&target, Value::str(result))?;
                }
                Value::Num(count as f64)
            }
            "match" => {
                need(2)?;
                let v = self.eval(&args[0])?;
                let text = self.text(&v);
                let re = self.regex_of(&args[1])?;
                let (start, len) = match re.find(text.as_bytes()) {
                    Some((s, e)) => (text[..s].chars().count() as f64 + 1.0, text[s..e].chars().count() as f64),
                    None => (0.0, -1.0),
                };
                self.globals[RSTART] = Cell::Val(Value::Num(start));
                self.globals[RLENGTH] = Cell::Val(Value::Num(len));
                Value::Num(start)
            }
            "sprintf" => {
                need(1)?;
                Value::str(self.sprintf(args)?)
            }
            "sin" | "cos" | "exp" | "log" | "sqrt" | "int" => {
                need(1)?;
                let x = self.eval(&args[0])?.num();
                Value::Num(match name {
                    "sin" => x.sin(),
                    "cos" => x.cos(),
                    "exp" => x.exp(),
                    "log" => x.ln(),
                    "sqrt" => x.sqrt(),
                    _ => x.trunc(),
                })
            }
            "atan2" => {
                need(2)?;
                let y = self.eval(&args[0])?.num();
                let x = self.eval(&args[1])?.num();
                Value::Num(y.atan2(x))
            }
            "rand" => {
                self.rand_state ^= self.rand_state << 13;
                self.rand_state ^= self.rand_state >> 7;
                self.rand_state ^= self.rand_state << 17;
                Value::Num((self.rand_state >> 11) as f64 / (1u64 << 53) as f64)
            }
            "srand" => {
                let seed = match arg(0) {
                    Some(e) => self.eval(e)?.num(),
                    // The time of day if the VM has the clock grant, else 0.
                    None => {
                        // SAFETY: a plain preview1 call with no pointers.
                        let now = unsafe { wasi::clock_time_get(wasi::CLOCKID_REALTIME, 1_000_000_000) };
                        now.map_or(0.0, |ns| (ns / 1_000_000_000) as f64)
                    }
                };
                let prev = self.prev_seed;
                self.prev_seed = seed;
                self.rand_state = (seed.to_bits() ^ 0x9e37_79b9_7f4a_7c15) | 1;
                Value::Num(prev)
            }
            "tolower" | "toupper" => {
                need(1)?;
                let v = self.eval(&args[0])?;
                let s = self.text(&v);
                Value::str(if name == "tolower" { s.to_lowercase() } else { s.to_uppercase() })
            }
            "system" => {
                need(1)?;
                let v = self.eval(&args[0])?;
                let command = self.text(&v);
                let _ = self.stdout.flush();
                self.flush_outputs();
                match wasi_ext::Command::new("sh").arg("-c").arg(&command).status() {
                    Ok(status) => Value::Num(crate::util::child_code(status) as f64),
                    Err(err) => {
                        eprintln!("{}: system: cannot run sh: {}", self.cmd, crate::util::errmsg(&err));
                        Value::Num(127.0)
                    }
                }
            }
            "close" => {
                need(1)?;
                let v = self.eval(&args[0])?;
                let name = self.text(&v);
                Value::Num(self.close(&name))
            }
            "fflush" => {
                let _ = self.stdout.flush();
                self.flush_outputs();
                Value::Num(0.0)
            }
            other => return Err(format!("unknown function {other}")),
        })
    }
}

/// Flow that escaped a function: `exit` and `next` inside functions reach
/// the rule that called them as these markers (see `Interp::action`).
const EXIT_IN_FUNCTION: &str = "\u{0}exit";
const NEXT_IN_FUNCTION: &str = "\u{0}next";

fn continue_to_next(main: &mut MainInput) {
    main.current = None;
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// awk's rounding for `substr` positions: to nearest, halves to even.
fn round(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 { r - x.signum() } else { r }
}

fn arith(op: &str, a: f64, b: f64) -> R<f64> {
    Ok(match op {
        "+" => a + b,
        "-" => a - b,
        "*" => a * b,
        "/" => {
            if b == 0.0 {
                return Err("division by zero".into());
            }
            a / b
        }
        "%" => {
            if b == 0.0 {
                return Err("division by zero in %".into());
            }
            a % b
        }
        _ => a.powf(b),
    })
}

/// `sub`/`gsub`: replaces the first (or every) match; `&` in the
/// replacement is the match, `\&` a literal `&`, `\\` a backslash.
fn substitute(re: &Regex, text: &str, repl: &str, global: bool) -> (String, usize) {
    let mut out = String::new();
    let mut count = 0;
    let mut last = 0;
    let mut at = 0;
    while at <= text.len() {
        let Some((start, end)) = re.find_at(text.as_bytes(), at) else { break };
        // An empty match right after the previous match is skipped (as awk does).
        if start == end && start == last && count > 0 && start != 0 {
            match text[start..].chars().next() {
                Some(c) => {
                    at = start + c.len_utf8();
                    continue;
                }
                None => break,
            }
        }
        out.push_str(&text[last..start]);
        let mut chars = repl.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&'&') => {
                    chars.next();
                    out.push('&');
                }
                '\\' if chars.peek() == Some(&'\\') => {
                    chars.next();
                    out.push('\\');
                }
                '&' => out.push_str(&text[start..end]),
                c => out.push(c),
            }
        }
        count += 1;
        last = end;
        if !global {
            break;
        }
        at = if start == end {
            match text[end..].chars().next() {
                Some(c) => {
                    out.push(c);
                    last = end + c.len_utf8();
                    end + c.len_utf8()
                }
                None => break,
            }
        } else {
            end
        };
    }
    out.push_str(&text[last.min(text.len())..]);
    (out, count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(strtod(" 12abc"), 12.0);
        assert_eq!(strtod("1e3x"), 1000.0);
        assert_eq!(strtod(".5"), 0.5);
        assert_eq!(strtod("x"), 0.0);
        assert!(looks_numeric(" 12 "));
        assert!(!looks_numeric("12a"));
        assert!(!looks_numeric("."));
        assert_eq!(num_to_string(3.0, "%.6g"), "3");
        assert_eq!(num_to_string(0.1 + 0.2, "%.6g"), "0.3");
        assert_eq!(num_to_string(1e20, "%.6g"), "1e+20");
    }

    #[test]
    fn substitution() {
        let re = Regex::new("o", false, false).unwrap();
        assert_eq!(substitute(&re, "foo boo", "0", true), ("f00 b00".to_string(), 4));
        assert_eq!(substitute(&re, "foo", "[&]", false), ("f[o]o".to_string(), 1));
        let empty = Regex::new("x*", false, false).unwrap();
        assert_eq!(substitute(&empty, "abc", "-", true), ("-a-b-c-".to_string(), 4));
    }
}
