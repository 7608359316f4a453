//! Rewritten code mapped from files at run time (a shared library's text,
//! mapped by the dynamic linker with PROT_EXEC): kept by (file, offset,
//! length), so the next process that maps the same library copies the
//! rewritten bytes instead of reading and sweeping them again. The exec
//! image cache does the same for whole programs.

use super::cache::FileId;
use super::diskcache::DiskCache;
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
    pub bytes: Vec<u8>,
    pub sites: Vec<u64>,
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
        let (sites, bytes) = self.disk.lookup_code(&key.file, key.offset, key.len)?;
        let size = bytes.len();
        self.entries.insert(*key, CachedCode { bytes, sites }, size);
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
        self.entries.insert(key, CachedCode { bytes, sites }, len as usize);
    }
}

impl CachedCode {
    /// Puts the rewritten code at `addr` and records its sites.
    pub(crate) fn place(&self, mem: &Memory, addr: u64) -> crate::errno::SysResult<()> {
        for off in &self.sites {
            mem.sites.insert(addr + off);
        }
        mem.user.write(addr, &self.bytes)
    }
}
