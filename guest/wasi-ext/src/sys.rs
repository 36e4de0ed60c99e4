//! The raw imports of `host_process`, `host_user`, `host_fs` and `host_net` (capsa-abi 0.4, see
//! `docs/abi.md`), one for one, and the conversion of their errno results.
//!
//! Every function returns a WASI errno (0 = success) and writes its results
//! through out-pointers; strings are `(ptr, len)` pairs of UTF-8 and string
//! lists are buffers of NUL-terminated strings. The safe wrappers in this
//! crate are the only callers: each passes pointers into Rust-owned buffers
//! together with their exact lengths.
//!
//! rustc gives imports from a module other than `env` a symbol name of their
//! own, so `isatty` here does not collide with wasi-libc's `isatty`.

use std::io;

/// One fd action of `proc_spawn`: 12 bytes, `{ kind, fd, src }`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FdAction {
    /// [`ACTION_DUP2`] or [`ACTION_CLOSE`].
    pub kind: u32,
    /// The child's fd the action changes.
    pub fd: u32,
    /// For DUP2: the caller's fd copied into the child's `fd`.
    pub src: u32,
}

/// Child `fd` ← caller's `src`.
pub(crate) const ACTION_DUP2: u32 = 0;
/// Close the child's `fd`.
pub(crate) const ACTION_CLOSE: u32 = 1;
/// `proc_waitpid` option: return at once if no child has ended.
pub(crate) const WNOHANG: u32 = 1;

#[link(wasm_import_module = "host_process")]
unsafe extern "C" {
    pub(crate) fn proc_spawn(
        path: *const u8,
        path_len: usize,
        argv: *const u8,
        argv_len: usize,
        env: *const u8,
        env_len: usize,
        cwd: *const u8,
        cwd_len: usize,
        actions: *const FdAction,
        actions_count: usize,
        pid_out: *mut u32,
    ) -> i32;
    pub(crate) fn proc_waitpid(pid: i32, options: u32, status_out: *mut u32, pid_out: *mut u32) -> i32;
    pub(crate) fn proc_kill(pid: i32, signal: u32) -> i32;
    pub(crate) fn proc_getpid(pid_out: *mut u32) -> i32;
    pub(crate) fn proc_getppid(pid_out: *mut u32) -> i32;
    pub(crate) fn proc_setpgid(pid: i32, pgid: i32) -> i32;
    pub(crate) fn proc_getpgid(pid: i32, pgid_out: *mut u32) -> i32;
    pub(crate) fn fd_pipe(read_fd_out: *mut u32, write_fd_out: *mut u32) -> i32;
    pub(crate) fn fd_dup(fd: u32, new_fd_out: *mut u32) -> i32;
    pub(crate) fn fd_dup2(fd: u32, to: u32) -> i32;
    pub(crate) fn sleep_ms(ms: u64) -> i32;
}

#[link(wasm_import_module = "host_user")]
unsafe extern "C" {
    pub(crate) fn getuid(id_out: *mut u32) -> i32;
    pub(crate) fn geteuid(id_out: *mut u32) -> i32;
    pub(crate) fn getgid(id_out: *mut u32) -> i32;
    pub(crate) fn getegid(id_out: *mut u32) -> i32;
    pub(crate) fn getpwuid(uid: u32, buf: *mut u8, buf_len: usize, len_out: *mut usize) -> i32;
    pub(crate) fn getpwnam(name: *const u8, name_len: usize, buf: *mut u8, buf_len: usize, len_out: *mut usize) -> i32;
    pub(crate) fn getgrgid(gid: u32, buf: *mut u8, buf_len: usize, len_out: *mut usize) -> i32;
    pub(crate) fn isatty(fd: u32, out: *mut u32) -> i32;
}

#[link(wasm_import_module = "host_tty")]
unsafe extern "C" {
    pub(crate) fn winsize(fd: u32, rows_out: *mut u32, cols_out: *mut u32) -> i32;
}

#[link(wasm_import_module = "host_fs")]
unsafe extern "C" {
    pub(crate) fn stat(fd: u32, path: *const u8, path_len: usize, flags: u32, out: *mut u8) -> i32;
    pub(crate) fn fstat(fd: u32, out: *mut u8) -> i32;
    pub(crate) fn chmod(fd: u32, path: *const u8, path_len: usize, flags: u32, mode: u32) -> i32;
    pub(crate) fn chown(fd: u32, path: *const u8, path_len: usize, flags: u32, uid: i32, gid: i32) -> i32;
    pub(crate) fn umask(mask: u32, old_out: *mut u32) -> i32;
}

#[link(wasm_import_module = "host_net")]
unsafe extern "C" {
    pub(crate) fn net_socket(family: u32, socktype: u32, protocol: u32, flags: u32, fd_out: *mut u32) -> i32;
    pub(crate) fn net_bind(fd: u32, addr: *const u8, addr_len: usize) -> i32;
    pub(crate) fn net_listen(fd: u32, backlog: u32) -> i32;
    pub(crate) fn net_accept(
        fd: u32,
        flags: u32,
        fd_out: *mut u32,
        addr_buf: *mut u8,
        addr_buf_len: usize,
        addr_len_out: *mut usize,
    ) -> i32;
    pub(crate) fn net_connect(fd: u32, addr: *const u8, addr_len: usize) -> i32;
    pub(crate) fn net_send(fd: u32, buf: *const u8, len: usize, flags: u32, sent_out: *mut usize) -> i32;
    pub(crate) fn net_recv(fd: u32, buf: *mut u8, len: usize, flags: u32, received_out: *mut usize) -> i32;
    pub(crate) fn net_sendto(
        fd: u32,
        buf: *const u8,
        len: usize,
        flags: u32,
        addr: *const u8,
        addr_len: usize,
        sent_out: *mut usize,
    ) -> i32;
    pub(crate) fn net_recvfrom(
        fd: u32,
        buf: *mut u8,
        len: usize,
        flags: u32,
        received_out: *mut usize,
        addr_buf: *mut u8,
        addr_buf_len: usize,
        addr_len_out: *mut usize,
    ) -> i32;
    pub(crate) fn net_shutdown(fd: u32, how: u32) -> i32;
    pub(crate) fn net_getaddrinfo(
        name: *const u8,
        name_len: usize,
        family: u32,
        buf: *mut u8,
        count: usize,
        count_out: *mut usize,
    ) -> i32;
    pub(crate) fn net_getsockname(fd: u32, buf: *mut u8, buf_len: usize, len_out: *mut usize) -> i32;
    pub(crate) fn net_getpeername(fd: u32, buf: *mut u8, buf_len: usize, len_out: *mut usize) -> i32;
    pub(crate) fn net_setsockopt(fd: u32, option: u32, value: u32) -> i32;
    pub(crate) fn net_tls(
        fd: u32,
        name: *const u8,
        name_len: usize,
        roots: *const u8,
        roots_len: usize,
        flags: u32,
    ) -> i32;
}

/// Turns an errno result into an `io::Result`. On wasm32-wasip1 a raw OS
/// error *is* a WASI errno: std decodes its kind and message with
/// wasi-libc's numbering (44 `ENOENT` → `NotFound`).
pub(crate) fn cvt(errno: i32) -> io::Result<()> {
    if errno == 0 { Ok(()) } else { Err(io::Error::from_raw_os_error(errno)) }
}

/// Calls an import that writes one `u32` through its out-pointer.
pub(crate) fn out_u32(call: impl FnOnce(*mut u32) -> i32) -> io::Result<u32> {
    let mut out = 0u32;
    cvt(call(&mut out))?;
    Ok(out)
}
