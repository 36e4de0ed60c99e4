//! The instance pool: a process that finds every slot of its engine's pool
//! taken still runs (on demand, on the engine's unpooled twin), and the
//! memory limit is the same whether an instance is pooled or not.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::common::{assert_ok, config, describe, grant, printed_number, program};
use capsa_runtime::{ExitStatus, InstancePool, Runtime, RuntimeOptions, VmConfig};

fn runtime(pool: InstancePool) -> Runtime {
    let cache_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capsa-module-cache");
    Runtime::with_instance_pool(RuntimeOptions { cache_dir: Some(cache_dir), ..RuntimeOptions::default() }, pool)
        .expect("runtime")
}

fn run(runtime: &Runtime, name: &str, config: VmConfig, args: &[&str]) -> capsa_runtime::Outcome {
    let wasm = std::fs::read(program(name)).expect("read the guest");
    let mut argv = vec![name.to_string()];
    argv.extend(args.iter().map(|a| a.to_string()));
    runtime.vm(config).expect("boot").run(&wasm, &argv).expect("run")
}

#[test]
fn a_full_pool_falls_back_to_on_demand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bench_pipe");
    std::fs::copy(program("bench_pipe"), &path).expect("copy");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // One slot: the parent holds it while its child runs, so the child is
    // instantiated on demand; the second run reuses the twin's linking.
    let runtime = runtime(InstancePool::Pooling { slots: 1 });
    for _ in 0..2 {
        let mut config = config();
        config.grants.clock = true;
        grant(&mut config, dir.path(), "/t", true);
        let outcome = run(&runtime, "bench_pipe", config, &["send", "2", "/t/bench_pipe"]);
        assert_eq!(outcome.status, ExitStatus::Exited(0), "{}", describe(&outcome));
        assert_eq!(printed_number(&outcome, "bytes"), 2 << 20);
    }
}

#[test]
fn the_memory_limit_is_the_same_pooled_or_not() {
    for pool in [InstancePool::Pooling { slots: 4 }, InstancePool::OnDemand] {
        let mut config = config();
        config.limits.memory = 64 << 20;
        let outcome = run(&runtime(pool), "limits_memory_grow", config, &[]);
        assert_ok(&outcome);
        let mib = printed_number(&outcome, "memory");
        assert!((58..=64).contains(&mib), "{pool:?}: the guest got {mib} MiB under a 64 MiB limit");
    }
}
