mod component;
mod engine;
mod table;

use serde::Deserialize;
use solder_syntax::Scope;

use super::{Labels, RuleArgs, Rules};
use crate::component::ArgumentError;

/// `rule` blocks, decoded from Alloy text as a component's are.
#[derive(Deserialize)]
struct Blocks {
    #[serde(default)]
    rule: Vec<RuleArgs>,
}

/// `text` may put a block on one line, as the tables do: each attribute
/// goes on a line of its own before it is parsed.
fn compile(text: &str) -> Result<Rules, ArgumentError> {
    let split = regex::Regex::new(r#"(\{|"|\]|[0-9]) +([a-z_]+ =)"#).unwrap_or_else(|e| panic!("{e}"));
    let text = &split.replace_all(text, "$1\n$2").replace(" }", "\n}");
    let body = crate::harness::evaluate("test.rules", text, &Scope::new()).unwrap_or_else(|d| panic!("{text}: {}", d.message));
    let blocks: Blocks = crate::decode::decode(&body).unwrap_or_else(|d| panic!("{text}: {}", d.message));
    Rules::compile(&blocks.rule)
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    let mut l: Labels = pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    l.sort();
    l
}
