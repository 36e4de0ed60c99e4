//! Hostile: asks to spawn a child with 2 MiB of arguments and 2 MiB of
//! environment. Each must be refused with E2BIG before anything runs.

fn main() {
    let big = "x".repeat(64 * 1024);
    let args: Vec<String> = (0..32).map(|_| big.clone()).collect();
    let err = wasi_ext::Command::new("/bin/true").args(&args).spawn().expect_err("2 MiB of argv must be refused");
    assert_eq!(err.raw_os_error(), Some(wasi::ERRNO_2BIG.raw() as i32), "{err}");
    let mut command = wasi_ext::Command::new("/bin/true");
    for i in 0..32 {
        command.env(format!("V{i}"), &big);
    }
    let err = command.spawn().expect_err("2 MiB of env must be refused");
    assert_eq!(err.raw_os_error(), Some(wasi::ERRNO_2BIG.raw() as i32), "{err}");
    println!("ok");
}
