//! Process and thread identity, exit, and per-thread registers.

use super::args::{Opaque, Pid, UserPtr};
use super::{SyscallCtx, SyscallReturn, TaskExit};
use crate::abi::consts::{NGROUPS_MAX, TASK_SIZE};
use crate::abi::futex::RobustListHead;
use crate::abi::prctl::*;
use crate::abi::reboot::*;
use crate::abi::sched::TASK_COMM_LEN;
use crate::abi::signal::NSIG;
use crate::errno::{Errno, SysResult};
use crate::kernel::ExitStatus;
use std::sync::atomic::Ordering;

pub(crate) fn sys_getpid(ctx: &mut SyscallCtx<'_>) -> SysResult {
    Ok(ctx.task.process.pid as u64)
}

pub(crate) fn sys_gettid(ctx: &mut SyscallCtx<'_>) -> SysResult {
    Ok(ctx.task.tid as u64)
}

pub(crate) fn sys_getppid(ctx: &mut SyscallCtx<'_>) -> SysResult {
    Ok(ctx.task.process.ppid() as u64)
}

/// Everyone is root inside the machine.
pub(crate) fn sys_getuid(_: &mut SyscallCtx<'_>) -> SysResult {
    Ok(0)
}

pub(crate) fn sys_geteuid(_: &mut SyscallCtx<'_>) -> SysResult {
    Ok(0)
}

pub(crate) fn sys_getgid(_: &mut SyscallCtx<'_>) -> SysResult {
    Ok(0)
}

pub(crate) fn sys_getegid(_: &mut SyscallCtx<'_>) -> SysResult {
    Ok(0)
}

/// exit ends the calling thread; the process ends with its last thread.
pub(crate) fn sys_exit(_: &mut SyscallCtx<'_>, status: i32) -> SysResult<SyscallReturn> {
    Ok(SyscallReturn::Exit(TaskExit::Thread(status as u8)))
}

pub(crate) fn sys_exit_group(_: &mut SyscallCtx<'_>, status: i32) -> SysResult<SyscallReturn> {
    Ok(SyscallReturn::Exit(TaskExit::Group(ExitStatus::Exited(status as u8))))
}

pub(crate) fn sys_arch_prctl(ctx: &mut SyscallCtx<'_>, code: u32, addr: u64) -> SysResult {
    match code {
        ARCH_SET_FS => {
            // TASK_SIZE_MAX: the last user page is not a valid base either.
            if addr >= TASK_SIZE {
                return Err(Errno::EPERM);
            }
            ctx.task.vcpu.set_fs_base(addr);
            Ok(0)
        }
        ARCH_GET_FS => {
            let fs = ctx.task.vcpu.fs_base();
            ctx.user().write_val(addr, fs)?;
            Ok(0)
        }
        // GS belongs to nommu: it points at each thread's entry area.
        ARCH_SET_GS => {
            log::warn!("pid {}: arch_prctl(ARCH_SET_GS) refused: GS is reserved by nommu", ctx.task.process.pid);
            Err(Errno::EPERM)
        }
        ARCH_GET_GS => {
            ctx.user().write_val(addr, 0u64)?;
            Ok(0)
        }
        ARCH_GET_CPUID => Ok(1),
        _ => Err(Errno::EINVAL),
    }
}

pub(crate) fn sys_set_tid_address(ctx: &mut SyscallCtx<'_>, tidptr: UserPtr<Opaque>) -> SysResult {
    ctx.task.clear_child_tid = tidptr.addr();
    Ok(ctx.task.tid as u64)
}

pub(crate) fn sys_set_robust_list(ctx: &mut SyscallCtx<'_>, head: UserPtr<Opaque>, len: usize) -> SysResult {
    if len != std::mem::size_of::<RobustListHead>() {
        return Err(Errno::EINVAL);
    }
    *ctx.task.shared.robust_list.lock().unwrap_or_else(|e| e.into_inner()) = (head.addr(), len as u64);
    Ok(0)
}

pub(crate) fn sys_get_robust_list(
    ctx: &mut SyscallCtx<'_>,
    tid: Pid,
    head_ptr: UserPtr<Opaque>,
    len_ptr: UserPtr<Opaque>,
) -> SysResult {
    let task = if tid.0 == 0 { Some(ctx.task.shared.clone()) } else { ctx.m.task(tid.0) };
    let (head, len) = *task.ok_or(Errno::ESRCH)?.robust_list.lock().unwrap_or_else(|e| e.into_inner());
    ctx.user().write_val(head_ptr.addr(), head)?;
    ctx.user().write_val(len_ptr.addr(), len)?;
    Ok(0)
}

pub(crate) fn sys_sched_yield(_: &mut SyscallCtx<'_>) -> SysResult {
    std::thread::yield_now();
    Ok(0)
}

/// The option is an `int` (only its low half counts); arg2 is an
/// `unsigned long`, looked at in full. arg3 to arg5 are not used by any
/// option nommu offers.
pub(crate) fn sys_prctl(
    ctx: &mut SyscallCtx<'_>,
    option: i32,
    arg2: u64,
    _arg3: u64,
    _arg4: u64,
    _arg5: u64,
) -> SysResult {
    match option {
        PR_SET_NAME => {
            let name = read_comm(ctx, arg2)?;
            // The main thread's name is the process's; others have their own.
            if ctx.task.tid == ctx.task.process.pid {
                ctx.task.process.set_comm(&name);
            } else {
                *ctx.task.shared.name.lock().unwrap_or_else(|e| e.into_inner()) = Some(name);
            }
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = [0u8; TASK_COMM_LEN];
            let own = ctx.task.shared.name.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let comm = own.unwrap_or_else(|| ctx.task.process.comm_bytes());
            name[..comm.len()].copy_from_slice(&comm);
            ctx.user().write(arg2, &name)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(1),
        PR_SET_DUMPABLE => (arg2 <= 1).then_some(0).ok_or(Errno::EINVAL),
        PR_GET_PDEATHSIG | PR_GET_CHILD_SUBREAPER => {
            ctx.user().write_val(arg2, 0i32)?;
            Ok(0)
        }
        // Signal 0 clears the death signal; the others must exist.
        PR_SET_PDEATHSIG if arg2 > NSIG as u64 => Err(Errno::EINVAL),
        PR_SET_PDEATHSIG | PR_SET_CHILD_SUBREAPER => {
            log::debug!("prctl({option}) accepted but not acted on");
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS => (arg2 == 1).then_some(0).ok_or(Errno::EINVAL),
        PR_GET_NO_NEW_PRIVS => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// A name for PR_SET_NAME, as Linux's strncpy_from_user takes it: up to
/// TASK_COMM_LEN - 1 bytes, to the NUL; EFAULT if a byte before either
/// cannot be read.
fn read_comm(ctx: &SyscallCtx<'_>, addr: u64) -> SysResult<Vec<u8>> {
    let mut name = Vec::with_capacity(TASK_COMM_LEN - 1);
    for i in 0..TASK_COMM_LEN as u64 - 1 {
        match ctx.user().read_val::<u8>(addr.wrapping_add(i))? {
            0 => break,
            b => name.push(b),
        }
    }
    Ok(name)
}

pub(crate) fn sys_getpgid(ctx: &mut SyscallCtx<'_>, pid: Pid) -> SysResult {
    if pid.0 == 0 {
        return Ok(ctx.task.process.pgid() as u64);
    }
    // A zombie keeps its ids until it is reaped.
    let p = ctx.m.process(pid.0).ok_or(Errno::ESRCH)?;
    Ok(p.pgid() as u64)
}

pub(crate) fn sys_getpgrp(ctx: &mut SyscallCtx<'_>) -> SysResult {
    Ok(ctx.task.process.pgid() as u64)
}

pub(crate) fn sys_getsid(ctx: &mut SyscallCtx<'_>, pid: Pid) -> SysResult {
    if pid.0 == 0 {
        return Ok(ctx.task.process.sid() as u64);
    }
    let p = ctx.m.process(pid.0).ok_or(Errno::ESRCH)?;
    Ok(p.sid() as u64)
}

pub(crate) fn sys_setpgid(ctx: &mut SyscallCtx<'_>, pid: Pid, pgid: Pid) -> SysResult {
    let me = ctx.task.process.clone();
    let pid = match pid.0 {
        0 => me.pid,
        p if p < 0 => return Err(Errno::EINVAL),
        p => p,
    };
    let pgid = match pgid.0 {
        0 => pid,
        g if g < 0 => return Err(Errno::EINVAL),
        g => g,
    };
    let target = ctx.m.process(pid).filter(|p| !p.is_zombie()).ok_or(Errno::ESRCH)?;
    if target.pid != me.pid {
        if target.ppid() != me.pid {
            return Err(Errno::ESRCH);
        }
        if target.sid() != me.sid() {
            return Err(Errno::EPERM);
        }
        if target.did_exec.load(Ordering::Relaxed) {
            return Err(Errno::EACCES);
        }
    }
    if target.sid() == target.pid {
        return Err(Errno::EPERM);
    }
    // The group must exist in the same session, unless it is a new one.
    if pgid != pid && !ctx.m.live_processes().iter().any(|p| p.pgid() == pgid && p.sid() == me.sid()) {
        return Err(Errno::EPERM);
    }
    target.pgid.store(pgid, Ordering::Relaxed);
    Ok(0)
}

pub(crate) fn sys_setsid(ctx: &mut SyscallCtx<'_>) -> SysResult {
    let me = ctx.task.process.clone();
    if ctx.m.live_processes().iter().any(|p| p.pgid() == me.pid) {
        return Err(Errno::EPERM);
    }
    me.sid.store(me.pid, Ordering::Relaxed);
    me.pgid.store(me.pid, Ordering::Relaxed);
    Ok(me.pid as u64)
}

/// reboot(2): halt and power-off end the machine with status 0; restart
/// ends it too (nommu does not boot again by itself), with a note.
pub(crate) fn sys_reboot(
    ctx: &mut SyscallCtx<'_>,
    magic: u32,
    magic2: u32,
    cmd: u32,
    _arg: UserPtr<Opaque>,
) -> SysResult<SyscallReturn> {
    let magic2_ok =
        [LINUX_REBOOT_MAGIC2, LINUX_REBOOT_MAGIC2A, LINUX_REBOOT_MAGIC2B, LINUX_REBOOT_MAGIC2C].contains(&magic2);
    if magic != LINUX_REBOOT_MAGIC1 || !magic2_ok {
        return Err(Errno::EINVAL);
    }
    match cmd {
        LINUX_REBOOT_CMD_CAD_ON | LINUX_REBOOT_CMD_CAD_OFF => Ok(SyscallReturn::Return(0)),
        cmd @ (LINUX_REBOOT_CMD_HALT | LINUX_REBOOT_CMD_POWER_OFF | LINUX_REBOOT_CMD_RESTART) => {
            let what = match cmd {
                LINUX_REBOOT_CMD_HALT => "System halted.",
                LINUX_REBOOT_CMD_POWER_OFF => "Power down.",
                _ => "Restarting system: nommu exits; boot it again to restart.",
            };
            // The kernel's last words go to the console.
            if ctx.m.klog.printk(crate::kernel::klog::KERN_EMERG, what) {
                println!("nommu: {what}");
            }
            ctx.m.shut_down(ExitStatus::Exited(0));
            // The calling task never returns to the guest.
            Ok(SyscallReturn::Exit(TaskExit::Group(ExitStatus::Exited(0))))
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The id -1 (`(uid_t)-1`): Linux's INVALID_UID. Where an id must be given
/// it is EINVAL; in setre*id/setres*id it means "leave this one".
const NO_ID: u32 = u32::MAX;

/// Everyone is root inside; nommu cannot become anyone else. Setting the
/// ids nommu already has succeeds; anything else is EPERM.
fn only_root(kind: &str, ids: &[u32]) -> SysResult {
    if ids.iter().all(|&id| id == 0 || id == NO_ID) {
        Ok(0)
    } else {
        log::warn!("nommu runs every process as uid and gid 0: cannot change the {kind} to {ids:?}");
        Err(Errno::EPERM)
    }
}

/// setuid/setgid: one id that must be valid.
fn set_one(kind: &str, id: u32) -> SysResult {
    if id == NO_ID {
        return Err(Errno::EINVAL);
    }
    only_root(kind, &[id])
}

pub(crate) fn sys_setuid(_: &mut SyscallCtx<'_>, uid: u32) -> SysResult {
    set_one("uid", uid)
}

pub(crate) fn sys_setgid(_: &mut SyscallCtx<'_>, gid: u32) -> SysResult {
    set_one("gid", gid)
}

/// setre*id/setres*id: -1 (`NO_ID`) leaves an id as it is.
pub(crate) fn sys_setreuid(_: &mut SyscallCtx<'_>, ruid: u32, euid: u32) -> SysResult {
    only_root("uids", &[ruid, euid])
}

pub(crate) fn sys_setregid(_: &mut SyscallCtx<'_>, rgid: u32, egid: u32) -> SysResult {
    only_root("gids", &[rgid, egid])
}

pub(crate) fn sys_setresuid(_: &mut SyscallCtx<'_>, ruid: u32, euid: u32, suid: u32) -> SysResult {
    only_root("uids", &[ruid, euid, suid])
}

pub(crate) fn sys_setresgid(_: &mut SyscallCtx<'_>, rgid: u32, egid: u32, sgid: u32) -> SysResult {
    only_root("gids", &[rgid, egid, sgid])
}

/// setfsuid/setfsgid never fail: they return the old id (always 0 here)
/// and change it only when allowed, which inside nommu means to 0.
fn set_fs_id(kind: &str, id: u32) -> SysResult {
    if id != 0 && id != NO_ID {
        log::warn!("nommu runs every process as {kind} 0: setfs{kind}({id}) leaves the fs{kind} at 0");
    }
    Ok(0)
}

pub(crate) fn sys_setfsuid(_: &mut SyscallCtx<'_>, fsuid: u32) -> SysResult {
    set_fs_id("uid", fsuid)
}

pub(crate) fn sys_setfsgid(_: &mut SyscallCtx<'_>, fsgid: u32) -> SysResult {
    set_fs_id("gid", fsgid)
}

/// getresuid/getresgid: every id is 0.
fn write_root_ids(ctx: &SyscallCtx<'_>, ids: [UserPtr<Opaque>; 3]) -> SysResult {
    for id in ids {
        ctx.user().write_val(id.addr(), 0u32)?;
    }
    Ok(0)
}

pub(crate) fn sys_getresuid(
    ctx: &mut SyscallCtx<'_>,
    ruid: UserPtr<Opaque>,
    euid: UserPtr<Opaque>,
    suid: UserPtr<Opaque>,
) -> SysResult {
    write_root_ids(ctx, [ruid, euid, suid])
}

pub(crate) fn sys_getresgid(
    ctx: &mut SyscallCtx<'_>,
    rgid: UserPtr<Opaque>,
    egid: UserPtr<Opaque>,
    sgid: UserPtr<Opaque>,
) -> SysResult {
    write_root_ids(ctx, [rgid, egid, sgid])
}

/// The one supplementary group is 0. The size is an `int`: only the low
/// half of its register counts.
pub(crate) fn sys_getgroups(ctx: &mut SyscallCtx<'_>, size: i32, list: UserPtr<Opaque>) -> SysResult {
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    if size != 0 {
        ctx.user().write_val(list.addr(), 0u32)?;
    }
    Ok(1)
}

/// The size is an int; Linux compares it as unsigned.
pub(crate) fn sys_setgroups(ctx: &mut SyscallCtx<'_>, size: u32, list: UserPtr<Opaque>) -> SysResult {
    let n = u64::from(size);
    if n > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let mut ids = Vec::with_capacity(n as usize);
    for i in 0..n {
        ids.push(ctx.user().read_val::<u32>(list.addr().wrapping_add(4 * i))?);
    }
    if ids.contains(&NO_ID) {
        return Err(Errno::EINVAL);
    }
    only_root("supplementary groups", &ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_root_ids_can_be_set() {
        assert_eq!(only_root("uids", &[0, NO_ID, 0]), Ok(0));
        assert_eq!(only_root("uids", &[0, 1000]), Err(Errno::EPERM));
        assert_eq!(set_one("uid", 0), Ok(0));
        assert_eq!(set_one("uid", 1), Err(Errno::EPERM));
        // -1 leaves an id as it is, but setuid needs one.
        assert_eq!(set_one("uid", NO_ID), Err(Errno::EINVAL));
    }

    // Argument errors through the table, as a guest meets them (what Linux
    // answers was checked natively).
    mod args {
        use super::super::*;
        use crate::abi::names::number as nr;
        use crate::syscall::testkit::{TestMachine, NEG, NO_PID};

        #[test]
        fn arch_prctl() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            let (get_fs, get_gs, set_fs) = (ARCH_GET_FS.into(), ARCH_GET_GS.into(), ARCH_SET_FS.into());
            assert_eq!(t.errno(nr("arch_prctl"), &[0x9999, buf]), Errno::EINVAL);
            // The code is an int: the upper half is ignored.
            assert_eq!(t.value(nr("arch_prctl"), &[1 << 32 | get_fs, buf]), Ok(0));
            assert_eq!(t.errno(nr("arch_prctl"), &[1 << 32 | get_fs, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("arch_prctl"), &[get_fs, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("arch_prctl"), &[get_gs, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("arch_prctl"), &[set_fs, TASK_SIZE]), Errno::EPERM);
            assert_eq!(t.errno(nr("arch_prctl"), &[set_fs, u64::MAX]), Errno::EPERM);
        }

        #[test]
        fn robust_lists() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            assert_eq!(t.errno(nr("set_robust_list"), &[buf, 23]), Errno::EINVAL);
            assert_eq!(t.errno(nr("set_robust_list"), &[buf, 1 << 32 | 24]), Errno::EINVAL);
            assert_eq!(t.errno(nr("get_robust_list"), &[NO_PID, buf, buf + 8]), Errno::ESRCH);
            assert_eq!(t.errno(nr("get_robust_list"), &[0, bad, buf]), Errno::EFAULT);
            assert_eq!(t.errno(nr("get_robust_list"), &[0, buf, bad]), Errno::EFAULT);
        }

        #[test]
        fn prctl() {
            let mut t = TestMachine::new();
            let bad = t.bad_ptr();
            assert_eq!(t.errno(nr("prctl"), &[0x7fff_0000]), Errno::EINVAL);
            assert_eq!(t.errno(nr("prctl"), &[-1i64 as u64]), Errno::EINVAL);
            assert_eq!(t.errno(nr("prctl"), &[PR_SET_DUMPABLE as u64, 2]), Errno::EINVAL);
            assert_eq!(t.errno(nr("prctl"), &[PR_SET_NO_NEW_PRIVS as u64, 0]), Errno::EINVAL);
            for option in [PR_GET_NAME, PR_GET_PDEATHSIG, PR_GET_CHILD_SUBREAPER] {
                assert_eq!(t.errno(nr("prctl"), &[option as u64, bad]), Errno::EFAULT, "option {option}");
            }
            // The option is an int: the upper half is ignored.
            assert_eq!(t.value(nr("prctl"), &[1 << 32 | PR_GET_DUMPABLE as u64]), Ok(1));
            // arg2 is an unsigned long: all of it counts.
            assert_eq!(t.errno(nr("prctl"), &[PR_SET_DUMPABLE as u64, 1 << 32 | 1]), Errno::EINVAL);
            assert_eq!(t.errno(nr("prctl"), &[PR_SET_NO_NEW_PRIVS as u64, 1 << 32 | 1]), Errno::EINVAL);
        }

        #[test]
        fn prctl_death_signal() {
            let mut t = TestMachine::new();
            let set = PR_SET_PDEATHSIG as u64;
            for sig in [NSIG as u64 + 1, 1 << 32 | 1, NEG] {
                assert_eq!(t.errno(nr("prctl"), &[set, sig]), Errno::EINVAL, "signal {sig:#x}");
            }
            // 0 clears it.
            assert_eq!(t.value(nr("prctl"), &[set, 0]), Ok(0));
            assert_eq!(t.value(nr("prctl"), &[set, NSIG as u64]), Ok(0));
        }

        #[test]
        fn prctl_names() {
            let mut t = TestMachine::new();
            let (set, get) = (PR_SET_NAME as u64, PR_GET_NAME as u64);
            assert_eq!(t.errno(nr("prctl"), &[set, t.bad_ptr()]), Errno::EFAULT);
            // At most 15 bytes are taken; the name read back ends in a NUL.
            let long = t.cstr(0, "0123456789abcdefXYZ");
            assert_eq!(t.value(nr("prctl"), &[set, long]), Ok(0));
            let out = t.put(0x100, &[0xff; TASK_COMM_LEN]);
            assert_eq!(t.value(nr("prctl"), &[get, out]), Ok(0));
            let mut name = [0u8; TASK_COMM_LEN];
            t.m.mem.user.read(out, &mut name).unwrap();
            assert_eq!(&name, b"0123456789abcde\0");
            let empty = t.cstr(0x200, "");
            assert_eq!(t.value(nr("prctl"), &[set, empty]), Ok(0));
        }

        #[test]
        fn process_groups_and_sessions() {
            let mut t = TestMachine::new();
            for nr in [121, 124] {
                assert_eq!(t.errno(nr, &[NO_PID]), Errno::ESRCH);
                assert_eq!(t.errno(nr, &[-1i64 as u64]), Errno::ESRCH);
            }
            assert_eq!(t.errno(nr("setpgid"), &[0, -1i64 as u64]), Errno::EINVAL);
            assert_eq!(t.errno(nr("setpgid"), &[-1i64 as u64, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("setpgid"), &[NO_PID, 0]), Errno::ESRCH);
            // The only process leads its session (and so its group).
            assert_eq!(t.errno(nr("setpgid"), &[0, 0]), Errno::EPERM);
            assert_eq!(t.errno(nr("setsid"), &[]), Errno::EPERM);
            // pid_t is an int: the upper half is ignored.
            assert_eq!(t.value(nr("getpgid"), &[1 << 32]), Ok(1));
        }

        #[test]
        fn reboot_needs_both_magic_numbers_and_a_command() {
            let mut t = TestMachine::new();
            let (magic1, magic2) = (LINUX_REBOOT_MAGIC1.into(), LINUX_REBOOT_MAGIC2.into());
            let cad_off = LINUX_REBOOT_CMD_CAD_OFF.into();
            assert_eq!(t.errno(nr("reboot"), &[0, 0, 0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("reboot"), &[magic1, 0, cad_off, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("reboot"), &[0, magic2, cad_off, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("reboot"), &[magic1, magic2, 0x1234, 0]), Errno::EINVAL);
        }

        #[test]
        fn ids() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            // -1 is no id: setuid and setgid need one.
            assert_eq!(t.errno(nr("setuid"), &[u64::from(NO_ID)]), Errno::EINVAL);
            assert_eq!(t.errno(nr("setgid"), &[u64::from(NO_ID)]), Errno::EINVAL);
            assert_eq!(t.value(nr("setuid"), &[1 << 32]), Ok(0));
            for nr in [118, 120] {
                assert_eq!(t.errno(nr, &[bad, buf, buf]), Errno::EFAULT);
                assert_eq!(t.errno(nr, &[buf, bad, buf]), Errno::EFAULT);
                assert_eq!(t.errno(nr, &[buf, buf, bad]), Errno::EFAULT);
            }
            // getgroups: a negative size; a size of 0 only counts.
            assert_eq!(t.errno(nr("getgroups"), &[-1i64 as u64, buf]), Errno::EINVAL);
            assert_eq!(t.errno(nr("getgroups"), &[1, bad]), Errno::EFAULT);
            assert_eq!(t.value(nr("getgroups"), &[0, bad]), Ok(1));
            // The size is an int: the upper half is ignored.
            assert_eq!(t.value(nr("getgroups"), &[1 << 32, bad]), Ok(1));
            assert_eq!(t.errno(nr("getgroups"), &[1 << 32 | 1, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("getgroups"), &[1 << 32 | 0xffff_ffff, buf]), Errno::EINVAL);
            // setgroups: at most NGROUPS_MAX (unsigned: -1 is too many).
            assert_eq!(t.errno(nr("setgroups"), &[NGROUPS_MAX + 1, buf]), Errno::EINVAL);
            assert_eq!(t.errno(nr("setgroups"), &[-1i64 as u64, buf]), Errno::EINVAL);
            assert_eq!(t.errno(nr("setgroups"), &[1, bad]), Errno::EFAULT);
            let no_id = t.put(0x100, &NO_ID.to_le_bytes());
            assert_eq!(t.errno(nr("setgroups"), &[1, no_id]), Errno::EINVAL);
        }

        /// setre*id and setres*id: -1 leaves an id; ids are unsigned ints.
        /// Everyone is root in nommu and stays root: another id is EPERM
        /// (what Linux answers a process without CAP_SETUID).
        #[test]
        fn set_several_ids() {
            let mut t = TestMachine::new();
            let no_id = u64::from(NO_ID);
            for nr in [nr("setreuid"), nr("setregid")] {
                assert_eq!(t.value(nr, &[no_id, no_id]), Ok(0));
                assert_eq!(t.value(nr, &[0, no_id]), Ok(0));
                assert_eq!(t.value(nr, &[1 << 32, 1 << 32 | no_id]), Ok(0));
                assert_eq!(t.errno(nr, &[1000, no_id]), Errno::EPERM);
                assert_eq!(t.errno(nr, &[no_id, 1000]), Errno::EPERM);
            }
            for nr in [nr("setresuid"), nr("setresgid")] {
                assert_eq!(t.value(nr, &[no_id, no_id, no_id]), Ok(0));
                assert_eq!(t.value(nr, &[1 << 32, 1 << 32 | no_id, 0]), Ok(0));
                assert_eq!(t.errno(nr, &[no_id, no_id, 1000]), Errno::EPERM);
                assert_eq!(t.errno(nr, &[1, 0, 0]), Errno::EPERM);
            }
        }

        /// setfsuid and setfsgid never fail: they answer the old id (0),
        /// which stays 0 in nommu (Linux, as root, would change it).
        #[test]
        fn set_fs_ids() {
            let mut t = TestMachine::new();
            for nr in [nr("setfsuid"), nr("setfsgid")] {
                assert_eq!(t.value(nr, &[u64::from(NO_ID)]), Ok(0));
                assert_eq!(t.value(nr, &[1 << 32]), Ok(0));
                assert_eq!(t.value(nr, &[1000]), Ok(0));
                assert_eq!(t.value(nr, &[u64::from(NO_ID)]), Ok(0));
            }
        }
    }
}
