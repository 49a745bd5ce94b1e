//! The reference path: span metrics from a decoded request. The component
//! reads spans from the wire instead ([`Aggregator::aggregate`]); this path
//! stays as the oracle the differential tests hold the wire path to, and
//! for the bench to compare with.

use crate::otlp::proto::common::v1::{any_value, KeyValue};
use crate::otlp::proto::trace::v1::ResourceSpans;
use crate::otlp::proto::ExportTraceServiceRequest;

use super::aggregate::{upsert, Aggregator};
use super::attributes::{attributes, find, kv, write_key, Lookup};
use super::key;
use super::resources::ResourceState;
use super::series::Shape;

impl Aggregator {
    /// Counts every span of a decoded `request` at time `now` (unix nanos).
    pub fn aggregate_decoded(&mut self, request: &ExportTraceServiceRequest, now: u64) {
        for rs in &request.resource_spans {
            self.aggregate_decoded_resource(rs, now);
        }
    }

    fn aggregate_decoded_resource(&mut self, rs: &ResourceSpans, now: u64) {
        let resource_attrs: &[KeyValue] = rs.resource.as_ref().map_or(&[], |r| &r.attributes);
        let Some(service) = find(resource_attrs, "service.name") else { return };
        let service_name = match &service.value {
            Some(any_value::Value::StringValue(s)) => s.as_str(),
            _ => "",
        };
        let config = &self.config;
        self.key.clear();
        key::push_value(&mut self.key, Some(service));
        for k in &config.resource_keys {
            key::push_value(&mut self.key, find(resource_attrs, k));
        }
        let make = || {
            let mut attributes = vec![kv("service.name", service.clone())];
            for k in &config.resource_keys {
                if let (Some(v), true) = (find(resource_attrs, k), k != "service.name") {
                    attributes.push(kv(k, v.clone()));
                }
            }
            Ok::<_, ()>(ResourceState { attributes, ..Default::default() })
        };
        let counters = &self.counters;
        let Ok(Some(resource)) = self.resources.get_or_insert(self.key.as_slice(), make, counters) else { return };
        let shape = config.shape();
        let bounds: &[f64] = config.bounds.as_deref().unwrap_or(&[]);
        let divider = config.divider();
        for ss in &rs.scope_spans {
            let scope = ss.scope.as_ref().filter(|s| !s.name.is_empty() && config.include_scope.contains(&s.name));
            for span in &ss.spans {
                self.spans_seen += 1;
                resource.unreported += 1;
                let value = span.end_time_unix_nano.saturating_sub(span.start_time_unix_nano) as f64 / divider;
                let dims = Lookup { config, span, service_name, scope, resource: resource_attrs, event: &[] };
                let limit = config.cardinality_limit;
                write_key(&mut self.key, &dims, &config.dimensions);
                let Ok(Some(series)) = upsert(
                    &mut resource.series,
                    (&mut resource.overflow, &counters.overflow_spans),
                    self.key.as_slice(),
                    || Ok::<_, ()>(attributes(&dims, &config.dimensions)),
                    shape,
                    limit,
                    now,
                ) else {
                    continue;
                };
                series.observe(value, bounds, now);
                if let Some(max) = config.exemplars {
                    series.sample(&span.trace_id, &span.span_id, value, now, max);
                }
                if config.events.is_none() {
                    continue;
                }
                for event in &span.events {
                    let dims = Lookup { event: &event.attributes, ..dims };
                    write_key(&mut self.key, &dims, &self.event_dims);
                    let attributes = || Ok::<_, ()>(attributes(&dims, &self.event_dims));
                    let Ok(Some(series)) = upsert(
                        &mut resource.events,
                        (&mut resource.events_overflow, &counters.overflow_events),
                        self.key.as_slice(),
                        attributes,
                        Shape::Count,
                        limit,
                        now,
                    ) else {
                        continue;
                    };
                    series.observe(value, &[], now);
                    if let Some(max) = config.exemplars {
                        series.sample(&span.trace_id, &span.span_id, value, now, max);
                    }
                }
            }
        }
    }
}
