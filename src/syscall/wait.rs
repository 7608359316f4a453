//! wait4 and waitid: zombies, stopped and continued children.

use super::args::{Flags, Opaque, Pid, UserPtr};
use super::SyscallCtx;
use crate::abi::signal::{
    SiChld, Siginfo, CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD, SIGCONT,
};
use crate::abi::time::USER_HZ;
use crate::abi::types::{Rusage, Timeval};
use crate::abi::wait::*;
use crate::errno::{Errno, SysResult};
use crate::kernel::process::{CpuTimes, ExitStatus, ProcState, Process, WaitHint};
use std::sync::atomic::Ordering;

/// Which children a wait is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Any,
    Pid(i32),
    Pgid(i32),
}

impl Which {
    fn matches(self, p: &Process) -> bool {
        match self {
            Which::Any => true,
            Which::Pid(pid) => p.pid == pid,
            Which::Pgid(g) => p.pgid() == g,
        }
    }
}

/// What a wait found.
struct Found {
    pid: i32,
    code: i32,
    status: i32,
    wstatus: i32,
    times: CpuTimes,
}

/// Looks for a child that changed state; reaps zombies unless WNOWAIT.
/// Err(ECHILD) when there is no child to wait for at all.
fn find(ctx: &SyscallCtx<'_>, which: Which, options: u32) -> SysResult<Option<Found>> {
    let me = &ctx.task.process;
    // __WCLONE waits only for children that do not send SIGCHLD; __WALL
    // for all.
    let wanted = |c: &Process| {
        which.matches(c) && (options & WALL != 0 || (options & WCLONE != 0) == (c.exit_signal != SIGCHLD))
    };
    // Only children whose state has something for these options are
    // looked at under their lock (which decides: the hint may be stale).
    let reportable = |h: WaitHint| match h {
        WaitHint::Zombie => options & WEXITED != 0,
        WaitHint::Stopped => options & WSTOPPED != 0,
        WaitHint::Continued => options & WCONTINUED != 0,
        WaitHint::Nothing => false,
    };
    let (children, any) = ctx.m.wait_candidates(me.pid, wanted, reportable);
    if !any {
        return Err(Errno::ECHILD);
    }
    for c in children {
        let mut st = c.state();
        match *st {
            ProcState::Zombie(status) if options & WEXITED != 0 => {
                let (code, s) = match status {
                    ExitStatus::Exited(v) => (CLD_EXITED, v as i32),
                    ExitStatus::Signaled(sig) => {
                        let dumped =
                            crate::kernel::signal::default_action(sig) == crate::kernel::signal::DefaultAction::Core;
                        (if dumped { CLD_DUMPED } else { CLD_KILLED }, sig)
                    }
                };
                drop(st);
                let times = c.cpu_times();
                let children = c.children_times();
                if options & WNOWAIT == 0 {
                    me.add_children_times(CpuTimes {
                        user: times.user + children.user,
                        system: times.system + children.system,
                    });
                    ctx.m.unregister(c.pid);
                }
                return Ok(Some(Found { pid: c.pid, code, status: s, wstatus: status.wait_status(), times }));
            }
            ProcState::Stopped { signo, reported: false } if options & WSTOPPED != 0 => {
                if options & WNOWAIT == 0 {
                    *st = ProcState::Stopped { signo, reported: true };
                }
                let wstatus = (signo << 8) | 0x7f;
                return Ok(Some(Found {
                    pid: c.pid,
                    code: CLD_STOPPED,
                    status: signo,
                    wstatus,
                    times: CpuTimes::default(),
                }));
            }
            ProcState::Continued if options & WCONTINUED != 0 => {
                if options & WNOWAIT == 0 {
                    *st = ProcState::Running;
                }
                let found = Found {
                    pid: c.pid,
                    code: CLD_CONTINUED,
                    status: SIGCONT,
                    wstatus: 0xffff,
                    times: CpuTimes::default(),
                };
                return Ok(Some(found));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Waits until `find` has something (or WNOHANG).
fn wait(ctx: &mut SyscallCtx<'_>, which: Which, options: u32) -> SysResult<Option<Found>> {
    let me = ctx.task.process.clone();
    loop {
        let seq = me.child_event.load(Ordering::Acquire);
        if let Some(found) = find(ctx, which, options)? {
            return Ok(Some(found));
        }
        if options & WNOHANG != 0 {
            return Ok(None);
        }
        ctx.block_parked(Errno::ERESTARTSYS, &[], |_| me.wait_child_event(seq).map_err(Errno::from))?;
    }
}

/// struct rusage: utime and stime as timevals, the rest zero.
pub(crate) fn rusage(t: CpuTimes) -> Rusage {
    // CPU times are in clock ticks.
    let tv = |ticks: u64| Timeval {
        tv_sec: (ticks / USER_HZ) as i64,
        tv_usec: ((ticks % USER_HZ) * (1_000_000 / USER_HZ)) as i64,
    };
    Rusage { ru_utime: tv(t.user), ru_stime: tv(t.system), ..Default::default() }
}

/// Options are an int: musl sign-extends __WCLONE into the upper half,
/// which is dropped here.
fn int_options(options: Flags) -> u32 {
    options.0 as u32
}

/// wait4's options: what it takes of them (WEXITED is implied).
fn wait4_options(options: Flags) -> SysResult<u32> {
    let options = int_options(options);
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(options | WEXITED)
}

/// The children wait4's `pid` names; `own_pgid` is the caller's group.
fn wait4_which(pid: Pid, own_pgid: i32) -> SysResult<Which> {
    match pid.0 {
        // -INT_MIN names no group (Linux: ESRCH); it would overflow here.
        i32::MIN => Err(Errno::ESRCH),
        -1 => Ok(Which::Any),
        0 => Ok(Which::Pgid(own_pgid)),
        p if p < -1 => Ok(Which::Pgid(-p)),
        p => Ok(Which::Pid(p)),
    }
}

pub(crate) fn sys_wait4(
    ctx: &mut SyscallCtx<'_>,
    pid: Pid,
    wstatus: UserPtr<Opaque>,
    options: Flags,
    rusage: UserPtr<Opaque>,
) -> SysResult {
    let options = wait4_options(options)?;
    let which = wait4_which(pid, ctx.task.process.pgid())?;
    match wait(ctx, which, options)? {
        None => Ok(0),
        Some(f) => {
            if !wstatus.is_null() {
                ctx.user().write_val(wstatus.addr(), f.wstatus)?;
            }
            if !rusage.is_null() {
                ctx.user().write_val(rusage.addr(), self::rusage(f.times))?;
            }
            Ok(f.pid as u64)
        }
    }
}

/// waitid's options: known bits, and at least one of the states to wait for.
fn waitid_options(options: Flags) -> SysResult<u32> {
    let options = int_options(options);
    if options & !(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE) != 0
        || options & (WEXITED | WSTOPPED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    Ok(options)
}

/// The children waitid's `idtype` and `id` name; `own_pgid` is the
/// caller's group.
fn waitid_which(idtype: i32, id: Pid, own_pgid: i32) -> SysResult<Which> {
    match (idtype, id.0) {
        (P_ALL, _) => Ok(Which::Any),
        // nommu has no pidfds: no descriptor is one.
        (P_PIDFD, fd) if fd >= 0 => Err(Errno::EBADF),
        (P_PID, id) if id > 0 => Ok(Which::Pid(id)),
        (P_PGID, 0) => Ok(Which::Pgid(own_pgid)),
        (P_PGID, id) if id > 0 => Ok(Which::Pgid(id)),
        _ => Err(Errno::EINVAL),
    }
}

pub(crate) fn sys_waitid(
    ctx: &mut SyscallCtx<'_>,
    idtype: i32,
    id: Pid,
    infop: UserPtr<Opaque>,
    options: Flags,
    rusage: UserPtr<Opaque>,
) -> SysResult {
    let options = waitid_options(options)?;
    let which = waitid_which(idtype, id, ctx.task.process.pgid())?;
    let found = wait(ctx, which, options)?;
    if !infop.is_null() {
        // Nothing found (WNOHANG): all zeros.
        let info = found.as_ref().map_or_else(Siginfo::default, |f| {
            Siginfo::chld(SIGCHLD, f.code, SiChld { si_pid: f.pid, si_status: f.status, ..Default::default() })
        });
        ctx.user().write_val(infop.addr(), info)?;
    }
    if !rusage.is_null() {
        let t = found.as_ref().map(|f| f.times).unwrap_or_default();
        ctx.user().write_val(rusage.addr(), self::rusage(t))?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::args::SyscallArg;

    /// Options as a syscall argument.
    fn opts(options: u32) -> Flags {
        Flags(u64::from(options))
    }

    #[test]
    fn wait4_options_are_an_int() {
        assert_eq!(wait4_options(Flags(0)), Ok(WEXITED));
        assert_eq!(wait4_options(opts(WNOHANG | WUNTRACED)), Ok(WNOHANG | WUNTRACED | WEXITED));
        // musl's __WCLONE, sign-extended.
        assert_eq!(wait4_options(Flags(0xffff_ffff_8000_0000)), Ok(WCLONE | WEXITED));
        // waitid's own options are not wait4's.
        assert_eq!(wait4_options(opts(WNOWAIT)), Err(Errno::EINVAL));
        assert_eq!(wait4_options(opts(WEXITED)), Err(Errno::EINVAL));
    }

    #[test]
    fn wait4_pids() {
        assert_eq!(wait4_which(Pid(-1), 7), Ok(Which::Any));
        assert_eq!(wait4_which(Pid(0), 7), Ok(Which::Pgid(7)));
        assert_eq!(wait4_which(Pid(-5), 7), Ok(Which::Pgid(5)));
        assert_eq!(wait4_which(Pid(5), 7), Ok(Which::Pid(5)));
        assert_eq!(wait4_which(Pid(i32::MIN), 7), Err(Errno::ESRCH));
    }

    #[test]
    fn waitid_options_need_a_state() {
        assert_eq!(waitid_options(opts(WEXITED | WNOWAIT)), Ok(WEXITED | WNOWAIT));
        assert_eq!(waitid_options(Flags(0xffff_ffff_8000_0004)), Ok(WCLONE | WEXITED));
        assert_eq!(waitid_options(opts(WNOHANG)), Err(Errno::EINVAL));
        assert_eq!(waitid_options(opts(WEXITED | 0x10)), Err(Errno::EINVAL));
    }

    #[test]
    fn waitid_ids() {
        let (all, pid, pgid) = (P_ALL, P_PID, P_PGID);
        assert_eq!(waitid_which(all, Pid(-3), 7), Ok(Which::Any));
        assert_eq!(waitid_which(pid, Pid(5), 7), Ok(Which::Pid(5)));
        assert_eq!(waitid_which(pid, Pid(0), 7), Err(Errno::EINVAL));
        assert_eq!(waitid_which(pgid, Pid(0), 7), Ok(Which::Pgid(7)));
        assert_eq!(waitid_which(pgid, Pid(5), 7), Ok(Which::Pgid(5)));
        assert_eq!(waitid_which(pgid, Pid(-5), 7), Err(Errno::EINVAL));
        assert_eq!(waitid_which(P_PIDFD, Pid(5), 7), Err(Errno::EBADF));
        assert_eq!(waitid_which(P_PIDFD, Pid(-1), 7), Err(Errno::EINVAL));
        assert_eq!(waitid_which(i32::from_reg(1 << 32 | all as u64), Pid(5), 7), Ok(Which::Any));
    }

    // Argument errors through the table, as a guest meets them (what Linux
    // answers was checked natively). The process has no children, so no
    // wait blocks.
    mod args {
        use crate::abi::names::number as nr;
        use crate::abi::wait::{P_ALL, P_PGID, P_PID, P_PIDFD, WEXITED, WNOHANG, WNOWAIT};
        use crate::errno::Errno;
        use crate::syscall::testkit::{TestMachine, NEG, NO_FD};

        /// Options and id types as syscall arguments.
        const NOHANG: u64 = WNOHANG as u64;
        const EXITED: u64 = WEXITED as u64;
        const ALL: u64 = P_ALL as u64;
        const PID: u64 = P_PID as u64;
        const PGID: u64 = P_PGID as u64;
        const PIDFD: u64 = P_PIDFD as u64;

        #[test]
        fn wait4() {
            let mut t = TestMachine::new();
            let bad = t.bad_ptr();
            assert_eq!(t.errno(nr("wait4"), &[NEG, 0, 0x10, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("wait4"), &[NEG, 0, u64::from(WNOWAIT), 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("wait4"), &[NEG, 0, EXITED, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("wait4"), &[i32::MIN as u64, 0, 0, 0]), Errno::ESRCH);
            for pid in [NEG, 0, 1, 7, -7i64 as u64] {
                assert_eq!(t.errno(nr("wait4"), &[pid, 0, 0, 0]), Errno::ECHILD, "pid {pid}");
                assert_eq!(t.errno(nr("wait4"), &[pid, 0, NOHANG, 0]), Errno::ECHILD, "pid {pid}");
            }
            // Nothing is written when there is no child.
            assert_eq!(t.errno(nr("wait4"), &[NEG, bad, NOHANG, bad]), Errno::ECHILD);
            // The options are an int: the upper half is ignored.
            assert_eq!(t.errno(nr("wait4"), &[NEG, 0, 1 << 32 | NOHANG, 0]), Errno::ECHILD);
        }

        #[test]
        fn waitid() {
            let mut t = TestMachine::new();
            let info = t.scratch;
            assert_eq!(t.errno(nr("waitid"), &[9, 0, info, EXITED, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("waitid"), &[ALL, 0, info, NOHANG, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("waitid"), &[ALL, 0, info, EXITED | 0x10, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("waitid"), &[PID, 0, info, EXITED, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("waitid"), &[PID, NEG, info, EXITED, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("waitid"), &[PGID, -5i64 as u64, info, EXITED, 0]), Errno::EINVAL);
            for (idtype, id) in [(ALL, 0), (PID, 7), (PGID, 0), (PGID, 7)] {
                assert_eq!(t.errno(nr("waitid"), &[idtype, id, info, EXITED, 0]), Errno::ECHILD);
                assert_eq!(t.errno(nr("waitid"), &[idtype, id, info, EXITED | NOHANG, 0]), Errno::ECHILD);
            }
            // The options and the idtype are ints: the upper half is ignored.
            assert_eq!(t.errno(nr("waitid"), &[ALL, 0, info, 1 << 32 | EXITED, 0]), Errno::ECHILD);
            assert_eq!(t.errno(nr("waitid"), &[1 << 32 | ALL, 0, info, EXITED, 0]), Errno::ECHILD);
            assert_eq!(t.errno(nr("waitid"), &[1 << 32 | PID, 0, info, EXITED, 0]), Errno::EINVAL);
        }

        #[test]
        fn waitid_pidfd() {
            let mut t = TestMachine::new();
            let info = t.scratch;
            // No descriptor is a pidfd (stdin is open, 999 is not).
            for fd in [0, NO_FD, 1 << 32 | NO_FD] {
                assert_eq!(t.errno(nr("waitid"), &[PIDFD, fd, info, EXITED, 0]), Errno::EBADF, "fd {fd:#x}");
            }
            assert_eq!(t.errno(nr("waitid"), &[PIDFD, NEG, info, EXITED, 0]), Errno::EINVAL);
            // The options are checked first.
            assert_eq!(t.errno(nr("waitid"), &[PIDFD, NO_FD, info, NOHANG, 0]), Errno::EINVAL);
        }
    }
}
