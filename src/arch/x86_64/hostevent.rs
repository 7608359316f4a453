//! Host epoll, eventfd and timerfd: what guest epoll, eventfd, timerfd and
//! signalfd descriptors are made of. Buffers here are host memory; the
//! handlers copy to and from guest memory.

use super::host::{call, Wait};
use crate::abi::event::{EpollEvent, Itimerspec, EFD_CLOEXEC, EPOLL_CLOEXEC, TFD_CLOEXEC};
use std::io::Result;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

fn owned(rc: Result<libc::c_long>) -> Result<OwnedFd> {
    let fd = rc? as RawFd;
    // SAFETY: the syscall just returned this fresh descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// epoll_create1(2); close-on-exec on the host (the guest's close-on-exec
/// lives in its descriptor table).
pub(crate) fn epoll_create() -> Result<OwnedFd> {
    // SAFETY: no pointers.
    owned(unsafe { call(libc::SYS_epoll_create1, [EPOLL_CLOEXEC as u64, 0, 0, 0, 0, 0], Wait::Uninterruptible) })
}

/// epoll_ctl(2) on host descriptors; `event` is None for a NULL pointer.
pub(crate) fn epoll_ctl(epfd: RawFd, op: i32, fd: RawFd, event: Option<&EpollEvent>) -> Result<()> {
    let p = event.map_or(0, |e| e as *const EpollEvent as u64);
    let args = [epfd as u64, op as u64, fd as u64, p, 0, 0];
    // SAFETY: p is null or a live epoll_event the kernel only reads.
    unsafe { call(libc::SYS_epoll_ctl, args, Wait::Uninterruptible) }.map(drop)
}

/// epoll_wait(2) into a host buffer; `timeout_ms` -1 waits for ever. Waits
/// as asked.
pub(crate) fn epoll_wait(epfd: RawFd, events: &mut [EpollEvent], timeout_ms: i32, wait: Wait) -> Result<usize> {
    let n = events.len().min(i32::MAX as usize);
    let args = [epfd as u64, events.as_mut_ptr() as u64, n as u64, timeout_ms as u64, 0, 0];
    // SAFETY: events is a live array of at least n epoll_events.
    unsafe { call(libc::SYS_epoll_wait, args, wait) }.map(|n| n as usize)
}

/// eventfd2(2), close-on-exec on the host.
pub(crate) fn eventfd(count: u32, flags: i32) -> Result<OwnedFd> {
    let args = [count as u64, (flags | EFD_CLOEXEC) as u64, 0, 0, 0, 0];
    // SAFETY: no pointers.
    owned(unsafe { call(libc::SYS_eventfd2, args, Wait::Uninterruptible) })
}

/// Adds to an eventfd's counter (a write that never waits: the caller keeps
/// the counter small).
pub(crate) fn eventfd_add(fd: RawFd, n: u64) -> Result<()> {
    let args = [fd as u64, &n as *const u64 as u64, 8, 0, 0, 0];
    // SAFETY: n is a live u64 the kernel only reads.
    unsafe { call(libc::SYS_write, args, Wait::Uninterruptible) }.map(drop)
}

/// Reads an eventfd's counter (which resets it): only when it is readable,
/// or the read would wait.
pub(crate) fn eventfd_take(fd: RawFd) -> Result<u64> {
    let mut n = 0u64;
    let args = [fd as u64, &mut n as *mut u64 as u64, 8, 0, 0, 0];
    // SAFETY: n is a live u64 the kernel fills.
    unsafe { call(libc::SYS_read, args, Wait::Uninterruptible) }?;
    Ok(n)
}

/// Whether a host descriptor is readable now (a poll that never waits,
/// safe on any thread).
pub(crate) fn readable_now(fd: RawFd) -> Result<bool> {
    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let zero = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    let args = [&mut p as *mut libc::pollfd as u64, 1, &zero as *const libc::timespec as u64, 0, 8, 0];
    // SAFETY: p is one live pollfd; zero a live timespec.
    unsafe { call(libc::SYS_ppoll, args, Wait::Uninterruptible) }?;
    Ok(p.revents & libc::POLLIN != 0)
}

/// A second host descriptor for the same open file, close-on-exec.
pub(crate) fn dup(fd: RawFd) -> Result<OwnedFd> {
    // SAFETY: no pointers.
    owned(unsafe {
        call(libc::SYS_fcntl, [fd as u64, libc::F_DUPFD_CLOEXEC as u64, 0, 0, 0, 0], Wait::Uninterruptible)
    })
}

/// timerfd_create(2), close-on-exec on the host.
pub(crate) fn timerfd_create(clock: i32, flags: i32) -> Result<OwnedFd> {
    let args = [clock as u64, (flags | TFD_CLOEXEC) as u64, 0, 0, 0, 0];
    // SAFETY: no pointers.
    owned(unsafe { call(libc::SYS_timerfd_create, args, Wait::Uninterruptible) })
}

/// timerfd_settime(2): arms (or disarms) the timer; returns the old
/// setting.
pub(crate) fn timerfd_settime(fd: RawFd, flags: i32, new: &Itimerspec) -> Result<Itimerspec> {
    let mut old = Itimerspec::default();
    let args = [fd as u64, flags as u64, new as *const Itimerspec as u64, &mut old as *mut Itimerspec as u64, 0, 0];
    // SAFETY: new and old are live itimerspecs (read and written).
    unsafe { call(libc::SYS_timerfd_settime, args, Wait::Uninterruptible) }?;
    Ok(old)
}

/// timerfd_gettime(2).
pub(crate) fn timerfd_gettime(fd: RawFd) -> Result<Itimerspec> {
    let mut cur = Itimerspec::default();
    let args = [fd as u64, &mut cur as *mut Itimerspec as u64, 0, 0, 0, 0];
    // SAFETY: cur is a live itimerspec the kernel fills.
    unsafe { call(libc::SYS_timerfd_gettime, args, Wait::Uninterruptible) }?;
    Ok(cur)
}

/// inotify_init1(2), close-on-exec on the host.
pub(crate) fn inotify_init(flags: i32) -> Result<OwnedFd> {
    let args = [(flags | crate::abi::event::IN_CLOEXEC) as u64, 0, 0, 0, 0, 0];
    // SAFETY: no pointers.
    owned(unsafe { call(libc::SYS_inotify_init1, args, Wait::Uninterruptible) })
}

/// inotify_add_watch(2) of what `path` names (a path through a
/// descriptor of the machine's own walk).
pub(crate) fn inotify_add_watch(fd: RawFd, path: &std::ffi::CStr, mask: u32) -> Result<i32> {
    let args = [fd as u64, path.as_ptr() as u64, u64::from(mask), 0, 0, 0];
    // SAFETY: path is a live NUL-terminated string.
    unsafe { call(libc::SYS_inotify_add_watch, args, Wait::Uninterruptible) }.map(|n| n as i32)
}

pub(crate) fn inotify_rm_watch(fd: RawFd, wd: i32) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { call(libc::SYS_inotify_rm_watch, [fd as u64, wd as u64, 0, 0, 0, 0], Wait::Uninterruptible) }.map(drop)
}

/// Puts one byte in a pipe used as a doorbell (its read end then polls
/// readable, and never writable). The caller keeps at most one byte in it,
/// so the write never waits.
pub(crate) fn doorbell_ring(tx: RawFd) -> Result<()> {
    let byte = 1u8;
    // SAFETY: byte is a live u8 the kernel only reads.
    unsafe { call(libc::SYS_write, [tx as u64, &byte as *const u8 as u64, 1, 0, 0, 0], Wait::Uninterruptible) }
        .map(drop)
}

/// Takes the byte out of a pipe doorbell: only when it is readable, or
/// the read would wait.
pub(crate) fn doorbell_hush(rx: RawFd) -> Result<()> {
    let mut byte = 0u8;
    // SAFETY: byte is a live u8 the kernel fills.
    unsafe { call(libc::SYS_read, [rx as u64, &mut byte as *mut u8 as u64, 1, 0, 0, 0], Wait::Uninterruptible) }
        .map(drop)
}
