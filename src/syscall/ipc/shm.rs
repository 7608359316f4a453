//! shmget, shmat, shmdt, shmctl. A segment is one run of arena memory and
//! every attachment is its address (see `kernel::ipc::shm`); a process's
//! attachments are counted with its memory (`kernel::regions`), so they
//! go when it exits or execs.

use super::super::args::{Flags, IpcKey, Mode, Opaque, UserPtr};
use super::super::SyscallCtx;
use crate::abi::ipc::{
    Shmid64Ds, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, SHMLBA, SHM_INFO, SHM_LOCK, SHM_REMAP, SHM_RND, SHM_STAT,
    SHM_STAT_ANY, SHM_UNLOCK,
};
use crate::errno::{Errno, SysResult};

/// shmget(2); `shmflg` is an int (its permission bits and IPC_CREAT,
/// IPC_EXCL; SHM_HUGETLB and SHM_NORESERVE change nothing here).
pub(crate) fn sys_shmget(ctx: &mut SyscallCtx<'_>, key: IpcKey, size: usize, shmflg: Mode) -> SysResult {
    let pid = ctx.task.process.pid;
    Ok(ctx.m.ipc.shm().get_segment(&ctx.m.mem, key.0, size as u64, shmflg.0 as i32, pid)? as u64)
}

/// shmat(2), with `do_shmat`'s checks: a negative id is EINVAL; an
/// address that is not a multiple of SHMLBA is EINVAL unless SHM_RND
/// rounds it down (to 0 with SHM_REMAP: EINVAL); SHM_REMAP without an
/// address is EINVAL. Without an MMU the segment is where it is: an
/// address given must be that one (EINVAL otherwise). SHM_RDONLY and
/// SHM_EXEC are accepted; memory is never protected here.
pub(crate) fn sys_shmat(ctx: &mut SyscallCtx<'_>, shmid: i32, shmaddr: UserPtr<Opaque>, shmflg: Flags) -> SysResult {
    let shmflg = shmflg.0 as i32;
    if shmid < 0 {
        return Err(Errno::EINVAL);
    }
    let given = shmaddr.addr();
    let mut addr = given;
    if addr != 0 {
        if !addr.is_multiple_of(SHMLBA) {
            if shmflg & SHM_RND == 0 {
                return Err(Errno::EINVAL);
            }
            addr -= addr % SHMLBA;
            if addr == 0 && shmflg & SHM_REMAP != 0 {
                return Err(Errno::EINVAL);
            }
        }
    } else if shmflg & SHM_REMAP != 0 {
        return Err(Errno::EINVAL);
    }
    let pid = ctx.task.process.pid;
    let (at, len) = {
        let mut segments = ctx.m.ipc.shm();
        let seg = segments.get(shmid)?;
        if given != 0 && addr != seg.obj.addr {
            log::info!(
                "pid {pid}: shmat at {given:#x}: without an MMU segment {shmid} can only be at {:#x}",
                seg.obj.addr
            );
            return Err(Errno::EINVAL);
        }
        segments.attach(shmid, addr, pid)?
    };
    ctx.task.process.mm().regions().attach_shm(at, len, pid);
    Ok(at)
}

/// shmdt(2): an address that is not page-aligned, or where this process
/// has no attachment, is EINVAL.
pub(crate) fn sys_shmdt(ctx: &mut SyscallCtx<'_>, shmaddr: UserPtr<Opaque>) -> SysResult {
    let addr = shmaddr.addr();
    if !addr.is_multiple_of(crate::mm::PAGE_SIZE) || !ctx.task.process.mm().regions().detach_shm(addr) {
        return Err(Errno::EINVAL);
    }
    let pid = ctx.task.process.pid;
    ctx.m.ipc.shm().detach(&ctx.m.mem, addr, pid);
    Ok(0)
}

/// shmctl(2): a negative id or command is EINVAL; IPC_INFO and SHM_INFO
/// return the highest index in use, SHM_STAT/SHM_STAT_ANY (an index) the
/// id; IPC_SET reads the buffer before it looks up the segment.
pub(crate) fn sys_shmctl(ctx: &mut SyscallCtx<'_>, shmid: i32, cmd: i32, buf: UserPtr<Opaque>) -> SysResult {
    if shmid < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let buf = buf.addr();
    match cmd {
        IPC_INFO => {
            let (info, max) = ctx.m.ipc.shm().ipc_info();
            ctx.user().write_val(buf, info)?;
            Ok(max as u64)
        }
        SHM_INFO => {
            let (info, max) = ctx.m.ipc.shm().shm_info();
            ctx.user().write_val(buf, info)?;
            Ok(max as u64)
        }
        IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
            let (ds, ret) = ctx.m.ipc.shm().stat_segment(shmid, cmd != IPC_STAT)?;
            ctx.user().write_val(buf, ds)?;
            Ok(ret as u64)
        }
        IPC_SET => {
            let ds: Shmid64Ds = ctx.user().read_val(buf)?;
            ctx.m.ipc.shm().set_segment(shmid, &ds)?;
            Ok(0)
        }
        IPC_RMID => {
            ctx.m.ipc.shm().remove_segment(&ctx.m.mem, shmid)?;
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => {
            ctx.m.ipc.shm().lock_segment(shmid, cmd == SHM_LOCK)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
