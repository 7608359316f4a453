//! What the machine shows about itself, kept apart from what it does: the
//! syscall tracer (`--trace`, `--summary`), the counters of `--report`
//! (execs and their rewriting, calls nommu lacks, things a no-MMU kernel
//! would refuse) and the arena picture of `--memmap`.

use super::memmap::Snapshot;
use super::trace::Tracer;
use crate::rewrite::RewriteStats;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// How many distinct incompatibilities are kept (a program that maps a
/// thousand different files would otherwise grow the store for ever);
/// past that, calls are only counted.
pub(crate) const MAX_INCOMPATIBILITIES: usize = 1000;

/// One thing a no-MMU kernel would refuse (`--report`'s
/// `nommu_incompatibilities`): the first process that did it, its program
/// (the executable's path), the call with its key arguments, the answer
/// Linux's no-MMU kernel gives (`--strict` gives it), and how often.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Incompatibility {
    pub pid: i32,
    pub program: String,
    pub call: String,
    pub strict: String,
    pub count: u64,
}

#[derive(Default)]
struct IncompatibilityLog {
    /// The hash of (program, call, strict answer) -> index in `records`:
    /// a repeated call is counted without allocating. (Records whose hash
    /// another one has are found by a scan.)
    index: HashMap<u64, usize>,
    records: Vec<Incompatibility>,
    /// Calls past the bound on distinct records.
    unlisted: u64,
}

impl IncompatibilityLog {
    fn note(&mut self, pid: i32, program: &str, call: &str, strict: &str) {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (program, call, strict).hash(&mut h);
        let key = h.finish();
        let same = |r: &Incompatibility| r.program == program && r.call == call && r.strict == strict;
        let found = match self.index.get(&key) {
            Some(&i) if same(&self.records[i]) => Some(i),
            Some(_) => self.records.iter().position(same),
            None => None,
        };
        if let Some(i) = found {
            self.records[i].count = self.records[i].count.saturating_add(1);
        } else if self.records.len() < MAX_INCOMPATIBILITIES {
            self.index.entry(key).or_insert(self.records.len());
            let (program, call, strict) = (program.to_string(), call.to_string(), strict.to_string());
            self.records.push(Incompatibility { pid, program, call, strict, count: 1 });
        } else {
            self.unlisted = self.unlisted.saturating_add(1);
        }
    }
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
    incompatibilities: Mutex<IncompatibilityLog>,
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

    /// Records something a real no-MMU kernel would refuse: `call` by
    /// process `pid` running `program` got (or, under the permissive
    /// profile, would have got) `strict` there. One record per distinct
    /// (program, call, answer), counted.
    pub(crate) fn note_incompatibility(&self, pid: i32, program: &str, call: &str, strict: &str) {
        lock(&self.incompatibilities).note(pid, program, call, strict);
    }

    /// The records, in the order they were first seen; past
    /// `MAX_INCOMPATIBILITIES` distinct ones, one last record counts the
    /// calls not listed.
    pub(crate) fn incompatibilities(&self) -> Vec<Incompatibility> {
        let log = lock(&self.incompatibilities);
        let mut all = log.records.clone();
        if log.unlisted > 0 {
            all.push(Incompatibility {
                pid: 0,
                program: String::new(),
                call: format!("(more than {MAX_INCOMPATIBILITIES} distinct calls: the rest not listed)"),
                strict: String::new(),
                count: log.unlisted,
            });
        }
        all
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incompatibilities_are_counted_once_each_and_bounded() {
        let d = Diagnostics::default();
        d.note_incompatibility(3, "/bin/a", "mprotect(PROT_READ)", "ENOSYS");
        d.note_incompatibility(4, "/bin/a", "mprotect(PROT_READ)", "ENOSYS");
        d.note_incompatibility(5, "/bin/b", "mprotect(PROT_READ)", "ENOSYS");
        let all = d.incompatibilities();
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].pid, all[0].count, all[0].program.as_str()), (3, 2, "/bin/a"));
        assert_eq!((all[1].pid, all[1].count, all[1].program.as_str()), (5, 1, "/bin/b"));
        for i in 0..MAX_INCOMPATIBILITIES + 5 {
            d.note_incompatibility(1, "/bin/c", &format!("mmap({i})"), "EINVAL");
        }
        let all = d.incompatibilities();
        assert_eq!(all.len(), MAX_INCOMPATIBILITIES + 1, "the bound, then one record counting the rest");
        let last = all.last().unwrap();
        assert_eq!(last.count, 7, "{last:?}");
        assert!(last.call.contains("not listed"), "{last:?}");
    }
}
