//! Partitions: a job of `Count: N` is N executions in Bacalhau, each told its own
//! `BACALHAU_PARTITION_INDEX`, 0 to N-1 (compat §6). bolinho runs them all (`partitions`)
//! unless told to run one: by number (`--partition I`), or by the orchestrator that started
//! it (`--partition auto`), which says in an environment variable which of its tasks this is.
//! Owns: reading that choice and setting it in a plan. Must not run anything, and reads the
//! process environment only through the lookup it is given.

pub(crate) use super::env::PARTITION_INDEX;
pub(crate) use super::env::number;
use super::env::{PARTITION_COUNT, literal};
use super::plan::{EnvValue, Plan};

/// An orchestrator that starts a process per task and tells each its index.
struct Orchestrator {
    name: &'static str,
    /// The task's index, from 0 (less `first`, when that is set).
    index: &'static str,
    /// How many tasks there are, where the orchestrator says.
    count: Option<&'static str>,
    /// The index of the first task, where it need not be 0.
    first: Option<&'static str>,
}

/// The orchestrators `--partition auto` knows, by the variables their documentation names.
const ORCHESTRATORS: [Orchestrator; 5] = [
    Orchestrator {
        name: "a Kubernetes Indexed Job",
        index: "JOB_COMPLETION_INDEX",
        count: None,
        first: None,
    },
    Orchestrator {
        name: "a Slurm job array",
        index: "SLURM_ARRAY_TASK_ID",
        count: Some("SLURM_ARRAY_TASK_COUNT"),
        first: Some("SLURM_ARRAY_TASK_MIN"),
    },
    Orchestrator {
        name: "an AWS Batch array job",
        index: "AWS_BATCH_JOB_ARRAY_INDEX",
        count: None,
        first: None,
    },
    Orchestrator {
        name: "a Cloud Run job",
        index: "CLOUD_RUN_TASK_INDEX",
        count: Some("CLOUD_RUN_TASK_COUNT"),
        first: None,
    },
    Orchestrator {
        name: "a Google Cloud Batch job",
        index: "BATCH_TASK_INDEX",
        count: Some("BATCH_TASK_COUNT"),
        first: None,
    },
];

/// The partition to run, and where `auto` found it.
#[derive(Debug, PartialEq, Eq)]
pub struct Choice {
    pub index: u64,
    /// `None` for a number given; else the orchestrator and its variable, for the user to see.
    pub from: Option<String>,
}

/// The job's partition count, `None` for a plan without one (a module run).
pub fn count(plan: &Plan) -> Option<u64> {
    literal(&plan.env, PARTITION_COUNT).and_then(number)
}

/// The partition a plan runs, `None` for a plan without one (a module run).
pub fn index(plan: &Plan) -> Option<u64> {
    literal(&plan.env, PARTITION_INDEX).and_then(number)
}

/// Reads `--partition`'s value, `I` or `auto` (with `env` looking variables up), for a job of
/// `count` partitions.
pub fn choose(
    value: &str,
    count: u64,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Choice, String> {
    let (index, from) = if value == "auto" {
        from_orchestrator(count, &env)?
    } else {
        let index = number(value).ok_or("expected a partition number or `auto`")?;
        (index, None)
    };
    if index >= count {
        let range = match count {
            1 => "has only partition 0".to_string(),
            _ => format!("has partitions 0 to {}", count - 1),
        };
        return Err(format!(
            "partition {index}, but the job (Count: {count}) {range}"
        ));
    }
    Ok(Choice { index, from })
}

/// Sets the partition a plan runs (`choose` checked it is one of its own).
pub fn set(plan: &mut Plan, index: u64) {
    for var in &mut plan.env {
        if var.name == PARTITION_INDEX {
            var.value = EnvValue::Literal(index.to_string());
        }
    }
}

/// The index the one orchestrator whose variable is set gives, and a note of where it came
/// from.
fn from_orchestrator(
    count: u64,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<(u64, Option<String>), String> {
    let set: Vec<&Orchestrator> = ORCHESTRATORS
        .iter()
        .filter(|o| env(o.index).is_some())
        .collect();
    let orchestrator = match set.as_slice() {
        [one] => *one,
        [] => {
            let names: Vec<&str> = ORCHESTRATORS.iter().map(|o| o.index).collect();
            return Err(format!(
                "auto found no task index in the environment (looked for {})",
                names.join(", ")
            ));
        }
        many => {
            let names: Vec<&str> = many.iter().map(|o| o.index).collect();
            return Err(format!(
                "auto found more than one task index ({}): say which with --partition I",
                names.join(", ")
            ));
        }
    };
    let read = |name: &str| {
        let value = env(name).unwrap_or_default();
        number(&value).ok_or_else(|| format!("{name}={value:?} is not a task index"))
    };
    let raw = read(orchestrator.index)?;
    let first = orchestrator
        .first
        .filter(|name| env(name).is_some())
        .map(read)
        .transpose()?;
    let index = raw.checked_sub(first.unwrap_or(0)).ok_or_else(|| {
        format!(
            "{}={raw} is below its first, {}",
            orchestrator.index,
            first.unwrap_or(0)
        )
    })?;
    if let Some(name) = orchestrator.count.filter(|name| env(name).is_some()) {
        let tasks = read(name)?;
        if tasks != count {
            return Err(format!(
                "{} runs {tasks} tasks ({name}) but the job has Count: {count}: partitions \
                 would be missed or run twice",
                orchestrator.name
            ));
        }
    }
    let shown = match first {
        Some(first) if first != 0 => format!(
            "{} ({}={raw}, less its first, {first})",
            orchestrator.name, orchestrator.index
        ),
        _ => format!("{} ({}={raw})", orchestrator.name, orchestrator.index),
    };
    Ok((index, Some(shown)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn a_number_is_a_partition_of_the_job() {
        let none = env(&[]);
        assert_eq!(
            choose("2", 3, &none),
            Ok(Choice {
                index: 2,
                from: None
            })
        );
        assert_eq!(
            choose("3", 3, &none).unwrap_err(),
            "partition 3, but the job (Count: 3) has partitions 0 to 2"
        );
        assert_eq!(
            choose("1", 1, &none).unwrap_err(),
            "partition 1, but the job (Count: 1) has only partition 0"
        );
        for bad in ["-1", "01", "+1", "one", ""] {
            assert_eq!(
                choose(bad, 3, &none).unwrap_err(),
                "expected a partition number or `auto`",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn auto_reads_the_orchestrator_s_task_index() {
        let k8s = env(&[("JOB_COMPLETION_INDEX", "4")]);
        assert_eq!(
            choose("auto", 8, &k8s),
            Ok(Choice {
                index: 4,
                from: Some("a Kubernetes Indexed Job (JOB_COMPLETION_INDEX=4)".into())
            })
        );
        // Slurm arrays may start anywhere: --array=1-8 is partitions 0 to 7.
        let slurm = env(&[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "8"),
        ]);
        let choice = choose("auto", 8, &slurm).unwrap();
        assert_eq!(choice.index, 2);
        assert_eq!(
            choice.from.unwrap(),
            "a Slurm job array (SLURM_ARRAY_TASK_ID=3, less its first, 1)"
        );
        let cloud_run = env(&[("CLOUD_RUN_TASK_INDEX", "0"), ("CLOUD_RUN_TASK_COUNT", "2")]);
        assert_eq!(choose("auto", 2, &cloud_run).unwrap().index, 0);
    }

    #[test]
    fn auto_refuses_what_would_miss_or_repeat_a_partition() {
        let none = env(&[]);
        assert!(choose("auto", 2, &none).unwrap_err().starts_with(
            "auto found no task index in the environment (looked for JOB_COMPLETION_INDEX, "
        ));
        let two = env(&[("JOB_COMPLETION_INDEX", "1"), ("BATCH_TASK_INDEX", "1")]);
        assert_eq!(
            choose("auto", 2, &two).unwrap_err(),
            "auto found more than one task index (JOB_COMPLETION_INDEX, BATCH_TASK_INDEX): \
             say which with --partition I"
        );
        let more_tasks = env(&[("BATCH_TASK_INDEX", "1"), ("BATCH_TASK_COUNT", "4")]);
        assert_eq!(
            choose("auto", 2, &more_tasks).unwrap_err(),
            "a Google Cloud Batch job runs 4 tasks (BATCH_TASK_COUNT) but the job has Count: 2: \
             partitions would be missed or run twice"
        );
        let past = env(&[("JOB_COMPLETION_INDEX", "5")]);
        assert_eq!(
            choose("auto", 5, &past).unwrap_err(),
            "partition 5, but the job (Count: 5) has partitions 0 to 4"
        );
        let garbage = env(&[("AWS_BATCH_JOB_ARRAY_INDEX", "x")]);
        assert_eq!(
            choose("auto", 5, &garbage).unwrap_err(),
            "AWS_BATCH_JOB_ARRAY_INDEX=\"x\" is not a task index"
        );
        let below = env(&[("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_MIN", "1")]);
        assert_eq!(
            choose("auto", 5, &below).unwrap_err(),
            "SLURM_ARRAY_TASK_ID=0 is below its first, 1"
        );
    }
}
