//! The suite's layer: where the modules and links are, that each multicall
//! module answers to the link name it was started by, that the tables agree
//! with the modules, and that every command has a test.

mod common;

use common::{describe, expect, ok, run};

#[test]
fn modules_are_files_and_commands_are_links_in_bin_and_usr_bin() {
    // Inspected from inside a VM, with the suite's own commands.
    let out = ok(&run(&["readlink", "/bin/sort"]));
    assert_eq!(out, "/usr/libexec/capsa/coreutils.wasm\n");
    let out = ok(&run(&["readlink", "/bin/ls"]));
    assert_eq!(out, "/usr/libexec/capsa/commands.wasm\n");
    let out = ok(&run(&["readlink", "/usr/bin/grep"]));
    assert_eq!(out, "/usr/libexec/capsa/commands.wasm\n");
    let out = ok(&run(&["ls", "/usr/libexec/capsa"]));
    let mut modules: Vec<&str> = capsa_suite::MODULES.iter().map(|m| m.name).collect();
    modules.sort();
    let listed: Vec<String> = out.lines().map(|l| l.trim_end_matches(".wasm").to_string()).collect();
    assert_eq!(listed, modules);
    for (command, _) in capsa_suite::commands() {
        for dir in capsa_suite::BIN_DIRS {
            let path = format!("{dir}/{command}");
            assert_eq!(common::code(&run(&["test", "-L", &path])), 0, "{path} is not a symlink");
        }
    }
}

#[test]
fn coreutils_lists_exactly_the_commands_we_link_plus_those_we_replace() {
    let out = ok(&common::run_module(common::config(), "coreutils", &["coreutils", "--list"]));
    let mut listed: Vec<&str> = out.lines().collect();
    listed.sort();
    let replaced = ["[", "cat", "dd", "dir", "ls", "mktemp", "nice", "test", "uname", "vdir"];
    let mut expected: Vec<&str> = capsa_suite::COREUTILS_COMMANDS.iter().copied().chain(replaced).collect();
    expected.sort();
    assert_eq!(listed, expected);
}

#[test]
fn our_module_lists_exactly_its_commands() {
    let out = ok(&common::run_module(common::config(), "commands", &["capsa-commands", "--list"]));
    let listed: Vec<&str> = out.lines().collect();
    assert_eq!(listed, capsa_suite::OWN_COMMANDS);
}

#[test]
fn a_multicall_module_runs_the_command_its_link_names() {
    // The module's own name is not a command; the link's basename is.
    expect(&["/bin/echo", "via", "a", "path"], "via a path\n");
    expect(&["/usr/bin/basename", "/a/b.txt", ".txt"], "b\n");
    expect(&["whoami"], "user\n");
    let outcome = run(&["/usr/bin/egrep", "-c", "x|y", "/etc/hostname"]);
    assert_eq!(common::code(&outcome), 1, "{}", describe(&outcome));
}

#[test]
fn a_spawned_command_sees_the_link_name_as_argv0() {
    // The kernel resolves /bin/echo to the coreutils module; the child's
    // argv[0] is still the name the caller used, so it runs echo.
    expect(&["env", "/bin/echo", "spawned"], "spawned\n");
    expect(&["env", "basename", "/x/y.c", ".c"], "y\n");
    expect(&["env", "/usr/bin/whoami"], "user\n");
    expect(&["nice", "sed", "s/a/b/", "/etc/hostname"], "cbpsa\n");
    expect(&["timeout", "5", "cmp", "/etc/passwd", "/etc/passwd"], "");
}

#[test]
fn the_layer_is_built_once_and_shared() {
    let a = capsa_suite::layer().expect("layer");
    let b = capsa_suite::layer().expect("layer");
    assert!(std::sync::Arc::ptr_eq(&a, &b));
}

/// The digest computed at build time names the module's compiled form in
/// the cache: a wrong one would run another program.
#[test]
fn every_module_carries_its_own_sha256() {
    for module in capsa_suite::MODULES {
        assert_eq!(capsa_runtime::modules::digest(module.bytes), module.sha256, "{}", module.name);
    }
}

#[test]
fn every_module_is_a_wasm_command() {
    for module in capsa_suite::MODULES {
        assert_eq!(&module.bytes[..4], b"\0asm", "{}", module.name);
        assert!(!module.source.is_empty());
    }
}

/// Every command of the suite appears as the first element of an
/// invocation (`&["command", …]`) in some test file.
#[test]
fn every_command_is_tested() {
    let sources = [
        include_str!("coreutils.rs"),
        include_str!("tools.rs"),
        include_str!("commands.rs"),
        include_str!("grep.rs"),
        include_str!("layer.rs"),
        include_str!("modes.rs"),
        include_str!("ls.rs"),
        include_str!("archives.rs"),
        include_str!("jq.rs"),
        include_str!("make.rs"),
        include_str!("patch.rs"),
        include_str!("toolbox.rs"),
        include_str!("everyday.rs"),
    ];
    let missing: Vec<&str> = capsa_suite::commands()
        .iter()
        .map(|(c, _)| *c)
        .filter(|c| {
            !sources.iter().any(|s| s.contains(&format!("&[\"{c}\"")) || s.contains(&format!("&[\"/bin/{c}\"")))
        })
        .collect();
    assert!(missing.is_empty(), "commands without a test: {missing:?}");
}

#[test]
fn the_shell_is_sh_and_bash_and_runs_the_suite() {
    let out = ok(&run(&["sh", "-c", "seq 1 5 | sort -rn | head -2 | tr '\\n' ' '; echo $0"]));
    assert_eq!(out, "5 4 sh\n");
    let out = ok(&run(&["bash", "-c", "x=(a b c); echo ${#x[@]} $0"]));
    assert_eq!(out, "3 bash\n");
    let out = run(&["/bin/sh", "-c", "no-such-command"]);
    assert_eq!(common::code(&out), 127, "{}", describe(&out));
    assert_eq!(out.stderr_str(), "sh: no-such-command: command not found\n");
}
