//! System V IPC: message queues, semaphore arrays and shared memory
//! segments, machine-wide kernel objects of this machine (the host's IPC
//! objects are never used nor seen). Each kind has its own table of ids,
//! allocated as Linux allocates them (`ipc/util.c`: the lowest index past
//! the last one handed out, cycling, with a sequence number that grows
//! each time the indices wrap), so ids look like Linux's.
//!
//! The handlers (`syscall::ipc`) copy to and from guest memory and do the
//! waiting; the objects here change only under their table's lock. A task
//! that must wait takes the object's `WaitQ` and sleeps on it with no lock
//! held; every change that could let a waiter go on bumps it.

pub mod msg;
pub mod sem;
pub mod shm;

use crate::abi::ipc::{Ipc64Perm, IPCMNI, IPCMNI_SHIFT, IPC_CREAT, IPC_EXCL, IPC_PRIVATE};
use crate::abi::stat::S_IRWXUGO;
use crate::errno::{Errno, SysResult};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The highest sequence number (INT_MAX >> IPCMNI_SHIFT); it then wraps.
const SEQ_MAX: u32 = (i32::MAX as u32) >> IPCMNI_SHIFT;
/// Indices cycle through at least this many before reusing low ones.
const MIN_CYCLE: u32 = 64;

/// The machine's SysV IPC objects.
#[derive(Default)]
pub struct Ipc {
    pub(crate) msg: Mutex<Table<msg::MsgQueue>>,
    pub(crate) sem: Mutex<sem::SemSpace>,
    pub(crate) shm: Mutex<Table<shm::Segment>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Ipc {
    pub(crate) fn msg(&self) -> MutexGuard<'_, Table<msg::MsgQueue>> {
        lock(&self.msg)
    }

    pub(crate) fn sem(&self) -> MutexGuard<'_, sem::SemSpace> {
        lock(&self.sem)
    }

    pub(crate) fn shm(&self) -> MutexGuard<'_, Table<shm::Segment>> {
        lock(&self.shm)
    }

    /// Process `pid` is gone: its semaphore adjustments (SEM_UNDO) are
    /// applied. (Its shared memory attachments go with its memory, see
    /// `kernel::regions::Mm`.)
    pub(crate) fn exit_process(&self, pid: i32) {
        self.sem().exit_process(pid);
    }

    /// /proc/sysvipc/`name`, or None for a name that is not there.
    pub(crate) fn proc_file(&self, name: &[u8]) -> Option<Vec<u8>> {
        let text = match name {
            b"msg" => self.msg().proc_text(),
            b"sem" => self.sem().table.proc_text(),
            b"shm" => self.shm().proc_text(),
            _ => return None,
        };
        Some(text.into_bytes())
    }

    /// What /proc/<pid>/maps says of the segment at `addr`.
    pub(crate) fn shm_map_label(&self, addr: u64) -> String {
        let key = self.shm().iter().find(|e| e.obj.addr == addr).map_or(0, |e| e.perm.key);
        format!("/SYSV{key:08x} (deleted)")
    }

    /// Bytes of shared memory in use (for /proc/meminfo's Shmem).
    pub(crate) fn shm_bytes(&self) -> u64 {
        self.shm().iter().map(|e| e.obj.len).fold(0, u64::saturating_add)
    }
}

/// The names under /proc/sysvipc.
pub const PROC_FILES: [&str; 3] = ["msg", "sem", "shm"];

/// Seconds since the epoch (the `*time` fields).
pub(crate) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// What a waiting task sleeps on: a counter bumped at every change, and
/// whether the object is gone.
#[derive(Debug, Default)]
pub struct WaitQ {
    pub(crate) seq: AtomicU32,
    removed: AtomicBool,
}

impl WaitQ {
    /// Something changed: every waiter looks again.
    pub(crate) fn wake(&self) {
        self.seq.fetch_add(1, Ordering::Release);
        crate::arch::host::futex_wake(&self.seq, i32::MAX);
    }

    pub(crate) fn current(&self) -> u32 {
        self.seq.load(Ordering::Acquire)
    }

    pub(crate) fn is_removed(&self) -> bool {
        self.removed.load(Ordering::Acquire)
    }

    fn remove(&self) {
        self.removed.store(true, Ordering::Release);
        self.wake();
    }
}

/// `struct kern_ipc_perm`: who owns an object and who may use it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u32,
}

impl Perm {
    pub(crate) fn to_abi(self) -> Ipc64Perm {
        Ipc64Perm {
            key: self.key,
            uid: self.uid,
            gid: self.gid,
            cuid: self.cuid,
            cgid: self.cgid,
            mode: self.mode,
            // The structure has 16 bits for it.
            seq: self.seq as u16,
            ..Default::default()
        }
    }

    /// IPC_SET (`ipc_update_perm`): the owner and the permission bits; an
    /// id of -1 is EINVAL.
    pub(crate) fn update(&mut self, from: &Ipc64Perm) -> SysResult<()> {
        if from.uid == u32::MAX || from.gid == u32::MAX {
            return Err(Errno::EINVAL);
        }
        self.uid = from.uid;
        self.gid = from.gid;
        self.mode = (self.mode & !S_IRWXUGO) | (from.mode & S_IRWXUGO);
        Ok(())
    }
}

/// One object in a table.
pub struct Entry<T> {
    pub id: i32,
    pub perm: Perm,
    pub wait: Arc<WaitQ>,
    pub obj: T,
}

/// The objects of one kind, by index (an id's low 15 bits).
pub struct Table<T> {
    entries: BTreeMap<u32, Entry<T>>,
    /// The last index handed out (-1: none yet), and the next to try.
    last_idx: Option<u32>,
    next: u32,
    seq: u32,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { entries: BTreeMap::new(), last_idx: None, next: 0, seq: 0 }
    }
}

/// The index part of an id (also what `*_STAT` takes).
pub(crate) fn index_of(id: i32) -> u32 {
    (id as u32) & (IPCMNI - 1)
}

impl<T> Table<T> {
    pub(crate) fn in_use(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry<T>> {
        self.entries.values()
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = &mut Entry<T>> {
        self.entries.values_mut()
    }

    /// The highest index in use, -1 when there is none (`ipc_get_maxidx`);
    /// what `IPC_INFO` and friends return (0 for none).
    pub(crate) fn max_idx(&self) -> i32 {
        self.entries.keys().next_back().map_or(-1, |&i| i as i32)
    }

    /// The object with this id: EINVAL if there is none, or the index
    /// holds another one (the sequence number differs).
    pub(crate) fn get(&mut self, id: i32) -> SysResult<&mut Entry<T>> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        self.entries.get_mut(&index_of(id)).filter(|e| e.id == id).ok_or(Errno::EINVAL)
    }

    /// The object at an index (`*_STAT`): EINVAL if there is none.
    pub(crate) fn at_index(&mut self, id: i32) -> SysResult<&mut Entry<T>> {
        self.entries.get_mut(&index_of(id)).ok_or(Errno::EINVAL)
    }

    fn find_key(&self, key: i32) -> Option<u32> {
        self.entries.iter().find(|(_, e)| e.perm.key == key).map(|(&i, _)| i)
    }

    /// The `*get` calls (`ipcget`): IPC_PRIVATE makes a new object;
    /// another key finds the object that has it (EEXIST with IPC_CREAT |
    /// IPC_EXCL, then `check`'s answer), or makes one with IPC_CREAT, else
    /// ENOENT. `make` builds the new object (its errors come before the
    /// table's ENOSPC past `limit` objects). Returns the id.
    pub(crate) fn get_or_make(
        &mut self,
        key: i32,
        flags: i32,
        limit: u32,
        check: impl FnOnce(&Entry<T>) -> SysResult<()>,
        make: impl FnOnce() -> SysResult<T>,
    ) -> SysResult<i32> {
        if key != IPC_PRIVATE {
            if let Some(idx) = self.find_key(key) {
                if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                let e = &self.entries[&idx];
                check(e)?;
                // The caller is root (CAP_IPC_OWNER): no access check fails.
                return Ok(e.id);
            }
            if flags & IPC_CREAT == 0 {
                return Err(Errno::ENOENT);
            }
        }
        let obj = make()?;
        self.add(key, flags as u32 & S_IRWXUGO, limit, obj)
    }

    /// `ipc_addid`: the next index past the last one given (cycling below
    /// max(in use × 1.5, 64)), the sequence number growing when the
    /// indices wrap. The creator is root.
    fn add(&mut self, key: i32, mode: u32, limit: u32, obj: T) -> SysResult<i32> {
        let in_use = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        if in_use >= limit.min(IPCMNI) {
            return Err(Errno::ENOSPC);
        }
        let end = (in_use.saturating_mul(3) / 2).clamp(MIN_CYCLE, IPCMNI);
        let start = if self.next >= end { 0 } else { self.next };
        let free = |i: &u32| !self.entries.contains_key(i);
        let idx = (start..end).find(free).or_else(|| (0..start).find(free)).ok_or(Errno::ENOSPC)?;
        if self.last_idx.is_some_and(|last| idx <= last) {
            self.seq = if self.seq >= SEQ_MAX { 0 } else { self.seq.saturating_add(1) };
        }
        self.last_idx = Some(idx);
        self.next = idx.saturating_add(1);
        let id = ((self.seq << IPCMNI_SHIFT) | idx) as i32;
        let perm = Perm { key, uid: 0, gid: 0, cuid: 0, cgid: 0, mode, seq: self.seq };
        self.entries.insert(idx, Entry { id, perm, wait: Arc::default(), obj });
        Ok(id)
    }

    /// Takes the object out of the table; its waiters wake to EIDRM.
    pub(crate) fn remove(&mut self, id: i32) -> Option<Entry<T>> {
        let idx = index_of(id);
        if self.entries.get(&idx).is_none_or(|e| e.id != id) {
            return None;
        }
        let e = self.entries.remove(&idx)?;
        e.wait.remove();
        Some(e)
    }
}

/// `%10d %10d  %4o ` — the start of every /proc/sysvipc line.
fn proc_line_start(s: &mut String, e_id: i32, perm: &Perm) {
    let _ = write!(s, "{:>10} {:>10}  {:>4o} ", perm.key, e_id, perm.mode);
}

/// `%5u %5u %5u %5u` — uid, gid, cuid, cgid.
fn proc_owners(s: &mut String, perm: &Perm) {
    let _ = write!(s, "{:>5} {:>5} {:>5} {:>5}", perm.uid, perm.gid, perm.cuid, perm.cgid);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_cycle_like_linux() {
        let mut t: Table<()> = Table::default();
        let a = t.get_or_make(IPC_PRIVATE, 0o600, 10, |_| Ok(()), || Ok(())).unwrap();
        let b = t.get_or_make(IPC_PRIVATE, 0o600, 10, |_| Ok(()), || Ok(())).unwrap();
        assert_eq!((a, b), (0, 1));
        t.remove(a);
        // The next index, not the freed one.
        assert_eq!(t.get_or_make(IPC_PRIVATE, 0, 10, |_| Ok(()), || Ok(())), Ok(2));
        for _ in 3..64 {
            let id = t.get_or_make(IPC_PRIVATE, 0, 100, |_| Ok(()), || Ok(())).unwrap();
            t.remove(id);
        }
        // Wrapped to index 0 with the next sequence number.
        assert_eq!(t.get_or_make(IPC_PRIVATE, 0, 100, |_| Ok(()), || Ok(())), Ok(1 << IPCMNI_SHIFT));
        assert_eq!(t.get(0).err(), Some(Errno::EINVAL), "an old id of a reused index");
        assert!(t.at_index(0).is_ok());
        assert_eq!(t.max_idx(), 2);
        let k = t.get_or_make(42, IPC_CREAT | 0o644, 100, |_| Ok(()), || Ok(())).unwrap();
        assert_eq!(t.get_or_make(42, 0, 100, |_| Ok(()), || Ok(())), Ok(k));
        assert_eq!(t.get_or_make(42, IPC_CREAT | IPC_EXCL, 100, |_| Ok(()), || Ok(())), Err(Errno::EEXIST));
        assert_eq!(t.get_or_make(43, 0, 100, |_| Ok(()), || Ok(())), Err(Errno::ENOENT));
        assert_eq!(t.get(k).unwrap().perm.mode, 0o644);
        let full = t.in_use() as u32;
        assert_eq!(t.get_or_make(IPC_PRIVATE, 0, full, |_| Ok(()), || Ok(())), Err(Errno::ENOSPC));
    }
}
