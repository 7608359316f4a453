//! The socket calls' way into guest memory: sendto/recvfrom of one guest
//! buffer, sendmsg/recvmsg of an iovec array, names and control data in
//! host buffers.

use super::{raw_syscall, UserMemory};
use crate::abi::socket::Msghdr;
use crate::errno::SysResult;

/// What `host_recvmsg` received: the data's length (which with MSG_TRUNC
/// may exceed what was stored), and how much of the name and control
/// buffers the host filled, with the message's flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    pub len: usize,
    pub name_len: usize,
    pub control_len: usize,
    pub flags: i32,
}

impl UserMemory {
    /// sendmsg(2) of guest data: `iov` in guest memory, `name` and
    /// `control` (already translated) in host memory.
    pub(crate) fn host_sendmsg(
        &self,
        fd: i32,
        iov: &[(u64, u64)],
        name: &[u8],
        control: &[u8],
        flags: i32,
        interruptible: bool,
    ) -> SysResult<usize> {
        self.with_host_iovecs(iov, |host_iov| {
            let hdr = host_msghdr(host_iov, name.as_ptr(), name.len(), control.as_ptr(), control.len());
            let args = [fd as u64, &hdr as *const Msghdr as u64, flags as u64, 0, 0, 0];
            // SAFETY: the iovecs cover checked guest memory; name and
            // control are live host buffers; the kernel only reads them.
            unsafe { raw_syscall(libc::SYS_sendmsg, args, interruptible) }
        })?
    }

    /// sendto(2) of one guest buffer, `name` (already translated) in host
    /// memory: the guest's own call, one host call the same (sendmsg(2)
    /// costs the host ~70 ns more per call here: its msghdr and iovec
    /// copies). The buffer is checked as `host_sendmsg` checks it; a buffer
    /// the host cannot take as one piece goes through `host_sendmsg`.
    pub(crate) fn host_sendto(
        &self,
        fd: i32,
        buf: (u64, u64),
        name: &[u8],
        flags: i32,
        interruptible: bool,
    ) -> SysResult<usize> {
        let iov = [buf];
        self.with_host_iovecs(&iov, |host_iov| {
            let (p, n) = one_host_buffer(host_iov)?;
            let name_ptr = if name.is_empty() { 0 } else { name.as_ptr() as u64 };
            let args = [fd as u64, p, n, flags as u64, name_ptr, name.len() as u64];
            // SAFETY: [p, p+n) is checked guest memory; name is a live host
            // buffer; the kernel only reads them.
            Some(unsafe { raw_syscall(libc::SYS_sendto, args, interruptible) })
        })?
        .unwrap_or_else(|| self.host_sendmsg(fd, &iov, name, &[], flags, interruptible))
    }

    /// recvfrom(2) into one guest buffer, the sender's address (when
    /// `name` is not empty) into the host buffer `name`: the guest's own
    /// call, as `host_sendto`. `Received` has no control data and no
    /// message flags (recvfrom(2) reports neither).
    pub(crate) fn host_recvfrom(
        &self,
        fd: i32,
        buf: (u64, u64),
        name: &mut [u8],
        flags: i32,
        interruptible: bool,
    ) -> SysResult<Received> {
        let iov = [buf];
        self.with_host_iovecs(&iov, |host_iov| {
            let (p, n) = one_host_buffer(host_iov)?;
            let mut name_len = name.len() as u32;
            let (name_ptr, len_ptr) = match name.is_empty() {
                true => (0, 0),
                false => (name.as_mut_ptr() as u64, &mut name_len as *mut u32 as u64),
            };
            let args = [fd as u64, p, n, flags as u64, name_ptr, len_ptr];
            // SAFETY: [p, p+n) is checked guest memory; name is a live host
            // buffer of name_len bytes, name_len a live u32.
            let r = unsafe { raw_syscall(libc::SYS_recvfrom, args, interruptible) };
            Some(r.map(|len| Received { len, name_len: name_len as usize, control_len: 0, flags: 0 }))
        })?
        .unwrap_or_else(|| self.host_recvmsg(fd, &iov, name, &mut [], flags, interruptible))
    }

    /// recvmsg(2) into guest memory: the data lands in `iov` (guest
    /// memory); the sender's address and control messages land in the
    /// host buffers `name` and `control`.
    pub(crate) fn host_recvmsg(
        &self,
        fd: i32,
        iov: &[(u64, u64)],
        name: &mut [u8],
        control: &mut [u8],
        flags: i32,
        interruptible: bool,
    ) -> SysResult<Received> {
        self.with_host_iovecs(iov, |host_iov| {
            // The host writes the name and control through these pointers:
            // made from the mutable borrows.
            let (name_len, control_len) = (name.len(), control.len());
            let mut hdr = host_msghdr(host_iov, name.as_mut_ptr(), name_len, control.as_mut_ptr(), control_len);
            let args = [fd as u64, &mut hdr as *mut Msghdr as u64, flags as u64, 0, 0, 0];
            // SAFETY: the iovecs cover checked guest memory; name and
            // control are live host buffers of the lengths given.
            let len = unsafe { raw_syscall(libc::SYS_recvmsg, args, interruptible) }?;
            Ok(Received {
                len,
                name_len: hdr.msg_namelen as usize,
                control_len: hdr.msg_controllen as usize,
                flags: hdr.msg_flags,
            })
        })?
    }
}

/// A `msghdr` for the host: data in `iov`, name and control (null when
/// empty) in host buffers.
fn host_msghdr(
    iov: &[libc::iovec],
    name: *const u8,
    name_len: usize,
    control: *const u8,
    control_len: usize,
) -> Msghdr {
    let ptr = |p: *const u8, len: usize| if len == 0 { 0 } else { p as u64 };
    Msghdr {
        msg_name: ptr(name, name_len),
        msg_namelen: name_len as u32,
        msg_iov: iov.as_ptr() as u64,
        msg_iovlen: iov.len() as u64,
        msg_control: ptr(control, control_len),
        msg_controllen: control_len as u64,
        ..Msghdr::default()
    }
}

/// The one host buffer a single guest buffer became (empty: none), or
/// `None` when it lies in pieces the host must take through an iovec.
fn one_host_buffer(host_iov: &[libc::iovec]) -> Option<(u64, u64)> {
    match host_iov {
        [] => Some((0, 0)),
        [one] => Some((one.iov_base as u64, one.iov_len as u64)),
        _ => None,
    }
}
