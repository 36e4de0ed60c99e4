//! Fork-less subshells and external commands.
//!
//! capsa has no `fork`, so whatever bash runs in a forked copy of itself —
//! `( … )`, `$( … )`, a pipeline element that is a builtin, a function or a
//! compound command, an `&` list — runs here in a *new* `sh` process. The
//! parent serializes a [`Handoff`]: its whole [`State`] (every variable,
//! not only exported ones, functions as brush-parser ASTs, options,
//! positional parameters, `$$`, `$?`) and the [`Job`] to run, as JSON in
//! `argv` (`sh --capsa-subshell JSON`), or in a temporary file when large
//! (`--capsa-subshell-file PATH`, removed by the child once read).
//!
//! The child's stdio is the parent's fds 0–2 at spawn time (the parent has
//! already `dup2`ed pipe ends or redirections onto them). Shell fds ≥ 3 are
//! passed with spawn `dup2` actions at real fd `CHILD_FD_BASE + n`, which
//! the child records in its fd map, so they never land on the child's
//! preopens.

use std::os::fd::{FromRawFd, OwnedFd};
use std::rc::Rc;

use brush_parser::ast;
use serde::{Deserialize, Serialize};
use wasi_ext::{Command, ExitStatus};

use crate::shell::{Flow, Shell, State};
use crate::sysio;

/// Where a child shell finds shell fd `n`: real fd `CHILD_FD_BASE + n`.
const CHILD_FD_BASE: i32 = 512;
/// Above this size the handoff goes through a file, not `argv`.
const ARGV_LIMIT: usize = 256 * 1024;

/// What a child shell runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Job {
    /// Source text (`$( … )`).
    Source(String),
    /// A list (`( … )`).
    List(ast::CompoundList),
    /// One command (a pipeline element).
    Command(ast::Command),
    /// An and-or list (`… &`).
    AndOr(ast::AndOrList),
}

/// WASI's errno for a file that is not a program.
const ENOEXEC: i32 = 45;

/// State and job, as handed to a child shell.
#[derive(Debug, Serialize, Deserialize)]
pub struct Handoff {
    /// The parent's state.
    pub state: State,
    /// What to run.
    pub job: Job,
    /// The parent's background jobs, which `jobs` in a subshell lists (as
    /// in bash: `jobs | grep …`); they are not its children to wait for.
    #[serde(default)]
    pub jobs: Vec<crate::builtins::jobs::Job>,
}

/// The status bash reports for a child: its code, or 128 + signal.
pub fn status_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        _ => 1,
    }
}

impl Shell {
    /// The environment children get: exported variables.
    pub fn child_env(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        let mut env = self.st.vars.environment();
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push((k.clone(), v.clone()));
        }
        env
    }

    /// Starts a child shell running `job`; returns its pid.
    ///
    /// # Errors
    /// The spawn failed (printed); the value is the status to report.
    pub fn spawn_subshell(&mut self, job: Job) -> Result<u32, i32> {
        let mut state = self.st.clone();
        state.fds = self.fds.keys().map(|&n| (n, CHILD_FD_BASE + n)).collect();
        let handoff = Handoff { state, job, jobs: self.jobs.clone() };
        let json = match serde_json::to_string(&handoff) {
            Ok(json) => json,
            Err(e) => {
                self.error(format!("cannot hand the subshell its state: {e}"));
                return Err(1);
            }
        };
        let mut cmd = Command::new(&self.self_path);
        if json.len() > ARGV_LIMIT {
            let path = format!("/tmp/.sh-state-{}-{}", wasi_ext::getpid().unwrap_or(0), self.next_random());
            if let Err(e) = std::fs::write(&path, json.as_bytes()) {
                self.error(format!("cannot hand the subshell its state: {}", sysio::strerror(&e)));
                return Err(1);
            }
            cmd.arg("--capsa-subshell-file").arg(path);
        } else {
            cmd.arg("--capsa-subshell").arg(json);
        }
        cmd.env_clear().envs(self.child_env(&[]));
        for (&n, fd) in &self.fds {
            use std::os::fd::AsRawFd;
            cmd.dup2(fd.as_raw_fd(), CHILD_FD_BASE + n);
        }
        match cmd.spawn() {
            Ok(child) => Ok(child.id()),
            Err(e) => {
                self.error(format!("{}: {}", self.self_path, sysio::strerror(&e)));
                Err(126)
            }
        }
    }

    /// Runs `job` in a child shell and waits for it.
    pub fn run_subshell(&mut self, job: Job) -> i32 {
        match self.spawn_subshell(job) {
            Ok(pid) => self.wait_pid(pid),
            Err(status) => status,
        }
    }

    /// Waits for child `pid`; its status as bash reports it.
    pub fn wait_pid(&mut self, pid: u32) -> i32 {
        if let Some(status) = self.reaped.remove(&pid) {
            return status;
        }
        match wasi_ext::waitpid(pid as i32, false) {
            Ok(Some((_, status))) => status_code(status),
            _ => 127,
        }
    }

    /// Starts an external command with the shell's stdio and the exported
    /// variables plus `assigns`; user fds ≥ 3 named in `extra_fds` (this
    /// command's own `n>file`) are passed at their own numbers.
    ///
    /// # Errors
    /// The status to report when it could not start (printed): 127 not
    /// found, 126 not executable.
    pub fn spawn_external(
        &mut self,
        argv: &[String],
        assigns: &[(String, String)],
        extra_fds: &[i32],
    ) -> Result<u32, i32> {
        let command = |program: &str, args: &[String]| {
            let mut cmd = Command::new(program);
            cmd.args(args.iter().map(|a| crate::bytes::os(a)))
                .env_clear()
                .envs(self.child_env(assigns).iter().map(|(k, v)| (crate::bytes::os(k), crate::bytes::os(v))));
            for &n in extra_fds {
                if let Some(fd) = self.fds.get(&n) {
                    use std::os::fd::AsRawFd;
                    cmd.dup2(fd.as_raw_fd(), n);
                }
            }
            cmd
        };
        match command(&argv[0], &argv[1..]).spawn() {
            Ok(child) => Ok(child.id()),
            // Neither wasm nor `#!`: text is a script for this shell, as in
            // bash (a binary file stays an error).
            Err(e) if e.raw_os_error() == Some(ENOEXEC) => match self.script_path(&argv[0], assigns) {
                Some(script) => {
                    let args: Vec<String> = std::iter::once(script).chain(argv[1..].iter().cloned()).collect();
                    let spawned = command(&self.self_path, &args).spawn();
                    spawned.map(|child| child.id()).map_err(|e| self.spawn_error(&argv[0], &e))
                }
                None => Err(self.spawn_error(&argv[0], &e)),
            },
            Err(e) => Err(self.spawn_error(&argv[0], &e)),
        }
    }

    /// The file `name` runs, if it is text (no NUL in its first 80 bytes,
    /// bash's test): found as the kernel found it, through `PATH` when
    /// `name` has no `/` (the command's `PATH` assignment first).
    fn script_path(&self, name: &str, assigns: &[(String, String)]) -> Option<String> {
        let path = if name.contains('/') {
            name.to_string()
        } else {
            // The command's own `PATH=…` prefix, if it has one.
            let path_var =
                assigns.iter().rev().find(|(k, _)| k == "PATH").map_or_else(|| self.var("PATH"), |(_, v)| v.clone());
            let dirs = if path_var.is_empty() { "/usr/local/bin:/usr/bin:/bin".to_string() } else { path_var };
            dirs.split(':')
                .map(|dir| if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") })
                .find(|candidate| std::path::Path::new(candidate).is_file())?
        };
        let mut head = [0u8; 80];
        let n = std::fs::File::open(&path).and_then(|mut f| std::io::Read::read(&mut f, &mut head)).ok()?;
        (!head[..n].contains(&0)).then_some(path)
    }

    fn spawn_error(&self, name: &str, e: &std::io::Error) -> i32 {
        match e.kind() {
            std::io::ErrorKind::NotFound if !name.contains('/') => {
                self.error(format!("{name}: command not found"));
                127
            }
            std::io::ErrorKind::NotFound => {
                self.error(format!("{name}: No such file or directory"));
                127
            }
            std::io::ErrorKind::PermissionDenied => {
                self.error(format!("{name}: Permission denied"));
                126
            }
            _ if e.raw_os_error() == Some(ENOEXEC) => {
                self.error(format!("{name}: cannot execute binary file: Exec format error"));
                126
            }
            _ => {
                self.error(format!("{name}: {}", sysio::strerror(e)));
                126
            }
        }
    }

    /// `$( … )`: runs the text in a child shell and returns its output
    /// without trailing newlines; `$?` becomes its status.
    ///
    /// # Errors
    /// None today; a fatal error in the child only sets `$?`.
    pub fn command_substitution(&mut self, src: &str) -> Result<String, Flow> {
        if let Some(file) = src.trim().strip_prefix('<').map(str::trim)
            && !file.is_empty()
            && !file.contains(|c: char| c.is_whitespace() || c == ';' || c == '|' || c == '&')
        {
            let name = self.expand_string(file)?;
            return Ok(match std::fs::read(&name) {
                Ok(bytes) => {
                    self.last_subst = Some(0);
                    trim_newlines(crate::bytes::decode(&bytes))
                }
                Err(e) => {
                    self.error(format!("{name}: {}", sysio::strerror(&e)));
                    self.last_subst = Some(1);
                    String::new()
                }
            });
        }
        let (read, write) = match wasi_ext::pipe() {
            Ok(p) => p,
            Err(e) => {
                self.error(format!("cannot make a pipe: {}", sysio::strerror(&e)));
                return Ok(String::new());
            }
        };
        let saved = wasi_ext::dup(1).ok();
        let _ = wasi_ext::dup2(std::os::fd::AsRawFd::as_raw_fd(&write), 1);
        drop(write);
        let spawned = self.spawn_subshell(Job::Source(src.to_string()));
        match &saved {
            Some(fd) => {
                let _ = wasi_ext::dup2(std::os::fd::AsRawFd::as_raw_fd(fd), 1);
            }
            None => sysio::close_fd(1),
        }
        let output = sysio::read_all(std::os::fd::AsRawFd::as_raw_fd(&read)).unwrap_or_default();
        drop(read);
        self.st.status = match spawned {
            Ok(pid) => self.wait_pid(pid),
            Err(status) => status,
        };
        self.last_subst = Some(self.st.status);
        Ok(trim_newlines(crate::bytes::decode(&output)))
    }

    /// Adopts the fds a parent passed (see [`State::fds`]).
    pub fn adopt_fds(&mut self) {
        for (&n, &real) in &self.st.fds {
            if wasi_ext::dup(real).is_ok() {
                // SAFETY: the parent's spawn action put this fd in our table
                // for us alone; nothing else in this process owns it.
                self.fds.insert(n, Rc::new(unsafe { OwnedFd::from_raw_fd(real) }));
            }
        }
        self.st.fds.clear();
    }
}

fn trim_newlines(mut s: String) -> String {
    while s.ends_with('\n') {
        s.pop();
    }
    s
}
