//! Replacement templates, expanded as Go's `regexp.Expand` does, so a
//! rule's `replacement` and `target_label` give what they give in
//! Prometheus.
//!
//! `$name` and `${name}` name a group: by number if `name` is all ASCII
//! digits without a leading zero, else by name. In `$name` the name is
//! as long as possible, so `$1x` is the group named `1x` (usually
//! nothing), as in Go. A group that does not exist or did not take part
//! expands to nothing. `$$` is a `$`; a `$` not followed by a name is
//! kept as it is.

use regex::Captures;

/// Appends `template`, expanded against `caps`, to `out`.
pub fn expand(template: &str, caps: &Captures<'_>, out: &mut String) {
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        match reference(rest) {
            Some((name, after)) => {
                let group = match number(name) {
                    Some(i) => caps.get(i),
                    None => caps.name(name),
                };
                if let Some(m) = group {
                    out.push_str(m.as_str());
                }
                rest = after;
            }
            None => out.push('$'),
        }
    }
    out.push_str(rest);
}

/// The name at the start of `s` (after a `$`) and what follows it.
fn reference(s: &str) -> Option<(&str, &str)> {
    let (braced, body) = match s.strip_prefix('{') {
        Some(b) => (true, b),
        None => (false, s),
    };
    let len: usize = body.chars().take_while(|c| c.is_alphanumeric() || *c == '_').map(char::len_utf8).sum();
    if len == 0 {
        return None;
    }
    let (name, after) = body.split_at(len);
    if braced {
        return after.strip_prefix('}').map(|a| (name, a));
    }
    Some((name, after))
}

/// A group number as Go reads one: ASCII digits, no leading zero, at most
/// nine digits.
fn number(name: &str) -> Option<usize> {
    if !name.bytes().all(|b| b.is_ascii_digit()) || (name.len() > 1 && name.starts_with('0')) || name.len() > 9 {
        return None;
    }
    name.parse().ok()
}
