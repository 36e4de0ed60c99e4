//! Redirections and the shell's fd map.
//!
//! Shell fds 0–2 are the process's own fds 0–2: a redirection `dup2`s over
//! them and, unless it is permanent (`exec >file`), the old fd is saved and
//! put back afterwards. Shell fds ≥ 3 live only in [`Shell::fds`], backed
//! by real fds the kernel allocates above the preopens, so `exec 3>file`
//! never clobbers the preopened directories wasi-libc resolves paths with.
//! Children get shell fds ≥ 3 only through spawn fd actions (see
//! [`crate::child`]).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::rc::Rc;

use brush_parser::ast::{IoFileRedirectKind, IoFileRedirectTarget, IoRedirect};

use crate::procsub::Substitution;
use crate::shell::{Flow, Shell};
use crate::sysio;

/// The highest shell fd a redirection may name.
pub const MAX_SHELL_FD: i32 = 255;

/// What a redirection changed, to undo it.
#[derive(Default)]
pub struct Saved {
    std: Vec<(i32, Option<OwnedFd>)>,
    map: Vec<(i32, Option<Rc<OwnedFd>>)>,
    /// Process substitutions redirected from (`< <(…)`): waited for once
    /// the redirections are undone.
    subs: Vec<Substitution>,
}

/// A redirection failed: the message is printed, the command's status is 1.
pub struct RedirError;

impl Shell {
    /// Applies redirections; `permanent` ones (`exec`) are not saved.
    ///
    /// # Errors
    /// `Ok(Err(RedirError))` when one cannot be applied (already printed;
    /// earlier ones are undone); `Err(flow)` for a fatal expansion error.
    pub fn redirect(&mut self, redirs: &[&IoRedirect], permanent: bool) -> Result<Result<Saved, RedirError>, Flow> {
        let mut saved = Saved::default();
        for r in redirs {
            match self.redirect_one(r, permanent, &mut saved)? {
                Ok(()) => {}
                Err(msg) => {
                    self.error(msg);
                    self.restore(saved);
                    return Ok(Err(RedirError));
                }
            }
        }
        Ok(Ok(saved))
    }

    /// Undoes what [`Shell::redirect`] did, in reverse order.
    pub fn restore(&mut self, saved: Saved) {
        let subs = saved.subs;
        for (fd, old) in saved.map.into_iter().rev() {
            match old {
                Some(f) => self.fds.insert(fd, f),
                None => self.fds.remove(&fd),
            };
        }
        for (fd, old) in saved.std.into_iter().rev() {
            match old {
                Some(f) => {
                    let _ = wasi_ext::dup2(f.as_raw_fd(), fd);
                }
                None => sysio::close_fd(fd),
            }
        }
        self.finish_substitutions(subs);
    }

    fn redirect_one(&mut self, r: &IoRedirect, permanent: bool, saved: &mut Saved) -> Result<Result<(), String>, Flow> {
        Ok(match r {
            IoRedirect::File(fd, kind, target) => {
                let default = if matches!(
                    kind,
                    IoFileRedirectKind::Read | IoFileRedirectKind::ReadAndWrite | IoFileRedirectKind::DuplicateInput
                ) {
                    0
                } else {
                    1
                };
                let fd = fd.unwrap_or(default);
                match target {
                    IoFileRedirectTarget::Filename(word) => {
                        let name = self.expand_string(&word.value)?;
                        match self.open_for(kind, &name) {
                            Ok(file) => self.install(fd, file.into(), permanent, saved),
                            Err(msg) => Err(msg),
                        }
                    }
                    IoFileRedirectTarget::Fd(src) => self.duplicate(*src, fd, permanent, saved),
                    IoFileRedirectTarget::Duplicate(word) => {
                        let text = self.expand_string(&word.value)?;
                        if text == "-" {
                            self.close(fd, permanent, saved);
                            Ok(())
                        } else if let Some(src) = text.strip_suffix('-').and_then(|n| n.parse::<i32>().ok()) {
                            let r = self.duplicate(src, fd, permanent, saved);
                            self.close(src, permanent, saved);
                            r
                        } else if let Ok(src) = text.parse::<i32>() {
                            self.duplicate(src, fd, permanent, saved)
                        } else if matches!(kind, IoFileRedirectKind::DuplicateOutput) && fd == 1 {
                            match self.open_for(&IoFileRedirectKind::Write, &text) {
                                Ok(file) => self.both(file, permanent, saved),
                                Err(msg) => Err(msg),
                            }
                        } else {
                            Err(format!("{text}: ambiguous redirect"))
                        }
                    }
                    // `< <(list)`, `> >(list)`: this shell holds the pipe's
                    // end itself and installs it; the child is waited for
                    // when the redirection is undone (never for `exec`'s).
                    IoFileRedirectTarget::ProcessSubstitution(sub_kind, body) => {
                        match self.substitute(sub_kind, body) {
                            Ok((_, sub)) => {
                                let end = self.fds.remove(&sub.fd).and_then(|end| Rc::try_unwrap(end).ok());
                                if !permanent {
                                    saved.subs.push(sub);
                                }
                                match end {
                                    Some(end) => self.install(fd, end, permanent, saved),
                                    None => Err("process substitution: its pipe is gone".into()),
                                }
                            }
                            Err(msg) => Err(msg),
                        }
                    }
                }
            }
            IoRedirect::HereDocument(fd, doc) => {
                let body =
                    if doc.requires_expansion { self.expand_heredoc(&doc.doc.value)? } else { doc.doc.value.clone() };
                match here_fd(body.as_bytes()) {
                    Ok(f) => self.install(fd.unwrap_or(0), f, permanent, saved),
                    Err(e) => Err(format!("cannot make here-document: {}", sysio::strerror(&e))),
                }
            }
            IoRedirect::HereString(fd, word) => {
                let mut body = self.expand_string(&word.value)?;
                body.push('\n');
                match here_fd(body.as_bytes()) {
                    Ok(f) => self.install(fd.unwrap_or(0), f, permanent, saved),
                    Err(e) => Err(format!("cannot make here-string: {}", sysio::strerror(&e))),
                }
            }
            IoRedirect::OutputAndError(word, append) => {
                let name = self.expand_string(&word.value)?;
                let kind = if *append { IoFileRedirectKind::Append } else { IoFileRedirectKind::Write };
                match self.open_for(&kind, &name) {
                    Ok(file) => self.both(file, permanent, saved),
                    Err(msg) => Err(msg),
                }
            }
        })
    }

    /// `&>file`: stdout and stderr to one file.
    fn both(&mut self, file: File, permanent: bool, saved: &mut Saved) -> Result<(), String> {
        let fd: OwnedFd = file.into();
        let copy = wasi_ext::dup(fd.as_raw_fd()).map_err(|e| sysio::strerror(&e))?;
        self.install(1, fd, permanent, saved)?;
        self.install(2, copy, permanent, saved)
    }

    fn open_for(&self, kind: &IoFileRedirectKind, name: &str) -> Result<File, String> {
        let mut o = OpenOptions::new();
        match kind {
            IoFileRedirectKind::Read | IoFileRedirectKind::DuplicateInput => o.read(true),
            IoFileRedirectKind::Write => {
                if self.st.options.noclobber && std::fs::metadata(name).is_ok_and(|m| m.is_file()) {
                    return Err(format!("{name}: cannot overwrite existing file"));
                }
                o.write(true).create(true).truncate(true)
            }
            IoFileRedirectKind::Clobber | IoFileRedirectKind::DuplicateOutput => {
                o.write(true).create(true).truncate(true)
            }
            IoFileRedirectKind::Append => o.append(true).create(true),
            IoFileRedirectKind::ReadAndWrite => o.read(true).write(true).create(true),
        };
        if name.is_empty() {
            return Err(": No such file or directory".into());
        }
        o.open(name).map_err(|e| format!("{name}: {}", sysio::strerror(&e)))
    }

    /// Makes shell fd `fd` refer to `file`.
    pub(crate) fn install(&mut self, fd: i32, file: OwnedFd, permanent: bool, saved: &mut Saved) -> Result<(), String> {
        if !(0..=MAX_SHELL_FD).contains(&fd) {
            return Err(format!("{fd}: Bad file descriptor"));
        }
        if fd <= 2 {
            if !permanent && !saved.std.iter().any(|(f, _)| *f == fd) {
                saved.std.push((fd, wasi_ext::dup(fd).ok()));
            }
            wasi_ext::dup2(file.as_raw_fd(), fd).map_err(|e| format!("{fd}: {}", sysio::strerror(&e)))?;
        } else {
            let old = self.fds.insert(fd, Rc::new(file));
            if !permanent {
                saved.map.push((fd, old));
            }
        }
        Ok(())
    }

    /// `fd>&src`.
    fn duplicate(&mut self, src: i32, fd: i32, permanent: bool, saved: &mut Saved) -> Result<(), String> {
        if src == fd {
            return if self.real_fd(src).is_some() { Ok(()) } else { Err(format!("{src}: Bad file descriptor")) };
        }
        let Some(real) = self.real_fd(src) else {
            return Err(format!("{src}: Bad file descriptor"));
        };
        let copy = wasi_ext::dup(real).map_err(|_| format!("{src}: Bad file descriptor"))?;
        self.install(fd, copy, permanent, saved)
    }

    /// `fd>&-`.
    fn close(&mut self, fd: i32, permanent: bool, saved: &mut Saved) {
        if fd <= 2 {
            if !permanent && !saved.std.iter().any(|(f, _)| *f == fd) {
                saved.std.push((fd, wasi_ext::dup(fd).ok()));
            }
            sysio::close_fd(fd);
        } else {
            let old = self.fds.remove(&fd);
            if !permanent {
                saved.map.push((fd, old));
            }
        }
    }

    /// The real fd behind shell fd `fd`, if open.
    pub fn real_fd(&self, fd: i32) -> Option<i32> {
        if (0..=2).contains(&fd) {
            // Probe: a closed stdio fd cannot be duplicated.
            return wasi_ext::dup(fd).ok().map(|_| fd);
        }
        self.fds.get(&fd).map(|f| f.as_raw_fd())
    }
}

/// An fd to read `body` from: a pipe when it fits in the pipe buffer, else
/// an unlinked temporary file.
fn here_fd(body: &[u8]) -> std::io::Result<OwnedFd> {
    let body = crate::bytes::encode(body);
    let body = body.as_ref();
    if body.len() < 60 * 1024 {
        let (read, mut write) = wasi_ext::pipe()?;
        write.write_all(body)?;
        return Ok(read.into());
    }
    let path = format!("/tmp/.sh-here-{}-{}", wasi_ext::getpid().unwrap_or(0), body.len());
    let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
    file.write_all(body)?;
    let _ = std::fs::remove_file(&path);
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(0))?;
    Ok(file.into())
}
