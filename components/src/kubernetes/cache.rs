//! The pod cache: pods by UID, and by IP for the pods an IP identifies.
//!
//! Watch events update it in place. The IP index is where correctness is
//! subtle: an IP freed by one pod is soon given to another, and the API
//! does not order the old pod's DELETED before the new pod's ADDED. So an
//! IP entry names the UID that owns it, deleting a pod removes only the
//! entries that still name it, and when two live pods claim one IP the one
//! created later owns it, whatever order their events came in.
//!
//! With a delete grace period, a deleted pod is kept aside for that long,
//! found by UID and by the IPs no live pod claims: telemetry it sent just
//! before it went is still enriched, and a new pod on its IP always wins.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::pod::PodMeta;
use super::watch_loop::SlimCache;

/// Pods indexed by UID and by IP.
#[derive(Debug, Default)]
pub struct PodCache {
    by_uid: HashMap<String, Arc<PodMeta>>,
    by_ip: HashMap<IpAddr, Arc<PodMeta>>,
    grace: Duration,
    /// Deleted pods within their grace period, with when they went.
    deleted: HashMap<String, (Arc<PodMeta>, Instant)>,
    /// The deleted pod each IP last named (the newest claimant).
    deleted_ips: HashMap<IpAddr, Arc<PodMeta>>,
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

    /// An empty cache that keeps deleted pods findable for `grace`.
    pub fn with_grace(grace: Duration) -> PodCache {
        PodCache { grace, ..PodCache::default() }
    }

    /// A live pod, else a deleted one within its grace period.
    pub fn by_uid(&self, uid: &str) -> Option<Arc<PodMeta>> {
        self.by_uid.get(uid).or_else(|| self.deleted.get(uid).map(|(p, _)| p)).cloned()
    }

    /// The live pod that owns `ip`, else the deleted pod (within its grace
    /// period) that last did.
    pub fn by_ip(&self, ip: &IpAddr) -> Option<Arc<PodMeta>> {
        self.by_ip.get(ip).or_else(|| self.deleted_ips.get(ip)).cloned()
    }

    /// Deleted pods still kept for their grace period.
    pub fn deleted_len(&self) -> usize {
        self.deleted.len()
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
        self.forget_deleted(&pod.uid);
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

    /// Removes a pod (DELETED) now; see [`PodCache::delete_at`].
    pub fn delete(&mut self, uid: &str) {
        self.delete_at(uid, Instant::now());
    }

    /// Removes a pod that was deleted at `now`; its IPs leave the index
    /// only where they still name it. With a grace period it is kept aside
    /// until [`PodCache::sweep`] finds the period over.
    pub fn delete_at(&mut self, uid: &str, now: Instant) {
        if let Some(old) = self.by_uid.remove(uid) {
            for ip in old.indexed_ips() {
                self.release(ip, uid);
            }
            self.keep_deleted(old, now);
        }
    }

    /// Forgets the deleted pods whose grace period is over at `now`.
    pub fn sweep(&mut self, now: Instant) {
        let grace = self.grace;
        let expired: Vec<String> = self.deleted.iter().filter(|(_, (_, at))| now.saturating_duration_since(*at) >= grace).map(|(uid, _)| uid.clone()).collect();
        for uid in expired {
            self.forget_deleted(&uid);
        }
    }

    /// Approximate heap bytes of the pods and both indexes.
    pub fn heap_bytes(&self) -> usize {
        let entry = std::mem::size_of::<(String, Arc<PodMeta>)>() + 8;
        let ip_entry = std::mem::size_of::<(IpAddr, Arc<PodMeta>)>() + 8;
        self.by_uid.iter().map(|(k, p)| k.capacity() + std::mem::size_of::<PodMeta>() + 16 + p.heap_bytes()).sum::<usize>()
            + self.by_uid.capacity() * entry
            + self.by_ip.capacity() * ip_entry
            + self.deleted.values().map(|(p, _)| std::mem::size_of::<PodMeta>() + 16 + p.heap_bytes()).sum::<usize>()
            + (self.deleted.capacity() + self.deleted_ips.capacity()) * entry
    }

    /// Keeps a deleted pod aside for the grace period, if there is one.
    fn keep_deleted(&mut self, pod: Arc<PodMeta>, at: Instant) {
        if self.grace.is_zero() {
            return;
        }
        for ip in pod.indexed_ips() {
            let keep_holder = self.deleted_ips.get(ip).is_some_and(|holder| holder.uid != pod.uid && newer(holder, &pod));
            if !keep_holder {
                self.deleted_ips.insert(*ip, pod.clone());
            }
        }
        self.deleted.insert(pod.uid.clone(), (pod, at));
    }

    /// Drops a deleted pod; its IPs pass to the newest other deleted pod
    /// that claimed them, if any.
    fn forget_deleted(&mut self, uid: &str) {
        let Some((old, _)) = self.deleted.remove(uid) else { return };
        for ip in old.indexed_ips() {
            if self.deleted_ips.get(ip).is_none_or(|holder| holder.uid != uid) {
                continue;
            }
            self.deleted_ips.remove(ip);
            let claimant = self.deleted.values().map(|(p, _)| p).filter(|p| p.indexed_ips().contains(ip)).max_by(|a, b| a.created.cmp(&b.created)).cloned();
            if let Some(p) = claimant {
                self.deleted_ips.insert(*ip, p);
            }
        }
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

impl SlimCache for PodCache {
    type Slim = PodMeta;

    fn fresh(&self) -> PodCache {
        PodCache::with_grace(self.grace)
    }

    fn apply(&mut self, pod: PodMeta) {
        PodCache::apply(self, pod);
    }

    fn delete(&mut self, uid: &str, now: Instant) {
        self.delete_at(uid, now);
    }

    /// Pods this cache held that the relist no longer shows were deleted
    /// unseen (their DELETED was lost to compaction): they get their grace
    /// period from now. Pods already in it keep theirs.
    fn relisted(&self, mut fresh: PodCache, now: Instant) -> PodCache {
        for (uid, pod) in &self.by_uid {
            if !fresh.by_uid.contains_key(uid) {
                fresh.keep_deleted(pod.clone(), now);
            }
        }
        for (uid, (pod, at)) in &self.deleted {
            if !fresh.by_uid.contains_key(uid) {
                fresh.keep_deleted(pod.clone(), *at);
            }
        }
        fresh
    }

    /// As often as the grace period, and at least every 30 s (as the
    /// Collector's processor sweeps), so a deleted pod stays findable for
    /// at least the period and at most twice it or 30 s longer.
    fn sweep_every(&self) -> Option<Duration> {
        (!self.grace.is_zero()).then(|| self.grace.min(Duration::from_secs(30)))
    }

    fn sweep(&mut self, now: Instant) {
        PodCache::sweep(self, now);
    }
}
