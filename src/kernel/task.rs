//! A task: one guest thread of control, bound to one host thread and vCPU.

use super::process::Process;
use super::signal::{AltStack, SigQueue, SigSet, UNBLOCKABLE};
use crate::abi::time::USER_HZ;
use crate::arch::vcpu::kick_thread;
use crate::arch::Vcpu;
use crate::errno::Errno;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The part of a task other threads touch: its identity, signal mask and
/// pending signals, and the host thread to kick.
/// How a task ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskExit {
    /// exit(2): this thread only (the process ends with its last thread).
    Thread(u8),
    /// exit_group(2) or a fatal signal: the whole process.
    Group(super::process::ExitStatus),
}

pub struct TaskShared {
    pub tid: i32,
    host_tid: AtomicI32,
    sigmask: AtomicU64,
    /// During rt_sigtimedwait: the mask from before the wait (Linux's
    /// real_blocked). Signals in it are not ignored on arrival.
    real_blocked: AtomicU64,
    pending: Mutex<SigQueue>,
    /// set_robust_list (head, len): other threads may ask (get_robust_list).
    pub robust_list: Mutex<(u64, u64)>,
    /// A thread's own name (PR_SET_NAME); the main thread's is the
    /// process's comm.
    pub name: Mutex<Option<Vec<u8>>>,
    /// What the host thread had used before this task started on it (host
    /// threads are reused, `kernel::threadpool`): its CPU clock in ns,
    /// user and system time in µs. The task's own CPU time is the host
    /// thread's since then.
    cpu_base: Mutex<CpuAccount>,
    /// Set (under the PI futex registry's lock) once the exiting task has
    /// released its futexes: a PI lock naming it no longer has a live
    /// owner (Linux's FUTEX_STATE_DEAD).
    futex_dead: AtomicBool,
    /// Bumped by every kick. A task that waits for nothing but a kick
    /// (sigsuspend, pause, a sleep: `sleep_until_kicked`) sleeps on it,
    /// with `waits_on_kick_word` set, and a kick is then a futex wake
    /// rather than a host signal.
    kick_word: AtomicU32,
    waits_on_kick_word: AtomicBool,
}

/// Host thread CPU clock readings (ns; user and system µs), or the
/// difference of two: signed, as a task that moved to another host thread
/// counts from a base before that thread's start.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CpuBase {
    clock_ns: i64,
    user_us: i64,
    system_us: i64,
}

impl CpuBase {
    /// The calling host thread's readings now.
    fn now() -> CpuBase {
        let (s, ns) = crate::arch::host::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID).unwrap_or((0, 0));
        let (user_us, system_us) = crate::arch::host::thread_rusage();
        CpuBase { clock_ns: s * 1_000_000_000 + ns, user_us: user_us as i64, system_us: system_us as i64 }
    }

    fn plus(self, o: CpuBase, sign: i64) -> CpuBase {
        CpuBase {
            clock_ns: self.clock_ns + sign * o.clock_ns,
            user_us: self.user_us + sign * o.user_us,
            system_us: self.system_us + sign * o.system_us,
        }
    }
}

/// A task's CPU accounting on its host thread.
#[derive(Clone, Copy, Debug, Default)]
struct CpuAccount {
    /// The host thread's readings when the task started counting on it,
    /// less what it had used elsewhere.
    base: CpuBase,
    /// While the task lends its host thread to a vfork child
    /// (`kernel::vforkrun`): what it had used when it lent the thread; its
    /// clocks stand still there (the thread's time is the child's).
    lent: Option<CpuBase>,
    /// What the task had used when it ended (`end_cpu_accounting`).
    used_at_end: Option<CpuBase>,
}

/// `reading - base`, never below 0 (readings from /proc are coarser).
fn since(reading: u64, base: i64) -> u64 {
    (reading as i64).saturating_sub(base).max(0) as u64
}

const US_PER_TICK: u64 = 1_000_000 / USER_HZ;

/// Clock ticks in a microsecond count.
fn us_to_ticks(us: u64) -> u64 {
    us / US_PER_TICK
}

impl TaskShared {
    pub fn new(tid: i32, sigmask: SigSet) -> TaskShared {
        TaskShared {
            tid,
            host_tid: AtomicI32::new(0),
            sigmask: AtomicU64::new(sigmask),
            real_blocked: AtomicU64::new(0),
            pending: Mutex::new(SigQueue::default()),
            robust_list: Mutex::new((0, 0)),
            name: Mutex::new(None),
            cpu_base: Mutex::new(CpuAccount::default()),
            futex_dead: AtomicBool::new(false),
            kick_word: AtomicU32::new(0),
            waits_on_kick_word: AtomicBool::new(false),
        }
    }

    fn cpu(&self) -> MutexGuard<'_, CpuAccount> {
        self.cpu_base.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts counting CPU time: on the task's own host thread, before it
    /// first enters the guest.
    pub(crate) fn start_cpu_accounting(&self) {
        self.continue_cpu_accounting(CpuBase::default());
    }

    /// Starts counting CPU time for a task that has used `used` on another
    /// thread (`cpu_used_here` there) on the calling host thread.
    pub(crate) fn continue_cpu_accounting(&self, used: CpuBase) {
        self.cpu().base = CpuBase::now().plus(used, -1);
    }

    /// `child` starts counting on the calling host thread, `self`'s, which
    /// it lends to the child (a vfork child on its parent's thread): one
    /// reading for both; `self`'s clocks stand still until
    /// `take_back_cpu`.
    pub(crate) fn lend_cpu(&self, child: &TaskShared) {
        let now = CpuBase::now();
        child.cpu().base = now;
        let mut me = self.cpu();
        me.lent = Some(now.plus(me.base, -1));
    }

    /// The thread lent to a vfork child is back; `used` of its time since
    /// `lend_cpu` was the child's: not this task's.
    pub(crate) fn take_back_cpu(&self, used: CpuBase) {
        let mut me = self.cpu();
        me.base = me.base.plus(used, 1);
        me.lent = None;
    }

    /// What the task has used, on its own host thread.
    pub(crate) fn cpu_used_here(&self) -> CpuBase {
        CpuBase::now().plus(self.cpu().base, -1)
    }

    /// The task ends, on its own host thread: what it used (kept for
    /// `used_at_end`) as clock ticks (user, system) and CPU clock ns.
    pub(crate) fn end_cpu_accounting(&self) -> (u64, u64, u64) {
        let used = self.cpu_used_here();
        self.cpu().used_at_end = Some(used);
        let pos = |v: i64| v.max(0) as u64;
        (us_to_ticks(pos(used.user_us)), us_to_ticks(pos(used.system_us)), pos(used.clock_ns))
    }

    /// What the task had used when it ended, if it has.
    pub(crate) fn used_at_end(&self) -> Option<CpuBase> {
        self.cpu().used_at_end
    }

    /// The task's share of a reading of its host thread's CPU clock (ns).
    pub(crate) fn cpu_clock_ns(&self, host_ns: u64) -> u64 {
        let a = *self.cpu();
        match a.lent {
            Some(used) => used.clock_ns.max(0) as u64,
            None => since(host_ns, a.base.clock_ns),
        }
    }

    /// The task's user and system time in clock ticks. On the task's own
    /// thread (`own`) from getrusage, else from /proc.
    pub(crate) fn cpu_ticks(&self, own: bool) -> (u64, u64) {
        let a = *self.cpu();
        if let Some(used) = a.lent {
            return (us_to_ticks(used.user_us.max(0) as u64), us_to_ticks(used.system_us.max(0) as u64));
        }
        let base = a.base;
        let (user_us, system_us) = if own {
            crate::arch::host::thread_rusage()
        } else {
            let (u, s) = crate::arch::host::thread_times(self.host_tid());
            (u * US_PER_TICK, s * US_PER_TICK)
        };
        (us_to_ticks(since(user_us, base.user_us)), us_to_ticks(since(system_us, base.system_us)))
    }

    pub(crate) fn sigmask(&self) -> SigSet {
        self.sigmask.load(Ordering::Acquire)
    }

    pub(crate) fn set_sigmask(&self, mask: SigSet) {
        self.sigmask.store(mask & !UNBLOCKABLE, Ordering::Release);
    }

    /// Blocked for the purpose of "is this signal ignored on arrival".
    pub(crate) fn blocks(&self, signo: i32) -> bool {
        let bit = super::signal::sigbit(signo);
        (self.sigmask() | self.real_blocked.load(Ordering::Acquire)) & bit != 0
    }

    pub(crate) fn set_real_blocked(&self, mask: SigSet) {
        self.real_blocked.store(mask, Ordering::Release);
    }

    pub(crate) fn pending(&self) -> MutexGuard<'_, SigQueue> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_host_tid(&self, tid: i32) {
        self.host_tid.store(tid, Ordering::Release);
    }

    pub(crate) fn host_tid(&self) -> i32 {
        self.host_tid.load(Ordering::Acquire)
    }

    /// Whether the task has released its futexes on the way out (it can
    /// own no PI lock any more).
    pub(crate) fn futex_dead(&self) -> bool {
        self.futex_dead.load(Ordering::Acquire)
    }

    pub(crate) fn set_futex_dead(&self) {
        self.futex_dead.store(true, Ordering::Release);
    }

    /// Makes the task look at its pending work: leaves guest code, or
    /// abandons a blocking host call. The caller has made the work visible
    /// first (queued the signal, bumped the signal epoch).
    pub(crate) fn kick(&self) {
        // Sequentially consistent with `sleep_until_kicked`: either the
        // sleeper sees the new word (or the work) before it sleeps, or
        // this sees it sleeping and wakes it.
        self.kick_word.fetch_add(1, Ordering::SeqCst);
        if self.waits_on_kick_word.load(Ordering::SeqCst) {
            crate::arch::host::futex_wake(&self.kick_word, 1);
            return;
        }
        let t = self.host_tid();
        if t != 0 {
            kick_thread(t);
        }
    }

    /// Sleeps (on the task's own thread) until the task is kicked, or
    /// until `deadline`, an absolute time on CLOCK_REALTIME when `realtime`,
    /// else on CLOCK_MONOTONIC. `work` says whether there is already
    /// something to look at (a signal pending): then it does not sleep.
    /// `Ok` at the deadline; `Err(EINTR)` when kicked, when there is work,
    /// or on a spurious wake-up: callers loop (`SyscallCtx::block`).
    ///
    /// A kick that finds the task here costs the kicker a futex wake and
    /// the task nothing more; elsewhere a kick is a host signal to its
    /// thread (a frame, a handler, sigreturn) that ends its host call.
    /// That host signal still works here: this waits through the
    /// interruptible stub.
    pub(crate) fn sleep_until_kicked(
        &self,
        deadline: Option<(i64, i64)>,
        realtime: bool,
        work: impl FnOnce() -> bool,
    ) -> Result<(), Errno> {
        let seen = self.kick_word.load(Ordering::SeqCst);
        self.waits_on_kick_word.store(true, Ordering::SeqCst);
        let r = if work() {
            Err(Errno::EINTR)
        } else {
            match crate::arch::host::futex_wait_until_interruptible(&self.kick_word, seen, deadline, realtime) {
                Err(e) if e.raw_os_error() == Some(libc::ETIMEDOUT) => Ok(()),
                Err(e) if e.raw_os_error() != Some(libc::EINTR) => Err(Errno::from(e)),
                _ => Err(Errno::EINTR),
            }
        };
        // The kicker's work was made visible before it read this flag:
        // what runs next (the delivery check) sees it.
        self.waits_on_kick_word.store(false, Ordering::SeqCst);
        r
    }
}

/// Why the task's syscall has to be restarted or failed with EINTR, decided
/// once we know whether a handler runs (Linux's -ERESTART* codes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PendingRestart {
    pub nr: u64,
    pub code: crate::errno::Errno,
}

pub struct Task {
    pub shared: Arc<TaskShared>,
    pub tid: i32,
    pub process: Arc<Process>,
    pub vcpu: Vcpu,
    /// set_tid_address: cleared and futex-woken when the task exits.
    pub clear_child_tid: u64,
    pub altstack: AltStack,
    /// rt_sigsuspend/ppoll/pselect6 run with a temporary mask; the one to
    /// restore once a handler has been set up.
    pub saved_sigmask: Option<SigSet>,
    pub restart: Option<PendingRestart>,
    /// The signal epoch at which `deliver` last found nothing to do.
    pub seen_signal_epoch: u64,
    /// A timed syscall that was interrupted and will be restarted (no
    /// handler ran) continues to its original deadline, like Linux's
    /// restart_block: (syscall number, clock, absolute time).
    pub restart_deadline: Option<(u64, i32, (i64, i64))>,
    /// Trap number, error code and address of the last fault, for the
    /// signal frame of the fault's signal.
    pub fault: Option<(u64, u64, u64)>,
    /// Memory unmapped while the task still stood on it (its own stack):
    /// freed when the task exits.
    pub deferred_free: Vec<(u64, u64)>,
    /// The signal that killed the process, for the one-line report.
    pub last_fatal: Option<super::signal::SigInfo>,
    /// The fixed image copy the task runs on now (0: none; `fixedturn`).
    pub fixed_held: u64,
    /// A vfork child running on its suspended parent's host thread.
    pub(crate) loan: Option<super::vforkrun::Loan>,
    /// Recently used descriptors (`fs::fdtable::FdCache`).
    pub fd_cache: crate::fs::fdtable::FdCache,
}

impl Task {
    pub fn new(shared: Arc<TaskShared>, process: Arc<Process>, vcpu: Vcpu) -> Task {
        Task {
            tid: shared.tid,
            shared,
            process,
            vcpu,
            clear_child_tid: 0,
            altstack: AltStack::disabled(),
            saved_sigmask: None,
            restart: None,
            seen_signal_epoch: u64::MAX,
            restart_deadline: None,
            last_fatal: None,
            fault: None,
            deferred_free: Vec::new(),
            fixed_held: 0,
            loan: None,
            fd_cache: Default::default(),
        }
    }

    pub fn sigmask(&self) -> SigSet {
        self.shared.sigmask()
    }

    pub fn robust_list(&self) -> (u64, u64) {
        *self.shared.robust_list.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Only the task itself changes its mask, so only its own next
    /// `deliver` has to look again (signals it now unblocks may be pending).
    pub fn set_sigmask(&mut self, mask: SigSet) {
        self.shared.set_sigmask(mask);
        self.seen_signal_epoch = u64::MAX;
    }
}
