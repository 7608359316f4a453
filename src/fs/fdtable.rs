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
    /// Every descriptor below this one is open (Linux's `next_fd`): the
    /// search for the lowest free one starts here.
    lowest_free: usize,
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
        t.lowest_free = t.entries.len();
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
        let from = min.max(self.lowest_free);
        let slot = self.entries.get(from..).and_then(|rest| rest.iter().position(Option::is_none)).map_or(
            // No hole at or after `from`: the first slot past the end, or
            // `from` itself when that lies beyond it.
            self.entries.len().max(from),
            |i| from + i,
        );
        if slot >= limit {
            return Err(Errno::EMFILE);
        }
        self.put(slot, FdEntry { file, cloexec });
        Ok(slot as i32)
    }

    /// Puts `entry` in `slot` (below the limit), growing the table to it
    /// and moving the lowest free slot past it when it was that one.
    fn put(&mut self, slot: usize, entry: FdEntry) {
        if slot >= self.entries.len() {
            self.entries.resize(slot + 1, None);
        }
        self.entries[slot] = Some(entry);
        if slot == self.lowest_free {
            self.lowest_free = slot + 1;
        }
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
        self.put(slot, FdEntry { file, cloexec });
        Ok(fd)
    }

    pub(crate) fn close(&mut self, fd: i32) -> SysResult<Arc<OpenFile>> {
        let index = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        let file = self.entries.get_mut(index).and_then(Option::take).map(|e| e.file).ok_or(Errno::EBADF)?;
        self.lowest_free = self.lowest_free.min(index);
        Ok(file)
    }

    /// Drops every close-on-exec descriptor (execve).
    pub(crate) fn close_on_exec(&mut self) {
        for (i, e) in self.entries.iter_mut().enumerate() {
            if e.as_ref().is_some_and(|e| e.cloexec) {
                *e = None;
                self.lowest_free = self.lowest_free.min(i);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The lowest free descriptor at or above `min`, by looking at every slot.
    fn lowest_free_naively(open: &[bool], min: usize) -> usize {
        (min..).find(|&i| !open.get(i).copied().unwrap_or(false)).unwrap_or(usize::MAX)
    }

    #[test]
    fn descriptors_are_the_lowest_free_through_any_mix_of_calls() {
        let file = || Arc::new(OpenFile::generated(Vec::new(), b"/x".to_vec(), 0));
        let mut t = FdTable::default();
        let mut open: Vec<bool> = Vec::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n) as usize
        };
        const LIMIT: usize = 40;
        for step in 0..20000 {
            let mark = |open: &mut Vec<bool>, fd: usize, on: bool| {
                if fd >= open.len() {
                    open.resize(fd + 1, false);
                }
                open[fd] = on;
            };
            match next(6) {
                0 | 1 => {
                    let want = lowest_free_naively(&open, 0);
                    match t.install(LIMIT, file(), next(2) == 0) {
                        Ok(fd) => {
                            assert_eq!(fd as usize, want, "step {step}: install");
                            mark(&mut open, want, true);
                        }
                        Err(e) => assert!(want >= LIMIT && e == Errno::EMFILE, "step {step}: {e:?}, {want}"),
                    }
                }
                2 => {
                    let min = next(LIMIT as u64 + 4);
                    let want = lowest_free_naively(&open, min);
                    match t.install_from(min, LIMIT, file(), false) {
                        Ok(fd) => {
                            assert_eq!(fd as usize, want, "step {step}: install_from({min})");
                            mark(&mut open, want, true);
                        }
                        Err(e) => assert!(want >= LIMIT && e == Errno::EMFILE, "step {step}: {e:?}"),
                    }
                }
                3 => {
                    let fd = next(LIMIT as u64);
                    t.install_at(fd as i32, LIMIT, file(), next(3) == 0).expect("in range");
                    mark(&mut open, fd, true);
                }
                4 => {
                    let fd = next(LIMIT as u64 + 2);
                    let was_open = open.get(fd).copied().unwrap_or(false);
                    assert_eq!(t.close(fd as i32).is_ok(), was_open, "step {step}: close({fd})");
                    if was_open {
                        mark(&mut open, fd, false);
                    }
                }
                _ if next(20) == 0 => {
                    t.close_on_exec();
                    open = (0..t.slots()).map(|i| t.entry(i as i32).is_ok()).collect();
                }
                _ => assert_eq!(t.close(-1).err(), Some(Errno::EBADF)),
            }
            let listed: Vec<usize> = t.iter().map(|(fd, _)| fd as usize).collect();
            let expected: Vec<usize> = (0..open.len()).filter(|&i| open[i]).collect();
            assert_eq!(listed, expected, "step {step}");
        }
    }
}
