//! System information: uname, limits, CPUs, randomness.

use super::args::{CStr, Fd, IntFlags, Opaque, Pid, UserPtr};
use super::SyscallCtx;
use crate::abi::random::{GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM};
use crate::abi::resource::{Rlimit64, RLIMIT_NOFILE, RLIM_NLIMITS};
use crate::abi::sched::{
    MAX_RT_PRIO, SCHED_BATCH, SCHED_DEADLINE, SCHED_EXT, SCHED_FIFO, SCHED_IDLE, SCHED_OTHER, SCHED_RESET_ON_FORK,
    SCHED_RR,
};
use crate::abi::sysinfo::Sysinfo;
use crate::abi::utsname::{NewUtsname, NEW_UTS_LEN, UTS_MACHINE, UTS_SYSNAME};
use crate::arch::host;
use crate::errno::{Errno, SysResult};

pub(crate) fn sys_uname(ctx: &mut SyscallCtx<'_>, buf: UserPtr<Opaque>) -> SysResult {
    let u = host::uname()?;
    let (node, domain) = ctx.m.uts.lock().unwrap_or_else(|e| e.into_inner()).clone();
    // Cut to fit, NUL-padded.
    let field = |s: &[u8]| {
        let mut f = [0u8; NEW_UTS_LEN + 1];
        let n = s.len().min(NEW_UTS_LEN);
        f[..n].copy_from_slice(&s[..n]);
        f
    };
    let utsname = NewUtsname {
        sysname: field(UTS_SYSNAME),
        nodename: field(&node),
        release: field(&u.release),
        version: field(&u.version),
        machine: field(UTS_MACHINE),
        domainname: field(&domain),
    };
    ctx.user().write_val(buf.addr(), utsname)?;
    Ok(0)
}

/// getrandom's flags, an `unsigned int` (only the low half of the
/// register counts): known bits, not both GRND_RANDOM and GRND_INSECURE.
fn getrandom_flags(flags: IntFlags) -> SysResult<u32> {
    let flags = flags.0;
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
    }
    Ok(flags)
}

pub(crate) fn sys_getrandom(
    ctx: &mut SyscallCtx<'_>,
    buf: UserPtr<Opaque>,
    count: usize,
    flags: IntFlags,
) -> SysResult {
    let flags = getrandom_flags(flags)?;
    let len = count.min(i32::MAX as usize);
    Ok(ctx.user().host_getrandom(buf.addr(), len, flags)? as u64)
}

pub(crate) fn sys_prlimit64(
    ctx: &mut SyscallCtx<'_>,
    pid: Pid,
    resource: u32,
    new_limit: UserPtr<Opaque>,
    old_limit: UserPtr<Opaque>,
) -> SysResult {
    if pid.0 != 0 && pid.0 != ctx.task.process.pid {
        return Err(Errno::ESRCH);
    }
    if resource >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let new = if !new_limit.is_null() {
        let new: Rlimit64 = ctx.user().read_val(new_limit.addr())?;
        if new.rlim_cur > new.rlim_max {
            return Err(Errno::EINVAL);
        }
        Some((new.rlim_cur, new.rlim_max))
    } else {
        None
    };
    let process = ctx.task.process.clone();
    let mut limits = process.rlimits();
    let prev = limits.get(resource);
    if let Some(n) = new {
        // No descriptor table grows past nr_open (MAX_FDS): Linux refuses
        // a higher hard limit with EPERM. (One inherited from a host with a
        // higher ceiling may be kept.)
        if resource == RLIMIT_NOFILE && n.1 > crate::fs::fdtable::MAX_FDS as u64 && n.1 > prev.1 {
            return Err(Errno::EPERM);
        }
        limits.set(resource, n);
    }
    drop(limits);
    if !old_limit.is_null() {
        ctx.user().write_val(old_limit.addr(), Rlimit64 { rlim_cur: prev.0, rlim_max: prev.1 })?;
    }
    Ok(0)
}

pub(crate) fn sys_sched_getaffinity(ctx: &mut SyscallCtx<'_>, pid: Pid, len: u32, mask: UserPtr<Opaque>) -> SysResult {
    // An `unsigned int`, of whole words, checked before the task is looked
    // for (the host checks it against its number of CPUs).
    let len = len as usize;
    if len == 0 || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let host_tid = affinity_target(ctx, pid)?;
    let mut buf = vec![0u8; len.min(8192)];
    let n = host::sched_getaffinity_of(host_tid, &mut buf)?;
    ctx.user().write(mask.addr(), &buf[..n])?;
    Ok(n as u64)
}

/// sysinfo(2): `--mem` is the machine's RAM; what is committed and what
/// tmpfs files hold are in use (`sharedram`: tmpfs and SysV shm).
pub(crate) fn sys_sysinfo(ctx: &mut SyscallCtx<'_>, info: UserPtr<Opaque>) -> SysResult {
    let st = ctx.m.mem.stats();
    let (freeram, sharedram) = ctx.m.ram_use();
    let uptime = ctx.m.boot_time.elapsed().as_secs() as i64;
    let procs = ctx.m.processes().len() as u16;
    let sysinfo =
        Sysinfo { uptime, totalram: st.mem_total, freeram, sharedram, procs, mem_unit: 1, ..Default::default() };
    ctx.user().write_val(info.addr(), sysinfo)?;
    Ok(0)
}

/// The length is an `int`: only the low half of its register counts, and
/// a negative one is EINVAL.
fn set_uts_field(ctx: &mut SyscallCtx<'_>, name: UserPtr<CStr>, len: usize, domain: bool) -> SysResult {
    let len = usize::try_from(len as i32).map_err(|_| Errno::EINVAL)?;
    if len > NEW_UTS_LEN {
        return Err(Errno::EINVAL);
    }
    let mut bytes = vec![0u8; len];
    ctx.user().read(name.addr(), &mut bytes)?;
    let mut uts = ctx.m.uts.lock().unwrap_or_else(|e| e.into_inner());
    if domain {
        uts.1 = bytes;
    } else {
        uts.0 = bytes;
    }
    Ok(0)
}

/// The machine's own host name (a UTS namespace of its own).
pub(crate) fn sys_sethostname(ctx: &mut SyscallCtx<'_>, name: UserPtr<CStr>, len: usize) -> SysResult {
    set_uts_field(ctx, name, len, false)
}

pub(crate) fn sys_setdomainname(ctx: &mut SyscallCtx<'_>, name: UserPtr<CStr>, len: usize) -> SysResult {
    set_uts_field(ctx, name, len, true)
}

/// sync(2): flushes the file system of the root directory.
pub(crate) fn sys_sync(ctx: &mut SyscallCtx<'_>) -> SysResult {
    host::syncfs(ctx.m.root.raw_fd());
    Ok(0)
}

pub(crate) fn sys_syncfs(ctx: &mut SyscallCtx<'_>, fd: Fd) -> SysResult {
    let f = ctx.file(fd.0 as u64)?;
    if let Ok(fd) = f.host_fd() {
        host::syncfs(fd);
    }
    Ok(0)
}

/// The task a sched_* call names: 0 is the caller; a negative pid is
/// EINVAL.
fn sched_target(ctx: &SyscallCtx<'_>, pid: Pid) -> SysResult<i32> {
    match pid.0 {
        p if p < 0 => Err(Errno::EINVAL),
        p => affinity_target(ctx, Pid(p)),
    }
}

/// The task sched_{get,set}affinity name: 0 is the caller; a negative pid
/// is no task (ESRCH: Linux checks no sign there).
fn affinity_target(ctx: &SyscallCtx<'_>, pid: Pid) -> SysResult<i32> {
    match pid.0 {
        0 => Ok(ctx.task.shared.host_tid()),
        p => ctx.m.task(p).map(|t| t.host_tid()).ok_or(Errno::ESRCH),
    }
}

/// Pins the task's host thread: guest threads are host threads. The
/// length is an `unsigned int`; the mask is read before the task is
/// looked for, as Linux does.
pub(crate) fn sys_sched_setaffinity(ctx: &mut SyscallCtx<'_>, pid: Pid, len: u32, mask: UserPtr<Opaque>) -> SysResult {
    let mut mask_bytes = vec![0u8; (len as usize).min(8192)];
    ctx.user().read(mask.addr(), &mut mask_bytes)?;
    let host_tid = affinity_target(ctx, pid)?;
    host::sched_setaffinity(host_tid, &mask_bytes)?;
    Ok(0)
}

pub(crate) fn sys_sched_getscheduler(ctx: &mut SyscallCtx<'_>, pid: Pid) -> SysResult {
    sched_target(ctx, pid)?;
    Ok(SCHED_OTHER as u64)
}

pub(crate) fn sys_sched_getparam(ctx: &mut SyscallCtx<'_>, pid: Pid, param: UserPtr<Opaque>) -> SysResult {
    if param.is_null() {
        return Err(Errno::EINVAL);
    }
    sched_target(ctx, pid)?;
    ctx.user().write_val(param.addr(), 0i32)?;
    Ok(0)
}

/// Only SCHED_OTHER (priority 0) is offered: a request Linux would take
/// for another policy is EPERM, what a process without CAP_SYS_NICE gets.
/// Errors come in Linux's order: the pid's sign and a NULL param, the
/// param's memory, the task, then the policy and its priority.
pub(crate) fn sys_sched_setscheduler(
    ctx: &mut SyscallCtx<'_>,
    pid: Pid,
    policy: u32,
    param: UserPtr<Opaque>,
) -> SysResult {
    if pid.0 < 0 || param.is_null() {
        return Err(Errno::EINVAL);
    }
    let prio: i32 = ctx.user().read_val(param.addr())?;
    sched_target(ctx, pid)?;
    // SCHED_DEADLINE needs sched_setattr's parameters.
    let policy = (policy & !SCHED_RESET_ON_FORK) as i32;
    if policy == SCHED_DEADLINE || policy == SCHED_EXT {
        return Err(Errno::EINVAL);
    }
    let (min, max) = priority_range(policy)?;
    if !u64::try_from(prio).is_ok_and(|prio| (min..=max).contains(&prio)) {
        return Err(Errno::EINVAL);
    }
    if policy != SCHED_OTHER {
        log::warn!("pid {}: sched_setscheduler({policy}) refused: nommu offers SCHED_OTHER only", ctx.task.process.pid);
        return Err(Errno::EPERM);
    }
    Ok(0)
}

/// SCHED_FIFO and SCHED_RR have priorities 1..99, the others only 0. The
/// policy is an `int`: only its low half counts.
fn priority_range(policy: i32) -> SysResult<(u64, u64)> {
    match policy {
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE | SCHED_EXT => Ok((0, 0)),
        SCHED_FIFO | SCHED_RR => Ok((1, MAX_RT_PRIO as u64 - 1)),
        _ => Err(Errno::EINVAL),
    }
}

pub(crate) fn sys_sched_get_priority_max(_: &mut SyscallCtx<'_>, policy: i32) -> SysResult {
    Ok(priority_range(policy)?.1)
}

pub(crate) fn sys_sched_get_priority_min(_: &mut SyscallCtx<'_>, policy: i32) -> SysResult {
    Ok(priority_range(policy)?.0)
}

/// The cache argument is unused, as in Linux since 2.6.24.
pub(crate) fn sys_getcpu(
    ctx: &mut SyscallCtx<'_>,
    cpu: UserPtr<Opaque>,
    node: UserPtr<Opaque>,
    _cache: UserPtr<Opaque>,
) -> SysResult {
    let (cpu_now, node_now) = host::getcpu();
    if !cpu.is_null() {
        ctx.user().write_val(cpu.addr(), cpu_now)?;
    }
    if !node.is_null() {
        ctx.user().write_val(node.addr(), node_now)?;
    }
    Ok(0)
}

/// membarrier: every guest thread is a host thread of this process, so the
/// host's private expedited barrier covers them (and nommu's own threads).
/// The host's registration is nommu's, made at start (`fs::pins`), so a
/// guest's is kept with its memory context (`Mm`: shared by a vfork child,
/// gone at exec) and a private expedited barrier it did not register for
/// is EPERM, as on Linux.
pub(crate) fn sys_membarrier(ctx: &mut SyscallCtx<'_>, cmd: i32, flags: IntFlags, cpu_id: i32) -> SysResult {
    use crate::abi::sched::*;
    // The flags are an `unsigned int`; only the RSEQ barrier takes one.
    let flags = flags.0;
    let flags_ok = match cmd {
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ => flags & !MEMBARRIER_CMD_FLAG_CPU == 0,
        _ => flags == 0,
    };
    if !flags_ok {
        return Err(Errno::EINVAL);
    }
    let registration = match cmd {
        MEMBARRIER_CMD_PRIVATE_EXPEDITED => MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE => MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
        MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ => MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ,
        _ => 0,
    } as u32;
    let mm = ctx.task.process.mm();
    // A barrier the host has not (EINVAL) before one not registered for.
    let host_has = |c: i32| host::membarrier(MEMBARRIER_CMD_QUERY, 0, 0).is_ok_and(|m| m & i64::from(c) != 0);
    if registration != 0 && mm.membarrier_registrations() & registration == 0 && host_has(cmd) {
        return Err(Errno::EPERM);
    }
    if cmd == MEMBARRIER_CMD_GET_REGISTRATIONS {
        // The host's answer would be nommu's registrations.
        host::membarrier(cmd, flags, cpu_id)?;
        return Ok(u64::from(mm.membarrier_registrations()));
    }
    let r = host::membarrier(cmd, flags, cpu_id)?;
    let registers = [
        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
        MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ,
        MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
    ];
    if registers.contains(&cmd) {
        mm.register_membarrier(cmd as u32);
    }
    Ok(r as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::args::SyscallArg;

    #[test]
    fn getrandom_takes_known_flags_not_random_with_insecure() {
        assert_eq!(getrandom_flags(IntFlags(0)), Ok(0));
        assert_eq!(getrandom_flags(IntFlags(GRND_NONBLOCK | GRND_RANDOM)), Ok(3));
        assert_eq!(getrandom_flags(IntFlags(GRND_NONBLOCK | GRND_INSECURE)), Ok(5));
        assert_eq!(getrandom_flags(IntFlags(GRND_RANDOM | GRND_INSECURE)), Err(Errno::EINVAL));
        assert_eq!(getrandom_flags(IntFlags(8)), Err(Errno::EINVAL));
        // An unsigned int: the upper half is not looked at.
        assert_eq!(getrandom_flags(IntFlags::from_reg(1 << 32 | u64::from(GRND_NONBLOCK))), Ok(1));
    }

    #[test]
    fn priority_ranges_by_policy() {
        for policy in [SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_DEADLINE, SCHED_EXT] {
            assert_eq!(priority_range(policy), Ok((0, 0)));
        }
        assert_eq!(priority_range(SCHED_FIFO), Ok((1, 99)));
        assert_eq!(priority_range(SCHED_RR), Ok((1, 99)));
        // 4 is no policy (SCHED_ISO was never merged); nor is the
        // reset-on-fork flag one.
        for policy in [-1, 4, 8, SCHED_RESET_ON_FORK as i32] {
            assert_eq!(priority_range(policy), Err(Errno::EINVAL));
        }
    }

    // Argument errors through the table, as a guest meets them (what Linux
    // answers was checked natively). Nothing here changes the host's
    // scheduler, limits or names: only calls that fail before, or read.
    mod args {
        use super::super::*;
        use crate::abi::names::number as nr;
        use crate::syscall::testkit::{TestMachine, NEG, NO_PID};
        use vm_memory::ByteValued;

        #[test]
        fn system_information() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            assert_eq!(t.errno(nr("uname"), &[bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("sysinfo"), &[bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("getcpu"), &[bad, 0, 0]), Errno::EFAULT);
            assert_eq!(t.errno(nr("getcpu"), &[0, bad, 0]), Errno::EFAULT);
            assert_eq!(t.errno(nr("syncfs"), &[999]), Errno::EBADF);
            assert_eq!(t.errno(nr("syncfs"), &[NEG]), Errno::EBADF);
            assert_eq!(t.errno(nr("membarrier"), &[1 << 20, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("membarrier"), &[0, 2]), Errno::EINVAL);
            assert_eq!(t.value(nr("getrandom"), &[buf, 8, 0]), Ok(8));
        }

        #[test]
        fn getrandom() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            assert_eq!(t.errno(nr("getrandom"), &[buf, 8, 8]), Errno::EINVAL);
            assert_eq!(t.errno(nr("getrandom"), &[buf, 8, u64::from(GRND_RANDOM | GRND_INSECURE)]), Errno::EINVAL);
            assert_eq!(t.errno(nr("getrandom"), &[bad, 8, u64::from(GRND_NONBLOCK)]), Errno::EFAULT);
            // The flags are an unsigned int: the upper half is ignored.
            assert_eq!(t.value(nr("getrandom"), &[buf, 8, 1 << 32]), Ok(8));
        }

        #[test]
        fn host_and_domain_names() {
            let mut t = TestMachine::new();
            let (bad, name) = (t.bad_ptr(), t.cstr(0, "nommu"));
            for nr in [nr("sethostname"), nr("setdomainname")] {
                assert_eq!(t.errno(nr, &[name, NEW_UTS_LEN as u64 + 1]), Errno::EINVAL);
                assert_eq!(t.errno(nr, &[name, NEG]), Errno::EINVAL);
                assert_eq!(t.errno(nr, &[bad, NEW_UTS_LEN as u64 + 1]), Errno::EINVAL);
                assert_eq!(t.errno(nr, &[bad, 5]), Errno::EFAULT);
                // Nothing to read.
                assert_eq!(t.value(nr, &[bad, 0]), Ok(0));
                // The length is an int: the upper half is ignored.
                assert_eq!(t.value(nr, &[name, 1 << 32 | 5]), Ok(0));
                assert_eq!(t.value(nr, &[name, NEW_UTS_LEN as u64]), Ok(0));
            }
            let (node, domain) = t.m.uts.lock().unwrap().clone();
            assert_eq!(node.len(), NEW_UTS_LEN);
            assert_eq!(domain.len(), NEW_UTS_LEN);
            assert_eq!(&node[..6], b"nommu\0");
        }

        #[test]
        fn scheduling() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.put(0, &[0u8; 128]));
            assert_eq!(t.errno(nr("sched_getparam"), &[NEG, buf]), Errno::EINVAL);
            assert_eq!(t.errno(nr("sched_getparam"), &[NO_PID, buf]), Errno::ESRCH);
            assert_eq!(t.errno(nr("sched_getparam"), &[0, bad]), Errno::EFAULT);
            // No param is EINVAL before the task is looked for.
            assert_eq!(t.errno(nr("sched_getparam"), &[0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("sched_getparam"), &[NO_PID, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("sched_getparam"), &[NO_PID, bad]), Errno::ESRCH);
            assert_eq!(t.errno(nr("sched_getscheduler"), &[NEG]), Errno::EINVAL);
            assert_eq!(t.errno(nr("sched_getscheduler"), &[NO_PID]), Errno::ESRCH);
            for nr in [nr("sched_get_priority_max"), nr("sched_get_priority_min")] {
                assert_eq!(t.errno(nr, &[NEG]), Errno::EINVAL);
                assert_eq!(t.errno(nr, &[4]), Errno::EINVAL);
                assert_eq!(t.errno(nr, &[8]), Errno::EINVAL);
                assert_eq!(t.errno(nr, &[u64::from(SCHED_RESET_ON_FORK)]), Errno::EINVAL);
                assert_eq!(t.value(nr, &[SCHED_DEADLINE as u64]), Ok(0));
            }
            // The policy is an int: the upper half is ignored.
            let fifo = 1 << 32 | SCHED_FIFO as u64;
            assert_eq!(t.value(nr("sched_get_priority_max"), &[fifo]), Ok(99));
            assert_eq!(t.value(nr("sched_get_priority_min"), &[fifo]), Ok(1));
        }

        #[test]
        fn sched_setscheduler() {
            let mut t = TestMachine::new();
            let bad = t.bad_ptr();
            let prio = |t: &TestMachine, offset: u64, p: i32| t.put(offset, &p.to_le_bytes());
            let (zero, five, fifty, hundred, minus) =
                (prio(&t, 0, 0), prio(&t, 4, 5), prio(&t, 8, 50), prio(&t, 12, 100), prio(&t, 16, -1));
            let (other, fifo) = (SCHED_OTHER as u64, SCHED_FIFO as u64);
            let set = nr("sched_setscheduler");
            // A negative pid or no param, then the param, then the task.
            assert_eq!(t.errno(set, &[NEG, other, zero]), Errno::EINVAL);
            assert_eq!(t.errno(set, &[NEG, other, bad]), Errno::EINVAL);
            assert_eq!(t.errno(set, &[0, other, 0]), Errno::EINVAL);
            assert_eq!(t.errno(set, &[NO_PID, other, 0]), Errno::EINVAL);
            assert_eq!(t.errno(set, &[0, other, bad]), Errno::EFAULT);
            assert_eq!(t.errno(set, &[NO_PID, other, bad]), Errno::EFAULT);
            assert_eq!(t.errno(set, &[NO_PID, 99, zero]), Errno::ESRCH);
            assert_eq!(t.errno(set, &[NO_PID, other, zero]), Errno::ESRCH);
            // No such policy, or a priority outside its range.
            for (policy, param) in [
                (99, zero),
                (NEG, zero),
                (4, zero),
                (SCHED_DEADLINE as u64, zero),
                (0x2000_0000, zero),
                (other, five),
                (other, minus),
                (fifo, zero),
                (fifo, hundred),
                (SCHED_BATCH as u64, fifty),
            ] {
                assert_eq!(t.errno(set, &[0, policy, param]), Errno::EINVAL, "policy {policy:#x}");
            }
            // What Linux would grant root, nommu cannot give.
            assert_eq!(t.errno(set, &[0, fifo, fifty]), Errno::EPERM);
            assert_eq!(t.errno(set, &[0, SCHED_IDLE as u64, zero]), Errno::EPERM);
            // SCHED_OTHER is what every task has; the policy is an int.
            assert_eq!(t.value(set, &[0, other, zero]), Ok(0));
            assert_eq!(t.value(set, &[0, 1 << 32 | other, zero]), Ok(0));
            assert_eq!(t.value(set, &[0, other | u64::from(SCHED_RESET_ON_FORK), zero]), Ok(0));
        }

        #[test]
        fn affinity() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.put(0, &[0u8; 128]));
            let (get, set) = (nr("sched_getaffinity"), nr("sched_setaffinity"));
            // A length of whole words, checked before the task.
            for len in [7, 4, 0] {
                assert_eq!(t.errno(get, &[0, len, buf]), Errno::EINVAL, "len {len}");
            }
            assert_eq!(t.errno(get, &[NO_PID, 7, buf]), Errno::EINVAL);
            assert_eq!(t.errno(get, &[0, 8, bad]), Errno::EFAULT);
            // The task, then the mask; a negative pid is no task.
            assert_eq!(t.errno(get, &[NO_PID, 8, buf]), Errno::ESRCH);
            assert_eq!(t.errno(get, &[NO_PID, 8, bad]), Errno::ESRCH);
            assert_eq!(t.errno(get, &[NEG, 8, buf]), Errno::ESRCH);
            // The length is an unsigned int: the upper half is ignored.
            let mask_len = t.value(get, &[0, 8, buf]).unwrap();
            assert_eq!(t.value(get, &[0, 1 << 32 | 8, buf]), Ok(mask_len));
            // setaffinity reads the mask before it looks for the task.
            assert_eq!(t.errno(set, &[NO_PID, 8, buf]), Errno::ESRCH);
            assert_eq!(t.errno(set, &[NEG, 8, buf]), Errno::ESRCH);
            assert_eq!(t.errno(set, &[0, 8, bad]), Errno::EFAULT);
            assert_eq!(t.errno(set, &[NO_PID, 8, bad]), Errno::EFAULT);
            assert_eq!(t.errno(set, &[NEG, 8, bad]), Errno::EFAULT);
            // An empty mask.
            assert_eq!(t.errno(set, &[0, 0, buf]), Errno::EINVAL);
        }

        #[test]
        fn prlimit64() {
            let mut t = TestMachine::new();
            let (bad, old) = (t.bad_ptr(), t.scratch);
            let inverted = t.put(0x100, Rlimit64 { rlim_cur: 10, rlim_max: 5 }.as_slice());
            let nofile = u64::from(RLIMIT_NOFILE);
            assert_eq!(t.errno(nr("prlimit64"), &[0, 99, 0, old]), Errno::EINVAL);
            assert_eq!(t.errno(nr("prlimit64"), &[0, u64::from(RLIM_NLIMITS), 0, old]), Errno::EINVAL);
            assert_eq!(t.errno(nr("prlimit64"), &[NO_PID, nofile, 0, old]), Errno::ESRCH);
            assert_eq!(t.errno(nr("prlimit64"), &[0, nofile, inverted, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("prlimit64"), &[0, nofile, bad, 0]), Errno::EFAULT);
            assert_eq!(t.errno(nr("prlimit64"), &[0, nofile, 0, bad]), Errno::EFAULT);
            // The resource is an unsigned int: the upper half is ignored.
            assert_eq!(t.value(nr("prlimit64"), &[0, 1 << 32 | nofile, 0, old]), Ok(0));
        }
    }
}
