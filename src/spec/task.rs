//! One Task (compat §1.2): its inputs, engine, outputs and environment, read in the order that
//! lets each part check the ones before it (modules name InputSources; ResultPaths must not
//! reuse their targets).
//!
//! `Resources.Memory`, `Meta`'s `bolinho.fuel` and `Timeouts.ExecutionTimeout` (else
//! `TotalTimeout`) become the plan's limits (README "Limits"); the rest of `Publisher`,
//! `Resources`, `Network`, `Timeouts` and `Meta` is checked for shape
//! and known keys only; what it asks for is applied elsewhere, or not yet.

use std::collections::HashMap;
use std::time::Duration;

use super::domains::Domain;

use super::SpecError;
use super::engine;
use super::env::user_env;
use super::limits::{parse_fuel, parse_memory, timeout_limit};
use super::meta::{parse_epoch, parse_seed};
use super::plan::{
    Determinism, EnvVar, ImportModule, Input, Limits, ModuleLocation, Network, Output, Publisher,
};
use super::quote::quote;
use super::reader::{Ctx, Field, join};
use super::s3;
use super::source::{Inputs, guest_path, read_input};

/// A Task, validated; `job` adds what depends on the whole document.
pub(crate) struct Task {
    pub name: Option<String>,
    pub inputs: Vec<Input>,
    pub entry_module: ModuleLocation,
    pub import_modules: Vec<ImportModule>,
    pub entrypoint: String,
    pub args: Vec<String>,
    /// The user's variables, unsorted, without the system ones.
    pub env: Vec<EnvVar>,
    pub outputs: Vec<Output>,
    pub publisher: Publisher,
    pub network: Network,
    pub limits: Limits,
    pub determinism: Determinism,
}

/// The files bolinho writes in a results directory beside the output directories (compat §8,
/// README "Running jobs"), which no `ResultPaths` Name may take, in any case. Names starting
/// with `.` are refused too: bolinho reserves them for its staging directory.
pub const RESERVED_RESULT_NAMES: [&str; 7] = [
    "stdout",
    "stderr",
    "exitCode",
    "stdout.truncated",
    "stderr.truncated",
    "receipt.json",
    "tape",
];

/// The longest file name Linux (`NAME_MAX`) and most filesystems take, in bytes.
pub const NAME_MAX: usize = 255;

/// The `Meta` key of bolinho's fuel limit.
pub(crate) const FUEL_KEY: &str = "bolinho.fuel";
/// The `Meta` key of the guest's clock epoch (RFC 3339 in UTC, or Unix seconds).
pub(crate) const EPOCH_KEY: &str = "bolinho.epoch";
/// The `Meta` key of the guest's random seed (a non-negative integer).
pub(crate) const SEED_KEY: &str = "bolinho.seed";

/// The publisher types bolinho runs. Bacalhau's `ipfs` is known but refused (`publisher`).
const PUBLISHERS: [&str; 3] = ["local", "s3", "noop"];
const NETWORKS: [&str; 6] = ["None", "Host", "Full", "HTTP", "Bridge", "Default"];

/// Reads a Task map; `field` is `Tasks[0]` in a job, the root in a task document.
pub(crate) fn read(field: &Field, ctx: &mut Ctx) -> Result<Task, SpecError> {
    let mut m = field.map(ctx)?;
    let name = match m.get("Name") {
        Some(f) => Some(f.string(ctx)?).filter(|n| !n.is_empty()),
        None => None,
    };
    let mut inputs = Inputs::default();
    if let Some(list) = m.get("InputSources") {
        for item in list.list(ctx)? {
            let (input, lines) = read_input(&item, None, ctx)?;
            inputs.add(input, lines, ctx)?;
        }
    }
    let engine_field = m.require("Engine", ctx)?;
    let mut e = engine_field.map(ctx)?;
    let wasm = engine::read(&mut e, &mut inputs, ctx)?;
    e.finish(ctx)?;
    let outputs = match m.get("ResultPaths") {
        Some(f) => result_paths(&f, &mut inputs, ctx)?,
        None => Vec::new(),
    };
    let env = user_env(m.get("Env").as_ref(), wasm.env.as_ref(), ctx)?;
    let publisher = match m.get("Publisher") {
        Some(f) => publisher(&f, ctx)?,
        None => Publisher::Local,
    };
    let mut limits = Limits::for_job();
    let mut determinism = Determinism::default();
    if let Some(f) = m.get("Resources") {
        let mut r = f.map(ctx)?;
        for key in ["CPU", "Memory", "Disk", "GPU"] {
            // Quantities are strings in Bacalhau (`512Mb`); `CPU: 0.5` is what people write.
            if let Some(value) = r.get(key) {
                let text = value.text(ctx)?;
                if key == "Memory" {
                    limits.memory_bytes =
                        parse_memory(&text).map_err(|message| value.error(ctx, message))?;
                }
            }
        }
        r.finish(ctx)?;
    }
    let network = match m.get("Network") {
        Some(f) => network(&f, ctx)?,
        None => Network::None,
    };
    if let Some(f) = m.get("Timeouts") {
        let mut t = f.map(ctx)?;
        let mut timeouts = [None; 3];
        for (key, timeout) in ["ExecutionTimeout", "QueueTimeout", "TotalTimeout"]
            .into_iter()
            .zip(&mut timeouts)
        {
            if let Some(value) = t.get(key) {
                let seconds = Duration::from_secs(value.u64(ctx)?);
                *timeout = timeout_limit(seconds).map_err(|why| value.error(ctx, why))?;
            }
        }
        t.finish(ctx)?;
        // compat §7: ExecutionTimeout, 0 falling back to TotalTimeout; both 0 is no timeout.
        // QueueTimeout has nothing to wait for here: bolinho runs the job at once.
        let [execution, _, total] = timeouts;
        limits.timeout = execution.or(total);
    }
    if let Some(f) = m.get("Meta") {
        string_map(&f, ctx)?;
        // bolinho's own fuel limit: Bacalhau has no such field and passes Meta through, so
        // the job stays valid there (docs/RATIONALE.md).
        if let Some((_, value)) = f.entries(ctx)?.into_iter().find(|(k, _)| k == FUEL_KEY) {
            let text = value.string(ctx)?;
            limits.fuel = Some(parse_fuel(&text).map_err(|message| value.error(ctx, message))?);
        }
        // The same for the deterministic clock and randomness (README "Determinism").
        for (key, value) in f.entries(ctx)? {
            if key == EPOCH_KEY {
                let text = value.string(ctx)?;
                determinism.epoch_ns =
                    Some(parse_epoch(&text).map_err(|message| value.error(ctx, message))?);
            } else if key == SEED_KEY {
                let text = value.string(ctx)?;
                determinism.seed =
                    Some(parse_seed(&text).map_err(|message| value.error(ctx, message))?);
            }
        }
    }
    m.finish(ctx)?;
    Ok(Task {
        name,
        inputs: inputs.list,
        entry_module: wasm.entry_module,
        import_modules: wasm.import_modules,
        entrypoint: wasm.entrypoint,
        args: wasm.args,
        env,
        outputs,
        publisher,
        network,
        limits,
        determinism,
    })
}

/// `ResultPaths: [{Name, Path}]`. Each becomes an empty writable directory at `Path`, saved in
/// the results directory as `Name`, so a Name must be a plain file name that does not collide
/// with another, or with a result file, on a case-insensitive filesystem either.
fn result_paths(
    field: &Field,
    inputs: &mut Inputs,
    ctx: &mut Ctx,
) -> Result<Vec<Output>, SpecError> {
    let mut outputs = Vec::new();
    let mut names = OutputNames::default();
    for item in field.list(ctx)? {
        let mut m = item.map(ctx)?;
        let name_field = m.require("Name", ctx)?;
        let name = name_field.string(ctx)?;
        if name.is_empty() {
            return Err(name_field.error(ctx, "required"));
        }
        names
            .claim(&name, &item.path)
            .map_err(|message| name_field.error(ctx, message))?;
        let path_field = m.require("Path", ctx)?;
        let path = guest_path(&path_field.string(ctx)?)
            .map_err(|message| path_field.error(ctx, message))?;
        inputs
            .claim_path(&path, &item.path)
            .map_err(|message| path_field.error(ctx, message))?;
        m.finish(ctx)?;
        outputs.push(Output { name, path });
    }
    Ok(outputs)
}

/// An output's Name: one file name, none of the names bolinho writes beside the outputs.
pub(crate) fn output_name(name: &str) -> Result<(), String> {
    let bad = |why: String| Err(format!("invalid name {}: {why}", quote(name)));
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\\', '\0']) {
        return bad("it must be a plain directory name".into());
    }
    if name.len() > NAME_MAX {
        return bad(format!(
            "it is {} bytes long, more than a file name can be ({NAME_MAX})",
            name.len()
        ));
    }
    if RESERVED_RESULT_NAMES
        .iter()
        .any(|f| f.eq_ignore_ascii_case(name))
    {
        let (last, others) = RESERVED_RESULT_NAMES.split_last().expect("not empty");
        return bad(format!(
            "{} and {last} are the names of files bolinho writes beside the outputs",
            others.join(", ")
        ));
    }
    if name.starts_with('.') {
        return bad("names starting with `.` are bolinho's own (its staging directory)".into());
    }
    Ok(())
}

/// The output Names so far, lower-cased (a case-insensitive filesystem would merge two that
/// differ in case), each with its owner.
#[derive(Default)]
pub(crate) struct OutputNames(HashMap<String, String>);

impl OutputNames {
    /// Checks `name` (`output_name`) and claims it for `owner`.
    pub fn claim(&mut self, name: &str, owner: &str) -> Result<(), String> {
        output_name(name)?;
        let key = name.to_lowercase();
        if let Some(first) = self.0.get(&key) {
            return Err(format!(
                "invalid name {}: already used by {first}",
                quote(name)
            ));
        }
        self.0.insert(key, owner.to_string());
        Ok(())
    }
}

/// `Publisher: {Type, Params}`. An S3 publisher needs its `Bucket`; `Key` is the prefix the
/// results go under (`s3::read_publisher`).
fn publisher(field: &Field, ctx: &mut Ctx) -> Result<Publisher, SpecError> {
    let mut m = field.map(ctx)?;
    let written = match m.get("Type") {
        Some(type_field) => {
            let written = type_field.string(ctx)?;
            // Not implemented: refused with the job, so that a run is never wasted on it.
            if written.eq_ignore_ascii_case("ipfs") {
                return Err(type_field.error(
                    ctx,
                    "publisher type `ipfs` is not supported: use `local` (the default), `noop` or `s3`",
                ));
            }
            if !written.is_empty() && !PUBLISHERS.iter().any(|p| p.eq_ignore_ascii_case(&written)) {
                let known = PUBLISHERS.join(", ");
                return Err(type_field.error(
                    ctx,
                    format!(
                        "unknown publisher type {}: expected one of {known}",
                        quote(&written)
                    ),
                ));
            }
            written.to_ascii_lowercase()
        }
        None => String::new(),
    };
    let mut params = match m.get("Params") {
        Some(f) => Some(f.map(ctx)?),
        None => None,
    };
    let publisher = match written.as_str() {
        "s3" => {
            let Some(p) = params.as_mut() else {
                return Err(ctx.error(m.line(), &join(&field.path, "Params.Bucket"), "required"));
            };
            s3::read_publisher(p, &join(&field.path, "Params"), ctx)?
        }
        "noop" => Publisher::Noop,
        _ => Publisher::Local,
    };
    // The other publisher parameters (Compress, ...) belong to Bacalhau's publishers: the
    // Params map is left unfinished, so its remaining keys are neither checked nor warned of.
    drop(params);
    m.finish(ctx)?;
    Ok(publisher)
}

/// `Network: {Type, Domains, Ports}`. Only `Host` (or `Full`) and `HTTP` give the guest
/// network access; `None`, `Bridge` and `Default` give none (bolinho's default).
fn network(field: &Field, ctx: &mut Ctx) -> Result<Network, SpecError> {
    let mut m = field.map(ctx)?;
    let written = match m.get("Type") {
        Some(type_field) => {
            let written = type_field.string(ctx)?;
            if !NETWORKS.iter().any(|n| n.eq_ignore_ascii_case(&written)) {
                let known = NETWORKS.join(", ");
                return Err(type_field.error(
                    ctx,
                    format!(
                        "unknown network type {}: expected one of {known}",
                        quote(&written)
                    ),
                ));
            }
            written.to_ascii_lowercase()
        }
        None => String::new(),
    };
    let mut domains = Vec::new();
    if let Some(list) = m.get("Domains") {
        for item in list.list(ctx)? {
            let domain = Domain::parse(&item.string(ctx)?);
            domains.push(domain.map_err(|message| item.error(ctx, message))?);
        }
        // Bacalhau refuses the job; bolinho runs it as its Type says, and says so.
        if !domains.is_empty() && written != "http" {
            let shown = if written.is_empty() {
                "unset"
            } else {
                written.as_str()
            };
            ctx.warn(
                list.line,
                &list.path,
                format!("Domains apply to Type HTTP; with Type {shown} they are ignored (Bacalhau refuses the job)"),
            );
        }
    }
    if let Some(ports) = m.get("Ports") {
        ports.list(ctx)?;
    }
    m.finish(ctx)?;
    Ok(match written.as_str() {
        "host" | "full" => Network::Host,
        "http" => Network::Http { domains },
        _ => Network::None,
    })
}

/// `Meta` and `Labels`: string to string.
pub(crate) fn string_map(field: &Field, ctx: &Ctx) -> Result<(), SpecError> {
    for (_, value) in field.entries(ctx)? {
        value.string(ctx)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::tree::parse;
    use super::*;

    const ENGINE: &str = "Engine: {Type: wasm, Params: {EntryModule: /app}}\nInputSources:\n  - {Target: /app, Source: {Type: local, Params: {Path: app}}}\n";

    fn task(extra: &str, strict: bool) -> (Result<Task, String>, Vec<String>) {
        let node = parse(&format!("{ENGINE}{extra}")).unwrap();
        let mut ctx = Ctx::new(Path::new("job.yaml"), strict, &[]);
        let field = Field {
            node: &node,
            path: "Tasks[0]".into(),
            line: node.line,
        };
        let result = read(&field, &mut ctx).map_err(|e| e.to_string());
        (result, ctx.into_warnings())
    }

    fn err(extra: &str) -> String {
        task(extra, true).0.err().unwrap()
    }

    #[test]
    fn result_paths_become_outputs() {
        let (t, _) = task(
            "ResultPaths:\n  - {Name: outputs, Path: outputs}\n  - {Name: logs, Path: /var/log/}\n",
            true,
        );
        let outputs = t.unwrap().outputs;
        assert_eq!(
            outputs,
            [
                Output {
                    name: "outputs".into(),
                    path: "/outputs".into()
                },
                Output {
                    name: "logs".into(),
                    path: "/var/log".into()
                },
            ]
        );
    }

    #[test]
    fn result_path_errors() {
        assert_eq!(
            err("ResultPaths:\n  - {Name: a, Path: /app}\n"),
            "job.yaml:5: Tasks[0].ResultPaths[0].Path: `/app` is already used by Tasks[0].InputSources[0]"
        );
        assert_eq!(
            err("ResultPaths:\n  - {Name: a, Path: /o}\n  - {Name: b, Path: o/}\n"),
            "job.yaml:6: Tasks[0].ResultPaths[1].Path: `/o` is already used by Tasks[0].ResultPaths[0]"
        );
        assert_eq!(
            err("ResultPaths:\n  - {Name: a, Path: /o}\n  - {Name: A, Path: /p}\n"),
            "job.yaml:6: Tasks[0].ResultPaths[1].Name: invalid name `A`: already used by Tasks[0].ResultPaths[0]"
        );
        for reserved in RESERVED_RESULT_NAMES
            .iter()
            .flat_map(|n| [n.to_string(), n.to_uppercase()])
        {
            assert_eq!(
                err(&format!(
                    "ResultPaths:\n  - {{Name: {reserved}, Path: /o}}\n"
                )),
                format!(
                    "job.yaml:5: Tasks[0].ResultPaths[0].Name: invalid name `{reserved}`: stdout, stderr, exitCode, stdout.truncated, stderr.truncated, receipt.json and tape are the names of files bolinho writes beside the outputs"
                )
            );
        }
        assert_eq!(
            err("ResultPaths:\n  - {Name: .partial, Path: /o}\n"),
            "job.yaml:5: Tasks[0].ResultPaths[0].Name: invalid name `.partial`: names starting with `.` are bolinho's own (its staging directory)"
        );
        // As YAML writes them (double-quoted), and as the message shows them.
        for (yaml, shown) in [(".", "."), ("a\\\\b", "a\\b"), ("a\\0b", "a\\0b")] {
            assert_eq!(
                err(&format!(
                    "ResultPaths:\n  - {{Name: \"{yaml}\", Path: /o}}\n"
                )),
                format!(
                    "job.yaml:5: Tasks[0].ResultPaths[0].Name: invalid name `{shown}`: it must be a plain directory name"
                )
            );
        }
        let long = "n".repeat(NAME_MAX + 1);
        assert_eq!(
            err(&format!("ResultPaths:\n  - {{Name: {long}, Path: /o}}\n")),
            format!(
                "job.yaml:5: Tasks[0].ResultPaths[0].Name: invalid name `{}...` (256 bytes): it is 256 bytes long, more than a file name can be (255)",
                "n".repeat(60)
            )
        );
        assert!(
            task(
                &format!(
                    "ResultPaths:\n  - {{Name: {}, Path: /o}}\n",
                    "n".repeat(NAME_MAX)
                ),
                true
            )
            .0
            .is_ok()
        );
        assert_eq!(
            err("ResultPaths:\n  - {Name: a/b, Path: /o}\n"),
            "job.yaml:5: Tasks[0].ResultPaths[0].Name: invalid name `a/b`: it must be a plain directory name"
        );
        assert_eq!(
            err("ResultPaths:\n  - {Name: .., Path: /o}\n"),
            "job.yaml:5: Tasks[0].ResultPaths[0].Name: invalid name `..`: it must be a plain directory name"
        );
        assert_eq!(
            err("ResultPaths:\n  - {Name: \"\", Path: /o}\n"),
            "job.yaml:5: Tasks[0].ResultPaths[0].Name: required"
        );
        assert_eq!(
            err("ResultPaths:\n  - {Name: a}\n"),
            "job.yaml:5: Tasks[0].ResultPaths[0].Path: required"
        );
        assert_eq!(
            err("ResultPaths:\n  - {Name: a, Path: /}\n"),
            "job.yaml:5: Tasks[0].ResultPaths[0].Path: invalid path `/`: it must name a directory below `/`"
        );
    }

    #[test]
    fn lenient_blocks_check_shape_and_keys() {
        let ok = "Publisher: {Type: S3, Params: {Bucket: b, Anything: 1}}\nResources: {CPU: 0.5, Memory: 512Mb}\nNetwork: {Type: http, Domains: [a.com]}\nTimeouts: {ExecutionTimeout: 30}\nMeta: {a: b}\n";
        let (t, warnings) = task(ok, true);
        assert!(t.is_ok(), "{t:?}", t = t.err());
        assert!(warnings.is_empty());
        assert_eq!(
            err("Publisher: {Type: IPFS}\n"),
            "job.yaml:4: Tasks[0].Publisher.Type: publisher type `ipfs` is not supported: use `local` (the default), `noop` or `s3`"
        );
        assert_eq!(
            err("Publisher: {Type: ftp}\n"),
            "job.yaml:4: Tasks[0].Publisher.Type: unknown publisher type `ftp`: expected one of local, s3, noop"
        );
        assert_eq!(
            err("Network: {Type: wifi}\n"),
            "job.yaml:4: Tasks[0].Network.Type: unknown network type `wifi`: expected one of None, Host, Full, HTTP, Bridge, Default"
        );
        assert_eq!(
            err("Timeouts: {ExecutionTimeout: -1}\n"),
            "job.yaml:4: Tasks[0].Timeouts.ExecutionTimeout: expected a non-negative integer, found `-1`"
        );
        assert_eq!(
            err("Resources: {Memroy: 1}\n"),
            "job.yaml:4: Tasks[0].Resources.Memroy: unknown key"
        );
        assert_eq!(
            err("Meta: {a: [1]}\n"),
            "job.yaml:4: Tasks[0].Meta.a: expected a string, found a list"
        );
        assert_eq!(
            err("Resources: [1]\n"),
            "job.yaml:4: Tasks[0].Resources: expected a map, found a list"
        );
    }

    #[test]
    fn meta_epoch_and_seed_set_the_guests_clock_and_randomness() {
        let (t, _) = task(
            "Meta: {bolinho.epoch: \"2024-01-01T00:00:00Z\", bolinho.seed: \"7\"}\n",
            true,
        );
        assert_eq!(
            t.unwrap().determinism,
            Determinism {
                epoch_ns: Some(1_704_067_200_000_000_000),
                seed: Some(7),
            }
        );
        let (t, _) = task("Meta: {other: x}\n", true);
        assert_eq!(t.unwrap().determinism, Determinism::default());
        assert_eq!(
            err("Meta: {bolinho.seed: \"x\"}\n"),
            "job.yaml:4: Tasks[0].Meta.bolinho.seed: invalid seed `x`: expected a non-negative integer"
        );
    }

    #[test]
    fn resources_memory_and_meta_fuel_become_limits() {
        let (t, _) = task(
            "Resources: {Memory: 512Mb}\nMeta: {bolinho.fuel: \"1000\", other: x}\n",
            true,
        );
        assert_eq!(
            t.unwrap().limits,
            Limits {
                memory_bytes: Some(512_000_000),
                fuel: Some(1000),
                ..Limits::default()
            }
        );
        for (timeouts, seconds) in [
            ("{ExecutionTimeout: 30}", Some(30)),
            ("{ExecutionTimeout: 30, TotalTimeout: 60}", Some(30)),
            ("{ExecutionTimeout: 0, TotalTimeout: 60}", Some(60)),
            ("{TotalTimeout: 60, QueueTimeout: 5}", Some(60)),
            ("{ExecutionTimeout: 0, TotalTimeout: 0}", None),
            ("{QueueTimeout: 5}", None),
            ("{}", None),
        ] {
            let (t, _) = task(&format!("Timeouts: {timeouts}\n"), true);
            assert_eq!(
                t.unwrap().limits.timeout,
                seconds.map(Duration::from_secs),
                "{timeouts}"
            );
        }
        let (t, _) = task("Resources: {Memory: \"0\"}\n", true);
        assert_eq!(t.unwrap().limits, Limits::default());
        assert_eq!(
            err("Timeouts: {TotalTimeout: 9223372037}\n"),
            "job.yaml:4: Tasks[0].Timeouts.TotalTimeout: more than 9223372036 seconds (about 292 years), the longest timeout"
        );
        let (t, _) = task("Timeouts: {ExecutionTimeout: 9223372036}\n", true);
        assert_eq!(
            t.unwrap().limits.timeout,
            Some(Duration::from_secs(9_223_372_036))
        );
        assert_eq!(
            err("Resources: {Memory: 4.5GiB}\n"),
            "job.yaml:4: Tasks[0].Resources.Memory: `4.5GiB` is 4831838208 bytes, more than a 32-bit memory can hold (4 GiB, 65536 pages)"
        );
        assert_eq!(
            err("Resources: {Memory: lots}\n"),
            "job.yaml:4: Tasks[0].Resources.Memory: invalid size `lots`: expected a number and an optional unit, such as 512MB, 1.5GiB or 4096"
        );
        assert_eq!(
            err("Meta: {bolinho.fuel: \"-1\"}\n"),
            "job.yaml:4: Tasks[0].Meta.bolinho.fuel: invalid fuel `-1`: expected a non-negative integer"
        );
    }

    #[test]
    fn engine_is_required() {
        let node = parse("Name: x\n").unwrap();
        let mut ctx = Ctx::new(Path::new("job.yaml"), false, &[]);
        let field = Field {
            node: &node,
            path: "Tasks[0]".into(),
            line: Some(3),
        };
        assert_eq!(
            read(&field, &mut ctx).err().unwrap().to_string(),
            "job.yaml:3: Tasks[0].Engine: required"
        );
    }
}
