//! Safe wrappers over the `wasi_snapshot_preview1` imports.
//!
//! Each wrapper passes pointers into Rust-owned buffers whose lengths are passed
//! along with them, so the host writes only inside memory this module owns; that
//! is the whole safety argument of every `unsafe` block below. The `*_raw`
//! functions take the integer encoding directly, to pass values the typed
//! bindings cannot express (an unknown clock id, an invalid advice).

use std::mem::MaybeUninit;

use wasi::wasi_snapshot_preview1 as raw;
use wasi::{Errno, Fd};

/// Result of a preview1 call.
pub type Result<T> = std::result::Result<T, Errno>;

fn errno(code: i32) -> Result<()> {
    match code {
        0 => Ok(()),
        // The errno enum is 16 bits wide; the typed bindings build it the same way.
        _ => Err(errno_from(code as u16)),
    }
}

/// The [`Errno`] with this number (the `wasi` crate keeps the constructor private).
pub fn errno_from(code: u16) -> Errno {
    // SAFETY: `Errno` is `#[repr(transparent)]` over `u16`.
    unsafe { std::mem::transmute::<u16, Errno>(code) }
}

fn ciovecs(bufs: &[&[u8]]) -> Vec<wasi::Ciovec> {
    bufs.iter().map(|b| wasi::Ciovec { buf: b.as_ptr(), buf_len: b.len() }).collect()
}

fn iovecs(bufs: &mut [&mut [u8]]) -> Vec<wasi::Iovec> {
    bufs.iter_mut().map(|b| wasi::Iovec { buf: b.as_mut_ptr(), buf_len: b.len() }).collect()
}

/// Splits a `\0`-terminated list (`args_get`, `environ_get`) into its strings.
fn nul_list(count: usize, bytes: usize, get: unsafe fn(*mut *mut u8, *mut u8) -> Result<()>) -> Result<Vec<Vec<u8>>> {
    let mut ptrs: Vec<*mut u8> = vec![std::ptr::null_mut(); count];
    let mut buf = vec![0u8; bytes];
    // SAFETY: `ptrs` has room for `count` pointers and `buf` for `bytes` bytes,
    // the sizes the matching `*_sizes_get` reported.
    unsafe { get(ptrs.as_mut_ptr(), buf.as_mut_ptr())? };
    let base = buf.as_ptr() as usize;
    let mut out = Vec::with_capacity(count);
    for p in ptrs {
        let start = (p as usize).checked_sub(base).filter(|&s| s < bytes).expect("pointer outside the buffer");
        let len = buf[start..].iter().position(|&b| b == 0).expect("string is not NUL-terminated");
        out.push(buf[start..start + len].to_vec());
    }
    Ok(out)
}

/// `args_sizes_get`: (count, bytes).
pub fn args_sizes_get() -> Result<(usize, usize)> {
    // SAFETY: no pointers from us; the binding provides its own out-pointers.
    unsafe { wasi::args_sizes_get() }
}

/// `args_sizes_get` + `args_get`: the arguments as bytes.
pub fn args() -> Result<Vec<Vec<u8>>> {
    let (count, bytes) = args_sizes_get()?;
    nul_list(count, bytes, wasi::args_get)
}

/// `environ_sizes_get`: (count, bytes).
pub fn environ_sizes_get() -> Result<(usize, usize)> {
    // SAFETY: no pointers from us.
    unsafe { wasi::environ_sizes_get() }
}

/// `environ_sizes_get` + `environ_get`: the `KEY=value` entries as bytes.
pub fn environ() -> Result<Vec<Vec<u8>>> {
    let (count, bytes) = environ_sizes_get()?;
    nul_list(count, bytes, wasi::environ_get)
}

/// `clock_time_get`.
pub fn clock_time_get(id: wasi::Clockid, precision: u64) -> Result<u64> {
    // SAFETY: no pointers from us.
    unsafe { wasi::clock_time_get(id, precision) }
}

/// `clock_res_get`.
pub fn clock_res_get(id: wasi::Clockid) -> Result<u64> {
    // SAFETY: no pointers from us.
    unsafe { wasi::clock_res_get(id) }
}

/// `clock_time_get` with a raw clock id.
pub fn clock_time_get_raw(id: u32) -> Result<u64> {
    let mut out = MaybeUninit::<u64>::uninit();
    // SAFETY: `out` is a valid, aligned u64 slot.
    errno(unsafe { raw::clock_time_get(id as i32, 0, out.as_mut_ptr() as i32) })?;
    // SAFETY: written by the host on success.
    Ok(unsafe { out.assume_init() })
}

/// `random_get`.
pub fn random_get(buf: &mut [u8]) -> Result<()> {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    unsafe { wasi::random_get(buf.as_mut_ptr(), buf.len()) }
}

/// `fd_read` into several buffers.
pub fn fd_read(fd: Fd, bufs: &mut [&mut [u8]]) -> Result<usize> {
    let iovs = iovecs(bufs);
    // SAFETY: every iovec points into a live buffer of its length.
    unsafe { wasi::fd_read(fd, &iovs) }
}

/// `fd_read` into one buffer.
pub fn read(fd: Fd, buf: &mut [u8]) -> Result<usize> {
    fd_read(fd, &mut [buf])
}

/// `fd_pread` into one buffer.
pub fn pread(fd: Fd, buf: &mut [u8], offset: u64) -> Result<usize> {
    let iovs = iovecs(&mut [buf]);
    // SAFETY: the iovec points into `buf`.
    unsafe { wasi::fd_pread(fd, &iovs, offset) }
}

/// `fd_pread` into several buffers.
pub fn fd_pread(fd: Fd, bufs: &mut [&mut [u8]], offset: u64) -> Result<usize> {
    let iovs = iovecs(bufs);
    // SAFETY: every iovec points into a live buffer of its length.
    unsafe { wasi::fd_pread(fd, &iovs, offset) }
}

/// `fd_write` from several buffers.
pub fn fd_write(fd: Fd, bufs: &[&[u8]]) -> Result<usize> {
    let iovs = ciovecs(bufs);
    // SAFETY: every ciovec points into a live buffer of its length.
    unsafe { wasi::fd_write(fd, &iovs) }
}

/// `fd_write` from one buffer.
pub fn write(fd: Fd, buf: &[u8]) -> Result<usize> {
    fd_write(fd, &[buf])
}

/// `fd_pwrite` from several buffers.
pub fn fd_pwrite(fd: Fd, bufs: &[&[u8]], offset: u64) -> Result<usize> {
    let iovs = ciovecs(bufs);
    // SAFETY: every ciovec points into a live buffer of its length.
    unsafe { wasi::fd_pwrite(fd, &iovs, offset) }
}

/// `fd_pwrite` from one buffer.
pub fn pwrite(fd: Fd, buf: &[u8], offset: u64) -> Result<usize> {
    fd_pwrite(fd, &[buf], offset)
}

/// `fd_seek`.
pub fn fd_seek(fd: Fd, delta: i64, whence: wasi::Whence) -> Result<u64> {
    // SAFETY: no pointers from us.
    unsafe { wasi::fd_seek(fd, delta, whence) }
}

/// `fd_tell`.
pub fn fd_tell(fd: Fd) -> Result<u64> {
    // SAFETY: no pointers from us.
    unsafe { wasi::fd_tell(fd) }
}

/// `fd_sync`.
pub fn fd_sync(fd: Fd) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_sync(fd) }
}

/// `fd_datasync`.
pub fn fd_datasync(fd: Fd) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_datasync(fd) }
}

/// `fd_advise`.
pub fn fd_advise(fd: Fd, offset: u64, len: u64, advice: wasi::Advice) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_advise(fd, offset, len, advice) }
}

/// `fd_advise` with a raw advice value.
pub fn fd_advise_raw(fd: Fd, offset: u64, len: u64, advice: u8) -> Result<()> {
    // SAFETY: no pointers.
    errno(unsafe { raw::fd_advise(fd as i32, offset as i64, len as i64, i32::from(advice)) })
}

/// `fd_allocate`.
pub fn fd_allocate(fd: Fd, offset: u64, len: u64) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_allocate(fd, offset, len) }
}

/// `fd_close`.
pub fn fd_close(fd: Fd) -> Result<()> {
    // SAFETY: closing an fd number has no memory effects on the guest.
    unsafe { wasi::fd_close(fd) }
}

/// `fd_fdstat_get`.
pub fn fd_fdstat_get(fd: Fd) -> Result<wasi::Fdstat> {
    // SAFETY: the binding provides its own out-pointer.
    unsafe { wasi::fd_fdstat_get(fd) }
}

/// `fd_fdstat_set_flags`.
pub fn fd_fdstat_set_flags(fd: Fd, flags: wasi::Fdflags) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_fdstat_set_flags(fd, flags) }
}

/// `fd_fdstat_set_rights`.
pub fn fd_fdstat_set_rights(fd: Fd, base: wasi::Rights, inheriting: wasi::Rights) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_fdstat_set_rights(fd, base, inheriting) }
}

/// `fd_filestat_get`.
pub fn fd_filestat_get(fd: Fd) -> Result<wasi::Filestat> {
    // SAFETY: the binding provides its own out-pointer.
    unsafe { wasi::fd_filestat_get(fd) }
}

/// `fd_filestat_set_size`.
pub fn fd_filestat_set_size(fd: Fd, size: u64) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_filestat_set_size(fd, size) }
}

/// `fd_filestat_set_times`.
pub fn fd_filestat_set_times(fd: Fd, atim: u64, mtim: u64, flags: wasi::Fstflags) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_filestat_set_times(fd, atim, mtim, flags) }
}

/// `fd_readdir` into `buf` from `cookie`: the number of bytes used.
pub fn fd_readdir(fd: Fd, buf: &mut [u8], cookie: wasi::Dircookie) -> Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    unsafe { wasi::fd_readdir(fd, buf.as_mut_ptr(), buf.len(), cookie) }
}

/// `fd_renumber`.
pub fn fd_renumber(from: Fd, to: Fd) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::fd_renumber(from, to) }
}

/// `fd_prestat_get` of a directory preopen: the length of its name.
/// Fails with `BADF` for an fd that is not a preopen.
pub fn prestat_dir_len(fd: Fd) -> Result<usize> {
    // SAFETY: the binding provides its own out-pointer.
    let prestat = unsafe { wasi::fd_prestat_get(fd)? };
    assert_eq!(prestat.tag, wasi::PREOPENTYPE_DIR.raw(), "preopen {fd} is not a directory");
    // SAFETY: the tag says the `dir` variant is the one written.
    Ok(unsafe { prestat.u.dir.pr_name_len })
}

/// `fd_prestat_dir_name` into `buf`.
pub fn prestat_dir_name(fd: Fd, buf: &mut [u8]) -> Result<()> {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    unsafe { wasi::fd_prestat_dir_name(fd, buf.as_mut_ptr(), buf.len()) }
}

/// `path_create_directory`.
pub fn path_create_directory(dir: Fd, path: &str) -> Result<()> {
    // SAFETY: the binding passes `path`'s pointer and length.
    unsafe { wasi::path_create_directory(dir, path) }
}

/// `path_filestat_get`.
pub fn path_filestat_get(dir: Fd, flags: wasi::Lookupflags, path: &str) -> Result<wasi::Filestat> {
    // SAFETY: the binding passes `path`'s pointer and length.
    unsafe { wasi::path_filestat_get(dir, flags, path) }
}

/// `path_filestat_set_times`.
pub fn path_filestat_set_times(
    dir: Fd,
    flags: wasi::Lookupflags,
    path: &str,
    atim: u64,
    mtim: u64,
    fst: wasi::Fstflags,
) -> Result<()> {
    // SAFETY: the binding passes `path`'s pointer and length.
    unsafe { wasi::path_filestat_set_times(dir, flags, path, atim, mtim, fst) }
}

/// `path_link`.
pub fn path_link(old_dir: Fd, flags: wasi::Lookupflags, old: &str, new_dir: Fd, new: &str) -> Result<()> {
    // SAFETY: the binding passes both paths' pointers and lengths.
    unsafe { wasi::path_link(old_dir, flags, old, new_dir, new) }
}

/// `path_open` with `fs_rights_inheriting` equal to `rights`.
pub fn path_open(
    dir: Fd,
    lookup: wasi::Lookupflags,
    path: &str,
    oflags: wasi::Oflags,
    rights: wasi::Rights,
    fdflags: wasi::Fdflags,
) -> Result<Fd> {
    // SAFETY: the binding passes `path`'s pointer and length.
    unsafe { wasi::path_open(dir, lookup, path, oflags, rights, rights, fdflags) }
}

/// `path_open` with separate base and inheriting rights.
pub fn path_open_rights(
    dir: Fd,
    lookup: wasi::Lookupflags,
    path: &str,
    oflags: wasi::Oflags,
    base: wasi::Rights,
    inheriting: wasi::Rights,
    fdflags: wasi::Fdflags,
) -> Result<Fd> {
    // SAFETY: the binding passes `path`'s pointer and length.
    unsafe { wasi::path_open(dir, lookup, path, oflags, base, inheriting, fdflags) }
}

/// `path_readlink` into `buf`: the number of bytes used.
pub fn path_readlink(dir: Fd, path: &str, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: `buf` is valid for `buf.len()` bytes.
    unsafe { wasi::path_readlink(dir, path, buf.as_mut_ptr(), buf.len()) }
}

/// `path_readlink` with a buffer large enough for any target.
pub fn readlink(dir: Fd, path: &str) -> Result<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    let n = path_readlink(dir, path, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// `path_remove_directory`.
pub fn path_remove_directory(dir: Fd, path: &str) -> Result<()> {
    // SAFETY: the binding passes `path`'s pointer and length.
    unsafe { wasi::path_remove_directory(dir, path) }
}

/// `path_rename`.
pub fn path_rename(old_dir: Fd, old: &str, new_dir: Fd, new: &str) -> Result<()> {
    // SAFETY: the binding passes both paths' pointers and lengths.
    unsafe { wasi::path_rename(old_dir, old, new_dir, new) }
}

/// `path_symlink`: creates `new` beneath `dir` pointing at `target`.
pub fn path_symlink(target: &str, dir: Fd, new: &str) -> Result<()> {
    // SAFETY: the binding passes both paths' pointers and lengths.
    unsafe { wasi::path_symlink(target, dir, new) }
}

/// `path_unlink_file`.
pub fn path_unlink_file(dir: Fd, path: &str) -> Result<()> {
    // SAFETY: the binding passes `path`'s pointer and length.
    unsafe { wasi::path_unlink_file(dir, path) }
}

/// `poll_oneoff`: the events that occurred.
pub fn poll_oneoff(subs: &[wasi::Subscription]) -> Result<Vec<wasi::Event>> {
    let mut events: Vec<MaybeUninit<wasi::Event>> = Vec::with_capacity(subs.len());
    events.resize_with(subs.len(), MaybeUninit::zeroed);
    // SAFETY: `subs` holds `subs.len()` subscriptions and `events` room for as
    // many events, the most `poll_oneoff` may write.
    let n = unsafe { wasi::poll_oneoff(subs.as_ptr(), events.as_mut_ptr().cast(), subs.len())? };
    assert!(n <= subs.len(), "poll_oneoff reported {n} events for {} subscriptions", subs.len());
    // SAFETY: zero-initialised `Event`s are valid values (all-integer fields),
    // and the first `n` were written by the host.
    Ok(events.into_iter().take(n).map(|e| unsafe { e.assume_init() }).collect())
}

/// A relative clock subscription.
pub fn sub_clock(userdata: u64, id: wasi::Clockid, timeout_ns: u64, flags: wasi::Subclockflags) -> wasi::Subscription {
    wasi::Subscription {
        userdata,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_CLOCK.raw(),
            u: wasi::SubscriptionUU { clock: wasi::SubscriptionClock { id, timeout: timeout_ns, precision: 0, flags } },
        },
    }
}

/// An fd-read subscription.
pub fn sub_read(userdata: u64, fd: Fd) -> wasi::Subscription {
    wasi::Subscription {
        userdata,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_FD_READ.raw(),
            u: wasi::SubscriptionUU { fd_read: wasi::SubscriptionFdReadwrite { file_descriptor: fd } },
        },
    }
}

/// An fd-write subscription.
pub fn sub_write(userdata: u64, fd: Fd) -> wasi::Subscription {
    wasi::Subscription {
        userdata,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_FD_WRITE.raw(),
            u: wasi::SubscriptionUU { fd_write: wasi::SubscriptionFdReadwrite { file_descriptor: fd } },
        },
    }
}

/// `proc_exit`.
pub fn proc_exit(code: u32) -> ! {
    // SAFETY: no pointers; the call does not return.
    unsafe { wasi::proc_exit(code) };
    unreachable!("proc_exit returned")
}

/// `proc_raise`.
pub fn proc_raise(sig: wasi::Signal) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::proc_raise(sig) }
}

/// `sched_yield`.
pub fn sched_yield() -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::sched_yield() }
}

/// `sock_accept`.
pub fn sock_accept(fd: Fd, flags: wasi::Fdflags) -> Result<Fd> {
    // SAFETY: the binding provides its own out-pointer.
    unsafe { wasi::sock_accept(fd, flags) }
}

/// `sock_recv` into one buffer: (bytes, roflags).
pub fn sock_recv(fd: Fd, buf: &mut [u8], flags: wasi::Riflags) -> Result<(usize, wasi::Roflags)> {
    let iovs = iovecs(&mut [buf]);
    // SAFETY: the iovec points into `buf`.
    unsafe { wasi::sock_recv(fd, &iovs, flags) }
}

/// `sock_send` from one buffer.
pub fn sock_send(fd: Fd, buf: &[u8], flags: wasi::Siflags) -> Result<usize> {
    let iovs = ciovecs(&[buf]);
    // SAFETY: the ciovec points into `buf`.
    unsafe { wasi::sock_send(fd, &iovs, flags) }
}

/// `sock_shutdown`.
pub fn sock_shutdown(fd: Fd, how: wasi::Sdflags) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { wasi::sock_shutdown(fd, how) }
}
