//! Staging a build's inputs: exactly the files the compiler may see are read
//! from the host, hashed into the build's key, and copied into the job
//! directory. The compiler guest sees that copy and nothing else of the host.
//!
//! A source file brings the headers beside it; a directory brings every
//! source and header under it; an `-I DIR` brings the headers under DIR.
//! Every file is read through [`crate::user_files`]: links are followed
//! only inside the directory they were found in, only regular files are
//! read, and the whole is bounded ([`MAX_FILES`], [`MAX_BYTES`]).

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::LaneError;
use crate::user_files::{Kind, Tree};

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
    /// Reads `inputs` (files or directories) and `includes` (directories),
    /// each through the tree the user named ([`crate::user_files`]).
    ///
    /// # Errors
    /// A missing or unreadable path, a file that is not a translation unit,
    /// a link leading out of its tree, a file that is not a regular file,
    /// nothing to compile, or more than the staging limits.
    pub fn read(inputs: &[PathBuf], includes: &[PathBuf]) -> Result<Inputs, LaneError> {
        let mut staged = Inputs::default();
        for input in inputs {
            let meta = std::fs::metadata(input).map_err(|e| LaneError::io(input, e))?;
            if meta.is_dir() {
                let guest = staged.source_root(input)?;
                let tree = Tree::open(input)?;
                staged.add_tree(&tree, Path::new(""), &guest, true)?;
            } else {
                if !is_unit(input) {
                    return Err(LaneError::Input(format!(
                        "{}: not a C or C++ source file (.c, .cpp, .cc, .cxx)",
                        input.display()
                    )));
                }
                let (tree, name) = Tree::of_file(input)?;
                let dir = input.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
                let guest = staged.source_root(dir)?;
                staged.add_headers_beside(&tree, &guest)?;
                let job_path = format!("{guest}/{}", name.to_string_lossy());
                if !staged.files.iter().any(|f| f.job_path == job_path) {
                    staged.add_file(&tree, &name, job_path.clone())?;
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
            staged.add_tree(&Tree::open(dir)?, Path::new(""), &guest, false)?;
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

    /// Stages the headers beside a named source: every name with a header's
    /// extension in its directory (a link to one inside the directory
    /// included, a link out of it refused).
    fn add_headers_beside(&mut self, tree: &Tree, guest: &str) -> Result<(), LaneError> {
        for (name, kind) in tree.list(Path::new(""))? {
            if !HEADERS.contains(&extension(Path::new(&name))) || !is_staged_file(tree, Path::new(&name), kind)? {
                continue;
            }
            let job_path = format!("{guest}/{name}");
            if !self.files.iter().any(|f| f.job_path == job_path) {
                self.add_file(tree, Path::new(&name), job_path)?;
            }
        }
        Ok(())
    }

    /// Stages the headers (and, if `units`, the translation units) under
    /// `dir` of `tree`. Hidden names are skipped; a link to a directory is
    /// not walked (the directory is staged where it really is, if inside).
    fn add_tree(&mut self, tree: &Tree, dir: &Path, guest: &str, units: bool) -> Result<(), LaneError> {
        for (name, kind) in tree.list(dir)? {
            let path = dir.join(&name);
            if name.starts_with('.') {
                continue;
            }
            if kind == Kind::Dir {
                self.add_tree(tree, &path, guest, units)?;
                continue;
            }
            let unit = units && is_unit(&path);
            if !unit && !HEADERS.contains(&extension(&path)) {
                continue;
            }
            if !is_staged_file(tree, &path, kind)? {
                continue;
            }
            let job_path = format!("{guest}/{}", path.to_string_lossy());
            self.add_file(tree, &path, job_path.clone())?;
            if unit {
                self.units.push(job_path);
            }
        }
        Ok(())
    }

    fn add_file(&mut self, tree: &Tree, path: &Path, job_path: String) -> Result<(), LaneError> {
        let too_many = || {
            LaneError::Input(format!(
                "too many inputs: a build stages at most {MAX_FILES} files and {} MiB",
                MAX_BYTES >> 20
            ))
        };
        if self.files.len() >= MAX_FILES {
            return Err(too_many());
        }
        let bytes = tree.read(path, MAX_BYTES.saturating_sub(self.bytes)).map_err(|err| match err {
            LaneError::Input(msg) if msg.contains("larger than") => too_many(),
            other => other,
        })?;
        self.bytes += bytes.len() as u64;
        self.files.push(StagedFile { job_path, bytes });
        Ok(())
    }
}

/// Whether a name of a source's kind is a file to stage: a regular file, or
/// a link to one inside the tree (a link to a directory is left out; a link
/// out of the tree, or a FIFO, socket or device, is an error).
fn is_staged_file(tree: &Tree, path: &Path, kind: Kind) -> Result<bool, LaneError> {
    match kind {
        Kind::File => Ok(true),
        Kind::Dir => Ok(false),
        Kind::Symlink => match tree.target_kind(path)? {
            Kind::File => Ok(true),
            Kind::Dir => Ok(false),
            Kind::Symlink | Kind::Special => Err(not_regular(tree, path)),
        },
        Kind::Special => Err(not_regular(tree, path)),
    }
}

fn not_regular(tree: &Tree, path: &Path) -> LaneError {
    LaneError::Input(format!(
        "{}: not a regular file; capsa reads only regular files from your tree",
        tree.display(path).display()
    ))
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

#[cfg(test)]
mod containment {
    use super::*;

    /// A folder holding `main.c` and, beside it, `leak.h` → a host file.
    fn evil_folder(target: &Path) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.c"), "#include \"leak.h\"\nint main(){}").unwrap();
        std::os::unix::fs::symlink(target, dir.path().join("leak.h")).unwrap();
        dir
    }

    #[test]
    fn a_header_beside_the_source_never_leads_out_of_its_folder() {
        let host = tempfile::tempdir().unwrap();
        std::fs::write(host.path().join("secret"), "host secret").unwrap();
        let dir = evil_folder(&host.path().join("secret"));
        for input in [dir.path().join("main.c"), dir.path().to_path_buf()] {
            let err = Inputs::read(&[input], &[]).unwrap_err().to_string();
            assert!(err.contains("leak.h") && err.contains("leads outside"), "{err}");
        }
        let include = evil_folder(Path::new("/etc/passwd"));
        let src = tempfile::tempdir().unwrap();
        std::fs::write(src.path().join("a.c"), "int main(){}").unwrap();
        let err = Inputs::read(&[src.path().join("a.c")], &[include.path().to_path_buf()]).unwrap_err();
        assert!(err.to_string().contains("leak.h"), "{err}");
        // The named source itself may not lead out either.
        let named = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(host.path().join("secret"), named.path().join("x.c")).unwrap();
        let err = Inputs::read(&[named.path().join("x.c")], &[]).unwrap_err();
        assert!(err.to_string().contains("leads outside"), "{err}");
    }

    #[test]
    fn links_inside_the_folder_are_staged_and_fifos_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.c"), "int main(){}").unwrap();
        std::fs::create_dir(dir.path().join("inc")).unwrap();
        std::fs::write(dir.path().join("inc/real.h"), "#define R 1").unwrap();
        std::os::unix::fs::symlink("inc/real.h", dir.path().join("alias.h")).unwrap();
        std::os::unix::fs::symlink("inc", dir.path().join("loop")).unwrap();
        let inputs = Inputs::read(&[dir.path().join("main.c")], &[]).unwrap();
        let alias = inputs.files.iter().find(|f| f.job_path.ends_with("/alias.h")).expect("alias staged");
        assert_eq!(alias.bytes, b"#define R 1");
        let inputs = Inputs::read(&[dir.path().to_path_buf()], &[]).unwrap();
        assert!(inputs.files.iter().all(|f| !f.job_path.contains("/loop/")), "a linked directory was walked");
        let fifo = dir.path().join("wait.h");
        rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, rustix::fs::Mode::from(0o644), 0)
            .unwrap();
        let err = Inputs::read(&[dir.path().join("main.c")], &[]).unwrap_err();
        assert!(err.to_string().contains("wait.h") && err.to_string().contains("not a regular file"), "{err}");
    }
}
