//! A module run written as the Bacalhau job that does the same (`bolinho run MODULE --dry-run`),
//! so a module tried locally goes to a cluster with `bacalhau job run`, and back to bolinho.
//!
//! Owns: the mapping from a module run's plan to Bacalhau's current job form (v1.7+): each
//! module inline (a `data:` URL, as `bacalhau wasm run` sends a local module) at `/<file name>`,
//! an import module at `/<its import name>` (Bacalhau looks an import up by that path), each
//! `--dir` a read-write `localDirectory` source, the limits as `Resources`, `Timeouts` and
//! `Meta`. Must not read files: the caller hands over the modules' bytes (a relative `--dir`
//! is made absolute against the current directory, which reads no file).
//!
//! What a job cannot say is left out, and `notes` says so: the output limit (a node setting in
//! Bacalhau), stdin (a job has none), and a module run's missing memory limit (a job without
//! `Resources.Memory` gets Bacalhau's default).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use serde::Serialize;

use super::plan::{DEFAULT_OUTPUT_BYTES, EnvValue, Network, Plan, Source};

/// A module of the run: its host file and its bytes.
pub struct ModuleFile<'a> {
    pub path: &'a Path,
    pub bytes: &'a [u8],
}

/// The job document, and what it could not carry over.
pub struct Exported {
    pub yaml: String,
    pub notes: Vec<String>,
}

// The job document's parts, as Bacalhau's models write them; `wasm_run` builds them too.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Job {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub r#type: &'static str,
    pub count: u64,
    pub tasks: [Task; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Task {
    pub name: &'static str,
    pub engine: Engine,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub meta: BTreeMap<&'static str, String>,
    pub input_sources: Vec<InputSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub result_paths: Vec<ResultPath>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher: Option<SourceSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network: Option<JobNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Resources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<Timeouts>,
}

impl Job {
    /// A batch job of one execution of `task`, as `bacalhau wasm run` makes them.
    pub(super) fn batch(name: String, task: Task) -> Job {
        Job {
            name,
            r#type: "batch",
            count: 1,
            tasks: [task],
        }
    }
}

impl Task {
    /// The task `main` running `params` on the wasm engine, and nothing else.
    pub(super) fn wasm(params: Params) -> Task {
        Task {
            name: "main",
            engine: Engine {
                r#type: "wasm",
                params,
            },
            env: BTreeMap::new(),
            meta: BTreeMap::new(),
            input_sources: Vec::new(),
            result_paths: Vec::new(),
            publisher: None,
            network: None,
            resources: None,
            timeouts: None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Engine {
    pub r#type: &'static str,
    pub params: Params,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Params {
    pub entry_module: String,
    pub entrypoint: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub import_modules: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameters: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InputSource {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub alias: String,
    pub target: String,
    pub source: SourceSpec,
}

/// A `ResultPaths` entry.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ResultPath {
    pub name: String,
    pub path: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SourceSpec {
    pub r#type: &'static str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, SourceParam>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum SourceParam {
    Text(String),
    Flag(bool),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct JobNetwork {
    pub r#type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Resources {
    pub memory: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Timeouts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_timeout: Option<u64>,
    /// What `bacalhau wasm run --timeout` sets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_timeout: Option<u64>,
}

/// Writes a module run's `plan` as a Bacalhau job; `modules` are its entry module, then its
/// import modules, in the plan's order. Host variables the run passes on (`--env NAME`) are
/// written with the value they have now.
pub fn bacalhau_job(
    plan: &Plan,
    modules: &[ModuleFile<'_>],
    host_env: impl Fn(&str) -> Option<String>,
) -> Exported {
    let mut notes = Vec::new();
    let mut sources = Vec::new();
    let (entry, imports) = modules
        .split_first()
        .expect("a module run has its entry module");
    let entry_module = format!(
        "/{}",
        entry.path.file_name().unwrap_or_default().to_string_lossy()
    );
    sources.push(inline(&entry_module, entry.bytes));
    // An import module goes where Bacalhau looks for the name the guest imports it by.
    let import_modules = plan
        .import_modules
        .iter()
        .zip(imports)
        .map(|(module, file)| {
            let name = module.alias.as_deref().unwrap_or_default();
            let target = format!("/{}", name.trim_start_matches('/'));
            sources.push(inline(&target, file.bytes));
            target
        })
        .collect();
    for input in &plan.inputs {
        if let Source::Local {
            path, read_write, ..
        } = &input.source
        {
            // Absolute: a job file is read relative to its own directory, not the run's.
            let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
            let params = BTreeMap::from([
                (
                    "SourcePath".into(),
                    SourceParam::Text(path.display().to_string()),
                ),
                ("ReadWrite".into(), SourceParam::Flag(*read_write)),
            ]);
            sources.push(InputSource {
                alias: String::new(),
                target: input.target.clone(),
                source: SourceSpec {
                    r#type: "localDirectory",
                    params,
                },
            });
        }
    }
    let mut env = BTreeMap::new();
    for var in &plan.env {
        let value = match &var.value {
            EnvValue::Literal(value) => value.clone(),
            EnvValue::FromHost(name) => match host_env(name) {
                Some(value) => value,
                None => {
                    notes.push(format!("{}: the host has no {name}; left out", var.name));
                    continue;
                }
            },
        };
        env.insert(var.name.clone(), value);
    }
    let mut meta = BTreeMap::new();
    if let Some(fuel) = plan.limits.fuel {
        meta.insert("bolinho.fuel", fuel.to_string());
    }
    if let Some(epoch) = plan.determinism.epoch_ns {
        meta.insert("bolinho.epoch", super::format_epoch(epoch));
    }
    if let Some(seed) = plan.determinism.seed {
        meta.insert("bolinho.seed", seed.to_string());
    }
    let network = match &plan.network {
        Network::None => None,
        Network::Host => Some(JobNetwork {
            r#type: "Host",
            domains: Vec::new(),
        }),
        Network::Http { domains } => Some(JobNetwork {
            r#type: "HTTP",
            domains: domains.iter().map(|d| d.as_str().to_string()).collect(),
        }),
    };
    let resources = match plan.limits.memory_bytes {
        Some(bytes) => Some(Resources {
            memory: bytes.to_string(),
        }),
        None => {
            notes.push(
                "the run has no memory limit; the job gets Bacalhau's default, 512 MB \
                 (set --memory to choose)"
                    .into(),
            );
            None
        }
    };
    // Bacalhau's timeouts are whole seconds: rounded up, never shorter than asked.
    let timeouts = plan.limits.timeout.map(|t| Timeouts {
        execution_timeout: Some(t.as_secs() + u64::from(t.subsec_nanos() > 0)),
        total_timeout: None,
    });
    if plan.limits.output_bytes != DEFAULT_OUTPUT_BYTES {
        notes.push(
            "the output limit is a setting of Bacalhau's nodes, not of a job; left out".into(),
        );
    }
    notes.push("a job's guest has no stdin".into());
    let params = Params {
        entry_module,
        entrypoint: plan.entrypoint.clone(),
        import_modules,
        parameters: plan.args.clone(),
    };
    let job = Job::batch(
        plan.name.clone(),
        Task {
            env,
            meta,
            input_sources: sources,
            network,
            resources,
            timeouts,
            ..Task::wasm(params)
        },
    );
    Exported {
        yaml: serde_saphyr::to_string(&job).expect("a job always serialises"),
        notes,
    }
}

/// A module as an `inline` source at `target`, a `data:` URL as `bacalhau wasm run` sends one.
pub(super) fn inline(target: &str, bytes: &[u8]) -> InputSource {
    let url = format!(
        "data:application/wasm;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    );
    InputSource {
        alias: String::new(),
        target: target.to_string(),
        source: SourceSpec {
            r#type: "inline",
            params: BTreeMap::from([("URL".into(), SourceParam::Text(url))]),
        },
    }
}
