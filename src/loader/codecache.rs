//! Rewritten code mapped from files at run time (a shared library's text,
//! mapped by the dynamic linker with PROT_EXEC): kept by (file, offset,
//! length), so the next process that maps the same library gets the
//! rewritten bytes instead of reading and sweeping them again — mapped
//! from the on-disk cache's entry when it came from there (the host shares
//! its pages: nothing copied, nothing faulted in until used), copied when
//! this machine rewrote it. The exec image cache does the same for whole
//! programs.

use super::cache::FileId;
use super::diskcache::{DiskCache, DiskFile, MappedData};
use super::lru::ByteLru;
use crate::mm::Memory;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CodeKey {
    pub file: FileId,
    pub offset: u64,
    pub len: u64,
}

/// The mapping's bytes after rewriting, and its sites (offsets).
pub(crate) struct CachedCode {
    bytes: CodeBytes,
    pub sites: Vec<u64>,
}

/// Where a cached mapping's rewritten bytes are.
enum CodeBytes {
    /// Rewritten by this machine: a copy.
    Owned(Vec<u8>),
    /// An on-disk entry's data (its stored bytes; the rest are zeros),
    /// and the entry's file to map them from.
    OnDisk(MappedData, DiskFile),
}

/// Bytes of code the cache keeps (least recently used go first).
const LIMIT: usize = 64 << 20;

pub struct CodeCache {
    entries: ByteLru<CodeKey, CachedCode>,
    /// Code kept on disk by earlier nommu processes (`diskcache`).
    disk: Arc<DiskCache>,
}

impl Default for CodeCache {
    fn default() -> Self {
        CodeCache::new(Arc::default())
    }
}

impl CodeCache {
    pub(crate) fn new(disk: Arc<DiskCache>) -> Self {
        CodeCache { entries: ByteLru::new(LIMIT), disk }
    }

    pub(crate) fn get(&self, key: &CodeKey) -> Option<Arc<CachedCode>> {
        if let Some(hit) = self.entries.get(key) {
            return Some(hit);
        }
        let (sites, bytes, file) = self.disk.lookup_code(&key.file, key.offset, key.len)?;
        // Counted at the mapping's length: the cache bounds how many entry
        // files it keeps open as it bounds its copies.
        let size = usize::try_from(key.len).unwrap_or(usize::MAX);
        self.entries.insert(*key, CachedCode { bytes: CodeBytes::OnDisk(bytes, file), sites }, size);
        self.entries.get(key)
    }

    /// Remembers `len` bytes of freshly rewritten code at `addr`.
    pub(crate) fn insert(&self, mem: &Memory, key: CodeKey, addr: u64, len: u64) {
        if len as usize > self.entries.limit() || self.entries.contains(&key) {
            return;
        }
        let mut bytes = vec![0u8; len as usize];
        if mem.user.read(addr, &mut bytes).is_err() {
            return;
        }
        let sites: Vec<u64> = mem.sites.collect_range(addr, len).into_iter().map(|a| a - addr).collect();
        self.disk.store_code(&key.file, key.offset, &sites, &bytes);
        self.entries.insert(key, CachedCode { bytes: CodeBytes::Owned(bytes), sites }, len as usize);
    }
}

impl CachedCode {
    /// Puts the rewritten code at `addr` (zeroed memory the caller owns,
    /// with no file mapping in it) and records its sites: an on-disk
    /// entry's pages mapped privately (`Memory::map_private_file`), or a
    /// copy.
    pub(crate) fn place(&self, mem: &Memory, addr: u64) -> crate::errno::SysResult<()> {
        for off in &self.sites {
            mem.sites.insert(addr + off);
        }
        match &self.bytes {
            CodeBytes::OnDisk(data, file) => {
                let mapped = file.offset.is_multiple_of(crate::abi::consts::PAGE_SIZE)
                    && (file.len == 0
                        || mem
                            .map_private_file(addr, file.len, std::os::fd::AsRawFd::as_raw_fd(&file.fd), file.offset)
                            .is_ok());
                if !mapped {
                    mem.user.write(addr, data.as_ref())?;
                }
            }
            CodeBytes::Owned(bytes) => mem.user.write(addr, bytes)?,
        }
        Ok(())
    }
}
