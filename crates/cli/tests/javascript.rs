//! The JavaScript lane through the `capsa` binary: `capsa run app.js`
//! (QuickJS-ng compiled by the C lane, the program embedded and linked into
//! one .wasm), its harness (arguments, exit codes, stdin, files, errors),
//! the budget, the artifact store, and `qjs` in `capsa exec`.
//!
//! The first test to run installs the lane (the C toolchain if needed, the
//! QuickJS library and the qjs command: minutes when cold, nothing after).

mod common;

use std::path::Path;
use std::process::Output;

use common::lane::text;

/// `capsa ARGS…` in `dir` with the JavaScript lane installed, `stdin` written to it.
fn capsa_with(dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    common::lane::capsa("javascript", dir, args, stdin)
}

/// [`capsa_with`] with an empty stdin.
fn capsa(dir: &Path, args: &[&str]) -> Output {
    capsa_with(dir, args, b"")
}

/// A directory holding `name` with `body`.
fn program(name: &str, body: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(name), body).expect("write");
    dir
}

#[test]
fn hello_js_prints() {
    let dir =
        program("hello.js", "const n = [1, 2, 3].reduce((a, b) => a * b, 10);\nconsole.log('hello', n, {a: [1]});\n");
    let out = capsa(dir.path(), &["run", "hello.js"]);
    assert_eq!(
        (out.status.code(), text(&out.stdout).as_str()),
        (Some(0), "hello 60 {\"a\":[1]}\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn arguments_and_the_exit_code() {
    let dir = program(
        "args.js",
        "console.log(JSON.stringify(process.argv.slice(2).sort()), scriptArgs[0]);\nprocess.exit(process.argv.length);\n",
    );
    let out = capsa(dir.path(), &["run", "args.js", "pear", "apple"]);
    assert_eq!(text(&out.stdout), "[\"apple\",\"pear\"] args.js\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(4));
    let dir =
        program("code.mjs", "import * as std from 'qjs:std';\nprocess.exitCode = 3;\nstd.out.puts('module\\n');\n");
    let out = capsa(dir.path(), &["run", "code.mjs"]);
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(3), "module\n"), "{}", text(&out.stderr));
}

#[test]
fn stdin_and_utf8() {
    let dir = program(
        "upper.js",
        "const text = readStdin();\nconst bytes = new TextEncoder().encode(text.toUpperCase());\n\
         console.log(bytes.length, new TextDecoder().decode(bytes).trim());\nconsole.error('done');\n",
    );
    let out = capsa_with(dir.path(), &["run", "upper.js"], "héllo wörld\n".as_bytes());
    assert_eq!(text(&out.stdout), "14 HÉLLO WÖRLD\n", "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("done"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_file_written_by_js_is_read_by_the_shell() {
    let dir = program("w.js", "writeFile(scriptArgs[1], 'from js: ' + readFile(scriptArgs[1] + '.in'));\n");
    let out = capsa(dir.path(), &["build", "-q", "-o", "w.wasm", "w.js"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // A VM runs only executable files; the copy keeps the store's 0644.
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir.path().join("w.wasm"), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mount = format!("{}:/app:ro", dir.path().display());
    let line = "echo 42 > /tmp/f.in && /app/w.wasm /tmp/f && cat /tmp/f";
    let out = capsa(dir.path(), &["exec", "--mount", &mount, line]);
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(0), "from js: 42\n"), "{}", text(&out.stderr));
}

#[test]
fn errors_carry_the_js_message() {
    let dir = program("syntax.js", "let x = ;\n");
    let out = capsa(dir.path(), &["run", "syntax.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("SyntaxError") && stderr.contains("syntax.js:1"), "{stderr}");

    let dir = program("throw.js", "function deep() { throw new TypeError('no pears left'); }\ndeep();\n");
    let out = capsa(dir.path(), &["run", "throw.js"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("TypeError: no pears left") && stderr.contains("at deep (throw.js:1"), "{stderr}");
}

#[test]
fn a_runaway_loop_is_stopped_by_the_budget() {
    let dir = program("spin.js", "for (;;) {}\n");
    let out = capsa(dir.path(), &["run", "--fuel", "200000000", "spin.js"]);
    assert_eq!(out.status.code(), Some(137), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("fuel"), "{}", text(&out.stderr));
}

#[test]
fn qjs_runs_in_exec() {
    let dir = tempfile::tempdir().expect("tempdir");
    let line =
        "qjs -e 'console.log(6 * 7, scriptArgs.length)' && echo 'print(\"js\", 1 + 1)' > /tmp/a.js && js /tmp/a.js";
    let out = capsa(dir.path(), &["exec", line]);
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(0), "42 0\njs 2\n"), "{}", text(&out.stderr));
    // It starts in the shell's working directory: a script and the files
    // it opens are found relative to it.
    let line = "mkdir -p /tmp/p && cd /tmp/p && echo data > in.txt && \
                echo 'import * as std from \"qjs:std\"; print(std.loadFile(\"in.txt\").trim())' > s.mjs && qjs s.mjs";
    let out = capsa(dir.path(), &["exec", line]);
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(0), "data\n"), "{}", text(&out.stderr));
}

#[test]
fn a_second_build_compiles_nothing() {
    let dir = program("same.js", "console.log('same');\n");
    let first = capsa(dir.path(), &["build", "same.js"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let second = capsa(dir.path(), &["build", "same.js"]);
    assert!(text(&second.stderr).contains("up to date (nothing compiled)"), "{}", text(&second.stderr));
    assert_eq!(text(&first.stdout), text(&second.stdout));
    // New to the shared cache whatever earlier runs built.
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    std::fs::write(dir.path().join("same.js"), format!("console.log('changed {nonce}');\n")).expect("write");
    let third = capsa(dir.path(), &["build", "same.js"]);
    assert!(text(&third.stderr).contains("compiled 2 files"), "{}", text(&third.stderr));
    assert_ne!(text(&first.stdout), text(&third.stdout));
}

/// Installs the TypeScript lane (typescript from the npm registry, once)
/// after the JavaScript lane.
fn warm_ts() {
    common::lane::install("javascript");
    common::lane::install("typescript");
}

#[test]
fn typescript_runs_with_its_types_stripped() {
    warm_ts();
    let dir = program(
        "app.ts",
        "interface Fruit { name: string; count: number }\n\
         const fruits: Fruit[] = process.argv.slice(2).map((name, i): Fruit => ({ name, count: i + 1 }));\n\
         enum Exit { Pears = 5 }\n\
         console.log(fruits.map((f) => f.name).join(' '), fruits.reduce((a, f) => a + f.count, 0));\n\
         process.exit(Exit.Pears as number);\n",
    );
    let out = capsa(dir.path(), &["run", "app.ts", "pear", "apple"]);
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(5), "pear apple 3\n"), "{}", text(&out.stderr));
    let again = capsa(dir.path(), &["build", "app.ts"]);
    assert!(text(&again.stderr).contains("up to date (nothing compiled)"), "{}", text(&again.stderr));
}

#[test]
fn a_typescript_syntax_error_is_tscs() {
    warm_ts();
    let dir = program("bad.ts", "let x: number = ;\n");
    let out = capsa(dir.path(), &["run", "bad.ts"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("bad.ts(1,17): error TS1109: Expression expected."), "{stderr}");
}

#[test]
fn capsa_check_prints_tscs_type_errors() {
    warm_ts();
    let dir = program(
        "typed.ts",
        "const words: string[] = process.argv.slice(2);\n\
         const bytes: Uint8Array = new TextEncoder().encode(words.join(' '));\n\
         writeFile('/tmp/out', bytes);\n\
         console.log(bytes.length.toFixed(0));\n",
    );
    let out = capsa(dir.path(), &["check", "typed.ts"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    std::fs::write(dir.path().join("wrong.ts"), "const n: number = 'three';\nconsole.log(n.toFixed(2));\n").unwrap();
    let out = capsa(dir.path(), &["check", "wrong.ts"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("wrong.ts(1,7): error TS2322: Type 'string' is not assignable to type 'number'."),
        "{stderr}"
    );
}
