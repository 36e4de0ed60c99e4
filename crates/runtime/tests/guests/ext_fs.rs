//! `host_fs` (modes, owners, chmod, chown, umask) through `wasi-ext`, in
//! Rust and through the C bindings, as the default user and as root. An
//! `fs_*` guest program (Rust or C) without a test here is a build error.

use crate::common::{assert_ok, config, describe, run_c, run_ok};

#[test]
fn fs_modes() {
    run_ok("fs_modes", config(), &[]);
    let mut as_root = config();
    as_root.root = true;
    run_ok("fs_modes", as_root, &["root"]);
}

#[test]
fn fs_c() {
    for (root, args) in [(false, &[][..]), (true, &["root"][..])] {
        let mut config = config();
        config.root = root;
        let outcome = run_c("fs_c", config, args);
        assert_ok(&outcome);
        assert_eq!(outcome.stdout_str(), "ok\n", "{}", describe(&outcome));
    }
}

/// The guest programs this suite tests (checked in `main.rs`).
pub(crate) mod claimed {
    capsa_test_programs::foreach_fs!(claim);
    capsa_test_programs::foreach_c_fs!(claim);
}
