//! semget, semop, semtimedop, semctl.

use super::super::args::{IpcKey, Mode, Opaque, TimespecIn, UserPtr};
use super::super::SyscallCtx;
use super::sleep;
use crate::abi::ipc::{
    Sembuf, Semid64Ds, GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, SEMOPM, SEMVMX,
    SEM_INFO, SEM_STAT, SEM_STAT_ANY, SETALL, SETVAL,
};
use crate::errno::{Errno, SysResult};
use std::time::Duration;

pub(crate) fn sys_semget(ctx: &mut SyscallCtx<'_>, key: IpcKey, nsems: i32, semflg: Mode) -> SysResult {
    Ok(ctx.m.ipc.sem().get_array(key.0, nsems, semflg.0 as i32)? as u64)
}

pub(crate) fn sys_semop(ctx: &mut SyscallCtx<'_>, semid: i32, sops: UserPtr<Opaque>, nsops: u32) -> SysResult {
    semop(ctx, semid, sops.addr(), nsops, None)
}

/// semtimedop(2): semop with a relative timeout, read (EFAULT) before
/// anything else and checked (EINVAL) after the operations; when it
/// passes, EAGAIN.
pub(crate) fn sys_semtimedop(
    ctx: &mut SyscallCtx<'_>,
    semid: i32,
    sops: UserPtr<Opaque>,
    nsops: u32,
    timeout: UserPtr<TimespecIn>,
) -> SysResult {
    let ts = if timeout.is_null() {
        None
    } else {
        let sec: i64 = ctx.user().read_val(timeout.addr())?;
        let nsec: i64 = ctx.user().read_val(timeout.addr().checked_add(8).ok_or(Errno::EFAULT)?)?;
        Some((sec, nsec))
    };
    semop(ctx, semid, sops.addr(), nsops, ts)
}

/// `do_semtimedop`: more than SEMOPM operations is E2BIG, none EINVAL;
/// the operations are read (EFAULT); a negative id or an invalid timeout
/// is EINVAL; then the array's answer (EINVAL, EFBIG, ERANGE, EAGAIN), or
/// a wait that a signal ends with EINTR (never restarted, as on Linux)
/// and the array's removal with EIDRM.
fn semop(ctx: &mut SyscallCtx<'_>, semid: i32, sops: u64, nsops: u32, ts: Option<(i64, i64)>) -> SysResult {
    if nsops > SEMOPM {
        return Err(Errno::E2BIG);
    }
    if nsops < 1 {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; nsops as usize * std::mem::size_of::<Sembuf>()];
    ctx.user().read(sops, &mut raw)?;
    let ops: Vec<Sembuf> = raw
        .chunks_exact(6)
        .map(|b| Sembuf {
            sem_num: u16::from_le_bytes([b[0], b[1]]),
            sem_op: i16::from_le_bytes([b[2], b[3]]),
            sem_flg: i16::from_le_bytes([b[4], b[5]]),
        })
        .collect();
    if semid < 0 {
        return Err(Errno::EINVAL);
    }
    let deadline = match ts {
        Some((sec, nsec)) => {
            if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
                return Err(Errno::EINVAL);
            }
            Some(super::super::deadline_in(Duration::new(sec as u64, nsec as u32)))
        }
        None => None,
    };
    let pid = ctx.task.process.pid;
    loop {
        let (wait, seq, blocked) = {
            let mut sems = ctx.m.ipc.sem();
            let Some(blocked) = sems.semop(semid, &ops, pid)? else { return Ok(0) };
            let wait = sems.wait_begin(semid, blocked)?;
            let seq = wait.current();
            (wait, seq, blocked)
        };
        let r = sleep(ctx, &wait, seq, Errno::EINTR, deadline);
        ctx.m.ipc.sem().wait_end(semid, blocked, &wait);
        match r {
            Ok(()) => {}
            Err(Errno::ETIMEDOUT) => return Err(Errno::EAGAIN),
            Err(e) => return Err(e),
        }
    }
}

/// semctl(2): a negative id is EINVAL, and so is an unknown command.
/// SETVAL's value is checked (ERANGE) before the array is looked up;
/// SETALL's values are read (EFAULT) and checked after; GETALL writes
/// them as unsigned shorts. `arg` is the `union semun`: an int for
/// SETVAL, else a pointer.
pub(crate) fn sys_semctl(ctx: &mut SyscallCtx<'_>, semid: i32, semnum: i32, cmd: i32, arg: u64) -> SysResult {
    if semid < 0 {
        return Err(Errno::EINVAL);
    }
    let pid = ctx.task.process.pid;
    match cmd {
        IPC_INFO | SEM_INFO => {
            let (info, max) = ctx.m.ipc.sem().info(cmd);
            ctx.user().write_val(arg, info)?;
            Ok(max as u64)
        }
        IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
            let (ds, ret) = ctx.m.ipc.sem().stat(semid, cmd != IPC_STAT)?;
            ctx.user().write_val(arg, ds)?;
            Ok(ret as u64)
        }
        GETALL => {
            let vals = ctx.m.ipc.sem().get_all(semid)?;
            let bytes: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
            ctx.user().write(arg, &bytes)?;
            Ok(0)
        }
        SETALL => {
            let n = ctx.m.ipc.sem().nsems(semid)?;
            let mut bytes = vec![0u8; n * 2];
            ctx.user().read(arg, &mut bytes)?;
            let vals: Vec<u16> = bytes.chunks_exact(2).map(|b| u16::from_le_bytes([b[0], b[1]])).collect();
            if vals.iter().any(|&v| i32::from(v) > SEMVMX) {
                return Err(Errno::ERANGE);
            }
            ctx.m.ipc.sem().set_all(semid, &vals, pid)?;
            Ok(0)
        }
        GETVAL | GETPID | GETNCNT | GETZCNT => ctx.m.ipc.sem().get_one(semid, semnum, cmd),
        SETVAL => {
            let val = arg as i32;
            if !(0..=SEMVMX).contains(&val) {
                return Err(Errno::ERANGE);
            }
            ctx.m.ipc.sem().set_val(semid, semnum, val, pid)?;
            Ok(0)
        }
        IPC_SET => {
            let ds: Semid64Ds = ctx.user().read_val(arg)?;
            ctx.m.ipc.sem().set(semid, &ds)?;
            Ok(0)
        }
        IPC_RMID => {
            ctx.m.ipc.sem().remove(semid)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
