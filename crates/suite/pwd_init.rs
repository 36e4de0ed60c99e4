//! A startup constructor linked into every crates.io tool of the suite: it
//! makes `$PWD` the process's working directory before `main` runs.
//!
//! WASI has no working directory. wasi-libc keeps one of its own (a string,
//! `/` at startup) against which it resolves relative paths, and capsa passes
//! a spawned process the directory its parent chose in `PWD`. Programs linked
//! with `wasi-ext` apply it in `wasi_ext::init()`; the crates.io tools cannot
//! call that, so `build.rs` compiles this file to a wasm object and links it
//! into them (`-C link-arg=<object>`). wasm-ld turns the `.init_array` entry
//! into a call from `__wasm_call_ctors`, which wasi-libc's `_start` runs
//! before `main`. A `PWD` that is not absolute, or names no reachable
//! directory, changes nothing (as in a VM's first process, which has none).

#![no_std]

use core::ffi::{c_char, c_int};

unsafe extern "C" {
    fn getenv(name: *const c_char) -> *mut c_char;
    fn chdir(path: *const c_char) -> c_int;
}

extern "C" fn capsa_pwd_init() {
    // SAFETY: `getenv` takes a NUL-terminated name and returns NULL or a
    // NUL-terminated string owned by libc, which is read (first byte) and
    // passed to `chdir` before anything can change the environment.
    unsafe {
        let pwd = getenv(c"PWD".as_ptr());
        if !pwd.is_null() && *pwd == b'/' as c_char {
            chdir(pwd);
        }
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static CAPSA_PWD_INIT: extern "C" fn() = capsa_pwd_init;
