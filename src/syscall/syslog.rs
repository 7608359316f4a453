//! The kernel log from the guest's side: syslog(2) (`klogctl`, `dmesg`)
//! and the reads, writes and seeks of /dev/kmsg (`kernel::kmsg`). The log
//! itself is `kernel::klog`.
//!
//! Every guest is root, so nothing here is refused for want of
//! CAP_SYSLOG (or `dmesg_restrict`).

use super::args::{OutBytes, UserPtr};
use super::SyscallCtx;
use crate::abi::consts::TASK_SIZE;
use crate::abi::fcntl::O_NONBLOCK;
use crate::abi::syslog::*;
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use crate::fs::OpenFile;
use crate::kernel::klog::{Klog, LOG_BUF_LEN};
use crate::kernel::kmsg::{self, KmsgFile};

/// syslog(2), as Linux's do_syslog: `len` is an int, the buffer's size or
/// (CONSOLE_LEVEL) the level.
pub(crate) fn sys_syslog(ctx: &mut SyscallCtx<'_>, action: i32, buf: UserPtr<OutBytes>, len: i32) -> SysResult {
    let m = ctx.m;
    let klog: &Klog = &m.klog;
    match action {
        SYSLOG_ACTION_CLOSE | SYSLOG_ACTION_OPEN => Ok(0),
        SYSLOG_ACTION_READ => {
            let Some(size) = read_buffer(buf.addr(), len)? else { return Ok(0) };
            loop {
                let seen = klog.arrivals();
                if klog.syslog_unread() {
                    break;
                }
                wait_for_records(ctx, klog, seen)?;
            }
            // The pieces are taken: what cannot be copied is lost, as on
            // Linux, and what was copied before a bad page counts.
            let mut done = 0u64;
            for piece in klog.syslog_read(size) {
                if let Err(e) = ctx.user().write(buf.addr() + done, &piece) {
                    return if done == 0 { Err(e) } else { Ok(done) };
                }
                done += piece.len() as u64;
            }
            Ok(done)
        }
        SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            let Some(size) = read_buffer(buf.addr(), len)? else { return Ok(0) };
            let text = klog.read_all(size, action == SYSLOG_ACTION_READ_CLEAR);
            if !text.is_empty() {
                ctx.user().write(buf.addr(), &text)?;
            }
            Ok(text.len() as u64)
        }
        SYSLOG_ACTION_CLEAR => {
            klog.clear();
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_OFF => {
            klog.console_off();
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_ON => {
            klog.console_on();
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_LEVEL => klog.console_level(len).map(|()| 0).ok_or(Errno::EINVAL),
        SYSLOG_ACTION_SIZE_UNREAD => Ok(klog.size_unread() as u64),
        SYSLOG_ACTION_SIZE_BUFFER => Ok(LOG_BUF_LEN as u64),
        _ => Err(Errno::EINVAL),
    }
}

/// The buffer of a read action: EINVAL for NULL or a negative length,
/// nothing to do (None) for 0 bytes, EFAULT past the user address space
/// (Linux's `access_ok`; a bad page below it fails at the copy).
fn read_buffer(addr: u64, len: i32) -> SysResult<Option<usize>> {
    if addr == 0 || len < 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(None);
    }
    if addr.checked_add(len as u64).is_none_or(|end| end > TASK_SIZE) {
        return Err(Errno::EFAULT);
    }
    Ok(Some(len as usize))
}

/// Sleeps until a record arrives after `seen` (`Klog::arrivals`, taken
/// before looking): ERESTARTSYS when a signal comes first.
fn wait_for_records(ctx: &mut SyscallCtx<'_>, klog: &Klog, seen: u32) -> SysResult<()> {
    ctx.block_parked(Errno::ERESTARTSYS, &[], |_| klog.wait_for_more(seen).map_err(Errno::from))
}

/// read(2) of /dev/kmsg: one record, waiting for it unless the file is
/// non-blocking.
pub(crate) fn read_kmsg(ctx: &mut SyscallCtx<'_>, f: &OpenFile, k: &KmsgFile, buf: u64, count: usize) -> SysResult {
    if !k.readable() {
        return Err(Errno::EBADF);
    }
    let nonblock = host::fcntl_int(f.host_fd()?, libc::F_GETFL, 0)? & O_NONBLOCK != 0;
    let text = loop {
        let seen = k.klog().arrivals();
        match k.next_record(count) {
            Err(Errno::EAGAIN) if !nonblock => wait_for_records(ctx, k.klog(), seen)?,
            r => break r?,
        }
    };
    ctx.user().write(buf, &text)?;
    Ok(text.len() as u64)
}

/// readv(2) of /dev/kmsg: Linux's read of each buffer in turn (the file
/// has no vectored read), until one is not filled.
pub(crate) fn readv_kmsg(ctx: &mut SyscallCtx<'_>, f: &OpenFile, k: &KmsgFile, iov: &[(u64, u64)]) -> SysResult {
    let mut total = 0u64;
    for &(base, len) in iov {
        let n = match read_kmsg(ctx, f, k, base, len.min(usize::MAX as u64) as usize) {
            Ok(n) => n,
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        };
        total += n;
        if n != len {
            break;
        }
    }
    Ok(total)
}

/// write(2) and writev(2) of a file the kernel emulates: one record for
/// /dev/kmsg (the buffers together); nothing else takes writes (a
/// signalfd is EINVAL).
pub(crate) fn write_emulated(ctx: &mut SyscallCtx<'_>, f: &OpenFile, iov: &[(u64, u64)]) -> SysResult {
    let Some(k) = f.emulated().and_then(kmsg::of) else { return Err(Errno::EINVAL) };
    if !k.writable() {
        return Err(Errno::EBADF);
    }
    let total = iov.iter().fold(0u64, |t, &(_, len)| t.saturating_add(len));
    if total > kmsg::WRITE_MAX as u64 {
        return Err(Errno::EINVAL);
    }
    let mut bytes = vec![0u8; total as usize];
    let mut at = 0;
    for &(base, len) in iov {
        let len = len as usize;
        ctx.user().read(base, &mut bytes[at..at + len])?;
        at += len;
    }
    let (console, text) = k.write(&bytes);
    if console {
        use std::io::Write;
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(&text);
        let _ = err.write_all(b"\n");
    }
    Ok(total)
}
