//! A job's identity: its `BACALHAU_JOB_ID` and `BACALHAU_EXECUTION_ID`, derived from what the
//! guest is given, so that the same content gives the same ids (and so the same seed, which
//! the environment feeds) wherever its files live and whatever host paths the job file names.
//!
//! Owns: what identifies a job: the hashes of its modules and of every input file, by guest
//! path (`given` took them for the receipt: nothing is read twice), its arguments, resolved
//! environment, entrypoint, outputs, network, limits and clock settings. Not its name, its
//! publisher or its host paths, which the guest never sees. Must not read anything itself.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::receipt::{Given, Ids};
use crate::spec::partition::PARTITION_INDEX;
use crate::spec::{Limits, Network, Plan};

/// What the ids hash, in a fixed order: serde writes the fields as declared and the maps of
/// `Given` sorted by key.
#[derive(Serialize)]
struct Identity<'a> {
    version: u32,
    modules: &'a std::collections::BTreeMap<String, String>,
    inputs: &'a std::collections::BTreeMap<String, String>,
    entry_module: &'a crate::spec::ModuleLocation,
    entrypoint: &'a str,
    args: &'a [String],
    env: &'a [(String, String)],
    outputs: &'a [crate::spec::plan::Output],
    network: &'a Network,
    limits: &'a Limits,
    determinism: &'a crate::spec::plan::Determinism,
}

/// The ids of `plan` run with `given` and the resolved environment `env` (without the ids).
/// The partitions of a job are executions of one job, as in Bacalhau: the job id is the one
/// its partition 0 has, and the execution id follows the partition too. (Partition 0's ids
/// are what they were before partitions could be chosen, so older receipts keep theirs.)
pub fn derive(plan: &Plan, given: &Given, env: &[(String, String)]) -> Ids {
    let text = |env: &[(String, String)]| {
        let identity = Identity {
            version: 1,
            modules: &given.modules,
            inputs: &given.inputs,
            entry_module: &plan.entry_module,
            entrypoint: &plan.entrypoint,
            args: &plan.args,
            env,
            outputs: &plan.outputs,
            network: &plan.network,
            limits: &plan.limits,
            determinism: &plan.determinism,
        };
        serde_json::to_vec(&identity).expect("an identity always serialises")
    };
    let first_partition: Vec<(String, String)> = env
        .iter()
        .map(|(name, value)| match name.as_str() {
            PARTITION_INDEX => (name.clone(), "0".to_string()),
            _ => (name.clone(), value.clone()),
        })
        .collect();
    Ids {
        job_id: uuid("j", &[&text(&first_partition)]),
        execution_id: uuid("e", &[b"execution", &text(env)]),
    }
}

/// `env` with the ids added, still sorted by name.
pub fn with_ids(mut env: Vec<(String, String)>, ids: &Ids) -> Vec<(String, String)> {
    env.push(("BACALHAU_EXECUTION_ID".into(), ids.execution_id.clone()));
    env.push(("BACALHAU_JOB_ID".into(), ids.job_id.clone()));
    env.sort();
    env
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
    use super::*;

    #[test]
    fn ids_are_uuid_shaped_and_follow_the_content() {
        let (a, b) = (uuid("j", &[b"a"]), uuid("j", &[b"b"]));
        assert_eq!(uuid("j", &[b"a"]), a);
        assert_ne!(a, b);
        let uuid = a.strip_prefix("j-").unwrap();
        let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&uuid[14..15], "8", "version 8");
        assert!("89ab".contains(&uuid[19..20]), "RFC variant");
    }

    #[test]
    fn ids_are_added_in_name_order() {
        let ids = Ids {
            job_id: "j-1".into(),
            execution_id: "e-1".into(),
        };
        let env = vec![("A".to_string(), "1".to_string()), ("Z".into(), "2".into())];
        let names: Vec<String> = with_ids(env, &ids).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            ["A", "BACALHAU_EXECUTION_ID", "BACALHAU_JOB_ID", "Z"]
        );
    }
}
