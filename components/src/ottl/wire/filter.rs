//! `span`, `log_record` and `metric` filter conditions run on the wire
//! bytes of a request: each span (log record, metric) is read as the wire
//! `span` (`log`, `metric`) context and tested where it lies, and only if
//! some item matched is the request written again, without the items that
//! matched and without the scopes and resources left empty (every empty
//! one, as the decoded filter prunes them). A request where nothing
//! matched goes on as its bytes. Log and metric requests nest as trace requests do, under the
//! same field numbers (`resource_logs` 1, `resource` 1, `scope_logs` 2,
//! `scope` 1, `log_records` 2; the same for metrics), so one walk serves
//! all three.
//!
//! Decoding, testing and encoding again cost about ten times the tests
//! themselves on the spans SDKs send; a filter of health checks runs on
//! every span of a pipeline.

use solder_syntax::ottl::{Conditions, ErrorMode, RunError};

use super::fields::{self, Field};
use super::frame::{rewrite, Item, Pass, Splices, DATA_POINTS};
use super::lean::{Bail, LeanSpan};
use super::log::{self, WireLog, WireLogContext};
use super::metric::{self, WireMetric, WireMetricContext};
use super::plan::{FilterPlan, Level};
use super::span::{self, Above, WireSpan, WireSpanContext};
use super::WireFailure;
use crate::otlp::wire::WireError;

/// Whether `conditions` read only what the wire `span` context serves.
pub fn supports(conditions: &Conditions) -> bool {
    conditions.path_uses().iter().all(|u| span::supports(u.path, false))
}

pub use super::event::{event_reader, filter_events, EventReader};

/// How the wire walk reads log records for one list of conditions,
/// worked out once per load ([`log_reader`]), not per request.
#[derive(Debug, Clone, Copy)]
pub struct LogReader {
    /// No condition reads the attributes: the walk passes them over.
    skip_attributes: bool,
}

/// The reader for `log_record` conditions, if they read only what the wire
/// `log` context serves; `None`: they need the request decoded.
pub fn log_reader(conditions: &Conditions) -> Option<LogReader> {
    let uses = conditions.path_uses();
    uses.iter().all(|u| log::supports(u.path)).then(|| LogReader { skip_attributes: !uses.iter().any(|u| log::is_attributes(u.path)) })
}

/// Whether `metric` conditions read only what the wire `metric` context
/// serves.
pub fn supports_metrics(conditions: &Conditions) -> bool {
    conditions.path_uses().iter().all(|u| metric::supports(u.path))
}

/// What filtering did to a request. `dropped` counts the request's items
/// that went: spans, log records, or the data points of the metrics that
/// matched (what OTLP counts a metric request in).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// No item matched: the request goes on as it came.
    Unchanged,
    /// The request without the items that matched.
    Changed { bytes: Vec<u8>, dropped: usize },
    /// Every item matched (or the request is left with none): nothing
    /// goes on.
    Emptied { dropped: usize },
}

/// Drops every span of a trace request for which any of `conditions` is
/// true: tested by `plan` (their [`FilterPlan`], if they have one) where
/// its notes can say, else by the evaluator. Errors of conditions under
/// `ignore` are pushed to `errors`; under `propagate` the first one is
/// [`WireFailure::Run`].
pub fn filter_spans(
    conditions: &Conditions,
    plan: Option<&FilterPlan>,
    mode: ErrorMode,
    request: &[u8],
    errors: &mut Vec<RunError>,
) -> Result<Outcome, WireFailure> {
    let matched = match plan.and_then(|plan| planned(plan, request)) {
        Some(matched) => matched,
        None => tested(WireSpan::default(), conditions, mode, request, errors)?.0,
    };
    let dropped = matched.iter().filter(|m| **m).count();
    outcome(request, &matched, dropped)
}

/// Drops every log record of a log request for which any of `conditions`
/// is true, as [`filter_spans`] drops spans (without a plan: every
/// condition runs in the evaluator).
pub fn filter_logs(conditions: &Conditions, reader: LogReader, mode: ErrorMode, request: &[u8], errors: &mut Vec<RunError>) -> Result<Outcome, WireFailure> {
    let (matched, dropped) = tested(WireLog::new(reader.skip_attributes), conditions, mode, request, errors)?;
    outcome(request, &matched, dropped)
}

/// Drops every metric of a metric request for which any of `conditions`
/// is true, with its data points, as [`filter_logs`] drops log records;
/// `dropped` counts those points.
pub fn filter_metrics(conditions: &Conditions, mode: ErrorMode, request: &[u8], errors: &mut Vec<RunError>) -> Result<Outcome, WireFailure> {
    let (matched, dropped) = tested(WireMetric::default(), conditions, mode, request, errors)?;
    outcome(request, &matched, dropped)
}

/// Drops every data point of a metric request that `plan` (the
/// `datapoint` conditions' [`FilterPlan`]) matches, and every metric with
/// a data field that is left with no points (as the decoded filter does,
/// one that had none too), with the scopes and resources left empty;
/// `dropped` counts the points. `Err`: a point the plan's notes cannot
/// say exactly, or a request the walk finds odd; decoding takes it.
pub fn filter_points(plan: &FilterPlan, request: &[u8]) -> Result<Outcome, Bail> {
    let mut tests = Planned { plan, span: LeanSpan::default(), matched: Vec::new(), metrics: Vec::new() };
    rewrite(request, &mut tests)?;
    let (matched, metrics) = (tests.matched, tests.metrics);
    let range = |i: usize| {
        let from = if i == 0 { 0 } else { metrics[i - 1].0 };
        from..metrics[i].0
    };
    let gone: Vec<bool> = (0..metrics.len()).map(|i| metrics[i].1 && matched[range(i)].iter().all(|m| *m)).collect();
    let dropped = matched.iter().filter(|m| **m).count();
    if dropped == 0 && !gone.contains(&true) {
        return Ok(Outcome::Unchanged);
    }
    let (bytes, kept) = without(request, &gone, |i, metric, splices| {
        let points = &matched[range(i)];
        if points.contains(&true) {
            without_points(request, metric, points, splices)?;
        }
        Ok(())
    })?;
    Ok(if kept == 0 { Outcome::Emptied { dropped } } else { Outcome::Changed { bytes: bytes.unwrap_or_else(|| request.to_vec()), dropped } })
}

/// [`filter_points`] over what a `metric` list's pass (`first`, over
/// `request`) left: the two lists in the order the decoded filter runs
/// them, metrics first, with the points both dropped counted together.
pub fn filter_points_after(first: Outcome, plan: &FilterPlan, request: &[u8]) -> Result<Outcome, Bail> {
    Ok(match first {
        Outcome::Emptied { .. } => first,
        Outcome::Unchanged => filter_points(plan, request)?,
        Outcome::Changed { bytes, dropped } => match filter_points(plan, &bytes)? {
            Outcome::Unchanged => Outcome::Changed { bytes, dropped },
            Outcome::Changed { bytes, dropped: more } => Outcome::Changed { bytes, dropped: dropped + more },
            Outcome::Emptied { dropped: more } => Outcome::Emptied { dropped: dropped + more },
        },
    })
}

/// Takes the points `matched` says (in order) out of a metric kept, and
/// writes the lengths of its data and of it again.
fn without_points(request: &[u8], metric: &Field<'_>, matched: &[bool], splices: &mut Splices<'_>) -> Result<(), WireError> {
    let offset = |part: &[u8]| part.as_ptr() as usize - request.as_ptr() as usize;
    let open = splices.open(offset(metric.whole));
    let mut next = 0;
    fields::each(metric.payload, |d: Field<'_>| {
        // The first walk found one data field, of the right wire type.
        if Item::of_metric_data(d.tag).is_none() {
            return Ok(());
        }
        let data = splices.open(offset(d.whole));
        fields::each(d.payload, |p: Field<'_>| {
            if p.tag == DATA_POINTS {
                if matched.get(next).copied().unwrap_or(false) {
                    splices.remove(offset(p.whole), offset(p.whole) + p.whole.len());
                }
                next += 1;
            }
            Ok::<(), WireError>(())
        })?;
        splices.close(data, d.tag, offset(d.payload), d.payload.len());
        Ok(())
    })?;
    splices.close(open, SPANS, offset(metric.payload), metric.payload.len());
    Ok(())
}

/// Which items of `request` any of `conditions` matches, in request order,
/// each read into `item`; and how many of the request's items those hold.
fn tested<'a, R: Record<'a>>(
    item: R,
    conditions: &Conditions,
    mode: ErrorMode,
    request: &'a [u8],
    errors: &mut Vec<RunError>,
) -> Result<(Vec<bool>, usize), WireFailure> {
    let mut tests = Tests { conditions, mode, errors, item, matched: Vec::new(), dropped: 0 };
    rewrite(request, &mut tests)?;
    Ok((tests.matched, tests.dropped))
}

/// The request without the items `matched` says, which hold `dropped`
/// of its items.
fn outcome(request: &[u8], matched: &[bool], dropped: usize) -> Result<Outcome, WireFailure> {
    if !matched.contains(&true) {
        return Ok(Outcome::Unchanged);
    }
    let (bytes, kept) = without(request, matched, |_, _, _| Ok(()))?;
    Ok(if kept == 0 { Outcome::Emptied { dropped } } else { Outcome::Changed { bytes: bytes.unwrap_or_else(|| request.to_vec()), dropped } })
}

/// An item the evaluator tests on the wire: a span or a log record.
trait Record<'a> {
    fn read(&mut self, body: &'a [u8]) -> Result<(), WireError>;

    /// Whether any of `conditions` holds for the item last read.
    fn any(&mut self, above: &Above<'a>, conditions: &Conditions, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<bool, RunError>;

    /// How many of the request's items the item last read is: one, but
    /// for a metric, its data points.
    fn items(&self) -> usize {
        1
    }
}

impl<'a> Record<'a> for WireSpan<'a> {
    fn read(&mut self, body: &'a [u8]) -> Result<(), WireError> {
        WireSpan::read(self, body)
    }

    fn any(&mut self, above: &Above<'a>, conditions: &Conditions, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<bool, RunError> {
        conditions.any(&mut WireSpanContext { span: self, above }, mode, errors)
    }
}

impl<'a> Record<'a> for WireLog<'a> {
    fn read(&mut self, body: &'a [u8]) -> Result<(), WireError> {
        WireLog::read(self, body)
    }

    fn any(&mut self, above: &Above<'a>, conditions: &Conditions, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<bool, RunError> {
        conditions.any(&mut WireLogContext { record: self, above }, mode, errors)
    }
}

impl<'a> Record<'a> for WireMetric<'a> {
    fn read(&mut self, body: &'a [u8]) -> Result<(), WireError> {
        WireMetric::read(self, body)
    }

    fn any(&mut self, above: &Above<'a>, conditions: &Conditions, mode: ErrorMode, errors: &mut Vec<RunError>) -> Result<bool, RunError> {
        conditions.any(&mut WireMetricContext { metric: self, above }, mode, errors)
    }

    fn items(&self) -> usize {
        self.points()
    }
}

/// The first walk: each item tested, in request order, nothing written.
struct Tests<'c, R> {
    conditions: &'c Conditions,
    mode: ErrorMode,
    errors: &'c mut Vec<RunError>,
    item: R,
    matched: Vec<bool>,
    /// The items the matched ones hold.
    dropped: usize,
}

impl<'a, R: Record<'a>> Pass<'a> for Tests<'_, R> {
    type Error = WireFailure;

    /// Called for each log record too: see the module's doc.
    fn span(&mut self, body: &'a [u8], above: &Above<'a>) -> Result<bool, WireFailure> {
        self.item.read(body)?;
        // One list of conditions: its index is always 0.
        let matched = self.item.any(above, self.conditions, self.mode, self.errors).map_err(|e| WireFailure::Run(0, e))?;
        self.matched.push(matched);
        if matched {
            self.dropped += self.item.items();
        }
        Ok(false)
    }

    fn write(&mut self, _splices: &mut Splices<'_>) {}
}

/// Which spans `plan` matches, in request order; `None` if a span is one
/// its notes cannot say exactly.
pub(super) fn planned(plan: &FilterPlan, request: &[u8]) -> Option<Vec<bool>> {
    let mut tests = Planned { plan, span: LeanSpan::default(), matched: Vec::new(), metrics: Vec::new() };
    rewrite(request, &mut tests).ok().map(|_| tests.matched)
}

/// The first walk by a plan: the conditions' comparisons answered from
/// the lean walk's notes, for each span or (a plan of `datapoint`
/// conditions) each data point. A span they cannot say exactly is a
/// [`Bail`]: the request is tested by the evaluator instead.
struct Planned<'p, 'a> {
    plan: &'p FilterPlan,
    span: LeanSpan<'a>,
    matched: Vec<bool>,
    /// For points, each metric in order: where its points end in
    /// `matched`, and whether it has a data field.
    metrics: Vec<(usize, bool)>,
}

impl<'a> Pass<'a> for Planned<'_, 'a> {
    type Error = Bail;

    fn span(&mut self, body: &'a [u8], _above: &Above<'a>) -> Result<bool, Bail> {
        self.span.read(&self.plan.steps, body)?;
        self.matched.push(self.span.any(&self.plan.steps, &self.plan.conds)?);
        Ok(false)
    }

    fn write(&mut self, _splices: &mut Splices<'_>) {}

    fn points(&self) -> bool {
        self.plan.steps.level == Level::Point
    }

    fn point(&mut self, body: &'a [u8], item: Item, metric: &'a [u8], _above: &Above<'a>) -> Result<bool, Bail> {
        self.span.read_item(&self.plan.steps, body, item, metric)?;
        self.matched.push(self.span.any(&self.plan.steps, &self.plan.conds)?);
        Ok(false)
    }

    fn metric_done(&mut self, has_data: bool) {
        self.metrics.push((self.matched.len(), has_data));
    }

    fn reads_metric_name(&self) -> bool {
        self.plan.steps.reads_metric_name
    }

    fn reads_above(&self) -> bool {
        !self.plan.steps.outer.is_empty()
    }

    fn begin(&mut self, above: &Above<'a>) -> Result<(), Bail> {
        if self.plan.steps.outer.is_empty() {
            return Ok(());
        }
        self.span.outer_as_received(&self.plan.steps, &above.resource_attributes)
    }
}

/// `ExportTraceServiceRequest.resource_spans`, `ResourceSpans.scope_spans`
/// and `ScopeSpans.spans`, as [`rewrite`] walks them (and the same numbers
/// of their log counterparts).
const RESOURCE_SPANS: u32 = 1;
const SCOPE_SPANS: u32 = 2;
const SPANS: u32 = 2;

/// The second walk: `request` without the spans `matched` says (by their
/// order in the first), and without the scopes and resources that keeps
/// no span of (`None`: nothing to take out, the request as it is); with
/// how many spans are kept. `inside` edits each span kept (a metric, from
/// whose data points go), given its number. The first walk checked the
/// fields' types.
pub(super) fn without(
    request: &[u8],
    matched: &[bool],
    mut inside: impl FnMut(usize, &Field<'_>, &mut Splices<'_>) -> Result<(), WireError>,
) -> Result<(Option<Vec<u8>>, usize), WireError> {
    let mut splices = Splices::for_request(request);
    let offset = |part: &[u8]| part.as_ptr() as usize - request.as_ptr() as usize;
    let end = |f: &Field<'_>| offset(f.whole) + f.whole.len();
    let mut next = 0;
    let mut kept = 0;
    fields::each(request, |rs: Field<'_>| {
        if rs.tag != RESOURCE_SPANS {
            return Ok(());
        }
        // How many spans each scope holds and keeps, in order.
        let mut scopes = Vec::new();
        let mut at = next;
        each_scope(rs.payload, |ss| {
            let n = spans(ss.payload)?;
            scopes.push((n, matched.get(at..at + n).map_or(0, |m| m.iter().filter(|m| !**m).count())));
            at += n;
            Ok(())
        })?;
        if scopes.iter().all(|(_, keeps)| *keeps == 0) {
            splices.remove(offset(rs.whole), end(&rs));
            next = at;
            return Ok(());
        }
        let resource_spans = splices.open(offset(rs.whole));
        let mut scope = 0;
        each_scope(rs.payload, |ss| {
            let (holds, keeps) = scopes[scope];
            scope += 1;
            if keeps == 0 {
                next += holds;
                splices.remove(offset(ss.whole), end(&ss));
                return Ok(());
            }
            kept += keeps;
            let scope_spans = splices.open(offset(ss.whole));
            fields::each(ss.payload, |sp: Field<'_>| {
                if sp.tag == SPANS {
                    if matched.get(next).copied().unwrap_or(false) {
                        splices.remove(offset(sp.whole), end(&sp));
                    } else {
                        inside(next, &sp, &mut splices)?;
                    }
                    next += 1;
                }
                Ok(())
            })?;
            splices.close(scope_spans, SCOPE_SPANS, offset(ss.payload), ss.payload.len());
            Ok(())
        })?;
        splices.close(resource_spans, RESOURCE_SPANS, offset(rs.payload), rs.payload.len());
        Ok(())
    })?;
    Ok((splices.finish(), kept))
}

/// Each `scope_spans` field of a `ResourceSpans`.
fn each_scope<'a>(resource_spans: &'a [u8], mut scope: impl FnMut(Field<'a>) -> Result<(), WireError>) -> Result<(), WireError> {
    fields::each(resource_spans, |f: Field<'a>| if f.tag == SCOPE_SPANS { scope(f) } else { Ok(()) })
}

/// How many spans a `ScopeSpans` holds.
fn spans(scope_spans: &[u8]) -> Result<usize, WireError> {
    let mut n = 0;
    fields::each(scope_spans, |f: Field<'_>| {
        n += usize::from(f.tag == SPANS);
        Ok::<(), WireError>(())
    })?;
    Ok(n)
}
