//! What Bacalhau would do differently with a job that bolinho runs (`bolinho validate
//! --portable`): the places where the same file gives another result on a Bacalhau cluster.
//!
//! Owns: that list of differences, read from the document as written (a plan has already
//! applied bolinho's defaults, so it cannot tell an unset `Network` from `None`). Must not
//! refuse anything: a job that validates stays valid; these are notes. The README's table "Where
//! bolinho differs from Bacalhau" is the reference; each note names the line and the field.
//!
//! The links only bolinho's rules make (an `Alias`, a bare file name, a name without `.wasm`)
//! need the modules, which spec must not read: `link::portable` notes them, from the modules
//! `job::portability` reads, and `validate --portable` prints them after these.

use super::domains::bacalhau_accepts;
use super::quote::quote;
use super::source::guest_path;
use super::tree::{Entry, Node, Value};

/// The notes for a job document's tree, each `<line>: <field>: <what differs>` (the caller
/// adds the file).
pub(crate) fn notes(root: &Node) -> Vec<(Option<u32>, String, String)> {
    let mut notes = Vec::new();
    let Value::Map(top) = &root.value else {
        return notes;
    };
    let (task, path) = match get(top, "Tasks") {
        Some(tasks) => match &tasks.value {
            Value::Seq(list) => match list.first().map(|t| &t.value) {
                Some(Value::Map(task)) => (task, "Tasks[0]."),
                _ => return notes,
            },
            _ => return notes,
        },
        None => (top, ""),
    };
    network(task, path, &mut notes);
    if let Some(Value::Map(meta)) = get(task, "Meta").map(|m| &m.value) {
        for entry in meta.iter().filter(|e| e.key.starts_with("bolinho.")) {
            notes.push((
                entry.line,
                format!("{path}Meta.{}", entry.key),
                "only bolinho reads it; Bacalhau ignores it".into(),
            ));
        }
    }
    if let Some(Value::Map(engine)) = get(task, "Engine").map(|e| &e.value)
        && let Some(Value::Map(params)) = get(engine, "Params").map(|p| &p.value)
        && get(params, "Entrypoint").is_none()
    {
        notes.push((
            line_of(engine, "Params"),
            format!("{path}Engine.Params.Entrypoint"),
            "unset: bolinho calls _start; Bacalhau has no default and fails".into(),
        ));
    }
    host_env(task, path, &mut notes);
    outputs(task, path, &mut notes);
    nested_inputs(task, path, &mut notes);
    notes
}

/// Bacalhau's mount table refuses a Target inside another input's (but `/`) when the
/// execution starts; bolinho nests the mounts.
fn nested_inputs(task: &[Entry], path: &str, notes: &mut Vec<(Option<u32>, String, String)>) {
    let Some(Value::Seq(inputs)) = get(task, "InputSources").map(|i| &i.value) else {
        return;
    };
    let targets: Vec<(usize, String, Option<u32>)> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, input)| match &input.value {
            Value::Map(input) => {
                let target = get(input, "Target").and_then(text)?;
                let target = guest_path(&target).ok()?;
                Some((i, target, line_of(input, "Target")))
            }
            _ => None,
        })
        .collect();
    for (i, target, line) in &targets {
        let outer = targets.iter().find(|(j, other, _)| {
            j != i && other != "/" && target.starts_with(&format!("{other}/"))
        });
        if let Some((j, other, _)) = outer {
            notes.push((
                *line,
                format!("{path}InputSources[{i}].Target"),
                format!(
                    "{target} lies inside {other}, the Target of InputSources[{j}]: Bacalhau \
                     refuses the job when it starts (\"cannot mount\"); bolinho nests the mounts"
                ),
            ));
        }
    }
}

/// Bacalhau's WASM executor gives a job without `Network`, or with `Default`, the host's
/// network, and `Bridge` a host module that refuses every host; bolinho gives none. Bacalhau
/// refuses `Domains` but under `HTTP`, and a domain its own check does not read as one.
fn network(task: &[Entry], path: &str, notes: &mut Vec<(Option<u32>, String, String)>) {
    let network = match get(task, "Network").map(|n| &n.value) {
        Some(Value::Map(network)) => Some(network.as_slice()),
        _ => None,
    };
    let kind = get(task, "Network").map(|_| {
        network
            .and_then(|n| get(n, "Type"))
            .and_then(text)
            .unwrap_or_default()
    });
    let lower = kind.as_deref().map(str::to_ascii_lowercase);
    if let Some(Value::Seq(domains)) = network.and_then(|n| get(n, "Domains")).map(|d| &d.value) {
        if !domains.is_empty() && lower.as_deref() != Some("http") {
            notes.push((
                network.and_then(|n| line_of(n, "Domains")),
                format!("{path}Network.Domains"),
                "Bacalhau refuses Domains unless Type is HTTP; bolinho ignores them".into(),
            ));
        }
        for (i, domain) in domains.iter().enumerate() {
            if let Some(domain) = text(domain).filter(|d| !bacalhau_accepts(d)) {
                notes.push((
                    domains[i].line,
                    format!("{path}Network.Domains[{i}]"),
                    format!(
                        "Bacalhau refuses the job: it reads {} as no domain (it wants a name \
                         with a dot and a top-level label of letters, or an IP address without \
                         a port)",
                        quote(&domain)
                    ),
                ));
            }
        }
    }
    let line = line_of(task, "Network");
    if lower.as_deref() == Some("bridge") {
        notes.push((
            line,
            format!("{path}Network.Type"),
            "Bridge: Bacalhau gives the guest wasi:http/requests, which refuses every host; \
             bolinho gives it none, so a module importing it fails to link"
                .into(),
        ));
        return;
    }
    let what = match lower.as_deref() {
        None => "unset",
        Some("" | "default") => "Default",
        Some(_) => return,
    };
    notes.push((
        line,
        format!("{path}Network"),
        format!(
            "{what}: Bacalhau gives a WASM job the host's network, bolinho none (write \
             Type: None or Host to have the same on both)"
        ),
    ));
}

/// `env:NAME` values: Bacalhau reads the host variables its node allows by regular
/// expression; bolinho those the run allows by name (`--allow-env NAME`).
fn host_env(task: &[Entry], path: &str, notes: &mut Vec<(Option<u32>, String, String)>) {
    let Some(Value::Map(env)) = get(task, "Env").map(|e| &e.value) else {
        return;
    };
    for entry in env {
        if let Some(value) = text(&entry.value)
            && value.starts_with("env:")
        {
            notes.push((
                entry.line,
                format!("{path}Env.{}", entry.key),
                "a host variable: Bacalhau passes it if the node's allow-list matches; \
                 bolinho with --allow-env NAME"
                    .into(),
            ));
        }
    }
}

/// Bacalhau mounts a result at `/<Name>`, bolinho at its `Path`.
fn outputs(task: &[Entry], path: &str, notes: &mut Vec<(Option<u32>, String, String)>) {
    let Some(Value::Seq(outputs)) = get(task, "ResultPaths").map(|r| &r.value) else {
        return;
    };
    for (i, output) in outputs.iter().enumerate() {
        let Value::Map(output) = &output.value else {
            continue;
        };
        let name = get(output, "Name").and_then(text).unwrap_or_default();
        let at = get(output, "Path").and_then(text).unwrap_or_default();
        if at.trim_end_matches('/') != format!("/{name}") {
            notes.push((
                line_of(output, "Path"),
                format!("{path}ResultPaths[{i}].Path"),
                format!(
                    "Bacalhau's WASM executor mounts this result at /{name}, bolinho at {at} \
                     (make Path /{name} to have the same on both)"
                ),
            ));
        }
    }
}

/// The value of `key`, matched case-insensitively, as bolinho reads keys.
fn get<'n>(map: &'n [Entry], key: &str) -> Option<&'n Node> {
    map.iter()
        .find(|e| e.key.eq_ignore_ascii_case(key))
        .map(|e| &e.value)
}

fn line_of(map: &[Entry], key: &str) -> Option<u32> {
    map.iter()
        .find(|e| e.key.eq_ignore_ascii_case(key))
        .and_then(|e| e.line)
}

fn text(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(s) | Value::Number(s) => Some(s.clone()),
        _ => None,
    }
}
