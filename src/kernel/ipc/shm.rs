//! Shared memory segments (`ipc/shm.c`) on a no-MMU machine: a segment
//! is one run of arena memory, allocated by shmget, and every attachment
//! of it (in any process) is that same address, as on no-MMU Linux, where
//! a segment's pages are contiguous memory that every mapping shares.
//! The memory goes back to the arena when the segment has been removed
//! (IPC_RMID) and its last attachment is gone.

use super::{now, proc_line_start, proc_owners, Entry, Table};
use crate::abi::ipc::{
    ShmInfo, Shmid64Ds, Shminfo64, IPC_PRIVATE, SHMALL, SHMMAX, SHMMIN, SHMMNI, SHM_DEST, SHM_LOCKED,
};
use crate::errno::{Errno, SysResult};
use crate::mm::{checked_page_up, Memory, PAGE_SIZE};
use std::fmt::Write as _;

pub struct Segment {
    /// Where it is, for every attachment, and its length in whole pages.
    pub addr: u64,
    pub len: u64,
    /// The size asked for.
    segsz: u64,
    cpid: i32,
    lpid: i32,
    atime: i64,
    dtime: i64,
    ctime: i64,
    nattch: u64,
}

/// What IPC_STAT shows of a segment.
fn stat(e: &Entry<Segment>) -> Shmid64Ds {
    let s = &e.obj;
    Shmid64Ds {
        shm_perm: e.perm.to_abi(),
        shm_segsz: s.segsz,
        shm_atime: s.atime,
        shm_dtime: s.dtime,
        shm_ctime: s.ctime,
        shm_cpid: s.cpid,
        shm_lpid: s.lpid,
        shm_nattch: s.nattch,
        ..Default::default()
    }
}

impl Table<Segment> {
    fn total_pages(&self) -> u64 {
        self.iter().map(|e| e.obj.len / PAGE_SIZE).fold(0, u64::saturating_add)
    }

    /// shmget: a new segment is `size` bytes (SHMMIN..=SHMMAX, else
    /// EINVAL) of zeroed arena memory; an existing one must be at least
    /// that big (EINVAL).
    pub(crate) fn get_segment(&mut self, mem: &Memory, key: i32, size: u64, flags: i32, pid: i32) -> SysResult<i32> {
        let total = self.total_pages();
        let full = self.in_use() >= SHMMNI as usize;
        let check = |e: &Entry<Segment>| if e.obj.segsz < size { Err(Errno::EINVAL) } else { Ok(()) };
        let make = || {
            if !(SHMMIN..=SHMMAX).contains(&size) {
                return Err(Errno::EINVAL);
            }
            let len = checked_page_up(size).ok_or(Errno::ENOSPC)?;
            if total.checked_add(len / PAGE_SIZE).is_none_or(|t| t > SHMALL) || full {
                return Err(Errno::ENOSPC);
            }
            let addr = mem.alloc(len, PAGE_SIZE)?;
            let ctime = now();
            Ok(Segment { addr, len, segsz: size, cpid: pid, lpid: 0, atime: 0, dtime: 0, ctime, nattch: 0 })
        };
        self.get_or_make(key, flags, SHMMNI, check, make)
    }

    /// shmat: one more attachment of segment `id`; `want` (non-zero) must
    /// be its address (EINVAL). Returns (address, length).
    pub(crate) fn attach(&mut self, id: i32, want: u64, pid: i32) -> SysResult<(u64, u64)> {
        let s = &mut self.get(id)?.obj;
        if want != 0 && want != s.addr {
            return Err(Errno::EINVAL);
        }
        s.nattch = s.nattch.saturating_add(1);
        s.atime = now();
        s.lpid = pid;
        Ok((s.addr, s.len))
    }

    /// One attachment of the segment at `addr` is gone (shmdt, or the
    /// memory of a process that ended or exec'd): a removed segment with
    /// no attachment left goes back to the arena.
    pub(crate) fn detach(&mut self, mem: &Memory, addr: u64, pid: i32) {
        let Some(e) = self.iter_mut().find(|e| e.obj.addr == addr) else { return };
        let s = &mut e.obj;
        s.nattch = s.nattch.saturating_sub(1);
        s.dtime = now();
        s.lpid = pid;
        if s.nattch == 0 && e.perm.mode & SHM_DEST != 0 {
            let id = e.id;
            self.destroy(mem, id);
        }
    }

    fn destroy(&mut self, mem: &Memory, id: i32) {
        if let Some(e) = self.remove(id) {
            mem.free(e.obj.addr, e.obj.len);
        }
    }

    /// IPC_RMID: gone at once when nothing is attached; else marked
    /// (SHM_DEST), its key made private so that shmget no longer finds it,
    /// and gone at the last detach.
    pub(crate) fn remove_segment(&mut self, mem: &Memory, id: i32) -> SysResult<()> {
        let e = self.get(id)?;
        if e.obj.nattch > 0 {
            e.perm.mode |= SHM_DEST;
            e.perm.key = IPC_PRIVATE;
            return Ok(());
        }
        self.destroy(mem, id);
        Ok(())
    }

    /// IPC_STAT (by id) or SHM_STAT / SHM_STAT_ANY (by index, returning
    /// the id).
    pub(crate) fn stat_segment(&mut self, id: i32, by_index: bool) -> SysResult<(Shmid64Ds, i32)> {
        let e = if by_index { self.at_index(id)? } else { self.get(id)? };
        Ok((stat(e), if by_index { e.id } else { 0 }))
    }

    /// IPC_SET.
    pub(crate) fn set_segment(&mut self, id: i32, ds: &Shmid64Ds) -> SysResult<()> {
        let e = self.get(id)?;
        e.perm.update(&ds.shm_perm)?;
        e.obj.ctime = now();
        Ok(())
    }

    /// SHM_LOCK / SHM_UNLOCK: the memory never pages out anyway; the mode
    /// says it.
    pub(crate) fn lock_segment(&mut self, id: i32, lock: bool) -> SysResult<()> {
        let e = self.get(id)?;
        if lock {
            e.perm.mode |= SHM_LOCKED;
        } else {
            e.perm.mode &= !SHM_LOCKED;
        }
        Ok(())
    }

    /// IPC_INFO, with the highest index in use.
    pub(crate) fn ipc_info(&self) -> (Shminfo64, i32) {
        let info = Shminfo64 {
            shmmax: SHMMAX,
            shmmin: SHMMIN,
            shmmni: u64::from(SHMMNI),
            shmseg: u64::from(SHMMNI),
            shmall: SHMALL,
            ..Default::default()
        };
        (info, self.max_idx().max(0))
    }

    /// SHM_INFO, with the highest index in use. Every page counts as
    /// resident (none is ever swapped).
    pub(crate) fn shm_info(&self) -> (ShmInfo, i32) {
        let pages = self.total_pages();
        let info = ShmInfo {
            used_ids: i32::try_from(self.in_use()).unwrap_or(i32::MAX),
            shm_tot: pages,
            shm_rss: pages,
            ..Default::default()
        };
        (info, self.max_idx().max(0))
    }

    /// /proc/sysvipc/shm.
    pub(crate) fn proc_text(&self) -> String {
        let mut s = String::from(
            "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n",
        );
        for e in self.iter() {
            let g = &e.obj;
            proc_line_start(&mut s, e.id, &e.perm);
            let _ = write!(s, "{:>21} {:>5} {:>5}  {:>5} ", g.segsz, g.cpid, g.lpid, g.nattch);
            proc_owners(&mut s, &e.perm);
            let _ = writeln!(s, " {:>10} {:>10} {:>10} {:>21} {:>21}", g.atime, g.dtime, g.ctime, g.len, 0);
        }
        s
    }
}
