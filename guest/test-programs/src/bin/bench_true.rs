//! Does nothing and exits 0: the cheapest command, for spawn benchmarks.

fn main() {}
