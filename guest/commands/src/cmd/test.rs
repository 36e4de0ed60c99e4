//! `test EXPRESSION` and `[ EXPRESSION ]`: GNU's parser (the POSIX rules
//! by argument count, then `!`, `-a`, `-o` and parentheses), with file
//! tests answered from capsa's `host_fs.stat`: `-r -w -x` by the mode bits
//! against the caller's uid and gid (as the kernel decides; uutils `test`
//! can only guess, preview1 having no mode), `-O -G -u -g -k` from the
//! owner, group and mode. Exit status 0 true, 1 false, 2 error.

use std::ffi::OsString;

use wasi_ext::fs::{self as xfs, R_OK, S_IFBLK, S_IFCHR, S_IFIFO, S_IFSOCK, Stat, W_OK, X_OK};

/// A syntax error: its message.
type Parse<T> = Result<T, String>;

/// GNU's `test` evaluator over the argument list.
struct Test {
    args: Vec<String>,
    pos: usize,
}

/// `test`'s entry point.
pub fn test(cmd: &str, args: Vec<OsString>) -> i32 {
    run(cmd, args, false)
}

/// `[`'s entry point: the last argument must be `]`.
pub fn bracket(cmd: &str, args: Vec<OsString>) -> i32 {
    run(cmd, args, true)
}

fn run(cmd: &str, args: Vec<OsString>, bracket: bool) -> i32 {
    let mut args: Vec<String> = args.into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
    if bracket {
        if args.len() == 1 && args[0] == "--help" {
            println!("Usage: test EXPRESSION\n  or:  [ EXPRESSION ]\nExit with the status determined by EXPRESSION.");
            return 0;
        }
        if args.last().map(String::as_str) != Some("]") {
            eprintln!("{cmd}: missing ']'");
            return 2;
        }
        args.pop();
    }
    let mut t = Test { args, pos: 0 };
    if t.args.is_empty() {
        return 1;
    }
    let result = t.posix(t.args.len()).and_then(|value| match t.args.get(t.pos) {
        Some(extra) => Err(format!("extra argument '{extra}'")),
        None => Ok(value),
    });
    match result {
        Ok(value) => i32::from(!value),
        Err(msg) => {
            eprintln!("{cmd}: {msg}");
            2
        }
    }
}

/// Binary operators (GNU's `test` has no `<` and `>`, unlike shells' `[[`).
fn binop(s: &str) -> bool {
    matches!(s, "=" | "!=" | "==" | "-nt" | "-ot" | "-ef" | "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge")
}

/// Unary operators (`-X`).
fn unop(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 2 && b[0] == b'-' && b"abcdefghknprstuwxzGLOSN".contains(&b[1])
}

/// An integer operand: optional blanks, sign, digits, blanks. Returns it
/// normalised (`-` or nothing, then digits without leading zeros).
fn integer(text: &str) -> Parse<(bool, String)> {
    let trimmed = text.trim_matches([' ', '\t']);
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("invalid integer '{text}'"));
    }
    let digits = digits.trim_start_matches('0');
    Ok((negative && !digits.is_empty(), digits.to_string()))
}

/// Compares two integers of any length.
fn compare_integers(a: &str, b: &str) -> Parse<std::cmp::Ordering> {
    let ((an, ad), (bn, bd)) = (integer(a)?, integer(b)?);
    let magnitude = ad.len().cmp(&bd.len()).then_with(|| ad.cmp(&bd));
    Ok(match (an, bn) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (false, true) => std::cmp::Ordering::Greater,
        (true, false) => std::cmp::Ordering::Less,
    })
}

/// Modification time of a file, if it exists.
fn mtime(path: &str) -> Option<u64> {
    xfs::stat(path).ok().map(|st| st.mtime)
}

impl Test {
    fn arg(&self, at: usize) -> &str {
        self.args.get(at).map_or("", String::as_str)
    }

    fn beyond(&self) -> String {
        format!("missing argument after '{}'", self.args.last().map_or("", String::as_str))
    }

    /// Moves on; `need_more`: it is an error if nothing follows.
    fn advance(&mut self, need_more: bool) -> Parse<()> {
        self.pos += 1;
        if need_more && self.pos >= self.args.len() {
            return Err(self.beyond());
        }
        Ok(())
    }

    /// POSIX's rules by the number of arguments left.
    fn posix(&mut self, n: usize) -> Parse<bool> {
        match n {
            1 => Ok(self.one()),
            2 => self.two(),
            3 => self.three(),
            4 if self.arg(self.pos) == "!" => {
                self.advance(true)?;
                Ok(!self.three()?)
            }
            4 if self.arg(self.pos) == "(" && self.arg(self.pos + 3) == ")" => {
                self.advance(false)?;
                let value = self.two()?;
                self.advance(false)?;
                Ok(value)
            }
            _ => self.expr(),
        }
    }

    fn one(&mut self) -> bool {
        self.pos += 1;
        !self.arg(self.pos - 1).is_empty()
    }

    fn two(&mut self) -> Parse<bool> {
        let first = self.arg(self.pos).to_string();
        if first == "!" {
            self.advance(false)?;
            Ok(!self.one())
        } else if first.len() == 2 && first.starts_with('-') {
            if unop(&first) { self.unary() } else { Err(format!("'{first}': unary operator expected")) }
        } else {
            Err(self.beyond())
        }
    }

    fn three(&mut self) -> Parse<bool> {
        let (first, middle) = (self.arg(self.pos).to_string(), self.arg(self.pos + 1).to_string());
        if binop(&middle) {
            self.binary()
        } else if first == "!" {
            self.advance(true)?;
            Ok(!self.two()?)
        } else if first == "(" && self.arg(self.pos + 2) == ")" {
            self.advance(false)?;
            let value = self.one();
            self.advance(false)?;
            Ok(value)
        } else if middle == "-a" || middle == "-o" {
            self.expr()
        } else {
            Err(format!("'{middle}': binary operator expected"))
        }
    }

    fn expr(&mut self) -> Parse<bool> {
        if self.pos >= self.args.len() {
            return Err(self.beyond());
        }
        let mut value = self.and()?;
        while self.arg(self.pos) == "-o" && self.pos < self.args.len() {
            self.advance(false)?;
            value |= self.and()?;
        }
        Ok(value)
    }

    fn and(&mut self) -> Parse<bool> {
        let mut value = self.term()?;
        while self.arg(self.pos) == "-a" && self.pos < self.args.len() {
            self.advance(false)?;
            value &= self.term()?;
        }
        Ok(value)
    }

    fn term(&mut self) -> Parse<bool> {
        if self.pos >= self.args.len() {
            return Err(self.beyond());
        }
        let mut negated = false;
        while self.pos < self.args.len() && self.arg(self.pos) == "!" {
            self.advance(true)?;
            negated = !negated;
        }
        let left = self.args.len() - self.pos;
        let value = if self.arg(self.pos) == "(" {
            self.advance(true)?;
            let mut n = 1;
            while self.pos + n < self.args.len() && self.arg(self.pos + n) != ")" {
                if n == 4 {
                    n = self.args.len() - self.pos;
                    break;
                }
                n += 1;
            }
            let value = self.posix(n)?;
            match self.args.get(self.pos) {
                None => return Err("')' expected".to_string()),
                Some(found) if found != ")" => return Err(format!("')' expected, found '{found}'")),
                Some(_) => {}
            }
            self.advance(false)?;
            value
        } else if left >= 3 && binop(self.arg(self.pos + 1)) {
            self.binary()?
        } else if self.arg(self.pos).len() == 2 && self.arg(self.pos).starts_with('-') {
            let op = self.arg(self.pos).to_string();
            if !unop(&op) {
                return Err(format!("'{op}': unary operator expected"));
            }
            self.unary()?
        } else {
            let value = !self.arg(self.pos).is_empty();
            self.advance(false)?;
            value
        };
        Ok(negated ^ value)
    }

    /// `A OP B` at the current position.
    fn binary(&mut self) -> Parse<bool> {
        let (a, op, b) =
            (self.arg(self.pos).to_string(), self.arg(self.pos + 1).to_string(), self.arg(self.pos + 2).to_string());
        self.pos += 3;
        use std::cmp::Ordering::{Equal, Greater, Less};
        Ok(match op.as_str() {
            "=" | "==" => a == b,
            "!=" => a != b,
            "-eq" => compare_integers(&a, &b)? == Equal,
            "-ne" => compare_integers(&a, &b)? != Equal,
            "-lt" => compare_integers(&a, &b)? == Less,
            "-le" => compare_integers(&a, &b)? != Greater,
            "-gt" => compare_integers(&a, &b)? == Greater,
            "-ge" => compare_integers(&a, &b)? != Less,
            "-nt" => match (mtime(&a), mtime(&b)) {
                (Some(x), Some(y)) => x > y,
                (Some(_), None) => true,
                _ => false,
            },
            "-ot" => match (mtime(&a), mtime(&b)) {
                (Some(x), Some(y)) => x < y,
                (None, Some(_)) => true,
                _ => false,
            },
            // "-ef"
            _ => match (xfs::stat(&a), xfs::stat(&b)) {
                (Ok(x), Ok(y)) => (x.dev, x.ino) == (y.dev, y.ino),
                _ => false,
            },
        })
    }

    /// `-X ARG` at the current position.
    fn unary(&mut self) -> Parse<bool> {
        let op = self.arg(self.pos).as_bytes().get(1).copied().unwrap_or(b'?');
        self.advance(true)?;
        let arg = self.arg(self.pos).to_string();
        self.pos += 1;
        let st = || xfs::stat(&arg).ok();
        let kind = |bits: u32| st().is_some_and(|st: Stat| st.file_type() == bits);
        let me = || (wasi_ext::geteuid().unwrap_or(u32::MAX), wasi_ext::getegid().unwrap_or(u32::MAX));
        Ok(match op {
            b'a' | b'e' => st().is_some(),
            b'f' => st().is_some_and(|st| st.is_file()),
            b'd' => st().is_some_and(|st| st.is_dir()),
            b'h' | b'L' => xfs::lstat(&arg).is_ok_and(|st| st.is_symlink()),
            b'b' => kind(S_IFBLK),
            b'c' => kind(S_IFCHR),
            b'p' => kind(S_IFIFO),
            b'S' => kind(S_IFSOCK),
            b's' => st().is_some_and(|st| st.size > 0),
            b'r' => xfs::access(&arg, R_OK).unwrap_or(false),
            b'w' => xfs::access(&arg, W_OK).unwrap_or(false),
            b'x' => xfs::access(&arg, X_OK).unwrap_or(false),
            b'O' => st().is_some_and(|st| st.uid == me().0),
            b'G' => st().is_some_and(|st| st.gid == me().1),
            b'u' => st().is_some_and(|st| st.mode & xfs::S_ISUID != 0),
            b'g' => st().is_some_and(|st| st.mode & xfs::S_ISGID != 0),
            b'k' => st().is_some_and(|st| st.mode & xfs::S_ISVTX != 0),
            b'N' => st().is_some_and(|st| st.mtime > st.atime),
            b't' => {
                let (negative, digits) = integer(&arg)?;
                let fd = match (negative, digits.as_str()) {
                    (true, _) => None,
                    (false, "") => Some(0),
                    (false, digits) => digits.parse::<i32>().ok(),
                };
                fd.is_some_and(|fd| wasi_ext::isatty(fd).unwrap_or(false))
            }
            b'n' => !arg.is_empty(),
            // b'z'
            _ => arg.is_empty(),
        })
    }
}
