//! The one way a lane reads the user's files from the host: every source,
//! header and script a lane compiles or runs comes through here, so one
//! rule holds for all of them (SECURITY.md, "Staging").
//!
//! The rule: a lane reads what lies in a directory the user named (a named
//! source's own directory, a named directory, an `-I` directory), and
//! nothing else.
//! - The directory itself is opened as the user named it, as `cd` would;
//!   everything beneath it is resolved by cap-std inside it. A symbolic link
//!   that stays inside is followed; one that leads out (absolute, or `..`
//!   past the directory) is refused with an error naming the link — never
//!   followed, so `leak.h -> /etc/shadow` cannot put a host file into a
//!   program, its artifact or its diagnostics.
//! - Only regular files are read. A FIFO, socket or device is refused with
//!   an error, and opening never waits (non-blocking, checked on the opened
//!   file), so a FIFO cannot hang the build.
//! - What is read is bounded: each read by what its caller still allows.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt as _};

use crate::LaneError;

/// What a name in a [`Tree`] is, without following it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File,
    Dir,
    Symlink,
    /// A FIFO, socket or device.
    Special,
}

/// A directory the user named, and the only host authority a lane uses to
/// read beneath it.
pub(crate) struct Tree {
    dir: Dir,
    /// The directory as the user named it, for messages.
    named: PathBuf,
}

impl Tree {
    /// Opens the directory `path` the user named.
    ///
    /// # Errors
    /// It cannot be opened (missing, not a directory, no permission).
    pub(crate) fn open(path: &Path) -> Result<Tree, LaneError> {
        let dir = Dir::open_ambient_dir(path, cap_std::ambient_authority()).map_err(|e| LaneError::io(path, e))?;
        Ok(Tree { dir, named: path.to_path_buf() })
    }

    /// The tree of the file `path` the user named (its directory) and the
    /// file's name in it.
    ///
    /// # Errors
    /// As [`Tree::open`]; a path with no file name.
    pub(crate) fn of_file(path: &Path) -> Result<(Tree, PathBuf), LaneError> {
        let name = path.file_name().ok_or_else(|| LaneError::Input(format!("{}: not a file", path.display())))?;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Ok((Tree::open(dir)?, PathBuf::from(name)))
    }

    /// Where `relative` is on the host, for messages.
    pub(crate) fn display(&self, relative: &Path) -> PathBuf {
        self.named.join(relative)
    }

    /// What `relative` leads to with symlinks followed inside the tree.
    ///
    /// # Errors
    /// A link leading out of the tree; a missing target.
    pub(crate) fn target_kind(&self, relative: &Path) -> Result<Kind, LaneError> {
        match self.dir.metadata(relative) {
            Ok(meta) => Ok(kind_of(&meta.file_type())),
            Err(err) => Err(self.refusal(relative, err)),
        }
    }

    /// The names in directory `relative` (`""` for the tree itself), sorted,
    /// with what each is; names that are not UTF-8 are left out.
    ///
    /// # Errors
    /// The directory cannot be read.
    pub(crate) fn list(&self, relative: &Path) -> Result<Vec<(String, Kind)>, LaneError> {
        let display = self.display(relative);
        let dir = if relative.as_os_str().is_empty() {
            self.dir.try_clone()
        } else {
            cap_fs_ext::DirExt::open_dir_nofollow(&self.dir, relative)
        }
        .map_err(|e| LaneError::io(&display, e))?;
        let mut names = Vec::new();
        for entry in dir.entries().map_err(|e| LaneError::io(&display, e))? {
            let entry = entry.map_err(|e| LaneError::io(&display, e))?;
            let Ok(name) = entry.file_name().into_string() else { continue };
            let kind = entry.file_type().map_err(|e| LaneError::io(&display, e))?;
            names.push((name, kind_of(&kind)));
        }
        names.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(names)
    }

    /// The bytes of the regular file `relative`, at most `max` of them.
    ///
    /// # Errors
    /// A link leading out of the tree; not a regular file; larger than
    /// `max`; an I/O error. Each names the file.
    pub(crate) fn read(&self, relative: &Path, max: u64) -> Result<Vec<u8>, LaneError> {
        let display = self.display(relative);
        let mut options = OpenOptions::new();
        options.read(true);
        // Never wait on a FIFO; never take a terminal as capsa's own.
        options.custom_flags((rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY).bits() as i32);
        let file = self.dir.open_with(relative, &options).map_err(|e| self.refusal(relative, e))?;
        let meta = file.metadata().map_err(|e| LaneError::io(&display, e))?;
        if !meta.is_file() {
            return Err(LaneError::Input(format!(
                "{}: not a regular file; capsa reads only regular files from your tree",
                display.display()
            )));
        }
        let mut bytes = Vec::new();
        file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| LaneError::io(&display, e))?;
        if bytes.len() as u64 > max {
            return Err(LaneError::Input(format!("{}: larger than the {max} bytes allowed here", display.display())));
        }
        Ok(bytes)
    }

    /// The error for a failed open of `relative`: a link out of the tree
    /// says so, naming the link; anything else is the I/O error.
    fn refusal(&self, relative: &Path, err: std::io::Error) -> LaneError {
        let display = self.display(relative);
        // cap-std's escape error carries no OS code (see `escape_attempt`).
        let escaped = err.kind() == std::io::ErrorKind::PermissionDenied && err.raw_os_error().is_none();
        if let Some(link) = self.escaping_link(relative).filter(|_| escaped) {
            return LaneError::Input(format!(
                "{}: a symbolic link to {} leads outside {}; capsa never follows a link out of the directory it was given",
                self.display(&link).display(),
                self.dir.read_link_contents(&link).map_or_else(|_| "?".into(), |t| t.display().to_string()),
                self.named.display(),
            ));
        }
        LaneError::io(&display, err)
    }

    /// The first symlink on the way to `relative` that cannot be followed
    /// inside the tree.
    fn escaping_link(&self, relative: &Path) -> Option<PathBuf> {
        let mut walked = PathBuf::new();
        for component in relative.components() {
            walked.push(component);
            let is_link = self.dir.symlink_metadata(&walked).is_ok_and(|m| m.file_type().is_symlink());
            if is_link && self.dir.metadata(&walked).is_err() {
                return Some(walked);
            }
        }
        None
    }
}

fn kind_of(kind: &cap_std::fs::FileType) -> Kind {
    if kind.is_file() {
        Kind::File
    } else if kind.is_dir() {
        Kind::Dir
    } else if kind.is_symlink() {
        Kind::Symlink
    } else {
        Kind::Special
    }
}

/// Reads the one file `path` the user named (a script, a single source),
/// as [`Tree::read`] reads it from the file's own directory.
///
/// # Errors
/// As [`Tree::read`].
pub(crate) fn read_named_file(path: &Path, max: u64) -> Result<Vec<u8>, LaneError> {
    let (tree, name) = Tree::of_file(path)?;
    tree.read(&name, max)
}

/// Most bytes of one script or single-file program a lane reads.
pub(crate) const MAX_SCRIPT_BYTES: u64 = 64 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_followed_inside_the_tree_and_refused_out_of_it() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "host secret").unwrap();
        let tree = tempfile::tempdir().unwrap();
        std::fs::write(tree.path().join("real.h"), "#define X 1").unwrap();
        std::os::unix::fs::symlink("real.h", tree.path().join("alias.h")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), tree.path().join("leak.h")).unwrap();
        std::os::unix::fs::symlink("../outside", tree.path().join("up.h")).unwrap();
        let opened = Tree::open(tree.path()).unwrap();
        assert_eq!(opened.read(Path::new("alias.h"), 100).unwrap(), b"#define X 1");
        for name in ["leak.h", "up.h"] {
            let err = opened.read(Path::new(name), 100).unwrap_err().to_string();
            assert!(err.contains(name) && err.contains("leads outside"), "{err}");
            assert!(!err.contains("host secret"), "{err}");
        }
        assert!(opened.read(Path::new("real.h"), 3).unwrap_err().to_string().contains("larger"));
    }

    #[test]
    fn a_fifo_is_refused_without_waiting() {
        let tree = tempfile::tempdir().unwrap();
        let fifo = tree.path().join("pipe.h");
        rustix::fs::mknodat(rustix::fs::CWD, &fifo, rustix::fs::FileType::Fifo, rustix::fs::Mode::from(0o644), 0)
            .unwrap();
        let opened = Tree::open(tree.path()).unwrap();
        assert_eq!(opened.list(Path::new("")).unwrap(), [("pipe.h".to_string(), Kind::Special)]);
        let err = opened.read(Path::new("pipe.h"), 100).unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");
    }
}
