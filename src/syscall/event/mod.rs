//! epoll, and (in `fds`) eventfd, timerfd and signalfd.
//!
//! A guest epoll is a host epoll: `epoll_ctl` hands the host the target's
//! host descriptor and the guest's `data` untouched, and `epoll_wait`
//! copies the host's events out as they are. So every descriptor that is a
//! host descriptor (files, pipes, sockets, eventfds, timerfds, signalfds'
//! doorbells, other epolls) works in an epoll with the host's own
//! semantics: level, edge, one-shot, nesting and its loop checks.
//!
//! Approximate: the host keys a registration by its host descriptor, and
//! guest descriptors dup'ed from one another share one, so adding two such
//! guest descriptors to one epoll is EEXIST (Linux keys by descriptor
//! number and would take both). Events the host reported but the guest's
//! buffer could not take (EFAULT) are not put back for edge-triggered and
//! one-shot registrations.

mod fds;
mod inotify;
pub(crate) mod show;

pub(crate) use inotify::{sys_inotify_add_watch, sys_inotify_init, sys_inotify_init1, sys_inotify_rm_watch};

pub(crate) use fds::{
    read_emulated, readv_emulated, sys_eventfd, sys_eventfd2, sys_signalfd, sys_signalfd4, sys_timerfd_create,
    sys_timerfd_gettime, sys_timerfd_settime,
};

use super::args::{EpollEventIn, EpollEventsOut, Fd, IntFlags, SigSetIn, TimespecIn, UserPtr};
use super::SyscallCtx;
use crate::abi::consts::TASK_SIZE;
use crate::abi::event::{EpollEvent, EPOLL_CLOEXEC, EPOLL_CTL_DEL, EP_MAX_EVENTS};
use crate::arch::host::Wait;
use crate::arch::hostevent;
use crate::errno::{Errno, SysResult};
use crate::fs::OpenFile;
use std::time::{Duration, Instant};

/// The most events one host wait collects (fewer than were asked for is
/// what epoll_wait may always return).
const HOST_BATCH: usize = 1024;
const EVENT_SIZE: u64 = std::mem::size_of::<EpollEvent>() as u64;

pub(crate) fn sys_epoll_create(ctx: &mut SyscallCtx<'_>, size: i32) -> SysResult {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    new_epoll(ctx, false)
}

/// epoll_create1's flags: EPOLL_CLOEXEC or nothing. Whether it is
/// close-on-exec.
fn epoll_create1_cloexec(flags: IntFlags) -> SysResult<bool> {
    let flags = flags.0 as i32;
    if flags & !EPOLL_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(flags & EPOLL_CLOEXEC != 0)
}

pub(crate) fn sys_epoll_create1(ctx: &mut SyscallCtx<'_>, flags: IntFlags) -> SysResult {
    let cloexec = epoll_create1_cloexec(flags)?;
    new_epoll(ctx, cloexec)
}

fn new_epoll(ctx: &mut SyscallCtx<'_>, cloexec: bool) -> SysResult {
    ctx.check_free_fds(1)?;
    let fd = hostevent::epoll_create().map_err(|e| super::host_table_full_is_enfile(e.into()))?;
    ctx.install(OpenFile::host(fd, b"anon_inode:[eventpoll]".to_vec()), cloexec)
}

/// epoll_ctl: Linux's checks in Linux's order (the event is read first,
/// then both descriptors; a target that cannot be polled is EPERM, an
/// epoll that is not one EINVAL); the host does the rest (EEXIST, ENOENT,
/// ELOOP, EPOLLEXCLUSIVE's rules).
pub(crate) fn sys_epoll_ctl(
    ctx: &mut SyscallCtx<'_>,
    epfd: Fd,
    op: i32,
    fd: Fd,
    event: UserPtr<EpollEventIn>,
) -> SysResult {
    let ev = if op != EPOLL_CTL_DEL { Some(ctx.user().read_val::<EpollEvent>(event.addr())?) } else { None };
    let ep = ctx.file(epfd.0 as u64)?;
    let target = ctx.file(fd.0 as u64)?;
    // Generated files (/proc) have no host descriptor: Linux's regular
    // files cannot be polled either.
    let target_host = target.host_fd().map_err(|_| Errno::EPERM)?;
    let ep_host = ep.host_fd().map_err(|_| Errno::EINVAL)?;
    // A signalfd's readiness is its reader's: this process waits for it now.
    if let Some(s) = target.emulated().and_then(crate::kernel::signalfd::of) {
        s.adopt(&ctx.task.process);
    }
    hostevent::epoll_ctl(ep_host, op, target_host, ev.as_ref())?;
    Ok(0)
}

/// epoll_wait's buffer: a count Linux takes, in user space.
fn check_events(events: u64, maxevents: i32) -> SysResult<usize> {
    if maxevents <= 0 || maxevents > EP_MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let len = maxevents as u64 * EVENT_SIZE;
    if events.checked_add(len).is_none_or(|end| end > TASK_SIZE) {
        return Err(Errno::EFAULT);
    }
    Ok(maxevents as usize)
}

/// The milliseconds of a host wait for `left` (rounded up, so the wait
/// never ends early); -1 for ever.
fn host_timeout_ms(left: Option<Duration>) -> i32 {
    match left {
        None => -1,
        Some(d) => d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as i32,
    }
}

/// The wait of epoll_wait, epoll_pwait and epoll_pwait2 (`timeout` None:
/// for ever). Ready events are returned even with a signal pending; a
/// signal ends a wait with EINTR (epoll_wait is never restarted), unless
/// the time is up first.
fn epoll_wait(ctx: &mut SyscallCtx<'_>, epfd: Fd, events: u64, maxevents: i32, timeout: Option<Duration>) -> SysResult {
    let max = check_events(events, maxevents)?;
    let ep = ctx.file(epfd.0 as u64)?;
    let host = ep.host_fd().map_err(|_| Errno::EINVAL)?;
    let mut buf = vec![EpollEvent::default(); max.min(HOST_BATCH)];
    let deadline = timeout.map(super::deadline_in);
    ctx.park_fixed();
    let n = loop {
        ctx.task.vcpu.clear_kick();
        let interrupted = ctx.signal_pending();
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let wait = if interrupted { Some(Duration::ZERO) } else { left };
        match hostevent::epoll_wait(host, &mut buf, host_timeout_ms(wait), Wait::Interruptible) {
            Ok(0) if left == Some(Duration::ZERO) => return Ok(0),
            Ok(0) if interrupted => return Err(Errno::EINTR),
            // Short of the deadline (the host rounds): the next turn knows.
            Ok(0) => {}
            Ok(n) => break n,
            // A kick: look at what is pending.
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    };
    ctx.resume_fixed(Errno::EINTR)?;
    // Like Linux: what was copied counts; a bad first event is EFAULT.
    for (i, e) in buf[..n].iter().enumerate() {
        if let Err(err) = ctx.user().write_val(events + i as u64 * EVENT_SIZE, *e) {
            return if i == 0 { Err(err) } else { Ok(i as u64) };
        }
    }
    Ok(n as u64)
}

/// epoll_wait's `int` milliseconds: negative waits for ever.
fn ms_timeout(timeout: i32) -> Option<Duration> {
    (timeout >= 0).then(|| Duration::from_millis(timeout as u64))
}

pub(crate) fn sys_epoll_wait(
    ctx: &mut SyscallCtx<'_>,
    epfd: Fd,
    events: UserPtr<EpollEventsOut>,
    maxevents: i32,
    timeout: i32,
) -> SysResult {
    epoll_wait(ctx, epfd, events.addr(), maxevents, ms_timeout(timeout))
}

/// epoll_pwait and epoll_pwait2 wait with a temporary signal mask, as
/// ppoll does; it stays in force until a handler for the interrupting
/// signal has been set up (the frame then restores the old one).
fn with_wait_mask(
    ctx: &mut SyscallCtx<'_>,
    mask: UserPtr<SigSetIn>,
    size: usize,
    op: impl FnOnce(&mut SyscallCtx<'_>) -> SysResult,
) -> SysResult {
    if mask.is_null() {
        return op(ctx);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let set: u64 = ctx.user().read_val(mask.addr())?;
    let old = ctx.task.sigmask();
    ctx.task.set_sigmask(set);
    let r = op(ctx);
    if r == Err(Errno::EINTR) {
        ctx.task.saved_sigmask = Some(old);
    } else {
        ctx.task.set_sigmask(old);
    }
    r
}

pub(crate) fn sys_epoll_pwait(
    ctx: &mut SyscallCtx<'_>,
    epfd: Fd,
    events: UserPtr<EpollEventsOut>,
    maxevents: i32,
    timeout: i32,
    sigmask: UserPtr<SigSetIn>,
    sigsetsize: usize,
) -> SysResult {
    with_wait_mask(ctx, sigmask, sigsetsize, |ctx| epoll_wait(ctx, epfd, events.addr(), maxevents, ms_timeout(timeout)))
}

pub(crate) fn sys_epoll_pwait2(
    ctx: &mut SyscallCtx<'_>,
    epfd: Fd,
    events: UserPtr<EpollEventsOut>,
    maxevents: i32,
    timeout: UserPtr<TimespecIn>,
    sigmask: UserPtr<SigSetIn>,
    sigsetsize: usize,
) -> SysResult {
    let timeout = if timeout.is_null() {
        None
    } else {
        let (sec, nsec) = ctx.read_timespec(timeout.addr())?;
        Some(Duration::new(sec as u64, nsec as u32))
    };
    with_wait_mask(ctx, sigmask, sigsetsize, |ctx| epoll_wait(ctx, epfd, events.addr(), maxevents, timeout))
}

#[cfg(test)]
mod tests;
