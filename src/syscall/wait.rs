//! wait4 and waitid: zombies, stopped and continued children.

use super::{arg_i32, Args, SyscallCtx};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::kernel::process::{CpuTimes, ExitStatus, ProcState, Process};
use crate::kernel::signal::{CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD};
use std::sync::atomic::Ordering;
use std::sync::Arc;

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WSTOPPED: u64 = 2;
const WEXITED: u64 = 4;
const WCONTINUED: u64 = 8;
const WNOWAIT: u64 = 0x0100_0000;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;

/// Which children a wait is for.
#[derive(Clone, Copy)]
enum Which {
    Any,
    Pid(i32),
    Pgid(i32),
}

impl Which {
    fn matches(self, p: &Process) -> bool {
        match self {
            Which::Any => true,
            Which::Pid(pid) => p.pid == pid,
            Which::Pgid(g) => p.pgid() == g,
        }
    }
}

/// What a wait found.
struct Found {
    pid: i32,
    code: i32,
    status: i32,
    wstatus: i32,
    times: CpuTimes,
}

/// Looks for a child that changed state; reaps zombies unless WNOWAIT.
/// Err(ECHILD) when there is no child to wait for at all.
fn find(ctx: &SyscallCtx<'_>, which: Which, options: u64) -> SysResult<Option<Found>> {
    let me = &ctx.task.process;
    let children: Vec<Arc<Process>> = ctx.m.children_of(me.pid).into_iter().filter(|c| which.matches(c)).collect();
    // __WCLONE waits only for children that do not send SIGCHLD; __WALL
    // for all.
    let children: Vec<_> = children
        .into_iter()
        .filter(|c| options & WALL != 0 || (options & WCLONE != 0) == (c.exit_signal != SIGCHLD))
        .collect();
    if children.is_empty() {
        return Err(Errno::ECHILD);
    }
    for c in children {
        let mut st = c.state();
        match *st {
            ProcState::Zombie(status) if options & WEXITED != 0 => {
                let (code, s) = match status {
                    ExitStatus::Exited(v) => (CLD_EXITED, v as i32),
                    ExitStatus::Signaled(sig) => {
                        let dumped =
                            crate::kernel::signal::default_action(sig) == crate::kernel::signal::DefaultAction::Core;
                        (if dumped { CLD_DUMPED } else { CLD_KILLED }, sig)
                    }
                };
                drop(st);
                let times = c.cpu_times();
                let children = *c.children_times.lock().unwrap_or_else(|e| e.into_inner());
                if options & WNOWAIT == 0 {
                    let mut mine = me.children_times.lock().unwrap_or_else(|e| e.into_inner());
                    mine.user += times.user + children.user;
                    mine.system += times.system + children.system;
                    drop(mine);
                    ctx.m.unregister(c.pid);
                }
                return Ok(Some(Found { pid: c.pid, code, status: s, wstatus: status.wait_status(), times }));
            }
            ProcState::Stopped { signo, reported: false } if options & WSTOPPED != 0 => {
                if options & WNOWAIT == 0 {
                    *st = ProcState::Stopped { signo, reported: true };
                }
                let wstatus = (signo << 8) | 0x7f;
                return Ok(Some(Found {
                    pid: c.pid,
                    code: CLD_STOPPED,
                    status: signo,
                    wstatus,
                    times: CpuTimes::default(),
                }));
            }
            ProcState::Continued if options & WCONTINUED != 0 => {
                if options & WNOWAIT == 0 {
                    *st = ProcState::Running;
                }
                let found = Found {
                    pid: c.pid,
                    code: CLD_CONTINUED,
                    status: crate::kernel::signal::SIGCONT,
                    wstatus: 0xffff,
                    times: CpuTimes::default(),
                };
                return Ok(Some(found));
            }
            _ => {}
        }
    }
    Ok(None)
}

/// Waits until `find` has something (or WNOHANG).
fn wait(ctx: &mut SyscallCtx<'_>, which: Which, options: u64) -> SysResult<Option<Found>> {
    let me = ctx.task.process.clone();
    loop {
        let seq = me.child_event.load(Ordering::Acquire);
        if let Some(found) = find(ctx, which, options)? {
            return Ok(Some(found));
        }
        if options & WNOHANG != 0 {
            return Ok(None);
        }
        ctx.block(Errno::ERESTARTSYS, |_| host::futex_wait_interruptible(&me.child_event, seq).map_err(Errno::from))?;
    }
}

/// struct rusage: utime and stime as timevals, the rest zero.
pub fn rusage_bytes(t: CpuTimes) -> [u8; 144] {
    let mut b = [0u8; 144];
    let tv = |ticks: u64| ((ticks / 100) as i64, ((ticks % 100) * 10_000) as i64);
    let (us, uu) = tv(t.user);
    let (ss, su) = tv(t.system);
    for (off, v) in [(0, us), (8, uu), (16, ss), (24, su)] {
        b[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    b
}

pub fn sys_wait4(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    // Options are an int: musl sign-extends __WCLONE into the upper half.
    let (pid, status_ptr, options, rusage) = (arg_i32(a[0]), a[1], a[2] as u32 as u64, a[3]);
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    let which = match pid {
        // -INT_MIN names no group (Linux: ESRCH); it would overflow here.
        i32::MIN => return Err(Errno::ESRCH),
        -1 => Which::Any,
        0 => Which::Pgid(ctx.task.process.pgid()),
        p if p < -1 => Which::Pgid(-p),
        p => Which::Pid(p),
    };
    match wait(ctx, which, options | WEXITED)? {
        None => Ok(0),
        Some(f) => {
            if status_ptr != 0 {
                ctx.user().write_val(status_ptr, f.wstatus)?;
            }
            if rusage != 0 {
                ctx.user().write(rusage, &rusage_bytes(f.times))?;
            }
            Ok(f.pid as u64)
        }
    }
}

const P_ALL: u64 = 0;
const P_PID: u64 = 1;
const P_PGID: u64 = 2;

pub fn sys_waitid(ctx: &mut SyscallCtx<'_>, a: &Args) -> SysResult {
    let (idtype, id, infop, options, rusage) = (a[0], arg_i32(a[1]), a[2], a[3] as u32 as u64, a[4]);
    if options & !(WNOHANG | WSTOPPED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE) != 0
        || options & (WEXITED | WSTOPPED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let which = match idtype {
        P_ALL => Which::Any,
        P_PID if id > 0 => Which::Pid(id),
        P_PGID if id >= 0 => Which::Pgid(if id == 0 { ctx.task.process.pgid() } else { id }),
        _ => return Err(Errno::EINVAL),
    };
    let found = wait(ctx, which, options)?;
    if infop != 0 {
        let mut info = [0u8; 128];
        if let Some(f) = &found {
            info[0..4].copy_from_slice(&SIGCHLD.to_le_bytes());
            info[8..12].copy_from_slice(&f.code.to_le_bytes());
            info[16..20].copy_from_slice(&f.pid.to_le_bytes());
            info[24..28].copy_from_slice(&f.status.to_le_bytes());
        }
        ctx.user().write(infop, &info)?;
    }
    if rusage != 0 {
        let t = found.as_ref().map(|f| f.times).unwrap_or_default();
        ctx.user().write(rusage, &rusage_bytes(t))?;
    }
    Ok(0)
}
