//! How the CLI tells the user what happened: a run's end (its abnormal
//! end's reason, capsa's exit code), and errors from the libraries below,
//! worded with the command line's own flags.

use std::path::Path;

use capsa_lanes::LaneError;
use capsa_runtime::outcome::{EXIT_NOT_RUNNABLE, EXIT_USAGE};
use capsa_runtime::{GrantError, Outcome, RuntimeError};
use capsa_session::SessionError;

/// capsa's exit code for a run of `what`: the guest's, after its abnormal
/// end's reason; or, when it could not run, why.
pub fn finish(result: Result<Outcome, RuntimeError>, what: &Path) -> i32 {
    match result {
        Ok(outcome) => {
            if let Some(reason) = outcome.status.reason() {
                eprintln!("{reason}");
            }
            outcome.status.code()
        }
        Err(err) => runtime_error(&what.display().to_string(), &err),
    }
}

/// Prints why `what` could not run and returns capsa's exit code for it:
/// a usage error for a bad grant or cache, "not runnable" for a bad module.
pub fn runtime_error(what: &str, err: &RuntimeError) -> i32 {
    match err {
        RuntimeError::Grant(grant) => {
            eprintln!("capsa: {}", grant_message(grant));
            EXIT_USAGE
        }
        RuntimeError::Cache(..) => {
            eprintln!("capsa: {err}");
            EXIT_USAGE
        }
        RuntimeError::InvalidModule(_)
        | RuntimeError::UnknownImports(_)
        | RuntimeError::NotCommand(_)
        | RuntimeError::Instantiate(_)
        | RuntimeError::Engine(_)
        | RuntimeError::Internal(_) => {
            eprintln!("capsa: {what}: {err}");
            EXIT_NOT_RUNNABLE
        }
    }
}

/// Prints a session's error and returns capsa's exit code for it.
pub fn session_error(what: &str, err: &SessionError) -> i32 {
    match err {
        SessionError::Runtime(err) => runtime_error(what, err),
        SessionError::Suite(_)
        | SessionError::Setup(_)
        | SessionError::BadPath { .. }
        | SessionError::File { .. }
        | SessionError::SnapshotTooLarge { .. }
        | SessionError::Archive(_)
        | SessionError::Unavailable(_)
        | SessionError::Thread(_)
        | SessionError::TooLarge { .. } => {
            eprintln!("capsa: {what}: {err}");
            EXIT_USAGE
        }
    }
}

/// A grant the runtime could not honour, named by the flag that asked for it.
fn grant_message(err: &GrantError) -> String {
    match err {
        GrantError::Dir { host, source } => format!("--dir {}: {source}", host.display()),
        GrantError::Stdin { path, source } => format!("--stdin {}: {source}", path.display()),
        GrantError::Output { stream, path, source } => format!("--{stream} {}: {source}", path.display()),
        GrantError::Publish { publish, source } => {
            format!("--publish {}:{}: 127.0.0.1:{}: {source}", publish.host_port, publish.guest_port, publish.host_port)
        }
        GrantError::Layout(source) => format!("--dir: the VM's filesystem cannot be built: {source}"),
        GrantError::Preopen { guest, source } => format!("--dir …:{guest}: cannot be preopened: {source}"),
        GrantError::FdLimit(source) => format!("--fds is too small for stdio and the granted directories: {source}"),
        GrantError::TwoRoots => "--dir HOST:/ and --vm-fs cannot both be the guest's `/`".into(),
    }
}

/// Prints a lane error (the compiler's own diagnostics first) and returns
/// capsa's exit code for it: 1 for a failed build, 2 for a usage error.
pub fn lane_error(err: &LaneError) -> i32 {
    eprint!("{}", err.diagnostics());
    eprintln!("capsa: {err}");
    match err {
        LaneError::UnknownLanguage(_) | LaneError::Unavailable { .. } | LaneError::Input(_) => EXIT_USAGE,
        LaneError::Manifest(_)
        | LaneError::Provision(_)
        | LaneError::Io { .. }
        | LaneError::Failed { .. }
        | LaneError::Budget { .. }
        | LaneError::Crashed { .. }
        | LaneError::Runtime(_) => 1,
    }
}
