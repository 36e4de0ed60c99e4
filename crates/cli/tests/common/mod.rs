//! What the tests that run `capsa exec` and `capsa sh` share: one compiled-
//! module cache, warmed once per test binary.

// The lane tests' helpers; the other test binaries compile them unused.
#[allow(dead_code)]
pub mod lane;
#[allow(dead_code)]
pub mod tls;

use std::path::PathBuf;
use std::process::Command;

/// The compiled-module cache every such test uses.
pub fn cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("capsa-cli-cache")
}

/// Compiles every module of the suite into [`cache`] once, with no tight
/// wall clock, before any test runs a command line under one: a cold compile
/// of the suite takes tens of seconds on a busy machine.
pub fn warm_cache() {
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_capsa"));
        let line = "/bin/true; sed --version; diff --version; find --version; rg --version; grep -V; ls /";
        let out = cmd.args(["exec", "--timeout", "10m", "--cache-dir"]).arg(cache()).arg(line).output();
        let out = out.expect("running capsa exec");
        assert!(out.status.success(), "warming the cache: {}", String::from_utf8_lossy(&out.stderr));
    });
}

/// Runs `capsa sh --server URL ARGS…` with `token`, feeding it `input`.
#[allow(dead_code)]
pub fn remote_sh(url: &str, token: &str, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .args(["sh", "--server", url])
        .args(args)
        .env("CAPSA_TOKEN", token)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("capsa sh --server");
    child.stdin.take().expect("its stdin").write_all(input.as_bytes()).expect("writing its stdin");
    child.wait_with_output().expect("capsa sh --server")
}
