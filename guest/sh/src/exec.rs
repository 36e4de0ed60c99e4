//! The executor's top half: programs, lists, `&&`/`||`, `&`, pipelines and
//! `set -e`.
//!
//! A pipeline of one command runs in this process. A longer one starts
//! every element at once, each with its stdin and stdout on pipes (the
//! shell `dup2`s the pipe ends over its own fds 0/1 around each spawn, so
//! the element inherits them), then waits for all: elements run
//! concurrently. An element that is an external command is spawned
//! directly; any other (builtin, function, compound command) runs in a child
//! `sh` (see [`crate::child`]).

use std::os::fd::{AsRawFd, OwnedFd};

use brush_parser::ast;

use crate::child::Job;
use crate::shell::{Flow, Res, Shell};
use crate::sysio;

impl Shell {
    /// Runs a parsed program.
    ///
    /// # Errors
    /// `exit` and fatal errors, as [`Flow`].
    pub fn run_program(&mut self, program: &ast::Program) -> Res {
        let mut status = 0;
        for list in &program.complete_commands {
            status = self.run_list(list)?;
        }
        Ok(status)
    }

    /// Parses and runs source text (`eval`, `source`, `sh -c`).
    ///
    /// # Errors
    /// As [`Shell::run_program`]; a syntax error is status 2 (printed).
    pub fn run_source(&mut self, src: &str) -> Res {
        match crate::parse::parse(src) {
            Ok(program) => self.run_program(&program),
            Err(msg) => {
                self.error(msg);
                self.st.status = 2;
                Ok(2)
            }
        }
    }

    /// Runs a list: each item in order, `&` items in the background.
    ///
    /// # Errors
    /// As [`Shell::run_program`].
    pub fn run_list(&mut self, list: &ast::CompoundList) -> Res {
        let mut status = self.st.status;
        for ast::CompoundListItem(and_or, sep) in &list.0 {
            status = match sep {
                ast::SeparatorOperator::Async => self.run_background(and_or),
                ast::SeparatorOperator::Sequence => self.run_and_or(and_or)?,
            };
            self.st.status = status;
        }
        Ok(status)
    }

    fn run_background(&mut self, and_or: &ast::AndOrList) -> i32 {
        // A background job reads /dev/null, as in a non-interactive bash.
        let null = std::fs::File::open("/dev/null").ok().map(OwnedFd::from);
        let saved = null.as_ref().and_then(|n| {
            let saved = wasi_ext::dup(0).ok();
            let _ = wasi_ext::dup2(n.as_raw_fd(), 0);
            saved
        });
        let result = self.spawn_subshell(Job::AndOr(and_or.clone()));
        if let Some(s) = saved {
            let _ = wasi_ext::dup2(s.as_raw_fd(), 0);
        }
        match result {
            Ok(pid) => {
                self.st.last_bg = Some(pid);
                // As bash shows it: one line.
                let text = and_or.to_string().lines().map(str::trim).collect::<Vec<_>>().join(" ");
                self.add_job(pid, text);
                0
            }
            Err(status) => status,
        }
    }

    /// Runs `a && b || c`, then applies `set -e` to the result.
    ///
    /// # Errors
    /// As [`Shell::run_program`].
    pub fn run_and_or(&mut self, list: &ast::AndOrList) -> Res {
        let last = list.additional.len();
        let mut status;
        let mut ran_last;
        // All but the last pipeline are conditions.
        self.cond_depth += usize::from(last > 0);
        let first = self.run_pipeline(&list.first);
        self.cond_depth -= usize::from(last > 0);
        status = first?;
        ran_last = last == 0;
        let mut bang = list.first.bang;
        for (i, item) in list.additional.iter().enumerate() {
            let (run, pipeline) = match item {
                ast::AndOr::And(p) => (status == 0, p),
                ast::AndOr::Or(p) => (status != 0, p),
            };
            if !run {
                continue;
            }
            self.st.status = status;
            let is_last = i + 1 == last;
            self.cond_depth += usize::from(!is_last);
            let r = self.run_pipeline(pipeline);
            self.cond_depth -= usize::from(!is_last);
            status = r?;
            ran_last = is_last;
            bang = pipeline.bang;
        }
        self.st.status = status;
        if status != 0 && ran_last && !bang && self.cond_depth == 0 && self.st.options.errexit {
            return Err(Flow::Exit(status));
        }
        Ok(status)
    }

    /// Runs a pipeline (`!` inverts its status).
    ///
    /// # Errors
    /// As [`Shell::run_program`].
    pub fn run_pipeline(&mut self, p: &ast::Pipeline) -> Res {
        if p.bang {
            self.cond_depth += 1;
        }
        let result = if p.seq.len() == 1 { self.run_command(&p.seq[0]) } else { self.run_concurrent(&p.seq) };
        if p.bang {
            self.cond_depth -= 1;
        }
        let status = result?;
        if p.seq.len() == 1 {
            self.pipestatus = vec![status];
        }
        Ok(if p.bang { i32::from(status == 0) } else { status })
    }

    /// Starts every element of a pipeline, then waits for all of them. With
    /// `shopt -s lastpipe` (and no job control) the last element runs in this
    /// shell, as bash's does, so `echo x | read v` sets `v`.
    fn run_concurrent(&mut self, seq: &[ast::Command]) -> Res {
        let mut started: Vec<Result<u32, i32>> = Vec::new();
        let mut input: Option<OwnedFd> = None;
        let mut in_shell: Option<Res> = None;
        for (i, cmd) in seq.iter().enumerate() {
            let last = i + 1 == seq.len();
            if last && self.st.options.shopt("lastpipe") && !self.job_control {
                let saved_in = input.as_ref().map(|fd| swap_stdio(fd, 0));
                input = None;
                in_shell = Some(self.run_command(cmd));
                if let Some(s) = saved_in {
                    restore_stdio(s, 0);
                }
                break;
            }
            let (next_in, output) = if last {
                (None, None)
            } else {
                match wasi_ext::pipe() {
                    Ok((r, w)) => (Some(OwnedFd::from(r)), Some(OwnedFd::from(w))),
                    Err(e) => {
                        self.error(format!("cannot make a pipe: {}", sysio::strerror(&e)));
                        started.push(Err(1));
                        break;
                    }
                }
            };
            let saved_in = input.as_ref().map(|fd| swap_stdio(fd, 0));
            let saved_out = output.as_ref().map(|fd| swap_stdio(fd, 1));
            started.push(self.spawn_element(cmd));
            if let Some(s) = saved_out {
                restore_stdio(s, 1);
            }
            if let Some(s) = saved_in {
                restore_stdio(s, 0);
            }
            drop(output);
            input = next_in;
        }
        drop(input);
        let mut statuses: Vec<i32> = started
            .into_iter()
            .map(|s| match s {
                Ok(pid) => self.wait_pid(pid),
                Err(status) => status,
            })
            .collect();
        match in_shell {
            // `exit` or `return` in the last element acts on this shell,
            // once the others have ended.
            Some(Err(flow)) => return Err(flow),
            Some(Ok(status)) => statuses.push(status),
            None => {}
        }
        self.pipestatus = statuses.clone();
        let last = statuses.last().copied().unwrap_or(0);
        Ok(if self.st.options.pipefail { statuses.iter().rev().find(|&&s| s != 0).copied().unwrap_or(0) } else { last })
    }

    /// Starts one pipeline element with the shell's current stdio.
    fn spawn_element(&mut self, cmd: &ast::Command) -> Result<u32, i32> {
        if let ast::Command::Simple(simple) = cmd
            && let Some(plan) = self.external_plan(simple)
        {
            return plan;
        }
        self.spawn_subshell(Job::Command(cmd.clone()))
    }
}

/// Puts `fd` on stdio fd `target`, returning what was there.
fn swap_stdio(fd: &OwnedFd, target: i32) -> Option<OwnedFd> {
    let saved = wasi_ext::dup(target).ok();
    let _ = wasi_ext::dup2(fd.as_raw_fd(), target);
    saved
}

fn restore_stdio(saved: Option<OwnedFd>, target: i32) {
    match saved {
        Some(fd) => {
            let _ = wasi_ext::dup2(fd.as_raw_fd(), target);
        }
        None => sysio::close_fd(target),
    }
}
