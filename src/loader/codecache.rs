//! Rewritten code mapped from files at run time (a shared library's text,
//! mapped by the dynamic linker with PROT_EXEC): kept by (file, offset,
//! length), so the next process that maps the same library copies the
//! rewritten bytes instead of reading and sweeping them again. The exec
//! image cache does the same for whole programs.

use super::cache::FileId;
use crate::mm::Memory;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CodeKey {
    pub file: FileId,
    pub offset: u64,
    pub len: u64,
}

/// The mapping's bytes after rewriting, and its sites (offsets).
pub struct CachedCode {
    pub bytes: Vec<u8>,
    pub sites: Vec<u64>,
}

/// Bytes of code the cache keeps (least recently used go first).
const LIMIT: usize = 64 << 20;

#[derive(Default)]
pub struct CodeCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<CodeKey, Arc<CachedCode>>,
    order: VecDeque<CodeKey>,
    bytes: usize,
}

impl CodeCache {
    pub fn get(&self, key: &CodeKey) -> Option<Arc<CachedCode>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let hit = inner.entries.get(key).cloned()?;
        inner.order.retain(|k| k != key);
        inner.order.push_back(*key);
        Some(hit)
    }

    /// Remembers `len` bytes of freshly rewritten code at `addr`.
    pub fn insert(&self, mem: &Memory, key: CodeKey, addr: u64, len: u64) {
        if len as usize > LIMIT {
            return;
        }
        let mut bytes = vec![0u8; len as usize];
        if mem.user.read(addr, &mut bytes).is_err() {
            return;
        }
        let sites = mem.sites.collect_range(addr, len).into_iter().map(|a| a - addr).collect();
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if inner.entries.contains_key(&key) {
            return;
        }
        while inner.bytes + bytes.len() > LIMIT {
            let Some(old) = inner.order.pop_front() else { break };
            if let Some(c) = inner.entries.remove(&old) {
                inner.bytes -= c.bytes.len();
            }
        }
        inner.bytes += bytes.len();
        inner.order.push_back(key);
        inner.entries.insert(key, Arc::new(CachedCode { bytes, sites }));
    }
}

impl CachedCode {
    /// Puts the rewritten code at `addr` and records its sites.
    pub fn place(&self, mem: &Memory, addr: u64) -> crate::errno::SysResult<()> {
        for off in &self.sites {
            mem.sites.insert(addr + off);
        }
        mem.user.write(addr, &self.bytes)
    }
}
