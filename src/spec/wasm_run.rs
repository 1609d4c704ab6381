//! The job `bacalhau wasm run` would submit, built from the same flags: `bolinho run` given
//! `-i`, `-I`, `-o`, `-p`, or an entry module that is a URI, a `PATH:TARGET` or a guest path.
//!
//! Owns: the grammar of those flags as Bacalhau reads them (`cmd/cli/wasm/wasm_run.go`,
//! `cmd/util/flags/`): the entry module and `--import-modules` (a storage spec, a local file or
//! a guest path), `-e`, `-o NAME:PATH`, `--network` and `--domain` (`storage` reads the URIs of
//! `-i` and `-p`), and the record of which flag wrote each part of the job, so that a
//! problem the job's own validation finds is reported against the flag. Must not touch the
//! filesystem: whether a local module exists is asked of the caller (`probe`), and a local
//! module becomes a `localDirectory` source by its path, which `--dry-run` turns into the
//! inline source Bacalhau sends (`yaml_with_inline_modules`).
//!
//! Where Bacalhau would silently misread a value, it is refused instead: a port in the short
//! form of an `http` URI (`http://host:8080/x` is read as source `http://host`, target
//! `8080/x`), a `--domain` without `--network http` (dropped), and a storage option of a known
//! scheme that is wrong (an entry module that fails as a URI is taken for a guest path).

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::SpecError;
use super::export::{
    InputSource, Job, JobNetwork, Params, Resources, ResultPath, Task, Timeouts, inline,
};
use super::flags::DomainFlag;
use super::pflag::{string_slice, string_to_string};
use super::quote::key;
use storage::{local_source, looks_like_storage_spec, publisher, storage_spec};

/// The flags of a Bacalhau-style module run, as typed.
#[derive(Debug, Default)]
pub struct WasmRunFlags<'a> {
    /// The entry module: a local file, a storage URI, either with `:TARGET`, or a guest path.
    pub entry: &'a str,
    pub args: &'a [String],
    /// `-i/--input`.
    pub inputs: &'a [String],
    /// `-I/--import-modules`.
    pub import_modules: &'a [String],
    /// `-e/--env`.
    pub env: &'a [String],
    /// `-o/--output`.
    pub outputs: &'a [String],
    /// `-p/--publisher`.
    pub publisher: Option<&'a str>,
    /// `--entry-point` (or `--entrypoint`).
    pub entrypoint: Option<&'a str>,
    pub network: Option<&'a str>,
    /// `--domain` (or `--allow-domain`).
    pub domains: &'a [DomainFlag],
    /// `--memory`, as written: `Resources.Memory`.
    pub memory: Option<&'a str>,
    /// `--timeout` in whole seconds, rounded up: `Timeouts.TotalTimeout`.
    pub timeout_seconds: Option<u64>,
    /// `Meta` entries of bolinho's own flags (`bolinho.fuel`, `bolinho.epoch`, `bolinho.seed`).
    pub meta: BTreeMap<&'static str, String>,
}

/// What a local path names, as the caller found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalPath {
    File,
    Missing,
    /// Anything else, with why it cannot be a module (a directory; an I/O error).
    Unusable(String),
}

/// The job, and where its parts came from.
pub struct WasmRun {
    job: Job,
    /// The input sources that are local module files: their index and host path.
    local_modules: Vec<(usize, PathBuf)>,
    /// Field paths of the job, each with the flag that wrote it; the longest match names the
    /// flag of an error.
    origins: Vec<(String, String)>,
    /// The run's name: the entry module's file stem (Bacalhau names a job by its id).
    pub name: String,
}

/// Whether an entry module that is not a file on this host asks for a Bacalhau-style run: a
/// storage URI, or `PATH:TARGET` with PATH a file.
pub fn entry_is_bacalhau_style(entry: &str, probe: impl Fn(&str) -> LocalPath) -> bool {
    looks_like_storage_spec(entry)
        || matches!(entry.split(':').collect::<Vec<_>>()[..], [path, _] if probe(path) == LocalPath::File)
}

impl WasmRun {
    /// Builds the job; an error names the flag at fault.
    pub fn build(
        flags: &WasmRunFlags<'_>,
        probe: impl Fn(&str) -> LocalPath,
    ) -> Result<WasmRun, String> {
        let mut parts = Parts::default();
        parts.origins.push((
            "Tasks[0].Engine.Params.Parameters".to_string(),
            "the module's arguments".to_string(),
        ));
        // Bacalhau's order: the `-i` sources as parsed, then the entry module, then imports.
        for input in flags.inputs {
            let source =
                storage_spec(input, "/inputs").map_err(|e| format!("-i {}: {e}", key(input)))?;
            parts.source(source, None, &format!("-i {input}"));
        }
        let entry_flag = format!("the entry module {}", flags.entry);
        let entry =
            module(flags.entry, "main.wasm", &probe).map_err(|e| format!("{entry_flag}: {e}"))?;
        let entry_module = parts.module(entry, &entry_flag);
        parts
            .origins
            .push(("Tasks[0].Engine.Params.EntryModule".into(), entry_flag));
        let mut import_modules = Vec::new();
        for value in flags.import_modules {
            let items = string_slice(value).map_err(|e| format!("-I {}: {e}", key(value)))?;
            for item in items {
                let flag = format!("-I {item}");
                let import = module(&item, "", &probe).map_err(|e| format!("{flag}: {e}"))?;
                if matches!(&import, Module::Source { source, .. } if source.target.is_empty()) {
                    return Err(format!(
                        "{flag}: an import module given as a file or URI needs the path the \
                         guest sees it at: {item}:TARGET"
                    ));
                }
                let path = parts.module(import, &flag);
                parts.origins.push((
                    format!(
                        "Tasks[0].Engine.Params.ImportModules[{}]",
                        import_modules.len()
                    ),
                    flag,
                ));
                import_modules.push(path);
            }
        }
        let Parts {
            sources,
            local_modules,
            mut origins,
        } = parts;
        let env = env(flags.env)?;
        for name in env.keys() {
            origins.push((format!("Tasks[0].Env.{name}"), format!("-e {name}")));
        }
        let mut result_paths = Vec::new();
        for output in flags.outputs {
            origins.push((
                format!("Tasks[0].ResultPaths[{}]", result_paths.len()),
                format!("-o {output}"),
            ));
            result_paths.push(result_path(output)?);
        }
        let publisher = match flags.publisher {
            Some(value) => {
                origins.push(("Tasks[0].Publisher".into(), format!("-p {value}")));
                Some(publisher(value).map_err(|e| format!("-p {}: {e}", key(value)))?)
            }
            None => None,
        };
        let network = network(flags.network, flags.domains)?;
        origins.push(("Tasks[0].Network".into(), "--network".into()));
        origins.push(("Tasks[0].Network.Domains".into(), "--domain".into()));
        if let Some(memory) = flags.memory {
            origins.push(("Tasks[0].Resources".into(), format!("--memory {memory}")));
        }
        let entrypoint = flags.entrypoint.unwrap_or("_start");
        origins.push((
            "Tasks[0].Engine.Params.Entrypoint".into(),
            format!("--entry-point {entrypoint}"),
        ));
        let params = Params {
            entry_module,
            entrypoint: entrypoint.to_string(),
            import_modules,
            parameters: flags.args.to_vec(),
        };
        // Bacalhau names a job by its id: no Name.
        let job = Job::batch(
            String::new(),
            Task {
                env,
                meta: flags.meta.clone(),
                input_sources: sources,
                result_paths,
                publisher,
                network,
                resources: flags.memory.map(|memory| Resources {
                    memory: memory.to_string(),
                }),
                timeouts: flags.timeout_seconds.map(|seconds| Timeouts {
                    execution_timeout: None,
                    total_timeout: Some(seconds),
                }),
                ..Task::wasm(params)
            },
        );
        Ok(WasmRun {
            job,
            local_modules,
            origins,
            name: stem(&source_name(flags.entry)),
        })
    }

    /// The job as JSON, for `spec::parse_job`.
    pub fn json(&self) -> String {
        serde_json::to_string(&self.job).expect("a job always serialises")
    }

    /// The host files of local modules, in the order `yaml_with_inline_modules` wants their bytes.
    pub fn local_module_paths(&self) -> impl Iterator<Item = &PathBuf> {
        self.local_modules.iter().map(|(_, path)| path)
    }

    /// The job as YAML with each local module inline, as Bacalhau sends it (`--dry-run`).
    pub fn yaml_with_inline_modules(mut self, bytes: &[Vec<u8>]) -> String {
        let sources = &mut self.job.tasks[0].input_sources;
        for ((index, _), bytes) in self.local_modules.iter().zip(bytes) {
            let target = std::mem::take(&mut sources[*index].target);
            sources[*index] = inline(&target, bytes);
        }
        serde_saphyr::to_string(&self.job).expect("a job always serialises")
    }

    /// An error of the job's validation, told against the flag that wrote the field at fault.
    pub fn flag_error(&self, error: &SpecError) -> String {
        let at = |prefix: &str| {
            error.field == prefix
                || error
                    .field
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        };
        match self
            .origins
            .iter()
            .filter(|(prefix, _)| at(prefix))
            .max_by_key(|(prefix, _)| prefix.len())
        {
            Some((prefix, flag)) => match error.field[prefix.len()..].trim_start_matches('.') {
                "" => format!("{flag}: {}", error.message),
                rest => format!("{flag}: {rest}: {}", error.message),
            },
            None => match error.field.as_str() {
                "" => format!("the job of bacalhau wasm run's flags: {}", error.message),
                field => format!(
                    "the job of bacalhau wasm run's flags: {field}: {}",
                    error.message
                ),
            },
        }
    }
}

/// The job's input sources as the flags add them, and what `WasmRun` keeps of them.
#[derive(Default)]
struct Parts {
    sources: Vec<InputSource>,
    /// The sources that are local module files: their index and host path.
    local_modules: Vec<(usize, PathBuf)>,
    /// Field paths of the job and the flag that wrote each (`WasmRun::origins`).
    origins: Vec<(String, String)>,
}

impl Parts {
    /// Adds `source`, written by `flag` (`local`: the host file of a local module); returns
    /// its Target.
    fn source(&mut self, source: InputSource, local: Option<PathBuf>, flag: &str) -> String {
        let index = self.sources.len();
        if let Some(path) = local {
            self.local_modules.push((index, path));
        }
        let field = format!("Tasks[0].InputSources[{index}]");
        self.origins.push((field, flag.to_string()));
        let target = source.target.clone();
        self.sources.push(source);
        target
    }

    /// A module's guest path: the Target of its own source, added here, or the path an input
    /// gives it.
    fn module(&mut self, module: Module, flag: &str) -> String {
        match module {
            Module::Guest(path) => path,
            Module::Source { source, local } => self.source(source, local, flag),
        }
    }
}

/// Where the entry module comes from, without a `:TARGET`: its URI or host path.
fn source_name(entry: &str) -> String {
    if looks_like_storage_spec(entry)
        && let Ok(source) = storage_spec(entry, "")
    {
        return source.alias;
    }
    match entry.split(':').collect::<Vec<_>>()[..] {
        [path, _] => path.to_string(),
        _ => entry.to_string(),
    }
}

/// `/app/main.wasm` -> `main`; `main.wasm/` -> `main`.
fn stem(path: &str) -> String {
    let name = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    if stem.is_empty() { "module" } else { stem }.to_string()
}

/// A module named on the command line.
enum Module {
    /// A path the guest sees, which an `-i` source must provide.
    Guest(String),
    /// A source of its own; `local` when it is a host file.
    Source {
        source: InputSource,
        local: Option<PathBuf>,
    },
}

/// `parseWasmModule`: a storage spec, else a local file (`PATH` or `PATH:TARGET`), else a
/// guest path, which is the whole value.
fn module(
    value: &str,
    default_target: &str,
    probe: &impl Fn(&str) -> LocalPath,
) -> Result<Module, String> {
    if looks_like_storage_spec(value) {
        return Ok(Module::Source {
            source: storage_spec(value, default_target)?,
            local: None,
        });
    }
    let (path, target) = match value.split(':').collect::<Vec<_>>()[..] {
        [path, target] => (path, target),
        _ => (value, default_target),
    };
    match probe(path) {
        LocalPath::Missing => Ok(Module::Guest(value.to_string())),
        LocalPath::Unusable(why) => Err(format!("{}: {why}", key(path))),
        LocalPath::File => Ok(Module::Source {
            source: InputSource {
                alias: String::new(),
                target: target.to_string(),
                source: local_source(path, false),
            },
            local: Some(PathBuf::from(path)),
        }),
    }
}

/// `-e K=V` (pflag `StringToString`: `-e A=1,B=2` is two); a later value wins. A Bacalhau-style
/// run is a job, whose variables are written in it: `-e NAME` alone has no value to write.
fn env(values: &[String]) -> Result<BTreeMap<String, String>, String> {
    let mut env = BTreeMap::new();
    for value in values {
        let pairs = string_to_string(value).unwrap_or_else(|| {
            Err(format!(
                "expected KEY=VALUE: a run with Bacalhau's flags is a job, and a job writes its \
                 variables' values (pass the host's as -e {value}=\"${value}\")"
            ))
        });
        env.extend(pairs.map_err(|e| format!("-e {}: {e}", key(value)))?);
    }
    Ok(env)
}

/// `-o NAME:PATH`.
fn result_path(value: &str) -> Result<ResultPath, String> {
    match value.split(':').collect::<Vec<_>>()[..] {
        [name, path] if !name.is_empty() && !path.is_empty() => Ok(ResultPath {
            name: name.to_string(),
            path: path.to_string(),
        }),
        _ => Err(format!("-o {}: expected NAME:PATH", key(value))),
    }
}

/// `--network` and `--domain`: Bacalhau's network types; `Default` (or none) writes no
/// `Network`, which Bacalhau would then also do with `--domain`, so that is refused.
fn network(kind: Option<&str>, domains: &[DomainFlag]) -> Result<Option<JobNetwork>, String> {
    const TYPES: [&str; 6] = ["Default", "None", "Host", "Full", "HTTP", "Bridge"];
    let written = kind.unwrap_or("Default").trim();
    let Some(r#type) = TYPES.iter().find(|t| t.eq_ignore_ascii_case(written)) else {
        return Err(format!(
            "--network {}: expected one of {}",
            key(written),
            TYPES.join(", ")
        ));
    };
    if *r#type == "Default" {
        return match domains.first() {
            Some(domain) => Err(format!(
                "{} {}: applies to --network http",
                domain.flag(),
                key(domain.value())
            )),
            None => Ok(None),
        };
    }
    Ok(Some(JobNetwork {
        r#type,
        domains: domains.iter().map(|d| d.value().to_string()).collect(),
    }))
}

mod storage;

#[cfg(test)]
mod bacalhau_cases;
#[cfg(test)]
mod tests;
