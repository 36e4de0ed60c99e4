//! Processes (`host_process`): a [`Command`] builder modelled on
//! `std::process::Command`, the [`Child`] it starts, wait statuses, signals
//! and process groups.
//!
//! capsa has no `fork`: a child is a fresh instance of a program, started
//! posix_spawn-style. Its fd table starts as a copy of the caller's fds 0, 1, 2
//! and preopened directories (nothing else is inherited); [`Stdio`] settings
//! and [`Command::dup2`] become the spawn's fd actions.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use crate::fd::{fd_u32, pipe};
use crate::signal::{SIGKILL, signal_name};
use crate::sys::{self, ACTION_CLOSE, ACTION_DUP2, FdAction, WNOHANG};

/// What a child's stdin, stdout or stderr is connected to.
#[derive(Debug)]
pub struct Stdio(StdioKind);

#[derive(Debug)]
enum StdioKind {
    Inherit,
    Null,
    Piped,
    Fd(OwnedFd),
    /// An [`StdioKind::Fd`] already handed to a child by an earlier spawn.
    Used,
}

impl Stdio {
    /// The child shares the caller's fd (the default of [`Command::spawn`]
    /// and [`Command::status`]).
    pub fn inherit() -> Stdio {
        Stdio(StdioKind::Inherit)
    }

    /// `/dev/null`: reads see end of file, writes are discarded.
    pub fn null() -> Stdio {
        Stdio(StdioKind::Null)
    }

    /// A new pipe; the caller's end becomes [`Child::stdin`],
    /// [`Child::stdout`] or [`Child::stderr`].
    pub fn piped() -> Stdio {
        Stdio(StdioKind::Piped)
    }
}

impl From<OwnedFd> for Stdio {
    /// The child gets a duplicate of this fd; the caller's copy is closed
    /// once the child is spawned.
    fn from(fd: OwnedFd) -> Stdio {
        Stdio(StdioKind::Fd(fd))
    }
}

impl From<File> for Stdio {
    /// The child gets a duplicate of this file's fd (a pipe end, an open
    /// file, …); the caller's copy is closed once the child is spawned.
    fn from(file: File) -> Stdio {
        Stdio(StdioKind::Fd(file.into()))
    }
}

/// How a process ended, Linux-encoded as `waitpid` reports it: exited with
/// code *c* is `c << 8`, killed by signal *s* is `s`.
///
/// A child that trapped reports `SIGABRT` (6); one ended by a capsa limit
/// (fuel, wall clock, output) reports `SIGKILL` (9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExitStatus(u32);

impl ExitStatus {
    /// The status from its raw wait-status encoding.
    pub fn from_raw(raw: u32) -> ExitStatus {
        ExitStatus(raw)
    }

    /// The raw wait status.
    pub fn into_raw(self) -> u32 {
        self.0
    }

    /// The exit code, if the process exited (rather than being killed).
    pub fn code(&self) -> Option<i32> {
        (self.0 & 0x7f == 0).then_some(((self.0 >> 8) & 0xff) as i32)
    }

    /// The signal that killed the process, if one did.
    pub fn signal(&self) -> Option<i32> {
        let signal = self.0 & 0x7f;
        (signal != 0 && signal != 0x7f).then_some(signal as i32)
    }

    /// Whether the process exited with code 0.
    pub fn success(&self) -> bool {
        self.code() == Some(0)
    }
}

impl fmt::Display for ExitStatus {
    /// `exit status: 3` or `signal: 9 (SIGKILL)`, as std prints them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code(), self.signal()) {
            (Some(code), _) => write!(f, "exit status: {code}"),
            (None, Some(signal)) => match signal_name(signal) {
                Some(name) => write!(f, "signal: {signal} ({name})"),
                None => write!(f, "signal: {signal}"),
            },
            (None, None) => write!(f, "unrecognised wait status: {} {:#x}", self.0, self.0),
        }
    }
}

/// The result of [`Command::output`] or [`Child::wait_with_output`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// How the child ended.
    pub status: ExitStatus,
    /// Everything it wrote to its stdout.
    pub stdout: Vec<u8>,
    /// Everything it wrote to its stderr.
    pub stderr: Vec<u8>,
}

/// A program to start, with its arguments, environment, working directory
/// and stdio: `std::process::Command` for capsa guests.
///
/// By default the child gets the caller's environment (`std::env::vars_os()`
/// at spawn time), the caller's working directory (`std::env::current_dir()`)
/// and the caller's stdio. Whatever the settings, the child's environment
/// gets `PWD=<its working directory>`: WASI has no working directory of its
/// own, and programs linked with `wasi-ext` [`init`](crate::init) from it.
///
/// ```no_run
/// use wasi_ext::{Command, Stdio};
///
/// let output = Command::new("ls").arg("-l").env("LC_ALL", "C").stderr(Stdio::null()).output()?;
/// assert!(output.status.success());
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct Command {
    program: OsString,
    /// `argv[0]` when it is not `program` ([`Command::arg0`]).
    arg0: Option<OsString>,
    args: Vec<OsString>,
    env_clear: bool,
    /// Changes on top of the inherited (or cleared) environment: `None` removes.
    env: BTreeMap<OsString, Option<OsString>>,
    cwd: Option<PathBuf>,
    stdin: Option<Stdio>,
    stdout: Option<Stdio>,
    stderr: Option<Stdio>,
    /// Changes to the child's fds after its stdio is set up, in order.
    fd_ops: Vec<FdOp>,
}

/// One of [`Command::dup2`] and [`Command::close`].
#[derive(Debug, Clone, Copy)]
enum FdOp {
    /// The child's `to` becomes a copy of its `from`.
    Dup2 { from: RawFd, to: RawFd },
    /// The child's fd is closed.
    Close(RawFd),
}

impl Command {
    /// A command running `program`: a path (containing `/`, resolved against
    /// the child's working directory) or a bare name searched in the
    /// child's `PATH` (default `/usr/local/bin:/usr/bin:/bin`). `argv[0]` is
    /// `program` as given.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command {
            program: program.as_ref().to_owned(),
            arg0: None,
            args: Vec::new(),
            env_clear: false,
            env: BTreeMap::new(),
            cwd: None,
            stdin: None,
            stdout: None,
            stderr: None,
            fd_ops: Vec::new(),
        }
    }

    /// Sets `argv[0]` (by default the program as given), as
    /// `std::os::unix::process::CommandExt::arg0` does: multicall programs
    /// pick what they are by it.
    pub fn arg0(&mut self, arg0: impl AsRef<OsStr>) -> &mut Command {
        self.arg0 = Some(arg0.as_ref().to_owned());
        self
    }

    /// Adds an argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Adds arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable of the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> &mut Command {
        self.env.insert(key.as_ref().to_owned(), Some(value.as_ref().to_owned()));
        self
    }

    /// Sets environment variables of the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        for (key, value) in vars {
            self.env(key, value);
        }
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.env.insert(key.as_ref().to_owned(), None);
        self
    }

    /// Starts the child's environment empty instead of from the caller's
    /// (variables set afterwards with [`Command::env`] still apply, and so
    /// does `PWD`).
    pub fn env_clear(&mut self) -> &mut Command {
        self.env_clear = true;
        self.env.clear();
        self
    }

    /// The child's working directory; a relative one is taken from the
    /// caller's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.cwd = Some(dir.as_ref().to_owned());
        self
    }

    /// The child's stdin.
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdin = Some(cfg.into());
        self
    }

    /// The child's stdout.
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stdout = Some(cfg.into());
        self
    }

    /// The child's stderr.
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.stderr = Some(cfg.into());
        self
    }

    /// Makes the child's fd `to` a duplicate of its fd `from`, after stdin,
    /// stdout and stderr are set up and after earlier `dup2`s, as
    /// `posix_spawn_file_actions_adddup2` does: `.stdout(Stdio::piped())
    /// .dup2(1, 2)` is a shell's `2>&1` into the pipe. A `from` that no
    /// earlier setting touched is the caller's fd of that number.
    pub fn dup2(&mut self, from: RawFd, to: RawFd) -> &mut Command {
        self.fd_ops.push(FdOp::Dup2 { from, to });
        self
    }

    /// Closes the child's fd `fd`, in order with [`Command::dup2`] (a
    /// shell's `>&-`). Closing an fd the child does not have is harmless.
    pub fn close(&mut self, fd: RawFd) -> &mut Command {
        self.fd_ops.push(FdOp::Close(fd));
        self
    }

    /// The program, as given to [`Command::new`].
    pub fn get_program(&self) -> &OsStr {
        &self.program
    }

    /// Starts the child. Stdio not set is inherited.
    ///
    /// # Errors
    /// `ENOENT` if the program (or its `#!` interpreter) does not exist,
    /// `EACCES` if it is not a regular file the caller may execute, `ENOEXEC`
    /// if it is neither a wasm module nor a `#!` script, `EAGAIN` past the
    /// VM's process limit, `E2BIG` if argv and env exceed 1 MiB, `ENOENT` or
    /// `ENOTDIR` for a bad working directory; `ErrorKind::InvalidInput` for
    /// an argument or variable containing a NUL byte, or a [`Stdio`] made
    /// from an fd that an earlier spawn of this command (successful or not)
    /// already used up.
    pub fn spawn(&mut self) -> io::Result<Child> {
        self.spawn_with(Stdio::inherit, Stdio::inherit)
    }

    /// Starts the child, waits for it and returns how it ended. Stdio not set
    /// is inherited.
    ///
    /// # Errors
    /// As [`Command::spawn`] and [`Child::wait`].
    pub fn status(&mut self) -> io::Result<ExitStatus> {
        self.spawn_with(Stdio::inherit, Stdio::inherit)?.wait()
    }

    /// Starts the child, collects everything it writes to stdout and stderr
    /// and waits for it. Unless set otherwise, stdin is `/dev/null` and
    /// stdout and stderr are pipes, read together (with `poll_oneoff`) so a
    /// child filling one pipe cannot deadlock against a reader of the other.
    ///
    /// # Errors
    /// As [`Command::spawn`] and [`Child::wait_with_output`].
    pub fn output(&mut self) -> io::Result<Output> {
        self.spawn_with(Stdio::null, Stdio::piped)?.wait_with_output()
    }

    /// Spawns with these defaults for stdin and for stdout and stderr.
    fn spawn_with(&mut self, default_in: fn() -> Stdio, default_out: fn() -> Stdio) -> io::Result<Child> {
        let cwd = self.child_cwd()?;
        let arg0 = self.arg0.as_ref().unwrap_or(&self.program);
        let argv = nul_list(std::iter::once(arg0.as_os_str()).chain(self.args.iter().map(OsString::as_os_str)))?;
        let env = self.child_env(&cwd)?;

        let mut setup = FdSetup::default();
        let stdin = setup.stdio(0, self.stdin.as_mut(), default_in)?;
        let stdout = setup.stdio(1, self.stdout.as_mut(), default_out)?;
        let stderr = setup.stdio(2, self.stderr.as_mut(), default_out)?;
        for &op in &self.fd_ops {
            match op {
                FdOp::Dup2 { from, to } => setup.dup2(from, to)?,
                FdOp::Close(fd) => setup.close(fd)?,
            }
        }

        let program = self.program.as_encoded_bytes();
        let cwd = cwd.as_os_str().as_encoded_bytes();
        let mut pid = 0u32;
        // SAFETY: every pointer comes with the exact length of a live buffer
        // owned by this frame (`program`, `argv`, `env`, `cwd`, the action
        // records), and `pid` is a live `u32`; the host only reads the
        // buffers and writes `pid`.
        let errno = unsafe {
            sys::proc_spawn(
                program.as_ptr(),
                program.len(),
                argv.as_ptr(),
                argv.len(),
                env.as_ptr(),
                env.len(),
                cwd.as_ptr(),
                cwd.len(),
                setup.actions.as_ptr(),
                setup.actions.len(),
                &mut pid,
            )
        };
        // The caller's copies of the child's ends (`setup.close`) are closed
        // here whether the spawn worked or not; on failure so are the
        // caller's ends (`stdin`, `stdout`, `stderr`).
        drop(setup);
        sys::cvt(errno)?;
        Ok(Child { pid, stdin, stdout, stderr, status: None })
    }

    /// The child's working directory as an absolute path.
    fn child_cwd(&self) -> io::Result<PathBuf> {
        match &self.cwd {
            Some(dir) if dir.is_absolute() => Ok(dir.clone()),
            Some(dir) => Ok(std::env::current_dir()?.join(dir)),
            None => std::env::current_dir(),
        }
    }

    /// The child's environment as a NUL-terminated string list.
    fn child_env(&self, cwd: &Path) -> io::Result<Vec<u8>> {
        let mut vars: BTreeMap<OsString, OsString> =
            if self.env_clear { BTreeMap::new() } else { std::env::vars_os().collect() };
        for (key, value) in &self.env {
            match value {
                Some(value) => vars.insert(key.clone(), value.clone()),
                None => vars.remove(key),
            };
        }
        vars.insert("PWD".into(), cwd.as_os_str().to_owned());
        let mut list = Vec::new();
        for (key, value) in &vars {
            if key.is_empty() || key.as_encoded_bytes().contains(&b'=') {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("bad environment variable name {key:?}"),
                ));
            }
            let mut entry = key.clone();
            entry.push("=");
            entry.push(value);
            push_nul_terminated(&mut list, &entry)?;
        }
        Ok(list)
    }
}

/// Appends `s` and a NUL byte; `InvalidInput` if `s` contains a NUL.
fn push_nul_terminated(list: &mut Vec<u8>, s: &OsStr) -> io::Result<()> {
    let bytes = s.as_encoded_bytes();
    if bytes.contains(&0) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("nul byte found in {s:?}")));
    }
    list.extend_from_slice(bytes);
    list.push(0);
    Ok(())
}

/// The ABI's string list: each string followed by a NUL byte.
fn nul_list<'a>(strings: impl Iterator<Item = &'a OsStr>) -> io::Result<Vec<u8>> {
    let mut list = Vec::new();
    for s in strings {
        push_nul_terminated(&mut list, s)?;
    }
    Ok(list)
}

/// The fd actions of one spawn, and the caller's fds to close once it is
/// done (dropping the `FdSetup` closes them).
#[derive(Default)]
struct FdSetup {
    actions: Vec<FdAction>,
    /// The child's fd → the caller's fd it is a copy of, for fds the actions
    /// changed (`None`: closed). Any other child fd is the caller's fd of
    /// the same number.
    child: BTreeMap<RawFd, Option<RawFd>>,
    /// The caller's copies of what the child gets.
    close: Vec<OwnedFd>,
}

impl FdSetup {
    /// Sets up the child's stdio fd `fd`; returns the caller's end of a pipe.
    fn stdio(&mut self, fd: RawFd, cfg: Option<&mut Stdio>, default: fn() -> Stdio) -> io::Result<Option<File>> {
        let mut fallback;
        let cfg = match cfg {
            Some(cfg) => cfg,
            None => {
                fallback = default();
                &mut fallback
            }
        };
        let (child_end, ours) = match &mut cfg.0 {
            StdioKind::Inherit => return Ok(None),
            StdioKind::Null => {
                let null = OpenOptions::new().read(fd == 0).write(fd != 0).open("/dev/null")?;
                (OwnedFd::from(null), None)
            }
            StdioKind::Piped => {
                let (read, write) = pipe()?;
                // stdin: the child reads and the caller keeps the write end;
                // stdout and stderr the other way round.
                if fd == 0 { (OwnedFd::from(read), Some(write)) } else { (OwnedFd::from(write), Some(read)) }
            }
            StdioKind::Fd(_) => {
                // Move the fd out (this arm matched `Fd`): one child gets it.
                let StdioKind::Fd(owned) = std::mem::replace(&mut cfg.0, StdioKind::Used) else { unreachable!() };
                (owned, None)
            }
            StdioKind::Used => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "this Stdio's fd was already given to a child by an earlier spawn",
                ));
            }
        };
        self.give(fd, child_end)?;
        Ok(ours)
    }

    /// The child's `fd` becomes a copy of `owned`, which is closed in the
    /// caller after the spawn.
    fn give(&mut self, fd: RawFd, owned: OwnedFd) -> io::Result<()> {
        let src = owned.as_raw_fd();
        self.actions.push(FdAction { kind: ACTION_DUP2, fd: fd_u32(fd)?, src: fd_u32(src)? });
        self.child.insert(fd, Some(src));
        self.close.push(owned);
        Ok(())
    }

    /// The child's `to` becomes a copy of the child's `from`.
    fn dup2(&mut self, from: RawFd, to: RawFd) -> io::Result<()> {
        let src = match self.child.get(&from) {
            Some(Some(src)) => *src,
            Some(None) => return Err(io::Error::from_raw_os_error(i32::from(wasi::ERRNO_BADF.raw()))),
            None => from,
        };
        self.actions.push(FdAction { kind: ACTION_DUP2, fd: fd_u32(to)?, src: fd_u32(src)? });
        self.child.insert(to, Some(src));
        Ok(())
    }

    /// The child's `fd` is closed.
    fn close(&mut self, fd: RawFd) -> io::Result<()> {
        self.actions.push(FdAction { kind: ACTION_CLOSE, fd: fd_u32(fd)?, src: 0 });
        self.child.insert(fd, None);
        Ok(())
    }
}

/// A started child process.
///
/// Dropping a `Child` neither waits for nor kills it: it runs on, and stays a
/// zombie once it ends until the caller waits (or ends itself, when the
/// child is re-parented to pid 1).
#[derive(Debug)]
pub struct Child {
    pid: u32,
    /// The caller's end of the child's stdin, if it was [`Stdio::piped`].
    pub stdin: Option<File>,
    /// The caller's end of the child's stdout, if it was [`Stdio::piped`].
    pub stdout: Option<File>,
    /// The caller's end of the child's stderr, if it was [`Stdio::piped`].
    pub stderr: Option<File>,
    status: Option<ExitStatus>,
}

impl Child {
    /// The child's pid.
    pub fn id(&self) -> u32 {
        self.pid
    }

    /// Waits for the child to end. The caller's end of its stdin is closed
    /// first, so a child reading stdin sees end of file. Once it has
    /// returned a status, calling it again returns the same status.
    ///
    /// # Errors
    /// `ECHILD` if the child was already waited for by [`waitpid`].
    pub fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(status) = self.status {
            return Ok(status);
        }
        let (_, status) = waitpid(self.pid_i32()?, false)?.expect("waitpid without WNOHANG returned no child");
        self.status = Some(status);
        Ok(status)
    }

    /// The child's status if it has ended, else `None` at once (`WNOHANG`).
    ///
    /// # Errors
    /// As [`Child::wait`].
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let status = waitpid(self.pid_i32()?, true)?.map(|(_, status)| status);
        self.status = status;
        Ok(status)
    }

    /// Reads everything the child writes to its piped stdout and stderr
    /// (together, with `poll_oneoff`), then waits for it. The caller's end
    /// of its stdin is closed first.
    ///
    /// # Errors
    /// A read or poll error, or as [`Child::wait`].
    pub fn wait_with_output(mut self) -> io::Result<Output> {
        drop(self.stdin.take());
        let (stdout, stderr) = read2(self.stdout.take(), self.stderr.take())?;
        let status = self.wait()?;
        Ok(Output { status, stdout, stderr })
    }

    /// Kills the child with `SIGKILL`. Succeeds without a signal if the
    /// child was already waited for.
    ///
    /// # Errors
    /// As [`Child::signal`].
    pub fn kill(&mut self) -> io::Result<()> {
        self.signal(SIGKILL)
    }

    /// Sends `signal` to the child (see [`kill`]). Succeeds without a signal
    /// if the child was already waited for (its pid may be reused).
    ///
    /// # Errors
    /// As [`kill`].
    pub fn signal(&mut self, signal: i32) -> io::Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        kill(self.pid_i32()?, signal)
    }

    fn pid_i32(&self) -> io::Result<i32> {
        i32::try_from(self.pid).map_err(|_| io::Error::from_raw_os_error(i32::from(wasi::ERRNO_CHILD.raw())))
    }
}

/// Reads two pipes to their ends at once: with `poll_oneoff` while both are
/// open, then the remaining one straight to its end.
fn read2(mut out: Option<File>, mut err: Option<File>) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let (mut out_buf, mut err_buf) = (Vec::new(), Vec::new());
    while let (Some(out_file), Some(err_file)) = (&mut out, &mut err) {
        let subscriptions = [read_subscription(0, out_file), read_subscription(1, err_file)];
        let mut events = [wasi::Event {
            userdata: 0,
            error: wasi::ERRNO_SUCCESS,
            type_: wasi::EVENTTYPE_FD_READ,
            fd_readwrite: wasi::EventFdReadwrite { nbytes: 0, flags: 0 },
        }; 2];
        // SAFETY: `subscriptions` and `events` are live arrays of two
        // elements each, and we pass their length, 2.
        let n = unsafe { wasi::poll_oneoff(subscriptions.as_ptr(), events.as_mut_ptr(), 2) }
            .map_err(|e| io::Error::from_raw_os_error(i32::from(e.raw())))?;
        for event in &events[..n] {
            if event.error != wasi::ERRNO_SUCCESS {
                return Err(io::Error::from_raw_os_error(i32::from(event.error.raw())));
            }
            let (slot, buf) = if event.userdata == 0 { (&mut out, &mut out_buf) } else { (&mut err, &mut err_buf) };
            if let Some(file) = slot
                && read_some(file, buf)? == 0
            {
                *slot = None;
            }
        }
    }
    if let Some(mut file) = out {
        file.read_to_end(&mut out_buf)?;
    }
    if let Some(mut file) = err {
        file.read_to_end(&mut err_buf)?;
    }
    Ok((out_buf, err_buf))
}

fn read_subscription(userdata: u64, file: &File) -> wasi::Subscription {
    wasi::Subscription {
        userdata,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_FD_READ.raw(),
            u: wasi::SubscriptionUU {
                fd_read: wasi::SubscriptionFdReadwrite { file_descriptor: file.as_raw_fd() as wasi::Fd },
            },
        },
    }
}

/// One read of what is ready, appended to `buf`; 0 at end of file.
fn read_some(file: &mut File, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 64 << 10];
    let n = file.read(&mut chunk)?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

/// Waits for a child: `pid > 0` that child, `-1` any child. With `nohang`,
/// returns `None` at once if no such child has ended yet. A child that ended
/// stays a zombie until waited for.
///
/// # Errors
/// `ECHILD` if there is no such child (or it was already waited for);
/// `EINVAL` for any other `pid` (capsa does not wait by process group).
pub fn waitpid(pid: i32, nohang: bool) -> io::Result<Option<(u32, ExitStatus)>> {
    let (mut status, mut child) = (0u32, 0u32);
    // SAFETY: both out-pointers point at live `u32` locals.
    sys::cvt(unsafe { sys::proc_waitpid(pid, if nohang { WNOHANG } else { 0 }, &mut status, &mut child) })?;
    Ok((child != 0).then_some((child, ExitStatus(status))))
}

/// Sends `signal` (Linux numbering, see [`crate::signal`]) to `pid > 0`,
/// to the caller's process group (`0`), to group `-pid` (`pid < -1`), or to
/// every process the caller may signal but pid 1 (`-1`). Signal 0 only
/// checks. Guests cannot catch signals: SIGCHLD, SIGCONT, SIGURG and SIGWINCH
/// are ignored and every other signal ends the target.
///
/// # Errors
/// `ESRCH` if there is no such process, `EPERM` if the caller may not
/// signal it (it is neither root nor the target's user), `EINVAL` for an
/// unknown signal, `ENOTSUP` for the stop signals.
pub fn kill(pid: i32, signal: i32) -> io::Result<()> {
    let signal = u32::try_from(signal).map_err(|_| io::Error::from_raw_os_error(i32::from(wasi::ERRNO_INVAL.raw())))?;
    // SAFETY: plain integer arguments; no memory is passed.
    sys::cvt(unsafe { sys::proc_kill(pid, signal) })
}

/// The caller's pid.
///
/// # Errors
/// None in capsa-abi 0.2; the errno result is passed on all the same.
pub fn getpid() -> io::Result<u32> {
    // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
    sys::out_u32(|out| unsafe { sys::proc_getpid(out) })
}

/// The caller's parent's pid (1 once the parent has ended).
///
/// # Errors
/// None in capsa-abi 0.2; the errno result is passed on all the same.
pub fn getppid() -> io::Result<u32> {
    // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
    sys::out_u32(|out| unsafe { sys::proc_getppid(out) })
}

/// Moves process `pid` (0: the caller) into process group `pgid` (0: a new
/// group whose id is `pid`).
///
/// # Errors
/// `ESRCH` if there is no such process, `EPERM` if the caller may not move
/// it there, `EINVAL` for ids beyond `i32::MAX`.
pub fn setpgid(pid: u32, pgid: u32) -> io::Result<()> {
    let (pid, pgid) = (id_i32(pid)?, id_i32(pgid)?);
    // SAFETY: plain integer arguments; no memory is passed.
    sys::cvt(unsafe { sys::proc_setpgid(pid, pgid) })
}

/// The process group of `pid` (0: the caller).
///
/// # Errors
/// `ESRCH` if there is no such process, `EINVAL` for a pid beyond `i32::MAX`.
pub fn getpgid(pid: u32) -> io::Result<u32> {
    let pid = id_i32(pid)?;
    // SAFETY: the out-pointer is the live `u32` `out_u32` provides.
    sys::out_u32(|out| unsafe { sys::proc_getpgid(pid, out) })
}

fn id_i32(id: u32) -> io::Result<i32> {
    i32::try_from(id).map_err(|_| io::Error::from_raw_os_error(i32::from(wasi::ERRNO_INVAL.raw())))
}

/// Sleeps for `ms` milliseconds (no clock grant needed). A kill or the
/// process's deadline ends the process meanwhile.
///
/// # Errors
/// None in capsa-abi 0.2; the errno result is passed on all the same.
pub fn sleep_ms(ms: u64) -> io::Result<()> {
    // SAFETY: a plain integer argument; no memory is passed.
    sys::cvt(unsafe { sys::sleep_ms(ms) })
}
