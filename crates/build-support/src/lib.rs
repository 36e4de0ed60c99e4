//! What capsa's build scripts (`crates/suite`, `crates/test-programs`)
//! share: the guest target, making sure the toolchain has it, and a nested
//! `cargo` that builds guests without inheriting the outer build's settings.

use std::env;
use std::path::Path;
use std::process::Command;

/// The target every guest is built for.
pub const TARGET: &str = "wasm32-wasip1";

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
