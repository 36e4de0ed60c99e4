//! A steady, deterministic workload for containment tests: it runs in a second
//! VM beside a hostile guest and must finish with the right answer. It
//! computes a checksum over a few million steps, writes it to a file in its
//! VM's `/tmp`, reads it back, and prints it.

fn main() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut sum: u64 = 0;
    for i in 0..5_000_000u64 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        sum = sum.wrapping_add(state ^ i);
    }
    std::fs::write("/tmp/steady", sum.to_string()).expect("write /tmp/steady");
    let back = std::fs::read_to_string("/tmp/steady").expect("read /tmp/steady");
    assert_eq!(back, sum.to_string());
    println!("checksum {sum}");
    println!("ok");
}
