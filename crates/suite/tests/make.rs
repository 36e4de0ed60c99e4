//! `make` against GNU make: a corpus of small makefiles, each run as a
//! sequence of `make` invocations (with files touched in between) in the
//! VM and natively with the host's `make`, over two copies of the same
//! files. Every run must give the same stdout, stderr and exit status,
//! and leave the same files behind. The only normalisation is the fixture
//! directory's host path, which the VM sees as `/work`.
//!
//! Recipes keep to what both shells do alike (the host's `/bin/sh` is
//! usually dash, the VM's is capsa's): no backslash escapes in `echo`, no
//! shell error messages.

// The corpus is in two parts, under `tests/make/`.
#[path = "make/building.rs"]
mod building;
mod common;
#[path = "make/language.rs"]
mod language;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{Fixture, code, describe, have_native};

/// One step of a case.
enum Step {
    /// Run `make` with these arguments.
    Make(&'static [&'static str]),
    /// Set this file's modification time to now (it becomes the newest).
    Touch(&'static str),
    /// Run `make` with these (wrong) arguments: the same status and first
    /// line of stderr (the usage after it lists each make's own options).
    Usage(&'static [&'static str]),
}

use Step::{Make, Touch, Usage};

/// A makefile as the corpus writes it: the leading newline dropped, and
/// four leading spaces standing for the tab that starts a recipe line.
fn tabs(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    text.lines()
        .map(|line| match line.strip_prefix("    ") {
            Some(rest) => format!("\t{rest}\n"),
            None => format!("{line}\n"),
        })
        .collect()
}

/// The files under `dir` (name, contents), sorted.
fn contents(dir: &Path) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("read_dir").flatten() {
            let path = entry.path();
            let name = path.strip_prefix(dir).expect("beneath").to_string_lossy().into_owned();
            if path.is_dir() {
                found.push((format!("{name}/"), String::new()));
                stack.push(path);
            } else {
                found.push((name, std::fs::read_to_string(&path).unwrap_or_default()));
            }
        }
    }
    found.sort();
    found
}

/// Sets every file under `dir` an hour back, so that whatever make builds
/// is newer than the fixture's files (both copies alike).
fn age(dir: &Path) {
    let old = SystemTime::now() - Duration::from_secs(3600);
    for (name, _) in contents(dir) {
        if !name.ends_with('/') {
            let file = std::fs::File::options().append(true).open(dir.join(&name)).expect("open");
            file.set_modified(old).expect("set mtime");
        }
    }
}

/// Runs the host's make in `dir`: (stdout, stderr, status), with the
/// directory's path written as the VM sees it.
fn native_make(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let output = std::process::Command::new("make")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LC_ALL", "C")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("running the host's make");
    let real = dir.canonicalize().expect("canonical fixture path");
    let normal = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .replace(&*real.to_string_lossy(), "/work")
            .replace(&*dir.to_string_lossy(), "/work")
    };
    (normal(&output.stdout), normal(&output.stderr), output.status.code().unwrap_or(128))
}

/// Runs `steps` over `files` in the VM and natively; asserts the same
/// output, status and files after every step.
#[track_caller]
fn same(files: &[(&str, &str)], steps: &[Step]) -> bool {
    if !have_native("make") {
        eprintln!("SKIPPED: the host has no make (apt-get install make)");
        return false;
    }
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(name, body)| {
            let makefile = name.ends_with("akefile") || name.ends_with(".mk");
            (name.to_string(), if makefile { tabs(body) } else { body.to_string() })
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, b)| (n.as_str(), b.as_str())).collect();
    let (vm, native) = (Fixture::new(&borrowed), Fixture::new(&borrowed));
    age(vm.path());
    age(native.path());
    for (index, step) in steps.iter().enumerate() {
        match step {
            Touch(name) => {
                std::thread::sleep(Duration::from_millis(20));
                let now = SystemTime::now();
                for dir in [vm.path(), native.path()] {
                    let file = std::fs::File::options().create(true).append(true).open(dir.join(name)).expect("touch");
                    file.set_modified(now).expect("set mtime");
                }
            }
            Make(args) => {
                let mut argv = vec!["make"];
                argv.extend_from_slice(args);
                let outcome = vm.run(&argv, "");
                let (out, err, status) = native_make(native.path(), args);
                assert_eq!(
                    (outcome.stdout_str(), outcome.stderr_str(), code(&outcome)),
                    (out, err, status),
                    "step {index}: make {args:?} (left: capsa, right: GNU make)\n{}",
                    describe(&outcome)
                );
                assert_eq!(contents(vm.path()), contents(native.path()), "step {index}: make {args:?}: the files");
            }
            Usage(args) => {
                let mut argv = vec!["make"];
                argv.extend_from_slice(args);
                let outcome = vm.run(&argv, "");
                let (out, err, status) = native_make(native.path(), args);
                let first = |text: &str| text.lines().next().unwrap_or_default().to_string();
                assert_eq!(
                    (outcome.stdout_str(), first(&outcome.stderr_str()), code(&outcome)),
                    (out, first(&err), status),
                    "step {index}: make {args:?} (left: capsa, right: GNU make)\n{}",
                    describe(&outcome)
                );
            }
        }
    }
    true
}

#[test]
fn make_answers_version_and_help() {
    let f = Fixture::new(&[]);
    let outcome = f.run(&["make", "--version"], "");
    assert_eq!(code(&outcome), 0, "{}", describe(&outcome));
    assert!(outcome.stdout_str().starts_with("make (capsa)"), "{}", describe(&outcome));
    let outcome = f.run(&["make", "--help"], "");
    assert!(outcome.stdout_str().contains("--keep-going"), "{}", describe(&outcome));
    let outcome = f.run(&["make", "-p"], "");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
    assert!(outcome.stderr_str().contains("not supported"), "{}", describe(&outcome));
    let f = Fixture::new(&[("Makefile", "VPATH = src\nall: ; @echo hi\n")]);
    let outcome = f.run(&["make"], "");
    assert_eq!(
        (code(&outcome), outcome.stderr_str()),
        (2, "make: *** VPATH is not supported by capsa's make.  Stop.\n".into())
    );
}

#[test]
fn make_takes_gnu_makes_options() {
    let makefile = r#"
include extra.mk
all:
    @echo "X=$(X) extra=$(EXTRA)"
"#;
    let files = [("Makefile", makefile), ("inc/extra.mk", "EXTRA = from inc\n"), ("empty/keep", "")];
    same(
        &files,
        &[
            Make(&["-I", "inc"]),
            Make(&["-Iinc", "--eval=X = evaluated"]),
            Make(&["all", "-s", "-I", "inc", "X=after"]),
            Make(&["-C", "empty"]),
            Make(&["-C", "empty", "-f", "../Makefile", "-I", "../inc"]),
            Make(&["-E", "X = short"]),
            Usage(&["-Z"]),
            Usage(&["-f"]),
            Usage(&["--frobnicate"]),
            Usage(&["-j", "0"]),
        ],
    );
}

#[test]
fn make_follows_long_chains() {
    let chain = |depth: usize| {
        let mut makefile = String::from("all: t0\n\t@echo done\n");
        for i in 0..depth {
            makefile.push_str(&format!("t{i}: t{}\n", i + 1));
        }
        makefile.push_str(&format!("t{depth}:\n\t@echo bottom\n"));
        makefile.push_str("count = $(if $(word 150,$(1)),$(words $(1)),$(call count,$(1) x))\n");
        makefile.push_str("deep: ; @echo $(call count,x)\n");
        makefile
    };
    same(&[("Makefile", chain(200).as_str())], &[Make(&[]), Make(&["deep"])]);
    // Past capsa's bounds (its stack is 1 MiB), a clear error, not a trap.
    let f = Fixture::new(&[("Makefile", chain(1000).as_str())]);
    let outcome = f.run(&["make"], "");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
    assert!(outcome.stderr_str().contains("nest too deeply"), "{}", describe(&outcome));
    let f = Fixture::new(&[("Makefile", "f = $(call f,$(1))\nall: ; @echo $(call f,x)\n")]);
    let outcome = f.run(&["make"], "");
    assert_eq!(code(&outcome), 2, "{}", describe(&outcome));
    assert!(outcome.stderr_str().contains("nested too deeply"), "{}", describe(&outcome));
}
