//! Semaphore arrays (`ipc/sem.c`), with SEM_UNDO adjustments kept per
//! process (what threads made with CLONE_SYSVSEM share: pthreads do) and
//! applied when the process ends.

use super::{now, proc_line_start, proc_owners, Entry, Table, WaitQ};
use crate::abi::ipc::{
    Sembuf, Semid64Ds, Seminfo, IPC_NOWAIT, SEMAEM, SEMMNI, SEMMNS, SEMMSL, SEMOPM, SEMUME, SEMUSZ, SEMVMX, SEM_INFO,
    SEM_UNDO,
};
use crate::errno::{Errno, SysResult};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, Default)]
pub struct Sem {
    pub val: i32,
    /// The last process that changed it.
    pub pid: i32,
    /// Tasks waiting for it to grow, and for it to be zero.
    ncnt: u32,
    zcnt: u32,
}

pub struct SemArray {
    pub sems: Vec<Sem>,
    otime: i64,
    ctime: i64,
}

impl SemArray {
    fn nsems(&self) -> u64 {
        self.sems.len() as u64
    }
}

/// Why a semop has to wait: the operation that could not go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocked {
    pub semnum: u16,
    /// It waits for zero (else for the value to grow).
    pub zero: bool,
}

#[derive(Default)]
pub struct SemSpace {
    pub(crate) table: Table<SemArray>,
    /// SEM_UNDO: (pid, semid) → the adjustment of each semaphore.
    undo: BTreeMap<(i32, i32), Vec<i32>>,
}

/// What IPC_STAT shows of an array.
fn stat(e: &Entry<SemArray>) -> Semid64Ds {
    Semid64Ds {
        sem_perm: e.perm.to_abi(),
        sem_otime: e.obj.otime,
        sem_ctime: e.obj.ctime,
        sem_nsems: e.obj.nsems(),
        ..Default::default()
    }
}

impl SemSpace {
    /// semget: `nsems` must be 0..=SEMMSL (and more than 0 for a new
    /// array; an existing one must have at least that many).
    pub(crate) fn get_array(&mut self, key: i32, nsems: i32, flags: i32) -> SysResult<i32> {
        let n = u32::try_from(nsems).ok().filter(|&n| n <= SEMMSL).ok_or(Errno::EINVAL)?;
        let used = self.table.iter().map(|e| e.obj.nsems()).fold(0, u64::saturating_add);
        let check = |e: &Entry<SemArray>| if u64::from(n) > e.obj.nsems() { Err(Errno::EINVAL) } else { Ok(()) };
        let make = || {
            if n == 0 {
                return Err(Errno::EINVAL);
            }
            if used.saturating_add(u64::from(n)) > u64::from(SEMMNS) {
                return Err(Errno::ENOSPC);
            }
            Ok(SemArray { sems: vec![Sem::default(); n as usize], otime: 0, ctime: now() })
        };
        self.table.get_or_make(key, flags, SEMMNI, check, make)
    }

    /// The number of semaphores of array `id`.
    pub(crate) fn nsems(&mut self, id: i32) -> SysResult<usize> {
        Ok(self.table.get(id)?.obj.sems.len())
    }

    /// semop: all of `sops` at once, or none. `Ok(None)`: done;
    /// `Ok(Some(b))`: it must wait (the operation that blocked had no
    /// IPC_NOWAIT, else that is EAGAIN). EFBIG for a semaphore past the
    /// array's end, ERANGE for a value past SEMVMX or an adjustment out
    /// of range.
    pub(crate) fn semop(&mut self, id: i32, sops: &[Sembuf], pid: i32) -> SysResult<Option<Blocked>> {
        let e = self.table.get(id)?;
        let nsems = e.obj.sems.len();
        if sops.iter().any(|s| usize::from(s.sem_num) >= nsems) {
            return Err(Errno::EFBIG);
        }
        let undo = sops.iter().any(|s| s.sem_flg & SEM_UNDO != 0);
        let adj = if undo { Some(self.undo.entry((pid, id)).or_insert_with(|| vec![0; nsems])) } else { None };
        // `perform_atomic_semop_slow`: one after the other, on copies.
        let mut vals: Vec<i32> = e.obj.sems.iter().map(|s| s.val).collect();
        let mut adjs: Vec<i32> = adj.as_ref().map_or_else(Vec::new, |a| a.to_vec());
        for s in sops {
            let n = usize::from(s.sem_num);
            let op = i32::from(s.sem_op);
            let cur = vals[n];
            let result = cur.saturating_add(op);
            if (op == 0 && cur != 0) || result < 0 {
                if s.sem_flg & IPC_NOWAIT as i16 != 0 {
                    return Err(Errno::EAGAIN);
                }
                return Ok(Some(Blocked { semnum: s.sem_num, zero: op == 0 }));
            }
            if result > SEMVMX {
                return Err(Errno::ERANGE);
            }
            if s.sem_flg & SEM_UNDO != 0 {
                let a = adjs[n].saturating_sub(op);
                if !(-SEMAEM - 1..=SEMAEM).contains(&a) {
                    return Err(Errno::ERANGE);
                }
                adjs[n] = a;
            }
            vals[n] = result;
        }
        if let Some(adj) = adj {
            *adj = adjs;
        }
        let alter = sops.iter().any(|s| s.sem_op != 0);
        for s in sops {
            e.obj.sems[usize::from(s.sem_num)].pid = pid;
        }
        for (sem, val) in e.obj.sems.iter_mut().zip(vals) {
            sem.val = val;
        }
        e.obj.otime = now();
        if alter {
            e.wait.wake();
        }
        Ok(None)
    }

    /// A task starts waiting as `b` says (GETNCNT and GETZCNT count it):
    /// what to sleep on.
    pub(crate) fn wait_begin(&mut self, id: i32, b: Blocked) -> SysResult<Arc<WaitQ>> {
        let e = self.table.get(id)?;
        let s = &mut e.obj.sems[usize::from(b.semnum)];
        if b.zero {
            s.zcnt = s.zcnt.saturating_add(1);
        } else {
            s.ncnt = s.ncnt.saturating_add(1);
        }
        Ok(e.wait.clone())
    }

    /// The wait `wait_begin` started is over.
    pub(crate) fn wait_end(&mut self, id: i32, b: Blocked, wait: &Arc<WaitQ>) {
        let Ok(e) = self.table.get(id) else { return };
        if !Arc::ptr_eq(&e.wait, wait) {
            return;
        }
        let s = &mut e.obj.sems[usize::from(b.semnum)];
        if b.zero {
            s.zcnt = s.zcnt.saturating_sub(1);
        } else {
            s.ncnt = s.ncnt.saturating_sub(1);
        }
    }

    /// GETVAL, GETPID, GETNCNT, GETZCNT of semaphore `semnum` (EINVAL
    /// past the end).
    pub(crate) fn get_one(&mut self, id: i32, semnum: i32, cmd: i32) -> SysResult<u64> {
        use crate::abi::ipc::{GETNCNT, GETPID, GETVAL};
        let e = self.table.get(id)?;
        let s = usize::try_from(semnum).ok().and_then(|n| e.obj.sems.get(n)).ok_or(Errno::EINVAL)?;
        let v = match cmd {
            GETVAL => s.val as u64,
            GETPID => s.pid as u64,
            GETNCNT => u64::from(s.ncnt),
            _ => u64::from(s.zcnt),
        };
        Ok(v)
    }

    pub(crate) fn get_all(&mut self, id: i32) -> SysResult<Vec<u16>> {
        Ok(self.table.get(id)?.obj.sems.iter().map(|s| s.val as u16).collect())
    }

    /// SETVAL (the value was checked): every process's adjustment of it is
    /// reset.
    pub(crate) fn set_val(&mut self, id: i32, semnum: i32, val: i32, pid: i32) -> SysResult<()> {
        let e = self.table.get(id)?;
        let n = usize::try_from(semnum).ok().filter(|&n| n < e.obj.sems.len()).ok_or(Errno::EINVAL)?;
        for ((_, sid), adj) in self.undo.iter_mut() {
            if *sid == id {
                adj[n] = 0;
            }
        }
        e.obj.sems[n].val = val;
        e.obj.sems[n].pid = pid;
        e.obj.ctime = now();
        e.wait.wake();
        Ok(())
    }

    /// SETALL (the values were checked): EIDRM if the array went while
    /// they were read.
    pub(crate) fn set_all(&mut self, id: i32, vals: &[u16], pid: i32) -> SysResult<()> {
        let e = self.table.get(id).map_err(|_| Errno::EIDRM)?;
        for (s, &v) in e.obj.sems.iter_mut().zip(vals) {
            s.val = i32::from(v);
            s.pid = pid;
        }
        for ((_, sid), adj) in self.undo.iter_mut() {
            if *sid == id {
                adj.fill(0);
            }
        }
        e.obj.ctime = now();
        e.wait.wake();
        Ok(())
    }

    /// IPC_STAT (by id) or SEM_STAT / SEM_STAT_ANY (by index, returning
    /// the id).
    pub(crate) fn stat(&mut self, id: i32, by_index: bool) -> SysResult<(Semid64Ds, i32)> {
        let e = if by_index { self.table.at_index(id)? } else { self.table.get(id)? };
        Ok((stat(e), if by_index { e.id } else { 0 }))
    }

    /// IPC_SET.
    pub(crate) fn set(&mut self, id: i32, ds: &Semid64Ds) -> SysResult<()> {
        let e = self.table.get(id)?;
        e.perm.update(&ds.sem_perm)?;
        e.obj.ctime = now();
        Ok(())
    }

    /// IPC_RMID: waiters wake to EIDRM; adjustments for it are dropped.
    pub(crate) fn remove(&mut self, id: i32) -> SysResult<()> {
        self.table.get(id)?;
        self.table.remove(id);
        self.undo.retain(|&(_, sid), _| sid != id);
        Ok(())
    }

    /// IPC_INFO / SEM_INFO (`semctl_info`), with the highest index in use.
    pub(crate) fn info(&self, cmd: i32) -> (Seminfo, i32) {
        let mut info = Seminfo {
            semmni: SEMMNI as i32,
            semmns: SEMMNS as i32,
            semmsl: SEMMSL as i32,
            semopm: SEMOPM as i32,
            semvmx: SEMVMX,
            semmnu: SEMMNS as i32,
            semmap: SEMMNS as i32,
            semume: SEMUME,
            ..Default::default()
        };
        if cmd == SEM_INFO {
            info.semusz = i32::try_from(self.table.in_use()).unwrap_or(i32::MAX);
            let used = self.table.iter().map(|e| e.obj.nsems()).fold(0, u64::saturating_add);
            info.semaem = i32::try_from(used).unwrap_or(i32::MAX);
        } else {
            info.semusz = SEMUSZ;
            info.semaem = SEMAEM;
        }
        (info, self.table.max_idx().max(0))
    }

    /// The process ends (`exit_sem`): its adjustments are added to the
    /// semaphores, which stay within 0..=SEMVMX.
    pub(crate) fn exit_process(&mut self, pid: i32) {
        let mine: Vec<(i32, Vec<i32>)> =
            self.undo.range((pid, i32::MIN)..=(pid, i32::MAX)).map(|(&(_, id), adj)| (id, adj.clone())).collect();
        for (id, adj) in mine {
            self.undo.remove(&(pid, id));
            let Ok(e) = self.table.get(id) else { continue };
            let mut changed = false;
            for (s, a) in e.obj.sems.iter_mut().zip(adj) {
                if a != 0 {
                    s.val = s.val.saturating_add(a).clamp(0, SEMVMX);
                    s.pid = pid;
                    changed = true;
                }
            }
            if changed {
                e.obj.otime = now();
                e.wait.wake();
            }
        }
    }
}

impl Table<SemArray> {
    /// /proc/sysvipc/sem.
    pub(crate) fn proc_text(&self) -> String {
        let mut s =
            String::from("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n");
        for e in self.iter() {
            proc_line_start(&mut s, e.id, &e.perm);
            let _ = write!(s, "{:>10} ", e.obj.nsems());
            proc_owners(&mut s, &e.perm);
            let _ = writeln!(s, " {:>10} {:>10}", e.obj.otime, e.obj.ctime);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::ipc::IPC_PRIVATE;

    fn op(sem_num: u16, sem_op: i16, sem_flg: i16) -> Sembuf {
        Sembuf { sem_num, sem_op, sem_flg }
    }

    #[test]
    fn all_or_nothing_and_undo_at_exit() {
        let mut s = SemSpace::default();
        assert_eq!(s.get_array(IPC_PRIVATE, 0, 0o600), Err(Errno::EINVAL));
        assert_eq!(s.get_array(IPC_PRIVATE, SEMMSL as i32 + 1, 0o600), Err(Errno::EINVAL));
        let id = s.get_array(IPC_PRIVATE, 2, 0o600).unwrap();
        assert_eq!(s.semop(id, &[op(2, 1, 0)], 7), Err(Errno::EFBIG));
        // The second operation blocks: the first is not applied.
        let blocked = s.semop(id, &[op(0, 1, 0), op(1, -1, 0)], 7).unwrap();
        assert_eq!(blocked, Some(Blocked { semnum: 1, zero: false }));
        assert_eq!(s.get_all(id).unwrap(), vec![0, 0]);
        assert_eq!(s.semop(id, &[op(1, -1, IPC_NOWAIT as i16)], 7), Err(Errno::EAGAIN));
        assert_eq!(s.semop(id, &[op(0, 2, SEM_UNDO), op(0, -1, 0)], 7), Ok(None));
        assert_eq!(s.get_one(id, 0, crate::abi::ipc::GETVAL), Ok(1));
        assert_eq!(s.get_one(id, 0, crate::abi::ipc::GETPID), Ok(7));
        assert_eq!(s.semop(id, &[op(1, 0, 0)], 8), Ok(None), "wait-for-zero on a zero");
        assert_eq!(s.semop(id, &[op(0, 0, 0)], 8).unwrap(), Some(Blocked { semnum: 0, zero: true }));
        assert_eq!(s.semop(id, &[op(1, i16::MAX, 0), op(1, 1, 0)], 8), Err(Errno::ERANGE));
        // pid 7 ends: its +2 is taken back, and the value stops at 0.
        s.exit_process(7);
        assert_eq!(s.get_all(id).unwrap(), vec![0, 0]);
        assert_eq!(s.remove(id), Ok(()));
        assert_eq!(s.remove(id), Err(Errno::EINVAL));
    }
}
