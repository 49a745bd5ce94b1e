//! `otelcol.processor.span`: renames spans from their attributes, pulls
//! attributes out of span names, and sets span status, as the Collector's
//! span processor does, for the spans its `include` and `exclude` admit.

use regex::Regex;
use serde::Deserialize;

use super::attrvalue;
use super::filterspan::{edit_spans, Filter, MatchArgs};
use super::rewrite::{Rewrite, RewriteProcessor};
use crate::component::{self, ArgumentError, Registration, Signals, Stability, Telemetry};
use crate::otelcol::output::Output;
use crate::otlp::proto::common::v1::any_value::Value as V;
use crate::otlp::proto::trace::v1::{status::StatusCode, Span as ProtoSpan, Status};
use crate::otlp::proto::ExportTraceServiceRequest;
use crate::otlp::Signal;

pub const REGISTRATION: Registration = Registration::of::<RewriteProcessor<Rules>>(
    "otelcol.processor.span",
    Stability::GenerallyAvailable,
    Signals { takes: &[Telemetry::Traces], gives: &[Telemetry::Traces] },
);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arguments {
    /// How to rename spans.
    #[serde(default)]
    pub name: Option<NameArgs>,
    /// The status to set.
    #[serde(default)]
    pub status: Option<StatusArgs>,
    /// Only spans this matches are changed.
    #[serde(default)]
    pub include: Option<MatchArgs>,
    /// Spans this matches are not changed.
    #[serde(default)]
    pub exclude: Option<MatchArgs>,
    /// Where every span goes, changed or not.
    pub output: Output,
}

/// `name { ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameArgs {
    /// Attributes whose values, in this order, become the new name. Every
    /// one must be present, or the span keeps its name.
    #[serde(default)]
    pub from_attributes: Vec<String>,
    /// Put between the values of `from_attributes`. Default `""`.
    #[serde(default)]
    pub separator: String,
    /// Attributes pulled out of the name.
    #[serde(default)]
    pub to_attributes: Option<ToAttributesArgs>,
}

/// `to_attributes { ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToAttributesArgs {
    /// Regexes with named groups matched against the name, in order; each
    /// group becomes an attribute and is replaced in the name by `{group}`.
    pub rules: Vec<String>,
    /// Stop at the first rule that matches. Default false.
    #[serde(default)]
    pub break_after_match: bool,
    /// Keep the name as it was while still adding the attributes. Default false.
    #[serde(default)]
    pub keep_original_name: bool,
}

/// `status { ... }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusArgs {
    /// `"Unset"`, `"Ok"` or `"Error"`. Required.
    pub code: String,
    /// The status message; only with `code = "Error"`.
    #[serde(default)]
    pub description: String,
}

impl component::Arguments for Arguments {
    fn validate(&self) -> Result<(), ArgumentError> {
        <Rules as Rewrite>::compile(self)?;
        self.output.check().map_err(|m| ArgumentError::new("output", m))
    }
}

/// A compiled `to_attributes` rule: the regex and its group names.
struct ToAttribute {
    regex: Regex,
    names: Vec<String>,
}

/// The compiled arguments.
pub struct Rules {
    from_attributes: Vec<String>,
    separator: String,
    to_attributes: Vec<ToAttribute>,
    break_after_match: bool,
    keep_original_name: bool,
    status: Option<Status>,
    filter: Filter,
}

impl Rewrite for Rules {
    type Arguments = Arguments;
    const SIGNALS: &'static [Signal] = &[Signal::Traces];

    fn output(args: &Arguments) -> &Output {
        &args.output
    }

    fn traces(&self, req: &mut ExportTraceServiceRequest) -> bool {
        edit_spans(&self.filter, req, |span| self.edit(span))
    }

    fn compile(args: &Arguments) -> Result<Rules, ArgumentError> {
        let name = args.name.clone().unwrap_or(NameArgs { from_attributes: Vec::new(), separator: String::new(), to_attributes: None });
        let to = name.to_attributes.as_ref();
        let to_attributes = to
            .map_or(&[][..], |t| &t.rules[..])
            .iter()
            .map(|rule| {
                let err = |m: String| ArgumentError::new("name.to_attributes.rules", m);
                let regex = Regex::new(rule).map_err(|e| err(format!("invalid regexp {rule:?}: {e}")))?;
                let names: Option<Vec<String>> = regex.capture_names().skip(1).map(|n| n.map(str::to_string)).collect();
                match names {
                    Some(names) if !names.is_empty() => Ok(ToAttribute { regex, names }),
                    _ => Err(err(format!("rule {rule:?} must contain named subexpressions only, e.g. (?P<name>...)"))),
                }
            })
            .collect::<Result<_, _>>()?;
        let status = args
            .status
            .as_ref()
            .map(|s| {
                let code = match s.code.as_str() {
                    "Unset" => StatusCode::Unset,
                    "Ok" => StatusCode::Ok,
                    "Error" => StatusCode::Error,
                    other => return Err(ArgumentError::new("status.code", format!("status code {other:?} is not one of \"Unset\", \"Ok\", \"Error\""))),
                };
                if code != StatusCode::Error && !s.description.is_empty() {
                    return Err(ArgumentError::new("status.description", "status description should only be set when code is \"Error\""));
                }
                Ok(Status { code: code as i32, message: s.description.clone() })
            })
            .transpose()?;
        Ok(Rules {
            from_attributes: name.from_attributes,
            separator: name.separator,
            to_attributes,
            break_after_match: to.is_some_and(|t| t.break_after_match),
            keep_original_name: to.is_some_and(|t| t.keep_original_name),
            status,
            filter: Filter::compile(args.include.as_ref(), args.exclude.as_ref())?,
        })
    }
}

impl Rules {
    /// The name made of `from_attributes`, if every one is present.
    fn name_from_attributes(&self, span: &ProtoSpan) -> Option<String> {
        if self.from_attributes.is_empty() {
            return None;
        }
        let values = self.from_attributes.iter().map(|k| attrvalue::get(&span.attributes, k).map(attrvalue::as_string)).collect::<Option<Vec<_>>>()?;
        Some(values.join(&self.separator))
    }

    /// Runs the `to_attributes` rules over the span's name.
    fn to_attributes(&self, span: &mut ProtoSpan) -> bool {
        let mut changed = false;
        for rule in &self.to_attributes {
            let old = span.name.clone();
            let Some(caps) = rule.regex.captures(&old) else { continue };
            let mut renamed = String::with_capacity(old.len());
            let mut at = 0;
            for (i, name) in rule.names.iter().enumerate() {
                let Some(m) = caps.get(i + 1) else { continue };
                attrvalue::put(&mut span.attributes, name, V::StringValue(m.as_str().to_string()));
                renamed.push_str(&old[at..m.start()]);
                renamed.push('{');
                renamed.push_str(name);
                renamed.push('}');
                at = m.end();
            }
            renamed.push_str(&old[at..]);
            if !self.keep_original_name {
                span.name = renamed;
            }
            changed = true;
            if self.break_after_match {
                break;
            }
        }
        changed
    }

    fn edit(&self, span: &mut ProtoSpan) -> bool {
        let mut changed = false;
        if let Some(name) = self.name_from_attributes(span) {
            changed |= span.name != name;
            span.name = name;
        }
        changed |= self.to_attributes(span);
        if let Some(status) = &self.status {
            changed |= span.status.as_ref() != Some(status);
            span.status = Some(status.clone());
        }
        changed
    }
}

#[cfg(test)]
#[path = "span_tests.rs"]
mod tests;
