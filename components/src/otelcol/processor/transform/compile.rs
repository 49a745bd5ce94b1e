//! Compiling the transform processor's arguments: every statement once
//! per load, each error naming the exact list element it is about.

use solder_syntax::ottl::{funcs, infer_context, Conditions, ErrorMode, Schema, Statements};

use super::{Arguments, Block, ContextStatements, Rules};
use crate::component::ArgumentError;
use crate::otelcol::processor::ottl_args::{context, error_mode, load_error, FailureLog};
use crate::ottl;

/// The contexts each signal's statements may run in, in the order the
/// Collector lists them (from the outermost).
fn trace_contexts() -> [&'static Schema; 4] {
    [&ottl::RESOURCE, &ottl::SCOPE, &ottl::SPAN, &ottl::SPANEVENT]
}

fn metric_contexts() -> [&'static Schema; 4] {
    [&ottl::RESOURCE, &ottl::SCOPE, &ottl::METRIC, &ottl::DATAPOINT]
}

fn log_contexts() -> [&'static Schema; 3] {
    [&ottl::RESOURCE, &ottl::SCOPE, &ottl::LOG]
}

pub(super) fn rules(args: &Arguments) -> Result<Rules, ArgumentError> {
    let mode = error_mode(&args.error_mode, "error_mode")?;
    let flat = args.statements.clone().unwrap_or_default();
    let traces =
        signal(&args.trace_statements, &flat.trace, Signal { blocks: "trace_statements", flat: "statements.trace", contexts: &trace_contexts() }, mode)?;
    let groups: Vec<&ottl::Group> = traces.iter().map(|b| &b.group).collect();
    let traces_on_wire = ottl::wire::supports(&groups);
    let traces_plan = ottl::wire::Plan::compile(groups.iter().copied());
    let metrics =
        signal(&args.metric_statements, &flat.metric, Signal { blocks: "metric_statements", flat: "statements.metric", contexts: &metric_contexts() }, mode)?;
    let logs = signal(&args.log_statements, &flat.log, Signal { blocks: "log_statements", flat: "statements.log", contexts: &log_contexts() }, mode)?;
    // Metric and log requests nest as trace requests do: `resource` blocks
    // of plain steps alone run as the same plan over their resources.
    let plan = |blocks: &[Block]| ottl::wire::Plan::compile(blocks.iter().map(|b| &b.group));
    let logs_on_wire = ottl::wire::supports_logs(&logs.iter().map(|b| &b.group).collect::<Vec<_>>());
    Ok(Rules { traces_on_wire, logs_on_wire, traces_plan, metrics_plan: plan(&metrics), logs_plan: plan(&logs), traces, metrics, logs })
}

/// Where one signal's statements are written and which contexts it allows.
struct Signal<'a> {
    blocks: &'a str,
    flat: &'a str,
    contexts: &'a [&'static Schema],
}

/// The blocks, then the flat list (as Alloy appends it), compiled.
fn signal(blocks: &[ContextStatements], flat: &[String], at: Signal<'_>, mode: ErrorMode) -> Result<Vec<Block>, ArgumentError> {
    let mut out = Vec::with_capacity(blocks.len() + 1);
    for (i, b) in blocks.iter().enumerate() {
        let path = format!("{}[{i}]", at.blocks);
        let schema = context(&b.context, at.contexts, &format!("{path}.context"), at.blocks)?;
        let mode = match &b.error_mode {
            Some(m) => error_mode(m, &format!("{path}.error_mode"))?,
            None => mode,
        };
        let mut compiled = block(schema, &b.statements, &format!("{path}.statements"), mode)?;
        if !b.conditions.is_empty() {
            compiled.guard(schema, &b.conditions, &format!("{path}.conditions"))?;
        }
        out.push(compiled);
    }
    if !flat.is_empty() {
        let sources: Vec<&str> = flat.iter().map(String::as_str).collect();
        let schema = infer_context(&sources, at.contexts).map_err(|e| load_error(at.flat, e))?;
        out.push(block(schema, flat, at.flat, mode)?);
    }
    Ok(out)
}

fn block(schema: &'static Schema, statements: &[String], path: &str, mode: ErrorMode) -> Result<Block, ArgumentError> {
    let sources: Vec<&str> = statements.iter().map(String::as_str).collect();
    let compiled = Statements::compile(schema, funcs::table(), &sources).map_err(|e| load_error(path, e))?;
    Ok(Block { group: ottl::Group { schema, statements: compiled }, mode, log: FailureLog::new(statements) })
}

impl Block {
    /// Runs the block's statements only where one of `conditions` holds.
    /// Their failures are logged after the statements', in that order.
    fn guard(&mut self, schema: &'static Schema, conditions: &[String], path: &str) -> Result<(), ArgumentError> {
        let sources: Vec<&str> = conditions.iter().map(String::as_str).collect();
        let guard = Conditions::compile(schema, funcs::table(), &sources).map_err(|e| load_error(path, e))?;
        let texts: Vec<String> = self.group.statements.sources().iter().chain(conditions).cloned().collect();
        self.group.statements.guard_with(guard);
        self.log = FailureLog::new(&texts);
        Ok(())
    }
}
