//! Signal syscalls: dispositions, masks, sending, waiting, returning.

use super::args::{Opaque, Pid, SigSetIn, SigSetOut, SigactionIn, SigactionOut, Signal, UserPtr};
use super::{SyscallCtx, SyscallReturn, TaskExit};
use crate::abi::signal::*;
use crate::arch::{host, sigframe};
use crate::errno::{Errno, SysResult};
use crate::kernel::lifecycle::{send_to_process, send_to_task};
use crate::kernel::process::{ExitStatus, Process};
use crate::kernel::signal::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn read_sigaction(ctx: &SyscallCtx<'_>, addr: u64) -> SysResult<SigAction> {
    ctx.user().read_val(addr)
}

fn write_sigaction(ctx: &SyscallCtx<'_>, addr: u64, act: SigAction) -> SysResult<()> {
    ctx.user().write_val(addr, act)
}

fn read_sigset(ctx: &SyscallCtx<'_>, set: UserPtr<Opaque>, sigsetsize: usize) -> SysResult<SigSet> {
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    ctx.user().read_val(set.addr())
}

/// A signal that can be handled, queued or waited for: 1 to NSIG.
fn signal_number(sig: Signal) -> SysResult<i32> {
    if (1..=NSIG as i32).contains(&sig.0) {
        Ok(sig.0)
    } else {
        Err(Errno::EINVAL)
    }
}

pub(crate) fn sys_rt_sigaction(
    ctx: &mut SyscallCtx<'_>,
    sig: Signal,
    act: UserPtr<SigactionIn>,
    oact: UserPtr<SigactionOut>,
    sigsetsize: usize,
) -> SysResult {
    let signo = signal_number(sig)?;
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new = if !act.is_null() { Some(read_sigaction(ctx, act.addr())?) } else { None };
    let process = ctx.task.process.clone();
    let mut actions = process.sigactions();
    let old = actions.get(signo);
    if let Some(mut new) = new {
        new.sa_mask &= !UNBLOCKABLE;
        actions.set(signo, new)?;
        drop(actions);
        // POSIX: setting a pending signal to be ignored discards it.
        let ignored =
            new.sa_handler == SIG_IGN || new.sa_handler == SIG_DFL && default_action(signo) == DefaultAction::Ignore;
        if ignored {
            process.shared_pending().discard(sigbit(signo));
            for t in process.tasks().iter() {
                t.pending().discard(sigbit(signo));
            }
            crate::kernel::signalfd::changed(&process);
        }
    } else {
        drop(actions);
    }
    if !oact.is_null() {
        write_sigaction(ctx, oact.addr(), old)?;
    }
    Ok(0)
}

pub(crate) fn sys_rt_sigprocmask(
    ctx: &mut SyscallCtx<'_>,
    how: i32,
    set: UserPtr<SigSetIn>,
    oset: UserPtr<SigSetOut>,
    sigsetsize: usize,
) -> SysResult {
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let old = ctx.task.sigmask();
    if !set.is_null() {
        let set: u64 = ctx.user().read_val(set.addr())?;
        let new = match how {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL),
        };
        ctx.task.set_sigmask(new);
    }
    if !oset.is_null() {
        ctx.user().write_val(oset.addr(), old)?;
    }
    Ok(0)
}

pub(crate) fn sys_rt_sigpending(ctx: &mut SyscallCtx<'_>, set: UserPtr<Opaque>, sigsetsize: usize) -> SysResult {
    if sigsetsize > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let pending = (ctx.task.shared.pending().set() | ctx.task.process.shared_pending().set()) & ctx.task.sigmask();
    ctx.user().write(set.addr(), &pending.to_le_bytes()[..sigsetsize])?;
    Ok(0)
}

/// Sleeps until a signal is delivered (the result is then EINTR, set by
/// the delivery of a handler; with no handler the wait goes on).
pub(crate) fn wait_for_signal(ctx: &mut SyscallCtx<'_>) -> SysResult {
    // Only a kick ends the wait.
    ctx.block_parked(Errno::ERESTARTNOHAND, &[], |ctx| ctx.sleep_until_kicked(None, false).map(|_| 0))
}

pub(crate) fn sys_pause(ctx: &mut SyscallCtx<'_>) -> SysResult {
    wait_for_signal(ctx)
}

pub(crate) fn sys_rt_sigsuspend(ctx: &mut SyscallCtx<'_>, mask: UserPtr<Opaque>, sigsetsize: usize) -> SysResult {
    let mask = read_sigset(ctx, mask, sigsetsize)?;
    // The handler frame saves the old mask; sigreturn puts it back.
    if ctx.task.saved_sigmask.is_none() {
        ctx.task.saved_sigmask = Some(ctx.task.sigmask());
    }
    ctx.task.set_sigmask(mask);
    wait_for_signal(ctx)
}

/// CLOCK_MONOTONIC `d` from now, as (seconds, nanoseconds).
fn monotonic_after(d: Duration) -> SysResult<(i64, i64)> {
    let (s, ns) = host::clock_gettime(crate::abi::time::CLOCK_MONOTONIC)?;
    let total = ns + i64::from(d.subsec_nanos());
    Ok((s.saturating_add(d.as_secs() as i64).saturating_add(total / 1_000_000_000), total % 1_000_000_000))
}

/// rt_sigreturn: the handler is done; everything comes back from the frame.
pub(crate) fn sys_rt_sigreturn(ctx: &mut SyscallCtx<'_>) -> SysResult<SyscallReturn> {
    let frame = ctx.task.vcpu.regs().rsp.wrapping_sub(8);
    let user = &ctx.m.mem.user;
    let Ok(restored) = sigframe::read_frame(user, frame) else {
        // A frame that cannot be read: Linux kills with SIGSEGV.
        return Ok(SyscallReturn::Exit(TaskExit::Group(ExitStatus::Signaled(SIGSEGV))));
    };
    if restored.fpstate == 0 {
        ctx.task.vcpu.reset_vector_state();
    } else if ctx.task.vcpu.restore_xstate(|img| sigframe::UserBytes::read(user, restored.fpstate, img)).is_err() {
        return Ok(SyscallReturn::Exit(TaskExit::Group(ExitStatus::Signaled(SIGSEGV))));
    }
    *ctx.task.vcpu.regs_mut() = restored.regs;
    ctx.task.set_sigmask(restored.blocked);
    let ss = restored.altstack;
    let _ = set_altstack(ctx, ss.ss_sp, ss.ss_flags, ss.ss_size);
    Ok(SyscallReturn::SigReturn)
}

fn set_altstack(ctx: &mut SyscallCtx<'_>, sp: u64, flags: i32, size: u64) -> SysResult<()> {
    let rsp = ctx.task.vcpu.regs().rsp;
    if ctx.task.altstack.contains(rsp) {
        return Err(Errno::EPERM);
    }
    let mode = flags & !SS_AUTODISARM;
    if mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK {
        return Err(Errno::EINVAL);
    }
    if mode == SS_DISABLE {
        ctx.task.altstack = AltStack::disabled();
        return Ok(());
    }
    // Linux takes any size from MINSIGSTKSZ up (unless the task opted into
    // strict sizes, which nommu does not offer); a frame that does not fit
    // then faults at delivery, as natively.
    if size < MINSIGSTKSZ {
        return Err(Errno::ENOMEM);
    }
    ctx.task.altstack = AltStack { sp, flags: flags & SS_AUTODISARM, size };
    Ok(())
}

pub(crate) fn sys_sigaltstack(ctx: &mut SyscallCtx<'_>, ss: UserPtr<Opaque>, old_ss: UserPtr<Opaque>) -> SysResult {
    let old = ctx.task.altstack;
    let on = if old.contains(ctx.task.vcpu.regs().rsp) { SS_ONSTACK } else { 0 };
    if !ss.is_null() {
        let ss: Sigaltstack = ctx.user().read_val(ss.addr())?;
        set_altstack(ctx, ss.ss_sp, ss.ss_flags, ss.ss_size)?;
    }
    if !old_ss.is_null() {
        let ss = Sigaltstack { ss_sp: old.sp, ss_flags: old.flags | on, ss_size: old.size, ..Default::default() };
        ctx.user().write_val(old_ss.addr(), ss)?;
    }
    Ok(0)
}

/// The processes `kill(pid, ...)` is aimed at.
fn kill_targets(ctx: &SyscallCtx<'_>, pid: i32) -> SysResult<Vec<Arc<Process>>> {
    let me = &ctx.task.process;
    let targets: Vec<Arc<Process>> = match pid {
        // A thread id names its process (Linux: kill() of a tid).
        p if p > 0 => ctx.m.process(p).or_else(|| ctx.m.process_of_task(p)).into_iter().collect(),
        0 => ctx.m.live_processes().into_iter().filter(|p| p.pgid() == me.pgid()).collect(),
        -1 => ctx.m.live_processes().into_iter().filter(|p| p.pid != 1 && p.pid != me.pid).collect(),
        // -INT_MIN names no group (Linux: ESRCH); it would overflow here.
        p => {
            let group = p.checked_neg().ok_or(Errno::ESRCH)?;
            ctx.m.live_processes().into_iter().filter(|q| q.pgid() == group).collect()
        }
    };
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    Ok(targets)
}

/// A signal that can be sent, or 0 (which only checks the target).
fn check_sendable(sig: i32) -> SysResult<()> {
    // Compared as unsigned: a negative signal is out of range too.
    if sig as u32 > NSIG as u32 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub(crate) fn sys_kill(ctx: &mut SyscallCtx<'_>, pid: Pid, sig: Signal) -> SysResult {
    // Linux looks for the targets (ESRCH) before it checks the signal.
    let targets = kill_targets(ctx, pid.0)?;
    check_sendable(sig.0)?;
    if sig.0 == 0 {
        return Ok(0);
    }
    let info = SigInfo::user(sig.0, SI_USER, ctx.task.process.pid);
    for p in targets {
        send_to_process(ctx.m, &p, info, false);
    }
    Ok(0)
}

/// tids (and a tgid) must be positive.
fn check_thread_ids(tgid: Option<i32>, tid: i32) -> SysResult<()> {
    if tid <= 0 || tgid.is_some_and(|g| g <= 0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Errors in Linux's order: the ids, the thread (ESRCH), the signal.
fn thread_kill(ctx: &mut SyscallCtx<'_>, tgid: Option<i32>, tid: i32, info: SigInfo) -> SysResult {
    check_thread_ids(tgid, tid)?;
    let task = ctx.m.task(tid).ok_or(Errno::ESRCH)?;
    let p = ctx.m.process_of_task(tid).ok_or(Errno::ESRCH)?;
    if tgid.is_some_and(|g| g != p.pid) {
        return Err(Errno::ESRCH);
    }
    check_sendable(info.signo)?;
    if info.signo != 0 {
        send_to_task(ctx.m, &p, &task, info);
    }
    Ok(0)
}

pub(crate) fn sys_tkill(ctx: &mut SyscallCtx<'_>, tid: Pid, sig: Signal) -> SysResult {
    let info = SigInfo::user(sig.0, SI_TKILL, ctx.task.process.pid);
    thread_kill(ctx, None, tid.0, info)
}

pub(crate) fn sys_tgkill(ctx: &mut SyscallCtx<'_>, tgid: Pid, tid: Pid, sig: Signal) -> SysResult {
    let info = SigInfo::user(sig.0, SI_TKILL, ctx.task.process.pid);
    thread_kill(ctx, Some(tgid.0), tid.0, info)
}

/// The siginfo a process queues, read first (EFAULT comes before any
/// other error), with the signal number it is queued as.
fn read_user_siginfo(ctx: &SyscallCtx<'_>, sig: Signal, uinfo: UserPtr<Opaque>) -> SysResult<SigInfo> {
    let mut info = SigInfo::from_user(&ctx.user().read_val(uinfo.addr())?);
    info.signo = sig.0;
    Ok(info)
}

/// A process may claim to be the kernel (or kill, or tkill) only when it
/// signals itself.
fn check_impersonation(ctx: &SyscallCtx<'_>, info: &SigInfo, target_pid: i32) -> SysResult<()> {
    if (info.code >= 0 || info.code == SI_TKILL) && target_pid != ctx.task.process.pid {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// Signal 0 checks the target without queueing anything.
pub(crate) fn sys_rt_sigqueueinfo(
    ctx: &mut SyscallCtx<'_>,
    pid: Pid,
    sig: Signal,
    uinfo: UserPtr<Opaque>,
) -> SysResult {
    let info = read_user_siginfo(ctx, sig, uinfo)?;
    check_impersonation(ctx, &info, pid.0)?;
    let p = ctx.m.process(pid.0).ok_or(Errno::ESRCH)?;
    check_sendable(info.signo)?;
    if info.signo != 0 {
        send_to_process(ctx.m, &p, info, false);
    }
    Ok(0)
}

pub(crate) fn sys_rt_tgsigqueueinfo(
    ctx: &mut SyscallCtx<'_>,
    tgid: Pid,
    tid: Pid,
    sig: Signal,
    uinfo: UserPtr<Opaque>,
) -> SysResult {
    let info = read_user_siginfo(ctx, sig, uinfo)?;
    check_thread_ids(Some(tgid.0), tid.0)?;
    check_impersonation(ctx, &info, tgid.0)?;
    thread_kill(ctx, Some(tgid.0), tid.0, info)
}

/// rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal
/// from `set` without running its handler.
pub(crate) fn sys_rt_sigtimedwait(
    ctx: &mut SyscallCtx<'_>,
    set: UserPtr<Opaque>,
    uinfo: UserPtr<Opaque>,
    timeout: UserPtr<Opaque>,
    sigsetsize: usize,
) -> SysResult {
    let set = read_sigset(ctx, set, sigsetsize)? & !UNBLOCKABLE;
    let timeout = if !timeout.is_null() {
        let (sec, nsec) = ctx.read_timespec(timeout.addr())?;
        Some(Duration::new(sec as u64, nsec as u32))
    } else {
        None
    };
    let deadline = timeout.map(super::deadline_in);
    // While waiting, the signals of `set` are unblocked for the purpose of
    // waking up (Linux: blocked &= ~set for the duration).
    let old_mask = ctx.task.sigmask();
    let take = |ctx: &SyscallCtx<'_>| {
        let others = !set;
        ctx.task.shared.pending().take(others).or_else(|| ctx.task.process.shared_pending().take(others))
    };
    loop {
        if let Some(info) = take(ctx) {
            crate::kernel::signalfd::changed(&ctx.task.process);
            if !uinfo.is_null() {
                ctx.user().write_val(uinfo.addr(), info.to_user())?;
            }
            return Ok(info.signo as u64);
        }
        let left = match deadline {
            Some(d) => {
                let now = Instant::now();
                if now >= d {
                    return Err(Errno::EAGAIN);
                }
                Some(d - now)
            }
            None => None,
        };
        ctx.task.shared.set_real_blocked(old_mask);
        ctx.task.set_sigmask(old_mask & !set);
        let until = match left {
            Some(l) => Some(monotonic_after(l)?),
            None => None,
        };
        let r = ctx.block_parked(Errno::EINTR, &[], |ctx| match ctx.sleep_until_kicked(until, false) {
            Ok(()) => Err(Errno::ETIMEDOUT),
            Err(e) => Err(e),
        });
        ctx.task.set_sigmask(old_mask);
        ctx.task.shared.set_real_blocked(0);
        match r {
            // A signal arrived: one of ours is taken above; another one
            // interrupts the wait (and is delivered).
            Err(Errno::EINTR) if take_peek(ctx, set) => continue,
            Err(Errno::EINTR) => return Err(Errno::EINTR),
            Err(Errno::ETIMEDOUT) => continue,
            Err(e) => return Err(e),
            Ok(()) => continue,
        }
    }
}

fn take_peek(ctx: &SyscallCtx<'_>, set: SigSet) -> bool {
    (ctx.task.shared.pending().set() | ctx.task.process.shared_pending().set()) & set != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_numbers_run_from_1_to_nsig() {
        assert_eq!(signal_number(Signal(1)), Ok(1));
        assert_eq!(signal_number(Signal(64)), Ok(64));
        assert_eq!(signal_number(Signal(0)), Err(Errno::EINVAL));
        assert_eq!(signal_number(Signal(65)), Err(Errno::EINVAL));
        assert_eq!(signal_number(Signal(-1)), Err(Errno::EINVAL));
        assert_eq!(signal_number(Signal(i32::MIN)), Err(Errno::EINVAL));
    }

    // Argument errors through the table, as a guest meets them (what Linux
    // answers was checked natively). No signal is ever sent: only calls
    // that fail, or signal 0, which checks without sending.
    mod args {
        use crate::abi::names::number as nr;
        use crate::abi::signal::{SiRt, Sigaltstack, Siginfo, MINSIGSTKSZ, NSIG, SIGSET_SIZE, SI_QUEUE, SI_USER};
        use crate::abi::signal::{SIGKILL, SIGUSR1, SIG_BLOCK, SIG_SETMASK};
        use crate::abi::types::Timespec;
        use crate::errno::Errno;
        use crate::syscall::testkit::{TestMachine, NEG, NO_PID};
        use vm_memory::ByteValued;

        /// Signal numbers and sizes as syscall arguments.
        const USR1: u64 = SIGUSR1 as u64;
        const KILL: u64 = SIGKILL as u64;
        const PAST_NSIG: u64 = NSIG as u64 + 1;
        const SETSIZE: u64 = SIGSET_SIZE as u64;
        /// A `how` rt_sigprocmask does not know.
        const BAD_HOW: u64 = SIG_SETMASK as u64 + 1;

        /// A siginfo from sigqueue (si_code SI_QUEUE) in scratch memory.
        fn queued_info(t: &TestMachine) -> u64 {
            t.put(0x400, Siginfo::rt(SIGUSR1, SI_QUEUE, SiRt::default()).as_slice())
        }

        #[test]
        fn rt_sigaction() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.scratch);
            for sig in [0, PAST_NSIG, NEG] {
                assert_eq!(t.errno(nr("rt_sigaction"), &[sig, 0, buf, SETSIZE]), Errno::EINVAL, "signal {sig}");
            }
            assert_eq!(t.errno(nr("rt_sigaction"), &[USR1, 0, buf, 4]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigaction"), &[USR1, 0, buf, 1 << 32 | SETSIZE]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigaction"), &[USR1, bad, 0, SETSIZE]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_sigaction"), &[USR1, 0, bad, SETSIZE]), Errno::EFAULT);
            // SIGKILL's action can be read, not changed.
            assert_eq!(t.errno(nr("rt_sigaction"), &[KILL, buf, 0, SETSIZE]), Errno::EINVAL);
            assert_eq!(t.value(nr("rt_sigaction"), &[KILL, 0, buf, SETSIZE]), Ok(0));
            // The signal is an int: the upper half is ignored.
            assert_eq!(t.value(nr("rt_sigaction"), &[1 << 32 | USR1, 0, buf, SETSIZE]), Ok(0));
        }

        #[test]
        fn rt_sigprocmask() {
            let mut t = TestMachine::new();
            let (bad, buf) = (t.bad_ptr(), t.put(0, &[0u8; SIGSET_SIZE]));
            let block = SIG_BLOCK as u64;
            assert_eq!(t.errno(nr("rt_sigprocmask"), &[BAD_HOW, buf, 0, SETSIZE]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigprocmask"), &[block, 0, 0, 4]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigprocmask"), &[block, bad, 0, SETSIZE]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_sigprocmask"), &[block, 0, bad, SETSIZE]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_sigprocmask"), &[BAD_HOW, bad, 0, SETSIZE]), Errno::EFAULT);
            // Without a new set, `how` is not looked at; it is an int.
            assert_eq!(t.value(nr("rt_sigprocmask"), &[BAD_HOW, 0, buf, SETSIZE]), Ok(0));
            assert_eq!(t.value(nr("rt_sigprocmask"), &[1 << 32 | block, buf, 0, SETSIZE]), Ok(0));
        }

        #[test]
        fn pending_waiting_suspending() {
            let mut t = TestMachine::new();
            let (bad, set) = (t.bad_ptr(), t.put(0, &[0u8; SIGSET_SIZE]));
            assert_eq!(t.errno(nr("rt_sigpending"), &[set, SETSIZE + 1]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigpending"), &[bad, SETSIZE]), Errno::EFAULT);
            assert_eq!(t.value(nr("rt_sigpending"), &[set, 4]), Ok(0));
            let ts = |tv_sec, tv_nsec| Timespec { tv_sec, tv_nsec };
            let zero = t.put(0x100, ts(0, 0).as_slice());
            let late = t.put(0x200, ts(0, 1_000_000_000).as_slice());
            let negative = t.put(0x300, ts(-1, 0).as_slice());
            assert_eq!(t.errno(nr("rt_sigtimedwait"), &[set, 0, zero, 4]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigtimedwait"), &[bad, 0, zero, SETSIZE]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_sigtimedwait"), &[set, 0, bad, SETSIZE]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_sigtimedwait"), &[set, 0, late, SETSIZE]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigtimedwait"), &[set, 0, negative, SETSIZE]), Errno::EINVAL);
            // Nothing pending and no time to wait.
            assert_eq!(t.errno(nr("rt_sigtimedwait"), &[set, 0, zero, SETSIZE]), Errno::EAGAIN);
            assert_eq!(t.errno(nr("rt_sigsuspend"), &[set, 4]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigsuspend"), &[bad, SETSIZE]), Errno::EFAULT);
        }

        #[test]
        fn sigaltstack() {
            let mut t = TestMachine::new();
            let bad = t.bad_ptr();
            let stack =
                |ss_flags: i32, ss_size: u64| Sigaltstack { ss_sp: 0x1000, ss_flags, ss_size, ..Default::default() };
            let odd_flags = t.put(0, stack(0x55, 65536).as_slice());
            let small = t.put(0x100, stack(0, MINSIGSTKSZ - 1).as_slice());
            assert_eq!(t.errno(nr("sigaltstack"), &[odd_flags, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("sigaltstack"), &[small, 0]), Errno::ENOMEM);
            assert_eq!(t.errno(nr("sigaltstack"), &[bad, 0]), Errno::EFAULT);
            assert_eq!(t.errno(nr("sigaltstack"), &[0, bad]), Errno::EFAULT);
        }

        #[test]
        fn kill_and_thread_kills() {
            let mut t = TestMachine::new();
            let me = t.value(nr("getpid"), &[]).unwrap();
            for sig in [PAST_NSIG, NEG] {
                assert_eq!(t.errno(nr("kill"), &[me, sig]), Errno::EINVAL, "kill signal {sig}");
                assert_eq!(t.errno(nr("tkill"), &[me, sig]), Errno::EINVAL, "tkill signal {sig}");
                assert_eq!(t.errno(nr("tgkill"), &[me, me, sig]), Errno::EINVAL, "tgkill signal {sig}");
            }
            assert_eq!(t.errno(nr("kill"), &[NO_PID, 0]), Errno::ESRCH);
            // The target is looked for before the signal is checked.
            for sig in [PAST_NSIG, NEG] {
                assert_eq!(t.errno(nr("kill"), &[NO_PID, sig]), Errno::ESRCH, "kill signal {sig}");
                assert_eq!(t.errno(nr("kill"), &[-(NO_PID as i64) as u64, sig]), Errno::ESRCH);
                assert_eq!(t.errno(nr("tkill"), &[NO_PID, sig]), Errno::ESRCH, "tkill signal {sig}");
                assert_eq!(t.errno(nr("tgkill"), &[me, NO_PID, sig]), Errno::ESRCH, "tgkill signal {sig}");
                assert_eq!(t.errno(nr("tgkill"), &[NO_PID, me, sig]), Errno::ESRCH, "tgkill signal {sig}");
            }
            // ... after the ids' signs.
            assert_eq!(t.errno(nr("tkill"), &[0, PAST_NSIG]), Errno::EINVAL);
            assert_eq!(t.errno(nr("tgkill"), &[0, me, PAST_NSIG]), Errno::EINVAL);
            assert_eq!(t.errno(nr("kill"), &[i32::MIN as u64, 0]), Errno::ESRCH);
            assert_eq!(t.value(nr("kill"), &[me, 0]), Ok(0));
            // Both are ints: the upper halves are ignored.
            assert_eq!(t.value(nr("kill"), &[1 << 32 | me, 1 << 32]), Ok(0));
            assert_eq!(t.errno(nr("tkill"), &[0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("tkill"), &[NEG, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("tkill"), &[NO_PID, 0]), Errno::ESRCH);
            assert_eq!(t.value(nr("tkill"), &[me, 0]), Ok(0));
            assert_eq!(t.errno(nr("tgkill"), &[0, me, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("tgkill"), &[me, 0, 0]), Errno::EINVAL);
            assert_eq!(t.errno(nr("tgkill"), &[NO_PID, me, 0]), Errno::ESRCH);
            assert_eq!(t.errno(nr("tgkill"), &[me, NO_PID, 0]), Errno::ESRCH);
            assert_eq!(t.value(nr("tgkill"), &[me, me, 0]), Ok(0));
        }

        #[test]
        fn queued_signals() {
            let mut t = TestMachine::new();
            let me = t.value(nr("getpid"), &[]).unwrap();
            let (bad, info) = (t.bad_ptr(), queued_info(&t));
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[me, PAST_NSIG, info]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[me, USR1, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[NO_PID, USR1, info]), Errno::ESRCH);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, me, PAST_NSIG, info]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, me, USR1, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, 0, USR1, info]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, NO_PID, USR1, info]), Errno::ESRCH);
            // Only a process signalling itself may claim to be the kernel or
            // kill (si_code >= 0).
            let user = t.put(0x600, Siginfo::rt(SIGUSR1, SI_USER, SiRt::default()).as_slice());
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[NO_PID, USR1, user]), Errno::EPERM);
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[NO_PID, PAST_NSIG, user]), Errno::EPERM);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[NO_PID, NO_PID, USR1, user]), Errno::EPERM);
        }

        /// Linux's order: the siginfo (EFAULT), the ids' signs, who may
        /// claim what (EPERM), the target (ESRCH), then the signal; 0 only
        /// checks the target.
        #[test]
        fn queued_signals_in_order() {
            let mut t = TestMachine::new();
            let me = t.value(nr("getpid"), &[]).unwrap();
            let (bad, info) = (t.bad_ptr(), queued_info(&t));
            assert_eq!(t.value(nr("rt_sigqueueinfo"), &[me, 0, info]), Ok(0));
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[NO_PID, 0, info]), Errno::ESRCH);
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[NO_PID, PAST_NSIG, info]), Errno::ESRCH);
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[NO_PID, PAST_NSIG, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_sigqueueinfo"), &[me, NEG, info]), Errno::EINVAL);
            assert_eq!(t.value(nr("rt_tgsigqueueinfo"), &[me, me, 0, info]), Ok(0));
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, NO_PID, 0, info]), Errno::ESRCH);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, NO_PID, PAST_NSIG, info]), Errno::ESRCH);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, 0, PAST_NSIG, info]), Errno::EINVAL);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, 0, USR1, bad]), Errno::EFAULT);
            assert_eq!(t.errno(nr("rt_tgsigqueueinfo"), &[me, me, NEG, info]), Errno::EINVAL);
            // Nothing was queued.
            assert_eq!(t.task.shared.pending().set() | t.task.process.shared_pending().set(), 0);
        }
    }
}
