//! A cheap test that a regex cannot match: most span names are not what a
//! `replace_pattern` looks for, and finding the literal every match starts
//! with is several times cheaper than asking the regex (whose own
//! prefilter sits behind a cache lookup and its search set-up).

use memchr::memmem::Finder;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Haystacks up to this long are searched by hand.
const SHORT: usize = 64;

/// What every match of a regex starts with, if anything: a literal, and
/// the bytes that may follow it (`/users/[0-9]+` starts with `/users/`
/// and a digit).
pub(super) struct Gate(Option<Start>);

struct Start {
    literal: Finder<'static>,
    /// A bit per byte that may come next; `None`: any, or the end.
    next: Option<[u64; 4]>,
}

impl Gate {
    /// Reads the start off the pattern as `regex` parses it (the same
    /// defaults: Unicode on, no flags): what the literals a match may
    /// start with have in common, and the set of their next bytes. A
    /// pattern whose matches share no start, or that may match the empty
    /// string, gets no gate.
    pub fn new(pattern: &str) -> Gate {
        let Ok(hir) = regex_syntax::parse(pattern) else { return Gate(None) };
        let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
        let (Some(common), Some(literals)) = (prefixes.longest_common_prefix(), prefixes.literals()) else { return Gate(None) };
        if common.is_empty() {
            return Gate(None);
        }
        let mut next = Some([0u64; 4]);
        for literal in literals {
            match (literal.as_bytes().get(common.len()), next.as_mut()) {
                (Some(&b), Some(set)) => set[usize::from(b >> 6)] |= 1 << (b & 63),
                _ => next = None,
            }
        }
        Gate(Some(Start { literal: Finder::new(common).into_owned(), next }))
    }

    /// False only if no match is possible in `haystack`.
    #[inline]
    pub fn may_match(&self, haystack: &[u8]) -> bool {
        let Some(start) = &self.0 else { return true };
        let needle = start.literal.needle();
        // A span name is a few dozen bytes: for those, trying each place
        // is cheaper than setting up the vector search.
        // Each place is tried on the literal's first and last bytes and
        // the byte after it before the whole literal is compared: routes
        // repeat the `/` a literal starts with, and a compare is a call.
        if haystack.len() <= SHORT {
            let n = needle.len();
            let (first, last) = (needle[0], needle[n - 1]);
            return haystack.windows(n).enumerate().any(|(i, w)| w[0] == first && w[n - 1] == last && start.may_follow(haystack.get(i + n)) && w == needle);
        }
        // Every place the literal starts, overlapping ones too: in
        // `aaab`, `aa[bc]`'s literal fails its next byte at 0 and holds
        // at 1 (`find_iter` would resume past the first one).
        let mut from = 0;
        while let Some(i) = haystack.get(from..).and_then(|rest| start.literal.find(rest)) {
            if start.may_follow(haystack.get(from + i + needle.len())) {
                return true;
            }
            from += i + 1;
        }
        false
    }
}

impl Start {
    #[inline]
    fn may_follow(&self, next: Option<&u8>) -> bool {
        match (&self.next, next) {
            (None, _) => true,
            (Some(set), Some(&b)) => set[usize::from(b >> 6)] & (1 << (b & 63)) != 0,
            (Some(_), None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Gate;
    use crate::ottl::wire::tests::rng;

    /// Over random haystacks from a small alphabet, a gate that says no
    /// never hides a match; and the gates these patterns should have, they
    /// have (with the bytes that may follow, where given).
    #[test]
    fn a_closed_gate_means_no_match() {
        let patterns = [
            ("/api/orders/[0-9]+", true, Some("0123456789")),
            ("ab+c", true, None),
            ("(?i)abc", false, None),
            ("a|b", false, None),
            ("x*", false, None),
            ("^ab", true, None),
            ("(ab|ac)d", true, Some("bc")),
            ("aa[bc]", true, Some("bc")),
            ("/0/[a0]", true, Some("a0")),
            ("a[b0]*", true, None),
            ("[ab]c", false, None),
            ("é+", true, None),
            ("abc$", true, None),
            ("(?m)^a.b", true, None),
            ("", false, None),
        ];
        let alphabet: Vec<char> = "abcdx/0é\n".chars().collect();
        let mut next = rng(7);
        for (pattern, gated, follows) in patterns {
            let (gate, re) = (Gate::new(pattern), regex::Regex::new(pattern).expect("valid"));
            assert_eq!(gate.0.is_some(), gated, "{pattern}: gated?");
            let set = gate.0.as_ref().and_then(|s| s.next);
            let expected = follows.map(|f| {
                f.bytes().fold([0u64; 4], |mut set, b| {
                    set[usize::from(b >> 6)] |= 1 << (b & 63);
                    set
                })
            });
            assert_eq!(set, expected, "{pattern}: the bytes that may follow");
            for round in 0..4_000 {
                // Short haystacks, and some past the hand search's bound.
                let len = if round % 4 == 0 { 60 + next() % 16 } else { next() % 8 };
                let haystack: String = (0..len).map(|_| alphabet[next() as usize % alphabet.len()]).collect();
                if re.is_match(&haystack) {
                    assert!(gate.may_match(haystack.as_bytes()), "{pattern} matches {haystack:?} but its gate said no");
                }
            }
        }
    }

    /// The gate closes where it should (a literal without the byte that
    /// must follow it) and opens where it must, in short and long
    /// haystacks.
    #[test]
    fn the_gate_closes_on_the_literal_without_its_next_byte() {
        let gate = Gate::new("/api/orders/[0-9]+");
        for name in ["GET /api/orders/{id}", "GET /api/orders/", "GET /api/cart"] {
            assert!(!gate.may_match(name.as_bytes()), "{name}");
            let long = format!("{}{name}", "x".repeat(80));
            assert!(!gate.may_match(long.as_bytes()), "{long}");
        }
        // The last: the literal starts again inside itself, after a first
        // place whose next byte is wrong.
        for name in ["GET /api/orders/{id} /api/orders/7", "/api/orders/0", "/api/orders/api/orders/7"] {
            assert!(gate.may_match(name.as_bytes()), "{name}");
            assert!(gate.may_match(format!("{}{name}", "x".repeat(80)).as_bytes()), "long {name}");
        }
    }
}
