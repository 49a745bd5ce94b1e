//! RE2 patterns (Go's `regexp`, as Prometheus relabel rules and OTTL
//! write them) in the `regex` crate's syntax.
//!
//! The crate speaks nearly the same syntax. Where the two differ on input
//! that both accept, the pattern is rewritten so it means what it means in
//! RE2:
//! - `\d`, `\s`, `\w`, `\b` and their negations are ASCII in RE2 and
//!   Unicode in the crate;
//! - inside a class, `[`, `&&`, `--` and `~~` are set syntax in the crate
//!   and plain characters in RE2;
//! - `\Q...\E` quotes a literal in RE2 and is unknown to the crate;
//! - a `{` that does not open a repetition (`{n}`, `{n,}`, `{n,m}`) is a
//!   literal in RE2 and an error in the crate (grok's `%{NAME}`).

/// `pattern` with RE2's meaning in the crate's syntax.
pub fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    // Inside `[...]`, and whether the next char is the class's first
    // (where `]` is literal).
    let mut class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let first = std::mem::replace(&mut class_start, false);
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                if e == 'Q' {
                    let mut literal = String::new();
                    while let Some(q) = chars.next() {
                        if q == '\\' && chars.peek() == Some(&'E') {
                            chars.next();
                            break;
                        }
                        literal.push(q);
                    }
                    if class {
                        literal.chars().for_each(|q| push_class_literal(&mut out, q));
                    } else {
                        out.push_str(&regex::escape(&literal));
                    }
                } else {
                    out.push_str(&perl_class(e, class).unwrap_or_else(|| format!("\\{e}")));
                }
            }
            '[' if !class => {
                class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
            }
            '[' if chars.peek() == Some(&':') => {
                // `[:alpha:]`: the same in both.
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            ']' if class && !first => {
                class = false;
                out.push(']');
            }
            c if class => push_class_literal(&mut out, c),
            '{' if !opens_repetition(chars.clone()) => out.push_str("\\{"),
            c => out.push(c),
        }
    }
    out
}

/// Whether the text after a `{` completes a repetition: digits, then
/// optionally a comma and more digits, then `}`.
fn opens_repetition(mut rest: impl Iterator<Item = char>) -> bool {
    let mut digits = 0;
    let mut comma = false;
    for c in rest.by_ref() {
        match c {
            '0'..='9' => digits += 1,
            ',' if !comma && digits > 0 => comma = true,
            '}' => return digits > 0,
            _ => return false,
        }
    }
    false
}

/// A character inside a class, escaped where the crate would read it as
/// set syntax.
fn push_class_literal(out: &mut String, c: char) {
    if matches!(c, '[' | '&' | '~') || (c == '-' && out.ends_with('-')) {
        out.push('\\');
    }
    out.push(c);
}

/// RE2's ASCII meaning of a Perl class or word boundary escape.
fn perl_class(e: char, in_class: bool) -> Option<String> {
    let (set, negated) = match e {
        'd' => ("0-9", false),
        'D' => ("0-9", true),
        's' => ("\\t\\n\\f\\r ", false),
        'S' => ("\\t\\n\\f\\r ", true),
        'w' => ("0-9A-Za-z_", false),
        'W' => ("0-9A-Za-z_", true),
        'b' if !in_class => return Some("(?-u:\\b)".into()),
        'B' if !in_class => return Some("(?-u:\\B)".into()),
        _ => return None,
    };
    Some(match (in_class, negated) {
        (true, false) => set.to_string(),
        (_, true) => format!("[^{set}]"),
        (false, false) => format!("[{set}]"),
    })
}
