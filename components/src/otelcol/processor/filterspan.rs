//! The `include` and `exclude` blocks of the attributes and span
//! processors: which spans, log records and metrics an action applies to,
//! as the Collector's `filterconfig.MatchProperties` decides it.
//!
//! Within one block every property given must match (services, names,
//! kinds: any listed entry; attributes and resources: all listed; libraries:
//! any). `include` is checked first, then `exclude`. A property that does
//! not exist for a signal (`span_names` for a log record) never matches it.

use regex::Regex;
use serde::Deserialize;

use super::attrvalue::{self, ConfigValue};
use crate::component::ArgumentError;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::common::v1::KeyValue;
use crate::otlp::proto::trace::v1::Span;

/// One `include` or `exclude` block.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchArgs {
    /// `"strict"` (equality) or `"regexp"` (RE2 syntax, unanchored). Required.
    pub match_type: String,
    /// Patterns for the resource's `service.name`; any may match.
    #[serde(default)]
    pub services: Vec<String>,
    /// Patterns for span names; any may match. Spans only.
    #[serde(default)]
    pub span_names: Vec<String>,
    /// Span kinds (`SPAN_KIND_SERVER`, ...); any may match. Spans only.
    #[serde(default)]
    pub span_kinds: Vec<String>,
    /// Patterns for log bodies (as strings); any may match. Logs only.
    #[serde(default)]
    pub log_bodies: Vec<String>,
    /// Patterns for log severity texts; any may match. Logs only.
    #[serde(default)]
    pub log_severity_texts: Vec<String>,
    /// Patterns for metric names; any may match. Metrics only.
    #[serde(default)]
    pub metric_names: Vec<String>,
    /// Item attributes that must all match.
    #[serde(default)]
    pub attribute: Vec<AttributeArgs>,
    /// Resource attributes that must all match.
    #[serde(default)]
    pub resource: Vec<AttributeArgs>,
    /// Instrumentation scopes; any may match.
    #[serde(default)]
    pub library: Vec<LibraryArgs>,
    /// Alloy's regex cache settings. Accepted and not needed: compiled
    /// regexes are matched directly.
    #[serde(default)]
    pub regexp: Option<RegexpArgs>,
}

/// `attribute { key = ... value = ... }`: the key must exist and, when
/// `value` is given, hold it (for `regexp`, `value` is the pattern).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeArgs {
    pub key: String,
    #[serde(default)]
    pub value: Option<ConfigValue>,
}

/// `library { name = ... version = ... }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryArgs {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegexpArgs {
    #[serde(default)]
    pub cache_enabled: bool,
    #[serde(default)]
    pub cache_max_num_entries: u64,
}

/// A string test: equality or a regex.
#[derive(Debug, Clone)]
enum Pattern {
    Strict(String),
    Regexp(Regex),
}

impl Pattern {
    fn matches(&self, s: &str) -> bool {
        match self {
            Pattern::Strict(p) => p == s,
            Pattern::Regexp(r) => r.is_match(s),
        }
    }
}

#[derive(Debug, Clone)]
enum ValueTest {
    Exists,
    Equals(V),
    Pattern(Pattern),
}

/// A compiled `include`/`exclude` block.
#[derive(Debug, Clone)]
pub struct Matcher {
    services: Vec<Pattern>,
    span_names: Vec<Pattern>,
    span_kinds: Vec<String>,
    log_bodies: Vec<Pattern>,
    log_severity_texts: Vec<Pattern>,
    metric_names: Vec<Pattern>,
    attributes: Vec<(String, ValueTest)>,
    resources: Vec<(String, ValueTest)>,
    libraries: Vec<(Pattern, Option<Pattern>)>,
}

/// What one item offers to be matched on. Fields that do not exist for
/// its signal are `None`.
#[derive(Default)]
pub struct Subject<'a> {
    pub resource: &'a [KeyValue],
    pub scope_name: &'a str,
    pub scope_version: &'a str,
    pub attributes: &'a [KeyValue],
    pub span_name: Option<&'a str>,
    pub span_kind: Option<i32>,
    pub log_body: Option<String>,
    pub log_severity_text: Option<&'a str>,
    pub metric_name: Option<&'a str>,
}

impl Matcher {
    /// Compiles a block; `path` (`include`, `exclude`) names it in errors.
    pub fn compile(args: &MatchArgs, path: &str) -> Result<Matcher, ArgumentError> {
        let regexp = match args.match_type.as_str() {
            "strict" => false,
            "regexp" => true,
            other => return Err(ArgumentError::new(format!("{path}.match_type"), format!("match_type {other:?} is not one of \"strict\", \"regexp\""))),
        };
        let pattern = |field: &str, p: &str| -> Result<Pattern, ArgumentError> {
            if !regexp {
                return Ok(Pattern::Strict(p.to_string()));
            }
            Regex::new(p).map(Pattern::Regexp).map_err(|e| ArgumentError::new(format!("{path}.{field}"), format!("invalid regexp {p:?}: {e}")))
        };
        let patterns = |field: &str, list: &[String]| list.iter().map(|p| pattern(field, p)).collect::<Result<Vec<_>, _>>();
        let tests = |field: &str, list: &[AttributeArgs]| {
            list.iter()
                .map(|a| {
                    let test = match (&a.value, regexp) {
                        (None, _) => ValueTest::Exists,
                        (Some(v), false) => ValueTest::Equals(v.0.clone()),
                        (Some(ConfigValue(V::StringValue(p))), true) => ValueTest::Pattern(pattern(field, p)?),
                        (Some(_), true) => {
                            return Err(ArgumentError::new(format!("{path}.{field}"), format!("{:?}: match_type \"regexp\" needs a string value", a.key)))
                        }
                    };
                    Ok((a.key.clone(), test))
                })
                .collect::<Result<Vec<_>, ArgumentError>>()
        };
        for kind in &args.span_kinds {
            if span_kind_name(kind).is_none() {
                return Err(ArgumentError::new(format!("{path}.span_kinds"), format!("{kind:?} is not a span kind such as \"SPAN_KIND_SERVER\"")));
            }
        }
        let libraries = args
            .library
            .iter()
            .map(|l| Ok((pattern("library", &l.name)?, l.version.as_deref().map(|v| pattern("library", v)).transpose()?)))
            .collect::<Result<Vec<_>, ArgumentError>>()?;
        let m = Matcher {
            services: patterns("services", &args.services)?,
            span_names: patterns("span_names", &args.span_names)?,
            span_kinds: args.span_kinds.clone(),
            log_bodies: patterns("log_bodies", &args.log_bodies)?,
            log_severity_texts: patterns("log_severity_texts", &args.log_severity_texts)?,
            metric_names: patterns("metric_names", &args.metric_names)?,
            attributes: tests("attribute", &args.attribute)?,
            resources: tests("resource", &args.resource)?,
            libraries,
        };
        if m.is_empty() {
            return Err(ArgumentError::new(path, format!("{path} must specify at least one of services, span_names, span_kinds, log_bodies, log_severity_texts, metric_names, attribute, resource or library")));
        }
        Ok(m)
    }

    fn is_empty(&self) -> bool {
        self.services.is_empty()
            && self.span_names.is_empty()
            && self.span_kinds.is_empty()
            && self.log_bodies.is_empty()
            && self.log_severity_texts.is_empty()
            && self.metric_names.is_empty()
            && self.attributes.is_empty()
            && self.resources.is_empty()
            && self.libraries.is_empty()
    }

    /// Whether every property this block gives matches the item.
    pub fn matches(&self, s: &Subject) -> bool {
        let any = |ps: &[Pattern], v: Option<&str>| ps.is_empty() || v.is_some_and(|v| ps.iter().any(|p| p.matches(v)));
        let service = attrvalue::get(s.resource, "service.name").map(attrvalue::as_string);
        any(&self.services, Some(service.as_deref().unwrap_or("")))
            && any(&self.span_names, s.span_name)
            && (self.span_kinds.is_empty() || s.span_kind.and_then(span_kind_str).is_some_and(|k| self.span_kinds.iter().any(|w| w == k)))
            && any(&self.log_bodies, s.log_body.as_deref())
            && any(&self.log_severity_texts, s.log_severity_text)
            && any(&self.metric_names, s.metric_name)
            && all_hold(&self.attributes, s.attributes)
            && all_hold(&self.resources, s.resource)
            && (self.libraries.is_empty()
                || self.libraries.iter().any(|(name, version)| name.matches(s.scope_name) && version.as_ref().is_none_or(|v| v.matches(s.scope_version))))
    }
}

fn all_hold(tests: &[(String, ValueTest)], attrs: &[KeyValue]) -> bool {
    tests.iter().all(|(key, test)| match (attrvalue::get(attrs, key), test) {
        (None, _) => false,
        (Some(_), ValueTest::Exists) => true,
        (Some(v), ValueTest::Equals(want)) => v == want,
        (Some(v), ValueTest::Pattern(p)) => p.matches(&attrvalue::as_string(v)),
    })
}

/// The `include` and `exclude` pair: whether an item is processed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    include: Option<Matcher>,
    exclude: Option<Matcher>,
}

impl Filter {
    pub fn compile(include: Option<&MatchArgs>, exclude: Option<&MatchArgs>) -> Result<Filter, ArgumentError> {
        Ok(Filter {
            include: include.map(|m| Matcher::compile(m, "include")).transpose()?,
            exclude: exclude.map(|m| Matcher::compile(m, "exclude")).transpose()?,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.include.is_none() && self.exclude.is_none()
    }

    /// Whether the processor's actions apply to this item.
    pub fn admits(&self, s: &Subject) -> bool {
        self.include.as_ref().is_none_or(|m| m.matches(s)) && !self.exclude.as_ref().is_some_and(|m| m.matches(s))
    }
}

const SPAN_KINDS: [&str; 6] =
    ["SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"];

fn span_kind_name(name: &str) -> Option<usize> {
    SPAN_KINDS.iter().position(|k| *k == name)
}

fn span_kind_str(kind: i32) -> Option<&'static str> {
    usize::try_from(kind).ok().and_then(|k| SPAN_KINDS.get(k)).copied()
}

/// Runs `edit` on every span of `req` that `filter` admits; returns
/// whether any edit changed something.
pub fn edit_spans(filter: &Filter, req: &mut crate::otlp::proto::ExportTraceServiceRequest, mut edit: impl FnMut(&mut Span) -> bool) -> bool {
    let mut changed = false;
    for rs in &mut req.resource_spans {
        let resource = rs.resource.as_ref().map_or(&[][..], |r| &r.attributes[..]);
        for ss in &mut rs.scope_spans {
            let (scope_name, scope_version) = ss.scope.as_ref().map_or(("", ""), |s| (&s.name[..], &s.version[..]));
            for span in &mut ss.spans {
                let admitted = filter.is_empty()
                    || filter.admits(&Subject {
                        resource,
                        scope_name,
                        scope_version,
                        attributes: &span.attributes,
                        span_name: Some(&span.name),
                        span_kind: Some(span.kind),
                        ..Subject::default()
                    });
                if admitted {
                    changed |= edit(span);
                }
            }
        }
    }
    changed
}
