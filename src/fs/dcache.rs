//! A small cache of resolved directory handles (like Linux's dentry
//! cache, for directories only), so that a path in the host root costs
//! one host call: the directory that holds the last component comes from
//! here, and the host looks up only that component from its handle
//! (`fstatat`, `openat` with `O_NOFOLLOW`), which can never leave the
//! directory. Whatever the last component needs beyond that — a symlink to
//! follow, `.` or `..`, a mount point — takes the full walk
//! (`HostRoot::openat`, `openat2` with `RESOLVE_IN_ROOT`) as before.
//!
//! An entry is a directory path as the guest wrote it (no `.`, `..` or
//! empty components, so the walk it names depends on nothing but the
//! tree) with an `O_PATH` handle from the full walk, and is valid while
//! the machine's generation is the one it was resolved at. Every guest
//! operation that can change what an existing path names, or whether it
//! can be searched, bumps the generation after the host has done it:
//! rename, unlink, rmdir, mount, umount, chroot, chdir (relative entries
//! are keyed by the working directory's handle), chmod and chown.
//! Creating a name cannot change what an existing path resolves to, so
//! creating calls do not. Changes made by host processes outside the
//! machine are not seen (README: "Directory handle cache").
//!
//! Entries are written under a mutex. A stat reads an absolute entry
//! without it (`peek`): each slot's entry is also published as atomics
//! behind a sequence number, the host's `fstatat` is made with the raw
//! handle, and its answer is used only if the slot did not change
//! meanwhile (a replaced entry's handle is closed only after the number
//! moved). An open, which may create or wait and so cannot be taken
//! back, reads the entry the same way, names its handle in its thread's
//! pin and uses it only if the slot did not change by then (`pinned`): a
//! replaced handle is retired, and closed once no pin names it
//! (`fs::pins`). Without pins, opens clone the handle under the mutex.

use super::pins;
use crate::abi::fcntl::{O_DIRECTORY, O_PATH};
use crate::errno::SysResult;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{fence, AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Entries (direct-mapped by a hash of the key; a power of two).
const SLOTS: usize = 64;

/// Keys longer than this are not cached (nearly every directory path is
/// shorter).
const MAX_KEY: usize = 240;

/// Retired handles are closed in batches of this many (each batch pays
/// one `pins::reclaim`, a host membarrier).
const RETIRE_BATCH: usize = 16;

/// A cached directory.
#[derive(Clone)]
pub(crate) struct Dir {
    pub fd: Arc<OwnedFd>,
    /// In a read-only mount (EROFS for opens that write or create).
    pub read_only: bool,
    /// Some mount point is a name in this directory: its names may be in
    /// another file system, so lookups here take the full walk.
    pub has_mount_points: bool,
}

struct Entry {
    generation: u64,
    /// 0 for an absolute path; else the working directory's handle
    /// (its address) the relative path starts at.
    base: usize,
    key: Vec<u8>,
    dir: Dir,
}

impl Entry {
    /// Is it in its slot's `Peek` too (absolute, and short enough)?
    fn published(&self) -> bool {
        self.base == 0 && self.key.len() <= PEEK_WORDS * 8
    }
}

/// Absolute keys up to this many 8-byte words are also in `peeks`.
const PEEK_WORDS: usize = 8;

/// What a lookup without the lock reads of one slot's entry (a seqlock:
/// its fields are written under the cache's lock, between two moves of
/// `seq`). Only absolute keys are here.
#[derive(Default)]
struct Peek {
    /// Odd while the slot changes; moves by 2 with every change.
    seq: AtomicU64,
    generation: AtomicU64,
    /// The key's length + 1; 0 for no entry.
    len: AtomicUsize,
    /// The key's bytes, little-endian words, the last one padded with 0.
    key: [AtomicU64; PEEK_WORDS],
    /// The entry's handle (the slot's `Arc` keeps it open).
    fd: AtomicI32,
    /// The entry's `has_mount_points` and `read_only`.
    has_mount_points: AtomicBool,
    read_only: AtomicBool,
}

/// A cached directory as a lookup without the lock sees it: its handle is
/// valid only until the slot changes (`DirCache::peek`).
pub(crate) struct Peeked {
    pub fd: RawFd,
    pub has_mount_points: bool,
    pub read_only: bool,
}

/// The entries and the handles replaced while a pinned reader may still
/// use them (`DirCache::retire`).
#[derive(Default)]
struct Slots {
    entries: Vec<Option<Entry>>,
    retired: Vec<Arc<OwnedFd>>,
}

pub(crate) struct DirCache {
    generation: AtomicU64,
    slots: Mutex<Slots>,
    /// The slots' entries again, for `peek`. On the heap (6 KiB): every
    /// move of the machine being built at start copied it, and its frame
    /// alone took seven stack pages, each a page fault.
    peeks: Box<[Peek; SLOTS]>,
}

impl Default for DirCache {
    fn default() -> Self {
        DirCache {
            generation: AtomicU64::new(0),
            slots: Mutex::default(),
            // Built in place on the heap (not an array moved there).
            peeks: (0..SLOTS)
                .map(|_| Peek::default())
                .collect::<Box<[Peek]>>()
                .try_into()
                .unwrap_or_else(|_| unreachable!("SLOTS entries")),
        }
    }
}

/// `a == b`, 8 bytes at a time (a slice compare is musl's `memcmp`, a
/// byte loop).
fn same_key(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.chunks(8).zip(b.chunks(8)).all(|(x, y)| key_word(x) == key_word(y))
}

/// An 8-byte chunk of a key (or its shorter last one) as `Peek::key`
/// holds it.
pub(crate) fn key_word(chunk: &[u8]) -> u64 {
    let n = chunk.len();
    if let Ok(w) = <[u8; 8]>::try_from(chunk) {
        return u64::from_le_bytes(w);
    }
    // 4 to 7 bytes: two 4-byte loads that overlap (its bytes land where
    // they belong either way).
    if let (Some(lo), Some(hi)) = (chunk.first_chunk::<4>(), chunk.last_chunk::<4>()) {
        return u64::from(u32::from_le_bytes(*lo)) | u64::from(u32::from_le_bytes(*hi)) << (8 * (n - 4));
    }
    chunk.iter().rev().fold(0, |w, &b| w << 8 | u64::from(b))
}

/// The slot of `key` (from `base`): a multiplicative hash of its 8-byte
/// words (`key_word`), its top bits.
fn hash(base: usize, key: &[u8]) -> usize {
    let mut h = hash_start(base, key.len());
    for chunk in key.chunks(8) {
        h = hash_step(h, key_word(chunk));
    }
    hash_slot(h)
}

#[inline]
fn hash_start(base: usize, len: usize) -> u64 {
    0xcbf2_9ce4_8422_2325 ^ base as u64 ^ len as u64
}

#[inline]
fn hash_step(h: u64, word: u64) -> u64 {
    (h ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[inline]
fn hash_slot(h: u64) -> usize {
    (h >> (64 - SLOTS.trailing_zeros())) as usize
}

impl DirCache {
    /// The current generation (read before resolving what is inserted).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Something may name something else now: every entry is stale.
    /// Called after the host operation, so a walk that could have seen the
    /// old tree read an older generation.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// `invalidate`, and the handles closed now (umount: a held handle
    /// would keep the mount busy).
    pub(crate) fn clear(&self) {
        self.invalidate();
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        // Unpublished before the handles close (a `peek` then sees the
        // change).
        for h in 0..SLOTS {
            self.publish(h, None);
        }
        let entries = std::mem::take(&mut slots.entries);
        if pins::enabled() {
            slots.retired.extend(entries.into_iter().flatten().filter(Entry::published).map(|e| e.dir.fd));
        }
        // Only a handle an open is using right now stays (as that open
        // would keep the mount busy on Linux too).
        pins::reclaim(&mut slots.retired);
    }

    /// `replaced`, which a pinned reader may be using, closed when no pin
    /// can be on it (under the cache's lock, after the slot was
    /// republished).
    fn retire(slots: &mut Slots, replaced: Entry) {
        if !pins::enabled() || !replaced.published() {
            return;
        }
        slots.retired.push(replaced.dir.fd);
        if slots.retired.len() >= RETIRE_BATCH {
            pins::reclaim(&mut slots.retired);
        }
    }

    /// Puts `e` (or nothing) in slot `h`'s `Peek`, under the cache's lock
    /// (held by the caller) and before the entry it replaces is dropped.
    fn publish(&self, h: usize, e: Option<&Entry>) {
        let p = &self.peeks[h];
        let seq = p.seq.load(Ordering::Relaxed);
        p.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        match e {
            Some(e) if e.published() => {
                for (w, chunk) in p.key.iter().zip(e.key.chunks(8)) {
                    w.store(key_word(chunk), Ordering::Relaxed);
                }
                p.generation.store(e.generation, Ordering::Relaxed);
                p.fd.store(e.dir.fd.as_raw_fd(), Ordering::Relaxed);
                p.has_mount_points.store(e.dir.has_mount_points, Ordering::Relaxed);
                p.read_only.store(e.dir.read_only, Ordering::Relaxed);
                p.len.store(e.key.len() + 1, Ordering::Relaxed);
            }
            _ => p.len.store(0, Ordering::Relaxed),
        }
        p.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// `f` on the directory the absolute path `key` names, if cached and
    /// current, without the cache's lock and without a reference taken
    /// (a `Mutex` and an `Arc` count were four atomic read-modify-writes
    /// of every cached stat, BENCHMARKS.md round 5). The handle may be
    /// closed, and its number reused, by a change of the slot while `f`
    /// runs: `f` must do nothing but ask (a host `fstatat`), and its
    /// answer is thrown away (`None`) when the slot changed meanwhile.
    pub(crate) fn peek<R>(&self, key: &[u8], f: impl FnOnce(&Peeked) -> R) -> Option<R> {
        let (p, seq, dir) = self.snapshot(key)?;
        let r = f(&dir);
        // Everything read above (and `f`'s host call) before the check.
        fence(Ordering::Acquire);
        (p.seq.load(Ordering::Relaxed) == seq).then_some(r)
    }

    /// `f` on the directory the absolute path `key` names, if cached and
    /// current, without the cache's lock or a reference, for a call that
    /// cannot be taken back (an open): its handle is named in this
    /// thread's pin, then the slot is checked unchanged, so the entry was
    /// whole and its handle stays open until `f` returns (replaced
    /// meanwhile, it is retired, not closed). `None` when pins are not in
    /// force (`fs::pins`).
    pub(crate) fn pinned<R>(&self, key: &[u8], f: impl FnOnce(&Peeked) -> R) -> Option<R> {
        let (p, seq, dir) = self.snapshot(key)?;
        let _pin = pins::hold(dir.fd)?;
        // The entry's fields before the check; the pin before it too
        // (`pins::hold`).
        fence(Ordering::Acquire);
        if p.seq.load(Ordering::Relaxed) != seq {
            return None;
        }
        Some(f(&dir))
    }

    /// The slot of the absolute `key`, its sequence number and the entry
    /// read, if it holds `key` at the current generation (not yet checked
    /// against a change while it was read: the caller's part).
    #[inline]
    fn snapshot(&self, key: &[u8]) -> Option<(&Peek, u64, Peeked)> {
        if key.len() > PEEK_WORDS * 8 {
            return None;
        }
        // The key's words made once, for the hash and the compare (each
        // made them anew: ~60 instructions of every cached stat).
        let mut words = [0u64; PEEK_WORDS];
        let mut h = hash_start(0, key.len());
        let mut n = 0;
        for (slot, chunk) in words.iter_mut().zip(key.chunks(8)) {
            *slot = key_word(chunk);
            h = hash_step(h, *slot);
            n += 1;
        }
        let p = &self.peeks[hash_slot(h)];
        let seq = p.seq.load(Ordering::Acquire);
        if seq & 1 != 0
            || p.len.load(Ordering::Relaxed) != key.len() + 1
            || p.generation.load(Ordering::Relaxed) != self.generation()
        {
            return None;
        }
        if p.key[..n].iter().zip(&words[..n]).any(|(w, &k)| w.load(Ordering::Relaxed) != k) {
            return None;
        }
        let dir = Peeked {
            fd: p.fd.load(Ordering::Relaxed),
            has_mount_points: p.has_mount_points.load(Ordering::Relaxed),
            read_only: p.read_only.load(Ordering::Relaxed),
        };
        Some((p, seq, dir))
    }

    /// The directory `key` names (from `base`), if cached and current.
    pub(crate) fn get(&self, base: usize, key: &[u8]) -> Option<Dir> {
        let generation = self.generation();
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match slots.entries.get(hash(base, key)) {
            Some(Some(e)) if e.generation == generation && e.base == base && same_key(&e.key, key) => {
                Some(e.dir.clone())
            }
            _ => None,
        }
    }

    /// The directory `key` names, from the cache or from `resolve` (which
    /// walks it fully); cached at the generation read before the walk.
    pub(crate) fn get_or_resolve(
        &self,
        base: usize,
        key: &[u8],
        resolve: impl FnOnce() -> SysResult<Dir>,
    ) -> SysResult<Dir> {
        if let Some(d) = self.get(base, key) {
            return Ok(d);
        }
        let generation = self.generation();
        let dir = resolve()?;
        if key.len() <= MAX_KEY {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            if slots.entries.is_empty() {
                slots.entries.resize_with(SLOTS, || None);
            }
            let h = hash(base, key);
            let entry = Entry { generation, base, key: key.to_vec(), dir: dir.clone() };
            self.publish(h, Some(&entry));
            // The entry replaced (its handle maybe closed) after.
            if let Some(replaced) = slots.entries[h].replace(entry) {
                Self::retire(&mut slots, replaced);
            }
        }
        Ok(dir)
    }
}

/// Flags of the handles kept here.
pub(crate) const DIR_FLAGS: i32 = O_PATH | O_DIRECTORY;

/// Splits a path whose walk may use the cache into its directory part
/// and last component: no `.`, `..` or empty component (so it is
/// normalised, and the walk it names depends only on the tree) and no
/// trailing slash. An absolute path's directory part keeps its leading
/// slash ("/" for a name in the root); a relative path's is empty for a
/// name in the base directory itself.
pub(crate) fn split(path: &[u8]) -> Option<(&[u8], &[u8])> {
    let lead = usize::from(path.first() == Some(&b'/'));
    let rel = &path[lead..];
    // One pass over the bytes: each component is checked as its '/' is
    // reached, and the last '/' is where the name starts.
    let odd = |c: &[u8]| matches!(c, b"" | b"." | b"..");
    let mut start = 0;
    for (i, &b) in rel.iter().enumerate() {
        if b == b'/' {
            if odd(&rel[start..i]) {
                return None;
            }
            start = i + 1;
        }
    }
    if odd(&rel[start..]) {
        return None;
    }
    Some(match (start, lead) {
        // A name in the root keeps the root as its directory.
        (0, 1) => (&path[..1], &path[1..]),
        _ => (&path[..(lead + start).saturating_sub(1)], &path[lead + start..]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitting() {
        assert_eq!(split(b"/etc/passwd"), Some((b"/etc".as_slice(), b"passwd".as_slice())));
        assert_eq!(split(b"/x"), Some((b"/".as_slice(), b"x".as_slice())));
        assert_eq!(split(b"a/b/c"), Some((b"a/b".as_slice(), b"c".as_slice())));
        assert_eq!(split(b"c"), Some((b"".as_slice(), b"c".as_slice())));
        for p in [&b"/"[..], b"", b"/a/", b"/a//b", b"/a/./b", b"/a/..", b"..", b".", b"a/../b", b"//a", b"a/"] {
            assert_eq!(split(p), None, "{}", String::from_utf8_lossy(p));
        }
    }

    #[test]
    fn generations() {
        let c = DirCache::default();
        let fd = || {
            let f = std::fs::File::open("/").expect("/");
            Ok(Dir { fd: Arc::new(OwnedFd::from(f)), read_only: false, has_mount_points: false })
        };
        assert!(c.get(0, b"/").is_none());
        c.get_or_resolve(0, b"/", fd).expect("resolved");
        assert!(c.get(0, b"/").is_some());
        assert!(c.get(1, b"/").is_none(), "another base");
        c.invalidate();
        assert!(c.get(0, b"/").is_none(), "stale after invalidate");
        c.get_or_resolve(0, b"/", fd).expect("resolved");
        c.clear();
        assert!(c.get(0, b"/").is_none());
    }

    #[test]
    fn peeks() {
        let c = DirCache::default();
        let fd = || {
            let f = std::fs::File::open("/").expect("/");
            Ok(Dir { fd: Arc::new(OwnedFd::from(f)), read_only: false, has_mount_points: false })
        };
        let fd_of = |c: &DirCache, key: &[u8]| c.peek(key, |d| d.fd);
        assert_eq!(fd_of(&c, b"/"), None);
        let d = c.get_or_resolve(0, b"/", fd).expect("resolved");
        assert_eq!(fd_of(&c, b"/"), Some(d.fd.as_raw_fd()));
        assert_eq!(fd_of(&c, b"/x"), None, "another key");
        c.invalidate();
        assert_eq!(fd_of(&c, b"/"), None, "stale after invalidate");
        c.get_or_resolve(0, b"/", fd).expect("resolved");
        // A change of the slot while `f` runs: its answer is not used.
        assert_eq!(c.peek(b"/", |_| c.clear()), None);
        assert_eq!(fd_of(&c, b"/"), None, "cleared");
        // Relative entries and long keys are not peeked.
        c.get_or_resolve(7, b"a", fd).expect("resolved");
        assert_eq!(fd_of(&c, b"a"), None);
        let long = [b"/abcdefg".as_slice(); 9].concat();
        c.get_or_resolve(0, &long, fd).expect("resolved");
        assert!(c.get(0, &long).is_some() && fd_of(&c, &long).is_none());
        // Keys alike but for their last bytes, of every length.
        let key = b"/0123456789abcdef";
        for n in 1..=key.len() {
            let d = c.get_or_resolve(0, &key[..n], fd).expect("resolved");
            assert_eq!(fd_of(&c, &key[..n]), Some(d.fd.as_raw_fd()));
            let mut other = key[..n].to_vec();
            other[n - 1] ^= 1;
            assert_eq!(fd_of(&c, &other), None, "{n}");
        }
    }

    #[test]
    fn key_words() {
        for n in 0..=8 {
            let chunk = &b"abcdefgh"[..n];
            let want = chunk.iter().rev().fold(0u64, |w, &b| w << 8 | u64::from(b));
            assert_eq!(key_word(chunk), want, "{n}");
        }
        let key = b"/usr/lib/x86_64-linux-gnu";
        for n in 0..=key.len() {
            assert!(same_key(&key[..n], &key[..n]));
            assert!(n == 0 || !same_key(&key[..n], &key[..n - 1]), "{n}");
            let mut other = key[..n].to_vec();
            if let Some(b) = other.last_mut() {
                *b ^= 0x20;
                assert!(!same_key(&key[..n], &other), "{n}");
            }
        }
    }

    /// `read` over and over (it says whether it got an answer) while one
    /// thread replaces the entry for "/" `rounds` times with `resolve(i)`
    /// and another reuses descriptor numbers; at least one answer.
    fn race(
        c: &DirCache,
        rounds: usize,
        resolve: impl Fn(usize) -> SysResult<Dir> + Sync,
        mut read: impl FnMut() -> bool,
    ) {
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                for i in 0..rounds {
                    c.invalidate();
                    let _ = c.get_or_resolve(0, b"/", || resolve(i));
                }
                stop.store(true, Ordering::Relaxed);
            });
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let _f = std::fs::File::open("/dev/null");
                }
            });
            let mut seen = 0;
            while !stop.load(Ordering::Relaxed) {
                if read() {
                    seen += 1;
                }
            }
            assert!(seen > 0 || cfg!(miri));
        });
    }

    fn dir_of(p: &str) -> SysResult<Dir> {
        let f = std::fs::File::open(p).expect(p);
        Ok(Dir { fd: Arc::new(OwnedFd::from(f)), read_only: false, has_mount_points: false })
    }

    fn ino(p: &str) -> u64 {
        std::fs::metadata(p).map(|m| std::os::unix::fs::MetadataExt::ino(&m)).expect(p)
    }

    /// A pinned reader racing a writer that replaces the entry with
    /// another directory's and a thread that reuses descriptor numbers:
    /// every handle `pinned` lends is open and is the entry's directory
    /// for as long as `f` runs (a closed handle would be EBADF, a reused
    /// number another file).
    #[test]
    fn pinned_handles_stay_the_entrys_while_in_use() {
        use crate::abi::fcntl::AT_EMPTY_PATH;
        use crate::arch::host;
        if !pins::activate().in_force() {
            return;
        }
        let c = DirCache::default();
        let (root_ino, dev_ino) = (ino("/"), ino("/dev"));
        // Another directory under the same key every other time.
        let resolve = |i: usize| dir_of(if i.is_multiple_of(2) { "/" } else { "/dev" });
        race(&c, 20_000, resolve, || {
            let r = c.pinned(b"/", |d| {
                let first = host::fstatat(d.fd, c"", AT_EMPTY_PATH).map(|st| st.st_ino);
                std::thread::yield_now();
                (first, host::fstatat(d.fd, c"", AT_EMPTY_PATH).map(|st| st.st_ino))
            });
            match r {
                Some((Ok(a), Ok(b))) => {
                    assert!(a == root_ino || a == dev_ino, "a directory the entry named");
                    assert_eq!(a, b, "the same directory while pinned");
                    true
                }
                Some(other) => panic!("a pinned handle failed: {other:?}"),
                None => false,
            }
        });
        // Nothing of this cache pinned now: a clear closes its handles.
        c.clear();
        assert!(c.slots.lock().expect("unpoisoned").retired.is_empty());
    }

    /// Replaced handles are closed a batch at a time, not kept for ever.
    #[test]
    fn retired_handles_are_closed_in_batches() {
        if !pins::activate().in_force() {
            return;
        }
        let c = DirCache::default();
        for _ in 0..5 * RETIRE_BATCH {
            c.invalidate();
            c.get_or_resolve(0, b"/", || dir_of("/")).expect("resolved");
        }
        let retired = c.slots.lock().expect("unpoisoned").retired.len();
        assert!(retired < RETIRE_BATCH, "{retired} retired handles kept");
        // Relative entries are never lent: replaced, they close at once
        // (the first may replace an absolute one, which is retired).
        c.invalidate();
        c.get_or_resolve(7, b"a", || dir_of("/")).expect("resolved");
        let before = c.slots.lock().expect("unpoisoned").retired.len();
        for _ in 0..3 {
            c.invalidate();
            c.get_or_resolve(7, b"a", || dir_of("/")).expect("resolved");
        }
        assert_eq!(c.slots.lock().expect("unpoisoned").retired.len(), before);
    }

    /// A reader racing a writer that replaces the entry (closing its
    /// handle) and a thread that reuses descriptor numbers: every answer
    /// `peek` lets through is the cached directory's.
    #[test]
    fn peek_races_replacement() {
        use crate::abi::fcntl::AT_EMPTY_PATH;
        use crate::arch::host;
        let c = DirCache::default();
        let root_ino = ino("/");
        race(
            &c,
            50_000,
            |_| dir_of("/"),
            || match c.peek(b"/", |d| host::fstatat(d.fd, c"", AT_EMPTY_PATH)) {
                Some(r) => {
                    // (A closed handle would be EBADF, a reused one another file.)
                    assert_eq!(r.map(|st| st.st_ino).ok(), Some(root_ino));
                    true
                }
                None => false,
            },
        );
    }
}
