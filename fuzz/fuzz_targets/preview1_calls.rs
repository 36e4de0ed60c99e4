//! Every preview1 and extension import with arbitrary arguments; see `capsa_fuzz::preview1`.
#![no_main]

use capsa_fuzz::preview1::{Input, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: capsa_fuzz::seeds::write_if_asked("preview1_calls"),
    |input: Input| run(&input)
);
