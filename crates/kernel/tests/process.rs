//! The process table: pids, parents, zombies and wait, groups, kill, limits;
//! and fd duplication.

mod common;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use capsa_kernel::control::clear_current;
use capsa_kernel::{
    Cred, FdEntry, FdTable, Kernel, KernelError, KillReason, OpenFile, Pid, ProcessControl, ProcessSpec, WaitStatus,
    set_current,
};

fn kernel() -> Arc<Kernel> {
    common::kernel_with(vec![], 8)
}

fn spawn_as(kernel: &Kernel, parent: Option<Pid>, cred: Cred) -> (Pid, Arc<ProcessControl>) {
    let control = Arc::new(ProcessControl::new(None));
    let pid = kernel
        .register_process(ProcessSpec { parent, cred, cwd: "/".into(), control: control.clone(), session_line: false })
        .expect("register");
    (pid, control)
}

fn spawn(kernel: &Kernel, parent: Option<Pid>) -> (Pid, Arc<ProcessControl>) {
    spawn_as(kernel, parent, common::user())
}

#[test]
fn pids_count_up_from_one_and_link_parents() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (child, _) = spawn(&k, Some(init));
    assert_eq!((init, child), (1, 2));
    assert_eq!(k.parent_of(init), Ok(0));
    assert_eq!(k.parent_of(child), Ok(init));
    assert_eq!(k.pgid_of(child), Ok(init));
    assert_eq!(k.cwd_of(child).as_deref(), Ok("/"));
    assert_eq!(k.cred_of(child), Ok(common::user()));
    assert_eq!(k.parent_of(99), Err(KernelError::NoSuchProcess));
    assert_eq!(k.live_processes(), 2);
    // Pids are not reused.
    k.exit_process(child, WaitStatus::Exited(0));
    k.wait_child(init, Some(child), false).unwrap();
    assert_eq!(spawn(&k, Some(init)).0, 3);
}

#[test]
fn an_ended_child_is_a_zombie_until_waited() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (child, _) = spawn(&k, Some(init));
    assert_eq!(k.wait_child(init, None, true), Ok(None));
    k.exit_process(child, WaitStatus::Exited(3));
    assert_eq!(k.live_processes(), 1);
    assert_eq!(k.pgid_of(child), Ok(init), "a zombie is still in the table");
    assert_eq!(k.wait_child(init, None, false), Ok(Some((child, WaitStatus::Exited(3)))));
    assert_eq!(k.pgid_of(child), Err(KernelError::NoSuchProcess));
    assert_eq!(k.wait_child(init, None, true), Err(KernelError::NoChild));
    assert_eq!(k.wait_child(init, Some(42), true), Err(KernelError::NoChild));
}

#[test]
fn wait_blocks_until_a_child_ends() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (child, _) = spawn(&k, Some(init));
    let k2 = k.clone();
    let ender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        k2.exit_process(child, WaitStatus::Signaled(9));
    });
    assert_eq!(k.wait_child(init, Some(child), false), Ok(Some((child, WaitStatus::Signaled(9)))));
    ender.join().unwrap();
}

#[test]
fn a_blocked_wait_is_interrupted_by_a_kill() {
    let k = kernel();
    let (init, control) = spawn(&k, None);
    spawn(&k, Some(init));
    let k2 = k.clone();
    let theirs = control.clone();
    let waiter = thread::spawn(move || {
        set_current(theirs);
        let result = k2.wait_child(init, None, false);
        clear_current();
        result
    });
    thread::sleep(Duration::from_millis(50));
    let killed_at = Instant::now();
    control.kill(KillReason::Signal(2));
    assert_eq!(waiter.join().unwrap(), Err(KernelError::Interrupted));
    assert!(killed_at.elapsed() < Duration::from_millis(500));
}

#[test]
fn orphans_are_reparented_to_pid_one() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (middle, _) = spawn(&k, Some(init));
    let (grandchild, _) = spawn(&k, Some(middle));
    let (zombie, _) = spawn(&k, Some(middle));
    k.exit_process(zombie, WaitStatus::Exited(1));
    k.exit_process(middle, WaitStatus::Exited(0));
    assert_eq!(k.parent_of(grandchild), Ok(init));
    assert_eq!(k.parent_of(zombie), Ok(init));
    let mut reaped =
        vec![k.wait_child(init, None, true).unwrap().unwrap().0, k.wait_child(init, None, true).unwrap().unwrap().0];
    reaped.sort_unstable();
    assert_eq!(reaped, vec![middle, zombie]);
    assert_eq!(k.wait_child(init, None, true), Ok(None));
    k.exit_process(grandchild, WaitStatus::Exited(0));
    assert_eq!(k.wait_child(init, Some(grandchild), true), Ok(Some((grandchild, WaitStatus::Exited(0)))));
}

#[test]
fn without_pid_one_orphans_are_reaped_when_they_end() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (child, _) = spawn(&k, Some(init));
    k.exit_process(init, WaitStatus::Exited(0));
    assert_eq!(k.parent_of(init), Err(KernelError::NoSuchProcess));
    assert_eq!(k.parent_of(child), Ok(0));
    k.exit_process(child, WaitStatus::Exited(0));
    assert_eq!(k.parent_of(child), Err(KernelError::NoSuchProcess));
    assert_eq!(k.live_processes(), 0);
}

#[test]
fn the_process_limit_gives_would_block() {
    let k = common::kernel_with(vec![], 2);
    let (init, _) = spawn(&k, None);
    let (child, _) = spawn(&k, Some(init));
    let control = Arc::new(ProcessControl::new(None));
    let spec = ProcessSpec { parent: Some(init), cred: common::user(), cwd: "/".into(), control, session_line: false };
    assert_eq!(k.register_process(spec.clone()), Err(KernelError::WouldBlock));
    // A zombie still holds its entry: it counts until it is waited for.
    k.exit_process(child, WaitStatus::Exited(0));
    assert_eq!((k.live_processes(), k.process_entries()), (1, 2));
    assert_eq!(k.register_process(spec.clone()), Err(KernelError::WouldBlock));
    assert_eq!(k.wait_child(init, Some(child), true), Ok(Some((child, WaitStatus::Exited(0)))));
    assert!(k.register_process(spec).is_ok());
}

#[test]
fn wait_status_encodes_like_linux() {
    assert_eq!(WaitStatus::Exited(3).encode(), 0x300);
    assert_eq!(WaitStatus::Exited(256 + 1).encode(), 0x100);
    assert_eq!(WaitStatus::Signaled(9).encode(), 9);
}

#[test]
fn kill_ends_the_target_with_the_signal() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (child, control) = spawn(&k, Some(init));
    assert_eq!(k.kill(init, child as i32, 0), Ok(()));
    assert_eq!(control.pending(), None);
    assert_eq!(k.kill(init, child as i32, 15), Ok(()));
    assert_eq!(control.pending(), Some(KillReason::Signal(15)));
    assert_eq!(k.kill(init, 77, 15), Err(KernelError::NoSuchProcess));
    assert_eq!(k.kill(init, child as i32, 65), Err(KernelError::Invalid));
}

#[test]
fn ignored_and_stop_signals() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (child, control) = spawn(&k, Some(init));
    for signal in [17, 18, 23, 28] {
        assert_eq!(k.kill(init, child as i32, signal), Ok(()));
    }
    for signal in [19, 20, 21, 22] {
        assert_eq!(k.kill(init, child as i32, signal), Err(KernelError::NotSupported));
    }
    assert_eq!(control.pending(), None);
}

#[test]
fn an_unprivileged_process_cannot_signal_root() {
    let k = kernel();
    let (init, init_control) = spawn_as(&k, None, Cred::root());
    let (user, _) = spawn_as(&k, Some(init), common::user());
    let (other, other_control) = spawn_as(&k, Some(init), Cred::user(1001, 1001));
    assert_eq!(k.kill(user, init as i32, 9), Err(KernelError::NotPermitted));
    assert_eq!(k.kill(user, init as i32, 0), Err(KernelError::NotPermitted));
    assert_eq!(k.kill(user, other as i32, 9), Err(KernelError::NotPermitted));
    assert_eq!(init_control.pending(), None);
    // Root may signal anyone.
    assert_eq!(k.kill(init, other as i32, 9), Ok(()));
    assert_eq!(other_control.pending(), Some(KillReason::Signal(9)));
}

#[test]
fn kill_addresses_process_groups() {
    let k = kernel();
    let (init, init_control) = spawn(&k, None);
    let (a, a_control) = spawn(&k, Some(init));
    let (b, b_control) = spawn(&k, Some(a));
    let (c, c_control) = spawn(&k, Some(init));
    // a leads a new group; b (its child) joins it.
    k.set_pgid(a, 0, 0).unwrap();
    k.set_pgid(a, b, a).unwrap();
    assert_eq!((k.pgid_of(a), k.pgid_of(b)), (Ok(a), Ok(a)));
    assert_eq!(k.kill(init, -(a as i32), 15), Ok(()));
    assert_eq!(a_control.pending(), Some(KillReason::Signal(15)));
    assert_eq!(b_control.pending(), Some(KillReason::Signal(15)));
    assert_eq!(c_control.pending(), None);
    assert_eq!(k.kill(init, -50, 15), Err(KernelError::NoSuchProcess));
    // 0: the sender's own group (init and c).
    assert_eq!(k.kill(c, 0, 1), Ok(()));
    assert_eq!(init_control.pending(), Some(KillReason::Signal(1)));
    assert_eq!(c_control.pending(), Some(KillReason::Signal(1)));
}

#[test]
fn kill_minus_one_spares_pid_one_and_the_sender() {
    let k = kernel();
    let (init, init_control) = spawn(&k, None);
    let (a, a_control) = spawn(&k, Some(init));
    let (_, b_control) = spawn(&k, Some(init));
    assert_eq!(k.kill(a, -1, 9), Ok(()));
    assert_eq!(init_control.pending(), None);
    assert_eq!(a_control.pending(), None);
    assert_eq!(b_control.pending(), Some(KillReason::Signal(9)));
}

#[test]
fn a_zombie_can_be_signalled_but_is_unaffected() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (child, control) = spawn(&k, Some(init));
    k.exit_process(child, WaitStatus::Exited(0));
    assert_eq!(k.kill(init, child as i32, 9), Ok(()));
    assert_eq!(control.pending(), None);
}

#[test]
fn set_pgid_is_limited_to_self_and_children() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (a, _) = spawn(&k, Some(init));
    let (b, _) = spawn(&k, Some(init));
    assert_eq!(k.set_pgid(a, b, 0), Err(KernelError::NoSuchProcess));
    assert_eq!(k.set_pgid(a, 0, 99), Err(KernelError::NotPermitted));
    assert_eq!(k.set_pgid(init, b, 0), Ok(()));
    assert_eq!(k.pgid_of(b), Ok(b));
    assert_eq!(k.set_pgid(init, 0, b), Ok(()));
    assert_eq!(k.pgid_of(init), Ok(b));
}

#[test]
fn kill_descendants_reaches_grandchildren_only() {
    let k = kernel();
    let (init, init_control) = spawn(&k, None);
    let (a, a_control) = spawn(&k, Some(init));
    let (_, b_control) = spawn(&k, Some(a));
    k.kill_descendants(init, KillReason::WallClock);
    assert_eq!(init_control.pending(), None);
    assert_eq!(a_control.pending(), Some(KillReason::WallClock));
    assert_eq!(b_control.pending(), Some(KillReason::WallClock));
}

#[test]
fn a_child_registered_by_a_dying_parent_dies_with_it() {
    let k = kernel();
    let (init, _) = spawn(&k, None);
    let (a, a_control) = spawn(&k, Some(init));
    a_control.kill(KillReason::Signal(2));
    // `a` finishes a spawn it began before the kill reached it.
    let (_, late_control) = spawn(&k, Some(a));
    assert_eq!(late_control.pending(), Some(KillReason::Signal(2)));
    let (_, sibling_control) = spawn(&k, Some(init));
    assert_eq!(sibling_control.pending(), None);
}

#[test]
fn dup_shares_the_description_and_dup2_replaces() {
    let mut table = FdTable::new(8);
    let (r, w) = OpenFile::pipe(&capsa_kernel::Budget::new(capsa_kernel::BudgetLimits::UNLIMITED)).unwrap();
    let mut preopen = FdEntry::new(r.clone());
    preopen.preopen = Some("/".into());
    assert_eq!(table.insert(preopen).unwrap(), 0);
    assert_eq!(table.insert(FdEntry::new(w.clone())).unwrap(), 1);
    let copy = table.dup(0).unwrap();
    assert_eq!(copy, 2);
    assert!(Arc::ptr_eq(&table.file(copy).unwrap(), &r));
    assert_eq!(table.get(copy).unwrap().preopen, None);
    assert_eq!(table.dup(5), Err(KernelError::BadFd));
    table.dup2(1, 2).unwrap();
    assert!(Arc::ptr_eq(&table.file(2).unwrap(), &w));
    table.dup2(1, 1).unwrap();
    assert_eq!(table.dup2(4, 1), Err(KernelError::BadFd));
    assert_eq!(table.dup2(1, 100), Err(KernelError::BadFd));
    table.dup2(0, 6).unwrap();
    assert_eq!(table.len(), 4);
    // Closing every fd of the write end gives the reader EOF.
    table.remove(1).unwrap();
    table.remove(2).unwrap();
    drop(w);
    assert_eq!(r.read(&mut [0u8; 1]), Ok(0));
}

fn session_line(kernel: &Kernel) -> Pid {
    let control = Arc::new(ProcessControl::new(None));
    let spec = ProcessSpec { parent: None, cred: common::user(), cwd: "/".into(), control, session_line: true };
    kernel.register_process(spec).expect("register")
}

#[test]
fn a_session_lines_children_outlive_it_and_the_next_line_adopts_them() {
    let k = kernel();
    // Pid 1 is some other top process that lives on (it must not adopt).
    let (_other, _) = spawn(&k, None);
    let first = session_line(&k);
    let (running, _) = spawn(&k, Some(first));
    let (finishing, _) = spawn(&k, Some(first));
    let (grandchild, _) = spawn(&k, Some(running));
    k.exit_process(first, WaitStatus::Exited(0));
    assert_eq!(k.held_processes(), 2);
    assert_eq!(k.parent_of(running), Ok(0), "held: no parent");
    // A held process that ends stays, with its status, for the next line.
    k.exit_process(finishing, WaitStatus::Exited(7));
    assert_eq!(k.pgid_of(finishing), Ok(first));
    let second = session_line(&k);
    assert_eq!(k.held_processes(), 0);
    assert_eq!(k.parent_of(running), Ok(second));
    assert_eq!(k.wait_child(second, Some(finishing), true), Ok(Some((finishing, WaitStatus::Exited(7)))));
    assert_eq!(k.wait_child(second, Some(running), true), Ok(None));
    assert_eq!(k.parent_of(grandchild), Ok(running), "only the line's own children move");
    // An ordinary top's children are not held: pid 1 adopts them.
    let (top, _) = spawn(&k, None);
    let (child, _) = spawn(&k, Some(top));
    k.exit_process(top, WaitStatus::Exited(0));
    assert_eq!(k.held_processes(), 0);
    assert_eq!(k.parent_of(child), Ok(1));
}

#[test]
fn an_interrupt_reaches_the_foreground_group_not_a_job_in_its_own() {
    let k = kernel();
    let (top, top_control) = spawn(&k, None);
    let (foreground, fg_control) = spawn(&k, Some(top));
    let (job, job_control) = spawn(&k, Some(top));
    let (in_job, in_job_control) = spawn(&k, Some(job));
    k.set_pgid(top, job, 0).expect("a job's own group");
    k.set_pgid(job, in_job, job).expect("joins the job's group");
    k.kill_descendants_in_group(top, KillReason::Signal(2));
    assert!(fg_control.pending().is_some());
    assert!(job_control.pending().is_none() && in_job_control.pending().is_none());
    assert!(top_control.pending().is_none(), "the top itself is the caller's to end");
    let _ = (foreground, in_job);
}
