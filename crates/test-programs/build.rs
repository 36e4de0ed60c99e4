//! Builds the guest workspace's `test-programs` package for wasm32-wasip1 and
//! generates `$OUT_DIR/programs.rs`: one constant per program (the absolute
//! path of its `.wasm`), one `foreach_<area>!` macro per area and
//! `foreach_program!` over all of them.
//!
//! The nested `cargo build` runs with an environment cleaned of what the outer
//! cargo sets for build scripts (target, profile, flags, wrappers, jobserver;
//! `capsa_build_support::nested_cargo`),
//! so that it builds the guests exactly as `cd guest && cargo build --release
//! --target wasm32-wasip1` would, into `guest/target`.

use std::collections::BTreeMap;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use capsa_build_support::{TARGET, ZIGLANG_VERSION, ensure_target, nested_cargo, ziglang};

const PACKAGE: &str = "test-programs";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let repo = manifest_dir
        .parent()
        .and_then(Path::parent)
        .expect("crates/test-programs is two levels below the repository root")
        .to_path_buf();
    let guest = repo.join("guest");
    let bin_dir = guest.join(PACKAGE).join("src").join("bin");
    let target_dir = guest.join("target");

    for path in [
        guest.join("Cargo.toml"),
        guest.join("Cargo.lock"),
        guest.join(PACKAGE).join("Cargo.toml"),
        guest.join(PACKAGE).join("src"),
    ] {
        println!("cargo:rerun-if-changed={}", path.display());
    }

    let programs = program_names(&bin_dir);
    build_guests(&guest, &target_dir);

    let wasm_dir = target_dir.join(TARGET).join("release");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR")).join("programs.rs");
    let mut code = generate(&programs, &wasm_dir);
    code.push_str(&build_c_guests(&guest));
    fs::write(&out, code).expect("writing programs.rs");
}

/// The program names: the stems of `src/bin/*.rs`, sorted.
fn program_names(bin_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(bin_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", bin_dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .map(|path| {
            let stem = path.file_stem().expect("file stem").to_str().expect("UTF-8 name");
            assert!(
                stem.split_once('_').is_some_and(|(area, case)| !area.is_empty() && !case.is_empty())
                    && stem.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "guest program {stem:?} is not named <area>_<case> in lowercase snake case"
            );
            stem.to_string()
        })
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no guest programs in {}", bin_dir.display());
    names
}

/// Runs the nested `cargo build` and fails the build script with its output.
fn build_guests(guest: &Path, target_dir: &Path) {
    ensure_target();
    let mut cmd = nested_cargo();
    cmd.arg("build")
        .arg("--release")
        .arg("--target")
        .arg(TARGET)
        .arg("--manifest-path")
        .arg(guest.join("Cargo.toml"))
        .arg("-p")
        .arg(PACKAGE)
        .arg("--bins")
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(guest);

    let output = cmd.output().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    // Cargo shows a build script's stderr when it fails (and with -vv).
    let mut stderr = std::io::stderr();
    stderr.write_all(&output.stdout).ok();
    stderr.write_all(&output.stderr).ok();
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr);
        let hint = if text.contains("can't find crate for `core`") || text.contains("target may not be installed") {
            format!("\nhint: the {TARGET} target is missing: run `rustup target add {TARGET}`")
        } else {
            String::new()
        };
        panic!(
            "building the guest programs failed ({}): {:?}{hint}\n(the nested cargo's output is above)",
            output.status, cmd
        );
    }
}

/// The contents of `programs.rs`.
fn generate(programs: &[String], wasm_dir: &Path) -> String {
    let mut code = String::new();
    let mut areas: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for name in programs {
        let wasm = wasm_dir.join(format!("{name}.wasm"));
        assert!(wasm.is_file(), "the guest build did not produce {}", wasm.display());
        let path = wasm.to_str().expect("UTF-8 path to the guest target dir");
        writeln!(
            code,
            "/// `guest/test-programs/src/bin/{name}.rs`, built for wasm32-wasip1.\n\
             pub const {}: &str = {path:?};",
            name.to_uppercase()
        )
        .unwrap();
        let area = name.split_once('_').expect("checked above").0;
        areas.entry(area).or_default().push(name);
    }

    writeln!(
        code,
        "\n/// Every program: `(name, path to its .wasm)`, sorted by name.\n\
         pub const ALL: &[(&str, &str)] = &["
    )
    .unwrap();
    for name in programs {
        writeln!(code, "    ({name:?}, {}),", name.to_uppercase()).unwrap();
    }
    writeln!(code, "];").unwrap();

    for (area, names) in &areas {
        write_foreach(&mut code, &format!("foreach_{area}"), &format!("area `{area}`"), names);
    }
    let all: Vec<&str> = programs.iter().map(String::as_str).collect();
    write_foreach(&mut code, "foreach_program", "every area", &all);
    code
}

fn write_foreach(code: &mut String, macro_name: &str, what: &str, names: &[&str]) {
    writeln!(
        code,
        "\n/// Invokes `$m!(<name>)` once for each guest program of {what}, with\n\
         /// the program name as an identifier (e.g. `{example}`).\n\
         #[macro_export]\n\
         macro_rules! {macro_name} {{\n    ($m:ident) => {{",
        example = names[0]
    )
    .unwrap();
    for name in names {
        writeln!(code, "        $m!({name});").unwrap();
    }
    writeln!(code, "    }};\n}}").unwrap();
}

// ---------------------------------------------------------------- C guests

/// Builds the C guest programs and returns their part of `programs.rs`.
///
/// Each `guest/c/<area>_<case>.c` is compiled with the C bindings
/// (`guest/wasi-ext/c/*.c`) and `-I guest/wasi-ext/include` by
/// `python3 -m ziglang cc -target wasm32-wasi` into
/// `guest/target/c/<name>.wasm`, and gets a constant `C_<NAME>` (the path of
/// its `.wasm`), an entry in `C_ALL`, and a line in the `foreach_c!` macro.
///
/// The compiler is `ziglang` [`ZIGLANG_VERSION`]: the one importable by
/// `python3` if it is that version, else one installed by
/// `python3 -m pip install --target guest/target/ziglang-<version>` (once,
/// through a temporary directory renamed into place) and used through
/// `PYTHONPATH`. zig's caches are kept in `guest/target/zig-cache`. With no
/// way to get the compiler, the build fails, saying why: C guests are never
/// skipped.
fn build_c_guests(guest: &Path) -> String {
    let c_dir = guest.join("c");
    let ext = guest.join("wasi-ext");
    let target = guest.join("target");
    // `wasi-ext` is also a dependency of the Rust guests built above.
    for path in [&c_dir, &ext] {
        println!("cargo:rerun-if-changed={}", path.display());
    }

    // The compiler: `python3 -m ziglang` at the pinned version.
    let pythonpath = ziglang(&target, "the C guests");

    // The programs: `guest/c/<area>_<case>.c`, sorted.
    let mut names: Vec<String> = fs::read_dir(&c_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", c_dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "c"))
        .map(|path| {
            let stem = path.file_stem().and_then(|s| s.to_str()).expect("UTF-8 file name").to_string();
            assert!(
                stem.split_once('_').is_some_and(|(area, case)| !area.is_empty() && !case.is_empty())
                    && stem.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "C guest {stem:?} is not named <area>_<case> in lowercase snake case"
            );
            stem
        })
        .collect();
    names.sort();

    // The C bindings, compiled into every program.
    let mut bindings: Vec<PathBuf> = fs::read_dir(ext.join("c"))
        .unwrap_or_else(|e| panic!("reading {}: {e}", ext.join("c").display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "c"))
        .collect();
    bindings.sort();

    let out_dir = target.join("c");
    fs::create_dir_all(&out_dir).unwrap_or_else(|e| panic!("creating {}: {e}", out_dir.display()));
    let cache = target.join("zig-cache");
    let mut code = String::from("\n// ---- C guests (`guest/c`), built by `build_c_guests`.\n");
    for name in &names {
        let wasm = out_dir.join(format!("{name}.wasm"));
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "ziglang", "cc", "-target", "wasm32-wasi", "-O2", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(ext.join("include"))
            .arg("-o")
            .arg(&wasm)
            .arg(c_dir.join(format!("{name}.c")))
            .args(&bindings)
            .env("ZIG_GLOBAL_CACHE_DIR", &cache)
            .env("ZIG_LOCAL_CACHE_DIR", &cache);
        if let Some(dir) = &pythonpath {
            cmd.env("PYTHONPATH", dir);
        }
        let output = cmd.output().unwrap_or_else(|e| panic!("running python3 -m ziglang cc: {e}"));
        if !output.status.success() {
            panic!(
                "compiling the C guest {name} failed ({}): {cmd:?}\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let path = wasm.to_str().expect("UTF-8 path to the guest target dir");
        writeln!(
            code,
            "/// `guest/c/{name}.c` with the C bindings `guest/wasi-ext/c/*.c`, built for wasm32-wasi\n\
             /// by `zig cc` {ZIGLANG_VERSION}.\n\
             pub const C_{}: &str = {path:?};",
            name.to_uppercase()
        )
        .unwrap();
    }

    writeln!(
        code,
        "\n/// Every C program: `(name, path to its .wasm)`, sorted by name.\npub const C_ALL: &[(&str, &str)] = &["
    )
    .unwrap();
    for name in &names {
        writeln!(code, "    ({name:?}, C_{}),", name.to_uppercase()).unwrap();
    }
    writeln!(code, "];").unwrap();
    if names.is_empty() {
        code.push_str("\n/// Invokes `$m!(<name>)` for each C guest program: there are none.\n#[macro_export]\nmacro_rules! foreach_c {\n    ($m:ident) => {};\n}\n");
    } else {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        write_foreach(&mut code, "foreach_c", "the C guests (`guest/c/*.c`)", &names);
        // Per area too, so each host suite can claim the C guests of its areas.
        let mut areas: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for name in &names {
            let area = name.split_once('_').map_or(*name, |(area, _)| area);
            areas.entry(area).or_default().push(name);
        }
        for (area, members) in areas {
            write_foreach(&mut code, &format!("foreach_c_{area}"), &format!("the C guests of area `{area}`"), &members);
        }
    }
    code
}
