//! Placeholder.

use crate::value::{CallError, Value};

pub fn json_path(_args: &[Value]) -> Result<Value, CallError> {
    Err(CallError::new("not yet"))
}
