//! `receipt.json`: what a run was given and what it produced, by sha256, written into the
//! results directory before it is renamed into place (so a receipt is never half-written).
//!
//! Owns: the receipt's shape and its deterministic JSON (a fixed field order, maps sorted by
//! key), and the hashing of modules, inputs and results. Must not record anything that differs
//! between two runs of the same job on the same host: no timestamps, no scratch or results
//! paths. The plan's own host paths (local sources) are recorded as the plan says them.

mod difference;
mod hashing;
mod tree;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use difference::first_difference;
pub use hashing::{Hashing, sha256_of};
pub use tree::{Entry, MAX_DEPTH, TreeError, Walk, open_file, read_link, split_key};

use crate::engine::Outcome;
use crate::spec::{Limits, Plan};

/// The most entries (files, links, empty directories...) a receipt records of a run's inputs,
/// and again of its results: a walk past it stops, rather than read a tree without end.
pub const MAX_ENTRIES: usize = 1_000_000;

/// The largest receipt `verify` reads: a million entries of inputs and of results at some
/// hundred bytes each, and room to spare.
pub const MAX_BYTES: u64 = 512 << 20;

/// The most differences `Given::changes` lists one by one.
const MAX_LISTED: usize = 20;

/// The file name of the receipt in a results directory.
pub const FILE: &str = "receipt.json";

/// The file name of a run's tape, beside its receipt (README "Recorded runs").
pub const TAPE: &str = "tape";

/// The largest tape a run records (`--tape-limit`) and `verify` reads.
pub const MAX_TAPE_BYTES: u64 = 1 << 30;

/// The wasmi version bolinho is built against (Cargo.lock pins it).
pub const WASMI_VERSION: &str = "2.0.0";

/// One run's receipt, in the order its fields are written.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt<'a> {
    pub bolinho: &'static str,
    /// The build that ran it (`bolinho --version --verbose`); `verify` does not compare it,
    /// since a replay on another build or machine must give the same bytes.
    pub build: &'static crate::about::Build,
    pub wasmi: &'static str,
    /// The normalised job, as `bolinho validate` prints it (a template already rendered).
    pub plan: &'a Plan,
    /// The template variables the job file read, and their values; absent when it read none,
    /// so that a receipt of a job without a template is what it was before templates.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub template_vars: &'a BTreeMap<String, String>,
    /// A job's `BACALHAU_JOB_ID` and `BACALHAU_EXECUTION_ID`, derived from what its guest was
    /// given (`job::identity`); a module run has none.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub ids: Option<Ids>,
    pub determinism: RecordedSources,
    pub limits: Limits,
    /// `sha256:HEX` of each module, by its label (the guest path, or the host path of a module run).
    pub modules: BTreeMap<String, String>,
    /// `sha256:HEX` of every regular file of every input, by guest path, as the guest was given it.
    pub inputs: BTreeMap<String, String>,
    /// `sha256:HEX` of `stdout`, `stderr` and every output file, by results-relative path.
    pub results: BTreeMap<String, String>,
    pub outcome: RecordedOutcome,
    /// The number in `exitCode`.
    pub exit_code: i32,
    /// Fuel the guest consumed, unless a timeout or a signal stopped it (docs/RATIONALE.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel_used: Option<u64>,
    /// `sha256:HEX` of the run's tape, when its guest was told something its content does not
    /// fix (README "Recorded runs").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tape: Option<String>,
    /// The run was made with `--no-record`: what its guest was told that its content does not
    /// fix is on no tape.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_record: bool,
}

/// A job's ids, in Bacalhau's shape (`j-<uuid>`, `e-<uuid>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ids {
    pub job_id: String,
    pub execution_id: String,
}

/// The clock and random source the guest had (a receipt's `determinism`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum RecordedSources {
    /// `--nondeterministic`: the host's clocks and OS randomness.
    Nondeterministic(bool),
    /// The virtual clock and seeded random bytes.
    Virtual {
        epoch_ns: u64,
        tick_ns: u64,
        seed: u64,
    },
}

/// How the guest ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecordedOutcome {
    Exited(i32),
    Trapped(String),
    TimedOut(bool),
    /// The signal's name.
    Stopped(String),
}

impl From<&Outcome> for RecordedOutcome {
    fn from(outcome: &Outcome) -> Self {
        match outcome {
            Outcome::Exited(n) => RecordedOutcome::Exited(*n),
            Outcome::Trapped(name) => RecordedOutcome::Trapped(name.clone()),
            Outcome::TimedOut(_) => RecordedOutcome::TimedOut(true),
            Outcome::Stopped(signal) => RecordedOutcome::Stopped(signal.name().to_string()),
        }
    }
}

impl Receipt<'_> {
    /// The receipt as pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a receipt always serialises");
        text.push('\n');
        text
    }
}

/// A receipt read back from its JSON: what `verify` checks against.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    pub plan: Plan,
    #[serde(default)]
    pub template_vars: BTreeMap<String, String>,
    #[serde(flatten, default)]
    pub ids: Option<Ids>,
    pub determinism: RecordedSources,
    pub modules: BTreeMap<String, String>,
    pub inputs: BTreeMap<String, String>,
    pub results: BTreeMap<String, String>,
    pub outcome: RecordedOutcome,
    pub exit_code: i32,
    #[serde(default)]
    pub fuel_used: Option<u64>,
    #[serde(default)]
    pub tape: Option<String>,
    #[serde(default)]
    pub no_record: bool,
}

impl Recorded {
    pub fn parse(text: &str) -> Result<Recorded, String> {
        serde_json::from_str(text).map_err(|e| format!("not a bolinho receipt: {e}"))
    }
}

/// What a guest is given, by hash: recorded before a run, and checked by `verify` before a rerun.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub determinism: RecordedSources,
    pub modules: BTreeMap<String, String>,
    pub inputs: BTreeMap<String, String>,
    /// A job's ids, which follow from the rest (`job::identity`): not compared before a
    /// rerun, but with its results (`compare`).
    pub ids: Option<Ids>,
}

impl Given {
    /// Every module and input that differs from `expected`, as one line each (at most
    /// `MAX_LISTED`, then how many more); empty when none. What was found is never shown, only
    /// what the receipt says: a receipt written by someone else must not learn, through this
    /// message, the digest of a file it names but could not read.
    pub fn changes(&self, expected: &Given) -> Vec<String> {
        let mut changes = diffs("module", &expected.modules, &self.modules);
        changes.extend(diffs("input", &expected.inputs, &self.inputs));
        if changes.is_empty() && self.determinism != expected.determinism {
            changes.push(format!(
                "determinism: expected {:?}, got {:?}",
                expected.determinism, self.determinism
            ));
        }

        if changes.len() > MAX_LISTED {
            let more = changes.len() - MAX_LISTED;
            changes.truncate(MAX_LISTED);
            changes.push(format!("and {more} more"));
        }
        changes
    }
}

/// One compared item of `verify`: its name, and whether it matched.
#[derive(Debug, PartialEq, Eq)]
pub struct Check {
    /// What was compared: a results-relative path, `outcome`, `exitCode`...
    pub name: String,
    pub ok: bool,
    pub line: String,
}

/// Compares a rerun with the receipt: every result file, the outcome, `exitCode` and fuel.
pub fn compare(expected: &Recorded, got: &Recorded) -> Vec<Check> {
    let mut checks = Vec::new();
    let keys: std::collections::BTreeSet<&String> =
        expected.results.keys().chain(got.results.keys()).collect();
    for key in keys {
        let (want, have) = (expected.results.get(key), got.results.get(key));
        checks.push(check(
            key,
            want.map(String::as_str),
            have.map(String::as_str),
        ));
    }
    if expected.ids.is_some() || got.ids.is_some() {
        let job_id = |r: &Recorded| r.ids.as_ref().map(|ids| ids.job_id.clone());
        let (want, have) = (job_id(expected), job_id(got));
        checks.push(check("jobId", want.as_deref(), have.as_deref()));
    }
    let text = |o: &RecordedOutcome| serde_json::to_string(o).expect("an outcome serialises");
    let (want, have) = (text(&expected.outcome), text(&got.outcome));
    checks.push(check("outcome", Some(&want), Some(&have)));
    let (want, have) = (expected.exit_code.to_string(), got.exit_code.to_string());
    checks.push(check("exitCode", Some(&want), Some(&have)));
    if expected.fuel_used.is_some() || got.fuel_used.is_some() {
        let (want, have) = (
            expected.fuel_used.map(|f| f.to_string()),
            got.fuel_used.map(|f| f.to_string()),
        );
        checks.push(check("fuelUsed", want.as_deref(), have.as_deref()));
    }
    checks
}

fn check(name: &str, want: Option<&str>, have: Option<&str>) -> Check {
    match (want, have) {
        (Some(w), Some(h)) if w == h => Check {
            name: name.to_string(),
            ok: true,
            line: format!("ok  {name}  {w}"),
        },
        _ => Check {
            name: name.to_string(),
            ok: false,
            line: format!(
                "DIFF {name}: expected {}, got {}",
                want.unwrap_or("nothing"),
                have.unwrap_or("nothing")
            ),
        },
    }
}

fn diffs(
    kind: &str,
    expected: &BTreeMap<String, String>,
    got: &BTreeMap<String, String>,
) -> Vec<String> {
    let keys: std::collections::BTreeSet<&String> = expected.keys().chain(got.keys()).collect();
    keys.into_iter()
        .filter_map(|k| match (expected.get(k), got.get(k)) {
            (Some(want), Some(have)) if want == have => None,
            (Some(want), Some(_)) => {
                Some(format!("{kind} {k}: expected {want}, found other content"))
            }
            (Some(want), None) => Some(format!("{kind} {k}: expected {want}, found nothing")),
            (None, _) => Some(format!("{kind} {k}: not in the receipt")),
        })
        .collect()
}

/// `sha256:HEX` of some bytes.
pub fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut text = String::from("sha256:");
    for byte in digest.iter() {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// The lower-case hex of a `sha256:HEX` value, when it is one: 64 lower-case hex digits, as
/// `sha256` writes them (a value from a receipt may be anything).
pub fn digest_hex(value: &str) -> Option<&str> {
    let hex = value.strip_prefix("sha256:")?;
    let digits = hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (hex.len() == 64 && digits).then_some(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_names_each_difference() {
        let recorded = |stdout: &str, code| Recorded {
            plan: crate::spec::flags::module_plan(&crate::spec::flags::ModuleFlags {
                module: std::path::Path::new("m.wasm"),
                ..Default::default()
            })
            .unwrap(),
            template_vars: BTreeMap::new(),
            ids: None,
            determinism: RecordedSources::Nondeterministic(true),
            modules: BTreeMap::new(),
            inputs: BTreeMap::new(),
            results: BTreeMap::from([("stdout".to_string(), stdout.to_string())]),
            outcome: RecordedOutcome::Exited(code),
            exit_code: code,
            fuel_used: None,
            tape: None,
            no_record: false,
        };
        let checks = compare(&recorded("sha256:a", 0), &recorded("sha256:b", 0));
        let lines: Vec<_> = checks.iter().map(|c| c.line.as_str()).collect();
        assert_eq!(
            lines,
            [
                "DIFF stdout: expected sha256:a, got sha256:b",
                "ok  outcome  {\"exited\":0}",
                "ok  exitCode  0"
            ]
        );
    }

    #[test]
    fn changes_are_named_without_what_was_found() {
        let given = |inputs: &[(&str, &str)]| Given {
            determinism: RecordedSources::Nondeterministic(true),
            modules: BTreeMap::new(),
            inputs: inputs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ids: None,
        };
        let expected = given(&[("/a", "sha256:1"), ("/b", "sha256:2")]);
        let got = given(&[("/a", "sha256:9"), ("/c", "sha256:3")]);
        assert_eq!(
            got.changes(&expected),
            [
                "input /a: expected sha256:1, found other content",
                "input /b: expected sha256:2, found nothing",
                "input /c: not in the receipt"
            ]
        );
    }

    #[test]
    fn digest_hex_takes_only_what_sha256_writes() {
        let good = sha256(b"abc");
        assert_eq!(digest_hex(&good), Some(&good[7..]));
        for bad in [
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
            "sha256:ba7816bf",
            "sha256:../../../../etc/passwd",
            "",
        ] {
            assert_eq!(digest_hex(bad), None, "{bad}");
        }
    }

    #[test]
    fn sha256_is_prefixed_lower_hex() {
        assert_eq!(
            sha256(b"abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
