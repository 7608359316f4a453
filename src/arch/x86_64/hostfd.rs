//! A host descriptor that a guest's open file holds.
//!
//! std's `OwnedFd` closes with musl's `close()`, a thread-cancellation
//! point: `__syscall_cp`'s cancel checks and the errno path, ~45
//! instructions of every guest `close` that nommu never needs (it never
//! cancels threads). This one closes with the `syscall` instruction
//! itself. Like Linux's close, the descriptor is gone whatever the call
//! returns (EINTR included), so there is nothing to report.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};

#[derive(Debug)]
pub struct HostFd(RawFd);

impl From<OwnedFd> for HostFd {
    fn from(fd: OwnedFd) -> HostFd {
        HostFd(fd.into_raw_fd())
    }
}

impl AsRawFd for HostFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

impl AsFd for HostFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open until `self` drops, which the
        // borrow outlives not.
        unsafe { BorrowedFd::borrow_raw(self.0) }
    }
}

impl Drop for HostFd {
    fn drop(&mut self) {
        // SAFETY: close of a descriptor this value owns alone (taken from an
        // `OwnedFd`); nothing uses the number after this.
        unsafe { super::host::raw(libc::SYS_close, [self.0 as u64, 0, 0, 0, 0, 0]) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_closes_the_descriptor() {
        let (r, w) = crate::arch::host::pipe2(libc::O_CLOEXEC).expect("pipe");
        let raw = r.as_raw_fd();
        let held = HostFd::from(r);
        assert_eq!((held.as_raw_fd(), held.as_fd().as_raw_fd()), (raw, raw));
        let mut w = std::fs::File::from(w);
        std::io::Write::write_all(&mut w, b"x").expect("a reader is open");
        drop(held);
        // No reader left (Rust's runtime ignores SIGPIPE): EPIPE. A reused
        // descriptor number could not fake this.
        let e = std::io::Write::write_all(&mut w, b"x").expect_err("no reader");
        assert_eq!(e.raw_os_error(), Some(libc::EPIPE));
    }
}
