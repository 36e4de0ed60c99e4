//! The C and C++ lanes through the `capsa` binary, as a user runs them:
//! `capsa run hello.c`, `capsa build`, compile errors, the artifact store,
//! what a compiler guest can and cannot see, its budget, and Lua 5.4 built
//! from its ~30 C sources and run.
//!
//! The first test to run installs the clang lane (fetched from the npm
//! registry once, then compiled into the shared module cache — minutes when
//! cold, nothing afterwards).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::lane::text;

/// `capsa ARGS…` in `dir` with the C lane installed.
fn capsa(dir: &Path, args: &[&str]) -> Output {
    common::lane::capsa("c", dir, args, b"")
}

/// Different in every call and every run.
fn nonce() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, body).expect("write");
    }
}

const HELLO: &str = r#"#include <stdio.h>

static long factorial(int n) { return n <= 1 ? 1 : n * factorial(n - 1); }

int main(void) {
    printf("10!=%ld\n", factorial(10));
    return 0;
}
"#;

#[test]
fn hello_c_prints_its_factorial() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("hello.c", HELLO)]);
    let out = capsa(dir.path(), &["run", "hello.c"]);
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(0), "10!=3628800\n"), "{}", text(&out.stderr));
}

#[test]
fn a_multi_file_project_builds_from_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "app/main.c",
                "#include <stdio.h>\n#include \"lib/stats.h\"\nint main(int argc, char **argv) {\n    (void)argv;\n    printf(\"%d %d\\n\", sum_to(GREATEST), argc);\n    return 7;\n}\n",
            ),
            ("app/lib/stats.h", "#define GREATEST 100\nint sum_to(int n);\n"),
            ("app/lib/stats.c", "#include \"stats.h\"\nint sum_to(int n) { return n * (n + 1) / 2; }\n"),
        ],
    );
    let out = capsa(dir.path(), &["run", "app", "x", "y"]);
    assert_eq!(text(&out.stdout), "5050 3\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(7), "the program's exit code is capsa's");
}

#[test]
fn a_compile_error_prints_clangs_diagnostics_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("broken.c", "int main(void) {\n    return undefined_name;\n}\n")]);
    let out = capsa(dir.path(), &["run", "broken.c"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("broken.c:2:12: error: use of undeclared identifier 'undefined_name'"), "{stderr}");
    assert!(!stderr.contains("/work/"), "diagnostics name the user's files, not the job's: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn cpp_with_vector_string_and_sort() {
    let dir = tempfile::tempdir().unwrap();
    let main = r#"#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char **argv) {
    std::vector<std::string> words(argv + 1, argv + argc);
    std::sort(words.begin(), words.end());
    std::string joined;
    for (const auto &word : words) joined += word + ",";
    std::cout << joined << words.size() << std::endl;
    return 0;
}
"#;
    write(dir.path(), &[("main.cpp", main)]);
    let out = capsa(dir.path(), &["run", "main.cpp", "pear", "apple", "fig"]);
    assert_eq!(text(&out.stdout), "apple,fig,pear,3\n", "{}", text(&out.stderr));

    // No exceptions in the bundled libc++abi: `throw` is a compile error.
    write(dir.path(), &[("throws.cpp", "int main() { throw 1; }\n")]);
    let out = capsa(dir.path(), &["run", "throws.cpp"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("exceptions disabled"), "{stderr}");
}

#[test]
fn a_second_build_compiles_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A source no earlier run built: the artifact store outlives test runs.
    let source = format!("// {}\n#include <stdio.h>\nint main(void) {{ puts(\"twice\"); return 0; }}\n", nonce());
    write(dir.path(), &[("twice.c", &source)]);
    let first = capsa(dir.path(), &["build", "twice.c"]);
    let second = capsa(dir.path(), &["build", "twice.c"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stderr).contains("compiled 1 file"), "{}", text(&first.stderr));
    assert!(text(&second.stderr).contains("up to date (nothing compiled)"), "{}", text(&second.stderr));
    assert_eq!(text(&first.stdout), text(&second.stdout), "same hash, same path");
    let stdout = text(&first.stdout);
    let path = stdout.lines().find_map(|l| l.strip_prefix("path ")).expect("a path line");
    let sha = stdout.lines().find_map(|l| l.strip_prefix("sha256 ")).expect("a sha256 line");
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\0asm"), "a wasm module");
    assert_eq!(sha, sha256_hex(&bytes));

    // Any change to a flag or a source is a different artifact.
    let defined = capsa(dir.path(), &["build", "-DVARIANT", "twice.c"]);
    assert!(text(&defined.stderr).contains("compiled 1 file"), "{}", text(&defined.stderr));
    assert_ne!(text(&defined.stdout), stdout);
}

fn sha256_hex(bytes: &[u8]) -> String {
    let out =
        Command::new("sha256sum").stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn();
    let mut child = out.expect("sha256sum");
    std::io::Write::write_all(child.stdin.as_mut().expect("stdin"), bytes).expect("write");
    let out = child.wait_with_output().expect("sha256sum");
    text(&out.stdout).split_whitespace().next().expect("a hash").to_string()
}

#[test]
fn an_include_of_a_host_path_does_not_see_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.h");
    std::fs::write(&secret, "#error THE-HOST-SECRET\n").unwrap();
    let source = format!("#include \"{}\"\nint main(void) {{ return 0; }}\n", secret.display());
    let elsewhere = tempfile::tempdir().unwrap();
    write(elsewhere.path(), &[("peek.c", &source)]);
    let out = capsa(elsewhere.path(), &["run", "peek.c"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("file not found"), "{stderr}");
    assert!(!stderr.contains("THE-HOST-SECRET"), "the compiler read a host file: {stderr}");
}

#[test]
fn a_compile_time_bomb_is_stopped_by_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    // 4^17 tokens of macro expansion: far beyond any budget.
    let mut bomb = String::from("#define A0 x x x x\n");
    for level in 1..=16 {
        let prev = level - 1;
        bomb.push_str(&format!("#define A{level} A{prev} A{prev} A{prev} A{prev}\n"));
    }
    bomb.push_str("int x;\nint main(void) { return 0; }\nvoid f(void) { A16 }\n");
    write(dir.path(), &[("bomb.c", &bomb)]);
    let out = capsa(dir.path(), &["run", "--compile-cpu", "2s", "bomb.c"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("compiling bomb.c was stopped by the compiler budget: CPU-time limit 2s"), "{stderr}");
}

#[test]
fn a_lane_built_program_spawns_through_wasi_ext() {
    let dir = tempfile::tempdir().unwrap();
    let program = r#"#include <wasi_ext.h>
#include <stdio.h>

extern char **environ;

int main(void) {
    int fds[2];
    if (pipe(fds) != 0) return 10;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    char *argv[] = {"echo", "from a child", NULL};
    pid_t pid;
    if (posix_spawnp(&pid, "echo", &actions, NULL, argv, environ) != 0) return 11;
    close(fds[1]);
    char buf[64] = {0};
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("read %d bytes: %s", (int)n, buf);
    return WEXITSTATUS(status);
}
"#;
    write(dir.path(), &[("spawner.c", program)]);
    let built = capsa(dir.path(), &["build", "-o", "spawner.wasm", "spawner.c"]);
    assert!(built.status.success(), "{}", text(&built.stderr));
    let module = dir.path().join("spawner.wasm");
    std::fs::set_permissions(&module, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    // The built module runs in a VM with the command suite, which has echo.
    let mount = format!("{}:/w:ro", dir.path().display());
    let out = capsa(dir.path(), &["exec", "--mount", &mount, "/w/spawner.wasm"]);
    assert_eq!(text(&out.stdout), "read 13 bytes: from a child\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

/// The Lua 5.4 sources of the pinned `lua-src` crate: a dev-dependency, so
/// cargo has unpacked it into its registry sources.
fn lua_sources() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let registries = std::fs::read_dir(cargo_home.join("registry/src")).expect("cargo's registry sources");
    registries
        .map(|entry| entry.expect("entry").path().join("lua-src-551.1.0/lua-5.4.9"))
        .find(|dir| dir.is_dir())
        .expect("lua-src 551.1.0 is unpacked (it is a dev-dependency of capsa-cli)")
}

#[test]
fn lua_builds_from_its_c_sources_and_runs_a_script() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("lua");
    std::fs::create_dir_all(&src).unwrap();
    let mut units = 0;
    for entry in std::fs::read_dir(lua_sources()).expect("the Lua sources") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "c" || e == "h") {
            units += usize::from(path.extension().is_some_and(|e| e == "c"));
            std::fs::copy(&path, src.join(path.file_name().unwrap())).unwrap();
        }
    }
    assert!(units >= 30, "Lua 5.4 has about 30 C files, found {units}");
    // lua-src ships the library; the interpreter's main is ours.
    let main = r#"#include <stdio.h>
#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: lua SCRIPT\n"); return 2; }
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    int status = luaL_dofile(L, argv[1]);
    if (status != LUA_OK) fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return status == LUA_OK ? 0 : 1;
}
"#;
    let script = r#"local squares = {}
for i = 1, 10 do squares[#squares + 1] = i * i end
local ok, err = pcall(error, "boom")
print(table.concat(squares, ","), ok, err, string.format("%.3f", math.pi))
local f = assert(io.open("/w/out.txt", "w")); f:write("written by lua\n"); f:close()
"#;
    // Built anew in every run (the artifact store outlives test runs).
    let main = format!("/* {} */\n{main}", nonce());
    write(dir.path(), &[("lua/lua_main.c", &main), ("script.lua", script)]);
    let started = std::time::Instant::now();
    let built = capsa(dir.path(), &["build", "-o", "lua.wasm", "lua"]);
    eprintln!("lua build: {:.1} s", started.elapsed().as_secs_f64());
    assert!(built.status.success(), "{}", text(&built.stderr));
    assert!(text(&built.stderr).contains(&format!("compiled {} files", units + 1)), "{}", text(&built.stderr));
    let grant = format!("{}:/w", dir.path().display());
    let out = capsa(dir.path(), &["run", "--dir", &grant, "lua.wasm", "/w/script.lua"]);
    assert_eq!(text(&out.stdout), "1,4,9,16,25,36,49,64,81,100\tfalse\tboom\t3.142\n", "{}", text(&out.stderr));
    assert_eq!(std::fs::read_to_string(dir.path().join("out.txt")).unwrap(), "written by lua\n");
}

/// Regression (attack pass, issue 14): a folder holding `main.c` and
/// `leak.h -> <a host file>` compiled the host file into the program. A
/// link leading out of the folder is now refused, named, and never read.
#[test]
fn a_header_linked_out_of_its_folder_is_refused() {
    let secret_dir = tempfile::tempdir().unwrap();
    let secret = format!("host secret {}", nonce());
    std::fs::write(secret_dir.path().join("secret.txt"), format!("\"{secret}\"")).unwrap();
    for main in [
        "#include <stdio.h>\nint main(void) { puts(\n#include \"leak.h\"\n); return 0; }\n",
        "#include <stdio.h>\nstatic const char s[] = {\n#embed \"leak.h\"\n, 0};\nint main(void) { puts(s); return 0; }\n",
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &[("main.c", main)]);
        std::os::unix::fs::symlink(secret_dir.path().join("secret.txt"), dir.path().join("leak.h")).unwrap();
        for args in [&["run", "main.c"][..], &["run", "."], &["build", "-o", "out.wasm", "main.c"]] {
            let out = capsa(dir.path(), args);
            let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
            assert_ne!(out.status.code(), Some(0), "{args:?} built: {stdout}{stderr}");
            assert!(stderr.contains("leak.h") && stderr.contains("leads outside"), "{args:?}: {stderr}");
            assert!(!stdout.contains(&secret) && !stderr.contains(&secret), "{args:?} leaked the host file");
        }
        assert!(!dir.path().join("out.wasm").exists());
    }
}
