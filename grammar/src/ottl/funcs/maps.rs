//! The editors that reshape a map in place: `delete_key`, `keep_keys`,
//! their regex forms, `limit`, `truncate_all`, `merge_maps` and `flatten`.
//!
//! The Collector's map is a reference that these editors mutate. Here the
//! key filters and `truncate_all` hand a [`MapEdit`] to the context, which
//! edits an attribute list where it lies; the others read the map from its
//! path, change it, and set it back. Either way a target that is not
//! settable fails at load time rather than silently doing nothing.
//! A nil or non-map target is the Collector's `PMapGetter` error, except
//! for `limit`, which has always skipped such targets.

use super::super::context::MapEdit;
use super::super::function::CompileArgs;
use super::super::function::{FunctionDef, Param, ParamKind::*};
use super::super::plan::Primitive;
use super::super::value::Value;
use super::common::{described, func, lit_int, lit_regex, lit_str, lit_str_list, map_put, opt_bool, want_map, want_str, Made};

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "delete_key", params: &[Param::required("target", Path), Param::required("key", Value)], make: delete_key },
    FunctionDef { name: "delete_matching_keys", params: &[Param::required("target", Path), Param::required("pattern", Str)], make: delete_matching_keys },
    FunctionDef { name: "keep_keys", params: &[Param::required("target", Path), Param::required("keys", StrList)], make: keep_keys },
    FunctionDef { name: "keep_matching_keys", params: &[Param::required("target", Path), Param::required("pattern", Str)], make: keep_matching_keys },
    FunctionDef {
        name: "limit",
        params: &[Param::required("target", Path), Param::required("limit", Int), Param::required("priority_keys", StrList)],
        make: limit,
    },
    FunctionDef {
        name: "truncate_all",
        params: &[
            Param::required("target", Path),
            Param::required("limit", Int),
            Param::optional("utf8_safe", Value),
            Param::optional("truncation_marker", Str),
        ],
        make: truncate_all,
    },
    FunctionDef {
        name: "merge_maps",
        params: &[Param::required("target", Path), Param::required("source", Value), Param::required("strategy", Str)],
        make: merge_maps,
    },
    FunctionDef {
        name: "flatten",
        params: &[Param::required("target", Path), Param::optional("prefix", Str), Param::optional("depth", Int), Param::optional("resolveConflicts", Value)],
        make: flatten,
    },
];

/// Reads the target map, lets `edit` change it, and writes it back when
/// `edit` says it changed.
fn edit_map(args: &mut dyn super::super::function::Args, edit: impl FnOnce(&mut Vec<(String, Value)>) -> bool) -> Result<Value, String> {
    let mut m = want_map(args.get(0)?)?;
    if edit(&mut m) {
        args.set(0, Value::Map(m))?;
    }
    Ok(Value::Nil)
}

fn delete_key(_: &CompileArgs<'_>) -> Made {
    described(Primitive::DeleteKey, |args| {
        let key = want_str(args.get(1)?)?;
        args.edit_map(0, MapEdit::Remove(&key))?;
        Ok(Value::Nil)
    })
}

fn delete_matching_keys(c: &CompileArgs<'_>) -> Made {
    matching_keys(c, "delete_matching_keys", false)
}

fn keep_matching_keys(c: &CompileArgs<'_>) -> Made {
    matching_keys(c, "keep_matching_keys", true)
}

/// Keeps the entries whose key the regex matches (`keep`), or those it
/// does not.
fn matching_keys(c: &CompileArgs<'_>, function: &str, keep: bool) -> Made {
    let re = lit_regex(c, 1, function)?;
    described(Primitive::MatchingKeys { regex: re.clone(), keep }, move |args| {
        args.edit_map(0, MapEdit::Retain(&mut |k| re.is_match(k) == keep))?;
        Ok(Value::Nil)
    })
}

fn keep_keys(c: &CompileArgs<'_>) -> Made {
    // The checker takes only a literal list of strings here.
    let keys = lit_str_list(c, 1);
    described(Primitive::KeepKeys { keys: keys.clone() }, move |args| {
        args.edit_map(0, MapEdit::Retain(&mut |k| keys.iter().any(|kept| kept == k)))?;
        Ok(Value::Nil)
    })
}

/// Keeps the priority keys that are present, then the other keys in map
/// order until `limit` entries remain. (The Collector's map order is
/// random, so which non-priority keys survive is unspecified there.)
fn limit(c: &CompileArgs<'_>) -> Made {
    let limit = lit_int(c, 1).unwrap_or(0);
    let keep = lit_str_list(c, 2);
    if limit < 0 {
        return Err((1, format!("invalid limit for limit function, {limit} cannot be negative")));
    }
    if (limit as u64) < keep.len() as u64 {
        return Err((1, format!("invalid limit for limit function, {limit} cannot be less than number of priority attributes {}", keep.len())));
    }
    let limit = limit as usize;
    func(move |args| {
        let Value::Map(mut m) = args.get(0)? else { return Ok(Value::Nil) };
        if m.len() <= limit {
            return Ok(Value::Nil);
        }
        let mut count = keep.iter().filter(|k| m.iter().any(|(mk, _)| mk == *k)).count();
        m.retain(|(k, _)| {
            if keep.contains(k) {
                return true;
            }
            count += 1;
            count <= limit
        });
        args.set(0, Value::Map(m))?;
        Ok(Value::Nil)
    })
}

/// Cuts every string value to at most `limit` bytes, marker included.
/// Strings are UTF-8 here, so the cut always lands on a character boundary
/// even with `utf8_safe = false` (where the Collector could split one).
fn truncate_all(c: &CompileArgs<'_>) -> Made {
    let limit = lit_int(c, 1).unwrap_or(0);
    if limit < 0 {
        return Err((1, format!("invalid limit for truncate_all function, {limit} cannot be negative")));
    }
    let marker = lit_str(c, 3).unwrap_or("").to_owned();
    if marker.len() as i64 > limit {
        return Err((3, format!("truncation_marker length ({}) cannot be greater than limit ({limit})", marker.len())));
    }
    let limit = limit as usize;
    let primitive = Primitive::TruncateAll { limit, marker: marker.clone() };
    described(primitive, move |args| {
        opt_bool(args, 2, true)?;
        args.edit_map(0, MapEdit::Strings { keep_up_to: limit, f: &mut |s| truncated(s, limit, &marker) })?;
        Ok(Value::Nil)
    })
}

/// `s` cut to at most `limit` bytes with `marker` at the end (which fits:
/// checked at load), if it is longer.
pub fn truncated(s: &str, limit: usize, marker: &str) -> Option<String> {
    if s.len() <= limit {
        return None;
    }
    let mut cut = limit - marker.len();
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    Some(format!("{}{marker}", &s[..cut]))
}

#[derive(Clone, Copy)]
enum Strategy {
    Insert,
    Update,
    Upsert,
}

fn merge_maps(c: &CompileArgs<'_>) -> Made {
    let strategy = match lit_str(c, 2).unwrap_or("") {
        "insert" => Strategy::Insert,
        "update" => Strategy::Update,
        "upsert" => Strategy::Upsert,
        other => return Err((2, format!("invalid value for strategy, {other}, must be 'insert', 'update' or 'upsert'"))),
    };
    func(move |args| {
        let source = want_map(args.get(1)?)?;
        edit_map(args, |m| {
            for (k, v) in source {
                let exists = m.iter().any(|(mk, _)| *mk == k);
                match (strategy, exists) {
                    (Strategy::Insert, false) | (Strategy::Upsert, _) | (Strategy::Update, true) => map_put(m, &k, v),
                    _ => {}
                }
            }
            true
        })
    })
}

/// Moves nested maps' entries to the root under dotted keys, and list
/// items under `key.index`, down to `depth` levels of maps.
fn flatten(c: &CompileArgs<'_>) -> Made {
    let prefix = lit_str(c, 1).unwrap_or("").to_owned();
    let depth = lit_int(c, 2).unwrap_or(i64::MAX);
    if depth < 0 {
        return Err((2, format!("invalid depth for flatten function, {depth} cannot be negative")));
    }
    func(move |args| {
        let conflict = opt_bool(args, 3, false)?;
        let m = want_map(args.get(0)?)?;
        let mut out = Flat { result: Vec::with_capacity(m.len()), seen: Vec::new(), conflict, max_depth: depth };
        out.walk(m, &prefix, 0);
        args.set(0, Value::Map(out.result))?;
        Ok(Value::Nil)
    })
}

struct Flat {
    result: Vec<(String, Value)>,
    /// With `resolveConflicts`: each key written, and the next suffix for it.
    seen: Vec<(String, usize)>,
    conflict: bool,
    max_depth: i64,
}

impl Flat {
    fn walk(&mut self, m: Vec<(String, Value)>, prefix: &str, depth: i64) {
        let dot = if prefix.is_empty() { String::new() } else { format!("{prefix}.") };
        for (k, v) in m {
            let key = format!("{dot}{k}");
            match v {
                Value::Map(inner) if depth < self.max_depth => self.walk(inner, &key, depth + 1),
                Value::List(items) if self.conflict => {
                    for item in items {
                        match item {
                            Value::Map(inner) if depth < self.max_depth => self.walk(inner, &key, depth + 1),
                            other => self.put(key.clone(), other),
                        }
                    }
                }
                Value::List(items) => {
                    for (i, item) in items.into_iter().enumerate() {
                        map_put(&mut self.result, &format!("{key}.{i}"), item);
                    }
                }
                other => self.put(key, other),
            }
        }
    }

    /// Writes a leaf; with conflict resolution a repeated key gets the
    /// next `.N` suffix instead of overwriting.
    fn put(&mut self, key: String, v: Value) {
        if !self.conflict {
            map_put(&mut self.result, &key, v);
            return;
        }
        match self.seen.iter_mut().find(|(k, _)| *k == key) {
            Some((_, next)) => {
                let suffixed = format!("{key}.{next}");
                *next += 1;
                map_put(&mut self.result, &suffixed, v);
            }
            None => {
                self.seen.push((key.clone(), 0));
                map_put(&mut self.result, &key, v);
            }
        }
    }
}
