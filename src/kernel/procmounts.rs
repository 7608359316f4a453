//! /proc/mounts, /proc/<pid>/mounts and /proc/<pid>/mountinfo, from the
//! machine's mount table (`fs::mounts`).

use crate::abi::mount::*;
use crate::fs::mounts::{FsType, Mount};
use std::fmt::Write;

/// A path as /proc shows it: space, tab, newline and backslash in octal.
fn escaped(p: &[u8]) -> String {
    let mut s = String::with_capacity(p.len());
    for &b in p {
        match b {
            b' ' | b'\t' | b'\n' | b'\\' => {
                let _ = write!(s, "\\{b:03o}");
            }
            _ => s.push(b as char),
        }
    }
    s
}

/// The per-mount options ("rw,nosuid,relatime").
fn mount_opts(m: &Mount) -> String {
    let f = m.flags();
    let mut s = String::from(if f & MS_RDONLY != 0 { "ro" } else { "rw" });
    for (bit, name) in [
        (MS_NOSUID, "nosuid"),
        (MS_NODEV, "nodev"),
        (MS_NOEXEC, "noexec"),
        (MS_NOATIME, "noatime"),
        (MS_NODIRATIME, "nodiratime"),
        (MS_RELATIME, "relatime"),
    ] {
        if f & bit != 0 {
            s.push(',');
            s.push_str(name);
        }
    }
    s
}

/// The file system's own options (tmpfs's size, mode, ids).
fn super_opts(m: &Mount) -> String {
    let mut s = String::new();
    if !m.kind.is_memory() {
        return s;
    }
    let o = m.opts();
    if let Some(size) = o.size {
        let _ = write!(s, ",size={}k", size >> 10);
    }
    if let Some(n) = o.nr_inodes {
        let _ = write!(s, ",nr_inodes={n}");
    }
    let default_mode = if m.kind == FsType::Tmpfs { 0o1777 } else { 0o755 };
    if let Some(mode) = o.mode.filter(|&md| md != default_mode) {
        let _ = write!(s, ",mode={mode:03o}");
    }
    if let Some(uid) = o.uid {
        let _ = write!(s, ",uid={uid}");
    }
    if let Some(gid) = o.gid {
        let _ = write!(s, ",gid={gid}");
    }
    s
}

/// /proc/mounts: "source target type options 0 0". `shown` gives a mount
/// point as the reader sees it (in a chroot: only those inside it).
pub(crate) fn mounts(list: &[std::sync::Arc<Mount>], shown: impl Fn(&[u8]) -> Option<Vec<u8>>) -> String {
    let mut s = String::new();
    for m in list {
        let Some(target) = shown(&m.target) else { continue };
        let _ = writeln!(
            s,
            "{} {} {} {}{} 0 0",
            escaped(&m.source),
            escaped(&target),
            m.kind.name(),
            mount_opts(m),
            super_opts(m)
        );
    }
    s
}

/// The device a mount's files show in `stat` (what tools match
/// mountinfo's major:minor against): a memory file system's own, the
/// host's for the root (`root_dev`) and a bind mount's directory, the
/// kernel's for /proc, /dev and /dev/pts.
fn shown_dev(m: &Mount, root_dev: u64) -> u64 {
    use crate::arch::host::fstatat;
    use crate::fs::stat::PROC_DEV;
    use std::os::fd::AsRawFd;
    if m.dev() != 0 {
        return m.dev();
    }
    if let Some(dir) = &m.dir {
        return fstatat(dir.as_raw_fd(), c"", crate::abi::fcntl::AT_EMPTY_PATH).map_or(0, |st| st.st_dev);
    }
    match m.kind {
        // /dev/pts is the kernel's generated directory too.
        FsType::Proc | FsType::Devtmpfs | FsType::Devpts => PROC_DEV,
        _ => root_dev,
    }
}

/// /proc/<pid>/mountinfo: "id parent major:minor root target options -
/// type source super-options". `root_dev`: the device of the root
/// directory.
pub(crate) fn mountinfo(
    list: &[std::sync::Arc<Mount>],
    root_dev: u64,
    shown: impl Fn(&[u8]) -> Option<Vec<u8>>,
) -> String {
    let mut s = String::new();
    for m in list {
        let Some(target) = shown(&m.target) else { continue };
        let ro = if m.flags() & MS_RDONLY != 0 { "ro" } else { "rw" };
        let (major, minor) = crate::arch::host::major_minor(shown_dev(m, root_dev));
        let _ = writeln!(
            s,
            "{} {} {major}:{minor} {} {} {} - {} {} {}{}",
            m.id,
            m.parent,
            escaped(&m.bind_root),
            escaped(&target),
            mount_opts(m),
            m.kind.name(),
            escaped(&m.source),
            ro,
            super_opts(m)
        );
    }
    s
}
