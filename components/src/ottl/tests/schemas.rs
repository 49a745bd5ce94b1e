//! The schemas list the documented paths, once each, laid out as
//! `locate` reads them.

use std::collections::HashSet;

use solder_syntax::ottl::Schema;

use crate::ottl::schema::{locate, Part, *};

const ALL: [(&Schema, &[Part]); 7] = [
    (&RESOURCE, RESOURCE_PARTS),
    (&SCOPE, SCOPE_PARTS),
    (&SPAN, SPAN_PARTS),
    (&SPANEVENT, SPANEVENT_PARTS),
    (&METRIC, METRIC_PARTS),
    (&DATAPOINT, DATAPOINT_PARTS),
    (&LOG, LOG_PARTS),
];

/// The schema whose own paths are the group's fields, unprefixed.
fn home(part: Part) -> &'static Schema {
    match part {
        Part::Resource => &RESOURCE,
        Part::Scope => &SCOPE,
        Part::Span => &SPAN,
        Part::Event => &SPANEVENT,
        Part::Metric => &METRIC,
        Part::Point => &DATAPOINT,
        Part::Log => &LOG,
    }
}

#[test]
fn every_path_locates_to_the_field_of_the_same_name() {
    for (schema, parts) in ALL {
        let mut seen = HashSet::new();
        for (id, spec) in schema.paths.iter().enumerate() {
            assert!(seen.insert(spec.name), "{}: {} listed twice", schema.name, spec.name);
            let (part, i) = locate(schema, parts, id as u16, &[]).unwrap();
            let field = home(part).paths[i];
            assert!(
                spec.name == field.name || spec.name.ends_with(&format!(".{}", field.name)),
                "{}: {} located to {:?} field {}",
                schema.name,
                spec.name,
                part,
                field.name
            );
            assert_eq!((spec.keyed, spec.settable), (field.keyed, field.settable), "{}", spec.name);
        }
        assert!(locate(schema, parts, schema.paths.len() as u16, &[]).is_err());
    }
}

#[test]
fn schemas_hold_the_documented_paths() {
    let names = |s: &Schema| s.paths.iter().map(|p| p.name).collect::<HashSet<_>>();
    let span = names(&SPAN);
    for p in [
        "attributes",
        "name",
        "kind",
        "kind.string",
        "status.code",
        "trace_id.string",
        "parent_span_id.string",
        "start_time",
        "end_time_unix_nano",
        "trace_state",
        "resource.attributes",
        "resource.dropped_attributes_count",
        "instrumentation_scope.name",
        "instrumentation_scope.version",
        "instrumentation_scope.attributes",
        "scope.name",
    ] {
        assert!(span.contains(p), "span lacks {p}");
    }
    assert!(names(&SPANEVENT).is_superset(&["time", "time_unix_nano", "span.name", "span.attributes", "resource.attributes"].into()));
    assert!(names(&METRIC).is_superset(&["name", "type", "aggregation_temporality", "is_monotonic", "metadata"].into()));
    assert!(names(&DATAPOINT).is_superset(&["value_double", "bucket_counts", "positive.offset", "metric.name", "metric.type"].into()));
    assert!(names(&LOG).is_superset(&["body", "body.string", "severity_number", "observed_time", "trace_id.string", "event_name"].into()));
    assert!(names(&SCOPE).is_superset(&["name", "version", "resource.attributes"].into()));
    assert_eq!(names(&RESOURCE), ["attributes", "dropped_attributes_count", "schema_url"].into());
    let keyed: Vec<_> = SPAN.paths.iter().filter(|p| p.keyed).map(|p| p.name).collect();
    assert_eq!(keyed, ["trace_state", "attributes", "resource.attributes", "instrumentation_scope.attributes", "scope.attributes"]);
}

#[test]
fn enums_carry_the_proto_and_pdata_numbers() {
    assert_eq!(SPAN.enum_value("SPAN_KIND_SERVER"), Some(2));
    assert_eq!(SPANEVENT.enum_value("STATUS_CODE_ERROR"), Some(2));
    assert_eq!(METRIC.enum_value("METRIC_DATA_TYPE_SUMMARY"), Some(5));
    assert_eq!(DATAPOINT.enum_value("FLAG_NO_RECORDED_VALUE"), Some(1));
    assert_eq!(DATAPOINT.enum_value("AGGREGATION_TEMPORALITY_CUMULATIVE"), Some(2));
    assert_eq!(LOG.enum_value("SEVERITY_NUMBER_ERROR"), Some(17));
    assert_eq!(LOG.enum_value("SEVERITY_NUMBER_FATAL4"), Some(24));
    assert_eq!(RESOURCE.enum_value("SPAN_KIND_SERVER"), None);
}

#[test]
fn keys_on_an_unkeyed_path_are_refused() {
    let name = SPAN.path("name").unwrap();
    assert_eq!(locate(&SPAN, SPAN_PARTS, name, &[super::k("x")]), Err("name cannot be indexed".into()));
}

#[test]
fn contexts_are_found_by_name() {
    assert_eq!(crate::ottl::schema_named("spanevent").map(|s| s.name), Some("spanevent"));
    assert_eq!(crate::ottl::schema_named("datapoint").map(|s| s.paths.len()), Some(DATAPOINT.paths.len()));
    assert!(crate::ottl::schema_named("spans").is_none());
    assert!(crate::ottl::TRACE_SCHEMAS.iter().all(|s| s.name != "metric"));
}
