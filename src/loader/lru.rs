//! A least-recently-used map bounded by the bytes its values hold: the
//! exec image cache and the code cache of shared libraries both keep
//! rewritten code this way.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

pub(crate) struct ByteLru<K, V> {
    limit: usize,
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K, V> {
    entries: HashMap<K, (Arc<V>, usize)>,
    order: VecDeque<K>,
    bytes: usize,
    inserted: u64,
}

impl<K: Copy + Eq + Hash, V> ByteLru<K, V> {
    pub(crate) fn new(limit: usize) -> Self {
        let inner = Inner { entries: HashMap::new(), order: VecDeque::new(), bytes: 0, inserted: 0 };
        ByteLru { limit, inner: Mutex::new(inner) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The largest value worth building for this cache.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// How many values were ever inserted.
    pub(crate) fn inserted(&self) -> u64 {
        self.lock().inserted
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.lock().entries.contains_key(key)
    }

    /// The value for `key`, now the most recently used.
    pub(crate) fn get(&self, key: &K) -> Option<Arc<V>> {
        let mut inner = self.lock();
        let hit = inner.entries.get(key).map(|(v, _)| v.clone())?;
        inner.order.retain(|k| k != key);
        inner.order.push_back(*key);
        Some(hit)
    }

    /// Keeps `value` (`size` bytes), evicting the least recently used until
    /// it fits; nothing happens if the key is there or the value is larger
    /// than the whole cache.
    pub(crate) fn insert(&self, key: K, value: V, size: usize) {
        let mut inner = self.lock();
        if inner.entries.contains_key(&key) || size > self.limit {
            return;
        }
        while inner.bytes + size > self.limit {
            let Some(old) = inner.order.pop_front() else { break };
            if let Some((_, old_size)) = inner.entries.remove(&old) {
                inner.bytes -= old_size;
            }
        }
        inner.bytes += size;
        inner.inserted += 1;
        inner.order.push_back(key);
        inner.entries.insert(key, (Arc::new(value), size));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used_by_bytes() {
        let lru: ByteLru<u32, &str> = ByteLru::new(10);
        lru.insert(1, "a", 4);
        lru.insert(2, "b", 4);
        assert!(lru.get(&1).is_some()); // 2 is now the oldest
        lru.insert(3, "c", 4);
        assert!(lru.contains(&1) && lru.contains(&3) && !lru.contains(&2));
        lru.insert(4, "too big", 11);
        assert!(!lru.contains(&4));
        lru.insert(1, "again", 1);
        assert_eq!(*lru.get(&1).unwrap(), "a");
        assert_eq!(lru.inserted(), 3);
    }
}
