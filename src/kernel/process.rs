//! A guest process: pid, its regions of the arena, descriptors, signal
//! dispositions. No address space of its own: that is the no-MMU model.

use super::regions::Regions;
use super::signal::SigActions;
use crate::errno::{Errno, SysResult};
use crate::fs::FdTable;
use crate::fs::HostRoot;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

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

/// Where a process stands in the file system.
#[derive(Clone, Debug)]
pub struct FsContext {
    /// The working directory: an O_PATH handle for host directories (so a
    /// renamed or removed cwd behaves as on Linux), and its guest path as
    /// last seen (the only record for /proc and /dev directories).
    pub cwd: Vec<u8>,
    pub cwd_fd: Option<Arc<OwnedFd>>,
    pub umask: u32,
}

impl FsContext {
    /// The absolute guest path of the working directory, as the host sees
    /// it now; ENOENT once it has been removed (as getcwd reports).
    pub fn cwd_path(&self, root: &HostRoot) -> SysResult<Vec<u8>> {
        let Some(fd) = &self.cwd_fd else {
            return Ok(self.cwd.clone());
        };
        let st = crate::arch::host::fstatat_raw(fd.as_raw_fd(), c"", libc::AT_EMPTY_PATH)?;
        if u64::from_le_bytes(st[16..24].try_into().unwrap_or_default()) == 0 {
            return Err(Errno::ENOENT);
        }
        Ok(root.guest_path_of(fd.as_raw_fd()).unwrap_or_else(|| self.cwd.clone()))
    }
}

/// What exec recorded about the running image (for /proc).
#[derive(Clone, Debug, Default)]
pub struct ImageInfo {
    /// Absolute guest path of the executable.
    pub exe: Vec<u8>,
    /// argv, each followed by a NUL (/proc/<pid>/cmdline).
    pub cmdline: Vec<u8>,
    /// envp, each followed by a NUL (/proc/<pid>/environ).
    pub environ: Vec<u8>,
}

pub struct Process {
    pub pid: i32,
    pub ppid: i32,
    pub pgid: AtomicI32,
    pub sid: AtomicI32,
    pub start_time: Instant,
    /// Host thread id of the main task (its CPU times are this process's).
    pub host_tid: AtomicI32,
    pub fs: Mutex<FsContext>,
    pub image: Mutex<ImageInfo>,
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
    pub fn new(pid: i32, ppid: i32, files: FdTable, fs: FsContext) -> Process {
        let mut rlimits = [(u64::MAX, u64::MAX); RLIM_NLIMITS];
        for (i, lim) in rlimits.iter_mut().enumerate() {
            if let Ok(host) = crate::arch::host::getrlimit(i as u32) {
                *lim = host;
            }
        }
        Process {
            pid,
            ppid,
            pgid: AtomicI32::new(pid),
            sid: AtomicI32::new(pid),
            start_time: Instant::now(),
            host_tid: AtomicI32::new(0),
            fs: Mutex::new(fs),
            image: Mutex::new(ImageInfo::default()),
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

    pub fn fs(&self) -> MutexGuard<'_, FsContext> {
        lock(&self.fs)
    }

    pub fn image(&self) -> MutexGuard<'_, ImageInfo> {
        lock(&self.image)
    }

    pub fn pgid(&self) -> i32 {
        self.pgid.load(Ordering::Relaxed)
    }

    pub fn sid(&self) -> i32 {
        self.sid.load(Ordering::Relaxed)
    }

    /// RLIMIT_NOFILE's soft limit, as a descriptor-table size.
    pub fn fd_limit(&self) -> usize {
        usize::try_from(lock(&self.rlimits)[libc::RLIMIT_NOFILE as usize].0).unwrap_or(usize::MAX)
    }

    pub fn comm_bytes(&self) -> Vec<u8> {
        lock(&self.comm).clone()
    }

    pub fn comm(&self) -> String {
        String::from_utf8_lossy(&lock(&self.comm)).into_owned()
    }

    pub fn set_comm(&self, name: &[u8]) {
        *lock(&self.comm) = name[..name.len().min(15)].to_vec();
    }
}
