//! A guest process: pid, its regions of the arena, descriptors, signal
//! dispositions. No address space of its own: that is the no-MMU model.

use super::regions::Mm;
use super::signal::SigActions;
use super::signal::SigQueue;
use super::task::TaskShared;
use crate::abi::resource::RLIMIT_NOFILE;
use crate::abi::sched::TASK_COMM_LEN;
use crate::errno::{Errno, SysResult};
use crate::fs::FdTable;
use crate::fs::HostRoot;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// How a process ended, encoded as wait(2) would see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(u8),
    Signaled(i32),
}

impl ExitStatus {
    /// The status word wait4 reports.
    pub(crate) fn wait_status(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => (c as i32) << 8,
            ExitStatus::Signaled(s) => s & 0x7f,
        }
    }

    /// The status a shell reports: the code, or 128 + signal.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c as i32,
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

pub use super::rlimits::Rlimits;

/// Where a process is in its life, as wait(2) sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProcState {
    Running,
    /// Stopped by `signo`; `reported` once a WUNTRACED wait saw it.
    Stopped {
        signo: i32,
        reported: bool,
    },
    /// Continued by SIGCONT, not yet seen by a WCONTINUED wait.
    Continued,
    Zombie(ExitStatus),
}

/// What a wait could report of a process's `ProcState`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WaitHint {
    /// Running, or stopped and already reported.
    Nothing = 0,
    Zombie = 1,
    /// Stopped, not yet reported.
    Stopped = 2,
    Continued = 3,
}

impl WaitHint {
    fn of(state: &ProcState) -> WaitHint {
        match state {
            ProcState::Running | ProcState::Stopped { reported: true, .. } => WaitHint::Nothing,
            ProcState::Zombie(_) => WaitHint::Zombie,
            ProcState::Stopped { reported: false, .. } => WaitHint::Stopped,
            ProcState::Continued => WaitHint::Continued,
        }
    }
}

/// A process's state, locked; the lock-free `WaitHint` follows every
/// change of it (stored as the guard goes, still under the lock, and
/// before whoever changed it wakes the parent).
pub(crate) struct StateGuard<'a> {
    state: MutexGuard<'a, ProcState>,
    hint: &'a std::sync::atomic::AtomicU8,
}

impl std::ops::Deref for StateGuard<'_> {
    type Target = ProcState;
    fn deref(&self) -> &ProcState {
        &self.state
    }
}

impl std::ops::DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut ProcState {
        &mut self.state
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        self.hint.store(WaitHint::of(&self.state) as u8, Ordering::Release);
    }
}

/// Why every task of a process is ending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GroupExit {
    pub status: ExitStatus,
    /// The task that survives (execve from a thread), if any.
    pub survivor: Option<i32>,
}

/// CPU time in clock ticks (100 Hz), for times(2), getrusage and SIGCHLD.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CpuTimes {
    pub user: u64,
    pub system: u64,
}

/// Where a process stands in the file system.
#[derive(Clone, Debug)]
pub struct FsContext {
    /// The working directory: an O_PATH handle for host directories (so a
    /// renamed or removed cwd behaves as on Linux), and its guest path as
    /// last seen (the only record for /proc and /dev directories).
    pub cwd: Vec<u8>,
    pub cwd_fd: Option<Arc<OwnedFd>>,
    pub umask: u32,
    /// The root directory, when chroot(2) made it other than the machine's.
    pub root: Option<Arc<crate::fs::jail::Jail>>,
}

impl FsContext {
    /// The absolute guest path of the working directory, as the host sees
    /// it now; ENOENT once it has been removed (as getcwd reports).
    pub(crate) fn cwd_path(&self, root: &HostRoot) -> SysResult<Vec<u8>> {
        let Some(fd) = &self.cwd_fd else {
            return Ok(self.cwd.clone());
        };
        let st = crate::arch::host::fstatat(fd.as_raw_fd(), c"", libc::AT_EMPTY_PATH)?;
        if st.st_nlink == 0 {
            return Err(Errno::ENOENT);
        }
        Ok(root.cwd_path_of(fd.as_raw_fd()).unwrap_or_else(|| self.cwd.clone()))
    }
}

/// What exec recorded about the running image (for /proc).
#[derive(Clone, Debug, Default)]
pub(crate) struct ImageInfo {
    /// Absolute guest path of the executable.
    pub exe: Vec<u8>,
    /// argv, each followed by a NUL (/proc/<pid>/cmdline).
    pub cmdline: Vec<u8>,
    /// envp, each followed by a NUL (/proc/<pid>/environ).
    pub environ: Vec<u8>,
    /// Where the executable's link address 0 landed (for crash reports).
    pub load_bias: u64,
}

/// A guest process. Its mutexes are private; methods hand out the guards.
///
/// # Lock order
///
/// Every lock of the machine, written once here. `A → B, C`: B and C may
/// be taken while A is held, never A while B or C is; a leaf has nothing
/// taken while it is held (it may be taken under others). No lock is held
/// across a blocking wait (a host futex, a pipe read, a sleep: blocking
/// calls copy what they need out, release, then wait; a condvar's wait
/// releases its mutex), and no lock of one process while another
/// process's is taken. "uaccess": what a guest-memory access may take,
/// `mem` (read, for a moment, outside the arena) and, when it grows a
/// main stack, `commit` → `stacks`.
///
/// kernel, a process's (here) and a task's (`TaskShared`):
/// - `tasks` (its task list) → task `pending`, `shared_pending`,
///   `dead_times`, task `cpu_base`
/// - task `pending` (thread-directed signals) → `shared_pending` (one
///   look at both queues)
/// - `files` (descriptor table) → uaccess
/// - `fs` (cwd, umask, root) → mounts' `list`, a mount's `flags`
/// - leaves: `state` (running, stopped, zombie), `shared_pending`
///   (process-directed signals), `children_times`, `dead_times` (reaped
///   children's, exited threads' CPU time), `real_timer` (ITIMER_REAL),
///   `group_exit`, `image` (exe, argv, envp), `mm` (the `Arc<Mm>`, cloned
///   out), `sigactions`, `comm`, `rlimits`; task `robust_list`, `name`,
///   `cpu_base` (the host thread's CPU time before the task)
///
/// kernel, the machine's:
/// - `Machine::processes` (pid → process) → a process's `tasks`
/// - `PiFutexes::reg` (PI words' owners, waiters) → `Machine::tasks`,
///   uaccess
/// - `SignalFd::sync` (one look at the pending signals and the doorbell's
///   update) → the reader's `tasks`, `pending`, `shared_pending`
/// - signalfd `REGISTRY` (the live signalfds) → a signalfd's `reader`
/// - `Mm::regions` (a memory context; held while a mapping is filled in)
///   → mm's `commit`, `alloc`, `resident`, `shared`, `site_policy`,
///   `stacks`, `outside`, `ONE_AT_A_TIME`, uaccess; the caches'
///   `ByteLru::inner`, `DiskCache::bytes`; `KNOWN`; `incompatibilities`
/// - `Ipc::shm` (segments, arena memory) → mm's `commit`, `alloc`,
///   `resident`, `shared`, `stacks`, `outside`
/// - `Machine::shutdown` (pid 1's status, with `shutdown_cv`) → mounts'
///   `list`, `Staging::dir`
/// - a /dev/kmsg file's `KmsgFile::pos` (its place in the log) →
///   `Klog::ring` (a record is appended, then the files' doorbells rung,
///   with none of the log's locks held: anything may log under any lock)
/// - leaves: `Machine::tasks` (tid → task), `uts`; `Ipc::msg`, `sem`;
///   `Net::sockets`, `bound`; `Terminals::console`, `ptys`; the five of
///   `Diagnostics`; `Tracer::out`, `summary`; `ThreadPool::idle`;
///   `TimerWheel::changed` (with its `cv`); a signalfd's `reader`;
///   `exec::POOL` (random bytes); `continue_task`'s hand-over slot;
///   `Klog::ring` (the kernel log's records), `Klog::kmsg_files`
///
/// fs:
/// - `OpenFile::pos` (a generated file's offset) → uaccess
/// - `OpenFile::dir_at` (a directory's place in the tree) → mounts'
///   `list`, a mount's `flags`
/// - leaves: `Mounts::list` (the mount table), `Mount::flags`, `opts`;
///   `Staging::dir`; `DirCache::slots` (directory handles; a host lookup
///   runs under it); a generated directory's entries (`FileKind::Dir`)
///
/// mm (`Memory`, `UserMemory`):
/// - `FixedRanges::state` (fixed-address image copies, with `changed`) →
///   `mem` (write), `outside`
/// - `text::ONE_AT_A_TIME` (a forced write into read-only text) → uaccess
/// - `commit` (memory in use against `--mem`; held while pages change
///   between accessible and not) → `alloc`, `stacks`
/// - leaves: `alloc` (the page allocator), `resident` (freed pages kept
///   populated), `shared` (file mappings), `site_policy`, `stacks` (main
///   stacks that grow), `mem` (RwLock: every guest region, for ranges
///   outside the arena), `SiteMap::outside` (RwLock: rewritten sites
///   outside the arena)
///
/// rewrite, loader, arch:
/// - `rewrite::PATCHING` (one patcher of trapped sites) → `KNOWN`,
///   `outside`, `ONE_AT_A_TIME`, uaccess
/// - leaves: `verdicts::KNOWN` (judged sites), the image and code caches'
///   `ByteLru::inner`, `DiskCache::bytes` (the disk cache's size),
///   `trampoline::INSTALLED`, `vcpu::DETACHED_AREAS` (spare entry areas)
///
/// The last `Arc<Mm>` goes with no lock held (`set_mm` releases `mm`
/// first): its drop takes `shm`, then `fixed` and mm's.
pub struct Process {
    pub pid: i32,
    /// Parent pid; changes when the parent exits (reparenting to pid 1).
    pub(crate) ppid: AtomicI32,
    /// Signal sent to the parent when this process ends (SIGCHLD or 0).
    pub(crate) exit_signal: i32,
    state: Mutex<ProcState>,
    /// What a wait could report of `state`, readable without its lock
    /// (`WaitHint`); kept by `StateGuard`.
    wait_hint: std::sync::atomic::AtomicU8,
    /// Futex word bumped whenever one of this process's children changes
    /// state; wait4 sleeps on it.
    pub(crate) child_event: AtomicU32,
    /// Tasks asleep on `child_event` (`wait_child_event`): only then does
    /// a change need a host wake-up.
    child_waiters: AtomicU32,
    /// Futex word set to 1 when this process execs or exits: a vfork
    /// parent sleeps on it.
    pub(crate) vfork_done: AtomicU32,
    /// Set by a vfork parent before it sleeps on `vfork_done`: only then
    /// does the child's exec or exit wake it (a parent that ran the child
    /// on its own thread never sleeps there).
    pub(crate) vfork_waiter: std::sync::atomic::AtomicBool,
    /// Futex word bumped on SIGCONT; stopped tasks sleep on it.
    pub(crate) cont_event: AtomicU32,
    /// Set by execve (setpgid on a child that has exec'd is EACCES).
    pub(crate) did_exec: AtomicBool,
    /// Process-directed pending signals.
    shared_pending: Mutex<SigQueue>,
    tasks: Mutex<Vec<Arc<TaskShared>>>,
    /// CPU time of reaped children (and their children).
    children_times: Mutex<CpuTimes>,
    /// Times of exited threads of this process, and their CPU clock in
    /// ns (CLOCK_PROCESS_CPUTIME_ID counts them as Linux's does); changed
    /// under the `tasks` lock so that a reader summing the live tasks
    /// sees each thread's time exactly once.
    dead_times: Mutex<CpuTimes>,
    dead_clock_ns: std::sync::atomic::AtomicU64,
    real_timer: Mutex<super::timers::RealTimer>,
    /// A host timer plays `real_timer` (`timers::set`); changed under its lock.
    pub(crate) host_alarm: AtomicBool,
    /// Set by exit_group, a fatal signal, or an execve from a thread: every
    /// task of the process ends (with this status; `None` inside for execve,
    /// whose caller lives on).
    group_exit: Mutex<Option<GroupExit>>,
    pub(crate) pgid: AtomicI32,
    pub(crate) sid: AtomicI32,
    pub(crate) start_time: Instant,
    fs: Mutex<FsContext>,
    image: Mutex<ImageInfo>,
    /// The memory context (shared with a vfork parent until exec).
    mm: Mutex<Arc<Mm>>,
    /// Under `--isolate`: the protection key of the memory context, and
    /// the PKRU its tasks run guest code with (`set_mm`).
    mem_key: std::sync::atomic::AtomicU32,
    guest_pkru: std::sync::atomic::AtomicU32,
    /// `mm`'s fixed image copy (0: none), read without the lock.
    fixed_image: std::sync::atomic::AtomicU64,
    files: Mutex<FdTable>,
    /// Bumped by every change of `files` (`fs::fdtable::FilesGuard`).
    files_generation: std::sync::atomic::AtomicU64,
    /// `files`' slots as the last guard of it left them (`files_room`).
    files_len: std::sync::atomic::AtomicUsize,
    /// Has the process ever had more than one task? (Tasks' descriptor
    /// caches are used only while it has not: `fs::fdtable::FdCache`.)
    threaded: AtomicBool,
    sigactions: Mutex<SigActions>,
    /// Name of the program (comm), at most 15 bytes.
    comm: Mutex<Vec<u8>>,
    rlimits: Mutex<Rlimits>,
    /// RLIMIT_NOFILE's soft limit as `rlimits` last had it, valid while
    /// `nofile_known` (every open reads it: no mutex then). Filled and
    /// cleared only under `rlimits`' lock (`rlimits()` clears it, as its
    /// guard may change the limits).
    nofile: AtomicU64,
    nofile_known: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Process {
    /// The resource limits of the first process (`Rlimits::initial`).
    pub fn initial_rlimits() -> Rlimits {
        Rlimits::initial()
    }

    /// A process with `rlimits` (a child inherits its parent's).
    pub fn new(pid: i32, ppid: i32, exit_signal: i32, files: FdTable, fs: FsContext, rlimits: Rlimits) -> Process {
        Process {
            pid,
            ppid: AtomicI32::new(ppid),
            exit_signal,
            state: Mutex::new(ProcState::Running),
            wait_hint: std::sync::atomic::AtomicU8::new(WaitHint::Nothing as u8),
            child_event: AtomicU32::new(0),
            child_waiters: AtomicU32::new(0),
            vfork_done: AtomicU32::new(0),
            vfork_waiter: std::sync::atomic::AtomicBool::new(false),
            cont_event: AtomicU32::new(0),
            did_exec: AtomicBool::new(false),
            shared_pending: Mutex::new(SigQueue::default()),
            tasks: Mutex::new(Vec::new()),
            children_times: Mutex::new(CpuTimes::default()),
            dead_times: Mutex::new(CpuTimes::default()),
            dead_clock_ns: Default::default(),
            real_timer: Mutex::new(Default::default()),
            host_alarm: AtomicBool::new(false),
            group_exit: Mutex::new(None),
            pgid: AtomicI32::new(pid),
            sid: AtomicI32::new(pid),
            start_time: Instant::now(),
            fs: Mutex::new(fs),
            image: Mutex::new(ImageInfo::default()),
            mm: Mutex::new(Arc::new(Mm::empty())),
            mem_key: Default::default(),
            guest_pkru: Default::default(),
            fixed_image: std::sync::atomic::AtomicU64::new(0),
            files_len: std::sync::atomic::AtomicUsize::new(files.slots()),
            files: Mutex::new(files),
            files_generation: Default::default(),
            threaded: AtomicBool::new(false),
            sigactions: Mutex::new(SigActions::default()),
            comm: Mutex::new(Vec::new()),
            rlimits: Mutex::new(rlimits),
            nofile: AtomicU64::new(0),
            nofile_known: AtomicBool::new(false),
        }
    }

    pub(crate) fn mm(&self) -> Arc<Mm> {
        lock(&self.mm).clone()
    }

    /// The protection key of this process's memory (0: none, or not
    /// isolated).
    pub(crate) fn mem_key(&self) -> u32 {
        self.mem_key.load(Ordering::Acquire)
    }

    /// The PKRU its tasks run guest code with under `--isolate`.
    pub(crate) fn guest_pkru(&self) -> u32 {
        self.guest_pkru.load(Ordering::Acquire)
    }

    /// The copy of a fixed image this process runs on (0: none).
    pub(crate) fn fixed_image(&self) -> u64 {
        self.fixed_image.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Installs a new memory context; the old one goes away with its last
    /// user.
    pub(crate) fn set_mm(&self, mm: Arc<Mm>) {
        self.fixed_image.store(mm.fixed(), std::sync::atomic::Ordering::Release);
        if let Some(keys) = crate::arch::pkeys::keys() {
            self.mem_key.store(mm.key(), Ordering::Release);
            self.guest_pkru.store(keys.guest_pkru(mm.key()), Ordering::Release);
        }
        let old = std::mem::replace(&mut *lock(&self.mm), mm);
        drop(old);
    }

    pub(crate) fn files(&self) -> crate::fs::fdtable::FilesGuard<'_> {
        crate::fs::fdtable::FilesGuard::new(lock(&self.files), &self.files_generation, &self.files_len)
    }

    /// Descriptors below `limit` certainly free above the table's last
    /// slot, without its lock (0 when that says nothing: the table may
    /// still have holes). Another task may take them before this one
    /// installs; `FdTable::install` checks the limit again, as before.
    pub(crate) fn files_room(&self, limit: usize) -> usize {
        limit.min(crate::fs::fdtable::MAX_FDS).saturating_sub(self.files_len.load(Ordering::Acquire))
    }

    /// The descriptor table's generation (changes with every change).
    #[inline]
    pub(crate) fn files_generation(&self) -> u64 {
        self.files_generation.load(Ordering::Acquire)
    }

    /// Has the process ever had a second task?
    #[inline]
    pub(crate) fn threaded(&self) -> bool {
        self.threaded.load(Ordering::Relaxed)
    }

    /// Records that the process has (had) more than one task.
    pub(crate) fn note_threaded(&self) {
        self.threaded.store(true, Ordering::Relaxed);
    }

    pub(crate) fn sigactions(&self) -> MutexGuard<'_, SigActions> {
        lock(&self.sigactions)
    }

    pub(crate) fn rlimits(&self) -> MutexGuard<'_, Rlimits> {
        let guard = lock(&self.rlimits);
        self.nofile_known.store(false, Ordering::Release);
        guard
    }

    pub(crate) fn fs(&self) -> MutexGuard<'_, FsContext> {
        lock(&self.fs)
    }

    pub(crate) fn image(&self) -> MutexGuard<'_, ImageInfo> {
        lock(&self.image)
    }

    pub(crate) fn ppid(&self) -> i32 {
        self.ppid.load(Ordering::Relaxed)
    }

    pub(crate) fn state(&self) -> StateGuard<'_> {
        StateGuard { state: lock(&self.state), hint: &self.wait_hint }
    }

    /// What a wait could report of this process now, without the state's
    /// lock: a parent's wait looks at each child's first and locks only
    /// those that have something (`syscall::wait`).
    pub(crate) fn wait_hint(&self) -> WaitHint {
        match self.wait_hint.load(Ordering::Acquire) {
            h if h == WaitHint::Zombie as u8 => WaitHint::Zombie,
            h if h == WaitHint::Stopped as u8 => WaitHint::Stopped,
            h if h == WaitHint::Continued as u8 => WaitHint::Continued,
            _ => WaitHint::Nothing,
        }
    }

    pub(crate) fn shared_pending(&self) -> MutexGuard<'_, SigQueue> {
        lock(&self.shared_pending)
    }

    pub(crate) fn tasks(&self) -> MutexGuard<'_, Vec<Arc<TaskShared>>> {
        lock(&self.tasks)
    }

    pub(crate) fn real_timer(&self) -> MutexGuard<'_, super::timers::RealTimer> {
        lock(&self.real_timer)
    }

    /// CPU time of reaped children (and theirs).
    pub(crate) fn children_times(&self) -> CpuTimes {
        *lock(&self.children_times)
    }

    /// A reaped child's time (its own and its children's) counts here.
    pub(crate) fn add_children_times(&self, child: CpuTimes) {
        let mut mine = lock(&self.children_times);
        mine.user += child.user;
        mine.system += child.system;
    }

    /// An exited thread's time stays with its process (called with the
    /// `tasks` lock held, after the thread left the list).
    pub(crate) fn add_dead_thread_times(&self, user: u64, system: u64, clock_ns: u64) {
        let mut dead = lock(&self.dead_times);
        dead.user += user;
        dead.system += system;
        self.dead_clock_ns.fetch_add(clock_ns, Ordering::Relaxed);
    }

    /// The CPU clock of the process's exited threads, in ns (read with the
    /// `tasks` lock held, with the live tasks' clocks).
    pub(crate) fn dead_clock_ns(&self) -> u64 {
        self.dead_clock_ns.load(Ordering::Relaxed)
    }

    /// Ends every task of the process (the first request wins). Tasks in
    /// guest code or blocked in the kernel are kicked to notice.
    pub(crate) fn start_group_exit(&self, exit: GroupExit) {
        {
            let mut g = lock(&self.group_exit);
            if g.is_some() {
                return;
            }
            *g = Some(exit);
        }
        super::signal::bump_signal_epoch();
        for t in self.tasks().iter() {
            t.kick();
        }
    }

    /// The group exit `tid` must take part in, if any.
    pub(crate) fn group_exit_for(&self, tid: i32) -> Option<GroupExit> {
        lock(&self.group_exit).filter(|g| g.survivor != Some(tid))
    }

    /// The status of a group exit in progress (not execve's).
    pub(crate) fn group_exit_status(&self) -> Option<ExitStatus> {
        lock(&self.group_exit).filter(|g| g.survivor.is_none()).map(|g| g.status)
    }

    /// execve from a thread is done waiting for the others: the process
    /// goes on.
    pub(crate) fn clear_group_exit(&self) {
        *lock(&self.group_exit) = None;
    }

    /// One of this process's children changed state: wake its waiters.
    pub(crate) fn child_changed(&self) {
        // SeqCst with `wait_child_event`: either the waiter's futex wait
        // sees the new word, or this sees the waiter.
        self.child_event.fetch_add(1, Ordering::SeqCst);
        if self.child_waiters.load(Ordering::SeqCst) != 0 {
            crate::arch::host::futex_wake(&self.child_event, i32::MAX);
        }
    }

    /// Sleeps until `child_event` is no longer `seen` (or a kick).
    pub(crate) fn wait_child_event(&self, seen: u32) -> std::io::Result<()> {
        self.child_waiters.fetch_add(1, Ordering::SeqCst);
        let r = crate::arch::host::futex_wait_interruptible(&self.child_event, seen);
        self.child_waiters.fetch_sub(1, Ordering::SeqCst);
        r
    }

    pub(crate) fn is_zombie(&self) -> bool {
        matches!(*self.state(), ProcState::Zombie(_))
    }

    /// CPU time of the live threads (host thread clocks) and dead ones.
    pub(crate) fn cpu_times(&self) -> CpuTimes {
        let mut t = *lock(&self.dead_times);
        for task in self.tasks().iter() {
            let (u, s) = task.cpu_ticks(false);
            t.user += u;
            t.system += s;
        }
        t
    }

    pub(crate) fn pgid(&self) -> i32 {
        self.pgid.load(Ordering::Relaxed)
    }

    pub(crate) fn sid(&self) -> i32 {
        self.sid.load(Ordering::Relaxed)
    }

    /// RLIMIT_NOFILE's soft limit, as a descriptor-table size.
    pub(crate) fn fd_limit(&self) -> usize {
        let cur = if self.nofile_known.load(Ordering::Acquire) {
            self.nofile.load(Ordering::Relaxed)
        } else {
            let limits = lock(&self.rlimits);
            let cur = limits.get(RLIMIT_NOFILE).0;
            self.nofile.store(cur, Ordering::Relaxed);
            self.nofile_known.store(true, Ordering::Release);
            drop(limits);
            cur
        };
        usize::try_from(cur).unwrap_or(usize::MAX)
    }

    pub(crate) fn comm_bytes(&self) -> Vec<u8> {
        lock(&self.comm).clone()
    }

    pub(crate) fn comm(&self) -> String {
        String::from_utf8_lossy(&lock(&self.comm)).into_owned()
    }

    pub(crate) fn set_comm(&self, name: &[u8]) {
        *lock(&self.comm) = name[..name.len().min(TASK_COMM_LEN - 1)].to_vec();
    }
}
