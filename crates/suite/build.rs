//! Builds the command suite's wasm32-wasip1 modules and generates
//! `$OUT_DIR/modules.rs`, which embeds them (`include_bytes!`).
//!
//! Two kinds of module:
//!
//! - **Tools from crates.io** ([`TOOLS`]): each is `cargo install`ed at a
//!   pinned version with `--locked` (every one ships its lockfile) into
//!   `guest/target/suite/<crate>-<version>/`, a cache that survives `cargo
//!   clean` of the host workspace. A tool whose directory holds a stamp equal
//!   to the current build key (crate, version, arguments, profile, rustc,
//!   startup object) is not rebuilt, so an incremental build costs nothing.
//!   The build happens in a staging directory renamed into place, so an
//!   interrupted build leaves no half-installed tool. Intermediate artifacts
//!   are kept in one shared target dir (`guest/target/suite/build`) so that
//!   dependencies common to several tools compile once.
//! - **Our own commands** (`guest/commands`) and **the shell** (`guest/sh`):
//!   built together by one `cargo build --release` in the guest workspace,
//!   like the test programs.
//!
//! The crates.io tools are linked with a small startup object
//! (`pwd_init.rs`, compiled here with `rustc`) that `chdir`s to `$PWD`
//! before `main`: WASI has no working directory, and capsa passes a spawned
//! process its directory in `PWD` (see `docs/abi.md`); our own commands do
//! the same through `wasi_ext::init()`.
//!
//! Every nested cargo runs with an environment cleaned of what the outer cargo
//! sets for build scripts (`capsa_build_support::nested_cargo`).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use capsa_build_support::{TARGET, ZIGLANG_VERSION, ensure_target, nested_cargo, ziglang};
use sha2::Digest as _;

/// A tool installed from crates.io.
struct Tool {
    /// Crate name on crates.io.
    krate: &'static str,
    /// Exact version.
    version: &'static str,
    /// Extra `cargo install` arguments (features, binaries).
    args: &'static [&'static str],
    /// Binaries it installs; each becomes the module `<bin>.wasm`.
    bins: &'static [&'static str],
    /// Whether it compiles C for the target (a `-sys` crate), which needs
    /// a wasm32-wasi C compiler: [`zig_cc`].
    needs_cc: bool,
}

/// The pinned crates.io tools. Changing a line here rebuilds that tool.
const TOOLS: &[Tool] = &[
    Tool {
        krate: "coreutils",
        version: "0.12.0",
        args: &["--no-default-features", "--features", "feat_wasm"],
        bins: &["coreutils"],
        needs_cc: false,
    },
    Tool { krate: "sed", version: "0.3.0", args: &[], bins: &["sed"], needs_cc: false },
    Tool { krate: "diffutils", version: "0.6.0", args: &[], bins: &["diffutils"], needs_cc: false },
    // findutils needs oniguruma (`onig_sys`), which is C. Its `xargs` is not
    // built: it spawns through std::process, which wasip1 lacks (ours does not).
    Tool { krate: "findutils", version: "0.11.0", args: &["--bin", "find"], bins: &["find"], needs_cc: true },
    Tool { krate: "ripgrep", version: "15.2.0", args: &[], bins: &["rg"], needs_cc: false },
];

/// The guest package of our own commands, and its binary.
const COMMANDS_PACKAGE: &str = "capsa-commands";
/// The guest package and binary of the shell.
const SH_PACKAGE: &str = "sh";

/// Release-profile settings for the crates.io tools, overriding each crate's
/// own (fat LTO, one codegen unit): fast to build on two cores, small enough.
const PROFILE: &[(&str, &str)] = &[
    ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s"),
    ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
    ("CARGO_PROFILE_RELEASE_LTO", "false"),
    ("CARGO_PROFILE_RELEASE_DEBUG", "false"),
    ("CARGO_PROFILE_RELEASE_STRIP", "debuginfo"),
    ("CARGO_PROFILE_RELEASE_PANIC", "abort"),
    ("CARGO_PROFILE_RELEASE_INCREMENTAL", "false"),
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let repo = manifest_dir.parent().and_then(Path::parent).expect("crates/suite is two levels below the root");
    let guest = repo.join("guest");
    let suite_dir = guest.join("target").join("suite");
    fs::create_dir_all(&suite_dir).unwrap_or_else(|e| panic!("creating {}: {e}", suite_dir.display()));

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=pwd_init.rs");
    for path in [
        guest.join("Cargo.toml"),
        guest.join("Cargo.lock"),
        guest.join("commands"),
        guest.join("sh"),
        guest.join("wasi-ext").join("src"),
        guest.join("wasi-ext").join("Cargo.toml"),
    ] {
        println!("cargo:rerun-if-changed={}", path.display());
    }

    ensure_target();
    let rustc_version = rustc_version();
    let init_object = build_pwd_init(&manifest_dir.join("pwd_init.rs"), &suite_dir);

    let mut modules = Vec::new();
    // The C compiler is provisioned only if a tool that needs it is built.
    let mut zig = None;
    let mut cc = || zig.get_or_insert_with(|| zig_cc(&suite_dir)).clone();
    for tool in TOOLS {
        for (bin, path) in install_tool(tool, &suite_dir, &init_object, &rustc_version, &mut cc) {
            modules.push(Module { name: bin, source: format!("{} {} (crates.io)", tool.krate, tool.version), path });
        }
    }
    let [commands, sh] = build_own(&guest);
    modules.push(Module {
        name: "commands".into(),
        source: format!("{COMMANDS_PACKAGE} (guest/commands)"),
        path: commands,
    });
    modules.push(Module { name: "sh".into(), source: format!("{SH_PACKAGE} (guest/sh)"), path: sh });

    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("modules.rs");
    fs::write(&out, generate(&modules)).expect("writing modules.rs");
}

/// A built module, for `modules.rs`.
struct Module {
    name: String,
    source: String,
    path: PathBuf,
}

/// The contents of `modules.rs`: one `ModuleInfo` per module.
fn generate(modules: &[Module]) -> String {
    let mut code = String::from(
        "/// Every module of the suite, as built by `build.rs`, in build order.\npub static MODULES: &[ModuleInfo] = &[\n",
    );
    for module in modules {
        let path = module.path.to_str().expect("UTF-8 path to the suite cache");
        // The digest names the module's compiled form in capsa's cache: with
        // it known, running a cached module reads none of its bytes.
        let bytes = fs::read(&module.path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        let sha256: [u8; 32] = sha2::Sha256::digest(&bytes).into();
        writeln!(
            code,
            "    ModuleInfo {{ name: {:?}, source: {:?}, bytes: include_bytes!({path:?}), sha256: {sha256:?} }},",
            module.name, module.source
        )
        .unwrap();
    }
    code.push_str("];\n");
    code
}

/// `rustc -vV`, part of every tool's build key.
fn rustc_version() -> String {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc).arg("-vV").output().unwrap_or_else(|e| panic!("running rustc -vV: {e}"));
    assert!(output.status.success(), "rustc -vV failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Compiles `pwd_init.rs` to a wasm object file in `suite_dir`, named after a
/// hash of its source so that a changed source is a new file (and a new build
/// key for every tool).
fn build_pwd_init(source: &Path, suite_dir: &Path) -> PathBuf {
    let text = fs::read(source).unwrap_or_else(|e| panic!("reading {}: {e}", source.display()));
    let object = suite_dir.join(format!("pwd_init-{:016x}.o", fnv1a(&text)));
    if object.is_file() {
        return object;
    }
    let tmp = suite_dir.join(format!(".pwd_init-{}.o", std::process::id()));
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(&rustc)
        .args(["--target", TARGET, "--crate-type", "lib", "--emit", "obj", "--edition", "2024"])
        .args(["-C", "opt-level=2", "-C", "panic=abort", "-C", "codegen-units=1", "-o"])
        .arg(&tmp)
        .arg(source)
        .output()
        .unwrap_or_else(|e| panic!("running rustc: {e}"));
    assert!(
        output.status.success(),
        "compiling {} failed:\n{}",
        source.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    fs::rename(&tmp, &object).unwrap_or_else(|e| panic!("renaming {} into place: {e}", tmp.display()));
    object
}

/// FNV-1a, 64 bits: a stable name for a file's contents (not a security hash).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// Installs `tool` unless its cache directory is already complete for the
/// current build key; returns `(bin, path of <bin>.wasm)` for each binary.
fn install_tool(
    tool: &Tool,
    suite_dir: &Path,
    init_object: &Path,
    rustc_version: &str,
    cc: &mut dyn FnMut() -> (PathBuf, PathBuf),
) -> Vec<(String, PathBuf)> {
    let dir = suite_dir.join(format!("{}-{}", tool.krate, tool.version));
    let wasm = |root: &Path, bin: &str| root.join("bin").join(format!("{bin}.wasm"));
    let outputs = |root: &Path| -> Vec<(String, PathBuf)> {
        tool.bins.iter().map(|bin| (bin.to_string(), wasm(root, bin))).collect()
    };
    let rustflags = format!("-C link-arg={}", init_object.display());
    let mut key = format!("{}@{} {:?}\nrustflags: {rustflags}\n", tool.krate, tool.version, tool.args);
    for (name, value) in PROFILE {
        writeln!(key, "{name}={value}").unwrap();
    }
    if tool.needs_cc {
        writeln!(key, "cc: zig {ZIGLANG_VERSION}").unwrap();
    }
    key.push_str(rustc_version);

    let stamp = dir.join("stamp");
    for (_, path) in outputs(&dir) {
        // A deleted module makes cargo run this script again.
        println!("cargo:rerun-if-changed={}", path.display());
    }
    if fs::read_to_string(&stamp).is_ok_and(|s| s == key) && outputs(&dir).iter().all(|(_, p)| p.is_file()) {
        return outputs(&dir);
    }

    let staging = suite_dir.join(format!(".staging-{}-{}", tool.krate, std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let mut cmd = nested_cargo();
    cmd.arg("install")
        .arg("--locked")
        .arg("--force")
        .arg("--target")
        .arg(TARGET)
        .arg("--root")
        .arg(&staging)
        .arg("--target-dir")
        .arg(suite_dir.join("build"))
        .arg(format!("{}@={}", tool.krate, tool.version))
        .args(tool.args)
        .env("CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS", &rustflags)
        .envs(PROFILE.iter().copied())
        .current_dir(suite_dir);
    if tool.needs_cc {
        let (cc, ar) = cc();
        cmd.env("CC_wasm32_wasip1", cc).env("AR_wasm32_wasip1", ar);
    }
    let start = Instant::now();
    let output = cmd.output().unwrap_or_else(|e| panic!("running cargo install {}: {e}", tool.krate));
    let mut stderr = std::io::stderr();
    stderr.write_all(&output.stderr).ok();
    assert!(
        output.status.success(),
        "building {} {} for {TARGET} failed ({}): {cmd:?}\n(the nested cargo's output is above)",
        tool.krate,
        tool.version,
        output.status
    );
    for (bin, path) in outputs(&staging) {
        assert!(path.is_file(), "cargo install {} did not produce {bin}.wasm in {}", tool.krate, staging.display());
    }
    fs::write(staging.join("stamp"), &key).expect("writing the stamp");
    fs::write(staging.join("build-seconds"), format!("{}\n", start.elapsed().as_secs())).ok();
    // Another build may have installed the same tool meanwhile: either copy will do.
    let _ = fs::remove_dir_all(&dir);
    if fs::rename(&staging, &dir).is_err() {
        let _ = fs::remove_dir_all(&staging);
        assert!(
            fs::read_to_string(&stamp).is_ok_and(|s| s == key),
            "could not move {} into place at {}",
            staging.display(),
            dir.display()
        );
    }
    outputs(&dir)
}

/// Builds `guest/commands` and the shell (`guest/sh`) in one nested cargo
/// and returns the paths of their modules.
fn build_own(guest: &Path) -> [PathBuf; 2] {
    let target_dir = guest.join("target");
    let mut cmd = nested_cargo();
    cmd.arg("build")
        .arg("--release")
        .arg("--target")
        .arg(TARGET)
        .arg("--manifest-path")
        .arg(guest.join("Cargo.toml"))
        .args(["-p", COMMANDS_PACKAGE, "-p", SH_PACKAGE, "--bins"])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(guest);
    let output =
        cmd.output().unwrap_or_else(|e| panic!("running cargo build -p {COMMANDS_PACKAGE} -p {SH_PACKAGE}: {e}"));
    let mut stderr = std::io::stderr();
    stderr.write_all(&output.stdout).ok();
    stderr.write_all(&output.stderr).ok();
    assert!(
        output.status.success(),
        "building guest/commands and guest/sh failed ({}): {cmd:?}\n(the nested cargo's output is above)",
        output.status
    );
    [COMMANDS_PACKAGE, SH_PACKAGE].map(|package| {
        let wasm = target_dir.join(TARGET).join("release").join(format!("{package}.wasm"));
        assert!(wasm.is_file(), "the guest build did not produce {}", wasm.display());
        wasm
    })
}

/// Wrapper scripts `zig-cc` and `zig-ar` in `suite_dir` running the pinned
/// `zig cc -target wasm32-wasi` and `zig ar`, for `cc-rs`
/// (`CC_wasm32_wasip1`, `AR_wasm32_wasip1`). `cc-rs` passes clang's
/// `--target=wasm32-wasip1`, a triple zig does not know: the wrapper drops it
/// (zig's own `-target` comes first). Returns (cc, ar).
fn zig_cc(suite_dir: &Path) -> (PathBuf, PathBuf) {
    let pythonpath = ziglang(suite_dir, "findutils");
    let cache = suite_dir.join("zig-cache");
    let env = format!(
        "{}ZIG_GLOBAL_CACHE_DIR='{}' ZIG_LOCAL_CACHE_DIR='{}'",
        pythonpath.map(|p| format!("PYTHONPATH='{}' ", p.display())).unwrap_or_default(),
        cache.display(),
        cache.display()
    );
    let cc = suite_dir.join("zig-cc");
    let ar = suite_dir.join("zig-ar");
    let cc_script = format!(
        "#!/bin/sh\n# Written by crates/suite/build.rs.\nn=$#\ni=0\nwhile [ \"$i\" -lt \"$n\" ]; do\n  a=$1; shift; i=$((i+1))\n  case \"$a\" in --target=*) ;; *) set -- \"$@\" \"$a\" ;; esac\ndone\nexec env {env} python3 -m ziglang cc -target wasm32-wasi \"$@\"\n"
    );
    let ar_script =
        format!("#!/bin/sh\n# Written by crates/suite/build.rs.\nexec env {env} python3 -m ziglang ar \"$@\"\n");
    for (path, text) in [(&cc, cc_script), (&ar, ar_script)] {
        if fs::read_to_string(path).is_ok_and(|old| old == text) {
            continue;
        }
        let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
        fs::write(&tmp, text).unwrap_or_else(|e| panic!("writing {}: {e}", tmp.display()));
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).expect("chmod the zig wrapper");
        fs::rename(&tmp, path).unwrap_or_else(|e| panic!("renaming {}: {e}", tmp.display()));
    }
    (cc, ar)
}
