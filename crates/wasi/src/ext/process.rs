//! `host_process`: spawn, wait, kill, process groups, pipes, fd duplication
//! and sleep (see `docs/abi.md`).

use std::time::Duration;

use capsa_kernel::{FdEntry, FdTable, OpenFile, OpenOptions};

use crate::call::{SysResult, read_str};
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;
use crate::spawn::SpawnRequest;

/// Most bytes of argv plus env a spawn may pass (`E2BIG` past it).
pub const MAX_SPAWN_STRINGS: u32 = 1 << 20;
/// Most fd actions one spawn may carry (`EINVAL` past it).
pub const MAX_FD_ACTIONS: u32 = 256;
/// How deep `#!` interpreters may chain.
const MAX_INTERPRETER_DEPTH: usize = 4;

const ACTION_DUP2: u32 = 0;
const ACTION_CLOSE: u32 = 1;
const WNOHANG: u32 = 1;

/// Splits a NUL-terminated string list.
fn read_list(mem: &GuestMemory<'_>, ptr: u32, len: u32) -> SysResult<Vec<String>> {
    let text = read_str(mem, ptr, len)?;
    let Some(body) = text.strip_suffix('\0') else {
        return if text.is_empty() { Ok(Vec::new()) } else { Err(Errno::Inval.into()) };
    };
    Ok(body.split('\0').map(str::to_string).collect())
}

/// One change to a child's fd table, applied in order.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FdAction {
    /// The child's `fd` is the caller's `src`.
    Dup2 { fd: u32, src: u32 },
    /// The child has no `fd`.
    Close { fd: u32 },
}

/// Reads `count` 12-byte action records.
fn read_actions(mem: &GuestMemory<'_>, actions: u32, count: u32) -> SysResult<Vec<FdAction>> {
    if count > MAX_FD_ACTIONS {
        return Err(Errno::Inval.into());
    }
    (0..count)
        .map(|i| {
            let at = actions.checked_add(i * 12).ok_or(Errno::Inval)?;
            let (kind, fd, src) = (mem.read_u32(at)?, mem.read_u32(at + 4)?, mem.read_u32(at + 8)?);
            match kind {
                ACTION_DUP2 => Ok(FdAction::Dup2 { fd, src }),
                ACTION_CLOSE => Ok(FdAction::Close { fd }),
                _ => Err(Errno::Inval.into()),
            }
        })
        .collect()
}

/// The child's fd table: the parent's stdio and preopens, then the actions.
fn child_fds(parent: &FdTable, actions: &[FdAction]) -> SysResult<FdTable> {
    if actions.len() > MAX_FD_ACTIONS as usize {
        return Err(Errno::Inval.into());
    }
    let mut fds = parent.clone();
    let private: Vec<u32> =
        fds.iter().filter(|(fd, entry)| *fd > 2 && entry.preopen.is_none()).map(|(fd, _)| fd).collect();
    for fd in private {
        fds.remove(fd)?;
    }
    for action in actions {
        match *action {
            FdAction::Dup2 { fd, src } => {
                fds.insert_at(fd, FdEntry::new(parent.file(src)?))?;
            }
            FdAction::Close { fd } => {
                // Closing an fd the child does not have is harmless.
                let _ = fds.remove(fd);
            }
        }
    }
    Ok(fds)
}

/// `proc_spawn(path, argv, env, cwd, actions) -> pid`.
pub fn proc_spawn(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    path: u32,
    path_len: u32,
    argv: u32,
    argv_len: u32,
    env: u32,
    env_len: u32,
    cwd: u32,
    cwd_len: u32,
    actions: u32,
    actions_count: u32,
    pid_out: u32,
) -> SysResult<()> {
    if argv_len.saturating_add(env_len) > MAX_SPAWN_STRINGS {
        return Err(Errno::TooBig.into());
    }
    let path = read_str(mem, path, path_len)?.to_string();
    let args = read_list(mem, argv, argv_len)?;
    let env = read_list(mem, env, env_len)?;
    let cwd = read_str(mem, cwd, cwd_len)?.to_string();
    let actions = read_actions(mem, actions, actions_count)?;
    let pid = spawn(ctx, &path, args, env, &cwd, &actions)?;
    mem.write_u32(pid_out, pid)?;
    Ok(())
}

/// Spawns `path` (resolved as execve(2) and `PATH` would) with `args`,
/// `env`, working directory `cwd` (empty: the caller's) and the caller's
/// stdio and preopens changed by `actions`; returns the child's pid.
pub(crate) fn spawn(
    ctx: &mut WasiCtx,
    path: &str,
    mut args: Vec<String>,
    env: Vec<String>,
    cwd: &str,
    actions: &[FdAction],
) -> SysResult<u32> {
    let cwd = match cwd {
        "" => ctx.kernel.cwd_of(ctx.pid)?,
        dir => absolute(&ctx.kernel.cwd_of(ctx.pid)?, dir),
    };
    check_directory(ctx, &cwd)?;
    let fds = child_fds(&ctx.fds, actions)?;

    let path_env = env.iter().find_map(|kv| kv.strip_prefix("PATH="));
    let mut executable = ctx.kernel.resolve_executable(&ctx.cred, &cwd, path, path_env)?;
    if args.is_empty() {
        args.push(path.to_string());
    }
    let mut depth = 0;
    // The script's path as execve(2) passes it to the interpreter: as the
    // caller wrote it, or as found on PATH for a bare name.
    let mut script_name = if path.contains('/') { path.to_string() } else { executable.path.clone() };
    while let Some((interpreter, arg)) = executable.interpreter.take() {
        depth += 1;
        if depth > MAX_INTERPRETER_DEPTH {
            return Err(Errno::NoExec.into());
        }
        let script = std::mem::replace(&mut script_name, interpreter.clone());
        let mut new_args = vec![interpreter.clone()];
        new_args.extend(arg);
        new_args.push(script);
        new_args.extend(args.drain(..).skip(1));
        args = new_args;
        executable = ctx.kernel.resolve_executable(&ctx.cred, &cwd, &interpreter, path_env)?;
    }
    let pid = ctx.spawner.spawn(SpawnRequest {
        parent: ctx.pid,
        cred: ctx.cred.clone(),
        executable,
        args,
        env,
        cwd,
        fds,
        umask: ctx.umask,
    })?;
    Ok(pid)
}

/// Joins a possibly relative directory onto `base` (both VM paths).
fn absolute(base: &str, dir: &str) -> String {
    if dir.starts_with('/') { dir.to_string() } else { format!("{}/{dir}", base.trim_end_matches('/')) }
}

/// A spawn's working directory must be a directory the caller can search.
fn check_directory(ctx: &WasiCtx, cwd: &str) -> SysResult<()> {
    let root = ctx.kernel.vfs().root();
    let opts = OpenOptions { directory: true, follow: true, ..OpenOptions::default() };
    // Through `.`: the directory itself must be searchable, as for chdir(2).
    let searchable = format!("{}/.", cwd.trim_end_matches('/'));
    ctx.kernel.vfs().open_at(&ctx.cred, &root, &searchable, opts)?;
    Ok(())
}

/// `proc_waitpid(pid, options) -> (status, pid)`.
pub fn proc_waitpid(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    pid: i32,
    options: u32,
    status_out: u32,
    pid_out: u32,
) -> SysResult<()> {
    if options & !WNOHANG != 0 {
        return Err(Errno::Inval.into());
    }
    match wait(ctx, pid, options & WNOHANG != 0)? {
        Some((child, status)) => {
            mem.write_u32(status_out, status)?;
            mem.write_u32(pid_out, child)?;
        }
        None => mem.write_u32(pid_out, 0)?,
    }
    Ok(())
}

/// Waits for the child `pid` (-1: any child) to end, unless `nohang`;
/// returns its pid and Linux wait status, or `None` when `nohang` and no
/// child has ended.
pub(crate) fn wait(ctx: &mut WasiCtx, pid: i32, nohang: bool) -> SysResult<Option<(u32, u32)>> {
    let target = match pid {
        -1 => None,
        p if p > 0 => Some(p as u32),
        // Process-group waits are not supported: the group of a child is rarely
        // what a spawn-only program means.
        _ => return Err(Errno::Inval.into()),
    };
    Ok(ctx.kernel.wait_child(ctx.pid, target, nohang)?.map(|(child, status)| (child, status.encode())))
}

/// `proc_kill(pid, signal)`.
pub fn proc_kill(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, pid: i32, signal: u32) -> SysResult<()> {
    kill(ctx, pid, signal)
}

/// Sends `signal` to `pid` as kill(2) does.
pub(crate) fn kill(ctx: &mut WasiCtx, pid: i32, signal: u32) -> SysResult<()> {
    let signal = u8::try_from(signal).map_err(|_| Errno::Inval)?;
    ctx.kernel.kill(ctx.pid, pid, signal)?;
    // A process that signalled itself dies now, not at its next check.
    if let Some(reason) = ctx.control.pending() {
        return Err(reason.into());
    }
    Ok(())
}

/// `proc_getpid() -> pid`.
pub fn proc_getpid(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, out: u32) -> SysResult<()> {
    mem.write_u32(out, ctx.pid)?;
    Ok(())
}

/// `proc_getppid() -> pid`.
pub fn proc_getppid(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, out: u32) -> SysResult<()> {
    mem.write_u32(out, ctx.kernel.parent_of(ctx.pid)?)?;
    Ok(())
}

/// `proc_setpgid(pid, pgid)`.
pub fn proc_setpgid(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, pid: i32, pgid: i32) -> SysResult<()> {
    let pid = u32::try_from(pid).map_err(|_| Errno::Inval)?;
    let pgid = u32::try_from(pgid).map_err(|_| Errno::Inval)?;
    ctx.kernel.set_pgid(ctx.pid, pid, pgid)?;
    Ok(())
}

/// `proc_getpgid(pid) -> pgid`.
pub fn proc_getpgid(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, pid: i32, out: u32) -> SysResult<()> {
    let pid = match u32::try_from(pid).map_err(|_| Errno::Inval)? {
        0 => ctx.pid,
        p => p,
    };
    mem.write_u32(out, ctx.kernel.pgid_of(pid)?)?;
    Ok(())
}

/// `fd_pipe() -> (read_fd, write_fd)`.
pub fn fd_pipe(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, read_out: u32, write_out: u32) -> SysResult<()> {
    // Check both out-pointers before creating fds the guest could never learn.
    mem.slice(read_out, 4)?;
    mem.slice(write_out, 4)?;
    let (read_fd, write_fd) = pipe(ctx)?;
    mem.write_u32(read_out, read_fd)?;
    mem.write_u32(write_out, write_fd)?;
    Ok(())
}

/// A new pipe in the caller's fd table: `(read_fd, write_fd)`.
pub(crate) fn pipe(ctx: &mut WasiCtx) -> SysResult<(u32, u32)> {
    let (reader, writer) = OpenFile::pipe(ctx.kernel.budget())?;
    let read_fd = ctx.fds.insert(FdEntry::new(reader))?;
    match ctx.fds.insert(FdEntry::new(writer)) {
        Ok(write_fd) => Ok((read_fd, write_fd)),
        Err(err) => {
            let _ = ctx.fds.remove(read_fd);
            Err(err.into())
        }
    }
}

/// `fd_dup(fd) -> new_fd`.
pub fn fd_dup(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, fd: u32, out: u32) -> SysResult<()> {
    mem.slice(out, 4)?;
    let new_fd = ctx.fds.dup(fd)?;
    mem.write_u32(out, new_fd)?;
    Ok(())
}

/// `fd_dup2(fd, to)`.
pub fn fd_dup2(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, fd: u32, to: u32) -> SysResult<()> {
    ctx.fds.dup2(fd, to)?;
    Ok(())
}

/// `sleep_ms(ms)`.
pub fn sleep_ms(ctx: &mut WasiCtx, _mem: &mut GuestMemory<'_>, ms: u64) -> SysResult<()> {
    ctx.control.sleep(Duration::from_millis(ms))?;
    Ok(())
}
