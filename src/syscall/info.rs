//! System information: uname, limits, CPUs, randomness.

use super::{arg_i32, Args, SyscallCtx};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::kernel::process::RLIM_NLIMITS;

const UTS_FIELD: usize = 65;

pub fn sys_uname(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let u = host::uname()?;
    let (node, domain) = ctx.m.uts.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let mut buf = [0u8; UTS_FIELD * 6];
    let fields: [&[u8]; 6] = [b"Linux", &node, &u.release, &u.version, b"x86_64", &domain];
    for (i, f) in fields.iter().enumerate() {
        let n = f.len().min(UTS_FIELD - 1);
        buf[i * UTS_FIELD..i * UTS_FIELD + n].copy_from_slice(&f[..n]);
    }
    ctx.user().write(a[0], &buf)?;
    Ok(0)
}

const GRND_NONBLOCK: u64 = 1;
const GRND_RANDOM: u64 = 2;
const GRND_INSECURE: u64 = 4;

pub fn sys_getrandom(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let flags = a[2];
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
    }
    let len = a[1].min(i32::MAX as u64) as usize;
    Ok(ctx.user().host_getrandom(a[0], len, flags as u32)? as u64)
}

pub fn sys_prlimit64(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (pid, resource, new, old) = (arg_i32(a[0]), a[1] as u32 as usize, a[2], a[3]);
    if pid != 0 && pid != ctx.task.process.pid {
        return Err(Errno::ESRCH);
    }
    if resource >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let new = if new != 0 {
        let cur: u64 = ctx.user().read_val(new)?;
        let max: u64 = ctx.user().read_val(new + 8)?;
        if cur > max {
            return Err(Errno::EINVAL);
        }
        Some((cur, max))
    } else {
        None
    };
    let process = ctx.task.process.clone();
    let mut limits = process.rlimits();
    let prev = limits[resource];
    if let Some(n) = new {
        // No descriptor table grows past nr_open (MAX_FDS): Linux refuses
        // a higher hard limit with EPERM. (One inherited from a host with a
        // higher ceiling may be kept.)
        if resource == libc::RLIMIT_NOFILE as usize && n.1 > crate::fs::fdtable::MAX_FDS as u64 && n.1 > prev.1 {
            return Err(Errno::EPERM);
        }
        limits[resource] = n;
    }
    drop(limits);
    if old != 0 {
        ctx.user().write_val(old, prev.0)?;
        ctx.user().write_val(old + 8, prev.1)?;
    }
    Ok(0)
}

pub fn sys_sched_getaffinity(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (len, mask) = (a[1], a[2]);
    let host_tid = sched_target(ctx, arg_i32(a[0]))?;
    if len % 8 != 0 {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; (len as usize).min(8192)];
    let n = host::sched_getaffinity_of(host_tid, &mut buf)?;
    ctx.user().write(mask, &buf[..n])?;
    Ok(n as u64)
}

/// sysinfo(2): the arena is the machine's RAM.
pub fn sys_sysinfo(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let st = ctx.m.mem.stats();
    let uptime = ctx.m.boot_time.elapsed().as_secs() as i64;
    let procs = ctx.m.processes().len() as u16;
    let mut b = [0u8; 112];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(0, &uptime.to_le_bytes());
    // loads[3] at 8: zero.
    put(32, &st.total.to_le_bytes());
    put(40, &st.free.to_le_bytes());
    // sharedram, bufferram, totalswap, freeswap: zero.
    put(80, &procs.to_le_bytes());
    // totalhigh, freehigh: zero; mem_unit at 104.
    put(104, &1u32.to_le_bytes());
    ctx.user().write(a[0], &b)?;
    Ok(0)
}

fn set_uts_field(ctx: &mut SyscallCtx<'_>, a: &Args, domain: bool) -> SysResult {
    let len = a[1] as i64;
    if !(0..UTS_FIELD as i64).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let mut name = vec![0u8; len as usize];
    ctx.user().read(a[0], &mut name)?;
    let mut uts = ctx.m.uts.lock().unwrap_or_else(|e| e.into_inner());
    if domain {
        uts.1 = name;
    } else {
        uts.0 = name;
    }
    Ok(0)
}

/// The machine's own host name (a UTS namespace of its own).
pub fn sys_sethostname(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    set_uts_field(ctx, a, false)
}

pub fn sys_setdomainname(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    set_uts_field(ctx, a, true)
}

/// sync(2): flushes the file system of the root directory.
pub fn sys_sync(ctx: &mut SyscallCtx<'_>, _: &Args) -> SysResult {
    host::syncfs(ctx.m.root.raw_fd());
    Ok(0)
}

pub fn sys_syncfs(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let f = ctx.file(a[0])?;
    if let Ok(fd) = f.host_fd() {
        host::syncfs(fd);
    }
    Ok(0)
}

/// The task a sched_* call names: 0 is the caller.
fn sched_target(ctx: &SyscallCtx<'_>, pid: i32) -> SysResult<i32> {
    match pid {
        0 => Ok(ctx.task.shared.host_tid()),
        p if p < 0 => Err(Errno::EINVAL),
        p => ctx.m.task(p).map(|t| t.host_tid()).ok_or(Errno::ESRCH),
    }
}

/// Pins the task's host thread: guest threads are host threads.
pub fn sys_sched_setaffinity(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let host_tid = sched_target(ctx, arg_i32(a[0]))?;
    let len = (a[1] as usize).min(8192);
    let mut mask = vec![0u8; len];
    ctx.user().read(a[2], &mut mask)?;
    host::sched_setaffinity(host_tid, &mask)?;
    Ok(0)
}

const SCHED_OTHER: u64 = 0;

pub fn sys_sched_getscheduler(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    sched_target(ctx, arg_i32(a[0]))?;
    Ok(SCHED_OTHER)
}

pub fn sys_sched_getparam(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    sched_target(ctx, arg_i32(a[0]))?;
    ctx.user().write_val(a[1], 0i32)?;
    Ok(0)
}

/// Only SCHED_OTHER (priority 0) is offered.
pub fn sys_sched_setscheduler(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    sched_target(ctx, arg_i32(a[0]))?;
    let prio: i32 = ctx.user().read_val(a[2])?;
    if a[1] as u32 as u64 != SCHED_OTHER || prio != 0 {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

/// SCHED_FIFO and SCHED_RR have priorities 1..99, the others only 0.
fn priority_range(policy: u64) -> SysResult<(u64, u64)> {
    match policy {
        0 | 3 | 5 => Ok((0, 0)),
        1 | 2 => Ok((1, 99)),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sched_get_priority_max(_: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    Ok(priority_range(a[0])?.1)
}

pub fn sys_sched_get_priority_min(_: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    Ok(priority_range(a[0])?.0)
}

pub fn sys_getcpu(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (cpu, node) = host::getcpu();
    if a[0] != 0 {
        ctx.user().write_val(a[0], cpu)?;
    }
    if a[1] != 0 {
        ctx.user().write_val(a[1], node)?;
    }
    Ok(0)
}

const MEMBARRIER_CMD_QUERY: u64 = 0;

/// membarrier: every guest thread is a host thread of this process, so the
/// host's private expedited barrier covers exactly them.
pub fn sys_membarrier(_: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    if a[0] == MEMBARRIER_CMD_QUERY {
        return Ok(host::membarrier(0, a[1] as u32)? as u64);
    }
    Ok(host::membarrier(a[0] as i32, a[1] as u32)? as u64)
}
