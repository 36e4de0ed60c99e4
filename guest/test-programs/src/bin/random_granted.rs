//! With the entropy grant: `random_get` returns varying bytes, large buffers
//! work, and `/dev/urandom` and `/dev/random` read entropy.

use std::collections::HashMap;
use std::io::Read;

use test_programs::{ok, p1};

fn main() {
    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    p1::random_get(&mut a).expect("random_get");
    p1::random_get(&mut b).expect("random_get");
    assert_ne!(a, [0; 64], "random bytes are all zero");
    assert_ne!(a, b, "two random_get calls returned the same bytes");
    p1::random_get(&mut []).expect("random_get of 0 bytes");

    let mut big = vec![0u8; 256 << 10];
    p1::random_get(&mut big).expect("random_get of 256 KiB");
    let zeros = big.iter().filter(|&&x| x == 0).count();
    assert!(zeros < 4096, "{zeros} zero bytes in 256 KiB of entropy");

    for dev in ["/dev/urandom", "/dev/random"] {
        let mut f = std::fs::File::open(dev).unwrap_or_else(|e| panic!("open {dev}: {e}"));
        let mut x = [0u8; 32];
        let mut y = [0u8; 32];
        f.read_exact(&mut x).expect("read");
        f.read_exact(&mut y).expect("read");
        assert_ne!(x, [0; 32], "{dev} gave zeros");
        assert_ne!(x, y, "{dev} repeated itself");
    }

    // std's hash maps seed themselves from random_get.
    let mut map = HashMap::new();
    map.insert("k", 1);
    assert_eq!(map["k"], 1);
    ok();
}
