"""Python client of ``capsa serve``: sandboxes for untrusted code.

A :class:`Sandbox` is one long-lived VM on a capsa server: run shell
command lines in it (:meth:`Sandbox.exec`, :meth:`Sandbox.exec_stream`),
move files and directories in and out (:attr:`Sandbox.files`,
:meth:`Sandbox.upload_dir`, :meth:`Sandbox.download_dir`), start
background processes (:attr:`Sandbox.processes`) and take snapshots that
new sandboxes start from. :class:`AsyncSandbox` is the same for asyncio.
Every failure the server reports raises :class:`CapsaError` with its code.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional

import httpx

__all__ = [
    "AsyncSandbox",
    "CapsaError",
    "CellResult",
    "Event",
    "ExecResult",
    "FileInfo",
    "ProcessInfo",
    "Sandbox",
    "Snapshot",
]


class CapsaError(Exception):
    """An error the server answered with: its HTTP ``status``, its stable
    ``code`` (``not_found``, ``bad_request``, ``too_many_requests``, …) and
    its ``message``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


@dataclass
class ExecResult:
    """How a command ended, and what it wrote."""

    exit_code: int
    stdout: str
    stderr: str
    duration_ms: int
    cpu_ms: int
    #: Why it was stopped (a limit, a signal, a trap), or ``None``.
    killed: Optional[str] = None
    #: stdout/stderr as bytes, exactly (text above is decoded leniently).
    stdout_bytes: bytes = b""
    stderr_bytes: bytes = b""

    @property
    def ok(self) -> bool:
        """Whether it exited with status 0."""
        return self.exit_code == 0


@dataclass
class Event:
    """One event of a streamed command or a process's log: ``kind`` is
    ``stdout``, ``stderr``, ``exit`` or ``error``; ``data`` the text (for
    output) and ``result`` the final :class:`ExecResult` (for ``exit``)."""

    kind: str
    data: str = ""
    bytes: bytes = b""
    result: Optional[ExecResult] = None


@dataclass
class CellResult:
    """A cell run by :meth:`Sandbox.python`: its output, the repr of its
    final expression (``result``) or its exception (``error``: ``name``,
    ``value``, ``traceback``), and whether a fresh interpreter ran it
    (``fresh``: the first cell, or the first after one timed out)."""

    stdout: str
    stderr: str
    result: Optional[str]
    error: Optional[Dict[str, str]]
    fresh: bool


def _cell_result(body: Dict[str, Any]) -> CellResult:
    return CellResult(body.get("stdout", ""), body.get("stderr", ""), body.get("result"), body.get("error"),
                      bool(body.get("interpreter", {}).get("fresh")))


def _cell_body(code: str, timeout: Optional[float]) -> Dict[str, Any]:
    body: Dict[str, Any] = {"code": code}
    if timeout is not None:
        body["timeout_s"] = timeout
    return body


@dataclass
class FileInfo:
    """An entry of a directory listing."""

    name: str
    type: str
    size: int
    mode: str
    mtime: int


@dataclass
class ProcessInfo:
    """A background process: its handle, and how it ended once it has."""

    pid: int
    command: str
    running: bool
    exit: Optional[Dict[str, Any]] = None


@dataclass
class Snapshot:
    """A snapshot of a sandbox's files."""

    id: str
    sandbox: str
    created: int
    bytes: int


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        error = response.json().get("error", {})
        code, message = error.get("code", "error"), error.get("message", response.text)
    except (ValueError, AttributeError):
        code, message = "error", response.text
    raise CapsaError(response.status_code, code, message)


def _decode_output(body: Dict[str, Any], name: str) -> bytes:
    if f"{name}_b64" in body:
        return base64.b64decode(body[f"{name}_b64"])
    return (body.get(name) or "").encode()


def _exec_result(body: Dict[str, Any]) -> ExecResult:
    out, err = _decode_output(body, "stdout"), _decode_output(body, "stderr")
    return ExecResult(
        exit_code=body.get("exit_code", -1),
        stdout=out.decode(errors="replace"),
        stderr=err.decode(errors="replace"),
        duration_ms=body.get("duration_ms", 0),
        cpu_ms=body.get("cpu_ms", 0),
        killed=body.get("killed"),
        stdout_bytes=out,
        stderr_bytes=err,
    )


def _event(kind: str, data: str) -> Event:
    payload = json.loads(data) if data else {}
    if kind in ("stdout", "stderr"):
        raw = _decode_output(payload, "data")
        return Event(kind, raw.decode(errors="replace"), raw)
    if kind == "exit":
        return Event(kind, result=_exec_result(payload))
    return Event(kind, data=json.dumps(payload))


class _SseParser:
    """Server-sent events, one line at a time."""

    def __init__(self) -> None:
        self.kind, self.data = "message", []

    def feed(self, line: str) -> Optional[Event]:
        """The event this line completes, if any."""
        if line == "":
            return self.finish()
        if line.startswith("event:"):
            self.kind = line[6:].strip()
        elif line.startswith("data:"):
            self.data.append(line[5:].lstrip(" "))
        return None

    def finish(self) -> Optional[Event]:
        """The event still pending, if any."""
        event = _event(self.kind, "\n".join(self.data)) if self.data else None
        self.kind, self.data = "message", []
        return event


def _sse(lines: Iterator[str]) -> Iterator[Event]:
    parser = _SseParser()
    for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event
    event = parser.finish()
    if event is not None:
        yield event


def _exec_body(command: str, stdin: Optional[str | bytes], env: Optional[Dict[str, str]], cwd: Optional[str], timeout: Optional[float]) -> Dict[str, Any]:
    body: Dict[str, Any] = {"command": command}
    if isinstance(stdin, bytes):
        body["stdin_b64"] = base64.b64encode(stdin).decode()
    elif stdin is not None:
        body["stdin"] = stdin
    if env:
        body["env"] = env
    if cwd:
        body["cwd"] = cwd
    if timeout is not None:
        body["timeout_s"] = timeout
    return body


def _vm_path(path: str) -> str:
    return path.lstrip("/") if path.startswith("/") else f"home/user/{path}"


def _tar_of(local_dir: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in sorted(os.listdir(local_dir)):
            tar.add(os.path.join(local_dir, name), arcname=name)
    return buffer.getvalue()


def _untar(data: bytes, local_dir: str) -> None:
    os.makedirs(local_dir, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        root = os.path.realpath(local_dir)
        for member in tar.getmembers():
            target = os.path.realpath(os.path.join(local_dir, member.name))
            if not (target == root or target.startswith(root + os.sep)) or member.issym() or member.islnk() or member.isdev():
                continue  # Never write outside local_dir, nor links or devices.
            tar.extract(member, local_dir)


class _Files:
    """``sandbox.files``: files in and out (paths are the sandbox's:
    absolute, or relative to its home directory)."""

    def __init__(self, sandbox: "Sandbox"):
        self._sb = sandbox

    def write(self, path: str, content: str | bytes) -> None:
        """Writes a file, making its parent directories."""
        data = content.encode() if isinstance(content, str) else content
        self._sb._call("PUT", f"/files/{_vm_path(path)}", content=data)

    def read(self, path: str) -> bytes:
        """A file's bytes."""
        return self._sb._call("GET", f"/files/{_vm_path(path)}").content

    def read_text(self, path: str) -> str:
        """A file as text."""
        return self.read(path).decode()

    def list(self, path: str = "/home/user") -> List[FileInfo]:
        """A directory's entries."""
        body = self._sb._call("GET", f"/files/{_vm_path(path)}").json()
        return [FileInfo(**entry) for entry in body["entries"]]

    def remove(self, path: str) -> None:
        """Removes a file, or a directory with what it holds."""
        self._sb._call("DELETE", f"/files/{_vm_path(path)}")


class _Processes:
    """``sandbox.processes``: commands started now and followed later."""

    def __init__(self, sandbox: "Sandbox"):
        self._sb = sandbox

    def start(self, command: str, *, env: Optional[Dict[str, str]] = None, cwd: Optional[str] = None, timeout: Optional[float] = None) -> int:
        """Starts a background process; returns its pid."""
        body = _exec_body(command, None, env, cwd, timeout)
        return self._sb._call("POST", "/processes", json=body).json()["pid"]

    def stdin(self, pid: int, data: str | bytes, *, eof: bool = False) -> None:
        """Writes to its stdin (and closes it with ``eof=True``)."""
        raw = data.encode() if isinstance(data, str) else data
        self._sb._call("POST", f"/processes/{pid}/stdin", params={"eof": "1"} if eof else None, content=raw)

    def kill(self, pid: int, signal: int = 9) -> None:
        """Ends it, and what it started."""
        self._sb._call("POST", f"/processes/{pid}/kill", params={"signal": str(signal)})

    def list(self) -> List[ProcessInfo]:
        """Every process of the sandbox, running or ended."""
        return [ProcessInfo(**p) for p in self._sb._call("GET", "/processes").json()["processes"]]

    def events(self, pid: int) -> Iterator[Event]:
        """Its output from the start, then live, until it exits."""
        with self._sb._client.stream("GET", self._sb._url(f"/processes/{pid}/events"), timeout=None) as response:
            _raise_for(response)
            yield from _sse(response.iter_lines())


class Sandbox:
    """A sandbox on a capsa server (see the module doc). Use
    :meth:`create` or :meth:`from_snapshot`; as a context manager, it is
    deleted on exit."""

    def __init__(self, url: str, token: str, sandbox_id: str, *, timeout: float = 300.0):
        self.url = url.rstrip("/")
        self.id = sandbox_id
        self._client = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        self.files = _Files(self)
        self.processes = _Processes(self)

    @classmethod
    def create(cls, url: str, token: str, *, persistent: bool = False, env: Optional[Dict[str, str]] = None,
               limits: Optional[Dict[str, Any]] = None, from_snapshot: Optional[str | Snapshot] = None, **spec: Any) -> "Sandbox":
        """Creates a sandbox. ``limits`` take the CLI's names
        (``{"memory": "256MiB", "timeout": "30s"}``); other keywords are
        passed through (``allow_net``, ``idle_timeout_s``, ``ttl_s``…)."""
        body: Dict[str, Any] = {"persistent": persistent, **spec}
        if env:
            body["env"] = env
        if limits:
            body["limits"] = limits
        if from_snapshot is not None:
            body["from_snapshot"] = from_snapshot.id if isinstance(from_snapshot, Snapshot) else from_snapshot
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=300.0) as client:
            response = client.post(f"{url.rstrip('/')}/v1/sandboxes", json=body)
            _raise_for(response)
            return cls(url, token, response.json()["id"])

    @classmethod
    def from_snapshot(cls, url: str, token: str, snapshot: str | Snapshot, **spec: Any) -> "Sandbox":
        """A new sandbox whose files are the snapshot's."""
        return cls.create(url, token, from_snapshot=snapshot, **spec)

    def _url(self, path: str) -> str:
        return f"{self.url}/v1/sandboxes/{self.id}{path}"

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self._client.request(method, self._url(path), **kwargs)
        _raise_for(response)
        return response

    def exec(self, command: str, *, stdin: Optional[str | bytes] = None, env: Optional[Dict[str, str]] = None,
             cwd: Optional[str] = None, timeout: Optional[float] = None) -> ExecResult:
        """Runs a shell command line; files it leaves stay for the next."""
        body = _exec_body(command, stdin, env, cwd, timeout)
        return _exec_result(self._call("POST", "/exec", json=body).json())

    def exec_stream(self, command: str, *, stdin: Optional[str | bytes] = None, env: Optional[Dict[str, str]] = None,
                    cwd: Optional[str] = None, timeout: Optional[float] = None) -> Iterator[Event]:
        """Runs a command line, yielding its output as it is written and
        then an ``exit`` event with the result."""
        body = _exec_body(command, stdin, env, cwd, timeout)
        headers = {"Accept": "text/event-stream"}
        with self._client.stream("POST", self._url("/exec"), json=body, headers=headers, timeout=None) as response:
            _raise_for(response)
            yield from _sse(response.iter_lines())

    def python(self, code: str, *, timeout: Optional[float] = None) -> CellResult:
        """Runs ``code`` in the sandbox's persistent Python interpreter:
        variables and imports stay for the next call."""
        return _cell_result(self._call("POST", "/python", json=_cell_body(code, timeout)).json())

    def upload_dir(self, local_dir: str, path: str) -> None:
        """Copies a local directory's contents into ``path`` (a tar)."""
        self._call("PUT", "/archive", params={"path": path}, content=_tar_of(local_dir))

    def download_dir(self, path: str, local_dir: str) -> None:
        """Copies ``path`` (a directory or file) into a local directory."""
        _untar(self._call("GET", "/archive", params={"path": path}).content, local_dir)

    def snapshot(self) -> Snapshot:
        """Snapshots its files."""
        body = self._call("POST", "/snapshots").json()
        return Snapshot(id=body["id"], sandbox=body["sandbox"], created=body["created"], bytes=body["bytes"])

    def info(self) -> Dict[str, Any]:
        """Its state and usage (memory, disk, CPU)."""
        return self._call("GET", "").json()

    def delete(self) -> None:
        """Deletes it and its files."""
        response = self._client.delete(self._url(""))
        if response.status_code != 404:
            _raise_for(response)

    def close(self) -> None:
        """Closes the connection (the sandbox stays)."""
        self._client.close()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.delete()
        finally:
            self.close()


class AsyncSandbox:
    """:class:`Sandbox` for asyncio: the same calls, awaited."""

    def __init__(self, url: str, token: str, sandbox_id: str, *, timeout: float = 300.0):
        self.url = url.rstrip("/")
        self.id = sandbox_id
        self._client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)

    @classmethod
    async def create(cls, url: str, token: str, *, persistent: bool = False, from_snapshot: Optional[str | Snapshot] = None, **spec: Any) -> "AsyncSandbox":
        """Creates a sandbox (as :meth:`Sandbox.create`)."""
        body: Dict[str, Any] = {"persistent": persistent, **spec}
        if from_snapshot is not None:
            body["from_snapshot"] = from_snapshot.id if isinstance(from_snapshot, Snapshot) else from_snapshot
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=300.0) as client:
            response = await client.post(f"{url.rstrip('/')}/v1/sandboxes", json=body)
            _raise_for(response)
            return cls(url, token, response.json()["id"])

    def _url(self, path: str) -> str:
        return f"{self.url}/v1/sandboxes/{self.id}{path}"

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self._client.request(method, self._url(path), **kwargs)
        _raise_for(response)
        return response

    async def exec(self, command: str, *, stdin: Optional[str | bytes] = None, env: Optional[Dict[str, str]] = None,
                   cwd: Optional[str] = None, timeout: Optional[float] = None) -> ExecResult:
        """Runs a shell command line."""
        body = _exec_body(command, stdin, env, cwd, timeout)
        return _exec_result((await self._call("POST", "/exec", json=body)).json())

    async def python(self, code: str, *, timeout: Optional[float] = None) -> CellResult:
        """Runs ``code`` in the sandbox's persistent Python interpreter."""
        return _cell_result((await self._call("POST", "/python", json=_cell_body(code, timeout))).json())

    async def exec_stream(self, command: str, **kwargs: Any) -> AsyncIterator[Event]:
        """Runs a command line, yielding events as they come."""
        body = _exec_body(command, kwargs.get("stdin"), kwargs.get("env"), kwargs.get("cwd"), kwargs.get("timeout"))
        headers = {"Accept": "text/event-stream"}
        async with self._client.stream("POST", self._url("/exec"), json=body, headers=headers, timeout=None) as response:
            _raise_for(response)
            parser = _SseParser()
            async for line in response.aiter_lines():
                event = parser.feed(line)
                if event is not None:
                    yield event
            event = parser.finish()
            if event is not None:
                yield event

    async def write_file(self, path: str, content: str | bytes) -> None:
        """Writes a file, making its parents."""
        data = content.encode() if isinstance(content, str) else content
        await self._call("PUT", f"/files/{_vm_path(path)}", content=data)

    async def read_file(self, path: str) -> bytes:
        """A file's bytes."""
        return (await self._call("GET", f"/files/{_vm_path(path)}")).content

    async def snapshot(self) -> Snapshot:
        """Snapshots its files."""
        body = (await self._call("POST", "/snapshots")).json()
        return Snapshot(id=body["id"], sandbox=body["sandbox"], created=body["created"], bytes=body["bytes"])

    async def delete(self) -> None:
        """Deletes it and its files."""
        response = await self._client.delete(self._url(""))
        if response.status_code != 404:
            _raise_for(response)

    async def __aenter__(self) -> "AsyncSandbox":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        try:
            await self.delete()
        finally:
            await self._client.aclose()
