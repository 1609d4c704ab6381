//! The `Engine` block and its WASM params, in both of Bacalhau's forms (compat §2).
//!
//! The form is decided by `EntryModule`: an InputSource object is the legacy form (v1.0-v1.6,
//! and the form of `wasm-engine-spec.txt`), a string the current one (v1.7+). Both end as guest
//! paths: legacy modules become inputs at Bacalhau's default targets, as its `wasm_legacy.go`
//! transformer does. Mixing the forms is refused, since Bacalhau refuses it too.

use std::collections::HashMap;

use super::SpecError;
use super::plan::{ImportModule, ModuleLocation};
use super::quote::{quote, quote_in};
use super::reader::{Ctx, Field, MapReader, kind};
use super::source::{Inputs, guest_path, read_input};
use super::tree::Value;

/// What the engine block contributes to the plan.
pub(crate) struct Wasm<'n> {
    pub entry_module: ModuleLocation,
    pub import_modules: Vec<ImportModule>,
    pub entrypoint: String,
    pub args: Vec<String>,
    /// The legacy `EnvironmentVariables`, merged with `Task.Env` by `env`.
    pub env: Option<Field<'n>>,
}

/// Reads `Type` and `Params` from `m`, the Engine map (or, for a flat engine document, the
/// root). Legacy modules are added to `inputs`; current-form names are checked against them.
pub(crate) fn read<'n>(
    m: &mut MapReader<'n>,
    inputs: &mut Inputs,
    ctx: &mut Ctx,
) -> Result<Wasm<'n>, SpecError> {
    let type_field = m.require("Type", ctx)?;
    let engine = type_field.string(ctx)?;
    if !engine.eq_ignore_ascii_case("wasm") {
        return Err(type_field.error(
            ctx,
            format!(
                "engine {} is not supported: bolinho runs WASM tasks",
                quote_in('"', &engine)
            ),
        ));
    }
    let mut p = m.require("Params", ctx)?.map(ctx)?;
    let entry = p.require("EntryModule", ctx)?;
    let legacy = match &entry.node.value {
        Value::Map(_) => true,
        Value::String(_) => false,
        other => {
            let found = kind(other);
            let message = format!(
                "expected the Target of an input source (a string) or an input source (a map), found {found}"
            );
            return Err(entry.error(ctx, message));
        }
    };
    let imports = match p.get("ImportModules") {
        Some(f) => f.list(ctx)?,
        None => Vec::new(),
    };
    let (entry_module, import_modules) = if legacy {
        legacy_modules(&entry, &imports, inputs, ctx)?
    } else {
        current_modules(&entry, &imports, inputs, ctx)?
    };
    let entrypoint = match p.get("Entrypoint") {
        Some(f) => {
            let name = f.string(ctx)?;
            entrypoint(&name).map_err(|message| f.error(ctx, message))?;
            name
        }
        // Bacalhau has no default; `_start` is what every WASI command exports.
        None => "_start".to_string(),
    };
    let args = match p.get("Parameters") {
        Some(f) => f
            .list(ctx)?
            .iter()
            .map(|item| {
                let arg = item.text(ctx)?;
                guest_string(&arg).map_err(|message| item.error(ctx, message))?;
                Ok(arg)
            })
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let env = p.get("EnvironmentVariables");
    p.finish(ctx)?;
    Ok(Wasm {
        entry_module,
        import_modules,
        entrypoint,
        args,
        env,
    })
}

type Modules = (ModuleLocation, Vec<ImportModule>);

/// Legacy form: each module is an InputSource, mounted at its Target or Bacalhau's default.
fn legacy_modules(
    entry: &Field,
    imports: &[Field],
    inputs: &mut Inputs,
    ctx: &mut Ctx,
) -> Result<Modules, SpecError> {
    let entry_target = add_module(entry, "/wasm/entry.wasm", inputs, ctx)?.0;
    let mut modules = Vec::with_capacity(imports.len());
    for (i, import) in imports.iter().enumerate() {
        if !matches!(import.node.value, Value::Map(_)) {
            return Err(mixed_forms(
                import,
                "an input source (a map), as EntryModule is",
                ctx,
            ));
        }
        let (target, alias) = add_module(
            import,
            &format!("/wasm/imports/module_{i}.wasm"),
            inputs,
            ctx,
        )?;
        modules.push(ImportModule {
            location: ModuleLocation::Guest(target),
            alias,
        });
    }
    Ok((ModuleLocation::Guest(entry_target), modules))
}

fn add_module(
    field: &Field,
    default_target: &str,
    inputs: &mut Inputs,
    ctx: &mut Ctx,
) -> Result<(String, Option<String>), SpecError> {
    let (input, lines) = read_input(field, Some(default_target), ctx)?;
    let found = (input.target.clone(), input.alias.clone());
    inputs.add(input, lines, ctx)?;
    Ok(found)
}

/// Current form: each module is a guest path at or below the Target of one of the task's
/// InputSources (Bacalhau loads it from the guest's filesystem, so a file inside a mounted
/// directory works too).
fn current_modules(
    entry: &Field,
    imports: &[Field],
    inputs: &Inputs,
    ctx: &Ctx,
) -> Result<Modules, SpecError> {
    let mut named = ModulePaths::default();
    let entry_path = module_path(entry, inputs, &mut named, ctx)?;
    let mut modules = Vec::with_capacity(imports.len());
    for import in imports {
        if !matches!(import.node.value, Value::String(_)) {
            return Err(mixed_forms(
                import,
                "the Target of an input source (a string), as EntryModule is",
                ctx,
            ));
        }
        let path = module_path(import, inputs, &mut named, ctx)?;
        // The alias lets the linker resolve an import by the name the job gave the module.
        let alias = inputs.alias_at(&path);
        modules.push(ImportModule {
            location: ModuleLocation::Guest(path),
            alias,
        });
    }
    Ok((ModuleLocation::Guest(entry_path), modules))
}

fn module_path(
    field: &Field,
    inputs: &Inputs,
    named: &mut ModulePaths,
    ctx: &Ctx,
) -> Result<String, SpecError> {
    let written = field.string(ctx)?;
    if written.is_empty() {
        return Err(field.error(ctx, "required"));
    }
    let path = guest_path(&written).map_err(|message| field.error(ctx, message))?;
    inputs
        .check_module_path(&path)
        .map_err(|message| field.error(ctx, message))?;
    named
        .claim(&path, &field.path)
        .map_err(|message| field.error(ctx, message))?;
    Ok(path)
}

/// The guest paths named as modules, and by what: a module is named once.
#[derive(Default)]
pub(crate) struct ModulePaths(HashMap<String, String>);

impl ModulePaths {
    pub fn claim(&mut self, path: &str, owner: &str) -> Result<(), String> {
        if let Some(first) = self.0.get(path) {
            return Err(format!("{} is already named by {first}", quote(path)));
        }
        self.0.insert(path.to_string(), owner.to_string());
        Ok(())
    }
}

/// `Entrypoint` (and `--entrypoint`): the exported function to call. Left out, it is `_start`.
pub(crate) fn entrypoint(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("must not be empty (leave it out to call `_start`)");
    }
    Ok(())
}

fn mixed_forms(field: &Field, expected: &str, ctx: &Ctx) -> SpecError {
    field.error(
        ctx,
        format!("expected {expected}, found {}", kind(&field.node.value)),
    )
}

/// An argument or a variable's value as the guest gets it: WASI passes both as C strings
/// (`args_get`, `environ_get`), so a NUL byte cannot reach the guest.
pub(crate) fn guest_string(text: &str) -> Result<(), &'static str> {
    match text.contains('\0') {
        true => Err(
            "holds a NUL byte, which WASI cannot pass to the guest (its arguments and \
                     variables are C strings)",
        ),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tree::parse;
    use super::*;

    /// Reads an engine block after the given InputSources, as `task` does.
    fn engine(
        yaml: &str,
        sources: &[(&str, Option<&str>)],
    ) -> Result<(Modules, Vec<String>, Vec<String>), String> {
        let node = parse(yaml).unwrap();
        let mut ctx = Ctx::new(Path::new("job.yaml"), false, &[]);
        let mut inputs = Inputs::default();
        for (i, (target, alias)) in sources.iter().enumerate() {
            let yaml = format!(
                "Target: {target}\nAlias: {}\nSource: {{Type: local, Params: {{Path: x}}}}",
                alias.unwrap_or("\"\"")
            );
            let node = parse(&yaml).unwrap();
            let field = Field {
                node: &node,
                path: format!("InputSources[{i}]"),
                line: None,
            };
            let (input, lines) = read_input(&field, None, &mut ctx).unwrap();
            inputs.add(input, lines, &ctx).unwrap();
        }
        let root = Field::root(&node);
        let mut m = root.map(&ctx).unwrap();
        let wasm = read(&mut m, &mut inputs, &mut ctx).map_err(|e| e.to_string())?;
        let targets = inputs.targets().iter().map(|t| t.to_string()).collect();
        Ok((
            (wasm.entry_module, wasm.import_modules),
            targets,
            ctx.into_warnings(),
        ))
    }

    fn guest(path: &str) -> ModuleLocation {
        ModuleLocation::Guest(path.into())
    }

    #[test]
    fn current_form_names_targets_or_files_below_them() {
        let yaml = "Type: WASM\nParams:\n  EntryModule: app/main.wasm\n  ImportModules: [/lib, lib2.wasm]\n";
        let ((entry, imports), _, warnings) = engine(
            yaml,
            &[("/app", None), ("/lib", Some("math")), ("/lib2.wasm", None)],
        )
        .unwrap();
        assert_eq!(entry, guest("/app/main.wasm"));
        assert_eq!(
            imports,
            [
                ImportModule {
                    location: guest("/lib"),
                    alias: Some("math".into())
                },
                ImportModule {
                    location: guest("/lib2.wasm"),
                    alias: None
                },
            ]
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn current_form_errors() {
        let err = |params: &str, sources: &[(&str, Option<&str>)]| {
            engine(&format!("Type: wasm\nParams:\n{params}"), sources)
                .err()
                .unwrap()
        };
        assert_eq!(
            err(
                "  EntryModule: /nope.wasm\n",
                &[("/app", None), ("/data", None)]
            ),
            "job.yaml:3: Params.EntryModule: no input source is mounted at `/nope.wasm` (targets: /app, /data)"
        );
        assert_eq!(
            err("  EntryModule: /application/x.wasm\n", &[("/app", None)]),
            "job.yaml:3: Params.EntryModule: no input source is mounted at `/application/x.wasm` (targets: /app)"
        );
        assert_eq!(
            err("  EntryModule: main.wasm\n", &[]),
            "job.yaml:3: Params.EntryModule: no input source is mounted at `/main.wasm`: the task has no InputSources"
        );
        assert_eq!(
            err(
                "  EntryModule: /app/a.wasm\n  ImportModules:\n    - app/a.wasm\n",
                &[("/app", None)]
            ),
            "job.yaml:5: Params.ImportModules[0]: `/app/a.wasm` is already named by Params.EntryModule"
        );
        assert_eq!(
            err(
                "  EntryModule: /app\n  ImportModules:\n    - Source: {Type: local}\n",
                &[("/app", None)]
            ),
            "job.yaml:5: Params.ImportModules[0]: expected the Target of an input source (a string), as EntryModule is, found a map"
        );
        assert_eq!(
            err("  EntryModule: \"\"\n", &[]),
            "job.yaml:3: Params.EntryModule: required"
        );
        assert_eq!(
            err("  EntryModule: /a/../b\n", &[]),
            "job.yaml:3: Params.EntryModule: invalid path `/a/../b`: `..` is not allowed"
        );
        assert_eq!(
            err("  EntryModule: [x]\n", &[]),
            "job.yaml:3: Params.EntryModule: expected the Target of an input source (a string) or an input source (a map), found a list"
        );
        assert_eq!(
            err("  Parameters: [a]\n", &[]),
            "job.yaml:2: Params.EntryModule: required"
        );
        assert_eq!(
            err(
                "  EntryModule: /app\n  Entrypoint: \"\"\n",
                &[("/app", None)]
            ),
            "job.yaml:4: Params.Entrypoint: must not be empty (leave it out to call `_start`)"
        );
    }

    #[test]
    fn legacy_modules_get_bacalhau_default_targets() {
        let yaml = "Type: wasm\nParams:\n  EntryModule:\n    Source: {Type: local, Params: {Path: main.wasm}}\n  ImportModules:\n    - Source: {Type: local, Params: {Path: a.wasm}}\n    - Alias: b\n      Target: /lib/b.wasm\n      Source: {Type: inline, Params: {URL: \"data:,\"}}\n";
        let ((entry, imports), targets, _) = engine(yaml, &[("/data", None)]).unwrap();
        assert_eq!(entry, guest("/wasm/entry.wasm"));
        assert_eq!(
            imports,
            [
                ImportModule {
                    location: guest("/wasm/imports/module_0.wasm"),
                    alias: None
                },
                ImportModule {
                    location: guest("/lib/b.wasm"),
                    alias: Some("b".into())
                },
            ]
        );
        assert_eq!(
            targets,
            [
                "/data",
                "/wasm/entry.wasm",
                "/wasm/imports/module_0.wasm",
                "/lib/b.wasm"
            ]
        );
    }

    #[test]
    fn legacy_errors() {
        let err = |yaml: &str| {
            engine(yaml, &[("/wasm/entry.wasm", Some("x"))])
                .err()
                .unwrap()
        };
        let entry = "Type: wasm\nParams:\n  EntryModule:\n    Source: {Type: local, Params: {Path: m.wasm}}\n";
        assert_eq!(
            err(entry),
            "job.yaml:3: Params.EntryModule.Target: `/wasm/entry.wasm` is already used by InputSources[0]"
        );
        let aliased = "Type: wasm\nParams:\n  EntryModule:\n    Target: /e.wasm\n    Alias: x\n    Source: {Type: local, Params: {Path: m.wasm}}\n";
        assert_eq!(
            err(aliased),
            "job.yaml:5: Params.EntryModule.Alias: alias `x` is already used by InputSources[0]"
        );
        let mixed = "Type: wasm\nParams:\n  EntryModule:\n    Target: /e.wasm\n    Source: {Type: local, Params: {Path: m.wasm}}\n  ImportModules: [/wasm/entry.wasm]\n";
        assert_eq!(
            err(mixed),
            "job.yaml:6: Params.ImportModules[0]: expected an input source (a map), as EntryModule is, found a string"
        );
    }

    #[test]
    fn engine_type_and_params() {
        let err = |yaml: &str| engine(yaml, &[]).err().unwrap();
        assert_eq!(
            err("Type: docker\nParams: {}\n"),
            "job.yaml:1: Type: engine \"docker\" is not supported: bolinho runs WASM tasks"
        );
        assert_eq!(err("Params: {}\n"), "job.yaml:1: Type: required");
        assert_eq!(err("Type: wasm\n"), "job.yaml:1: Params: required");
        let ok = engine(
            "Type: Wasm\nParams:\n  EntryModule: /m.wasm\n  Entrypiont: main\n",
            &[("/m.wasm", None)],
        )
        .unwrap();
        assert_eq!(
            ok.2,
            ["job.yaml:4: Params.Entrypiont: unknown key (ignored)"]
        );
    }
}
