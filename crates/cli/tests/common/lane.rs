//! What the lane tests share: a lane installed into the shared cache once
//! per test binary, and `capsa` run in a directory with that cache.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Installs `lane` (`capsa lanes install LANE`) into [`super::cache`] once
/// per lane and test binary, after the suite is warm (interpreters also run
/// in `capsa exec` VMs). No tight limit: a cold C lane takes minutes.
pub fn install(lane: &str) {
    static INSTALLED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut installed = INSTALLED.lock().unwrap_or_else(|p| p.into_inner());
    if installed.iter().any(|l| l == lane) {
        return;
    }
    super::warm_cache();
    let out = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .args(["lanes", "install", lane, "--cache-dir"])
        .arg(super::cache())
        .output()
        .expect("running capsa lanes install");
    assert!(out.status.success(), "installing the {lane} lane: {}", text(&out.stderr));
    installed.push(lane.to_string());
}

/// `capsa SUBCOMMAND --cache-dir CACHE ARGS…` in `dir`, `stdin` written to
/// it, once `lane` is installed.
pub fn capsa(lane: &str, dir: &Path, args: &[&str], stdin: &[u8]) -> Output {
    install(lane);
    let (command, rest) = args.split_first().expect("a subcommand");
    let mut child = Command::new(env!("CARGO_BIN_EXE_capsa"))
        .current_dir(dir)
        .arg(command)
        .arg("--cache-dir")
        .arg(super::cache())
        .args(rest)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running capsa");
    let mut input = child.stdin.take().expect("piped stdin");
    input.write_all(stdin).expect("writing stdin");
    drop(input);
    child.wait_with_output().expect("waiting for capsa")
}

/// Output bytes as (lossy) UTF-8.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
