//! Tests of the filter processor.
