//! Walking a request's resource → scope → item tree, the same way for all
//! three signals, handing each level the views of the levels above it.
//!
//! The drivers in `transform.rs` and `filter.rs` are written on these
//! walkers, so their order and visibility are tested without a compiled
//! program.

use solder_syntax::ottl::RunError;

use super::metric_edit::Added;
use super::resource::{ResourceView, ScopeView};
use crate::otlp::proto::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
use crate::otlp::proto::metrics::v1::{Metric, ResourceMetrics, ScopeMetrics};
use crate::otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span};

/// A `Resource*` message: its resource, and its scopes.
pub(crate) trait ResourceLevel {
    type Scope: ScopeLevel;
    fn split(&mut self) -> (ResourceView<'_>, &mut Vec<Self::Scope>);
}

/// A `Scope*` message: its scope, and its items.
pub(crate) trait ScopeLevel {
    type Item;
    fn split(&mut self) -> (ScopeView<'_>, &mut Vec<Self::Item>);
}

macro_rules! levels {
    ($resource:ty, $scopes:ident, $scope:ty, $items:ident, $item:ty) => {
        impl ResourceLevel for $resource {
            type Scope = $scope;
            fn split(&mut self) -> (ResourceView<'_>, &mut Vec<$scope>) {
                (ResourceView { resource: &mut self.resource, schema_url: &mut self.schema_url }, &mut self.$scopes)
            }
        }
        impl ScopeLevel for $scope {
            type Item = $item;
            fn split(&mut self) -> (ScopeView<'_>, &mut Vec<$item>) {
                (ScopeView { scope: &mut self.scope, schema_url: &mut self.schema_url }, &mut self.$items)
            }
        }
    };
}

levels!(ResourceSpans, scope_spans, ScopeSpans, spans, Span);
levels!(ResourceMetrics, scope_metrics, ScopeMetrics, metrics, Metric);
levels!(ResourceLogs, scope_logs, ScopeLogs, log_records, LogRecord);

/// Calls `f` once per resource, in order.
pub(crate) fn each_resource<R: ResourceLevel>(list: &mut [R], mut f: impl FnMut(ResourceView<'_>) -> Result<(), RunError>) -> Result<(), RunError> {
    list.iter_mut().try_for_each(|r| f(r.split().0))
}

/// Calls `f` once per scope, in order, with its resource.
pub(crate) fn each_scope<R: ResourceLevel>(list: &mut [R], mut f: impl FnMut(ResourceView<'_>, ScopeView<'_>) -> Result<(), RunError>) -> Result<(), RunError> {
    for r in list {
        let (mut resource, scopes) = r.split();
        for s in scopes {
            f(resource.reborrow(), s.split().0)?;
        }
    }
    Ok(())
}

/// Calls `keep` once per item, in order, with its resource and scope,
/// removing the items it returns false for; returns how many it removed.
/// Stops at the first error.
pub(crate) fn retain_items<R: ResourceLevel>(
    list: &mut [R],
    mut keep: impl FnMut(ResourceView<'_>, ScopeView<'_>, &mut <R::Scope as ScopeLevel>::Item) -> Result<bool, RunError>,
) -> Result<u64, RunError> {
    let mut removed = 0;
    for r in list {
        let (mut resource, scopes) = r.split();
        for s in scopes {
            let (mut scope, items) = s.split();
            removed += try_retain(items, |item| keep(resource.reborrow(), scope.reborrow(), item))?;
        }
    }
    Ok(removed)
}

/// Calls `f` once per metric, in order, with its resource and scope and
/// what the metric functions may add to the scope; each added metric is
/// appended after the scope's metrics once `f` is done with the metric in
/// hand, and is called in its turn. Stops at the first error.
pub(crate) fn each_metric(
    list: &mut [ResourceMetrics],
    mut f: impl FnMut(ResourceView<'_>, ScopeView<'_>, &mut Metric, &mut Added) -> Result<(), RunError>,
) -> Result<(), RunError> {
    for r in list {
        let (mut resource, scopes) = r.split();
        for s in scopes {
            let (mut scope, metrics) = s.split();
            let mut added = Added::for_scope(metrics.len());
            let mut i = 0;
            while let Some(metric) = metrics.get_mut(i) {
                f(resource.reborrow(), scope.reborrow(), metric, &mut added)?;
                metrics.append(&mut added.metrics);
                i += 1;
            }
        }
    }
    Ok(())
}

/// Removes scopes left without items and resources left without scopes,
/// as the Collector's filter processor does after filtering.
pub(crate) fn prune<R: ResourceLevel>(list: &mut Vec<R>) {
    list.retain_mut(|r| {
        let scopes = r.split().1;
        scopes.retain_mut(|s| !s.split().1.is_empty());
        !scopes.is_empty()
    });
}

/// `Vec::retain_mut` with a fallible predicate: after the first error every
/// remaining item is kept and the error returned. Returns how many were removed.
pub(crate) fn try_retain<T>(items: &mut Vec<T>, mut keep: impl FnMut(&mut T) -> Result<bool, RunError>) -> Result<u64, RunError> {
    let before = items.len();
    let mut failed = None;
    items.retain_mut(|item| {
        if failed.is_some() {
            return true;
        }
        keep(item).unwrap_or_else(|e| {
            failed = Some(e);
            true
        })
    });
    match failed {
        Some(e) => Err(e),
        None => Ok((before - items.len()) as u64),
    }
}
