//! The three document shapes (compat §1) and the `Plan` each becomes.
//!
//! - A full **Job** (it has `Tasks`): job keys are checked against Bacalhau's allow-list, and
//!   only `Tasks[0]` runs, as in Bacalhau. Field paths start at `Tasks[0]`.
//! - A single **Task** (it has `Engine`, and no top-level `Params` beside an empty one). A bare
//!   engine block, `Engine: {Type, Params}`, is the same thing: a Task with nothing but an
//!   Engine. Paths start at the root (`Engine.Params.EntryModule`, `InputSources[0]`).
//! - A **flat engine block** (`Type` and `Params` at the top, no `Tasks`, `Engine` absent or
//!   null). This is `wasm-engine-spec.txt`'s example exactly as printed there, where the
//!   indentation under `Engine:` was lost: YAML reads it as `Engine: null` beside the engine's
//!   own keys, and refusing the spec's own example would help nobody.

use std::path::Path;

use super::SpecError;
use super::engine;
use super::env::{JobType, user_env, with_system};
use super::plan::{Limits, Network, Origin, Plan, Publisher};
use super::quote::quote;
use super::reader::{Ctx, Field, MapReader, join, kind};
use super::source::Inputs;
use super::task::{self, Task, string_map};
use super::tree::{Entry, Node, Value};

/// The top-level keys of a Bacalhau job a file may set.
const JOB_KEYS: [&str; 9] = [
    "Name",
    "Namespace",
    "Type",
    "Priority",
    "Count",
    "Constraints",
    "Meta",
    "Labels",
    "Tasks",
];
/// The name a job read from standard input goes by in messages. Its relative local paths
/// resolve against the current directory, and its default name is `job`.
pub const STDIN: &str = "<stdin>";

/// Keys of a job that only Bacalhau's server sets, which `bacalhau job describe` and
/// `--dry-run` print. Bacalhau ignores them when a job is submitted (`SanitizeSubmission` in
/// pkg/models/job.go), warning about each that is not its zero value; so does bolinho.
const SERVER_KEYS: [&str; 6] = [
    "ID",
    "State",
    "Version",
    "Revision",
    "CreateTime",
    "ModifyTime",
];

/// Validates a parsed document into a `Plan`.
pub(crate) fn plan(root: &Node, ctx: &mut Ctx) -> Result<Plan, SpecError> {
    let field = Field::root(root);
    let entries = match &root.value {
        Value::Null => return Err(ctx.error(None, "", "the document is empty")),
        Value::Map(entries) => entries,
        other => {
            let message = format!(
                "expected a job, a task or an engine block (a map), found {}",
                kind(other)
            );
            return Err(field.error(ctx, message));
        }
    };
    let (task, job_name, count, job_type) = match shape(entries) {
        Some(Shape::Job) => job(&field, entries, ctx)?,
        Some(Shape::Task) => (task::read(&field, ctx)?, None, 1, JobType::Batch),
        Some(Shape::FlatEngine) => (flat_engine(&field, ctx)?, None, 1, JobType::Batch),
        None => {
            let message = "not a job: expected `Tasks` (a job), `Engine` (a task) or `Type` and `Params` (an engine block)";
            return Err(field.error(ctx, message));
        }
    };
    let stem = || match ctx.file().file_stem() {
        Some(stem) if ctx.file() != Path::new(STDIN) => stem.to_string_lossy().into_owned(),
        _ => "job".to_string(),
    };
    Ok(Plan {
        name: job_name.or(task.name).unwrap_or_else(stem),
        origin: Origin::Job,
        inputs: task.inputs,
        entry_module: task.entry_module,
        import_modules: task.import_modules,
        entrypoint: task.entrypoint,
        args: task.args,
        env: with_system(task.env, count, job_type),
        outputs: task.outputs,
        preopen_root: true,
        publisher: task.publisher,
        network: task.network,
        limits: task.limits,
        determinism: task.determinism,
    })
}

enum Shape {
    Job,
    Task,
    FlatEngine,
}

/// Which shape a document is, by its top-level keys (matched case-insensitively).
fn shape(entries: &[Entry]) -> Option<Shape> {
    let find = |key: &str| entries.iter().find(|e| e.key.eq_ignore_ascii_case(key));
    // `Some(false)` is an `Engine:` with nothing under it.
    let engine = find("Engine").map(|e| e.value.value != Value::Null);
    let params = find("Params").is_some();
    // With neither `Engine` nor `Params`, any job key (`Name`, `Count`, `ID`) makes it a job
    // that lacks its tasks, so a misspelt `Tasks` is reported as the unknown key it is.
    let job_keys = entries.iter().any(|e| {
        let is = |keys: &[&str]| keys.iter().any(|k| k.eq_ignore_ascii_case(&e.key));
        is(&JOB_KEYS) || is(&SERVER_KEYS)
    });
    if find("Tasks").is_some() || (engine.is_none() && !params && job_keys) {
        Some(Shape::Job)
    } else if engine == Some(true) || (engine.is_some() && !params) {
        Some(Shape::Task)
    } else if params {
        Some(Shape::FlatEngine)
    } else {
        None
    }
}

/// A full job: its own keys, then `Tasks[0]`. Returns the task, the job's Name, its Count and
/// its Type.
fn job(
    field: &Field,
    entries: &[Entry],
    ctx: &mut Ctx,
) -> Result<(Task, Option<String>, u64, JobType), SpecError> {
    // Top-level keys are errors, not warnings: Bacalhau rejects them too, so a typo here would
    // make a job that runs locally and fails on the network.
    for entry in entries {
        let known = |keys: &[&str]| keys.iter().any(|k| k.eq_ignore_ascii_case(&entry.key));
        if !known(&JOB_KEYS) && !known(&SERVER_KEYS) {
            return Err(ctx.error(entry.line, &join("", &entry.key), "unknown key"));
        }
    }
    let mut m = field.map(ctx)?;
    ignore_server_keys(&mut m, ctx)?;
    let name = match m.get("Name") {
        Some(f) => Some(f.string(ctx)?).filter(|n| !n.is_empty()),
        None => None,
    };
    if let Some(f) = m.get("Namespace") {
        f.string(ctx)?;
    }
    let job_type = match m.get("Type") {
        Some(f) => job_type(&f, ctx)?,
        None => JobType::Batch,
    };
    if let Some(f) = m.get("Priority") {
        f.i64(ctx)?;
    }
    let count = match m.get("Count") {
        Some(f) => {
            let count = f.u64(ctx)?;
            if count == 0 {
                // Bacalhau reads an explicit 0 as "stop every execution".
                return Err(f.error(ctx, "must be at least 1"));
            }
            count
        }
        None => 1,
    };
    if let Some(f) = m.get("Constraints") {
        f.list(ctx)?;
    }
    for key in ["Meta", "Labels"] {
        if let Some(f) = m.get(key) {
            string_map(&f, ctx)?;
        }
    }
    let tasks_field = m.require("Tasks", ctx)?;
    let tasks = tasks_field.list(ctx)?;
    let Some(first) = tasks.first() else {
        return Err(tasks_field.error(ctx, "must list at least one task"));
    };
    let task = task::read(first, ctx)?;
    if tasks.len() > 1 {
        let message = format!(
            "only Tasks[0] runs; {} more task(s) ignored",
            tasks.len() - 1
        );
        ctx.warn(tasks_field.line, &tasks_field.path, message);
    }
    m.finish(ctx)?;
    Ok((task, name, count, job_type))
}

/// A job's `Type`. On one machine an ops job, which Bacalhau runs once on every matching node,
/// is one execution, as a batch job is; a service or a daemon runs until it is stopped, which
/// is not a job bolinho can run to an end and a receipt.
fn job_type(f: &Field, ctx: &Ctx) -> Result<JobType, SpecError> {
    let written = f.string(ctx)?;
    match written.to_ascii_lowercase().as_str() {
        "" | "batch" => Ok(JobType::Batch),
        "ops" => Ok(JobType::Ops),
        "service" | "daemon" => {
            let written = quote(&written);
            Err(f.error(
                ctx,
                format!(
                    "job type {written} is not supported: a {} job runs until it is stopped, \
                     and bolinho runs jobs that end (batch or ops)",
                    written.trim_matches('`').to_ascii_lowercase()
                ),
            ))
        }
        _ => {
            let written = quote(&written);
            Err(f.error(
                ctx,
                format!("unknown job type {written}: expected batch or ops"),
            ))
        }
    }
}

/// Reads and ignores the keys only Bacalhau's server sets, warning about each that is not
/// its zero value, as Bacalhau does.
fn ignore_server_keys(m: &mut MapReader, ctx: &mut Ctx) -> Result<(), SpecError> {
    for key in SERVER_KEYS {
        let Some(f) = m.get(key) else { continue };
        let set = match key {
            "ID" => !f.string(ctx)?.is_empty(),
            "State" => state_is_set(&f, ctx)?,
            _ => f.i64(ctx)? != 0,
        };
        if set {
            ctx.warn(
                f.line,
                &f.path,
                "set by the Bacalhau server: ignored, as Bacalhau ignores it when a job is submitted",
            );
        }
    }
    Ok(())
}

/// Whether a job's `State` is other than Bacalhau's `Undefined` (a map whose `StateType` is
/// missing, empty, `Undefined` or 0).
fn state_is_set(f: &Field, ctx: &Ctx) -> Result<bool, SpecError> {
    // Its other keys (`Message`) say nothing bolinho could use.
    let set = match f.map(ctx)?.get("StateType") {
        None => false,
        Some(t) => !matches!(
            t.text(ctx)?.to_ascii_lowercase().as_str(),
            "" | "undefined" | "0"
        ),
    };
    Ok(set)
}

/// `Type` and `Params` at the top level: a task with this engine and nothing else.
fn flat_engine(field: &Field, ctx: &mut Ctx) -> Result<Task, SpecError> {
    let mut m = field.map(ctx)?;
    m.accept(&["Engine"]);
    let mut inputs = Inputs::default();
    let wasm = engine::read(&mut m, &mut inputs, ctx)?;
    m.finish(ctx)?;
    let env = user_env(None, wasm.env.as_ref(), ctx)?;
    Ok(Task {
        name: None,
        inputs: inputs.list,
        entry_module: wasm.entry_module,
        import_modules: wasm.import_modules,
        entrypoint: wasm.entrypoint,
        args: wasm.args,
        env,
        outputs: Vec::new(),
        publisher: Publisher::Local,
        network: Network::None,
        limits: Limits::for_job(),
        determinism: Default::default(),
    })
}
