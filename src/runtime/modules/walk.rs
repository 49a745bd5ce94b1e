//! Walks a config's scopes (the top level, then each custom component
//! instance's body, recursively) and emits the flat list of graph nodes,
//! with every reference resolved in the scope it is written in.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use solder_components::Registry;
use solder_syntax::ast::{self, Stmt};
use solder_syntax::suggest::did_you_mean;
use solder_syntax::{Diagnostic, Scope, SourceFile, Span, Value};

use super::imports::{self, ImportSource};
use super::{ArgumentSpec, InstanceSpec, EXPORTS_SUFFIX};
use crate::runtime::loader::{references, Declaration, Kind, Known, Settings, SETTINGS_BLOCKS};

/// What a walk produces: the loader orders the nodes and checks cycles.
#[derive(Default)]
pub struct Walked {
    pub decls: Vec<Declaration>,
    pub settings: Settings,
    /// Every imported module file, as it may be shown.
    pub module_files: Vec<Arc<SourceFile>>,
    /// What to watch or poll for module changes.
    pub imports: Vec<ImportSource>,
    /// Import nodes whose arguments read exports not known yet.
    pub pending: Vec<String>,
}

/// A `declare` block and the file it is written in.
#[derive(Clone)]
struct Def {
    block: Arc<ast::Block>,
    source: Arc<SourceFile>,
}

/// The custom components one scope defines: its declares, and its imports'
/// namespaces.
#[derive(Default)]
struct Frame {
    declares: BTreeMap<String, Def>,
    imports: BTreeMap<String, Arc<Frame>>,
    /// An import that failed (its error is reported): what it would have
    /// defined is unknown, so uses of its namespace are not errors too.
    failed: bool,
    /// An import waiting for the exports its arguments read: uses of its
    /// namespace stand in the graph as unresolved instances.
    pending: bool,
    /// The import's node in the graph; `None` for an import written in a
    /// module file, which belongs to the import that read the file.
    node: Option<String>,
}

/// The frames a scope sees, outermost first.
type Chain = Vec<Arc<Frame>>;

/// Where a scope sits.
struct Ctx {
    /// `""` at the top level, else the instance's global ID.
    module: String,
    /// The instance's custom component name, inside a declare.
    declare: Option<String>,
}

impl Ctx {
    fn global(&self, local: &str) -> String {
        if self.module.is_empty() {
            local.to_string()
        } else {
            format!("{}/{local}", self.module)
        }
    }
}

/// Nesting limit for instances and imports, past any sane config.
const MAX_DEPTH: usize = 32;

struct Walker<'a> {
    registry: &'a Registry,
    /// Exports evaluated ahead, for imports whose arguments read them.
    known: &'a Known,
    out: Walked,
    diags: Vec<Diagnostic>,
    /// Declares being instantiated, outermost first: (identity, name).
    stack: Vec<(String, String)>,
    /// Modules being read, outermost first: (identity, name).
    importing: Vec<(String, String)>,
}

/// Walks the parsed files of a config (each with the file as it may be
/// shown). Every error is collected; none stops the walk early.
pub fn walk(files: Vec<(Arc<SourceFile>, ast::File)>, registry: &Registry, known: &Known) -> Result<Walked, Vec<Diagnostic>> {
    let mut w = Walker { registry, known, out: Walked::default(), diags: Vec::new(), stack: Vec::new(), importing: Vec::new() };
    let mut blocks = Vec::new();
    for (file, ast) in files {
        for stmt in ast.body {
            match stmt {
                Stmt::Attribute(a) => w.diags.push(
                    Diagnostic::error(a.name.span, format!("unrecognized attribute name {:?}", a.name.name))
                        .with_source(&file)
                        .with_help("the top level of a config holds blocks only; put attributes inside a component block"),
                ),
                Stmt::Block(b) => blocks.push((Arc::new(b), Arc::clone(&file))),
            }
        }
    }
    w.scope(&blocks, Vec::new(), &Ctx { module: String::new(), declare: None });
    if w.diags.is_empty() {
        Ok(w.out)
    } else {
        Err(w.diags)
    }
}

fn err(span: Span, source: &Arc<SourceFile>, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error(span, msg).with_source(source)
}

fn at(source: &SourceFile, span: Span) -> String {
    let (line, col) = source.line_col(span.start);
    format!("{}:{line}:{col}", source.name)
}

fn label(block: &ast::Block) -> Option<&ast::Label> {
    block.label.as_ref().filter(|l| !l.value.is_empty())
}

/// A node of a scope before its references are resolved.
struct Pending {
    decl: Declaration,
    /// For an instance: the declare it instantiates and the chain it sees.
    custom: Option<(Def, Chain)>,
    /// For an instance of an imported custom component: the import's node.
    import: Option<String>,
}

/// What an import block of a scope needs to become a node: where it sits,
/// and what its references may name.
struct ImportScope<'c> {
    ctx: &'c Ctx,
    /// Local ID to global ID, as far as the scope's blocks tell before any
    /// import is read (see [`Walker::early_providers`]).
    provider: &'c BTreeMap<String, String>,
    arguments: &'c [ArgumentSpec],
}

impl Walker<'_> {
    /// Walks one scope; returns the `argument` blocks it declares.
    fn scope(&mut self, blocks: &[(Arc<ast::Block>, Arc<SourceFile>)], mut chain: Chain, ctx: &Ctx) -> Vec<ArgumentSpec> {
        let in_module = ctx.declare.is_some();
        // Arguments first: an import block's arguments may read them.
        let mut arguments: Vec<ArgumentSpec> = Vec::new();
        for (block, source) in blocks.iter().filter(|(b, _)| in_module && b.full_name() == "argument") {
            if let Some(a) = self.argument(block, source, &arguments) {
                arguments.push(a);
            }
        }
        let early = self.early_providers(blocks, ctx);
        let mut import_decls = Vec::new();
        let here = ImportScope { ctx, provider: &early, arguments: &arguments };
        let frame = self.frame(blocks.iter().map(|(b, s)| (b, s)), Some((&here, &mut import_decls)));
        chain.push(Arc::new(frame));

        let mut exports: Vec<(ast::Attribute, Arc<SourceFile>)> = Vec::new();
        let mut pending: Vec<Pending> = Vec::new();
        let mut seen: BTreeMap<String, (Span, Arc<SourceFile>)> = BTreeMap::new();
        for (block, source) in blocks {
            let name = block.full_name();
            if name == "declare" || imports::KINDS.contains(&name.as_str()) {
                continue;
            }
            if SETTINGS_BLOCKS.contains(&name.as_str()) && !in_module {
                self.setting(block, source, &name);
                continue;
            }
            if in_module && name == "argument" {
                continue;
            }
            if in_module && name == "export" {
                if let Some(e) = self.export(block, source, &exports) {
                    exports.push((e, Arc::clone(source)));
                }
                continue;
            }
            let custom = if self.registry.get(&name).is_some() { None } else { lookup(&chain, &name) };
            if custom.is_none() && failed_import(&chain, &name) {
                continue;
            }
            // A built-in component is never an instance, whatever
            // namespace an import takes.
            let builtin = self.registry.get(&name).is_some();
            let waiting = if custom.is_none() && !builtin { pending_import(&chain, &name) } else { None };
            if custom.is_none() && waiting.is_none() && !builtin {
                self.unknown(block, source, &name, &chain, in_module);
                continue;
            }
            let Some(l) = label(block) else {
                self.diags.push(
                    err(block.name_span(), source, format!("component {name:?} must have a label"))
                        .with_help(format!("give it a name, for example `{name} \"default\" {{ ... }}`")),
                );
                continue;
            };
            let local_id = format!("{name}.{}", l.value);
            if let Some((first, first_file)) = seen.get(&local_id) {
                self.diags.push(
                    err(block.span.to(l.span).to(block.name_span()), source, format!("block {local_id} already declared at {}", at(first_file, *first)))
                        .with_help("component IDs (name and label) must be unique; rename one of the labels"),
                );
                continue;
            }
            seen.insert(local_id.clone(), (block.name_span(), Arc::clone(source)));
            let import = waiting.clone().or_else(|| custom.as_ref().and_then(|_| import_node(&chain, &name)));
            let decl = Declaration {
                id: ctx.global(&local_id),
                local_id,
                module: ctx.module.clone(),
                name,
                block: (**block).clone(),
                source: Arc::clone(source),
                depends_on: BTreeSet::new(),
                kind: if waiting.is_some() { Kind::Unresolved } else { Kind::Component },
            };
            pending.push(Pending { decl, custom, import });
        }

        // Instantiate custom components: their bodies are scopes of their own.
        for p in &mut pending {
            let Some((def, def_chain)) = &p.custom else { continue };
            let spec = self.instantiate(&p.decl, def, def_chain.clone());
            if let Some(spec) = spec {
                p.decl.kind = Kind::Instance(Arc::new(spec));
            }
        }

        // What each local ID stands for, for references in this scope.
        let provider: BTreeMap<String, String> = pending
            .iter()
            .map(|p| {
                // An unresolved instance has no exports node yet: it
                // stands for itself.
                let target = if p.custom.is_some() { format!("{}{EXPORTS_SUFFIX}", p.decl.id) } else { p.decl.id.clone() };
                (p.decl.local_id.clone(), target)
            })
            .collect();
        let imported: Vec<Option<String>> = pending.iter().map(|p| p.import.clone()).collect();
        let mut decls: Vec<Declaration> = pending.into_iter().map(|p| p.decl).collect();
        let components = decls.len();
        decls.append(&mut import_decls);
        if let Some(declare) = &ctx.declare {
            decls.push(exports_node(ctx, declare, exports));
        }
        for decl in &mut decls {
            decl.depends_on = self.resolve(decl, &provider, &arguments, ctx);
        }
        // An instance of an imported custom component depends on the
        // import, as in Alloy: a cycle through an import's arguments is
        // then a cycle of the graph.
        for (decl, import) in decls[..components].iter_mut().zip(imported) {
            decl.depends_on.extend(import);
        }
        // In the order they are written, which cycle errors start from.
        let position = |d: &Declaration| blocks.iter().position(|(b, s)| s.name == d.source.name && b.span == d.block.span).unwrap_or(usize::MAX);
        decls.sort_by_key(position);
        self.out.decls.append(&mut decls);
        arguments
    }

    /// The declares and imports among `blocks`. In a module file
    /// (`scope` is `None`) anything else is an error; in a scope, each
    /// import also becomes a node, pushed to the list given with it.
    fn frame<'b>(
        &mut self,
        blocks: impl Iterator<Item = (&'b Arc<ast::Block>, &'b Arc<SourceFile>)>,
        mut scope: Option<(&ImportScope<'_>, &mut Vec<Declaration>)>,
    ) -> Frame {
        let module_file = scope.is_none();
        let mut frame = Frame::default();
        let mut seen: BTreeMap<String, (Span, Arc<SourceFile>)> = BTreeMap::new();
        for (block, source) in blocks {
            let name = block.full_name();
            let is_import = imports::KINDS.contains(&name.as_str());
            if name != "declare" && !is_import {
                if module_file {
                    self.diags.push(
                        err(block.name_span(), source, format!("{name} is not allowed in a module: only declare and import blocks are"))
                            .with_help("a module defines custom components; instantiate them in the config that imports it"),
                    );
                }
                continue;
            }
            let Some(l) = label(block) else {
                self.diags.push(err(block.name_span(), source, format!("{name} block must have a label")));
                continue;
            };
            // Declares and import namespaces share one name space per scope.
            let id = if is_import { format!("import.{}", l.value) } else { format!("declare.{}", l.value) };
            let shown = format!("{name}.{}", l.value);
            if let Some((first, file)) = seen.get(&id) {
                self.diags.push(err(block.name_span().to(l.span), source, format!("block {shown} already declared at {}", at(file, *first))));
                continue;
            }
            seen.insert(id, (block.name_span(), Arc::clone(source)));
            if name == "declare" {
                frame.declares.insert(l.value.clone(), Def { block: Arc::clone(block), source: Arc::clone(source) });
                continue;
            }
            let imported = match scope.as_mut() {
                None => self.import(block, source, Scope::new()).unwrap_or(Frame { failed: true, ..Frame::default() }),
                Some((here, nodes)) => {
                    let (decl, resolves) = self.import_decl(block, source, here);
                    let ready = decl.depends_on.iter().all(|d| self.known.ids.contains(d));
                    let mut imported = if !resolves {
                        Frame { failed: true, ..Frame::default() }
                    } else if ready {
                        let vars = self.known.scope.scope_of(&here.ctx.module);
                        self.import(block, source, vars).unwrap_or(Frame { failed: true, ..Frame::default() })
                    } else {
                        self.out.pending.push(decl.id.clone());
                        Frame { pending: true, ..Frame::default() }
                    };
                    imported.node = Some(decl.id.clone());
                    nodes.push(decl);
                    imported
                }
            };
            frame.imports.insert(l.value.clone(), Arc::new(imported));
        }
        frame
    }

    /// An import block of a scope as a node, with the global IDs its
    /// arguments read, and whether they all resolve. Errors in those
    /// references are reported when the scope resolves its nodes, once.
    fn import_decl(&mut self, block: &Arc<ast::Block>, source: &Arc<SourceFile>, here: &ImportScope<'_>) -> (Declaration, bool) {
        let name = block.full_name();
        let label = label(block).map(|l| l.value.clone()).unwrap_or_default();
        let local_id = format!("{name}.{label}");
        let mut decl = Declaration {
            id: here.ctx.global(&local_id),
            local_id,
            module: here.ctx.module.clone(),
            name,
            block: (**block).clone(),
            source: Arc::clone(source),
            depends_on: BTreeSet::new(),
            kind: Kind::Import,
        };
        let before = self.diags.len();
        decl.depends_on = self.resolve(&decl, here.provider, here.arguments, here.ctx);
        let resolves = self.diags.len() == before;
        self.diags.truncate(before);
        (decl, resolves)
    }

    /// What each local ID of a scope will stand for, known from the blocks
    /// alone: a built-in component for itself, anything else (a custom
    /// component) for its exports node.
    fn early_providers(&self, blocks: &[(Arc<ast::Block>, Arc<SourceFile>)], ctx: &Ctx) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (block, _) in blocks {
            let name = block.full_name();
            let special = name == "declare" || name == "argument" || name == "export" || imports::KINDS.contains(&name.as_str());
            let setting = SETTINGS_BLOCKS.contains(&name.as_str()) && ctx.declare.is_none();
            let Some(l) = label(block).filter(|_| !special && !setting) else { continue };
            let local = format!("{name}.{}", l.value);
            let global = ctx.global(&local);
            let target = if self.registry.get(&name).is_some() { global } else { format!("{global}{EXPORTS_SUFFIX}") };
            out.entry(local).or_insert(target);
        }
        out
    }

    /// Reads an import's module files and builds the frame they define.
    /// `vars` holds what its arguments may read besides the standard
    /// library and `module_path`.
    fn import(&mut self, block: &ast::Block, source: &Arc<SourceFile>, vars: Scope) -> Option<Frame> {
        if self.importing.len() >= MAX_DEPTH {
            self.diags.push(err(block.name_span(), source, "imports are nested too deeply"));
            return None;
        }
        let nested = self.out.module_files.iter().any(|f| Arc::ptr_eq(f, source));
        let (files, from) = match imports::fetch(block, source, nested, vars, &self.known.fetched) {
            Ok(found) => found,
            Err(mut d) => {
                self.diags.append(&mut d);
                return None;
            }
        };
        // A module is the same module when it has the same name and text:
        // two `import.string` blocks of one label are not a cycle.
        let key = files.iter().map(|f| f.name.clone()).collect::<Vec<_>>().join(",");
        let identity = format!("{key}\0{}", files.iter().map(|f| f.text.as_str()).collect::<Vec<_>>().join("\0"));
        if let Some(i) = self.importing.iter().position(|(id, _)| *id == identity) {
            let mut names: Vec<String> = self.importing[i..].iter().map(|(_, k)| k.clone()).collect();
            names.push(key);
            self.diags.push(err(block.name_span(), source, format!("cycle detected: import {}", names.join(" -> "))));
            return None;
        }
        self.out.imports.push(from);
        let before = self.diags.len();
        let mut blocks = Vec::new();
        for file in files {
            match solder_syntax::parse(&file.text) {
                Ok(ast) => {
                    // A module that came as a secret is masked whole already.
                    let shown = if file.is_masked() { Arc::clone(&file) } else { crate::runtime::redact::mask(&file, &ast, self.registry) };
                    self.out.module_files.push(Arc::clone(&shown));
                    for stmt in ast.body {
                        match stmt {
                            Stmt::Block(b) => blocks.push((Arc::new(b), Arc::clone(&shown))),
                            Stmt::Attribute(a) => self.diags.push(err(a.name.span, &shown, format!("unrecognized attribute name {:?}", a.name.name))),
                        }
                    }
                }
                Err(mut d) => {
                    solder_syntax::diagnostic::attach_source(&mut d, &file);
                    self.diags.append(&mut d);
                }
            }
        }
        if self.diags.len() > before {
            // What a module that does not parse defines is unknown.
            return None;
        }
        self.importing.push((identity, key));
        let frame = self.frame(blocks.iter().map(|(b, s)| (b, s)), None);
        self.importing.pop();
        Some(frame)
    }

    /// Walks a custom component's body as the scope of the instance `decl`,
    /// and checks the instance's attributes against its arguments.
    fn instantiate(&mut self, decl: &Declaration, def: &Def, chain: Chain) -> Option<InstanceSpec> {
        let identity = format!("{}@{}", def.source.name, def.block.span.start);
        let declare = label(&def.block).map(|l| l.value.clone()).unwrap_or_default();
        if let Some(i) = self.stack.iter().position(|(id, _)| *id == identity) {
            let mut names: Vec<&str> = self.stack[i..].iter().map(|(_, n)| n.as_str()).collect();
            names.push(&declare);
            self.diags.push(
                err(decl.block.name_span(), &decl.source, format!("cycle detected: custom component {}", names.join(" -> ")))
                    .with_help("a custom component cannot contain itself, directly or through other custom components"),
            );
            return None;
        }
        if self.stack.len() >= MAX_DEPTH {
            self.diags.push(err(decl.block.name_span(), &decl.source, "custom components are nested too deeply"));
            return None;
        }
        self.stack.push((identity, declare.clone()));
        let blocks: Vec<(Arc<ast::Block>, Arc<SourceFile>)> = def
            .block
            .body
            .iter()
            .filter_map(|stmt| match stmt {
                Stmt::Block(b) => Some((Arc::new(b.clone()), Arc::clone(&def.source))),
                Stmt::Attribute(a) => {
                    self.diags.push(
                        err(a.name.span, &def.source, format!("unrecognized attribute name {:?}", a.name.name))
                            .with_help("a declare holds argument, export, declare and import blocks and components"),
                    );
                    None
                }
            })
            .collect();
        let before = self.diags.len();
        let arguments = self.scope(&blocks, chain, &Ctx { module: decl.id.clone(), declare: Some(declare.clone()) });
        self.stack.pop();
        self.check_instance(decl, &declare, &arguments, def);
        (self.diags.len() == before).then_some(InstanceSpec { declare, arguments })
    }

    /// An instance may set only declared arguments, as attributes, and
    /// must set every required one.
    fn check_instance(&mut self, decl: &Declaration, declare: &str, arguments: &[ArgumentSpec], def: &Def) {
        let mut set = BTreeSet::new();
        for stmt in &decl.block.body {
            match stmt {
                Stmt::Block(b) => self.diags.push(err(b.name_span(), &decl.source, format!("unrecognized block name {:?}", b.full_name()))),
                Stmt::Attribute(a) => {
                    if arguments.iter().any(|x| x.name == a.name.name) {
                        set.insert(a.name.name.as_str());
                        continue;
                    }
                    let d = err(a.name.span, &decl.source, format!("unrecognized attribute name {:?}", a.name.name));
                    let d = match did_you_mean(&a.name.name, arguments.iter().map(|x| x.name.as_str())) {
                        Some(s) => d.with_help(format!("did you mean {s:?}? custom component {declare:?} has no argument {:?}", a.name.name)),
                        None => d.with_help(format!("custom component {declare:?} has no argument {:?}", a.name.name)),
                    };
                    self.diags.push(d);
                }
            }
        }
        for a in arguments.iter().filter(|a| !a.optional && !set.contains(a.name.as_str())) {
            self.diags.push(
                err(decl.block.name_span(), &decl.source, format!("missing required argument {:?} to module", a.name))
                    .with_help(format!("the argument is declared at {}", at(&def.source, a.span))),
            );
        }
    }

    /// An `argument "NAME" { optional, default, comment }` block.
    fn argument(&mut self, block: &ast::Block, source: &Arc<SourceFile>, earlier: &[ArgumentSpec]) -> Option<ArgumentSpec> {
        let Some(l) = label(block) else {
            self.diags.push(err(block.name_span(), source, "argument block must have a label"));
            return None;
        };
        if let Some(first) = earlier.iter().find(|a| a.name == l.value) {
            self.diags.push(err(block.name_span().to(l.span), source, format!("block argument.{} already declared at {}", l.value, at(source, first.span))));
            return None;
        }
        let scope = solder_syntax::Scope::new();
        let mut ev = solder_syntax::Evaluator::new(&source.text, &scope);
        let mut spec = ArgumentSpec { name: l.value.clone(), optional: false, default: Value::Null, comment: None, span: block.name_span() };
        let mut has_default = false;
        for stmt in &block.body {
            let a = match stmt {
                Stmt::Attribute(a) => a,
                Stmt::Block(b) => {
                    self.diags.push(err(b.name_span(), source, format!("unrecognized block name {:?}", b.full_name())));
                    continue;
                }
            };
            let value = match ev.eval(&a.value) {
                Ok(v) => v,
                Err(d) => {
                    self.diags.push(d.with_source(source));
                    continue;
                }
            };
            match (a.name.name.as_str(), value) {
                ("optional", Value::Bool(b)) => spec.optional = b,
                ("comment", Value::String(s)) => spec.comment = Some(s.to_string()),
                ("default", v) => {
                    spec.default = v;
                    has_default = true;
                }
                ("optional", v) => self.diags.push(err(a.value.span, source, format!("expected bool, got {}", v.ty()))),
                ("comment", v) => self.diags.push(err(a.value.span, source, format!("expected string, got {}", v.ty()))),
                (other, _) => self.diags.push(err(a.name.span, source, format!("unrecognized attribute name {other:?}"))),
            }
        }
        // An argument with a default can be left out, as in Alloy.
        spec.optional |= has_default;
        Some(spec)
    }

    /// An `export "NAME" { value = ... }` block, as the attribute the
    /// exports node evaluates.
    fn export(&mut self, block: &ast::Block, source: &Arc<SourceFile>, earlier: &[(ast::Attribute, Arc<SourceFile>)]) -> Option<ast::Attribute> {
        let Some(l) = label(block) else {
            self.diags.push(err(block.name_span(), source, "export block must have a label"));
            return None;
        };
        if let Some((first, file)) = earlier.iter().find(|(a, _)| a.name.name == l.value) {
            self.diags.push(err(block.name_span().to(l.span), source, format!("block export.{} already declared at {}", l.value, at(file, first.span))));
            return None;
        }
        let mut value = None;
        for stmt in &block.body {
            match stmt {
                Stmt::Attribute(a) if a.name.name == "value" => value = Some(a.value.clone()),
                Stmt::Attribute(a) => self.diags.push(err(a.name.span, source, format!("unrecognized attribute name {:?}", a.name.name))),
                Stmt::Block(b) => self.diags.push(err(b.name_span(), source, format!("unrecognized block name {:?}", b.full_name()))),
            }
        }
        let Some(value) = value else {
            self.diags.push(err(block.name_span(), source, "missing required attribute \"value\""));
            return None;
        };
        Some(ast::Attribute { name: ast::Ident { name: l.value.clone(), span: l.span }, value, span: block.span })
    }

    fn setting(&mut self, block: &Arc<ast::Block>, source: &Arc<SourceFile>, name: &str) {
        if let Some(label) = &block.label {
            self.diags.push(err(label.span, source, format!("block {name:?} does not take a label")));
            return;
        }
        let settings = &mut self.out.settings;
        let slot = match name {
            "logging" => &mut settings.logging,
            "http" => &mut settings.http,
            _ => &mut settings.livedebugging,
        };
        if slot.is_some() {
            self.diags.push(err(block.name_span(), source, format!("block {name:?} may only be provided once")));
        }
        *slot = Some(((**block).clone(), Arc::clone(source)));
    }

    fn unknown(&mut self, block: &ast::Block, source: &Arc<SourceFile>, name: &str, chain: &Chain, in_module: bool) {
        let mut candidates: Vec<String> =
            if in_module { vec!["argument".into(), "export".into()] } else { SETTINGS_BLOCKS.iter().map(|s| s.to_string()).collect() };
        candidates.extend(self.registry.names().map(String::from));
        for frame in chain {
            candidates.extend(frame.declares.keys().cloned());
            for (ns, f) in &frame.imports {
                candidates.extend(f.declares.keys().map(|d| format!("{ns}.{d}")));
            }
        }
        let d = err(block.name_span(), source, format!("cannot find the definition of component name {name:?}"));
        self.diags.push(match did_you_mean(name, candidates.iter().map(String::as_str)) {
            Some(s) => d.with_help(format!("did you mean {s:?}?")),
            None => d,
        });
    }

    /// The global IDs `decl` reads. A chain whose root names a component of
    /// this scope, or `argument` inside a declare, must resolve; any other
    /// root is left to the evaluator.
    fn resolve(&mut self, decl: &Declaration, provider: &BTreeMap<String, String>, arguments: &[ArgumentSpec], ctx: &Ctx) -> BTreeSet<String> {
        let mut roots: BTreeSet<&str> = provider.keys().filter_map(|id| id.split('.').next()).collect();
        roots.extend(self.registry.names().filter_map(|n| n.split('.').next()));
        let mut deps = BTreeSet::new();
        for reference in references(&decl.block.body) {
            let root = reference.path[0].as_str();
            if solder_syntax::stdlib::lookup(root).is_some() {
                continue;
            }
            if root == "argument" && ctx.declare.is_some() {
                match reference.path.get(1) {
                    Some(name) if arguments.iter().any(|a| &a.name == name) => {
                        deps.insert(ctx.module.clone());
                    }
                    _ => {
                        let name = reference.path.get(1).cloned().unwrap_or_default();
                        let declare = ctx.declare.clone().unwrap_or_default();
                        let d = err(reference.span, &decl.source, format!("argument {name:?} does not exist in custom component {declare:?}"));
                        self.diags.push(match did_you_mean(&name, arguments.iter().map(|a| a.name.as_str())) {
                            Some(s) => d.with_help(format!("did you mean {s:?}?")),
                            None => d.with_help("declare it with an argument block"),
                        });
                    }
                }
                continue;
            }
            if !roots.contains(root) {
                continue;
            }
            let found = (1..=reference.path.len()).rev().map(|n| reference.path[..n].join(".")).find_map(|c| provider.get(&c).cloned());
            match found {
                Some(id) => {
                    deps.insert(id);
                }
                None => {
                    let joined = reference.path.join(".");
                    let d = err(reference.span, &decl.source, format!("component {joined:?} does not exist or is out of scope"));
                    let d = match crate::runtime::loader::nearest_component(&reference.path, provider.keys().map(String::as_str)) {
                        Some(b) => d.with_help(format!("did you mean {b:?}?")),
                        None if ctx.declare.is_some() => {
                            d.with_help("a custom component sees only its own components and arguments; pass values in as arguments")
                        }
                        None => d,
                    };
                    self.diags.push(d);
                }
            }
        }
        deps
    }
}

/// Finds the declare a block name means: `name` in the nearest scope that
/// declares it, or `namespace.name` from the nearest import of that
/// namespace. Returns it with the frames it sees.
fn lookup(chain: &Chain, name: &str) -> Option<(Def, Chain)> {
    match name.split_once('.') {
        None => (0..chain.len()).rev().find_map(|i| chain[i].declares.get(name).map(|d| (d.clone(), chain[..=i].to_vec()))),
        Some((ns, rest)) => {
            let frame = chain.iter().rev().find_map(|f| f.imports.get(ns))?;
            frame.declares.get(rest).map(|d| (d.clone(), vec![Arc::clone(frame)]))
        }
    }
}

/// The node of the import whose namespace `name` is in, while that import
/// waits for the exports its arguments read.
fn pending_import(chain: &Chain, name: &str) -> Option<String> {
    let (ns, _) = name.split_once('.')?;
    chain.iter().rev().find_map(|f| f.imports.get(ns)).filter(|f| f.pending).and_then(|f| f.node.clone())
}

/// The node of the import whose namespace `name` is in.
fn import_node(chain: &Chain, name: &str) -> Option<String> {
    let (ns, _) = name.split_once('.')?;
    chain.iter().rev().find_map(|f| f.imports.get(ns)).and_then(|f| f.node.clone())
}

/// Whether `name` is in the namespace of an import that failed.
fn failed_import(chain: &Chain, name: &str) -> bool {
    let Some((ns, _)) = name.split_once('.') else { return false };
    chain.iter().rev().find_map(|f| f.imports.get(ns)).is_some_and(|f| f.failed)
}

/// The hidden node that evaluates an instance's `export` blocks inside its
/// module.
fn exports_node(ctx: &Ctx, declare: &str, exports: Vec<(ast::Attribute, Arc<SourceFile>)>) -> Declaration {
    let source = exports.first().map(|(_, s)| Arc::clone(s)).unwrap_or_else(|| SourceFile::new(declare.to_string(), String::new()));
    let span = exports.first().map(|(a, _)| a.span).unwrap_or_default();
    let (parent_module, instance) = match ctx.module.rsplit_once('/') {
        Some((parent, local)) => (parent.to_string(), local.to_string()),
        None => (String::new(), ctx.module.clone()),
    };
    let block = ast::Block {
        name: vec![ast::Ident { name: "export".into(), span }],
        label: None,
        body: exports.into_iter().map(|(a, _)| Stmt::Attribute(a)).collect(),
        span,
        close: span,
    };
    Declaration {
        id: format!("{}{EXPORTS_SUFFIX}", ctx.module),
        local_id: "exports".into(),
        module: ctx.module.clone(),
        name: declare.to_string(),
        block,
        source,
        depends_on: BTreeSet::new(),
        kind: Kind::Exports { parent_module, instance },
    }
}
