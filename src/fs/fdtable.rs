//! The per-process descriptor table.

use super::OpenFile;
use crate::errno::{Errno, SysResult};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
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
        // One host call each (std's `try_clone_to_owned` is musl's fcntl,
        // which follows F_DUPFD_CLOEXEC with a redundant F_SETFD).
        let dup = crate::arch::hostevent::dup;
        let stdio = [dup(0)?, dup(1)?, dup(2)?];
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

    /// Slots in the table, used or not (descriptors from here up are free).
    pub(crate) fn slots(&self) -> usize {
        self.entries.len()
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

/// The descriptor table as a mutable borrow: every mutable use bumps the
/// table's generation (`FdCache` compares it), so no change can be missed.
pub(crate) struct FilesGuard<'a> {
    table: std::sync::MutexGuard<'a, FdTable>,
    generation: &'a AtomicU64,
    /// The table's length as of the last guard (`Process::files_room`).
    len: &'a AtomicUsize,
}

impl<'a> FilesGuard<'a> {
    pub(crate) fn new(
        table: std::sync::MutexGuard<'a, FdTable>,
        generation: &'a AtomicU64,
        len: &'a AtomicUsize,
    ) -> FilesGuard<'a> {
        FilesGuard { table, generation, len }
    }
}

impl Drop for FilesGuard<'_> {
    fn drop(&mut self) {
        // Still under the table's lock (the fields drop after this).
        self.len.store(self.table.entries.len(), Ordering::Release);
    }
}

impl std::ops::Deref for FilesGuard<'_> {
    type Target = FdTable;
    fn deref(&self) -> &FdTable {
        &self.table
    }
}

impl std::ops::DerefMut for FilesGuard<'_> {
    fn deref_mut(&mut self) -> &mut FdTable {
        // Under the table's lock: no other writer.
        self.generation.store(self.generation.load(Ordering::Relaxed).wrapping_add(1), Ordering::Release);
        &mut self.table
    }
}

/// How many descriptors a task's cache holds (by `fd % CACHED`).
const CACHED: usize = 4;

/// A task's last few descriptors, looked up without the table's lock and
/// without touching the files' reference counts (read/write's common
/// path). Valid only while (1) the table's generation is the one the
/// entries were taken at: any change of the table bumps it
/// (`FilesGuard`), and (2) the process has one task: then only this task
/// can change the table, so nothing can close a cached file behind its
/// back. The run loop drops stale entries after every syscall
/// (`revalidate`), so a closed file's host descriptor is closed before
/// the guest runs again, as without the cache.
#[derive(Default)]
pub struct FdCache {
    /// The process (its address) and table generation the entries belong
    /// to; 0 when empty.
    owner: usize,
    generation: u64,
    slots: [Option<(i32, Arc<OpenFile>)>; CACHED],
}

impl FdCache {
    /// Are the entries those of `owner`'s table at `generation`?
    #[inline]
    fn valid(&self, owner: usize, generation: u64) -> bool {
        self.owner == owner && self.generation == generation
    }

    /// The cached file of `fd`, if the cache is valid for the table.
    #[inline]
    pub(crate) fn get(&self, fd: i32, owner: usize, generation: u64) -> Option<&Arc<OpenFile>> {
        if !self.valid(owner, generation) {
            return None;
        }
        match &self.slots[fd as usize % CACHED] {
            Some((n, f)) if *n == fd => Some(f),
            _ => None,
        }
    }

    /// Takes `fd`'s file out (to use it while the task is borrowed
    /// mutably); `put` returns it.
    #[inline]
    pub(crate) fn take(&mut self, fd: i32, owner: usize, generation: u64) -> Option<Arc<OpenFile>> {
        if !self.valid(owner, generation) {
            return None;
        }
        let slot = &mut self.slots[fd as usize % CACHED];
        match slot {
            Some((n, _)) if *n == fd => slot.take().map(|(_, f)| f),
            _ => None,
        }
    }

    /// Caches `file` as `fd` of `owner`'s table at `generation` (which the
    /// caller read under the table's lock, or before).
    #[inline]
    pub(crate) fn put(&mut self, fd: i32, file: Arc<OpenFile>, owner: usize, generation: u64) {
        if fd < 0 {
            return;
        }
        if !self.valid(owner, generation) {
            self.clear();
            (self.owner, self.generation) = (owner, generation);
        }
        self.slots[fd as usize % CACHED] = Some((fd, file));
    }

    /// Does the cache hold anything?
    #[inline]
    pub(crate) fn is_filled(&self) -> bool {
        self.owner != 0
    }

    /// Drops every entry unless they are still valid for `owner`'s table at
    /// `generation` and the process is single-task (`shared`: it is not).
    pub(crate) fn revalidate(&mut self, owner: usize, generation: u64, shared: bool) {
        if shared || !self.valid(owner, generation) {
            self.clear();
        }
    }

    pub(crate) fn clear(&mut self) {
        self.owner = 0;
        self.slots = Default::default();
    }
}
