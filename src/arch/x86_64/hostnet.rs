//! Host sockets: the calls guest sockets are made of. Addresses and
//! option values here are host memory; data in guest memory goes through
//! `mm::uaccess::UserMemory::host_sendmsg`/`host_recvmsg`.

use super::host::{call, Wait};
use crate::abi::socket::{
    AF_UNIX, NETLINK_SOCK_DIAG, NLMSG_ERROR, NLM_F_REQUEST, SOCKADDR_STORAGE_SIZE, SOCK_CLOEXEC, SOCK_DIAG_BY_FAMILY,
    UDIAG_SHOW_PEER, UNIX_DIAG_PEER,
};
use std::io::Result;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

fn owned(rc: Result<libc::c_long>) -> Result<OwnedFd> {
    let fd = rc? as RawFd;
    // SAFETY: the syscall just returned this fresh descriptor; we own it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// A descriptor the host kernel installed in nommu's table with an
/// `SCM_RIGHTS` message just received: nothing else owns it yet.
pub(crate) fn received_fd(fd: RawFd) -> OwnedFd {
    // SAFETY: recvmsg just created this descriptor for the caller alone.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// nommu's own host credentials (pid, uid, gid), as the host sees every
/// guest on a socket.
pub(crate) fn own_credentials() -> (i32, u32, u32) {
    // SAFETY: getuid and getgid take nothing and cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    (std::process::id() as i32, uid, gid)
}

/// socket(2); the host descriptor is always close-on-exec (the guest's
/// close-on-exec lives in its descriptor table).
pub(crate) fn socket(domain: i32, ty: i32, protocol: i32) -> Result<OwnedFd> {
    let args = [domain as u64, (ty | SOCK_CLOEXEC) as u64, protocol as u64, 0, 0, 0];
    // SAFETY: no pointers.
    owned(unsafe { call(libc::SYS_socket, args, Wait::Uninterruptible) })
}

/// socketpair(2), both ends close-on-exec on the host.
pub(crate) fn socketpair(domain: i32, ty: i32, protocol: i32) -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    let args = [domain as u64, (ty | SOCK_CLOEXEC) as u64, protocol as u64, fds.as_mut_ptr() as u64, 0, 0];
    // SAFETY: fds is a valid out-array of two ints.
    unsafe { call(libc::SYS_socketpair, args, Wait::Uninterruptible) }?;
    // SAFETY: socketpair just returned these two fresh descriptors.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

pub(crate) fn bind(fd: RawFd, addr: &[u8]) -> Result<()> {
    let args = [fd as u64, addr.as_ptr() as u64, addr.len() as u64, 0, 0, 0];
    // SAFETY: addr is a live buffer of the length passed.
    unsafe { call(libc::SYS_bind, args, Wait::Uninterruptible) }.map(drop)
}

/// connect(2); a blocking connect waits as asked.
pub(crate) fn connect(fd: RawFd, addr: &[u8], wait: Wait) -> Result<()> {
    let args = [fd as u64, addr.as_ptr() as u64, addr.len() as u64, 0, 0, 0];
    // SAFETY: addr is a live buffer of the length passed.
    unsafe { call(libc::SYS_connect, args, wait) }.map(drop)
}

pub(crate) fn listen(fd: RawFd, backlog: i32) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { call(libc::SYS_listen, [fd as u64, backlog as u64, 0, 0, 0, 0], Wait::Uninterruptible) }.map(drop)
}

/// An address the host kernel filled in: its bytes (at most a
/// `sockaddr_storage`) and the length the kernel reported, which may be
/// more than it wrote.
pub(crate) struct SockAddrBuf {
    pub bytes: [u8; SOCKADDR_STORAGE_SIZE],
    pub len: usize,
}

impl SockAddrBuf {
    pub(crate) fn new() -> SockAddrBuf {
        SockAddrBuf { bytes: [0; SOCKADDR_STORAGE_SIZE], len: SOCKADDR_STORAGE_SIZE }
    }

    /// What the kernel wrote.
    pub(crate) fn written(&self) -> &[u8] {
        &self.bytes[..self.len.min(SOCKADDR_STORAGE_SIZE)]
    }
}

/// accept4(2): the new connection (close-on-exec on the host) and its
/// peer's address.
pub(crate) fn accept4(fd: RawFd, flags: i32, wait: Wait) -> Result<(OwnedFd, SockAddrBuf)> {
    let mut addr = SockAddrBuf::new();
    let mut len = addr.len as u32;
    let args =
        [fd as u64, addr.bytes.as_mut_ptr() as u64, &mut len as *mut u32 as u64, (flags | SOCK_CLOEXEC) as u64, 0, 0];
    // SAFETY: addr and len are live host buffers the kernel fills.
    let fd = owned(unsafe { call(libc::SYS_accept4, args, wait) })?;
    addr.len = len as usize;
    Ok((fd, addr))
}

/// getsockname(2) (`peer` false) or getpeername(2).
pub(crate) fn sockname(fd: RawFd, peer: bool) -> Result<SockAddrBuf> {
    let mut addr = SockAddrBuf::new();
    let mut len = addr.len as u32;
    let nr = if peer { libc::SYS_getpeername } else { libc::SYS_getsockname };
    let args = [fd as u64, addr.bytes.as_mut_ptr() as u64, &mut len as *mut u32 as u64, 0, 0, 0];
    // SAFETY: addr and len are live host buffers the kernel fills.
    unsafe { call(nr, args, Wait::Uninterruptible) }?;
    addr.len = len as usize;
    Ok(addr)
}

pub(crate) fn shutdown(fd: RawFd, how: i32) -> Result<()> {
    // SAFETY: no pointers.
    unsafe { call(libc::SYS_shutdown, [fd as u64, how as u64, 0, 0, 0, 0], Wait::Uninterruptible) }.map(drop)
}

/// getsockopt(2) into `buf`; returns the length the kernel reported.
pub(crate) fn getsockopt(fd: RawFd, level: i32, name: i32, buf: &mut [u8]) -> Result<usize> {
    let mut len = buf.len() as u32;
    let args = [fd as u64, level as u64, name as u64, buf.as_mut_ptr() as u64, &mut len as *mut u32 as u64, 0];
    // SAFETY: buf and len are live host buffers the kernel fills.
    unsafe { call(libc::SYS_getsockopt, args, Wait::Uninterruptible) }?;
    Ok(len as usize)
}

pub(crate) fn setsockopt(fd: RawFd, level: i32, name: i32, value: &[u8]) -> Result<()> {
    let args = [fd as u64, level as u64, name as u64, value.as_ptr() as u64, value.len() as u64, 0];
    // SAFETY: value is a live buffer of the length passed.
    unsafe { call(libc::SYS_setsockopt, args, Wait::Uninterruptible) }.map(drop)
}

/// SIOCGIFCONF into `buf` (an empty one asks only for the length):
/// returns the length of the interface list.
pub(crate) fn ifconf(fd: RawFd, buf: &mut [u8]) -> Result<usize> {
    #[repr(C)]
    struct Ifconf {
        len: i32,
        buf: *mut u8,
    }
    let ptr = if buf.is_empty() { std::ptr::null_mut() } else { buf.as_mut_ptr() };
    let mut conf = Ifconf { len: buf.len() as i32, buf: ptr };
    // SAFETY: conf is a live ifconf whose buffer is null or `buf`, which
    // the kernel fills up to conf.len bytes.
    let rc = unsafe { libc::ioctl(fd, crate::abi::socket::SIOCGIFCONF as _, &mut conf) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(conf.len.max(0) as usize)
}

/// The inode number of a socket (what `/proc/<pid>/fd` shows as
/// `socket:[N]` and `sock_diag` names sockets by).
pub(crate) fn socket_inode(fd: RawFd) -> Result<u64> {
    // SAFETY: an all-zero stat is a valid out-buffer.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: st is a live out-buffer.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(st.st_ino)
}

/// The inode of a unix socket's peer, asked of the host with `sock_diag`
/// (None if it has none, or the host would not say).
pub(crate) fn unix_peer_inode(ino: u64) -> Option<u64> {
    let nl = socket(libc::AF_NETLINK, libc::SOCK_DGRAM, NETLINK_SOCK_DIAG).ok()?;
    // struct nlmsghdr (16 bytes) + struct unix_diag_req (24 bytes).
    let mut req = [0u8; 40];
    req[0..4].copy_from_slice(&40u32.to_ne_bytes());
    req[4..6].copy_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    req[6..8].copy_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    req[16] = AF_UNIX as u8;
    req[20..24].copy_from_slice(&u32::MAX.to_ne_bytes()); // every state
    req[24..28].copy_from_slice(&(ino as u32).to_ne_bytes());
    req[28..32].copy_from_slice(&UDIAG_SHOW_PEER.to_ne_bytes());
    req[32..40].copy_from_slice(&[0xff; 8]); // no cookie
                                             // SAFETY: req is a live buffer of the length passed.
    let sent = unsafe { libc::send(nl.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) };
    if sent != req.len() as isize {
        return None;
    }
    let mut resp = [0u8; 512];
    // SAFETY: resp is a live buffer of the length passed.
    let n = unsafe { libc::recv(nl.as_raw_fd(), resp.as_mut_ptr().cast(), resp.len(), 0) };
    let resp = resp.get(..usize::try_from(n).ok()?)?;
    parse_peer(resp)
}

/// Finds `UNIX_DIAG_PEER` in a `unix_diag_msg` answer.
fn parse_peer(resp: &[u8]) -> Option<u64> {
    let u16_at = |o: usize| Some(u16::from_ne_bytes(resp.get(o..o.checked_add(2)?)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_ne_bytes(resp.get(o..o.checked_add(4)?)?.try_into().ok()?));
    if u16_at(4)? == NLMSG_ERROR {
        return None;
    }
    let msg_len = (u32_at(0)? as usize).min(resp.len());
    // nlmsghdr (16) + unix_diag_msg (16), then attributes.
    let mut at: usize = 32;
    while at.checked_add(4)? <= msg_len {
        let (len, ty) = (u16_at(at)? as usize, u16_at(at + 2)?);
        if len < 4 {
            return None;
        }
        if ty == UNIX_DIAG_PEER {
            return u32_at(at + 4).map(u64::from);
        }
        at = at.checked_add((len + 3) & !3)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sock_diag_names_a_socketpairs_peer() {
        let (a, b) = socketpair(libc::AF_UNIX, libc::SOCK_STREAM, 0).unwrap();
        let (ia, ib) = (socket_inode(a.as_raw_fd()).unwrap(), socket_inode(b.as_raw_fd()).unwrap());
        assert_eq!(unix_peer_inode(ia), Some(ib));
        assert_eq!(unix_peer_inode(ib), Some(ia));
    }
}
