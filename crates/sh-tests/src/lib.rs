//! Runs capsa's shell (`guest/sh`) inside VMs for its host tests.
//!
//! The build script compiles `guest/sh` for wasm32-wasip1. [`layer`] puts
//! the shell at `/bin/sh` and `/bin/bash` (mode 0755) and the small test
//! commands of `sh-testbin` (`cat`, `seq`, `sort`, `head`, `tr`, …) under
//! `/opt/sh-test/bin`, which [`Sh`] puts last in `PATH`, so the command
//! suite's real commands win wherever a VM has them.
//!
//! ```no_run
//! let out = capsa_sh_tests::Sh::new().run("echo hello | tr a-z A-Z");
//! assert_eq!(out.stdout_str(), "HELLO\n");
//! ```

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use capsa_kernel::{Layer, LayerBuilder, Meta};
use capsa_runtime::{DirGrant, Input, Outcome, Output, Runtime, RuntimeOptions, VmConfig};

include!(concat!(env!("OUT_DIR"), "/paths.rs"));

/// The commands `sh-testbin` answers to.
pub const TEST_COMMANDS: &[&str] = &[
    "cat", "seq", "sort", "head", "tail", "tr", "wc", "grep", "uniq", "cut", "sleep", "touch", "rm", "mkdir", "ls",
    "basename", "dirname",
];

/// Where the test commands live in the VM.
pub const TEST_BIN: &str = "/opt/sh-test/bin";

/// The `PATH` tests run with.
pub const PATH: &str = "/usr/local/bin:/usr/bin:/bin:/opt/sh-test/bin";

/// The runtime shared by a test binary (compiled modules cached under
/// cargo's target dir).
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let cache_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/sh-tests-module-cache");
        Runtime::new(RuntimeOptions { cache_dir: Some(cache_dir) }).expect("creating the runtime")
    })
}

/// The shell's module bytes.
pub fn sh_wasm() -> Arc<[u8]> {
    static BYTES: OnceLock<Arc<[u8]>> = OnceLock::new();
    BYTES.get_or_init(|| Arc::from(std::fs::read(SH_WASM).expect("reading sh.wasm"))).clone()
}

/// The layer with `/bin/sh`, `/bin/bash` and the test commands.
pub fn layer() -> Arc<Layer> {
    static LAYER: OnceLock<Arc<Layer>> = OnceLock::new();
    LAYER
        .get_or_init(|| {
            let testbin: Arc<[u8]> = Arc::from(std::fs::read(TESTBIN_WASM).expect("reading sh-testbin.wasm"));
            let mut b = LayerBuilder::new();
            b.file("/bin/sh", sh_wasm(), Meta::root(0o755)).expect("/bin/sh");
            b.file("/bin/bash", sh_wasm(), Meta::root(0o755)).expect("/bin/bash");
            for name in TEST_COMMANDS {
                b.file(&format!("{TEST_BIN}/{name}"), testbin.clone(), Meta::root(0o755)).expect("test command");
            }
            b.build()
        })
        .clone()
}

/// One shell run in a fresh VM.
#[derive(Debug, Clone)]
pub struct Sh {
    /// The VM's configuration.
    pub config: VmConfig,
    /// The shell's working directory (`PWD`).
    pub cwd: String,
}

impl Default for Sh {
    fn default() -> Self {
        Self::new()
    }
}

impl Sh {
    /// Captured stdout and stderr, stdin empty, `PATH` with the test
    /// commands, `HOME=/home/user`, a 30 s wall clock.
    pub fn new() -> Sh {
        let mut config = VmConfig { layers: vec![layer()], ..VmConfig::default() };
        config.grants.stdout = Output::Capture;
        config.grants.stderr = Output::Capture;
        config.limits.wall = Duration::from_secs(30);
        config.grants.env =
            vec![("PATH".into(), PATH.into()), ("HOME".into(), "/home/user".into()), ("LC_ALL".into(), "C".into())];
        Sh { config, cwd: "/home/user".into() }
    }

    /// Grants a host directory at `guest` and makes it the working directory.
    pub fn in_dir(mut self, host: &Path, guest: &str) -> Sh {
        self.config.grants.dirs.push(DirGrant { host: host.to_path_buf(), guest: guest.into(), read_only: false });
        self.cwd = guest.into();
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

    /// Runs `sh ARGS…`.
    pub fn run_args(&self, args: &[&str]) -> Outcome {
        let mut config = self.config.clone();
        config.grants.env.push(("PWD".into(), self.cwd.clone()));
        let mut argv = vec!["sh".to_string()];
        argv.extend(args.iter().map(|a| a.to_string()));
        runtime().vm(config).expect("booting a VM").run(&sh_wasm(), &argv).expect("running sh")
    }
}
