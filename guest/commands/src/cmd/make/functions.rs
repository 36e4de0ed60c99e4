//! The built-in functions (`$(patsubst …)`, `$(foreach …)`, `$(shell …)`, …).

use std::io::{Read, Write};
use std::path::Path;
use std::rc::Rc;

use super::text::{self, Pattern, words};
use super::vars::{Flavor, Origin, Table, Var};
use super::{Cx, Make, Res};

/// Most bytes `$(shell)` and `$(file <)` take in: a makefile that reads
/// more than this into a variable is broken, and the guest's memory small.
const MAX_CAPTURE: u64 = 64 << 20;

/// (name, fewest arguments, most arguments (0: no limit), whether the
/// arguments are expanded before the call).
const FUNCTIONS: &[(&str, usize, usize, bool)] = &[
    ("abspath", 0, 1, true),
    ("addprefix", 2, 2, true),
    ("addsuffix", 2, 2, true),
    ("and", 1, 0, false),
    ("basename", 0, 1, true),
    ("call", 1, 0, true),
    ("dir", 0, 1, true),
    ("error", 0, 1, true),
    ("eval", 0, 1, true),
    ("file", 1, 2, true),
    ("filter", 2, 2, true),
    ("filter-out", 2, 2, true),
    ("findstring", 2, 2, true),
    ("firstword", 0, 1, true),
    ("flavor", 0, 1, true),
    ("foreach", 3, 3, false),
    ("guile", 0, 1, false),
    ("if", 2, 3, false),
    ("info", 0, 1, true),
    ("join", 2, 2, true),
    ("lastword", 0, 1, true),
    ("notdir", 0, 1, true),
    ("or", 1, 0, false),
    ("origin", 0, 1, true),
    ("patsubst", 3, 3, true),
    ("realpath", 0, 1, true),
    ("shell", 0, 1, true),
    ("sort", 0, 1, true),
    ("strip", 0, 1, true),
    ("subst", 3, 3, true),
    ("suffix", 0, 1, true),
    ("value", 0, 1, true),
    ("warning", 0, 1, true),
    ("wildcard", 0, 1, true),
    ("word", 2, 2, true),
    ("wordlist", 3, 3, true),
    ("words", 0, 1, true),
];

/// Splits a call's arguments at the commas outside nested `open`…`close`,
/// into at most `max` (the last takes the rest, commas and all).
fn split_args(args: &str, open: u8, max: usize) -> Vec<&str> {
    let close = if open == b'(' { b')' } else { b'}' };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, b) in args.bytes().enumerate() {
        if b == open {
            depth += 1;
        } else if b == close {
            depth = depth.saturating_sub(1);
        } else if b == b',' && depth == 0 && (max == 0 || out.len() + 1 < max) {
            out.push(&args[start..i]);
            start = i + 1;
        }
    }
    out.push(&args[start..]);
    out
}

/// Maps each word of `text` through `f`, joining the results with spaces.
fn each_word(text: &str, f: impl Fn(&str) -> String) -> String {
    words(text).map(f).collect::<Vec<_>>().join(" ")
}

impl Make {
    /// Calls function `name` if there is one; `Ok(false)` if `name` is not
    /// a function (the reference is then a variable's, as in GNU make).
    pub fn function(&mut self, name: &str, args: &str, open: u8, cx: &Cx, out: &mut String) -> Res<bool> {
        let Some(&(_, min, max, expand)) = FUNCTIONS.iter().find(|f| f.0 == name) else {
            return Ok(false);
        };
        let raw = split_args(args, open, max);
        let given = if args.is_empty() && max == 1 { 0 } else { raw.len() };
        if given < min {
            return Err(self.fatal(&format!("insufficient number of arguments ({given}) to function '{name}'")));
        }
        let mut a: Vec<String> = Vec::with_capacity(raw.len());
        if expand {
            for arg in &raw {
                a.push(self.expand(arg, cx)?);
            }
        }
        let arg = |i: usize| a.get(i).map(String::as_str).unwrap_or("");
        let result = match name {
            "subst" => {
                if arg(0).is_empty() {
                    format!("{}{}", arg(2), arg(1))
                } else {
                    arg(2).replace(arg(0), arg(1))
                }
            }
            "patsubst" => text::patsubst(arg(0), arg(1), arg(2)),
            "strip" => text::strip(arg(0)),
            "findstring" => {
                if arg(1).contains(arg(0)) {
                    arg(0).to_string()
                } else {
                    String::new()
                }
            }
            "filter" | "filter-out" => {
                let patterns: Vec<Pattern> = words(arg(0)).map(Pattern::new).collect();
                let keep = name == "filter";
                words(arg(1))
                    .filter(|w| patterns.iter().any(|p| p.matches(w).is_some()) == keep)
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            "sort" => {
                let mut list: Vec<&str> = words(arg(0)).collect();
                list.sort_unstable();
                list.dedup();
                list.join(" ")
            }
            "word" => {
                let n = self.number(arg(0), "first", "word")?;
                if n == 0 {
                    return Err(self.fatal("first argument to 'word' function must be greater than 0"));
                }
                words(arg(1)).nth(n - 1).unwrap_or("").to_string()
            }
            "wordlist" => {
                let start = self.number(arg(0), "first", "wordlist")?;
                if start == 0 {
                    return Err(self.fatal(&format!("invalid first argument to 'wordlist' function: '{}'", arg(0))));
                }
                let end = self.number(arg(1), "second", "wordlist")?;
                wordlist(arg(2), start, end).to_string()
            }
            "words" => words(arg(0)).count().to_string(),
            "firstword" => words(arg(0)).next().unwrap_or("").to_string(),
            "lastword" => words(arg(0)).last().unwrap_or("").to_string(),
            "dir" => each_word(arg(0), |w| text::dir(w).to_string()),
            "notdir" => each_word(arg(0), |w| text::notdir(w).to_string()),
            "suffix" => words(arg(0)).filter_map(text::suffix).collect::<Vec<_>>().join(" "),
            "basename" => each_word(arg(0), |w| match text::suffix(w) {
                Some(s) => w[..w.len() - s.len()].to_string(),
                None => w.to_string(),
            }),
            "addsuffix" => each_word(arg(1), |w| format!("{w}{}", arg(0))),
            "addprefix" => each_word(arg(1), |w| format!("{}{w}", arg(0))),
            "join" => {
                let (x, y): (Vec<&str>, Vec<&str>) = (words(arg(0)).collect(), words(arg(1)).collect());
                (0..x.len().max(y.len()))
                    .map(|i| format!("{}{}", x.get(i).unwrap_or(&""), y.get(i).unwrap_or(&"")))
                    .collect::<Vec<_>>()
                    .join(" ")
            }
            "wildcard" => words(arg(0)).flat_map(text::glob).collect::<Vec<_>>().join(" "),
            "realpath" => words(arg(0)).filter_map(realpath).collect::<Vec<_>>().join(" "),
            "abspath" => {
                let cwd = self.vars.get("CURDIR").map(|v| v.value.clone()).unwrap_or_default();
                each_word(arg(0), |w| abspath(&cwd, w))
            }
            "if" => {
                let cond = self.expand(raw[0], cx)?;
                if !text::strip(&cond).is_empty() {
                    self.expand(raw[1], cx)?
                } else if let Some(other) = raw.get(2) {
                    self.expand(other, cx)?
                } else {
                    String::new()
                }
            }
            "or" | "and" => {
                let mut last = String::new();
                for part in &raw {
                    last = self.expand(part, cx)?;
                    let empty = text::strip(&last).is_empty();
                    if name == "or" && !empty {
                        break;
                    }
                    if name == "and" && empty {
                        last.clear();
                        break;
                    }
                }
                if name == "or" && text::strip(&last).is_empty() { String::new() } else { last }
            }
            "foreach" => {
                let var = text::strip(&self.expand(raw[0], cx)?);
                let list = self.expand(raw[1], cx)?;
                let mut parts = Vec::new();
                for word in words(&list) {
                    let mut layer = Table::new();
                    layer.insert(var.clone(), Var::new(word, Flavor::Simple, Origin::Automatic));
                    parts.push(self.expand(raw[2], &cx.with(layer))?);
                }
                parts.join(" ")
            }
            "call" => self.call(&a, cx)?,
            "value" => match self.lookup(arg(0), cx) {
                Some(var) => var.value,
                None => String::new(),
            },
            "eval" => {
                let (file, line) = self.loc.as_ref().map_or((Rc::from("--eval"), 1), |l| (l.file.clone(), l.line));
                let saved = self.loc.clone();
                self.read_text(arg(0), file, line)?;
                self.loc = saved;
                String::new()
            }
            "origin" => self.origin(arg(0), cx).to_string(),
            "flavor" => match self.lookup(arg(0), cx) {
                Some(var) if var.flavor == Flavor::Simple => "simple".to_string(),
                Some(_) => "recursive".to_string(),
                None if Make::is_automatic(cx, arg(0)) => "simple".to_string(),
                None => "undefined".to_string(),
            },
            "shell" => self.shell_output(arg(0), cx)?,
            "file" => self.file_function(arg(0), a.get(1).map(String::as_str))?,
            "error" => return Err(self.fatal(arg(0))),
            "warning" => {
                self.warn(arg(0));
                String::new()
            }
            "info" => {
                println!("{}", arg(0));
                String::new()
            }
            _ => return Err(self.fatal(&format!("the '{name}' function is not supported by capsa's make"))),
        };
        out.push_str(&result);
        Ok(true)
    }

    /// A function's numeric argument.
    fn number(&self, text: &str, which: &str, function: &str) -> Res<usize> {
        let trimmed = text::strip(text);
        trimmed
            .parse::<usize>()
            .map_err(|_| self.fatal(&format!("non-numeric {which} argument to '{function}' function: '{trimmed}'")))
    }

    /// `$(call VAR,ARG…)`: `VAR`'s value expanded with `$(0)` = `VAR` and
    /// `$(1)`… the arguments (deeper arguments of an enclosing call hidden).
    fn call(&mut self, args: &[String], cx: &Cx) -> Res<String> {
        let name = text::strip(&args[0]);
        let Some(var) = self.lookup(&name, cx) else { return Ok(String::new()) };
        let mut layer = Table::new();
        for (i, value) in args.iter().enumerate() {
            let value = if i == 0 { name.clone() } else { value.clone() };
            layer.insert(i.to_string(), Var::new(value, Flavor::Simple, Origin::Automatic));
        }
        for i in args.len()..=self.call_args {
            layer.insert(i.to_string(), Var::new("", Flavor::Simple, Origin::Automatic));
        }
        let saved = self.call_args;
        self.call_args = self.call_args.max(args.len().saturating_sub(1));
        // A recursive `$(call)` of the same variable is allowed (GNU's
        // reverse and map idioms), so the value is expanded directly rather
        // than through the self-reference check.
        let result = match var.flavor {
            Flavor::Simple => Ok(var.value),
            Flavor::Recursive => self.expand(&var.value, &cx.with(layer)),
        };
        self.call_args = saved;
        result
    }

    /// `$(shell CMD)`: CMD's output with trailing newlines removed and the
    /// others turned into spaces; sets `.SHELLSTATUS`.
    pub fn shell_output(&mut self, command: &str, cx: &Cx) -> Res<String> {
        let mut cmd = self.shell_command(cx)?;
        let shell = cmd.get_program().to_string_lossy().into_owned();
        crate::util::flush_stdout();
        let child = cmd.arg(command).stdout(wasi_ext::Stdio::piped()).spawn();
        let (output, status) = match child {
            Ok(mut child) => {
                let mut output = Vec::new();
                if let Some(stdout) = child.stdout.take() {
                    let _ = stdout.take(MAX_CAPTURE).read_to_end(&mut output);
                }
                let status = child.wait().map(crate::util::child_code).unwrap_or(127);
                (output, status)
            }
            Err(err) => {
                self.warn(&format!("{shell}: {}", crate::util::errmsg(&err)));
                (Vec::new(), 127)
            }
        };
        self.vars.insert(".SHELLSTATUS".into(), Var::new(status.to_string(), Flavor::Simple, Origin::Override));
        let text = String::from_utf8_lossy(&output);
        let text = text.trim_end_matches('\n').replace("\r\n", " ");
        Ok(text.replace('\n', " "))
    }

    /// `$(SHELL) $(.SHELLFLAGS)` as a command to add the line to: both are
    /// split into words, as GNU make does (`.SHELLFLAGS = -eu -o pipefail
    /// -c` is a common idiom).
    pub fn shell_command(&mut self, cx: &Cx) -> Res<wasi_ext::Command> {
        let shell = self.expand_var("SHELL", cx)?;
        let flags = self.expand_var(".SHELLFLAGS", cx)?;
        let mut words = words(&shell);
        let mut cmd = wasi_ext::Command::new(words.next().unwrap_or("/bin/sh"));
        cmd.args(words).args(text::words(&flags));
        Ok(cmd)
    }

    /// `$(file >NAME,TEXT)`, `$(file >>NAME,TEXT)` and `$(file <NAME)`.
    fn file_function(&mut self, spec: &str, content: Option<&str>) -> Res<String> {
        let spec = spec.trim();
        let failed = |make: &Make, what: &str, name: &str, err: std::io::Error| {
            make.fatal(&format!("{what}: {name}: {}", crate::util::errmsg(&err)))
        };
        if let Some(name) = spec.strip_prefix('<') {
            let name = name.trim();
            let mut data = Vec::new();
            match std::fs::File::open(name) {
                Ok(file) => {
                    file.take(MAX_CAPTURE).read_to_end(&mut data).map_err(|e| failed(self, "read", name, e))?;
                }
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(String::new()),
                Err(err) => return Err(failed(self, "open", name, err)),
            }
            let text = String::from_utf8_lossy(&data).into_owned();
            return Ok(text.strip_suffix('\n').map(str::to_string).unwrap_or(text));
        }
        let (append, name) = match spec.strip_prefix(">>") {
            Some(name) => (true, name.trim()),
            None => match spec.strip_prefix('>') {
                Some(name) => (false, name.trim()),
                None => return Err(self.fatal(&format!("file: invalid file operation: {spec}"))),
            },
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(name)
            .map_err(|e| failed(self, "open", name, e))?;
        if let Some(content) = content {
            let mut data = content.to_string();
            if !data.ends_with('\n') {
                data.push('\n');
            }
            file.write_all(data.as_bytes()).map_err(|e| failed(self, "write", name, e))?;
        }
        Ok(String::new())
    }
}

/// Words `start` to `end` (from 1) of `text`, with the blanks between
/// them as they are (GNU make returns that stretch of the text).
fn wordlist(text: &str, start: usize, end: usize) -> &str {
    let mut spans = Vec::new();
    let mut at = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (text::is_space(c), at) {
            (true, Some(begin)) => {
                spans.push((begin, i));
                at = None;
            }
            (false, None) => at = Some(i),
            _ => {}
        }
    }
    match (spans.get(start - 1), spans.get(end.min(spans.len()).wrapping_sub(1))) {
        (Some(first), Some(last)) if end >= start => &text[first.0..last.1],
        _ => "",
    }
}

/// `$(abspath)` of one word: `cwd`-relative, `.`, `..` and `//` resolved
/// without looking at the file system.
pub fn abspath(cwd: &str, word: &str) -> String {
    let full = if word.starts_with('/') { word.to_string() } else { format!("{cwd}/{word}") };
    let mut parts: Vec<&str> = Vec::new();
    for part in full.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Most symbolic links one `$(realpath)` follows (a loop ends there).
const MAX_LINKS: usize = 40;

/// `$(realpath)` of one word: the absolute name with symbolic links
/// resolved, if the file exists. (std's `canonicalize` is not available on
/// wasip1, so links are followed by hand.)
fn realpath(word: &str) -> Option<String> {
    let cwd = std::env::current_dir().ok()?.to_string_lossy().into_owned();
    let mut pending: Vec<String> = abspath(&cwd, word).split('/').rev().map(str::to_string).collect();
    let mut parts: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        match part.as_str() {
            "" | "." => continue,
            ".." => {
                parts.pop();
                continue;
            }
            _ => {}
        }
        let path = format!("/{}", parts.iter().chain([&part]).cloned().collect::<Vec<_>>().join("/"));
        let meta = Path::new(&path).symlink_metadata().ok()?;
        if meta.file_type().is_symlink() {
            links += 1;
            if links > MAX_LINKS {
                return None;
            }
            let target = std::fs::read_link(&path).ok()?.to_string_lossy().into_owned();
            if target.starts_with('/') {
                parts.clear();
            }
            pending.extend(target.split('/').rev().map(str::to_string));
        } else {
            parts.push(part);
        }
    }
    Some(format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_at_top_level_commas() {
        assert_eq!(split_args("a,$(x,y),b", b'(', 0), vec!["a", "$(x,y)", "b"]);
        assert_eq!(split_args("a,b,c,d", b'(', 3), vec!["a", "b", "c,d"]);
        assert_eq!(abspath("/w", "a/../b/./c/"), "/w/b/c");
    }
}
