//! Event descriptors as guests see them: `<sys/epoll.h>`,
//! `<sys/eventfd.h>`, `<sys/timerfd.h>` and `<sys/signalfd.h>` values and
//! structures.

use super::types::Timespec;

/// `epoll_create1` flags.
pub const EPOLL_CLOEXEC: i32 = 0o2000000;

/// `epoll_ctl` operations.
pub const EPOLL_CTL_ADD: i32 = 1;
pub const EPOLL_CTL_DEL: i32 = 2;
pub const EPOLL_CTL_MOD: i32 = 3;

/// `epoll_event.events` bits.
pub const EPOLLIN: u32 = 0x001;
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLNVAL: u32 = 0x020;
pub const EPOLLRDNORM: u32 = 0x040;
pub const EPOLLRDBAND: u32 = 0x080;
pub const EPOLLWRNORM: u32 = 0x100;
pub const EPOLLWRBAND: u32 = 0x200;
pub const EPOLLMSG: u32 = 0x400;
pub const EPOLLRDHUP: u32 = 0x2000;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;

/// The most events one `epoll_wait` may ask for: INT_MAX divided by
/// `sizeof(struct epoll_event)`.
pub const EP_MAX_EVENTS: i32 = i32::MAX / std::mem::size_of::<EpollEvent>() as i32;

/// `eventfd2` flags.
pub const EFD_SEMAPHORE: i32 = 1;
pub const EFD_NONBLOCK: i32 = 0o4000;
pub const EFD_CLOEXEC: i32 = 0o2000000;

/// `timerfd_create` flags.
pub const TFD_NONBLOCK: i32 = 0o4000;
pub const TFD_CLOEXEC: i32 = 0o2000000;
/// `timerfd_settime` flags.
pub const TFD_TIMER_ABSTIME: i32 = 1;
pub const TFD_TIMER_CANCEL_ON_SET: i32 = 2;

/// `signalfd4` flags.
pub const SFD_NONBLOCK: i32 = 0o4000;
pub const SFD_CLOEXEC: i32 = 0o2000000;

/// `struct epoll_event`: packed on x86-64 (12 bytes, `data` at offset 4).
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

/// `struct itimerspec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Itimerspec {
    pub it_interval: Timespec,
    pub it_value: Timespec,
}

/// `struct signalfd_siginfo`: what a read of a signalfd returns per signal.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignalfdSiginfo {
    pub ssi_signo: u32,
    pub ssi_errno: i32,
    pub ssi_code: i32,
    pub ssi_pid: u32,
    pub ssi_uid: u32,
    pub ssi_fd: i32,
    pub ssi_tid: u32,
    pub ssi_band: u32,
    pub ssi_overrun: u32,
    pub ssi_trapno: u32,
    pub ssi_status: i32,
    pub ssi_int: i32,
    pub ssi_ptr: u64,
    pub ssi_utime: u64,
    pub ssi_stime: u64,
    pub ssi_addr: u64,
    pub ssi_addr_lsb: u16,
    pub __pad2: u16,
    pub ssi_syscall: i32,
    pub ssi_call_addr: u64,
    pub ssi_arch: u32,
    pub __pad: [u8; 28],
}

const _: () = {
    assert!(std::mem::size_of::<EpollEvent>() == 12);
    assert!(std::mem::offset_of!(EpollEvent, data) == 4);
    assert!(std::mem::size_of::<Itimerspec>() == 32);
    assert!(std::mem::size_of::<SignalfdSiginfo>() == 128);
    assert!(std::mem::offset_of!(SignalfdSiginfo, ssi_ptr) == 48);
    assert!(std::mem::offset_of!(SignalfdSiginfo, ssi_addr_lsb) == 80);
    assert!(std::mem::offset_of!(SignalfdSiginfo, ssi_call_addr) == 88);
    assert!(std::mem::offset_of!(SignalfdSiginfo, __pad) == 100);
};

/// `inotify_init1` flags and the watch options (`<linux/inotify.h>`).
pub const IN_NONBLOCK: i32 = 0o4000;
pub const IN_CLOEXEC: i32 = 0o2000000;
/// Every event a watch can ask for.
pub const IN_ALL_EVENTS: u32 = 0x0000_0fff;
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
