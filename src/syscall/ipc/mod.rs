//! System V IPC (message queues, semaphores, shared memory: the objects
//! are the machine's, `kernel::ipc`) and memfd_create. The checks are
//! Linux's (`ipc/msg.c`, `ipc/sem.c`, `ipc/shm.c`, `mm/memfd.c`), in
//! Linux's order, so that bad arguments get a native run's errors.
//!
//! Every guest is root: permission checks never fail (CAP_IPC_OWNER),
//! but the owners and modes are kept and shown as Linux keeps them.

pub mod msg;
pub mod sem;
pub mod shm;

use super::args::{CStr, IntFlags, UserPtr};
use super::SyscallCtx;
use crate::abi::ipc::{MFD_ALL_FLAGS, MFD_CLOEXEC, MFD_EXEC, MFD_HUGETLB, MFD_HUGE_MASK, MFD_HUGE_SHIFT};
use crate::abi::ipc::{MFD_NAME_MAX_LEN, MFD_NOEXEC_SEAL};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::fs::OpenFile;
use crate::kernel::ipc::WaitQ;
use std::time::Instant;

/// Sleeps until `q` moves past `seq` (something changed: the caller looks
/// again), a signal arrives (`restart`) or `deadline` passes (ETIMEDOUT).
/// EIDRM once the object is removed, whatever woke the task.
fn sleep(ctx: &mut SyscallCtx<'_>, q: &WaitQ, seq: u32, restart: Errno, deadline: Option<Instant>) -> SysResult<()> {
    let r = ctx.block(restart, |_| match deadline {
        None => host::futex_wait_interruptible(&q.seq, seq).map_err(Errno::from),
        Some(d) => {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Errno::ETIMEDOUT);
            }
            host::futex_wait_timeout_interruptible(&q.seq, seq, left).map_err(Errno::from)
        }
    });
    if q.is_removed() {
        return Err(Errno::EIDRM);
    }
    r
}

/// memfd_create(2): a host memfd, so that read, write, ftruncate, mmap
/// (MAP_SHARED shares the host's pages) and the seals of fcntl work as on
/// any host file. Linux's checks, in order: unknown flags (a huge page
/// size only with MFD_HUGETLB) or MFD_EXEC with MFD_NOEXEC_SEAL are
/// EINVAL; the name is EFAULT if unreadable and EINVAL past 249 bytes.
/// The flags are an unsigned int: the upper half of the register is not
/// looked at.
pub(crate) fn sys_memfd_create(ctx: &mut SyscallCtx<'_>, name: UserPtr<CStr>, flags: IntFlags) -> SysResult {
    let flags = flags.0;
    let allowed =
        if flags & MFD_HUGETLB == 0 { MFD_ALL_FLAGS } else { MFD_ALL_FLAGS | (MFD_HUGE_MASK << MFD_HUGE_SHIFT) };
    if flags & !allowed != 0 || (flags & MFD_EXEC != 0 && flags & MFD_NOEXEC_SEAL != 0) {
        return Err(Errno::EINVAL);
    }
    let name = ctx.user().read_cstr(name.addr(), MFD_NAME_MAX_LEN).map_err(|e| match e {
        Errno::ENAMETOOLONG => Errno::EINVAL,
        e => e,
    })?;
    let limit = ctx.check_free_fds(1)?;
    // read_cstr stops at the first NUL: there is none inside.
    let host_name = std::ffi::CString::new(name.clone()).map_err(|_| Errno::EINVAL)?;
    let fd = host::memfd_create(&host_name, flags).map_err(|e| super::host_table_full_is_enfile(e.into()))?;
    // What /proc/<pid>/fd shows for it (the host says the same).
    let path = [b"/memfd:".as_slice(), &name, b" (deleted)"].concat();
    ctx.install_below(limit, OpenFile::host(fd, path), flags & MFD_CLOEXEC != 0)
}

#[cfg(test)]
mod tests;
