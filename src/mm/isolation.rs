//! `--isolate`, the memory side: which protection key each arena page
//! carries (issue 19, `arch::x86_64::pkeys` for the keys themselves).
//!
//! - Memory nobody owns (free pages, the allocator's cached ones) carries
//!   the free key, which no task is granted.
//! - Memory just allocated carries key 0, which every task is granted:
//!   what the kernel hands out without a process (SysV shm segments) stays
//!   shared; what becomes a process's region gets the process's key
//!   (`kernel::regions::Mm`), as soon as it is recorded.
//! - A syscall's user buffer in a page whose key is neither 0 nor the
//!   caller's is EFAULT (`UserMemory::unguarded`).
//!
//! The keys of pages are also kept here (4 bits a page, stored XOR the
//! free key so that the zeroed map says "free"), for those checks and for
//! the crash line that names what a stray access hit.

use super::{Memory, PAGE_SIZE};
use crate::arch::pkeys::{self, HostKeys};
use crate::errno::{Errno, SysResult};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once isolation is on: the one branch the default path pays in
/// `UserMemory::unguarded`.
static ISOLATING: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// The key of the process whose syscall this thread runs (0: none, no
    /// check).
    static CALLER_KEY: Cell<u32> = const { Cell::new(0) };
}

const RWX: i32 = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
const PAGES_PER_WORD: u64 = 16;

/// The key of every arena page.
pub(crate) struct PageKeys {
    base: u64,
    pages: u64,
    free: u32,
    words: super::zeroed::ZeroedWords,
}

impl PageKeys {
    fn new(base: u64, size: u64, free: u32) -> std::io::Result<PageKeys> {
        let pages = size / PAGE_SIZE;
        let nwords = usize::try_from(pages.div_ceil(PAGES_PER_WORD))
            .map_err(|_| std::io::Error::from_raw_os_error(libc::ENOMEM))?;
        Ok(PageKeys { base, pages, free, words: super::zeroed::ZeroedWords::new(nwords)? })
    }

    /// Pages [first, end) of the arena that [addr, addr+len) touches.
    fn pages_of(&self, addr: u64, len: u64) -> (u64, u64) {
        let first = addr.saturating_sub(self.base) / PAGE_SIZE;
        let end = addr.saturating_add(len).saturating_sub(self.base).div_ceil(PAGE_SIZE);
        (first.min(self.pages), end.min(self.pages))
    }

    fn set(&self, addr: u64, len: u64, key: u32) {
        let (mut page, end) = self.pages_of(addr, len);
        let nibble = u64::from((key ^ self.free) & 0xf);
        while page < end {
            let (w, shift) = ((page / PAGES_PER_WORD) as usize, (page % PAGES_PER_WORD).wrapping_mul(4));
            if shift == 0 && end.saturating_sub(page) >= PAGES_PER_WORD {
                self.words[w].store(nibble.wrapping_mul(0x1111_1111_1111_1111), Ordering::Release);
                page = page.saturating_add(PAGES_PER_WORD);
                continue;
            }
            self.words[w].fetch_and(!(0xf << shift), Ordering::AcqRel);
            self.words[w].fetch_or(nibble << shift, Ordering::AcqRel);
            page = page.saturating_add(1);
        }
    }

    /// The key of the page at `addr` (None outside the arena).
    pub(crate) fn key_at(&self, addr: u64) -> Option<u32> {
        let page = addr.checked_sub(self.base)? / PAGE_SIZE;
        if page >= self.pages {
            return None;
        }
        let word = self.words[(page / PAGES_PER_WORD) as usize].load(Ordering::Acquire);
        Some(((word >> ((page % PAGES_PER_WORD).wrapping_mul(4))) & 0xf) as u32 ^ self.free)
    }

    /// Does every arena page of [addr, addr+len) carry key 0 or `key`?
    fn all_granted(&self, addr: u64, len: u64, key: u32) -> bool {
        let (first, end) = self.pages_of(addr, len);
        (first..end).all(|p| {
            let k = self.key_at(self.base.saturating_add(p.saturating_mul(PAGE_SIZE))).unwrap_or(0);
            k == 0 || k == key
        })
    }
}

/// Runs the syscalls of the process whose memory carries `key` on this
/// thread until dropped; the caller before it (a vfork parent whose
/// child's loop runs inside its vfork, or none) gets its key back then.
pub(crate) struct CallerKey(u32);

impl CallerKey {
    pub(crate) fn enter(key: u32) -> CallerKey {
        CallerKey(CALLER_KEY.with(|k| k.replace(key)))
    }
}

impl Drop for CallerKey {
    fn drop(&mut self) {
        CALLER_KEY.with(|k| k.set(self.0));
    }
}

/// The calling thread's syscalls are now those of the process whose
/// memory carries `key` (inside a `CallerKey`'s scope).
pub(crate) fn set_caller_key(key: u32) {
    CALLER_KEY.with(|k| k.set(key));
}

/// Runs `f` with no caller's key checked: the kernel reading another
/// process's memory on purpose (/proc/PID/cmdline).
pub(crate) fn as_kernel<R>(f: impl FnOnce() -> R) -> R {
    let _kernel = CallerKey::enter(0);
    f()
}

impl super::UserMemory {
    /// Under `--isolate`: EFAULT for a range in memory that is neither the
    /// calling process's nor shared.
    #[cold]
    pub(super) fn check_owner(&self, addr: u64, len: usize) -> SysResult<()> {
        let key = CALLER_KEY.with(|k| k.get());
        match self.page_keys.get() {
            Some(keys) if key != 0 && len != 0 && !keys.all_granted(addr, len as u64, key) => {
                log::debug!("isolate: {addr:#x}+{len:#x} (key {:?}) is not key {key}'s: EFAULT", keys.key_at(addr));
                Err(Errno::EFAULT)
            }
            _ => Ok(()),
        }
    }

    #[inline]
    pub(super) fn isolating() -> bool {
        ISOLATING.load(Ordering::Relaxed)
    }
}

impl Memory {
    /// Turns isolation on: takes the host's keys and gives the whole arena
    /// the free key. Before any allocation.
    pub fn isolate(&self) -> std::io::Result<&'static HostKeys> {
        let keys = pkeys::allocate()?;
        let map = PageKeys::new(self.arena.base(), self.arena.size(), keys.free)?;
        if self.user.page_keys.set(map).is_err() {
            return Ok(keys);
        }
        pkeys::pkey_mprotect(self.arena.base(), self.arena.size(), RWX, keys.free)?;
        ISOLATING.store(true, Ordering::Relaxed);
        Ok(keys)
    }

    /// The key of the arena page at `addr`, under `--isolate`.
    pub(crate) fn key_at(&self, addr: u64) -> Option<u32> {
        self.user.page_keys.get()?.key_at(addr)
    }

    /// Gives [start, start+len) (arena pages) `key`, each page keeping the
    /// protection it has: inaccessible, read-only text, or all access.
    /// Nothing without `--isolate`. A page the host refuses keeps its key
    /// (isolation partial there, never wrong: logged).
    pub(crate) fn set_key(&self, start: u64, len: u64, key: u32) {
        let Some(map) = self.user.page_keys.get() else { return };
        let Some(len) = super::checked_page_up(len).filter(|&l| self.arena.contains(start, l)) else { return };
        if len == 0 {
            return;
        }
        let end = start.saturating_add(len);
        let guarded = self.user.guards.runs(start, len, true);
        let mut at = start;
        let apply = |s: u64, e: u64, prot: i32| {
            if e > s {
                if let Err(err) = pkeys::pkey_mprotect(s, e.saturating_sub(s), prot, key) {
                    log::debug!("isolate: key {key} for {s:#x}..{e:#x}: {err}");
                }
            }
        };
        let accessible = |s: u64, e: u64| {
            if e <= s {
                return;
            }
            let mut at = s;
            for (rs, rl) in self.user.readonly.runs(s, e.saturating_sub(s), true) {
                apply(at, rs, RWX);
                apply(rs, rs.saturating_add(rl), libc::PROT_READ | libc::PROT_EXEC);
                at = rs.saturating_add(rl);
            }
            apply(at, e, RWX);
        };
        for (gs, gl) in guarded {
            accessible(at, gs);
            if let Err(err) = pkeys::pkey_mprotect(gs, gl, libc::PROT_NONE, key) {
                log::debug!("isolate: key {key} for guard {gs:#x}+{gl:#x}: {err}");
            }
            at = gs.saturating_add(gl);
        }
        accessible(at, end);
        map.set(start, len, key);
    }

    /// Just allocated: shared (key 0) until a process records it.
    pub(super) fn key_allocated(&self, start: u64, len: u64) {
        if UserMemory::isolating() {
            self.set_key(start, len, 0);
        }
    }

    /// Given back: nobody's.
    pub(super) fn key_freed(&self, start: u64, len: u64) {
        if let Some(map) = self.user.page_keys.get() {
            self.set_key(start, len, map.free);
        }
    }
}

use super::UserMemory;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keys_read_back_what_was_set_and_start_free() {
        let base = 0x10_0000;
        let map = PageKeys::new(base, 64 * PAGE_SIZE, 2).unwrap();
        assert_eq!(map.key_at(base), Some(2));
        map.set(base + PAGE_SIZE, 20 * PAGE_SIZE, 5);
        assert_eq!(map.key_at(base), Some(2));
        assert_eq!(map.key_at(base + PAGE_SIZE), Some(5));
        assert_eq!(map.key_at(base + 20 * PAGE_SIZE), Some(5));
        assert_eq!(map.key_at(base + 21 * PAGE_SIZE), Some(2));
        map.set(base + 3 * PAGE_SIZE, PAGE_SIZE, 0);
        assert!(map.all_granted(base + PAGE_SIZE, 5 * PAGE_SIZE, 5));
        assert!(!map.all_granted(base, 2 * PAGE_SIZE, 5));
        assert_eq!(map.key_at(base + 64 * PAGE_SIZE), None);
    }
}
