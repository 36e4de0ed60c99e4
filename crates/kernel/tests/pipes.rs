//! Pipes: data flow, EOF and EPIPE by description counts, the bounded
//! buffer, non-blocking mode, readiness, and interruption by a kill.

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use capsa_kernel::control::clear_current;
use capsa_kernel::{
    Budget, BudgetLimits, FileType, KernelError, KillReason, OpenFile, PIPE_CAPACITY, PIPE_CHARGE, ProcessControl,
    StatusFlags, set_current,
};

/// A pipe outside any VM's budget.
fn pipe() -> (Arc<OpenFile>, Arc<OpenFile>) {
    OpenFile::pipe(&Budget::new(BudgetLimits::UNLIMITED)).expect("pipe")
}

fn nonblocking(file: &OpenFile) {
    file.set_status_flags(StatusFlags { nonblock: true, ..StatusFlags::default() }).unwrap();
}

#[test]
fn bytes_flow_from_the_write_end_to_the_read_end() {
    let (r, w) = pipe();
    assert_eq!(w.write(b"hello").unwrap(), 5);
    let mut buf = [0u8; 3];
    assert_eq!(r.read(&mut buf).unwrap(), 3);
    assert_eq!(&buf, b"hel");
    assert_eq!(r.read(&mut buf).unwrap(), 2);
    assert_eq!(&buf[..2], b"lo");
}

#[test]
fn read_returns_eof_after_the_last_writer_is_dropped() {
    let (r, w) = pipe();
    let w2 = w.clone(); // a dup: the same description
    w.write(b"x").unwrap();
    drop(w);
    let mut buf = [0u8; 4];
    assert_eq!(r.read(&mut buf).unwrap(), 1);
    nonblocking(&r);
    assert_eq!(r.read(&mut buf).err(), Some(KernelError::WouldBlock));
    drop(w2);
    assert_eq!(r.read(&mut buf).unwrap(), 0);
}

#[test]
fn write_fails_with_broken_pipe_after_the_last_reader_is_dropped() {
    let (r, w) = pipe();
    drop(r);
    assert_eq!(w.write(b"x").err(), Some(KernelError::BrokenPipe));
    assert!(w.readiness().hangup);
}

#[test]
fn dropping_the_last_writer_wakes_a_blocked_reader() {
    let (r, w) = pipe();
    let reader = thread::spawn(move || r.read(&mut [0u8; 8]));
    thread::sleep(Duration::from_millis(50));
    drop(w);
    assert_eq!(reader.join().unwrap(), Ok(0));
}

#[test]
fn a_full_pipe_blocks_the_writer_until_the_reader_drains_it() {
    let (r, w) = pipe();
    let total = PIPE_CAPACITY * 4;
    let writer = thread::spawn(move || {
        let data = vec![7u8; total];
        w.write(&data)
    });
    thread::sleep(Duration::from_millis(50));
    // The writer is blocked with exactly a full buffer.
    assert_eq!(r.stat().unwrap().size, PIPE_CAPACITY as u64);
    assert!(!writer.is_finished());
    let mut got = 0;
    let mut buf = vec![0u8; 10_000];
    while got < total {
        let n = r.read(&mut buf).unwrap();
        assert!(n > 0);
        assert!(r.stat().unwrap().size <= PIPE_CAPACITY as u64);
        got += n;
    }
    assert_eq!(writer.join().unwrap(), Ok(total));
    assert_eq!(got, total);
}

#[test]
fn nonblocking_ends_give_would_block_or_a_partial_write() {
    let (r, w) = pipe();
    nonblocking(&r);
    nonblocking(&w);
    assert_eq!(r.read(&mut [0u8; 1]).err(), Some(KernelError::WouldBlock));
    let big = vec![1u8; PIPE_CAPACITY + 100];
    assert_eq!(w.write(&big).unwrap(), PIPE_CAPACITY);
    assert_eq!(w.write(b"x").err(), Some(KernelError::WouldBlock));
    // A small write is atomic: no room for all of it means none of it.
    r.read(&mut [0u8; 10]).unwrap();
    assert_eq!(w.write(&[0u8; 11]).err(), Some(KernelError::WouldBlock));
    assert_eq!(w.write(&[0u8; 10]).unwrap(), 10);
}

#[test]
fn readiness_reports_bytes_room_and_hangup() {
    let (r, w) = pipe();
    let ready = r.readiness();
    assert_eq!((ready.readable, ready.writable, ready.hangup), (None, None, false));
    assert_eq!(w.readiness().writable, Some(PIPE_CAPACITY as u64));
    w.write(b"abc").unwrap();
    assert_eq!(r.readiness().readable, Some(3));
    assert_eq!(w.readiness().writable, Some(PIPE_CAPACITY as u64 - 3));
    drop(w);
    let ready = r.readiness();
    assert_eq!((ready.readable, ready.hangup), (Some(3), true));
}

#[test]
fn pipes_are_unseekable_fifos_with_one_access_mode_per_end() {
    let (r, w) = pipe();
    assert_eq!(r.file_type(), FileType::Fifo);
    assert_eq!(w.stat().unwrap().file_type, FileType::Fifo);
    assert!(r.can_read() && !r.can_write());
    assert!(w.can_write() && !w.can_read());
    assert!(!r.is_seekable() && !r.is_tty());
    assert_eq!(r.seek(std::io::SeekFrom::Start(0)).err(), Some(KernelError::IllegalSeek));
    assert_eq!(w.pwrite(b"x", 0).err(), Some(KernelError::IllegalSeek));
    assert_eq!(r.write(b"x").err(), Some(KernelError::BadFd));
    assert_eq!(w.read(&mut [0u8; 1]).err(), Some(KernelError::BadFd));
}

#[test]
fn a_blocked_read_is_interrupted_promptly_by_a_kill() {
    let (r, _w) = pipe();
    let control = Arc::new(ProcessControl::new(None));
    let theirs = control.clone();
    let reader = thread::spawn(move || {
        set_current(theirs);
        let result = r.read(&mut [0u8; 8]);
        clear_current();
        result
    });
    thread::sleep(Duration::from_millis(50));
    let killed_at = Instant::now();
    control.kill(KillReason::Signal(15));
    assert_eq!(reader.join().unwrap(), Err(KernelError::Interrupted));
    assert!(killed_at.elapsed() < Duration::from_millis(500));
}

#[test]
fn a_blocked_write_interrupted_after_some_bytes_returns_the_count() {
    let (_r, w) = pipe();
    let control = Arc::new(ProcessControl::new(None));
    let theirs = control.clone();
    let writer = thread::spawn(move || {
        set_current(theirs);
        w.write(&vec![0u8; PIPE_CAPACITY + 1])
    });
    thread::sleep(Duration::from_millis(50));
    control.kill(KillReason::WallClock);
    assert_eq!(writer.join().unwrap(), Ok(PIPE_CAPACITY));
}

#[test]
fn pipes_are_charged_to_the_budget_until_both_ends_go() {
    let budget = Budget::new(BudgetLimits { memory: 2 * PIPE_CHARGE + 10, ..BudgetLimits::UNLIMITED });
    let (r1, w1) = OpenFile::pipe(&budget).expect("first");
    let (r2, w2) = OpenFile::pipe(&budget).expect("second");
    assert_eq!(OpenFile::pipe(&budget).err(), Some(KernelError::NoMemory));
    assert_eq!(budget.usage().memory, 2 * PIPE_CHARGE);
    drop((r1, w2));
    assert_eq!(budget.usage().memory, 2 * PIPE_CHARGE, "one end of each still lives");
    drop(w1);
    assert_eq!(budget.usage().memory, PIPE_CHARGE);
    drop(r2);
    assert_eq!(budget.usage().memory, 0);
    assert!(OpenFile::pipe(&budget).is_ok());
}
