//! The runtime's host tests of guest programs, in one test binary: each suite
//! is a module, and every guest program of `guest/test-programs` and
//! `guest/c` must be claimed by exactly one suite's `claimed` module — a
//! program with no test, or with two, fails to build (see the end of the file).
//!
//! One binary rather than one per suite also links wasmtime once, not seven
//! times.

/// Claims the test named like guest program `$name` (a function of the
/// enclosing suite): `claimed::$name` is that test.
macro_rules! claim {
    ($name:ident) => {
        #[allow(non_upper_case_globals, reason = "named after the test it points at")]
        pub(crate) const $name: fn() = super::$name;
    };
}

mod common;

mod bench_guests;
mod containment;
mod ext_fs;
mod net;
mod pool;
mod preview1;
mod process;

// ---------------------------------------------------------------- completeness

/// Every suite's claims, in one namespace: a name claimed twice is ambiguous.
mod claimed {
    pub(crate) use crate::bench_guests::claimed::*;
    pub(crate) use crate::containment::claimed::*;
    pub(crate) use crate::ext_fs::claimed::*;
    pub(crate) use crate::net::claimed::*;
    pub(crate) use crate::preview1::claimed::*;
    pub(crate) use crate::process::claimed::*;
}

macro_rules! assert_claimed {
    ($name:ident) => {
        const _: fn() = claimed::$name;
    };
}
capsa_test_programs::foreach_program!(assert_claimed);
capsa_test_programs::foreach_c!(assert_claimed);
