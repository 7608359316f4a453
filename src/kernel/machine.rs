//! The machine: arena, trampoline, pid allocator, and the first process.

use super::exec::{load_program, ExecError, ProgramSpec};
use super::process::{ExitStatus, Process};
use super::runloop::run_task;
use super::task::Task;
use crate::arch::{trampoline, Vcpu};
use crate::fs::FdTable;
use crate::mm::Memory;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
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
    pub config: MachineConfig,
    pub boot_time: Instant,
    next_pid: AtomicI32,
    enosys_seen: Mutex<HashSet<u64>>,
}

/// Why the machine could not start.
#[derive(Debug)]
pub enum MachineError {
    Trampoline(trampoline::TrampolineError),
    Arena(std::io::Error),
    Exec(ExecError),
    Thread(std::io::Error),
}

impl std::fmt::Display for MachineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MachineError::Trampoline(e) => write!(f, "{e}"),
            MachineError::Arena(e) => write!(f, "cannot reserve the arena: {e}"),
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
        let mem = Memory::new(config.mem_size).map_err(MachineError::Arena)?;
        log::info!(
            "arena {:#x}..{:#x} ({} MiB)",
            mem.arena.base(),
            mem.arena.base() + mem.arena.size(),
            mem.arena.size() >> 20
        );
        Ok(Arc::new(Machine {
            mem,
            config,
            boot_time: Instant::now(),
            next_pid: AtomicI32::new(1),
            enosys_seen: Mutex::new(HashSet::new()),
        }))
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

    /// Runs one program as pid 1 until it exits; returns its status.
    pub fn run_program(self: &Arc<Self>, spec: ProgramSpec) -> Result<ExitStatus, MachineError> {
        let files = FdTable::with_host_stdio().map_err(MachineError::Thread)?;
        let process = Arc::new(Process::new(self.alloc_pid(), 0, files));
        let start = load_program(self, &process, &spec).map_err(MachineError::Exec)?;
        let machine = self.clone();
        let tid = process.pid;
        let handle = std::thread::Builder::new()
            .name(format!("vcpu-{tid}"))
            .stack_size(HOST_THREAD_STACK)
            .spawn(move || -> std::io::Result<ExitStatus> {
                let mut vcpu = Vcpu::new_on_current_thread()?;
                start.apply(&mut vcpu);
                let mut task = Task::new(tid, process, vcpu);
                Ok(run_task(&machine, &mut task))
            })
            .map_err(MachineError::Thread)?;
        match handle.join() {
            Ok(r) => r.map_err(MachineError::Thread),
            Err(_) => Err(MachineError::Thread(std::io::Error::other("vCPU thread panicked"))),
        }
    }
}
