//! The host directory that is the guest's `/`, and walks inside it.

use crate::abi::fcntl::{
    AT_FDCWD, O_ACCMODE, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDONLY, O_TMPFILE, O_TRUNC, RESOLVE_IN_ROOT,
    RESOLVE_NO_MAGICLINKS,
};
use crate::abi::mount::MS_RDONLY;
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

pub struct HostRoot {
    fd: OwnedFd,
    host_path: PathBuf,
    /// The machine's mounts: tmpfs, ramfs and bind mounts are walked from
    /// their own directory.
    pub(crate) mounts: super::mounts::Mounts,
}

impl HostRoot {
    pub(crate) fn open(dir: &Path) -> std::io::Result<HostRoot> {
        let host_path = std::fs::canonicalize(dir)?;
        let c = CString::new(host_path.as_os_str().as_encoded_bytes()).map_err(std::io::Error::other)?;
        let fd = host::open(&c, O_PATH | O_DIRECTORY, 0)?;
        Ok(HostRoot { fd, host_path, mounts: super::mounts::Mounts::new() })
    }

    pub fn host_path(&self) -> &Path {
        &self.host_path
    }

    /// Opens an absolute guest path; the walk can never leave the root.
    pub(crate) fn openat(&self, abs: &CStr, flags: i32, mode: u32) -> SysResult<OwnedFd> {
        self.openat_waiting(abs, flags, mode, host::Wait::Uninterruptible)
    }

    /// `openat`, which may wait (a FIFO waits for its other end).
    pub(crate) fn openat_waiting(&self, abs: &CStr, flags: i32, mode: u32, wait: host::Wait) -> SysResult<OwnedFd> {
        // openat2 insists on mode 0 unless a file may be created; open(2)
        // ignores it, and libcs pass garbage there.
        let creates = flags & O_CREAT != 0 || flags & O_TMPFILE == O_TMPFILE;
        let mode = if creates { mode } else { 0 };
        let resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        let at = self.mounts.locate(abs)?;
        let Some(m) = &at.mount else {
            return host::openat2_waiting(self.fd.as_fd(), abs, flags, mode, resolve, wait).map_err(Errno::from);
        };
        if m.flags() & MS_RDONLY != 0 && (flags & O_ACCMODE != O_RDONLY || flags & (O_CREAT | O_TRUNC) != 0) {
            return Err(Errno::EROFS);
        }
        let dir = m.dir.as_ref().ok_or(Errno::ENOENT)?;
        host::openat2_waiting(dir.as_fd(), &at.path, flags, mode, resolve, wait).map_err(Errno::from)
    }

    /// An O_PATH handle on `abs` (following a final symlink or not).
    pub(crate) fn path_fd(&self, abs: &CStr, follow: bool) -> SysResult<OwnedFd> {
        let nofollow = if follow { 0 } else { O_NOFOLLOW };
        self.openat(abs, O_PATH | nofollow, 0)
    }

    /// An O_PATH handle on the directory that holds `abs`'s last component,
    /// and that component. Callers reject "." and ".." as last components
    /// first (`path::is_dot_or_dotdot`): those must never be used with the
    /// parent handle, or ".." at the root would name the root's parent.
    pub(crate) fn parent_fd(&self, abs: &[u8]) -> SysResult<(OwnedFd, CString)> {
        let (parent, last) = super::path::split_last(abs);
        self.writable(&parent)?;
        let parent = CString::new(parent).map_err(|_| Errno::EINVAL)?;
        let dir = self.openat(&parent, O_PATH | O_DIRECTORY, 0)?;
        let last = CString::new(last).map_err(|_| Errno::EINVAL)?;
        Ok((dir, last))
    }

    /// The guest path of an open host descriptor, if it lies in the root.
    pub(crate) fn guest_path_of(&self, fd: RawFd) -> Option<Vec<u8>> {
        let link = CString::new(format!("/proc/self/fd/{fd}")).ok()?;
        let host_path = host::readlinkat(AT_FDCWD, &link).ok()?;
        self.guest_path_of_host(Path::new(std::ffi::OsStr::from_bytes(&host_path)))
    }

    /// EROFS when `abs` is in a read-only mount.
    pub(crate) fn writable(&self, abs: &[u8]) -> SysResult<()> {
        if self.mounts.mount_of(&super::path::normalize(abs)).flags() & MS_RDONLY != 0 {
            return Err(Errno::EROFS);
        }
        Ok(())
    }

    /// EXDEV unless the host descriptors `a` and `b` are in the same mount
    /// (rename and link never cross one, as on Linux).
    pub(crate) fn same_mount(&self, a: RawFd, b: RawFd) -> SysResult<()> {
        if !self.mounts.has_dirs() {
            return Ok(());
        }
        let id = |fd| self.guest_path_of(fd).map(|p| self.mounts.mount_of(&p).id);
        if id(a) != id(b) {
            return Err(Errno::EXDEV);
        }
        Ok(())
    }

    /// A `struct stat` of the host descriptor `fd` as the guest sees it:
    /// files in a tmpfs or ramfs show that mount's own device.
    pub(crate) fn fix_stat(&self, fd: RawFd, st: &mut crate::abi::types::Stat) {
        if let Some(dev) = self.mounts.dev_of(st.st_dev, || self.guest_path_of(fd)) {
            st.st_dev = dev;
        }
    }

    /// `fix_stat` for a `struct statx`.
    pub(crate) fn fix_statx(&self, fd: RawFd, stx: &mut crate::abi::types::Statx) {
        let dev = crate::arch::host::makedev(stx.stx_dev_major, stx.stx_dev_minor);
        if let Some(dev) = self.mounts.dev_of(dev, || self.guest_path_of(fd)) {
            (stx.stx_dev_major, stx.stx_dev_minor) = crate::arch::host::major_minor(dev);
        }
    }

    /// Maps a host path to the guest's view of it.
    pub(crate) fn guest_path_of_host(&self, host_path: &Path) -> Option<Vec<u8>> {
        if let Some(p) = self.mounts.guest_path_of_host(host_path) {
            return Some(p);
        }
        let rest = host_path.strip_prefix(&self.host_path).ok()?;
        let mut out = b"/".to_vec();
        out.extend_from_slice(rest.as_os_str().as_encoded_bytes());
        Some(out)
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
