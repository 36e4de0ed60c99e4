"""The client against a real `capsa serve` (CAPSA_URL, CAPSA_TOKEN)."""

import asyncio
import os

import pytest

from capsa import AsyncSandbox, CapsaError, Sandbox

URL = os.environ.get("CAPSA_URL", "http://127.0.0.1:8420")
TOKEN = os.environ.get("CAPSA_TOKEN", "")


def test_exec_keeps_files_and_reports_how_commands_end():
    with Sandbox.create(URL, TOKEN, env={"GREETING": "hi"}) as sb:
        result = sb.exec("echo $GREETING > f.txt; cat f.txt; echo err >&2; exit 3")
        assert (result.exit_code, result.stdout, result.stderr) == (3, "hi\n", "err\n")
        assert not result.ok and result.killed is None
        assert sb.exec("cat", stdin=b"\xff\x00").stdout_bytes == b"\xff\x00"
        assert sb.exec("pwd; cat /home/user/f.txt", cwd="/tmp").stdout == "/tmp\nhi\n"
        spin = sb.exec("while :; do :; done", timeout=0.3)
        assert spin.exit_code == 137 and "wall-clock" in spin.killed


def test_exec_stream_yields_output_then_exit():
    with Sandbox.create(URL, TOKEN) as sb:
        events = list(sb.exec_stream("for i in 1 2 3; do echo $i; done; echo e >&2"))
        assert "".join(e.data for e in events if e.kind == "stdout") == "1\n2\n3\n"
        assert any(e.kind == "stderr" and e.data == "e\n" for e in events)
        assert events[-1].kind == "exit" and events[-1].result.exit_code == 0


def test_python_cells_share_one_interpreter():
    with Sandbox.create(URL, TOKEN) as sb:
        first = sb.python("import numpy as np\nrows = np.arange(6).reshape(2, 3)\nprint('shape', rows.shape)")
        assert (first.stdout, first.result, first.error, first.fresh) == ("shape (2, 3)\n", None, None, True)
        second = sb.python("rows.sum(axis=0).tolist()")
        assert (second.result, second.fresh) == ("[3, 5, 7]", False)
        failed = sb.python("rows.nope")
        assert failed.error["name"] == "AttributeError" and "<cell 3>" in failed.error["traceback"]


def test_files_and_directories_in_and_out(tmp_path):
    with Sandbox.create(URL, TOKEN) as sb:
        sb.files.write("in/data.txt", "one\ntwo\n")
        assert sb.files.read_text("/home/user/in/data.txt") == "one\ntwo\n"
        assert [f.name for f in sb.files.list("in")] == ["data.txt"]
        sb.files.remove("in")
        with pytest.raises(CapsaError) as err:
            sb.files.read("in/data.txt")
        assert err.value.code == "not_found" and err.value.status == 404
        (tmp_path / "proj").mkdir()
        (tmp_path / "proj" / "main.sh").write_text("echo uploaded\n")
        sb.upload_dir(str(tmp_path / "proj"), "/home/user/proj")
        assert sb.exec("sh proj/main.sh").stdout == "uploaded\n"
        sb.exec("echo made-inside > proj/out.txt")
        sb.download_dir("/home/user/proj", str(tmp_path / "back"))
        assert (tmp_path / "back" / "out.txt").read_text() == "made-inside\n"


def test_background_processes_and_snapshots():
    with Sandbox.create(URL, TOKEN) as sb:
        pid = sb.processes.start("while read l; do echo got $l; done")
        sb.processes.stdin(pid, "a\n", eof=True)
        events = list(sb.processes.events(pid))
        assert [e.kind for e in events] == ["stdout", "exit"] and events[0].data == "got a\n"
        sleeper = sb.processes.start("sleep 300")
        sb.processes.kill(sleeper)
        assert list(sb.processes.events(sleeper))[-1].result.exit_code == 137
        sb.exec("echo saved > state.txt")
        snap = sb.snapshot()
        with Sandbox.from_snapshot(URL, TOKEN, snap) as fork:
            assert fork.exec("cat state.txt").stdout == "saved\n"


def test_errors_carry_the_servers_code():
    with pytest.raises(CapsaError) as err:
        Sandbox.create(URL, TOKEN, limits={"memory": "lots"})
    assert err.value.code == "bad_request"
    with pytest.raises(CapsaError) as err:
        Sandbox.create(URL, "wrong-token")
    assert err.value.status == 401


def test_async_sandbox():
    async def main():
        async with await AsyncSandbox.create(URL, TOKEN) as sb:
            await sb.write_file("a.txt", "async\n")
            result = await sb.exec("cat a.txt")
            streamed = [e async for e in sb.exec_stream("echo 1; echo 2")]
            return result.stdout, "".join(e.data for e in streamed if e.kind == "stdout")

    assert asyncio.run(main()) == ("async\n", "1\n2\n")
