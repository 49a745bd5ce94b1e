//! Collector component IDs, kinds and signals, and the Alloy labels derived
//! from them.

use super::emit::sanitize_label;

/// The section of the collector config a component is defined in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Receiver,
    Processor,
    Exporter,
    Connector,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Receiver => "receiver",
            Kind::Processor => "processor",
            Kind::Exporter => "exporter",
            Kind::Connector => "connector",
        }
    }

    /// The top-level YAML section.
    pub fn section(self) -> &'static str {
        match self {
            Kind::Receiver => "receivers",
            Kind::Processor => "processors",
            Kind::Exporter => "exporters",
            Kind::Connector => "connectors",
        }
    }
}

/// A telemetry signal; a pipeline carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Signal {
    Metrics,
    Logs,
    Traces,
}

impl Signal {
    pub const ALL: &'static [Signal] = &[Signal::Metrics, Signal::Logs, Signal::Traces];

    pub fn parse(s: &str) -> Option<Signal> {
        match s {
            "metrics" => Some(Signal::Metrics),
            "logs" => Some(Signal::Logs),
            "traces" => Some(Signal::Traces),
            _ => None,
        }
    }

    /// The attribute of an Alloy `output` block for this signal.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Metrics => "metrics",
            Signal::Logs => "logs",
            Signal::Traces => "traces",
        }
    }
}

/// `type` or `type/name`, as written in the collector config.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ComponentId {
    pub ty: String,
    pub name: Option<String>,
}

impl ComponentId {
    /// Parses an ID, or says what is wrong with it in the Collector's words.
    pub fn parse(s: &str) -> Result<ComponentId, String> {
        let (ty, name) = match s.split_once('/') {
            Some((ty, name)) => (ty, Some(name)),
            None => (s, None),
        };
        let ty_ok = ty.starts_with(|c: char| c.is_ascii_alphabetic()) && ty.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ty_ok {
            return Err(format!("invalid component ID {s:?}: the type must start with a letter and hold only letters, digits and '_'"));
        }
        if name.is_some_and(|n| n.is_empty() || n.contains('/')) {
            return Err(format!("invalid component ID {s:?}: the name after '/' must be non-empty and hold no further '/'"));
        }
        Ok(ComponentId { ty: ty.to_string(), name: name.map(str::to_string) })
    }

    /// The Alloy label: `default` for `otlp`, `foo` for `otlp/foo`.
    pub fn label(&self) -> String {
        self.name.as_deref().map_or_else(|| "default".to_string(), sanitize_label)
    }
}

impl std::fmt::Display for ComponentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{}/{}", self.ty, n),
            None => f.write_str(&self.ty),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_alloy() {
        assert_eq!(ComponentId::parse("otlp").unwrap().label(), "default");
        assert_eq!(ComponentId::parse("otlp/foo").unwrap().label(), "foo");
        assert_eq!(ComponentId::parse("otlphttp/tempo-eu").unwrap().label(), "tempo_eu");
        assert_eq!(ComponentId::parse("otlp/2").unwrap().to_string(), "otlp/2");
        assert!(ComponentId::parse("otlp/").is_err());
        assert!(ComponentId::parse("").is_err());
    }
}
