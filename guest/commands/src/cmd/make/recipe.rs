//! Running a recipe: each line expanded, split into commands, echoed
//! and run through the shell with the exported variables, failures
//! reported as GNU make reports them.

use std::rc::Rc;
use std::time::SystemTime;

use super::rules::Recipe;
use super::run::{Time, mtime};
use super::{Cx, Make, Res};

impl Make {
    /// Runs (or prints, or touches) the recipe of `name`; `(ok, assumed)`
    /// where `assumed` means nothing ran that could have made the file
    /// (`-n`, `-t`, `-q`), so it counts as new.
    pub fn execute(
        &mut self,
        name: &str,
        recipe: &Rc<Recipe>,
        cx: &Cx,
        before: Time,
        phony: bool,
    ) -> Res<(bool, bool)> {
        let silent = self.opts.silent || self.db.all(".SILENT") || self.db.is(".SILENT", name);
        let ignore = self.opts.ignore_errors || self.db.all(".IGNORE") || self.db.is(".IGNORE", name);
        let pretend = self.opts.just_print || self.opts.touch || self.opts.question;
        let mut all_recursive = true;
        for (index, raw) in recipe.lines.iter().enumerate() {
            let line = recipe.line + index;
            self.loc = (recipe.line > 0).then(|| super::Loc { file: recipe.file.clone(), line });
            let (line_flags, _) = prefix(raw);
            let recursive = line_flags.recurse || raw.contains("$(MAKE)") || raw.contains("${MAKE}");
            let text = self.expand(raw, cx)?;
            let commands: Vec<String> = if self.db.given(".ONESHELL") && index == 0 {
                vec![oneshell(&text, &recipe.lines[1..], self, cx)?]
            } else {
                split_commands(&text)
            };
            for command in &commands {
                let (flags, body) = prefix(command);
                if body.trim_matches(super::text::is_space).is_empty() {
                    continue;
                }
                let recurse = flags.recurse || line_flags.recurse || recursive;
                all_recursive &= recurse;
                if pretend && !recurse {
                    if self.opts.question {
                        self.build.out_of_date = true;
                        return Ok((true, true));
                    }
                    if self.opts.just_print {
                        println!("{body}");
                        self.build.started += 1;
                    }
                    continue;
                }
                if self.opts.just_print || !(silent || flags.silent || line_flags.silent) {
                    println!("{body}");
                }
                self.build.started += 1;
                let status = self.run_shell(body, cx)?;
                if status != Status::Code(0) {
                    let at = match (recipe.line, &self.loc) {
                        (0, _) | (_, None) => format!("<builtin>: {name}"),
                        (_, Some(loc)) => format!("{loc}: {name}"),
                    };
                    let what = status.describe();
                    crate::util::flush_stdout();
                    if ignore || flags.ignore || line_flags.ignore {
                        eprintln!("{}: [{at}] {what} (ignored)", self.prog);
                        continue;
                    }
                    eprintln!("{}: *** [{at}] {what}", self.prog);
                    let precious = self.db.is(".PRECIOUS", name) || self.db.is(".SECONDARY", name);
                    let now = mtime(name);
                    if self.db.given(".DELETE_ON_ERROR") && !phony && !precious && now != Time::Missing && now != before
                    {
                        eprintln!("{}: *** Deleting file '{name}'", self.prog);
                        let _ = std::fs::remove_file(name);
                    }
                    return Ok((false, false));
                }
            }
            if self.db.given(".ONESHELL") {
                break;
            }
        }
        if self.opts.touch && !all_recursive && !phony {
            if !self.opts.silent {
                println!("touch {name}");
            }
            self.build.started += 1;
            let file = std::fs::OpenOptions::new().create(true).append(true).open(name);
            if let Err(err) = file.and_then(|f| f.set_modified(SystemTime::now())) {
                eprintln!("{}: *** touch: {name}: {}", self.prog, crate::util::errmsg(&err));
                return Ok((false, false));
            }
            return Ok((true, false));
        }
        Ok((true, pretend && !all_recursive))
    }

    /// Runs one command through the shell; returns how it ended.
    fn run_shell(&mut self, command: &str, cx: &Cx) -> Res<Status> {
        let mut cmd = self.shell_command(cx)?;
        let shell = cmd.get_program().to_string_lossy().into_owned();
        let env = self.child_env(cx)?;
        crate::util::flush_stdout();
        match cmd.arg(command).env_clear().envs(env).status() {
            Ok(status) => Ok(match (status.code(), status.signal()) {
                (Some(code), _) => Status::Code(code),
                (None, Some(signal)) => Status::Signal(signal),
                (None, None) => Status::Code(1),
            }),
            Err(err) => {
                eprintln!("{}: {shell}: {}", self.prog, crate::util::errmsg(&err));
                Ok(Status::Code(127))
            }
        }
    }

    /// The environment of a recipe: exported variables (expanded, except
    /// those from the environment, which go back unchanged), `MAKEFLAGS`,
    /// `MFLAGS` and `MAKELEVEL` for sub-makes.
    fn child_env(&mut self, cx: &Cx) -> Res<Vec<(String, String)>> {
        use super::vars::{Export, Flavor, Origin};
        let mut all = self.vars.clone();
        for layer in &cx.layers {
            all.extend(layer.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        let mut env = Vec::new();
        for (name, var) in &all {
            if !super::vars::exportable(name) || matches!(name.as_str(), "MAKEFLAGS" | "MFLAGS" | "MAKELEVEL") {
                continue;
            }
            let export = match var.export {
                Export::Yes => true,
                Export::No => false,
                Export::Default => match var.origin {
                    Origin::Environment | Origin::EnvOverride | Origin::CommandLine => true,
                    Origin::Default | Origin::Automatic => false,
                    Origin::File | Origin::Override => self.db.export_all && name != "SHELL",
                },
            };
            if !export {
                continue;
            }
            let from_env = matches!(var.origin, Origin::Environment | Origin::EnvOverride);
            let value = if var.flavor == Flavor::Recursive && !from_env {
                self.expand_var(name, cx)?
            } else {
                var.value.clone()
            };
            env.push((name.clone(), value));
        }
        if !env.iter().any(|(n, _)| n == "SHELL")
            && let Some(shell) = &self.env_shell
        {
            env.push(("SHELL".into(), shell.clone()));
        }
        env.push(("MAKEFLAGS".into(), self.opts.makeflags(true)));
        env.push(("MFLAGS".into(), self.opts.mflags()));
        env.push(("MAKELEVEL".into(), (self.level + 1).to_string()));
        Ok(env)
    }
}

/// A recipe line's `@`, `-` and `+` prefixes.
#[derive(Clone, Copy, Default)]
struct Flags {
    silent: bool,
    ignore: bool,
    recurse: bool,
}

/// The prefixes at the start of `command` and the command after them.
fn prefix(command: &str) -> (Flags, &str) {
    let mut flags = Flags::default();
    for (at, c) in command.char_indices() {
        match c {
            '@' => flags.silent = true,
            '-' => flags.ignore = true,
            '+' => flags.recurse = true,
            ' ' | '\t' => {}
            _ => return (flags, &command[at..]),
        }
    }
    (flags, "")
}

/// An expanded recipe line split at newlines that no backslash escapes
/// (a multi-line variable gives several commands).
fn split_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'\n') {
            current.push('\\');
            current.push('\n');
            chars.next();
        } else if c == '\n' {
            out.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    out.push(current);
    out
}

/// Under `.ONESHELL`, the whole recipe as one script: the first line as
/// given (its prefixes apply to all), the others expanded and without
/// their own prefixes.
fn oneshell(first: &str, rest: &[String], make: &mut Make, cx: &Cx) -> Res<String> {
    let mut script = first.to_string();
    for line in rest {
        let text = make.expand(line, cx)?;
        script.push('\n');
        script.push_str(prefix(&text).1);
    }
    Ok(script)
}

/// How a command ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it.
    Signal(i32),
}

impl Status {
    /// How GNU make describes a failure: `Error N`, or the signal as
    /// `strsignal` names it.
    fn describe(self) -> String {
        match self {
            Status::Code(code) => format!("Error {code}"),
            Status::Signal(signal) => match signal {
                1 => "Hangup".into(),
                2 => "Interrupt".into(),
                3 => "Quit".into(),
                6 => "Aborted".into(),
                9 => "Killed".into(),
                11 => "Segmentation fault".into(),
                13 => "Broken pipe".into(),
                15 => "Terminated".into(),
                _ => format!("Signal {signal}"),
            },
        }
    }
}
