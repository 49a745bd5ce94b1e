//! `UserAgent(user_agent)`: the Collector's converter, which names the
//! client and its OS from a `User-Agent` string with the ua-parser
//! project's regex database (uap-core, read by uap-go there). The same
//! database is embedded here (`regexes.yaml`, its user-agent and OS
//! parsers) and read by the project's specification: the first regex that
//! matches decides; its groups give the family and the version parts,
//! unless the entry's replacements say otherwise (`$1`...`$9` in a
//! replacement stand for the groups); no match is the family "Other".
//!
//! The result is the Collector's map: `user_agent.name`,
//! `user_agent.original`, `user_agent.version` (major, minor and patch
//! joined with dots, empty parts left out), and `os.name` and
//! `os.version` when they are not empty.
//!
//! The database is compiled on the first call, not at start: an agent
//! whose statements never parse a user agent pays nothing for it. Results
//! are kept for the strings seen last, since a service sees few distinct
//! clients and trying several hundred regexes per item is not cheap.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use regex::Regex;
use yaml_rust2::{Yaml, YamlLoader};

use super::super::function::{CompileArgs, FunctionDef, Param, ParamKind::*};
use super::super::value::Value;
use super::common::{func, want_str, Made};

pub(super) const DEFS: &[FunctionDef] = &[FunctionDef { name: "UserAgent", params: &[Param::required("user_agent", Value)], make: user_agent }];

const DATABASE: &str = include_str!("regexes.yaml");

/// How many distinct strings each call site remembers.
const REMEMBERED: usize = 512;

/// Strings are read over their first this many bytes. Real user agents
/// are a few hundred bytes; a sender may write megabytes, which every
/// rule would read in turn and the cache would hold twice per entry. A
/// longer string is read over its start and not remembered.
pub(super) const LONGEST: usize = 1024;

fn user_agent(_: &CompileArgs<'_>) -> Made {
    let seen: Mutex<HashMap<String, Value>> = Mutex::new(HashMap::new());
    func(move |args| {
        let original = want_str(args.get(0)?)?;
        if original.len() > LONGEST {
            let head = (0..=LONGEST).rev().find(|&i| original.is_char_boundary(i)).unwrap_or(0);
            return Ok(Value::Map(database()?.parse(&original[..head], &original)));
        }
        if let Some(v) = seen.lock().ok().and_then(|m| m.get(&original).cloned()) {
            return Ok(v);
        }
        let parsed = Value::Map(database()?.parse(&original, &original));
        if let Ok(mut m) = seen.lock() {
            if m.len() >= REMEMBERED {
                m.clear();
            }
            m.insert(original, parsed.clone());
        }
        Ok(parsed)
    })
}

/// The compiled database, shared by every call site; an error if the
/// embedded file does not read (a build that could not pass its tests).
fn database() -> Result<&'static Database, String> {
    static DB: OnceLock<Result<Database, String>> = OnceLock::new();
    DB.get_or_init(|| Database::load(DATABASE)).as_ref().map_err(Clone::clone)
}

/// One regex and its replacement templates, in the order of the parts it
/// fills (family or OS name, then the version parts).
struct Rule {
    regex: Regex,
    templates: Vec<Option<String>>,
}

pub(super) struct Database {
    agents: Vec<Rule>,
    os: Vec<Rule>,
}

/// What one list of rules found: the name, then the version parts.
struct Found {
    name: String,
    version: Vec<String>,
}

impl Found {
    /// The version parts joined as uap-go's `ToVersionString` does: the
    /// major, then each further part that is not empty, after a dot.
    fn version(&self) -> String {
        let mut out = self.version.first().cloned().unwrap_or_default();
        for part in self.version.iter().skip(1).filter(|p| !p.is_empty()) {
            out.push('.');
            out.push_str(part);
        }
        out
    }
}

impl Database {
    pub(super) fn load(text: &str) -> Result<Database, String> {
        let docs = YamlLoader::load_from_str(text).map_err(|e| format!("the user-agent database does not read: {e}"))?;
        let doc = docs.first().ok_or("the user-agent database is empty")?;
        Ok(Database {
            agents: rules(&doc["user_agent_parsers"], &["family_replacement", "v1_replacement", "v2_replacement", "v3_replacement"])?,
            os: rules(&doc["os_parsers"], &["os_replacement", "os_v1_replacement", "os_v2_replacement", "os_v3_replacement", "os_v4_replacement"])?,
        })
    }

    /// The converter's map for `original`, read over `read` (all of it,
    /// or its start).
    pub(super) fn parse(&self, read: &str, original: &str) -> Vec<(String, Value)> {
        let agent = first_match(&self.agents, read, Lists::Agents);
        let os = first_match(&self.os, read, Lists::Os);
        let mut out = vec![
            ("user_agent.name".to_string(), Value::Str(agent.name.clone())),
            ("user_agent.original".to_string(), Value::str(original)),
            ("user_agent.version".to_string(), Value::Str(agent.version())),
        ];
        if !os.name.is_empty() {
            out.push(("os.name".to_string(), Value::Str(os.name.clone())));
        }
        let version = os.version();
        if !version.is_empty() {
            out.push(("os.version".to_string(), Value::Str(version)));
        }
        out
    }
}

fn rules(list: &Yaml, replacements: &[&str]) -> Result<Vec<Rule>, String> {
    let Yaml::Array(items) = list else { return Err("the user-agent database lacks a parser list".into()) };
    items
        .iter()
        .map(|item| {
            let pattern = item["regex"].as_str().ok_or("a user-agent rule has no regex")?;
            let regex = Regex::new(&crate::re2::translate(pattern)).map_err(|e| format!("user-agent regex {pattern:?}: {e}"))?;
            let templates = replacements.iter().map(|r| item[*r].as_str().map(str::to_owned)).collect();
            Ok(Rule { regex, templates })
        })
        .collect()
}

/// How a list's replacements are read (the specification's, as its
/// ports do): a user-agent family replacement may hold `$1`, its version
/// replacements are taken as written; an OS replacement may hold any
/// `$n`, and is trimmed.
#[derive(Clone, Copy, PartialEq)]
enum Lists {
    Agents,
    Os,
}

/// The parts the first matching rule gives: each part its replacement, or
/// else its group (the `i`th part is group `i+1`); a group that took no
/// part, or is missing, is empty. No match: "Other".
fn first_match(rules: &[Rule], s: &str, list: Lists) -> Found {
    for rule in rules {
        let Some(caps) = rule.regex.captures(s) else { continue };
        let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let mut parts = rule.templates.iter().enumerate().map(|(i, template)| match (template, list, i) {
            (Some(t), Lists::Agents, 0) => t.replace("$1", group(1)),
            (Some(t), Lists::Agents, _) => t.clone(),
            (Some(t), Lists::Os, _) => expand(t, &group).trim().to_string(),
            (None, _, _) => group(i + 1).to_string(),
        });
        let name = parts.next().unwrap_or_default();
        return Found { name, version: parts.collect() };
    }
    Found { name: "Other".to_string(), version: Vec::new() }
}

/// A replacement with each `$1`...`$9` replaced by that group.
fn expand<'g>(template: &str, group: &impl Fn(usize) -> &'g str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek().and_then(|d| d.to_digit(10))) {
            ('$', Some(n)) if n > 0 => {
                chars.next();
                out.push_str(group(n as usize));
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
