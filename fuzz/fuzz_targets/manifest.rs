//! Manifest text into `capsa_runtime::manifest::apply`; see `capsa_fuzz::manifest`.
#![no_main]

use capsa_fuzz::manifest::{ManifestInput, run};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: capsa_fuzz::seeds::write_if_asked("manifest"),
    |input: ManifestInput| run(&input)
);
