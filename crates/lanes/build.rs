//! Embeds the lane manifests (`lanes/*/manifest.org`) and the C side of
//! `guest/wasi-ext` (headers and sources) into the library: a directory
//! becomes a lane when it has a manifest, with no code to change.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "build/lua.rs"]
mod lua;
#[path = "build/quickjs.rs"]
mod quickjs;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR")).join("../..");
    let mut out = String::new();
    let lanes = root.join("lanes");
    println!("cargo:rerun-if-changed={}", lanes.display());
    let mut manifests = Vec::new();
    for entry in std::fs::read_dir(&lanes).expect("lanes/ is readable") {
        let dir = entry.expect("lanes/ entry").path();
        let manifest = dir.join("manifest.org");
        if manifest.is_file() {
            println!("cargo:rerun-if-changed={}", manifest.display());
            manifests.push((dir.file_name().expect("named").to_string_lossy().into_owned(), manifest));
        }
    }
    manifests.sort();
    out.push_str("/// Every lane's directory name and manifest text.\npub static MANIFESTS: &[(&str, &str)] = &[\n");
    for (name, path) in &manifests {
        writeln!(out, "    ({name:?}, include_str!({:?})),", path.canonicalize().expect("exists")).expect("write");
    }
    out.push_str("];\n");
    let ext = root.join("guest/wasi-ext");
    embed_tree(&mut out, "WASI_EXT_HEADERS", &ext.join("include"), &["h"]);
    embed_tree(&mut out, "WASI_EXT_SOURCES", &ext.join("c"), &["c", "h"]);
    let dest = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("embedded.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
    lua::embed();
    quickjs::embed();
}

/// `pub static NAME: &[(relative path, bytes)]` for the files under `dir`
/// with one of `extensions`.
fn embed_tree(out: &mut String, name: &str, dir: &Path, extensions: &[&str]) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    collect(dir, dir, extensions, &mut files);
    files.sort();
    writeln!(out, "/// Files of `{}` (path relative to it, bytes).", dir.display()).expect("write");
    writeln!(out, "pub static {name}: &[(&str, &[u8])] = &[").expect("write");
    for (relative, path) in files {
        writeln!(out, "    ({relative:?}, include_bytes!({path:?})),").expect("write");
    }
    out.push_str("];\n");
}

fn collect(base: &Path, dir: &Path, extensions: &[&str], files: &mut Vec<(String, PathBuf)>) {
    for entry in std::fs::read_dir(dir).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            println!("cargo:rerun-if-changed={}", path.display());
            collect(base, &path, extensions, files);
        } else if path.extension().is_some_and(|e| extensions.iter().any(|x| e == *x)) {
            let relative = path.strip_prefix(base).expect("under base").to_string_lossy().into_owned();
            files.push((relative, path.canonicalize().expect("exists")));
        }
    }
}

/// The directory `sub` of crate `crate_dir` (`name-version`) as cargo
/// unpacked it into its registry sources (it is a build-dependency, so cargo
/// has fetched it), recognised by `is_it`; the variable `env` names another
/// directory instead. On failure, the places searched.
fn registry_sources(env: &str, crate_dir: &str, sub: &str, is_it: impl Fn(&Path) -> bool) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(env) {
        let dir = PathBuf::from(dir);
        return if is_it(&dir) { Ok(dir) } else { Err(dir.display().to_string()) };
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let registry = cargo_home.join("registry/src");
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(&registry)
        .map_err(|e| format!("{} ({e})", registry.display()))?
        .flatten()
        .map(|entry| entry.path().join(crate_dir).join(sub))
        .collect();
    candidates.sort();
    candidates.into_iter().find(|dir| is_it(dir)).ok_or_else(|| format!("{}/*/{crate_dir}/{sub}", registry.display()))
}
