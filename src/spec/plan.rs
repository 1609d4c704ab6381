//! The resolved form of a job: what the rest of bolinho runs.
//!
//! A `Plan` is produced either from a job document (`spec::parse_job`) or from the flags of
//! `bolinho run MODULE` (`cli`), and is the only thing fetch, link and run look at. It holds no
//! raw YAML and no optional-with-default fields: every default has already been applied.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::checksum::Checksum;
use super::cid::Cid;
use super::data_url::InlineUrl;
use super::domains::Domain;
use super::filter::Filter;
use super::s3::is_prefix;

/// A job ready to fetch and run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    /// The job's name (`Name`, else the job file's stem, else the module's file stem).
    pub name: String,
    /// Whether the plan came from a job document (results directory, BACALHAU_* variables) or
    /// from `bolinho run MODULE` (wasmtime-style: the guest sees exactly what the flags say).
    pub origin: Origin,
    /// Every source the job names: the entry module, import modules and data inputs.
    pub inputs: Vec<Input>,
    /// Where the entry module is. For jobs this is always a guest path: the current form's
    /// `EntryModule` string (a Target, or a file below a Target), or for the legacy form the
    /// Target given to the module's InputSource (`/wasm/entry.wasm` unless it has one).
    pub entry_module: ModuleLocation,
    /// The import modules, in the order the job lists them.
    pub import_modules: Vec<ImportModule>,
    /// The exported function to call; `_start` unless the job says otherwise.
    pub entrypoint: String,
    /// `argv[1..]`; `argv[0]` is the entry module's file name, added by the runner.
    pub args: Vec<String>,
    /// The guest's environment, sorted by name, system variables included.
    pub env: Vec<EnvVar>,
    /// Each `ResultPaths` entry: an empty writable directory at `path`, saved as `name`.
    pub outputs: Vec<Output>,
    /// Whether the guest gets a preopened `/` even with no mounts (always, for jobs).
    pub preopen_root: bool,
    pub publisher: Publisher,
    pub network: Network,
    /// What the guest may use: memory, fuel and time.
    pub limits: Limits,
    /// The job's own clock epoch and random seed, if it sets them.
    #[serde(default, skip_serializing_if = "Determinism::is_default")]
    pub determinism: Determinism,
}

/// What a job sets of its deterministic clock and randomness (README "Determinism");
/// `None` takes the default: the fixed epoch, and a seed derived from the job's content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Determinism {
    /// Where the guest's realtime clock starts, nanoseconds since the Unix epoch
    /// (`Meta: {bolinho.epoch}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch_ns: Option<u64>,
    /// The seed of the guest's random bytes (`Meta: {bolinho.seed}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl Determinism {
    fn is_default(&self) -> bool {
        *self == Determinism::default()
    }
}

/// Every limit of a run (README "Limits"), in one place: the plan and the receipt record them
/// all, and `engine` applies them. For the guest's resources `None` is no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Limits {
    /// Each linear memory may hold at most this many bytes, rounded up to whole pages
    /// (`Resources.Memory`, `--memory`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
    /// wasmi fuel units the guest may consume before it traps (`Meta: {bolinho.fuel}`, `--fuel`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// How long the guest may run before it is stopped (`Timeouts.ExecutionTimeout`, else
    /// `Timeouts.TotalTimeout`, `--timeout`); shown in seconds.
    #[serde(
        rename = "timeoutSeconds",
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "seconds",
        deserialize_with = "from_seconds"
    )]
    pub timeout: Option<Duration>,
    /// The most bytes each of the `stdout` and `stderr` results files keeps
    /// (`--output-limit`); shown only when it is not the default.
    #[serde(
        default = "default_output_bytes",
        skip_serializing_if = "is_default_output_bytes"
    )]
    pub output_bytes: u64,
}

/// The default cap on each of the `stdout` and `stderr` results files: 1 GB, as Bacalhau.
pub const DEFAULT_OUTPUT_BYTES: u64 = 1_000_000_000;

fn default_output_bytes() -> u64 {
    DEFAULT_OUTPUT_BYTES
}

fn is_default_output_bytes(bytes: &u64) -> bool {
    *bytes == DEFAULT_OUTPUT_BYTES
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: None,
            fuel: None,
            timeout: None,
            output_bytes: DEFAULT_OUTPUT_BYTES,
        }
    }
}

/// A duration as (possibly fractional) seconds, as the user wrote it.
fn seconds<S: serde::Serializer>(timeout: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match timeout {
        Some(d) => s.serialize_f64(d.as_secs_f64()),
        None => s.serialize_none(),
    }
}

/// Seconds back into a duration (a receipt's plan). A timeout of more seconds than a
/// `Duration` holds (a job may ask for 2^64 - 1, which `seconds` rounds up to 2^64) is the
/// longest one: either is as good as none (`engine::Deadline`).
fn from_seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let seconds = Option::<f64>::deserialize(d)?;
    seconds
        .map(|s| match Duration::try_from_secs_f64(s) {
            Err(_) if s.is_finite() && s > 0.0 => Ok(Duration::MAX),
            other => other.map_err(serde::de::Error::custom),
        })
        .transpose()
}

/// The memory a job without `Resources.Memory` may use: Bacalhau's default for batch and ops
/// jobs (`JobDefaults` in pkg/config/defaults.go, `512Mb`), which its WASM executor enforces,
/// so that the same job fails the same way in both places. Module runs have none.
pub const DEFAULT_JOB_MEMORY_BYTES: u64 = 512_000_000;

impl Limits {
    /// A job's limits before its `Resources` and `Timeouts` are read.
    pub fn for_job() -> Limits {
        Limits {
            memory_bytes: Some(DEFAULT_JOB_MEMORY_BYTES),
            ..Limits::default()
        }
    }

    /// The memory limit in whole pages.
    pub fn memory_pages(&self) -> Option<u64> {
        self.memory_bytes.map(|b| b.div_ceil(super::limits::PAGE))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Job,
    Module,
}

/// Where a module's bytes are found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ModuleLocation {
    /// An absolute, normalised guest path at or below some input's Target: a `.wasm` file, or a
    /// directory holding exactly one `.wasm` file. Validated to lie under an input's Target.
    Guest(String),
    /// A host file not mounted in the guest (`bolinho run MODULE`, `--import NAME=PATH`).
    Host(PathBuf),
}

/// An import module and the extra name it may be linked under.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportModule {
    pub location: ModuleLocation,
    /// The Alias of the input whose Target is exactly this module's guest path, or the NAME of
    /// `--import NAME=PATH`. The linker also matches the Target and the file name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// One source and where the guest sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub source: Source,
    /// The absolute, normalised guest path it is mounted at.
    pub target: String,
    /// The job's `Alias`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Where this input was declared, for error messages (`Tasks[0].InputSources[1]`).
    pub field: String,
}

/// Where the bytes of an input come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Source {
    /// A host file or directory; a relative path was resolved against the job file's directory.
    Local {
        path: PathBuf,
        read_write: bool,
        create_as: CreateAs,
    },
    /// An RFC 2397 `data:` URL.
    Inline { url: InlineUrl },
    /// An object or a prefix in an S3 bucket (boxed: it holds a compiled Filter).
    S3(Box<S3Source>),
    /// An `http` or `https` URL (`urlDownload`).
    Url { url: String },
    /// An IPFS CID, fetched through a gateway.
    Ipfs { cid: Cid },
}

/// An S3 source's parameters (shared/spec/bacalhau-compat.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct S3Source {
    pub bucket: String,
    /// One object, fetched as a directory holding it under the key's last segment (as Bacalhau
    /// does); a key ending in `/` or `*` is a prefix, fetched as a directory of its objects.
    /// Empty: the whole bucket.
    pub key: String,
    /// A regular expression keys must match, for prefixes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// A custom endpoint (an S3-compatible server), addressed path-style; as written, and an
    /// endpoint `s3::endpoint` accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// The object's expected sha256; a mismatch refuses to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum_sha256: Option<Checksum>,
}

impl S3Source {
    /// The prefix this source names, without its `*`; `None` when its Key names one object
    /// (`s3::is_prefix`).
    pub fn prefix(&self) -> Option<&str> {
        is_prefix(&self.key).then(|| self.key.strip_suffix('*').unwrap_or(&self.key))
    }
}

/// Where the results go besides the local results directory (`Publisher`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Publisher {
    /// The local results directory only (also `local` and no Publisher at all).
    Local,
    /// Nothing is published; the local results directory is still written.
    Noop,
    /// The results directory uploaded under `key` (a prefix) in `bucket`.
    S3 {
        bucket: String,
        key: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        region: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        endpoint: Option<String>,
    },
}

/// What network the guest may reach through Bacalhau's `wasi:http/requests` host module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Network {
    /// No network (bolinho's default, and `None`, `Bridge`, `Default`).
    None,
    /// Any host (`Host`, or its alias `Full`).
    Host,
    /// Only hosts matching these globs (`*.example.com`; ports ignored).
    Http { domains: Vec<Domain> },
}

/// What to create when a local `ReadWrite` source does not exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CreateAs {
    NoCreate,
    Dir,
    File,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    pub value: EnvValue,
}

/// Serialised as the job file writes it: the value, or `env:NAME`.
#[derive(Debug, Clone, PartialEq)]
pub enum EnvValue {
    /// The value as written.
    Literal(String),
    /// `env:NAME`: the host's variable NAME, given only if the user passed `--allow-env NAME`.
    FromHost(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output {
    /// The directory name in the results directory.
    pub name: String,
    /// The absolute guest path the guest writes to.
    pub path: String,
}

impl Serialize for EnvValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            EnvValue::Literal(value) => serializer.serialize_str(value),
            EnvValue::FromHost(name) => serializer.serialize_str(&format!("env:{name}")),
        }
    }
}

/// Read back as written: `env:NAME` is the host's NAME, anything else a literal. (A legacy
/// job's literal value starting with `env:` reads back as a host variable; docs/RATIONALE.md.)
impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Ok(match text.strip_prefix("env:") {
            Some(name) => EnvValue::FromHost(name.to_string()),
            None => EnvValue::Literal(text),
        })
    }
}
