//! The XPath subset that Solder's XML editors accept, compiled when the
//! configuration loads. Anything outside it is a load error naming what
//! is supported, never a guess at what a fuller XPath would select.
//!
//! Supported: `/` (the document); absolute paths of `/` and `//` steps; a
//! step is a name (`a`, `p:a`) or `*`, with any number of predicates, and
//! the last step may instead be `@name`, `@*`, `text()` or `comment()`. A
//! predicate is a position (`[1]`), a relative path of names that may end
//! in an attribute (`[@id]`, `[./Name/@type]`, `[b/c]`), such a path
//! compared to a string (`[@b='c']`, `[./Name/@type="archive"]`), or
//! `contains(text(), 'word')`. As in the Collector's XPath library, a name
//! without a prefix matches elements by local name alone.

use super::xml_dom::{Dom, Id, Kind, DOC};
use super::xml_tree::local;

/// A compiled path.
#[derive(Debug, Clone)]
pub(super) struct XPath {
    steps: Vec<Step>,
}

#[derive(Debug, Clone)]
struct Step {
    /// Reached through `//`: any descendant-or-self of the context first.
    descendant: bool,
    test: Test,
    preds: Vec<Pred>,
}

#[derive(Debug, Clone)]
enum Test {
    /// An element; `None` for `*`.
    Element(Option<String>),
    /// An attribute; `None` for `@*`.
    Attr(Option<String>),
    Text,
    Comment,
}

#[derive(Debug, Clone)]
enum Pred {
    Position(usize),
    Exists(RelPath),
    Equals(RelPath, String),
    ContainsText(String),
}

/// `./a/b/@c`: child element names, then maybe an attribute.
#[derive(Debug, Clone)]
struct RelPath {
    elements: Vec<String>,
    attr: Option<String>,
}

/// What a path selects.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Hit {
    Node(Id),
    /// An attribute as it was when selected: its element, name as
    /// written, and value.
    Attr {
        element: Id,
        name: String,
        value: String,
    },
}

const SUPPORTED: &str = "Solder supports `/`, absolute paths of `/` and `//` steps naming elements (or `*`), ending in `@name`, `@*`, `text()` or `comment()` if wanted, with predicates `[n]`, `[@a]`, `[@a='v']`, `[./b/@a='v']` and `[contains(text(), 'v')]`";

impl XPath {
    /// Compiles `text`; the error says why and what is supported.
    pub(super) fn compile(text: &str) -> Result<XPath, String> {
        let bad = |why: &str| format!("unsupported XPath {text:?}: {why}. {SUPPORTED}");
        let t = text.trim();
        if t == "/" {
            return Ok(XPath { steps: Vec::new() });
        }
        if !t.starts_with('/') {
            return Err(bad("only absolute paths"));
        }
        let mut steps = Vec::new();
        let mut rest = t;
        while !rest.is_empty() {
            let descendant = rest.starts_with("//");
            rest = rest.strip_prefix("//").or_else(|| rest.strip_prefix('/')).ok_or_else(|| bad("a step must follow `/`"))?;
            let (raw, after) = split_step(rest).ok_or_else(|| bad("an unclosed `[`"))?;
            if matches!(steps.last(), Some(Step { test: Test::Attr(_) | Test::Text | Test::Comment, .. })) {
                return Err(bad("only the last step may select attributes, text or comments"));
            }
            steps.push(step(raw, descendant).map_err(|why| bad(&why))?);
            rest = after;
        }
        Ok(XPath { steps })
    }

    /// The nodes and attributes `self` selects in `dom`, in document order.
    pub(super) fn select(&self, dom: &Dom) -> Vec<Hit> {
        let order = preorder(dom);
        let mut context = vec![DOC];
        for step in &self.steps {
            let bases: Vec<Id> = if step.descendant { context.iter().flat_map(|&c| descendants(dom, c)).collect() } else { context.clone() };
            let bases = sorted(bases, &order);
            match &step.test {
                Test::Attr(name) => {
                    // The last step: attributes of each element.
                    return bases
                        .into_iter()
                        .filter(|&b| dom.nodes[b].kind == Kind::Element)
                        .flat_map(|b| {
                            dom.nodes[b]
                                .attrs
                                .iter()
                                .filter(|(k, _)| name.as_deref().is_none_or(|n| name_matches(n, k)))
                                .map(move |(k, v)| Hit::Attr { element: b, name: k.clone(), value: v.clone() })
                                .collect::<Vec<_>>()
                        })
                        .collect();
                }
                test => {
                    let mut next = Vec::new();
                    for b in bases {
                        let mut found: Vec<Id> = dom.children(b).filter(|&c| matches_test(dom, c, test)).collect();
                        for pred in &step.preds {
                            found = found.into_iter().enumerate().filter(|&(pos, c)| holds(dom, c, pos + 1, pred)).map(|(_, c)| c).collect();
                        }
                        next.extend(found);
                    }
                    context = sorted(next, &order);
                }
            }
        }
        context.into_iter().map(Hit::Node).collect()
    }
}

/// One step's text and what follows it, `[...]` kept whole.
fn split_step(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0usize;
    for (i, c) in unquoted(s) {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.checked_sub(1)?,
            '/' if depth == 0 => return Some((&s[..i], &s[i..])),
            _ => {}
        }
    }
    (depth == 0).then_some((s, ""))
}

/// The characters of `s` outside quoted strings, with their offsets.
fn unquoted(s: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut quote = None;
    s.char_indices().filter(move |&(_, c)| match quote {
        Some(q) => {
            if c == q {
                quote = None;
            }
            false
        }
        None if c == '\'' || c == '"' => {
            quote = Some(c);
            false
        }
        None => true,
    })
}

fn step(raw: &str, descendant: bool) -> Result<Step, String> {
    let (head, mut preds_text) = match raw.find('[') {
        Some(i) => (&raw[..i], &raw[i..]),
        None => (raw, ""),
    };
    let test = match head.trim() {
        "" => return Err("an empty step".into()),
        "text()" => Test::Text,
        "comment()" => Test::Comment,
        "*" => Test::Element(None),
        "@*" => Test::Attr(None),
        h => match h.strip_prefix('@') {
            Some(a) if is_name(a) => Test::Attr(Some(a.to_owned())),
            None if is_name(h) => Test::Element(Some(h.to_owned())),
            _ => return Err(format!("the step {h:?}")),
        },
    };
    let mut preds = Vec::new();
    while !preds_text.is_empty() {
        let inner = preds_text.strip_prefix('[').ok_or("text after a predicate")?;
        let (body, after) = split_bracket(inner).ok_or("an unclosed `[`")?;
        preds.push(pred(body.trim())?);
        preds_text = after.trim_start();
    }
    if !preds.is_empty() && !matches!(test, Test::Element(_)) {
        return Err("predicates on attributes, text or comments".into());
    }
    Ok(Step { descendant, test, preds })
}

/// The text up to the `]` closing a predicate, and what follows it.
fn split_bracket(s: &str) -> Option<(&str, &str)> {
    match unquoted(s).find(|&(_, c)| c == '[' || c == ']')? {
        (i, ']') => Some((&s[..i], &s[i + 1..])),
        _ => None,
    }
}

fn pred(body: &str) -> Result<Pred, String> {
    if let Ok(n) = body.parse::<usize>() {
        return if n == 0 { Err("position 0".into()) } else { Ok(Pred::Position(n)) };
    }
    if let Some(args) = body.strip_prefix("contains(").and_then(|r| r.strip_suffix(')')) {
        let (first, lit) = args.split_once(',').ok_or("contains() wants two arguments")?;
        if first.trim() != "text()" {
            return Err("contains() over anything but text()".into());
        }
        return Ok(Pred::ContainsText(literal(lit.trim())?));
    }
    match body.split_once('=') {
        Some((path, lit)) if !path.ends_with('!') => Ok(Pred::Equals(rel_path(path.trim())?, literal(lit.trim())?)),
        Some(_) => Err(format!("the predicate {body:?}")),
        None => Ok(Pred::Exists(rel_path(body)?)),
    }
}

fn literal(s: &str) -> Result<String, String> {
    let quoted = |q: char| s.strip_prefix(q).and_then(|r| r.strip_suffix(q)).filter(|inner| !inner.contains(q));
    quoted('\'').or_else(|| quoted('"')).map(str::to_owned).ok_or_else(|| format!("{s:?} is not a string literal"))
}

fn rel_path(s: &str) -> Result<RelPath, String> {
    let s = s.strip_prefix("./").unwrap_or(s);
    let mut elements = Vec::new();
    let mut attr = None;
    let parts: Vec<&str> = s.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        match part.strip_prefix('@') {
            Some(a) if i + 1 == parts.len() && is_name(a) => attr = Some(a.to_owned()),
            None if is_name(part) => elements.push((*part).to_owned()),
            _ => return Err(format!("the predicate path {s:?}")),
        }
    }
    Ok(RelPath { elements, attr })
}

/// An XML name, maybe with one prefix.
fn is_name(s: &str) -> bool {
    let part =
        |p: &str| p.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_') && p.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'));
    match s.split_once(':') {
        Some((p, l)) => part(p) && part(l),
        None => part(s),
    }
}

/// A name test against a name as written: unprefixed tests match the
/// local part alone.
fn name_matches(test: &str, name: &str) -> bool {
    if test.contains(':') {
        test == name
    } else {
        local(name) == test
    }
}

fn element_name(dom: &Dom, n: Id) -> String {
    let node = &dom.nodes[n];
    if node.prefix.is_empty() {
        node.data.clone()
    } else {
        format!("{}:{}", node.prefix, node.data)
    }
}

fn matches_test(dom: &Dom, n: Id, test: &Test) -> bool {
    let kind = dom.nodes[n].kind;
    match test {
        Test::Element(name) => kind == Kind::Element && name.as_deref().is_none_or(|t| name_matches(t, &element_name(dom, n))),
        Test::Text => matches!(kind, Kind::Text | Kind::CData),
        Test::Comment => kind == Kind::Comment,
        Test::Attr(_) => false,
    }
}

fn holds(dom: &Dom, n: Id, position: usize, pred: &Pred) -> bool {
    match pred {
        Pred::Position(p) => position == *p,
        Pred::Exists(path) => !values(dom, n, path).is_empty(),
        Pred::Equals(path, lit) => values(dom, n, path).iter().any(|v| v == lit),
        Pred::ContainsText(lit) => {
            let first = dom.children(n).find(|&c| matches!(dom.nodes[c].kind, Kind::Text | Kind::CData));
            first.map_or("", |c| dom.nodes[c].data.as_str()).contains(lit.as_str())
        }
    }
}

/// The string values a relative path reaches from `n`.
fn values(dom: &Dom, n: Id, path: &RelPath) -> Vec<String> {
    let mut at = vec![n];
    for name in &path.elements {
        at = at
            .into_iter()
            .flat_map(|a| dom.children(a).filter(|&c| dom.nodes[c].kind == Kind::Element && name_matches(name, &element_name(dom, c))).collect::<Vec<_>>())
            .collect();
    }
    match &path.attr {
        Some(a) => at.iter().flat_map(|&e| dom.nodes[e].attrs.iter().filter(|(k, _)| name_matches(a, k)).map(|(_, v)| v.clone()).collect::<Vec<_>>()).collect(),
        None => at.iter().map(|&e| inner_text(dom, e)).collect(),
    }
}

/// An element's text and CDATA, all the way down. Recursion is bounded
/// by the document's depth limit.
fn inner_text(dom: &Dom, n: Id) -> String {
    match dom.nodes[n].kind {
        Kind::Text | Kind::CData => dom.nodes[n].data.clone(),
        Kind::Comment => String::new(),
        _ => dom.children(n).map(|c| inner_text(dom, c)).collect(),
    }
}

/// `n` and everything below it, in document order.
fn descendants(dom: &Dom, n: Id) -> Vec<Id> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if out.len() > dom.nodes.len() {
            break;
        }
        out.push(x);
        let kids: Vec<Id> = dom.children(x).collect();
        stack.extend(kids.into_iter().rev());
    }
    out
}

/// Each node's place in document order.
fn preorder(dom: &Dom) -> Vec<usize> {
    let mut order = vec![usize::MAX; dom.nodes.len()];
    for (i, n) in descendants(dom, DOC).into_iter().enumerate() {
        if order[n] == usize::MAX {
            order[n] = i;
        }
    }
    order
}

fn sorted(mut ids: Vec<Id>, order: &[usize]) -> Vec<Id> {
    ids.sort_by_key(|&i| order[i]);
    ids.dedup();
    ids
}
