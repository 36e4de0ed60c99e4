//! Hostile: writes new modules into its own filesystem and runs each, so the
//! host has to compile every one, hoping the work and its results land
//! outside the VM's limits (host disk, host memory, the deadline). Each
//! module is the same no-op command with a different custom section, so
//! every one has a new digest. First it tries one module larger than capsa
//! compiles for a guest. Then it loops until the VM's deadline stops it,
//! printing `ran N` after each module.
//!
//! Host: `limits.disk_bytes` above 64 MiB (for the large module), a short
//! wall clock.

use wasi_ext::Command;

/// A command module doing nothing, with a custom section `n` of `payload`.
fn module(payload: &[u8]) -> Vec<u8> {
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend_from_slice(&[0x01, 0x04, 0x01, 0x60, 0x00, 0x00]); // type: () -> ()
    wasm.extend_from_slice(&[0x03, 0x02, 0x01, 0x00]); // one function of type 0
    wasm.extend_from_slice(&[0x07, 0x0a, 0x01, 0x06]); // export "_start"
    wasm.extend_from_slice(b"_start");
    wasm.extend_from_slice(&[0x00, 0x00]);
    wasm.extend_from_slice(&[0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b]); // body: end
    let mut section = vec![0x01, b'n'];
    section.extend_from_slice(payload);
    wasm.push(0x00);
    leb128(&mut wasm, section.len() as u64);
    wasm.extend_from_slice(&section);
    wasm
}

fn leb128(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn write_program(path: &str, wasm: &[u8]) {
    std::fs::write(path, wasm).expect("write a module");
    wasi_ext::fs::chmod(path, 0o755).expect("chmod");
}

fn main() {
    wasi_ext::init().expect("init");
    let big = module(&vec![0u8; 65 << 20]);
    write_program("/tmp/big.wasm", &big);
    let err = Command::new("/tmp/big.wasm").status().expect_err("a module over the guest limit");
    println!("big: {}", err.raw_os_error().unwrap_or(-1));
    std::fs::remove_file("/tmp/big.wasm").expect("rm");
    drop(big);
    let mut ran: u64 = 0;
    loop {
        let path = format!("/tmp/m{}.wasm", ran % 4);
        write_program(&path, &module(&ran.to_le_bytes()));
        let status = Command::new(&path).status().expect("run a new module");
        assert!(status.success(), "{status}");
        ran += 1;
        println!("ran {ran}");
    }
}
