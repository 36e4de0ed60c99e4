//! `poll_oneoff`: waits for clock deadlines and fd readiness.
//!
//! Relative clock subscriptions are sleeps, not clock reads, so they work
//! without the clock grant; absolute ones compare against a clock and need it
//! (their event carries ENOSYS otherwise). While only fds are pending the call
//! re-checks readiness with a short backoff; every wait is interruptible by a
//! kill or the process's deadline.

use std::time::{Duration, Instant};

use super::SysResult;
use super::clock::clock_id;
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// Most subscriptions one call may pass; more is EINVAL. Bounds the host
/// memory a guest can make us allocate.
pub const MAX_SUBSCRIPTIONS: u32 = 4096;

const SUBSCRIPTION_SIZE: u32 = 48;
const EVENT_SIZE: u32 = 32;
const EVENTTYPE_CLOCK: u8 = 0;
const EVENTTYPE_FD_READ: u8 = 1;
const EVENTTYPE_FD_WRITE: u8 = 2;
const SUBCLOCKFLAG_ABSTIME: u16 = 1;
const EVENT_FD_READWRITE_HANGUP: u16 = 1;

/// Longest pause between readiness checks while waiting on fds.
const MAX_BACKOFF: Duration = Duration::from_millis(10);

enum Interest {
    Clock(Result<Instant, Errno>),
    Read(u32),
    Write(u32),
}

struct Subscription {
    userdata: u64,
    interest: Interest,
}

struct Event {
    userdata: u64,
    error: Errno,
    kind: u8,
    nbytes: u64,
    hangup: bool,
}

fn parse(ctx: &WasiCtx, mem: &GuestMemory<'_>, subs: u32, count: u32) -> SysResult<Vec<Subscription>> {
    let mut parsed = Vec::with_capacity(count as usize);
    for i in 0..count {
        let at = subs.checked_add(i * SUBSCRIPTION_SIZE).ok_or(Errno::Inval)?;
        let raw = mem.slice(at, SUBSCRIPTION_SIZE)?;
        let userdata = u64::from_le_bytes(raw[0..8].try_into().map_err(|_| Errno::Inval)?);
        let word =
            |range: std::ops::Range<usize>| raw[range].iter().rev().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let interest = match raw[8] {
            EVENTTYPE_CLOCK => {
                let id = word(16..20) as u32;
                let timeout = word(24..32);
                let flags = word(40..42) as u16;
                Interest::Clock(clock_deadline(ctx, id, timeout, flags & SUBCLOCKFLAG_ABSTIME != 0))
            }
            EVENTTYPE_FD_READ => Interest::Read(word(16..20) as u32),
            EVENTTYPE_FD_WRITE => Interest::Write(word(16..20) as u32),
            _ => return Err(Errno::Inval.into()),
        };
        parsed.push(Subscription { userdata, interest });
    }
    Ok(parsed)
}

fn clock_deadline(ctx: &WasiCtx, id: u32, timeout: u64, absolute: bool) -> Result<Instant, Errno> {
    let id = clock_id(id)?;
    let now = Instant::now();
    let wait = if absolute {
        let clock_now = ctx.kernel.clock_time(id).map_err(|e| crate::errno::errno_of(&e))?;
        Duration::from_nanos(timeout.saturating_sub(clock_now))
    } else {
        Duration::from_nanos(timeout)
    };
    // A deadline too far to represent is as good as never.
    Ok(now.checked_add(wait).unwrap_or(now + Duration::from_secs(86_400 * 365)))
}

fn ready_events(ctx: &WasiCtx, subs: &[Subscription], now: Instant) -> Vec<Event> {
    let mut events = Vec::new();
    for sub in subs {
        let event = |error, kind, nbytes, hangup| Event { userdata: sub.userdata, error, kind, nbytes, hangup };
        match &sub.interest {
            Interest::Clock(Err(errno)) => events.push(event(*errno, EVENTTYPE_CLOCK, 0, false)),
            Interest::Clock(Ok(deadline)) if *deadline <= now => {
                events.push(event(Errno::Success, EVENTTYPE_CLOCK, 0, false))
            }
            Interest::Clock(Ok(_)) => {}
            Interest::Read(fd) | Interest::Write(fd) => {
                let kind =
                    if matches!(sub.interest, Interest::Read(_)) { EVENTTYPE_FD_READ } else { EVENTTYPE_FD_WRITE };
                match ctx.fds.file(*fd) {
                    Err(err) => events.push(event(crate::errno::errno_of(&err), kind, 0, false)),
                    Ok(file) => {
                        let readiness = file.readiness();
                        let ready = if kind == EVENTTYPE_FD_READ { readiness.readable } else { readiness.writable };
                        if ready.is_some() || readiness.hangup {
                            events.push(event(Errno::Success, kind, ready.unwrap_or(0), readiness.hangup));
                        }
                    }
                }
            }
        }
    }
    events
}

/// `poll_oneoff(in, out, nsubscriptions) -> nevents`.
pub fn poll_oneoff(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    subs: u32,
    events_out: u32,
    count: u32,
    out: u32,
) -> SysResult<()> {
    if count == 0 || count > MAX_SUBSCRIPTIONS {
        return Err(Errno::Inval.into());
    }
    // Check the output area up front so a bad pointer traps before we wait.
    mem.slice(events_out, count * EVENT_SIZE)?;
    let subs = parse(ctx, mem, subs, count)?;
    let has_fds = subs.iter().any(|s| !matches!(s.interest, Interest::Clock(_)));
    let mut backoff = Duration::from_micros(50);
    let events = loop {
        let now = Instant::now();
        let events = ready_events(ctx, &subs, now);
        if !events.is_empty() {
            break events;
        }
        let next_clock = subs
            .iter()
            .filter_map(|s| match s.interest {
                Interest::Clock(Ok(deadline)) => Some(deadline),
                _ => None,
            })
            .min();
        let mut wait = next_clock.map_or(Duration::MAX, |d| d.saturating_duration_since(now));
        if has_fds {
            wait = wait.min(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
        ctx.control.sleep(wait)?;
    };
    for (i, event) in events.iter().enumerate() {
        let mut raw = [0u8; EVENT_SIZE as usize];
        raw[0..8].copy_from_slice(&event.userdata.to_le_bytes());
        raw[8..10].copy_from_slice(&(event.error.raw() as u16).to_le_bytes());
        raw[10] = event.kind;
        raw[16..24].copy_from_slice(&event.nbytes.to_le_bytes());
        let flags = if event.hangup { EVENT_FD_READWRITE_HANGUP } else { 0 };
        raw[24..26].copy_from_slice(&flags.to_le_bytes());
        mem.write_bytes(events_out + i as u32 * EVENT_SIZE, &raw)?;
    }
    mem.write_u32(out, events.len() as u32)?;
    Ok(())
}
