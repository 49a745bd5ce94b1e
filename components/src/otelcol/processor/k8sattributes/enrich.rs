//! Finding each resource's pod and adding what it says, on the wire
//! bytes: only resources are decoded and encoded; spans, points and
//! records are copied as bytes. A payload nothing is added to passes on
//! as the same bytes.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;

use super::extract::{extract, Additions};
use super::lookup::Lookup;
use super::rules::{Rules, Source};
use crate::consumer::ConsumeError;
use crate::kubernetes::PodMeta;
use crate::otelcol::processor::resources::{self, AttributeView};
use crate::otlp::encoded::Request;
use crate::otlp::proto::common::v1::KeyValue;
use crate::otlp::Encoded;

/// What one payload's enrichment found, for the component's metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// Resources a pod was found for.
    pub matched: u64,
    /// Resources that had an identifier (an IP or UID) no cached pod
    /// answers to: the Collector's `ip_lookup_miss`.
    pub missed: u64,
}

/// `data` with each resource enriched from its pod.
pub fn enrich<M: Request>(rules: &Rules, lookup: &dyn Lookup, data: Encoded<M>) -> Result<(Encoded<M>, Outcome), ConsumeError> {
    let peer = data.peer();
    let mut outcome = Outcome::default();
    let unreadable = |e: &dyn std::fmt::Display| ConsumeError::permanent(format!("cannot decode {}: {e}", M::SIGNAL.as_str()));
    let appended = resources::append(data.bytes(), &mut |existing| additions(rules, lookup, existing, peer, &mut outcome)).map_err(|e| unreadable(&e))?;
    let Some(bytes) = appended else { return Ok((data, outcome)) };
    let out = data.replaced(Bytes::from(bytes)).map_err(|e| unreadable(&e))?;
    Ok((out, outcome))
}

/// The attributes one resource gets.
pub fn additions(rules: &Rules, lookup: &dyn Lookup, existing: &[AttributeView<'_>], peer: Option<IpAddr>, outcome: &mut Outcome) -> Vec<KeyValue> {
    let mut out = Additions::new(existing);
    let found = associate(rules, lookup, &out, peer);
    if let Some(ip) = found.connection_ip {
        out.string("k8s.pod.ip", &ip.to_string());
    }
    if rules.passthrough {
        return out.added;
    }
    match found.pod {
        Some(pod) => {
            outcome.matched += 1;
            extract(rules, &pod, lookup, &mut out);
        }
        None if found.identified => outcome.missed += 1,
        None => {}
    }
    out.added
}

/// The result of trying the association rules on one resource.
struct Association {
    pod: Option<Arc<PodMeta>>,
    /// Some rule had every source it needs.
    identified: bool,
    /// The sender's IP, when the rule used was the connection's: the
    /// Collector adds it as `k8s.pod.ip`.
    connection_ip: Option<IpAddr>,
}

/// Tries the rules in order: the first whose sources all have a value
/// decides, as in the Collector. A pod it does not find is a miss, not a
/// reason to try the next rule: a resource whose `k8s.pod.ip` names a pod
/// on another node, relayed by a pod on this one, must not be given the
/// relay's name. In passthrough mode no pod is looked up.
fn associate(rules: &Rules, lookup: &dyn Lookup, res: &Additions, peer: Option<IpAddr>) -> Association {
    let Some(id) = rules.associations.iter().find_map(|rule| identify(rule, res, peer)) else {
        return Association { pod: None, identified: false, connection_ip: None };
    };
    let connection_ip = id.connection.then_some(id.ip).flatten();
    if rules.passthrough {
        return Association { pod: None, identified: true, connection_ip };
    }
    let pod = match (&id.uid, &id.ip) {
        (Some(uid), Some(ip)) => lookup.pod_by_uid(uid).filter(|p| p.ips.contains(ip)),
        (Some(uid), None) => lookup.pod_by_uid(uid),
        (None, Some(ip)) => lookup.pod_by_ip(ip),
        (None, None) => None,
    };
    Association { pod: pod.filter(|p| !rules.excludes(&p.name)), identified: true, connection_ip }
}

/// The identifier a rule builds from a resource and its sender.
struct Identifier {
    ip: Option<IpAddr>,
    uid: Option<String>,
    connection: bool,
}

/// `None` when a source has no value, or two IP sources disagree.
fn identify(rule: &[Source], res: &Additions, peer: Option<IpAddr>) -> Option<Identifier> {
    let mut id = Identifier { ip: None, uid: None, connection: false };
    for source in rule {
        let ip = match source {
            Source::Connection => {
                id.connection = true;
                peer?
            }
            Source::IpAttribute(name) => res.existing_string(name)?.parse().ok()?,
            Source::UidAttribute => {
                id.uid = Some(res.existing_string("k8s.pod.uid").filter(|u| !u.is_empty())?.to_string());
                continue;
            }
        };
        if id.ip.is_some_and(|seen| seen != ip) {
            return None;
        }
        id.ip = Some(ip);
    }
    Some(id)
}
