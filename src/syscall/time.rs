//! Clocks.

use super::args::{Flags, Opaque, TimespecIn, TimespecOut, UserPtr};
use super::{arg_i32, SyscallCtx};
use crate::abi::names::number;
use crate::abi::resource::{RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD};
use crate::abi::time::*;
use crate::abi::types::{Itimerval, Timespec, Timeval};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::kernel::task::TaskShared;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// CLOCK_REALTIME .. CLOCK_BOOTTIME, plus CLOCK_TAI (the CPU-time clocks
/// are the guest's tasks' own: `read_clock`).
fn check_clock(clock: i32) -> SysResult<i32> {
    match clock {
        CLOCK_REALTIME..=CLOCK_BOOTTIME | CLOCK_TAI => Ok(clock),
        _ => Err(Errno::EINVAL),
    }
}

fn timespec((tv_sec, tv_nsec): (i64, i64)) -> Timespec {
    Timespec { tv_sec, tv_nsec }
}

/// A host thread CPU clock and the task whose share of it counts.
type CpuClockSource = (i32, Arc<TaskShared>);

/// The host clocks behind a guest CPU-time clock id (pthread_getcpuclockid,
/// clock_getcpuclockid), each with its task: guest tasks are host threads,
/// so a thread's clock is its host thread's (since the task started on it),
/// and a process's the sum of its threads'.
/// The second value is the process's exited threads' time (ns; 0 for a
/// thread clock), read with the live ones so that none counts twice.
fn cpu_clock_sources(ctx: &SyscallCtx<'_>, clock: i32) -> SysResult<(Vec<CpuClockSource>, u64)> {
    let id = !(clock >> 3);
    let kind = clock & CPUCLOCK_CLOCK_MASK;
    if kind == CPUCLOCK_MAX {
        return Err(Errno::EINVAL);
    }
    let host_clock = |host_tid: i32| (!host_tid << 3) | CPUCLOCK_PERTHREAD_MASK | kind;
    if clock & CPUCLOCK_PERTHREAD_MASK != 0 {
        let t = if id == 0 { Some(ctx.task.shared.clone()) } else { ctx.m.task(id) };
        let t = t.ok_or(Errno::EINVAL)?;
        return Ok((vec![(host_clock(t.host_tid()), t)], 0));
    }
    let p = if id == 0 { Some(ctx.task.process.clone()) } else { ctx.m.process(id) };
    let p = p.filter(|p| !p.is_zombie()).ok_or(Errno::EINVAL)?;
    let tasks = p.tasks();
    Ok((tasks.iter().map(|t| (host_clock(t.host_tid()), t.clone())).collect(), p.dead_clock_ns()))
}

/// A task's share of a host thread CPU clock.
fn task_cpu_clock(host_clock: i32, task: &TaskShared) -> SysResult<u64> {
    let (s, ns) = host::clock_gettime(host_clock)?;
    Ok(task.cpu_clock_ns(s as u64 * 1_000_000_000 + ns as u64))
}

fn read_clock(ctx: &SyscallCtx<'_>, clock: i32) -> SysResult<(i64, i64)> {
    // The calling process's CPU clock is its threads' (pid 0's CPUCLOCK_SCHED
    // clock), not the host process's, which is the whole machine's.
    let clock = if clock == CLOCK_PROCESS_CPUTIME_ID { (!0 << 3) | CPUCLOCK_SCHED } else { clock };
    let total = if clock == CLOCK_THREAD_CPUTIME_ID {
        task_cpu_clock(clock, &ctx.task.shared)?
    } else if clock >= 0 {
        return Ok(host::clock_gettime(check_clock(clock)?)?);
    } else {
        let (live, mut total) = cpu_clock_sources(ctx, clock)?;
        for (c, task) in live {
            total += task_cpu_clock(c, &task)?;
        }
        total
    };
    Ok(((total / 1_000_000_000) as i64, (total % 1_000_000_000) as i64))
}

pub(crate) fn sys_clock_gettime(ctx: &mut SyscallCtx<'_>, clock: i32, tp: UserPtr<TimespecOut>) -> SysResult {
    let ts = read_clock(ctx, clock)?;
    ctx.user().write_val(tp.addr(), timespec(ts))?;
    Ok(0)
}

pub(crate) fn sys_clock_getres(ctx: &mut SyscallCtx<'_>, clock: i32, res: UserPtr<Opaque>) -> SysResult {
    let ts = if clock < 0 {
        cpu_clock_sources(ctx, clock)?;
        (0, 1)
    } else {
        host::clock_getres(check_clock(clock)?)?
    };
    if !res.is_null() {
        ctx.user().write_val(res.addr(), timespec(ts))?;
    }
    Ok(0)
}

pub(crate) fn sys_gettimeofday(ctx: &mut SyscallCtx<'_>, tv: UserPtr<Opaque>, tz: UserPtr<Opaque>) -> SysResult {
    let (sec, nsec) = host::clock_gettime(CLOCK_REALTIME)?;
    if !tv.is_null() {
        ctx.user().write_val(tv.addr(), timespec((sec, nsec / 1000)))?;
    }
    if !tz.is_null() {
        // struct timezone: always zero on Linux nowadays.
        ctx.user().write(tz.addr(), &[0u8; 8])?;
    }
    Ok(0)
}

pub(crate) fn sys_time(ctx: &mut SyscallCtx<'_>, tloc: UserPtr<Opaque>) -> SysResult {
    let (sec, _) = host::clock_gettime(CLOCK_REALTIME)?;
    if !tloc.is_null() {
        ctx.user().write_val(tloc.addr(), sec)?;
    }
    Ok(sec as u64)
}

/// Sleeps; a guest signal ends the sleep early (EINTR, with the time left
/// in `rem`), after which an ignored signal resumes it (restart).
fn sleep(
    ctx: &mut SyscallCtx<'_>,
    clock: i32,
    flags: i32,
    request: UserPtr<TimespecIn>,
    remain: UserPtr<Opaque>,
) -> SysResult {
    let t = ctx.read_timespec(request.addr())?;
    let abs = flags & TIMER_ABSTIME != 0;
    // A relative sleep on CLOCK_REALTIME lasts its time whatever happens
    // to the wall clock meanwhile (Linux runs it on CLOCK_MONOTONIC): as a
    // deadline on CLOCK_REALTIME a step of the host's clock (NTP, the
    // hypervisor) would cut it short or stretch it. glibc's nanosleep is
    // such a sleep.
    let clock = if !abs && clock == CLOCK_REALTIME { CLOCK_MONOTONIC } else { clock };
    let nr = if flags & NANOSLEEP != 0 { number("nanosleep") } else { number("clock_nanosleep") };
    // Sleep to an absolute deadline, so that retries after spurious kicks
    // do not stretch the sleep; a restarted sleep keeps its deadline.
    let deadline = match ctx.task.restart_deadline.take() {
        Some((n, c, d)) if n == nr && c == clock && !abs => d,
        _ if abs => t,
        _ => {
            // Saturated like Linux's ktime (a guest may ask for i64::MAX
            // seconds: that is forever, not a deadline in the past).
            let t = Duration::new(t.0 as u64, t.1 as u32).min(super::KTIME_MAX);
            let (s, ns) = host::clock_gettime(clock)?;
            let total = ns + i64::from(t.subsec_nanos());
            (s + t.as_secs() as i64 + total / 1_000_000_000, total % 1_000_000_000)
        }
    };
    // On the clocks a futex can wait on, the task sleeps on its kick word:
    // a signal then wakes it without a host signal.
    let r = ctx.block_parked(Errno::ERESTARTSYS, &[], |ctx| match clock {
        CLOCK_MONOTONIC | CLOCK_REALTIME => ctx.sleep_until_kicked(Some(deadline), clock == CLOCK_REALTIME),
        _ => host::clock_nanosleep_abs_interruptible(clock, deadline).map_err(Errno),
    });
    if r == Err(Errno::ERESTARTSYS) && !abs {
        ctx.task.restart_deadline = Some((nr, clock, deadline));
        if !remain.is_null() {
            let (s, ns) = host::clock_gettime(clock)?;
            // An absolute deadline comes from the guest: saturate, never wrap.
            let left =
                deadline.0.saturating_sub(s).saturating_mul(1_000_000_000).saturating_add(deadline.1 - ns).max(0);
            ctx.user().write_val(remain.addr(), timespec((left / 1_000_000_000, left % 1_000_000_000)))?;
        }
    }
    // A handler interrupts the sleep with EINTR (never restarted, as with
    // Linux's restart_block for a handled signal).
    r.map(|_| 0).map_err(|e| if e == Errno::ERESTARTSYS { Errno::ERESTARTNOHAND } else { e })
}

pub(crate) fn sys_nanosleep(
    ctx: &mut SyscallCtx<'_>,
    request: UserPtr<TimespecIn>,
    remain: UserPtr<Opaque>,
) -> SysResult {
    sleep(ctx, CLOCK_MONOTONIC, NANOSLEEP, request, remain)
}

/// Marks the call as nanosleep (not clock_nanosleep) for restarts.
const NANOSLEEP: i32 = 1 << 30;

/// The flags are an int: only their low 32 bits count.
pub(crate) fn sys_clock_nanosleep(
    ctx: &mut SyscallCtx<'_>,
    clock: i32,
    flags: Flags,
    request: UserPtr<TimespecIn>,
    remain: UserPtr<Opaque>,
) -> SysResult {
    match clock {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_TAI => {}
        // No such clock is EINVAL; the raw and coarse clocks and the
        // thread's CPU clock cannot be slept on (Linux 6.x: EOPNOTSUPP,
        // before the request is read). Linux sleeps on a process's CPU
        // clock; nommu cannot (its host process is the whole machine).
        c if c >= 0 => return Err(check_clock(c).err().unwrap_or(Errno::EOPNOTSUPP)),
        _ => return Err(Errno::EOPNOTSUPP),
    }
    sleep(ctx, clock, arg_i32(flags.0), request, remain)
}

/// times(2): CPU times in clock ticks; returns ticks since boot.
pub(crate) fn sys_times(ctx: &mut SyscallCtx<'_>, buf: UserPtr<Opaque>) -> SysResult {
    if !buf.is_null() {
        let me = ctx.task.process.cpu_times();
        let children = ctx.task.process.children_times();
        let tms = Tms {
            tms_utime: me.user as i64,
            tms_stime: me.system as i64,
            tms_cutime: children.user as i64,
            tms_cstime: children.system as i64,
        };
        ctx.user().write_val(buf.addr(), tms)?;
    }
    Ok((ctx.m.boot_time.elapsed().as_millis() * u128::from(USER_HZ) / 1000) as u64)
}

pub(crate) fn sys_getrusage(ctx: &mut SyscallCtx<'_>, who: i32, usage: UserPtr<Opaque>) -> SysResult {
    let t = match who {
        RUSAGE_SELF => ctx.task.process.cpu_times(),
        RUSAGE_CHILDREN => ctx.task.process.children_times(),
        RUSAGE_THREAD => {
            let (user, system) = ctx.task.shared.cpu_ticks(true);
            crate::kernel::process::CpuTimes { user, system }
        }
        _ => return Err(Errno::EINVAL),
    };
    ctx.user().write_val(usage.addr(), super::wait::rusage(t))?;
    Ok(0)
}

fn itimerval(interval: Duration, left: Duration) -> Itimerval {
    Itimerval { it_interval: Timeval::from_duration(interval), it_value: Timeval::from_duration(left) }
}

fn current_itimer(ctx: &SyscallCtx<'_>) -> (Duration, Duration) {
    let t = ctx.task.process.real_timer();
    let left = t.deadline.map_or(Duration::ZERO, |d| d.saturating_duration_since(Instant::now()));
    // A timer that is due reports at least 1 µs left, as Linux does.
    let left = if t.deadline.is_some() && left.is_zero() { Duration::from_micros(1) } else { left };
    (t.interval, left)
}

fn check_which(which: i32) -> SysResult<()> {
    match which {
        ITIMER_REAL => Ok(()),
        ITIMER_VIRTUAL | ITIMER_PROF => {
            log::warn!("ITIMER_VIRTUAL/ITIMER_PROF are not supported");
            Err(Errno::EINVAL)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub(crate) fn sys_getitimer(ctx: &mut SyscallCtx<'_>, which: i32, curr_value: UserPtr<Opaque>) -> SysResult {
    check_which(which)?;
    let (interval, left) = current_itimer(ctx);
    ctx.user().write_val(curr_value.addr(), itimerval(interval, left))?;
    Ok(0)
}

fn duration_of(tv: Timeval) -> SysResult<Duration> {
    if tv.tv_sec < 0 || !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000))
}

fn arm(ctx: &SyscallCtx<'_>, value: Duration, interval: Duration) {
    let deadline = (!value.is_zero()).then(|| super::deadline_in(value));
    crate::kernel::timers::set(ctx.m, ctx.task, deadline, interval.min(super::KTIME_MAX));
}

pub(crate) fn sys_setitimer(
    ctx: &mut SyscallCtx<'_>,
    which: i32,
    new_value: UserPtr<Opaque>,
    old_value: UserPtr<Opaque>,
) -> SysResult {
    check_which(which)?;
    let (interval, value) = if !new_value.is_null() {
        let new: Itimerval = ctx.user().read_val(new_value.addr())?;
        (duration_of(new.it_interval)?, duration_of(new.it_value)?)
    } else {
        Default::default()
    };
    let (old_interval, old_left) = current_itimer(ctx);
    arm(ctx, value, interval);
    if !old_value.is_null() {
        ctx.user().write_val(old_value.addr(), itimerval(old_interval, old_left))?;
    }
    Ok(0)
}

pub(crate) fn sys_alarm(ctx: &mut SyscallCtx<'_>, seconds: u32) -> SysResult {
    let (_, left) = current_itimer(ctx);
    arm(ctx, Duration::from_secs(u64::from(seconds)), Duration::ZERO);
    // Remaining seconds, rounded to nearest (and at least 1 if any left).
    let secs = (left.as_millis() as u64 + 500) / 1000;
    Ok(if secs == 0 && !left.is_zero() { 1 } else { secs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks() {
        for ok in [
            CLOCK_REALTIME,
            CLOCK_MONOTONIC,
            CLOCK_PROCESS_CPUTIME_ID,
            CLOCK_THREAD_CPUTIME_ID,
            CLOCK_MONOTONIC_RAW,
            CLOCK_REALTIME_COARSE,
            CLOCK_MONOTONIC_COARSE,
            CLOCK_BOOTTIME,
            CLOCK_TAI,
        ] {
            assert_eq!(check_clock(ok), Ok(ok));
        }
        // The alarm clocks are not offered; 10 is no clock.
        for bad in [CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM, 10, 12, -1, i32::MAX] {
            assert_eq!(check_clock(bad), Err(Errno::EINVAL), "{bad}");
        }
    }

    #[test]
    fn interval_timers() {
        assert_eq!(check_which(ITIMER_REAL), Ok(()));
        assert_eq!(check_which(ITIMER_VIRTUAL), Err(Errno::EINVAL));
        assert_eq!(check_which(ITIMER_PROF), Err(Errno::EINVAL));
        assert_eq!(check_which(3), Err(Errno::EINVAL));
        assert_eq!(check_which(-1), Err(Errno::EINVAL));
    }

    #[test]
    fn timevals_are_checked_like_linux() {
        assert_eq!(duration_of(Timeval { tv_sec: 1, tv_usec: 2 }), Ok(Duration::new(1, 2000)));
        assert_eq!(duration_of(Timeval { tv_sec: -1, tv_usec: 0 }), Err(Errno::EINVAL));
        assert_eq!(duration_of(Timeval { tv_sec: 0, tv_usec: 1_000_000 }), Err(Errno::EINVAL));
    }

    // Argument errors through the table, as a guest meets them (what Linux
    // answers was checked natively). No call here sleeps or arms a timer.
    mod args {
        use crate::abi::names::number as nr;
        use crate::abi::resource::{RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD};
        use crate::abi::time::*;
        use crate::abi::types::{Itimerval, Timespec, Timeval};
        use crate::errno::Errno;
        use crate::syscall::testkit::{TestMachine, NEG};
        use vm_memory::ByteValued;

        /// A clock id as a syscall argument.
        fn clock(id: i32) -> u64 {
            id as u64
        }

        fn timespec(t: &TestMachine, offset: u64, tv_sec: i64, tv_nsec: i64) -> u64 {
            t.put(offset, Timespec { tv_sec, tv_nsec }.as_slice())
        }

        #[test]
        fn sleeps_refuse_bad_requests() {
            let mut t = TestMachine::new();
            let bad = t.bad_ptr();
            let late = timespec(&t, 0, 0, 1_000_000_000);
            let negative = timespec(&t, 0x10, -1, 0);
            let negative_ns = timespec(&t, 0x20, 0, -1);
            let abs = TIMER_ABSTIME as u64;
            assert_eq!(t.errno(nr("nanosleep"), &[bad, 0]), Errno::EFAULT);
            for req in [late, negative, negative_ns] {
                assert_eq!(t.errno(nr("nanosleep"), &[req, 0]), Errno::EINVAL);
            }
            for id in [CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI] {
                let c = clock(id);
                assert_eq!(t.errno(nr("clock_nanosleep"), &[c, 0, bad, 0]), Errno::EFAULT, "clock {c}");
                assert_eq!(t.errno(nr("clock_nanosleep"), &[c, 0, late, 0]), Errno::EINVAL, "clock {c}");
                assert_eq!(t.errno(nr("clock_nanosleep"), &[c, abs, negative_ns, 0]), Errno::EINVAL, "clock {c}");
            }
            // The clock is an int: the upper half is ignored.
            assert_eq!(t.errno(nr("clock_nanosleep"), &[1 << 32 | clock(CLOCK_MONOTONIC), 0, bad, 0]), Errno::EFAULT);
            // Clocks that cannot be slept on.
            for id in [CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_THREAD_CPUTIME_ID] {
                let c = clock(id);
                assert_eq!(t.errno(nr("clock_nanosleep"), &[c, 0, bad, 0]), Errno::EOPNOTSUPP, "clock {c}");
            }
            // No such clock.
            for c in [10, 12, 16] {
                assert_eq!(t.errno(nr("clock_nanosleep"), &[c, 0, bad, 0]), Errno::EINVAL, "clock {c}");
            }
        }

        #[test]
        fn clocks() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            for c in [10, 12, NEG] {
                assert_eq!(t.errno(nr("clock_gettime"), &[c, buf]), Errno::EINVAL, "clock {c}");
                assert_eq!(t.errno(nr("clock_getres"), &[c, buf]), Errno::EINVAL, "clock {c}");
            }
            let realtime = clock(CLOCK_REALTIME);
            assert_eq!(t.errno(nr("clock_gettime"), &[realtime, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("clock_getres"), &[realtime, bad]), Errno::EFAULT);
            assert_eq!(t.value(nr("clock_getres"), &[realtime, 0]), Ok(0));
            assert_eq!(t.value(nr("clock_gettime"), &[1 << 32 | clock(CLOCK_MONOTONIC), buf]), Ok(0));
            assert_eq!(t.errno(nr("gettimeofday"), &[bad, 0]), Errno::EFAULT);
            assert_eq!(t.errno(nr("gettimeofday"), &[0, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("time"), &[bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("times"), &[bad]), Errno::EFAULT);
        }

        #[test]
        fn getrusage() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            assert_eq!(t.errno(nr("getrusage"), &[RUSAGE_THREAD as u64 + 1, buf]), Errno::EINVAL);
            assert_eq!(t.errno(nr("getrusage"), &[(RUSAGE_CHILDREN - 1) as u64, buf]), Errno::EINVAL);
            assert_eq!(t.errno(nr("getrusage"), &[RUSAGE_SELF as u64, bad]), Errno::EFAULT);
            // who is an int: the upper half is ignored.
            assert_eq!(t.value(nr("getrusage"), &[1 << 32 | RUSAGE_SELF as u64, buf]), Ok(0));
        }

        #[test]
        fn interval_timers() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            let (real, prof) = (ITIMER_REAL as u64, ITIMER_PROF as u64);
            assert_eq!(t.errno(nr("getitimer"), &[prof + 1, buf]), Errno::EINVAL);
            assert_eq!(t.errno(nr("getitimer"), &[NEG, buf]), Errno::EINVAL);
            assert_eq!(t.errno(nr("getitimer"), &[real, bad]), Errno::EFAULT);
            assert_eq!(t.value(nr("getitimer"), &[1 << 32 | real, buf]), Ok(0));
            let tv = |tv_sec, tv_usec| Timeval { tv_sec, tv_usec };
            let timer = |t: &TestMachine, offset: u64, it_interval, it_value| {
                t.put(offset, Itimerval { it_interval, it_value }.as_slice())
            };
            let late = timer(&t, 0x100, tv(0, 0), tv(0, 1_000_000));
            let negative = timer(&t, 0x200, tv(0, 0), tv(-1, 0));
            let negative_interval = timer(&t, 0x300, tv(0, -1), tv(0, 0));
            assert_eq!(t.errno(nr("setitimer"), &[prof + 1, late, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("setitimer"), &[real, bad, 0]), Errno::EFAULT);
            for v in [late, negative, negative_interval] {
                assert_eq!(t.errno(nr("setitimer"), &[real, v, 0]), Errno::EINVAL);
            }
            // Nothing was armed.
            assert_eq!(t.value(nr("alarm"), &[0]), Ok(0));
        }
    }
}
