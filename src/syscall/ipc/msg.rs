//! msgget, msgsnd, msgrcv, msgctl.

use super::super::args::{Flags, IpcKey, Mode, Opaque, UserPtr};
use super::super::SyscallCtx;
use super::sleep;
use crate::abi::ipc::{
    Msqid64Ds, IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, MSGMAX, MSG_COPY, MSG_EXCEPT, MSG_INFO, MSG_NOERROR,
    MSG_STAT, MSG_STAT_ANY,
};
use crate::errno::{Errno, SysResult};
use crate::kernel::ipc::msg::{stat, Message, Search};

/// The text of a `struct msgbuf` at `msgp` (after its `long mtype`).
fn text_of(msgp: u64) -> SysResult<u64> {
    msgp.checked_add(8).ok_or(Errno::EFAULT)
}

pub(crate) fn sys_msgget(ctx: &mut SyscallCtx<'_>, key: IpcKey, msgflg: Mode) -> SysResult {
    Ok(ctx.m.ipc.msg().get_queue(key.0, msgflg.0 as i32)? as u64)
}

/// msgsnd(2): the type is read first (EFAULT); a size past MSGMAX, a bad
/// id or a type below 1 is EINVAL; then the text is read (EFAULT). A full
/// queue waits (or EAGAIN with IPC_NOWAIT) until there is room, a signal
/// (EINTR, or a restart when no handler runs) or the queue's removal
/// (EIDRM).
pub(crate) fn sys_msgsnd(
    ctx: &mut SyscallCtx<'_>,
    msqid: i32,
    msgp: UserPtr<Opaque>,
    msgsz: usize,
    msgflg: Flags,
) -> SysResult {
    let msgflg = msgflg.0 as i32;
    let mtype: i64 = ctx.user().read_val(msgp.addr())?;
    if msgsz > MSGMAX as usize || msqid < 0 || mtype < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = vec![0u8; msgsz];
    ctx.user().read(text_of(msgp.addr())?, &mut text)?;
    let pid = ctx.task.process.pid;
    let mut msg = Message { mtype, text };
    loop {
        let (wait, seq) = {
            let mut queues = ctx.m.ipc.msg();
            let e = queues.get(msqid)?;
            match e.obj.send(msg, pid) {
                Ok(()) => {
                    e.wait.wake();
                    return Ok(0);
                }
                Err(m) => msg = m,
            }
            if msgflg & IPC_NOWAIT != 0 {
                return Err(Errno::EAGAIN);
            }
            (e.wait.clone(), e.wait.current())
        };
        sleep(ctx, &wait, seq, Errno::ERESTARTNOHAND, None)?;
    }
}

/// Which message msgrcv wants (`convert_mode`).
fn search(msgtyp: i64, msgflg: i32) -> Search {
    if msgflg & MSG_COPY != 0 {
        Search::Number(msgtyp)
    } else if msgtyp == 0 {
        Search::Any
    } else if msgtyp < 0 {
        Search::LessEqual(msgtyp.checked_neg().unwrap_or(i64::MAX))
    } else if msgflg & MSG_EXCEPT != 0 {
        Search::NotEqual(msgtyp)
    } else {
        Search::Equal(msgtyp)
    }
}

/// msgrcv(2): a bad id or a size that is negative as a long is EINVAL;
/// MSG_COPY needs IPC_NOWAIT and no MSG_EXCEPT (EINVAL) and reads the
/// buffer first (EFAULT). A message longer than `msgsz` is E2BIG unless
/// MSG_NOERROR cuts it. With none to take: ENOMSG with IPC_NOWAIT, else
/// a wait as msgsnd's. The message leaves the queue before it is copied
/// out, so a bad buffer loses it (EFAULT), as on Linux.
pub(crate) fn sys_msgrcv(
    ctx: &mut SyscallCtx<'_>,
    msqid: i32,
    msgp: UserPtr<Opaque>,
    msgsz: usize,
    msgtyp: i64,
    msgflg: Flags,
) -> SysResult {
    let msgflg = msgflg.0 as i32;
    if msqid < 0 || (msgsz as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let copy_max = if msgflg & MSG_COPY != 0 {
        if msgflg & MSG_EXCEPT != 0 || msgflg & IPC_NOWAIT == 0 {
            return Err(Errno::EINVAL);
        }
        let n = msgsz.min(MSGMAX as usize);
        ctx.user().read(msgp.addr(), &mut vec![0u8; n])?;
        n as u64
    } else {
        0
    };
    let how = search(msgtyp, msgflg);
    let pid = ctx.task.process.pid;
    let msg = loop {
        let (wait, seq) = {
            let mut queues = ctx.m.ipc.msg();
            let e = queues.get(msqid)?;
            if let Some(m) = e.obj.receive(how, msgsz as u64, msgflg & MSG_NOERROR != 0, copy_max, pid)? {
                e.wait.wake();
                break m;
            }
            if msgflg & IPC_NOWAIT != 0 {
                return Err(Errno::ENOMSG);
            }
            (e.wait.clone(), e.wait.current())
        };
        sleep(ctx, &wait, seq, Errno::ERESTARTNOHAND, None)?;
    };
    ctx.user().write_val(msgp.addr(), msg.mtype)?;
    let n = msg.text.len().min(msgsz);
    ctx.user().write(text_of(msgp.addr())?, &msg.text[..n])?;
    Ok(n as u64)
}

/// msgctl(2): a negative id or command is EINVAL; IPC_INFO/MSG_INFO
/// return the highest index in use, MSG_STAT/MSG_STAT_ANY (an index, not
/// an id) the id; IPC_SET reads the buffer before it looks up the queue.
pub(crate) fn sys_msgctl(ctx: &mut SyscallCtx<'_>, msqid: i32, cmd: i32, buf: UserPtr<Opaque>) -> SysResult {
    if msqid < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let buf = buf.addr();
    match cmd {
        IPC_INFO | MSG_INFO => {
            let (info, max) = ctx.m.ipc.msg().info(cmd);
            ctx.user().write_val(buf, info)?;
            Ok(max as u64)
        }
        IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
            let (ds, ret) = {
                let mut queues = ctx.m.ipc.msg();
                let e = if cmd == IPC_STAT { queues.get(msqid)? } else { queues.at_index(msqid)? };
                (stat(e), if cmd == IPC_STAT { 0 } else { e.id })
            };
            ctx.user().write_val(buf, ds)?;
            Ok(ret as u64)
        }
        IPC_SET => {
            let ds: Msqid64Ds = ctx.user().read_val(buf)?;
            let mut queues = ctx.m.ipc.msg();
            let e = queues.get(msqid)?;
            e.perm.update(&ds.msg_perm)?;
            // Linux passes it on as an int.
            e.obj.qbytes = i64::from(ds.msg_qbytes as i32) as u64;
            e.obj.ctime = crate::kernel::ipc::now();
            // Senders may fit now.
            e.wait.wake();
            Ok(0)
        }
        IPC_RMID => {
            let mut queues = ctx.m.ipc.msg();
            queues.get(msqid)?;
            queues.remove(msqid);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
