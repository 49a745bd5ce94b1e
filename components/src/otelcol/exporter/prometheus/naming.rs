//! The OpenTelemetry Collector's rules for Prometheus names: metric names
//! with unit and type suffixes, and label names.

/// What a metric's type adds to its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A monotonic sum: gets `_total`.
    Counter,
    /// A gauge: unit `1` becomes `_ratio`.
    Gauge,
    /// Histograms, summaries and non-monotonic sums.
    Other,
}

/// The Prometheus name of an OTLP metric. With suffixes, the name is split
/// into words on anything that is not a letter or digit, the unit's words
/// are appended unless already there, then `total` or `ratio`; without,
/// invalid characters just become `_`.
pub fn metric_name(name: &str, unit: &str, kind: NameKind, add_suffixes: bool) -> String {
    if !add_suffixes {
        return prefix_digit(name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == ':' { c } else { '_' }).collect());
    }
    let mut tokens: Vec<String> = name.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty()).map(String::from).collect();
    let (main, per) = unit_words(unit);
    if !main.is_empty() && !tokens.contains(&main) {
        tokens.push(main);
    }
    if !per.is_empty() && !tokens.contains(&per) {
        tokens.push("per".into());
        tokens.push(per);
    }
    let last = match kind {
        NameKind::Counter => Some("total"),
        NameKind::Gauge if unit == "1" => Some("ratio"),
        _ => None,
    };
    if let Some(last) = last {
        tokens.retain(|t| t != last);
        tokens.push(last.into());
    }
    prefix_digit(tokens.join("_"))
}

/// The unit as Prometheus spells it, for `# UNIT`: `"milliseconds"`,
/// `"bytes_per_second"`, or empty.
pub fn unit_name(unit: &str) -> String {
    match unit_words(unit) {
        (main, per) if per.is_empty() => main,
        (main, per) if main.is_empty() => format!("per_{per}"),
        (main, per) => format!("{main}_per_{per}"),
    }
}

/// A label name: invalid characters become `_`; a leading digit gets
/// `key_` and a single leading `_` gets `key`, as the Collector does.
pub fn label_name(key: &str) -> String {
    let clean: String = key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if clean.starts_with(|c: char| c.is_ascii_digit()) {
        format!("key_{clean}")
    } else if clean.starts_with('_') && !clean.starts_with("__") {
        format!("key{clean}")
    } else {
        clean
    }
}

/// The main and per-unit words of a UCUM unit (`"By/s"` → bytes, second).
/// Annotations in braces (`{request}`) name no unit and are dropped.
fn unit_words(unit: &str) -> (String, String) {
    let (main, per) = unit.split_once('/').unwrap_or((unit, ""));
    let word = |u: &str, map: fn(&str) -> Option<&'static str>| {
        let u = u.trim();
        if u.is_empty() || u.contains(['{', '}']) {
            return String::new();
        }
        clean(map(u).unwrap_or(u))
    };
    (word(main, main_unit), word(per, per_unit))
}

fn main_unit(u: &str) -> Option<&'static str> {
    Some(match u {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        _ => return None,
    })
}

fn per_unit(u: &str) -> Option<&'static str> {
    Some(match u {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        _ => return None,
    })
}

/// Non-alphanumerics to `_`, collapsed and trimmed.
fn clean(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|t| !t.is_empty()).collect::<Vec<_>>().join("_")
}

fn prefix_digit(name: String) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}
