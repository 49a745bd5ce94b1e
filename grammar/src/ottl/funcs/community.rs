//! `CommunityID(sourceIP, sourcePort, destinationIP, destinationPort,
//! [protocol], [seed])`: the Community ID (version 1) of a network flow,
//! the hash Zeek, Suricata and Elastic use to tie the records of one flow
//! together: SHA-1 over the seed, both addresses, the protocol number, a
//! zero byte and both ports, the lower endpoint first so both directions
//! hash alike, as `1:` and the digest in base64.

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};

use super::super::function::{FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, want_int, want_str};

pub(super) const DEFS: &[FunctionDef] = &[FunctionDef {
    name: "CommunityID",
    params: &[
        Param::required("sourceIP", Value),
        Param::required("sourcePort", Value),
        Param::required("destinationIP", Value),
        Param::required("destinationPort", Value),
        Param::optional("protocol", Value),
        Param::optional("seed", Value),
    ],
    make: |_| {
        func(|args| {
            let ip = |v: Value, which: &str| -> Result<IpAddr, String> {
                let text = want_str(v).map_err(|e| format!("failed to get {which} IP: {e}"))?;
                let ip: IpAddr = text.parse().map_err(|_| format!("invalid {which} IP: {text}"))?;
                // An IPv4 address written as IPv6 hashes as the IPv4 one.
                Ok(match ip {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
                    v4 => v4,
                })
            };
            let port = |v: Value, which: &str| -> Result<u16, String> {
                let n = want_int(v).map_err(|e| format!("failed to get {which} port: {e}"))?;
                u16::try_from(n).map_err(|_| format!("{which} port must be between 0 and 65535, got {n}"))
            };
            let source = (ip(args.get(0)?, "source")?, port(args.get(1)?, "source")?);
            let destination = (ip(args.get(2)?, "destination")?, port(args.get(3)?, "destination")?);
            let protocol = if args.present(4) { protocol(&want_str(args.get(4)?).map_err(|e| format!("failed to get protocol: {e}"))?)? } else { 6 };
            let seed = if args.present(5) {
                let n = want_int(args.get(5)?).map_err(|e| format!("failed to get seed: {e}"))?;
                u16::try_from(n).map_err(|_| format!("seed must be between 0 and 65535, got {n}"))?
            } else {
                0
            };
            Ok(Value::Str(community_id(source, destination, protocol, seed)))
        })
    },
}];

/// The IANA number of a protocol name, in any case.
fn protocol(name: &str) -> Result<u8, String> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "TCP" => 6,
        "UDP" => 17,
        "ICMP" => 1,
        "ICMP6" | "ICMPV6" => 58,
        "SCTP" => 132,
        "RSVP" => 46,
        other => return Err(format!("unsupported protocol: {other}")),
    })
}

/// An address's order: IPv4 before IPv6, then by value.
fn order(ip: &IpAddr) -> (u8, u128) {
    match ip {
        IpAddr::V4(v4) => (4, u128::from(u32::from(*v4))),
        IpAddr::V6(v6) => (6, u128::from(*v6)),
    }
}

fn octets(ip: &IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

pub(super) fn community_id(a: (IpAddr, u16), b: (IpAddr, u16), protocol: u8, seed: u16) -> String {
    let (first, second) = if (order(&a.0), a.1) <= (order(&b.0), b.1) { (a, b) } else { (b, a) };
    let mut tuple = seed.to_be_bytes().to_vec();
    tuple.extend(octets(&first.0));
    tuple.extend(octets(&second.0));
    tuple.extend([protocol, 0]);
    tuple.extend(first.1.to_be_bytes());
    tuple.extend(second.1.to_be_bytes());
    format!("1:{}", base64::engine::general_purpose::STANDARD.encode(Sha1::digest(&tuple)))
}
