//! A VM: one kernel booted from a VM's grants, in which programs run as
//! processes. The VM is also the [`Spawner`] its processes use to start
//! children, so every process of a VM shares its kernel, engine and limits.

use std::borrow::Cow;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use capsa_kernel::{
    BudgetLimits, Cred, Executable, FdEntry, FdTable, HostInput, HostOutput, Kernel, KernelConfig, KernelError,
    KillReason, LimitKind, OpenFile, Pid, ProcessControl, ProcessSpec, Quota, SharedBytes, VfsConfig,
};
use capsa_wasi::{SpawnRequest, Spawner, WasiCtx};
use wasmtime::InstancePre;

use crate::config::{Input, Output, VmConfig};
use crate::engine::{EngineEntry, EngineKey};
use crate::host::stdio::{self, Capture};
use crate::host::{self, GrantError, Stream};
use crate::modules::digest;
use crate::outcome::{ExitStatus, Limit, Outcome, killed_by};
use crate::process::{Ended, ProcessData};
use crate::programs::{self, GuestPrograms, PrepareError, Program, Wasm};
use crate::stop::StopHandle;
use crate::{RuntimeError, RuntimeInner, process};

/// File-creation mask of a VM's first process.
const DEFAULT_UMASK: u32 = 0o022;
/// How long the end of a VM's top process waits for its killed descendants.
const REAP_TIMEOUT: Duration = Duration::from_secs(10);
/// Linux's SIGKILL: how a VM's leftover processes are ended.
const SIGKILL: u8 = 9;
/// Linux's SIGINT: what an [`Interrupter`] sends.
const SIGINT: u8 = 2;

/// How one top-level process is started, beyond its program and argv;
/// what is left `None` is the VM's configuration. A session runs each
/// command with its own stdio, environment and working directory.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Its stdin instead of the VM's.
    pub stdin: Option<Input>,
    /// Its stdout instead of the VM's.
    pub stdout: Option<Output>,
    /// Its stderr instead of the VM's.
    pub stderr: Option<Output>,
    /// Its whole environment instead of the VM's granted one.
    pub env: Option<Vec<(String, String)>>,
    /// Its working directory (an absolute VM path) instead of `/`.
    pub cwd: Option<String>,
    /// Its wall clock instead of the VM's.
    pub wall: Option<Duration>,
    /// A handle that can end this run (and only it) from another thread.
    pub stop: Option<StopHandle>,
    /// A line of an interactive session: it adopts the processes the
    /// previous line left running (a shell's background jobs), and what it
    /// leaves running is not killed but held for the next line
    /// (`ProcessSpec::session_line`). They end with the VM, by a kill, or by
    /// the VM's limits.
    pub session_line: bool,
}

/// A run's stdio: the streams, and the captures the outcome takes.
struct RunStdio {
    stdin: Arc<dyn HostInput>,
    stdout: Arc<dyn HostOutput>,
    stderr: Arc<dyn HostOutput>,
    captures: (Option<Capture>, Option<Capture>),
}

/// A booted VM: a kernel with its grants, ready to run programs.
pub struct Vm {
    shared: Arc<VmShared>,
}

/// What the VM and every one of its processes share.
struct VmShared {
    /// This VM, for handing to child contexts as their spawner.
    this: Weak<VmShared>,
    runtime: Arc<RuntimeInner>,
    engine: Arc<EngineEntry>,
    kernel: Arc<Kernel>,
    config: VmConfig,
    /// The VM's own stdio (its grants), opened at boot.
    stdio: RunStdio,
    /// Process threads still running, to wait for them when the VM's top process ends.
    threads: (Mutex<usize>, Condvar),
    /// The top-level processes running now (one per [`Vm::run`] in progress).
    tops: Mutex<Vec<Pid>>,
    /// Modules the VM's guests wrote, compiled at the VM's expense.
    guest_programs: GuestPrograms,
}

impl std::fmt::Debug for VmShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm").field("config", &self.config).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.shared.fmt(f)
    }
}

impl Vm {
    pub(crate) fn boot(runtime: Arc<RuntimeInner>, config: VmConfig) -> Result<Vm, RuntimeError> {
        let grants = &config.grants;
        if grants.vm_fs && grants.dirs.iter().any(|dir| dir.guest == "/") {
            return Err(GrantError::TwoRoots.into());
        }
        let mounts = grants.dirs.iter().map(host::fs::mount).collect::<Result<Vec<_>, _>>()?;
        let kernel_config = KernelConfig {
            vfs: VfsConfig {
                layers: std::iter::once(runtime.base_layer.clone()).chain(config.layers.iter().cloned()).collect(),
                mounts,
                quota: Quota { max_bytes: config.limits.disk_bytes, max_inodes: config.limits.disk_inodes },
                real_time: grants.clock,
                entropy: grants.random,
            },
            clock: grants.clock,
            entropy: grants.random,
            max_processes: config.limits.processes,
            budget: BudgetLimits {
                memory: config.limits.memory,
                host_fds: config.limits.host_fds,
                cpu: config.limits.cpu,
            },
        };
        let kernel =
            Kernel::with_network(kernel_config, crate::net::net_config(&grants.net)).map_err(GrantError::Layout)?;
        // Published ports listen from boot, for as long as the VM's network lives.
        for publish in &grants.net.publish {
            host::net::publish(kernel.network(), *publish)?;
        }
        let key = EngineKey { stack: config.limits.stack, fuel: config.limits.fuel.is_some() };
        let engine = runtime.engines.get(key)?;
        let stdin = stdio::input(&grants.stdin)?;
        let (stdout, out_capture) = stdio::output(&grants.stdout, Stream::Stdout)?;
        let (stderr, err_capture) = stdio::output(&grants.stderr, Stream::Stderr)?;
        let guest_programs = GuestPrograms::new(kernel.clone());
        let shared = Arc::new_cyclic(|this| VmShared {
            this: this.clone(),
            guest_programs,
            runtime,
            engine,
            kernel,
            config,
            stdio: RunStdio { stdin, stdout, stderr, captures: (out_capture, err_capture) },
            threads: (Mutex::new(0), Condvar::new()),
            tops: Mutex::new(Vec::new()),
        });
        Ok(Vm { shared })
    }

    /// The VM's kernel.
    pub fn kernel(&self) -> &Arc<Kernel> {
        &self.shared.kernel
    }

    /// Runs a wasm32-wasip1 command module to completion as a new top-level
    /// process of this VM (pid 1 for the first), then ends every process it
    /// left behind. `args[0]` is the program name the guest sees.
    ///
    /// # Errors
    /// The module is malformed, imports something capsa does not provide, is
    /// not a command, or cannot be instantiated within the limits. The guest's
    /// own failures (traps, kills, exit codes) are in the [`Outcome`].
    pub fn run(&self, wasm: &[u8], args: &[String]) -> Result<Outcome, RuntimeError> {
        // The run's wall clock starts now: a module compiled first (on the
        // compile pool) spends the same allowance as its process.
        let control = self.shared.new_control(None);
        let cpu_before = self.shared.kernel.budget().usage().cpu;
        let sha = digest(wasm);
        let shared = &self.shared;
        let program =
            programs::host_program_within(&shared.runtime.modules, &shared.engine, &sha, Wasm::Slice(wasm), &control);
        match program {
            Ok(pre) => self.run_program(Program { pre, charge: None }, control, args, &RunOptions::default()),
            Err(PrepareError::Stopped(reason)) => {
                let status = killed_by(reason, &shared.config.limits);
                Ok(shared.outcome(Ended { status, fuel_used: None }, cpu_before, &shared.stdio.captures))
            }
            Err(PrepareError::Runtime(err)) => Err(err),
            Err(PrepareError::Budget) => Err(RuntimeError::Internal("a host module has no size limit".into())),
        }
    }

    /// Runs the VM's own executable at `path` (an absolute VM path, e.g. the
    /// command suite's `/bin/sh`) as [`Vm::run`] does. The module's bytes are
    /// the filesystem's, shared with every VM holding the same layer, so a
    /// second run compiles and hashes nothing.
    ///
    /// # Errors
    /// `NotCommand` if `path` is missing, not executable by the VM's first
    /// user, or a `#!` script; otherwise as [`Vm::run`].
    pub fn run_path(&self, path: &str, args: &[String]) -> Result<Outcome, RuntimeError> {
        self.run_path_with(path, args, &RunOptions::default())
    }

    /// [`Vm::run_path`] with this run's own stdio, environment, working
    /// directory or wall clock. An output given here is not captured in the
    /// outcome (unless it is [`Output::Capture`]).
    ///
    /// # Errors
    /// As [`Vm::run_path`]; a stdio given here that cannot be opened.
    pub fn run_path_with(&self, path: &str, args: &[String], options: &RunOptions) -> Result<Outcome, RuntimeError> {
        let shared = &self.shared;
        let executable = shared
            .kernel
            .resolve_executable(&shared.first_cred(), "/", path, None)
            .map_err(|e| RuntimeError::NotCommand(format!("{path}: {e}")))?;
        if executable.interpreter.is_some() {
            return Err(RuntimeError::NotCommand(format!("{path} is a script, not a wasm module")));
        }
        let pre = shared.prepare_layer(&executable.bytes)?;
        self.run_program(Program { pre, charge: None }, shared.new_control(options.wall), args, options)
    }

    /// Compiles (or fetches from the cache) and pre-links the VM's
    /// executable at `path` without running it, so that a later run or
    /// spawn of it starts at once.
    ///
    /// # Errors
    /// As [`Vm::run_path`].
    pub fn preload(&self, path: &str) -> Result<(), RuntimeError> {
        let shared = &self.shared;
        let executable = shared
            .kernel
            .resolve_executable(&shared.first_cred(), "/", path, None)
            .map_err(|e| RuntimeError::NotCommand(format!("{path}: {e}")))?;
        shared.prepare_layer(&executable.bytes).map(drop)
    }

    /// Runs a module the caller knows by its sha256 (a provisioned toolchain)
    /// as [`Vm::run`] does. `wasm` is called for the module's bytes only when
    /// no compiled form is cached, so a large module starts without being
    /// read or hashed.
    ///
    /// # Errors
    /// As [`Vm::run`]; `wasm`'s own error.
    pub fn run_digested(
        &self,
        sha256: &[u8; 32],
        wasm: &mut dyn FnMut() -> Result<Vec<u8>, RuntimeError>,
        args: &[String],
    ) -> Result<Outcome, RuntimeError> {
        let pre = self.shared.prepare_digested(sha256, &mut || wasm().map(Cow::Owned))?;
        self.run_program(Program { pre, charge: None }, self.shared.new_control(None), args, &RunOptions::default())
    }

    /// Compiles (or fetches from the cache) the module known by `sha256`
    /// without running it; see [`Vm::run_digested`].
    ///
    /// # Errors
    /// As [`Vm::run_digested`].
    pub fn preload_digested(
        &self,
        sha256: &[u8; 32],
        wasm: &mut dyn FnMut() -> Result<Vec<u8>, RuntimeError>,
    ) -> Result<(), RuntimeError> {
        self.shared.prepare_digested(sha256, &mut || wasm().map(Cow::Owned)).map(drop)
    }

    /// Whether the module known by `sha256` is compiled for this VM's engine
    /// (in memory or in the module cache), so that running it compiles nothing.
    pub fn is_compiled(&self, sha256: &[u8; 32]) -> bool {
        let shared = &self.shared;
        shared.engine.programs.lock().unwrap_or_else(|p| p.into_inner()).contains(sha256)
            || shared.runtime.modules.is_cached(&shared.engine, sha256)
    }

    /// A handle that interrupts this VM's running top-level processes from
    /// another thread (a terminal's Ctrl-C).
    pub fn interrupter(&self) -> Interrupter {
        Interrupter(Arc::downgrade(&self.shared))
    }

    fn run_program(
        &self,
        program: Program,
        control: Arc<ProcessControl>,
        args: &[String],
        options: &RunOptions,
    ) -> Result<Outcome, RuntimeError> {
        let shared = &self.shared;
        let cpu_before = shared.kernel.budget().usage().cpu;
        let stdio = shared.run_stdio(options)?;
        let fds = shared.initial_fds(&stdio)?;
        let env = options.env.as_ref().unwrap_or(&shared.config.grants.env);
        let env = env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let cwd = options.cwd.clone().unwrap_or_else(|| "/".into());
        let start = Start {
            program,
            control,
            cred: shared.first_cred(),
            cwd,
            umask: DEFAULT_UMASK,
            session_line: options.session_line,
        };
        let (pid, handle) = shared.start_process(None, start, args.to_vec(), env, fds).map_err(|e| match e {
            StartError::Kernel(err) => RuntimeError::Internal(format!("cannot register the process: {err}")),
            StartError::Runtime(err) => err,
        })?;
        shared.lock_tops().push(pid);
        if let Some(stop) = &options.stop {
            stop.started(&shared.kernel, pid);
        }
        let result = handle.join().map_err(|_| RuntimeError::Internal("a process thread panicked".into()));
        if let Some(stop) = &options.stop {
            stop.ended();
        }
        shared.lock_tops().retain(|&top| top != pid);
        if !options.session_line {
            shared.kernel.kill_descendants(pid, KillReason::Signal(SIGKILL));
            shared.wait_for_threads();
        }
        let mut ended = result??;
        // A run with its own wall clock was killed by that one, not the VM's.
        if let (Some(wall), ExitStatus::Killed(Limit::WallClock(_))) = (options.wall, &ended.status) {
            ended.status = ExitStatus::Killed(Limit::WallClock(wall));
        }
        Ok(shared.outcome(ended, cpu_before, &stdio.captures))
    }
}

impl Drop for Vm {
    /// What a session's lines left running (background jobs) ends with
    /// the VM; its threads are waited for, bounded.
    fn drop(&mut self) {
        if self.shared.kernel.live_processes() > 0 {
            self.shared.kernel.kill_all(KillReason::Signal(SIGKILL));
            self.shared.wait_for_threads();
        }
    }
}

/// Interrupts a VM's running top-level processes, as a terminal's Ctrl-C
/// does: each, with everything it started, ends by SIGINT (status 130). The
/// VM itself, its files and later runs are unaffected. Holds the VM weakly.
#[derive(Debug, Clone)]
pub struct Interrupter(Weak<VmShared>);

impl Interrupter {
    /// Sends the interrupt; does nothing if no process runs or the VM is gone.
    pub fn interrupt(&self) {
        let Some(shared) = self.0.upgrade() else { return };
        let tops = shared.lock_tops().clone();
        for pid in tops {
            // The top first: from then on, any child it still registers is
            // killed at birth (see `register_process`), so the walk below
            // cannot miss one.
            if let Ok(control) = shared.kernel.control_of(pid) {
                control.kill(KillReason::Signal(SIGINT));
            }
            shared.kernel.kill_descendants_in_group(pid, KillReason::Signal(SIGINT));
        }
    }
}

/// Why a process could not be started.
enum StartError {
    Kernel(KernelError),
    Runtime(RuntimeError),
}

/// What a new process is started with, besides its arguments and fds.
struct Start {
    program: Program,
    control: Arc<ProcessControl>,
    cred: Cred,
    /// See [`RunOptions::session_line`].
    session_line: bool,
    cwd: String,
    umask: u32,
}

impl VmShared {
    /// Who the VM's top-level processes run as.
    fn first_cred(&self) -> Cred {
        self.config.identity().cred()
    }

    fn lock_tops(&self) -> std::sync::MutexGuard<'_, Vec<Pid>> {
        self.tops.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh control block for a process of this VM, its wall clock
    /// (`wall`, else the VM's) starting now.
    fn new_control(&self, wall: Option<Duration>) -> Arc<ProcessControl> {
        Arc::new(ProcessControl::new(Instant::now().checked_add(wall.unwrap_or(self.config.limits.wall))))
    }

    /// The stdio of a run: the VM's, but for what `options` replace.
    fn run_stdio(&self, options: &RunOptions) -> Result<RunStdio, RuntimeError> {
        let own = &self.stdio;
        let stdin = options.stdin.as_ref().map(stdio::input).transpose()?.unwrap_or_else(|| own.stdin.clone());
        let output = |given: &Option<Output>, stream, own: (&Arc<dyn HostOutput>, &Option<Capture>)| {
            Ok::<_, GrantError>(match given {
                Some(grant) => stdio::output(grant, stream)?,
                None => (own.0.clone(), own.1.clone()),
            })
        };
        let (stdout, out) = output(&options.stdout, Stream::Stdout, (&own.stdout, &own.captures.0))?;
        let (stderr, err) = output(&options.stderr, Stream::Stderr, (&own.stderr, &own.captures.1))?;
        Ok(RunStdio { stdin, stdout, stderr, captures: (out, err) })
    }

    /// The outcome of a run that began when the VM had spent `cpu_before`,
    /// with what its streams captured.
    fn outcome(&self, ended: Ended, cpu_before: Duration, captures: &(Option<Capture>, Option<Capture>)) -> Outcome {
        let take = |capture: &Option<Capture>| capture.as_ref().map(Capture::take).unwrap_or_default();
        Outcome {
            status: ended.status,
            cpu: self.kernel.budget().usage().cpu.saturating_sub(cpu_before),
            fuel_used: ended.fuel_used,
            stdout: take(&captures.0),
            stderr: take(&captures.1),
        }
    }

    /// The digest of module bytes: given with them (the suite's, computed at
    /// build time), else one computed earlier for the same bytes when they
    /// belong to a filesystem layer (remembered by address), else computed now.
    fn digest_of(&self, bytes: &SharedBytes) -> [u8; 32] {
        let engine = &self.engine;
        let known = bytes.sha256().or_else(|| {
            let digests = engine.shared_digests.lock().unwrap_or_else(|p| p.into_inner());
            digests.get(&(bytes.as_ptr() as usize)).map(|(_, sha)| *sha)
        });
        if let Some(sha) = known {
            return sha;
        }
        let sha = digest(bytes);
        // Only bytes someone else also holds (a layer) have a stable address.
        if bytes.is_shared() {
            let key = bytes.as_ptr() as usize;
            engine.shared_digests.lock().unwrap_or_else(|p| p.into_inner()).insert(key, (bytes.clone(), sha));
        }
        sha
    }

    /// A command of a layer the host built (the suite's), compiled here if
    /// it must be: trusted, and needed before any deadline applies.
    fn prepare_layer(&self, bytes: &SharedBytes) -> Result<InstancePre<ProcessData>, RuntimeError> {
        self.prepare_digested(&self.digest_of(bytes), &mut || Ok(Cow::Borrowed(bytes)))
    }

    /// A host module known by its sha256, compiled here if it must be;
    /// `wasm` is called for its bytes only then.
    fn prepare_digested<'a>(
        &self,
        sha: &[u8; 32],
        wasm: &mut dyn FnMut() -> Result<Cow<'a, [u8]>, RuntimeError>,
    ) -> Result<InstancePre<ProcessData>, RuntimeError> {
        programs::host_program(&self.runtime.modules, &self.engine, sha, wasm)
    }

    /// The program a spawn asks for, made ready within the parent's limits:
    /// a host's module through the shared caches, a guest-written one at
    /// this VM's expense.
    fn prepare_spawn(&self, executable: &Executable, until: &ProcessControl) -> Result<Program, PrepareError> {
        if executable.guest_written {
            return self.guest_programs.prepare(&self.engine, &executable.bytes, until);
        }
        let bytes = &executable.bytes;
        let sha = self.digest_of(bytes);
        let pre = programs::host_program_within(&self.runtime.modules, &self.engine, &sha, Wasm::Shared(bytes), until)?;
        Ok(Program { pre, charge: None })
    }

    /// The first process's fds: stdio at 0-2, each granted dir from 3 on
    /// (announced under its guest path), and last, if granted, the VM's own
    /// filesystem announced as `/`.
    fn initial_fds(&self, stdio: &RunStdio) -> Result<FdTable, RuntimeError> {
        let limits = &self.config.limits;
        let mut fds = FdTable::new(limits.fds);
        let stdio = [
            OpenFile::host_input(stdio.stdin.clone()),
            OpenFile::host_output(stdio.stdout.clone(), limits.stdout_bytes, LimitKind::Stdout),
            OpenFile::host_output(stdio.stderr.clone(), limits.stderr_bytes, LimitKind::Stderr),
        ];
        for file in stdio {
            fds.insert(FdEntry::new(file)).map_err(fd_limit)?;
        }
        let vfs = self.kernel.vfs();
        for (index, grant) in self.config.grants.dirs.iter().enumerate() {
            let dir =
                vfs.open_mount(index).map_err(|source| GrantError::Preopen { guest: grant.guest.clone(), source })?;
            fds.insert(FdEntry::preopen(dir, grant.guest.clone())).map_err(fd_limit)?;
        }
        if self.config.grants.vm_fs {
            fds.insert(FdEntry::preopen(vfs.root(), "/")).map_err(fd_limit)?;
        }
        Ok(fds)
    }

    /// Registers a process and starts its thread.
    fn start_process(
        &self,
        parent: Option<Pid>,
        start: Start,
        args: Vec<String>,
        env: Vec<String>,
        fds: FdTable,
    ) -> Result<(Pid, process::ProcessHandle), StartError> {
        let this = self.this.upgrade().ok_or(StartError::Kernel(KernelError::Io))?;
        let limits = self.config.limits.clone();
        let Start { program, control, cred, cwd, umask, session_line } = start;
        let pid = self
            .kernel
            .register_process(ProcessSpec { parent, cred: cred.clone(), cwd, control: control.clone(), session_line })
            .map_err(StartError::Kernel)?;
        let ctx = WasiCtx {
            kernel: self.kernel.clone(),
            pid,
            cred,
            fds,
            args,
            env,
            umask,
            control,
            spawner: this.clone(),
            tools: self.config.grants.tools.clone(),
            broken_pipe_seen: false,
        };
        *self.threads.0.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        let on_exit = {
            let this = this.clone();
            // A guest-written module's charge is held while a process runs it.
            let charge = program.charge;
            move |result: &Result<Ended, RuntimeError>| {
                drop(charge);
                this.kernel.exit_process(pid, process::wait_status(result));
                let mut running = this.threads.0.lock().unwrap_or_else(|p| p.into_inner());
                *running = running.saturating_sub(1);
                this.threads.1.notify_all();
            }
        };
        match process::start_pooled(program.pre, ctx, limits, on_exit) {
            Ok(handle) => Ok((pid, handle)),
            Err(err) => {
                self.kernel.exit_process(pid, capsa_kernel::WaitStatus::Signaled(SIGKILL));
                *self.threads.0.lock().unwrap_or_else(|p| p.into_inner()) -= 1;
                Err(StartError::Runtime(err))
            }
        }
    }

    /// Waits (bounded) until every process thread of the VM has ended.
    fn wait_for_threads(&self) {
        let deadline = Instant::now() + REAP_TIMEOUT;
        let mut running = self.threads.0.lock().unwrap_or_else(|p| p.into_inner());
        while *running > 0 {
            let now = Instant::now();
            if now >= deadline {
                tracing::warn!("{} process threads still running after the VM's top process ended", *running);
                return;
            }
            running = self.threads.1.wait_timeout(running, deadline - now).unwrap_or_else(|p| p.into_inner()).0;
        }
    }
}

impl Spawner for VmShared {
    fn spawn(&self, request: SpawnRequest) -> Result<Pid, KernelError> {
        // Compiling the child's module is the parent's wait: it ends when
        // the parent is killed or reaches its deadline.
        let until = self.kernel.control_of(request.parent)?;
        let program = self.prepare_spawn(&request.executable, &until).map_err(|err| {
            tracing::debug!("spawn {}: {err:?}", request.executable.path);
            match err {
                PrepareError::Runtime(_) => KernelError::NotExecutable,
                PrepareError::Stopped(_) => KernelError::Interrupted,
                PrepareError::Budget => KernelError::NoMemory,
            }
        })?;
        let SpawnRequest { parent, cred, args, env, cwd, fds, umask, .. } = request;
        let start = Start { program, control: self.new_control(None), cred, cwd, umask, session_line: false };
        // The child's handle is not joined: it reports through the kernel's
        // process table, and the VM counts its thread.
        self.start_process(Some(parent), start, args, env, fds).map(|(pid, _detached)| pid).map_err(|err| match err {
            StartError::Kernel(err) => err,
            StartError::Runtime(err) => {
                tracing::warn!("spawn: {err}");
                KernelError::Io
            }
        })
    }
}

fn fd_limit(err: KernelError) -> RuntimeError {
    GrantError::FdLimit(err).into()
}
