//! A guest process: pid, its regions of the arena, descriptors, signal
//! dispositions. No address space of its own: that is the no-MMU model.

use super::regions::Regions;
use super::signal::SigActions;
use crate::fs::FdTable;
use std::sync::{Mutex, MutexGuard};

/// How a process ended, encoded as wait(2) would see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(u8),
    Signaled(i32),
}

impl ExitStatus {
    /// The status a shell reports: the code, or 128 + signal.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(c) => c as i32,
            ExitStatus::Signaled(s) => 128 + s,
        }
    }
}

pub const RLIM_NLIMITS: usize = 16;

pub struct Process {
    pub pid: i32,
    pub ppid: i32,
    pub regions: Mutex<Regions>,
    pub files: Mutex<FdTable>,
    pub sigactions: Mutex<SigActions>,
    /// Name of the program (comm), at most 15 bytes.
    pub comm: Mutex<Vec<u8>>,
    pub rlimits: Mutex<[(u64, u64); RLIM_NLIMITS]>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Process {
    pub fn new(pid: i32, ppid: i32, files: FdTable) -> Process {
        let mut rlimits = [(u64::MAX, u64::MAX); RLIM_NLIMITS];
        for (i, lim) in rlimits.iter_mut().enumerate() {
            if let Ok(host) = crate::arch::host::getrlimit(i as u32) {
                *lim = host;
            }
        }
        Process {
            pid,
            ppid,
            regions: Mutex::new(Regions::default()),
            files: Mutex::new(files),
            sigactions: Mutex::new(SigActions::default()),
            comm: Mutex::new(Vec::new()),
            rlimits: Mutex::new(rlimits),
        }
    }

    pub fn regions(&self) -> MutexGuard<'_, Regions> {
        lock(&self.regions)
    }

    pub fn files(&self) -> MutexGuard<'_, FdTable> {
        lock(&self.files)
    }

    pub fn sigactions(&self) -> MutexGuard<'_, SigActions> {
        lock(&self.sigactions)
    }

    pub fn rlimits(&self) -> MutexGuard<'_, [(u64, u64); RLIM_NLIMITS]> {
        lock(&self.rlimits)
    }

    pub fn comm(&self) -> String {
        String::from_utf8_lossy(&lock(&self.comm)).into_owned()
    }

    pub fn set_comm(&self, name: &[u8]) {
        *lock(&self.comm) = name[..name.len().min(15)].to_vec();
    }
}
