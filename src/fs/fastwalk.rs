//! Paths in the host root in one host call: the directory that holds the
//! last component comes from the directory cache (`dcache`), and the host
//! looks up only that component from its handle, never following it
//! (`fstatat` with `AT_SYMLINK_NOFOLLOW`, `openat` with `O_NOFOLLOW`), so
//! the lookup cannot leave the directory. `None` means "take the full
//! walk": a jailed caller, a path with `.`, `..` or empty components or a
//! trailing slash, a mount point, a symlink to follow, a device node, and
//! every answer the full walk might give differently.

use super::dcache::{self, Dir, DIR_FLAGS};
use super::hostpath::HostPath;
use super::root::HostRoot;
use crate::abi::fcntl::{AT_SYMLINK_NOFOLLOW, O_CREAT, O_NOFOLLOW, O_PATH, O_TMPFILE};
use crate::abi::mount::MS_RDONLY;
use crate::abi::stat::{S_IFLNK, S_IFMT, S_IFREG};
use crate::abi::types::{Stat, Statx};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;

/// `NOMMU_DCACHE_BORROW=0`: every cached lookup clones the entry's handle
/// out of the cache (the way before round 5), for comparison.
fn borrow_enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| crate::arch::switches::var_os("NOMMU_DCACHE_BORROW").is_none_or(|v| v != "0"))
}

/// The last component of `path` (a suffix of it, so still NUL-terminated).
fn last_cstr(path: &CStr, name_len: usize) -> Option<&CStr> {
    // `CStr`'s own suffix indexing: no scan for the NUL.
    let start = path.to_bytes().len().checked_sub(name_len)?;
    Some(&path[start..])
}

/// An absolute path's directory part (the leading `/` kept; "/" for a
/// name in the root) and where its last component starts, for a lookup
/// of the directory part as it is written (`stat_peeked`); `None` for a
/// path under the kernel's /proc or /dev, one ending in `/`, `.` or `..`.
fn peek_split(p: &[u8]) -> Option<(&[u8], usize)> {
    let n = p.len();
    if n < 2 || p[0] != b'/' || p[n - 1] == b'/' {
        return None;
    }
    let under = |top: &[u8]| p.starts_with(top) && matches!(p.get(top.len()), None | Some(b'/'));
    if under(b"/proc") || under(b"/dev") {
        return None;
    }
    let slash = super::hostpath::rfind_slash(p)?;
    let name_at = slash + 1;
    if matches!(&p[name_at..], b"." | b"..") {
        return None;
    }
    Some((if slash == 0 { &p[..1] } else { &p[..slash] }, name_at))
}

impl HostRoot {
    /// The cached directory of `abs` (an absolute guest path the caller
    /// classified as the host root's) and its last component, when the
    /// fast path applies.
    fn cached_parent<'p>(&self, abs: HostPath<'p>) -> Option<(Dir, &'p CStr)> {
        if self.jail().is_some() {
            return None;
        }
        let (dir, name) = abs.split()?;
        let d = self.dirs.get_or_resolve(0, dir, || self.resolve_dir(dir)).ok()?;
        // A mount point is a name of its directory here, but names another
        // file system's root.
        if d.has_mount_points && self.mounts.mounted_on(abs.as_bytes()).is_some() {
            return None;
        }
        Some((d, name))
    }

    /// A directory walked in full from the root, for the cache.
    fn resolve_dir(&self, dir: &[u8]) -> SysResult<Dir> {
        let c = CString::new(dir).map_err(|_| Errno::EINVAL)?;
        let fd = self.openat(&c, DIR_FLAGS, 0)?;
        Ok(self.dir_entry(fd, dir))
    }

    /// A cache entry for the handle `fd` on the machine directory `dir`.
    pub(crate) fn dir_entry(&self, fd: OwnedFd, dir: &[u8]) -> Dir {
        let (read_only, has_mount_points) = if self.mounts.has_dirs() {
            (self.mounts.mount_of(dir).flags() & MS_RDONLY != 0, self.mounts.any_in(dir))
        } else {
            (false, false)
        };
        Dir { fd: Arc::new(fd), read_only, has_mount_points }
    }

    /// The directory that holds the last component of `rel`, a relative
    /// path beneath the working directory `cwd` (whose subtree holds no
    /// mount: the caller checked; `read_only`: its mount is), and that
    /// component. The directory part is walked by the host beneath `cwd`
    /// (`RESOLVE_BENEATH`: a walk that would leave it takes the full walk)
    /// and cached by the handle it starts at.
    pub(crate) fn cached_beneath<'p>(
        &self,
        cwd: &Arc<OwnedFd>,
        read_only: bool,
        rel: &'p CStr,
    ) -> Option<(Dir, &'p CStr)> {
        use crate::abi::fcntl::{RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS};
        let (dir, name) = dcache::split(rel.to_bytes())?;
        let name = last_cstr(rel, name.len())?;
        if dir.is_empty() {
            return Some((Dir { fd: cwd.clone(), read_only, has_mount_points: false }, name));
        }
        let base = Arc::as_ptr(cwd) as usize;
        let d = self.dirs.get_or_resolve(base, dir, || {
            let c = CString::new(dir).map_err(|_| Errno::EINVAL)?;
            let fd = host::openat2(cwd.as_fd(), &c, DIR_FLAGS, 0, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)?;
            Ok(Dir { fd: Arc::new(fd), read_only, has_mount_points: false })
        });
        Some((d.ok()?, name))
    }

    /// stat/lstat of `abs` through the cache, into `st`.
    pub(crate) fn stat_cached(&self, abs: HostPath<'_>, follow: bool, st: &mut Stat) -> Option<SysResult<()>> {
        let path = || Some(abs.as_bytes().to_vec());
        if let Some(r) = self.stat_borrowed(abs, st) {
            return finish_stat(self, r, follow, path, st);
        }
        let (d, name) = self.cached_parent(abs)?;
        lookup_stat(self, d.fd.as_fd(), name, follow, path, st)
    }

    /// stat/lstat of the absolute guest path `abs` from its cached
    /// directory, before anything else looks at the path: a hit on the
    /// exact bytes before its last `/` can only be a directory the full
    /// walk cached (every absolute key is a normal host-root path,
    /// `cached_parent`), so the path needs neither `hostpath::scan`'s
    /// check of every component nor its file system's (once the kernel's
    /// /proc and /dev, and a last component `.` or `..`, are left out).
    /// `None`: not cached, or anything `stat_cached`'s walk decides.
    pub(crate) fn stat_peeked(&self, abs: &CStr, follow: bool, st: &mut Stat) -> Option<SysResult<()>> {
        let (dir, name_at) = peek_split(abs.to_bytes())?;
        let r = self.stat_from_peek(dir, &abs[name_at..], st)?;
        // Cached, but only the full walk answers (a symlink to follow, a
        // device node, an error other than ENOENT): it, at once.
        Some(
            finish_stat(self, r, follow, || Some(abs.to_bytes().to_vec()), st)
                .unwrap_or_else(|| self.stat_walk(abs, follow, st)),
        )
    }

    /// The cached directory of the absolute path `abs` as written, and its
    /// last component, before anything else looks at the path (as
    /// `stat_peeked` asks, and for the same reason a hit needs no
    /// `hostpath::scan`), with a reference to the handle (an open may
    /// create, truncate or wait: it must not run on a handle that may be
    /// closed under it). `None`: not cached, a jailed caller, or the last
    /// component may be a mount point.
    pub(crate) fn cached_parent_as_written<'p>(&self, abs: &'p CStr) -> Option<(Dir, &'p CStr)> {
        if self.jail().is_some() {
            return None;
        }
        let (dir, name_at) = peek_split(abs.to_bytes())?;
        let d = self.dirs.get(0, dir)?;
        if d.has_mount_points && self.mounts.mounted_on(abs.to_bytes()).is_some() {
            return None;
        }
        Some((d, &abs[name_at..]))
    }

    /// open(2) of the absolute guest path `abs` from its directory's entry
    /// read without the cache's lock or a reference (`DirCache::pinned`),
    /// before anything else looks at the path (as `stat_peeked`; `flags`
    /// without O_CLOEXEC, O_PATH or O_TMPFILE, `mode` with the umask
    /// applied). `None`: pins are not in force, the entry is not cached,
    /// a jailed caller, a mount point, or the full walk decides.
    pub(crate) fn open_pinned(
        &self,
        abs: &CStr,
        flags: i32,
        mode: u32,
        wait: host::Wait,
    ) -> Option<SysResult<OwnedFd>> {
        if self.jail().is_some() {
            return None;
        }
        let (dir, name_at) = peek_split(abs.to_bytes())?;
        let name = &abs[name_at..];
        self.dirs
            .pinned(dir, |d| {
                if d.has_mount_points && self.mounts.mounted_on(abs.to_bytes()).is_some() {
                    return None;
                }
                lookup_open(d.fd, d.read_only, name, flags, mode, wait)
            })
            .flatten()
    }

    /// stat/lstat of the absolute host-root path `abs` by the full walk.
    pub(crate) fn stat_walk(&self, abs: &CStr, follow: bool, st: &mut Stat) -> SysResult<()> {
        let fd = self.path_fd(abs, follow)?;
        host::fstatat_into(fd.as_raw_fd(), c"", crate::abi::fcntl::AT_EMPTY_PATH, st)?;
        self.fix_stat(fd.as_raw_fd(), st);
        Ok(())
    }

    fn stat_from_peek(&self, dir: &[u8], name: &CStr, st: &mut Stat) -> Option<std::io::Result<()>> {
        if !borrow_enabled() || self.jail().is_some() {
            return None;
        }
        let at =
            |d: &dcache::Peeked| (!d.has_mount_points).then(|| host::fstatat_into(d.fd, name, AT_SYMLINK_NOFOLLOW, st));
        self.dirs.peek(dir, at).flatten()
    }

    /// The host's `fstatat` of `abs`'s last component from its cached
    /// directory, read without the cache's lock or a reference
    /// (`DirCache::peek`: an answer made while the entry changed is
    /// not used); `None` when the entry is not cached or its directory
    /// holds a mount point (`cached_parent` then decides).
    /// `NOMMU_DCACHE_BORROW=0` leaves it to `cached_parent` always.
    fn stat_borrowed(&self, abs: HostPath<'_>, st: &mut Stat) -> Option<std::io::Result<()>> {
        let (dir, name) = abs.split()?;
        self.stat_from_peek(dir, name, st)
    }

    /// open(2) of `abs` through the cache (`flags` without O_CLOEXEC,
    /// `mode` with the umask applied).
    pub(crate) fn open_cached(
        &self,
        abs: HostPath<'_>,
        flags: i32,
        mode: u32,
        wait: host::Wait,
    ) -> Option<SysResult<OwnedFd>> {
        // O_PATH would open a final symlink itself; O_TMPFILE names a
        // directory; both are rare.
        if flags & O_PATH != 0 || flags & O_TMPFILE == O_TMPFILE {
            return None;
        }
        let (d, name) = self.cached_parent(abs)?;
        lookup_open(d.fd.as_raw_fd(), d.read_only, name, flags, mode, wait)
    }

    /// statx of `abs` through the cache (`flags`: the sync type only).
    pub(crate) fn statx_cached(
        &self,
        abs: HostPath<'_>,
        follow: bool,
        flags: i32,
        mask: u32,
    ) -> Option<SysResult<Statx>> {
        let (d, name) = self.cached_parent(abs)?;
        lookup_statx(self, d.fd.as_fd(), name, follow, flags, mask, || Some(abs.as_bytes().to_vec()))
    }

    /// faccessat2 of `abs` through the cache (`flags`: AT_EACCESS or 0).
    pub(crate) fn access_cached(&self, abs: HostPath<'_>, mode: i32, flags: i32, follow: bool) -> Option<SysResult> {
        let (d, name) = self.cached_parent(abs)?;
        lookup_access(d.fd.as_fd(), name, mode, flags, follow)
    }
}

/// faccessat2 of `name` in the directory `d`, not following a symlink
/// (`None` when it is one and `follow`).
pub(crate) fn lookup_access(d: BorrowedFd<'_>, name: &CStr, mode: i32, flags: i32, follow: bool) -> Option<SysResult> {
    let dir = d.as_raw_fd();
    if follow {
        // Is it a symlink (to follow in the guest's root)?
        match host::fstatat(dir, name, AT_SYMLINK_NOFOLLOW) {
            Ok(st) if st.st_mode & S_IFMT == S_IFLNK => return None,
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Some(Err(Errno::ENOENT)),
            Err(_) => return None,
        }
    }
    match host::faccessat2(dir, name, mode, flags | AT_SYMLINK_NOFOLLOW) {
        Ok(()) => Some(Ok(0)),
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::EACCES | libc::EROFS)) => {
            Some(Err(Errno::from(e)))
        }
        Err(_) => None,
    }
}

/// `fstatat` of `name` in the directory `d`, into `st`; `path` gives the
/// file's machine path (for the device number of a memory mount).
pub(crate) fn lookup_stat(
    root: &HostRoot,
    d: BorrowedFd<'_>,
    name: &CStr,
    follow: bool,
    path: impl FnOnce() -> Option<Vec<u8>>,
    st: &mut Stat,
) -> Option<SysResult<()>> {
    let r = host::fstatat_into(d.as_raw_fd(), name, AT_SYMLINK_NOFOLLOW, st);
    finish_stat(root, r, follow, path, st)
}

/// `lookup_stat` after the host's answer `r` (made into `st`).
fn finish_stat(
    root: &HostRoot,
    r: std::io::Result<()>,
    follow: bool,
    path: impl FnOnce() -> Option<Vec<u8>>,
    st: &mut Stat,
) -> Option<SysResult<()>> {
    match r {
        Ok(()) => {}
        // Not there: the full walk would find the same.
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Some(Err(Errno::ENOENT)),
        Err(_) => return None,
    };
    match st.st_mode & S_IFMT {
        S_IFLNK if follow => return None,
        // May be a guest's device node (`devnode`): the full walk looks.
        S_IFREG if st.st_size == 0 => return None,
        _ => {}
    }
    if let Some(dev) = root.mounts.dev_of(st.st_dev, path) {
        st.st_dev = dev;
    }
    Some(Ok(()))
}

/// statx of `name` in the directory `d` (`flags`: the sync type only);
/// `path` gives the file's machine path (for the device number of a
/// memory mount).
pub(crate) fn lookup_statx(
    root: &HostRoot,
    d: BorrowedFd<'_>,
    name: &CStr,
    follow: bool,
    flags: i32,
    mask: u32,
    path: impl FnOnce() -> Option<Vec<u8>>,
) -> Option<SysResult<Statx>> {
    let mut stx = match host::statx(d.as_raw_fd(), name, flags | AT_SYMLINK_NOFOLLOW, mask) {
        Ok(stx) => stx,
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Some(Err(Errno::ENOENT)),
        Err(_) => return None,
    };
    match u32::from(stx.stx_mode) & S_IFMT {
        S_IFLNK if follow => return None,
        // The type may not have been asked for; or a device node.
        0 => return None,
        S_IFREG if stx.stx_size == 0 => return None,
        _ => {}
    }
    let dev = host::makedev(stx.stx_dev_major, stx.stx_dev_minor);
    if let Some(dev) = root.mounts.dev_of(dev, path) {
        (stx.stx_dev_major, stx.stx_dev_minor) = host::major_minor(dev);
    }
    Some(Ok(stx))
}

/// `openat` of `name` in the directory `d` with `O_NOFOLLOW`, never
/// following a symlink: a symlink (or anything the full walk might answer
/// otherwise) is `None`. The flag stays in the file's status flags when
/// the guest did not ask for it: its `OpenFile` hides it from F_GETFL
/// (`hidden_flags`). (Until round 12 `openat2(RESOLVE_NO_SYMLINKS)`, which
/// leaves the flags alone but costs the host ~10 ns more an open.)
/// `read_only`: `d` is in a read-only mount.
///
/// `name` is one component (the callers split it off: `dcache::split`,
/// `HostPath::split`, `peek_split`; no `/`, not empty, `.` or `..`) and
/// no symlink is followed, so the host's lookup cannot leave `d`:
/// `RESOLVE_BENEATH` would add nothing but its cost (~25 ns of host time
/// per open on this machine, BENCHMARKS.md).
pub(crate) fn lookup_open(
    d: RawFd,
    read_only: bool,
    name: &CStr,
    flags: i32,
    mode: u32,
    wait: host::Wait,
) -> Option<SysResult<OwnedFd>> {
    use crate::abi::fcntl::{O_ACCMODE, O_RDONLY, O_TRUNC};
    // What makes the lookup stay in `d` (the callers split the name off).
    debug_assert!(!matches!(name.to_bytes(), b"" | b"." | b"..") && !name.to_bytes().contains(&b'/'));
    if read_only && (flags & O_ACCMODE != O_RDONLY || flags & (O_CREAT | O_TRUNC) != 0) {
        return Some(Err(Errno::EROFS));
    }
    let asked_nofollow = flags & O_NOFOLLOW != 0;
    let mode = if flags & O_CREAT != 0 { mode } else { 0 };
    match host::openat_waiting(d, name, flags | O_NOFOLLOW, mode, wait) {
        Ok(fd) => Some(Ok(fd)),
        Err(e) if asked_nofollow || e.raw_os_error() == Some(libc::ENOENT) => Some(Err(Errno::from(e))),
        // ELOOP (a symlink), ...: the full walk follows it.
        Err(_) => None,
    }
}

/// The status flags `lookup_open` gave the host's file that the guest did
/// not ask for (`OpenFile::looked_up`).
pub(crate) fn hidden_flags(guest_flags: i32) -> u32 {
    if guest_flags & O_NOFOLLOW == 0 {
        O_NOFOLLOW as u32
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::peek_split;

    #[test]
    fn peek_split_leaves_the_kernels_trees_and_odd_names_to_the_walk() {
        let split = |p: &[u8]| peek_split(p).map(|(d, at)| (d.to_vec(), p[at..].to_vec()));
        assert_eq!(split(b"/etc/passwd"), Some((b"/etc".to_vec(), b"passwd".to_vec())));
        assert_eq!(split(b"/x"), Some((b"/".to_vec(), b"x".to_vec())));
        assert_eq!(split(b"/a/b/c"), Some((b"/a/b".to_vec(), b"c".to_vec())));
        // The directory part as written: a cache of normal keys misses it.
        assert_eq!(split(b"/a//b"), Some((b"/a/".to_vec(), b"b".to_vec())));
        assert_eq!(split(b"/a/./b"), Some((b"/a/.".to_vec(), b"b".to_vec())));
        // Names the walk decides, and the kernel's /proc and /dev.
        for p in [
            &b""[..],
            b"/",
            b"x/y",
            b"/a/",
            b"/a/.",
            b"/a/..",
            b"/.",
            b"/..",
            b"/proc",
            b"/proc/self",
            b"/dev",
            b"/dev/null",
            b"/dev/shm/x",
        ] {
            assert_eq!(split(p), None, "{}", String::from_utf8_lossy(p));
        }
        assert!(split(b"/procx/a").is_some() && split(b"/devices/a").is_some());
    }
}
