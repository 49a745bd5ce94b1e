//! "Did you mean …?" for misspelled names.

/// The candidate closest to `name` by edit distance, if it is close enough
/// to be a plausible typo (at most a third of the name's length, at least 1).
///
/// ```
/// use solder_syntax::suggest::did_you_mean;
///
/// let namespaces = ["encoding", "string", "sys", "array"];
/// assert_eq!(did_you_mean("encodng", namespaces), Some("encoding"));
/// assert_eq!(did_you_mean("sting", namespaces), Some("string"));
/// // Too far from everything to be a typo.
/// assert_eq!(did_you_mean("prometheus", namespaces), None);
/// ```
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates.into_iter().filter(|c| *c != name).map(|c| (distance(name, c), c)).filter(|(d, _)| *d <= limit).min().map(|(_, c)| c)
}

/// Levenshtein distance over characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(cur).min(row[j]) };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["otelcol", "prometheus", "sys", "string"];
        assert_eq!(did_you_mean("otelcl", names), Some("otelcol"));
        assert_eq!(did_you_mean("prometheos", names), Some("prometheus"));
        assert_eq!(did_you_mean("zzz", names), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
