//! A vfork child on its parent's host thread.
//!
//! The parent of a vfork is suspended until the child execs or exits, so
//! the child runs on the parent's host thread, in the parent's entry area
//! (`Vcpu::lend`), nested in the parent's vfork call: no host thread is
//! woken and nobody waits for one. The child leaves the thread when the
//! parent has to run again before the child is done with its memory (a
//! fatal signal or its process's group exit, which Linux's vfork wait does
//! not hold up either), and after its exec, when the new program must go
//! on in parallel with its parent, on a thread of the pool, as on Linux:
//! at once with NOMMU_CHILD_FIRST=0, else once running first on this
//! thread stops being a mere scheduling choice (`kernel::runfirst`).
//!
//! What belongs to the host thread follows the task that runs on it: the
//! entry area (GS, FS base, dispatch selector, alternate signal stack stay
//! the thread's; the guest state in the area is swapped), the host tid
//! (signals to either task kick the thread; the child looks whether the
//! kick was its parent's business) and the CPU clock (one reading starts
//! the child's and freezes the parent's; the child's use is taken off the
//! parent's).

use super::fixedturn;
use super::machine::Machine;
use super::process::Process;
use super::runfirst;
use super::signal::signal_epoch;
use super::task::{Task, TaskShared};
use crate::arch::Vcpu;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// vforks nested deeper than this (a child that vforks, ...) get a host
/// thread each: every level adds the kernel's frames to the host stack.
const MAX_DEPTH: u32 = 4;

/// A task running on its vfork parent's host thread.
pub(crate) struct Loan {
    /// The suspended parent.
    host: Arc<TaskShared>,
    host_process: Arc<Process>,
    depth: u32,
    /// The signal epoch at which the parent last did not need its thread.
    seen_epoch: u64,
    /// The task left the thread before it ended (`must_leave`).
    left: bool,
    /// After its exec: the end of its slice (`kernel::runfirst`).
    slice_end: Option<std::time::Instant>,
    /// After its exec: it must leave at the top of the run loop (a
    /// syscall that may block, a stop).
    leave_now: bool,
}

impl Loan {
    /// The parent must run again: a fatal signal, or its process ends.
    pub(crate) fn host_needs_thread(&self) -> bool {
        self.host_process.group_exit_for(self.host.tid).is_some()
            || fixedturn::fatal_signal_of(&self.host, &self.host_process).is_some()
    }
}

/// Whether vfork children may run on their parent's thread: not with
/// NOMMU_VFORK_THREAD=1 (each gets a host thread of its own, as before).
fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| crate::arch::switches::var_os("NOMMU_VFORK_THREAD").is_none_or(|v| v.is_empty() || v == "0"))
}

/// Whether a vfork child of `parent` may run on `parent`'s host thread.
pub(crate) fn possible(parent: &Task) -> bool {
    enabled() && parent.loan.as_ref().is_none_or(|l| l.depth < MAX_DEPTH)
}

/// At the top of the run loop: whether a task on a loan has to leave the
/// thread now (it exec'd, or the parent must run).
pub(crate) fn must_leave(m: &Machine, task: &mut Task) -> bool {
    let Some(loan) = task.loan.as_mut() else { return false };
    if task.process.vfork_done.load(Ordering::Acquire) == 0 {
        let epoch = signal_epoch();
        if epoch == loan.seen_epoch || !loan.host_needs_thread() {
            loan.seen_epoch = epoch;
            return false;
        }
    } else if runfirst::enabled() && !loan.leave_now && stays_after_exec(m, task) {
        return false;
    }
    let Some(loan) = task.loan.as_mut() else { return false };
    loan.left = true;
    // Its new thread's first delivery looks at everything again.
    task.seen_signal_epoch = u64::MAX;
    true
}

/// The exec'd child on its parent's thread (`kernel::runfirst`): whether
/// it keeps running here: its slice has not ended, the parent has no
/// signal to take, the child no signal of its own (whose delivery might
/// stop it here) and no fixed image to wait for.
fn stays_after_exec(m: &Machine, task: &mut Task) -> bool {
    let Some(loan) = task.loan.as_mut() else { return false };
    // A kick may have been the parent's host timer: its SIGALRM is made
    // pending now (and seen below).
    super::timers::check_host_alarm(m, &loan.host_process);
    let now = std::time::Instant::now();
    let end = match loan.slice_end {
        Some(end) => end,
        None => match runfirst::start_slice(task.shared.host_tid()) {
            Some(end) => *loan.slice_end.insert(end),
            None => return false,
        },
    };
    if now >= end || task.process.fixed_image() != task.fixed_held {
        return false;
    }
    let epoch = signal_epoch();
    if epoch == loan.seen_epoch {
        return true;
    }
    let host_mask = loan.host.sigmask();
    let host_pending = loan.host.pending().set() | loan.host_process.shared_pending().set();
    let own_pending = task.shared.pending().set() | task.process.shared_pending().set();
    if host_pending & !host_mask != 0
        || own_pending != 0
        || loan.host_needs_thread()
        || task.process.group_exit_for(task.tid).is_some()
        || !matches!(*task.process.state(), super::process::ProcState::Running)
    {
        return false;
    }
    loan.seen_epoch = epoch;
    true
}

/// Before a syscall of a task on a loan: whether it must be made on a
/// thread of the task's own (an exec'd child's syscall that may block:
/// it is made again there, `kernel::runfirst`).
pub(crate) fn syscall_leaves(task: &mut Task, nr: u64, arg0: u64) -> bool {
    let Some(loan) = task.loan.as_mut() else { return false };
    if loan.slice_end.is_none() || runfirst::may_stay(nr, arg0) {
        return false;
    }
    loan.leave_now = true;
    true
}

/// In a signal delivery: whether the exec'd child must leave before its
/// process's stop parks it (the parent would wait with it).
pub(crate) fn leaves_before_stop(task: &mut Task) -> bool {
    let Some(loan) = task.loan.as_mut() else { return false };
    if loan.slice_end.is_none() || matches!(*task.process.state(), super::process::ProcState::Running) {
        return false;
    }
    loan.leave_now = true;
    true
}

/// Whether the task on a loan is to leave at the top of the run loop.
pub(crate) fn leaving(task: &Task) -> bool {
    task.loan.as_ref().is_some_and(|l| l.leave_now)
}

/// Runs the vfork child (`shared`, of `process`, prepared by `setup`) on
/// the calling host thread, which is its parent's (`parent`, in vfork),
/// until it ends or leaves (`must_leave`); then the parent's vCPU state is
/// back, and a child that lives on continues on a thread of the pool.
pub(crate) fn run_child(
    m: &Arc<Machine>,
    parent: &mut Task,
    process: Arc<Process>,
    shared: Arc<TaskShared>,
    setup: impl FnOnce(&mut Task),
) {
    m.adopt_task(&process, &shared);
    shared.set_host_tid(parent.vcpu.host_tid());
    parent.shared.lend_cpu(&shared);
    let mut child = Task::new(shared.clone(), process, parent.vcpu.lend());
    setup(&mut child);
    child.loan = Some(Loan {
        host: parent.shared.clone(),
        host_process: parent.process.clone(),
        depth: parent.loan.as_ref().map_or(1, |l| l.depth.saturating_add(1)),
        seen_epoch: u64::MAX,
        left: false,
        slice_end: None,
        leave_now: false,
    });
    m.run_task_loop(&mut child);
    if child.loan.as_ref().is_some_and(|l| l.slice_end.is_some()) {
        runfirst::end_slice();
    }
    // A child that ended here has read the thread's clocks last.
    let used = shared.used_at_end().unwrap_or_else(|| shared.cpu_used_here());
    parent.shared.take_back_cpu(used);
    if !child.loan.take().is_some_and(|l| l.left) {
        // It has ended.
        parent.vcpu.take_back(child.vcpu);
        return;
    }
    let state = child.vcpu.state();
    parent.vcpu.take_back(std::mem::replace(&mut child.vcpu, Vcpu::detached()));
    log::debug!("pid {} leaves its parent's thread", child.tid);
    if let Err(mut child) = m.continue_task(child, state, used) {
        // No thread for it: it cannot go on, and must not keep its
        // parent waiting.
        child.process.start_group_exit(super::process::GroupExit {
            status: super::process::ExitStatus::Signaled(crate::abi::signal::SIGKILL),
            survivor: None,
        });
        child.vcpu = parent.vcpu.lend();
        m.run_task_loop(&mut child);
        parent.vcpu.take_back(std::mem::replace(&mut child.vcpu, Vcpu::detached()));
    }
}
