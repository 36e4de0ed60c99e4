//! The lanes' commands in a session's VM: `python3`, `qjs`, `lua`… for each
//! installed lane (its toolchain granted read-only), and for the others a
//! command that says how to install it. Nothing is fetched or built here:
//! `capsa lanes install LANE` does that, visibly, once.

use capsa_lanes::Lanes;
use capsa_runtime::{Runtime, VmConfig};
use capsa_suite::shell::{add_commands, add_missing_commands, add_script_commands};

/// Adds the lanes' commands to `config`; returns what could not be added.
pub(crate) fn add_lane_commands(runtime: &Runtime, config: &mut VmConfig) -> Vec<String> {
    let lanes = match Lanes::builtin() {
        Ok(lanes) => lanes,
        Err(err) => return vec![format!("no lane commands in this VM: {err}")],
    };
    let mut warnings = Vec::new();
    for offer in capsa_lanes::grant_shell_commands(runtime, &lanes, config) {
        let names = offer.commands.names;
        match offer.granted {
            Ok(true) => match offer.commands.script {
                Some(script) => add_script_commands(config, names, script),
                None => add_commands(config, names, offer.commands.executable),
            },
            Ok(false) => add_missing_commands(config, names, &offer.lane),
            Err(err) => warnings.push(format!("the {} lane's commands are unavailable in this VM: {err}", offer.lane)),
        }
    }
    warnings
}
