//! Builds the guest workspace's `sh` package (`sh` and `sh-testbin`) for
//! wasm32-wasip1 and generates `$OUT_DIR/paths.rs` with the paths of their
//! `.wasm` files.
//!
//! The nested `cargo build` runs with an environment cleaned of what the
//! outer cargo sets for build scripts, as `crates/test-programs/build.rs`
//! does (the variable lists below are copied from it: a build script cannot
//! share code with another crate's build script without a new crate).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip1";
const PACKAGE: &str = "sh";

/// Variables the outer cargo (or clippy) sets that would change the nested build.
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

/// Prefixes of variables removed for the same reason.
const REMOVED_PREFIXES: &[&str] = &["CARGO_CFG_", "CARGO_FEATURE_", "CARGO_PKG_", "CARGO_PROFILE_", "DEP_"];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let repo = manifest_dir.parent().and_then(Path::parent).expect("crates/sh-tests is two levels deep").to_path_buf();
    let guest = repo.join("guest");
    let target_dir = guest.join("target");
    for path in
        [guest.join("Cargo.toml"), guest.join("Cargo.lock"), guest.join(PACKAGE), guest.join("wasi-ext").join("src")]
    {
        println!("cargo:rerun-if-changed={}", path.display());
    }

    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.args(["build", "--release", "--target", TARGET, "--manifest-path"])
        .arg(guest.join("Cargo.toml"))
        .args(["-p", PACKAGE, "--bins", "--target-dir"])
        .arg(&target_dir)
        .current_dir(&guest);
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if REMOVED_VARS.contains(&key) || REMOVED_PREFIXES.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(key);
        }
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("running cargo: {e}"));
    if !output.status.success() {
        panic!(
            "building guest/sh failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let wasm_dir = target_dir.join(TARGET).join("release");
    let mut code = String::new();
    for (constant, file) in [("SH_WASM", "sh.wasm"), ("TESTBIN_WASM", "sh-testbin.wasm")] {
        let path = wasm_dir.join(file);
        assert!(path.is_file(), "the guest build did not produce {}", path.display());
        code.push_str(&format!(
            "/// `guest/sh`'s `{file}`, built for wasm32-wasip1.\npub const {constant}: &str = {:?};\n",
            path.to_str().expect("UTF-8 path")
        ));
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("paths.rs");
    std::fs::write(out, code).expect("writing paths.rs");
}
