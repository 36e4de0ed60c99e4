//! Runs capsa's shell inside VMs for its host tests, and holds its
//! differential corpus ([`corpus`]). [`Sh`] runs in the same VM `capsa exec`
//! runs a command line in ([`capsa_suite::shell::ShellVm`]):
//! the command suite's layer with `/bin/sh`, the suite's real commands, the
//! clock and entropy grants. Only stdout and stderr differ (captured here).
//!
//! ```no_run
//! let out = capsa_sh_tests::Sh::new().run("echo hello | tr a-z A-Z");
//! assert_eq!(out.stdout_str(), "HELLO\n");
//! ```

pub mod corpus;

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use capsa_runtime::{DirGrant, Input, Outcome, Output, Runtime, RuntimeOptions, VmConfig};
use capsa_suite::shell::{SH, ShellVm};

/// The runtime shared by a test binary (compiled modules cached under
/// cargo's target dir).
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/sh-tests-module-cache");
        let runtime = Runtime::new(RuntimeOptions { cache_dir: Some(cache_dir), ..RuntimeOptions::default() })
            .expect("creating the runtime");
        // Compile the suite before any test's wall clock runs: a first,
        // uncached compile of coreutils can take seconds on a busy machine.
        let config = ShellVm::default().config(VmConfig::default()).expect("the suite's layer");
        let vm = runtime.vm(config).expect("booting a VM");
        for module in capsa_suite::MODULES {
            vm.preload(&format!("{}/{}.wasm", capsa_suite::LIBEXEC, module.name)).expect("compiling the suite");
        }
        runtime
    })
}

/// One shell run in a fresh VM.
#[derive(Debug, Clone)]
pub struct Sh {
    /// The VM's configuration before the shell VM's own (stdio, limits,
    /// extra grants); [`ShellVm::config`] adds the suite, mounts and environment.
    pub config: VmConfig,
    /// The shell VM: mounts and working directory.
    pub shell: ShellVm,
}

impl Default for Sh {
    fn default() -> Self {
        Self::new()
    }
}

impl Sh {
    /// Captured stdout and stderr, stdin empty, `LC_ALL=C`, a 30 s wall
    /// clock, the working directory `HOME`.
    pub fn new() -> Sh {
        let mut config = VmConfig::default();
        config.grants.stdout = Output::Capture;
        config.grants.stderr = Output::Capture;
        config.limits.wall = Duration::from_secs(30);
        config.grants.env = vec![("LC_ALL".into(), "C".into())];
        Sh { config, shell: ShellVm::default() }
    }

    /// Grants a host directory at `guest` and makes it the working directory.
    pub fn in_dir(mut self, host: &Path, guest: &str) -> Sh {
        self.shell.mounts.push(DirGrant { host: host.to_path_buf(), guest: guest.into(), read_only: false });
        self.shell.workdir = Some(guest.into());
        self
    }

    /// Sets stdin.
    pub fn stdin(mut self, bytes: &[u8]) -> Sh {
        self.config.grants.stdin = Input::Bytes(bytes.to_vec());
        self
    }

    /// Runs `sh -c script`.
    pub fn run(&self, script: &str) -> Outcome {
        self.run_args(&["-c", script])
    }

    /// Runs `sh ARGS…` as `capsa exec` runs `sh -c`.
    pub fn run_args(&self, args: &[&str]) -> Outcome {
        let config = self.shell.config(self.config.clone()).expect("the suite's layer");
        let mut argv = vec!["sh".to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        runtime().vm(config).expect("booting a VM").run_path(SH, &argv).expect("running sh")
    }
}
