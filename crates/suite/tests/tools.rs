//! The other crates.io tools: uutils `sed`, `diffutils` (`diff`, `cmp`),
//! `findutils` (`find`) and `ripgrep` (`rg`), differential against the host's
//! GNU tools where it has them.

mod common;

use common::{Fixture, code, describe, ok};

fn fixture() -> Fixture {
    Fixture::new(&[
        ("a.txt", "one\ntwo\nthree\nfour\n"),
        ("b.txt", "one\n2\nthree\nfour\nfive\n"),
        ("src/main.rs", "fn main() {\n    println!(\"hello\");\n}\n"),
        ("src/lib.rs", "pub fn hello() -> &'static str {\n    \"hello\"\n}\n"),
        ("src/deep/x.txt", "deep hello\n"),
        ("notes.md", "# Notes\nSay hello.\n"),
    ])
}

#[test]
fn sed_matches_gnu_sed() {
    let f = fixture();
    let cases: &[(&[&str], &str)] = &[
        (&["sed", "s/o/0/g", "a.txt"], ""),
        (&["sed", "-n", "2,3p", "a.txt"], ""),
        (&["sed", "-e", "1d", "-e", "s/^/> /"], "x\ny\nz\n"),
        (&["sed", "-E", "s/(t)(w|h)/\\2\\1/", "a.txt"], ""),
        (&["sed", "/two/,/three/c\\CHANGED", "a.txt"], ""),
        (&["sed", "-n", "$=", "a.txt"], ""),
        (&["sed", "y/abc/xyz/"], "aabbcc\n"),
        (&["sed", "2q", "a.txt"], ""),
    ];
    for (argv, stdin) in cases {
        f.differential(argv, stdin);
    }
}

#[test]
fn sed_edits_in_place() {
    let f = fixture();
    let outcome = f.run(&["sed", "-i", "s/two/TWO/", "a.txt"], "");
    assert_eq!(code(&outcome), 0, "{}", describe(&outcome));
    assert_eq!(std::fs::read_to_string(f.path().join("a.txt")).expect("read"), "one\nTWO\nthree\nfour\n");
}

#[test]
fn diff_and_cmp_match_gnu() {
    let f = fixture();
    f.differential(&["diff", "a.txt", "a.txt"], "");
    f.differential(&["diff", "-c", "a.txt", "a.txt"], "");
    // uutils diffutils 0.6 writes a one-line range as `5,5` where GNU writes `5`.
    let outcome = f.run(&["diff", "a.txt", "b.txt"], "");
    assert_eq!((outcome.stdout_str().as_str(), code(&outcome)), ("2c2\n< two\n---\n> 2\n4a5,5\n> five\n", 1));
    f.differential(&["cmp", "a.txt", "a.txt"], "");
    f.differential(&["cmp", "-s", "a.txt", "b.txt"], "");
    // Unified output names the files with their modification times, which
    // differ between the copies; compare the hunks.
    let outcome = f.run(&["diff", "-u", "a.txt", "b.txt"], "");
    assert_eq!(code(&outcome), 1, "{}", describe(&outcome));
    let hunks: Vec<String> = outcome.stdout_str().lines().skip(2).map(str::to_string).collect();
    let native = f.native(&["diff", "-u", "a.txt", "b.txt"], "").0;
    let native_hunks: Vec<String> = native.lines().skip(2).map(str::to_string).collect();
    assert_eq!(hunks, native_hunks);
    let outcome = f.run(&["cmp", "a.txt", "b.txt"], "");
    assert_eq!(code(&outcome), 1);
    // uutils says `char`, as GNU cmp did before 3.0 (now `byte`).
    assert_eq!(outcome.stdout_str(), "a.txt b.txt differ: char 5, line 2\n");
}

#[test]
fn find_matches_gnu_find() {
    let f = fixture();
    let sorted = |text: String| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    for argv in [
        &["find", "."][..],
        &["find", ".", "-name", "*.rs"],
        &["find", "src", "-type", "d"],
        &["find", ".", "-type", "f", "-size", "-1k", "-name", "*.txt"],
        &["find", ".", "-maxdepth", "1", "-type", "f"],
        &["find", ".", "-path", "*deep*", "-print"],
    ] {
        let outcome = f.run(argv, "");
        let native = f.native(argv, "");
        assert_eq!(code(&outcome), native.1, "{argv:?}\n{}", describe(&outcome));
        // Directory order is the file system's: compare sorted.
        assert_eq!(sorted(outcome.stdout_str()), sorted(native.0), "{argv:?}");
    }
}

#[test]
fn find_exec_cannot_spawn() {
    // findutils runs -exec through std::process, which wasip1 lacks; use
    // `find … -print0 | xargs -0 …` (xargs is ours).
    let f = fixture();
    let outcome = f.run(&["find", ".", "-name", "a.txt", "-exec", "cat", "{}", ";"], "");
    assert_eq!(outcome.stdout_str(), "", "{}", describe(&outcome));
    // findutils reports the failure but exits 0 (GNU find would exit 1).
    assert_eq!(outcome.stderr_str(), "Failed to run cat: operation not supported on this platform\n");
}

#[test]
fn ripgrep_searches_trees() {
    let f = fixture();
    let out = ok(&f.run(&["rg", "--no-heading", "--sort", "path", "-n", "hello"], ""));
    assert_eq!(
        out,
        "notes.md:2:Say hello.\nsrc/deep/x.txt:1:deep hello\nsrc/lib.rs:1:pub fn hello() -> &'static str {\nsrc/lib.rs:2:    \"hello\"\nsrc/main.rs:2:    println!(\"hello\");\n"
    );
    let out = ok(&f.run(&["rg", "-c", "--sort", "path", "-t", "rust", "fn"], ""));
    assert_eq!(out, "src/lib.rs:1\nsrc/main.rs:1\n");
    let outcome = f.run(&["rg", "absent-pattern"], "");
    assert_eq!(code(&outcome), 1, "{}", describe(&outcome));
    // On wasip1 ripgrep never guesses that stdin is readable (its check is
    // Unix- and Windows-only), so it searches the working directory unless
    // told `-`: `… | rg PATTERN -`.
    let out = ok(&f.run(&["rg", "-o", "-i", "t[wh]\\w+", "-"], "One\nTwo\nthree\n"));
    assert_eq!(out, "Two\nthree\n");
}
