//! The shell's state and the control flow of its executor.
//!
//! [`State`] is everything a child `sh` must inherit to run a subshell as if
//! it were a fork of this one (variables, functions, options, positional
//! parameters, `$$`…); it is serialized for the child (see [`crate::child`]).
//! [`Shell`] adds what stays with this process: open user fds, traps,
//! background jobs and the depth counters of the executor.

use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::rc::Rc;

use brush_parser::ast;
use serde::{Deserialize, Serialize};

use crate::sysio;
use crate::vars::Vars;

/// `set` options.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Options {
    /// `-e`: exit when a command fails outside a condition.
    pub errexit: bool,
    /// `-u`: expanding an unset variable is an error.
    pub nounset: bool,
    /// `-x`: trace commands to stderr.
    pub xtrace: bool,
    /// `-o pipefail`: a pipeline fails if any element fails.
    pub pipefail: bool,
    /// `-f`: no pathname expansion.
    pub noglob: bool,
    /// `-C`: `>` refuses to overwrite a file.
    pub noclobber: bool,
    /// `-a`: every assigned variable is exported.
    pub allexport: bool,
    /// `shopt` options turned on that are off by default (`nullglob`,
    /// `dotglob`, `expand_aliases`…).
    pub shopt: Vec<String>,
    /// `shopt` options turned off that are on by default (`sourcepath`…).
    #[serde(default)]
    pub shopt_off: Vec<String>,
}

/// Every `shopt` option bash 5.2 has, and whether it is on in `bash -c`.
pub const SHOPT_OPTIONS: &[(&str, bool)] = &[
    ("autocd", false),
    ("assoc_expand_once", false),
    ("cdable_vars", false),
    ("cdspell", false),
    ("checkhash", false),
    ("checkjobs", false),
    ("checkwinsize", true),
    ("cmdhist", true),
    ("compat31", false),
    ("compat32", false),
    ("compat40", false),
    ("compat41", false),
    ("compat42", false),
    ("compat43", false),
    ("compat44", false),
    ("complete_fullquote", true),
    ("direxpand", false),
    ("dirspell", false),
    ("dotglob", false),
    ("execfail", false),
    ("expand_aliases", false),
    ("extdebug", false),
    ("extglob", false),
    ("extquote", true),
    ("failglob", false),
    ("force_fignore", true),
    ("globasciiranges", true),
    ("globskipdots", true),
    ("globstar", false),
    ("gnu_errfmt", false),
    ("histappend", false),
    ("histreedit", false),
    ("histverify", false),
    ("hostcomplete", true),
    ("huponexit", false),
    ("inherit_errexit", false),
    ("interactive_comments", true),
    ("lastpipe", false),
    ("lithist", false),
    ("localvar_inherit", false),
    ("localvar_unset", false),
    ("login_shell", false),
    ("mailwarn", false),
    ("no_empty_cmd_completion", false),
    ("nocaseglob", false),
    ("nocasematch", false),
    ("noexpand_translation", false),
    ("nullglob", false),
    ("patsub_replacement", true),
    ("progcomp", true),
    ("progcomp_alias", false),
    ("promptvars", true),
    ("restricted_shell", false),
    ("shift_verbose", false),
    ("sourcepath", true),
    ("varredir_close", false),
    ("xpg_echo", false),
];

impl Options {
    /// Whether a `shopt` option is on.
    pub fn shopt(&self, name: &str) -> bool {
        let default_on = SHOPT_OPTIONS.iter().any(|&(n, on)| n == name && on);
        if default_on { !self.shopt_off.iter().any(|s| s == name) } else { self.shopt.iter().any(|s| s == name) }
    }

    /// Turns a `shopt` option on or off.
    pub fn set_shopt(&mut self, name: &str, on: bool) {
        self.shopt.retain(|s| s != name);
        self.shopt_off.retain(|s| s != name);
        let default_on = SHOPT_OPTIONS.iter().any(|&(n, d)| n == name && d);
        match (on, default_on) {
            (true, false) => self.shopt.push(name.to_string()),
            (false, true) => self.shopt_off.push(name.to_string()),
            (true, true) | (false, false) => {}
        }
    }

    /// `$-`, in bash's order (`c` when the shell runs `-c`).
    pub fn flags(&self, dash_c: bool) -> String {
        let mut s = String::new();
        for (on, c) in [
            (self.allexport, 'a'),
            (self.errexit, 'e'),
            (self.noglob, 'f'),
            (true, 'h'),
            (self.nounset, 'u'),
            (self.xtrace, 'x'),
            (true, 'B'),
            (self.noclobber, 'C'),
            (dash_c, 'c'),
        ] {
            if on {
                s.push(c);
            }
        }
        s
    }
}

/// What a child shell inherits.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    /// Variables.
    pub vars: Vars,
    /// Functions, by name.
    pub functions: BTreeMap<String, ast::FunctionDefinition>,
    /// Aliases.
    pub aliases: BTreeMap<String, String>,
    /// `set`/`shopt` options.
    pub options: Options,
    /// `$1`…
    pub positional: Vec<String>,
    /// `$0`.
    pub arg0: String,
    /// `$$`: the pid of the top shell (a subshell keeps its parent's).
    pub pid: u32,
    /// `$!`.
    pub last_bg: Option<u32>,
    /// `$?`.
    pub status: i32,
    /// The file-creation mask `umask` reports.
    pub umask: u32,
    /// Function call depth (`return` is allowed inside one).
    pub func_depth: usize,
    /// Loop depth (`break`/`continue` are allowed inside one).
    pub loop_depth: usize,
    /// The names of the functions being run, innermost first (`FUNCNAME`).
    pub funcnames: Vec<String>,
    /// Shell fds ≥ 3 the child finds at these real fds.
    pub fds: BTreeMap<i32, i32>,
    /// Started with `-c` (affects fatal-error statuses and `$-`).
    pub dash_c: bool,
}

/// Why execution stops going forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// `exit`, or a fatal error: the shell ends with this status.
    Exit(i32),
    /// `return` from a function or sourced file.
    Return(i32),
    /// `break n`.
    Break(usize),
    /// `continue n`.
    Continue(usize),
}

/// A command's status, or a change of control flow.
pub type Res = Result<i32, Flow>;

/// A shell process.
pub struct Shell {
    /// What children inherit.
    pub st: State,
    /// Shell fds ≥ 3 (`exec 3>file`), as real fds this shell owns. Shell
    /// fds 0–2 are the process's own fds 0–2.
    pub fds: BTreeMap<i32, Rc<OwnedFd>>,
    /// Trap commands by condition (`EXIT`, `ERR`, signal names).
    pub traps: BTreeMap<String, String>,
    /// Background jobs not yet waited for, in start order.
    pub jobs: Vec<crate::builtins::jobs::Job>,
    /// An interactive session's shell: jobs lead process groups of their own.
    pub job_control: bool,
    /// Per function call being run, innermost last: the `set` options to
    /// restore when it returns, once it ran `local -`.
    pub local_options: Vec<Option<Options>>,
    /// Statuses of background children reaped early.
    pub reaped: BTreeMap<u32, i32>,
    /// Depth of condition contexts (`if`, `while`, `&&`, `!`…): `set -e`
    /// does not apply inside one.
    pub cond_depth: usize,
    /// Depth of `source`d files (`return` is allowed inside one).
    pub source_depth: usize,
    /// Whether this process is a subshell of another shell.
    pub subshell: bool,
    /// Whether `-c` was used (affects fatal-error statuses, as in bash).
    pub dash_c: bool,
    /// The path children run to get another shell.
    pub self_path: String,
    /// `PIPESTATUS` of the last pipeline.
    pub pipestatus: Vec<i32>,
    /// A small PRNG for `$RANDOM`.
    pub random: u32,
    /// Nesting of `eval`/functions/sources, to bound runaway recursion.
    pub depth: usize,
    /// Status of the last command substitution of the current command.
    pub last_subst: Option<i32>,
    /// Position inside the current `getopts` argument.
    pub optpos: usize,
    /// The `OPTIND` that `optpos` belongs to.
    pub optpos_index: usize,
    /// Set by `exec` without a command: keep this command's redirections.
    pub exec_redirects_permanent: bool,
    /// The shell fds of the running command's process substitutions
    /// (`/dev/fd/N`), which an external command gets at the same numbers.
    pub substitution_fds: Vec<i32>,
}

/// How deep functions, `eval` and `source` may nest before the shell stops
/// with an error instead of overflowing its wasm stack.
pub const MAX_DEPTH: usize = 200;

impl Shell {
    /// A shell with this state.
    pub fn new(st: State) -> Shell {
        let seed = st.pid.wrapping_mul(2_654_435_761) | 1;
        Shell {
            st,
            fds: BTreeMap::new(),
            traps: BTreeMap::new(),
            jobs: Vec::new(),
            job_control: false,
            local_options: Vec::new(),
            reaped: BTreeMap::new(),
            cond_depth: 0,
            source_depth: 0,
            subshell: false,
            dash_c: false,
            self_path: "/bin/sh".into(),
            pipestatus: Vec::new(),
            random: seed,
            depth: 0,
            last_subst: None,
            optpos: 0,
            optpos_index: 0,
            exec_redirects_permanent: false,
            substitution_fds: Vec::new(),
        }
    }

    /// Prints `sh: <msg>` on stderr.
    pub fn error(&self, msg: impl AsRef<str>) {
        sysio::write_fd(2, format!("sh: {}\n", msg.as_ref()).as_bytes());
    }

    /// Writes to the shell's stdout.
    ///
    /// # Errors
    /// The write failed (a closed pipe…): the builtin's status becomes 1.
    pub fn out(&self, s: &[u8]) -> Result<(), ()> {
        sysio::try_write_fd(1, s).map_err(|e| self.error(format!("write error: {}", sysio::strerror(&e))))
    }

    /// The status of a fatal expansion error (`${x:?}`, `set -u`): bash's
    /// `-c` gives 127, a script 1.
    pub fn fatal_status(&self) -> i32 {
        if self.dash_c && !self.subshell { 127 } else { 1 }
    }

    /// Sets a scalar variable, reporting a readonly one; honours `set -a`.
    pub fn set_var(&mut self, name: &str, value: impl Into<String>) -> bool {
        match self.st.vars.set(name, value) {
            Ok(()) => {
                if self.st.options.allexport {
                    self.st.vars.get_mut(name).exported = true;
                }
                true
            }
            Err(msg) => {
                self.error(msg);
                false
            }
        }
    }

    /// The scalar value of a variable, empty if unset.
    pub fn var(&self, name: &str) -> String {
        self.st.vars.scalar(name).unwrap_or_default().to_string()
    }

    /// `$IFS` (default space, tab, newline).
    pub fn ifs(&self) -> String {
        self.st.vars.scalar("IFS").map_or_else(|| " \t\n".to_string(), str::to_string)
    }

    /// The next `$RANDOM` (0–32767).
    pub fn next_random(&mut self) -> u32 {
        self.random ^= self.random << 13;
        self.random ^= self.random >> 17;
        self.random ^= self.random << 5;
        self.random % 32768
    }
}
