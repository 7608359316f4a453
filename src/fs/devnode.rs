//! Device nodes a guest makes (mknod of S_IFCHR/S_IFBLK). A real node
//! would be the host's device, so none is made: the node is an empty
//! regular file with the permissions asked for, marked with a host user
//! xattr holding its type and device number (`c 8 0`). `stat`, `lstat`,
//! `fstat` and `statx` show the marked file as the node (type and
//! `st_rdev`); opening it opens the machine's own device for the numbers
//! the machine has (`MACHINE_DEVICES`), and is ENXIO otherwise, as Linux
//! for a node with no driver. Guests cannot read or set host xattrs, so
//! they cannot forge the mark.

use crate::abi::dirent::{DT_BLK, DT_CHR, DT_REG};
use crate::abi::fcntl::{AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY};
use crate::abi::stat::{S_IFBLK, S_IFCHR, S_IFMT, S_IFREG};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::ffi::{CStr, CString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

/// Has this process made or seen a node (before that, opens do not look)?
static SEEN: AtomicBool = AtomicBool::new(false);

/// Have nodes been made or seen (so opens must look for them)?
pub(crate) fn seen() -> bool {
    SEEN.load(Ordering::Relaxed)
}

/// The host xattr that marks a file as a guest's device node.
const MARK: &CStr = c"user.nommu.devnode";

/// Character devices the machine has, by (major, minor): the /dev name.
const MACHINE_DEVICES: [((u32, u32), &str); 10] = [
    ((1, 3), "null"),
    ((1, 5), "zero"),
    ((1, 7), "full"),
    ((1, 8), "random"),
    ((1, 9), "urandom"),
    ((1, 11), "kmsg"),
    ((5, 0), "tty"),
    ((5, 1), "console"),
    ((5, 2), "ptmx"),
    ((4, 64), "ttyS0"),
];

/// Makes node `name` in the host directory `dir`: `kind` is S_IFCHR or
/// S_IFBLK, `perm` the permission bits (umask applied).
pub(crate) fn make(dir: &OwnedFd, name: &CStr, kind: u32, perm: u32, rdev: u64) -> SysResult<()> {
    let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    let fd = host::openat2(dir.as_fd(), name, flags, perm, 0)?;
    let (major, minor) = host::major_minor(rdev);
    let value = format!("{} {major} {minor}", if kind == S_IFBLK { 'b' } else { 'c' });
    if let Err(e) = host::fsetxattr(fd.as_raw_fd(), MARK, value.as_bytes(), 0) {
        // A file system without user xattrs cannot hold a node: as if the
        // device numbers were not allowed there.
        let _ = host::unlinkat(dir.as_raw_fd(), name, 0);
        log::debug!("mknod: cannot mark a device node ({e})");
        return Err(Errno::EPERM);
    }
    SEEN.store(true, Ordering::Relaxed);
    Ok(())
}

/// The node's type and device number when host descriptor `fd` (any kind,
/// `O_PATH` included) is a marked file whose host `mode` and `size` are
/// those of an empty regular file (the only files looked at).
pub(crate) fn of(fd: RawFd, mode: u32, size: i64) -> Option<(u32, u64)> {
    if mode & S_IFMT != S_IFREG || size != 0 {
        return None;
    }
    marked(&CString::new(format!("/proc/self/fd/{fd}")).ok()?)
}

/// The mark of the host file at `path`, if it has one.
fn marked(path: &CStr) -> Option<(u32, u64)> {
    let mut buf = [0u8; 32];
    let n = host::getxattr(path, MARK, &mut buf).ok()?;
    let node = parse(&buf[..n])?;
    SEEN.store(true, Ordering::Relaxed);
    Some(node)
}

fn parse(value: &[u8]) -> Option<(u32, u64)> {
    let text = std::str::from_utf8(value).ok()?;
    let mut it = text.split(' ');
    let kind = match it.next()? {
        "c" => S_IFCHR,
        "b" => S_IFBLK,
        _ => return None,
    };
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((kind, host::makedev(major, minor)))
}

/// A `struct stat` of a node shows its type and number.
/// The console's host terminal shows as the console (`super::console`;
/// a descriptor's own path, for /dev/ttyS0, is its caller's business).
pub(crate) fn fix_stat(fd: RawFd, st: &mut crate::abi::types::Stat) {
    super::console::fix_stat(b"", st);
    if let Some((kind, rdev)) = of(fd, st.st_mode, st.st_size) {
        st.st_mode = (st.st_mode & !S_IFMT) | kind;
        st.st_rdev = rdev;
    }
}

/// `fix_stat` for a `struct statx`.
pub(crate) fn fix_statx(fd: RawFd, stx: &mut crate::abi::types::Statx) {
    super::console::fix_statx(b"", stx);
    if let Some((kind, rdev)) = of(fd, u32::from(stx.stx_mode), stx.stx_size as i64) {
        stx.stx_mode = ((u32::from(stx.stx_mode) & !S_IFMT) | kind) as u16;
        (stx.stx_rdev_major, stx.stx_rdev_minor) = host::major_minor(rdev);
    }
}

/// The `d_type` of nodes in a buffer of `linux_dirent64` records read
/// from the host directory `dir` (only once nodes have been seen: each
/// regular file is looked at).
pub(crate) fn fix_dirents(dir: RawFd, buf: &mut [u8]) {
    if !seen() {
        return;
    }
    let mut at = 0usize;
    while at + 19 < buf.len() {
        let reclen = u16::from_le_bytes([buf[at + 16], buf[at + 17]]) as usize;
        if reclen < 20 || at + reclen > buf.len() {
            return;
        }
        if buf[at + 18] == DT_REG {
            let name = &buf[at + 19..at + reclen];
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            if let Some(kind) = CString::new(name).ok().and_then(|n| node_at(dir, &n)) {
                buf[at + 18] = if kind == S_IFBLK { DT_BLK } else { DT_CHR };
            }
        }
        at += reclen;
    }
}

/// The node type of `name` in host directory `dir`, if it is a node.
fn node_at(dir: RawFd, name: &CStr) -> Option<u32> {
    let st = host::fstatat(dir, name, AT_SYMLINK_NOFOLLOW).ok()?;
    if st.st_mode & S_IFMT != S_IFREG || st.st_size != 0 {
        return None;
    }
    let path = [format!("/proc/self/fd/{dir}/").as_bytes(), name.to_bytes()].concat();
    marked(&CString::new(path).ok()?).map(|(kind, _)| kind)
}

/// The /dev name of the machine's device a node opens (ENXIO: none).
pub(crate) fn device_name(kind: u32, rdev: u64) -> SysResult<&'static str> {
    let numbers = host::major_minor(rdev);
    MACHINE_DEVICES.iter().find(|(n, _)| kind == S_IFCHR && *n == numbers).map(|(_, name)| *name).ok_or(Errno::ENXIO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks() {
        assert_eq!(parse(b"c 1 3"), Some((S_IFCHR, host::makedev(1, 3))));
        assert_eq!(parse(b"b 8 0"), Some((S_IFBLK, host::makedev(8, 0))));
        assert_eq!(parse(b"x 1 3"), None);
        assert_eq!(parse(b"c 1"), None);
        assert_eq!(device_name(S_IFCHR, host::makedev(1, 5)), Ok("zero"));
        assert_eq!(device_name(S_IFCHR, host::makedev(1, 11)), Ok("kmsg"));
        assert_eq!(device_name(S_IFBLK, host::makedev(1, 5)), Err(Errno::ENXIO));
        assert_eq!(device_name(S_IFCHR, host::makedev(8, 0)), Err(Errno::ENXIO));
    }
}
