//! Sockets as guests see them: `<sys/socket.h>`, `<netinet/in.h>`,
//! `<sys/un.h>` and `<linux/sock_diag.h>` / `<linux/unix_diag.h>` values.

/// Address families.
pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
pub const AF_NETLINK: u16 = 16;

/// Socket types, and the flags `socket`/`socketpair`/`accept4` take with them.
pub const SOCK_STREAM: i32 = 1;
pub const SOCK_DGRAM: i32 = 2;
pub const SOCK_RAW: i32 = 3;
pub const SOCK_SEQPACKET: i32 = 5;
pub const SOCK_TYPE_MASK: i32 = 0xf;
pub const SOCK_NONBLOCK: i32 = 0o4000;
pub const SOCK_CLOEXEC: i32 = 0o2000000;

/// `getsockopt`/`setsockopt` levels and the socket-level options nommu
/// looks at (the others go to the host as they are).
pub const SOL_SOCKET: i32 = 1;
pub const SO_TYPE: i32 = 3;
pub const SO_PASSCRED: i32 = 16;
pub const SO_PEERCRED: i32 = 17;
pub const SO_BINDTODEVICE: i32 = 25;
pub const SO_DOMAIN: i32 = 39;
pub const SO_PROTOCOL: i32 = 38;
pub const SO_PEERSEC: i32 = 31;
pub const SO_PEERGROUPS: i32 = 59;
pub const SO_PEERPIDFD: i32 = 77;

/// Control message types at `SOL_SOCKET`.
pub const SCM_RIGHTS: i32 = 1;
pub const SCM_CREDENTIALS: i32 = 2;

/// The most descriptors one `SCM_RIGHTS` message may carry.
pub const SCM_MAX_FD: usize = 253;

/// `send`/`recv` flags.
pub const MSG_OOB: i32 = 0x1;
pub const MSG_PEEK: i32 = 0x2;
pub const MSG_CTRUNC: i32 = 0x8;
pub const MSG_TRUNC: i32 = 0x20;
pub const MSG_DONTWAIT: i32 = 0x40;
pub const MSG_WAITALL: i32 = 0x100;
pub const MSG_NOSIGNAL: i32 = 0x4000;
pub const MSG_WAITFORONE: i32 = 0x10000;
pub const MSG_CMSG_CLOEXEC: i32 = 0x4000_0000;
/// Set only by a 32-bit caller's entry into Linux: the 64-bit message
/// calls refuse it (EINVAL) before they look at the descriptor.
pub const MSG_CMSG_COMPAT: u32 = 0x8000_0000;

/// `shutdown` directions.
pub const SHUT_RD: i32 = 0;
pub const SHUT_RDWR: i32 = 2;

/// `sizeof(struct sockaddr_un)`, and where its path starts.
pub const SOCKADDR_UN_SIZE: usize = 110;
pub const SUN_PATH_OFFSET: usize = 2;
/// The largest address any family uses (`struct sockaddr_storage`).
pub const SOCKADDR_STORAGE_SIZE: usize = 128;
/// `sizeof(struct sockaddr_in)` and `sizeof(struct sockaddr_in6)`.
pub const SOCKADDR_IN_SIZE: usize = 16;
pub const SOCKADDR_IN6_SIZE: usize = 28;

/// `sock_diag` over netlink: how nommu learns which socket is a unix
/// socket's peer.
pub const NETLINK_SOCK_DIAG: i32 = 4;
pub const SOCK_DIAG_BY_FAMILY: u16 = 20;
pub const NLM_F_REQUEST: u16 = 1;
pub const NLMSG_ERROR: u16 = 2;
pub const UDIAG_SHOW_PEER: u32 = 0x4;
pub const UNIX_DIAG_PEER: u16 = 2;

/// `struct msghdr`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msghdr {
    pub msg_name: u64,
    pub msg_namelen: u32,
    pub _pad1: u32,
    pub msg_iov: u64,
    pub msg_iovlen: u64,
    pub msg_control: u64,
    pub msg_controllen: u64,
    pub msg_flags: i32,
    pub _pad2: u32,
}

/// `struct mmsghdr`: a message and what was sent or received of it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mmsghdr {
    pub msg_hdr: Msghdr,
    pub msg_len: u32,
    pub _pad: u32,
}

/// `struct cmsghdr`: the header before each control message's data.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cmsghdr {
    pub cmsg_len: u64,
    pub cmsg_level: i32,
    pub cmsg_type: i32,
}

/// `struct ucred`: `SO_PEERCRED` and `SCM_CREDENTIALS`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

/// `CMSG_ALIGN`: control messages are padded to 8 bytes.
pub const fn cmsg_align(len: usize) -> usize {
    len.saturating_add(7) & !7
}

/// `CMSG_LEN(0)`: the header's size.
pub const CMSG_HDR_LEN: usize = std::mem::size_of::<Cmsghdr>();

const _: () = {
    assert!(std::mem::size_of::<Msghdr>() == 56);
    assert!(std::mem::offset_of!(Msghdr, msg_flags) == 48);
    assert!(std::mem::size_of::<Mmsghdr>() == 64);
    assert!(std::mem::size_of::<Cmsghdr>() == 16);
    assert!(std::mem::size_of::<Ucred>() == 12);
};

/// The interface ioctls that only read (`<linux/sockios.h>`): what
/// `ifconfig`, `ip` and `route` ask. Those that change the host's
/// interfaces are not among them.
pub const SIOCGIFNAME: u32 = 0x8910;
pub const SIOCGIFCONF: u32 = 0x8912;
pub const SIOCGIFFLAGS: u32 = 0x8913;
pub const SIOCGIFADDR: u32 = 0x8915;
pub const SIOCGIFDSTADDR: u32 = 0x8917;
pub const SIOCGIFBRDADDR: u32 = 0x8919;
pub const SIOCGIFNETMASK: u32 = 0x891b;
pub const SIOCGIFMETRIC: u32 = 0x891d;
pub const SIOCGIFMTU: u32 = 0x8921;
pub const SIOCGIFHWADDR: u32 = 0x8927;
pub const SIOCGIFINDEX: u32 = 0x8933;
pub const SIOCGIFTXQLEN: u32 = 0x8942;
pub const SIOCGIFMAP: u32 = 0x8970;
/// Bytes waiting to be sent (`TIOCOUTQ` on sockets) and received.
pub const SIOCOUTQ: u32 = 0x5411;
pub const SIOCINQ: u32 = 0x541B;
/// `sizeof(struct ifreq)`.
pub const IFREQ_SIZE: usize = 40;
