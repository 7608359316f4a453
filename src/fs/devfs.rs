//! /dev: a few host devices, and the /dev/fd family of links.

use super::file::DirEntry;
use super::node::{LinkTarget, Node, Step};
use super::stat::synthetic_ino;
use crate::abi::dirent::{DT_CHR, DT_LNK};
use crate::errno::{Errno, SysResult};
use std::ffi::CStr;

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

pub(crate) fn lookup(comps: &[&[u8]]) -> SysResult<Step> {
    let Some(first) = comps.first() else {
        let mut entries: Vec<DirEntry> = HOST_DEVICES
            .iter()
            .map(|(n, _)| n)
            .chain(["console"].iter())
            .map(|n| DirEntry { ino: synthetic_ino(n.as_bytes()), kind: DT_CHR, name: n.as_bytes().to_vec() })
            .collect();
        entries.extend(LINKS.iter().map(|(n, _)| DirEntry {
            ino: synthetic_ino(n.as_bytes()),
            kind: DT_LNK,
            name: n.as_bytes().to_vec(),
        }));
        return Ok(Step::Node(Node::Dir(entries)));
    };
    let name: &[u8] = first;
    if let Some((_, target)) = LINKS.iter().find(|(n, _)| n.as_bytes() == name) {
        if comps.len() > 1 {
            return Ok(Step::Redirect(super::path::join(target.as_bytes(), &comps[1..].join(&b'/'))));
        }
        return Ok(Step::Node(Node::Link(target.as_bytes().to_vec(), LinkTarget::Path(target.as_bytes().to_vec()))));
    }
    let host = HOST_DEVICES.iter().find(|(n, _)| n.as_bytes() == name).map(|(_, path)| *path);
    if comps.len() > 1 {
        return Err(if host.is_some() || name == b"console" { Errno::ENOTDIR } else { Errno::ENOENT });
    }
    if let Some(path) = host {
        return Ok(Step::Node(Node::HostDevice(path)));
    }
    if name == b"console" {
        return Ok(Step::Node(Node::Console));
    }
    Err(Errno::ENOENT)
}

/// Whether `name` (a component right below /dev) is one the kernel
/// generates; other names under /dev are the root's own.
pub(crate) fn generates(name: &[u8]) -> bool {
    name == b"console"
        || HOST_DEVICES.iter().any(|(n, _)| n.as_bytes() == name)
        || LINKS.iter().any(|(n, _)| n.as_bytes() == name)
}
