#!/usr/bin/env python3
"""Writes a valid wasm32-wasip1 command module of about SIZE_MB megabytes of
code (many small arithmetic functions), to measure compile-once/load-fast.

usage: gen_big_module.py OUT.wasm [SIZE_MB]
"""
import sys


def leb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def section(sid, payload):
    return bytes([sid]) + leb(len(payload)) + payload


def vec(items):
    return leb(len(items)) + b"".join(items)


def main():
    out = sys.argv[1]
    size_mb = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    ops_per_func = 120
    body_ops = bytearray(b"\x20\x00")  # local.get 0
    for k in range(ops_per_func):
        body_ops += b"\x41" + sleb(k * 7919 % 100003) + (b"\x6a" if k % 2 else b"\x73")  # i32.const; add/xor
    body_ops += b"\x0b"
    helper = b"\x00" + bytes(body_ops)  # no locals
    helper = leb(len(helper)) + helper
    count = max(1, int(size_mb * 1024 * 1024 / len(helper)))

    types = vec([b"\x60\x00\x00", b"\x60\x01\x7f\x01\x7f"])  # () -> (), (i32) -> i32
    funcs = vec([leb(0)] + [leb(1)] * count)
    memory = vec([b"\x00\x01"])
    exports = vec([b"\x06memory\x02\x00", b"\x06_start\x00\x00"])
    # _start calls the first helper and drops the result.
    start_body = b"\x00" + b"\x41\x01" + b"\x10" + leb(1) + b"\x1a" + b"\x0b"
    code = vec([leb(len(start_body)) + start_body] + [helper] * count)
    module = (
        b"\x00asm\x01\x00\x00\x00"
        + section(1, types)
        + section(3, funcs)
        + section(5, memory)
        + section(7, exports)
        + section(10, code)
    )
    with open(out, "wb") as f:
        f.write(module)
    print(f"{out}: {len(module)} bytes, {count + 1} functions")


main()
