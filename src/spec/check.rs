//! `check_plan`: a `Plan` from outside bolinho (a receipt, read back by `bolinho verify`) held
//! to every rule a plan made by `parse_job` or `flags::module_plan` obeys.
//!
//! A receipt is a trust boundary: whoever hands one over may have edited it, and `verify`
//! runs what it says. So nothing here states a rule of its own: each check calls the very
//! function the parser (or the flag reader) uses, and compares what that function makes of
//! the value with the value itself: a Target must be what `guest_path` makes of it, a Name
//! what `OutputNames` accepts, a variable what `user_name` or `system_var` accepts. Errors
//! name the receipt and the plan's field as the receipt spells it (`plan.outputs[0].name`).
//!
//! Values the plan holds parsed (`Domain`, `Filter`, `Checksum`, `Cid`, `InlineUrl`) are
//! parsed again, by the parser's own function, as the receipt's JSON is read: a bad one makes
//! no plan at all. What the parser does not check, this does not either: a local source's
//! host path (any path a job names may be read; `verify` compares contents by hash), and the
//! fuel, epoch and seed (every 64-bit number is one a job can ask for).

use std::path::Path;

use super::SpecError;
use super::engine::{ModulePaths, entrypoint, guest_string};
use super::env::{
    DERIVED, PARTITION_COUNT, PARTITION_INDEX, literal, number, system_names, system_var, user_name,
};
use super::flags::{self, DomainFlag};
use super::limits::{memory_limit, timeout_limit};
use super::plan::{
    EnvValue, EnvVar, ImportModule, Input, Limits, ModuleLocation, Network, Origin, Output, Plan,
    Publisher, S3Source, Source,
};
use super::quote::{key, quote};
use super::reader::is_field_path;
use super::s3;
use super::source::{Clash, Inputs, download_url, guest_path, optional, required, resolve};
use super::task::OutputNames;

/// Checks `plan`, read from `file` (named in errors, never opened).
pub fn check_plan(plan: &Plan, file: &Path) -> Result<(), SpecError> {
    let c = Checker { file };
    if plan.name.is_empty() {
        return Err(c.error("plan.name", "required"));
    }
    match plan.origin {
        Origin::Job => job(plan, &c)?,
        Origin::Module => module(plan, &c)?,
    }
    check(&c, "plan.entrypoint", entrypoint(&plan.entrypoint))?;
    for (i, arg) in plan.args.iter().enumerate() {
        check(&c, &format!("plan.args[{i}]"), guest_string(arg))?;
    }
    for (i, var) in plan.env.iter().enumerate() {
        if let EnvValue::Literal(value) = &var.value {
            check(&c, &format!("plan.env[{i}].value"), guest_string(value))?;
        }
    }
    limits(&plan.limits, &c)
}

struct Checker<'a> {
    file: &'a Path,
}

impl Checker<'_> {
    fn error(&self, field: &str, message: impl Into<String>) -> SpecError {
        SpecError {
            file: self.file.to_path_buf(),
            line: None,
            column: None,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// A rule's verdict as an error on `field`.
fn check<E: Into<String>>(
    c: &Checker,
    field: &str,
    verdict: Result<(), E>,
) -> Result<(), SpecError> {
    verdict.map_err(|message| c.error(field, message))
}

/// `value` must be what `normal` makes of it: the parser's own normalisation.
fn normalised(value: &str, normal: Result<String, String>) -> Result<(), String> {
    let normal = normal?;
    if normal != value {
        return Err(format!(
            "{} is not as bolinho writes it ({})",
            quote(value),
            quote(&normal)
        ));
    }
    Ok(())
}

/// An optional parameter is absent or not empty: `optional` makes "" absent.
fn present(value: &Option<String>) -> Result<(), &'static str> {
    match value {
        Some(v) if optional(v.clone()).is_none() => {
            Err("must not be empty (an absent value is left out)")
        }
        _ => Ok(()),
    }
}

/// A plan from a job document (`parse_job`).
fn job(plan: &Plan, c: &Checker) -> Result<(), SpecError> {
    let mut inputs = Inputs::default();
    for (i, input) in plan.inputs.iter().enumerate() {
        job_input(input, &format!("plan.inputs[{i}]"), &mut inputs, c)?;
    }
    let mut named = ModulePaths::default();
    let ModuleLocation::Guest(entry) = &plan.entry_module else {
        return Err(c.error(
            "plan.entryModule",
            "a job's modules are guest paths, not host files",
        ));
    };
    job_module(entry, "plan.entryModule", &inputs, &mut named, c)?;
    for (i, import) in plan.import_modules.iter().enumerate() {
        let field = format!("plan.importModules[{i}]");
        let ModuleLocation::Guest(path) = &import.location else {
            let message = "a job's modules are guest paths, not host files";
            return Err(c.error(&format!("{field}.location"), message));
        };
        job_module(path, &format!("{field}.location"), &inputs, &mut named, c)?;
        // The alias is the one of the input mounted exactly at the module (`engine`).
        let expected = inputs.alias_at(path);
        if import.alias != expected {
            let message = match &expected {
                Some(alias) => format!(
                    "expected {}, the Alias of the input at {}",
                    quote(alias),
                    quote(path)
                ),
                None => format!(
                    "expected none: no input with an Alias is mounted at {}",
                    quote(path)
                ),
            };
            return Err(c.error(&format!("{field}.alias"), message));
        }
    }
    job_env(&plan.env, c)?;
    let mut names = OutputNames::default();
    for (i, Output { name, path }) in plan.outputs.iter().enumerate() {
        let field = format!("plan.outputs[{i}]");
        check(c, &format!("{field}.name"), names.claim(name, &field))?;
        let path_field = format!("{field}.path");
        check(c, &path_field, normalised(path, guest_path(path)))?;
        check(c, &path_field, inputs.claim_path(path, &field))?;
    }
    if !plan.preopen_root {
        return Err(c.error(
            "plan.preopenRoot",
            "a job's guest always has `/`: expected true",
        ));
    }
    match &plan.publisher {
        Publisher::S3 {
            bucket,
            key,
            region,
            endpoint,
        } => {
            check(c, "plan.publisher.bucket", s3::bucket_name(bucket))?;
            check(c, "plan.publisher.key", s3::publisher_key(key))?;
            s3_location(region, endpoint, "plan.publisher", c)?;
        }
        Publisher::Local | Publisher::Noop => {}
    }
    Ok(())
}

fn job_input(
    input: &Input,
    field: &str,
    inputs: &mut Inputs,
    c: &Checker,
) -> Result<(), SpecError> {
    if !is_field_path(&input.field) {
        let message = format!(
            "{} is not the field path of an InputSource",
            quote(&input.field)
        );
        return Err(c.error(&format!("{field}.field"), message));
    }
    let target_field = format!("{field}.target");
    check(
        c,
        &target_field,
        normalised(&input.target, guest_path(&input.target)),
    )?;
    let source = format!("{field}.source");
    match &input.source {
        Source::Local { path, .. } => {
            let text = path.to_str().unwrap_or_default();
            check(
                c,
                &format!("{source}.path"),
                required(text.to_string()).map(drop),
            )?;
            if resolve(Path::new(""), text) != *path {
                let message = format!("{} is not as bolinho writes it", quote(text));
                return Err(c.error(&format!("{source}.path"), message));
            }
        }
        Source::Url { url } => check(c, &format!("{source}.url"), download_url(url))?,
        Source::S3(s3) => s3_source(s3, &source, c)?,
        // Parsed as the receipt was read.
        Source::Inline { .. } | Source::Ipfs { .. } => {}
    }
    check(c, &format!("{field}.alias"), present(&input.alias))?;
    inputs
        .insert(input.clone(), field)
        .map_err(|clash| match clash {
            Clash::Target(message) => c.error(&target_field, message),
            Clash::Alias(message) => c.error(&format!("{field}.alias"), message),
        })
}

fn s3_source(source: &S3Source, field: &str, c: &Checker) -> Result<(), SpecError> {
    check(
        c,
        &format!("{field}.bucket"),
        s3::bucket_name(&source.bucket),
    )?;
    check(c, &format!("{field}.key"), s3::source_key(&source.key))?;
    check(
        c,
        &format!("{field}.versionId"),
        present(&source.version_id),
    )?;
    s3_location(&source.region, &source.endpoint, field, c)?;
    let given = [
        ("Filter", source.filter.is_some(), "filter"),
        ("VersionID", source.version_id.is_some(), "versionId"),
        (
            "ChecksumSHA256",
            source.checksum_sha256.is_some(),
            "checksumSha256",
        ),
    ];
    for (param, _, key) in given.into_iter().filter(|(_, given, _)| *given) {
        check(
            c,
            &format!("{field}.{key}"),
            s3::fits_key(param, &source.key),
        )?;
    }
    Ok(())
}

/// An S3 source's or publisher's `Region` and `Endpoint`.
fn s3_location(
    region: &Option<String>,
    endpoint: &Option<String>,
    field: &str,
    c: &Checker,
) -> Result<(), SpecError> {
    let (region_field, endpoint_field) = (format!("{field}.region"), format!("{field}.endpoint"));
    check(c, &region_field, present(region))?;
    check(c, &endpoint_field, present(endpoint))?;
    if let Some(region) = region {
        check(c, &region_field, s3::region(region))?;
    }
    if let Some(endpoint) = endpoint {
        check(c, &endpoint_field, s3::endpoint(endpoint).map(drop))?;
    }
    Ok(())
}

/// A module's guest path: normalised, at or below an input's Target, named once.
fn job_module(
    path: &str,
    field: &str,
    inputs: &Inputs,
    named: &mut ModulePaths,
    c: &Checker,
) -> Result<(), SpecError> {
    check(c, field, normalised(path, guest_path(path)))?;
    check(c, field, inputs.check_module_path(path))?;
    check(c, field, named.claim(path, field))
}

/// The user's variables and the system ones, sorted by name, each name once.
fn job_env(env: &[EnvVar], c: &Checker) -> Result<(), SpecError> {
    for (i, var) in env.iter().enumerate() {
        let field = format!("plan.env[{i}]");
        if let Some(previous) = i.checked_sub(1).map(|p| &env[p].name)
            && *previous >= var.name
        {
            let message = if *previous == var.name {
                format!("{} is set twice", quote(&var.name))
            } else {
                "the variables are not sorted by name".to_string()
            };
            return Err(c.error(&format!("{field}.name"), message));
        }
        if DERIVED.contains(&var.name.as_str()) {
            let message = "bolinho derives it from what the guest is given when the job runs; \
                           a receipt holding it is from an older bolinho, whose ids came from \
                           the job file: run the job again for a receipt this bolinho verifies";
            return Err(c.error(&format!("{field}.name"), message));
        }
        match system_var(var) {
            Some(verdict) => check(c, &format!("{field}.value"), verdict)?,
            // A host variable's name is not checked: a legacy job's literal value starting
            // with `env:` reads back as one (docs/RATIONALE.md).
            None => check(c, &format!("{field}.name"), user_name(&var.name))?,
        }
    }
    for name in system_names() {
        if env.binary_search_by(|v| v.name.as_str().cmp(name)).is_err() {
            let message = format!("{} is missing: bolinho sets it for every job", quote(name));
            return Err(c.error("plan.env", message));
        }
    }
    let value = |name| literal(env, name).and_then(number);
    if let (Some(index), Some(count)) = (value(PARTITION_INDEX), value(PARTITION_COUNT))
        && index >= count
    {
        let message = format!(
            "{PARTITION_INDEX} is {index}, but {PARTITION_COUNT} is {count}: partitions count \
             from 0"
        );
        return Err(c.error("plan.env", message));
    }
    Ok(())
}

/// A plan from `bolinho run MODULE`: each part must be what its flag makes.
fn module(plan: &Plan, c: &Checker) -> Result<(), SpecError> {
    let mut targets = std::collections::HashSet::new();
    for (i, input) in plan.inputs.iter().enumerate() {
        let field = format!("plan.inputs[{i}]");
        let made = match input.field.strip_prefix("--dir ") {
            Some(dir) => flags::dir_input(dir),
            None => Err(format!("{} is not a `--dir` flag", quote(&input.field))),
        };
        let made = made.map_err(|message| c.error(&format!("{field}.field"), message))?;
        if made != *input {
            let message = format!("not the mount {} makes", quote(&input.field));
            return Err(c.error(&field, message));
        }
        if !targets.insert(&input.target) {
            let message = format!("{} is already mounted", quote(&input.target));
            return Err(c.error(&format!("{field}.target"), message));
        }
    }
    let host_module = |location: &ModuleLocation, field: &str| match location {
        ModuleLocation::Host(path) if !path.as_os_str().is_empty() => Ok(()),
        ModuleLocation::Host(_) => Err(c.error(field, "required")),
        ModuleLocation::Guest(_) => Err(c.error(field, "a module run's modules are host files")),
    };
    host_module(&plan.entry_module, "plan.entryModule")?;
    for (i, import) in plan.import_modules.iter().enumerate() {
        let field = format!("plan.importModules[{i}]");
        host_module(&import.location, &format!("{field}.location"))?;
        let ImportModule {
            location: ModuleLocation::Host(path),
            alias: Some(alias),
        } = import
        else {
            return Err(c.error(&format!("{field}.alias"), "required"));
        };
        let text = format!("{alias}={}", path.display());
        if flags::import_module(&text).as_ref() != Ok(import) {
            let message = format!("not a module `--import {}` links", key(&text));
            return Err(c.error(&field, message));
        }
    }
    for (i, var) in plan.env.iter().enumerate() {
        let text = match &var.value {
            EnvValue::Literal(value) => format!("{}={value}", var.name),
            EnvValue::FromHost(name) => name.clone(),
        };
        if flags::env_var(&text).as_ref() != Ok(var) {
            let message = format!("not a variable `--env {}` sets", key(&text));
            return Err(c.error(&format!("plan.env[{i}]"), message));
        }
    }
    if !plan.outputs.is_empty() {
        return Err(c.error("plan.outputs", "a module run has no outputs"));
    }
    if plan.preopen_root {
        return Err(c.error(
            "plan.preopenRoot",
            "a module run's guest has only its `--dir` mounts: expected false",
        ));
    }
    if plan.publisher != Publisher::Local {
        return Err(c.error("plan.publisher", "a module run publishes nothing"));
    }
    let (kind, domains) = match &plan.network {
        Network::None => ("none", Vec::new()),
        Network::Host => ("host", Vec::new()),
        Network::Http { domains } => (
            "http",
            domains
                .iter()
                .map(|d| DomainFlag::allow_domain(d.as_str()))
                .collect(),
        ),
    };
    match flags::network(Some(kind), &domains) {
        Ok(network) if network == plan.network => Ok(()),
        Ok(_) => Err(c.error("plan.network", "not a network `--network` gives")),
        Err(message) => Err(c.error("plan.network", message)),
    }
}

/// The limits within the ranges `limits` gives them; a zero is written as none.
fn limits(limits: &Limits, c: &Checker) -> Result<(), SpecError> {
    if let Some(bytes) = limits.memory_bytes {
        match memory_limit(bytes) {
            Ok(Some(_)) => {}
            Ok(None) => {
                let message = "0 bytes is no limit, which a plan leaves out";
                return Err(c.error("plan.limits.memoryBytes", message));
            }
            Err(why) => return Err(c.error("plan.limits.memoryBytes", why)),
        }
    }
    if let Some(timeout) = limits.timeout {
        match timeout_limit(timeout) {
            Ok(Some(_)) => {}
            Ok(None) => {
                let message = "0 seconds is no timeout, which a plan leaves out";
                return Err(c.error("plan.limits.timeoutSeconds", message));
            }
            Err(why) => return Err(c.error("plan.limits.timeoutSeconds", why)),
        }
    }
    Ok(())
}
