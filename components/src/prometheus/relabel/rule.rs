//! A relabel `rule` block: its arguments with Alloy's defaults, the checks
//! Alloy makes on them (with Alloy's wording), and the compiled rule.

use regex::Regex;
use serde::Deserialize;

use super::re2;
use crate::component::ArgumentError;

/// One `rule { ... }` block as written. Every argument is optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleArgs {
    /// Labels whose values are joined with `separator` and matched
    /// against `regex`. Default none.
    #[serde(default)]
    pub source_labels: Option<Vec<String>>,
    /// What joins the source label values. Default `";"`.
    #[serde(default = "default_separator")]
    pub separator: String,
    /// An RE2 expression, anchored at both ends. Default `"(.*)"`.
    #[serde(default = "default_regex")]
    pub regex: String,
    /// What `hashmod` takes the hash modulo. Default 0 (required for
    /// `hashmod`).
    #[serde(default)]
    pub modulus: u64,
    /// The label written to. Default `""`.
    #[serde(default)]
    pub target_label: String,
    /// What is written, with `$1`, `${1}` and `${name}` expanded.
    /// Default `"$1"`.
    #[serde(default = "default_replacement")]
    pub replacement: String,
    /// One of the actions below. Default `"replace"`.
    #[serde(default = "default_action")]
    pub action: String,
}

pub const DEFAULT_SEPARATOR: &str = ";";
pub const DEFAULT_REGEX: &str = "(.*)";
pub const DEFAULT_REPLACEMENT: &str = "$1";

fn default_separator() -> String {
    DEFAULT_SEPARATOR.into()
}
fn default_regex() -> String {
    DEFAULT_REGEX.into()
}
fn default_replacement() -> String {
    DEFAULT_REPLACEMENT.into()
}
fn default_action() -> String {
    "replace".into()
}

impl Default for RuleArgs {
    fn default() -> RuleArgs {
        RuleArgs {
            source_labels: None,
            separator: default_separator(),
            regex: default_regex(),
            modulus: 0,
            target_label: String::new(),
            replacement: default_replacement(),
            action: default_action(),
        }
    }
}

/// What a rule does, as Prometheus names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Replace,
    Keep,
    Drop,
    KeepEqual,
    DropEqual,
    HashMod,
    LabelMap,
    LabelDrop,
    LabelKeep,
    Lowercase,
    Uppercase,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "replace" => Action::Replace,
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "keepequal" => Action::KeepEqual,
            "dropequal" => Action::DropEqual,
            "hashmod" => Action::HashMod,
            "labelmap" => Action::LabelMap,
            "labeldrop" => Action::LabelDrop,
            "labelkeep" => Action::LabelKeep,
            "lowercase" => Action::Lowercase,
            "uppercase" => Action::Uppercase,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Replace => "replace",
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::KeepEqual => "keepequal",
            Action::DropEqual => "dropequal",
            Action::HashMod => "hashmod",
            Action::LabelMap => "labelmap",
            Action::LabelDrop => "labeldrop",
            Action::LabelKeep => "labelkeep",
            Action::Lowercase => "lowercase",
            Action::Uppercase => "uppercase",
        }
    }
}

/// A checked rule, its regex compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    pub source_labels: Vec<String>,
    pub separator: String,
    pub regex: Regex,
    pub modulus: u64,
    pub target_label: String,
    pub replacement: String,
    pub action: Action,
    /// The block it came from, for the `rules` export and the UI.
    pub args: RuleArgs,
}

/// The rules of a component, applied in the order written.
#[derive(Debug, Clone, Default)]
pub struct Rules(pub Vec<Rule>);

impl Rules {
    /// Checks and compiles `rule` blocks; an error names the block
    /// (`rule[2].regex`) and uses Alloy's message.
    pub fn compile(blocks: &[RuleArgs]) -> Result<Rules, ArgumentError> {
        blocks
            .iter()
            .enumerate()
            .map(|(i, b)| Rule::compile(b).map_err(|(field, m)| ArgumentError::new(format!("rule[{i}]{field}"), m)))
            .collect::<Result<_, _>>()
            .map(Rules)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The blocks the rules were compiled from.
    pub fn args(&self) -> Vec<RuleArgs> {
        self.0.iter().map(|r| r.args.clone()).collect()
    }
}

impl Rule {
    /// Alloy's checks, in Alloy's order. The error is the field's path
    /// suffix (`.action`, or `""` for the block) and the message.
    fn compile(a: &RuleArgs) -> Result<Rule, (&'static str, String)> {
        use Action::*;
        let action = Action::parse(&a.action).ok_or_else(|| (".action", format!("unrecognized action type {:?}", a.action)))?;
        let regex = re2::compile(&a.regex).map_err(|e| (".regex", format!("invalid regex {:?}: {e}", a.regex)))?;
        let name = action.as_str();
        let invalid_target = || Err((".target_label", format!("{:?} is invalid 'target_label' for {name} action", a.target_label)));
        if action == HashMod && a.modulus == 0 {
            return Err((".modulus", "relabel configuration for hashmod requires non-zero modulus".into()));
        }
        let writes = matches!(action, Replace | HashMod | Lowercase | Uppercase | KeepEqual | DropEqual);
        if writes && a.target_label.is_empty() {
            return Err(("", format!("relabel configuration for {name} action requires 'target_label' value")));
        }
        // Only `replace` expands its target; the others write (or
        // compare) the name as written, so it must be a label name, as
        // Prometheus checks (Alloy lets `${1}` through here).
        if action == Replace && !is_relabel_target(&a.target_label) {
            return invalid_target();
        }
        if matches!(action, Lowercase | Uppercase | KeepEqual | DropEqual) && !is_label_name(&a.target_label) {
            return invalid_target();
        }
        if matches!(action, Lowercase | Uppercase | KeepEqual | DropEqual) && a.replacement != DEFAULT_REPLACEMENT {
            return Err((".replacement", format!("'replacement' can not be set for {name} action")));
        }
        if action == LabelMap && !is_relabel_target(&a.replacement) {
            return Err((".replacement", format!("{:?} is invalid 'replacement' for {name} action", a.replacement)));
        }
        if action == HashMod && !is_label_name(&a.target_label) {
            return invalid_target();
        }
        let only_regex = a.source_labels.is_none()
            && a.target_label.is_empty()
            && a.modulus == 0
            && a.separator == DEFAULT_SEPARATOR
            && a.replacement == DEFAULT_REPLACEMENT;
        if matches!(action, LabelDrop | LabelKeep) && !only_regex {
            return Err(("", format!("{name} action requires only 'regex', and no other fields")));
        }
        let only_labels = a.regex == DEFAULT_REGEX && a.modulus == 0 && a.separator == DEFAULT_SEPARATOR && a.replacement == DEFAULT_REPLACEMENT;
        if matches!(action, KeepEqual | DropEqual) && !only_labels {
            return Err(("", format!("{name} action requires only 'source_labels' and 'target_label', and no other fields")));
        }
        Ok(Rule {
            source_labels: a.source_labels.clone().unwrap_or_default(),
            separator: a.separator.clone(),
            regex,
            modulus: a.modulus,
            target_label: a.target_label.clone(),
            replacement: a.replacement.clone(),
            action,
            args: a.clone(),
        })
    }
}

/// A legacy Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`. Alloy
/// validates label names the legacy way unless told otherwise.
pub fn is_label_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// A legacy metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`.
pub fn is_metric_name(s: &str) -> bool {
    let mut b = s.bytes();
    b.next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b':') && b.all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

/// Whether `s` is a label name that may hold `$1`, `${1}` or `${name}`
/// references: Prometheus's `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`.
/// It starts with a letter, `_` or a reference; after that every
/// character is a word character or starts a reference.
pub fn is_relabel_target(s: &str) -> bool {
    let b = s.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'$' {
            let braced = b.get(i + 1) == Some(&b'{');
            let start = i + 1 + usize::from(braced);
            let end = start + b[start..].iter().take_while(|c| word(**c)).count();
            if end == start || (braced && b.get(end) != Some(&b'}')) {
                return false;
            }
            i = end + usize::from(braced);
        } else if word(b[i]) && (i > 0 || !b[i].is_ascii_digit()) {
            i += 1;
        } else {
            return false;
        }
    }
    !b.is_empty()
}
