//! Grok's expansion: references replaced by their definitions, and the
//! named groups of the result numbered so one name may repeat.

use std::collections::HashMap;

use super::grok::Definitions;

/// The longest expanded pattern compiled, in bytes: past it a pattern
/// (say, definitions that double at every level) is refused before the
/// regex crate sees it.
pub(super) const MAX_EXPANDED: usize = 1 << 20;
/// How deep references may nest, as the Collector's 1000 rounds.
const MAX_DEPTH: usize = 1000;

/// `pattern` with every reference expanded, and the type hint each ID
/// (as the regex spells it) ends with.
pub(super) fn expand(pattern: &str, defs: &Definitions, named_only: bool) -> Result<(String, HashMap<String, String>), String> {
    let mut expander = Expander { defs, named_only, out: String::with_capacity(pattern.len()), hints: HashMap::new(), path: Vec::new() };
    expander.expand(pattern)?;
    let hints = expander.hints.into_iter().map(|(id, (_, ty))| (id, ty)).collect();
    Ok((expander.out, hints))
}

/// Writes a pattern with its references replaced, depth first.
struct Expander<'a> {
    defs: &'a Definitions,
    named_only: bool,
    out: String,
    /// Type hints by ID as the regex spells it, with the depth each was
    /// written at: the Collector expands a level at a time, left to right,
    /// so the deepest, then rightmost, hint of an ID wins.
    hints: HashMap<String, (usize, String)>,
    /// The definitions being expanded, outermost first.
    path: Vec<String>,
}

impl Expander<'_> {
    fn expand(&mut self, text: &str) -> Result<(), String> {
        let mut rest = text;
        while let Some((at, reference)) = next_reference(rest) {
            self.push(&rest[..at])?;
            rest = &rest[at + reference.len + 3..];
            let defs = self.defs;
            let Some(definition) = defs.lookup(reference.syntax) else {
                return Err(format!("pattern definition {:?} unknown: parsing failed", reference.syntax));
            };
            let depth = self.path.len();
            let id = reference.id.map(|id| id.replace('.', "___"));
            if let (Some(id), Some(ty)) = (&id, reference.ty) {
                if self.hints.get(id).is_none_or(|(d, _)| *d <= depth) {
                    self.hints.insert(id.clone(), (depth, ty.to_owned()));
                }
            }
            if self.path.iter().any(|p| p == reference.syntax) {
                return Err(format!("pattern definition {:?} refers to itself ({} -> {})", reference.syntax, self.path.join(" -> "), reference.syntax));
            }
            if depth >= MAX_DEPTH {
                return Err(format!("pattern definitions refer to one another more than {MAX_DEPTH} deep"));
            }
            match (&id, self.named_only) {
                (None, true) => self.push("(?:")?,
                _ => {
                    let name = id.as_deref().unwrap_or(reference.syntax);
                    self.push("(?P<")?;
                    self.push(name)?;
                    self.push(">")?;
                }
            }
            self.path.push(reference.syntax.to_owned());
            self.expand(definition)?;
            self.path.pop();
            self.push(")")?;
        }
        self.push(rest)
    }

    fn push(&mut self, s: &str) -> Result<(), String> {
        if self.out.len() + s.len() > MAX_EXPANDED {
            return Err(format!("the expanded grok pattern is longer than {MAX_EXPANDED} bytes"));
        }
        self.out.push_str(s);
        Ok(())
    }
}

/// A `%{SYNTAX:ID:TYPE}` reference; `len` is the inside's length.
struct Reference<'a> {
    syntax: &'a str,
    id: Option<&'a str>,
    ty: Option<&'a str>,
    len: usize,
}

/// The first reference in `s` and where it starts. A reference is what
/// the Collector's `%{(\w+(?::[\w+.]+(?::\w+)?)?)}` matches; anything else
/// (`%{a b}`, `%{A:b:c:d}`) is left as regex text.
fn next_reference(s: &str) -> Option<(usize, Reference<'_>)> {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let id_char = |c: u8| word(c) || c == b'+' || c == b'.';
    let bytes = s.as_bytes();
    let run = |from: usize, ok: &dyn Fn(u8) -> bool| bytes[from..].iter().take_while(|&&c| ok(c)).count();
    let mut from = 0;
    while let Some(found) = s[from..].find("%{") {
        let at = from + found;
        from = at + 1;
        let start = at + 2;
        let syntax_end = start + run(start, &word);
        if syntax_end == start {
            continue;
        }
        let mut end = syntax_end;
        let mut id = None;
        let mut ty = None;
        if bytes.get(end) == Some(&b':') {
            let id_end = end + 1 + run(end + 1, &id_char);
            if id_end == end + 1 {
                continue;
            }
            id = Some(&s[end + 1..id_end]);
            end = id_end;
            if bytes.get(end) == Some(&b':') {
                let ty_end = end + 1 + run(end + 1, &word);
                if ty_end == end + 1 {
                    continue;
                }
                ty = Some(&s[end + 1..ty_end]);
                end = ty_end;
            }
        }
        if bytes.get(end) == Some(&b'}') {
            return Some((at, Reference { syntax: &s[start..syntax_end], id, ty, len: end - start }));
        }
    }
    None
}

/// Renames the named groups of `re` (already in the crate's syntax) `g0`,
/// `g1`, ... in the order they open, and returns the names they had. A
/// name must be ASCII letters, digits, `_` or `.`, else the pattern is
/// refused as Go refuses it.
pub(super) fn number_groups(re: &str) -> Result<(String, Vec<String>), String> {
    let mut out = String::with_capacity(re.len());
    let mut names = Vec::new();
    let mut chars = re.char_indices().peekable();
    let mut class = false;
    while let Some((i, c)) = chars.next() {
        out.push(c);
        match c {
            '\\' => {
                if let Some((_, e)) = chars.next() {
                    out.push(e);
                }
            }
            '[' if !class => {
                class = true;
                // `[^]...]` and `[]...]`: the `]` is a member.
                if let Some((_, '^')) = chars.peek() {
                    out.push('^');
                    chars.next();
                }
                if let Some((_, ']')) = chars.peek() {
                    out.push(']');
                    chars.next();
                }
            }
            '[' if matches!(chars.peek(), Some((_, ':'))) => {
                for (_, p) in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            ']' if class => class = false,
            '(' if !class => {
                let after = &re[i + 1..];
                let Some(open) = ["?P<", "?<"].into_iter().find(|o| after.starts_with(o) && !after.starts_with("?<=") && !after.starts_with("?<!")) else {
                    continue;
                };
                let name_at = i + 1 + open.len();
                let Some(len) = re[name_at..].find('>') else { continue };
                let name = &re[name_at..name_at + len];
                if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') {
                    return Err(format!("error parsing regexp: invalid named capture: `{}`", &re[i..=name_at + len]));
                }
                out.push_str(&format!("?P<g{}>", names.len()));
                names.push(name.to_owned());
                while chars.peek().is_some_and(|(j, _)| *j <= name_at + len) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    Ok((out, names))
}
