//! `proc_exit(3)` ends the program at once with status 3; what was printed
//! before reaches stdout, nothing after it runs.
//!
//! Host: expects `Exited(3)` and stdout `before exit\n` only.

use std::io::Write;

use test_programs::p1;

fn main() {
    println!("before exit");
    std::io::stdout().flush().expect("flush");
    p1::proc_exit(3);
}
