//! The per-process descriptor table.

use super::OpenFile;
use crate::errno::{Errno, SysResult};
use std::os::fd::AsFd;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

#[derive(Clone, Debug, Default)]
pub struct FdTable {
    entries: Vec<Option<FdEntry>>,
}

/// RLIMIT_NOFILE's default soft limit.
pub const DEFAULT_MAX_FDS: usize = 1024;

impl FdTable {
    /// A table whose 0, 1, 2 are copies of the host's stdio.
    pub fn with_host_stdio() -> std::io::Result<FdTable> {
        let mut t = FdTable::default();
        let dup = |fd: std::os::fd::BorrowedFd<'_>| fd.try_clone_to_owned();
        let std_in = dup(std::io::stdin().as_fd())?;
        let std_out = dup(std::io::stdout().as_fd())?;
        let std_err = dup(std::io::stderr().as_fd())?;
        for (fd, flags) in [(std_in, libc::O_RDONLY), (std_out, libc::O_WRONLY), (std_err, libc::O_WRONLY)] {
            t.install(Arc::new(OpenFile::from_host(fd, flags as u32)), false)
                .map_err(|e| std::io::Error::from_raw_os_error(e.0))?;
        }
        Ok(t)
    }

    pub fn get(&self, fd: i32) -> SysResult<Arc<OpenFile>> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.entries.get(i))
            .and_then(|e| e.as_ref())
            .map(|e| e.file.clone())
            .ok_or(Errno::EBADF)
    }

    /// Lowest free descriptor.
    pub fn install(&mut self, file: Arc<OpenFile>, cloexec: bool) -> SysResult<i32> {
        let slot = self.entries.iter().position(|e| e.is_none()).unwrap_or(self.entries.len());
        if slot >= DEFAULT_MAX_FDS {
            return Err(Errno::EMFILE);
        }
        if slot == self.entries.len() {
            self.entries.push(None);
        }
        self.entries[slot] = Some(FdEntry { file, cloexec });
        Ok(slot as i32)
    }

    /// Installs at exactly `fd`, closing what was there (dup2/dup3).
    pub fn install_at(&mut self, fd: i32, file: Arc<OpenFile>, cloexec: bool) -> SysResult<i32> {
        let slot = usize::try_from(fd).ok().filter(|&s| s < DEFAULT_MAX_FDS).ok_or(Errno::EBADF)?;
        if slot >= self.entries.len() {
            self.entries.resize(slot + 1, None);
        }
        self.entries[slot] = Some(FdEntry { file, cloexec });
        Ok(fd)
    }

    pub fn close(&mut self, fd: i32) -> SysResult<()> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.entries.get_mut(i)).ok_or(Errno::EBADF)?;
        slot.take().map(|_| ()).ok_or(Errno::EBADF)
    }
}
