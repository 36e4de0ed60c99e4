//! The shell's differential corpus (`crates/sh-tests/corpus`, 500+
//! snippets) run by the `capsa exec` binary and by the host's bash: stdout
//! and exit status must be equal. See `capsa_sh_tests::corpus`.

mod common;

use std::process::{Command, Stdio};

use capsa_sh_tests::corpus::{self, Run};

/// `capsa exec SNIPPET` in a fresh empty folder mounted at `/work`.
fn capsa_exec(snippet: &str) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let mount = format!("{}:/work", dir.path().display());
    let out = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .args(["exec", "--cache-dir"])
        .arg(common::cache())
        .args(["--mount", &mount, "--env", "LC_ALL=C", "--timeout", "20s", "--", snippet])
        .stdin(Stdio::null())
        .output()
        .expect("running capsa exec");
    Run { stdout: String::from_utf8_lossy(&out.stdout).into_owned(), status: out.status.code().unwrap_or(128) }
}

#[test]
fn corpus_run_by_capsa_exec_matches_bash() {
    // Compile the suite once, before the snippets race to under their 20 s.
    common::warm_cache();
    corpus::check(capsa_exec);
}
