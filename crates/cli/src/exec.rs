//! `capsa exec 'CMD'`: one shell command line in a fresh VM with the command
//! suite, its output streamed to the terminal, capsa's exit status the
//! command's.

use capsa_runtime::Limits;
use capsa_runtime::outcome::EXIT_USAGE;
use capsa_suite::shell::{SH, sh_c};
use clap::Args;

use crate::run::exit_code_of;
use crate::shell_vm::ShellVmArgs;

/// Options of `capsa exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    vm: ShellVmArgs,
    /// The command line, as one argument ('ls -l | wc -l') or several
    /// (joined with spaces, as ssh does).
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    command: Vec<String>,
}

/// Runs `capsa exec` and returns capsa's exit code.
pub fn main(args: ExecArgs) -> i32 {
    let line = args.command.join(" ");
    let result = args.vm.config(Limits::default()).and_then(|(_, mut config)| {
        let runtime = args.vm.runtime()?;
        crate::build::add_interpreters(&runtime, &mut config);
        Ok((runtime, config))
    });
    let (runtime, config) = match result {
        Ok(pair) => pair,
        Err(err) => {
            eprintln!("capsa: {err:#}");
            return EXIT_USAGE;
        }
    };
    match runtime.vm(config).and_then(|vm| vm.run_path(SH, &sh_c(&line))) {
        Ok(outcome) => {
            if let Some(reason) = outcome.status.reason() {
                eprintln!("{reason}");
            }
            outcome.status.code()
        }
        Err(err) => {
            eprintln!("capsa: exec: {err}");
            exit_code_of(&err)
        }
    }
}
