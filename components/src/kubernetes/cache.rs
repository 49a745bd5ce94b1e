//! The pod cache: pods by UID, and by IP for the pods an IP identifies.
//!
//! Watch events update it in place. The IP index is where correctness is
//! subtle: an IP freed by one pod is soon given to another, and the API
//! does not order the old pod's DELETED before the new pod's ADDED. So an
//! IP entry names the UID that owns it, deleting a pod removes only the
//! entries that still name it, and when two live pods claim one IP the one
//! created later owns it, whatever order their events came in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use super::pod::PodMeta;

/// Pods indexed by UID and by IP.
#[derive(Debug, Default)]
pub struct PodCache {
    by_uid: HashMap<String, Arc<PodMeta>>,
    by_ip: HashMap<IpAddr, Arc<PodMeta>>,
}

impl PodCache {
    /// A cache holding exactly `pods`, as after a (re)list.
    pub fn from_pods(pods: impl IntoIterator<Item = PodMeta>) -> PodCache {
        let mut cache = PodCache::default();
        for pod in pods {
            cache.apply(pod);
        }
        cache
    }

    pub fn by_uid(&self, uid: &str) -> Option<Arc<PodMeta>> {
        self.by_uid.get(uid).cloned()
    }

    pub fn by_ip(&self, ip: &IpAddr) -> Option<Arc<PodMeta>> {
        self.by_ip.get(ip).cloned()
    }

    pub fn len(&self) -> usize {
        self.by_uid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_uid.is_empty()
    }

    pub fn ip_entries(&self) -> usize {
        self.by_ip.len()
    }

    /// Adds or replaces a pod (ADDED, MODIFIED, or a listed pod).
    pub fn apply(&mut self, pod: PodMeta) {
        let pod = Arc::new(pod);
        if let Some(old) = self.by_uid.insert(pod.uid.clone(), pod.clone()) {
            for ip in old.indexed_ips() {
                if !pod.indexed_ips().contains(ip) {
                    self.release(ip, &old.uid);
                }
            }
        }
        for ip in pod.indexed_ips() {
            let keep_holder = self.by_ip.get(ip).is_some_and(|holder| holder.uid != pod.uid && newer(holder, &pod));
            if !keep_holder {
                self.by_ip.insert(*ip, pod.clone());
            }
        }
    }

    /// Removes a pod (DELETED); its IPs leave the index only where they
    /// still name it.
    pub fn delete(&mut self, uid: &str) {
        if let Some(old) = self.by_uid.remove(uid) {
            for ip in old.indexed_ips() {
                self.release(ip, uid);
            }
        }
    }

    /// Approximate heap bytes of the pods and both indexes.
    pub fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(String, Arc<PodMeta>)>() + 8;
        let ip_entry = std::mem::size_of::<(IpAddr, Arc<PodMeta>)>() + 8;
        self.by_uid.iter().map(|(k, p)| k.capacity() + std::mem::size_of::<PodMeta>() + 16 + p.heap_bytes()).sum::<usize>()
            + self.by_uid.capacity() * entry
            + self.by_ip.capacity() * ip_entry
    }

    /// Drops `ip` from the index if `uid` holds it, and gives it to another
    /// live pod that still claims it, if any (the older of two claimants).
    fn release(&mut self, ip: &IpAddr, uid: &str) {
        if self.by_ip.get(ip).is_none_or(|holder| holder.uid != uid) {
            return;
        }
        self.by_ip.remove(ip);
        let claimant = self.by_uid.values().filter(|p| p.uid != uid && p.indexed_ips().contains(ip)).max_by(|a, b| a.created.cmp(&b.created)).cloned();
        if let Some(p) = claimant {
            self.by_ip.insert(*ip, p);
        }
    }
}

/// Whether `a` was created after `b`; RFC 3339 times in UTC with the same
/// precision (as the API serves them) order as strings.
fn newer(a: &PodMeta, b: &PodMeta) -> bool {
    a.created > b.created
}
