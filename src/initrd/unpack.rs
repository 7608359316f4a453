//! From entries to sink calls, as the kernel's init/initramfs.c does it:
//! names are made relative to the root, hard links are joined by inode,
//! directories get their metadata after everything inside them exists.

use super::newc::{show, Entry, TRAILER};
use super::sink::{Meta, Sink};
use crate::abi::stat::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use std::collections::HashMap;
use std::io;

/// The longest symlink target the kernel unpacks (PATH_MAX less the NUL).
const TARGET_MAX: usize = 4095;

/// What was unpacked, for the boot banner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Entries read, not counting trailers.
    pub entries: usize,
    pub dirs: usize,
    pub files: usize,
    pub symlinks: usize,
    /// Names that were hard links to an earlier entry.
    pub hard_links: usize,
    /// Device nodes, FIFOs and sockets made.
    pub nodes: usize,
    /// Entries the sink could not make (device nodes as an unprivileged
    /// host user) or of no known type; each is logged.
    pub skipped: usize,
    /// Bytes of file data written.
    pub data_bytes: u64,
}

/// Unpacks entries into a sink. One per archive file; `trailer` ends one
/// cpio archive inside it (hard links never cross archives).
pub struct Unpacker<'s> {
    sink: &'s mut dyn Sink,
    /// (dev major, dev minor, ino) of a multiply linked file -> first name.
    links: HashMap<(u32, u32, u32), Vec<u8>>,
    /// Directories and their metadata, applied at the end (innermost last
    /// made, first set), so that making their contents changes neither.
    dirs: Vec<(Vec<u8>, Meta)>,
    pub counts: Counts,
}

/// Why an entry could not be unpacked (the caller adds file and offset).
pub type EntryError = String;

impl<'s> Unpacker<'s> {
    pub fn new(sink: &'s mut dyn Sink) -> Self {
        Unpacker { sink, links: HashMap::new(), dirs: Vec::new(), counts: Counts::default() }
    }

    /// Unpacks one entry. Returns false for the trailer.
    pub fn entry(&mut self, e: &Entry<'_>) -> Result<bool, EntryError> {
        if e.name == TRAILER {
            self.links.clear();
            return Ok(false);
        }
        self.counts.entries += 1;
        let path = clean(e.name);
        let meta = Meta { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime };
        let shown = || show(e.name);
        let kind = e.mode & S_IFMT;
        if path.is_empty() {
            // "." or "/": the root's own metadata.
            if kind == S_IFDIR {
                self.dirs.push((path, meta));
            } else {
                log::warn!("initrd: entry \"{}\" names the root but is no directory: skipped", shown());
                self.counts.skipped += 1;
            }
            return Ok(true);
        }
        let made = match kind {
            S_IFDIR => {
                let r = self.create(&path, |s| s.mkdir(&path));
                if r.is_ok() {
                    self.counts.dirs += 1;
                    self.dirs.push((path.clone(), meta));
                }
                return r.map(|()| true).map_err(|err| format!("cannot make directory \"{}\": {err}", shown()));
            }
            S_IFREG => {
                if let Some(first) = self.earlier_name(e, &path) {
                    self.link(&first, &path).map_err(|err| link_error(e, &first, err))?;
                    if !e.data.is_empty() {
                        self.sink
                            .write_data(&path, e.data)
                            .map_err(|err| format!("cannot write \"{}\": {err}", shown()))?;
                        self.counts.data_bytes += e.data.len() as u64;
                    }
                } else {
                    self.create(&path, |s| s.file(&path, e.data))
                        .map_err(|err| format!("cannot write \"{}\": {err}", shown()))?;
                    self.counts.files += 1;
                    self.counts.data_bytes += e.data.len() as u64;
                }
                true
            }
            S_IFLNK => {
                let target = e.data.split(|&b| b == 0).next().unwrap_or_default();
                if target.len() > TARGET_MAX || target.is_empty() {
                    log::warn!("initrd: symlink \"{}\" has a target of {} bytes: skipped", shown(), target.len());
                    self.counts.skipped += 1;
                    false
                } else {
                    self.create(&path, |s| s.symlink(&path, target))
                        .map_err(|err| format!("cannot make symlink \"{}\": {err}", shown()))?;
                    self.counts.symlinks += 1;
                    true
                }
            }
            S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK => {
                if let Some(first) = self.earlier_name(e, &path) {
                    self.link(&first, &path).map_err(|err| link_error(e, &first, err))?;
                    true
                } else {
                    match self.create(&path, |s| s.mknod(&path, e.mode, e.rdev)) {
                        Ok(()) => {
                            self.counts.nodes += 1;
                            true
                        }
                        Err(err)
                            if matches!(err.kind(), io::ErrorKind::PermissionDenied | io::ErrorKind::Unsupported) =>
                        {
                            log::warn!(
                                "initrd: cannot make {} \"{}\" ({}, {}): {err}: skipped",
                                node_kind(kind),
                                shown(),
                                e.rdev.0,
                                e.rdev.1
                            );
                            self.counts.skipped += 1;
                            self.links.remove(&(e.dev.0, e.dev.1, e.ino));
                            false
                        }
                        Err(err) => return Err(format!("cannot make {} \"{}\": {err}", node_kind(kind), shown())),
                    }
                }
            }
            _ => {
                log::warn!("initrd: entry \"{}\" has mode {:#o}, of no file type: skipped", shown(), e.mode);
                self.counts.skipped += 1;
                false
            }
        };
        if made {
            self.sink.set_meta(&path, &meta).map_err(|err| format!("cannot set the mode of \"{}\": {err}", shown()))?;
        }
        Ok(true)
    }

    /// Applies the directories' metadata; call once the archive is read.
    pub fn finish(&mut self) -> Result<(), EntryError> {
        while let Some((path, meta)) = self.dirs.pop() {
            self.sink
                .set_meta(&path, &meta)
                .map_err(|err| format!("cannot set the mode of directory \"/{}\": {err}", show(&path)))?;
        }
        Ok(())
    }

    /// For the second and later names of a multiply linked file: its first
    /// name. Records the first.
    fn earlier_name(&mut self, e: &Entry<'_>, path: &[u8]) -> Option<Vec<u8>> {
        if e.nlink < 2 {
            return None;
        }
        let key = (e.dev.0, e.dev.1, e.ino);
        match self.links.get(&key) {
            Some(first) => Some(first.clone()),
            None => {
                self.links.insert(key, path.to_vec());
                None
            }
        }
    }

    fn link(&mut self, first: &[u8], path: &[u8]) -> io::Result<()> {
        self.create(path, |s| s.hard_link(first, path))?;
        self.counts.hard_links += 1;
        Ok(())
    }

    /// Runs `op`; when the parent directory is missing, makes the parents
    /// (mode 0755: the kernel would drop the entry, an archive listing a
    /// file before its directory is more likely a careless packer) and
    /// tries once more.
    fn create(&mut self, path: &[u8], mut op: impl FnMut(&mut dyn Sink) -> io::Result<()>) -> io::Result<()> {
        match op(self.sink) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut end = 0;
                while let Some(i) = path[end..].iter().position(|&b| b == b'/') {
                    end += i;
                    match self.sink.mkdir(&path[..end]) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(e) => return Err(e),
                    }
                    end += 1;
                }
                op(self.sink)
            }
            r => r,
        }
    }
}

fn link_error(e: &Entry<'_>, first: &[u8], err: io::Error) -> String {
    format!("cannot link \"{}\" to \"{}\": {err}", show(e.name), show(first))
}

fn node_kind(kind: u32) -> &'static str {
    match kind {
        S_IFCHR => "character device",
        S_IFBLK => "block device",
        S_IFIFO => "FIFO",
        _ => "socket",
    }
}

/// The name made relative to the root: the kernel unpacks with the root
/// as working directory (and `..` of the root is the root), so a leading
/// `/` and any `..` that would climb above the root stay inside it. `..`
/// is taken lexically, so no symlink in the archive can lead out either.
pub fn clean(name: &[u8]) -> Vec<u8> {
    crate::pathname::components(name).join(&b'/')
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn names_stay_inside_the_root() {
        assert_eq!(clean(b"./bin/sh"), b"bin/sh");
        assert_eq!(clean(b"/etc//passwd"), b"etc/passwd");
        assert_eq!(clean(b"../../etc/x"), b"etc/x");
        assert_eq!(clean(b"a/../../b/./c/"), b"b/c");
        assert_eq!(clean(b"."), b"");
        assert_eq!(clean(b"/"), b"");
    }
}
