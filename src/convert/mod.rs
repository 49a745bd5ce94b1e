//! Translation of OpenTelemetry Collector YAML into Alloy: placeholder.
