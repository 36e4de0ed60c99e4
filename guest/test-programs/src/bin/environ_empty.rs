//! With no environment granted the guest's environment is empty: not the
//! host's, not a default one.

use test_programs::{ok, p1};

fn main() {
    assert_eq!(p1::environ_sizes_get().expect("environ_sizes_get"), (0, 0));
    assert!(p1::environ().expect("environ_get").is_empty());
    assert_eq!(std::env::vars_os().count(), 0, "std::env::vars");
    assert!(std::env::var_os("PATH").is_none(), "PATH leaked");
    // Arguments are still there: just the program name.
    assert_eq!(std::env::args().collect::<Vec<_>>(), ["environ_empty"]);
    ok();
}
