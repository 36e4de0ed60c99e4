//! A bounded memo keyed by sha256: compiled modules and pre-linked programs
//! kept in memory so a module runs again without being loaded again. It
//! holds at most a number of entries and of bytes; past either, the entries
//! used least recently go first. A long-running host (a server compiling
//! its users' programs) therefore holds a bounded set, however many
//! distinct modules it has run.

use std::collections::HashMap;

/// A bounded least-recently-used map from a sha256 to a value of known size.
#[derive(Debug)]
pub struct Memo<V> {
    entries: HashMap<[u8; 32], Slot<V>>,
    /// Advances at every use: an entry's `used` says how recent it is.
    tick: u64,
    bytes: u64,
    max_entries: usize,
    max_bytes: u64,
}

#[derive(Debug)]
struct Slot<V> {
    value: V,
    bytes: u64,
    used: u64,
}

impl<V: Clone> Memo<V> {
    /// An empty memo holding at most `max_entries` entries and `max_bytes` bytes.
    pub fn new(max_entries: usize, max_bytes: u64) -> Self {
        Memo { entries: HashMap::new(), tick: 0, bytes: 0, max_entries: max_entries.max(1), max_bytes }
    }

    /// The value for `key`, marked as just used.
    pub fn get(&mut self, key: &[u8; 32]) -> Option<V> {
        self.tick += 1;
        let tick = self.tick;
        self.entries.get_mut(key).map(|slot| {
            slot.used = tick;
            slot.value.clone()
        })
    }

    /// Whether `key` is held (without marking it used).
    pub fn contains(&self, key: &[u8; 32]) -> bool {
        self.entries.contains_key(key)
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Lets the least recently used entry go, returning it.
    pub fn pop_oldest(&mut self) -> Option<V> {
        let oldest = self.entries.iter().min_by_key(|(_, slot)| slot.used).map(|(key, _)| *key)?;
        let slot = self.entries.remove(&oldest)?;
        self.bytes = self.bytes.saturating_sub(slot.bytes);
        Some(slot.value)
    }

    /// Holds `value` (of `bytes` bytes) under `key`, then lets the least
    /// recently used other entries go until the memo is within its bounds;
    /// returns what went. The new entry itself always stays.
    pub fn insert(&mut self, key: [u8; 32], value: V, bytes: u64) -> Vec<V> {
        self.tick += 1;
        if let Some(old) = self.entries.insert(key, Slot { value, bytes, used: self.tick }) {
            self.bytes = self.bytes.saturating_sub(old.bytes);
        }
        self.bytes = self.bytes.saturating_add(bytes);
        let mut evicted = Vec::new();
        while self.entries.len() > self.max_entries || (self.bytes > self.max_bytes && self.entries.len() > 1) {
            let oldest = self.entries.iter().filter(|(k, _)| **k != key).min_by_key(|(_, slot)| slot.used);
            let Some(oldest) = oldest.map(|(k, _)| *k) else { break };
            if let Some(slot) = self.entries.remove(&oldest) {
                self.bytes = self.bytes.saturating_sub(slot.bytes);
                evicted.push(slot.value);
            }
        }
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_go_first() {
        let mut memo = Memo::new(2, 100);
        memo.insert([1; 32], "a", 10);
        memo.insert([2; 32], "b", 10);
        assert_eq!(memo.get(&[1; 32]), Some("a"));
        assert_eq!(memo.insert([3; 32], "c", 10), vec!["b"]);
        assert!(memo.contains(&[1; 32]) && memo.contains(&[3; 32]));
        // Past the byte bound, older entries go; the new one stays even alone.
        assert_eq!(memo.insert([4; 32], "d", 95), vec!["a", "c"]);
        assert_eq!(memo.insert([5; 32], "e", 500), vec!["d"]);
        assert_eq!((memo.len(), memo.get(&[5; 32])), (1, Some("e")));
    }
}
