//! [`SeriesTable`]: series by key, found with one hash of a borrowed key.
//!
//! Series live in a vector and the table holds their index and their
//! key's hash, so finding an existing series is a single probe that
//! allocates nothing, hashes the key once, and compares the key bytes
//! only with an entry whose hash matched.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use hashbrown::HashTable;

use super::key::FastHasher;

pub type Map<V> = HashMap<Box<[u8]>, V, BuildHasherDefault<FastHasher>>;

/// Where a key's series is, and the key's hash (so that growing the table
/// rehashes nothing and a probe skips most compares).
struct Entry {
    hash: u64,
    at: usize,
    key: Box<[u8]>,
}

pub struct SeriesTable<T> {
    index: HashTable<Entry>,
    items: Vec<T>,
}

impl<T> Default for SeriesTable<T> {
    fn default() -> Self {
        SeriesTable { index: HashTable::new(), items: Vec::new() }
    }
}

#[inline(always)]
fn hash(key: &[u8]) -> u64 {
    let mut h = FastHasher::default();
    h.write(key);
    h.finish()
}

impl<T> SeriesTable<T> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Where the item of `key` is: an index, so that a caller can return
    /// the item or insert one without holding a borrow across both.
    #[inline(always)]
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        let h = hash(key);
        self.index.find(h, |e| e.hash == h && *e.key == *key).map(|e| e.at)
    }

    pub fn at_mut(&mut self, i: usize) -> Option<&mut T> {
        self.items.get_mut(i)
    }

    /// Adds an item under a key not yet present; returns it.
    pub fn insert(&mut self, key: &[u8], item: T) -> Option<&mut T> {
        let entry = Entry { hash: hash(key), at: self.items.len(), key: key.into() };
        self.index.insert_unique(entry.hash, entry, |e| e.hash);
        self.items.push(item);
        self.items.last_mut()
    }

    /// Items in the order they were first seen.
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }

    /// Keeps the items `keep` says to, renumbering the index.
    pub fn retain(&mut self, mut keep: impl FnMut(&mut T) -> bool) {
        let mut renumber = Vec::with_capacity(self.items.len());
        let mut next = 0;
        for item in &mut self.items {
            if keep(item) {
                renumber.push(Some(next));
                next += 1;
            } else {
                renumber.push(None);
            }
        }
        let mut i = 0;
        self.items.retain(|_| {
            let kept = renumber.get(i).is_some_and(Option::is_some);
            i += 1;
            kept
        });
        self.index.retain(|e| match renumber.get(e.at).copied().flatten() {
            Some(n) => {
                e.at = n;
                true
            }
            None => false,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::SeriesTable;

    #[test]
    fn retain_keeps_lookups_right() {
        let mut t = SeriesTable::default();
        for k in [b"a", b"b", b"c", b"d"] {
            t.insert(k, k[0]);
        }
        t.retain(|v| *v != b'b' && *v != b'c');
        assert_eq!(t.values().copied().collect::<Vec<_>>(), b"ad");
        let get = |t: &mut SeriesTable<u8>, k: &[u8]| t.position(k).and_then(|i| t.at_mut(i).copied());
        assert_eq!(get(&mut t, b"d"), Some(b'd'));
        assert_eq!(get(&mut t, b"b"), None);
        t.insert(b"e", b'e');
        assert_eq!((t.len(), get(&mut t, b"e")), (3, Some(b'e')));
    }
}
