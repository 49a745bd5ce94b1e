//! The dependency graph: cycle detection and evaluation order.

use std::collections::BTreeMap;

use solder_syntax::Diagnostic;

use super::loader::Declaration;

/// Orders declarations so each follows the components it depends on, or
/// reports every cycle with all its members named. Ties keep file order.
pub fn order(decls: Vec<Declaration>) -> Result<Vec<Declaration>, Vec<Diagnostic>> {
    let index: BTreeMap<&str, usize> = decls.iter().enumerate().map(|(i, d)| (d.id.as_str(), i)).collect();
    let edges: Vec<Vec<usize>> = decls.iter().map(|d| d.depends_on.iter().filter_map(|id| index.get(id.as_str()).copied()).collect()).collect();

    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; decls.len()];
    let mut order = Vec::with_capacity(decls.len());
    let mut cycles: Vec<Vec<usize>> = Vec::new();
    // Iterative DFS; `stack` holds (node, next edge to look at).
    for start in 0..decls.len() {
        if marks[start] != Mark::New {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        marks[start] = Mark::Open;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = edges[node].get(*next) {
                *next += 1;
                match marks[dep] {
                    Mark::New => {
                        marks[dep] = Mark::Open;
                        stack.push((dep, 0));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        cycles.push(stack[from..].iter().map(|(n, _)| *n).collect());
                    }
                    Mark::Done => {}
                }
            } else {
                marks[node] = Mark::Done;
                order.push(node);
                stack.pop();
            }
        }
    }
    if !cycles.is_empty() {
        return Err(cycles.iter().map(|c| cycle_error(&decls, c)).collect());
    }
    let mut slots: Vec<Option<Declaration>> = decls.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

fn cycle_error(decls: &[Declaration], cycle: &[usize]) -> Diagnostic {
    // Arrows read "depends on", starting from the member declared first.
    // A custom component's hidden exports node is named as its instance.
    let mut names: Vec<&str> = cycle.iter().map(|&i| super::modules::shown_id(&decls[i].id)).collect();
    names.dedup();
    if let Some(first) = names.first().copied() {
        names.push(first);
    }
    let first = &decls[cycle[0]];
    let mut d = Diagnostic::error(first.block.name_span(), format!("cycle detected: {}", names.join(" -> ")))
        .with_source(&first.source)
        .with_help("a component cannot depend, directly or indirectly, on its own exports");
    for &i in &cycle[1..] {
        // Labels can only point into the primary file; members in other
        // files are named in the message.
        if std::sync::Arc::ptr_eq(&decls[i].source, &first.source) {
            d = d.with_label(decls[i].block.name_span(), format!("{} is part of the cycle", super::modules::shown_id(&decls[i].id)));
        }
    }
    d
}
