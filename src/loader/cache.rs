//! The exec image cache: the rewritten image of a program, keyed by the
//! file's identity (device, inode, size, mtime). A second exec of the same
//! binary — what a shell does all day, and why the zpoline UML port's
//! fork+exec was 9× slower than native — only copies the image into fresh
//! arena memory and records its syscall sites; nothing is parsed or
//! scanned again. Static-PIE images relocate themselves, so the copy is
//! position independent.
//!
//! With `MachineConfig::exec_map` the cache also keeps the image in a
//! sealed host memfd, and an exec maps the image's read-only pages (text,
//! rodata, headers: no PF_W segment touches them) from it, private to the
//! process, copying only the pages of writable segments
//! (docs/architecture.md, "Exec without copying").

use super::diskcache::{DiskCache, DiskFile, MappedData};
use super::elf::{ExecImage, Segment};
use super::lru::ByteLru;
use crate::abi::types::Stat;
use crate::errno::Errno;
use crate::mm::Memory;
use crate::mm::PAGE_SIZE;
use crate::rewrite::RewriteStats;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
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
    /// The span as loaded (segments, gaps), all of it or (read from the
    /// disk cache) up to its trailing zero pages.
    bytes: ImageBytes,
    /// The whole span's length (what `bytes` lacks of it is zeros).
    len: u64,
    /// Offsets of the rewritten syscall sites.
    sites: Vec<u64>,
    align: u64,
    template: ExecImage,
    /// Where an exec maps the read-only pages from instead of copying
    /// them. None unless `exec_map` was on when the image was cached.
    mappable: Option<Backing>,
}

/// An image's bytes: its own copy, or its stored data in the mapped
/// on-disk cache entry (`diskcache::MappedData`).
enum ImageBytes {
    Owned(Vec<u8>),
    Mapped(MappedData),
}

impl ImageBytes {
    fn data(&self) -> &[u8] {
        match self {
            ImageBytes::Owned(v) => v,
            ImageBytes::Mapped(m) => m.as_ref(),
        }
    }
}

/// Where an exec maps an image's read-only pages from: a host file that
/// holds the rewritten image (`CachedImage::bytes`) from `offset`
/// (page-aligned) on, and that nobody writes or shrinks while it is open
/// (a private mapping would see a write; a page past a shrunk end is
/// SIGBUS). The cache's own is a sealed memfd; an image read from the
/// on-disk cache is mapped from its cache file (entries are only ever
/// replaced by rename, `diskcache::DiskFile`).
pub(crate) struct Backing {
    fd: OwnedFd,
    offset: u64,
    /// The page runs (offset in the image, length) no writable segment
    /// touches: what is mapped.
    runs: Vec<(u64, u64)>,
}

impl Backing {
    /// `fd` holds the `len` bytes of an image with `segments` (relative
    /// to the image) from `offset` on. None if no page is read-only or
    /// `offset` is not page-aligned.
    pub(crate) fn new(fd: OwnedFd, offset: u64, len: u64, segments: &[Segment]) -> Option<Backing> {
        let runs = read_only_runs(len, segments);
        (!runs.is_empty() && offset.is_multiple_of(PAGE_SIZE)).then_some(Backing { fd, offset, runs })
    }

    /// Bytes mapped read-only (not committed) per exec.
    fn readonly_bytes(&self) -> u64 {
        self.runs.iter().map(|&(_, l)| l).sum()
    }
}

/// The page runs of [0, len) that no writable segment touches (segments
/// relative to the image, page-rounded as loaded).
fn read_only_runs(len: u64, segments: &[Segment]) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let mut at = 0;
    while at < len {
        let written = segments.iter().any(|s| s.writable && s.start < at + PAGE_SIZE && at < s.start + s.len);
        if !written {
            match runs.last_mut() {
                Some((s, l)) if *s + *l == at => *l += PAGE_SIZE,
                _ => runs.push((at, PAGE_SIZE)),
            }
        }
        at += PAGE_SIZE;
    }
    runs
}

/// A sealed memfd holding `bytes` (nobody can write or resize it: private
/// mappings of it share its pages until each writes its own copy).
fn sealed_memfd(bytes: &[u8]) -> std::io::Result<OwnedFd> {
    let flags = libc::MFD_ALLOW_SEALING;
    let fd = crate::arch::host::memfd_create(c"nommu-exec-image", flags)?;
    let mut file = std::fs::File::from(fd);
    file.write_all(bytes)?;
    let fd = OwnedFd::from(file);
    let seals = libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
    crate::arch::host::fcntl_int(fd.as_raw_fd(), libc::F_ADD_SEALS, i64::from(seals))?;
    Ok(fd)
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

    /// The cached image of `id` (with `map`, one read from disk is mapped
    /// from its cache file, kept open, where `insert` makes a memfd).
    pub(crate) fn get(&self, id: &FileId, map: bool) -> Option<Arc<CachedImage>> {
        if let Some(hit) = self.images.get(id) {
            return Some(hit);
        }
        // A miss here: an image some nommu process rewrote before?
        let (d, file) = self.disk.lookup(id)?;
        let (align, len) = (d.template.align, d.template.alloc_len);
        let bytes = ImageBytes::Mapped(d.bytes);
        let (image, size) = CachedImage::new(bytes, len, d.sites, align, d.template, map.then_some(Some(file)));
        self.disk_hits.fetch_add(1, Ordering::Relaxed);
        self.images.insert(*id, image, size);
        self.images.get(id)
    }

    /// Remembers a freshly loaded position-independent image (and, with
    /// `map`, puts it in a memfd to map from).
    pub(crate) fn insert(&self, mem: &Memory, id: FileId, image: &ExecImage, align: u64, map: bool) {
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
        let len = bytes.len() as u64;
        let bytes = ImageBytes::Owned(bytes);
        let (image, size) = CachedImage::new(bytes, len, sites, align, template, map.then_some(None));
        self.images.insert(id, image, size);
    }
}

impl CachedImage {
    /// The entry for an image and the host memory it holds (its bytes,
    /// or, mapped from the disk cache, the file pages it maps, which are
    /// page cache). `map` is None for an image exec copies; else the
    /// on-disk cache file the image was read from, to map from (no more
    /// memory), or None for a sealed memfd of the bytes (shmem, counted
    /// with them, so the cache keeps at most CACHE_LIMIT of both).
    fn new(
        bytes: ImageBytes,
        len: u64,
        sites: Vec<u64>,
        align: u64,
        template: ExecImage,
        map: Option<Option<DiskFile>>,
    ) -> (CachedImage, usize) {
        let mut size = bytes.data().len();
        let mappable = match map {
            None => None,
            // Only whole pages of the stored data, all inside the file (the
            // zero pages past it are copied).
            Some(Some(f)) => {
                let len = (f.len / PAGE_SIZE * PAGE_SIZE).min(len);
                Backing::new(f.fd, f.offset, len, &template.segments)
            }
            Some(None) => match sealed_memfd(bytes.data()) {
                Ok(fd) => {
                    size += bytes.data().len();
                    Backing::new(fd, 0, bytes.data().len() as u64, &template.segments)
                }
                Err(e) => {
                    log::info!("image cache: no memfd for the image ({e}): it will be copied");
                    None
                }
            },
        };
        (CachedImage { bytes, len, sites, align, template, mappable }, size)
    }

    /// A copy of the image in fresh arena memory: with `map` (and a
    /// memfd), its read-only pages a private mapping of the memfd and only
    /// the rest copied.
    pub(crate) fn instantiate(&self, mem: &Memory, map: bool) -> Result<ExecImage, Errno> {
        let start = Instant::now();
        let len = self.len;
        let base = match (&self.mappable, map) {
            (Some(backing), true) => {
                let base = mem.alloc_overwritten(len, self.align, backing.readonly_bytes())?;
                if let Err(e) = self.map_into(mem, base, backing) {
                    mem.free(base, len);
                    return Err(e);
                }
                base
            }
            _ => {
                let base = mem.alloc(len, self.align)?;
                // Fresh memory is zeroed: only the data is written.
                if let Err(e) = mem.user.write(base, self.bytes.data()) {
                    mem.free(base, len);
                    return Err(e);
                }
                base
            }
        };
        mem.sites.insert_fresh_image(base, &self.sites);
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

    /// Maps the read-only runs from `backing` and copies every other page
    /// (zeros past the data: the memory is not zeroed).
    fn map_into(&self, mem: &Memory, base: u64, backing: &Backing) -> Result<(), Errno> {
        let data = self.bytes.data();
        let mut at = 0;
        for &(off, l) in backing.runs.iter().chain([(self.len, 0)].iter()) {
            if off > at {
                let end = (off as usize).min(data.len());
                if end > at as usize {
                    mem.user.write(base + at, &data[at as usize..end])?;
                }
                write_zeros(mem, base + (end as u64).max(at), base + off)?;
            }
            if l > 0 {
                mem.map_readonly_file(base + off, l, backing.fd.as_raw_fd(), backing.offset + off)?;
            }
            at = off + l;
        }
        Ok(())
    }
}

/// Zeros [from, to) of arena memory.
fn write_zeros(mem: &Memory, mut from: u64, to: u64) -> Result<(), Errno> {
    static ZEROS: [u8; PAGE_SIZE as usize] = [0; PAGE_SIZE as usize];
    while from < to {
        let n = (to - from).min(PAGE_SIZE);
        mem.user.write(from, &ZEROS[..n as usize])?;
        from += n;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::SegmentKind;

    /// A page-aligned image of `len` bytes with `segments`, at 0.
    fn test_template(len: u64, segments: &[Segment]) -> ExecImage {
        ExecImage {
            alloc_start: 0,
            alloc_len: len,
            fixed: None,
            segments: segments.to_vec(),
            load_bias: 0,
            entry: 0,
            phdr: 0,
            phent: 56,
            phnum: 1,
            brk: len,
            stack_size: None,
            rewrite: RewriteStats::default(),
            align: PAGE_SIZE,
            interp: None,
        }
    }
    #[test]
    fn only_pages_no_writable_segment_touches_are_mapped() {
        let seg = |start, len, writable| Segment { start, len, kind: SegmentKind::Data, writable };
        // busybox's layout: headers, text, rodata, then RELRO+data+bss
        // starting mid-page (0x1150f0, page-rounded down as loaded).
        let segs = [
            seg(0, 0x7000, false),
            seg(0x7000, 0xdd000, false),
            seg(0xe4000, 0x31000, false),
            seg(0x115000, 0x5000, true),
        ];
        assert_eq!(read_only_runs(0x11a000, &segs), vec![(0, 0x115000)]);
        // A writable page in the middle splits the runs; a gap is mapped.
        let segs = [seg(0, 0x2000, false), seg(0x2000, 0x1000, true), seg(0x5000, 0x1000, false)];
        assert_eq!(read_only_runs(0x6000, &segs), vec![(0, 0x2000), (0x3000, 0x3000)]);
        assert_eq!(read_only_runs(0x1000, &[seg(0, 0x1000, true)]), vec![]);
    }

    #[test]
    fn an_image_with_only_its_data_is_zeros_past_it_even_in_reused_memory() {
        let mem = Memory::with_address_space(64 << 20, 256 << 20).unwrap();
        let len = 4 * PAGE_SIZE;
        // Dirty pages, freed: alloc_overwritten may hand them back as they are.
        for _ in 0..2 {
            let d = mem.alloc(len, PAGE_SIZE).unwrap();
            mem.user.write(d, &vec![0xffu8; len as usize]).unwrap();
            mem.free(d, len);
        }
        // Two pages of data (a read-only one, a writable one); the two
        // pages after them, one read-only gap and one bss, are not stored.
        let data: Vec<u8> = (0..2 * PAGE_SIZE).map(|i| (i % 251) as u8 + 1).collect();
        let seg = |start, len, writable| Segment { start, len, kind: SegmentKind::Data, writable };
        let segments =
            vec![seg(0, PAGE_SIZE, false), seg(PAGE_SIZE, PAGE_SIZE, true), seg(3 * PAGE_SIZE, PAGE_SIZE, true)];
        let template = test_template(len, &segments);
        let mappable = Backing::new(sealed_memfd(&data).unwrap(), 0, data.len() as u64, &segments);
        assert_eq!(mappable.as_ref().map(|b| b.runs.clone()), Some(vec![(0, PAGE_SIZE)]));
        let bytes = ImageBytes::Owned(data.clone());
        let cached = CachedImage { bytes, len, sites: vec![], align: PAGE_SIZE, template, mappable };
        let mut want = data.clone();
        want.resize(len as usize, 0);
        for map in [true, false, true] {
            let image = cached.instantiate(&mem, map).unwrap();
            let mut got = vec![0u8; len as usize];
            mem.user.read(image.alloc_start, &mut got).unwrap();
            assert!(got == want, "map {map}: the data, then zeros");
        }
    }

    #[test]
    fn a_mapped_image_reads_as_the_copy_and_writes_stay_private() {
        let mem = Memory::with_address_space(64 << 20, 256 << 20).unwrap();
        let len = 4 * PAGE_SIZE;
        let mut bytes = vec![0u8; len as usize];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (i / PAGE_SIZE as usize + 1) as u8;
        }
        let seg = |start, len, writable| Segment { start, len, kind: SegmentKind::Text, writable };
        let segments = vec![seg(0, 3 * PAGE_SIZE, false), seg(3 * PAGE_SIZE, PAGE_SIZE, true)];
        let template = test_template(len, &segments);
        let mappable = Backing::new(sealed_memfd(&bytes).unwrap(), 0, len, &segments);
        let cached = CachedImage {
            bytes: ImageBytes::Owned(bytes.clone()),
            len,
            sites: vec![5],
            align: PAGE_SIZE,
            template,
            mappable,
        };
        let a = cached.instantiate(&mem, true).unwrap();
        let b = cached.instantiate(&mem, true).unwrap();
        let c = cached.instantiate(&mem, false).unwrap();
        // The three read-only pages of each mapped copy are not committed.
        assert_eq!(mem.stats().committed, 2 * PAGE_SIZE + len);
        let read = |at: u64| {
            let mut buf = vec![0u8; len as usize];
            mem.user.read(at, &mut buf).unwrap();
            buf
        };
        assert!(read(a.alloc_start) == bytes && read(b.alloc_start) == bytes && read(c.alloc_start) == bytes);
        assert!(mem.sites.contains(a.alloc_start + 5) && mem.sites.contains(b.alloc_start + 5));
        // nommu writes into them fail (EFAULT), but for code it patches
        // (forced: that process's own copy).
        assert_eq!(mem.user.write(a.alloc_start + 10, b"private"), Err(Errno::EFAULT));
        assert_eq!(mem.user.write(c.alloc_start + 10, b"private"), Ok(()), "copied: plain memory");
        mem.user.write_code(a.alloc_start + 10, b"private").unwrap();
        assert_eq!(&read(b.alloc_start)[10..17], &bytes[10..17]);
        assert_eq!(&read(a.alloc_start)[10..17], b"private");
        assert_eq!(mem.user.write(a.alloc_start + 10, b"x"), Err(Errno::EFAULT), "read-only again");
        // Made writable (mprotect PROT_WRITE), they are committed.
        mem.make_writable(b.alloc_start, PAGE_SIZE).unwrap();
        assert_eq!(mem.stats().committed, 3 * PAGE_SIZE + len);
        mem.user.write(b.alloc_start + 10, b"mine").unwrap();
        assert_eq!(&read(a.alloc_start)[10..17], b"private");
        // Made inaccessible and back, they are plain memory.
        mem.set_inaccessible(a.alloc_start, len, true).unwrap();
        assert_eq!(mem.stats().committed, 3 * PAGE_SIZE + len - PAGE_SIZE);
        mem.set_inaccessible(a.alloc_start, len, false).unwrap();
        assert_eq!(mem.stats().committed, 2 * PAGE_SIZE + 2 * len);
        assert_eq!(&read(a.alloc_start)[10..17], b"private");
        // Freed, the pages are plain zeroed arena memory again.
        a.release(&mem);
        b.release(&mem);
        c.release(&mem);
        assert_eq!(mem.stats().committed, 0);
        let d = mem.alloc(3 * len, PAGE_SIZE).unwrap();
        assert!(read(d).iter().chain(read(d + len).iter()).chain(read(d + 2 * len).iter()).all(|&x| x == 0));
    }
}
