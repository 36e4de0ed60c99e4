//! capsa's guest test programs, built for wasm32-wasip1.
//!
//! The build script compiles every program of the guest workspace's
//! `test-programs` package (`guest/test-programs/src/bin/<area>_<case>.rs`) with
//! `cargo build --release --target wasm32-wasip1` into `guest/target`, and
//! generates, for use by host tests:
//!
//! - one constant per program, named `<AREA>_<CASE>`, holding the absolute
//!   path of its `.wasm` file, and [`ALL`], every `(name, path)` pair;
//! - one macro per area, `foreach_<area>!($m)`, and [`foreach_program!`] over
//!   all programs, each invoking `$m!(<area>_<case>)` once per program.
//!
//! - for the C guests (`guest/c/<area>_<case>.c`, compiled with the pinned
//!   `ziglang` clang against wasi-libc and `guest/wasi-ext`'s C bindings):
//!   one constant `C_<AREA>_<CASE>` per program, `C_ALL`, and `foreach_c!`.
//!
//! The macros let the host tests fail to build when a guest program has no
//! host test: `crates/runtime/tests/guests/main.rs` runs [`foreach_program!`]
//! and `foreach_c!` over the tests each suite claims, so a program without its
//! test (or with two) is a compile error.
//!
//! ```
//! let mut names = Vec::new();
//! macro_rules! collect {
//!     ($name:ident) => {
//!         names.push(stringify!($name));
//!     };
//! }
//! capsa_test_programs::foreach_program!(collect);
//! assert_eq!(names.len(), capsa_test_programs::ALL.len());
//! assert!(names.contains(&"sched_yield"));
//!
//! let wasm = std::fs::read(capsa_test_programs::SCHED_YIELD)?;
//! assert_eq!(&wasm[..4], b"\0asm");
//! # Ok::<(), std::io::Error>(())
//! ```

// The generated constants, `ALL`, and the `foreach_*!` macros (see the crate
// documentation and `build.rs`).
include!(concat!(env!("OUT_DIR"), "/programs.rs"));
