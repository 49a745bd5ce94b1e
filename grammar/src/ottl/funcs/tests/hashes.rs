//! `Murmur3Hash`, `Murmur3Hash128`, `XXH3`, `XXH128` and `IsValidLuhn`: known vectors
//! (MurmurHash3's reference outputs for seed 0, as Python's `mmh3` gives
//! them) and the Collector's edge rules.

use super::super::super::value::Value;
use super::super::testing::{conv, s};

#[test]
fn murmur3_matches_the_reference_vectors() {
    let cases = [
        ("", "00000000", "00000000000000000000000000000000"),
        ("hello", "47fa8b24", "029bbd41b3a7d8cb191dae486a901e5b"),
        ("abc", "fa93ddb3", "6778ad3f3f3f96b4522dca264174a23b"),
        ("abcd1234efgh", "251457d1", "6fb5107b67b7aa986d565e0398e0133d"),
        ("The quick brown fox jumps over the lazy dog", "23f74f2e", "6c1b07bc7bbc4be347939ac4a93c437a"),
    ];
    for (text, h32, h128) in cases {
        assert_eq!(conv("Murmur3Hash", vec![s(text)]), Ok(s(h32)), "{text:?}");
        assert_eq!(conv("Murmur3Hash128", vec![s(text)]), Ok(s(h128)), "{text:?}");
    }
    assert!(conv("Murmur3Hash", vec![Value::Int(1)]).is_err(), "a string only");
}

#[test]
fn luhn_checks_digits_as_the_collector_does() {
    assert_eq!(conv("IsValidLuhn", vec![s("17893729974")]), Ok(Value::Bool(true)));
    assert_eq!(conv("IsValidLuhn", vec![s("4539 3195 0343 6467")]), Ok(Value::Bool(true)), "spaces are left out");
    assert_eq!(conv("IsValidLuhn", vec![s("17893729975")]), Ok(Value::Bool(false)));
    assert_eq!(conv("IsValidLuhn", vec![Value::Int(79927398713)]), Ok(Value::Bool(true)), "an int reads as its digits");
    assert_eq!(conv("IsValidLuhn", vec![s("")]), Ok(Value::Bool(false)));
    assert_eq!(conv("IsValidLuhn", vec![s("12a4")]), Err("strconv.Atoi: parsing \"a\": invalid syntax".into()));
    assert_eq!(conv("IsValidLuhn", vec![Value::Nil]), Err("invalid input: <nil>".into()));
}

#[test]
fn uuids_are_new_each_call_and_of_their_version() {
    let one = |name: &str| match conv(name, vec![]) {
        Ok(Value::Str(u)) => u,
        other => panic!("{name}: {other:?}"),
    };
    for (name, version) in [("UUID", '4'), ("UUIDv7", '7')] {
        let (a, b) = (one(name), one(name));
        assert_ne!(a, b, "{name}");
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12], "{a}");
        assert!(a.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{a}");
        assert_eq!(parts[2].chars().next(), Some(version), "{a}");
        assert!(matches!(parts[3].chars().next(), Some('8' | '9' | 'a' | 'b')), "the RFC 4122 variant: {a}");
    }
}

/// The Community ID specification's vector and the Collector's own: both
/// directions of a flow hash alike, IPv4 before IPv6, equal addresses
/// ordered by port.
#[test]
fn community_id_matches_the_published_vectors() {
    let id = |src: &str, sport: i64, dst: &str, dport: i64, proto: Option<&str>, seed: Option<i64>| {
        let args = vec![Some(s(src)), Some(Value::Int(sport)), Some(s(dst)), Some(Value::Int(dport)), proto.map(s), seed.map(Value::Int)];
        super::super::testing::run_opt("CommunityID", args).0
    };
    let want = |v: &str| Ok(s(v));
    assert_eq!(id("128.232.110.120", 34855, "66.35.250.204", 80, None, None), want("1:LQU9qZlK+B5F3KDmev6m5PMibrg="));
    assert_eq!(id("66.35.250.204", 80, "128.232.110.120", 34855, Some("tcp"), None), want("1:LQU9qZlK+B5F3KDmev6m5PMibrg="));
    assert_eq!(id("1.2.3.4", 12345, "5.6.7.8", 80, Some("TCP"), Some(0)), want("1:0by3b/tE95hcOzccyt6d4kjgbZc="));
    assert_eq!(id("192.168.1.1", 12345, "192.168.1.2", 80, Some("TCP"), Some(1234)), want("1:v1n8p4IZW9jXIJnFANLbRU2ahdU="));
    assert_eq!(id("2001:db8::1", 8080, "10.1.1.1", 443, Some("TCP"), None), want("1:T1e3va6jTSWaSKkG3k4dnZq5VM8="));
    assert_eq!(id("10.1.1.2", 8081, "10.1.1.2", 8080, Some("TCP"), None), want("1:3byUvmBpOu8KHoTRr4eN5AjTQEU="));
    assert_eq!(id("10.1.1.2", 8080, "10.1.1.2", 8081, Some("TCP"), None), want("1:3byUvmBpOu8KHoTRr4eN5AjTQEU="));
    assert_eq!(id("10.10.10.10", 53000, "192.168.1.1", 53, Some("ICMP"), None), want("1:9TGPWejPFuBlKrHuVcM3iaA8hf8="));
    assert!(id("invalid-ip", 80, "10.0.0.1", 1, None, None).is_err_and(|e| e == "invalid source IP: invalid-ip"));
    assert!(id("10.0.0.1", 80, "10.0.0.2", 1, Some("GRE"), None).is_err_and(|e| e == "unsupported protocol: GRE"));
    assert!(id("10.0.0.1", 70000, "10.0.0.2", 1, None, None).is_err_and(|e| e.contains("between 0 and 65535")));
}

/// XXH3 (64-bit) and XXH128, seed 0. The expected hex was computed apart
/// from this code, with Python's `xxhash` package 4.1.0 (libxxhash 0.8.4):
/// `xxh3_64(t).hexdigest()` and `xxh3_128(t).hexdigest()`. The lengths
/// reach every branch of XXH3: 0, 1-3, 4-8, 9-16, 17-128, 129-240 bytes,
/// and past 240 both within one 1,024-byte block and across blocks.
#[test]
fn xxh3_and_xxh128_match_the_reference_vectors() {
    let a200 = "a".repeat(200);
    let b300 = "b".repeat(300);
    let c2000 = "c".repeat(2000);
    let cases = [
        ("", "2d06800538d394c2", "99aa06d3014798d86001c324468d497f"),
        ("abc", "78af5f94892f3950", "06b05ab6733a618578af5f94892f3950"),
        ("name", "0c354ecdc24a77d5", "c96a918390b153ff53816205aaaa5e4a"),
        ("hello world", "d447b1ea40e6988b", "df8d09e93f874900a99b8775cc15b6c7"),
        ("The quick brown fox jumps over the lazy dog", "ce7d19a5418fb365", "ddd650205ca3e7fa24a1cc2e3a8a7651"),
        (&a200, "ac2bd404bce6c995", "cffe968d25cc79dac8654f5c46034008"),
        (&b300, "c2d12c5729084172", "2ef65158369a6f13c2d12c5729084172"),
        (&c2000, "ba59a268d734563f", "425393c9d4e68881ba59a268d734563f"),
    ];
    for (text, h64, h128) in cases {
        assert_eq!(conv("XXH3", vec![s(text)]), Ok(s(h64)), "{}", text.len());
        assert_eq!(conv("XXH128", vec![s(text)]), Ok(s(h128)), "{}", text.len());
    }
    for name in ["XXH3", "XXH128"] {
        assert_eq!(conv(name, vec![Value::Int(10)]), Err("expected string but got int64".into()), "{name}");
        assert!(conv(name, vec![Value::Nil]).is_err(), "{name}: nil is an error");
    }
}
