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
    let (pid, len, mask) = (arg_i32(a[0]), a[1], a[2]);
    if pid != 0 && pid != ctx.task.tid {
        return Err(Errno::ESRCH);
    }
    if len % 8 != 0 {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; (len as usize).min(8192)];
    let n = host::sched_getaffinity(&mut buf)?;
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
