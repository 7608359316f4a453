//! eventfd and timerfd (host descriptors: reads, writes and readiness are
//! the host's), and signalfd (the kernel's own, over a host eventfd that
//! carries its readiness: `kernel::signalfd`).

use super::super::args::{Fd, IntFlags, ItimerspecIn, ItimerspecOut, SigSetIn, UserPtr};
use super::super::SyscallCtx;
use crate::abi::event::{
    Itimerspec, EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE, SFD_CLOEXEC, SFD_NONBLOCK, TFD_CLOEXEC, TFD_NONBLOCK,
    TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET,
};
use crate::abi::types::Timespec;
use crate::arch::{host, hostevent};
use crate::errno::{Errno, SysResult};
use crate::fs::OpenFile;
use crate::kernel::signal::{SigInfo, SigSet};
use crate::kernel::signalfd::{self, SignalFd};
use std::sync::Arc;

/// A new event descriptor made by `make` (a host call), installed with
/// `cloexec`: EMFILE before the host is asked, ENFILE when the host's
/// table is full.
pub(super) fn install_new(
    ctx: &SyscallCtx<'_>,
    path: &[u8],
    cloexec: bool,
    make: impl FnOnce() -> std::io::Result<std::os::fd::OwnedFd>,
) -> SysResult {
    ctx.check_free_fds(1)?;
    let fd = make().map_err(|e| super::super::host_table_full_is_enfile(e.into()))?;
    ctx.install(OpenFile::host_waiting(fd, path.to_vec(), None), cloexec)
}

/// eventfd2's flags: the host's flags and whether it is close-on-exec.
pub(super) fn eventfd_flags(flags: IntFlags) -> SysResult<(i32, bool)> {
    let flags = flags.0 as i32;
    if flags & !(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok((flags & !EFD_CLOEXEC, flags & EFD_CLOEXEC != 0))
}

pub(crate) fn sys_eventfd2(ctx: &mut SyscallCtx<'_>, count: u32, flags: IntFlags) -> SysResult {
    let (host_flags, cloexec) = eventfd_flags(flags)?;
    install_new(ctx, b"anon_inode:[eventfd]", cloexec, || hostevent::eventfd(count, host_flags))
}

pub(crate) fn sys_eventfd(ctx: &mut SyscallCtx<'_>, count: u32) -> SysResult {
    sys_eventfd2(ctx, count, IntFlags(0))
}

use crate::abi::time::{CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM};

/// timerfd_create's clock and flags (checked together, as Linux does): the
/// host's flags and whether it is close-on-exec.
pub(super) fn timerfd_args(clock: i32, flags: IntFlags) -> SysResult<(i32, bool)> {
    let flags = flags.0 as i32;
    let clocks = [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM];
    if flags & !(TFD_CLOEXEC | TFD_NONBLOCK) != 0 || !clocks.contains(&clock) {
        return Err(Errno::EINVAL);
    }
    Ok((flags & !TFD_CLOEXEC, flags & TFD_CLOEXEC != 0))
}

pub(crate) fn sys_timerfd_create(ctx: &mut SyscallCtx<'_>, clockid: i32, flags: IntFlags) -> SysResult {
    let (host_flags, cloexec) = timerfd_args(clockid, flags)?;
    install_new(ctx, b"anon_inode:[timerfd]", cloexec, || hostevent::timerfd_create(clockid, host_flags))
}

fn valid_timespec(t: &Timespec) -> bool {
    t.tv_sec >= 0 && (0..1_000_000_000).contains(&t.tv_nsec)
}

/// timerfd_settime's flags and new setting.
pub(super) fn check_settime(flags: IntFlags, new: &Itimerspec) -> SysResult<i32> {
    let flags = flags.0 as i32;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0
        || !valid_timespec(&new.it_value)
        || !valid_timespec(&new.it_interval)
    {
        return Err(Errno::EINVAL);
    }
    Ok(flags)
}

/// The host descriptor of a guest descriptor that may be a timerfd (the
/// host says EINVAL if it is not; generated files have none: EINVAL too).
fn timer_host_fd(ctx: &SyscallCtx<'_>, fd: Fd) -> SysResult<(Arc<OpenFile>, i32)> {
    let f = ctx.file(fd.0 as u64)?;
    let h = f.host_fd().map_err(|_| Errno::EINVAL)?;
    Ok((f, h))
}

pub(crate) fn sys_timerfd_settime(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    flags: IntFlags,
    new_value: UserPtr<ItimerspecIn>,
    old_value: UserPtr<ItimerspecOut>,
) -> SysResult {
    let new: Itimerspec = ctx.user().read_val(new_value.addr())?;
    let flags = check_settime(flags, &new)?;
    let (_f, h) = timer_host_fd(ctx, fd)?;
    let old = hostevent::timerfd_settime(h, flags, &new)?;
    if !old_value.is_null() {
        ctx.user().write_val(old_value.addr(), old)?;
    }
    Ok(0)
}

pub(crate) fn sys_timerfd_gettime(ctx: &mut SyscallCtx<'_>, fd: Fd, curr_value: UserPtr<ItimerspecOut>) -> SysResult {
    let (_f, h) = timer_host_fd(ctx, fd)?;
    let cur = hostevent::timerfd_gettime(h)?;
    ctx.user().write_val(curr_value.addr(), cur)?;
    Ok(0)
}

/// signalfd4's size, mask and flags, in Linux's order: the signals it
/// reads, the host flags of its doorbell, and whether it is close-on-exec.
fn signalfd_args(
    ctx: &SyscallCtx<'_>,
    mask: UserPtr<SigSetIn>,
    size: usize,
    flags: IntFlags,
) -> SysResult<(SigSet, i32, bool)> {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let set: SigSet = ctx.user().read_val(mask.addr())?;
    let flags = flags.0 as i32;
    if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok((set, flags & SFD_NONBLOCK, flags & SFD_CLOEXEC != 0))
}

pub(crate) fn sys_signalfd4(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    mask: UserPtr<SigSetIn>,
    sizemask: usize,
    flags: IntFlags,
) -> SysResult {
    let (set, host_flags, cloexec) = signalfd_args(ctx, mask, sizemask, flags)?;
    if fd.0 != -1 {
        // A new mask for an existing signalfd (its flags stay).
        let f = ctx.file(fd.0 as u64)?;
        let s = f.emulated().and_then(signalfd::of).ok_or(Errno::EINVAL)?;
        s.set_mask(set, &ctx.task.process);
        return Ok(fd.0 as u64);
    }
    ctx.check_free_fds(1)?;
    let enfile = |e: std::io::Error| super::super::host_table_full_is_enfile(e.into());
    let doorbell = hostevent::eventfd(0, host_flags).map_err(enfile)?;
    let state = SignalFd::new(std::os::fd::AsRawFd::as_raw_fd(&doorbell), set, &ctx.task.process).map_err(enfile)?;
    ctx.install(OpenFile::host_waiting(doorbell, b"anon_inode:[signalfd]".to_vec(), Some(state)), cloexec)
}

pub(crate) fn sys_signalfd(ctx: &mut SyscallCtx<'_>, fd: Fd, mask: UserPtr<SigSetIn>, sizemask: usize) -> SysResult {
    sys_signalfd4(ctx, fd, mask, sizemask, IntFlags(0))
}

const SIGINFO_SIZE: usize = std::mem::size_of::<crate::abi::event::SignalfdSiginfo>();

/// Takes a pending signal of `set` the calling thread may take: its own
/// first, then its process's.
fn take(ctx: &SyscallCtx<'_>, set: SigSet) -> Option<SigInfo> {
    let info = ctx.task.shared.pending().take(!set).or_else(|| ctx.task.process.shared_pending().take(!set));
    if info.is_some() {
        signalfd::changed(&ctx.task.process);
    }
    info
}

fn pending_in(ctx: &SyscallCtx<'_>, set: SigSet) -> bool {
    (ctx.task.shared.pending().set() | ctx.task.process.shared_pending().set()) & set != 0
}

/// Waits until a signal of `set` is pending for this thread and takes it.
/// As rt_sigtimedwait does, the wait unblocks `set` (so a process-directed
/// signal picks this thread and wakes it) while `real_blocked` keeps
/// those signals from being ignored on arrival; any other signal ends the
/// wait (ERESTARTSYS, as Linux's signalfd read).
fn wait_and_take(ctx: &mut SyscallCtx<'_>, set: SigSet) -> SysResult<SigInfo> {
    loop {
        if let Some(info) = take(ctx, set) {
            return Ok(info);
        }
        let old = ctx.task.sigmask();
        ctx.task.shared.set_real_blocked(old);
        ctx.task.set_sigmask(old & !set);
        let never = std::sync::atomic::AtomicU32::new(0);
        let r = ctx
            .block_parked(Errno::ERESTARTSYS, &[], |_| host::futex_wait_interruptible(&never, 0).map_err(Errno::from));
        ctx.task.set_sigmask(old);
        ctx.task.shared.set_real_blocked(0);
        match r {
            Err(e) if e.is_restart() && pending_in(ctx, set) => continue,
            Err(e) => return Err(e),
            Ok(()) => continue,
        }
    }
}

/// Where a signalfd read puts each `signalfd_siginfo`: at a byte offset of
/// the caller's buffer(s).
type SiginfoSink<'a> = dyn FnMut(&SyscallCtx<'_>, usize, &[u8]) -> SysResult<()> + 'a;

/// A read of a signalfd into `count` bytes, each `signalfd_siginfo` handed
/// to `out` with its offset: waits for the first signal (unless the
/// descriptor is non-blocking), then takes as many more as are pending and
/// fit. What was copied counts; a first copy that fails is its error.
fn read_signals(
    ctx: &mut SyscallCtx<'_>,
    f: &OpenFile,
    s: &SignalFd,
    count: usize,
    out: &mut SiginfoSink<'_>,
) -> SysResult {
    let n = count / SIGINFO_SIZE;
    if n == 0 {
        return Err(Errno::EINVAL);
    }
    s.adopt(&ctx.task.process);
    let set = s.mask();
    let nonblock = host::fcntl_int(f.host_fd()?, libc::F_GETFL, 0)? & libc::O_NONBLOCK != 0;
    let first = match take(ctx, set) {
        Some(info) => info,
        None if nonblock => return Err(Errno::EAGAIN),
        None => wait_and_take(ctx, set)?,
    };
    let mut next = Some(first);
    let mut done = 0;
    while let Some(info) = next {
        let bytes = signalfd::siginfo(&info);
        if let Err(e) = out(ctx, done * SIGINFO_SIZE, vm_bytes(&bytes)) {
            return if done == 0 { Err(e) } else { Ok((done * SIGINFO_SIZE) as u64) };
        }
        done += 1;
        next = if done < n { take(ctx, set) } else { None };
    }
    Ok((done * SIGINFO_SIZE) as u64)
}

fn vm_bytes(s: &crate::abi::event::SignalfdSiginfo) -> &[u8] {
    vm_memory::ByteValued::as_slice(s)
}

/// read(2) of a file the kernel emulates (a signalfd).
pub(crate) fn read_emulated(ctx: &mut SyscallCtx<'_>, f: &OpenFile, buf: u64, count: usize) -> SysResult {
    if let Some(k) = f.emulated().and_then(crate::kernel::kmsg::of) {
        return super::super::syslog::read_kmsg(ctx, f, k, buf, count);
    }
    let s = f.emulated().and_then(signalfd::of).ok_or(Errno::EINVAL)?;
    read_signals(ctx, f, s, count, &mut |ctx, at, bytes| ctx.user().write(buf + at as u64, bytes))
}

/// readv(2) of a file the kernel emulates: as one read into the buffers
/// in turn.
pub(crate) fn readv_emulated(ctx: &mut SyscallCtx<'_>, f: &OpenFile, iov: &[(u64, u64)]) -> SysResult {
    if let Some(k) = f.emulated().and_then(crate::kernel::kmsg::of) {
        return super::super::syslog::readv_kmsg(ctx, f, k, iov);
    }
    let s = f.emulated().and_then(signalfd::of).ok_or(Errno::EINVAL)?;
    let total = iov.iter().fold(0u64, |t, &(_, len)| t.saturating_add(len));
    let mut scatter = |ctx: &SyscallCtx<'_>, at: usize, bytes: &[u8]| -> SysResult<()> {
        let (mut skip, mut rest) = (at as u64, bytes);
        for &(base, len) in iov {
            if rest.is_empty() {
                break;
            }
            if skip >= len {
                skip -= len;
                continue;
            }
            let n = ((len - skip) as usize).min(rest.len());
            ctx.user().write(base + skip, &rest[..n])?;
            rest = &rest[n..];
            skip = 0;
        }
        Ok(())
    };
    read_signals(ctx, f, s, total.min(usize::MAX as u64) as usize, &mut scatter)
}
