//! The guest's environment (compat §6): `Task.Env`, the legacy engine `EnvironmentVariables`,
//! and the `BACALHAU_*` variables Bacalhau sets for every execution.
//!
//! Host variables (`env:NAME`) are only named here; whether the user allowed them is decided
//! when the job runs (`--allow-env`), not when it is parsed. The rules for names and for the
//! system variables' values are functions `check` applies to a receipt's plan too.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

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
    ExecutionId,
    JobId,
    JobType,
    PartitionCount,
    PartitionIndex,
}

/// The variables bolinho sets for every job (compat §6), in name order.
const SYSTEM: [(&str, System); 5] = [
    ("BACALHAU_EXECUTION_ID", System::ExecutionId),
    ("BACALHAU_JOB_ID", System::JobId),
    ("BACALHAU_JOB_TYPE", System::JobType),
    ("BACALHAU_PARTITION_COUNT", System::PartitionCount),
    ("BACALHAU_PARTITION_INDEX", System::PartitionIndex),
];

/// The partition we run: one execution, the first partition (compat §6).
const PARTITION_INDEX: &str = "0";

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
pub(crate) fn with_system(
    mut vars: Vec<EnvVar>,
    document: &str,
    count: u64,
    job_type: JobType,
) -> Vec<EnvVar> {
    let (job_id, execution_id) = ids(document);
    vars.extend(SYSTEM.map(|(name, which)| {
        let value = match which {
            System::ExecutionId => execution_id.clone(),
            System::JobId => job_id.clone(),
            System::JobType => job_type.name().to_string(),
            System::PartitionCount => count.to_string(),
            System::PartitionIndex => PARTITION_INDEX.to_string(),
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
        System::ExecutionId => (is_id("e", value), "an execution id, `e-` and a UUID"),
        System::JobId => (is_id("j", value), "a job id, `j-` and a UUID"),
        System::JobType => (
            [JobType::Batch, JobType::Ops]
                .iter()
                .any(|t| t.name() == value),
            "`batch` or `ops`",
        ),
        System::PartitionCount => (
            value
                .parse::<u64>()
                .is_ok_and(|count| count >= 1 && count.to_string() == *value),
            "a count of at least 1",
        ),
        System::PartitionIndex => (value == PARTITION_INDEX, "`0`"),
    };
    Some(if ok {
        Ok(())
    } else {
        Err(format!("expected {expected}, found {}", quote(value)))
    })
}

/// The names of the variables bolinho sets, in order.
pub(crate) fn system_names() -> impl Iterator<Item = &'static str> {
    SYSTEM.iter().map(|(name, _)| *name)
}

/// Ids in Bacalhau's shape (`j-<uuid>`, `e-<uuid>`), derived from the document so that a rerun
/// of the same file sees the same ids: runs are reproducible, and a guest that names files
/// after its job id does not scatter new names each time.
pub(crate) fn ids(document: &str) -> (String, String) {
    (
        uuid("j", &[document.as_bytes()]),
        uuid("e", &[b"execution", document.as_bytes()]),
    )
}

/// Whether `text` is an id as `uuid` makes them: `<prefix>-`, then a version 8 UUID in lower
/// case.
fn is_id(prefix: &str, text: &str) -> bool {
    let Some(uuid) = text
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('-'))
    else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    lengths == [8, 4, 4, 4, 12]
        && uuid
            .bytes()
            .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && groups[2].starts_with('8')
        && groups[3].starts_with(['8', '9', 'a', 'b'])
}

/// The first 16 bytes of a SHA-256 as an RFC 9562 version 8 ("custom") UUID.
fn uuid(prefix: &str, parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{prefix}-{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
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
            "",
            3,
            JobType::Batch,
        );
        let names: Vec<&str> = vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "A",
                "BACALHAU_EXECUTION_ID",
                "BACALHAU_JOB_ID",
                "BACALHAU_JOB_TYPE",
                "BACALHAU_PARTITION_COUNT",
                "BACALHAU_PARTITION_INDEX",
                "Z"
            ]
        );
        assert_eq!(
            vars[2],
            literal("BACALHAU_JOB_ID", "j-e3b0c442-98fc-8c14-9afb-f4c8996fb924")
        );
        assert_eq!(vars[3], literal("BACALHAU_JOB_TYPE", "batch"));
        assert_eq!(vars[4], literal("BACALHAU_PARTITION_COUNT", "3"));
        assert_eq!(vars[5], literal("BACALHAU_PARTITION_INDEX", "0"));
    }

    #[test]
    fn ids_are_stable_distinct_and_uuid_shaped() {
        let (job, execution) = ids("Name: a\n");
        assert_eq!(ids("Name: a\n"), (job.clone(), execution.clone()));
        assert_ne!(ids("Name: b\n").0, job);
        for (id, prefix) in [(&job, "j-"), (&execution, "e-")] {
            let uuid = id.strip_prefix(prefix).unwrap();
            let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
            assert_eq!(groups, [8, 4, 4, 4, 12]);
            assert_eq!(&uuid[14..15], "8", "version 8");
            assert!("89ab".contains(&uuid[19..20]), "RFC variant");
        }
    }
}
