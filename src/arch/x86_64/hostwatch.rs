//! Waiting for host descriptors to hang up: an epoll set that only
//! reports EPOLLHUP and EPOLLERR, once per registration. epoll keeps no
//! reference to what it watches: a file whose last descriptor is closed
//! leaves the set by itself, and reports nothing.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

#[derive(Debug)]
pub(crate) struct HangupSet {
    ep: OwnedFd,
}

impl HangupSet {
    pub(crate) fn new() -> std::io::Result<HangupSet> {
        // SAFETY: no pointers; a fresh descriptor is returned or -1.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: epoll_create1 just returned this descriptor; we own it.
        Ok(HangupSet { ep: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Reports `token` once when `fd` hangs up (again, if it was watched
    /// already).
    pub(crate) fn watch(&self, fd: RawFd, token: u64) -> std::io::Result<()> {
        let mut ev = libc::epoll_event { events: libc::EPOLLONESHOT as u32, u64: token };
        for op in [libc::EPOLL_CTL_ADD, libc::EPOLL_CTL_MOD] {
            // SAFETY: ev is a valid epoll_event for the duration of the call.
            if unsafe { libc::epoll_ctl(self.ep.as_raw_fd(), op, fd, &mut ev) } == 0 {
                return Ok(());
            }
            let e = std::io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EEXIST) {
                return Err(e);
            }
        }
        Err(std::io::Error::from_raw_os_error(libc::EEXIST))
    }

    /// The tokens of descriptors that hung up, after waiting up to
    /// `timeout_ms` for one.
    pub(crate) fn wait(&self, timeout_ms: i32) -> Vec<u64> {
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 16];
        // SAFETY: evs is a writable array of evs.len() events.
        let n = unsafe { libc::epoll_wait(self.ep.as_raw_fd(), evs.as_mut_ptr(), evs.len() as i32, timeout_ms) };
        evs.iter().take(n.max(0) as usize).map(|e| e.u64).collect()
    }
}
