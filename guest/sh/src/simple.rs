//! Simple commands: expansion of words and assignments, redirections, and
//! the lookup order builtins → functions → `PATH`.
//!
//! Builtins and functions run in this process with the command's
//! redirections applied around them; external commands are spawned with the
//! shell's (redirected) stdio and waited for.

use brush_parser::ast::{self, CommandPrefixOrSuffixItem as Item, IoRedirect};

use crate::builtins;
use crate::shell::{Flow, MAX_DEPTH, Res, Shell};

/// Builtins whose `name=value` arguments are assignments, not words.
const DECLARATIONS: &[&str] = &["declare", "typeset", "local", "export", "readonly"];

/// A simple command taken apart.
struct Parts<'a> {
    assigns: Vec<&'a ast::Assignment>,
    redirs: Vec<&'a IoRedirect>,
    words: Vec<(&'a ast::Word, Option<&'a ast::Assignment>)>,
    /// Process substitutions (`<(…)`, `>(…)`), each with the index in
    /// `words` its `/dev/fd/N` word goes before.
    subs: Vec<(usize, &'a ast::ProcessSubstitutionKind, &'a ast::SubshellCommand)>,
}

fn parts(cmd: &ast::SimpleCommand) -> Result<Parts<'_>, String> {
    let mut p = Parts { assigns: Vec::new(), redirs: Vec::new(), words: Vec::new(), subs: Vec::new() };
    for item in cmd.prefix.iter().flat_map(|x| x.0.iter()) {
        match item {
            Item::IoRedirect(r) => p.redirs.push(r),
            Item::AssignmentWord(a, _) => p.assigns.push(a),
            Item::Word(w) => p.words.push((w, None)),
            Item::ProcessSubstitution(kind, body) => p.subs.push((p.words.len(), kind, body)),
        }
    }
    if let Some(w) = &cmd.word_or_name {
        p.words.push((w, None));
    }
    for item in cmd.suffix.iter().flat_map(|x| x.0.iter()) {
        match item {
            Item::IoRedirect(r) => p.redirs.push(r),
            Item::AssignmentWord(a, w) => p.words.push((w, Some(a))),
            Item::Word(w) => p.words.push((w, None)),
            Item::ProcessSubstitution(kind, body) => p.subs.push((p.words.len(), kind, body)),
        }
    }
    Ok(p)
}

/// Whether a word is plain literal text (no quoting or expansion).
fn literal(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| !"$`'\"\\*?[{~".contains(c))
}

impl Shell {
    /// Runs any command in this process.
    ///
    /// # Errors
    /// Control flow, as [`Flow`].
    pub fn run_command(&mut self, cmd: &ast::Command) -> Res {
        match cmd {
            ast::Command::Simple(s) => self.run_simple(s),
            ast::Command::Compound(c, redirs) => {
                let redirs: Vec<&IoRedirect> = redirs.iter().flat_map(|r| r.0.iter()).collect();
                self.with_redirects(&redirs, |sh| sh.run_compound(c))
            }
            ast::Command::Function(f) => {
                self.st.functions.insert(f.fname.value.clone(), f.clone());
                Ok(0)
            }
            ast::Command::ExtendedTest(e, redirs) => {
                let redirs: Vec<&IoRedirect> = redirs.iter().flat_map(|r| r.0.iter()).collect();
                self.with_redirects(&redirs, |sh| {
                    if sh.st.options.xtrace {
                        crate::sysio::write_fd(2, format!("+ [[ {} ]]\n", e.expr).as_bytes());
                    }
                    sh.extended_test(&e.expr)
                })
            }
        }
    }

    /// Runs `f` with redirections applied, then undoes them.
    ///
    /// # Errors
    /// Whatever `f` returns.
    pub fn with_redirects(&mut self, redirs: &[&IoRedirect], f: impl FnOnce(&mut Shell) -> Res) -> Res {
        if redirs.is_empty() {
            let r = f(self);
            self.exec_redirects_permanent = false;
            return r;
        }
        let saved = match self.redirect(redirs, false)? {
            Ok(saved) => saved,
            Err(_) => return Ok(1),
        };
        let result = f(self);
        if std::mem::take(&mut self.exec_redirects_permanent) {
            drop(saved);
        } else {
            self.restore(saved);
        }
        result
    }

    /// A simple command with process substitutions: each starts, its item
    /// becomes the word `/dev/fd/N`, the command runs, and then each ends
    /// (src/procsub.rs).
    fn run_with_substitutions(&mut self, cmd: &ast::SimpleCommand, p: Parts<'_>) -> Res {
        let mut started = Vec::new();
        let mut paths = Vec::new();
        for (_, kind, body) in &p.subs {
            match self.substitute(kind, body) {
                Ok((path, sub)) => {
                    paths.push(path);
                    started.push(sub);
                }
                Err(msg) => {
                    self.error(msg);
                    self.finish_substitutions(started);
                    return Ok(1);
                }
            }
        }
        let mut paths = paths.into_iter();
        let mut replace = |items: &Option<Vec<Item>>| -> Option<Vec<Item>> {
            items.as_ref().map(|items| {
                items
                    .iter()
                    .map(|item| match item {
                        Item::ProcessSubstitution(..) => Item::Word(ast::Word::from(paths.next().unwrap_or_default())),
                        other => other.clone(),
                    })
                    .collect()
            })
        };
        let prefix = replace(&cmd.prefix.as_ref().map(|x| x.0.clone())).map(ast::CommandPrefix);
        let suffix = replace(&cmd.suffix.as_ref().map(|x| x.0.clone())).map(ast::CommandSuffix);
        let plain = ast::SimpleCommand { prefix, suffix, ..cmd.clone() };
        let outer = std::mem::replace(&mut self.substitution_fds, started.iter().map(|sub| sub.fd).collect());
        let result = self.run_simple(&plain);
        self.substitution_fds = outer;
        self.finish_substitutions(started);
        result
    }

    fn run_simple(&mut self, cmd: &ast::SimpleCommand) -> Res {
        let p = match parts(cmd) {
            Ok(p) => p,
            Err(msg) => {
                self.error(msg);
                return Ok(1);
            }
        };
        if !p.subs.is_empty() {
            return self.run_with_substitutions(cmd, p);
        }
        let decl = p.words.first().is_some_and(|(w, _)| DECLARATIONS.contains(&w.value.as_str()));
        let mut argv = Vec::new();
        let mut arrays = Vec::new();
        self.last_subst = None;
        for (word, assign) in &p.words {
            match assign {
                Some(a) if decl => match &a.value {
                    ast::AssignmentValue::Array(_) => {
                        argv.push(assign_name(a));
                        arrays.push(*a);
                    }
                    ast::AssignmentValue::Scalar(v) => {
                        let value = self.expand_string(&v.value)?;
                        argv.push(format!("{}{}={value}", assign_name(a), if a.append { "+" } else { "" }));
                    }
                },
                _ => argv.extend(self.expand_words([word.value.as_str()])?),
            }
        }

        if argv.is_empty() {
            for a in &p.assigns {
                if self.assign(a, false)?.is_err() {
                    // bash ends a non-interactive shell that assigns to a
                    // readonly variable.
                    let name = assign_name(a);
                    let base = name.split('[').next().unwrap_or(&name);
                    return if self.st.vars.is_readonly(base) { Err(Flow::Exit(1)) } else { Ok(1) };
                }
            }
            self.trace_assigns(&p.assigns);
            let status = self.last_subst.unwrap_or(0);
            return self.with_redirects(&p.redirs, |_| Ok(status));
        }

        // Temporary assignments: for external commands only in their
        // environment; for builtins and functions in a scope of their own.
        let mut env = Vec::new();
        let external = !builtins::is_builtin(&argv[0]) && !self.st.functions.contains_key(&argv[0]);
        if !p.assigns.is_empty() {
            if external {
                for a in &p.assigns {
                    if let ast::AssignmentValue::Scalar(v) = &a.value {
                        env.push((assign_name(a), self.expand_string(&v.value)?));
                    }
                }
            } else {
                self.st.vars.push_scope();
                for a in &p.assigns {
                    if self.assign(a, true)?.is_err() {
                        self.st.vars.pop_scope();
                        return Ok(1);
                    }
                }
            }
        }
        if self.st.options.xtrace {
            self.trace_assigns(&p.assigns);
            let line: Vec<String> = argv.iter().map(|a| builtins::quote_if_needed(a)).collect();
            crate::sysio::write_fd(2, format!("+ {}\n", line.join(" ")).as_bytes());
        }

        // `$_`: the last argument of the previous simple command.
        if let Some(last) = argv.last() {
            let _ = self.st.vars.set("_", last.clone());
        }
        let result = if external {
            let mut fds: Vec<i32> = fd_numbers(&p.redirs);
            fds.extend(self.substitution_fds.iter().copied());
            self.with_redirects(&p.redirs, |sh| {
                Ok(match sh.spawn_external(&argv, &env, &fds) {
                    Ok(pid) => sh.wait_pid(pid),
                    Err(status) => status,
                })
            })
        } else {
            let r = self.with_redirects(&p.redirs, |sh| sh.run_builtin_or_function(&argv));
            if r.is_ok() {
                for a in &arrays {
                    if self.assign(a, false)?.is_err() {
                        return Ok(1);
                    }
                }
            }
            r
        };
        if !external && !p.assigns.is_empty() {
            self.st.vars.pop_scope();
        }
        result
    }

    /// Runs a function if one has this name, else the builtin.
    ///
    /// # Errors
    /// Control flow, as [`Flow`].
    pub fn run_builtin_or_function(&mut self, argv: &[String]) -> Res {
        if let Some(f) = self.st.functions.get(&argv[0]).cloned() {
            return self.call_function(&f, argv);
        }
        builtins::run(self, argv)
    }

    /// Calls a function with `argv[1..]` as its positional parameters.
    ///
    /// # Errors
    /// `exit` and loop control leaving it; `return` is caught here.
    pub fn call_function(&mut self, f: &ast::FunctionDefinition, argv: &[String]) -> Res {
        if self.depth >= MAX_DEPTH {
            self.error(format!("{}: maximum function nesting level exceeded ({MAX_DEPTH})", argv[0]));
            return Err(Flow::Exit(1));
        }
        let saved_args = std::mem::replace(&mut self.st.positional, argv[1..].to_vec());
        let saved_loops = std::mem::take(&mut self.st.loop_depth);
        self.st.vars.push_scope();
        self.st.func_depth += 1;
        self.depth += 1;
        self.st.funcnames.insert(0, argv[0].clone());
        self.local_options.push(None);
        let body = &f.body;
        let redirs: Vec<&IoRedirect> = body.1.iter().flat_map(|r| r.0.iter()).collect();
        let result = self.with_redirects(&redirs, |sh| sh.run_compound(&body.0));
        self.st.funcnames.remove(0);
        // `local -`: the `set` options come back; `shopt`'s stay as they are.
        if let Some(Some(mut saved)) = self.local_options.pop() {
            saved.shopt = std::mem::take(&mut self.st.options.shopt);
            saved.shopt_off = std::mem::take(&mut self.st.options.shopt_off);
            self.st.options = saved;
        }
        self.depth -= 1;
        self.st.func_depth -= 1;
        self.st.vars.pop_scope();
        self.st.loop_depth = saved_loops;
        self.st.positional = saved_args;
        match result {
            Err(Flow::Return(status)) => Ok(status),
            other => other,
        }
    }

    /// For a pipeline element that is plainly an external command: spawns
    /// it directly (its words expanded here) instead of through a child
    /// shell. `None` if it is anything else.
    pub fn external_plan(&mut self, cmd: &ast::SimpleCommand) -> Option<Result<u32, i32>> {
        let name = cmd.word_or_name.as_ref()?;
        if !literal(&name.value)
            || builtins::is_builtin(&name.value)
            || self.st.functions.contains_key(&name.value)
            || cmd.prefix.is_some()
        {
            return None;
        }
        let p = parts(cmd).ok().filter(|p| p.subs.is_empty())?;
        let mut argv = Vec::new();
        for (word, _) in &p.words {
            match self.expand_words([word.value.as_str()]) {
                Ok(words) => argv.extend(words),
                Err(Flow::Exit(status)) => return Some(Err(status)),
                Err(_) => return Some(Err(1)),
            }
        }
        if self.st.options.xtrace {
            let line: Vec<String> = argv.iter().map(|a| builtins::quote_if_needed(a)).collect();
            crate::sysio::write_fd(2, format!("+ {}\n", line.join(" ")).as_bytes());
        }
        let fds = fd_numbers(&p.redirs);
        let saved = match self.redirect(&p.redirs, false) {
            Ok(Ok(saved)) => saved,
            _ => return Some(Err(1)),
        };
        let r = self.spawn_external(&argv, &[], &fds);
        self.restore(saved);
        Some(r)
    }

    fn trace_assigns(&self, assigns: &[&ast::Assignment]) {
        if self.st.options.xtrace {
            for a in assigns {
                let value = match &a.name {
                    ast::AssignmentName::VariableName(n) => self.var(n),
                    ast::AssignmentName::ArrayElementName(..) => String::new(),
                };
                crate::sysio::write_fd(
                    2,
                    format!("+ {}={}\n", assign_name(a), builtins::quote_if_needed(&value)).as_bytes(),
                );
            }
        }
    }
}

/// `name` or `name[index]` of an assignment.
pub fn assign_name(a: &ast::Assignment) -> String {
    match &a.name {
        ast::AssignmentName::VariableName(n) => n.clone(),
        ast::AssignmentName::ArrayElementName(n, i) => format!("{n}[{i}]"),
    }
}

/// Shell fds ≥ 3 a command's own redirections set (passed to the child at
/// their own numbers).
fn fd_numbers(redirs: &[&IoRedirect]) -> Vec<i32> {
    redirs
        .iter()
        .filter_map(|r| match r {
            IoRedirect::File(Some(fd), ..)
            | IoRedirect::HereDocument(Some(fd), _)
            | IoRedirect::HereString(Some(fd), _) => Some(*fd),
            _ => None,
        })
        .filter(|&fd| fd >= 3)
        .collect()
}
