//! Taking turns on fixed ranges (docs/architecture.md, "Fixed-address
//! images"): when a task may run on its process's copy of a non-PIE image
//! at its link address, and what it does while it may not.
//!
//! The rule: a task runs guest code, and runs syscall handlers that touch
//! its memory, only while it runs on its copy (`Memory::fixed_take`). It
//! stops (`park`) only where it touches no guest memory: a vfork parent
//! waiting for its child, wait4/waitid, and blocking calls whose buffers
//! lie outside the range (`SyscallCtx::block_parked`). Before it touches
//! guest memory again it waits for its turn (`resume`). A range is taken
//! from a copy only when none of its tasks runs on it.

use super::machine::Machine;
use super::process::{ExitStatus, GroupExit};
use super::task::Task;
use crate::abi::signal::{NSIG, SIGKILL, SIG_DFL};
use crate::errno::Errno;
use crate::mm::fixed::{Holder, Turn};
use std::time::{Duration, Instant};

/// How long a waiter sleeps between looks at signals.
const POLL: Duration = Duration::from_millis(50);
/// How long every task that keeps a wanted range must stay blocked in the
/// kernel (with a buffer in the range) before the waiter gives up.
const GRACE: Duration = Duration::from_millis(500);

/// A signal that ends the process without a handler (SIGKILL, or one at
/// its default fatal action and not blocked) is pending: its number (a
/// vfork parent stops waiting for it, as a waiter for a range does).
pub(crate) fn fatal_signal(task: &Task) -> Option<i32> {
    fatal_signal_of(&task.shared, &task.process)
}

/// `fatal_signal` for a task known by its shared part and process.
pub(crate) fn fatal_signal_of(task: &super::task::TaskShared, process: &super::process::Process) -> Option<i32> {
    use super::signal::{default_action, DefaultAction};
    let mask = task.sigmask();
    let pending = task.pending().set() | process.shared_pending().set();
    if pending == 0 {
        return None;
    }
    let actions = process.sigactions();
    (1..=NSIG as i32).find(|&sig| {
        let bit = sig.checked_sub(1).and_then(|s| 1u64.checked_shl(s as u32)).unwrap_or(0);
        bit != 0
            && pending & bit != 0
            && (sig == SIGKILL
                || mask & bit == 0
                    && actions.get(sig).sa_handler == SIG_DFL
                    && matches!(default_action(sig), DefaultAction::Terminate | DefaultAction::Core))
    })
}

/// Why a task stopped waiting for its turn without getting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// Its process is ending (a group exit is under way).
    GroupExit,
    /// A fatal signal is pending, or the task can never get its turn (its
    /// process has been killed): the process dies of this signal.
    Signal(i32),
}

impl Stopped {
    /// Makes the process end as it must: `deliver` then ends the task
    /// without touching guest memory.
    pub(crate) fn end_group(self, task: &Task) {
        if let Stopped::Signal(sig) = self {
            task.process.start_group_exit(GroupExit { status: ExitStatus::Signaled(sig), survivor: None });
        }
    }
}

fn stopped(task: &Task) -> Option<Stopped> {
    if task.process.group_exit_for(task.tid).is_some() {
        return Some(Stopped::GroupExit);
    }
    fatal_signal(task).map(Stopped::Signal)
}

/// The task stops running on its copy: someone else may take the range.
pub(crate) fn park(m: &Machine, task: &mut Task) {
    if task.fixed_held != 0 {
        m.mem.fixed_park(task.fixed_held, task.tid);
        task.fixed_held = 0;
    }
}

/// Before the task touches guest memory: it runs on its process's copy,
/// waiting for its turn if need be (and only on a copy it may use: one
/// it ran on but its process left by exec is let go).
#[inline]
pub(crate) fn resume(m: &Machine, task: &mut Task) -> Result<(), Stopped> {
    let want = task.process.fixed_image();
    if want == task.fixed_held {
        return Ok(());
    }
    take_turn(m, task, want)
}

/// `resume` when the task does not hold the range it needs.
#[inline(never)]
fn take_turn(m: &Machine, task: &mut Task, want: u64) -> Result<(), Stopped> {
    park(m, task);
    if want == 0 {
        return Ok(());
    }
    wait_until(m, task, |m, task| match m.mem.fixed_take(want, task.tid) {
        Turn::Owned => None,
        Turn::Busy(h) => Some(h),
    })
    .map_err(|(stop, holders)| {
        if let Some(h) = holders {
            let (addr, len, mine) = m.mem.fixed_copy(want).unwrap_or_default();
            conflict(m, task.process.pid, &mine, &h, (addr, len), Refusal::CannotRun);
            send_kill(m, task);
            return Stopped::Signal(SIGKILL);
        }
        stop
    })?;
    task.fixed_held = want;
    Ok(())
}

/// exec: waits until [addr, addr+len) can take a new copy. ENOMEM (with
/// the one line saying why) when it never can; EINTR when the task is to
/// die first.
pub(crate) fn wait_for_range(m: &Machine, task: &Task, program: &[u8], addr: u64, len: u64) -> Result<(), Errno> {
    let me = format!("pid {} ({})", task.process.pid, String::from_utf8_lossy(program));
    wait_until(m, task, |m, _| {
        let h = m.mem.fixed_holders(addr, len, None);
        (!h.is_empty()).then_some(h)
    })
    .map_err(|(_, holders)| match holders {
        Some(h) => {
            conflict(m, task.process.pid, &me, &h, (addr, len), Refusal::CannotLoad);
            Errno::ENOMEM
        }
        None => Errno::EINTR,
    })
}

/// Waits while `busy` names the copies in the way. Err with the holders
/// when they can never give way (each of their tasks stays blocked in the
/// kernel keeping the range), or with why the task stopped waiting.
fn wait_until(
    m: &Machine,
    task: &Task,
    mut busy: impl FnMut(&Machine, &Task) -> Option<Vec<Holder>>,
) -> Result<(), (Stopped, Option<Vec<Holder>>)> {
    let mut stuck_since: Option<Instant> = None;
    let mut logged = false;
    loop {
        let generation = m.mem.fixed_generation();
        let Some(holders) = busy(m, task) else { return Ok(()) };
        // A host signal to nommu this thread took while it waits.
        super::hostsignals::take(m);
        if let Some(stop) = stopped(task) {
            return Err((stop, None));
        }
        if !logged {
            logged = true;
            let who: Vec<&str> = holders.iter().map(|h| h.label.as_str()).collect();
            log::info!("pid {}: waits for its fixed range, in use by {}", task.tid, who.join(", "));
        }
        let all_blocked =
            !holders.is_empty() && holders.iter().all(|h| h.running.iter().all(|&t| m.mem.fixed_is_blocked(t)));
        if all_blocked {
            let since = *stuck_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= GRACE {
                return Err((Stopped::Signal(SIGKILL), Some(holders)));
            }
        } else {
            stuck_since = None;
        }
        m.mem.fixed_wait(generation, POLL);
    }
}

/// What a fixed-address program that must run beside another is refused.
#[derive(Clone, Copy)]
enum Refusal {
    /// Its task is killed (it waited for the range in vain).
    CannotRun,
    /// Its execve fails with ENOMEM.
    CannotLoad,
}

impl Refusal {
    fn text(self) -> &'static str {
        match self {
            Refusal::CannotRun => "cannot run",
            Refusal::CannotLoad => "cannot be loaded",
        }
    }

    /// What it gets, for --report.
    fn answer(self) -> &'static str {
        match self {
            Refusal::CannotRun => "SIGKILL",
            Refusal::CannotLoad => "ENOMEM",
        }
    }
}

/// The one line for two fixed-address programs that must run at once, on
/// stderr and in --report: process `pid`, labelled `me` ("pid N
/// (program)"), needs [addr, addr+len).
fn conflict(m: &Machine, pid: i32, me: &str, holders: &[Holder], (addr, len): (u64, u64), refusal: Refusal) {
    let what = refusal.text();
    let others: Vec<&str> = holders.iter().map(|h| h.label.as_str()).collect();
    let others = others.join(", ");
    let end = addr.saturating_add(len);
    log::error!(
        "{me} {what}: its image must sit at {addr:#x}..{end:#x}, where {others} keeps its own while it waits \
         in the kernel: both would have to run at once (no MMU to show two images at one address)"
    );
    let strip = |l: &str| l.split_once(" (").map_or(l.to_string(), |(_, p)| p.trim_end_matches(')').to_string());
    let names: Vec<String> = holders.iter().map(|h| strip(&h.label)).collect();
    let call = format!("run at {addr:#x} while {} must run there too", names.join(", "));
    m.note_incompatibility(pid, &strip(me), &call, refusal.answer());
}

fn send_kill(m: &Machine, task: &Task) {
    let info = super::signal::SigInfo::user(SIGKILL, crate::abi::signal::SI_KERNEL, 0);
    super::lifecycle::send_to_process(m, &task.process, info, true);
}

/// The task blocks in the kernel keeping its range (a buffer of the call
/// lies in it): waiters may give up on it.
pub(crate) fn set_blocked(m: &Machine, task: &Task, blocked: bool) {
    if task.fixed_held != 0 {
        m.mem.fixed_set_blocked(task.tid, blocked);
    }
}

/// The range of the copy the task runs on, if any.
pub(crate) fn held_range(m: &Machine, task: &Task) -> Option<(u64, u64)> {
    if task.fixed_held == 0 {
        return None;
    }
    m.mem.fixed_copy(task.fixed_held).map(|(a, l, _)| (a, l))
}
