//! Shared code of capsa's fuzz targets (`fuzz_targets/*.rs` are thin wrappers).
//! See `README.md` for what each target asserts and how to run it.

pub mod fixture;
pub mod manifest;
pub mod preview1;
pub mod seeds;
pub mod vfs_model;
