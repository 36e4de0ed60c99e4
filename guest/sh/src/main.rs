//! capsa's shell, `/bin/sh` (also `/bin/bash`): bash's language, parsed by
//! the `brush-parser` crate, run by an executor written for capsa.
//!
//! ```text
//! sh [-euxfC] [-o option] -c 'commands' [arg0 [args…]]
//! sh [-euxfC] [-o option] script [args…]
//! sh [-euxfC] [-o option] < script
//! sh --capsa-session DIR --status N -c LINE   # one line of a `capsa sh` session
//! ```
//!
//! # Design
//!
//! - **Parsing**: brush-parser gives the AST of a whole program (an error
//!   anywhere is `sh: syntax error: …`, status 2, before anything runs) and,
//!   on demand, the pieces of each word, brace expressions, arithmetic
//!   expressions and `test` expressions. Everything else is ours:
//!   [`expand`] (expansion), [`exec`], [`simple`], [`compound`]
//!   (execution), [`redirect`] (redirections), [`builtins`].
//! - **No fork** ([`child`]): capsa spawns fresh processes only. What
//!   bash runs in a forked copy of itself — `( … )`, `$( … )`, a pipeline
//!   element that is a builtin, function or compound command, a `&` list —
//!   runs in a new `sh` that receives the parent's full state (all variables,
//!   functions as ASTs, options, positional parameters, `$$`, `$?`) and the
//!   job as JSON (`sh --capsa-subshell JSON`). External commands in a
//!   pipeline are spawned directly. Pipelines start every element before
//!   waiting for any, so they run concurrently.
//! - **fds** ([`redirect`]): shell fds 0–2 are the process's fds 0–2,
//!   redirected with `dup2` and restored; shell fds ≥ 3 (`exec 3>f`) live in
//!   a map over real fds the kernel puts above the preopened directories, so
//!   they never clobber the preopens wasi-libc resolves paths with. A child
//!   shell gets them through spawn actions at `512 + n`; an external command
//!   gets fd `n ≥ 3` only when its own redirection names it (`cmd 3>f`).
//! - **Working directory**: `cd` calls `set_current_dir` (wasi-libc keeps
//!   the cwd); children get it through `wasi-ext`'s `Command` (`PWD` and the
//!   spawn's cwd); [`wasi_ext::init`] applies `PWD` at startup.
//! - **Statuses**: a child killed by signal *n* is 128+*n*; a missing
//!   command is `sh: foo: command not found`, 127; not executable, 126.
//!
//! Intentional differences from bash are listed in this package's `README.md`.

mod assign;
mod builtins;
mod bytes;
mod child;
mod compound;
mod exec;
mod expand;
mod glob;
mod parse;
mod procsub;
mod redirect;
mod session;
mod shell;
mod simple;
mod sysio;
mod testcmd;
mod vars;

use child::{Handoff, Job};
use shell::{Flow, Res, Shell, State};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let status = run(&args);
    std::process::exit(status);
}

/// Runs the shell as `args` ask; returns the exit status.
fn run(args: &[String]) -> i32 {
    let _ = wasi_ext::init();
    match args.get(1).map(String::as_str) {
        Some("--capsa-subshell") => {
            let Some(json) = args.get(2) else { return 2 };
            run_handoff(json)
        }
        Some("--capsa-subshell-file") => {
            let Some(path) = args.get(2) else { return 2 };
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let _ = std::fs::remove_file(path);
            run_handoff(&text)
        }
        Some("--capsa-session") => {
            let words: Vec<&str> = args.iter().skip(2).map(String::as_str).collect();
            match words.as_slice() {
                [dir, "--status", status, "-c", line] if status.parse::<i32>().is_ok() => {
                    session::run(dir, status.parse().unwrap_or(0), line)
                }
                _ => {
                    sysio::write_fd(2, b"sh: usage: sh --capsa-session DIR --status N -c LINE\n");
                    2
                }
            }
        }
        _ => run_top(args),
    }
}

/// A child shell: take the parent's state, run the job, exit.
fn run_handoff(json: &str) -> i32 {
    let handoff: Handoff = match serde_json::from_str(json) {
        Ok(h) => h,
        Err(e) => {
            sysio::write_fd(2, format!("sh: bad subshell state: {e}\n").as_bytes());
            return 2;
        }
    };
    let mut sh = Shell::new(handoff.state);
    sh.jobs = handoff.jobs;
    sh.subshell = true;
    sh.dash_c = sh.st.dash_c;
    sh.self_path = self_path();
    sh.adopt_fds();
    let result = match &handoff.job {
        Job::Source(src) => sh.run_source(src),
        Job::List(list) => sh.run_list(list),
        Job::Command(cmd) => sh.run_command(cmd),
        Job::AndOr(list) => sh.run_and_or(list),
    };
    finish(&mut sh, result)
}

/// The shell to run for subshells: `/bin/sh` unless `$CAPSA_SH` names another.
pub(crate) fn self_path() -> String {
    std::env::var("CAPSA_SH").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "/bin/sh".into())
}

/// Ends a shell: runs the `EXIT` trap and gives the final status.
pub(crate) fn finish(sh: &mut Shell, result: Res) -> i32 {
    let status = match result {
        Ok(s) | Err(Flow::Exit(s)) | Err(Flow::Return(s)) => s,
        Err(Flow::Break(_) | Flow::Continue(_)) => sh.st.status,
    };
    if let Some(cmd) = sh.traps.remove("EXIT") {
        sh.st.status = status;
        sh.cond_depth = 0;
        if let Err(Flow::Exit(s)) = sh.run_source(&cmd) {
            return s;
        }
    }
    status
}

/// The top shell: options, then `-c`, a script file, or stdin.
fn run_top(args: &[String]) -> i32 {
    let mut st = State { arg0: args.first().cloned().unwrap_or_else(|| "sh".into()), ..State::default() };
    let mut command = None;
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            i += 1;
            break;
        }
        if a == "-c" {
            command = Some(());
            i += 1;
            continue;
        }
        if a.starts_with("--") {
            // --norc, --noprofile, --posix…: nothing to do.
            i += 1;
            continue;
        }
        if (a.starts_with('-') || a.starts_with('+')) && a.len() > 1 {
            let on = a.starts_with('-');
            if &a[1..] == "o" {
                i += 1;
                if let Some(name) = args.get(i) {
                    apply_option(&mut st, name, on);
                }
            } else {
                for c in a[1..].chars() {
                    match c {
                        'c' => command = Some(()),
                        'o' => {
                            i += 1;
                            if let Some(name) = args.get(i)
                                && !apply_option(&mut st, name, on)
                            {
                                sysio::write_fd(2, format!("sh: {name}: invalid option name\n").as_bytes());
                                return 2;
                            }
                        }
                        's' | 'i' | 'l' => {}
                        other => {
                            if !apply_option(&mut st, &other.to_string(), on) {
                                sysio::write_fd(2, format!("sh: -{other}: invalid option\n").as_bytes());
                                return 2;
                            }
                        }
                    }
                }
            }
            i += 1;
            continue;
        }
        break;
    }
    let rest = &args[i.min(args.len())..];
    let source = if command.is_some() {
        let Some(text) = rest.first() else {
            sysio::write_fd(2, b"sh: -c: option requires an argument\n");
            return 2;
        };
        if let Some(arg0) = rest.get(1) {
            st.arg0 = arg0.clone();
        }
        st.positional = rest.iter().skip(2).cloned().collect();
        st.dash_c = true;
        text.clone()
    } else if let Some(script) = rest.first() {
        st.arg0 = script.clone();
        st.positional = rest[1..].to_vec();
        match std::fs::read(script) {
            Ok(bytes) => bytes::decode(&bytes),
            Err(e) => {
                sysio::write_fd(2, format!("sh: {script}: {}\n", sysio::strerror(&e)).as_bytes());
                return 127;
            }
        }
    } else {
        bytes::decode(&sysio::read_all(0).unwrap_or_default())
    };
    let mut sh = Shell::new(st);
    sh.dash_c = sh.st.dash_c;
    sh.self_path = self_path();
    init_vars(&mut sh);
    let result = sh.run_source(&source);
    finish(&mut sh, result)
}

/// A `set` option from the command line.
fn apply_option(st: &mut State, name: &str, on: bool) -> bool {
    let o = &mut st.options;
    match name {
        "e" | "errexit" => o.errexit = on,
        "u" | "nounset" => o.nounset = on,
        "x" | "xtrace" => o.xtrace = on,
        "f" | "noglob" => o.noglob = on,
        "C" | "noclobber" => o.noclobber = on,
        "a" | "allexport" => o.allexport = on,
        "pipefail" => o.pipefail = on,
        "h" | "B" | "posix" | "m" | "v" | "braceexpand" | "hashall" => {}
        _ => return false,
    }
    true
}

/// The environment as exported variables, and the variables bash sets.
pub(crate) fn init_vars(sh: &mut Shell) {
    for (k, v) in std::env::vars() {
        if vars::is_name(&k) {
            let _ = sh.st.vars.set(&k, v);
            sh.st.vars.get_mut(&k).exported = true;
        }
    }
    sh.st.pid = wasi_ext::getpid().unwrap_or(1);
    sh.random = sh.st.pid.wrapping_mul(2_654_435_761) | 1;
    sh.st.umask = 0o022;
    let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| "/".into());
    let _ = sh.st.vars.set("PWD", cwd);
    sh.st.vars.get_mut("PWD").exported = true;
    let uid = wasi_ext::getuid().unwrap_or(1000);
    let defaults = [
        ("IFS", " \t\n".to_string()),
        ("PS4", "+ ".to_string()),
        ("OPTIND", "1".to_string()),
        ("PPID", wasi_ext::getppid().unwrap_or(0).to_string()),
        ("UID", uid.to_string()),
        ("EUID", wasi_ext::geteuid().unwrap_or(uid).to_string()),
        ("BASH_VERSION", "5.2.0(1)-capsa".to_string()),
        ("HOSTNAME", std::fs::read_to_string("/etc/hostname").unwrap_or_default().trim().to_string()),
    ];
    for (k, v) in defaults {
        if sh.st.vars.get(k).is_none() {
            let _ = sh.st.vars.set(k, v);
        }
    }
    if sh.st.vars.get("HOME").is_none()
        && let Ok(pw) = wasi_ext::getpwuid(uid)
    {
        let _ = sh.st.vars.set("HOME", pw.dir);
    }
    if sh.st.vars.get("PATH").is_none() {
        let _ = sh.st.vars.set("PATH", "/usr/local/bin:/usr/bin:/bin");
    }
}
