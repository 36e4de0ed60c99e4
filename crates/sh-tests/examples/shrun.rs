//! Runs `sh -c SCRIPT` in a VM and prints what it wrote and how it ended:
//! `cargo run -p capsa-sh-tests --example shrun -- 'echo hi | cat'`.

fn main() {
    let script = std::env::args().nth(1).unwrap_or_default();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = capsa_sh_tests::Sh::new().in_dir(dir.path(), "/work").run(&script);
    print!("{}", out.stdout_str());
    eprint!("{}", out.stderr_str());
    eprintln!("[status: {:?}]", out.status);
}
