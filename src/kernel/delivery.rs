//! Signal delivery, on the way back into guest code: default actions,
//! handler frames, syscall restarts, stopped processes.

use super::lifecycle;
use super::machine::Machine;
use super::process::{ExitStatus, ProcState};
use super::signal::*;
use super::task::Task;
use crate::abi::signal::*;
use crate::arch::{host, sigframe};
use crate::errno::Errno;
use std::sync::atomic::Ordering;

use crate::abi::x86::{X86_EFLAGS_DF, X86_EFLAGS_RF, X86_EFLAGS_TF};

/// Re-executes the interrupted syscall: back to the rewritten `call *%rax`
/// with the syscall number in rax (every other register is unchanged).
fn rewind(task: &mut Task, nr: u64) {
    let r = task.vcpu.regs_mut();
    r.rip -= 2;
    r.rax = nr;
}

/// No handler ran: an interrupted syscall restarts, and a temporary mask
/// (ppoll, pselect6) goes back.
fn restart_without_handler(task: &mut Task) {
    if let Some(r) = task.restart.take() {
        rewind(task, r.nr);
    }
    if let Some(mask) = task.saved_sigmask.take() {
        task.set_sigmask(mask);
    }
}

/// A handler is about to run: restart the syscall after it (SA_RESTART)
/// or make it fail with EINTR.
fn restart_with_handler(task: &mut Task, flags: u64) {
    task.restart_deadline = None;
    let Some(r) = task.restart.take() else { return };
    let restart = r.code == Errno::ERESTARTNOINTR || r.code == Errno::ERESTARTSYS && flags & SA_RESTART != 0;
    if restart {
        rewind(task, r.nr);
    } else {
        task.vcpu.regs_mut().rax = Errno::EINTR.as_return();
    }
}

/// Parks a task of a stopped process until SIGCONT or SIGKILL. (A kick
/// there may be the process's host timer: its SIGALRM is made pending.)
fn wait_while_stopped(m: &Machine, task: &mut Task) -> Option<ExitStatus> {
    loop {
        if task.vcpu.take_kick() {
            super::hostsignals::after_kick(m, &task.process);
        }
        let seq = task.process.cont_event.load(Ordering::Acquire);
        if !matches!(*task.process.state(), ProcState::Stopped { .. }) {
            return None;
        }
        let kill = sigbit(SIGKILL);
        if task.shared.pending().set() & kill != 0 || task.process.shared_pending().set() & kill != 0 {
            return Some(ExitStatus::Signaled(SIGKILL));
        }
        let _ = host::futex_wait_interruptible(&task.process.cont_event, seq);
    }
}

/// Delivers pending signals before the task re-enters guest code. Returns
/// the status the process dies with, if a signal kills it. The check that
/// finds nothing to do is inlined into the run loop (it runs before every
/// entry into the guest); the rest is out of line.
#[inline]
pub fn deliver(m: &Machine, task: &mut Task) -> Option<ExitStatus> {
    let epoch = signal_epoch();
    if epoch == task.seen_signal_epoch && task.restart.is_none() && task.saved_sigmask.is_none() {
        // Nothing changed since the last look found nothing to do.
        return None;
    }
    deliver_changed(m, task, epoch)
}

#[inline(never)]
fn deliver_changed(m: &Machine, task: &mut Task, epoch: u64) -> Option<ExitStatus> {
    let outcome = deliver_pending(m, task);
    if outcome.is_none() {
        task.seen_signal_epoch = epoch;
    }
    outcome
}

fn deliver_pending(m: &Machine, task: &mut Task) -> Option<ExitStatus> {
    loop {
        if let Some(g) = task.process.group_exit_for(task.tid) {
            return Some(g.status);
        }
        // An exec'd vfork child on its parent's thread stops elsewhere.
        if super::vforkrun::leaves_before_stop(task) {
            return None;
        }
        if let Some(death) = wait_while_stopped(m, task) {
            return Some(death);
        }
        let mask = task.sigmask();
        let info = task.shared.pending().take(mask).or_else(|| task.process.shared_pending().take(mask));
        let Some(info) = info else {
            restart_without_handler(task);
            return None;
        };
        super::signalfd::changed(&task.process);
        let signo = info.signo;
        log::info!("pid {} takes {}", task.tid, crate::kernel::signal::signal_name(signo));
        if let Some(t) = m.tracer() {
            t.signal(task.process.pid, task.tid, &info);
        }
        if signo == SIGKILL {
            return Some(group_dies(task, ExitStatus::Signaled(SIGKILL)));
        }
        let act = task.process.sigactions().get(signo);
        match act.sa_handler {
            SIG_IGN => continue,
            SIG_DFL => match default_action(signo) {
                DefaultAction::Ignore | DefaultAction::Continue => continue,
                DefaultAction::Stop => {
                    lifecycle::stop(m, &task.process, signo);
                    continue;
                }
                DefaultAction::Terminate | DefaultAction::Core => {
                    task.last_fatal = Some(info);
                    return Some(group_dies(task, ExitStatus::Signaled(signo)));
                }
            },
            _ => {
                restart_with_handler(task, act.sa_flags);
                if setup_frame(m, task, &info, act).is_err() {
                    // No room for the frame (a bad stack pointer, an
                    // alternate stack too small): as Linux's force_sigsegv,
                    // a SIGSEGV the task may still handle, unless the frame
                    // was for SIGSEGV itself, which is then fatal.
                    log::debug!("pid {}: cannot write a signal frame for {signo}; SIGSEGV", task.process.pid);
                    let segv = SigInfo::fault(SIGSEGV, SI_KERNEL, 0);
                    if signo != SIGSEGV {
                        force_fault(task, segv);
                        continue;
                    }
                    task.last_fatal = Some(segv);
                    return Some(group_dies(task, ExitStatus::Signaled(SIGSEGV)));
                }
                // Like Linux, every deliverable signal gets its frame before
                // the guest runs again: the last one set up runs first.
                continue;
            }
        }
    }
}

/// A fatal signal ends every thread of the process.
fn group_dies(task: &Task, status: ExitStatus) -> ExitStatus {
    task.process.start_group_exit(super::process::GroupExit { status, survivor: None });
    status
}

fn setup_frame(m: &Machine, task: &mut Task, info: &SigInfo, act: SigAction) -> Result<(), Errno> {
    let regs = *task.vcpu.regs();
    let alt = task.altstack;
    let use_alt = act.sa_flags & SA_ONSTACK != 0 && alt.flags & SS_DISABLE == 0 && !alt.contains(regs.rsp);
    let (sp, floor) = if use_alt {
        (alt.sp.checked_add(alt.size).ok_or(Errno::EFAULT)?, alt.sp)
    } else {
        (regs.rsp.checked_sub(sigframe::RED_ZONE).ok_or(Errno::EFAULT)?, 0)
    };
    let blocked = task.saved_sigmask.take().unwrap_or(task.sigmask());
    let on_alt = if alt.contains(regs.rsp) { SS_ONSTACK } else { 0 };
    let fault = if info.is_fault() { task.fault.take() } else { None };
    let xstate = task.vcpu.capture_xstate();
    let spec = sigframe::FrameSpec {
        regs: &regs,
        sp,
        floor,
        blocked,
        altstack: Sigaltstack { ss_sp: alt.sp, ss_flags: alt.flags | on_alt, ss_size: alt.size, ..Default::default() },
        siginfo: info.to_user(),
        xstate,
        restorer: act.sa_restorer,
        fault,
    };
    let frame = sigframe::write_frame(&m.mem.user, &spec)?;
    let r = task.vcpu.regs_mut();
    r.rsp = frame;
    r.rip = act.sa_handler;
    r.rdi = info.signo as u64;
    r.rsi = frame + sigframe::INFO_OFFSET;
    r.rdx = frame + sigframe::UC_OFFSET;
    r.rax = 0;
    r.rflags &= !(X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_RF);
    task.vcpu.reset_vector_state();
    let mut mask = task.sigmask() | act.sa_mask;
    if act.sa_flags & SA_NODEFER == 0 {
        mask |= sigbit(info.signo);
    }
    task.set_sigmask(mask);
    if act.sa_flags & SA_RESETHAND != 0 {
        let _ = task.process.sigactions().set(info.signo, SigAction::default());
    }
    if use_alt && alt.flags & SS_AUTODISARM != 0 {
        task.altstack = AltStack::disabled();
    }
    Ok(())
}

/// A synchronous fault in guest code. A handler gets it unless the signal
/// is blocked or ignored; then, as Linux's force_sig does, the default
/// action (death) applies.
pub(crate) fn force_fault(task: &mut Task, info: SigInfo) {
    let signo = info.signo;
    let act = task.process.sigactions().get(signo);
    let blocked = task.sigmask() & sigbit(signo) != 0;
    if blocked || act.sa_handler == SIG_IGN {
        let _ = task.process.sigactions().set(signo, SigAction::default());
        task.set_sigmask(task.sigmask() & !sigbit(signo));
    }
    task.shared.pending().push(info);
}
