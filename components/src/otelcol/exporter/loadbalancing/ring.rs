//! The Collector's consistent-hash ring, position for position, so that a
//! mixed fleet of Collector and Solder agents sends a key to the same
//! backend.
//!
//! The ring has 36000 positions. Each endpoint takes up to 100: the CRC-32
//! (IEEE) of its bytes followed by one byte `i` (0..100), modulo 36000. A
//! position already taken is skipped, first come first served in the order
//! the endpoints are listed (resolvers list them sorted). A key's position
//! is the CRC-32 of its bytes modulo 36000; it belongs to the endpoint at
//! the first taken position at or after it, wrapping past the end.

/// Positions on the ring: 360 degrees with two decimals, as the Collector.
pub const POSITIONS: u32 = 36000;

/// Positions each endpoint asks for.
pub const WEIGHT: u32 = 100;

/// A ring over a set of endpoints, with every position's owner looked up
/// in advance: a key costs one CRC and one load.
pub struct Ring {
    endpoints: Vec<String>,
    /// Owner (an index into `endpoints`) of every position; empty when
    /// there are no endpoints.
    owner: Vec<u16>,
    /// Positions each endpoint took.
    taken: Vec<u32>,
}

impl Ring {
    /// A ring over `endpoints`, in the order given. At most 65535 endpoints.
    pub fn new(endpoints: Vec<String>) -> Ring {
        let mut items: Vec<(u32, u16)> = Vec::with_capacity(endpoints.len() * WEIGHT as usize);
        let mut used = vec![false; POSITIONS as usize];
        let mut taken = vec![0u32; endpoints.len()];
        for (i, endpoint) in endpoints.iter().enumerate().take(usize::from(u16::MAX)) {
            for point in 0..WEIGHT {
                let mut h = crc32fast::Hasher::new();
                h.update(endpoint.as_bytes());
                h.update(&[point as u8]);
                let pos = h.finalize() % POSITIONS;
                if !std::mem::replace(&mut used[pos as usize], true) {
                    items.push((pos, i as u16));
                    taken[i] += 1;
                }
            }
        }
        items.sort_unstable();
        let mut owner = Vec::new();
        if let Some(&(_, first)) = items.first() {
            owner = vec![first; POSITIONS as usize];
            // A position belongs to the first item at or after it; those
            // after the last item wrap to the first (already filled in).
            let mut start = 0usize;
            for &(pos, idx) in &items {
                owner[start..=pos as usize].fill(idx);
                start = pos as usize + 1;
            }
        }
        Ring { endpoints, owner, taken }
    }

    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    pub fn is_empty(&self) -> bool {
        self.owner.is_empty()
    }

    /// The index of the endpoint that owns `key`, or `None` on an empty ring.
    #[inline]
    pub fn owner(&self, key: &[u8]) -> Option<usize> {
        self.owner_of_hash(crc32fast::hash(key))
    }

    /// The owner of a key whose CRC-32 is `hash`.
    #[inline]
    pub fn owner_of_hash(&self, hash: u32) -> Option<usize> {
        self.owner.get((hash % POSITIONS) as usize).map(|&o| usize::from(o))
    }

    /// The endpoint that owns `key`.
    pub fn endpoint(&self, key: &[u8]) -> Option<&str> {
        self.owner(key).map(|i| self.endpoints[i].as_str())
    }

    /// The share of the ring's positions each endpoint owns (the share of
    /// keys it receives), by index; they sum to 1.
    pub fn shares(&self) -> Vec<f64> {
        let mut counts = vec![0u32; self.endpoints.len()];
        for &o in &self.owner {
            counts[usize::from(o)] += 1;
        }
        counts.iter().map(|&c| f64::from(c) / f64::from(POSITIONS)).collect()
    }

    /// How many of its 100 positions each endpoint took (fewer when
    /// another endpoint hashed there first).
    pub fn positions_taken(&self) -> &[u32] {
        &self.taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(n: usize) -> Ring {
        Ring::new((0..n).map(|i| format!("10.0.{}.{}:4317", i / 250, i % 250)).collect())
    }

    /// The owner by the Collector's own procedure: a sorted list of items
    /// searched for the first position at or after the key's, wrapping.
    fn by_search(endpoints: &[String], key: &[u8]) -> String {
        let mut items: Vec<(u32, &str)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for e in endpoints {
            for i in 0..100u8 {
                let mut bytes = e.as_bytes().to_vec();
                bytes.push(i);
                let pos = crc32fast::hash(&bytes) % 36000;
                if seen.insert(pos) {
                    items.push((pos, e));
                }
            }
        }
        items.sort();
        let pos = crc32fast::hash(key) % 36000;
        let at = items.iter().position(|(p, _)| *p >= pos).unwrap_or(0);
        items[at].1.to_string()
    }

    /// Vectors computed by hand from the CRC-32 definition: the check value
    /// of "123456789" is 0xCBF43926 (3421780262), which is position 16262.
    #[test]
    fn crc_and_positions_are_the_collectors() {
        assert_eq!(crc32fast::hash(b"123456789"), 0xCBF4_3926);
        assert_eq!(0xCBF4_3926u32 % POSITIONS, 16262);
        // The empty string hashes to 0: position 0, which the lowest item owns.
        assert_eq!(crc32fast::hash(b""), 0);
        let r = Ring::new(vec!["a:4317".into()]);
        assert_eq!(r.endpoint(b""), Some("a:4317"));
        assert_eq!(r.endpoint(b"123456789"), Some("a:4317"));
    }

    #[test]
    fn owners_match_a_binary_search_of_the_sorted_items() {
        for n in [1, 2, 3, 7, 30] {
            let r = ring(n);
            for k in 0..2000u32 {
                let key = k.to_be_bytes();
                assert_eq!(r.endpoint(&key).unwrap(), by_search(r.endpoints(), &key), "n={n} key={k}");
            }
        }
    }

    /// Known owners, pinned from an independent CRC-32 (Python's
    /// `zlib.crc32`) and the Collector's procedure: a change to the hashing,
    /// the positions or the first-come rule moves these. `gw-2:4317` loses
    /// one of its 100 points to an endpoint listed before it.
    #[test]
    fn fixed_vectors() {
        let r = Ring::new(vec!["gw-0:4317".into(), "gw-1:4317".into(), "gw-2:4317".into()]);
        assert_eq!(r.positions_taken(), &[100, 100, 99]);
        let mut point = b"gw-0:4317".to_vec();
        point.push(0);
        assert_eq!(crc32fast::hash(&point) % POSITIONS, 16743);
        // Trace IDs of sixteen equal bytes: (byte, CRC-32, position, owner).
        let vectors = [
            (0u8, 3971697493u32, 33493u32, "gw-2:4317"),
            (1, 1386227895, 11895, "gw-0:4317"),
            (2, 1274841808, 9808, "gw-1:4317"),
            (3, 4125616434, 16434, "gw-1:4317"),
            (4, 2034617886, 5886, "gw-2:4317"),
            (5, 3344870908, 2908, "gw-2:4317"),
        ];
        for (byte, crc, pos, owner) in vectors {
            let id = [byte; 16];
            assert_eq!(crc32fast::hash(&id), crc);
            assert_eq!(crc % POSITIONS, pos);
            assert_eq!(r.endpoint(&id), Some(owner), "trace id of {byte:#04x} bytes");
        }
        // Service names, as `routing_key = "service"` hashes them.
        assert_eq!(r.endpoint(b"checkout"), Some("gw-1:4317"));
        assert_eq!(r.endpoint(b"frontend"), Some("gw-0:4317"));
    }

    #[test]
    fn spread_is_within_a_few_percent_of_even() {
        for n in [3usize, 30] {
            let r = ring(n);
            let mut counts = vec![0u32; n];
            let keys = 300_000u32;
            for k in 0..keys {
                // Trace IDs are random: hash a counter into 16 bytes.
                let mut id = [0u8; 16];
                id[..4].copy_from_slice(&k.to_le_bytes());
                id[4..8].copy_from_slice(&k.wrapping_mul(2_654_435_761).to_le_bytes());
                counts[r.owner(&id).unwrap()] += 1;
            }
            let even = f64::from(keys) / n as f64;
            for (i, c) in counts.iter().enumerate() {
                let off = (f64::from(*c) - even).abs() / even;
                assert!(off < if n == 3 { 0.05 } else { 0.35 }, "n={n} backend {i}: {c} keys, {:.1}% off even", off * 100.0);
            }
            let shares = r.shares();
            assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn adding_or_removing_one_backend_moves_about_one_in_n_keys() {
        for n in [3usize, 30] {
            let before = ring(n);
            let after = ring(n + 1);
            let fewer = Ring::new(before.endpoints()[1..].to_vec());
            let keys = 100_000u32;
            let (mut moved_add, mut moved_remove) = (0u32, 0u32);
            for k in 0..keys {
                let key = k.wrapping_mul(2_654_435_761).to_le_bytes();
                let owner = before.endpoint(&key).unwrap();
                let added = after.endpoint(&key).unwrap();
                if owner != added {
                    moved_add += 1;
                    // A key only moves to the new backend.
                    assert_eq!(added, after.endpoints()[n]);
                }
                let removed = fewer.endpoint(&key).unwrap();
                if owner != removed {
                    moved_remove += 1;
                    // Only the removed backend's keys move.
                    assert_eq!(owner, before.endpoints()[0]);
                }
            }
            for moved in [moved_add, moved_remove] {
                let share = f64::from(moved) / f64::from(keys);
                let expected = 1.0 / (n as f64 + 0.5);
                assert!((share - expected).abs() < expected * 0.5, "n={n}: {:.1}% moved", share * 100.0);
            }
        }
    }
}
