//! Compound commands: `{ }`, `( )`, `if`, `while`, `until`, both `for`s,
//! `case`, `(( ))`.

use brush_parser::ast::{self, CaseItemPostAction, CompoundCommand};

use crate::child::Job;
use crate::glob;
use crate::shell::{Flow, Res, Shell};

/// What a loop does after one pass of its body.
enum Next {
    Go,
    Stop,
}

impl Shell {
    /// Runs a compound command in this process (a subshell in a child).
    ///
    /// # Errors
    /// Control flow, as [`Flow`].
    pub fn run_compound(&mut self, c: &CompoundCommand) -> Res {
        match c {
            CompoundCommand::BraceGroup(g) => self.run_list(&g.list),
            CompoundCommand::Subshell(s) => Ok(self.run_subshell(Job::List(s.list.clone()))),
            CompoundCommand::IfClause(i) => self.run_if(i),
            CompoundCommand::WhileClause(w) => self.run_while(w, false),
            CompoundCommand::UntilClause(w) => self.run_while(w, true),
            CompoundCommand::ForClause(f) => self.run_for(f),
            CompoundCommand::ArithmeticForClause(f) => self.run_arith_for(f),
            CompoundCommand::CaseClause(c) => self.run_case(c),
            CompoundCommand::Arithmetic(a) => {
                if self.st.options.xtrace {
                    crate::sysio::write_fd(2, format!("+ (({}))\n", a.expr.value).as_bytes());
                }
                // `( ( cmd ) )` parses as `(( … ))`: like bash, take text that
                // is no arithmetic expression as two nested subshells.
                let text = self.expand_heredoc(&a.expr.value)?;
                if brush_parser::arithmetic::parse(text.trim()).is_err() && crate::parse::parse(&a.expr.value).is_ok() {
                    return Ok(self.run_subshell(Job::Source(format!("({})", a.expr.value))));
                }
                Ok(match self.arith_status(&a.expr.value)? {
                    Ok(n) => i32::from(n == 0),
                    Err(msg) => {
                        self.error(msg);
                        1
                    }
                })
            }
            CompoundCommand::Coprocess(_) => {
                self.error("coproc is not supported by capsa's sh");
                Ok(1)
            }
        }
    }

    /// Runs a list as a condition (`set -e` does not apply inside).
    fn condition(&mut self, list: &ast::CompoundList) -> Res {
        self.cond_depth += 1;
        let r = self.run_list(list);
        self.cond_depth -= 1;
        r
    }

    fn run_if(&mut self, i: &ast::IfClauseCommand) -> Res {
        if self.condition(&i.condition)? == 0 {
            return self.run_list(&i.then);
        }
        for clause in i.elses.iter().flatten() {
            match &clause.condition {
                Some(cond) => {
                    if self.condition(cond)? == 0 {
                        return self.run_list(&clause.body);
                    }
                }
                None => return self.run_list(&clause.body),
            }
        }
        Ok(0)
    }

    /// Runs one pass of a loop body, turning `break`/`continue` into
    /// [`Next`].
    fn loop_body(&mut self, body: &ast::CompoundList, status: &mut i32) -> Result<Next, Flow> {
        self.st.loop_depth += 1;
        let r = self.run_list(body);
        self.st.loop_depth -= 1;
        match r {
            Ok(s) => {
                *status = s;
                Ok(Next::Go)
            }
            Err(Flow::Break(n)) => {
                *status = 0;
                if n > 1 { Err(Flow::Break(n - 1)) } else { Ok(Next::Stop) }
            }
            Err(Flow::Continue(n)) => {
                *status = 0;
                if n > 1 { Err(Flow::Continue(n - 1)) } else { Ok(Next::Go) }
            }
            Err(other) => Err(other),
        }
    }

    fn run_while(&mut self, w: &ast::WhileOrUntilClauseCommand, until: bool) -> Res {
        let mut status = 0;
        loop {
            // `break` and `continue` in the condition act on this loop.
            self.st.loop_depth += 1;
            let c = self.condition(&w.0);
            self.st.loop_depth -= 1;
            let c = match c {
                Ok(c) => c,
                Err(Flow::Break(n)) if n > 1 => return Err(Flow::Break(n - 1)),
                Err(Flow::Break(_)) => return Ok(0),
                Err(Flow::Continue(n)) if n > 1 => return Err(Flow::Continue(n - 1)),
                Err(Flow::Continue(_)) => continue,
                Err(other) => return Err(other),
            };
            if (c == 0) == until {
                break;
            }
            if let Next::Stop = self.loop_body(&w.1.list, &mut status)? {
                break;
            }
        }
        Ok(status)
    }

    fn run_for(&mut self, f: &ast::ForClauseCommand) -> Res {
        let values = match &f.values {
            Some(words) => self.expand_words(words.iter().map(|w| w.value.as_str()))?,
            None => self.st.positional.clone(),
        };
        if self.st.options.xtrace {
            crate::sysio::write_fd(2, format!("+ for {} in {}\n", f.variable_name, values.join(" ")).as_bytes());
        }
        let mut status = 0;
        for value in values {
            if !self.set_var(&f.variable_name, value) {
                return Ok(1);
            }
            if let Next::Stop = self.loop_body(&f.body.list, &mut status)? {
                break;
            }
        }
        Ok(status)
    }

    fn run_arith_for(&mut self, f: &ast::ArithmeticForClauseCommand) -> Res {
        if let Some(init) = &f.initializer {
            self.arith(&init.value)?;
        }
        let mut status = 0;
        loop {
            if let Some(cond) = &f.condition
                && !cond.value.trim().is_empty()
                && self.arith(&cond.value)? == 0
            {
                break;
            }
            if let Next::Stop = self.loop_body(&f.body.list, &mut status)? {
                break;
            }
            if let Some(update) = &f.updater {
                self.arith(&update.value)?;
            }
        }
        Ok(status)
    }

    fn run_case(&mut self, c: &ast::CaseClauseCommand) -> Res {
        let value = self.expand_string(&c.value.value)?;
        let mut status = 0;
        let mut i = 0;
        let mut fall_through = false;
        while i < c.cases.len() {
            let item = &c.cases[i];
            let mut hit = fall_through;
            if !hit {
                for pattern in &item.patterns {
                    let pat = self.expand_pattern(&pattern.value)?;
                    if glob::matches(&pat, &value) {
                        hit = true;
                        break;
                    }
                }
            }
            fall_through = false;
            if hit {
                if let Some(cmd) = &item.cmd {
                    status = self.run_list(cmd)?;
                }
                match item.post_action {
                    CaseItemPostAction::ExitCase => return Ok(status),
                    CaseItemPostAction::UnconditionallyExecuteNextCaseItem => fall_through = true,
                    CaseItemPostAction::ContinueEvaluatingCases => {}
                }
            }
            i += 1;
        }
        Ok(status)
    }
}
