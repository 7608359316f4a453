//! /dev: a few host devices, and the /dev/fd family of links.

use super::file::{DirEntry, DT_CHR, DT_LNK};
use super::procfs::{LinkTarget, Node, Step};
use super::stat::synthetic_ino;
use crate::errno::{Errno, SysResult};

/// Devices that are the host's own, opened on the host.
const HOST_DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];
const LINKS: [(&str, &str); 4] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
];

pub fn lookup(comps: &[Vec<u8>]) -> SysResult<Step> {
    let Some(first) = comps.first() else {
        let mut entries: Vec<DirEntry> = HOST_DEVICES
            .iter()
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
    let name = std::str::from_utf8(first).map_err(|_| Errno::ENOENT)?;
    if let Some((_, target)) = LINKS.iter().find(|(n, _)| *n == name) {
        if comps.len() > 1 {
            return Ok(Step::Redirect(super::path::join(target.as_bytes(), &comps[1..].join(&b'/'))));
        }
        return Ok(Step::Node(Node::Link(target.as_bytes().to_vec(), LinkTarget::Path(target.as_bytes().to_vec()))));
    }
    if comps.len() > 1 {
        return Err(if HOST_DEVICES.contains(&name) || name == "console" { Errno::ENOTDIR } else { Errno::ENOENT });
    }
    if HOST_DEVICES.contains(&name) {
        return Ok(Step::Node(Node::HostDevice(format!("/dev/{name}"))));
    }
    if name == "console" {
        return Ok(Step::Node(Node::Console));
    }
    Err(Errno::ENOENT)
}
