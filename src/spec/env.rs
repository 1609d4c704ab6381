//! The guest's environment (compat §6): `Task.Env`, the legacy engine `EnvironmentVariables`,
//! and the `BACALHAU_*` variables Bacalhau sets for every execution.
//!
//! Host variables (`env:NAME`) are only named here; whether the user allowed them is decided
//! when the job runs (`--allow-env`), not when it is parsed. The rules for names and for the
//! system variables' values are functions `check` applies to a receipt's plan too.

use std::collections::HashSet;

use super::SpecError;
use super::engine::guest_string;
use super::plan::{EnvValue, EnvVar};
use super::quote::quote;
use super::reader::{Ctx, Field};

/// Bacalhau reserves this prefix for the variables it sets (`models.EnvVarPrefix`).
const RESERVED_PREFIX: &str = "BACALHAU_";

/// The user's variables from both places, unsorted. A name in both is an error: Bacalhau
/// would keep only `Task.Env` (it drops the legacy map), so either choice would surprise.
pub(crate) fn user_env(
    task_env: Option<&Field>,
    engine_env: Option<&Field>,
    ctx: &mut Ctx,
) -> Result<Vec<EnvVar>, SpecError> {
    let mut vars = Vec::new();
    let mut task_names = HashSet::new();
    if let Some(field) = task_env {
        for (name, value) in field.entries(ctx)? {
            check_name(&name, &value, ctx)?;
            let text = value.text(ctx)?;
            guest_string(&text).map_err(|message| value.error(ctx, message))?;
            if text.is_empty() {
                ctx.warn(
                    value.line,
                    &value.path,
                    "empty value (Bacalhau rejects empty values)",
                );
            }
            let value = task_value(text).map_err(|message| value.error(ctx, message))?;
            task_names.insert(name.clone());
            vars.push(EnvVar { name, value });
        }
    }
    if let Some(field) = engine_env {
        for (name, value) in field.entries(ctx)? {
            check_name(&name, &value, ctx)?;
            if let Some(task_field) = task_env.filter(|_| task_names.contains(&name)) {
                return Err(value.error(
                    ctx,
                    format!(
                        "{} is also set in {}: set it in one place",
                        quote(&name),
                        task_field.path
                    ),
                ));
            }
            // Legacy values are plain strings in Bacalhau: `env:` has no meaning there.
            let text = value.text(ctx)?;
            guest_string(&text).map_err(|message| value.error(ctx, message))?;
            vars.push(EnvVar {
                name,
                value: EnvValue::Literal(text),
            });
        }
    }
    Ok(vars)
}

/// A `Task.Env` value: `env:NAME` takes the host's NAME, as in Bacalhau's `EnvVarValue`.
pub(crate) fn task_value(text: String) -> Result<EnvValue, String> {
    let Some(host) = text.strip_prefix("env:") else {
        return Ok(EnvValue::Literal(text));
    };
    if !is_name(host) {
        return Err(format!(
            "`env:` must be followed by a host variable name, found {}",
            quote(host)
        ));
    }
    Ok(EnvValue::FromHost(host.to_string()))
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The name of a variable the user sets: any name a POSIX shell accepts, outside the
/// `BACALHAU_` prefix.
pub(crate) fn user_name(name: &str) -> Result<(), String> {
    if !is_name(name) {
        return Err(format!(
            "invalid name {}: use letters, digits and `_`, not starting with a digit",
            quote(name)
        ));
    }
    if name.to_ascii_uppercase().starts_with(RESERVED_PREFIX) {
        return Err(format!(
            "the `{RESERVED_PREFIX}` prefix is reserved for the variables bolinho sets"
        ));
    }
    Ok(())
}

/// Names any POSIX shell accepts pass; Bacalhau's stricter rule (upper case, starting with a
/// letter) only warns, since a local run has no reason to refuse `path` or `_x`.
fn check_name(name: &str, field: &Field, ctx: &mut Ctx) -> Result<(), SpecError> {
    user_name(name).map_err(|message| field.error(ctx, message))?;
    let bacalhau_valid = name.starts_with(|c: char| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
    if !bacalhau_valid {
        ctx.warn(
            field.line,
            &field.path,
            "Bacalhau accepts only names matching [A-Z][A-Z0-9_]*",
        );
    }
    Ok(())
}

/// A variable bolinho sets for every job, and what its value is.
#[derive(Clone, Copy)]
enum System {
    JobType,
    PartitionCount,
    PartitionIndex,
}

/// The variables bolinho sets for every job (compat §6) that the job file decides, in name
/// order. `BACALHAU_JOB_ID` and `BACALHAU_EXECUTION_ID` follow from what the guest is given,
/// which only the run knows (`job::identity`).
const SYSTEM: [(&str, System); 3] = [
    ("BACALHAU_JOB_TYPE", System::JobType),
    (PARTITION_COUNT, System::PartitionCount),
    (PARTITION_INDEX, System::PartitionIndex),
];

/// How many partitions the job has (its `Count`), and which one this execution is.
pub(crate) const PARTITION_COUNT: &str = "BACALHAU_PARTITION_COUNT";
pub(crate) const PARTITION_INDEX: &str = "BACALHAU_PARTITION_INDEX";

/// The variables the run adds to a job's environment, derived from its content.
pub const DERIVED: [&str; 2] = ["BACALHAU_EXECUTION_ID", "BACALHAU_JOB_ID"];

/// The partition a job runs unless `--partition` says another (`partition`): the first.
const FIRST_PARTITION: &str = "0";

/// The types of job bolinho runs, each one execution here (`job::job_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobType {
    Batch,
    Ops,
}

impl JobType {
    /// Its name in `BACALHAU_JOB_TYPE`, as Bacalhau sets it.
    fn name(self) -> &'static str {
        match self {
            JobType::Batch => "batch",
            JobType::Ops => "ops",
        }
    }
}

/// Adds the system variables and sorts by name. They cannot collide with the user's, whose
/// `BACALHAU_` names were refused.
pub(crate) fn with_system(mut vars: Vec<EnvVar>, count: u64, job_type: JobType) -> Vec<EnvVar> {
    vars.extend(SYSTEM.map(|(name, which)| {
        let value = match which {
            System::JobType => job_type.name().to_string(),
            System::PartitionCount => count.to_string(),
            System::PartitionIndex => FIRST_PARTITION.to_string(),
        };
        EnvVar {
            name: name.to_string(),
            value: EnvValue::Literal(value),
        }
    }));
    vars.sort_by(|a, b| a.name.cmp(&b.name));
    vars
}

/// Whether `var` is one `with_system` adds: `None` if its name is not a system variable's,
/// else whether its value has the shape `with_system` gives it (an id of the right kind, a
/// count of at least 1 written as `count.to_string()` writes it, the constants).
pub(crate) fn system_var(var: &EnvVar) -> Option<Result<(), String>> {
    let (_, which) = SYSTEM.iter().find(|(name, _)| *name == var.name)?;
    let EnvValue::Literal(value) = &var.value else {
        return Some(Err(
            "bolinho sets this variable itself, to a value".to_string()
        ));
    };
    let (ok, expected) = match which {
        System::JobType => (
            [JobType::Batch, JobType::Ops]
                .iter()
                .any(|t| t.name() == value),
            "`batch` or `ops`",
        ),
        System::PartitionCount => (
            number(value).is_some_and(|count| count >= 1),
            "a count of at least 1",
        ),
        // Below the count: `check` compares the two.
        System::PartitionIndex => (number(value).is_some(), "a partition number"),
    };
    Some(if ok {
        Ok(())
    } else {
        Err(format!("expected {expected}, found {}", quote(value)))
    })
}

/// A count or a partition number as bolinho writes one (`to_string`): decimal digits, no sign,
/// no leading zero.
pub(crate) fn number(text: &str) -> Option<u64> {
    text.parse::<u64>().ok().filter(|n| n.to_string() == text)
}

/// The value of the variable `name` among `vars`, when it is a literal one.
pub(crate) fn literal<'a>(vars: &'a [EnvVar], name: &str) -> Option<&'a str> {
    vars.iter()
        .find(|var| var.name == name)
        .and_then(|var| match &var.value {
            EnvValue::Literal(value) => Some(value.as_str()),
            EnvValue::FromHost(_) => None,
        })
}

/// The names of the variables bolinho sets, in order.
pub(crate) fn system_names() -> impl Iterator<Item = &'static str> {
    SYSTEM.iter().map(|(name, _)| *name)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tree::parse;
    use super::*;

    fn env(yaml: &str) -> (Result<Vec<EnvVar>, String>, Vec<String>) {
        let node = parse(yaml).unwrap();
        let mut ctx = Ctx::new(Path::new("job.yaml"), false, &[]);
        let root = Field::root(&node);
        let mut m = root.map(&ctx).unwrap();
        let (task, engine) = (m.get("Env"), m.get("EnvironmentVariables"));
        let result = user_env(task.as_ref(), engine.as_ref(), &mut ctx).map_err(|e| e.to_string());
        (result, ctx.into_warnings())
    }

    fn literal(name: &str, value: &str) -> EnvVar {
        EnvVar {
            name: name.into(),
            value: EnvValue::Literal(value.into()),
        }
    }

    #[test]
    fn both_maps_merge_and_scalars_become_text() {
        let (vars, warnings) =
            env("Env:\n  B: 5\n  HOME_DIR: env:HOME\nEnvironmentVariables:\n  A: true\n");
        assert_eq!(
            vars.unwrap(),
            [
                literal("B", "5"),
                EnvVar {
                    name: "HOME_DIR".into(),
                    value: EnvValue::FromHost("HOME".into())
                },
                literal("A", "true"),
            ]
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn env_errors_and_warnings() {
        let err = |yaml: &str| env(yaml).0.unwrap_err();
        assert_eq!(
            err("Env:\n  X: 1\nEnvironmentVariables:\n  X: 2\n"),
            "job.yaml:4: EnvironmentVariables.X: `X` is also set in Env: set it in one place"
        );
        assert_eq!(
            err("Env:\n  BACALHAU_JOB_ID: x\n"),
            "job.yaml:2: Env.BACALHAU_JOB_ID: the `BACALHAU_` prefix is reserved for the variables bolinho sets"
        );
        assert_eq!(
            err("EnvironmentVariables:\n  bacalhau_x: x\n"),
            "job.yaml:2: EnvironmentVariables.bacalhau_x: the `BACALHAU_` prefix is reserved for the variables bolinho sets"
        );
        assert_eq!(
            err("Env:\n  1X: x\n"),
            "job.yaml:2: Env.1X: invalid name `1X`: use letters, digits and `_`, not starting with a digit"
        );
        assert_eq!(
            err("Env:\n  A-B: x\n"),
            "job.yaml:2: Env.A-B: invalid name `A-B`: use letters, digits and `_`, not starting with a digit"
        );
        assert_eq!(
            err("Env:\n  A: \"env:\"\n"),
            "job.yaml:2: Env.A: `env:` must be followed by a host variable name, found ``"
        );
        assert_eq!(
            err("Env:\n  A: [1]\n"),
            "job.yaml:2: Env.A: expected a string, found a list"
        );
        assert_eq!(
            err("Env: [A]\n"),
            "job.yaml:1: Env: expected a map, found a list"
        );
        let (vars, warnings) = env("Env:\n  path: /bin\n  _X: \"\"\n");
        assert_eq!(vars.unwrap(), [literal("path", "/bin"), literal("_X", "")]);
        assert_eq!(
            warnings,
            [
                "job.yaml:2: Env.path: Bacalhau accepts only names matching [A-Z][A-Z0-9_]*",
                "job.yaml:3: Env._X: Bacalhau accepts only names matching [A-Z][A-Z0-9_]*",
                "job.yaml:3: Env._X: empty value (Bacalhau rejects empty values)",
            ]
        );
    }

    #[test]
    fn legacy_values_are_never_host_references() {
        let (vars, _) = env("EnvironmentVariables:\n  A: env:HOME\n");
        assert_eq!(vars.unwrap(), [literal("A", "env:HOME")]);
    }

    #[test]
    fn system_variables_are_added_and_everything_sorted() {
        let vars = with_system(
            vec![literal("Z", "1"), literal("A", "2")],
            3,
            JobType::Batch,
        );
        assert_eq!(
            vars,
            [
                literal("A", "2"),
                literal("BACALHAU_JOB_TYPE", "batch"),
                literal("BACALHAU_PARTITION_COUNT", "3"),
                literal("BACALHAU_PARTITION_INDEX", "0"),
                literal("Z", "1"),
            ]
        );
    }
}
