//! Fixed ranges: non-PIE `ET_EXEC` images at their link address, outside
//! the arena, taking turns (docs/architecture.md, "Fixed-address images").
//!
//! Two images linked at the same address cannot both be present in one
//! address space, but each can have its own copy: every image loaded at its
//! link address gets a host memory object (a memfd) of its own, and the
//! range shows the copy of its current *owner*. Giving the range to another
//! copy is one `mmap(MAP_SHARED|MAP_FIXED)` of that copy's memfd over it,
//! with the rewritten syscall sites of the range swapped along (the site
//! map's set for addresses outside the arena). Nothing is copied.
//!
//! This module keeps the copies, who runs on each (`running`: the tasks
//! that may touch it right now) and the host mappings. Whether a task may
//! wait, and for how long, is the kernel's (`kernel::fixedturn`): here a
//! copy is only ever taken from its owner when no task runs on it.

use super::{checked_page_up, Memory, PAGE_SIZE};
use crate::errno::{Errno, SysResult};
use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// One process's copy of a fixed range.
struct FixedCopy {
    addr: u64,
    len: u64,
    fd: OwnedFd,
    /// The range shows this copy now.
    mapped: bool,
    /// Its rewritten syscall sites while it is not mapped.
    sites: Vec<u64>,
    /// Tasks that may touch it now (they run guest code or a syscall).
    running: BTreeSet<i32>,
    /// "pid N (program)", for messages.
    label: String,
}

impl FixedCopy {
    fn end(&self) -> u64 {
        // Checked when the copy was made.
        self.addr.saturating_add(self.len)
    }

    fn overlaps(&self, addr: u64, end: u64) -> bool {
        self.addr < end && addr < self.end()
    }
}

#[derive(Default)]
struct State {
    copies: BTreeMap<u64, FixedCopy>,
    /// Host ranges nommu holds for fixed images: mapped copies, or vacant
    /// (anonymous, no execute) where no copy is shown.
    reserved: Vec<(u64, u64)>,
    next_id: u64,
    /// Bumped at every change a waiter may be waiting for.
    generation: u64,
    /// Tasks blocked in the kernel while they keep their range (a buffer
    /// of the blocking call lies in it).
    blocked: BTreeSet<i32>,
}

/// A copy that keeps a range someone else wants.
#[derive(Clone, Debug)]
pub(crate) struct Holder {
    pub label: String,
    pub running: Vec<i32>,
}

/// The answer to "may this task run on its copy now?"
pub(crate) enum Turn {
    Owned,
    Busy(Vec<Holder>),
}

#[derive(Default)]
pub(crate) struct FixedRanges {
    state: Mutex<State>,
    changed: Condvar,
}

impl Drop for FixedRanges {
    /// The machine is gone: so are the host ranges it held.
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        for &(addr, len) in &state.reserved {
            // SAFETY: a range this module mapped; the memory (and every
            // guest that could use it) goes with the machine.
            unsafe { libc::munmap(addr as *mut libc::c_void, len as usize) };
        }
    }
}

impl FixedRanges {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `mmap` of a fixed host range (the caller holds it: a reserved range).
fn map_at(addr: u64, len: u64, prot: i32, flags: i32, fd: i32) -> SysResult<()> {
    let len = usize::try_from(len).map_err(|_| Errno::ENOMEM)?;
    // SAFETY: [addr, addr+len) is a range this module reserved for fixed
    // images (or, with MAP_FIXED_NOREPLACE, nothing is replaced); no Rust
    // object lives there.
    let p = unsafe { libc::mmap(addr as *mut libc::c_void, len, prot, flags, fd, 0) };
    if p == libc::MAP_FAILED {
        return Err(Errno::last_os_error());
    }
    if p as u64 != addr {
        // SAFETY: unmapping what the kernel just gave us elsewhere.
        unsafe { libc::munmap(p, len) };
        return Err(Errno::EEXIST);
    }
    Ok(())
}

const VACANT_PROT: i32 = libc::PROT_READ | libc::PROT_WRITE;
const VACANT_FLAGS: i32 = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;

fn overlap(a: u64, a_end: u64, b: u64, b_end: u64) -> bool {
    a < b_end && b < a_end
}

impl Memory {
    fn holders(state: &State, addr: u64, end: u64, except: Option<u64>) -> Vec<Holder> {
        state
            .copies
            .iter()
            .filter(|(&id, c)| Some(id) != except && c.mapped && c.overlaps(addr, end) && !c.running.is_empty())
            .map(|(_, c)| Holder { label: c.label.clone(), running: c.running.iter().copied().collect() })
            .collect()
    }

    /// Stops showing every mapped copy that overlaps [addr, end) (none of
    /// them has a task running on it: the caller checked).
    fn vacate_overlapping(&self, state: &mut State, addr: u64, end: u64) -> SysResult<()> {
        for c in state.copies.values_mut().filter(|c| c.mapped && c.overlaps(addr, end)) {
            c.sites = self.sites.collect_range(c.addr, c.len);
            self.sites.clear_range(c.addr, c.len);
            map_at(c.addr, c.len, VACANT_PROT, VACANT_FLAGS | libc::MAP_FIXED, -1)?;
            c.mapped = false;
        }
        Ok(())
    }

    /// Makes sure nommu holds the host range [addr, end): the parts it
    /// does not hold yet are mapped vacant and registered as guest memory.
    fn reserve(&self, state: &mut State, addr: u64, end: u64) -> SysResult<()> {
        let mut holes = vec![(addr, end)];
        for &(s, l) in &state.reserved {
            let e = s.saturating_add(l);
            holes = holes
                .into_iter()
                .flat_map(|(hs, he)| {
                    if !overlap(hs, he, s, e) {
                        return vec![(hs, he)];
                    }
                    let mut left = Vec::new();
                    if hs < s {
                        left.push((hs, s));
                    }
                    if e < he {
                        left.push((e, he));
                    }
                    left
                })
                .collect();
        }
        for (s, e) in holes {
            let len = e.saturating_sub(s);
            map_at(s, len, VACANT_PROT, VACANT_FLAGS | libc::MAP_FIXED_NOREPLACE, -1)?;
            if self.user.add_region(s, len).is_err() {
                // SAFETY: the range was just mapped here and nothing uses it.
                unsafe { libc::munmap(s as *mut libc::c_void, len as usize) };
                return Err(Errno::ENOMEM);
            }
            state.reserved.push((s, len));
        }
        Ok(())
    }

    /// A new copy of [addr, addr+len), shown at once, with `holder`
    /// running on it: EBUSY while another copy there has a task running
    /// on it (`fixed_holders` says which).
    pub(crate) fn fixed_claim(&self, addr: u64, len: u64, holder: i32, label: &str) -> SysResult<u64> {
        let len = checked_page_up(len).ok_or(Errno::ENOMEM)?;
        if !addr.is_multiple_of(PAGE_SIZE) || addr == 0 || len == 0 {
            return Err(Errno::EINVAL);
        }
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        let mut state = self.fixed.lock();
        if !Self::holders(&state, addr, end, None).is_empty() {
            return Err(Errno::EBUSY);
        }
        let name = c"nommu-fixed-image";
        // SAFETY: a valid C string; the new descriptor is owned below.
        let raw = unsafe { libc::memfd_create(name.as_ptr(), libc::MFD_CLOEXEC) };
        if raw < 0 {
            return Err(Errno::last_os_error());
        }
        // SAFETY: memfd_create returned a new descriptor nobody else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let size = libc::off_t::try_from(len).map_err(|_| Errno::ENOMEM)?;
        // SAFETY: a plain syscall on a descriptor we own.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), size) } != 0 {
            return Err(Errno::last_os_error());
        }
        self.reserve(&mut state, addr, end)?;
        self.vacate_overlapping(&mut state, addr, end)?;
        self.sites.clear_range(addr, len);
        let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
        map_at(addr, len, rwx, libc::MAP_SHARED | libc::MAP_FIXED, fd.as_raw_fd())?;
        state.next_id = state.next_id.saturating_add(1);
        let id = state.next_id;
        let copy = FixedCopy {
            addr,
            len,
            fd,
            mapped: true,
            sites: Vec::new(),
            running: BTreeSet::from([holder]),
            label: label.to_string(),
        };
        state.copies.insert(id, copy);
        self.fixed_changed(&mut state);
        Ok(id)
    }

    fn fixed_changed(&self, state: &mut State) {
        state.generation = state.generation.wrapping_add(1);
        self.fixed.changed.notify_all();
    }

    /// Lets `tid` run on copy `id`: at once if the range shows it, else by
    /// taking the range from the copies shown there, if no task runs on
    /// them.
    pub(crate) fn fixed_take(&self, id: u64, tid: i32) -> Turn {
        let mut state = self.fixed.lock();
        let Some(c) = state.copies.get(&id) else { return Turn::Owned };
        let (addr, end, len) = (c.addr, c.end(), c.len);
        if !c.mapped {
            let holders = Self::holders(&state, addr, end, Some(id));
            if !holders.is_empty() {
                return Turn::Busy(holders);
            }
            let shown = self.vacate_overlapping(&mut state, addr, end).and_then(|()| {
                let c = state.copies.get(&id).ok_or(Errno::ENOENT)?;
                let rwx = libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC;
                map_at(addr, len, rwx, libc::MAP_SHARED | libc::MAP_FIXED, c.fd.as_raw_fd())
            });
            if let Err(e) = shown {
                log::error!("cannot show the copy of {addr:#x}+{len:#x}: {e}");
                return Turn::Busy(Vec::new());
            }
            let Some(c) = state.copies.get_mut(&id) else { return Turn::Owned };
            c.mapped = true;
            for s in std::mem::take(&mut c.sites) {
                self.sites.insert(s);
            }
        }
        if let Some(c) = state.copies.get_mut(&id) {
            c.running.insert(tid);
        }
        self.fixed_changed(&mut state);
        Turn::Owned
    }

    /// `tid` no longer runs on copy `id` (it waits, or it is gone).
    pub(crate) fn fixed_park(&self, id: u64, tid: i32) {
        let mut state = self.fixed.lock();
        if let Some(c) = state.copies.get_mut(&id) {
            c.running.remove(&tid);
        }
        self.fixed_changed(&mut state);
    }

    /// `tid` blocks in the kernel keeping its range (or no longer does).
    pub(crate) fn fixed_set_blocked(&self, tid: i32, blocked: bool) {
        let mut state = self.fixed.lock();
        let changed = if blocked { state.blocked.insert(tid) } else { state.blocked.remove(&tid) };
        if changed {
            self.fixed_changed(&mut state);
        }
    }

    pub(crate) fn fixed_is_blocked(&self, tid: i32) -> bool {
        self.fixed.lock().blocked.contains(&tid)
    }

    /// The copies that keep [addr, addr+len) from a copy other than
    /// `except`: shown there, with tasks running on them.
    pub(crate) fn fixed_holders(&self, addr: u64, len: u64, except: Option<u64>) -> Vec<Holder> {
        let state = self.fixed.lock();
        Self::holders(&state, addr, addr.saturating_add(len), except)
    }

    /// The range of copy `id` and its label.
    pub(crate) fn fixed_copy(&self, id: u64) -> Option<(u64, u64, String)> {
        self.fixed.lock().copies.get(&id).map(|c| (c.addr, c.len, c.label.clone()))
    }

    /// Drops copy `id` (its process let go of the image): its memory goes
    /// with its memfd; a range that showed it becomes vacant.
    pub(crate) fn fixed_release(&self, id: u64) {
        let mut state = self.fixed.lock();
        let Some(c) = state.copies.remove(&id) else { return };
        if c.mapped {
            self.sites.clear_range(c.addr, c.len);
            if let Err(e) = map_at(c.addr, c.len, VACANT_PROT, VACANT_FLAGS | libc::MAP_FIXED, -1) {
                log::error!("cannot empty the fixed range {:#x}+{:#x}: {e}", c.addr, c.len);
            }
        }
        self.fixed_changed(&mut state);
    }

    pub(crate) fn fixed_generation(&self) -> u64 {
        self.fixed.lock().generation
    }

    /// Waits until something changes after `generation` (a copy is parked,
    /// taken or dropped), at most `timeout`.
    pub(crate) fn fixed_wait(&self, generation: u64, timeout: Duration) {
        let state = self.fixed.lock();
        let _ = self
            .fixed
            .changed
            .wait_timeout_while(state, timeout, |s| s.generation == generation)
            .map_err(|e| drop(e.into_inner()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Far from anything a test process maps, and used by this test alone.
    const AT: u64 = 0x2000_0040_0000;

    #[test]
    fn copies_take_turns_and_keep_their_bytes_and_sites() {
        let mem = Memory::new(16 << 20).unwrap();
        let a = mem.fixed_claim(AT, 0x3000, 1, "pid 1 (a)").unwrap();
        mem.user.write(AT, b"parent").unwrap();
        mem.sites.insert(AT + 0x10);
        assert_eq!(mem.fixed_claim(AT, 0x2000, 2, "pid 2 (b)"), Err(Errno::EBUSY), "task 1 runs on a");
        assert_eq!(mem.fixed_holders(AT + 0x1000, 0x1000, None).len(), 1);
        mem.fixed_park(a, 1);
        let b = mem.fixed_claim(AT, 0x2000, 2, "pid 2 (b)").unwrap();
        let mut buf = [0u8; 6];
        mem.user.read(AT, &mut buf).unwrap();
        assert_eq!(&buf, &[0; 6], "a fresh copy reads as zero");
        assert!(!mem.sites.contains(AT + 0x10), "a's sites went with it");
        mem.user.write(AT, b"child!").unwrap();
        let Turn::Busy(h) = mem.fixed_take(a, 1) else { panic!("b has a task running") };
        assert_eq!(h[0].label, "pid 2 (b)");
        mem.fixed_park(b, 2);
        assert!(matches!(mem.fixed_take(a, 1), Turn::Owned));
        mem.user.read(AT, &mut buf).unwrap();
        assert_eq!(&buf, b"parent");
        assert!(mem.sites.contains(AT + 0x10), "a's sites are back");
        mem.fixed_park(a, 1);
        assert!(matches!(mem.fixed_take(b, 2), Turn::Owned));
        mem.user.read(AT, &mut buf).unwrap();
        assert_eq!(&buf, b"child!");
        mem.fixed_release(b);
        mem.fixed_set_blocked(1, true);
        assert!(matches!(mem.fixed_take(a, 1), Turn::Owned), "b is gone: a is shown again");
        assert!(mem.fixed_is_blocked(1));
        mem.fixed_release(a);
        assert!(!mem.sites.contains(AT + 0x10));
    }
}
