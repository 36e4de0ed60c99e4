//! Programs: how a name given to `proc_spawn` becomes something to run — a
//! wasm module, or a `#!` script naming its interpreter.
//!
//! Lookup follows Linux `execve` and glibc `execvp`: a name containing `/`
//! is a path (relative ones against the caller's working directory); a bare
//! name is searched in `PATH`, where an existing file the caller may not
//! execute is remembered (`AccessDenied` if nothing runnable turns up) and
//! the search goes on.

use crate::bytes::SharedBytes;

use crate::cred::Cred;
use crate::error::{KernelError, Result};
use crate::kernel::Kernel;
pub use crate::vfs::exec::MAX_EXECUTABLE_SIZE;

/// The search path used when the environment has no `PATH`.
pub const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// Longest `#!` line considered, in bytes (Linux `BINPRM_BUF_SIZE`).
pub const MAX_SHEBANG: usize = 256;
/// Most `PATH` entries tried for one lookup; the rest are ignored, so that a
/// guest-supplied `PATH` cannot make one spawn do unbounded work.
pub const MAX_PATH_ENTRIES: usize = 1024;

/// The magic number every wasm module starts with.
const WASM_MAGIC: &[u8] = b"\0asm";

/// A program found and permitted.
#[derive(Debug, Clone)]
pub struct Executable {
    /// Absolute VM path of the file, symlinks resolved.
    pub path: String,
    /// The file's bytes. For a file still shared with a layer this is the
    /// layer's own bytes, so repeated lookups return the same pointer.
    pub bytes: SharedBytes,
    /// For a `#!` script: the interpreter path and its optional single argument.
    pub interpreter: Option<(String, Option<String>)>,
    /// Whether the VM could have written the file (its own filesystem, or a
    /// writable mount) rather than the host having provided it (a read-only
    /// layer or mount): the runtime compiles such a module at the VM's
    /// expense and keeps it for that VM only.
    pub guest_written: bool,
}

impl Kernel {
    /// Finds the program `name` as `cred` would run it from working
    /// directory `cwd` (an absolute VM path), searching `path_env` (the
    /// `PATH` variable; [`DEFAULT_PATH`] if `None`) for a bare name.
    ///
    /// # Errors
    /// `NotFound` if no such file; `AccessDenied` if it is not a regular file,
    /// not executable by `cred`, or a directory on the way is not searchable
    /// (for a bare name: if some candidate existed but none was runnable);
    /// `NotExecutable` if it is neither a wasm module nor a `#!` script;
    /// resolution errors (`NotDir`, `Loop`, `NameTooLong`); `FileTooBig` for
    /// an oversized host file.
    pub fn resolve_executable(&self, cred: &Cred, cwd: &str, name: &str, path_env: Option<&str>) -> Result<Executable> {
        if name.is_empty() {
            return Err(KernelError::NotFound);
        }
        if name.contains('/') {
            return self.load_executable(cred, &join(cwd, name));
        }
        let mut denied = false;
        let dirs = path_env.unwrap_or(DEFAULT_PATH).split(':');
        for dir in dirs.take(MAX_PATH_ENTRIES) {
            let dir = if dir.is_empty() { cwd.to_owned() } else { join(cwd, dir) };
            match self.load_executable(cred, &join(&dir, name)) {
                Ok(found) => return Ok(found),
                Err(KernelError::AccessDenied) => denied = true,
                Err(KernelError::NotFound | KernelError::NotDir) => {}
                Err(err) => return Err(err),
            }
        }
        Err(if denied { KernelError::AccessDenied } else { KernelError::NotFound })
    }

    fn load_executable(&self, cred: &Cred, path: &str) -> Result<Executable> {
        let (path, program) = self.vfs().exec_lookup(cred, path)?;
        let bytes = program.bytes;
        let interpreter = if bytes.starts_with(WASM_MAGIC) {
            None
        } else if bytes.starts_with(b"#!") {
            Some(parse_shebang(&bytes)?)
        } else {
            return Err(KernelError::NotExecutable);
        };
        Ok(Executable { path, bytes, interpreter, guest_written: program.guest_written })
    }
}

/// `path` made absolute against `cwd` (which is absolute; a relative one is
/// taken from the root).
fn join(cwd: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_owned();
    }
    let mut out = String::with_capacity(cwd.len() + path.len() + 2);
    if !cwd.starts_with('/') {
        out.push('/');
    }
    out.push_str(cwd);
    if !out.ends_with('/') {
        out.push('/');
    }
    out.push_str(path);
    out
}

/// Parses a `#!` line as Linux does: the interpreter is the first word after
/// `#!`; everything after it, trimmed, is one optional argument (not split
/// further). The line must end within [`MAX_SHEBANG`] bytes unless the file
/// ends first.
fn parse_shebang(bytes: &[u8]) -> Result<(String, Option<String>)> {
    let head = bytes.get(..bytes.len().min(MAX_SHEBANG)).unwrap_or(bytes);
    let line = match head.iter().position(|&b| b == b'\n') {
        Some(end) => head.get(2..end),
        None if bytes.len() <= MAX_SHEBANG => head.get(2..),
        None => None,
    }
    .ok_or(KernelError::NotExecutable)?;
    let line = std::str::from_utf8(line).map_err(|_| KernelError::NotExecutable)?;
    let is_blank = |c: char| c == ' ' || c == '\t';
    let line = line.trim_matches(is_blank);
    let (interp, arg) = match line.split_once(is_blank) {
        Some((interp, arg)) => (interp, arg.trim_matches(is_blank)),
        None => (line, ""),
    };
    if interp.is_empty() {
        return Err(KernelError::NotExecutable);
    }
    let arg = (!arg.is_empty()).then(|| arg.to_owned());
    Ok((interp.to_owned(), arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_lines_parse_like_linux() {
        let parse = |s: &str| parse_shebang(s.as_bytes());
        assert_eq!(parse("#!/bin/sh\necho"), Ok(("/bin/sh".into(), None)));
        assert_eq!(parse("#! /bin/sh  -e -x \n"), Ok(("/bin/sh".into(), Some("-e -x".into()))));
        assert_eq!(parse("#!/bin/sh"), Ok(("/bin/sh".into(), None)));
        assert_eq!(parse("#!\n"), Err(KernelError::NotExecutable));
        let long = format!("#!/bin/{}\n", "x".repeat(300));
        assert_eq!(parse(&long), Err(KernelError::NotExecutable));
    }

    #[test]
    fn join_makes_paths_absolute() {
        assert_eq!(join("/home/u", "a/b"), "/home/u/a/b");
        assert_eq!(join("/", "b"), "/b");
        assert_eq!(join("/x", "/abs"), "/abs");
    }
}
