//! /dev: a few host devices, the /dev/fd family of links, the console
//! (`super::console`), /dev/tty (the caller's controlling terminal), and
//! the machine's pseudo-terminals (/dev/ptmx opens a host pty master;
//! /dev/pts holds only the ptys opened in the machine).

use super::file::DirEntry;
use super::node::{LinkTarget, Node, ProcFs, PtyNode, Step};
use super::stat::synthetic_ino;
use crate::abi::dirent::{DT_CHR, DT_DIR, DT_LNK};
use crate::abi::fcntl::{AT_FDCWD, O_DIRECTORY, O_PATH};
use crate::arch::host;
use crate::errno::{Errno, SysResult};
use std::ffi::CStr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::OnceLock;

/// Devices that are the host's own, opened on the host: name, host path.
const HOST_DEVICES: [(&str, &CStr); 6] = [
    ("null", c"/dev/null"),
    ("zero", c"/dev/zero"),
    ("full", c"/dev/full"),
    ("random", c"/dev/random"),
    ("urandom", c"/dev/urandom"),
    ("tty", c"/dev/tty"),
];
const LINKS: [(&str, &str); 4] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
];

/// The host path of the device `abs` names when it is exactly
/// `/dev/NAME` for one of the host's own devices (not `tty`, which may be
/// the caller's pty), and the caller sees the kernel's /dev: what `lookup`
/// would find, without a walk (`stat("/dev/null")`, `open("/dev/null")`).
pub(crate) fn plain_host_device(abs: &[u8]) -> Option<&'static CStr> {
    let name = abs.strip_prefix(b"/dev/")?;
    let (_, path) = HOST_DEVICES.iter().find(|(n, _)| n.as_bytes() == name && *n != "tty")?;
    if super::jail::hides(super::path::Fs::Dev) {
        return None;
    }
    Some(path)
}

/// Where the host looks up the device of host path `dev` (one of
/// `HOST_DEVICES`): the host's /dev, by a handle kept from the first
/// device opened, and the device's name in it; the path itself from the
/// working directory when no handle could be had. One component from a
/// handle instead of three from the root is ~20 ns less of the host's
/// time a lookup (BENCHMARKS.md, issue 17 round 11).
pub(crate) fn host_device_at(dev: &'static CStr) -> (RawFd, &'static CStr) {
    static HOST_DEV: OnceLock<Option<OwnedFd>> = OnceLock::new();
    let dir = HOST_DEV.get_or_init(|| host::open(c"/dev", O_PATH | O_DIRECTORY, 0).ok());
    match (dir, dev.to_bytes().strip_prefix(b"/dev/")) {
        // `CStr`'s own suffix indexing: still NUL-terminated.
        (Some(dir), Some(_)) => (dir.as_raw_fd(), &dev[b"/dev/".len()..]),
        _ => (AT_FDCWD, dev),
    }
}

pub(crate) fn lookup(comps: &[&[u8]], proc: &dyn ProcFs) -> SysResult<Step> {
    let Some(first) = comps.first() else {
        let mut entries: Vec<DirEntry> = HOST_DEVICES
            .iter()
            .map(|(n, _)| n)
            .chain(["console", "kmsg", "ttyS0", "ptmx"].iter())
            .map(|n| DirEntry { ino: synthetic_ino(n.as_bytes()), kind: DT_CHR, name: n.as_bytes().to_vec() })
            .collect();
        entries.extend(LINKS.iter().map(|(n, _)| DirEntry {
            ino: synthetic_ino(n.as_bytes()),
            kind: DT_LNK,
            name: n.as_bytes().to_vec(),
        }));
        entries.push(DirEntry { ino: synthetic_ino(b"pts"), kind: DT_DIR, name: b"pts".to_vec() });
        return Ok(Step::Node(Node::Dir(entries)));
    };
    let name: &[u8] = first;
    if name == b"pts" {
        return devpts(&comps[1..], proc);
    }
    if let Some((_, target)) = LINKS.iter().find(|(n, _)| n.as_bytes() == name) {
        if comps.len() > 1 {
            return Ok(Step::Redirect(super::path::join(target.as_bytes(), &comps[1..].join(&b'/'))));
        }
        return Ok(Step::Node(Node::Link(target.as_bytes().to_vec(), LinkTarget::Path(target.as_bytes().to_vec()))));
    }
    let host = HOST_DEVICES.iter().find(|(n, _)| n.as_bytes() == name).map(|(_, path)| *path);
    if comps.len() > 1 {
        let device = host.is_some() || matches!(name, b"console" | b"kmsg" | b"ttyS0" | b"ptmx");
        return Err(if device { Errno::ENOTDIR } else { Errno::ENOENT });
    }
    if name == b"tty" {
        return Ok(Step::Node(Node::Tty(proc.ctty())));
    }
    if let Some(path) = host {
        return Ok(Step::Node(Node::HostDevice(path)));
    }
    match name {
        // The serial port is the console's terminal too (`super::console`).
        b"console" | b"ttyS0" => Ok(Step::Node(Node::Console)),
        b"kmsg" => Ok(Step::Node(Node::Kmsg)),
        b"ptmx" => Ok(Step::Node(Node::Pty(PtyNode::Master(c"/dev/ptmx")))),
        _ => Err(Errno::ENOENT),
    }
}

/// What stat shows for /dev/kmsg (and fstat of an open one): Linux's
/// `crw-r--r--`, char 1,11.
pub(crate) fn kmsg_stat() -> super::stat::Stat {
    use crate::abi::stat::{S_IFCHR, S_IRUGO, S_IWUSR};
    super::stat::Stat {
        dev: super::stat::PROC_DEV,
        ino: synthetic_ino(b"/dev/kmsg"),
        nlink: 1,
        mode: S_IFCHR | S_IRUGO | S_IWUSR,
        rdev: crate::arch::host::makedev(1, 11),
        blksize: 1024,
        ..Default::default()
    }
}

/// /dev/pts: its ptmx and the slaves of the machine's ptys (inode numbers
/// as devpts gives them: 2 for ptmx, N + 3 for slave N).
fn devpts(comps: &[&[u8]], proc: &dyn ProcFs) -> SysResult<Step> {
    let Some(name) = comps.first() else {
        let mut entries = vec![DirEntry { ino: 2, kind: DT_CHR, name: b"ptmx".to_vec() }];
        entries.extend(proc.ptys().into_iter().map(|n| DirEntry {
            ino: u64::from(n) + 3,
            kind: DT_CHR,
            name: n.to_string().into_bytes(),
        }));
        return Ok(Step::Node(Node::Dir(entries)));
    };
    let node = if *name == b"ptmx" {
        PtyNode::Master(c"/dev/pts/ptmx")
    } else {
        let canonical = |s: &&str| s.bytes().all(|b| b.is_ascii_digit()) && (!s.starts_with('0') || s.len() == 1);
        let n = std::str::from_utf8(name).ok().filter(canonical).and_then(|s| s.parse::<u32>().ok());
        let n = n.filter(|n| proc.ptys().contains(n));
        PtyNode::Slave(n.ok_or(Errno::ENOENT)?)
    };
    if comps.len() > 1 {
        return Err(Errno::ENOTDIR);
    }
    Ok(Step::Node(Node::Pty(node)))
}

/// Whether `name` (a component right below /dev) is one the kernel
/// generates; other names under /dev are the root's own.
pub(crate) fn generates(name: &[u8]) -> bool {
    matches!(name, b"console" | b"kmsg" | b"ttyS0" | b"ptmx" | b"pts")
        || HOST_DEVICES.iter().any(|(n, _)| n.as_bytes() == name)
        || LINKS.iter().any(|(n, _)| n.as_bytes() == name)
}
