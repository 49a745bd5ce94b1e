//! Field and label selectors as the stand-in honours them: the equality
//! forms (`a=b`, `a==b`, `a!=b`, and for labels `k` and `!k`), joined by
//! commas. Set-based label forms (`in`, `notin`) are refused, so a test that
//! needs them fails loudly instead of passing against a filter it ignores.

use serde_json::Value;

/// One selector term: where to look in the object, and what to expect.
struct Term {
    path: Vec<String>,
    test: Test,
}

enum Test {
    Equals(String),
    Differs(String),
    Exists,
    Absent,
}

/// A parsed selector; the empty one admits everything.
#[derive(Default)]
pub(super) struct Selector {
    terms: Vec<Term>,
}

impl Selector {
    /// A `fieldSelector`; `fields` are the field paths the kind supports
    /// (the API answers others with 400, and so does the stand-in).
    pub(super) fn fields(text: &str, fields: &[&str]) -> Result<Selector, String> {
        let mut terms = Vec::new();
        for term in text.split(',').filter(|t| !t.is_empty()) {
            let (field, test) = split(term).ok_or_else(|| format!("invalid field selector: {term}"))?;
            if !fields.contains(&field) {
                return Err(format!("field label not supported: {field}"));
            }
            terms.push(Term { path: field.split('.').map(str::to_string).collect(), test });
        }
        Ok(Selector { terms })
    }

    /// A `labelSelector`.
    pub(super) fn labels(text: &str) -> Result<Selector, String> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if term.contains(" in ") || term.contains(" notin ") || term.contains('(') {
                return Err(format!("set-based label selectors are not supported by the stand-in: {term}"));
            }
            let (key, test) = match split(term) {
                Some((k, t)) => (k, t),
                None => match term.strip_prefix('!') {
                    Some(k) => (k, Test::Absent),
                    None => (term, Test::Exists),
                },
            };
            let path = vec!["metadata".to_string(), "labels".to_string(), key.trim().to_string()];
            terms.push(Term { path, test });
        }
        Ok(Selector { terms })
    }

    /// Both selectors at once.
    pub(super) fn and(mut self, other: Selector) -> Selector {
        self.terms.extend(other.terms);
        self
    }

    pub(super) fn admits(&self, object: &Value) -> bool {
        self.terms.iter().all(|t| {
            let found = t.path.iter().try_fold(object, |v, key| v.get(key)).and_then(Value::as_str);
            match &t.test {
                Test::Equals(want) => found.unwrap_or_default() == want,
                Test::Differs(want) => found.unwrap_or_default() != want,
                Test::Exists => found.is_some(),
                Test::Absent => found.is_none(),
            }
        })
    }
}

/// Splits `a=b`, `a==b` or `a!=b`.
fn split(term: &str) -> Option<(&str, Test)> {
    if let Some((k, v)) = term.split_once("!=") {
        return Some((k.trim(), Test::Differs(v.trim().to_string())));
    }
    let (k, v) = term.split_once("==").or_else(|| term.split_once('='))?;
    Some((k.trim(), Test::Equals(v.trim().to_string())))
}
