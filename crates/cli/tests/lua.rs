//! The Lua lane through the `capsa` binary, as a user runs it: `capsa run
//! x.lua`, and `lua` in `capsa exec` VMs.
//!
//! The first test to run installs the lane: the C lane if needed (fetched
//! and compiled once, minutes when cold), then Lua 5.4 built from capsa's
//! embedded sources by C-lane guests (tens of seconds, once per cache).

mod common;

use std::path::Path;
use std::process::Output;

use common::lane::text;

/// `capsa ARGS…` in `dir` with the Lua lane installed, `stdin` written to it.
fn capsa(dir: &Path, args: &[&str], stdin: &str) -> Output {
    common::lane::capsa("lua", dir, args, stdin.as_bytes())
}

fn script(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).expect("write");
}

#[test]
fn hello() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "hello.lua", "print('hello from ' .. _VERSION)\n");
    let out = capsa(dir.path(), &["run", "hello.lua"], "");
    assert_eq!(text(&out.stdout), "hello from Lua 5.4\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn arguments_arg_and_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let body = "local n = select('#', ...)\nprint(n, arg[1], arg[2], #arg, arg[0]:match('[^/]+$'))\nos.exit(3)\n";
    script(dir.path(), "args.lua", body);
    let out = capsa(dir.path(), &["run", "args.lua", "pear", "apple pie"], "");
    assert_eq!(text(&out.stdout), "2\tpear\tapple pie\t2\targs.lua\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "os.exit's code is capsa's");
    let out = capsa(dir.path(), &["exec", "lua -e 'os.exit(false)'; echo $?"], "");
    assert_eq!(text(&out.stdout), "1\n", "{}", text(&out.stderr));
}

#[test]
fn stdin_is_read_and_a_program_comes_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "sum.lua", "local s = 0\nfor line in io.lines() do s = s + tonumber(line) end\nprint(s)\n");
    let out = capsa(dir.path(), &["run", "sum.lua"], "1\n2\n39\n");
    assert_eq!(text(&out.stdout), "42\n", "{}", text(&out.stderr));
    let out = capsa(dir.path(), &["exec", "echo 'print(6 * 7)' | lua; echo 'print(...)' | lua - x y"], "");
    assert_eq!(text(&out.stdout), "42\nx\ty\n", "{}", text(&out.stderr));
}

#[test]
fn a_file_written_by_lua_is_read_by_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let line = "cd /tmp && lua -e 'local f = assert(io.open(\"out.txt\", \"w\")) f:write(\"written by \", _VERSION, \"\\n\") f:close()' \
                && cat out.txt && wc -c < out.txt";
    let out = capsa(dir.path(), &["exec", line], "");
    assert_eq!(text(&out.stdout), "written by Lua 5.4\n19\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_syntax_error_and_an_uncaught_error_print_luas_message() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "bad.lua", "local x = = 1\n");
    let out = capsa(dir.path(), &["run", "bad.lua"], "");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("lua: ") && stderr.contains("bad.lua:1: unexpected symbol near '='"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
    script(dir.path(), "boom.lua", "local function f()\n  error('boom')\nend\nf()\n");
    let out = capsa(dir.path(), &["run", "boom.lua"], "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("boom.lua:2: boom\nstack traceback:"), "{stderr}");
    assert!(stderr.contains("in local 'f'") || stderr.contains("in function 'f'"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
}

#[test]
fn what_does_not_work_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = capsa(dir.path(), &["exec", "lua -e 'os.execute(\"ls\")'"], "");
    assert!(text(&out.stderr).contains("os.execute: cannot start processes"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(1));
    let out = capsa(dir.path(), &["exec", "lua -e 'print(package.loadlib(\"x.so\", \"f\"))'"], "");
    assert!(text(&out.stdout).contains("dynamic libraries not enabled"), "{}", text(&out.stdout));
}

#[test]
fn a_runaway_loop_is_stopped_by_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "loop.lua", "while true do end\n");
    let out = capsa(dir.path(), &["run", "--fuel", "200000000", "loop.lua"], "");
    assert!(text(&out.stderr).contains("fuel limit 200000000"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(137));
}

#[test]
fn lua_e_in_exec() {
    let dir = tempfile::tempdir().unwrap();
    let line = "lua -e 'local t = {} for i = 1, 10 do t[#t + 1] = i * i end print(table.concat(t, \",\"))'; lua5.4 -v";
    let out = capsa(dir.path(), &["exec", line], "");
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("1,4,9,16,25,36,49,64,81,100\nLua 5.4.9  Copyright"), "{stdout}{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
    // It starts in the shell's working directory.
    let line = "mkdir -p /tmp/q && cd /tmp/q && echo hi > d.txt && echo 'print(io.open(\"d.txt\"):read(\"l\"))' > x.lua && lua x.lua";
    let out = capsa(dir.path(), &["exec", line], "");
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(0), "hi\n"), "{}", text(&out.stderr));
}
