//! poll, ppoll, select, pselect6: readiness of host descriptors comes from
//! the host's ppoll; generated files are always ready.

use super::args::{Opaque, UserPtr};
use super::SyscallCtx;
use crate::abi::poll::{Pollfd, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI, POLLRDNORM, POLLWRNORM};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::time::{Duration, Instant};

/// Polls guest descriptors; fills `revents` and returns how many are ready.
fn poll_fds(ctx: &mut SyscallCtx<'_>, wants: &mut [Pollfd], timeout: Option<Duration>) -> SysResult<usize> {
    let deadline = timeout.map(super::deadline_in);
    ctx.block_parked(Errno::ERESTARTNOHAND, &[], |ctx| {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        poll_once(ctx, wants, left)
    })
}

fn poll_once(ctx: &SyscallCtx<'_>, wants: &mut [Pollfd], timeout: Option<Duration>) -> SysResult<usize> {
    let mut host_fds = Vec::new();
    let mut map = Vec::new();
    let mut ready_now = 0;
    {
        let files = ctx.task.process.files();
        for (i, w) in wants.iter_mut().enumerate() {
            w.revents = 0;
            if w.fd < 0 {
                continue;
            }
            match files.get(w.fd) {
                Err(_) => w.revents = POLLNVAL,
                Ok(f) => match f.host_fd() {
                    Ok(h) => {
                        host_fds.push(libc::pollfd { fd: h, events: w.events, revents: 0 });
                        map.push(i);
                    }
                    Err(_) => w.revents = w.events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM),
                },
            }
            if w.revents != 0 {
                ready_now += 1;
            }
        }
    }
    let timeout = if ready_now > 0 { Some(Duration::ZERO) } else { timeout };
    let ts = timeout.map(|d| (d.as_secs() as i64, d.subsec_nanos() as i64));
    host::ppoll(&mut host_fds, ts)?;
    for (pfd, &i) in host_fds.iter().zip(&map) {
        wants[i].revents = pfd.revents;
    }
    Ok(wants.iter().filter(|w| w.revents != 0).count())
}

/// An optional `struct timespec` timeout (NULL: none).
fn read_timespec(ctx: &SyscallCtx<'_>, ptr: UserPtr<Opaque>) -> SysResult<Option<Duration>> {
    if ptr.is_null() {
        return Ok(None);
    }
    let ptr = ptr.addr();
    let sec: i64 = ctx.user().read_val(ptr)?;
    let nsec: i64 = ctx.user().read_val(ptr + 8)?;
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Some(Duration::new(sec as u64, nsec as u32)))
}

/// The most descriptors poll and select look at: RLIMIT_NOFILE, which on
/// Linux can never exceed nr_open (the table's hard ceiling, MAX_FDS).
fn fd_ceiling(ctx: &SyscallCtx<'_>) -> usize {
    ctx.task.process.fd_limit().min(crate::fs::fdtable::MAX_FDS)
}

/// How many pollfd entries poll and ppoll read: EINVAL above the
/// descriptor `ceiling` (RLIMIT_NOFILE), as on Linux.
fn poll_nfds(nfds: u32, ceiling: usize) -> SysResult<usize> {
    if u64::from(nfds) > ceiling as u64 {
        return Err(Errno::EINVAL);
    }
    Ok(nfds as usize)
}

fn do_poll(ctx: &mut SyscallCtx<'_>, fds: UserPtr<Opaque>, nfds: u32, timeout: Option<Duration>) -> SysResult {
    let nfds = poll_nfds(nfds, fd_ceiling(ctx))?;
    let mut wants: Vec<Pollfd> = ctx.user().read_array(fds.addr(), nfds)?;
    let n = poll_fds(ctx, &mut wants, timeout)?;
    ctx.user().write_array(fds.addr(), &wants)?;
    Ok(n as u64)
}

const SYS_POLL: u64 = crate::abi::names::number("poll");

pub(crate) fn sys_poll(ctx: &mut SyscallCtx<'_>, fds: UserPtr<Opaque>, nfds: u32, timeout_ms: i32) -> SysResult {
    // A negative timeout waits for ever.
    let mut timeout = (timeout_ms >= 0).then(|| Duration::from_millis(timeout_ms as u64));
    // poll's timeout is a plain int: a restarted poll continues to the
    // original deadline (Linux's restart_block).
    let now = crate::arch::host::clock_gettime(crate::abi::time::CLOCK_MONOTONIC)?;
    if let Some((SYS_POLL, _, (s, ns))) = ctx.task.restart_deadline.take() {
        let left = (s - now.0) * 1_000_000_000 + (ns - now.1);
        timeout = Some(Duration::from_nanos(left.max(0) as u64));
    }
    let r = do_poll(ctx, fds, nfds, timeout);
    if r == Err(Errno::ERESTARTNOHAND) {
        if let Some(t) = timeout {
            let total = now.1 + t.subsec_nanos() as i64;
            let deadline = (now.0 + t.as_secs() as i64 + total / 1_000_000_000, total % 1_000_000_000);
            ctx.task.restart_deadline = Some((SYS_POLL, crate::abi::time::CLOCK_MONOTONIC, deadline));
        }
    }
    r
}

/// ppoll and pselect6 run with a temporary signal mask; it stays in force
/// until a handler for the interrupting signal has been set up (the frame
/// then restores the old one).
fn with_temporary_mask(
    ctx: &mut SyscallCtx<'_>,
    mask_ptr: u64,
    size: u64,
    op: impl FnOnce(&mut SyscallCtx<'_>) -> SysResult,
) -> SysResult {
    if mask_ptr == 0 {
        return op(ctx);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let mask: u64 = ctx.user().read_val(mask_ptr)?;
    let old = ctx.task.sigmask();
    ctx.task.set_sigmask(mask);
    let r = op(ctx);
    if r == Err(Errno::ERESTARTNOHAND) {
        ctx.task.saved_sigmask = Some(old);
    } else {
        ctx.task.set_sigmask(old);
    }
    r
}

pub(crate) fn sys_ppoll(
    ctx: &mut SyscallCtx<'_>,
    fds: UserPtr<Opaque>,
    nfds: u32,
    tsp: UserPtr<Opaque>,
    sigmask: UserPtr<Opaque>,
    sigsetsize: usize,
) -> SysResult {
    let timeout = read_timespec(ctx, tsp)?;
    let start = Instant::now();
    let r = with_temporary_mask(ctx, sigmask.addr(), sigsetsize as u64, |ctx| do_poll(ctx, fds, nfds, timeout));
    write_remaining(ctx, tsp, timeout, start, 1)?;
    r
}

/// Linux writes the unslept time back into the timeout (select, pselect6,
/// ppoll); `unit_ns` is 1 for timespec, 1000 for timeval.
fn write_remaining(
    ctx: &SyscallCtx<'_>,
    ptr: UserPtr<Opaque>,
    timeout: Option<Duration>,
    start: Instant,
    unit_ns: u32,
) -> SysResult<()> {
    if let (Some(t), false) = (timeout, ptr.is_null()) {
        let ptr = ptr.addr();
        let left = t.saturating_sub(start.elapsed());
        ctx.user().write_val(ptr, left.as_secs() as i64)?;
        ctx.user().write_val(ptr + 8, (left.subsec_nanos() / unit_ns) as i64)?;
    }
    Ok(())
}

/// How many descriptors select and pselect6 look at: negative is EINVAL;
/// at most the descriptor `ceiling` (or 1024, if that is more).
fn select_nfds(nfds: i32, ceiling: usize) -> SysResult<usize> {
    let nfds = usize::try_from(nfds).map_err(|_| Errno::EINVAL)?;
    Ok(nfds.min(ceiling.max(1024)))
}

/// select's fd_set bitmaps (read, write, except; NULL: none) → poll, and
/// back.
fn do_select(
    ctx: &mut SyscallCtx<'_>,
    nfds: i32,
    fd_sets: [UserPtr<Opaque>; 3],
    timeout: Option<Duration>,
) -> SysResult {
    let nfds = select_nfds(nfds, fd_ceiling(ctx))?;
    let bytes = nfds.div_ceil(64) * 8;
    let mut sets = [vec![0u8; bytes], vec![0u8; bytes], vec![0u8; bytes]];
    for (set, ptr) in sets.iter_mut().zip(fd_sets) {
        if !ptr.is_null() {
            ctx.user().read(ptr.addr(), set)?;
        }
    }
    let bit = |s: &Vec<u8>, fd: usize| s[fd / 8] & (1 << (fd % 8)) != 0;
    let mut wants = Vec::new();
    for fd in 0..nfds {
        let mut events = 0;
        if bit(&sets[0], fd) {
            events |= POLLIN;
        }
        if bit(&sets[1], fd) {
            events |= POLLOUT;
        }
        if bit(&sets[2], fd) {
            events |= POLLPRI;
        }
        if events != 0 {
            wants.push(Pollfd { fd: fd as i32, events, revents: 0 });
        }
    }
    poll_fds(ctx, &mut wants, timeout)?;
    if wants.iter().any(|w| w.revents & POLLNVAL != 0) {
        return Err(Errno::EBADF);
    }
    let mut out = [vec![0u8; bytes], vec![0u8; bytes], vec![0u8; bytes]];
    let mut count = 0;
    for w in &wants {
        let fd = w.fd as usize;
        let hits = [
            w.events & POLLIN != 0 && w.revents & (POLLIN | POLLHUP | POLLERR) != 0,
            w.events & POLLOUT != 0 && w.revents & (POLLOUT | POLLERR) != 0,
            w.events & POLLPRI != 0 && w.revents & POLLPRI != 0,
        ];
        for (set, hit) in out.iter_mut().zip(hits) {
            if hit {
                set[fd / 8] |= 1 << (fd % 8);
                count += 1;
            }
        }
    }
    for (set, ptr) in out.iter().zip(fd_sets) {
        if !ptr.is_null() {
            ctx.user().write(ptr.addr(), set)?;
        }
    }
    Ok(count)
}

/// select's `struct timeval`, normalized as Linux does it: whole seconds
/// in `tv_usec` move to `tv_sec` (so 1500000 microseconds is a second and
/// a half); what is left must be a valid time (EINVAL: negative, or
/// seconds that overflow).
fn timeval_timeout(sec: i64, usec: i64) -> SysResult<Duration> {
    let sec = sec.checked_add(usec / 1_000_000).ok_or(Errno::EINVAL)?;
    let usec = usec % 1_000_000;
    if sec < 0 || usec < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(sec as u64, usec as u32 * 1000))
}

pub(crate) fn sys_select(
    ctx: &mut SyscallCtx<'_>,
    nfds: i32,
    readfds: UserPtr<Opaque>,
    writefds: UserPtr<Opaque>,
    exceptfds: UserPtr<Opaque>,
    tvp: UserPtr<Opaque>,
) -> SysResult {
    let timeout = if !tvp.is_null() {
        let sec: i64 = ctx.user().read_val(tvp.addr())?;
        let usec: i64 = ctx.user().read_val(tvp.addr() + 8)?;
        Some(timeval_timeout(sec, usec)?)
    } else {
        None
    };
    let start = Instant::now();
    let r = do_select(ctx, nfds, [readfds, writefds, exceptfds], timeout);
    write_remaining(ctx, tvp, timeout, start, 1000)?;
    r
}

pub(crate) fn sys_pselect6(
    ctx: &mut SyscallCtx<'_>,
    nfds: i32,
    readfds: UserPtr<Opaque>,
    writefds: UserPtr<Opaque>,
    exceptfds: UserPtr<Opaque>,
    tsp: UserPtr<Opaque>,
    sigmask_and_size: UserPtr<Opaque>,
) -> SysResult {
    let timeout = read_timespec(ctx, tsp)?;
    // The sixth argument points at { const sigset_t *ss; size_t ss_len }.
    let (mask_ptr, mask_size) = if !sigmask_and_size.is_null() {
        let arg = sigmask_and_size.addr();
        (ctx.user().read_u64(arg)?, ctx.user().read_u64(arg + 8)?)
    } else {
        (0, 0)
    };
    let start = Instant::now();
    let r = with_temporary_mask(ctx, mask_ptr, mask_size, |ctx| {
        do_select(ctx, nfds, [readfds, writefds, exceptfds], timeout)
    });
    write_remaining(ctx, tsp, timeout, start, 1)?;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::args::SyscallArg;

    #[test]
    fn poll_takes_up_to_the_descriptor_ceiling() {
        // Natively, with RLIMIT_NOFILE at 100: 100 entries are read, 101
        // (or 4096) are EINVAL.
        assert_eq!(poll_nfds(0, 100), Ok(0));
        assert_eq!(poll_nfds(100, 100), Ok(100));
        assert_eq!(poll_nfds(101, 100), Err(Errno::EINVAL));
        assert_eq!(poll_nfds(4096, 1024), Err(Errno::EINVAL));
        assert_eq!(poll_nfds(5000, 8192), Ok(5000));
        assert_eq!(poll_nfds(8193, 8192), Err(Errno::EINVAL));
        // nfds is an unsigned int: the upper half of its register is ignored.
        assert_eq!(poll_nfds(u32::from_reg(0xffff_ffff_0000_0010), 1024), Ok(16));
        assert_eq!(poll_nfds(u32::from_reg(0xffff_ffff), 1024), Err(Errno::EINVAL));
    }

    #[test]
    fn select_normalizes_its_timeval() {
        let ms = |ms| Ok(Duration::from_millis(ms));
        assert_eq!(timeval_timeout(0, 0), ms(0));
        assert_eq!(timeval_timeout(0, 1_500_000), ms(1500));
        assert_eq!(timeval_timeout(3, 2_500_000), ms(5500));
        assert_eq!(timeval_timeout(2, -1_000_000), ms(1000));
        assert_eq!(timeval_timeout(-1, 2_000_000), ms(1000));
        assert_eq!(timeval_timeout(1, -1), Err(Errno::EINVAL));
        assert_eq!(timeval_timeout(0, -1_000_000), Err(Errno::EINVAL));
        assert_eq!(timeval_timeout(-1, 0), Err(Errno::EINVAL));
        assert_eq!(timeval_timeout(i64::MAX, 1_000_000), Err(Errno::EINVAL), "the seconds overflow");
        assert_eq!(timeval_timeout(i64::MAX, 999_999), Ok(Duration::new(i64::MAX as u64, 999_999_000)));
    }

    #[test]
    fn select_caps_nfds_and_refuses_negative() {
        assert_eq!(select_nfds(0, 1024), Ok(0));
        assert_eq!(select_nfds(5000, 256), Ok(1024));
        assert_eq!(select_nfds(5000, 2048), Ok(2048));
        assert_eq!(select_nfds(-1, 1024), Err(Errno::EINVAL));
        // nfds is an int: the upper half of its register is ignored.
        assert_eq!(select_nfds(i32::from_reg(0xffff_ffff_0000_0003), 1024), Ok(3));
        assert_eq!(select_nfds(i32::from_reg(0x8000_0000), 1024), Err(Errno::EINVAL));
    }

    // Argument errors through the table, as a guest meets them (what Linux
    // answers was checked natively). Every timeout is zero.
    mod args {
        use crate::abi::names::number as nr;
        use crate::abi::poll::POLLIN;
        use crate::errno::Errno;
        use crate::syscall::testkit::TestMachine;

        /// Scratch memory: a pollfd for an empty pipe's read end at 0, one
        /// for descriptor 999 at 8, timespecs/timevals (zero, 10^9 in the
        /// second word, negative seconds) at 0x100.., an fd_set with the
        /// pipe at 0x200 and one with descriptor 60 at 0x300, a sigset at
        /// 0x400. Returns the pipe's read end.
        fn setup(t: &mut TestMachine) -> u64 {
            let fds = t.scratch + 0x800;
            assert_eq!(t.value(nr("pipe"), &[fds]), Ok(0));
            let r: i32 = t.m.mem.user.read_val(fds).unwrap();
            let pollfd = |fd: i32| [&fd.to_le_bytes()[..], &POLLIN.to_le_bytes(), &0i16.to_le_bytes()].concat();
            t.put(0, &pollfd(r));
            t.put(8, &pollfd(999));
            let pair = |a: i64, b: i64| [a.to_le_bytes(), b.to_le_bytes()].concat();
            t.put(0x100, &pair(0, 0));
            t.put(0x110, &pair(0, 1_000_000_000));
            t.put(0x120, &pair(-1, 0));
            t.put(0x130, &pair(0, -1));
            t.put(0x200, &(1u64 << r).to_le_bytes());
            t.put(0x300, &(1u64 << 60).to_le_bytes());
            t.put(0x400, &[0u8; 8]);
            r as u64
        }

        #[test]
        fn poll_and_ppoll() {
            let mut t = TestMachine::new();
            setup(&mut t);
            let (s, bad) = (t.scratch, t.bad_ptr());
            let (pipe, nval) = (s, s + 8);
            let (zero, late, negative, mask) = (s + 0x100, s + 0x110, s + 0x120, s + 0x400);
            assert_eq!(t.errno(nr("poll"), &[pipe, 0x7fff_ffff, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("poll"), &[bad, 0x7fff_ffff, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("poll"), &[bad, 1, 0]), Errno::EFAULT);
            assert_eq!(t.value(nr("poll"), &[bad, 0, 0]), Ok(0));
            // nfds is an unsigned int: the upper half is ignored.
            assert_eq!(t.value(nr("poll"), &[pipe, 1 << 32 | 1, 0]), Ok(0));
            // An unknown descriptor is reported, not an error.
            assert_eq!(t.value(nr("poll"), &[nval, 1, 0]), Ok(1));
            assert_eq!(t.errno(nr("ppoll"), &[pipe, 1, bad, 0, 8]), Errno::EFAULT);
            assert_eq!(t.errno(nr("ppoll"), &[pipe, 1, late, 0, 8]), Errno::EINVAL);
            assert_eq!(t.errno(nr("ppoll"), &[pipe, 1, negative, 0, 8]), Errno::EINVAL);
            assert_eq!(t.errno(nr("ppoll"), &[pipe, 1, zero, mask, 4]), Errno::EINVAL);
            assert_eq!(t.errno(nr("ppoll"), &[pipe, 1, zero, bad, 8]), Errno::EFAULT);
            assert_eq!(t.errno(nr("ppoll"), &[bad, 1, zero, 0, 8]), Errno::EFAULT);
            assert_eq!(t.errno(nr("ppoll"), &[pipe, 0x7fff_ffff, zero, 0, 8]), Errno::EINVAL);
            // Without a mask its size is not looked at.
            assert_eq!(t.value(nr("ppoll"), &[pipe, 1, zero, 0, 4]), Ok(0));
        }

        #[test]
        fn select_and_pselect6() {
            let mut t = TestMachine::new();
            let r = setup(&mut t);
            let (s, bad) = (t.scratch, t.bad_ptr());
            let (zero, late, negative, negative_frac) = (s + 0x100, s + 0x110, s + 0x120, s + 0x130);
            let (pipe_set, fd60_set, mask) = (s + 0x200, s + 0x300, s + 0x400);
            let neg = -1i64 as u64;
            assert_eq!(t.errno(nr("select"), &[neg, 0, 0, 0, zero]), Errno::EINVAL);
            assert_eq!(t.errno(nr("select"), &[neg, 0, 0, 0, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("select"), &[1, 0, 0, 0, negative]), Errno::EINVAL);
            assert_eq!(t.errno(nr("select"), &[1, 0, 0, 0, negative_frac]), Errno::EINVAL);
            assert_eq!(t.errno(nr("select"), &[r + 1, bad, 0, 0, zero]), Errno::EFAULT);
            assert_eq!(t.errno(nr("select"), &[61, fd60_set, 0, 0, zero]), Errno::EBADF);
            // nfds is an int: the upper half is ignored.
            assert_eq!(t.value(nr("select"), &[1 << 32 | (r + 1), pipe_set, 0, 0, zero]), Ok(0));
            // pselect6's sixth argument: { sigset pointer, its size }.
            let size4 = t.put(0x500, &[mask.to_le_bytes(), 4u64.to_le_bytes()].concat());
            let bad_mask = t.put(0x510, &[bad.to_le_bytes(), 8u64.to_le_bytes()].concat());
            assert_eq!(t.errno(nr("pselect6"), &[neg, 0, 0, 0, zero, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("pselect6"), &[1, 0, 0, 0, bad, 0]), Errno::EFAULT);
            assert_eq!(t.errno(nr("pselect6"), &[1, 0, 0, 0, late, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("pselect6"), &[1, 0, 0, 0, zero, size4]), Errno::EINVAL);
            assert_eq!(t.errno(nr("pselect6"), &[1, 0, 0, 0, zero, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("pselect6"), &[1, 0, 0, 0, zero, bad_mask]), Errno::EFAULT);
            assert_eq!(t.errno(nr("pselect6"), &[61, fd60_set, 0, 0, zero, 0]), Errno::EBADF);
            assert_eq!(t.errno(nr("pselect6"), &[r + 1, 0, bad, 0, zero, 0]), Errno::EFAULT);
        }

        #[test]
        fn select_takes_whole_seconds_from_tv_usec() {
            let mut t = TestMachine::new();
            let r = setup(&mut t);
            let w = r + 1; // pipe(2) gives the lowest free descriptors
            let write_set = t.put(0x600, &(1u64 << w).to_le_bytes());
            let pair = |a: i64, b: i64| [a.to_le_bytes(), b.to_le_bytes()].concat();
            let tv = t.put(0x610, &pair(0, 2_000_000));
            assert_eq!(t.value(nr("select"), &[w + 1, 0, write_set, 0, tv]), Ok(1));
            // What is left is written back normalized: a second and change.
            let left: [i64; 2] = t.m.mem.user.read_val(tv).unwrap();
            assert!(left[0] == 1 && (900_000..1_000_000).contains(&left[1]), "{left:?}");
            let tv = t.put(0x610, &pair(1, -1));
            assert_eq!(t.errno(nr("select"), &[w + 1, 0, write_set, 0, tv]), Errno::EINVAL);
            let tv = t.put(0x610, &pair(i64::MAX, 1_000_000));
            assert_eq!(t.errno(nr("select"), &[w + 1, 0, write_set, 0, tv]), Errno::EINVAL);
        }

        #[test]
        fn poll_reads_no_more_entries_than_rlimit_nofile() {
            let mut t = TestMachine::new();
            let ignored = [(-1i32).to_le_bytes(), [0; 4]].concat().repeat(101);
            let fds = t.put(0x1000, &ignored);
            let limit = t.put(0x100, &[100u64.to_le_bytes(), 4096u64.to_le_bytes()].concat());
            let nofile = u64::from(crate::abi::resource::RLIMIT_NOFILE);
            assert_eq!(t.value(nr("prlimit64"), &[0, nofile, limit, 0]), Ok(0));
            assert_eq!(t.value(nr("poll"), &[fds, 100, 0]), Ok(0));
            assert_eq!(t.errno(nr("poll"), &[fds, 101, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("poll"), &[fds, 4096, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("ppoll"), &[fds, 101, 0, 0, 8]), Errno::EINVAL);
        }
    }
}
