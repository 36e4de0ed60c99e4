//! Conditional expressions: `test` / `[` (brush-parser parses the argument
//! list) and `[[ ]]` (parsed with the program; operands are expanded here
//! without splitting or globbing, the right side of `==` as a pattern).
//! File tests read types, modes, owners and times from capsa's `host_fs`
//! (`wasi_ext::fs`): `-r -w -x` compare the mode bits with the process's
//! uid and gid as the kernel does, `-O -G -u -g -k -p -S -b -c` are exact.

use brush_parser::ast::{BinaryPredicate, ExtendedTestExpr, TestExpr, UnaryPredicate};
use wasi_ext::fs as xfs;

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
        // Modes, owners and types from capsa's `host_fs` (preview1's
        // filestat has no mode, owner or group): a final symlink followed.
        let st = || xfs::stat(s).ok();
        let kind = |bits: u32| st().is_some_and(|st| st.file_type() == bits);
        let mode_bit = |bit: u32| st().is_some_and(|st| st.mode & bit != 0);
        match p {
            U::StringHasZeroLength => s.is_empty(),
            U::StringHasNonZeroLength => !s.is_empty(),
            U::FileExists => st().is_some(),
            U::FileExistsAndIsDir => st().is_some_and(|st| st.is_dir()),
            U::FileExistsAndIsRegularFile => st().is_some_and(|st| st.is_file()),
            U::FileExistsAndIsSymlink => xfs::lstat(s).is_ok_and(|st| st.is_symlink()),
            U::FileExistsAndIsNotZeroLength => st().is_some_and(|st| st.size > 0),
            U::FileExistsAndIsCharSpecialFile => kind(xfs::S_IFCHR),
            U::FileExistsAndIsBlockSpecialFile => kind(xfs::S_IFBLK),
            U::FileExistsAndIsFifo => kind(xfs::S_IFIFO),
            U::FileExistsAndIsSocket => kind(xfs::S_IFSOCK),
            // The kernel's rule: the owner's, group's or others' bits by who
            // the process is; root reads and writes anything.
            U::FileExistsAndIsReadable => xfs::access(s, xfs::R_OK).unwrap_or(false),
            U::FileExistsAndIsWritable => xfs::access(s, xfs::W_OK).unwrap_or(false),
            U::FileExistsAndIsExecutable => xfs::access(s, xfs::X_OK).unwrap_or(false),
            U::FileExistsAndOwnedByEffectiveUserId => {
                st().is_some_and(|st| wasi_ext::geteuid().is_ok_and(|uid| uid == st.uid))
            }
            U::FileExistsAndOwnedByEffectiveGroupId => {
                st().is_some_and(|st| wasi_ext::getegid().is_ok_and(|gid| gid == st.gid))
            }
            U::FileExistsAndModifiedSinceLastRead => st().is_some_and(|st| st.mtime > st.atime),
            U::FileExistsAndIsSetgid => mode_bit(xfs::S_ISGID),
            U::FileExistsAndIsSetuid => mode_bit(xfs::S_ISUID),
            U::FileExistsAndHasStickyBit => mode_bit(xfs::S_ISVTX),
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
            B::FilesReferToSameDeviceAndInodeNumbers => match (xfs::stat(a), xfs::stat(b)) {
                (Ok(x), Ok(y)) => (x.dev, x.ino) == (y.dev, y.ino),
                _ => false,
            },
            B::LeftFileIsNewerOrExistsWhenRightDoesNot | B::LeftFileIsOlderOrDoesNotExistWhenRightDoes => {
                let t = |f: &str| xfs::stat(f).ok().map(|st| st.mtime);
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

/// Whether the shell may execute `path`: by its mode bits, owner and group
/// (`host_fs`), as the kernel decides when it spawns it.
pub fn executable(path: &str) -> bool {
    xfs::access(path, xfs::X_OK).unwrap_or(false)
}
