//! Main stacks committed as they grow (docs/architecture.md, "Exec
//! without copying", step 3). A no-MMU kernel hands each process its whole
//! stack at exec; nommu has the host MMU, so, as Linux does for a stack
//! VMA, it reserves the stack (inaccessible, no memory), makes the top
//! `STACK_INITIAL` bytes accessible, and commits more below them when the
//! guest touches it: a guest fault there (the run loop asks `grow_stack`),
//! or a syscall reaching there (`UserMemory::unguarded` and the host-call
//! paths ask `grow_stack_over`). The `STACK_GUARD` pages below the stack
//! never grow: touching them is a fault, as before.

use super::{checked_page_up, memory::STACK_GUARD, Memory, UserMemory, PAGE_SIZE};
use crate::errno::{Errno, SysResult};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What a stack has accessible at exec (below that it grows): 128 KiB, as
/// Linux's `setup_arg_pages` expands a new stack VMA by.
pub(crate) const STACK_INITIAL: u64 = 128 << 10;

/// How much a stack grows by at least: one guest fault per 64 KiB (Linux
/// grows by the faulting page; a fault here is a host signal, dearer).
const GROW_STEP: u64 = 64 << 10;

/// A stack's growable range [bottom, top) and the lowest page it has
/// accessible (`low`): it grows from `low` down to `bottom`.
#[derive(Clone, Copy, Debug)]
struct Stack {
    top: u64,
    low: u64,
}

/// The growing stacks, by bottom.
#[derive(Default)]
pub(crate) struct Stacks {
    map: Mutex<BTreeMap<u64, Stack>>,
}

impl Stacks {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Stack>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets the stacks whose bottom lies in [start, start+len) (freed).
    pub(super) fn forget(&self, start: u64, len: u64) {
        let mut map = self.lock();
        if map.is_empty() {
            return;
        }
        let end = start.saturating_add(len);
        let gone: Vec<u64> = map.range(start..end).map(|(&b, _)| b).collect();
        for b in gone {
            map.remove(&b);
        }
    }
}

impl UserMemory {
    /// Grows the stack that [addr, addr+len) reaches into below what it
    /// has accessible, committing the pages (as Linux's `expand_stack`):
    /// true if the range is then accessible. False (nothing changed) when
    /// it is no stack's, lies in a guard, or `--mem` is used up.
    #[cold]
    #[inline(never)]
    pub(super) fn grow_stack_over(&self, addr: u64, len: u64) -> bool {
        let mut commit = self.commit.lock().unwrap_or_else(|e| e.into_inner());
        let mut stacks = self.stacks.lock();
        let Some((&bottom, st)) = stacks.range_mut(..=addr).next_back() else { return false };
        if addr >= st.low || addr >= st.top {
            return false;
        }
        // Down to the page touched, by GROW_STEP at least, not past bottom.
        let want = (addr & !(PAGE_SIZE - 1)).min(st.low.saturating_sub(GROW_STEP));
        let new_low = want.max(bottom);
        let span = st.low.saturating_sub(new_low);
        let runs = self.guards.runs(new_low, span, true);
        let bytes = runs.iter().map(|&(_, l)| l).sum::<u64>();
        if !commit.charge(bytes) {
            return false;
        }
        for &(s, l) in &runs {
            if let Err(e) = super::arena::set_protection(s, l, super::arena::RWX) {
                log::error!("cannot grow the stack at {s:#x}+{l:#x}: {e}");
                let undone = runs.iter().take_while(|&&(rs, _)| rs < s).map(|&(_, l)| l).sum::<u64>();
                commit.uncharge(bytes.saturating_sub(undone));
                return false;
            }
            self.guards.set(s, l, false);
        }
        st.low = new_low;
        drop(stacks);
        drop(commit);
        !self.guards.overlaps(addr, len)
    }
}

impl Memory {
    /// A main stack as Linux's no-MMU kernel gives it (`--strict`):
    /// fs/binfmt_elf_fdpic.c maps `len` bytes with `vm_mmap` (one block
    /// from the buddy allocator, `alloc_block`), all of it committed at
    /// once, with no guard below it and no growth (mm/nommu.c
    /// `expand_stack` is ENOMEM). (start, len, bottom) as `alloc_stack`.
    pub(crate) fn alloc_stack_whole(&self, len: u64) -> SysResult<(u64, u64, u64)> {
        let len = checked_page_up(len).ok_or(Errno::ENOMEM)?;
        let start = self.alloc_block(len)?;
        Ok((start, len, start))
    }

    /// A main stack of `len` bytes with `STACK_GUARD` inaccessible bytes
    /// below it, so that an overflow faults: returns (allocation start,
    /// allocation length, stack bottom). With `grow` (and reservations
    /// on) only the top `STACK_INITIAL` bytes are accessible (committed)
    /// at first; the rest is committed as the guest reaches it, but the
    /// whole of it must fit in what is free now. Freeing the allocation
    /// removes the guard.
    pub(crate) fn alloc_stack(&self, len: u64, grow: bool) -> SysResult<(u64, u64, u64)> {
        let len = checked_page_up(len).ok_or(Errno::ENOMEM)?;
        let total = len.checked_add(STACK_GUARD).ok_or(Errno::ENOMEM)?;
        if !grow || !self.lazy || len <= STACK_INITIAL {
            let start = self.alloc(total, PAGE_SIZE)?;
            // Without the guard the stack still works (as on a no-MMU kernel).
            let _ = self.set_inaccessible(start, STACK_GUARD, true);
            // Inside the allocation, which lies in the arena: cannot wrap.
            return Ok((start, total, start.saturating_add(STACK_GUARD)));
        }
        // Allocated and made inaccessible below the top in one host call,
        // guard included (as many as a fully committed stack takes).
        let mut commit = self.commit();
        if !commit.fits(len) {
            // A program that could not grow its stack to its size fails
            // to exec (ENOMEM), as it did when the stack was committed at
            // exec, rather than start and die of it (glibc's startup ends
            // in a fault when it cannot allocate its TLS).
            return Err(Errno::ENOMEM);
        }
        let start = self.allocator().alloc(total, PAGE_SIZE).ok_or(Errno::ENOMEM)?;
        // Inside the allocation, which lies in the arena: cannot wrap.
        let top = start.saturating_add(total);
        let (bottom, low) = (start.saturating_add(STACK_GUARD), top.saturating_sub(STACK_INITIAL));
        if let Err(e) = self.protect(start, low.saturating_sub(start), true) {
            drop(commit);
            self.allocator().free(start, total);
            return Err(e);
        }
        commit.charge(STACK_INITIAL);
        drop(commit);
        // What was kept populated there: zeroed at the top, given back below.
        for (s, l) in self.resident().take(start, total) {
            let (cut, end) = (s.max(low), s.saturating_add(l));
            if s < low {
                self.arena.discard(s, low.min(end).saturating_sub(s));
            }
            if cut < end {
                self.arena.zero(cut, end.saturating_sub(cut));
            }
        }
        self.user.stacks.lock().insert(bottom, Stack { top, low });
        Ok((start, total, bottom))
    }

    /// The accessible runs of [addr, addr+len) as a program sees them: a
    /// main stack's part not grown yet counts as accessible (Linux shows
    /// a stack as one mapping; glibc's `pthread_getattr_np` sizes the main
    /// thread's stack by what lies below it in /proc/self/maps).
    pub(crate) fn runs_as_mapped(&self, addr: u64, len: u64) -> Vec<(u64, u64)> {
        let mut runs = self.accessible_runs(addr, len);
        let end = addr.saturating_add(len);
        let stacks = self.user.stacks.lock();
        for (&bottom, st) in stacks.range(..end).filter(|(_, st)| st.top > addr) {
            let (s, e) = (bottom.max(addr), st.low.min(end));
            if s < e {
                runs.push((s, e.saturating_sub(s)));
            }
        }
        drop(stacks);
        runs.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(runs.len());
        for (s, l) in runs {
            match merged.last_mut() {
                Some((ms, ml)) if ms.saturating_add(*ml) >= s => {
                    *ml = s.saturating_add(l).max(ms.saturating_add(*ml)).saturating_sub(*ms)
                }
                _ => merged.push((s, l)),
            }
        }
        merged
    }

    /// A guest fault at `addr`: true if it was a stack not yet grown that
    /// far, and it has grown (the guest runs the access again).
    pub(crate) fn grow_stack(&self, addr: u64) -> bool {
        self.user.guards.overlaps(addr, 1) && self.user.grow_stack_over(addr, 1)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    const MIB: u64 = 1 << 20;

    #[test]
    fn a_stack_commits_its_top_and_grows_as_reached() {
        let m = Memory::with_address_space(4 * MIB, 1 << 30).unwrap();
        let (start, total, bottom) = m.alloc_stack(MIB, true).unwrap();
        let top = start + total;
        assert_eq!((bottom, m.stats().committed), (start + STACK_GUARD, STACK_INITIAL));
        assert_eq!(m.accessible_runs(start, total), vec![(top - STACK_INITIAL, STACK_INITIAL)]);
        assert_eq!(m.runs_as_mapped(start, total), vec![(bottom, top - bottom)], "one mapping, as shown");
        // A syscall writing below what is accessible grows the stack.
        let deep = top - 300 * 1024;
        m.user.write(deep, b"deep").unwrap();
        let committed = m.stats().committed;
        assert!(committed > STACK_INITIAL && committed <= 300 * 1024 + GROW_STEP, "{committed:#x}");
        // A guest fault in it too; never in the guard below.
        assert!(m.grow_stack(bottom + 100));
        assert_eq!(m.stats().committed, MIB);
        assert!(!m.grow_stack(bottom - 1), "the guard");
        assert_eq!(m.user.write(bottom - 8, b"x"), Err(Errno::EFAULT));
        let mut buf = [0u8; 4];
        m.user.read(deep, &mut buf).unwrap();
        assert_eq!(&buf, b"deep");
        m.free(start, total);
        assert_eq!(m.stats().committed, 0);
        assert!(!m.grow_stack(bottom + 100), "forgotten when freed");
        // A stack that does not fit is ENOMEM; past --mem it does not grow.
        assert_eq!(m.alloc_stack(8 * MIB, true), Err(Errno::ENOMEM));
        let (start, total, bottom) = m.alloc_stack(3 * MIB, true).unwrap();
        let hog = m.alloc(2 * MIB, PAGE_SIZE).unwrap();
        assert!(!m.grow_stack(bottom + 4096));
        assert_eq!(m.user.write(bottom + 4096, b"x"), Err(Errno::EFAULT));
        m.free(hog, 2 * MIB);
        m.free(start, total);
        // Without growing, all of it is committed.
        let (start, total, _) = m.alloc_stack(MIB, false).unwrap();
        assert_eq!(m.stats().committed, MIB);
        m.free(start, total);
    }
}
