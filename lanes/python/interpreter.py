"""capsa's persistent Python interpreter: the code-interpreter loop behind
`POST /v1/sandboxes/{id}/python` and the MCP tool `python`.

One long-lived `python3` in the sandbox runs this loop. Each cell arrives
on stdin as one JSON line, `{"code": ..., "nonce": ...}`, and runs in one
namespace kept across cells, so variables and imports persist. The cell's
output goes to stdout and stderr as it is written; when it ends, one
record follows on stdout: the byte 0x1E, the nonce, and a JSON line
`{"result": repr-or-null, "error": null-or-{name, value, traceback}}`.
A final expression's value is the result, as in a notebook. Cells read
an empty stdin: the protocol's stdin is not theirs."""

import ast
import io
import json
import linecache
import sys
import traceback

NAMESPACE = {"__name__": "__main__", "__builtins__": __builtins__}
PROTOCOL_IN = sys.stdin


def run(code, name):
    """Runs `code`; the repr of a final expression's value, or None."""
    linecache.cache[name] = (len(code), None, code.splitlines(True), name)
    tree = ast.parse(code, name, "exec")
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, name, "exec"), NAMESPACE)
    if last is None:
        return None
    value = eval(compile(last, name, "eval"), NAMESPACE)
    if value is None:
        return None
    NAMESPACE["_"] = value
    return repr(value)


def error_of(exc):
    frames = traceback.TracebackException.from_exception(exc)
    # The loop's own frames (before the cell's first) are not the user's.
    stack = list(frames.stack)
    while stack and not stack[0].filename.startswith("<cell "):
        stack.pop(0)
    frames.stack = traceback.StackSummary.from_list(stack)
    return {"name": type(exc).__name__, "value": str(exc), "traceback": "".join(frames.format())}


def main():
    count = 0
    for line in PROTOCOL_IN:
        cell = json.loads(line)
        count += 1
        result = error = None
        sys.stdin = io.StringIO("")
        try:
            result = run(cell["code"], f"<cell {count}>")
        except SystemExit as exc:
            error = {"name": "SystemExit", "value": str(exc.code), "traceback": ""}
        except BaseException as exc:  # the cell's failure is its answer
            error = error_of(exc)
        finally:
            sys.stdin = PROTOCOL_IN
        sys.stdout.flush()
        sys.stderr.flush()
        record = json.dumps({"result": result, "error": error})
        sys.stdout.write("\x1e" + str(cell.get("nonce", "")) + record + "\n")
        sys.stdout.flush()


main()
