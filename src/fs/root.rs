//! The host directory that is the guest's `/`, and walks inside it.

use crate::abi::fcntl::{
    AT_FDCWD, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDONLY, O_TMPFILE, O_TRUNC,
    RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS,
};
use crate::abi::mount::MS_RDONLY;
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::jail::Jail;

pub struct HostRoot {
    fd: OwnedFd,
    host_path: PathBuf,
    /// The machine's mounts: tmpfs, ramfs and bind mounts are walked from
    /// their own directory.
    pub(crate) mounts: super::mounts::Mounts,
    /// Has any process chrooted (so walks must look at the caller's jail)?
    jails: std::sync::atomic::AtomicBool,
    /// Resolved directory handles (`fs::dcache`, `fs::fastwalk`).
    pub(crate) dirs: super::dcache::DirCache,
    /// The machine paths of the last programs exec'd (`program_path`).
    program_paths: std::sync::Mutex<ProgramPaths>,
}

/// Machine paths of opened programs by the path they were opened as, each
/// valid at the directory cache's generation read before its open.
#[derive(Default)]
struct ProgramPaths {
    entries: Vec<(u64, Vec<u8>, Vec<u8>)>,
    /// The entry replaced next when all are taken.
    next: usize,
}

/// Programs whose paths are kept (a shell's loop execs a handful).
const PROGRAM_PATHS: usize = 8;

impl HostRoot {
    pub(crate) fn open(dir: &Path) -> std::io::Result<HostRoot> {
        // "/" is its own canonical path (the default root: no realpath,
        // whose result is the only use of musl's allocator at start).
        let host_path = if dir == Path::new("/") { dir.to_path_buf() } else { std::fs::canonicalize(dir)? };
        let c = CString::new(host_path.as_os_str().as_encoded_bytes()).map_err(std::io::Error::other)?;
        let fd = host::open(&c, O_PATH | O_DIRECTORY, 0)?;
        Ok(HostRoot {
            fd,
            host_path,
            mounts: super::mounts::Mounts::new(),
            jails: Default::default(),
            dirs: Default::default(),
            program_paths: Default::default(),
        })
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
        // open(2) ignores all but these with O_PATH (O_LARGEFILE from a
        // 32-bit-minded libc, access modes); openat2 would say EINVAL.
        let flags = if flags & O_PATH != 0 { flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) } else { flags };
        let resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        if let Some(j) = self.jail() {
            return self.openat_jailed(&j, abs, flags, mode, wait);
        }
        let at = self.mounts.locate(abs)?;
        let Some(m) = &at.mount else {
            return host::openat2_waiting(self.fd.as_raw_fd(), abs, flags, mode, resolve, wait).map_err(Errno::from);
        };
        if m.flags() & MS_RDONLY != 0 && (flags & O_ACCMODE != O_RDONLY || flags & (O_CREAT | O_TRUNC) != 0) {
            return Err(Errno::EROFS);
        }
        let dir = m.dir.as_ref().ok_or(Errno::ENOENT)?;
        host::openat2_waiting(dir.as_raw_fd(), &at.path, flags, mode, resolve, wait).map_err(Errno::from)
    }

    /// `openat_waiting` for a jailed caller: `abs` is walked from the jail
    /// unless a mount inside the jail holds it.
    fn openat_jailed(&self, j: &Jail, abs: &CStr, flags: i32, mode: u32, wait: host::Wait) -> SysResult<OwnedFd> {
        let resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        let machine = j.machine_path(abs.to_bytes());
        let m = self.mounts.mount_of(&machine);
        if m.dir.is_none() || m.target.len() <= j.path.len() {
            return host::openat2_waiting(j.fd.as_raw_fd(), abs, flags, mode, resolve, wait).map_err(Errno::from);
        }
        let machine = CString::new(machine).map_err(|_| Errno::EINVAL)?;
        let at = self.mounts.locate(&machine)?;
        let m = at.mount.ok_or(Errno::ENOENT)?;
        if m.flags() & MS_RDONLY != 0 && (flags & O_ACCMODE != O_RDONLY || flags & (O_CREAT | O_TRUNC) != 0) {
            return Err(Errno::EROFS);
        }
        let dir = m.dir.as_ref().ok_or(Errno::ENOENT)?;
        host::openat2_waiting(dir.as_raw_fd(), &at.path, flags, mode, resolve, wait).map_err(Errno::from)
    }

    /// The calling thread's jail, once any process has chrooted.
    pub(crate) fn jail(&self) -> Option<Arc<Jail>> {
        if !self.jails.load(Ordering::Relaxed) {
            return None;
        }
        super::jail::current()
    }

    /// Records that a process has chrooted: from now on walks look at the
    /// caller's jail.
    pub(crate) fn note_jail(&self) {
        self.jails.store(true, Ordering::Relaxed);
    }

    /// Has any process chrooted?
    pub(crate) fn any_jail(&self) -> bool {
        self.jails.load(Ordering::Relaxed)
    }

    /// The machine path of the caller's path `abs` (normalised).
    pub(crate) fn machine_path(&self, abs: &[u8]) -> Vec<u8> {
        match self.jail() {
            Some(j) => j.machine_path(abs),
            None => super::path::normalize(abs),
        }
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
    /// In a jail, the path from the jail's root (None outside it).
    pub(crate) fn guest_path_of(&self, fd: RawFd) -> Option<Vec<u8>> {
        self.to_caller(self.machine_path_of(fd)?)
    }

    /// The machine path of an open host descriptor (whatever the caller's
    /// root), if it lies in the machine's root.
    pub(crate) fn machine_path_of(&self, fd: RawFd) -> Option<Vec<u8>> {
        let link = CString::new(format!("/proc/self/fd/{fd}")).ok()?;
        let host_path = host::readlinkat(AT_FDCWD, &link).ok()?;
        self.machine_path_of_host(Path::new(std::ffi::OsStr::from_bytes(&host_path)))
    }

    /// `machine_path_of(fd)` for a program exec opened as `abs`, where
    /// `generation` is the directory cache's generation read before that
    /// open: the same path opened at the same generation names the same
    /// file by the same path (every rename, unlink, mount and umount moves
    /// the generation), so the answer is kept and the next exec of the
    /// program makes no `readlink` of /proc/self/fd (~0.65 µs here).
    /// Once any process has chrooted, the same path names different
    /// files in different jails: then every exec asks the host.
    pub(crate) fn program_path(&self, fd: RawFd, abs: &[u8], generation: u64) -> Option<Vec<u8>> {
        if self.any_jail() {
            return self.machine_path_of(fd);
        }
        let memo = self.program_paths.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, _, machine)) = memo.entries.iter().find(|(g, a, _)| *g == generation && a == abs) {
            return Some(machine.clone());
        }
        drop(memo);
        let machine = self.machine_path_of(fd)?;
        let mut memo = self.program_paths.lock().unwrap_or_else(|e| e.into_inner());
        let entry = (generation, abs.to_vec(), machine.clone());
        if memo.entries.len() < PROGRAM_PATHS {
            memo.entries.push(entry);
        } else {
            let at = memo.next % PROGRAM_PATHS;
            memo.entries[at] = entry;
            memo.next = at.wrapping_add(1) % PROGRAM_PATHS;
        }
        Some(machine)
    }

    /// The working directory's path as getcwd shows it: outside the
    /// caller's jail, "(unreachable)" and its machine path, as Linux.
    pub(crate) fn cwd_path_of(&self, fd: RawFd) -> Option<Vec<u8>> {
        let machine = self.machine_path_of(fd)?;
        match self.jail() {
            Some(j) => Some(j.inside(&machine).unwrap_or_else(|| [b"(unreachable)".as_slice(), &machine].concat())),
            None => Some(machine),
        }
    }

    /// A machine path as the caller sees it (None outside its jail).
    pub(crate) fn to_caller(&self, machine: Vec<u8>) -> Option<Vec<u8>> {
        match self.jail() {
            Some(j) => j.inside(&machine),
            None => Some(machine),
        }
    }

    /// EROFS when `abs` is in a read-only mount.
    pub(crate) fn writable(&self, abs: &[u8]) -> SysResult<()> {
        if self.mounts.mount_of(&self.machine_path(abs)).flags() & MS_RDONLY != 0 {
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
        let id = |fd| self.machine_path_of(fd).map(|p| self.mounts.mount_of(&p).id);
        if id(a) != id(b) {
            return Err(Errno::EXDEV);
        }
        Ok(())
    }

    /// A `struct stat` of the host descriptor `fd` as the guest sees it:
    /// files in a tmpfs or ramfs show that mount's own device, a guest's
    /// device node its type and number (`devnode`).
    pub(crate) fn fix_stat(&self, fd: RawFd, st: &mut crate::abi::types::Stat) {
        super::devnode::fix_stat(fd, st);
        if let Some(dev) = self.mounts.dev_of(st.st_dev, || self.machine_path_of(fd)) {
            st.st_dev = dev;
        }
    }

    /// `fix_stat` for a `struct statx`.
    pub(crate) fn fix_statx(&self, fd: RawFd, stx: &mut crate::abi::types::Statx) {
        super::devnode::fix_statx(fd, stx);
        let dev = crate::arch::host::makedev(stx.stx_dev_major, stx.stx_dev_minor);
        if let Some(dev) = self.mounts.dev_of(dev, || self.machine_path_of(fd)) {
            (stx.stx_dev_major, stx.stx_dev_minor) = crate::arch::host::major_minor(dev);
        }
    }

    /// Maps a host path to the caller's view of it.
    pub(crate) fn guest_path_of_host(&self, host_path: &Path) -> Option<Vec<u8>> {
        self.to_caller(self.machine_path_of_host(host_path)?)
    }

    /// Maps a host path to the machine's path of it.
    pub(crate) fn machine_path_of_host(&self, host_path: &Path) -> Option<Vec<u8>> {
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
