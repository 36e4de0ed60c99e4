//! A VM: one kernel booted from a VM's grants, in which programs run as processes.

use std::sync::Arc;
use std::time::Instant;

use capsa_kernel::{
    Cred, FdEntry, FdTable, HostInput, HostOutput, Kernel, KernelConfig, LimitKind, OpenFile, OpenOptions, Quota,
    VfsConfig,
};
use capsa_wasi::{ProcessControl, WasiCtx};
use wasmtime::{ExternType, Module};

use crate::base::DEFAULT_UID;
use crate::config::VmConfig;
use crate::host::{self, Capture, Stream};
use crate::outcome::Outcome;
use crate::{RuntimeError, RuntimeInner, process};

/// File-creation mask of a new process.
const DEFAULT_UMASK: u32 = 0o022;

/// A booted VM: a kernel with its grants, ready to run programs.
pub struct Vm {
    runtime: Arc<RuntimeInner>,
    kernel: Arc<Kernel>,
    config: VmConfig,
    stdin: Arc<dyn HostInput>,
    stdout: Arc<dyn HostOutput>,
    stderr: Arc<dyn HostOutput>,
    captures: (Option<Capture>, Option<Capture>),
}

impl std::fmt::Debug for Vm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vm").field("config", &self.config).finish_non_exhaustive()
    }
}

impl Vm {
    pub(crate) fn boot(runtime: Arc<RuntimeInner>, config: VmConfig) -> Result<Vm, RuntimeError> {
        let grants = &config.grants;
        let mounts = grants.dirs.iter().map(host::mount).collect::<Result<Vec<_>, _>>()?;
        let kernel = Kernel::new(KernelConfig {
            vfs: VfsConfig {
                layers: vec![runtime.base_layer.clone()],
                mounts,
                quota: Quota { max_bytes: config.limits.disk_bytes, max_inodes: config.limits.disk_inodes },
                real_time: grants.clock,
                entropy: grants.random,
            },
            clock: grants.clock,
            entropy: grants.random,
        })
        .map_err(|e| RuntimeError::Grant(format!("cannot build the VM's filesystem: {e}")))?;
        let stdin = host::input(&grants.stdin)?;
        let (stdout, out_capture) = host::output(&grants.stdout, Stream::Stdout)?;
        let (stderr, err_capture) = host::output(&grants.stderr, Stream::Stderr)?;
        Ok(Vm { runtime, kernel, config, stdin, stdout, stderr, captures: (out_capture, err_capture) })
    }

    /// The VM's kernel.
    pub fn kernel(&self) -> &Arc<Kernel> {
        &self.kernel
    }

    /// Runs a wasm32-wasip1 command module to completion as a process of this
    /// VM. `args[0]` is the program name the guest sees.
    ///
    /// # Errors
    /// The module is malformed, imports something capsa does not provide, is
    /// not a command, or cannot be instantiated within the limits. The guest's
    /// own failures (traps, kills, exit codes) are in the [`Outcome`].
    pub fn run(&self, wasm: &[u8], args: &[String]) -> Result<Outcome, RuntimeError> {
        let entry = self.runtime.engines.get(self.config.limits.stack)?;
        let module = self.runtime.modules.load(&entry, wasm)?;
        check_imports(&module)?;
        if !matches!(module.get_export("_start"), Some(ExternType::Func(_))) {
            return Err(RuntimeError::NotCommand("it exports no `_start` function".into()));
        }
        let ctx = self.process_ctx(args)?;
        let status = process::run(entry, module, ctx, self.config.limits.clone())?;
        let take = |capture: &Option<Capture>| capture.as_ref().map(Capture::take).unwrap_or_default();
        Ok(Outcome { status, stdout: take(&self.captures.0), stderr: take(&self.captures.1) })
    }

    /// A new process's context: stdio at 0-2, each granted dir from 3 on, the
    /// VM root `/` last.
    fn process_ctx(&self, args: &[String]) -> Result<WasiCtx, RuntimeError> {
        let limits = &self.config.limits;
        let mut fds = FdTable::new(limits.fds);
        let stdio = [
            OpenFile::host_input(self.stdin.clone()),
            OpenFile::host_output(self.stdout.clone(), limits.stdout_bytes, LimitKind::Stdout),
            OpenFile::host_output(self.stderr.clone(), limits.stderr_bytes, LimitKind::Stderr),
        ];
        for file in stdio {
            fds.insert(FdEntry::new(file)).map_err(fd_limit)?;
        }
        let vfs = self.kernel.vfs();
        let root = vfs.root();
        let as_dir = OpenOptions { read: true, directory: true, follow: true, ..OpenOptions::default() };
        for grant in &self.config.grants.dirs {
            let path = host::mount_point(&grant.guest);
            let dir = vfs
                .open_at(&Cred::root(), &root, &path, as_dir)
                .map_err(|e| RuntimeError::Grant(format!("preopen {}: {e}", grant.guest)))?;
            fds.insert(FdEntry { file: dir, preopen: Some(grant.guest.clone()) }).map_err(fd_limit)?;
        }
        fds.insert(FdEntry { file: root, preopen: Some("/".into()) }).map_err(fd_limit)?;
        let deadline = Instant::now().checked_add(limits.wall);
        Ok(WasiCtx {
            kernel: self.kernel.clone(),
            cred: Cred::user(DEFAULT_UID, DEFAULT_UID),
            fds,
            args: args.to_vec(),
            env: self.config.grants.env.iter().map(|(k, v)| format!("{k}={v}")).collect(),
            umask: DEFAULT_UMASK,
            control: Arc::new(ProcessControl::new(deadline)),
        })
    }
}

fn fd_limit(err: capsa_kernel::KernelError) -> RuntimeError {
    RuntimeError::Grant(format!("the fd limit is too small for stdio and preopens: {err}"))
}

/// Fails with every import capsa does not provide, named `module::name`.
fn check_imports(module: &Module) -> Result<(), RuntimeError> {
    let missing: Vec<String> = module
        .imports()
        .filter(|import| {
            !(import.module() == capsa_wasi::preview1::MODULE
                && capsa_wasi::preview1::FUNCTIONS.contains(&import.name()))
        })
        .map(|import| format!("{}::{}", import.module(), import.name()))
        .collect();
    if missing.is_empty() { Ok(()) } else { Err(RuntimeError::UnknownImports(missing)) }
}
