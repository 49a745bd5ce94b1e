//! Where lines break: statements, blocks, and the shape of expressions.
//!
//! The layout keeps the decisions the author made that carry meaning (blank
//! lines between statements, whether a list was written across lines) and
//! makes every other choice the same way each time, so formatting its own
//! output changes nothing.

use crate::ast::{Attribute, Block, Expr, ExprKind, Field, Literal, Stmt};
use crate::span::Span;

use super::align::AlignGroup;
use super::printer::{find_punct, Printer};

impl Printer<'_> {
    /// Prints statements at `indent`, up to the body's end at `end` (the
    /// closing `}` or the end of the file), with the comments among them.
    ///
    /// Attributes on consecutive lines form one alignment group. A blank
    /// line, a comment line or a block ends the group; so does an attribute
    /// printed over several lines, after taking part itself. An attribute
    /// with a comment before its `=` stands alone, as the comment would
    /// otherwise push every `=` of the group out to its right.
    pub(super) fn body(&mut self, stmts: &[Stmt], end: usize, indent: usize) {
        let mut first = true;
        let mut group = AlignGroup::default();
        for (i, stmt) in stmts.iter().enumerate() {
            let start = stmt.span().start;
            if self.comment_lines(start, indent, &mut first, false) {
                group.finish(self);
            }
            if !first && self.blank_between(self.last_end, start) {
                group.finish(self);
                self.blank_line();
            }
            self.break_line(indent);
            self.base = indent;
            let first_line = self.lines.len();
            let alone = match stmt {
                Stmt::Attribute(a) => !self.attribute(a, &mut group),
                Stmt::Block(b) => {
                    group.finish(self);
                    self.block(b, indent);
                    false
                }
            };
            let next = stmts.get(i + 1).map_or(end, |s| s.span().start);
            self.trailing_comments(next);
            let multi_line = self.lines.len() > first_line || self.cur.text.contains('\n');
            self.break_line(indent);
            if multi_line || alone {
                group.finish(self);
            }
            first = false;
        }
        group.finish(self);
        self.comment_lines(end, indent, &mut first, true);
    }

    /// Returns whether the attribute joined the alignment group.
    fn attribute(&mut self, a: &Attribute, group: &mut AlignGroup) -> bool {
        let joined = self.name_cell(a.name.span, Some(group));
        self.expr(&a.value);
        joined
    }

    /// Writes a name, the comments before its `=` and ` = `. The name joins
    /// `group` for alignment unless comments share its cell, in which case
    /// the group is ended and the name stands alone; returns whether it
    /// joined.
    fn name_cell(&mut self, name: Span, group: Option<&mut AlignGroup>) -> bool {
        let written = self.key(name);
        let eq = find_punct(self.src, name.end, b'=');
        if let Some(p) = eq {
            self.flush(p);
        }
        let plain = written == self.cur.text;
        let joined = match group {
            Some(group) if plain => {
                group.push(self);
                true
            }
            Some(group) => {
                group.finish(self);
                false
            }
            None => false,
        };
        self.space();
        self.punct(eq, "=");
        self.space();
        joined
    }

    /// Writes an attribute's or field's name and returns it as written. A
    /// raw-string key is written double-quoted, as Alloy's printer does:
    /// Alloy keeps only the key's value and that it was quoted.
    fn key(&mut self, name: Span) -> String {
        let text = self.src.get(name.range()).unwrap_or("");
        match text.strip_prefix('`').and_then(|t| t.strip_suffix('`')) {
            Some(raw) => {
                let quoted = crate::literal::quote(&raw.replace('\r', ""));
                self.token_as(name.start, name.end, &quoted);
                quoted
            }
            None => {
                self.token(name.start, name.end);
                text.to_string()
            }
        }
    }

    fn block(&mut self, b: &Block, indent: usize) {
        let mut after = b.span.start;
        for (i, part) in b.name.iter().enumerate() {
            if i > 0 {
                self.punct_tight(find_punct(self.src, after, b'.'), ".");
            }
            self.token(part.span.start, part.span.end);
            after = part.span.end;
        }
        if let Some(label) = &b.label {
            self.space();
            self.token(label.span.start, label.span.end);
            after = label.span.end;
        }
        self.space();
        let open = find_punct(self.src, after, b'{');
        self.punct(open, "{");
        if b.body.is_empty() && !self.has_comment_before(b.close.start) {
            self.space();
            self.punct(Some(b.close.start), "}");
            return;
        }
        // `name { /* note */ }` opens up with the note inside, not after `{`.
        let one_line = !self.has_newline(open.unwrap_or(after), b.close.start);
        if !(b.body.is_empty() && one_line) {
            let first = b.body.first().map_or(b.close.start, |s| s.span().start);
            self.trailing_comments(first);
        }
        self.break_line(indent + 1);
        self.body(&b.body, b.close.start, indent + 1);
        self.break_line(indent);
        self.base = indent;
        self.punct(Some(b.close.start), "}");
    }

    pub(super) fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Literal(_) => self.token(e.span.start, e.span.end),
            ExprKind::Ident(id) => self.token(id.span.start, id.span.end),
            ExprKind::Array(items) => {
                self.punct(Some(e.span.start), "[");
                let list = List { open: e.span.start, close: close_of(e), closer: "]" };
                self.list(&list, items);
            }
            ExprKind::Object(fields) => {
                self.punct(Some(e.span.start), "{");
                self.object(e.span.start, close_of(e), fields);
            }
            ExprKind::Access { value, name } => {
                self.expr(value);
                let dot = find_punct(self.src, value.span.end, b'.');
                if matches!(value.kind, ExprKind::Literal(Literal::Number(_))) {
                    // `1.x` would scan as the number `1.` followed by `x`.
                    self.space();
                    self.punct(dot, ".");
                } else {
                    self.punct_tight(dot, ".");
                }
                self.token(name.span.start, name.span.end);
            }
            ExprKind::Index { value, index } => {
                self.expr(value);
                self.punct_tight(find_punct(self.src, value.span.end, b'['), "[");
                self.expr(index);
                self.punct_tight(Some(close_of(e)), "]");
            }
            ExprKind::Call { func, args } => {
                self.expr(func);
                let open = find_punct(self.src, func.span.end, b'(');
                self.punct_tight(open, "(");
                let list = List { open: open.unwrap_or(func.span.end), close: close_of(e), closer: ")" };
                self.list(&list, args);
            }
            ExprKind::Unary { op, op_span, operand } => {
                self.punct(Some(op_span.start), op.symbol());
                self.expr(operand);
            }
            ExprKind::Binary { op, op_span, left, right } => {
                self.expr(left);
                self.space();
                self.punct(Some(op_span.start), op.symbol());
                self.space();
                self.expr(right);
            }
            ExprKind::Paren(inner) => {
                self.punct(Some(e.span.start), "(");
                self.expr(inner);
                self.punct_tight(Some(close_of(e)), ")");
            }
        }
    }

    /// Array elements or call arguments, after the opening bracket.
    fn list(&mut self, list: &List, items: &[Expr]) {
        if !self.is_multi_line(list, items.is_empty()) {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    let prev = &items[i - 1];
                    self.punct_tight(find_punct(self.src, prev.span.end, b','), ",");
                    self.space();
                }
                self.expr(item);
            }
            self.punct_tight(Some(list.close), list.closer);
            return;
        }
        let mut lines = self.open_lines();
        let mut prev_end = list.open + 1;
        for (i, item) in items.iter().enumerate() {
            lines.item_start(self, prev_end, item.span.start, i);
            self.expr(item);
            prev_end = item.span.end;
            let next = items.get(i + 1).map_or(list.close, |n| n.span.start);
            let last = i + 1 == items.len();
            lines.item_end(self, prev_end, next, last, last && self.has_newline(prev_end, list.close));
        }
        self.close_lines(list, lines, prev_end, items.is_empty());
    }

    /// Object fields, after the `{`; multi-line objects align their `=`.
    fn object(&mut self, open: usize, close: usize, fields: &[Field]) {
        let list = List { open, close, closer: "}" };
        if !self.is_multi_line(&list, fields.is_empty()) {
            // Alloy's printer puts no space inside the braces: `{a = 1}`.
            for (i, field) in fields.iter().enumerate() {
                if i > 0 {
                    let prev = &fields[i - 1];
                    self.punct_tight(find_punct(self.src, prev.value.span.end, b','), ",");
                    self.space();
                }
                self.name_cell(field.name_span, None);
                self.expr(&field.value);
            }
            if self.has_comment_before(close) {
                // `{ /* note */ }`: the comment keeps its spaces.
                self.space();
                self.punct(Some(close), "}");
            } else {
                self.punct_tight(Some(close), "}");
            }
            return;
        }
        let mut lines = self.open_lines();
        // Alloy's printer measures a field's line from its name's end, not
        // its value's: a field after a multi-line value still starts a line.
        let mut prev_end = open + 1;
        for (i, field) in fields.iter().enumerate() {
            let starts_line = lines.item_start(self, prev_end, field.name_span.start, i);
            if i > 0 && !starts_line {
                self.space();
            }
            // Only a line's first name lines up with the lines around it.
            if starts_line {
                lines.alone = !self.name_cell(field.name_span, Some(&mut lines.group));
            } else {
                self.name_cell(field.name_span, None);
            }
            self.expr(&field.value);
            prev_end = field.name_span.end;
            let next = fields.get(i + 1).map_or(close, |n| n.name_span.start);
            let closer_breaks = i + 1 == fields.len() && self.has_newline(prev_end, close);
            lines.item_end(self, field.value.span.end, next, i + 1 == fields.len(), closer_breaks);
        }
        self.close_lines(&list, lines, prev_end, fields.is_empty());
    }

    /// A list keeps the shape it was written in: one item per line if its
    /// brackets are on different lines. An empty list with nothing inside
    /// prints closed up whatever its shape.
    fn is_multi_line(&self, list: &List, empty: bool) -> bool {
        if empty && !self.has_comment_before(list.close) {
            return false;
        }
        self.has_newline(list.open, list.close)
    }

    fn open_lines(&mut self) -> ItemLines {
        let outer = self.cur.indent;
        ItemLines { outer, base: self.base, first: true, group: AlignGroup::default(), first_line: 0, alone: false }
    }

    /// After the last item (which ended at `last_end` in the source): a
    /// closing bracket on a line of its own in the source gets one here
    /// too, after a trailing comma, as in Alloy's printer; one written on
    /// the last item's line stays there.
    fn close_lines(&mut self, list: &List, mut lines: ItemLines, last_end: usize, empty: bool) {
        lines.group.finish(self);
        if empty || self.has_newline(last_end, list.close) {
            self.trailing_comments(list.close);
            self.comment_lines(list.close, lines.outer + 1, &mut lines.first, true);
            self.break_line(lines.outer);
        }
        self.base = lines.base;
        self.punct_tight(Some(list.close), list.closer);
    }
}

/// The brackets of an array, object or argument list.
struct List {
    open: usize,
    close: usize,
    closer: &'static str,
}

/// The state of a list being printed with its items on the lines they were
/// written on.
struct ItemLines {
    outer: usize,
    /// The printer's `base` before the list, restored after it.
    base: usize,
    first: bool,
    group: AlignGroup,
    first_line: usize,
    /// The current line's items stand outside alignment groups.
    alone: bool,
}

impl ItemLines {
    /// Starts item `i`, which begins at `start` in the source; the one
    /// before it (or the opening bracket) ended at `prev_end`. As in
    /// Alloy's printer, the item starts a new line exactly when the source
    /// has a line break between the two; otherwise it follows on the same
    /// line. Returns whether it starts a line.
    fn item_start(&mut self, p: &mut Printer<'_>, prev_end: usize, start: usize, i: usize) -> bool {
        if !p.has_newline(prev_end, start) {
            if i > 0 {
                p.space();
            }
            return false;
        }
        let indent = self.outer + 1;
        p.trailing_comments(start);
        if p.comment_lines(start, indent, &mut self.first, false) {
            self.group.finish(p);
        }
        if !self.first && p.blank_between(p.last_end, start) {
            self.group.finish(p);
            p.blank_line();
        }
        p.break_line(indent);
        p.base = indent;
        self.first_line = p.lines.len();
        true
    }

    /// Ends an item with its comma (unless it is the last) and trailing
    /// comments. `end` is where the item ends in the source and `next`
    /// where the next one (or the closing bracket) starts.
    /// `closer_breaks` says the closing bracket goes on a line of its own,
    /// which takes a trailing comma.
    fn item_end(&mut self, p: &mut Printer<'_>, end: usize, next: usize, last: bool, closer_breaks: bool) {
        let comma = find_punct(p.src, end, b',').filter(|&c| c < next);
        if !last || closer_breaks {
            p.punct_tight(comma, ",");
        }
        if !last {
            p.trailing_comments(next);
        }
        let multi_line = p.lines.len() > self.first_line || p.cur.text.contains('\n');
        if multi_line || (self.alone && p.has_newline(end, next)) {
            self.group.finish(p);
        }
        if p.has_newline(end, next) {
            self.alone = false;
        }
        self.first = false;
    }
}

/// The offset of an expression's closing bracket: its last byte.
fn close_of(e: &Expr) -> usize {
    e.span.end.saturating_sub(1)
}
