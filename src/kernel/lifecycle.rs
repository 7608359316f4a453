//! Sending signals, stopping and continuing, and the end of a process.

use super::machine::Machine;
use super::process::{ExitStatus, ProcState, Process};
use super::signal::*;
use super::task::TaskShared;
use crate::abi::signal::*;
use crate::arch::host;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Who may receive a process-directed signal: a task that does not block
/// it, else any (it stays pending).
fn pick_task(p: &Process, signo: i32) -> Option<Arc<TaskShared>> {
    let tasks = p.tasks();
    tasks.iter().find(|t| t.sigmask() & sigbit(signo) == 0).or_else(|| tasks.first()).cloned()
}

/// Whether a process-directed `signo` sent now would wake `t` (and no
/// other task of `p`).
pub(crate) fn would_pick(p: &Process, signo: i32, t: &TaskShared) -> bool {
    let tasks = p.tasks();
    let picked = tasks.iter().find(|x| x.sigmask() & sigbit(signo) == 0).or_else(|| tasks.first());
    picked.is_some_and(|x| std::ptr::eq(&**x, t))
}

/// Whether a signal would be thrown away on arrival: ignored, and not
/// blocked (a blocked ignored signal stays pending, as on Linux).
fn discarded_on_arrival(p: &Process, signo: i32, blocked_everywhere: bool) -> bool {
    if signo == SIGKILL || signo == SIGSTOP || blocked_everywhere {
        return false;
    }
    let handler = p.sigactions().get(signo).sa_handler;
    handler == SIG_IGN || handler == SIG_DFL && default_action(signo) == DefaultAction::Ignore
}

/// Sends a process-directed signal (kill). `from_kernel` bypasses init's
/// protection.
pub(crate) fn send_to_process(m: &Machine, p: &Arc<Process>, info: SigInfo, from_kernel: bool) {
    let signo = info.signo;
    if p.is_zombie() {
        return;
    }
    // Linux protects init from signals it has no handler for; a blocked
    // signal is never ignored (init may be waiting for it in sigtimedwait).
    let blocked_everywhere = p.tasks().iter().all(|t| t.blocks(signo));
    if p.pid == 1
        && m.config.protect_init
        && !from_kernel
        && !blocked_everywhere
        && p.sigactions().get(signo).sa_handler == SIG_DFL
    {
        return;
    }
    match signo {
        SIGCONT | SIGKILL => {
            p.shared_pending().discard(sigbit(SIGSTOP) | sigbit(SIGTSTP) | sigbit(SIGTTIN) | sigbit(SIGTTOU));
            for t in p.tasks().iter() {
                t.pending().discard(sigbit(SIGSTOP) | sigbit(SIGTSTP) | sigbit(SIGTTIN) | sigbit(SIGTTOU));
            }
            resume(m, p, signo == SIGCONT);
        }
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => {
            p.shared_pending().discard(sigbit(SIGCONT));
        }
        _ => {}
    }
    if discarded_on_arrival(p, signo, blocked_everywhere) {
        return;
    }
    // Like Linux, a standard signal that is already pending wakes nobody:
    // a sender in a loop must not keep the target out of guest code.
    if !p.shared_pending().push(info) {
        return;
    }
    super::signalfd::changed(p);
    if let Some(t) = pick_task(p, signo) {
        t.kick();
    }
}

/// Sends a thread-directed signal (tkill, tgkill, faults).
pub(crate) fn send_to_task(m: &Machine, p: &Arc<Process>, t: &TaskShared, info: SigInfo) {
    let signo = info.signo;
    if signo == SIGCONT || signo == SIGKILL {
        resume(m, p, signo == SIGCONT);
    }
    let blocked = t.blocks(signo);
    if discarded_on_arrival(p, signo, blocked) {
        return;
    }
    if t.pending().push(info) {
        super::signalfd::changed(p);
        t.kick();
    }
}

/// SIGCONT (or SIGKILL) for a stopped process: it runs again. Only
/// SIGCONT tells the parent (CLD_CONTINUED); SIGKILL just lets it die.
fn resume(m: &Machine, p: &Arc<Process>, continued: bool) {
    let mut st = p.state();
    if !matches!(*st, ProcState::Stopped { .. }) {
        return;
    }
    *st = if continued { ProcState::Continued } else { ProcState::Running };
    drop(st);
    super::signal::bump_signal_epoch();
    p.cont_event.fetch_add(1, Ordering::Release);
    host::futex_wake(&p.cont_event, i32::MAX);
    if continued {
        notify_parent(m, p, CLD_CONTINUED, SIGCONT);
    }
}

/// A stop signal's default action: the process stops until SIGCONT.
pub(crate) fn stop(m: &Machine, p: &Arc<Process>, signo: i32) {
    {
        let mut st = p.state();
        if !matches!(*st, ProcState::Running | ProcState::Continued) {
            return;
        }
        *st = ProcState::Stopped { signo, reported: false };
    }
    super::signal::bump_signal_epoch();
    notify_parent(m, p, CLD_STOPPED, signo);
    // A single program (`nommu run`) that stops hands the terminal back to
    // the host shell: the emulator stops too, and SIGCONT resumes both.
    if p.pid == 1 && !m.config.protect_init {
        host::stop_self();
    }
}

/// Tells the parent a child stopped, continued or ended: SIGCHLD (unless
/// SA_NOCLDSTOP says otherwise) and a wake-up for wait4.
pub(crate) fn notify_parent(m: &Machine, child: &Process, code: i32, status: i32) {
    let Some(parent) = m.process(child.ppid()) else { return };
    let act = parent.sigactions().get(SIGCHLD);
    let stop_or_cont = code == CLD_STOPPED || code == CLD_CONTINUED;
    let signo = if stop_or_cont { SIGCHLD } else { child.exit_signal };
    if signo != 0 && !(stop_or_cont && act.sa_flags & SA_NOCLDSTOP != 0) {
        let t = child.cpu_times();
        let info = SigInfo {
            signo,
            code,
            pid: child.pid,
            status,
            utime: t.user as i64,
            stime: t.system as i64,
            ..Default::default()
        };
        send_to_process(m, &parent, info, true);
    }
    parent.child_changed();
}

/// The last task of `p` has gone: release everything, become a zombie,
/// tell the parent. pid 1's end is the machine's.
pub(crate) fn exit_process(m: &Machine, p: &Arc<Process>, status: ExitStatus) {
    log::info!("pid {} ({}) ends: {status:?}", p.pid, p.comm());
    if p.pid == 1 {
        super::memmap::maybe_record(m);
    }
    if let Some(t) = m.tracer() {
        t.exit(p.pid, status);
    }
    // pid 1's end is the machine's; when nommu exits right after, its
    // memory (an mmap, an mprotect and an madvise of its image and
    // stack) and its descriptors go with the host process.
    let teardown = !(p.pid == 1 && m.leaves_init_to_host());
    if teardown {
        p.set_mm(Arc::new(super::regions::Mm::empty()));
    }
    m.ipc.exit_process(p.pid);
    if teardown {
        *p.files() = crate::fs::FdTable::default();
        p.fs().cwd_fd = None;
    }
    finish_vfork(p);
    let had_zombies = m.reparent_children(p.pid);
    // A parent that ignores SIGCHLD (or says SA_NOCLDWAIT) never sees
    // zombies: the child is reaped before it could be found as one, or a
    // parent already in wait4 could reap it in between.
    let auto_reap = p.pid != 1
        && m.process(p.ppid()).is_some_and(|parent| {
            let act = parent.sigactions().get(SIGCHLD);
            act.sa_handler == SIG_IGN || act.sa_flags & SA_NOCLDWAIT != 0
        });
    if auto_reap {
        m.unregister(p.pid);
    }
    *p.state() = ProcState::Zombie(status);
    super::pty::exited(m, p);
    if p.pid == 1 {
        m.shut_down(status);
        return;
    }
    if had_zombies {
        if let Some(init) = m.process(1) {
            init.child_changed();
        }
    }
    let (code, st) = match status {
        ExitStatus::Exited(c) => (CLD_EXITED, c as i32),
        ExitStatus::Signaled(s) => (if default_action(s) == DefaultAction::Core { CLD_DUMPED } else { CLD_KILLED }, s),
    };
    notify_parent(m, p, code, st);
}

/// A vfork parent waits for this: the child has exec'd or exited.
pub(crate) fn finish_vfork(p: &Process) {
    // SeqCst with the parent's `vfork_waiter` store: either it sees the
    // word set before it sleeps, or this sees it waiting.
    if p.vfork_done.swap(1, Ordering::SeqCst) == 0 && p.vfork_waiter.load(Ordering::SeqCst) {
        host::futex_wake(&p.vfork_done, i32::MAX);
    }
}
