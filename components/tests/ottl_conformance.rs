//! The OTTL conformance table (tests/ottl_conformance/cases.txt): each row
//! is a context, an item, statements or conditions, and the item expected
//! after them (or the error expected), written from the Collector's OTTL
//! documentation. Every row runs through the real processors,
//! `otelcol.processor.transform` for statements and
//! `otelcol.processor.filter` for conditions: compile, run on an OTLP
//! request, read back. The test prints how many rows pass and lists every
//! one that does not.

#[path = "ottl_conformance/record.rs"]
mod record;

use serde_json::Value;
use solder_components::consumer::ConsumeError;
use solder_components::otelcol::output::Output;
use solder_components::otelcol::processor::rewrite::{process, Edit, Rewrite};
use solder_components::otelcol::processor::{filter, transform};
use solder_components::otlp::encoded::Request;
use solder_components::otlp::Encoded;

/// One row of the table.
#[derive(Debug, Default)]
struct Case {
    line: usize,
    name: String,
    context: String,
    mode: Option<String>,
    given: Value,
    statements: Vec<String>,
    conditions: Vec<String>,
    /// The fields expected afterwards, `"dropped"` or `"kept"`.
    expect: Option<Value>,
    /// A piece of the load or run error expected instead.
    error: Option<String>,
    /// Why the row is known not to pass yet.
    gap: Option<String>,
}

fn parse(text: &str) -> Result<Vec<Case>, String> {
    let mut out = Vec::new();
    let mut case: Option<Case> = None;
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end())) {
        if line.trim().is_empty() {
            out.extend(case.take());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (key, value) = line.split_once(':').ok_or(format!("line {n}: expected `key: value`"))?;
        let value = value.trim();
        let c = case.get_or_insert_with(|| Case { line: n, ..Case::default() });
        let json = |v: &str| serde_json::from_str::<Value>(v).map_err(|e| format!("line {n}: {e}"));
        match key.trim() {
            "case" => c.name = value.to_string(),
            "context" => c.context = value.to_string(),
            "mode" => c.mode = Some(value.to_string()),
            "given" => c.given = json(value)?,
            "statement" => c.statements.push(value.to_string()),
            "condition" => c.conditions.push(value.to_string()),
            "expect" if value == "dropped" || value == "kept" => c.expect = Some(Value::String(value.to_string())),
            "expect" => c.expect = Some(json(value)?),
            "error" => c.error = Some(value.to_string()),
            "gap" => c.gap = Some(value.to_string()),
            other => return Err(format!("line {n}: unknown key {other:?}")),
        }
    }
    out.extend(case);
    Ok(out)
}

/// Which signal a row runs on: its context's, or for `resource` and
/// `scope` the one its item looks like.
fn signal(c: &Case) -> &'static str {
    match c.context.as_str() {
        "span" | "spanevent" => "trace",
        "metric" | "datapoint" => "metric",
        "log" => "log",
        _ if c.given.get("points").is_some() => "metric",
        _ if c.given.get("body").is_some() || c.given.get("severity_text").is_some() => "log",
        _ => "trace",
    }
}

/// The item after the row ran (`None`: dropped), or the error's message.
fn run(c: &Case) -> Result<Option<Value>, String> {
    let mode = c.mode.clone().unwrap_or_else(|| "propagate".into());
    let err = |e: ConsumeError| e.message;
    if c.conditions.is_empty() {
        let block = transform::ContextStatements { context: c.context.clone(), statements: c.statements.clone(), conditions: vec![], error_mode: None };
        let mut args = transform::Arguments {
            error_mode: mode,
            statements: None,
            trace_statements: vec![],
            metric_statements: vec![],
            log_statements: vec![],
            output: Output::default(),
            compiled: Default::default(),
        };
        match signal(c) {
            "trace" => args.trace_statements.push(block),
            "metric" => args.metric_statements.push(block),
            _ => args.log_statements.push(block),
        }
        let rules = <transform::Rules as Rewrite>::compile(&args).map_err(|e| e.message)?;
        return run_rules(c, &rules, err);
    }
    let conditions = c.conditions.clone();
    let mut args = filter::Arguments { error_mode: mode, traces: None, metrics: None, logs: None, output: Output::default(), compiled: Default::default() };
    match c.context.as_str() {
        "span" => args.traces = Some(filter::TraceConditions { span: conditions, spanevent: vec![] }),
        "spanevent" => args.traces = Some(filter::TraceConditions { span: vec![], spanevent: conditions }),
        "metric" => args.metrics = Some(filter::MetricConditions { metric: conditions, datapoint: vec![] }),
        "datapoint" => args.metrics = Some(filter::MetricConditions { metric: vec![], datapoint: conditions }),
        "log" => args.logs = Some(filter::LogConditions { log_record: conditions }),
        other => return Err(format!("the filter processor has no {other} conditions")),
    }
    let rules = <filter::Rules as Rewrite>::compile(&args).map_err(|e| e.message)?;
    run_rules(c, &rules, err)
}

fn run_rules<R: Rewrite>(c: &Case, rules: &R, err: fn(ConsumeError) -> String) -> Result<Option<Value>, String> {
    match signal(c) {
        "trace" => both_ways(record::traces(&c.given), |r| rules.try_traces(r), record::read_traces, rules, err),
        "metric" => both_ways(record::metrics(&c.given), |r| rules.try_metrics(r), record::read_metrics, rules, err),
        _ => both_ways(record::logs(&c.given), |r| rules.try_logs(r), record::read_logs, rules, err),
    }
}

/// Runs the rules over `req` the way the processor does (on the wire where
/// it can) and decoded: the two must agree, and the decoded item is the
/// row's outcome.
fn both_ways<M: Request + Clone, R: Rewrite>(
    mut req: M,
    edit: impl Fn(&mut M) -> Result<Edit, ConsumeError>,
    read: fn(&M) -> Option<Value>,
    rules: &R,
    err: fn(ConsumeError) -> String,
) -> Result<Option<Value>, String> {
    let processed = process(rules, Encoded::from_message(req.clone()), &edit)
        .map_err(err)
        .and_then(|out| out.map(|out| out.decode().map(|r| read(&r)).map_err(|e| e.to_string())).transpose())
        .map(Option::flatten);
    let decoded = edit(&mut req).map_err(err).map(|_| read(&req));
    if processed != decoded {
        return Err(format!("the processor gave {processed:?} where the decoded path gave {decoded:?}"));
    }
    decoded
}

/// Why a row does not pass, or `None` if it does.
fn check(c: &Case) -> Option<String> {
    let outcome = run(c);
    match (&c.error, outcome) {
        (Some(want), Err(got)) => (!got.contains(want.as_str())).then(|| format!("error {got:?} does not contain {want:?}")),
        (Some(want), Ok(_)) => Some(format!("ran, but the error {want:?} was expected")),
        (None, Err(got)) => Some(format!("error: {got}")),
        (None, Ok(item)) => match (&c.expect, item) {
            (Some(Value::String(w)), None) if w == "dropped" => None,
            (Some(Value::String(w)), Some(_)) if w == "kept" => None,
            (Some(Value::String(w)), got) => Some(format!("expected the item {w}, got {got:?}")),
            (Some(want), None) => Some(format!("the item was dropped; expected {want}")),
            (Some(want), Some(got)) => {
                let wrong: Vec<String> = want
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, v)| got.get(k.as_str()) != Some(v))
                    .map(|(k, v)| format!("{k}: expected {v}, got {}", got.get(k.as_str()).unwrap_or(&Value::Null)))
                    .collect();
                (!wrong.is_empty()).then(|| wrong.join("; "))
            }
            (None, _) => Some("the row has no expect or error".into()),
        },
    }
}

#[test]
fn conformance_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ottl_conformance/cases.txt");
    let text = std::fs::read_to_string(path).expect("the table");
    let cases = parse(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let results: Vec<(&Case, Option<String>)> = cases.iter().map(|c| (c, check(c))).collect();
    let row = |c: &Case, why: &str| format!("  cases.txt:{} {} [{}]: {why}", c.line, c.name, c.context);
    let failures: Vec<String> = results.iter().filter(|(c, r)| r.is_some() && c.gap.is_none()).map(|(c, r)| row(c, r.as_deref().unwrap_or_default())).collect();
    let gaps: Vec<String> = results.iter().filter_map(|(c, r)| Some(row(c, &format!("{} ({})", c.gap.as_deref()?, r.as_deref()?)))).collect();
    let fixed: Vec<String> = results.iter().filter(|(c, r)| c.gap.is_some() && r.is_none()).map(|(c, _)| row(c, "passes now: remove its gap")).collect();
    let passing = results.iter().filter(|(_, r)| r.is_none()).count();
    println!("{passing}/{} conformance cases pass", cases.len());
    if !gaps.is_empty() {
        println!("known gaps:\n{}", gaps.join("\n"));
    }
    assert!(failures.is_empty() && fixed.is_empty(), "{passing}/{} conformance cases pass; failing:\n{}", cases.len(), [failures, fixed].concat().join("\n"));
}

/// The table itself is well formed, whatever the implementation does.
#[test]
fn the_table_parses_and_every_row_says_what_it_expects() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ottl_conformance/cases.txt");
    let cases = parse(&std::fs::read_to_string(path).expect("the table")).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert!(cases.len() >= 100, "{} rows", cases.len());
    for c in &cases {
        assert!(!c.name.is_empty() && !c.context.is_empty(), "cases.txt:{}: a row needs a case and a context", c.line);
        assert!(c.expect.is_some() != c.error.is_some(), "cases.txt:{}: a row expects an item or an error", c.line);
        assert!(c.statements.is_empty() != c.conditions.is_empty(), "cases.txt:{}: statements or conditions", c.line);
    }
}
