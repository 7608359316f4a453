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

use crate::abi::fcntl::{O_DIRECTORY, O_PATH};
use crate::errno::SysResult;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Entries (direct-mapped by a hash of the key).
const SLOTS: usize = 64;

/// Keys longer than this are not cached (nearly every directory path is
/// shorter).
const MAX_KEY: usize = 240;

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

#[derive(Default)]
pub(crate) struct DirCache {
    generation: AtomicU64,
    slots: Mutex<Vec<Option<Entry>>>,
}

fn hash(base: usize, key: &[u8]) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ base as u64;
    for &b in key {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h ^ (h >> 29)) as usize % SLOTS
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
        slots.clear();
    }

    /// The directory `key` names (from `base`), if cached and current.
    pub(crate) fn get(&self, base: usize, key: &[u8]) -> Option<Dir> {
        let generation = self.generation();
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match slots.get(hash(base, key)) {
            Some(Some(e)) if e.generation == generation && e.base == base && e.key == key => Some(e.dir.clone()),
            _ => None,
        }
    }

    /// `f` on the directory `key` names (from `base`), if cached and
    /// current, run under the cache's lock with the entry borrowed: no
    /// reference count taken and dropped (two atomic read-modify-writes,
    /// BENCHMARKS.md round 5). `f` must not use the cache or take a lock
    /// that is held while the cache is used (the mount table's); it is a
    /// host lookup of one name from the handle.
    pub(crate) fn with<R>(&self, base: usize, key: &[u8], f: impl FnOnce(&Dir) -> R) -> Option<R> {
        let generation = self.generation();
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        match slots.get(hash(base, key)) {
            Some(Some(e)) if e.generation == generation && e.base == base && e.key == key => Some(f(&e.dir)),
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
            if slots.is_empty() {
                slots.resize_with(SLOTS, || None);
            }
            slots[hash(base, key)] = Some(Entry { generation, base, key: key.to_vec(), dir: dir.clone() });
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
}
