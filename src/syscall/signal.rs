//! Signal dispositions and masks.

use super::{arg_i32, Args, SyscallCtx};
use crate::errno::{Errno, SysResult};
use crate::kernel::signal::{check_signo, SigAction, UNBLOCKABLE};

const SIGSET_SIZE: u64 = 8;
const SIG_BLOCK: i32 = 0;
const SIG_UNBLOCK: i32 = 1;
const SIG_SETMASK: i32 = 2;

fn read_sigaction(ctx: &SyscallCtx<'_>, addr: u64) -> SysResult<SigAction> {
    let mut b = [0u8; 32];
    ctx.user().read(addr, &mut b)?;
    let w = |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
    Ok(SigAction { handler: w(0), flags: w(1), restorer: w(2), mask: w(3) })
}

fn write_sigaction(ctx: &SyscallCtx<'_>, addr: u64, act: SigAction) -> SysResult<()> {
    let b: Vec<u8> = [act.handler, act.flags, act.restorer, act.mask].iter().flat_map(|w| w.to_le_bytes()).collect();
    ctx.user().write(addr, &b)
}

pub fn sys_rt_sigaction(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (signo, act, oact) = (check_signo(a[0])?, a[1], a[2]);
    if a[3] != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 { Some(read_sigaction(ctx, act)?) } else { None };
    let process = ctx.task.process.clone();
    let mut actions = process.sigactions();
    let old = actions.get(signo);
    if let Some(mut new) = new {
        new.mask &= !UNBLOCKABLE;
        actions.set(signo, new)?;
    }
    drop(actions);
    if oact != 0 {
        write_sigaction(ctx, oact, old)?;
    }
    Ok(0)
}

pub fn sys_rt_sigprocmask(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (how, set, oset) = (arg_i32(a[0]), a[1], a[2]);
    if a[3] != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let old = ctx.task.sigmask;
    if set != 0 {
        let set: u64 = ctx.user().read_val(set)?;
        let new = match how {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL),
        };
        ctx.task.sigmask = new & !UNBLOCKABLE;
    }
    if oset != 0 {
        ctx.user().write_val(oset, old)?;
    }
    Ok(0)
}
