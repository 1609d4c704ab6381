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

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Job {
    name: String,
    r#type: &'static str,
    count: u64,
    tasks: [Task; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Task {
    name: &'static str,
    engine: Engine,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    env: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    meta: BTreeMap<&'static str, String>,
    input_sources: Vec<InputSource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    network: Option<JobNetwork>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resources: Option<Resources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeouts: Option<Timeouts>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Engine {
    r#type: &'static str,
    params: Params,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Params {
    entry_module: String,
    entrypoint: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    import_modules: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parameters: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct InputSource {
    target: String,
    source: SourceSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SourceSpec {
    r#type: &'static str,
    params: BTreeMap<&'static str, SourceParam>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum SourceParam {
    Text(String),
    Flag(bool),
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JobNetwork {
    r#type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    domains: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Resources {
    memory: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Timeouts {
    execution_timeout: u64,
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
                ("SourcePath", SourceParam::Text(path.display().to_string())),
                ("ReadWrite", SourceParam::Flag(*read_write)),
            ]);
            sources.push(InputSource {
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
        meta.insert("bolinho.epoch", epoch.to_string());
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
        execution_timeout: t.as_secs() + u64::from(t.subsec_nanos() > 0),
    });
    if plan.limits.output_bytes != DEFAULT_OUTPUT_BYTES {
        notes.push(
            "the output limit is a setting of Bacalhau's nodes, not of a job; left out".into(),
        );
    }
    notes.push("a job's guest has no stdin".into());
    let job = Job {
        name: plan.name.clone(),
        r#type: "batch",
        count: 1,
        tasks: [Task {
            name: "main",
            engine: Engine {
                r#type: "wasm",
                params: Params {
                    entry_module,
                    entrypoint: plan.entrypoint.clone(),
                    import_modules,
                    parameters: plan.args.clone(),
                },
            },
            env,
            meta,
            input_sources: sources,
            network,
            resources,
            timeouts,
        }],
    };
    Exported {
        yaml: serde_saphyr::to_string(&job).expect("a job always serialises"),
        notes,
    }
}

/// A module as an `inline` source at `target`, a `data:` URL as `bacalhau wasm run` sends one.
fn inline(target: &str, bytes: &[u8]) -> InputSource {
    let url = format!(
        "data:application/wasm;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    );
    InputSource {
        target: target.to_string(),
        source: SourceSpec {
            r#type: "inline",
            params: BTreeMap::from([("URL", SourceParam::Text(url))]),
        },
    }
}
