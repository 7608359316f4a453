//! Sockets: guest descriptors on host sockets, as files are.
//!
//! The host does the networking; the kernel translates what the host and
//! the guest see differently: unix addresses (`addr`), descriptors and
//! credentials in messages (`msg`), and the peer credentials of unix
//! sockets, which on the host are always nommu's own (`kernel::net`
//! remembers which guest process owns each socket).

mod addr;
pub(crate) mod ioctl;
mod msg;
pub(crate) mod show;
#[cfg(test)]
mod tests;

use super::args::{
    Fd, InBytes, IntFlags, Opaque, OutBytes, PipeFds, SockAddrIn, SockAddrOut, SockDomain, SockLen, SockType,
    TimespecIn, UserPtr,
};
use super::file::epipe;
use super::SyscallCtx;
use crate::abi::socket::{
    Mmsghdr, Msghdr, Ucred, AF_INET, AF_INET6, AF_UNIX, MSG_CMSG_COMPAT, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_WAITFORONE,
    SOCKADDR_STORAGE_SIZE, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_RAW, SOCK_TYPE_MASK, SOL_SOCKET, SO_DOMAIN, SO_PEERCRED,
    SO_PEERPIDFD,
};
use crate::arch::host::Wait;
use crate::arch::hostnet;
use crate::errno::{Errno, SysResult};
use crate::fs::file::OpenFile;
use crate::kernel::net::NetMode;
use crate::mm::abi_bytes::{from_bytes, ByteValued};
use std::mem::size_of;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::Arc;

/// The longest option value passed through (`TCP_INFO` and the like are
/// far shorter).
const OPTVAL_MAX: usize = 4096;

/// A guest socket: its open file, host descriptor, family and inode.
struct Sock {
    file: Arc<OpenFile>,
    fd: RawFd,
    family: u16,
    ino: u64,
}

impl Sock {
    fn get(ctx: &SyscallCtx<'_>, fd: Fd) -> SysResult<Sock> {
        let file = ctx.file(fd.0 as u64)?;
        let host_fd = file.host_fd().map_err(|_| Errno::ENOTSOCK)?;
        let (family, ino) = file.socket_id(|| -> SysResult<(u16, u64)> {
            let mut domain = [0u8; 4];
            hostnet::getsockopt(host_fd, SOL_SOCKET, SO_DOMAIN, &mut domain)?;
            Ok((i32::from_ne_bytes(domain) as u16, hostnet::socket_inode(host_fd)?))
        })?;
        Ok(Sock { file, fd: host_fd, family, ino })
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    /// Whether a call on it may wait (then a guest signal must end it).
    fn may_block(&self, flags: i32) -> bool {
        flags & MSG_DONTWAIT == 0 && self.file.may_block()
    }

    fn is_inet(&self) -> bool {
        matches!(self.family, AF_INET | AF_INET6)
    }
}

/// What `/proc/<pid>/fd` shows for a host descriptor that is no file of
/// the root: `socket:[N]` for a socket.
pub(crate) fn socket_or_host_path(ctx: &SyscallCtx<'_>, fd: &OwnedFd) -> Vec<u8> {
    if let Some(p) = ctx.m.root.guest_path_of(fd.as_raw_fd()) {
        return p;
    }
    let link = std::ffi::CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap_or_default();
    crate::arch::host::readlinkat(libc::AT_FDCWD, &link).unwrap_or_default()
}

/// Installs a new host socket as a guest descriptor owned by the caller.
fn install_socket(ctx: &SyscallCtx<'_>, fd: OwnedFd, cloexec: bool) -> SysResult<u64> {
    let ino = hostnet::socket_inode(fd.as_raw_fd())?;
    let file = Arc::new(OpenFile::host(fd, format!("socket:[{ino}]").into_bytes()));
    let limit = ctx.task.process.fd_limit();
    let n = ctx.task.process.files().install(limit, file.clone(), cloexec)?;
    ctx.m.net.set_owner(ino, &file, ctx.task.process.pid);
    Ok(n as u64)
}

fn check_type_flags(ty: i32) -> SysResult<()> {
    if ty & !(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub(crate) fn sys_socket(ctx: &mut SyscallCtx<'_>, domain: SockDomain, ty: SockType, protocol: i32) -> SysResult {
    let (domain, ty) = (domain.0, ty.0);
    check_type_flags(ty)?;
    match domain as u16 {
        AF_UNIX => {}
        AF_INET | AF_INET6 if ctx.m.net.mode() == NetMode::None && ty & SOCK_TYPE_MASK == SOCK_RAW => {
            return Err(Errno::EPERM)
        }
        AF_INET | AF_INET6 => {}
        // Netlink, packet and the rest would reach (and, as root, change)
        // the host's own network configuration.
        _ => return Err(Errno::EAFNOSUPPORT),
    }
    ctx.check_free_fds(1)?;
    let fd = hostnet::socket(domain, ty & !SOCK_CLOEXEC, protocol).map_err(Errno::from)?;
    install_socket(ctx, fd, ty & SOCK_CLOEXEC != 0)
}

pub(crate) fn sys_socketpair(
    ctx: &mut SyscallCtx<'_>,
    domain: SockDomain,
    ty: SockType,
    protocol: i32,
    sv: UserPtr<PipeFds>,
) -> SysResult {
    let (domain, ty) = (domain.0, ty.0);
    check_type_flags(ty)?;
    match domain as u16 {
        AF_UNIX => {}
        AF_INET | AF_INET6 => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EAFNOSUPPORT),
    }
    ctx.check_free_fds(2)?;
    let (a, b) = hostnet::socketpair(domain, ty & !SOCK_CLOEXEC, protocol).map_err(Errno::from)?;
    let (ino_a, ino_b) = (hostnet::socket_inode(a.as_raw_fd())?, hostnet::socket_inode(b.as_raw_fd())?);
    let cloexec = ty & SOCK_CLOEXEC != 0;
    let fa = install_socket(ctx, a, cloexec)?;
    let fb = match install_socket(ctx, b, cloexec) {
        Ok(n) => n,
        Err(e) => {
            let _ = ctx.task.process.files().close(fa as i32);
            return Err(e);
        }
    };
    let pid = ctx.task.process.pid;
    ctx.m.net.set_peer(ino_a, pid);
    ctx.m.net.set_peer(ino_b, pid);
    let fds = [fa as i32, fb as i32];
    if let Err(e) = ctx.user().write_val(sv.addr(), fds) {
        let mut files = ctx.task.process.files();
        let _ = files.close(fds[0]);
        let _ = files.close(fds[1]);
        return Err(e);
    }
    Ok(0)
}

pub(crate) fn sys_bind(ctx: &mut SyscallCtx<'_>, fd: Fd, addr: UserPtr<SockAddrIn>, addrlen: u32) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    let guest = addr::read(ctx, addr.addr(), addrlen)?;
    let host = addr::to_host(ctx, &guest, addr::Use::Bind)?;
    // A bind that creates a socket file gets the guest's umask, not nommu's.
    hostnet::bind(sock.fd, &host.bytes)?;
    if let Some(name) = host.guest_name.clone() {
        if host.bytes.len() > 2 && host.bytes[2] != 0 {
            apply_umask(ctx, &host);
        }
        ctx.m.net.bind(host.unix_name().to_vec(), name, &sock.file);
    }
    Ok(0)
}

/// nommu's host umask is 0: a socket file a bind made gets the mode the
/// guest's umask would have given it.
fn apply_umask(ctx: &SyscallCtx<'_>, host: &addr::HostAddr) {
    let name = host.unix_name();
    let path = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
    let umask = ctx.task.process.fs().umask;
    if let Ok(c) = std::ffi::CString::new(path) {
        let _ = crate::arch::host::fchmodat(libc::AT_FDCWD, &c, 0o777 & !umask);
    }
}

pub(crate) fn sys_listen(ctx: &mut SyscallCtx<'_>, fd: Fd, backlog: i32) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    if sock.is_inet() && ctx.m.net.mode() == NetMode::None {
        return Err(Errno::EADDRNOTAVAIL);
    }
    hostnet::listen(sock.fd, backlog)?;
    ctx.m.net.set_owner(sock.ino(), &sock.file, ctx.task.process.pid);
    Ok(0)
}

pub(crate) fn sys_connect(ctx: &mut SyscallCtx<'_>, fd: Fd, addr: UserPtr<SockAddrIn>, addrlen: u32) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    let guest = addr::read(ctx, addr.addr(), addrlen)?;
    let host = addr::to_host(ctx, &guest, addr::Use::Reach)?;
    if sock.may_block(0) {
        ctx.block(Errno::ERESTARTSYS, |_| Ok(hostnet::connect(sock.fd, &host.bytes, Wait::Interruptible)?))?;
    } else {
        hostnet::connect(sock.fd, &host.bytes, Wait::Uninterruptible)?;
    }
    if sock.family == AF_UNIX {
        let ino = sock.ino();
        ctx.m.net.set_owner(ino, &sock.file, ctx.task.process.pid);
        // The listener's owner is the peer (Linux records the listener's
        // credentials at listen time).
        if let Some(listener) = hostnet::sockname(sock.fd, true).ok().and_then(|a| {
            let name = a.written().get(2..)?.to_vec();
            ctx.m.net.bound_socket(&name)
        }) {
            if let Some(pid) =
                listener.host_fd().ok().and_then(|f| hostnet::socket_inode(f).ok()).and_then(|i| ctx.m.net.owner(i))
            {
                ctx.m.net.set_peer(ino, pid);
            }
        }
    }
    Ok(0)
}

pub(crate) fn sys_accept(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    addr: UserPtr<SockAddrOut>,
    addrlen: UserPtr<SockLen>,
) -> SysResult {
    accept(ctx, fd, addr, addrlen, 0)
}

pub(crate) fn sys_accept4(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    addr: UserPtr<SockAddrOut>,
    addrlen: UserPtr<SockLen>,
    flags: SockType,
) -> SysResult {
    accept(ctx, fd, addr, addrlen, flags.0)
}

fn accept(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    addr: UserPtr<SockAddrOut>,
    addrlen: UserPtr<SockLen>,
    flags: i32,
) -> SysResult {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let sock = Sock::get(ctx, fd)?;
    ctx.check_free_fds(1)?;
    let host_flags = flags & SOCK_NONBLOCK;
    let (new, peer) = if sock.may_block(0) {
        ctx.block(Errno::ERESTARTSYS, |_| Ok(hostnet::accept4(sock.fd, host_flags, Wait::Interruptible)?))?
    } else {
        hostnet::accept4(sock.fd, host_flags, Wait::Uninterruptible)?
    };
    let (guest, len) = addr::to_guest(ctx, peer.written(), peer.len);
    // Linux loses the connection when the address cannot be written.
    addr::write_out(ctx, addr.addr(), addrlen.addr(), &guest, len)?;
    install_socket(ctx, new, flags & SOCK_CLOEXEC != 0)
}

fn sockname(ctx: &mut SyscallCtx<'_>, fd: Fd, addr: u64, addrlen: u64, peer: bool) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    let host = hostnet::sockname(sock.fd, peer)?;
    let (guest, len) = addr::to_guest(ctx, host.written(), host.len);
    addr::write_out(ctx, addr, addrlen, &guest, len)?;
    Ok(0)
}

pub(crate) fn sys_getsockname(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    addr: UserPtr<SockAddrOut>,
    addrlen: UserPtr<SockLen>,
) -> SysResult {
    sockname(ctx, fd, addr.addr(), addrlen.addr(), false)
}

pub(crate) fn sys_getpeername(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    addr: UserPtr<SockAddrOut>,
    addrlen: UserPtr<SockLen>,
) -> SysResult {
    sockname(ctx, fd, addr.addr(), addrlen.addr(), true)
}

pub(crate) fn sys_shutdown(ctx: &mut SyscallCtx<'_>, fd: Fd, how: i32) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    hostnet::shutdown(sock.fd, how)?;
    Ok(0)
}

/// The pid of a unix socket's peer, as a guest sees it.
fn peer_pid(ctx: &SyscallCtx<'_>, sock: &Sock) -> Option<i32> {
    let ino = sock.ino();
    if let Some(pid) = ctx.m.net.known_peer(ino) {
        return Some(pid);
    }
    hostnet::unix_peer_inode(ino).and_then(|peer| ctx.m.net.owner(peer))
}

/// The guest process a received message came from: the last to send on
/// the socket it was sent from (named by the sender's address, else this
/// socket's peer).
fn sender_pid(ctx: &SyscallCtx<'_>, sock: &Sock, from: &[u8]) -> Option<i32> {
    let from_ino = match from.get(2..).filter(|n| !n.is_empty()) {
        Some(name) => {
            ctx.m.net.bound_socket(name).and_then(|f| f.host_fd().ok()).and_then(|fd| hostnet::socket_inode(fd).ok())
        }
        None => hostnet::unix_peer_inode(sock.ino()),
    };
    from_ino.and_then(|ino| ctx.m.net.sender(ino)).or_else(|| peer_pid(ctx, sock))
}

pub(crate) fn sys_getsockopt(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    level: i32,
    optname: i32,
    optval: UserPtr<Opaque>,
    optlen: UserPtr<SockLen>,
) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    let room: i32 = ctx.user().read_val(optlen.addr())?;
    if room < 0 {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; (room as usize).min(OPTVAL_MAX)];
    if level == SOL_SOCKET && optname == SO_PEERPIDFD {
        // A pidfd would name nommu itself.
        return Err(Errno::ENOPROTOOPT);
    }
    let n = hostnet::getsockopt(sock.fd, level, optname, &mut buf)?;
    if level == SOL_SOCKET && optname == SO_PEERCRED && n >= size_of::<Ucred>() {
        let c: Ucred = from_bytes(&buf[..n]).unwrap_or_default();
        let g = msg::creds_to_guest(c, peer_pid(ctx, &sock));
        buf[..size_of::<Ucred>()].copy_from_slice(g.as_slice());
    }
    let n = n.min(buf.len());
    ctx.user().write(optval.addr(), &buf[..n])?;
    ctx.user().write_val(optlen.addr(), n as u32)?;
    Ok(0)
}

pub(crate) fn sys_setsockopt(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    level: i32,
    optname: i32,
    optval: UserPtr<InBytes>,
    optlen: u32,
) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    if (optlen as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; (optlen as usize).min(OPTVAL_MAX)];
    ctx.user().read(optval.addr(), &mut buf)?;
    hostnet::setsockopt(sock.fd, level, optname, &buf)?;
    Ok(0)
}

/// Sends one message; the host never raises SIGPIPE in nommu, the guest
/// gets its own unless it asked for MSG_NOSIGNAL.
fn send(
    ctx: &mut SyscallCtx<'_>,
    sock: &Sock,
    data: Data<'_>,
    name: &[u8],
    control: &[u8],
    flags: i32,
    sender: i32,
) -> SysResult {
    if sock.family == AF_UNIX {
        ctx.m.net.note_sender(sock.ino(), sender);
    }
    let host_flags = flags | MSG_NOSIGNAL;
    let send = |ctx: &SyscallCtx<'_>, interruptible| match data {
        Data::One(buf) => ctx.user().host_sendto(sock.fd, buf, name, host_flags, interruptible),
        Data::Iov(iov) => ctx.user().host_sendmsg(sock.fd, iov, name, control, host_flags, interruptible),
    };
    let r = if sock.may_block(flags) { ctx.block(Errno::ERESTARTSYS, |ctx| send(ctx, true)) } else { send(ctx, false) };
    if flags & MSG_NOSIGNAL != 0 {
        return r.map(|n| n as u64);
    }
    epipe(ctx, r)
}

pub(crate) fn sys_sendto(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    buf: UserPtr<InBytes>,
    len: usize,
    flags: IntFlags,
    dest: UserPtr<SockAddrIn>,
    addrlen: u32,
) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    let host = match dest.is_null() {
        true => None,
        false => Some(addr::to_host(ctx, &addr::read(ctx, dest.addr(), addrlen)?, addr::Use::Reach)?),
    };
    let name = host.as_ref().map_or(&[][..], |h| &h.bytes[..]);
    let pid = ctx.task.process.pid;
    send(ctx, &sock, Data::One((buf.addr(), len.min(i32::MAX as usize) as u64)), name, &[], flags.0 as i32, pid)
}

pub(crate) fn sys_recvfrom(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    buf: UserPtr<OutBytes>,
    len: usize,
    flags: IntFlags,
    src: UserPtr<SockAddrOut>,
    addrlen: UserPtr<SockLen>,
) -> SysResult {
    let sock = Sock::get(ctx, fd)?;
    let mut name = [0u8; SOCKADDR_STORAGE_SIZE];
    let want_name = !src.is_null();
    let one = Data::One((buf.addr(), len.min(i32::MAX as usize) as u64));
    let got = receive(ctx, &sock, one, if want_name { &mut name } else { &mut [] }, &mut [], flags.0 as i32)?;
    if want_name {
        let (guest, glen) = addr::to_guest(ctx, &name[..got.name_len.min(SOCKADDR_STORAGE_SIZE)], got.name_len);
        addr::write_out(ctx, src.addr(), addrlen.addr(), &guest, glen)?;
    }
    Ok(got.len as u64)
}

/// The guest's data: one buffer (send, sendto, recv, recvfrom: the host
/// is asked the same, by sendto/recvfrom) or an iovec array (sendmsg,
/// recvmsg).
#[derive(Clone, Copy)]
enum Data<'a> {
    One((u64, u64)),
    Iov(&'a [(u64, u64)]),
}

fn receive(
    ctx: &mut SyscallCtx<'_>,
    sock: &Sock,
    data: Data<'_>,
    name: &mut [u8],
    control: &mut [u8],
    flags: i32,
) -> SysResult<crate::mm::uaccess::Received> {
    let mut recv = |ctx: &SyscallCtx<'_>, interruptible| match data {
        Data::One(buf) => ctx.user().host_recvfrom(sock.fd, buf, name, flags, interruptible),
        Data::Iov(iov) => ctx.user().host_recvmsg(sock.fd, iov, name, control, flags, interruptible),
    };
    if sock.may_block(flags) {
        let mut r = None;
        ctx.block(Errno::ERESTARTSYS, |ctx| {
            r = Some(recv(ctx, true)?);
            Ok(())
        })?;
        r.ok_or(Errno::EINTR)
    } else {
        recv(ctx, false)
    }
}

/// One sendmsg: the message at `ptr`; returns the bytes sent.
fn sendmsg_one(ctx: &mut SyscallCtx<'_>, sock: &Sock, ptr: u64, flags: i32) -> SysResult {
    let m = msg::read_msghdr(ctx, ptr)?;
    let host = match m.hdr.msg_namelen {
        0 => None,
        n => Some(addr::to_host(ctx, &addr::read(ctx, m.hdr.msg_name, n)?, addr::Use::Reach)?),
    };
    let control = match m.hdr.msg_controllen {
        0 => None,
        n => Some(msg::control_to_host(ctx, m.hdr.msg_control, n)?),
    };
    let sender = control.as_ref().and_then(|c| c.cred_pid).unwrap_or(ctx.task.process.pid);
    let name = host.as_ref().map_or(&[][..], |h| &h.bytes[..]);
    let control = control.as_ref().map_or(&[][..], |c| &c.bytes[..]);
    send(ctx, sock, Data::Iov(&m.iov), name, control, flags, sender)
}

/// One recvmsg into the message at `ptr`: writes back its name and
/// control lengths and flags; returns the bytes received.
fn recvmsg_one(ctx: &mut SyscallCtx<'_>, sock: &Sock, ptr: u64, flags: i32) -> SysResult {
    let m = msg::read_msghdr(ctx, ptr)?;
    let mut name = [0u8; SOCKADDR_STORAGE_SIZE];
    let mut control = vec![0u8; (m.hdr.msg_controllen as usize).min(msg::CONTROL_MAX)];
    let name_buf: &mut [u8] = if m.hdr.msg_name == 0 { &mut [] } else { &mut name };
    let got = receive(ctx, sock, Data::Iov(&m.iov), name_buf, &mut control, flags)?;
    let mut msg_flags = got.flags;
    let control = &mut control[..got.control_len.min(m.hdr.msg_controllen as usize)];
    let from = &name[..got.name_len.min(SOCKADDR_STORAGE_SIZE)];
    let peer = || sender_pid(ctx, sock, from);
    msg::control_to_guest(ctx, control, flags, &mut msg_flags, &peer);
    let namelen = msg::name_to_guest(ctx, &m.hdr, from)?;
    if !control.is_empty() {
        ctx.user().write(m.hdr.msg_control, control)?;
    }
    let out = Msghdr { msg_namelen: namelen, msg_controllen: control.len() as u64, msg_flags, ..m.hdr };
    ctx.user().write_val(ptr, out)?;
    Ok(got.len as u64)
}

/// The flags of sendmsg, recvmsg, sendmmsg and recvmmsg (an unsigned int).
fn message_flags(flags: IntFlags) -> SysResult<i32> {
    let flags = flags.0;
    if flags & MSG_CMSG_COMPAT != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(flags as i32)
}

pub(crate) fn sys_sendmsg(ctx: &mut SyscallCtx<'_>, fd: Fd, msg: UserPtr<Opaque>, flags: IntFlags) -> SysResult {
    let flags = message_flags(flags)?;
    let sock = Sock::get(ctx, fd)?;
    sendmsg_one(ctx, &sock, msg.addr(), flags)
}

pub(crate) fn sys_recvmsg(ctx: &mut SyscallCtx<'_>, fd: Fd, msg: UserPtr<Opaque>, flags: IntFlags) -> SysResult {
    let flags = message_flags(flags)?;
    let sock = Sock::get(ctx, fd)?;
    recvmsg_one(ctx, &sock, msg.addr(), flags)
}

/// sendmmsg/recvmmsg: as many messages as go; an error after the first
/// is reported by the count (as Linux does), the first one's by itself.
fn each_mmsg(
    ctx: &mut SyscallCtx<'_>,
    vec: u64,
    vlen: u32,
    mut one: impl FnMut(&mut SyscallCtx<'_>, u64, usize) -> SysResult,
) -> SysResult {
    let vlen = vlen.min(crate::abi::fcntl::UIO_MAXIOV as u32) as u64;
    let size = std::mem::size_of::<Mmsghdr>() as u64;
    let mut done = 0u64;
    while done < vlen {
        let at = vec + done * size;
        match one(ctx, at, done as usize) {
            Ok(n) => {
                ctx.user().write_val(at + std::mem::size_of::<Msghdr>() as u64, n as u32)?;
                done += 1;
            }
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(done)
}

pub(crate) fn sys_sendmmsg(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    msgvec: UserPtr<Opaque>,
    vlen: u32,
    flags: IntFlags,
) -> SysResult {
    let flags = message_flags(flags)?;
    let sock = Sock::get(ctx, fd)?;
    each_mmsg(ctx, msgvec.addr(), vlen, |ctx, at, _| sendmsg_one(ctx, &sock, at, flags))
}

pub(crate) fn sys_recvmmsg(
    ctx: &mut SyscallCtx<'_>,
    fd: Fd,
    msgvec: UserPtr<Opaque>,
    vlen: u32,
    flags: IntFlags,
    timeout: UserPtr<TimespecIn>,
) -> SysResult {
    // Linux reads and checks the timeout before the flags and the
    // descriptor.
    if !timeout.is_null() {
        ctx.read_timespec(timeout.addr())?;
    }
    let flags = message_flags(flags)?;
    let sock = Sock::get(ctx, fd)?;
    each_mmsg(ctx, msgvec.addr(), vlen, |ctx, at, i| {
        // After the first message, MSG_WAITFORONE makes the rest non-blocking.
        let f = if i > 0 && flags & MSG_WAITFORONE != 0 { flags | MSG_DONTWAIT } else { flags };
        recvmsg_one(ctx, &sock, at, f & !MSG_WAITFORONE)
    })
}
