//! `uname [-asnrvmpio]`: what system this is. capsa reports itself, not the
//! host: kernel name `capsa`, release and version from its guest ABI,
//! machine `wasm32`, operating system `WASI`, and the VM's host name.

use std::ffi::OsString;

use crate::util;

/// The guest ABI version capsa implements (`docs/abi.md`); there is no call
/// to ask the host, so it is the version current when this was built.
const ABI: &str = "0.3";

pub fn main(cmd: &str, args: Vec<OsString>) -> i32 {
    // Fields in uname's output order: s n r v m p i o.
    let mut want = [false; 8];
    for arg in &args {
        let text = arg.to_string_lossy();
        let letters: Vec<char> = match text.as_ref() {
            "--all" => vec!['a'],
            "--kernel-name" => vec!['s'],
            "--nodename" => vec!['n'],
            "--kernel-release" => vec!['r'],
            "--kernel-version" => vec!['v'],
            "--machine" => vec!['m'],
            "--processor" => vec!['p'],
            "--hardware-platform" => vec!['i'],
            "--operating-system" => vec!['o'],
            "--help" => {
                println!("Usage: uname [OPTION]...");
                return 0;
            }
            t if t.starts_with('-') && !t.starts_with("--") && t.len() > 1 => t[1..].chars().collect(),
            _ => return util::usage(cmd, format!("extra operand {}", util::quote(arg)), 1),
        };
        for letter in letters {
            match "snrvmpio".find(letter) {
                Some(i) => want[i] = true,
                None if letter == 'a' => want = [true, true, true, true, true, false, false, true],
                None => return util::usage(cmd, format!("invalid option -- '{letter}'"), 1),
            }
        }
    }
    if !want.iter().any(|&w| w) {
        want[0] = true;
    }
    let node = super::hostname::current();
    let version = format!("capsa-abi {ABI}");
    let values = ["capsa", node.as_str(), ABI, version.as_str(), "wasm32", "unknown", "unknown", "WASI"];
    let fields: Vec<&str> = values.iter().zip(want).filter(|(_, w)| *w).map(|(v, _)| *v).collect();
    println!("{}", fields.join(" "));
    0
}
