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

/// /proc/<pid>/mountinfo: "id parent major:minor root target options -
/// type source super-options".
pub(crate) fn mountinfo(list: &[std::sync::Arc<Mount>], shown: impl Fn(&[u8]) -> Option<Vec<u8>>) -> String {
    let mut s = String::new();
    for m in list {
        let Some(target) = shown(&m.target) else { continue };
        let ro = if m.flags() & MS_RDONLY != 0 { "ro" } else { "rw" };
        let _ = writeln!(
            s,
            "{} {} {}:{} {} {} {} - {} {} {}{}",
            m.id,
            m.parent,
            crate::arch::host::major_minor(m.dev()).0,
            crate::arch::host::major_minor(m.dev()).1,
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
