//! The interactive shell's line protocol (`capsa sh`).
//!
//! Each line runs as `sh --capsa-session DIR --status N -c LINE`, a fresh
//! top-level process of the session's VM: the shell restores what the
//! previous line left in `DIR` (variables, functions, options, traps,
//! working directory), runs the line and saves it again (see the shell's
//! `session.rs`). Files persist because the VM does, and so do background
//! jobs: what a line leaves running is held by the kernel and adopted by
//! the next line's shell, which keeps the job table. An interrupt ends the
//! running line's foreground processes only; the session continues from the
//! state the line started with.
//!
//! The session reads one small report the shell writes (`DIR/result`); it
//! is guest-written data, so it is read bounded and never trusted beyond
//! choosing between the three outcomes.

use std::sync::atomic::Ordering;

use capsa_kernel::{KernelError, OpenOptions};
use capsa_runtime::{Outcome, RunOptions};
use capsa_suite::shell::SH;

use crate::{Exec, Session, SessionError};

/// Where the shell keeps a session's state inside the VM.
pub const SESSION_DIR: &str = "/tmp/.capsa-sh";

/// The most of the report a session reads.
const REPORT_LIMIT: usize = 4096;

/// What one line did.
#[derive(Debug)]
pub enum LineOutcome {
    /// The line ran; the next prompt may follow.
    Done {
        /// Its status and any captured output.
        outcome: Outcome,
        /// The working directory it left, if the shell reported one.
        cwd: Option<String>,
    },
    /// The input is incomplete: nothing ran, read a continuation line and
    /// run the whole text again.
    More,
    /// The line ended the shell (`exit`): the session is over.
    Exit(Outcome),
}

impl Session {
    /// Makes the shell's state directory (if a line removed it, anew).
    fn prepare_line_state(&self) -> Result<(), SessionError> {
        let vfs = self.vm.kernel().vfs();
        match vfs.mkdir_at(&self.identity.cred(), &vfs.root(), SESSION_DIR, 0o700) {
            Ok(()) | Err(KernelError::Exists) => Ok(()),
            Err(err) => Err(SessionError::Setup(err)),
        }
    }

    /// Runs one line (or several, for a continued input) of the
    /// interactive shell, with the VM's own stdio.
    ///
    /// # Errors
    /// The shell could not be started (the guest's own failures are in the
    /// outcome).
    pub fn run_line(&self, text: &str) -> Result<LineOutcome, SessionError> {
        self.run_line_with(text, &Exec::default())
    }

    /// [`Session::run_line`] with the line's own stdio, wall clock and stop
    /// handle from `exec` (its environment and working directory are the
    /// shell's state, so `exec.env` and `exec.cwd` are not used): how a
    /// remote terminal runs lines.
    ///
    /// # Errors
    /// As [`Session::run_line`].
    pub fn run_line_with(&self, text: &str, exec: &Exec) -> Result<LineOutcome, SessionError> {
        self.prepare_line_state()?;
        let vfs = self.vm.kernel().vfs();
        let report = format!("{SESSION_DIR}/result");
        // A line that is interrupted writes no report: never read an old one.
        let _ = vfs.unlink_at(&self.identity.cred(), &vfs.root(), &report);
        let status = self.last_status.load(Ordering::Relaxed).to_string();
        let argv = ["sh", "--capsa-session", SESSION_DIR, "--status", &status, "-c", text].map(String::from);
        let options = RunOptions {
            stdin: exec.stdin.clone(),
            stdout: exec.stdout.clone(),
            stderr: exec.stderr.clone(),
            wall: exec.timeout,
            stop: exec.stop.clone(),
            // Background jobs outlive their line; the next line's shell
            // adopts them (`jobs`, `wait`, `kill %1`).
            session_line: true,
            ..RunOptions::default()
        };
        let outcome = self.vm.run_path_with(SH, &argv, &options)?;
        let report = self.read_report(&report).unwrap_or_default();
        let (word, rest) = report.split_once('\n').unwrap_or((report.as_str(), ""));
        if word != "more" {
            self.last_status.store(outcome.status.code(), Ordering::Relaxed);
        }
        Ok(match word {
            "more" => LineOutcome::More,
            "exit" => LineOutcome::Exit(outcome),
            _ => LineOutcome::Done { outcome, cwd: Some(rest.to_string()).filter(|c| c.starts_with('/')) },
        })
    }

    fn read_report(&self, path: &str) -> Option<String> {
        let vfs = self.vm.kernel().vfs();
        let opts = OpenOptions { read: true, ..OpenOptions::default() };
        let file = vfs.open_at(&self.identity.cred(), &vfs.root(), path, opts).ok()?;
        let mut buf = vec![0; REPORT_LIMIT];
        let mut len = 0;
        while len < buf.len() {
            match file.read(&mut buf[len..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => len += n,
            }
        }
        buf.truncate(len);
        String::from_utf8(buf).ok()
    }
}
