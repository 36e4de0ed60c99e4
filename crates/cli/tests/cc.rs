//! C inside a VM: `cc`, `gcc`, `g++`, `ar` and `ld` in `capsa exec` once the
//! C lane is installed — separate compile and link spawns of the lane's own
//! LLVM, run from a shell's working directory with relative paths, as a
//! Makefile would.

mod common;

use std::path::Path;
use std::process::Output;

use common::lane::text;

/// `capsa exec --mount DIR:/work -- LINE` with the C lane installed.
fn exec(dir: &Path, line: &str) -> Output {
    let mount = format!("{}:/work", dir.display());
    let line = format!("cd /work && {line}");
    common::lane::capsa("c", dir, &["exec", "--mount", &mount, "--timeout", "5m", "--", &line], b"")
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, body).expect("write");
    }
}

#[test]
fn a_project_compiles_archives_links_and_runs_from_relative_paths() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            ("include/greet.h", "#define GREETING \"hello\"\nint twice(int x);\n"),
            ("src/twice.c", "#include \"greet.h\"\nint twice(int x) { return 2 * x; }\n"),
            (
                "src/main.c",
                "#include <stdio.h>\n#include <string.h>\n#include \"greet.h\"\n\
                 int main(int argc, char **argv) { printf(\"%s %d %d\\n\", GREETING, twice(21), strlen(argv[0]) > 0); return argc - 1; }\n",
            ),
        ],
    );
    let line = "cc -O2 -Iinclude -c src/twice.c && test -f twice.o \
                && ar rcs libtwice.a twice.o && gcc -Wall -Iinclude src/main.c -L. -ltwice -o app \
                && test -x app && ./app; echo status=$?; ./app x; echo status=$?";
    let out = exec(dir.path(), line);
    assert_eq!(text(&out.stdout), "hello 42 1\nstatus=0\nhello 42 1\nstatus=1\n", "{}", text(&out.stderr));
    // Everything the tools wrote is where the shell's directory is.
    for made in ["twice.o", "libtwice.a", "app"] {
        assert!(dir.path().join(made).is_file(), "{made}");
    }
    let app = std::fs::read(dir.path().join("app")).unwrap();
    assert!(app.starts_with(b"\0asm"), "a wasm module");
}

#[test]
fn cpp_compiles_with_the_standard_library() {
    let dir = tempfile::tempdir().unwrap();
    let body = "#include <iostream>\n#include <map>\n#include <string>\n\
                int main() { std::map<std::string, int> m{{\"b\", 2}, {\"a\", 1}};\n\
                for (auto &[k, v] : m) std::cout << k << '=' << v << '\\n'; }\n";
    write(dir.path(), &[("m.cpp", body)]);
    let out = exec(dir.path(), "g++ -std=c++17 -O1 m.cpp -o m && ./m");
    assert_eq!(text(&out.stdout), "a=1\nb=2\n", "{}", text(&out.stderr));
}

#[test]
fn errors_name_the_file_as_given_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("bad.c", "int main(void) { return undefined_thing; }\n")]);
    let out = exec(dir.path(), "cc bad.c -o bad; echo status=$?; test -e bad || echo no-output");
    assert_eq!(text(&out.stdout), "status=1\nno-output\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.c:1:25: error: use of undeclared identifier 'undefined_thing'"), "{stderr}");
    assert!(!stderr.contains("/work/bad.c"), "the name as given: {stderr}");
    let out = exec(dir.path(), "cc -shared bad.c; echo status=$?");
    assert_eq!(text(&out.stdout), "status=1\n");
    assert!(text(&out.stderr).contains("no shared libraries"), "{}", text(&out.stderr));
}

#[test]
fn the_linker_alone_links_objects_the_compiler_made() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), &[("lib.c", "int add(int a, int b) { return a + b; }\n")]);
    let line = "cc -c lib.c && ld --no-entry --export=add lib.o -o lib.wasm && test -x lib.wasm && echo linked";
    let out = exec(dir.path(), line);
    assert_eq!(text(&out.stdout), "linked\n", "{}", text(&out.stderr));
    let wasm = std::fs::read(dir.path().join("lib.wasm")).unwrap();
    assert!(wasm.starts_with(b"\0asm") && wasm.windows(3).any(|w| w == b"add"), "exports add");
}

/// The everyday loop: a Makefile with a pattern rule builds a project in
/// the VM, its tests run, a second `make` does nothing, `make clean` cleans.
#[test]
fn make_builds_a_c_project_with_the_vms_compiler() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "Makefile",
                "CFLAGS = -O2 -Wall -Iinclude\nOBJS = $(patsubst src/%.c,build/%.o,$(wildcard src/*.c))\n\n\
                 .PHONY: all test clean\nall: calc\n\n\
                 calc: $(OBJS)\n\t$(CC) $(CFLAGS) -o $@ $^\n\n\
                 build/%.o: src/%.c include/calc.h\n\t@mkdir -p $(@D)\n\t$(CC) $(CFLAGS) -c -o $@ $<\n\n\
                 test: calc\n\t./calc 6 7 | grep -qx 42 && echo tests passed\n\n\
                 clean:\n\trm -rf build calc\n",
            ),
            ("include/calc.h", "int multiply(int a, int b);\n"),
            ("src/calc.c", "#include \"calc.h\"\nint multiply(int a, int b) { return a * b; }\n"),
            (
                "src/main.c",
                "#include <stdio.h>\n#include <stdlib.h>\n#include \"calc.h\"\n\
                 int main(int argc, char **argv) { if (argc < 3) return 2; printf(\"%d\\n\", multiply(atoi(argv[1]), atoi(argv[2]))); return 0; }\n",
            ),
        ],
    );
    let out = exec(dir.path(), "make && make test && make; make clean && ls");
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout,
        "cc -O2 -Wall -Iinclude -c -o build/calc.o src/calc.c\n\
         cc -O2 -Wall -Iinclude -c -o build/main.o src/main.c\n\
         cc -O2 -Wall -Iinclude -o calc build/calc.o build/main.o\n\
         ./calc 6 7 | grep -qx 42 && echo tests passed\ntests passed\n\
         make: Nothing to be done for 'all'.\n\
         rm -rf build calc\nMakefile\ninclude\nsrc\n",
        "{}",
        text(&out.stderr)
    );
}

/// capsa's C extension is on `cc`'s include path and linked lazily inside a
/// VM, as in the C lane: a program that spawns through `wasi_ext.h` builds
/// with `-lwasi-ext` and runs.
#[test]
fn cc_in_a_vm_builds_with_capsas_c_extension() {
    let dir = tempfile::tempdir().unwrap();
    let program = "#include <wasi_ext.h>\n#include <stdio.h>\nextern char **environ;\n\
        int main(void) {\n    int fds[2];\n    if (pipe(fds) != 0) return 10;\n\
        posix_spawn_file_actions_t actions;\n    posix_spawn_file_actions_init(&actions);\n\
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1);\n    posix_spawn_file_actions_addclose(&actions, fds[0]);\n\
        char *argv[] = {\"echo\", \"from a child\", NULL};\n    pid_t pid;\n\
        if (posix_spawnp(&pid, \"echo\", &actions, NULL, argv, environ) != 0) return 11;\n\
        close(fds[1]);\n    char buf[64] = {0};\n    ssize_t n = read(fds[0], buf, sizeof buf - 1);\n\
        int status = 0;\n    waitpid(pid, &status, 0);\n    printf(\"read %d bytes: %s\", (int)n, buf);\n\
        return WEXITSTATUS(status);\n}\n";
    write(dir.path(), &[("spawner.c", program), ("plain.c", "int main(void) { return 0; }\n")]);
    let out = exec(
        dir.path(),
        "cc -O2 -o spawner spawner.c -lwasi-ext && ./spawner && cc -o plain plain.c && ./plain && echo ok",
    );
    assert_eq!(text(&out.stdout), "read 13 bytes: from a child\nok\n", "{}", text(&out.stderr));
}
