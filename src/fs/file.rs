//! An open file description: shared by every descriptor dup'ed from it.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug)]
pub struct OpenFile {
    host: OwnedFd,
    /// O_APPEND, O_NONBLOCK, ... as set by open/fcntl(F_SETFL).
    status_flags: AtomicU32,
}

impl OpenFile {
    pub fn from_host(host: OwnedFd, status_flags: u32) -> OpenFile {
        OpenFile { host, status_flags: AtomicU32::new(status_flags) }
    }

    pub fn host_fd(&self) -> RawFd {
        self.host.as_raw_fd()
    }

    pub fn status_flags(&self) -> u32 {
        self.status_flags.load(Ordering::Relaxed)
    }
}
