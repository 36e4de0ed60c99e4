//! VFS operations against a reference model; see `capsa_fuzz::vfs_model`.
#![no_main]

use capsa_fuzz::vfs_model::{input::Input, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: capsa_fuzz::seeds::write_if_asked("vfs_model"),
    |input: Input| run(&input)
);
