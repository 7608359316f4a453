//! The per-process descriptor table.

use super::OpenFile;
use crate::errno::{Errno, SysResult};
use std::os::fd::AsFd;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub(crate) struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

#[derive(Clone, Debug, Default)]
pub struct FdTable {
    entries: Vec<Option<FdEntry>>,
}

/// Hard ceiling on any guest's table, whatever RLIMIT_NOFILE says.
pub(crate) const MAX_FDS: usize = 1 << 20;

impl FdTable {
    /// A table whose 0, 1, 2 are copies of the host's stdio.
    pub fn with_host_stdio() -> std::io::Result<FdTable> {
        let mut t = FdTable::default();
        let stdio = [
            std::io::stdin().as_fd().try_clone_to_owned()?,
            std::io::stdout().as_fd().try_clone_to_owned()?,
            std::io::stderr().as_fd().try_clone_to_owned()?,
        ];
        for fd in stdio {
            t.entries
                .push(Some(FdEntry { file: Arc::new(OpenFile::host(fd, b"/dev/console".to_vec())), cloexec: false }));
        }
        Ok(t)
    }

    pub(crate) fn get(&self, fd: i32) -> SysResult<Arc<OpenFile>> {
        self.entry(fd).map(|e| e.file.clone())
    }

    pub(crate) fn entry(&self, fd: i32) -> SysResult<&FdEntry> {
        usize::try_from(fd).ok().and_then(|i| self.entries.get(i)).and_then(|e| e.as_ref()).ok_or(Errno::EBADF)
    }

    pub(crate) fn set_cloexec(&mut self, fd: i32, cloexec: bool) -> SysResult<()> {
        let e = usize::try_from(fd)
            .ok()
            .and_then(|i| self.entries.get_mut(i))
            .and_then(|e| e.as_mut())
            .ok_or(Errno::EBADF)?;
        e.cloexec = cloexec;
        Ok(())
    }

    /// Lowest free descriptor ≥ `min`, below `limit` (RLIMIT_NOFILE).
    pub(crate) fn install_from(
        &mut self,
        min: usize,
        limit: usize,
        file: Arc<OpenFile>,
        cloexec: bool,
    ) -> SysResult<i32> {
        let limit = limit.min(MAX_FDS);
        let slot = (min..).find(|&i| self.entries.get(i).is_none_or(|e| e.is_none())).unwrap_or(usize::MAX);
        if slot >= limit {
            return Err(Errno::EMFILE);
        }
        if slot >= self.entries.len() {
            self.entries.resize(slot + 1, None);
        }
        self.entries[slot] = Some(FdEntry { file, cloexec });
        Ok(slot as i32)
    }

    pub(crate) fn install(&mut self, limit: usize, file: Arc<OpenFile>, cloexec: bool) -> SysResult<i32> {
        self.install_from(0, limit, file, cloexec)
    }

    /// How many descriptors below `limit` are free (capped at 2: callers
    /// only ask whether one or two more fit).
    pub(crate) fn free_below(&self, limit: usize) -> usize {
        let limit = limit.min(MAX_FDS);
        let beyond = limit.saturating_sub(self.entries.len());
        if beyond >= 2 {
            return 2;
        }
        let holes = self.entries.iter().take(limit).filter(|e| e.is_none()).take(2).count();
        (holes + beyond).min(2)
    }

    /// Installs at exactly `fd`, closing what was there (dup2/dup3).
    pub(crate) fn install_at(&mut self, fd: i32, limit: usize, file: Arc<OpenFile>, cloexec: bool) -> SysResult<i32> {
        let slot = usize::try_from(fd).ok().filter(|&s| s < limit.min(MAX_FDS)).ok_or(Errno::EBADF)?;
        if slot >= self.entries.len() {
            self.entries.resize(slot + 1, None);
        }
        self.entries[slot] = Some(FdEntry { file, cloexec });
        Ok(fd)
    }

    pub(crate) fn close(&mut self, fd: i32) -> SysResult<Arc<OpenFile>> {
        let slot = usize::try_from(fd).ok().and_then(|i| self.entries.get_mut(i)).ok_or(Errno::EBADF)?;
        slot.take().map(|e| e.file).ok_or(Errno::EBADF)
    }

    /// Drops every close-on-exec descriptor (execve).
    pub(crate) fn close_on_exec(&mut self) {
        for e in self.entries.iter_mut() {
            if e.as_ref().is_some_and(|e| e.cloexec) {
                *e = None;
            }
        }
    }

    /// Open descriptors, in order (for /proc/<pid>/fd).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i32, &FdEntry)> {
        self.entries.iter().enumerate().filter_map(|(i, e)| e.as_ref().map(|e| (i as i32, e)))
    }
}
