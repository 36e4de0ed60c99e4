//! Embeds the QuickJS-ng sources of the pinned `rquickjs-sys`
//! build-dependency (the engine, its libc, the `qjs` command and its
//! precompiled REPL) as `$OUT_DIR/quickjs_sources.rs`, for the JavaScript
//! lane to compile with the C lane. `rquickjs-sys` exposes no path to them,
//! so they are found where cargo unpacked it: the registry sources under
//! `$CARGO_HOME`, or a `quickjs` directory named by `CAPSA_QUICKJS_SRC`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The crate; keep in step with the `=0.14.0` pin in Cargo.toml.
const CRATE_DIR: &str = "rquickjs-sys-0.14.0";
/// The library's units; `qjs.c` and the `gen/` bytecode make the command.
const UNITS: &[&str] = &[
    "quickjs.c",
    "libregexp.c",
    "libunicode.c",
    "dtoa.c",
    "quickjs-libc.c",
    "qjs.c",
    "gen/repl.c",
    "gen/standalone.c",
];

/// Writes `$OUT_DIR/quickjs_sources.rs`: `QUICKJS_VERSION`,
/// `QUICKJS_HEADERS` and `QUICKJS_SOURCES` (file name, bytes).
pub fn embed() {
    println!("cargo:rerun-if-env-changed=CAPSA_QUICKJS_SRC");
    let dir = find().unwrap_or_else(|searched| {
        panic!(
            "the QuickJS sources ({CRATE_DIR}/quickjs) were not found; looked in: {searched}. \
             `cargo fetch` unpacks the rquickjs-sys build-dependency, or set CAPSA_QUICKJS_SRC to its quickjs directory"
        )
    });
    println!("cargo:rerun-if-changed={}", dir.display());
    let header = std::fs::read_to_string(dir.join("quickjs.h")).unwrap_or_else(|e| panic!("quickjs.h: {e}"));
    let part = |name: &str| {
        header
            .lines()
            .find_map(|line| line.strip_prefix(&format!("#define QJS_VERSION_{name} ")))
            .map(str::trim)
            .unwrap_or_else(|| panic!("quickjs.h has no QJS_VERSION_{name}"))
            .to_string()
    };
    let version = format!("{}.{}.{}", part("MAJOR"), part("MINOR"), part("PATCH"));
    let mut headers: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path())
        .filter(|path| path.extension().is_some_and(|e| e == "h"))
        .collect();
    headers.sort();
    let mut out = String::new();
    writeln!(out, "/// The QuickJS-ng release the sources are.\npub static QUICKJS_VERSION: &str = {version:?};")
        .expect("write");
    out.push_str("/// QuickJS-ng's headers (file name, bytes).\npub static QUICKJS_HEADERS: &[(&str, &[u8])] = &[\n");
    for path in &headers {
        let name = path.file_name().expect("a file").to_string_lossy();
        writeln!(out, "    ({name:?}, include_bytes!({:?})),", path.canonicalize().expect("exists")).expect("write");
    }
    out.push_str(
        "];\n/// QuickJS-ng's units (flat file name, bytes).\npub static QUICKJS_SOURCES: &[(&str, &[u8])] = &[\n",
    );
    for unit in UNITS {
        let path = dir.join(unit);
        let path = path.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        writeln!(out, "    ({:?}, include_bytes!({path:?})),", unit.replace('/', "_")).expect("write");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("quickjs_sources.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The crate's `quickjs` directory, or the places searched.
fn find() -> Result<PathBuf, String> {
    let is_quickjs = |dir: &Path| dir.join("quickjs.c").is_file() && dir.join("quickjs-libc.c").is_file();
    super::registry_sources("CAPSA_QUICKJS_SRC", CRATE_DIR, "quickjs", is_quickjs)
}
