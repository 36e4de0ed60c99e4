//! Interactive sessions without a long-lived shell process (`capsa sh`).
//!
//! The host keeps the terminal: it reads a line with its own line editor and
//! runs `sh --capsa-session DIR --status N -c LINE` in the session's VM
//! (`N`: the status of the previous line as the host saw it, for `$?`). This shell
//! takes the state the previous line left in `DIR/state.json` (variables,
//! functions, aliases, options, traps, `$?`, the working directory), runs
//! the line, and saves the state again, so one line's `cd`, `export` or
//! function is there for the next. It reports to the host in `DIR/result`:
//!
//! - `done` and, on the next line, the working directory: the line ran
//!   (its status is the process's exit status);
//! - `more`: the input is incomplete (an open quote, `if` without `fi`, …),
//!   nothing ran, and the host should read a continuation line;
//! - `exit`: the line ran `exit` (or a fatal error ended the shell): the
//!   `EXIT` trap has run and the session is over.
//!
//! A line the host interrupts (Ctrl-C) ends this process by SIGINT: its
//! state is not saved, so the session goes on from the state before it.
//!
//! Background jobs outlive their line: the table of jobs is saved with the
//! state, the kernel holds the processes for the next line, whose shell
//! adopts them (`builtins/jobs.rs`). Jobs that ended are announced
//! (`[1]+  Done …`) on stderr when a line starts and when it ends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::builtins::jobs::Job;
use crate::shell::{Flow, Shell, State};
use crate::sysio;

/// What one line leaves for the next.
#[derive(Serialize, Deserialize)]
struct Saved {
    state: State,
    traps: BTreeMap<String, String>,
    cwd: String,
    /// Background jobs still running (or ended and not yet announced).
    #[serde(default)]
    jobs: Vec<Job>,
}

/// Runs `line` in the session kept in `dir`, `$?` being `last_status`;
/// returns the exit status.
pub fn run(dir: &str, last_status: i32, line: &str) -> i32 {
    let state_path = format!("{dir}/state.json");
    let result_path = format!("{dir}/result");
    if crate::parse::is_incomplete(line) {
        return report(&result_path, "more", 0);
    }
    let saved = std::fs::read(&state_path).ok().and_then(|bytes| serde_json::from_slice::<Saved>(&bytes).ok());
    let mut sh = match saved {
        Some(saved) => {
            if std::env::set_current_dir(&saved.cwd).is_err() {
                sysio::write_fd(2, format!("sh: cd: {}: the working directory is gone\n", saved.cwd).as_bytes());
            }
            let mut sh = Shell::new(saved.state);
            sh.traps = saved.traps;
            sh.jobs = saved.jobs;
            sh
        }
        None => {
            let mut sh = Shell::new(State { arg0: "sh".into(), ..State::default() });
            crate::init_vars(&mut sh);
            sh
        }
    };
    sh.self_path = crate::self_path();
    sh.job_control = true;
    window_size(&mut sh);
    sh.notify_jobs();
    sh.st.status = last_status;
    let status = match sh.run_source(line) {
        Ok(s) | Err(Flow::Return(s)) => s,
        Err(Flow::Break(_) | Flow::Continue(_)) => sh.st.status,
        Err(Flow::Exit(s)) => {
            let status = crate::finish(&mut sh, Err(Flow::Exit(s)));
            let _ = std::fs::remove_file(&state_path);
            return report(&result_path, "exit", status);
        }
    };
    sh.notify_jobs();
    sh.st.status = status;
    sh.st.func_depth = 0;
    sh.st.loop_depth = 0;
    let cwd = std::env::current_dir().map(|p| p.display().to_string()).unwrap_or_else(|_| "/".into());
    let saved_cwd = cwd.clone();
    let saved = Saved { state: sh.st, traps: sh.traps, cwd, jobs: sh.jobs };
    match serde_json::to_vec(&saved) {
        Ok(json) => {
            if let Err(e) = std::fs::write(&state_path, json) {
                sysio::write_fd(2, format!("sh: cannot save the session: {}\n", sysio::strerror(&e)).as_bytes());
            }
        }
        Err(e) => sysio::write_fd(2, format!("sh: cannot save the session: {e}\n").as_bytes()),
    }
    report(&result_path, &format!("done\n{}", saved_cwd), status)
}

/// `LINES` and `COLUMNS` from the terminal the session runs on, before each
/// line, as an interactive bash keeps them (it follows resizes between
/// lines); left alone when stdout is not a terminal.
fn window_size(sh: &mut Shell) {
    if let Ok((rows, cols)) = wasi_ext::window_size(1).or_else(|_| wasi_ext::window_size(0)) {
        sh.set_var("LINES", rows.to_string());
        sh.set_var("COLUMNS", cols.to_string());
    }
}

/// Writes the line's outcome for the host; returns `status`.
fn report(path: &str, what: &str, status: i32) -> i32 {
    if let Err(e) = std::fs::write(path, what) {
        sysio::write_fd(2, format!("sh: cannot report to the host: {}\n", sysio::strerror(&e)).as_bytes());
    }
    status
}
