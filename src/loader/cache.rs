//! The exec image cache: the rewritten image of a program, keyed by the
//! file's identity (device, inode, size, mtime). A second exec of the same
//! binary — what a shell does all day, and why the zpoline UML port's
//! fork+exec was 9× slower than native — only copies the image into fresh
//! arena memory and records its syscall sites; nothing is parsed or
//! scanned again. Static-PIE images relocate themselves, so the copy is
//! position independent.

use super::diskcache::DiskCache;
use super::elf::{ExecImage, Segment};
use super::lru::ByteLru;
use crate::abi::types::Stat;
use crate::errno::Errno;
use crate::mm::Memory;
use crate::rewrite::RewriteStats;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// What identifies a file's content without reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FileId {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, i64),
}

impl FileId {
    pub(crate) fn from_stat(st: &Stat) -> FileId {
        FileId {
            dev: st.st_dev,
            ino: st.st_ino,
            size: st.st_size as u64,
            mtime: (st.st_mtime.tv_sec, st.st_mtime.tv_nsec),
        }
    }
}

/// A loaded, rewritten image, relative to its base address.
pub(crate) struct CachedImage {
    /// The whole span as loaded (segments, gaps, zeroed bss).
    bytes: Vec<u8>,
    /// Offsets of the rewritten syscall sites.
    sites: Vec<u64>,
    align: u64,
    template: ExecImage,
}

/// Bytes of images the cache keeps (least recently used go first).
const CACHE_LIMIT: usize = 128 << 20;

pub struct ImageCache {
    images: ByteLru<FileId, CachedImage>,
    /// Images kept on disk by earlier nommu processes (`diskcache`).
    disk: Arc<DiskCache>,
    disk_hits: AtomicU64,
}

impl Default for ImageCache {
    fn default() -> Self {
        ImageCache::new(Arc::default())
    }
}

impl ImageCache {
    pub(crate) fn new(disk: Arc<DiskCache>) -> Self {
        ImageCache { images: ByteLru::new(CACHE_LIMIT), disk, disk_hits: AtomicU64::new(0) }
    }

    /// How many images were scanned and remembered (cache misses).
    pub(crate) fn scans(&self) -> u64 {
        self.images.inserted().saturating_sub(self.disk_hits.load(Ordering::Relaxed))
    }

    pub(crate) fn get(&self, id: &FileId) -> Option<Arc<CachedImage>> {
        if let Some(hit) = self.images.get(id) {
            return Some(hit);
        }
        // A miss here: an image some nommu process rewrote before?
        let d = self.disk.lookup(id)?;
        let size = d.bytes.len();
        let image = CachedImage { align: d.template.align, bytes: d.bytes, sites: d.sites, template: d.template };
        self.disk_hits.fetch_add(1, Ordering::Relaxed);
        self.images.insert(*id, image, size);
        self.images.get(id)
    }

    /// Remembers a freshly loaded position-independent image.
    pub(crate) fn insert(&self, mem: &Memory, id: FileId, image: &ExecImage, align: u64) {
        if image.fixed.is_some() || image.load_bias != image.alloc_start {
            // Only images whose lowest vaddr is 0 (the static-PIE norm) are
            // kept: the copy then needs no adjustment but its base.
            return;
        }
        if image.alloc_len > CACHE_LIMIT as u64 {
            // Not before copying gigabytes of (mostly bss) image to find out.
            return;
        }
        let mut bytes = vec![0u8; image.alloc_len as usize];
        if mem.user.read(image.alloc_start, &mut bytes).is_err() {
            return;
        }
        let sites = mem.sites.collect_range(image.alloc_start, image.alloc_len);
        let sites: Vec<u64> = sites.into_iter().map(|a| a - image.alloc_start).collect();
        let template = ExecImage {
            alloc_start: 0,
            load_bias: 0,
            entry: image.entry - image.alloc_start,
            phdr: image.phdr - image.alloc_start,
            brk: image.brk - image.alloc_start,
            segments: image.segments.iter().map(|s| Segment { start: s.start - image.alloc_start, ..*s }).collect(),
            ..image.clone()
        };
        self.disk.store(&id, &template, &sites, &bytes);
        let size = bytes.len();
        self.images.insert(id, CachedImage { bytes, sites, align, template }, size);
    }
}

impl CachedImage {
    /// A copy of the image in fresh arena memory.
    pub(crate) fn instantiate(&self, mem: &Memory) -> Result<ExecImage, Errno> {
        let start = Instant::now();
        let len = self.bytes.len() as u64;
        let base = mem.alloc(len, self.align)?;
        if let Err(e) = mem.user.write(base, &self.bytes) {
            mem.free(base, len);
            return Err(e);
        }
        for off in &self.sites {
            mem.sites.insert(base + off);
        }
        let t = &self.template;
        Ok(ExecImage {
            alloc_start: base,
            load_bias: base,
            entry: base + t.entry,
            phdr: base + t.phdr,
            brk: base + t.brk,
            segments: t.segments.iter().map(|s| Segment { start: base + s.start, ..*s }).collect(),
            rewrite: RewriteStats {
                bytes_scanned: 0,
                sites: self.sites.len() as u64,
                elapsed: start.elapsed(),
                ..Default::default()
            },
            ..t.clone()
        })
    }
}
