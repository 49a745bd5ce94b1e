//! The checker: a parsed statement, resolved against one context's
//! [`Schema`] and the function table, becomes the compiled form, or an
//! [`OttlError`] under the exact token that is wrong.
//!
//! Everything the Collector finds only when it builds its getters is found
//! here, at load: unknown paths, enums and functions (with a did-you-mean),
//! editors and converters in the wrong place, wrong arity, unknown named
//! arguments, non-literal arguments where a function needs a literal, and
//! whatever the function's own factory refuses (a bad regex).

use super::ast::*;
use super::context::{Key, Schema};
use super::error::OttlError;
use super::eval::{CArg, CallSite, KeyNode, Keys, Node, PathRef, Target};
use super::function::{CompileArgs, FunctionDef, Param, ParamKind};
use super::program::SPECIFICITY;
use super::value::Value;
use crate::span::Span;
use crate::suggest::did_you_mean;

type Checked<T> = Result<T, OttlError>;

/// An error under `span` with no help line yet.
fn err(span: Span, message: impl Into<String>) -> OttlError {
    OttlError::new(span.range(), message)
}

/// The checker for one context and one function table. It holds no
/// state of its own, so one checker serves every statement of a list.
pub(crate) struct Checker {
    pub schema: &'static Schema,
    pub functions: &'static [FunctionDef],
}

/// A compiled statement: its editor and optional `where` clause.
pub(crate) struct CompiledStatement {
    pub editor: CallSite,
    pub condition: Option<Node>,
}

impl Checker {
    /// A whole statement: its head must be an editor (checked in
    /// [`Checker::call`]), its `where` clause a boolean expression.
    pub fn statement(&self, s: &Statement) -> Checked<CompiledStatement> {
        let editor = self.call(&s.editor, true)?;
        let condition = s.condition.as_ref().map(|c| self.condition(c)).transpose()?;
        Ok(CompiledStatement { editor, condition })
    }

    /// A `where` clause or filter condition: boolean-shaped, as the
    /// Collector's grammar requires.
    pub fn condition(&self, e: &Expr) -> Checked<Node> {
        if !e.is_boolean_shaped() {
            return Err(
                err(e.span, "expected a boolean expression").with_help("a condition is a comparison, true or false, a converter, or `and`/`or`/`not` of those")
            );
        }
        self.expr(e)
    }

    /// Any expression in value position. Constant lists and maps fold to
    /// one literal, so building them costs nothing per item; `and`, `or`
    /// and `not` demand boolean-shaped operands, as the Collector's grammar
    /// does; math refuses a comparison as an operand.
    fn expr(&self, e: &Expr) -> Checked<Node> {
        Ok(match &e.kind {
            ExprKind::Nil => Node::Lit(Value::Nil),
            ExprKind::Bool(b) => Node::Lit(Value::Bool(*b)),
            ExprKind::Int(i) => Node::Lit(Value::Int(*i)),
            ExprKind::Float(f) => Node::Lit(Value::Double(*f)),
            ExprKind::Str(s) => Node::Lit(Value::Str(s.clone())),
            ExprKind::Bytes(b) => Node::Lit(Value::Bytes(b.clone())),
            ExprKind::List(items) => {
                let nodes = items.iter().map(|i| self.expr(i)).collect::<Checked<Vec<_>>>()?;
                if nodes.iter().all(|n| matches!(n, Node::Lit(_))) {
                    Node::Lit(Value::List(nodes.into_iter().filter_map(lit).collect()))
                } else {
                    Node::List(nodes)
                }
            }
            ExprKind::Map(items) => {
                let mut nodes = Vec::with_capacity(items.len());
                for (k, _, v) in items {
                    nodes.push((k.clone(), self.expr(v)?));
                }
                if nodes.iter().all(|(_, n)| matches!(n, Node::Lit(_))) {
                    Node::Lit(Value::Map(nodes.into_iter().filter_map(|(k, n)| lit(n).map(|v| (k, v))).collect()))
                } else {
                    Node::Map(nodes)
                }
            }
            ExprKind::Path(p) => Node::Path(self.path(p)?),
            ExprKind::Call(c) => Node::Call(Box::new(self.call(c, false)?)),
            ExprKind::Symbol(name) => Node::Lit(Value::Int(self.enum_symbol(name, e.span)?)),
            ExprKind::Paren(inner) => self.expr(inner)?,
            ExprKind::Not(inner) => Node::Not(Box::new(self.condition(inner)?)),
            ExprKind::Binary(op, l, r) => match op {
                BinOp::And => Node::And(Box::new(self.condition(l)?), Box::new(self.condition(r)?)),
                BinOp::Or => Node::Or(Box::new(self.condition(l)?), Box::new(self.condition(r)?)),
                op if op.is_comparison() => {
                    for side in [l, r] {
                        if matches!(&side.kind, ExprKind::Binary(o, ..) if !o.is_math()) {
                            return Err(err(side.span, "comparisons do not chain").with_help("join comparisons with `and` or `or`"));
                        }
                    }
                    Node::Cmp(*op, Box::new(self.expr(l)?), Box::new(self.expr(r)?))
                }
                op => {
                    for side in [l, r] {
                        if side.is_boolean_shaped() && !matches!(side.kind, ExprKind::Call(_)) {
                            return Err(err(side.span, format!("`{}` needs numbers, times or durations, not a boolean expression", op.symbol())));
                        }
                    }
                    Node::Math(*op, Box::new(self.expr(l)?), Box::new(self.expr(r)?))
                }
            },
        })
    }

    /// An enum symbol's integer. A converter's name written without `(`
    /// gets a hint to call it instead.
    fn enum_symbol(&self, name: &str, span: Span) -> Checked<i64> {
        self.schema.enum_value(name).ok_or_else(|| {
            let e = err(span, format!("enum symbol, {name}, not found"));
            let names = self.schema.enums.iter().map(|(n, _)| *n);
            match did_you_mean(name, names) {
                Some(s) => e.with_help(format!("did you mean `{s}`?")),
                None if self.function(name).is_some() => e.with_help(format!("to call the converter, write `{name}(...)`")),
                None => e,
            }
        })
    }

    /// Resolves a path: the `cache`, or the longest schema path its dotted
    /// segments spell, after dropping a context prefix.
    pub fn path(&self, p: &Path) -> Checked<PathRef> {
        let mut segs: Vec<&Segment> = p.segments.iter().collect();
        let full = p.segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(".");
        // `span.name` in the span context, `instrumentation_scope.name` or
        // `scope.name` in the scope context: the prefix names this context.
        let own = |n: &str| n == self.schema.name || (self.schema.name == "scope" && n == "instrumentation_scope");
        if segs.len() > 1 && own(&segs[0].name) && self.schema.path(&full).is_none() {
            if let Some(k) = segs[0].keys.first() {
                return Err(err(k.span, format!("the context name `{}` cannot be indexed", segs[0].name)));
            }
            segs.remove(0);
        }
        if segs[0].name == "cache" {
            if let Some(extra) = segs.get(1) {
                return Err(err(
                    extra.span,
                    format!("segment \"{}\" from path \"{full}\" is not a valid path: `cache` takes keys, as in cache[\"key\"]", extra.name),
                ));
            }
            return Ok(PathRef { target: Target::Cache, keys: self.keys(&segs[0].keys)? });
        }
        let names: Vec<String> =
            segs.iter().enumerate().map(|(i, s)| if i == 0 && s.name == "scope" { "instrumentation_scope".to_string() } else { s.name.clone() }).collect();
        let mut found = None;
        for k in (1..=names.len()).rev() {
            if let Some(id) = self.schema.path(&names[..k].join(".")) {
                found = Some((k, id));
                break;
            }
        }
        let context = context_title(self.schema.name);
        let Some((k, id)) = found.filter(|(k, _)| *k == names.len()) else {
            // The first segment no path name continues with: `cod` in `status.cod`.
            let prefix_ok = |k: usize| {
                let joined = names[..k].join(".");
                self.schema.paths.iter().any(|p| p.name == joined || p.name.strip_prefix(joined.as_str()).is_some_and(|rest| rest.starts_with('.')))
            };
            let bad = (1..=names.len()).take_while(|&k| prefix_ok(k)).last().unwrap_or(0).min(names.len() - 1);
            let e = err(
                segs[bad].span,
                format!("segment \"{}\" from path \"{full}\" is not a valid path nor a valid OTTL keyword for the {context} context", segs[bad].name),
            );
            let attempt = names.join(".");
            let candidates = self.schema.paths.iter().map(|p| p.name).chain(["cache"]);
            return Err(match did_you_mean(&attempt, candidates) {
                Some(s) => e.with_help(format!("did you mean `{s}`?")),
                None => e,
            });
        };
        for seg in &segs[..k - 1] {
            if let Some(key) = seg.keys.first() {
                return Err(err(key.span, format!("only the end of a path takes keys, not \"{}\"", seg.name)));
            }
        }
        let last = segs[k - 1];
        let spec = self.schema.paths[id as usize];
        if let Some(key) = last.keys.first() {
            if !spec.keyed {
                return Err(err(key.span, format!("the \"{}\" path of the {context} context cannot be indexed", spec.name)));
            }
        }
        Ok(PathRef { target: Target::Ctx(id), keys: self.keys(&last.keys)? })
    }

    /// A key chain: literal keys become a ready `Vec<Key>` (the common case,
    /// no work per item); paths and converters are evaluated per item.
    fn keys(&self, keys: &[Expr]) -> Checked<Keys> {
        let mut nodes = Vec::with_capacity(keys.len());
        for k in keys {
            nodes.push(match &k.kind {
                ExprKind::Str(s) => KeyNode::Const(Key::Str(s.clone())),
                ExprKind::Int(i) => KeyNode::Const(Key::Int(*i)),
                _ if is_computed_key(k) => KeyNode::Expr(self.expr(k)?),
                _ => return Err(err(k.span, "a key must be a string or an int, or a path or converter giving one")),
            });
        }
        if nodes.iter().all(|n| matches!(n, KeyNode::Const(_))) {
            Ok(Keys::Static(nodes.into_iter().filter_map(|n| if let KeyNode::Const(k) = n { Some(k) } else { None }).collect()))
        } else {
            Ok(Keys::Dynamic(nodes))
        }
    }

    /// The table entry with this exact name.
    fn function(&self, name: &str) -> Option<&'static FunctionDef> {
        self.functions.iter().find(|f| f.name == name)
    }

    /// Checks one invocation and prepares its call site: the name against
    /// its position (editor at a statement's head, converter elsewhere) and
    /// the table, the arguments against the parameters, and finally the
    /// function's own factory with the literal arguments, so a bad regex is
    /// a load error under that argument.
    fn call(&self, c: &Call, editor_position: bool) -> Checked<CallSite> {
        let is_editor_name = c.name.starts_with(|ch: char| ch.is_ascii_lowercase());
        if editor_position && !is_editor_name {
            return Err(err(c.name_span, format!("editor names must start with a lowercase letter but got '{}'", c.name))
                .with_help("a statement starts with an editor such as `set(...)`; converters go inside its arguments"));
        }
        if !editor_position && is_editor_name {
            return Err(err(c.name_span, format!("converter names must start with an uppercase letter but got '{}'", c.name))
                .with_help("editors change the item and only start a statement; inside an expression, call a converter"));
        }
        let Some(def) = self.function(&c.name) else {
            let e = err(c.name_span, format!("undefined function \"{}\"", c.name));
            let same_kind = self.functions.iter().filter(|f| f.is_editor() == editor_position).map(|f| f.name);
            return Err(match did_you_mean(&c.name, same_kind) {
                Some(s) => e.with_help(format!("did you mean `{s}`?")),
                None => e,
            });
        };
        if editor_position {
            if let Some(k) = c.keys.first() {
                return Err(err(k.span, format!("only paths and converters may be indexed, not editors, but got {}", c.name)));
            }
        }
        let slots = self.bind(def, c)?;
        let mut literals = Vec::with_capacity(slots.len());
        let mut args = Vec::with_capacity(slots.len());
        for (i, (param, slot)) in def.params.iter().zip(&slots).enumerate() {
            if let ParamKind::Context(name) = param.kind {
                literals.push(None);
                args.push(CArg::Path(self.implicit_path(def, param, name, c)?));
                continue;
            }
            let Some(arg) = slot else {
                literals.push(None);
                args.push(CArg::Absent);
                continue;
            };
            let (literal, carg) = self.argument(i, param.kind, &arg.value)?;
            literals.push(literal);
            args.push(carg);
        }
        let func = (def.make)(&CompileArgs { literals: &literals }).map_err(|(i, msg)| {
            let span = slots.get(i).copied().flatten().map_or(c.name_span, |a| a.value.span);
            err(span, format!("invalid argument at position {i}: {msg}"))
        })?;
        Ok(CallSite { func, args, keys: self.keys(&c.keys)? })
    }

    /// The context path a [`ParamKind::Context`] parameter names; a
    /// context without it does not have the function.
    fn implicit_path(&self, def: &FunctionDef, param: &Param, name: &str, c: &Call) -> Checked<PathRef> {
        match self.schema.path(name) {
            Some(id) => Ok(PathRef { target: Target::Ctx(id), keys: Keys::Static(Vec::new()) }),
            // A parameter named after a context (the metric functions')
            // says where the function runs; others name what it needs.
            None if SPECIFICITY.contains(&param.name) => {
                Err(err(c.name_span, format!("undefined function \"{}\" in the {} context", def.name, self.schema.name))
                    .with_help(format!("{} is a function of the `{}` context: run it in a block with `context = \"{}\"`", def.name, param.name, param.name)))
            }
            None => Err(err(c.name_span, format!("undefined function \"{}\" in the {} context", def.name, self.schema.name))
                .with_help(format!("{} works on what has a `{name}`: run it in a context that does", def.name))),
        }
    }

    /// Places positional and named arguments in parameter order, and
    /// refuses too many, too few, unknown and repeated ones.
    fn bind<'c>(&self, def: &FunctionDef, c: &'c Call) -> Checked<Vec<Option<&'c Arg>>> {
        let mut slots: Vec<Option<&Arg>> = vec![None; def.params.len()];
        let given = written_params(def);
        let mut seen_named = false;
        for (i, a) in c.args.iter().enumerate() {
            match &a.name {
                None if seen_named => return Err(err(a.span, "positional arguments must come before named arguments")),
                None if i >= given.len() => {
                    return Err(err(a.span, format!("incorrect number of arguments. Expected: {} Received: {}", given.len(), c.args.len())));
                }
                None => slots[i] = Some(a),
                Some((name, span)) => {
                    seen_named = true;
                    let Some(at) = given.iter().position(|p| p.name == name) else {
                        let e = err(*span, format!("no parameter named \"{name}\" for function \"{}\"", def.name));
                        return Err(match did_you_mean(name, given.iter().map(|p| p.name)) {
                            Some(s) => e.with_help(format!("did you mean `{s}`?")),
                            None => e.with_help(format!("{} takes {}", def.name, param_list(def))),
                        });
                    };
                    if slots[at].is_some() {
                        return Err(err(*span, format!("argument \"{name}\" is given twice")));
                    }
                    slots[at] = Some(a);
                }
            }
        }
        if let Some(missing) = given.iter().zip(&slots).position(|(p, s)| !p.optional && s.is_none()) {
            let at = Span::new(c.span.end.saturating_sub(1), c.span.end);
            let at = if c.keys.is_empty() { at } else { c.name_span };
            return Err(err(
                at,
                format!("incorrect number of arguments. Expected: {} Received: {}", given.iter().filter(|p| !p.optional).count(), c.args.len()),
            )
            .with_help(format!("missing `{}`; {} takes {}", def.params[missing].name, def.name, param_list(def))));
        }
        Ok(slots)
    }

    /// One argument against its parameter kind: the literal the factory
    /// sees (if any) and the argument as the function will read it.
    fn argument(&self, i: usize, kind: ParamKind, e: &Expr) -> Checked<(Option<Value>, CArg)> {
        let bad = |what: &str| err(e.span, format!("invalid argument at position {i}: {what}"));
        Ok(match kind {
            ParamKind::Context(_) => return Err(bad("no argument is given here")),
            ParamKind::Value => (None, CArg::Expr(self.expr(e)?)),
            ParamKind::MaybeLiteral => {
                let node = self.expr(e)?;
                let literal = match &node {
                    Node::Lit(v) => Some(v.clone()),
                    _ => None,
                };
                (literal, CArg::Expr(node))
            }
            ParamKind::Path => {
                let ExprKind::Path(p) = &e.kind else { return Err(bad("must be a path")) };
                let r = self.path(p)?;
                if let Target::Ctx(id) = r.target {
                    let spec = self.schema.paths[id as usize];
                    if !spec.settable {
                        return Err(bad(&format!("the \"{}\" path cannot be set", spec.name)));
                    }
                }
                (None, CArg::Path(r))
            }
            ParamKind::Str => match &e.kind {
                ExprKind::Str(s) => (Some(Value::Str(s.clone())), CArg::Lit(Value::Str(s.clone()))),
                _ => return Err(bad("expected a string literal")),
            },
            ParamKind::Int => match &e.kind {
                ExprKind::Int(n) => (Some(Value::Int(*n)), CArg::Lit(Value::Int(*n))),
                _ => return Err(bad("expected an int literal")),
            },
            ParamKind::StrList => match &e.kind {
                ExprKind::List(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        match &item.kind {
                            ExprKind::Str(s) => out.push(Value::Str(s.clone())),
                            _ => return Err(err(item.span, format!("invalid argument at position {i}: expected a list of string literals"))),
                        }
                    }
                    (Some(Value::List(out.clone())), CArg::Lit(Value::List(out)))
                }
                _ => return Err(bad("expected a list of string literals")),
            },
            ParamKind::Bool => match &e.kind {
                ExprKind::Bool(b) => (Some(Value::Bool(*b)), CArg::Lit(Value::Bool(*b))),
                _ => return Err(bad("expected true or false")),
            },
            ParamKind::Float => match &e.kind {
                ExprKind::Float(f) => (Some(Value::Double(*f)), CArg::Lit(Value::Double(*f))),
                ExprKind::Int(n) => (Some(Value::Double(*n as f64)), CArg::Lit(Value::Double(*n as f64))),
                _ => return Err(bad("expected a number literal")),
            },
            ParamKind::FloatList => match &e.kind {
                ExprKind::List(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    for item in items {
                        match &item.kind {
                            ExprKind::Float(f) => out.push(Value::Double(*f)),
                            ExprKind::Int(n) => out.push(Value::Double(*n as f64)),
                            _ => return Err(err(item.span, format!("invalid argument at position {i}: expected a list of number literals"))),
                        }
                    }
                    (Some(Value::List(out.clone())), CArg::Lit(Value::List(out)))
                }
                _ => return Err(bad("expected a list of number literals")),
            },
            ParamKind::MapLit => match self.expr(e)? {
                Node::Lit(map @ Value::Map(_)) => (Some(map.clone()), CArg::Lit(map)),
                _ => return Err(bad("expected a map literal")),
            },
            // The factory and the function get the symbol's name, not a
            // number: function-specific symbols are not in the schema.
            ParamKind::Enum => match &e.kind {
                ExprKind::Symbol(s) => (Some(Value::Str(s.clone())), CArg::Lit(Value::Str(s.clone()))),
                _ => return Err(bad("expected an enum symbol")),
            },
            ParamKind::Function => {
                let name = match &e.kind {
                    ExprKind::Symbol(s) => s,
                    ExprKind::Path(p) if p.segments.len() == 1 => &p.segments[0].name,
                    _ => return Err(bad("expected the name of a converter")),
                };
                let def = self.function(name).filter(|d| !d.is_editor()).ok_or_else(|| {
                    let e = err(e.span, format!("undefined function \"{name}\""));
                    match did_you_mean(name, self.functions.iter().filter(|f| !f.is_editor()).map(|f| f.name)) {
                        Some(s) => e.with_help(format!("did you mean `{s}`?")),
                        None => e,
                    }
                })?;
                let none = vec![None; def.params.len()];
                let func = (def.make)(&CompileArgs { literals: &none }).map_err(|(_, m)| bad(&format!("{name} cannot be passed as a function: {m}")))?;
                (Some(Value::Str(name.clone())), CArg::Func(func))
            }
        })
    }
}

/// Whether a key is computed when the statement runs: a path, a converter
/// or arithmetic over them.
fn is_computed_key(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Path(_) | ExprKind::Call(_) => true,
        ExprKind::Binary(op, ..) => op.is_math(),
        ExprKind::Paren(inner) => is_computed_key(inner) || matches!(inner.kind, ExprKind::Str(_) | ExprKind::Int(_)),
        _ => false,
    }
}

/// The value of a folded literal node.
fn lit(n: Node) -> Option<Value> {
    match n {
        Node::Lit(v) => Some(v),
        _ => None,
    }
}

/// A signature for help lines: `(target, [suffix])`, optional ones bracketed.
fn param_list(def: &FunctionDef) -> String {
    let names: Vec<String> = written_params(def).iter().map(|p| if p.optional { format!("[{}]", p.name) } else { p.name.to_string() }).collect();
    format!("({})", names.join(", "))
}

/// The parameters a call may give: all but the [`ParamKind::Context`]
/// ones at the end.
fn written_params(def: &FunctionDef) -> &[Param] {
    let end = def.params.iter().position(|p| matches!(p.kind, ParamKind::Context(_))).unwrap_or(def.params.len());
    &def.params[..end]
}

/// The context's name as the Collector's errors write it.
pub(crate) fn context_title(name: &str) -> String {
    match name {
        "span" => "Span".into(),
        "spanevent" => "SpanEvent".into(),
        "datapoint" => "DataPoint".into(),
        "log" => "Log".into(),
        "metric" => "Metric".into(),
        "resource" => "Resource".into(),
        "scope" => "Instrumentation Scope".into(),
        other => {
            let mut c = other.chars();
            c.next().map_or(String::new(), |f| f.to_ascii_uppercase().to_string() + c.as_str())
        }
    }
}
