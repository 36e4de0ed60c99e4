//! `capsa exec 'CMD'`: one shell command line in a fresh session, its
//! output streamed to the terminal, capsa's exit status the command's.

use capsa_runtime::Limits;
use capsa_runtime::outcome::EXIT_USAGE;
use capsa_session::Exec;
use clap::Args;

use crate::report;
use crate::vm_args::{ShellArgs, StartError};

/// Options of `capsa exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    vm: ShellArgs,
    /// The command line, as one argument ('ls -l | wc -l') or several
    /// (joined with spaces, as ssh does).
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "CMD")]
    command: Vec<String>,
}

/// Runs `capsa exec` and returns capsa's exit code.
pub fn main(args: ExecArgs) -> i32 {
    let session = match args.vm.start(Limits::default()) {
        Ok(session) => session,
        Err(StartError::Usage(err)) => {
            eprintln!("capsa: {err:#}");
            return EXIT_USAGE;
        }
        Err(StartError::Session(err)) => return report::session_error("exec", &err),
    };
    for warning in session.warnings() {
        eprintln!("capsa: {warning}");
    }
    match session.exec(&args.command.join(" "), &Exec::default()) {
        Ok(outcome) => {
            if let Some(reason) = outcome.status.reason() {
                eprintln!("{reason}");
            }
            outcome.status.code()
        }
        Err(err) => report::session_error("exec", &err),
    }
}
