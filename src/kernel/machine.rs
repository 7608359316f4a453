//! The machine: arena, trampoline, root directory, the process and task
//! tables, and the life of pid 1.
//!
//! The lock order of the whole machine is written once, on
//! `kernel::process::Process`.

use super::exec::{load_program, ExecError, ProgramSpec};
use super::process::{ExitStatus, FsContext, Process};
use super::task::{Task, TaskShared};
use crate::abi::signal::SIGCHLD;
use crate::arch::caps::{Feature, HostCaps, Page0, Page0Absence, Switch};
use crate::arch::{cpu, trampoline, GuestRegs, Vcpu};
use crate::fs::{FdTable, HostRoot};
use crate::mm::{default_address_space, sitemap::SitePolicy, Memory};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Instant;

/// Whether address space reserved without access (PROT_NONE) is free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reserve {
    /// Reservations cost nothing until used, in an address range of
    /// `mm::default_address_space` (the default).
    #[default]
    Auto,
    /// The same, in an address range of this many bytes.
    Size(u64),
    /// Every allocated page is memory and the arena is `mem_size` bytes,
    /// as on a no-MMU kernel (`--reserve off`, implied by `--strict`).
    Off,
}

#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// Memory in bytes (`--mem`): what guests may have committed
    /// (accessible) at once.
    pub mem_size: u64,
    /// Whether PROT_NONE reservations cost memory (`--reserve`).
    pub reserve: Reserve,
    /// Host directory that is the guest's `/`.
    pub root: PathBuf,
    /// `root` is the memory file system an initramfs was unpacked into
    /// (`RamTree::rootfs`), not a host directory.
    pub memory_root: Option<crate::fs::mounts::MemoryRoot>,
    /// Linux protects init from signals it has no handler for; a real init
    /// (`nommu boot`) gets that, a single program (`nommu run`) does not,
    /// so it behaves as it does natively.
    pub protect_init: bool,
    /// Rewrite nothing and map no page 0: every syscall takes the trap path
    /// (what happens anyway when page 0 cannot be mapped).
    pub trap_only: bool,
    /// NULL reads must fault: where page 0 could only be readable (no
    /// PKU), map no page 0 and take the trap path instead.
    pub null_guard: bool,
    /// A machine whose syscall handlers are called directly (unit tests,
    /// the Rust side of a syscall under callgrind): no page 0 and no trap
    /// path, so guest code cannot run in it.
    pub handlers_only: bool,
    /// What guests' internet sockets reach (`--net`).
    pub net: super::net::NetMode,
    /// Exec maps the read-only pages of an image (text, rodata) from the
    /// image cache's memfd, read-only, shared and not committed, instead of
    /// copying them, and commits the main stack as it grows
    /// (docs/architecture.md, "Exec without copying"). On unless
    /// NOMMU_EXEC_MAP=0, which forces the copy (and the whole stack
    /// committed at exec).
    pub exec_map: bool,
    /// Where rewritten images are kept on disk for later nommu processes
    /// (`None`: nowhere, `--no-cache`).
    pub image_cache: Option<crate::loader::diskcache::DiskCacheConfig>,
    /// The kernel log, when the command line made it before the machine
    /// (to log the boot from its start); else the machine makes its own.
    pub klog: Option<Arc<super::klog::Klog>>,
    /// `--strict`: memory calls answer as mm/nommu.c does.
    pub strict: bool,
    /// `--isolate`: each process's memory under its own protection key.
    pub isolate: bool,
    /// Reads and writes of plain host files may be made by the entry stub
    /// itself (`arch::x86_64::fastrw`). On unless NOMMU_FAST_RW=0.
    pub fast_rw: bool,
}

impl MachineConfig {
    pub fn profile(&self) -> super::profile::Profile {
        super::profile::Profile { strict: self.strict, isolate: self.isolate }
    }
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            mem_size: 256 << 20,
            reserve: Reserve::Auto,
            root: PathBuf::from("/"),
            memory_root: None,
            protect_init: false,
            trap_only: false,
            null_guard: false,
            handlers_only: false,
            net: super::net::NetMode::Host,
            exec_map: true,
            image_cache: None,
            klog: None,
            strict: false,
            isolate: false,
            fast_rw: true,
        }
    }
}

/// What a task's host thread runs: the run loop, which lives above the
/// kernel (it dispatches syscalls) and is handed to `Machine::new`.
pub(crate) type TaskLoop = fn(&Machine, &mut Task);

pub struct Machine {
    self_ref: Weak<Machine>,
    task_loop: TaskLoop,
    /// What the host gives, measured at start (banner, -v, --report).
    pub(crate) caps: HostCaps,
    pub(crate) mem: Memory,
    pub(crate) root: HostRoot,
    pub(crate) config: MachineConfig,
    pub(crate) boot_time: Instant,
    processes: Mutex<BTreeMap<i32, Arc<Process>>>,
    tasks: Mutex<BTreeMap<i32, Arc<TaskShared>>>,
    next_pid: AtomicI32,
    /// The console and the machine's ptys, with their job control.
    pub(crate) terminals: super::pty::Terminals,
    /// Set once pid 1 has exited: the machine is over.
    shutdown: Mutex<Option<ExitStatus>>,
    shutdown_cv: Condvar,
    pub(crate) timers: super::timers::TimerWheel,
    /// The umask nommu was started with: pid 1 inherits it.
    initial_umask: u32,
    /// The machine's host and domain names (uname, sethostname).
    pub(crate) uts: Mutex<(Vec<u8>, Vec<u8>)>,
    /// What the machine shows about itself (--trace, --summary, --report,
    /// --memmap).
    pub(crate) diag: super::diag::Diagnostics,
    /// Rewritten images of programs already exec'd.
    pub(crate) images: crate::loader::cache::ImageCache,
    /// Guests' sockets: owners, bound names, the abstract-name tag.
    pub(crate) net: super::net::Net,
    /// Rewritten code of files mapped with PROT_EXEC (shared libraries).
    pub(crate) code: crate::loader::codecache::CodeCache,
    /// Host threads that run tasks, reused from one task to the next.
    threads: Arc<super::threadpool::ThreadPool>,
    /// SysV message queues, semaphores and shared memory.
    pub(crate) ipc: super::ipc::Ipc,
    /// Priority-inheritance futexes: owners and waiters.
    pub(crate) pi_futexes: super::pifutex::PiFutexes,
    /// The host tid of the thread pid 1 was started on (`run_init`), 0
    /// before.
    init_on_this_thread: AtomicI32,
    /// The host process ends with the machine (`powers_off_host`).
    powers_off_host: std::sync::atomic::AtomicBool,
    /// The kernel log (dmesg, /dev/kmsg).
    pub(crate) klog: Arc<super::klog::Klog>,
}

/// pid 1, loaded (`Machine::start_init`) and not yet running.
pub struct Init {
    /// What loading it took.
    pub rewrite: crate::rewrite::RewriteStats,
    process: Arc<Process>,
    shared: Arc<TaskShared>,
    start: super::exec::StartState,
}

/// Why the machine could not start.
#[derive(Debug)]
pub enum MachineError {
    Trampoline(trampoline::TrampolineError),
    Arena(std::io::Error),
    Root(std::path::PathBuf, std::io::Error),
    Exec(ExecError),
    Thread(std::io::Error),
    NoTrapPath,
    /// `--isolate` on a host without protection keys in force (or whose
    /// keys could not be taken): refused before anything runs.
    NoIsolation(String),
}

impl std::fmt::Display for MachineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MachineError::Trampoline(e) => write!(f, "{e}"),
            MachineError::Arena(e) => write!(f, "cannot reserve the arena: {e}"),
            MachineError::Root(p, e) => write!(f, "root directory {}: {e}", p.display()),
            MachineError::Exec(e) => write!(f, "{e}"),
            MachineError::Thread(e) => write!(f, "cannot start a vCPU thread: {e}"),
            MachineError::NoIsolation(why) => write!(f, "--isolate needs protection keys (PKU): {why}"),
            MachineError::NoTrapPath => write!(
                f,
                "trap-only mode needs Syscall User Dispatch (Linux 5.11+) or seccomp, and this host offers neither"
            ),
        }
    }
}

impl std::error::Error for MachineError {}

/// The page-0 trampoline when it can be mapped (and, with `null_guard`,
/// made unreadable), the trap path when the host has one; at least one of
/// the two. What is in force is measured, not assumed.
fn detect_caps(config: &MachineConfig) -> Result<HostCaps, MachineError> {
    let pku = Feature::detect(cpu::cpu_has_pku(), Switch::NoPku);
    let fsgsbase = Feature::detect(cpu::cpu_has_fsgsbase(), Switch::NoFsgsbase);
    let membarrier = crate::fs::pins::activate();
    // Asked when first needed (`HostCaps::host_mounts`).
    let host_mounts = None;
    let memory_dir = crate::arch::hostmount::LazyMemoryDir::default();
    let caps = |page0, page0_absence, trap| HostCaps {
        page0,
        page0_absence,
        pku,
        fsgsbase,
        membarrier,
        trap,
        host_mounts,
        memory_dir: memory_dir.clone(),
    };
    if config.handlers_only {
        let page0_absence = Some(Page0Absence::HandlersOnly);
        return Ok(caps(Page0::Unmapped, page0_absence, None));
    }
    let trap = crate::arch::systrap::activate();
    let trap_only = |absence| match trap {
        Some(_) => Ok(caps(Page0::Unmapped, Some(absence), trap)),
        None => Err(MachineError::NoTrapPath),
    };
    if config.trap_only {
        return trap_only(Page0Absence::TrapOnly);
    }
    if config.null_guard && !pku.in_force() {
        return trap_only(Page0Absence::NullGuard);
    }
    match trampoline::install(pku.in_force()) {
        Ok(t) if t.readable && config.null_guard => {
            log::info!("page 0 stayed readable although PKU is in force; --null-guard takes the trap path");
            trampoline::uninstall();
            trap_only(Page0Absence::NullGuard)
        }
        Ok(t) => {
            let page0 = if t.readable { Page0::Readable } else { Page0::ExecuteOnly };
            Ok(caps(page0, None, trap))
        }
        Err(e @ trampoline::TrampolineError::MmapMinAddr { .. }) if trap.is_some() => {
            log::warn!("{e}; every syscall takes the slower trap path instead");
            trap_only(Page0Absence::MmapMinAddr)
        }
        Err(e) => Err(MachineError::Trampoline(e)),
    }
}

/// Host stack for each vCPU thread (kernel code only; guests have their own).
const HOST_THREAD_STACK: usize = 256 << 10;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Machine {
    pub fn new(mut config: MachineConfig, task_loop: TaskLoop) -> Result<Arc<Machine>, MachineError> {
        // NOMMU_ISOLATE=1 forces --isolate on (to run existing tests under it).
        config.isolate |= crate::arch::switches::var_os("NOMMU_ISOLATE").is_some_and(|v| v == "1");
        let pku = Feature::detect(cpu::cpu_has_pku(), Switch::NoPku);
        if config.isolate && !pku.in_force() {
            let why = match pku {
                Feature::ForcedOff(s) => format!("switched off by {}=1", s.var()),
                _ => "this CPU has none, or the host kernel did not enable them".to_string(),
            };
            return Err(MachineError::NoIsolation(why));
        }
        let caps = detect_caps(&config)?;
        let root = HostRoot::open(&config.root).map_err(|e| MachineError::Root(config.root.clone(), e))?;
        if let Some(r) = &config.memory_root {
            root.mounts.set_memory_root(root.host_path(), r).map_err(|e| MachineError::Root(config.root.clone(), e))?;
        }
        // Each guest applies its own umask; the host's must not get in the way.
        let host_umask = crate::arch::host::set_umask(0);
        crate::arch::host::raise_nofile_limit();
        let mem = match config.reserve {
            Reserve::Off => Memory::new(config.mem_size),
            Reserve::Auto => Memory::with_address_space(config.mem_size, default_address_space(config.mem_size)),
            Reserve::Size(space) => Memory::with_address_space(config.mem_size, space),
        }
        .map_err(MachineError::Arena)?;
        if config.isolate {
            // After page 0 is mapped: the kernel's PKRU keeps its
            // execute-only key denied.
            let keys = mem.isolate().map_err(|e| MachineError::NoIsolation(e.to_string()))?;
            log::info!("isolate: key {} for free memory, keys {:?} for processes", keys.free, keys.owners);
        }
        let policy = match (caps.trampoline(), caps.trap) {
            (false, _) => SitePolicy::TrapOnly,
            (true, Some(_)) => SitePolicy::SkipRedZone,
            (true, None) => SitePolicy::RewriteAll,
        };
        mem.set_site_policy(policy);
        let disk = Arc::new(crate::loader::diskcache::DiskCache::new(config.image_cache.clone(), policy));
        // Formatting the lines costs more than a run of a small program's
        // own start: only when they are shown.
        if log::log_enabled!(log::Level::Info) {
            for (key, value) in caps.lines() {
                log::info!("{key}: {value}");
            }
            log::info!("profile: {}", config.profile().describe());
        }
        log::info!(
            "arena {:#x}..{:#x} ({} MiB of address space, {} MiB of memory{})",
            mem.arena.base(),
            mem.arena.base() + mem.arena.size(),
            mem.arena.size() >> 20,
            config.mem_size >> 20,
            if mem.reservations_are_free() { "" } else { ", reservations cost memory" }
        );
        let net = super::net::Net::new(config.net);
        let klog = config.klog.clone().unwrap_or_default();
        Ok(Arc::new_cyclic(|self_ref| Machine {
            self_ref: self_ref.clone(),
            task_loop,
            caps,
            mem,
            root,
            config,
            boot_time: Instant::now(),
            processes: Mutex::new(BTreeMap::new()),
            tasks: Mutex::new(BTreeMap::new()),
            next_pid: AtomicI32::new(1),
            terminals: Default::default(),
            shutdown: Mutex::new(None),
            shutdown_cv: Condvar::new(),
            timers: Default::default(),
            initial_umask: host_umask,
            diag: Default::default(),
            images: crate::loader::cache::ImageCache::new(disk.clone()),
            net,
            code: crate::loader::codecache::CodeCache::new(disk),
            threads: Arc::new(super::threadpool::ThreadPool::new(HOST_THREAD_STACK)),
            ipc: Default::default(),
            pi_futexes: Default::default(),
            init_on_this_thread: AtomicI32::new(0),
            powers_off_host: std::sync::atomic::AtomicBool::new(false),
            klog,
            uts: Mutex::new(crate::arch::host::uname().map(|u| (u.nodename, u.domainname)).unwrap_or_default()),
        }))
    }

    /// The machine as an `Arc`, for work that outlives a syscall (threads).
    /// What the host gives, measured at start.
    /// The machine's RAM as the guest sees it: (free, shmem). The pages
    /// of its memory file systems (tmpfs, ramfs, an initramfs root) are
    /// RAM as on Linux, so they are taken from what is free, like what is
    /// committed in the arena; SysV segments are in the arena already.
    pub(crate) fn ram_use(&self) -> (u64, u64) {
        let files = self.root.mounts.memory_bytes();
        let free = self.mem.stats().mem_free.saturating_sub(files);
        (free, files + self.ipc.shm_bytes())
    }

    pub fn caps(&self) -> &HostCaps {
        &self.caps
    }

    /// The kernel log.
    pub fn klog(&self) -> &Arc<super::klog::Klog> {
        &self.klog
    }

    /// The arena's first address and its size.
    pub fn arena_range(&self) -> (u64, u64) {
        (self.mem.arena.base(), self.mem.arena.size())
    }

    /// The host directory that is the guest's `/`.
    pub fn root_path(&self) -> &std::path::Path {
        self.root.host_path()
    }

    /// What guests' sockets reach.
    pub fn describe_net(&self) -> &'static str {
        self.net.mode().describe()
    }

    /// The tracer, counters and memory-map recorder.
    pub fn diagnostics(&self) -> &super::diag::Diagnostics {
        &self.diag
    }

    pub fn arc(&self) -> Arc<Machine> {
        self.self_ref.upgrade().expect("the machine outlives its tasks")
    }

    /// May reads and writes be armed for the entry stub (fastrw.rs)? Only
    /// through the sled, and not under `--isolate`.
    #[inline]
    pub(crate) fn fast_rw(&self) -> bool {
        self.config.fast_rw && self.caps.trampoline() && !self.config.isolate
    }

    #[inline]
    pub fn tracer(&self) -> Option<&super::trace::Tracer> {
        self.diag.tracer()
    }

    /// The console's foreground process group.
    pub fn foreground_pgrp(&self) -> i32 {
        self.terminals.console_pgrp()
    }

    /// The next free pid (pids are never reused while nommu runs).
    pub fn alloc_pid(&self) -> i32 {
        self.next_pid.fetch_add(1, Ordering::Relaxed)
    }

    pub fn profile(&self) -> super::profile::Profile {
        self.config.profile()
    }

    /// Records something a real no-MMU kernel would refuse (`--report`'s
    /// `nommu_incompatibilities`): `call` by `pid` running `program`, and
    /// the answer it gets there (`strict`).
    pub fn note_incompatibility(&self, pid: i32, program: &str, call: &str, strict: &str) {
        self.diag.note_incompatibility(pid, program, call, strict);
    }

    pub fn register(&self, p: &Arc<Process>) {
        lock(&self.processes).insert(p.pid, p.clone());
    }

    /// Forgets a reaped process.
    pub fn unregister(&self, pid: i32) {
        lock(&self.processes).remove(&pid);
    }

    pub fn process(&self, pid: i32) -> Option<Arc<Process>> {
        lock(&self.processes).get(&pid).cloned()
    }

    /// Every process, zombies included, in pid order.
    pub fn processes(&self) -> Vec<Arc<Process>> {
        lock(&self.processes).values().cloned().collect()
    }

    /// Live (not zombie) processes, in pid order.
    pub fn live_processes(&self) -> Vec<Arc<Process>> {
        self.processes().into_iter().filter(|p| !p.is_zombie()).collect()
    }

    /// The children of `pid` that `wanted` accepts and whose wait hint
    /// `reportable` accepts, in pid order, and whether `pid` has any child
    /// `wanted` accepts at all (else a wait is ECHILD). Only those are
    /// taken out: a shell with a hundred background jobs waits often, and
    /// a reference and a state lock per child was ~5 µs of each wait.
    pub(crate) fn wait_candidates(
        &self,
        pid: i32,
        wanted: impl Fn(&Process) -> bool,
        reportable: impl Fn(super::process::WaitHint) -> bool,
    ) -> (Vec<Arc<Process>>, bool) {
        let processes = lock(&self.processes);
        let mut any = false;
        let mut found = Vec::new();
        for p in processes.values().filter(|p| p.ppid() == pid && p.pid != pid && wanted(p)) {
            any = true;
            if reportable(p.wait_hint()) {
                found.push(p.clone());
            }
        }
        (found, any)
    }

    pub fn children_of(&self, pid: i32) -> Vec<Arc<Process>> {
        lock(&self.processes).values().filter(|p| p.ppid() == pid && p.pid != pid).cloned().collect()
    }

    /// Hands every child of `pid` to pid 1; returns whether any was a zombie.
    pub fn reparent_children(&self, pid: i32) -> bool {
        let mut zombie = false;
        for child in self.children_of(pid) {
            child.ppid.store(1, Ordering::Relaxed);
            zombie |= child.is_zombie();
        }
        zombie
    }

    pub fn task(&self, tid: i32) -> Option<Arc<TaskShared>> {
        lock(&self.tasks).get(&tid).cloned()
    }

    pub fn register_task(&self, t: &Arc<TaskShared>) {
        lock(&self.tasks).insert(t.tid, t.clone());
    }

    pub fn unregister_task(&self, tid: i32) {
        lock(&self.tasks).remove(&tid);
    }

    /// The process a task belongs to.
    pub fn process_of_task(&self, tid: i32) -> Option<Arc<Process>> {
        lock(&self.processes).values().find(|p| p.tasks().iter().any(|t| t.tid == tid)).cloned()
    }

    /// The guest's starting directory: the host cwd if it lies inside the
    /// root, else "/".
    pub fn initial_cwd(&self) -> Vec<u8> {
        // The kernel's getcwd names the directory by its path, with no
        // symbolic link, `.` or `..` left to resolve; an unreachable one
        // ("(unreachable)/…") is no absolute path.
        std::env::current_dir()
            .ok()
            .filter(|d| d.is_absolute())
            .and_then(|d| self.root.guest_path_of_host(&d))
            .unwrap_or_else(|| b"/".to_vec())
    }

    /// Starts a task of `process` on a new host thread; `setup` prepares
    /// its registers on that thread before it first enters the guest.
    pub fn spawn_task(
        self: &Arc<Self>,
        process: Arc<Process>,
        shared: Arc<TaskShared>,
        setup: impl FnOnce(&mut Task) + Send + 'static,
    ) -> std::io::Result<()> {
        let machine = self.clone();
        self.adopt_task(&process, &shared);
        let name = format!("vcpu-{}", shared.tid);
        let thread_shared = shared.clone();
        let thread_process = process.clone();
        let thread_name = name.clone();
        let spawned = self.threads.spawn(
            name,
            Box::new(move || {
                crate::arch::host::set_thread_name(&thread_name);
                let vcpu = match Vcpu::for_current_thread() {
                    Ok(v) => v,
                    Err(e) => {
                        log::error!("cannot set up a vCPU for task {}: {e}", thread_shared.tid);
                        return;
                    }
                };
                thread_shared.set_host_tid(vcpu.host_tid());
                thread_shared.start_cpu_accounting();
                let mut task = Task::new(thread_shared, thread_process, vcpu);
                setup(&mut task);
                (machine.task_loop)(&machine, &mut task);
                task.vcpu.keep();
                super::hostsignals::task_over(&machine, false);
            }),
        );
        if let Err(e) = spawned {
            process.tasks().retain(|t| t.tid != shared.tid);
            self.unregister_task(shared.tid);
            return Err(e);
        }
        Ok(())
    }

    /// Runs `task` on the calling host thread until it ends (or leaves it).
    pub(crate) fn run_task_loop(&self, task: &mut Task) {
        (self.task_loop)(self, task);
    }

    /// A new task joins its process and the machine's table.
    pub(crate) fn adopt_task(&self, process: &Process, shared: &Arc<TaskShared>) {
        let tasks = {
            let mut tasks = process.tasks();
            tasks.push(shared.clone());
            tasks.len()
        };
        if tasks > 1 {
            process.note_threaded();
        }
        self.register_task(shared);
    }

    /// Runs the run loop for a task that ran on another host thread until
    /// now (`kernel::vforkrun`) on a thread of the pool, with a vCPU made
    /// there from `state`; its CPU time goes on from `used`. Gives the task
    /// back if no thread can take it.
    pub(crate) fn continue_task(
        self: &Arc<Self>,
        task: Task,
        state: crate::arch::VcpuState,
        used: super::task::CpuBase,
    ) -> Result<(), Box<Task>> {
        let machine = self.clone();
        let name = format!("vcpu-{}", task.tid);
        let slot = Arc::new(Mutex::new(Some(task)));
        let job_slot = slot.clone();
        let spawned = self.threads.spawn(
            name.clone(),
            Box::new(move || {
                let Some(mut task) = lock(&job_slot).take() else { return };
                crate::arch::host::set_thread_name(&name);
                let vcpu = match Vcpu::for_current_thread() {
                    Ok(v) => v,
                    Err(e) => {
                        log::error!("cannot set up a vCPU for task {}: {e}", task.tid);
                        return;
                    }
                };
                task.shared.set_host_tid(vcpu.host_tid());
                task.shared.continue_cpu_accounting(used);
                std::mem::replace(&mut task.vcpu, vcpu).recycle_detached();
                task.vcpu.set_state(&state);
                (machine.task_loop)(&machine, &mut task);
                task.vcpu.keep();
                super::hostsignals::task_over(&machine, false);
            }),
        );
        match spawned {
            Ok(()) => Ok(()),
            Err(e) => {
                log::warn!("cannot start a host thread for task: {e}");
                lock(&slot).take().map_or(Ok(()), |t| Err(Box::new(t)))
            }
        }
    }

    /// Records that pid 1 is gone; `run_program` returns its status.
    pub fn shut_down(&self, status: ExitStatus) {
        let mut s = lock(&self.shutdown);
        if s.is_none() {
            *s = Some(status);
        }
        self.shutdown_cv.notify_all();
        drop(s);
        // pid 1 runs on the thread that ends the machine (`run_init`): a
        // machine stopped by someone else (reboot(2) from another process)
        // stops pid 1 as well, for that thread to come back.
        if self.init_on_this_thread.load(Ordering::Acquire) != 0 {
            if let Some(init) = self.process(1).filter(|p| !p.is_zombie()) {
                init.start_group_exit(super::process::GroupExit { status, survivor: None });
            }
        }
    }

    /// Says that the host process exits as soon as this machine stops
    /// (`nommu run`, `nommu boot`): pid 1's end then leaves its memory
    /// and descriptors to the host's exit instead of returning them one
    /// by one (`lifecycle::exit_process`) — unless an observer (--trace,
    /// --summary, --report, --memmap) looks at the machine after pid 1,
    /// or `NOMMU_INIT_TEARDOWN=1` asks for the full teardown.
    pub fn set_powers_off_host(&self) {
        let forced = crate::arch::switches::var_os("NOMMU_INIT_TEARDOWN").is_some_and(|v| v == "1");
        self.powers_off_host.store(!forced, Ordering::Relaxed);
    }

    /// Is pid 1's teardown left to the host process's exit?
    pub(crate) fn leaves_init_to_host(&self) -> bool {
        self.powers_off_host.load(Ordering::Relaxed) && self.tracer().is_none() && !self.diag.memmap_enabled()
    }

    /// Loads `spec` as pid 1, ready to run on the calling thread
    /// (`run_init`); `Init::rewrite` is what loading it took.
    pub fn start_init(self: &Arc<Self>, spec: ProgramSpec) -> Result<Init, MachineError> {
        let files = FdTable::with_host_stdio().map_err(MachineError::Thread)?;
        let cwd = self.initial_cwd();
        let cwd_fd = std::ffi::CString::new(cwd.clone())
            .ok()
            .and_then(|c| self.root.openat(&c, libc::O_PATH | libc::O_DIRECTORY, 0).ok())
            .map(Arc::new);
        let fs = FsContext { cwd: cwd.clone(), cwd_fd, umask: self.initial_umask, root: None };
        let process = Arc::new(Process::new(self.alloc_pid(), 0, SIGCHLD, files, fs, Process::initial_rlimits()));
        self.register(&process);
        // pid 1's first task has the pid as its tid; a relative program
        // path starts at the directory just asked of the host.
        let spec = ProgramSpec { tid: process.pid, cwd: Some(cwd), ..spec };
        let loaded = match load_program(self, &process, &spec) {
            Ok(l) => l,
            Err(e) => {
                self.unregister(process.pid);
                return Err(MachineError::Exec(e));
            }
        };
        let rewrite = loaded.rewrite;
        let start = loaded.commit(self, &process);
        super::hostsignals::start(self);
        let shared = Arc::new(TaskShared::new(process.pid, 0));
        self.adopt_task(&process, &shared);
        Ok(Init { rewrite, process, shared, start })
    }

    /// Runs pid 1's first task on the calling thread (nommu's main thread:
    /// no thread to create for it, none to wake when the machine is over),
    /// then waits until the machine is over; returns pid 1's status.
    pub fn run_init(&self, init: Init) -> Result<ExitStatus, MachineError> {
        let Init { process, shared, start, .. } = init;
        let vcpu = Vcpu::for_current_thread();
        // Start-up is over (pid 1's vCPU was its last piece): the syscall
        // paths allocate from the system allocator.
        crate::mm::startheap::close();
        let vcpu = match vcpu {
            Ok(v) => v,
            Err(e) => {
                process.tasks().retain(|t| t.tid != shared.tid);
                self.unregister_task(shared.tid);
                return Err(MachineError::Thread(e));
            }
        };
        shared.set_host_tid(vcpu.host_tid());
        shared.start_cpu_accounting();
        self.init_on_this_thread.store(vcpu.host_tid(), Ordering::Release);
        let mut task = Task::new(shared, process, vcpu);
        start.apply(&mut task.vcpu);
        (self.task_loop)(self, &mut task);
        // Dropping the vCPU would undo its bindings with host calls; the
        // thread has no other task to run.
        task.vcpu.keep();
        super::hostsignals::task_over(self, true);
        Ok(self.wait_for_shutdown())
    }

    /// The no-MMU part of --summary: execs, rewriting, the arena.
    pub fn memory_summary(&self) -> String {
        let st = self.mem.stats();
        let r = self.diag.exec_stats();
        let execs = self.diag.execs();
        let mib = |b: u64| b as f64 / (1 << 20) as f64;
        let frag = if st.space_free == 0 { 0.0 } else { 100.0 * (1.0 - st.largest_free as f64 / st.space_free as f64) };
        format!(
            "syscalls: {}\n\
             execs: {execs} ({} from the image cache), {} syscall sites rewritten in {:.1} MiB of code, {:.2} ms ({:.1} ms/MiB)\n\
             memory: {:.1} MiB, peak use {:.1} MiB, in use now {:.1} MiB\n\
             arena: {:.1} MiB of address space, peak reserved {:.1} MiB; now free {:.1} MiB in {} blocks, \
             largest {:.1} MiB (fragmentation {frag:.1}%)\n",
            self.caps.describe_syscalls(),
            execs.saturating_sub(self.images.scans()),
            r.sites,
            mib(r.bytes_scanned),
            r.elapsed.as_secs_f64() * 1e3,
            if r.bytes_scanned == 0 { 0.0 } else { r.elapsed.as_secs_f64() * 1e3 / mib(r.bytes_scanned) },
            mib(st.mem_total),
            mib(st.peak_committed),
            mib(st.committed),
            mib(st.space_total),
            mib(st.peak_reserved),
            mib(st.space_free),
            st.free_blocks,
            mib(st.largest_free),
        )
    }

    /// Blocks until the machine is over (pid 1 exited, or reboot(2)).
    pub fn wait_for_shutdown(&self) -> ExitStatus {
        let mut s = lock(&self.shutdown);
        while s.is_none() {
            s = self.shutdown_cv.wait(s).unwrap_or_else(|e| e.into_inner());
        }
        // The machine's tmpfs contents go with it.
        self.root.mounts.clean_up();
        s.unwrap()
    }

    /// Runs one program as pid 1 until it exits; returns its status.
    pub fn run_program(self: &Arc<Self>, spec: ProgramSpec) -> Result<ExitStatus, MachineError> {
        let init = self.start_init(spec)?;
        self.run_init(init)
    }
}

/// Registers of a new task that continues from a syscall of its parent.
pub fn child_regs(parent: &GuestRegs, stack: u64) -> GuestRegs {
    let mut r = *parent;
    r.rax = 0;
    r.rcx = r.rip;
    r.r11 = r.rflags;
    if stack != 0 {
        r.rsp = stack;
    }
    r
}
