//! The OpenTelemetry Collector's consistent-hash ring, written again here
//! from its definition, apart from the component's code: which gateway a
//! trace ID must land on, so that a mixed fleet of Collector and Solder
//! agents sends each trace to one gateway. Also how to pick gateway ports
//! whose ring is close to even (see [`balanced_ports`]).

use std::collections::{BTreeMap, HashSet};

use crate::support::free_port;

/// Points on the circle: 360 degrees with two decimals.
const POSITIONS: u32 = 36_000;
/// Points per endpoint.
const WEIGHT: u8 = 100;

/// CRC-32 (IEEE 802.3), as Go's `crc32.NewIEEE`.
pub fn crc32(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for byte in parts.iter().flat_map(|p| p.iter()) {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

pub struct Ring {
    /// (position, endpoint), sorted by position.
    items: Vec<(u32, String)>,
}

impl Ring {
    /// The ring of `endpoints` (spelled as the resolver gives them): each
    /// endpoint's points in sorted endpoint order, a position taken by an
    /// earlier endpoint skipped.
    pub fn new(endpoints: &[String]) -> Ring {
        let mut sorted = endpoints.to_vec();
        sorted.sort();
        sorted.dedup();
        let mut taken = HashSet::new();
        let mut items = Vec::new();
        for e in &sorted {
            for i in 0..WEIGHT {
                let pos = crc32(&[e.as_bytes(), &[i]]) % POSITIONS;
                if taken.insert(pos) {
                    items.push((pos, e.clone()));
                }
            }
        }
        items.sort();
        Ring { items }
    }

    /// The endpoint owning `key` (for traceID routing, the 16 raw bytes).
    pub fn owner(&self, key: &[u8]) -> &str {
        let pos = crc32(&[key]) % POSITIONS;
        let at = self.items.partition_point(|(p, _)| *p < pos);
        &self.items.get(at).unwrap_or(&self.items[0]).1
    }

    /// The share of the circle each endpoint owns: what fraction of
    /// uniformly random keys it should get.
    pub fn shares(&self) -> BTreeMap<String, f64> {
        let mut out = BTreeMap::new();
        for (i, (pos, endpoint)) in self.items.iter().enumerate() {
            // An item owns the arc from the previous item's position (exclusive) to its own.
            let prev = if i == 0 { self.items[self.items.len() - 1].0 as i64 - i64::from(POSITIONS) } else { self.items[i - 1].0 as i64 };
            *out.entry(endpoint.clone()).or_insert(0.0) += (*pos as i64 - prev) as f64 / f64::from(POSITIONS);
        }
        out
    }
}

/// Hex trace ID to its bytes.
pub fn trace_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).filter_map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect()
}

/// `n` free loopback ports whose `127.0.0.1:PORT` endpoints make a ring in
/// which every endpoint's share is within `tolerance` (relative) of 1/n.
///
/// Why choose: with 100 points per endpoint, the Collector's ring itself
/// gives each of three endpoints a share that varies by several percent
/// with the endpoint strings, and here those strings carry random ports.
/// The tests check separately that each trace goes where this ring says,
/// so the spread they measure on a near-even ring is the routing's and the
/// trace IDs' alone, and does not change from run to run with the ports.
pub fn balanced_ports(n: usize, tolerance: f64) -> Vec<u16> {
    let mut pool: Vec<u16> = (0..n).map(|_| free_port()).collect();
    for _ in 0..200 {
        for combo in combinations(pool.len(), n) {
            let ports: Vec<u16> = combo.iter().map(|i| pool[*i]).collect();
            let ring = Ring::new(&ports.iter().map(|p| format!("127.0.0.1:{p}")).collect::<Vec<_>>());
            let even = 1.0 / n as f64;
            if ring.shares().values().all(|s| (s - even).abs() / even <= tolerance) {
                return ports;
            }
        }
        pool.push(free_port());
    }
    panic!("no {n} free ports in {pool:?} make a ring within {tolerance} of even");
}

fn combinations(len: usize, k: usize) -> Vec<Vec<usize>> {
    fn go(start: usize, len: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..len {
            cur.push(i);
            go(i + 1, len, k, cur, out);
            cur.pop();
        }
    }
    let mut out = Vec::new();
    go(0, len, k, &mut Vec::new(), &mut out);
    out
}

#[test]
fn crc32_matches_the_ieee_check_value() {
    assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
    assert_eq!(crc32(&[b"1234", b"56789"]), 0xCBF4_3926);
}

#[test]
fn ring_shares_add_up_and_owners_follow_the_arcs() {
    let endpoints: Vec<String> = ["a:4317", "b:4317", "c:4317"].map(String::from).to_vec();
    let ring = Ring::new(&endpoints);
    let total: f64 = ring.shares().values().sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    // Keys spread like the shares say.
    let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
    for i in 0u32..36_000 {
        *counts.entry(ring.owner(&i.to_be_bytes())).or_insert(0.0) += 1.0 / 36_000.0;
    }
    for (e, share) in ring.shares() {
        assert!((counts[e.as_str()] - share).abs() < 0.02, "{e}: {} vs {share}", counts[e.as_str()]);
    }
}
