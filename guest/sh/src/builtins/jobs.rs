//! Background jobs: the table behind `$!`, `jobs`, `wait`, `kill %N`, and
//! the "Done" notices of an interactive session.
//!
//! In a `capsa sh` session each line is a new shell process, so the table
//! is part of what a line saves for the next (`session.rs`), and the kernel
//! holds what a line left running until the next line's shell adopts it as
//! its own children: `wait` then reaps them with their real statuses. In a
//! session each job also leads a process group of its own, as under bash's
//! job control, so an interrupt (Ctrl-C) reaches the line, not the jobs, and
//! `kill %N` reaches everything the job started. There are no stopped jobs
//! (no SIGTSTP in capsa): `fg` and `bg` say so.

use serde::{Deserialize, Serialize};

use crate::child::status_code;
use crate::shell::Shell;

/// One background job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// `%N`.
    pub number: usize,
    /// The process that runs it (a group leader in a session).
    pub pid: u32,
    /// The command as `jobs` shows it.
    pub text: String,
}

impl Shell {
    /// Records a job started in the background; in a session it gets a
    /// process group of its own.
    pub fn add_job(&mut self, pid: u32, text: String) {
        if self.job_control {
            // The child may already be gone; then there is nothing to move.
            let _ = wasi_ext::setpgid(pid, pid);
        }
        let number = self.jobs.iter().map(|job| job.number).max().unwrap_or(0) + 1;
        self.jobs.push(Job { number, pid, text });
    }

    /// Reaps, without blocking, every child that has ended, keeping the
    /// statuses of jobs (a session's shell also adopts the previous line's
    /// leftovers, which nobody else would reap).
    pub fn collect_children(&mut self) {
        while let Ok(Some((pid, status))) = wasi_ext::waitpid(-1, true) {
            if self.jobs.iter().any(|job| job.pid == pid) {
                self.reaped.insert(pid, status_code(status));
            }
        }
    }

    /// Prints `[N]+  Done   text` (to stderr) for each job that has ended
    /// and drops it from the table, as bash does before a prompt.
    pub fn notify_jobs(&mut self) {
        self.collect_children();
        let mut text = String::new();
        let ended: Vec<Job> = self.jobs.iter().filter(|job| self.reaped.contains_key(&job.pid)).cloned().collect();
        for job in &ended {
            let status = self.reaped.remove(&job.pid).unwrap_or(0);
            text.push_str(&self.job_line(job, Some(status), false));
        }
        self.jobs.retain(|job| !ended.iter().any(|e| e.pid == job.pid));
        if !text.is_empty() {
            crate::sysio::write_fd(2, text.as_bytes());
        }
    }

    /// A `jobs` line: `[N]+  Running                 text &`.
    fn job_line(&self, job: &Job, ended: Option<i32>, with_pid: bool) -> String {
        let marker = match self.jobs.iter().rev().position(|j| j.pid == job.pid) {
            Some(0) => '+',
            Some(1) => '-',
            _ => ' ',
        };
        let state = match ended {
            None => "Running".to_string(),
            Some(0) => "Done".to_string(),
            Some(code) if code > 128 => signal_description(code - 128),
            Some(code) => format!("Exit {code}"),
        };
        let pid = if with_pid { format!("{} ", job.pid) } else { " ".into() };
        let amp = if ended.is_none() { " &" } else { "" };
        format!("[{}]{marker} {pid}{state:<24}{}{amp}\n", job.number, job.text)
    }

    /// The job a `%…` spec names: `%N`, `%%`, `%+`, `%-`, `%text`
    /// (a job whose command starts so), `%?text` (contains).
    pub fn find_job(&self, spec: &str) -> Option<&Job> {
        let rest = spec.strip_prefix('%')?;
        match rest {
            "" | "%" | "+" => self.jobs.last(),
            "-" => self.jobs.iter().rev().nth(1).or(self.jobs.last()),
            _ => match rest.parse::<usize>() {
                Ok(n) => self.jobs.iter().find(|job| job.number == n),
                Err(_) => match rest.strip_prefix('?') {
                    Some(part) => self.jobs.iter().find(|job| job.text.contains(part)),
                    None => self.jobs.iter().find(|job| job.text.starts_with(rest)),
                },
            },
        }
    }
}

/// How bash names a job ended by `signal`.
fn signal_description(signal: i32) -> String {
    match signal {
        1 => "Hangup".into(),
        2 => "Interrupt".into(),
        3 => "Quit".into(),
        6 => "Aborted".into(),
        9 => "Killed".into(),
        13 => "Broken pipe".into(),
        15 => "Terminated".into(),
        n => format!("Signal {n}"),
    }
}

/// `jobs [-l | -p] [%job…]`.
pub fn jobs(sh: &mut Shell, args: &[String]) -> i32 {
    let (mut long, mut pids_only) = (false, false);
    let mut specs = Vec::new();
    for arg in args {
        match arg.as_str() {
            "-l" => long = true,
            "-p" => pids_only = true,
            "-r" | "-s" | "-n" => {}
            _ if arg.starts_with('-') && arg.len() > 1 => {
                sh.error(format!("jobs: {arg}: invalid option\njobs: usage: jobs [-lnprs] [jobspec ...]"));
                return 2;
            }
            _ => specs.push(arg.clone()),
        }
    }
    sh.collect_children();
    let mut chosen = Vec::new();
    let mut status = 0;
    if specs.is_empty() {
        chosen = sh.jobs.clone();
    }
    for spec in &specs {
        match sh.find_job(spec) {
            Some(job) => chosen.push(job.clone()),
            None => {
                sh.error(format!("jobs: {spec}: no such job"));
                status = 1;
            }
        }
    }
    let mut text = String::new();
    for job in &chosen {
        if pids_only {
            text.push_str(&format!("{}\n", job.pid));
        } else {
            text.push_str(&sh.job_line(job, sh.reaped.get(&job.pid).copied(), long));
        }
    }
    // What was reported as ended is forgotten, as in bash.
    if !pids_only {
        for job in &chosen {
            if sh.reaped.remove(&job.pid).is_some() {
                sh.jobs.retain(|j| j.pid != job.pid);
            }
        }
    }
    if sh.out(text.as_bytes()).is_err() {
        return 1;
    }
    status
}

/// `fg` and `bg`: capsa has no stopped jobs and no terminal to hand over.
pub fn no_job_control(sh: &mut Shell, name: &str) -> i32 {
    sh.error(format!("{name}: no job control"));
    1
}
