//! Resolves every import of the entry module, recursively, before anything runs.
//!
//! An import's module name is resolved (shared/spec/bacalhau-compat.md §5) to: the WASI shim for
//! `wasi_snapshot_preview1`; the network module for `wasi:http/requests` when the run offers it
//! (§9; `net::Offer`); else a module already resolved under that name; else the first
//! declared import module whose Alias, Target (with or without its leading `/`) or file name
//! (with or without `.wasm`) equals it; else the name taken as a path in the guest filesystem.
//! Each resolved import is checked against what its provider exports. Every failure is collected,
//! so the user sees all unresolved imports in one error rather than one per attempt.
//!
//! Linking compiles, resolves and type-checks, and nothing else: no store, no guest code.
//! `engine` instantiates the `Linked` graph and calls it. `portable` walks the same rules
//! (`declared_module`, `names_for`) to tell which links Bacalhau would make otherwise.

use std::collections::HashMap;
use std::fmt;

use wasmi::{ExternType, FuncType, Module};

use crate::describe;
use crate::net::{self, Offer};

use compiler::Compiled;
pub use compiler::Compiler;

mod compiler;
pub mod portable;
pub mod start_section;
mod text;

/// The host bytes one table element takes in wasmi 2 (a 32-bit reference): what a table
/// costs against the memory limit.
pub const TABLE_ELEMENT_BYTES: u64 = 4;

/// A module's bytes and the names it may be linked under.
pub struct ModuleBytes {
    /// How messages name it: a guest path, or a host path for `bolinho run MODULE`.
    pub label: String,
    /// Names the linker matches import module names against.
    pub names: Vec<ModuleName>,
    pub bytes: Vec<u8>,
}

/// Where the linker looks up modules named by guest path (§5's last rule).
pub trait GuestFiles {
    fn read(&self, guest_path: &str) -> Option<Vec<u8>>;
}

#[derive(Debug)]
pub enum LinkError {
    /// A module failed to parse or validate.
    Load { label: String, cause: wasmi::Error },
    /// Imports nobody provides, or provided with another type.
    Unresolved {
        label: String,
        imports: Vec<Unresolved>,
    },
    /// Import modules that import each other.
    Cycle(Vec<String>),
    /// A memory or table, or all of them together, need more than the memory limit
    /// (compat §7): `item` says which one declares what, when it is known before
    /// instantiation; `limit` is in bytes.
    MemoryLimit {
        label: String,
        item: Option<String>,
        limit: u64,
    },
    /// The entrypoint is missing or not `() -> ()`.
    Entrypoint {
        label: String,
        name: String,
        problem: String,
        exports: Vec<String>,
    },
}

/// One import that cannot be satisfied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The module that declares the import.
    pub importer: String,
    pub module: String,
    pub name: String,
    /// `func (i32) -> ()`, `memory 1.. pages`, ...
    pub ty: String,
    pub reason: String,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Load { label, cause } => write!(f, "failed to load module {label}: {cause}"),
            LinkError::Unresolved { label, imports } => {
                let count = imports.len();
                let s = if count == 1 { "" } else { "s" };
                write!(f, "failed to link {label}: {count} unresolved import{s}:")?;
                for u in imports {
                    write!(
                        f,
                        "\n  {} imports {}::{} ({}): {}",
                        u.importer, u.module, u.name, u.ty, u.reason
                    )?;
                }
                Ok(())
            }
            LinkError::MemoryLimit { label, item, limit } => {
                write!(f, "failed to instantiate {label}: ")?;
                match item {
                    Some(item) => write!(f, "{item}, above")?,
                    None => write!(f, "its memories and tables need more than")?,
                }
                write!(
                    f,
                    " the memory limit of {limit} bytes, shared by every memory and table of \
                     the run"
                )
            }
            LinkError::Cycle(chain) => write!(
                f,
                "failed to link: import modules form a cycle: {}",
                chain.join(" -> ")
            ),
            LinkError::Entrypoint {
                label,
                name,
                problem,
                exports,
            } => {
                write!(
                    f,
                    "failed to find entrypoint `{name}` in {label}: {problem}"
                )?;
                if exports.is_empty() {
                    write!(f, "; the module exports no functions")
                } else {
                    write!(f, "; exported functions:")?;
                    exports.iter().try_for_each(|e| write!(f, "\n  {e}"))
                }
            }
        }
    }
}

impl std::error::Error for LinkError {}

/// A resolved module graph, ready to instantiate.
pub struct Linked {
    /// Modules in instantiation order, dependencies before dependants, the entry last.
    pub modules: Vec<LinkedModule>,
    /// The entry module's function to call, checked to be `() -> ()`.
    pub entrypoint: String,
    /// The size of the largest function body of all the modules, in bytes.
    pub largest_body: usize,
}

/// One module of a `Linked` graph.
pub struct LinkedModule {
    pub module: Module,
    /// How messages name it.
    pub label: String,
    /// Whether its start function was taken out of instantiation (`start_section`): exported as
    /// `start_section::EXPORT`, to be called after it.
    pub deferred_start: bool,
    /// The module names other modules import it by.
    pub names: Vec<String>,
}

struct Node {
    label: String,
    module: Module,
    /// The size of its largest function body, in bytes.
    largest_body: usize,
    /// Whether the module's start function was taken out of instantiation (`start_section`).
    deferred_start: bool,
    /// The nodes this node imports from.
    deps: Vec<usize>,
    /// The module names other modules import it by.
    linked_as: Vec<String>,
}

/// Where module names lead: each source of modules is loaded at most once, so two names for the
/// same module (its Alias and its Target, say) share one instance, as they would in Bacalhau.
struct Resolver<'a> {
    compiler: &'a Compiler,
    files: &'a dyn GuestFiles,
    nodes: Vec<Node>,
    /// Declared import modules, with the node each became once some import named it.
    declared: Vec<(ModuleBytes, Option<usize>)>,
    /// What of them was compiled ahead, by the same index, until it is made a node.
    ahead: Vec<Option<Compiled>>,
    /// Module names already resolved, and guest paths already loaded, to their node.
    by_name: HashMap<String, usize>,
    by_path: HashMap<String, usize>,
}

impl Node {
    /// The export `name` of the module as the user wrote it: a deferred start function's
    /// export is bolinho's, not the guest's.
    fn export(&self, name: &str) -> Option<ExternType> {
        if self.deferred_start && name == start_section::EXPORT {
            return None;
        }
        self.module.get_export(name)
    }
}

/// A node for `bytes`, compiled by `compiler` (or compiled before, when it is shared).
/// The node of `bytes`: compiled ahead, else compiled now.
fn node(
    compiler: &Compiler,
    bytes: &ModuleBytes,
    ahead: Option<Compiled>,
) -> Result<Node, LinkError> {
    let compiled = match ahead {
        Some(compiled) => compiled,
        None => compiler.compile(&bytes.label, &bytes.bytes)?,
    };
    Ok(Node {
        label: bytes.label.clone(),
        module: compiled.module,
        largest_body: compiled.largest_body,
        deferred_start: compiled.deferred_start,
        deps: vec![],
        linked_as: vec![],
    })
}

impl Resolver<'_> {
    fn push(&mut self, node: Node) -> usize {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// The node providing module `name`, loading it on first use; `None` when nothing does.
    fn provider(&mut self, name: &str) -> Result<Option<usize>, LinkError> {
        if let Some(&node) = self.by_name.get(name) {
            return Ok(Some(node));
        }
        let names = self.declared.iter().map(|(m, _)| m.names.as_slice());
        let node = if let Some((i, _)) = declared_module(name, names) {
            match self.declared[i].1 {
                Some(node) => node,
                None => {
                    let ahead = self.ahead.get_mut(i).and_then(Option::take);
                    let node = node(self.compiler, &self.declared[i].0, ahead)?;
                    let node = self.push(node);
                    self.declared[i].1 = Some(node);
                    node
                }
            }
        } else {
            let path = format!("/{}", name.trim_start_matches('/'));
            match self.by_path.get(&path) {
                Some(&node) => node,
                None => {
                    let Some(bytes) = self.files.read(&path) else {
                        return Ok(None);
                    };
                    let bytes = ModuleBytes {
                        label: path.clone(),
                        names: vec![],
                        bytes,
                    };
                    let node = node(self.compiler, &bytes, None)?;
                    let node = self.push(node);
                    self.by_path.insert(path, node);
                    node
                }
            }
        };
        self.by_name.insert(name.to_string(), node);
        self.nodes[node].linked_as.push(name.to_string());
        Ok(Some(node))
    }
}

/// Modules compiled before `resolve` asks for them, so that compiling may take another core
/// while the run does other work (`job` hashes the inputs meanwhile). A module that failed to
/// compile is not kept: `resolve` compiles it again and reports the error where it would have
/// without this.
#[derive(Default)]
pub struct Ahead {
    entry: Option<Compiled>,
    declared: Vec<Option<Compiled>>,
}

/// Compiles, with the compiler `resolve` will be given, the entry module and the declared
/// import modules its imports name; `resolve` compiles the rest as it meets them, as before.
pub fn compile_ahead(compiler: &Compiler, entry: &ModuleBytes, declared: &[ModuleBytes]) -> Ahead {
    let Ok(compiled) = compiler.compile(&entry.label, &entry.bytes) else {
        return Ahead::default();
    };
    let mut named: Vec<usize> = compiled
        .module
        .imports()
        .filter_map(|import| {
            let names = declared.iter().map(|m| m.names.as_slice());
            declared_module(import.module(), names).map(|(i, _)| i)
        })
        .collect();
    named.sort_unstable();
    named.dedup();
    let mut ahead: Vec<Option<Compiled>> = declared.iter().map(|_| None).collect();
    for i in named {
        ahead[i] = compiler
            .compile(&declared[i].label, &declared[i].bytes)
            .ok();
    }
    Ahead {
        entry: Some(compiled),
        declared: ahead,
    }
}

/// Loads the entry module and resolves its imports against the host's modules (WASI, and the
/// network as `network` says), `declared` import modules and the guest filesystem. Checks the
/// entrypoint too, so that no error waits until after start-up. The compiler's engine is
/// `engine::new()`'s (or wasmi's default, which enables the same proposals): modules are
/// validated for the proposals it enables and then built unchecked (`bolinho_validate`), unless
/// `compile_ahead` did it with the same compiler.
pub fn resolve(
    compiler: &Compiler,
    ahead: Ahead,
    entry: ModuleBytes,
    declared: Vec<ModuleBytes>,
    files: &dyn GuestFiles,
    entrypoint: &str,
    network: &Offer,
) -> Result<Linked, LinkError> {
    let mut r = Resolver {
        compiler,
        files,
        nodes: Vec::new(),
        declared: declared.into_iter().map(|m| (m, None)).collect(),
        ahead: ahead.declared,
        by_name: HashMap::new(),
        by_path: HashMap::new(),
    };
    let entry_node = node(compiler, &entry, ahead.entry)?;
    r.push(entry_node);
    check_entrypoint(&r.nodes[0], entrypoint)?;
    let mut unresolved = Vec::new();
    // Nodes are appended as imports name them; each is visited once, in order.
    let mut next = 0;
    while next < r.nodes.len() {
        let importer = r.nodes[next].label.clone();
        let imports: Vec<(String, String, ExternType)> = r.nodes[next]
            .module
            .imports()
            .map(|i| (i.module().to_string(), i.name().to_string(), i.ty().clone()))
            .collect();
        for (module, name, ty) in imports {
            let check = if module == wasi_shim::MODULE {
                check_wasi(&name, &ty)
            } else if module == net::MODULE && *network == Offer::Provided {
                net::check_import(&name, &ty)
            } else {
                match r.provider(&module)? {
                    Some(provider) => {
                        if !r.nodes[next].deps.contains(&provider) {
                            r.nodes[next].deps.push(provider);
                        }
                        check_export(&r.nodes[provider], &name, &ty)
                    }
                    None => match network {
                        // Withheld, the name is like any other (Bacalhau then registers no
                        // such module), but what the user needs to hear is the setting.
                        Offer::Withheld(why) if module == net::MODULE => Err(why.to_string()),
                        _ => Err(format!(
                            "no import module is named `{module}`, and no file /{} exists",
                            module.trim_start_matches('/')
                        )),
                    },
                }
            };
            if let Err(reason) = check {
                let ty = describe::extern_type(&ty);
                unresolved.push(Unresolved {
                    importer: importer.clone(),
                    module,
                    name,
                    ty,
                    reason,
                });
            }
        }
        next += 1;
    }
    if !unresolved.is_empty() {
        return Err(LinkError::Unresolved {
            label: entry.label,
            imports: unresolved,
        });
    }
    let order = instantiation_order(&r.nodes)?;
    let largest_body = r.nodes.iter().map(|n| n.largest_body).max().unwrap_or(0);
    let mut nodes: Vec<Option<Node>> = r.nodes.into_iter().map(Some).collect();
    let modules = order
        .into_iter()
        .map(|i| {
            let node = nodes[i].take().expect("each node is instantiated once");
            LinkedModule {
                module: node.module,
                label: node.label,
                deferred_start: node.deferred_start,
                names: node.linked_as,
            }
        })
        .collect();
    Ok(Linked {
        modules,
        entrypoint: entrypoint.to_string(),
        largest_body,
    })
}

fn check_entrypoint(entry: &Node, name: &str) -> Result<(), LinkError> {
    let problem = match entry.export(name) {
        Some(ExternType::Func(ty)) if ty.params().is_empty() && ty.results().is_empty() => {
            return Ok(());
        }
        Some(ExternType::Func(ty)) => {
            format!("it has type {}, not () -> ()", describe::func_type(&ty))
        }
        Some(other) => format!("it is a {}, not a function", describe::kind(&other)),
        None => "no such export".to_string(),
    };
    let exports = entry
        .module
        .exports()
        .filter(|e| entry.export(e.name()).is_some())
        .filter_map(|e| match e.ty() {
            ExternType::Func(ty) => Some(format!("{} {}", e.name(), describe::func_type(ty))),
            _ => None,
        })
        .collect();
    Err(LinkError::Entrypoint {
        label: entry.label.clone(),
        name: name.to_string(),
        problem,
        exports,
    })
}

/// Whether the WASI layer provides `name` with the type `ty`; the error says why not.
pub fn check_wasi(name: &str, ty: &ExternType) -> Result<(), String> {
    let Some(spec) = wasi_shim::FuncSpec::find(name) else {
        return Err(format!("`{name}` is not a WASI preview1 function"));
    };
    let expected = spec.func_type();
    match ty {
        ExternType::Func(actual) if same_func_type(actual, &expected) => Ok(()),
        _ => Err(format!(
            "WASI defines it as func {}",
            describe::func_type(&expected)
        )),
    }
}

fn same_func_type(a: &FuncType, b: &FuncType) -> bool {
    a.params() == b.params() && a.results() == b.results()
}

/// Checks that `provider` exports `name` with a type that satisfies the import `wanted`.
fn check_export(provider: &Node, name: &str, wanted: &ExternType) -> Result<(), String> {
    let Some(have) = provider.export(name) else {
        return Err(format!("{} exports no `{name}`", provider.label));
    };
    let fits = match (wanted, &have) {
        (ExternType::Func(w), ExternType::Func(h)) => same_func_type(w, h),
        (ExternType::Global(w), ExternType::Global(h)) => {
            w.content() == h.content() && w.mutability() == h.mutability()
        }
        (ExternType::Memory(w), ExternType::Memory(h)) => {
            w.is_64() == h.is_64() && limits_fit(w.minimum(), w.maximum(), h.minimum(), h.maximum())
        }
        (ExternType::Table(w), ExternType::Table(h)) => {
            w.element() == h.element()
                && limits_fit(w.minimum(), w.maximum(), h.minimum(), h.maximum())
        }
        _ => false,
    };
    if fits {
        Ok(())
    } else {
        Err(format!(
            "{} exports it as {}",
            provider.label,
            describe::extern_type(&have)
        ))
    }
}

/// Import limits are satisfied by an export at least as large, and bounded at least as tightly.
fn limits_fit(want_min: u64, want_max: Option<u64>, have_min: u64, have_max: Option<u64>) -> bool {
    have_min >= want_min
        && match (want_max, have_max) {
            (None, _) => true,
            (Some(w), Some(h)) => h <= w,
            (Some(_), None) => false,
        }
}

/// Depth-first post-order from the entry: every module after the modules it imports from.
fn instantiation_order(nodes: &[Node]) -> Result<Vec<usize>, LinkError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Visiting,
        Done,
    }
    fn visit(
        i: usize,
        nodes: &[Node],
        marks: &mut [Mark],
        path: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), LinkError> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Visiting => {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                let mut chain: Vec<String> = path[start..]
                    .iter()
                    .map(|&p| nodes[p].label.clone())
                    .collect();
                chain.push(nodes[i].label.clone());
                return Err(LinkError::Cycle(chain));
            }
            Mark::New => {}
        }
        marks[i] = Mark::Visiting;
        path.push(i);
        for &dep in &nodes[i].deps {
            visit(dep, nodes, marks, path, out)?;
        }
        path.pop();
        marks[i] = Mark::Done;
        out.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; nodes.len()];
    let mut out = Vec::with_capacity(nodes.len());
    visit(0, nodes, &mut marks, &mut Vec::new(), &mut out)?;
    Ok(out)
}

/// Why a declared import module answers to a name (§5; README "Linking"). Bacalhau (v1.7+)
/// shares one rule, the module's own path (it registers an import module under the guest path
/// the job gives it, and looks other names up as paths); `portable` tells the user of the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// The `Alias` of its input, or the NAME of `--import NAME=PATH`.
    Alias,
    /// The path the job (or `--import`) gives it, with or without the leading `/`.
    Path,
    /// The last segment of that path, or the name of the file its bytes come from.
    FileName,
    /// A file name without `.wasm`.
    FileStem,
    /// The Target of the input it lies below, as a path or by its last segment.
    Target,
}

impl NameRule {
    /// How a message names the rule: "bolinho links it by {what}".
    pub fn describe(self) -> &'static str {
        match self {
            NameRule::Alias => "its Alias",
            NameRule::Path => "its path",
            NameRule::FileName => "its file name",
            NameRule::FileStem => "its file name without .wasm",
            NameRule::Target => "the Target of its input",
        }
    }
}

/// The first declared import module that answers to `name`, and the rule by which it does:
/// declared modules come before guest paths (§5), in the order the job lists them.
pub fn declared_module<'m>(
    name: &str,
    declared: impl IntoIterator<Item = &'m [ModuleName]>,
) -> Option<(usize, NameRule)> {
    declared.into_iter().enumerate().find_map(|(i, names)| {
        let found = names.iter().find(|n| n.name == name)?;
        Some((i, found.rule))
    })
}

/// A name a declared import module answers to, and the rule that gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleName {
    pub name: String,
    pub rule: NameRule,
}

/// What a declared import module may be named by.
#[derive(Debug, Clone, Copy)]
pub struct Naming<'a> {
    pub alias: Option<&'a str>,
    /// Its guest path (a host path for `--import NAME=PATH`).
    pub path: &'a str,
    /// The name of the file its bytes come from, when known.
    pub file_name: Option<&'a str>,
    /// The Target of the input it lies in, when known.
    pub target: Option<&'a str>,
}

/// The names a declared import module answers to, in the order they are given: its alias, its
/// path with and without the leading `/`, its file name with and without `.wasm`, and the same
/// of its input's Target (§5). A name given twice keeps its first rule.
pub fn names_for(naming: &Naming) -> Vec<ModuleName> {
    let mut names: Vec<ModuleName> = Vec::new();
    let mut add = |name: &str, rule: NameRule| {
        if !name.is_empty() && !names.iter().any(|n| n.name == name) {
            names.push(ModuleName {
                name: name.to_string(),
                rule,
            });
        }
    };
    if let Some(alias) = naming.alias {
        add(alias, NameRule::Alias);
    }
    let paths = [
        (Some(naming.path), NameRule::Path),
        (naming.file_name, NameRule::FileName),
        (naming.target, NameRule::Target),
    ];
    for (path, rule) in paths {
        let Some(path) = path else { continue };
        let trimmed = path.trim_start_matches('/');
        let file = trimmed.rsplit('/').next().unwrap_or(trimmed);
        let stem = file.strip_suffix(".wasm").unwrap_or(file);
        let (file_rule, stem_rule) = match rule {
            NameRule::Target => (NameRule::Target, NameRule::Target),
            _ => (NameRule::FileName, NameRule::FileStem),
        };
        add(path, rule);
        add(trimmed, rule);
        add(file, file_rule);
        add(stem, stem_rule);
    }
    names
}

#[cfg(test)]
mod tests;
