//! The exec'd vfork child runs first, on its parent's host thread.
//!
//! A vfork child runs on its suspended parent's host thread
//! (`kernel::vforkrun`). Once it has exec'd, its parent may run again, in
//! parallel with it, as on Linux; handing the child to a thread of the
//! pool for that costs a cross-thread wake-up, and its exit costs a second
//! one (the parent asleep in wait4). A short program (`/bin/true`, a
//! shell's `test`) is done before either wake-up would have finished.
//!
//! So the exec'd child keeps the thread for as long as that is only a
//! scheduling choice (Linux guarantees neither order after a vfork's exec;
//! `kernel.sched_child_runs_first` once chose the child): while it makes
//! only syscalls that never block nor need a thread of its own (`may_stay`),
//! for at most a slice (2 ms) (a host timer kicks the thread then, so a CPU-bound
//! child never holds its parent up longer), and only until the parent has
//! a signal to take (a kick ends the child's run then, as it ends a
//! parent's wait) or the child a signal or a stop of its own. Then it moves
//! to a thread of the pool, exactly as it would have at its exec; a
//! syscall that is not on the list is made again there. A child that ends
//! first leaves a zombie its parent's wait finds with no wake-up at all.
//!
//! `NOMMU_CHILD_FIRST=0` hands the child over at its exec, as before.

use crate::abi::names::number;
use crate::abi::prctl::PR_GET_NAME;
use crate::arch::hosttimer::HostTimer;
use std::cell::RefCell;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long the exec'd child may keep its parent's thread at most (the
/// order of a Linux time slice; NOMMU_CHILD_FIRST_MS sets another, for
/// tests that must see the other reasons to leave).
const SLICE: Duration = Duration::from_millis(2);

fn slice() -> Duration {
    static LEN: OnceLock<Duration> = OnceLock::new();
    *LEN.get_or_init(|| {
        crate::arch::switches::var("NOMMU_CHILD_FIRST_MS")
            .and_then(|v| v.parse::<u64>().ok())
            .map_or(SLICE, Duration::from_millis)
    })
}

/// Whether exec'd vfork children run first (not with NOMMU_CHILD_FIRST=0).
pub(crate) fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| crate::arch::switches::var_os("NOMMU_CHILD_FIRST").is_none_or(|v| v != "0"))
}

/// Syscalls that never block, need no thread of the task's own and have no
/// effect another task waits for: the start of a static program.
const NEVER_BLOCK: [u64; 26] = [
    number("getpid"),
    number("getppid"),
    number("gettid"),
    number("getuid"),
    number("geteuid"),
    number("getgid"),
    number("getegid"),
    number("getresuid"),
    number("getresgid"),
    number("getpgrp"),
    number("getpgid"),
    number("getsid"),
    number("arch_prctl"),
    number("set_tid_address"),
    number("set_robust_list"),
    number("rseq"),
    number("brk"),
    number("mmap"),
    number("munmap"),
    number("mprotect"),
    number("rt_sigaction"),
    number("rt_sigprocmask"),
    number("sigaltstack"),
    number("uname"),
    number("exit"),
    number("exit_group"),
];

/// Whether syscall `nr` (first argument `arg0`) may run on the parent's
/// thread.
pub(crate) fn may_stay(nr: u64, arg0: u64) -> bool {
    NEVER_BLOCK.contains(&nr) || nr == number("prctl") && arg0 == PR_GET_NAME as u64
}

thread_local! {
    /// This thread's slice timer, made at its first use and kept.
    static TIMER: RefCell<Option<HostTimer>> = const { RefCell::new(None) };
}

/// Starts a slice on this host thread (`host_tid`): the thread is kicked
/// a slice from now. Returns the deadline, or `None` when no host timer
/// can be had (then the child does not run first).
pub(crate) fn start_slice(host_tid: i32) -> Option<Instant> {
    let len = slice();
    let deadline = Instant::now().checked_add(len)?;
    TIMER.with(|t| {
        let mut t = t.borrow_mut();
        if t.as_ref().is_none_or(|h| h.host_tid() != host_tid) {
            *t = Some(HostTimer::aimed_at(host_tid).map_err(|e| log::debug!("timer_create: {e}")).ok()?);
        }
        t.as_ref()?.arm(Some(len), Duration::ZERO).ok()?;
        Some(deadline)
    })
}

/// Ends the slice started on this thread (disarms its timer).
pub(crate) fn end_slice() {
    TIMER.with(|t| {
        if let Some(h) = t.borrow().as_ref() {
            let _ = h.arm(None, Duration::ZERO);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocking_calls_leave() {
        for name in ["read", "write", "wait4", "futex", "nanosleep", "vfork", "clone", "execve", "kill", "openat"] {
            assert!(!may_stay(number(name), 0), "{name}");
        }
        assert!(may_stay(number("exit_group"), 0));
        assert!(may_stay(number("prctl"), PR_GET_NAME as u64));
        assert!(!may_stay(number("prctl"), 15), "PR_SET_NAME names the host thread");
    }
}
