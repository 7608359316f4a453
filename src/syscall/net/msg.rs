//! Messages: `msghdr`s and their control messages between guest and host.
//!
//! Data never leaves guest memory (the host reads and fills the guest's
//! buffers through its iovecs); names and control messages are copied,
//! because they hold what the host and the guest name differently:
//! descriptors (`SCM_RIGHTS`: guest numbers out, host descriptors in
//! between) and process ids (`SCM_CREDENTIALS`: guest pids).

use super::super::SyscallCtx;
use super::addr;
use crate::abi::fcntl::UIO_MAXIOV;
use crate::abi::socket::{
    cmsg_align, Cmsghdr, Msghdr, Ucred, CMSG_HDR_LEN, MSG_CMSG_CLOEXEC, MSG_CTRUNC, SCM_CREDENTIALS, SCM_MAX_FD,
    SCM_RIGHTS, SOCKADDR_STORAGE_SIZE, SOL_SOCKET,
};
use crate::errno::{Errno, SysResult};
use crate::fs::file::OpenFile;
use crate::mm::abi_bytes::{from_bytes, ByteValued};
use std::mem::size_of;
use std::os::fd::{OwnedFd, RawFd};
use std::sync::Arc;

/// The most control data one call passes (Linux's `optmem_max` is of
/// this order).
pub(super) const CONTROL_MAX: usize = 64 << 10;

/// A guest `msghdr`, checked as Linux's `copy_msghdr_from_user` checks it.
pub(super) struct GuestMsg {
    pub hdr: Msghdr,
    pub iov: Vec<(u64, u64)>,
}

pub(super) fn read_msghdr(ctx: &SyscallCtx<'_>, ptr: u64) -> SysResult<GuestMsg> {
    let mut hdr: Msghdr = ctx.user().read_val(ptr)?;
    if hdr.msg_name == 0 {
        hdr.msg_namelen = 0;
    }
    if (hdr.msg_namelen as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    hdr.msg_namelen = hdr.msg_namelen.min(SOCKADDR_STORAGE_SIZE as u32);
    if hdr.msg_iovlen > UIO_MAXIOV as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let iov = if hdr.msg_iovlen == 0 {
        Vec::new()
    } else {
        super::super::file::read_iovecs(ctx, hdr.msg_iov, hdr.msg_iovlen as i32)?
    };
    Ok(GuestMsg { hdr, iov })
}

/// The guest's control messages made into the host's: descriptors become
/// host descriptors (held by `files` for the call), credentials the
/// host's own.
pub(super) struct HostControl {
    pub bytes: Vec<u8>,
    _files: Vec<Arc<OpenFile>>,
    /// The pid an `SCM_CREDENTIALS` message named.
    pub cred_pid: Option<i32>,
}

pub(super) fn control_to_host(ctx: &SyscallCtx<'_>, ptr: u64, len: u64) -> SysResult<HostControl> {
    if len > CONTROL_MAX as u64 {
        return Err(Errno::ENOBUFS);
    }
    let mut bytes = vec![0u8; len as usize];
    ctx.user().read(ptr, &mut bytes)?;
    let mut files = Vec::new();
    let mut cred_pid = None;
    let mut at = 0usize;
    while bytes.len().saturating_sub(at) >= CMSG_HDR_LEN {
        let hdr = cmsg_at(&bytes, at);
        let clen = hdr.cmsg_len as usize;
        if clen < CMSG_HDR_LEN || clen > bytes.len() - at {
            return Err(Errno::EINVAL);
        }
        let data = at + CMSG_HDR_LEN..at + clen;
        if hdr.cmsg_level == SOL_SOCKET && hdr.cmsg_type == SCM_RIGHTS {
            let n = data.len() / 4;
            if n > SCM_MAX_FD {
                return Err(Errno::EINVAL);
            }
            for i in 0..n {
                let o = data.start + 4 * i;
                let guest_fd = i32::from_ne_bytes(bytes[o..o + 4].try_into().unwrap_or_default());
                let f = ctx.task.process.files().get(guest_fd)?;
                // The kernel's generated files have no host descriptor to
                // pass.
                let host_fd = f.host_fd().map_err(|_| Errno::EBADF)?;
                bytes[o..o + 4].copy_from_slice(&host_fd.to_ne_bytes());
                files.push(f);
            }
        } else if hdr.cmsg_level == SOL_SOCKET && hdr.cmsg_type == SCM_CREDENTIALS {
            if data.len() != std::mem::size_of::<Ucred>() {
                return Err(Errno::EINVAL);
            }
            let cred = read_ucred(&bytes[data.clone()]);
            // The guest is root: any live process may be named, as with
            // CAP_SYS_ADMIN; the host then sees nommu's own credentials.
            if cred.pid != ctx.task.process.pid && ctx.m.process(cred.pid).is_none() {
                return Err(Errno::ESRCH);
            }
            cred_pid = Some(cred.pid);
            let host = host_creds();
            bytes[data].copy_from_slice(host.as_slice());
        }
        at = at.saturating_add(cmsg_align(clen));
    }
    Ok(HostControl { bytes, _files: files, cred_pid })
}

fn cmsg_at(bytes: &[u8], at: usize) -> Cmsghdr {
    bytes.get(at..).and_then(from_bytes).unwrap_or_default()
}

fn read_ucred(b: &[u8]) -> Ucred {
    from_bytes(b).unwrap_or_default()
}

/// nommu's own credentials, as the host sees every guest.
pub(super) fn host_creds() -> Ucred {
    let (pid, uid, gid) = crate::arch::hostnet::own_credentials();
    Ucred { pid, uid, gid }
}

/// Host credentials as a guest sees them: nommu's own are a guest's (pid
/// `guest_pid`, which the caller worked out; root), anyone else's are a
/// process outside the machine (pid 0, its ids as they are).
pub(super) fn creds_to_guest(c: Ucred, guest_pid: Option<i32>) -> Ucred {
    let own = host_creds();
    if c.pid == own.pid {
        return Ucred { pid: guest_pid.unwrap_or(0), uid: 0, gid: 0 };
    }
    Ucred { pid: 0, uid: c.uid, gid: c.gid }
}

/// The host's control messages made into the guest's: received host
/// descriptors become guest descriptors (or are closed, with MSG_CTRUNC,
/// if the guest's table is full), credentials the guest's.
pub(super) fn control_to_guest(
    ctx: &SyscallCtx<'_>,
    bytes: &mut [u8],
    flags: i32,
    msg_flags: &mut i32,
    peer_pid: &dyn Fn() -> Option<i32>,
) {
    // Take every received descriptor first, so none leaks whatever happens.
    let mut at = 0usize;
    while bytes.len().saturating_sub(at) >= CMSG_HDR_LEN {
        let hdr = cmsg_at(bytes, at);
        let clen = (hdr.cmsg_len as usize).min(bytes.len() - at);
        if clen < CMSG_HDR_LEN {
            break;
        }
        let data = at + CMSG_HDR_LEN..at + clen;
        if hdr.cmsg_level == SOL_SOCKET && hdr.cmsg_type == SCM_RIGHTS {
            for o in data.clone().step_by(4).take_while(|o| o + 4 <= data.end) {
                let host_fd = RawFd::from_ne_bytes(bytes[o..o + 4].try_into().unwrap_or_default());
                let owned = crate::arch::hostnet::received_fd(host_fd);
                let guest_fd = install_received(ctx, owned, flags & MSG_CMSG_CLOEXEC != 0).unwrap_or_else(|_| {
                    *msg_flags |= MSG_CTRUNC;
                    -1
                });
                bytes[o..o + 4].copy_from_slice(&guest_fd.to_ne_bytes());
            }
        } else if hdr.cmsg_level == SOL_SOCKET && hdr.cmsg_type == SCM_CREDENTIALS && data.len() >= 12 {
            let c = creds_to_guest(read_ucred(&bytes[data.clone()]), peer_pid());
            bytes[data.start..data.start + size_of::<Ucred>()].copy_from_slice(c.as_slice());
        }
        at = at.saturating_add(cmsg_align(clen));
    }
}

fn install_received(ctx: &SyscallCtx<'_>, fd: OwnedFd, cloexec: bool) -> SysResult<i32> {
    let path = super::socket_or_host_path(ctx, &fd);
    let file = std::sync::Arc::new(OpenFile::host(fd, path));
    crate::kernel::pty::received(ctx.m, &file);
    // RLIMIT_NOFILE is looked up before the table's lock is taken.
    let limit = ctx.task.process.fd_limit();
    let n = ctx.task.process.files().install(limit, file, cloexec)?;
    Ok(n)
}

/// The name a message came from, in the guest's form, written to the
/// guest's `msg_name` (its length to `msg_namelen` at `hdr_ptr`).
pub(super) fn name_to_guest(ctx: &SyscallCtx<'_>, hdr: &Msghdr, host: &[u8]) -> SysResult<u32> {
    if hdr.msg_name == 0 || host.is_empty() {
        return Ok(0);
    }
    let (guest, len) = addr::to_guest(ctx, host, host.len());
    let n = guest.len().min(hdr.msg_namelen as usize);
    ctx.user().write(hdr.msg_name, &guest[..n])?;
    Ok(len as u32)
}
