//! `ParseSeverity(target, severityMapping)`: a log level's name from a
//! level word or a number, by a literal mapping of each level to what
//! maps to it: `{"equals": [...]}` for words, `{"range": {"min": a,
//! "max": b}}` (both ends included) or `{"range": "4xx"}` for numbers.
//!
//! The mapping is checked at load (the Collector checks it when a
//! statement first runs), and its levels are tried in the order written:
//! the Collector's map has no order, so a value two levels claim maps to
//! either there.

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, string_like, Made};

pub(super) const DEFS: &[FunctionDef] =
    &[FunctionDef { name: "ParseSeverity", params: &[Param::required("target", Value), Param::required("severityMapping", MapLit)], make: parse_severity }];

/// What maps to one level.
#[derive(Default)]
struct Criteria {
    equals: Vec<String>,
    range: Option<(i64, i64)>,
}

fn parse_severity(c: &CompileArgs<'_>) -> Made {
    let Some(Some(Value::Map(mapping))) = c.literals.get(1) else { return Err((1, "severity mapping must be a literal PMap".into())) };
    let mut levels: Vec<(String, Vec<Criteria>)> = Vec::with_capacity(mapping.len());
    for (level, list) in mapping {
        let Value::List(items) = list else { return Err((1, "severity mapping criteria must be []any".into())) };
        let mut criteria = Vec::with_capacity(items.len());
        for item in items {
            let Value::Map(fields) = item else { return Err((1, "severity mapping criteria items must be map[string]any".into())) };
            criteria.push(criteria_of(fields).map_err(|e| (1, format!("invalid severity mapping criteria: {e}")))?);
        }
        levels.push((level.clone(), criteria));
    }
    func(move |args| {
        let value = args.get(0)?;
        // As Go's `%v` prints it.
        let shown = string_like(&value)?.unwrap_or_else(|| "<nil>".into());
        for (level, criteria) in &levels {
            for c in criteria {
                let hit = match &value {
                    Value::Str(s) => c.equals.iter().any(|e| e == s),
                    Value::Int(n) => c.range.is_some_and(|(lo, hi)| (lo..=hi).contains(n)),
                    other => {
                        let kind = if matches!(other, Value::Nil) { "<nil>" } else { other.type_name() };
                        return Err(format!("could not map log level: could not evaluate log level of value '{shown}': unsupported value type: {kind}"));
                    }
                };
                if hit {
                    return Ok(Value::Str(level.clone()));
                }
            }
        }
        Err(format!("could not map log level: no matching log level found for value '{shown}'"))
    })
}

fn criteria_of(fields: &[(String, Value)]) -> Result<Criteria, String> {
    let mut c = Criteria::default();
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    if let Some(equals) = field("equals") {
        let Value::List(items) = equals else { return Err("equals must be a list".into()) };
        for item in items {
            let Value::Str(s) = item else { return Err("equals values must be strings".into()) };
            c.equals.push(s.clone());
        }
    }
    c.range = match field("range") {
        None => None,
        Some(Value::Map(bounds)) => {
            let end = |name: &str| match bounds.iter().find(|(k, _)| k == name).map(|(_, v)| v) {
                None => Err(format!("range must have a {name} value")),
                Some(Value::Int(n)) => Ok(*n),
                Some(_) => Err(format!("{name} must be an int64")),
            };
            Some((end("min")?, end("max")?))
        }
        Some(Value::Str(placeholder)) => Some(match placeholder.as_str() {
            "2xx" => (200, 299),
            "3xx" => (300, 399),
            "4xx" => (400, 499),
            "5xx" => (500, 599),
            other => return Err(format!("unknown range placeholder: {other}")),
        }),
        Some(_) => return Err("range must be a map or a known placeholder string".into()),
    };
    Ok(c)
}
