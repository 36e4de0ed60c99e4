//! Without the entropy grant `random_get` fails closed with `NOSYS`, and the
//! entropy devices cannot be opened (`ACCES`); the other devices still work.

use test_programs::{RIGHTS_READ, RIGHTS_RW, assert_errno, assert_io_errno, ok, open_dir, p1, wasi};

fn main() {
    let mut buf = [0u8; 16];
    assert_errno!(p1::random_get(&mut buf), wasi::ERRNO_NOSYS);
    assert_eq!(buf, [0; 16], "a failed random_get wrote to the buffer");

    let root = open_dir("/");
    for dev in ["dev/urandom", "dev/random"] {
        assert_errno!(p1::path_open(root, 0, dev, 0, RIGHTS_READ, 0), wasi::ERRNO_ACCES);
    }
    let err = std::fs::File::open("/dev/urandom").expect_err("/dev/urandom opened without the grant");
    assert_io_errno(&err, wasi::ERRNO_ACCES);

    // Not entropy: still available.
    let null = p1::path_open(root, 0, "dev/null", 0, RIGHTS_RW, 0).expect("open /dev/null");
    assert_eq!(p1::write(null, b"discarded").expect("write /dev/null"), 9);
    assert_eq!(p1::read(null, &mut buf).expect("read /dev/null"), 0);
    let zero = p1::path_open(root, 0, "dev/zero", 0, RIGHTS_READ, 0).expect("open /dev/zero");
    buf = [7; 16];
    assert_eq!(p1::read(zero, &mut buf).expect("read /dev/zero"), 16);
    assert_eq!(buf, [0; 16]);
    ok();
}
