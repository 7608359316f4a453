//! The machine: arena, trampoline, pid allocator, and the first process.

use super::exec::{load_program, ExecError, ProgramSpec};
use super::process::{ExitStatus, FsContext, Process};
use super::runloop::run_task;
use super::task::Task;
use crate::arch::{trampoline, Vcpu};
use crate::fs::FdTable;
use crate::fs::HostRoot;
use crate::mm::Memory;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// Arena size in bytes.
    pub mem_size: u64,
    /// Host directory that is the guest's `/`.
    pub root: PathBuf,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig { mem_size: 256 << 20, root: PathBuf::from("/") }
    }
}

pub struct Machine {
    pub mem: Memory,
    pub root: HostRoot,
    processes: Mutex<BTreeMap<i32, Weak<Process>>>,
    pub config: MachineConfig,
    pub boot_time: Instant,
    next_pid: AtomicI32,
    /// The console's foreground process group (virtual; see TIOCSPGRP).
    foreground_pgrp: AtomicI32,
    enosys_seen: Mutex<HashSet<u64>>,
}

/// Why the machine could not start.
#[derive(Debug)]
pub enum MachineError {
    Trampoline(trampoline::TrampolineError),
    Arena(std::io::Error),
    Root(std::path::PathBuf, std::io::Error),
    Exec(ExecError),
    Thread(std::io::Error),
}

impl std::fmt::Display for MachineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MachineError::Trampoline(e) => write!(f, "{e}"),
            MachineError::Arena(e) => write!(f, "cannot reserve the arena: {e}"),
            MachineError::Root(p, e) => write!(f, "root directory {}: {e}", p.display()),
            MachineError::Exec(e) => write!(f, "{e}"),
            MachineError::Thread(e) => write!(f, "cannot start a vCPU thread: {e}"),
        }
    }
}

impl std::error::Error for MachineError {}

/// Host stack for each vCPU thread (kernel code only; guests have their own).
const HOST_THREAD_STACK: usize = 1 << 20;

impl Machine {
    pub fn new(config: MachineConfig) -> Result<Arc<Machine>, MachineError> {
        trampoline::install().map_err(MachineError::Trampoline)?;
        let root = HostRoot::open(&config.root).map_err(|e| MachineError::Root(config.root.clone(), e))?;
        // Each guest applies its own umask; the host's must not get in the way.
        crate::arch::host::set_umask(0);
        crate::arch::host::raise_nofile_limit();
        let mem = Memory::new(config.mem_size).map_err(MachineError::Arena)?;
        log::info!(
            "arena {:#x}..{:#x} ({} MiB)",
            mem.arena.base(),
            mem.arena.base() + mem.arena.size(),
            mem.arena.size() >> 20
        );
        Ok(Arc::new(Machine {
            mem,
            root,
            processes: Mutex::new(BTreeMap::new()),
            config,
            boot_time: Instant::now(),
            next_pid: AtomicI32::new(1),
            foreground_pgrp: AtomicI32::new(1),
            enosys_seen: Mutex::new(HashSet::new()),
        }))
    }

    pub fn foreground_pgrp(&self) -> i32 {
        self.foreground_pgrp.load(Ordering::Relaxed)
    }

    pub fn set_foreground_pgrp(&self, pgrp: i32) {
        self.foreground_pgrp.store(pgrp, Ordering::Relaxed)
    }

    pub fn alloc_pid(&self) -> i32 {
        self.next_pid.fetch_add(1, Ordering::Relaxed)
    }

    /// Logs an unimplemented syscall the first time it is seen.
    pub fn note_enosys(&self, nr: u64) {
        let first = self.enosys_seen.lock().unwrap_or_else(|e| e.into_inner()).insert(nr);
        if !first {
            return;
        }
        let name = crate::syscall::names::syscall_name(nr).unwrap_or("unknown");
        match crate::syscall::table::deliberately_unsupported(nr) {
            Some(why) => log::debug!("syscall {name} ({nr}) returns ENOSYS: {why}"),
            None => log::warn!("unimplemented syscall {name} ({nr}) returns ENOSYS"),
        }
    }

    pub fn register(&self, p: &Arc<Process>) {
        self.processes.lock().unwrap_or_else(|e| e.into_inner()).insert(p.pid, Arc::downgrade(p));
    }

    pub fn unregister(&self, pid: i32) {
        self.processes.lock().unwrap_or_else(|e| e.into_inner()).remove(&pid);
    }

    pub fn process(&self, pid: i32) -> Option<Arc<Process>> {
        self.processes.lock().unwrap_or_else(|e| e.into_inner()).get(&pid).and_then(Weak::upgrade)
    }

    /// Live processes in pid order.
    pub fn processes(&self) -> Vec<Arc<Process>> {
        self.processes.lock().unwrap_or_else(|e| e.into_inner()).values().filter_map(Weak::upgrade).collect()
    }

    /// The guest's starting directory: the host cwd if it lies inside the
    /// root, else "/".
    pub fn initial_cwd(&self) -> Vec<u8> {
        std::env::current_dir()
            .ok()
            .and_then(|d| std::fs::canonicalize(d).ok())
            .and_then(|d| self.root.guest_path_of_host(&d))
            .unwrap_or_else(|| b"/".to_vec())
    }

    /// Runs one program as pid 1 until it exits; returns its status.
    pub fn run_program(self: &Arc<Self>, spec: ProgramSpec) -> Result<ExitStatus, MachineError> {
        let files = FdTable::with_host_stdio().map_err(MachineError::Thread)?;
        let cwd = self.initial_cwd();
        let cwd_fd = std::ffi::CString::new(cwd.clone())
            .ok()
            .and_then(|c| self.root.openat(&c, libc::O_PATH | libc::O_DIRECTORY, 0).ok())
            .map(Arc::new);
        let fs = FsContext { cwd, cwd_fd, umask: 0o022 };
        let process = Arc::new(Process::new(self.alloc_pid(), 0, files, fs));
        self.register(&process);
        let start = load_program(self, &process, &spec).map_err(MachineError::Exec)?;
        let machine = self.clone();
        let tid = process.pid;
        let handle = std::thread::Builder::new()
            .name(format!("vcpu-{tid}"))
            .stack_size(HOST_THREAD_STACK)
            .spawn(move || -> std::io::Result<ExitStatus> {
                let mut vcpu = Vcpu::new_on_current_thread()?;
                process.host_tid.store(vcpu.host_tid(), std::sync::atomic::Ordering::Relaxed);
                start.apply(&mut vcpu);
                let mut task = Task::new(tid, process.clone(), vcpu);
                let status = run_task(&machine, &mut task);
                machine.unregister(process.pid);
                Ok(status)
            })
            .map_err(MachineError::Thread)?;
        match handle.join() {
            Ok(r) => r.map_err(MachineError::Thread),
            Err(_) => Err(MachineError::Thread(std::io::Error::other("vCPU thread panicked"))),
        }
    }
}
