//! Staging a build's inputs: exactly the files the compiler may see are read
//! from the host, hashed into the build's key, and copied into the job
//! directory. The compiler guest sees that copy and nothing else of the host.
//!
//! A source file brings the headers beside it; a directory brings every
//! source and header under it; an `-I DIR` brings the headers under DIR.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::LaneError;

/// Extensions of files compiled as translation units.
pub const C_UNITS: &[&str] = &["c"];
/// Extensions of C++ translation units.
pub const CPP_UNITS: &[&str] = &["cpp", "cc", "cxx"];
/// Extensions of files a translation unit may include.
const HEADERS: &[&str] = &["h", "hh", "hpp", "hxx", "inc", "def", "ipp", "tcc", "inl"];
/// At most this many files are staged…
const MAX_FILES: usize = 20_000;
/// …holding at most this many bytes.
const MAX_BYTES: u64 = 256 << 20;

/// A host directory staged at a guest directory.
#[derive(Debug, Clone)]
pub struct Root {
    /// Host directory.
    pub host: PathBuf,
    /// Where its files are in the job (`/work/src/N` or `/work/inc/N`).
    pub guest: String,
}

/// A file to stage.
#[derive(Debug, Clone)]
pub struct StagedFile {
    /// Path in the job, relative to `/work`.
    pub job_path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// The inputs of a build, read and ready to hash and stage.
#[derive(Debug, Default)]
pub struct Inputs {
    /// Directories the sources come from (`/work/src/N`), diagnostics map them back.
    pub source_roots: Vec<Root>,
    /// `-I` directories (`/work/inc/N`).
    pub include_roots: Vec<Root>,
    /// Translation units, as guest paths under `/work`, in a stable order.
    pub units: Vec<String>,
    /// Every file to stage.
    pub files: Vec<StagedFile>,
    bytes: u64,
}

impl Inputs {
    /// Reads `inputs` (files or directories) and `includes` (directories).
    ///
    /// # Errors
    /// A missing or unreadable path, a file that is not a translation unit,
    /// nothing to compile, or more than the staging limits.
    pub fn read(inputs: &[PathBuf], includes: &[PathBuf]) -> Result<Inputs, LaneError> {
        let mut staged = Inputs::default();
        for input in inputs {
            let meta = std::fs::metadata(input).map_err(|e| LaneError::io(input, e))?;
            if meta.is_dir() {
                let guest = staged.source_root(input)?;
                staged.add_tree(input, input, &guest, true)?;
            } else {
                if !is_unit(input) {
                    return Err(LaneError::Input(format!(
                        "{}: not a C or C++ source file (.c, .cpp, .cc, .cxx)",
                        input.display()
                    )));
                }
                let dir = input.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let guest = staged.source_root(dir)?;
                staged.add_headers_beside(dir, &guest)?;
                let name = input.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let job_path = format!("{guest}/{name}");
                if !staged.files.iter().any(|f| f.job_path == job_path) {
                    staged.add_file(input, job_path.clone())?;
                }
                if !staged.units.contains(&job_path) {
                    staged.units.push(job_path);
                }
            }
        }
        for (n, dir) in includes.iter().enumerate() {
            if !dir.is_dir() {
                return Err(LaneError::Input(format!("-I {}: not a directory", dir.display())));
            }
            let guest = format!("inc/{n}");
            staged.include_roots.push(Root { host: canonical(dir)?, guest: guest.clone() });
            staged.add_tree(dir, dir, &guest, false)?;
        }
        if staged.units.is_empty() {
            return Err(LaneError::Input("no C or C++ source to compile".into()));
        }
        Ok(staged)
    }

    /// Whether any translation unit is C++.
    pub fn has_cpp(&self) -> bool {
        self.units.iter().any(|u| CPP_UNITS.contains(&extension(Path::new(u))))
    }

    /// Hashes every staged file (path and bytes) into `hasher`.
    pub fn hash_into(&self, hasher: &mut Sha256) {
        let mut files: Vec<&StagedFile> = self.files.iter().collect();
        files.sort_by(|a, b| a.job_path.cmp(&b.job_path));
        for file in files {
            hasher.update((file.job_path.len() as u64).to_le_bytes());
            hasher.update(file.job_path.as_bytes());
            hasher.update((file.bytes.len() as u64).to_le_bytes());
            hasher.update(&file.bytes);
        }
        for unit in &self.units {
            hasher.update(unit.as_bytes());
            hasher.update([0]);
        }
    }

    /// Writes the staged files under `job` (the host side of `/work`).
    ///
    /// # Errors
    /// If a file cannot be written.
    pub fn write(&self, job: &Path) -> Result<(), LaneError> {
        for file in &self.files {
            let path = job.join(&file.job_path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| LaneError::io(parent, e))?;
            }
            std::fs::write(&path, &file.bytes).map_err(|e| LaneError::io(&path, e))?;
        }
        Ok(())
    }

    /// The `/work/src/N` of host directory `dir`, added if new.
    fn source_root(&mut self, dir: &Path) -> Result<String, LaneError> {
        let host = canonical(dir)?;
        if let Some(root) = self.source_roots.iter().find(|r| r.host == host) {
            return Ok(root.guest.clone());
        }
        let guest = format!("src/{}", self.source_roots.len());
        self.source_roots.push(Root { host, guest: guest.clone() });
        Ok(guest)
    }

    fn add_headers_beside(&mut self, dir: &Path, guest: &str) -> Result<(), LaneError> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| LaneError::io(dir, e))? {
            let path = entry.map_err(|e| LaneError::io(dir, e))?.path();
            if path.is_file() && HEADERS.contains(&extension(&path)) {
                names.push(path);
            }
        }
        names.sort();
        for path in names {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let job_path = format!("{guest}/{name}");
            if !self.files.iter().any(|f| f.job_path == job_path) {
                self.add_file(&path, job_path)?;
            }
        }
        Ok(())
    }

    /// Stages the headers (and, if `units`, the translation units) under `dir`.
    fn add_tree(&mut self, base: &Path, dir: &Path, guest: &str, units: bool) -> Result<(), LaneError> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| LaneError::io(dir, e))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| LaneError::io(dir, e))?;
        entries.sort();
        for path in entries {
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
            if hidden || meta.file_type().is_symlink() {
                continue;
            }
            if meta.is_dir() {
                self.add_tree(base, &path, guest, units)?;
                continue;
            }
            let unit = units && is_unit(&path);
            if !unit && !HEADERS.contains(&extension(&path)) {
                continue;
            }
            let relative = path.strip_prefix(base).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            let job_path = format!("{guest}/{relative}");
            self.add_file(&path, job_path.clone())?;
            if unit {
                self.units.push(job_path);
            }
        }
        Ok(())
    }

    fn add_file(&mut self, path: &Path, job_path: String) -> Result<(), LaneError> {
        let bytes = std::fs::read(path).map_err(|e| LaneError::io(path, e))?;
        self.bytes += bytes.len() as u64;
        if self.files.len() >= MAX_FILES || self.bytes > MAX_BYTES {
            return Err(LaneError::Input(format!(
                "too many inputs: a build stages at most {MAX_FILES} files and {} MiB",
                MAX_BYTES >> 20
            )));
        }
        self.files.push(StagedFile { job_path, bytes });
        Ok(())
    }
}

/// Whether `path` is a C or C++ translation unit.
pub fn is_unit(path: &Path) -> bool {
    let ext = extension(path);
    C_UNITS.contains(&ext) || CPP_UNITS.contains(&ext)
}

fn extension(path: &Path) -> &str {
    path.extension().and_then(|e| e.to_str()).unwrap_or("")
}

fn canonical(dir: &Path) -> Result<PathBuf, LaneError> {
    dir.canonicalize().map_err(|e| LaneError::io(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_brings_its_headers_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        for (name, body) in [("main.c", "int main(){}"), ("util.h", "#define X 1"), ("notes.txt", "secret")] {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        let inputs = Inputs::read(&[dir.path().join("main.c")], &[]).unwrap();
        let mut paths: Vec<_> = inputs.files.iter().map(|f| f.job_path.as_str()).collect();
        paths.sort();
        assert_eq!(paths, ["src/0/main.c", "src/0/util.h"]);
        assert_eq!(inputs.units, ["src/0/main.c"]);
    }

    #[test]
    fn a_directory_brings_its_tree() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub/.git")).unwrap();
        for (name, body) in [("a.c", "x"), ("sub/b.cpp", "y"), ("sub/b.hpp", "z"), ("sub/.git/c.c", "no")] {
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        let inputs = Inputs::read(&[dir.path().to_path_buf()], &[]).unwrap();
        assert_eq!(inputs.units, ["src/0/a.c", "src/0/sub/b.cpp"]);
        assert!(inputs.has_cpp());
        assert_eq!(inputs.files.len(), 3);
    }

    #[test]
    fn only_sources_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.txt"), "").unwrap();
        let err = Inputs::read(&[dir.path().join("x.txt")], &[]).unwrap_err();
        assert!(err.to_string().contains("not a C or C++ source"), "{err}");
        let err = Inputs::read(&[dir.path().join("missing.c")], &[]).unwrap_err();
        assert!(err.to_string().contains("missing.c"), "{err}");
    }
}
