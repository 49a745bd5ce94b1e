//! Being written in this session.
fn main() {}
