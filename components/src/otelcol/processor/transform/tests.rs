//! Tests of the transform processor.
