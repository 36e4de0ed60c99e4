//! Conditional expressions: `test` / `[` (brush-parser parses the argument
//! list) and `[[ ]]` (parsed with the program; operands are expanded here
//! without splitting or globbing, the right side of `==` as a pattern).

use brush_parser::ast::{BinaryPredicate, ExtendedTestExpr, TestExpr, UnaryPredicate};

use crate::glob;
use crate::shell::{Flow, Res, Shell};
use crate::vars::Value;

impl Shell {
    /// `test ARGS…` / `[ ARGS… ]`: 0 true, 1 false, 2 error.
    pub fn test_builtin(&mut self, args: &[String]) -> i32 {
        if args.is_empty() {
            return 1;
        }
        match brush_parser::test_command::parse(args) {
            Ok(expr) => match self.eval_test(&expr) {
                Ok(b) => i32::from(!b),
                Err(msg) => {
                    self.error(format!("test: {msg}"));
                    2
                }
            },
            Err(_) => {
                self.error(format!("test: {}: unexpected argument", args.join(" ")));
                2
            }
        }
    }

    fn eval_test(&mut self, e: &TestExpr) -> Result<bool, String> {
        Ok(match e {
            TestExpr::False => false,
            TestExpr::Literal(s) => !s.is_empty(),
            TestExpr::And(a, b) => self.eval_test(a)? && self.eval_test(b)?,
            TestExpr::Or(a, b) => self.eval_test(a)? || self.eval_test(b)?,
            TestExpr::Not(a) => !self.eval_test(a)?,
            TestExpr::Parenthesized(a) => self.eval_test(a)?,
            TestExpr::UnaryTest(p, s) => self.unary(p, s),
            TestExpr::BinaryTest(p, a, b) => match p {
                BinaryPredicate::StringExactlyMatchesPattern | BinaryPredicate::StringExactlyMatchesString => a == b,
                BinaryPredicate::StringDoesNotExactlyMatchPattern
                | BinaryPredicate::StringDoesNotExactlyMatchString => a != b,
                _ => self.binary(p, a, b, false)?,
            },
        })
    }

    /// `[[ … ]]`.
    ///
    /// # Errors
    /// A fatal expansion error.
    pub fn extended_test(&mut self, e: &ExtendedTestExpr) -> Res {
        Ok(match self.eval_extended(e)? {
            Ok(b) => i32::from(!b),
            Err(msg) => {
                self.error(msg);
                2
            }
        })
    }

    fn eval_extended(&mut self, e: &ExtendedTestExpr) -> Result<Result<bool, String>, Flow> {
        Ok(Ok(match e {
            ExtendedTestExpr::And(a, b) => {
                match self.eval_extended(a)? {
                    Ok(true) => {}
                    other => return Ok(other),
                }
                return self.eval_extended(b);
            }
            ExtendedTestExpr::Or(a, b) => {
                match self.eval_extended(a)? {
                    Ok(false) => {}
                    other => return Ok(other),
                }
                return self.eval_extended(b);
            }
            ExtendedTestExpr::Not(a) => match self.eval_extended(a)? {
                Ok(b) => !b,
                err => return Ok(err),
            },
            ExtendedTestExpr::Parenthesized(a) => return self.eval_extended(a),
            ExtendedTestExpr::UnaryTest(p, w) => {
                let s = self.expand_string(&w.value)?;
                self.unary(p, &s)
            }
            ExtendedTestExpr::BinaryTest(p, a, b) => {
                let left = self.expand_string(&a.value)?;
                match p {
                    BinaryPredicate::StringExactlyMatchesPattern
                    | BinaryPredicate::StringDoesNotExactlyMatchPattern => {
                        let pat = self.expand_pattern(&b.value)?;
                        glob::matches(&pat, &left) == matches!(p, BinaryPredicate::StringExactlyMatchesPattern)
                    }
                    BinaryPredicate::StringMatchesRegex | BinaryPredicate::StringContainsSubstring => {
                        let re = self.expand_regex(&b.value)?;
                        return Ok(self.regex_match(&left, &re));
                    }
                    _ => {
                        let right = self.expand_string(&b.value)?;
                        match self.binary(p, &left, &right, true) {
                            Ok(b) => b,
                            Err(msg) => return Ok(Err(msg)),
                        }
                    }
                }
            }
        }))
    }

    /// The right side of `=~`: quoted parts match literally.
    fn expand_regex(&mut self, word: &str) -> Result<String, Flow> {
        let pattern = self.expand_pattern(word)?;
        // `expand_pattern` escaped quoted characters for globs; turn those
        // escapes into regex escapes.
        let mut out = String::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(n) if n.is_ascii_punctuation() => {
                        out.push('\\');
                        out.push(n);
                    }
                    Some(n) => out.push(n),
                    None => out.push_str("\\\\"),
                }
            } else {
                out.push(c);
            }
        }
        Ok(out)
    }

    fn regex_match(&mut self, text: &str, re: &str) -> Result<bool, String> {
        let re = regex_automata::meta::Regex::new(re).map_err(|_| format!("{re}: invalid regular expression"))?;
        let mut caps = re.create_captures();
        re.captures(text, &mut caps);
        match caps.is_match() {
            true => {
                let groups = (0..caps.group_len())
                    .map(|i| (i as i64, caps.get_group(i).map_or(String::new(), |m| text[m.range()].to_string())))
                    .collect();
                let _ = self.st.vars.set_value("BASH_REMATCH", Value::Indexed(groups));
                Ok(true)
            }
            false => {
                let _ = self.st.vars.set_value("BASH_REMATCH", Value::Indexed(Default::default()));
                Ok(false)
            }
        }
    }

    fn unary(&mut self, p: &UnaryPredicate, s: &str) -> bool {
        use UnaryPredicate as U;
        let meta = || std::fs::metadata(s);
        match p {
            U::StringHasZeroLength => s.is_empty(),
            U::StringHasNonZeroLength => !s.is_empty(),
            U::FileExists => meta().is_ok(),
            U::FileExistsAndIsDir => meta().is_ok_and(|m| m.is_dir()),
            U::FileExistsAndIsRegularFile => meta().is_ok_and(|m| m.is_file()),
            U::FileExistsAndIsSymlink => std::fs::symlink_metadata(s).is_ok_and(|m| m.file_type().is_symlink()),
            U::FileExistsAndIsNotZeroLength => meta().is_ok_and(|m| m.len() > 0),
            // std's stable API on WASI tells files, directories and
            // symlinks apart; anything else is a device (capsa's /dev).
            U::FileExistsAndIsCharSpecialFile => meta().is_ok_and(|m| !m.is_file() && !m.is_dir()),
            U::FileExistsAndIsBlockSpecialFile => false,
            U::FileExistsAndIsFifo | U::FileExistsAndIsSocket => false,
            U::FileExistsAndIsReadable => match meta() {
                Ok(m) if m.is_dir() => std::fs::read_dir(s).is_ok(),
                Ok(_) => std::fs::File::open(s).is_ok(),
                Err(_) => false,
            },
            U::FileExistsAndIsWritable => match meta() {
                Ok(m) if m.is_dir() => true,
                Ok(_) => std::fs::OpenOptions::new().append(true).open(s).is_ok(),
                Err(_) => false,
            },
            U::FileExistsAndIsExecutable => match meta() {
                Ok(m) if m.is_dir() => true,
                Ok(_) => executable(s),
                Err(_) => false,
            },
            U::FileExistsAndOwnedByEffectiveUserId | U::FileExistsAndOwnedByEffectiveGroupId => meta().is_ok(),
            U::FileExistsAndModifiedSinceLastRead => false,
            U::FileExistsAndIsSetgid | U::FileExistsAndIsSetuid | U::FileExistsAndHasStickyBit => false,
            U::FdIsOpenTerminal => s.parse::<i32>().ok().and_then(|fd| wasi_ext::isatty(fd).ok()).unwrap_or(false),
            U::ShellOptionEnabled => match s {
                "errexit" => self.st.options.errexit,
                "nounset" => self.st.options.nounset,
                "xtrace" => self.st.options.xtrace,
                "pipefail" => self.st.options.pipefail,
                "noglob" => self.st.options.noglob,
                "noclobber" => self.st.options.noclobber,
                _ => false,
            },
            U::ShellVariableIsSetAndAssigned => self.is_set(s),
            U::ShellVariableIsSetAndNameRef => false,
        }
    }

    /// `-v name` / `-v name[i]`.
    fn is_set(&mut self, s: &str) -> bool {
        if let Some((name, rest)) = s.split_once('[') {
            let key = rest.trim_end_matches(']');
            return match self.st.vars.get(name).and_then(|v| v.value.clone()) {
                Some(Value::Assoc(map)) => map.contains_key(key),
                Some(Value::Indexed(map)) => self.eval_index(key).is_some_and(|i| map.contains_key(&i)),
                Some(Value::Scalar(_)) => key == "0",
                None => false,
            };
        }
        self.st.vars.get(s).is_some_and(|v| v.value.is_some())
    }

    fn eval_index(&mut self, key: &str) -> Option<i64> {
        match self.arith_status(key) {
            Ok(Ok(n)) => Some(n),
            _ => None,
        }
    }

    fn binary(&mut self, p: &BinaryPredicate, a: &str, b: &str, arith: bool) -> Result<bool, String> {
        use BinaryPredicate as B;
        let num = |sh: &mut Shell, s: &str| -> Result<i64, String> {
            if arith {
                match sh.arith_status(s) {
                    Ok(r) => r,
                    Err(_) => Err(format!("{s}: syntax error")),
                }
            } else {
                s.trim().parse::<i64>().map_err(|_| format!("{s}: integer expression expected"))
            }
        };
        Ok(match p {
            B::LeftSortsBeforeRight => a < b,
            B::LeftSortsAfterRight => a > b,
            B::ArithmeticEqualTo => num(self, a)? == num(self, b)?,
            B::ArithmeticNotEqualTo => num(self, a)? != num(self, b)?,
            B::ArithmeticLessThan => num(self, a)? < num(self, b)?,
            B::ArithmeticLessThanOrEqualTo => num(self, a)? <= num(self, b)?,
            B::ArithmeticGreaterThan => num(self, a)? > num(self, b)?,
            B::ArithmeticGreaterThanOrEqualTo => num(self, a)? >= num(self, b)?,
            B::FilesReferToSameDeviceAndInodeNumbers => match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
                (Ok(x), Ok(y)) => x == y,
                _ => false,
            },
            B::LeftFileIsNewerOrExistsWhenRightDoesNot | B::LeftFileIsOlderOrDoesNotExistWhenRightDoes => {
                let t = |f: &str| std::fs::metadata(f).and_then(|m| m.modified()).ok();
                let (x, y) = (t(a), t(b));
                if matches!(p, B::LeftFileIsNewerOrExistsWhenRightDoesNot) {
                    match (x, y) {
                        (Some(x), Some(y)) => x > y,
                        (Some(_), None) => true,
                        _ => false,
                    }
                } else {
                    match (x, y) {
                        (Some(x), Some(y)) => x < y,
                        (None, Some(_)) => true,
                        _ => false,
                    }
                }
            }
            B::StringExactlyMatchesPattern | B::StringExactlyMatchesString => a == b,
            B::StringDoesNotExactlyMatchPattern | B::StringDoesNotExactlyMatchString => a != b,
            B::StringMatchesRegex | B::StringContainsSubstring => a.contains(b),
        })
    }
}

/// Whether a file looks executable: WASI reports no mode bits, so a wasm
/// module or a `#!` script counts (see the documented differences).
pub fn executable(path: &str) -> bool {
    use std::io::Read;
    let mut head = [0u8; 4];
    match std::fs::File::open(path) {
        Ok(mut f) => f.read(&mut head).is_ok_and(|n| n >= 2 && (&head[..2] == b"#!" || head == *b"\0asm")),
        Err(_) => false,
    }
}
