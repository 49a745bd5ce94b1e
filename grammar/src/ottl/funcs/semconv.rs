//! `set_semconv_span_name`: renames a span as the semantic conventions
//! name spans of its kind (HTTP `{method} {route}`, RPC `{service}/{method}`,
//! database `{operation} {target}`, messaging `{operation} {destination}`),
//! from the attributes it already carries, the Collector's transform
//! processor's way for semantic conventions 1.37.0. Grafana's k8s-monitoring
//! chart emits it when `traces.setSpanNameSemanticConvention` is set, to tame
//! span names before span metrics.
//!
//! Where no convention applies the name stays. Each attribute is read the
//! way pcommon's `AsString` renders it (ints in decimal, bytes as base64),
//! and an older attribute name stands in where the newer one is absent
//! (`http.method` for `http.request.method`).
//!
//! `IsRootSpan` lives here too: like the editor, it reads the span itself
//! rather than an argument.

use base64::Engine;

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, lit_str, Made};
use super::json::{json_float, to_json};

/// The one version the Collector's implementation accepts.
const SUPPORTED: &str = "1.37.0";

/// The span's kind, name and attributes are the function's own paths.
const KIND: usize = 2;
const NAME: usize = 3;
const ATTRIBUTES: usize = 4;

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef {
        name: "set_semconv_span_name",
        params: &[
            Param::required("semconv_version", Str),
            Param::optional("original_span_name_attribute", Str),
            Param::optional("kind", Context("kind")),
            Param::optional("name", Context("name")),
            Param::optional("attributes", Context("attributes")),
        ],
        make: set_semconv_span_name,
    },
    FunctionDef { name: "IsRootSpan", params: &[Param::optional("parent_span_id", Context("parent_span_id"))], make: is_root_span },
];

/// Whether the span has no parent: its parent span ID is empty or zero.
fn is_root_span(_: &CompileArgs<'_>) -> Made {
    func(|args| {
        Ok(Value::Bool(match args.get(0)? {
            Value::Bytes(id) => id.iter().all(|b| *b == 0),
            _ => true,
        }))
    })
}

/// OTLP's span kinds, as the `kind` path reads them.
const SERVER: i64 = 2;
const CLIENT: i64 = 3;
const PRODUCER: i64 = 4;
const CONSUMER: i64 = 5;

fn set_semconv_span_name(c: &CompileArgs<'_>) -> Made {
    let version = lit_str(c, 0).unwrap_or("");
    if version != SUPPORTED {
        return Err((0, format!("unsupported semconv version: {version}, supported version: {SUPPORTED}")));
    }
    let keep_original = lit_str(c, 1).map(str::to_owned);
    if keep_original.as_deref() == Some("") {
        return Err((1, "originalSpanNameAttribute cannot be an empty string".into()));
    }
    func(move |args| {
        let Value::Str(original) = args.get(NAME)? else { return Ok(Value::Nil) };
        let kind = match args.get(KIND)? {
            Value::Int(k) => k,
            _ => 0,
        };
        let Value::Map(mut attributes) = args.get(ATTRIBUTES)? else { return Ok(Value::Nil) };
        let named = span_name(kind, &Attrs(&attributes)).unwrap_or_else(|| original.clone());
        if named == original {
            return Ok(Value::Nil);
        }
        args.set(NAME, Value::Str(named))?;
        if let Some(key) = &keep_original {
            match attributes.iter_mut().find(|(k, _)| k == key) {
                Some((_, v)) => *v = Value::Str(original),
                None => attributes.push((key.clone(), Value::Str(original))),
            }
            args.set(ATTRIBUTES, Value::Map(attributes))?;
        }
        Ok(Value::Nil)
    })
}

/// The name the conventions give a span of this kind, if one applies.
fn span_name(kind: i64, a: &Attrs<'_>) -> Option<String> {
    match kind {
        SERVER => http(a, "http.route").or_else(|| rpc(a)).or_else(|| messaging(a)),
        CLIENT => http(a, "url.template").or_else(|| rpc(a)).or_else(|| database(a)).or_else(|| messaging(a)),
        PRODUCER | CONSUMER => messaging(a),
        _ => None,
    }
}

/// `{method} {target}`, or the method alone.
fn http(a: &Attrs<'_>, target: &str) -> Option<String> {
    let method = a.either("http.request.method", "http.method")?;
    Some(match a.text(target) {
        Some(t) => format!("{method} {t}"),
        None => method,
    })
}

/// `{service}/{method}`, the method, `{service}/*`, or the system.
fn rpc(a: &Attrs<'_>) -> Option<String> {
    let system = a.text("rpc.system")?;
    Some(match (a.either("rpc.service", "rpc.grpc.service"), a.either("rpc.method", "rpc.grpc.method")) {
        (Some(service), Some(method)) => format!("{service}/{method}"),
        (None, Some(method)) => method,
        (Some(service), None) => format!("{service}/*"),
        (None, None) => system,
    })
}

/// The query summary, or `{operation} {target}`, either alone, or the
/// system.
fn database(a: &Attrs<'_>) -> Option<String> {
    let system = a.either("db.system.name", "db.system")?;
    if let Some(summary) = a.text("db.query.summary") {
        return Some(summary);
    }
    let operation = a.either("db.operation.name", "db.operation").unwrap_or_default();
    let target = database_target(a);
    Some(match (operation.is_empty(), target.is_empty()) {
        (false, false) => format!("{operation} {target}"),
        (false, true) => operation,
        (true, false) => target,
        (true, true) => system,
    })
}

/// `{namespace}.{collection}` (or procedure), the namespace, or the server.
fn database_target(a: &Attrs<'_>) -> String {
    let namespace = a.either("db.namespace", "db.name").unwrap_or_default();
    let object = a.text("db.collection.name").or_else(|| a.text("db.stored_procedure.name"));
    match (object, namespace.is_empty()) {
        (Some(o), false) => format!("{namespace}.{o}"),
        (Some(o), true) => o,
        (None, false) => namespace,
        (None, true) => server(a),
    }
}

/// `{operation} {destination}`, either alone, or the system.
fn messaging(a: &Attrs<'_>) -> Option<String> {
    let system = a.text("messaging.system")?;
    let operation = a.either("messaging.operation.name", "messaging.operation");
    let destination = messaging_destination(a);
    Some(match (operation, destination.is_empty()) {
        (Some(op), false) => format!("{op} {destination}"),
        (None, false) => destination,
        (Some(op), true) => op,
        (None, true) => system,
    })
}

fn messaging_destination(a: &Attrs<'_>) -> String {
    if a.is_true("messaging.destination.temporary") {
        return "(temporary)".into();
    }
    if a.is_true("messaging.destination.anonymous") {
        return "(anonymous)".into();
    }
    a.text("messaging.destination.template").or_else(|| a.either("messaging.destination.name", "messaging.destination")).unwrap_or_else(|| server(a))
}

/// `{address}:{port}`, the address, or nothing.
fn server(a: &Attrs<'_>) -> String {
    match (a.text("server.address"), a.text("server.port")) {
        (Some(address), Some(port)) => format!("{address}:{port}"),
        (Some(address), None) => address,
        _ => String::new(),
    }
}

/// A span's attributes as the conventions read them: present or not
/// (an attribute with no value is present, and reads as ""), as text.
struct Attrs<'a>(&'a [(String, Value)]);

impl Attrs<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key).map(as_string)
    }

    /// The attribute, or its older name's when it is absent.
    fn either(&self, key: &str, older: &str) -> Option<String> {
        self.text(key).or_else(|| self.text(older))
    }

    /// Whether the attribute is the bool `true` (any other type is not).
    fn is_true(&self, key: &str) -> bool {
        matches!(self.get(key), Some(Value::Bool(true)))
    }
}

/// pcommon's `Value.AsString`.
fn as_string(v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        Value::Str(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) | Value::Time(n) | Value::Duration(n) => n.to_string(),
        Value::Double(f) => json_float(*f).unwrap_or_else(|e| e),
        Value::Bytes(b) => base64::engine::general_purpose::STANDARD.encode(b),
        Value::Map(_) | Value::List(_) => to_json(v).unwrap_or_default(),
    }
}
