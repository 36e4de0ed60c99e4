//! The lane registry: one [`Driver`] per language capsa can run, found by
//! its manifest's id. A new language is its `lanes/<id>/manifest.org`, one
//! file implementing [`Driver`], and its line in [`DRIVERS`]; nothing else
//! in capsa names languages.

use std::path::Path;

use capsa_provision::Source;
use capsa_runtime::{Runtime, VmConfig};

use crate::built::ScriptFile;
use crate::manifest::Manifest;
use crate::toolchain::Toolchain;
use crate::{Artifact, BuildRequest, LaneError, Lanes, Prepared, clang, go, js, lua, python, sqlite, ts};

/// Every driver capsa has. A manifest without one is listed by `capsa
/// lanes` but cannot be used.
const DRIVERS: &[&dyn Driver] =
    &[&clang::Clang, &js::JavaScript, &ts::TypeScript, &python::Python, &lua::Lua, &go::Go, &sqlite::Sqlite];

/// What a driver works with: the runtime its guests run on, every lane (a
/// lane may build on another, as Lua on C), and its own manifest.
#[derive(Clone, Copy)]
pub struct Cx<'a> {
    /// The runtime, and its cache.
    pub runtime: &'a Runtime,
    /// Every lane.
    pub lanes: &'a Lanes,
    /// The lane being driven.
    pub lane: &'a Manifest,
}

/// Commands a lane puts into every shell VM (`python3`, `lua`, …) once its
/// toolchain is installed.
#[derive(Debug, Clone, Copy)]
pub struct ShellCommands {
    /// The names, made in `/bin` and `/usr/bin`.
    pub names: &'static [&'static str],
    /// The module they run: a VM path inside the lane's read-only mount.
    pub executable: &'static str,
    /// When set, each name is this script (its `#!` line runs
    /// `executable`) instead of a symlink to `executable`.
    pub script: Option<&'static str>,
}

/// One language's way from source to something that runs; every stage
/// that executes is a wasm guest.
pub trait Driver: Sync {
    /// The manifest ids it drives.
    fn ids(&self) -> &'static [&'static str];

    /// Builds `request` into a content-addressed module.
    ///
    /// # Errors
    /// See [`LaneError`]; by default, a lane that builds no module says so.
    fn build(&self, cx: Cx<'_>, request: &BuildRequest) -> Result<Artifact, LaneError> {
        let _ = request;
        Err(LaneError::Input(format!(
            "the {} lane interprets source and builds no module; run it with `capsa run`",
            cx.lane.title
        )))
    }

    /// How `capsa run SCRIPT args…` runs source without building a module:
    /// the module that executes and its argv, with what the run needs
    /// granted in `config`. `None` (the default): build, then run the module.
    ///
    /// # Errors
    /// The script is missing, or installing failed.
    fn prepare(
        &self,
        cx: Cx<'_>,
        script: &Path,
        args: &[String],
        config: &mut VmConfig,
        quiet: bool,
    ) -> Result<Option<Prepared>, LaneError> {
        let _ = (cx, script, args, config, quiet);
        Ok(None)
    }

    /// Fetches (or builds) the toolchain and compiles it into the module
    /// cache, with progress unless `quiet`.
    ///
    /// # Errors
    /// Provisioning or building failed.
    fn install(&self, cx: Cx<'_>, source: Source<'_>, quiet: bool) -> Result<(), LaneError>;

    /// Whether the toolchain is in the cache (nothing fetched or built).
    ///
    /// # Errors
    /// A malformed manifest or digest file.
    fn installed(&self, cx: Cx<'_>) -> Result<bool, LaneError>;

    /// The commands it offers shell VMs, if any.
    fn shell_commands(&self) -> Option<ShellCommands> {
        None
    }

    /// Grants `config` what [`Driver::shell_commands`] need (read-only
    /// mounts, environment) when the toolchain is installed; `false` when it
    /// is not. Nothing is fetched or built.
    ///
    /// # Errors
    /// As for [`Driver::installed`].
    fn grant_shell_commands(&self, cx: Cx<'_>, config: &mut VmConfig) -> Result<bool, LaneError> {
        let _ = (cx, config);
        Ok(false)
    }
}

/// The driver of `lane`, if capsa has one.
pub(crate) fn find(lane: &Manifest) -> Option<&'static dyn Driver> {
    DRIVERS.iter().copied().find(|driver| driver.ids().contains(&lane.id.as_str()))
}

/// Refuses `--from TARBALL` for a lane that fetches no package of its own
/// (it builds from sources embedded in capsa, or provisions several).
///
/// # Errors
/// `Input` for a tarball.
pub(crate) fn no_tarball(cx: Cx<'_>, source: Source<'_>) -> Result<(), LaneError> {
    match source {
        Source::Registry => Ok(()),
        Source::Tarball(path) => Err(LaneError::Input(format!(
            "the {} lane fetches no single package, so --from {} does not apply",
            cx.lane.title,
            path.display()
        ))),
    }
}

/// What interpreting lanes share for `capsa run SCRIPT`: the script's
/// directory granted read-only at its absolute host path (so messages name
/// the host's file), the interpreter granted by `grant`, and
/// `argv0 SCRIPT ARGS…`.
pub(crate) fn interpret_script(
    script: &ScriptFile,
    interpreter: Toolchain,
    grant: fn(&Toolchain, &mut VmConfig),
    argv0: &str,
    args: &[String],
    config: &mut VmConfig,
) -> Prepared {
    grant(&interpreter, config);
    script.grant(config);
    Prepared { toolchain: interpreter, argv: script.argv(argv0, args) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn every_usable_lane_has_exactly_one_driver_and_every_driver_a_lane() {
        let lanes = Lanes::builtin().unwrap();
        for lane in lanes.all() {
            let drivers = DRIVERS.iter().filter(|d| d.ids().contains(&lane.id.as_str())).count();
            let expected = usize::from(lane.status == Status::InSandbox);
            assert_eq!(drivers, expected, "lane {}", lane.id);
        }
        for id in DRIVERS.iter().flat_map(|d| d.ids()) {
            assert!(lanes.get(id).is_some(), "driver for {id} without a manifest");
        }
    }

    #[test]
    fn shell_commands_do_not_collide() {
        let names: Vec<&str> =
            DRIVERS.iter().filter_map(|d| d.shell_commands()).flat_map(|c| c.names).copied().collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
