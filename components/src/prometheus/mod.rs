//! `prometheus.*`: Prometheus samples, the interface between
//! `otelcol.exporter.prometheus` and its `forward_to` receivers.

pub mod expose;
