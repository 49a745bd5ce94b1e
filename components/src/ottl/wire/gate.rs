//! A cheap test that a regex cannot match: most span names are not what a
//! `replace_pattern` looks for, and finding a literal every match starts
//! with is several times cheaper than asking the regex (whose own
//! prefilter sits behind a cache lookup and its search set-up).

use memchr::memmem::Finder;
use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// The literal every match of a regex starts with, if it has one.
pub(super) struct Gate(Option<Finder<'static>>);

impl Gate {
    /// Reads the literal off the pattern as `regex` parses it (the same
    /// defaults: Unicode on, no flags): what every literal a match may
    /// start with has in common. A pattern whose matches share no start,
    /// or that may match the empty string, gets no gate.
    pub fn new(pattern: &str) -> Gate {
        let Ok(hir) = regex_syntax::parse(pattern) else { return Gate(None) };
        let prefixes = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
        match prefixes.longest_common_prefix() {
            Some(common) if !common.is_empty() => Gate(Some(Finder::new(common).into_owned())),
            _ => Gate(None),
        }
    }

    /// False only if no match is possible in `haystack`.
    #[inline]
    pub fn may_match(&self, haystack: &str) -> bool {
        self.0.as_ref().is_none_or(|f| f.find(haystack.as_bytes()).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::Gate;
    use crate::ottl::wire::tests::rng;

    /// Over random haystacks from a small alphabet, a gate that says no
    /// never hides a match; and the gates these patterns should have, they
    /// have.
    #[test]
    fn a_closed_gate_means_no_match() {
        let patterns = [
            ("/api/orders/[0-9]+", true),
            ("ab+c", true),
            ("(?i)abc", false),
            ("a|b", false),
            ("x*", false),
            ("^ab", true),
            ("(ab|ac)d", true),
            ("[ab]c", false),
            ("é+", true),
            ("abc$", true),
            ("(?m)^a.b", true),
            ("", false),
        ];
        let alphabet: Vec<char> = "abcdx/0é\n".chars().collect();
        let mut next = rng(7);
        for (pattern, gated) in patterns {
            let (gate, re) = (Gate::new(pattern), regex::Regex::new(pattern).expect("valid"));
            assert_eq!(gate.0.is_some(), gated, "{pattern}: gated?");
            for _ in 0..2_000 {
                let len = next() % 8;
                let haystack: String = (0..len).map(|_| alphabet[next() as usize % alphabet.len()]).collect();
                if re.is_match(&haystack) {
                    assert!(gate.may_match(&haystack), "{pattern} matches {haystack:?} but its gate said no");
                }
            }
        }
    }
}
