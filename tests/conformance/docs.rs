//! Reading a component's reference page and the README's component table
//! the way the conformance test needs them: argument names per block,
//! export names, and the `alloy` examples.

use std::collections::BTreeSet;

/// One `docs/components/<name>.md`.
pub struct Page {
    /// `(section, subsection)` → first-column names of each `| name |` table.
    tables: Vec<(String, String, Vec<String>)>,
    /// `###` headings under `## Blocks`.
    block_headings: Vec<String>,
    pub examples: Vec<String>,
}

impl Page {
    pub fn parse(text: &str) -> Page {
        let mut tables = Vec::new();
        let mut examples = Vec::new();
        let mut block_headings = Vec::new();
        let (mut section, mut subsection) = (String::new(), String::new());
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if let Some(h) = line.strip_prefix("## ") {
                section = h.trim().to_string();
                subsection.clear();
            } else if let Some(h) = line.strip_prefix("### ") {
                subsection = h.trim().to_string();
                if section == "Blocks" {
                    block_headings.push(subsection.clone());
                }
            } else if line.trim_start().starts_with("```alloy") {
                let mut block = String::new();
                for l in lines.by_ref() {
                    if l.trim_start().starts_with("```") {
                        break;
                    }
                    block.push_str(l);
                    block.push('\n');
                }
                examples.push(block);
            } else if line.starts_with('|') && first_cell(line) == "name" {
                let mut names = Vec::new();
                while let Some(row) = lines.next_if(|l| l.starts_with('|')) {
                    let cell = first_cell(row);
                    if !cell.chars().all(|c| c == '-' || c == ':') {
                        // One row may document several: `ca_file`, `ca_pem`.
                        names.extend(cell.split(',').map(|n| n.trim().trim_matches('`').to_string()).filter(|n| !n.is_empty()));
                    }
                }
                tables.push((section.clone(), subsection.clone(), names));
            }
        }
        Page { tables, block_headings, examples }
    }

    /// Every documented attribute, as a schema path (`client.tls.ca_file`).
    pub fn attributes(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        for (section, subsection, names) in &self.tables {
            match section.as_str() {
                "Arguments" => out.extend(names.iter().cloned()),
                "Blocks" if !subsection.is_empty() => {
                    for block in block_paths(subsection) {
                        out.extend(names.iter().map(|n| format!("{block}.{n}")));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Every documented block: a `###` heading under `## Blocks`, or a row
    /// of a `| name |` table directly under it.
    pub fn blocks(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.block_headings.iter().flat_map(|h| block_paths(h)).collect();
        for (section, subsection, names) in &self.tables {
            if section == "Blocks" && subsection.is_empty() {
                out.extend(names.iter().map(|n| n.replace(" > ", ".")));
            }
        }
        out
    }

    /// The `## Exports` table's names.
    pub fn exports(&self) -> BTreeSet<String> {
        self.tables.iter().filter(|(s, _, _)| s == "Exports").flat_map(|(_, _, n)| n.iter().cloned()).collect()
    }
}

/// `client > tls, http > tls (required)` → `["client.tls", "http.tls"]`.
fn block_paths(heading: &str) -> Vec<String> {
    let heading = heading.split(" (").next().unwrap_or(heading);
    heading.split(',').map(|p| p.trim().trim_matches('`').replace(" > ", ".")).filter(|p| !p.is_empty()).collect()
}

fn first_cell(row: &str) -> String {
    row.trim_start_matches('|').split('|').next().unwrap_or("").trim().to_string()
}

/// A row of the README's component table.
pub struct ComponentRow {
    pub name: String,
    pub stability: String,
    pub takes: String,
    pub gives: String,
}

/// The README's `| component | stability | ... |` table.
pub struct ComponentTable {
    pub rows: Vec<ComponentRow>,
}

impl ComponentTable {
    pub fn parse(text: &str) -> ComponentTable {
        let mut rows = Vec::new();
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if line.starts_with('|') && first_cell(line) == "component" {
                for row in lines.by_ref().take_while(|l| l.starts_with('|')) {
                    let cells: Vec<String> = row.trim_matches('|').split('|').map(|c| c.trim().to_string()).collect();
                    let name = cells.first().map(|c| c.trim_matches('`').trim_start_matches('[').split(']').next().unwrap_or("").trim_matches('`').to_string());
                    if let (Some(name), Some(stability)) = (name, cells.get(1)) {
                        if !name.chars().all(|c| c == '-' || c == ':') {
                            let cell = |i: usize| cells.get(i).cloned().unwrap_or_default();
                            rows.push(ComponentRow { name, stability: stability.clone(), takes: cell(2), gives: cell(3) });
                        }
                    }
                }
            }
        }
        ComponentTable { rows }
    }
}
