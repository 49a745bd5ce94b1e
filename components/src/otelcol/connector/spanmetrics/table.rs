//! [`SeriesTable`]: series by key, found with one hash of a borrowed key.
//!
//! Series live in a vector and the map holds their index, so finding an
//! existing series is a single lookup that allocates nothing (a map of
//! series would need a second lookup to hand out `&mut` after a miss).

use std::collections::HashMap;

use super::key::SeededState;

pub type Map<V> = HashMap<Box<[u8]>, V, SeededState>;

pub struct SeriesTable<T> {
    index: Map<usize>,
    items: Vec<T>,
}

impl<T> Default for SeriesTable<T> {
    fn default() -> Self {
        SeriesTable { index: Map::default(), items: Vec::new() }
    }
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
    pub fn position(&self, key: &[u8]) -> Option<usize> {
        self.index.get(key).copied()
    }

    pub fn at_mut(&mut self, i: usize) -> Option<&mut T> {
        self.items.get_mut(i)
    }

    /// Adds an item under a key not yet present; returns it.
    pub fn insert(&mut self, key: &[u8], item: T) -> Option<&mut T> {
        self.index.insert(key.into(), self.items.len());
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
        self.index.retain(|_, at| match renumber.get(*at).copied().flatten() {
            Some(n) => {
                *at = n;
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
