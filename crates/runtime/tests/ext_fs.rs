//! `host_fs` (modes, owners, chmod, chown, umask) through `wasi-ext`, as the
//! default user and as root. An `fs_*` guest program without a test here is a
//! build error.

mod common;

use common::{config, run_ok};

#[test]
fn fs_modes() {
    run_ok("fs_modes", config(), &[]);
    let mut as_root = config();
    as_root.root = true;
    run_ok("fs_modes", as_root, &["root"]);
}

macro_rules! assert_test_exists {
    ($name:ident) => {
        const _: fn() = $name;
    };
}
capsa_test_programs::foreach_fs!(assert_test_exists);
