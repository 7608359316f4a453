//! Clocks.

use super::{arg_i32, Args, SyscallCtx};
use crate::arch::host;
use crate::errno::{Errno, SysResult};

/// CLOCK_REALTIME .. CLOCK_BOOTTIME, plus CLOCK_TAI; the CPU-time clocks
/// of the calling thread (host thread == guest task) are exact, the
/// process one covers the whole machine.
fn check_clock(clock: i32) -> SysResult<i32> {
    match clock {
        0..=7 | 11 => Ok(clock),
        _ => Err(Errno::EINVAL),
    }
}

fn timespec_bytes((sec, nsec): (i64, i64)) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&sec.to_le_bytes());
    b[8..].copy_from_slice(&nsec.to_le_bytes());
    b
}

pub fn sys_clock_gettime(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let clock = check_clock(arg_i32(a[0]))?;
    let ts = host::clock_gettime(clock)?;
    ctx.user().write(a[1], &timespec_bytes(ts))?;
    Ok(0)
}

pub fn sys_clock_getres(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let clock = check_clock(arg_i32(a[0]))?;
    let ts = host::clock_getres(clock)?;
    if a[1] != 0 {
        ctx.user().write(a[1], &timespec_bytes(ts))?;
    }
    Ok(0)
}

pub fn sys_gettimeofday(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (sec, nsec) = host::clock_gettime(libc::CLOCK_REALTIME)?;
    if a[0] != 0 {
        ctx.user().write(a[0], &timespec_bytes((sec, nsec / 1000)))?;
    }
    if a[1] != 0 {
        // struct timezone: always zero on Linux nowadays.
        ctx.user().write(a[1], &[0u8; 8])?;
    }
    Ok(0)
}

pub fn sys_time(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (sec, _) = host::clock_gettime(libc::CLOCK_REALTIME)?;
    if a[0] != 0 {
        ctx.user().write_val(a[0], sec)?;
    }
    Ok(sec as u64)
}

fn read_timespec(ctx: &SyscallCtx<'_>, ptr: u64) -> SysResult<(i64, i64)> {
    let sec: i64 = ctx.user().read_val(ptr)?;
    let nsec: i64 = ctx.user().read_val(ptr + 8)?;
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((sec, nsec))
}

const TIMER_ABSTIME: i32 = 1;

fn sleep(ctx: &mut SyscallCtx<'_>, clock: i32, flags: i32, req: u64, rem: u64) -> SysResult {
    let t = read_timespec(ctx, req)?;
    match host::clock_nanosleep(clock, flags & TIMER_ABSTIME, t) {
        Ok(()) => Ok(0),
        Err((libc::EINTR, left)) => {
            if rem != 0 && flags & TIMER_ABSTIME == 0 {
                ctx.user().write(rem, &timespec_bytes(left))?;
            }
            Err(Errno::EINTR)
        }
        Err((e, _)) => Err(Errno(e)),
    }
}

pub fn sys_nanosleep(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    sleep(ctx, libc::CLOCK_MONOTONIC, 0, a[0], a[1])
}

pub fn sys_clock_nanosleep(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let clock = arg_i32(a[0]);
    // The CPU-time clocks cannot be slept on (Linux: EINVAL for threads).
    if !matches!(clock, 0 | 1 | 7 | 11) {
        return Err(if clock == 3 { Errno::EINVAL } else { Errno::EOPNOTSUPP });
    }
    sleep(ctx, clock, arg_i32(a[1]), a[2], a[3])
}
