//! What capsa's build scripts (`crates/suite`, `crates/test-programs`)
//! share: the guest target, making sure the toolchain has it, a nested
//! `cargo` that builds guests without inheriting the outer build's settings,
//! and the pinned C compiler for guests ([`ziglang`]).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The target every guest is built for.
pub const TARGET: &str = "wasm32-wasip1";

/// The pinned `ziglang` PyPI package whose `zig cc` (clang with wasi-libc)
/// compiles the guests' C.
pub const ZIGLANG_VERSION: &str = "0.15.2";

/// Variables the outer cargo (or clippy, or a coverage tool) sets for a build
/// script that would change or break a nested build.
const REMOVED_VARS: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_RUSTC",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUSTC",
    "RUSTDOC",
    "RUSTC_LINKER",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CLIPPY_ARGS",
    "CLIPPY_CONF_DIR",
    "CARGO_MAKEFLAGS",
    "MAKEFLAGS",
    "MFLAGS",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "OPT_LEVEL",
    "PROFILE",
    "DEBUG",
    "NUM_JOBS",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_CRATE_NAME",
];

/// Prefixes of variables removed for the same reason: per-package,
/// per-profile and per-target settings of the outer build.
const REMOVED_PREFIXES: &[&str] =
    &["CARGO_CFG_", "CARGO_FEATURE_", "CARGO_PKG_", "CARGO_PROFILE_", "CARGO_TARGET_", "DEP_"];

/// Makes sure the toolchain can build for [`TARGET`]: `rust-toolchain.toml`
/// lists it, but rustup adds listed targets only when it installs a toolchain,
/// so a machine that already had the toolchain may lack it. Adding it here
/// keeps `cargo test` the only command a fresh machine needs.
///
/// # Panics
/// If the target is missing and `rustup target add` fails (a build script
/// reports errors by panicking).
pub fn ensure_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc).args(["--print", "sysroot"]).output().ok().filter(|o| o.status.success());
    let installed = sysroot.is_some_and(|o| {
        Path::new(String::from_utf8_lossy(&o.stdout).trim()).join("lib/rustlib").join(TARGET).is_dir()
    });
    if installed {
        return;
    }
    let status = Command::new("rustup").args(["target", "add", TARGET]).status();
    match status {
        Ok(status) if status.success() => {}
        other => panic!("the {TARGET} target is missing and `rustup target add {TARGET}` failed: {other:?}"),
    }
}

/// A `Command` running the outer build's cargo, with every variable the
/// outer build set for its build script removed.
pub fn nested_cargo() -> Command {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if REMOVED_VARS.contains(&key) || REMOVED_PREFIXES.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// Makes `python3 -m ziglang` [`ZIGLANG_VERSION`] available: the system's if
/// it is that version (returns `None`), else one in `<dir>/ziglang-<version>`,
/// installed there with pip if missing (returns that directory, for
/// `PYTHONPATH`). The install goes through a staging directory renamed into
/// place, so a concurrent build doing the same is harmless. Each build
/// script passes its own `dir`, so neither can replace a copy the other is
/// using.
///
/// # Panics
/// If python3 or pip fails (the message names `needed_by`, what needs C).
pub fn ziglang(target: &Path, needed_by: &str) -> Option<PathBuf> {
    let version = |pythonpath: Option<&Path>| -> Option<String> {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "ziglang", "version"]);
        if let Some(dir) = pythonpath {
            cmd.env("PYTHONPATH", dir);
        }
        let output = cmd.output().ok().filter(|o| o.status.success())?;
        Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
    };
    if version(None).as_deref() == Some(ZIGLANG_VERSION) {
        return None;
    }
    let local = target.join(format!("ziglang-{ZIGLANG_VERSION}"));
    if version(Some(&local)).as_deref() == Some(ZIGLANG_VERSION) {
        return Some(local);
    }
    let staging = target.join(format!("ziglang-{ZIGLANG_VERSION}.tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let pip = Command::new("python3")
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "--target"])
        .arg(&staging)
        .arg(format!("ziglang=={ZIGLANG_VERSION}"))
        .output()
        .unwrap_or_else(|e| {
            panic!("{needed_by} needs a C compiler: python3 to install ziglang=={ZIGLANG_VERSION}: {e}")
        });
    assert!(
        pip.status.success(),
        "{needed_by} needs a C compiler (zig cc from PyPI's ziglang=={ZIGLANG_VERSION}), and pip failed:\n{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    if fs::rename(&staging, &local).is_err() {
        // Another build installed it meanwhile.
        let _ = fs::remove_dir_all(&staging);
    }
    assert_eq!(version(Some(&local)).as_deref(), Some(ZIGLANG_VERSION), "ziglang in {}", local.display());
    Some(local)
}
