//! Argument errors of the socket calls, called directly.

use crate::abi::socket::{AF_UNIX, SOCK_STREAM};
use crate::errno::Errno;
use crate::syscall::testkit::TestMachine;

const SOCKET: u64 = crate::abi::names::number("socket");
const CONNECT: u64 = crate::abi::names::number("connect");
const BIND: u64 = crate::abi::names::number("bind");
const SOCKETPAIR: u64 = crate::abi::names::number("socketpair");
const GETSOCKOPT: u64 = crate::abi::names::number("getsockopt");

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
