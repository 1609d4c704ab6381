//! `bolinho run` with `bacalhau wasm run`'s flags: the run is the job Bacalhau would submit
//! (`spec::WasmRun`), validated and run as a job file is, so the guest sees what it would see
//! on a cluster; `--dry-run` prints that job instead.
//!
//! Owns: deciding that a run is one (`asked`), the look at the host that spec may not take
//! (does a module path name a file?), and reading the local modules that `--dry-run` inlines.
//! Must not interpret the flags: spec does.

use std::fs;
use std::path::Path;

use super::{Overrides, domains, entrypoint, read, refuse_job_flags};
use crate::cli::{RunArgs, STDIN_ARG};
use crate::error::Error;
use crate::job;
use crate::spec::{self, LocalPath, ParseOptions, Plan, WasmRun, WasmRunFlags};

/// Whether the command line is `bacalhau wasm run`'s: it names an input, an import module by
/// Bacalhau's flag, an output or a publisher, or its entry module is not a file here but a
/// URI or `PATH:TARGET`.
pub(super) fn asked(args: &RunArgs) -> bool {
    let entry = args.file.to_string_lossy();
    !args.input.is_empty()
        || !args.import_modules.is_empty()
        || !args.output.is_empty()
        || args.publisher.is_some()
        || (args.file != Path::new(STDIN_ARG)
            && probe(&entry) == LocalPath::Missing
            && spec::entry_is_bacalhau_style(&entry, probe))
}

/// The plan of the job, or `None` when `--dry-run` printed it.
pub(super) fn plan(args: &RunArgs, overrides: &Overrides) -> Result<Option<Plan>, Error> {
    refuse_job_flags(
        args,
        "with bacalhau wasm run's flags the job is made from them",
    )?;
    let wasmtime_only = [
        (
            !args.dir.is_empty(),
            "--dir",
            "-i file://HOST_PATH:GUEST_PATH,opt=rw=true",
        ),
        (!args.import.is_empty(), "--import", "-I SOURCE:TARGET"),
    ];
    if let Some((_, flag, instead)) = wasmtime_only.iter().find(|(given, ..)| *given) {
        return Err(Error::Usage(format!(
            "{flag} is a flag of wasmtime-style module runs, and -i, -I, -o, -p or an entry \
             module given as a URI or SOURCE:TARGET make this run bacalhau wasm run's; write {instead}"
        )));
    }
    let entry = args.file.to_string_lossy();
    let entrypoint = entrypoint(args)?;
    let mut meta = std::collections::BTreeMap::new();
    let metas = [
        ("bolinho.fuel", overrides.fuel.map(|fuel| fuel.to_string())),
        ("bolinho.epoch", overrides.epoch_ns.map(spec::format_epoch)),
        ("bolinho.seed", overrides.seed.map(|seed| seed.to_string())),
    ];
    for (key, value) in metas {
        if let Some(value) = value {
            meta.insert(key, value);
        }
    }
    let flags = WasmRunFlags {
        entry: &entry,
        args: &args.args,
        inputs: &args.input,
        import_modules: &args.import_modules,
        env: &args.env,
        outputs: &args.output,
        publisher: args.publisher.as_deref(),
        entrypoint,
        network: args.network.as_deref(),
        domains: &domains(args),
        memory: args.memory.as_deref(),
        // Bacalhau's timeouts are whole seconds: rounded up, never shorter than asked.
        timeout_seconds: overrides
            .timeout
            .flatten()
            .map(|t| t.as_secs() + u64::from(t.subsec_nanos() > 0)),
        meta,
    };
    let run = WasmRun::build(&flags, probe).map_err(Error::Usage)?;
    if args.dry_run {
        let bytes = run
            .local_module_paths()
            .map(|path| read(path, job::MAX_MODULE))
            .collect::<Result<Vec<_>, _>>()?;
        out!("{}", run.yaml_with_inline_modules(&bytes));
        return Ok(None);
    }
    let options = ParseOptions {
        strict: true,
        ..ParseOptions::default()
    };
    // Relative local paths resolve against the current directory, as for a job on stdin.
    let parsed = spec::parse_job(&run.json(), Path::new(spec::STDIN), &options)
        .map_err(|e| Error::Usage(run.flag_error(&e)))?;
    for warning in &parsed.warnings {
        eprintln!("bolinho: warning: {warning}");
    }
    let mut plan = parsed.plan;
    plan.name = run.name;
    Ok(Some(plan))
}

/// What a module path on the command line names on this host.
fn probe(path: &str) -> LocalPath {
    match fs::metadata(path) {
        Ok(meta) if meta.is_file() => LocalPath::File,
        Ok(_) => LocalPath::Unusable("should point to a single file".into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => LocalPath::Missing,
        Err(e) => LocalPath::Unusable(e.to_string()),
    }
}
