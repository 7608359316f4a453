//! What the machine shows about itself, kept apart from what it does: the
//! syscall tracer (`--trace`, `--summary`), the counters of `--report`
//! (execs and their rewriting, calls nommu lacks, things a no-MMU kernel
//! would refuse) and the arena picture of `--memmap`.

use super::memmap::Snapshot;
use super::trace::Tracer;
use crate::rewrite::RewriteStats;
use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Each lock here is a leaf: nothing is taken while it is held, for a moment.
#[derive(Default)]
pub struct Diagnostics {
    tracer: OnceLock<Tracer>,
    /// Programs loaded, and what rewriting them cost.
    exec_stats: Mutex<RewriteStats>,
    execs: AtomicU64,
    /// Syscall numbers that returned ENOSYS because nommu lacks them.
    enosys_seen: Mutex<HashSet<u64>>,
    /// Things a no-MMU kernel would refuse that a program tried.
    incompatibilities: Mutex<BTreeSet<String>>,
    /// The busiest picture of the arena so far, when `--memmap` asked.
    memmap: Mutex<Option<Snapshot>>,
    memmap_enabled: AtomicBool,
    /// Where SIGUSR1 to nommu writes the arena picture.
    memmap_path: Mutex<Option<PathBuf>>,
}

impl Diagnostics {
    /// Installs the tracer (before the first process starts).
    pub fn set_tracer(&self, t: Tracer) {
        let _ = self.tracer.set(t);
    }

    #[inline]
    pub(crate) fn tracer(&self) -> Option<&Tracer> {
        self.tracer.get()
    }

    /// A program's code was swept and rewritten (not copied from a cache).
    pub(crate) fn note_rewrite(&self, r: &RewriteStats) {
        lock(&self.exec_stats).add(r);
    }

    /// A program was exec'd.
    pub(crate) fn note_exec(&self) {
        self.execs.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn execs(&self) -> u64 {
        self.execs.load(Ordering::Relaxed)
    }

    pub(crate) fn exec_stats(&self) -> RewriteStats {
        *lock(&self.exec_stats)
    }

    /// Records an ENOSYS for a syscall nommu lacks; true the first time.
    pub(crate) fn note_enosys(&self, nr: u64) -> bool {
        lock(&self.enosys_seen).insert(nr)
    }

    /// The syscall numbers noted by `note_enosys`, in order.
    pub(crate) fn enosys(&self) -> Vec<u64> {
        let mut v: Vec<u64> = lock(&self.enosys_seen).iter().copied().collect();
        v.sort_unstable();
        v
    }

    /// Records (once) something a real no-MMU kernel would refuse.
    pub(crate) fn note_incompatibility(&self, what: &str) {
        lock(&self.incompatibilities).insert(what.to_string());
    }

    pub(crate) fn incompatibilities(&self) -> Vec<String> {
        lock(&self.incompatibilities).iter().cloned().collect()
    }

    /// `--memmap FILE`: keep the busiest picture; SIGUSR1 writes one to
    /// `path` too.
    pub fn enable_memmap(&self, path: PathBuf) {
        *lock(&self.memmap_path) = Some(path);
        self.memmap_enabled.store(true, Ordering::Relaxed);
    }

    pub(crate) fn memmap_enabled(&self) -> bool {
        self.memmap_enabled.load(Ordering::Relaxed)
    }

    pub(crate) fn memmap_path(&self) -> Option<PathBuf> {
        lock(&self.memmap_path).clone()
    }

    /// Keeps `snap` if the arena is at least as busy as in the one kept.
    pub(crate) fn offer_memmap(&self, snap: Snapshot) {
        let mut best = lock(&self.memmap);
        if best.as_ref().is_none_or(|b| snap.used >= b.used) {
            *best = Some(snap);
        }
    }

    pub fn busiest_memmap(&self) -> Option<Snapshot> {
        lock(&self.memmap).clone()
    }
}
