//! The values OTTL computes with: the OTLP `AnyValue` kinds, plus the
//! time and duration values its converters produce.

/// One OTTL value. Maps keep their insertion order, as OTLP attribute lists
/// do, so a `set` followed by a read-back round-trips the order a user sees.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64),
    Double(f64),
    Str(String),
    Bytes(Vec<u8>),
    Map(Vec<(String, Value)>),
    List(Vec<Value>),
    /// A point in time, in nanoseconds since the Unix epoch (`Time`, `Now`).
    Time(i64),
    /// A span of time in nanoseconds (`Duration`).
    Duration(i64),
}

impl Value {
    /// The type's name as OTTL's errors and the `Is*` converters use it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int64",
            Value::Double(_) => "float64",
            Value::Str(_) => "string",
            Value::Bytes(_) => "[]byte",
            Value::Map(_) => "pcommon.Map",
            Value::List(_) => "pcommon.Slice",
            Value::Time(_) => "time.Time",
            Value::Duration(_) => "time.Duration",
        }
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// The value a map holds under `key`.
    pub fn map_get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
}
