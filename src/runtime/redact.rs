//! Secrets written into a config as literals, masked wherever the config's
//! text is shown: the UI's config page, `GET /api/v0/web/status`, and the
//! excerpts of diagnostics (`solder validate`, the UI, the log).
//!
//! Which literals are secrets comes from the component's schema, the same
//! one that makes evaluated values `(secret)`: a string literal anywhere
//! in the value of an argument typed as a secret (`password = "..."`,
//! `headers = { "Authorization" = "Bearer ..." }`, a fallback in
//! `coalesce(sys.env("PW"), "...")`). The name given to `sys.env` is not a
//! secret and stays readable. Masking overwrites bytes without moving any,
//! so diagnostics still point at the right character.

use std::sync::Arc;

use solder_components::decode::Schema;
use solder_components::Registry;
use solder_syntax::ast::{self, Expr, ExprKind, Literal, Stmt};
use solder_syntax::{SourceFile, Span};

/// What a masked byte becomes.
const MASK: u8 = b'*';

/// `file`, shown with its secret literals masked (the same `Arc` when it
/// has none).
pub fn mask(file: &Arc<SourceFile>, parsed: &ast::File, registry: &Registry) -> Arc<SourceFile> {
    let mut spans = Vec::new();
    for stmt in &parsed.body {
        if let Stmt::Block(block) = stmt {
            let name = block.full_name();
            if let Some(schema) = registry.schema(&name) {
                secrets_in(&block.body, schema, "", &mut spans);
            } else if name == "http" {
                secrets_in(&block.body, &crate::agent::httpauth::schema(), "", &mut spans);
            } else if let Some(schema) = super::modules::import_schema(&name) {
                secrets_in(&block.body, &schema, "", &mut spans);
            }
        }
    }
    if spans.is_empty() {
        return Arc::clone(file);
    }
    let mut bytes = file.text.clone().into_bytes();
    for span in spans {
        // Keep the quotes: the excerpt still reads as a string.
        let inside = (span.start + 1)..span.end.saturating_sub(1);
        if let Some(content) = bytes.get_mut(inside) {
            content.fill(MASK);
        }
    }
    // Only whole characters inside string literals were overwritten, with
    // ASCII, so the text is still UTF-8; should it ever not be, show
    // nothing rather than the secret.
    let masked = String::from_utf8(bytes).unwrap_or_else(|_| "*".repeat(file.text.len()));
    file.with_masked(masked)
}

fn secrets_in(body: &ast::Body, schema: &Schema, prefix: &str, out: &mut Vec<Span>) {
    for stmt in body {
        match stmt {
            Stmt::Attribute(a) => {
                if schema.is_secret(&join(prefix, &a.name.name)) {
                    string_literals(&a.value, out);
                }
            }
            Stmt::Block(b) => secrets_in(&b.body, schema, &join(prefix, &b.full_name()), out),
        }
    }
}

/// Every string literal in `value`, except the variable names `sys.env`
/// is given.
fn string_literals(value: &Expr, out: &mut Vec<Span>) {
    let mut names = Vec::new();
    value.walk(&mut |e| {
        if let ExprKind::Call { func, args } = &e.kind {
            let path: Option<Vec<&str>> = func.reference_path().map(|p| p.iter().map(|id| id.name.as_str()).collect());
            if matches!(path.as_deref(), Some(["sys", "env"] | ["env"])) {
                names.extend(args.iter().map(|a| a.span));
            }
        }
    });
    value.walk(&mut |e| {
        if let ExprKind::Literal(Literal::String(_)) = &e.kind {
            if !names.contains(&e.span) {
                out.push(e.span);
            }
        }
    });
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(src: &str) -> String {
        let file = SourceFile::new("t.alloy", src);
        let parsed = solder_syntax::parse(src).unwrap();
        mask(&file, &parsed, &Registry::builtin()).shown().to_string()
    }

    #[test]
    fn secret_literals_are_masked_in_place_and_nothing_else() {
        let src = r#"prometheus.remote_write "rw" {
	endpoint {
		url = "http://prom:9090/api/v1/write"
		basic_auth {
			username = "grafana"
			password = coalesce(sys.env("RW_PASSWORD"), "hunter2-fallback")
		}
		headers = { "X-Scope-OrgID" = "tenant-1" }
	}
}

otelcol.exporter.otlphttp "tempo" {
	client {
		endpoint = "https://tempo:4318"
		headers  = { "Authorization" = "Bearer s3cr3t-t0ken" }
	}
}
"#;
        let out = masked(src);
        assert_eq!(out.len(), src.len(), "byte offsets move");
        for secret in ["hunter2-fallback", "s3cr3t-t0ken"] {
            assert!(!out.contains(secret), "{secret} shows:\n{out}");
        }
        for kept in ["grafana", "RW_PASSWORD", "http://prom:9090/api/v1/write", "Authorization", "https://tempo:4318"] {
            assert!(out.contains(kept), "{kept} was masked:\n{out}");
        }
        assert!(out.contains(r#"password = coalesce(sys.env("RW_PASSWORD"), "****************")"#), "{out}");
    }

    #[test]
    fn a_file_without_secrets_is_shown_as_it_is() {
        let src = "otelcol.processor.batch \"b\" {\n\toutput { }\n}\n";
        let file = SourceFile::new("t.alloy", src);
        let out = mask(&file, &solder_syntax::parse(src).unwrap(), &Registry::builtin());
        assert!(Arc::ptr_eq(&out, &file));
    }
}
