//! `UUID()` and `UUIDv7()`: a new random (version 4) or time-ordered
//! (version 7) UUID each call, as lower-case hyphenated text. Like
//! `Now()`, they read the world, not the item: two calls never agree.

use super::super::function::FunctionDef;
use super::super::value::Value;
use super::common::func;

pub(super) const DEFS: &[FunctionDef] = &[
    FunctionDef { name: "UUID", params: &[], make: |_| func(|_| Ok(Value::Str(uuid::Uuid::new_v4().hyphenated().to_string()))) },
    FunctionDef { name: "UUIDv7", params: &[], make: |_| func(|_| Ok(Value::Str(uuid::Uuid::now_v7().hyphenated().to_string()))) },
];
