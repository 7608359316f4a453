//! Argument errors of the socket calls, called directly.

//! Every value asserted is what Linux answers (checked natively); a call
//! that could wait has MSG_DONTWAIT or a non-blocking socket.

use crate::abi::names::number;
use crate::abi::socket::{
    Cmsghdr, Mmsghdr, Msghdr, AF_UNIX, CMSG_HDR_LEN, MSG_CMSG_COMPAT, MSG_DONTWAIT, MSG_NOSIGNAL, SCM_RIGHTS,
    SHUT_RDWR, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK, SOCK_STREAM, SOL_SOCKET, SO_TYPE,
};
use crate::errno::Errno;
use crate::syscall::testkit::{TestMachine, NEG, NO_FD};

const SOCKET: u64 = number("socket");
const CONNECT: u64 = number("connect");
const BIND: u64 = number("bind");
const SOCKETPAIR: u64 = number("socketpair");
const GETSOCKOPT: u64 = number("getsockopt");

#[test]
fn socket_rejects_unknown_families_and_flags() {
    let mut t = TestMachine::new();
    assert_eq!(t.errno(SOCKET, &[4242, SOCK_STREAM as u64, 0]), Errno::EAFNOSUPPORT);
    // Netlink would reach the host's network configuration.
    assert_eq!(t.errno(SOCKET, &[16, 3, 0]), Errno::EAFNOSUPPORT);
    assert_eq!(t.errno(SOCKET, &[AF_UNIX as u64, (SOCK_STREAM | 0x100000) as u64, 0]), Errno::EINVAL);
}

#[test]
fn addresses_are_checked_before_the_host_sees_them() {
    let mut t = TestMachine::new();
    let fd = t.value(SOCKET, &[AF_UNIX as u64, SOCK_STREAM as u64, 0]).unwrap();
    let addr = t.put(0, &[1, 0, b'x', 0]);
    assert_eq!(t.errno(BIND, &[fd, addr, 4096]), Errno::EINVAL);
    assert_eq!(t.errno(BIND, &[fd, addr, 1]), Errno::EINVAL);
    assert_eq!(t.errno(BIND, &[fd, t.bad_ptr(), 4]), Errno::EFAULT);
    // An empty unix name is an autobind for bind, nothing for connect.
    assert_eq!(t.errno(CONNECT, &[fd, addr, 2]), Errno::EINVAL);
    assert_eq!(t.errno(BIND, &[999, addr, 4]), Errno::EBADF);
}

#[test]
fn non_sockets_are_enotsock() {
    let mut t = TestMachine::new();
    let len = t.put(64, &4u32.to_ne_bytes());
    assert_eq!(t.errno(GETSOCKOPT, &[0, 1, 3, t.scratch + 128, len]), Errno::ENOTSOCK);
}

#[test]
fn socketpair_is_unix_only_and_checks_its_array() {
    let mut t = TestMachine::new();
    assert_eq!(t.errno(SOCKETPAIR, &[2, SOCK_STREAM as u64, 0, t.scratch]), Errno::EOPNOTSUPP);
    assert_eq!(t.errno(SOCKETPAIR, &[AF_UNIX as u64, SOCK_STREAM as u64, 0, t.bad_ptr()]), Errno::EFAULT);
    t.value(SOCKETPAIR, &[AF_UNIX as u64, SOCK_STREAM as u64, 0, t.scratch]).unwrap();
}

const LISTEN: u64 = number("listen");
const ACCEPT: u64 = number("accept");
const ACCEPT4: u64 = number("accept4");
const SHUTDOWN: u64 = number("shutdown");
const GETSOCKNAME: u64 = number("getsockname");
const GETPEERNAME: u64 = number("getpeername");
const SETSOCKOPT: u64 = number("setsockopt");
const SENDTO: u64 = number("sendto");
const RECVFROM: u64 = number("recvfrom");
const SENDMSG: u64 = number("sendmsg");
const RECVMSG: u64 = number("recvmsg");
const SENDMMSG: u64 = number("sendmmsg");
const RECVMMSG: u64 = number("recvmmsg");

const UNIX: u64 = AF_UNIX as u64;
const STREAM: u64 = SOCK_STREAM as u64;
const DGRAM: u64 = SOCK_DGRAM as u64;
const DONTWAIT: u64 = MSG_DONTWAIT as u64;
/// Bits above an `int` argument, which Linux never looks at.
const HIGH: u64 = 1 << 32;

/// A connected pair of unix sockets of type `ty`.
fn pair(t: &mut TestMachine, ty: u64) -> (u64, u64) {
    let at = t.scratch + 0xf00;
    t.value(SOCKETPAIR, &[UNIX, ty, 0, at]).unwrap();
    let fds: [i32; 2] = t.m.mem.user.read_val(at).unwrap();
    (fds[0] as u64, fds[1] as u64)
}

/// A pipe's read and write ends: descriptors that are no sockets.
fn pipe(t: &mut TestMachine) -> (u64, u64) {
    t.pipe(0xf08)
}

/// A non-blocking unix stream socket listening on an abstract name; the
/// name's address and length, to connect to.
fn listener(t: &mut TestMachine) -> (u64, u64, u64) {
    let fd = t.value(SOCKET, &[UNIX, STREAM | SOCK_NONBLOCK as u64, 0]).unwrap();
    let name = t.put(0xe00, &[&AF_UNIX.to_ne_bytes()[..], b"\0nommu-unit-listener"].concat());
    let len = 2 + 20;
    assert_eq!(t.value(BIND, &[fd, name, len]), Ok(0));
    assert_eq!(t.value(LISTEN, &[fd, 5]), Ok(0));
    (fd, name, len)
}

/// A socklen_t holding `v`, at `offset` of the scratch memory.
fn socklen(t: &TestMachine, offset: u64, v: i32) -> u64 {
    t.put(offset, &v.to_ne_bytes())
}

#[test]
fn listen_wants_an_unconnected_stream_socket() {
    let mut t = TestMachine::new();
    let (r, _) = pipe(&mut t);
    let (a, _) = pair(&mut t, STREAM);
    let dgram = t.value(SOCKET, &[UNIX, DGRAM, 0]).unwrap();
    assert_eq!(t.errno(LISTEN, &[NO_FD, 1]), Errno::EBADF);
    assert_eq!(t.errno(LISTEN, &[r, 1]), Errno::ENOTSOCK);
    assert_eq!(t.errno(LISTEN, &[dgram, 1]), Errno::EOPNOTSUPP);
    assert_eq!(t.errno(LISTEN, &[a, 1]), Errno::EINVAL, "already connected");
    let (l, _, _) = listener(&mut t);
    // A negative backlog is the most the host allows; the descriptor is
    // an int (the upper half of its register is not looked at).
    assert_eq!(t.value(LISTEN, &[l, NEG]), Ok(0));
    assert_eq!(t.value(LISTEN, &[HIGH | l, 5]), Ok(0));
}

#[test]
fn accept_errors_come_in_linux_order() {
    let mut t = TestMachine::new();
    let (r, _) = pipe(&mut t);
    let (a, _) = pair(&mut t, STREAM);
    let unlistened = t.value(SOCKET, &[UNIX, STREAM, 0]).unwrap();
    let dgram = t.value(SOCKET, &[UNIX, DGRAM, 0]).unwrap();
    let (l, name, name_len) = listener(&mut t);
    let bad = t.bad_ptr();
    assert_eq!(t.errno(ACCEPT, &[NO_FD, 0, 0]), Errno::EBADF);
    assert_eq!(t.errno(ACCEPT, &[r, 0, 0]), Errno::ENOTSOCK);
    assert_eq!(t.errno(ACCEPT, &[dgram, 0, 0]), Errno::EOPNOTSUPP);
    assert_eq!(t.errno(ACCEPT, &[unlistened, 0, 0]), Errno::EINVAL, "not listening");
    assert_eq!(t.errno(ACCEPT, &[a, 0, 0]), Errno::EINVAL, "a connected socket");
    assert_eq!(t.errno(ACCEPT, &[l, 0, 0]), Errno::EAGAIN, "nothing pending");
    // accept4's flags are checked first (an int: the upper half is not).
    assert_eq!(t.errno(ACCEPT4, &[NO_FD, 0, 0, 1]), Errno::EINVAL);
    assert_eq!(t.errno(ACCEPT4, &[l, 0, 0, 0x4000_0000]), Errno::EINVAL);
    assert_eq!(t.errno(ACCEPT4, &[l, 0, 0, HIGH | SOCK_CLOEXEC as u64]), Errno::EAGAIN);
    // The address is written only once there is a connection.
    assert_eq!(t.errno(ACCEPT4, &[l, t.scratch, bad, SOCK_CLOEXEC as u64]), Errno::EAGAIN);

    let connect = |t: &mut TestMachine| {
        let c = t.value(SOCKET, &[UNIX, STREAM, 0]).unwrap();
        assert_eq!(t.value(CONNECT, &[c, name, name_len]), Ok(0));
    };
    // A length or address that cannot take the peer's address fails the
    // accept, and the connection is lost (as on Linux).
    connect(&mut t);
    let negative = socklen(&t, 0x100, -1);
    assert_eq!(t.errno(ACCEPT, &[l, t.scratch, negative]), Errno::EINVAL);
    assert_eq!(t.errno(ACCEPT, &[l, 0, 0]), Errno::EAGAIN, "the connection went with the error");
    connect(&mut t);
    let room = socklen(&t, 0x100, 16);
    assert_eq!(t.errno(ACCEPT, &[l, bad, room]), Errno::EFAULT);
    connect(&mut t);
    assert_eq!(t.errno(ACCEPT, &[l, t.scratch, bad]), Errno::EFAULT);
    // A short buffer gets what fits and the whole length: an unnamed peer
    // is its family alone.
    connect(&mut t);
    let short = socklen(&t, 0x100, 3);
    let fd = t.value(ACCEPT4, &[l, t.scratch + 0x200, short, SOCK_CLOEXEC as u64]).unwrap();
    assert_eq!(t.m.mem.user.read_val::<u32>(short), Ok(2));
    assert_eq!(t.m.mem.user.read_val::<u16>(t.scratch + 0x200), Ok(AF_UNIX));
    assert_eq!(t.task.process.files().entry(fd as i32).map(|e| e.cloexec), Ok(true));
}

#[test]
fn shutdown_checks_how_after_the_descriptor() {
    let mut t = TestMachine::new();
    let (r, _) = pipe(&mut t);
    let (a, b) = pair(&mut t, STREAM);
    let unconnected = t.value(SOCKET, &[UNIX, STREAM, 0]).unwrap();
    assert_eq!(t.errno(SHUTDOWN, &[NO_FD, 3]), Errno::EBADF);
    assert_eq!(t.errno(SHUTDOWN, &[r, 0]), Errno::ENOTSOCK);
    assert_eq!(t.errno(SHUTDOWN, &[a, 3]), Errno::EINVAL);
    assert_eq!(t.errno(SHUTDOWN, &[a, NEG]), Errno::EINVAL);
    // A unix socket shuts down unconnected too.
    assert_eq!(t.value(SHUTDOWN, &[unconnected, SHUT_RDWR as u64]), Ok(0));
    // `how` is an int: SHUT_WR with bits above it.
    assert_eq!(t.value(SHUTDOWN, &[b, HIGH | 1]), Ok(0));
    assert_eq!(t.value(RECVFROM, &[a, t.scratch, 1, DONTWAIT, 0, 0]), Ok(0), "end of file");
    assert_eq!(t.errno(SENDTO, &[b, t.scratch, 1, MSG_NOSIGNAL as u64, 0, 0]), Errno::EPIPE);
}

#[test]
fn getsockname_and_getpeername_check_their_lengths() {
    let mut t = TestMachine::new();
    let (r, _) = pipe(&mut t);
    let (a, _) = pair(&mut t, STREAM);
    let unconnected = t.value(SOCKET, &[UNIX, STREAM, 0]).unwrap();
    let (l, _, name_len) = listener(&mut t);
    let (bad, out) = (t.bad_ptr(), t.scratch + 0x200);
    for nr in [GETSOCKNAME, GETPEERNAME] {
        let room = socklen(&t, 0x100, 16);
        assert_eq!(t.errno(nr, &[NO_FD, out, room]), Errno::EBADF);
        assert_eq!(t.errno(nr, &[r, out, room]), Errno::ENOTSOCK);
        assert_eq!(t.errno(nr, &[a, out, bad]), Errno::EFAULT);
        let negative = socklen(&t, 0x100, -1);
        assert_eq!(t.errno(nr, &[a, out, negative]), Errno::EINVAL);
    }
    let room = socklen(&t, 0x100, 16);
    assert_eq!(t.errno(GETPEERNAME, &[unconnected, out, room]), Errno::ENOTCONN);
    assert_eq!(t.errno(GETPEERNAME, &[l, out, room]), Errno::ENOTCONN);
    assert_eq!(t.errno(GETSOCKNAME, &[l, bad, room]), Errno::EFAULT);
    // No room: nothing is written, the whole length is told.
    let none = socklen(&t, 0x100, 0);
    assert_eq!(t.value(GETSOCKNAME, &[l, bad, none]), Ok(0));
    assert_eq!(t.m.mem.user.read_val::<u32>(none), Ok(name_len as u32));
    // A socketpair's peer has no name: its family alone.
    let room = socklen(&t, 0x100, 16);
    assert_eq!(t.value(GETPEERNAME, &[a, out, room]), Ok(0));
    assert_eq!(t.m.mem.user.read_val::<u32>(room), Ok(2));
}

#[test]
fn socket_options_are_checked_as_linux_checks_them() {
    let mut t = TestMachine::new();
    let (r, _) = pipe(&mut t);
    let (a, _) = pair(&mut t, STREAM);
    let bad = t.bad_ptr();
    let one = t.put(0x100, &1i32.to_ne_bytes());
    let sol = SOL_SOCKET as u64;
    const SO_REUSEADDR: u64 = 2;
    const SO_RCVBUF: u64 = 8;
    const IPPROTO_TCP: u64 = 6;
    assert_eq!(t.errno(SETSOCKOPT, &[NO_FD, sol, SO_REUSEADDR, one, 4]), Errno::EBADF);
    assert_eq!(t.errno(SETSOCKOPT, &[NO_FD, sol, SO_REUSEADDR, one, NEG]), Errno::EBADF);
    assert_eq!(t.errno(SETSOCKOPT, &[r, sol, SO_REUSEADDR, one, 4]), Errno::ENOTSOCK);
    assert_eq!(t.errno(SETSOCKOPT, &[a, sol, SO_REUSEADDR, one, NEG]), Errno::EINVAL);
    assert_eq!(t.errno(SETSOCKOPT, &[a, sol, SO_REUSEADDR, one, 2]), Errno::EINVAL);
    assert_eq!(t.errno(SETSOCKOPT, &[a, sol, SO_REUSEADDR, 0, 0]), Errno::EINVAL);
    assert_eq!(t.errno(SETSOCKOPT, &[a, sol, SO_REUSEADDR, bad, 4]), Errno::EFAULT);
    assert_eq!(t.errno(SETSOCKOPT, &[a, sol, 4242, one, 4]), Errno::ENOPROTOOPT);
    // Unix sockets have no options below SOL_SOCKET.
    assert_eq!(t.errno(SETSOCKOPT, &[a, IPPROTO_TCP, 1, one, 4]), Errno::EOPNOTSUPP);
    assert_eq!(t.errno(SETSOCKOPT, &[a, 4242, 1, one, 4]), Errno::EOPNOTSUPP);
    assert_eq!(t.value(SETSOCKOPT, &[a, sol, SO_REUSEADDR, one, 4]), Ok(0));
    // A longer value than the option needs is fine; the level, name and
    // length are ints.
    assert_eq!(t.value(SETSOCKOPT, &[a, sol, SO_RCVBUF, one, 100]), Ok(0));
    assert_eq!(t.value(SETSOCKOPT, &[a, HIGH | sol, HIGH | SO_REUSEADDR, one, HIGH | 4]), Ok(0));

    let out = t.scratch + 0x200;
    let room = socklen(&t, 0x180, 4);
    assert_eq!(t.errno(GETSOCKOPT, &[NO_FD, sol, SO_TYPE as u64, out, bad]), Errno::EBADF);
    assert_eq!(t.errno(GETSOCKOPT, &[a, sol, SO_TYPE as u64, out, bad]), Errno::EFAULT);
    assert_eq!(t.errno(GETSOCKOPT, &[a, sol, SO_TYPE as u64, bad, room]), Errno::EFAULT);
    assert_eq!(t.errno(GETSOCKOPT, &[a, sol, 4242, out, room]), Errno::ENOPROTOOPT);
    assert_eq!(t.errno(GETSOCKOPT, &[a, IPPROTO_TCP, 1, out, room]), Errno::EOPNOTSUPP);
    let negative = socklen(&t, 0x180, -1);
    assert_eq!(t.errno(GETSOCKOPT, &[a, sol, SO_TYPE as u64, out, negative]), Errno::EINVAL);
    let room = socklen(&t, 0x180, 4);
    assert_eq!(t.value(GETSOCKOPT, &[a, HIGH | sol, HIGH | SO_TYPE as u64, out, room]), Ok(0));
    assert_eq!(t.m.mem.user.read_val::<i32>(out), Ok(SOCK_STREAM));
    // No room: nothing written, length 0.
    let none = socklen(&t, 0x180, 0);
    assert_eq!(t.value(GETSOCKOPT, &[a, sol, SO_TYPE as u64, bad, none]), Ok(0));
    assert_eq!(t.m.mem.user.read_val::<u32>(none), Ok(0));
}

#[test]
fn sendto_and_recvfrom_argument_errors() {
    let mut t = TestMachine::new();
    let (r, w) = pipe(&mut t);
    let (a, b) = pair(&mut t, STREAM);
    let unconnected = t.value(SOCKET, &[UNIX, STREAM, 0]).unwrap();
    let dgram = t.value(SOCKET, &[UNIX, DGRAM, 0]).unwrap();
    let (bad, buf) = (t.bad_ptr(), t.put(0x100, b"hello"));
    let to = t.put(0x180, &[&AF_UNIX.to_ne_bytes()[..], b"\0nowhere"].concat());
    assert_eq!(t.errno(SENDTO, &[NO_FD, buf, 1, 0, 0, 0]), Errno::EBADF);
    assert_eq!(t.errno(SENDTO, &[NO_FD, buf, 1, 0, bad, 4]), Errno::EBADF, "the descriptor first");
    assert_eq!(t.errno(SENDTO, &[w, buf, 1, 0, 0, 0]), Errno::ENOTSOCK);
    assert_eq!(t.errno(SENDTO, &[a, bad, 1, 0, 0, 0]), Errno::EFAULT);
    assert_eq!(t.value(SENDTO, &[a, bad, 0, 0, 0, 0]), Ok(0), "nothing to read");
    assert_eq!(t.errno(SENDTO, &[unconnected, buf, 1, 0, 0, 0]), Errno::ENOTCONN);
    assert_eq!(t.errno(SENDTO, &[dgram, buf, 1, 0, 0, 0]), Errno::ENOTCONN);
    // The address: at most a sockaddr_storage, readable, a whole family.
    assert_eq!(t.errno(SENDTO, &[dgram, buf, 1, 0, to, 200]), Errno::EINVAL);
    assert_eq!(t.errno(SENDTO, &[dgram, buf, 1, 0, to, NEG]), Errno::EINVAL);
    assert_eq!(t.errno(SENDTO, &[dgram, buf, 1, 0, to, 1]), Errno::EINVAL);
    assert_eq!(t.errno(SENDTO, &[dgram, buf, 1, 0, bad, 4]), Errno::EFAULT);
    assert_eq!(t.errno(SENDTO, &[a, buf, 1, 0, to, 10]), Errno::EISCONN);
    // flags are an unsigned int.
    assert_eq!(t.value(SENDTO, &[a, buf, 2, HIGH | DONTWAIT, 0, 0]), Ok(2));

    let out = t.scratch + 0x200;
    assert_eq!(t.errno(RECVFROM, &[NO_FD, out, 1, 0, 0, 0]), Errno::EBADF);
    assert_eq!(t.errno(RECVFROM, &[r, out, 1, DONTWAIT, 0, 0]), Errno::ENOTSOCK);
    assert_eq!(t.errno(RECVFROM, &[a, out, 1, DONTWAIT, 0, 0]), Errno::EAGAIN);
    assert_eq!(t.errno(RECVFROM, &[unconnected, out, 1, DONTWAIT, 0, 0]), Errno::EINVAL);
    assert_eq!(t.errno(RECVFROM, &[b, bad, 1, DONTWAIT, 0, 0]), Errno::EFAULT);
    // The address length is read after the data came.
    let from = t.scratch + 0x300;
    assert_eq!(t.errno(RECVFROM, &[a, out, 1, DONTWAIT, from, bad]), Errno::EAGAIN);
    assert_eq!(t.errno(RECVFROM, &[b, out, 1, DONTWAIT, from, bad]), Errno::EFAULT);
    // A bad buffer leaves the data where it was; an address that cannot
    // be told loses the byte it came with (as on Linux).
    let negative = socklen(&t, 0x280, -1);
    assert_eq!(t.errno(RECVFROM, &[b, out, 1, DONTWAIT, from, negative]), Errno::EINVAL);
    assert_eq!(t.errno(RECVFROM, &[b, out, 1, DONTWAIT, 0, 0]), Errno::EAGAIN);
    t.value(SENDTO, &[a, buf, 3, 0, 0, 0]).unwrap();
    assert_eq!(t.value(RECVFROM, &[b, out, 16, HIGH | DONTWAIT, 0, 0]), Ok(3));
}

/// A `struct msghdr` at `offset` of the scratch memory.
fn msghdr(t: &TestMachine, offset: u64, hdr: Msghdr) -> u64 {
    let at = t.scratch + offset;
    t.m.mem.user.write_val(at, hdr).unwrap();
    at
}

/// An iovec of `len` bytes at `base`, at `offset` of the scratch memory.
fn iovec(t: &TestMachine, offset: u64, base: u64, len: u64) -> u64 {
    t.put(offset, &[base.to_ne_bytes(), len.to_ne_bytes()].concat())
}

#[test]
fn sendmsg_checks_the_header_and_its_control_messages() {
    let mut t = TestMachine::new();
    let (_, w) = pipe(&mut t);
    let (a, _b) = pair(&mut t, STREAM);
    let dgram = t.value(SOCKET, &[UNIX, DGRAM, 0]).unwrap();
    let bad = t.bad_ptr();
    let data = t.put(0x100, b"x");
    let iov = iovec(&t, 0x110, data, 1);
    let plain = Msghdr { msg_iov: iov, msg_iovlen: 1, ..Default::default() };
    let m = msghdr(&t, 0x200, plain);
    assert_eq!(t.errno(SENDMSG, &[NO_FD, m, 0]), Errno::EBADF);
    assert_eq!(t.errno(SENDMSG, &[NO_FD, bad, 0]), Errno::EBADF);
    assert_eq!(t.errno(SENDMSG, &[w, m, 0]), Errno::ENOTSOCK);
    assert_eq!(t.errno(SENDMSG, &[a, bad, 0]), Errno::EFAULT);
    assert_eq!(t.errno(SENDMSG, &[NO_FD, m, u64::from(MSG_CMSG_COMPAT)]), Errno::EINVAL);
    assert_eq!(t.errno(SENDMSG, &[a, m, u64::from(MSG_CMSG_COMPAT)]), Errno::EINVAL);
    let m = msghdr(&t, 0x200, Msghdr { msg_iovlen: 1025, ..plain });
    assert_eq!(t.errno(SENDMSG, &[a, m, 0]), Errno::EMSGSIZE);
    let m = msghdr(&t, 0x200, Msghdr { msg_iov: bad, ..plain });
    assert_eq!(t.errno(SENDMSG, &[a, m, 0]), Errno::EFAULT);
    let bad_base = iovec(&t, 0x120, bad, 1);
    let m = msghdr(&t, 0x200, Msghdr { msg_iov: bad_base, ..plain });
    assert_eq!(t.errno(SENDMSG, &[a, m, 0]), Errno::EFAULT);
    let name = t.put(0x140, &[&AF_UNIX.to_ne_bytes()[..], b"\0nowhere"].concat());
    let m = msghdr(&t, 0x200, Msghdr { msg_name: name, msg_namelen: u32::MAX, ..plain });
    assert_eq!(t.errno(SENDMSG, &[dgram, m, 0]), Errno::EINVAL);
    let m = msghdr(&t, 0x200, Msghdr { msg_name: bad, msg_namelen: 8, ..plain });
    assert_eq!(t.errno(SENDMSG, &[dgram, m, 0]), Errno::EFAULT);
    // Control messages: too long, unreadable, a short header, a
    // descriptor that is not open.
    let control = t.scratch + 0x300;
    let m = msghdr(&t, 0x200, Msghdr { msg_control: control, msg_controllen: 1 << 40, ..plain });
    assert_eq!(t.errno(SENDMSG, &[a, m, 0]), Errno::ENOBUFS);
    let m = msghdr(&t, 0x200, Msghdr { msg_control: bad, msg_controllen: 32, ..plain });
    assert_eq!(t.errno(SENDMSG, &[a, m, 0]), Errno::EFAULT);
    let rights = |t: &TestMachine, cmsg_len: u64, fd: i32| {
        let hdr = Cmsghdr { cmsg_len, cmsg_level: SOL_SOCKET, cmsg_type: SCM_RIGHTS };
        t.m.mem.user.write_val(control, hdr).unwrap();
        t.put(0x300 + CMSG_HDR_LEN as u64, &fd.to_ne_bytes());
        msghdr(t, 0x200, Msghdr { msg_control: control, msg_controllen: 24, ..plain })
    };
    let m = rights(&t, 8, 0);
    assert_eq!(t.errno(SENDMSG, &[a, m, 0]), Errno::EINVAL);
    let m = rights(&t, 20, NO_FD as i32);
    assert_eq!(t.errno(SENDMSG, &[a, m, 0]), Errno::EBADF);
    // flags are an unsigned int.
    let m = msghdr(&t, 0x200, plain);
    assert_eq!(t.value(SENDMSG, &[a, m, HIGH | DONTWAIT]), Ok(1));
}

#[test]
fn recvmsg_checks_the_header() {
    let mut t = TestMachine::new();
    let (r, _) = pipe(&mut t);
    let (a, b) = pair(&mut t, STREAM);
    let bad = t.bad_ptr();
    let out = t.scratch + 0x100;
    let iov = iovec(&t, 0x110, out, 16);
    let plain = Msghdr { msg_iov: iov, msg_iovlen: 1, ..Default::default() };
    let m = msghdr(&t, 0x200, plain);
    assert_eq!(t.errno(RECVMSG, &[NO_FD, m, 0]), Errno::EBADF);
    assert_eq!(t.errno(RECVMSG, &[r, m, DONTWAIT]), Errno::ENOTSOCK);
    assert_eq!(t.errno(RECVMSG, &[b, bad, DONTWAIT]), Errno::EFAULT);
    assert_eq!(t.errno(RECVMSG, &[NO_FD, m, u64::from(MSG_CMSG_COMPAT)]), Errno::EINVAL);
    assert_eq!(t.errno(RECVMSG, &[b, m, DONTWAIT]), Errno::EAGAIN);
    let m = msghdr(&t, 0x200, Msghdr { msg_iovlen: 1025, ..plain });
    assert_eq!(t.errno(RECVMSG, &[b, m, DONTWAIT]), Errno::EMSGSIZE);
    let data = t.put(0x180, b"hey");
    t.value(SENDTO, &[a, data, 3, 0, 0, 0]).unwrap();
    let m = msghdr(&t, 0x200, plain);
    assert_eq!(t.value(RECVMSG, &[b, m, HIGH | DONTWAIT]), Ok(3));
}

/// `n` `struct mmsghdr`s at `offset` of the scratch memory, each with one
/// iovec: of a byte at `base`, or at `bad` for the ones `bad_at` lists.
fn mmsghdrs(t: &TestMachine, offset: u64, n: usize, base: u64, bad_at: &[usize]) -> u64 {
    let at = t.scratch + offset;
    for i in 0..n {
        let iov = iovec(t, offset + 0x400 + 16 * i as u64, if bad_at.contains(&i) { t.bad_ptr() } else { base }, 1);
        let hdr = Msghdr { msg_iov: iov, msg_iovlen: 1, ..Default::default() };
        let m = Mmsghdr { msg_hdr: hdr, ..Default::default() };
        t.m.mem.user.write_val(at + (std::mem::size_of::<Mmsghdr>() * i) as u64, m).unwrap();
    }
    at
}

#[test]
fn sendmmsg_and_recvmmsg_argument_errors() {
    let mut t = TestMachine::new();
    let (r, w) = pipe(&mut t);
    let (a, b) = pair(&mut t, STREAM);
    let bad = t.bad_ptr();
    let byte = t.put(0x80, b"z");
    let zero = t.put(0x90, &[0u8; 16]);
    let late = t.put(0xa0, &[0i64.to_ne_bytes(), 1_000_000_000i64.to_ne_bytes()].concat());
    let good_then_bad = mmsghdrs(&t, 0x100, 2, byte, &[1]);
    let first_bad = mmsghdrs(&t, 0x200, 1, byte, &[0]);
    assert_eq!(t.errno(SENDMMSG, &[NO_FD, good_then_bad, 1, 0]), Errno::EBADF);
    assert_eq!(t.errno(SENDMMSG, &[NO_FD, good_then_bad, 0, 0]), Errno::EBADF);
    assert_eq!(t.errno(SENDMMSG, &[w, good_then_bad, 1, 0]), Errno::ENOTSOCK);
    assert_eq!(t.errno(SENDMMSG, &[NO_FD, good_then_bad, 1, u64::from(MSG_CMSG_COMPAT)]), Errno::EINVAL);
    assert_eq!(t.value(SENDMMSG, &[a, good_then_bad, 0, 0]), Ok(0));
    assert_eq!(t.errno(SENDMMSG, &[a, bad, 1, 0]), Errno::EFAULT);
    // An error after the first message is told by the count.
    assert_eq!(t.errno(SENDMMSG, &[a, first_bad, 1, 0]), Errno::EFAULT);
    assert_eq!(t.value(SENDMMSG, &[a, good_then_bad, 2, 0]), Ok(1));
    let sent: Mmsghdr = t.m.mem.user.read_val(good_then_bad).unwrap();
    assert_eq!(sent.msg_len, 1);
    // vlen is an unsigned int.
    assert_eq!(t.value(SENDMMSG, &[a, good_then_bad, HIGH | 1, 0]), Ok(1));

    // recvmmsg reads and checks its timeout before the descriptor.
    let into = mmsghdrs(&t, 0x300, 2, t.scratch + 0xf80, &[]);
    assert_eq!(t.errno(RECVMMSG, &[NO_FD, into, 1, DONTWAIT, 0]), Errno::EBADF);
    assert_eq!(t.errno(RECVMMSG, &[NO_FD, into, 1, DONTWAIT, bad]), Errno::EFAULT);
    assert_eq!(t.errno(RECVMMSG, &[NO_FD, into, 1, DONTWAIT, late]), Errno::EINVAL);
    assert_eq!(t.errno(RECVMMSG, &[NO_FD, into, 1, u64::from(MSG_CMSG_COMPAT), 0]), Errno::EINVAL);
    assert_eq!(t.errno(RECVMMSG, &[r, into, 1, DONTWAIT, zero]), Errno::ENOTSOCK);
    assert_eq!(t.value(RECVMMSG, &[b, into, 0, DONTWAIT, zero]), Ok(0));
    assert_eq!(t.errno(RECVMMSG, &[b, bad, 1, DONTWAIT, 0]), Errno::EFAULT);
    assert_eq!(t.value(RECVMMSG, &[b, into, HIGH | 2, DONTWAIT, 0]), Ok(2));
    assert_eq!(t.errno(RECVMMSG, &[b, into, 1, DONTWAIT, 0]), Errno::EAGAIN);
}
