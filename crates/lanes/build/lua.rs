//! Embeds the Lua 5.4.9 sources of the pinned `lua-src` build-dependency
//! (its 32 library files, no `lua.c`) as `$OUT_DIR/lua_sources.rs`, for the
//! Lua lane to build with the C lane. `lua-src` exposes no path to its
//! sources, so they are found where cargo unpacked it: the registry sources
//! under `$CARGO_HOME` (or a vendored directory named by `CAPSA_LUA_SRC`).

use std::fmt::Write as _;
use std::path::PathBuf;

/// The crate and the Lua directory inside it; keep in step with the
/// `=551.1.0` pin in Cargo.toml.
const CRATE_DIR: &str = "lua-src-551.1.0";
const LUA_DIR: &str = "lua-5.4.9";

/// Writes `$OUT_DIR/lua_sources.rs`: `LUA_VERSION` and `LUA_SOURCES`
/// (file name, bytes) for every `.c` and `.h` of Lua 5.4.9.
pub fn embed() {
    println!("cargo:rerun-if-env-changed=CAPSA_LUA_SRC");
    let dir = find().unwrap_or_else(|searched| {
        panic!(
            "the Lua sources ({CRATE_DIR}/{LUA_DIR}) were not found; looked in: {searched}. \
             `cargo fetch` unpacks the lua-src build-dependency, or set CAPSA_LUA_SRC to a lua-5.4.9 directory"
        )
    });
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("{}: {e}", dir.display())).path())
        .filter(|path| path.extension().is_some_and(|e| e == "c" || e == "h"))
        // The standalone interpreter and compiler mains are not ours to ship.
        .filter(|path| path.file_name().is_none_or(|n| n != "lua.c" && n != "luac.c"))
        .collect();
    files.sort();
    assert!(files.iter().any(|f| f.ends_with("lapi.c")), "{}: not the Lua sources", dir.display());
    let mut out = String::new();
    writeln!(out, "/// The Lua release the sources are.\npub static LUA_VERSION: &str = {:?};", &LUA_DIR[4..])
        .expect("write");
    out.push_str("/// Lua's library sources (file name, bytes).\npub static LUA_SOURCES: &[(&str, &[u8])] = &[\n");
    for path in &files {
        let name = path.file_name().expect("a file").to_string_lossy();
        writeln!(out, "    ({name:?}, include_bytes!({:?})),", path.canonicalize().expect("exists")).expect("write");
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("lua_sources.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}

/// The `lua-5.4.9` directory, or the places searched.
fn find() -> Result<PathBuf, String> {
    super::registry_sources("CAPSA_LUA_SRC", CRATE_DIR, LUA_DIR, |dir| dir.join("lapi.c").is_file())
}
