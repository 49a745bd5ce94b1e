//! Applying rules to a label set, as Prometheus's `relabel.Process` does.

use md5::{Digest, Md5};

use super::expand::expand;
use super::rule::{is_label_name, Action, Rule, Rules};

/// A label set: `(name, value)` pairs sorted by name, names unique.
pub type Labels = Vec<(String, String)>;

impl Rules {
    /// Applies every rule in order to `labels` (sorted by name, and kept
    /// so). Returns false when a rule drops the set; `labels` is then
    /// left part-way.
    pub fn apply(&self, labels: &mut Labels) -> bool {
        let mut joined = String::new();
        self.0.iter().all(|rule| rule.apply(labels, &mut joined))
    }
}

impl Rule {
    /// One rule; `val` is a reused buffer for the joined source values.
    fn apply(&self, labels: &mut Labels, val: &mut String) -> bool {
        val.clear();
        for (i, name) in self.source_labels.iter().enumerate() {
            if i > 0 {
                val.push_str(&self.separator);
            }
            val.push_str(get(labels, name));
        }
        match self.action {
            Action::Drop => return !self.regex.is_match(val),
            Action::Keep => return self.regex.is_match(val),
            Action::DropEqual => return get(labels, &self.target_label) != val,
            Action::KeepEqual => return get(labels, &self.target_label) == val,
            Action::Replace => self.replace(labels, val),
            Action::Lowercase => set(labels, &self.target_label, val.chars().flat_map(char::to_lowercase).collect()),
            Action::Uppercase => set(labels, &self.target_label, val.chars().flat_map(char::to_uppercase).collect()),
            Action::HashMod => set(labels, &self.target_label, hashmod(val, self.modulus).to_string()),
            Action::LabelMap => {
                let before = labels.clone();
                for (name, value) in before {
                    if let Some(caps) = self.regex.captures(&name) {
                        let mut to = String::new();
                        expand(&self.replacement, &caps, &mut to);
                        set(labels, &to, value);
                    }
                }
            }
            Action::LabelDrop => labels.retain(|(n, _)| !self.regex.is_match(n)),
            Action::LabelKeep => labels.retain(|(n, _)| self.regex.is_match(n)),
        }
        true
    }

    /// `replace`: nothing if the regex does not match; a target that
    /// expands to an invalid name is skipped; an empty value removes the
    /// target.
    fn replace(&self, labels: &mut Labels, val: &str) {
        let Some(caps) = self.regex.captures(val) else { return };
        let mut target = String::new();
        expand(&self.target_label, &caps, &mut target);
        if !is_label_name(&target) {
            return;
        }
        let mut value = String::new();
        expand(&self.replacement, &caps, &mut value);
        set(labels, &target, value);
    }
}

/// Prometheus's shard of a value: the MD5 of it, its last 8 bytes read as
/// a big-endian integer, modulo `modulus`. Shards agree with Prometheus's.
pub fn hashmod(val: &str, modulus: u64) -> u64 {
    let hash = Md5::digest(val.as_bytes());
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&hash[8..]);
    u64::from_be_bytes(tail) % modulus.max(1)
}

/// The value of `name`, or `""` if absent, as Prometheus reads a missing
/// label.
pub fn get<'a>(labels: &'a Labels, name: &str) -> &'a str {
    match labels.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
        Ok(i) => &labels[i].1,
        Err(_) => "",
    }
}

/// Sets `name` to `value`; an empty value removes the label, as
/// Prometheus's label builder does.
pub fn set(labels: &mut Labels, name: &str, value: String) {
    match labels.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
        Ok(i) if value.is_empty() => {
            labels.remove(i);
        }
        Ok(i) => labels[i].1 = value,
        Err(_) if value.is_empty() => {}
        Err(i) => labels.insert(i, (name.to_string(), value)),
    }
}
