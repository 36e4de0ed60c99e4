//! A session: one long-lived VM that a program drives — `capsa sh` at a
//! terminal and `capsa serve` over HTTP. It owns the VM, booted with
//! its grants, limits and [`Identity`], and offers:
//!
//! - [`Session::exec`]: a shell command line in a fresh `sh -c` with its
//!   own stdin, stdout and stderr (captured, streamed or inherited),
//!   environment, working directory and wall clock. The files it leaves
//!   are there for the next command.
//! - [`Session::run_line`]: the interactive shell's protocol, which also
//!   keeps variables, functions, options and `cd` between lines ([`line`]).
//! - Files in and out ([`Session::write_file`], [`Session::read_file`],
//!   [`Session::list`], [`Session::remove`]), through the VM's kernel as the
//!   session's user: permissions hold, and what is written is charged to
//!   the VM's disk budget.
//!
//! - Snapshots ([`Session::snapshot`]): the VM's own filesystem frozen,
//!   without copying; [`Session::restore`] boots a new session over one
//!   (to resume, or to fork a running session), charged what the
//!   snapshot's VM owned. A [`Store`] saves them to disk and loads them
//!   back, crash-safe and content-addressed.
//!
//! The VM is a shell VM ([`ShellVm`]): the command suite, the shell's
//! environment, and the commands of every installed lane (`python3`, `qjs`,
//! `lua`), granted read-only.
//!
//! ```no_run
//! use capsa_runtime::{Output, Runtime, RuntimeOptions, VmConfig};
//! use capsa_session::{Exec, Session};
//! use capsa_suite::shell::ShellVm;
//!
//! let runtime = Runtime::new(RuntimeOptions::default())?;
//! let session = Session::start(&runtime, &ShellVm::default(), VmConfig::default())?;
//! session.write_file("notes.txt", b"one\ntwo\n")?;
//! let exec = Exec { stdout: Some(Output::Capture), ..Exec::default() };
//! let outcome = session.exec("wc -l notes.txt", &exec)?;
//! assert_eq!(outcome.stdout_str().trim(), "2 notes.txt");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

pub mod archive;
mod commands;
pub mod files;
pub mod line;
pub mod python;
pub mod store;

use std::sync::Arc;
use std::sync::atomic::AtomicI32;
use std::time::Duration;

use capsa_kernel::{KernelError, Layer, Usage};
use capsa_runtime::{
    Identity, Input, Interrupter, Outcome, Output, RunOptions, Runtime, RuntimeError, StopHandle, Vm, VmConfig,
};
use capsa_suite::SuiteError;
use capsa_suite::shell::{SH, ShellVm, sh_c};

pub use archive::Unpacked;
pub use files::{FileInfo, FileKind};
pub use line::LineOutcome;
pub use store::{Store, StoreError};

/// Why a session could not start, or could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The VM or a program could not be started.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The suite's layer could not be built.
    #[error(transparent)]
    Suite(#[from] SuiteError),
    /// The VM refused the session's own setup (its shell state directory).
    #[error("cannot set up the session: {0}")]
    Setup(KernelError),
    /// A path the caller gave is not usable.
    #[error("{path}: {reason}")]
    BadPath {
        /// The path as given.
        path: String,
        /// Why.
        reason: &'static str,
    },
    /// A file operation failed in the VM.
    #[error("{path}: {source}")]
    File {
        /// The VM path.
        path: String,
        /// The kernel's error.
        source: KernelError,
    },
    /// A snapshot holds more than the new session's disk limits.
    #[error(
        "the snapshot holds {bytes} bytes in {names} names, more than the disk limits ({max_bytes} bytes, {max_names} names)"
    )]
    SnapshotTooLarge {
        /// Bytes the snapshot's VM owned.
        bytes: u64,
        /// Names it created.
        names: u64,
        /// The new session's byte limit.
        max_bytes: u64,
        /// Its name limit.
        max_names: u64,
    },
    /// What was asked needs something this installation lacks (a lane).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A thread for a long-lived process could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(#[source] std::io::Error),
    /// A tar archive was refused (nothing of it was written).
    #[error("archive refused: {0}")]
    Archive(String),
    /// A file is larger than the caller would read.
    #[error("{path}: larger than {limit} bytes")]
    TooLarge {
        /// The VM path.
        path: String,
        /// The caller's limit.
        limit: u64,
    },
}

/// One command of a session. What is left `None` is the session's: its
/// VM's stdio, its environment, its working directory, its wall clock.
#[derive(Debug, Clone, Default)]
pub struct Exec {
    /// The command's stdin.
    pub stdin: Option<Input>,
    /// Its stdout: [`Output::Capture`] to find it in the outcome,
    /// [`Output::Stream`] to have it chunk by chunk.
    pub stdout: Option<Output>,
    /// Its stderr.
    pub stderr: Option<Output>,
    /// Variables set over the session's environment.
    pub env: Vec<(String, String)>,
    /// Its working directory: an absolute VM path, or one relative to the
    /// session's.
    pub cwd: Option<String>,
    /// Its wall clock.
    pub timeout: Option<Duration>,
    /// Ends this command (and what it started) from another thread.
    pub stop: Option<StopHandle>,
}

/// A session's filesystem, frozen: what [`Session::restore`] boots from.
/// Cheap to clone; its files are shared with the VMs that hold them.
#[derive(Debug, Clone)]
pub struct Snapshot {
    layer: Arc<Layer>,
}

impl Snapshot {
    /// What a session restored from it starts with on its disk budget.
    pub fn usage(&self) -> Usage {
        self.layer.usage()
    }
}

/// A long-lived VM and what it was started with.
#[derive(Debug)]
pub struct Session {
    vm: Vm,
    identity: Identity,
    workdir: String,
    env: Vec<(String, String)>,
    /// The previous interactive line's status, `$?` for the next.
    last_status: AtomicI32,
    warnings: Vec<String>,
}

impl Session {
    /// Boots the session's VM: `base`'s grants, limits and stdio, made a
    /// shell VM by `shell`, with the commands of every installed lane.
    ///
    /// # Errors
    /// A grant cannot be honoured, or the VM refuses the session's setup.
    pub fn start(runtime: &Runtime, shell: &ShellVm, base: VmConfig) -> Result<Session, SessionError> {
        Session::boot(runtime, shell, base, None)
    }

    /// Boots a session as [`Session::start`] does, whose filesystem is
    /// `snapshot`'s: its files, and none of what the layers below had that
    /// the snapshot's VM removed. Host folders are the ones `shell` grants
    /// now. The snapshot's owned files are charged to the new VM's disk.
    ///
    /// # Errors
    /// As [`Session::start`]; the snapshot does not fit the disk limits.
    pub fn restore(
        runtime: &Runtime,
        shell: &ShellVm,
        base: VmConfig,
        snapshot: &Snapshot,
    ) -> Result<Session, SessionError> {
        Session::boot(runtime, shell, base, Some(snapshot))
    }

    /// The session's filesystem as it is now (see [`Snapshot`]). Commands
    /// may keep running; the snapshot is one consistent moment of it.
    ///
    /// # Errors
    /// Only if the VM's filesystem were inconsistent.
    pub fn snapshot(&self) -> Result<Snapshot, SessionError> {
        let layer = self.vm.kernel().vfs().snapshot().map_err(SessionError::Setup)?;
        Ok(Snapshot { layer })
    }

    fn boot(
        runtime: &Runtime,
        shell: &ShellVm,
        base: VmConfig,
        snapshot: Option<&Snapshot>,
    ) -> Result<Session, SessionError> {
        if let Some(snapshot) = snapshot {
            let (usage, limits) = (snapshot.usage(), &base.limits);
            if usage.bytes > limits.disk_bytes || usage.inodes > limits.disk_inodes {
                return Err(SessionError::SnapshotTooLarge {
                    bytes: usage.bytes,
                    names: usage.inodes,
                    max_bytes: limits.disk_bytes,
                    max_names: limits.disk_inodes,
                });
            }
        }
        let mut config = shell.config(base)?;
        let warnings = commands::add_lane_commands(runtime, &mut config);
        // Topmost: the snapshot hides every layer below it.
        config.layers.extend(snapshot.map(|snapshot| snapshot.layer.clone()));
        let identity = config.identity();
        let env = config.grants.env.clone();
        let vm = runtime.vm(config)?;
        Ok(Session { vm, identity, workdir: shell.workdir(), env, last_status: AtomicI32::new(0), warnings })
    }

    /// Who the session's commands run as.
    pub fn identity(&self) -> Identity {
        self.identity
    }

    /// The working directory commands start in unless told otherwise.
    pub fn workdir(&self) -> &str {
        &self.workdir
    }

    /// What the session could not offer (a lane's commands that failed to
    /// load), for the caller to show.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The session's VM.
    pub fn vm(&self) -> &Vm {
        &self.vm
    }

    /// Interrupts the running commands from another thread (Ctrl-C): they
    /// end by SIGINT; the session and its files stay.
    pub fn interrupter(&self) -> Interrupter {
        self.vm.interrupter()
    }

    /// Runs `command` as `sh -c COMMAND` in the session's VM.
    ///
    /// # Errors
    /// The working directory is not a directory, or the shell could not be
    /// started (the command's own failures are in the outcome).
    pub fn exec(&self, command: &str, exec: &Exec) -> Result<Outcome, SessionError> {
        let cwd = match &exec.cwd {
            Some(cwd) => self.absolute(cwd)?,
            None => self.workdir.clone(),
        };
        if self.stat(&cwd)?.kind != FileKind::Dir {
            return Err(SessionError::File { path: cwd, source: KernelError::NotDir });
        }
        let mut env = self.env.clone();
        for (key, value) in exec.env.iter().cloned().chain([("PWD".to_string(), cwd.clone())]) {
            env.retain(|(k, _)| *k != key);
            env.push((key, value));
        }
        let options = RunOptions {
            stdin: exec.stdin.clone(),
            stdout: exec.stdout.clone(),
            stderr: exec.stderr.clone(),
            env: Some(env),
            cwd: Some(cwd),
            wall: exec.timeout,
            stop: exec.stop.clone(),
            session_line: false,
        };
        Ok(self.vm.run_path_with(SH, &sh_c(command), &options)?)
    }

    /// `path` made absolute against the session's working directory.
    fn absolute(&self, path: &str) -> Result<String, SessionError> {
        if path.is_empty() || path.contains('\0') {
            return Err(SessionError::BadPath { path: path.into(), reason: "not a path" });
        }
        Ok(if path.starts_with('/') { path.to_string() } else { format!("{}/{path}", self.workdir) })
    }
}
