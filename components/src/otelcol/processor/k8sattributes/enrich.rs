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
use crate::otelcol::processor::resources;
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
    let mut changed = false;
    let unreadable = |e: &dyn std::fmt::Display| ConsumeError::permanent(format!("cannot decode {}: {e}", M::SIGNAL.as_str()));
    let bytes = resources::rewrite(data.bytes(), &mut |resource| {
        let added = additions(rules, lookup, &resource.attributes, peer, &mut outcome);
        if !added.is_empty() {
            changed = true;
            resource.attributes.extend(added);
        }
    })
    .map_err(|e| unreadable(&e))?;
    if !changed {
        return Ok((data, outcome));
    }
    let out = data.replaced(Bytes::from(bytes)).map_err(|e| unreadable(&e))?;
    Ok((out, outcome))
}

/// The attributes one resource gets.
pub fn additions(rules: &Rules, lookup: &dyn Lookup, existing: &[KeyValue], peer: Option<IpAddr>, outcome: &mut Outcome) -> Vec<KeyValue> {
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

/// Tries the rules in order and stops at the first that finds a pod that
/// is not excluded. In passthrough mode, the first rule with every source
/// present decides the IP, and no pod is looked up.
fn associate(rules: &Rules, lookup: &dyn Lookup, res: &Additions, peer: Option<IpAddr>) -> Association {
    let mut first_connection_ip = None;
    let mut identified = false;
    for rule in &rules.associations {
        let Some(id) = identify(rule, res, peer) else { continue };
        if !identified {
            identified = true;
            first_connection_ip = id.connection.then_some(id.ip).flatten();
        }
        if rules.passthrough {
            break;
        }
        let pod = match (&id.uid, &id.ip) {
            (Some(uid), Some(ip)) => lookup.pod_by_uid(uid).filter(|p| p.ips.contains(ip)),
            (Some(uid), None) => lookup.pod_by_uid(uid),
            (None, Some(ip)) => lookup.pod_by_ip(ip),
            (None, None) => None,
        };
        if let Some(pod) = pod.filter(|p| !rules.excludes(&p.name)) {
            let connection_ip = id.connection.then_some(id.ip).flatten();
            return Association { pod: Some(pod), identified, connection_ip };
        }
    }
    Association { pod: None, identified, connection_ip: first_connection_ip }
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
