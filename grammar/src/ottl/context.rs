//! What a statement runs against. A [`Schema`] says, before anything runs,
//! which paths a context has, so the checker can refuse `atributes` with a
//! did-you-mean at load time; a [`Context`] is one item (a span, a data
//! point, ...) those paths read and write.

use super::metric_edit::{MetricEdit, PointQuery};
use super::value::Value;

/// A path's index in its schema's [`Schema::paths`].
pub type PathId = u16;

/// One key of a path's index chain: `attributes["http.method"]` has one
/// string key, `attributes["list"][0]` a string and an int key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Str(String),
    Int(i64),
}

/// One path a context knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathSpec {
    /// The dotted name without the context prefix, as written in the
    /// Collector's docs: `name`, `attributes`, `resource.attributes`,
    /// `instrumentation_scope.name`, `trace_id.string`, `status.code`.
    pub name: &'static str,
    /// Whether `[key]` indexing may follow (maps and slices).
    pub keyed: bool,
    /// Whether the path may be the target of an editor such as `set`.
    pub settable: bool,
}

/// The static description of one context, such as `span`.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// The context's name as `context = "..."` and path prefixes write it:
    /// `resource`, `scope`, `span`, `spanevent`, `metric`, `datapoint`, `log`.
    pub name: &'static str,
    /// Every path, in [`PathId`] order. `cache` is not listed: the
    /// evaluator keeps it for each item itself.
    pub paths: &'static [PathSpec],
    /// The enum symbols its paths compare with (`SPAN_KIND_SERVER`,
    /// `STATUS_CODE_ERROR`, ...), and the integer each stands for.
    pub enums: &'static [(&'static str, i64)],
}

impl Schema {
    /// The id of the path with this dotted name.
    pub fn path(&self, name: &str) -> Option<PathId> {
        self.paths.iter().position(|p| p.name == name).map(|i| i as PathId)
    }

    pub fn enum_value(&self, name: &str) -> Option<i64> {
        self.enums.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

/// One item as statements see it. `keys` index into the value the path
/// names; an absent key reads as [`Value::Nil`]. Errors are messages for
/// the error mode to log or return.
pub trait Context {
    fn get(&self, path: PathId, keys: &[Key]) -> Result<Value, String>;
    fn set(&mut self, path: PathId, keys: &[Key], value: Value) -> Result<(), String>;

    /// Applies `edit` to the map the path names. The default reads the
    /// whole map and writes it back if the edit changed it; a context
    /// whose maps can be edited where they are (attribute lists) overrides
    /// it, so `delete_key(attributes, "k")` touches one entry instead of
    /// copying every attribute twice.
    fn edit_map(&mut self, path: PathId, keys: &[Key], edit: MapEdit<'_>) -> Result<(), String> {
        edit_whole_map(self, path, keys, edit)
    }

    /// Carries out a metric function's change to the metric as a whole.
    /// Only the contexts over a metric or its points override it; the
    /// checker keeps the functions out of the others, so this default
    /// answers only a context that forgot to.
    fn edit_metric(&mut self, edit: MetricEdit) -> Result<(), String> {
        Err(format!("{} has no metric to change here", edit.function()))
    }

    /// Answers a question about the metric's data points, for the
    /// `metric` context's converters that ask one. Only the metric
    /// contexts override it.
    fn query_points(&self, query: PointQuery<'_>) -> Result<bool, String> {
        Err(format!("no data points to look for {:?} in here", query.key()))
    }
}

/// [`Context::edit_map`]'s default, for overrides to fall back on: the
/// map is read whole, edited, and written back if it changed.
pub fn edit_whole_map<C: Context + ?Sized>(ctx: &mut C, path: PathId, keys: &[Key], edit: MapEdit<'_>) -> Result<(), String> {
    let mut map = expect_map(ctx.get(path, keys)?)?;
    if edit.apply(&mut map) {
        ctx.set(path, keys, Value::Map(map))?;
    }
    Ok(())
}

/// An edit of a map's entries that needs nothing but their keys or their
/// string values: what the key-filtering editors and `truncate_all` do.
pub enum MapEdit<'f> {
    /// Removes the entries with this key (`delete_key`): a byte comparison,
    /// where [`MapEdit::Retain`] must offer each key as text.
    Remove(&'f str),
    /// Keeps the entries whose key the predicate accepts, in order.
    Retain(&'f mut dyn FnMut(&str) -> bool),
    /// Offers each string value longer than `keep_up_to` bytes; a returned
    /// string replaces it. Shorter ones are never changed (`truncate_all`
    /// cannot lengthen them), so a context may skip them unread: on the
    /// wire, without checking that they are UTF-8.
    Strings { keep_up_to: usize, f: &'f mut dyn FnMut(&str) -> Option<String> },
}

impl MapEdit<'_> {
    /// Applies the edit to an in-memory map; whether anything changed.
    pub fn apply(self, map: &mut Vec<(String, Value)>) -> bool {
        match self {
            MapEdit::Remove(key) => {
                let before = map.len();
                map.retain(|(k, _)| k != key);
                map.len() != before
            }
            MapEdit::Retain(keep) => {
                let before = map.len();
                map.retain(|(k, _)| keep(k));
                map.len() != before
            }
            MapEdit::Strings { keep_up_to, f } => {
                let mut changed = false;
                for (_, v) in map.iter_mut() {
                    if let Value::Str(s) = v {
                        if s.len() <= keep_up_to {
                            continue;
                        }
                        if let Some(new) = f(s) {
                            *s = new;
                            changed = true;
                        }
                    }
                }
                changed
            }
        }
    }
}

/// A map target's entries, or the Collector's `PMapGetter` error.
pub fn expect_map(v: Value) -> Result<Vec<(String, Value)>, String> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(format!("expected pcommon.Map but got {}", other.type_name())),
    }
}
