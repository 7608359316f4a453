//! Host mounts for the machine's tmpfs and ramfs instances: when nommu may
//! mount (CAP_SYS_ADMIN), it takes a private mount namespace at start and
//! mounts a real host tmpfs (ramfs) for each guest one, so the host kernel
//! enforces `size=` and `nr_inodes=` (ENOSPC) and counts the blocks. The
//! namespace, and every mount in it, goes away with nommu.

use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, Ordering};

static PRIVATE: AtomicBool = AtomicBool::new(false);

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Takes a private mount namespace (mounts made in it never reach the
/// host's) if the host allows it. Must run before any thread exists
/// (unshare(CLONE_NEWNS) needs an unshared fs context).
pub fn private_mount_namespace() -> bool {
    // SAFETY: plain syscalls with no pointers.
    if unsafe { libc::unshare(libc::CLONE_NEWNS) } != 0 {
        return false;
    }
    // SAFETY: NUL-terminated path literal; the other pointers may be NULL.
    let rc = unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    };
    let ok = rc == 0;
    PRIVATE.store(ok, Ordering::Release);
    ok
}

/// Can memory file systems be real host mounts?
pub(crate) fn can_mount() -> bool {
    PRIVATE.load(Ordering::Acquire)
}

/// Mounts a host `fstype` ("tmpfs", "ramfs") with `data` on `dir`.
pub(crate) fn mount_fs(dir: &CStr, fstype: &CStr, data: &CStr) -> std::io::Result<()> {
    let flags = libc::MS_NOSUID | libc::MS_NODEV;
    // SAFETY: every pointer is a NUL-terminated string that outlives the call.
    check(unsafe { libc::mount(c"nommu".as_ptr(), dir.as_ptr(), fstype.as_ptr(), flags, data.as_ptr().cast()) })
}

/// Changes a host mount's options (`size=` …).
pub(crate) fn remount(dir: &CStr, data: &CStr, rdonly: bool) -> std::io::Result<()> {
    let ro = if rdonly { libc::MS_RDONLY } else { 0 };
    let flags = libc::MS_REMOUNT | libc::MS_NOSUID | libc::MS_NODEV | ro;
    // SAFETY: NUL-terminated strings; the source and type may be NULL.
    check(unsafe { libc::mount(std::ptr::null(), dir.as_ptr(), std::ptr::null(), flags, data.as_ptr().cast()) })
}

/// Detaches a host mount.
pub(crate) fn unmount(dir: &CStr) -> std::io::Result<()> {
    // SAFETY: NUL-terminated path.
    check(unsafe { libc::umount2(dir.as_ptr(), libc::MNT_DETACH) })
}
