//! The five commands: `run`, `validate`, `inspect`, `verify` and `bundle`. Each turns its
//! arguments into a plan or a module and hands it to `job` (or `link`, or `bundle`); what it
//! prints is its only job.

use std::io::{IsTerminal, Read};
use std::path::Path;

use wasmi::Module;

use crate::cli::{Cli, Command, InspectArgs, RunArgs, ValidateArgs};
use crate::engine::Outcome;
use crate::error::Error;
use crate::fetch;
use crate::job::{self, RunOptions, TapeReport};
use crate::spec::flags::{DomainFlag, ModuleFlags, module_plan, network};
use crate::spec::limits::{parse_fuel, parse_memory, parse_size, parse_timeout};
use crate::spec::template::Vars;

use crate::spec::{self, ParseOptions, Parsed, Plan, parse_epoch, parse_seed};

mod bundle;
mod partitions;
mod portable;
mod verify;
mod verify_partitions;
mod wasm_run;

/// The version `--version` prints: bolinho's and the engine's.
pub const VERSION: &str = concat!("bolinho ", env!("CARGO_PKG_VERSION"), " (wasmi 2)");

/// Runs a parsed command line and returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        _ if cli.version && cli.verbose => {
            out!("{}", crate::about::verbose(VERSION));
            Ok(0)
        }
        _ if cli.version => {
            outln!("{VERSION}");
            Ok(0)
        }
        _ if cli.verbose => Err(Error::Usage(
            "--verbose goes with --version: `bolinho --version --verbose`".into(),
        )),
        None => Err(Error::Usage(
            "no command given; try `bolinho --help`".into(),
        )),
        Some(Command::Run(args)) => run(args),
        Some(Command::Validate(args)) => validate(args),
        Some(Command::Inspect(args)) => inspect(args),
        Some(Command::Verify(args)) if verify_partitions::holds_partitions(&args.receipt) => {
            verify_partitions::verify(args)
        }
        // A run's results directory, as `bundle` takes it: the receipt.json in it.
        Some(Command::Verify(mut args)) if args.receipt.is_dir() => {
            args.receipt.push(crate::receipt::FILE);
            verify::verify(args)
        }
        Some(Command::Verify(args)) => verify::verify(args),
        Some(Command::Bundle(args)) => bundle::bundle(args),
    }
}

fn run(args: RunArgs) -> Result<u8, Error> {
    let overrides = Overrides::read(&args)?;
    let mut template_vars = Vars::new();
    // The number of portability notes of a job file, unless --quiet-portability.
    let mut portability = None;
    let mut plan = if wasm_run::asked(&args) {
        match wasm_run::plan(&args, &overrides)? {
            Some(plan) => plan,
            None => return Ok(0),
        }
    } else {
        // A module or a job document. A module's first bytes say so, and the run reads the
        // module itself: a large one is not read twice. A document is refused past its own
        // bound when parsed.
        let contents = match read_head(&args.file)? {
            Head::Whole(contents) => Some(contents),
            Head::Start(start) if is_module(&args.file, &start) => None,
            Head::Start(_) => Some(read(&args.file, job::MAX_MODULE)?),
        };
        let document = contents.filter(|contents| !is_module(&args.file, contents));
        if let Some(contents) = document {
            let parsed = job_run_plan(&args, &contents)?;
            template_vars = parsed.template_vars;
            portability = (!args.quiet_portability).then_some(parsed.portability.len());
            parsed.plan
        } else {
            module_run_plan(&args)?
        }
    };
    overrides.apply(&mut plan);
    if let Some(value) = &args.partition {
        choose_partition(value, &mut plan)?;
    }
    let together = together(&args, &plan)?;
    if let Some(count) = spec::partition::count(&plan) {
        partitions::warn_of_shared_keys(&plan, count);
    }
    if args.dry_run {
        return dry_run(&plan);
    }
    if let Some(notes) = portability {
        portable::note(&args, &plan, notes);
    }
    let options = RunOptions {
        results: args.results,
        allow_env: args.allow_env,
        cache_dir: args.cache_dir,
        fetch: fetch::Options {
            offline: args.offline,
            ipfs_gateway: args
                .ipfs_gateway
                .or_else(|| std::env::var("BOLINHO_IPFS_GATEWAY").ok()),
            progress: std::io::stderr().is_terminal(),
            private_writes: false,
        },
        nondeterministic: args.nondeterministic,
        no_record: args.no_record,
        tape_limit: overrides.tape_bytes,
        template_vars,
        ..RunOptions::default()
    };
    if let Some((count, parallel)) = together {
        return partitions::run(&plan, count, parallel, &options);
    }
    let report = job::run(&plan, &options)?;
    let code = tell(&report, "");
    if let Some(path) = &report.results {
        eprintln!("bolinho: results in {}", path.display());
    }
    if let Some(target) = &report.published {
        eprintln!("bolinho: results published to {target}");
    }
    Ok(code)
}

/// Says on stderr what the end of a run means (`prefix` names a partition of several), and
/// gives the exit code it would end bolinho with.
fn tell(report: &job::Report, prefix: &str) -> u8 {
    if let TapeReport::Incomplete { calls, limit } = report.tape {
        eprintln!(
            "bolinho: warning: {prefix}the run's tape reached its limit of {limit} bytes after {} \
             from the host, so verify cannot replay it (raise --tape-limit)",
            job::answers(calls)
        );
    }
    match &report.outcome {
        Outcome::Exited(_) => {}
        Outcome::Trapped(trap) => eprintln!("bolinho: error: {prefix}the guest trapped: {trap}"),
        Outcome::TimedOut(timeout) => eprintln!(
            "bolinho: error: {prefix}the guest ran past its timeout of {}s",
            timeout.as_secs_f64()
        ),
        Outcome::Stopped(signal) => {
            eprintln!(
                "bolinho: error: {prefix}the guest was stopped by {}",
                signal.name()
            )
        }
    }
    crate::exit::outcome_code(&report.outcome)
}

/// `Some((count, parallel))` when the run is of all a job's partitions together: a job of
/// `Count` above 1 without `--partition`. `--parallel` is for those only.
fn together(args: &RunArgs, plan: &Plan) -> Result<Option<(u64, usize)>, Error> {
    let count = spec::partition::count(plan);
    let parallel = match &args.parallel {
        None => None,
        Some(value) => {
            let usage = |why: &str| Error::Usage(format!("--parallel {value}: {why}"));
            if count.is_none() {
                return Err(usage(
                    "a module run has no partitions; --parallel is for jobs",
                ));
            }
            if args.partition.is_some() {
                return Err(usage("--partition runs one partition only"));
            }
            match value.parse::<usize>() {
                Ok(0) | Err(_) => return Err(usage("expected a number of partitions, 1 or more")),
                Ok(parallel) => Some(parallel),
            }
        }
    };
    Ok(match count {
        Some(count) if count > 1 && args.partition.is_none() => {
            let parallel = parallel
                .unwrap_or_else(|| crate::partitions::default_parallel(plan.limits.memory_bytes));
            // No more at once than there are partitions.
            let most = usize::try_from(count).unwrap_or(usize::MAX);
            Some((count, parallel.min(most)))
        }
        _ => None,
    })
}

/// `--partition I|auto`: the partition of a job the plan runs, and a word on stderr of where
/// `auto` found it.
fn choose_partition(value: &str, plan: &mut Plan) -> Result<(), Error> {
    let usage = |e: String| Error::Usage(format!("--partition {value}: {e}"));
    let count = spec::partition::count(plan)
        .ok_or_else(|| usage("a module run has no partitions; --partition is for jobs".into()))?;
    let choice =
        spec::partition::choose(value, count, |name| std::env::var(name).ok()).map_err(usage)?;
    spec::partition::set(plan, choice.index);
    if let Some(from) = choice.from {
        eprintln!(
            "bolinho: partition {} of {count}, from {from}",
            choice.index
        );
    }
    Ok(())
}

/// A wasmtime-style module run: the flags say what the guest sees.
fn module_run_plan(args: &RunArgs) -> Result<Plan, Error> {
    if args.file == Path::new(crate::cli::STDIN_ARG) {
        return Err(Error::Usage(
            "`-` reads a job document from standard input; a module runs from its file".into(),
        ));
    }
    refuse_job_flags(args, "a module is not a template")?;
    let entrypoint = entrypoint(args)?;
    module_plan(&ModuleFlags {
        module: &args.file,
        args: &args.args,
        dirs: &args.dir,
        envs: &args.env,
        entrypoint,
        imports: &args.import,
        network: args.network.as_deref(),
        allow_domains: &domains(args),
    })
    .map_err(Error::Usage)
}

/// A job file's run; the command line may grant (or withhold) what the job's Network says,
/// so that a published job that posts its results runs unmodified: Bacalhau gives a WASM job
/// without Network the host's network, bolinho none unless asked.
fn job_run_plan(args: &RunArgs, contents: &[u8]) -> Result<Parsed, Error> {
    let module_only = [
        (!args.args.is_empty(), "arguments after --"),
        (!args.dir.is_empty(), "--dir"),
        (!args.env.is_empty(), "--env"),
        (args.entrypoint.is_some(), "--entrypoint"),
        (args.entry_point.is_some(), "--entry-point"),
        (!args.import.is_empty(), "--import"),
    ];
    if let Some((_, flag)) = module_only.iter().find(|(given, _)| *given) {
        return Err(Error::Usage(format!(
            "{flag} applies to module runs; a job file sets its own (Parameters, InputSources, Env, Entrypoint, ImportModules)"
        )));
    }
    let template = template(&args.template_vars, &args.template_envs, args.no_template)?;
    let options = ParseOptions {
        strict: args.strict,
        template,
        portable: !args.quiet_portability,
    };
    let mut parsed = parse_job(&args.file, contents, options)?;
    let domains = domains(args);
    if args.network.is_some() || !domains.is_empty() {
        parsed.plan.network = network(args.network.as_deref(), &domains).map_err(Error::Usage)?;
    }
    Ok(parsed)
}

/// Refuses the flags that only a job file's run reads.
fn refuse_job_flags(args: &RunArgs, why: &str) -> Result<(), Error> {
    let job_only = [
        (!args.template_vars.is_empty(), "--template-vars"),
        (args.template_envs.is_some(), "--template-envs"),
        (args.no_template, "--no-template"),
    ];
    match job_only.iter().find(|(given, _)| *given) {
        Some((_, flag)) => Err(Error::Usage(format!("{flag} applies to job files; {why}"))),
        None => Ok(()),
    }
}

/// `--allow-domain` and Bacalhau's spelling `--domain`, together, each with its flag.
fn domains(args: &RunArgs) -> Vec<DomainFlag> {
    let allowed = args
        .allow_domain
        .iter()
        .map(|v| DomainFlag::allow_domain(v));
    allowed
        .chain(args.domain.iter().map(|v| DomainFlag::domain(v)))
        .collect()
}

/// `--entrypoint`, or Bacalhau's spelling `--entry-point`; both given must agree.
fn entrypoint(args: &RunArgs) -> Result<Option<&str>, Error> {
    match (&args.entrypoint, &args.entry_point) {
        (Some(a), Some(b)) if a != b => Err(Error::Usage(format!(
            "--entrypoint {a} and --entry-point {b} disagree; give one"
        ))),
        (a, b) => Ok(a.as_deref().or(b.as_deref())),
    }
}

/// The limits and determinism flags, read before the plan so that a bad value is reported
/// whatever the run, and applied over what the job file says.
struct Overrides {
    /// `Some(None)`: `--memory 0`, no limit.
    memory: Option<Option<u64>>,
    fuel: Option<u64>,
    timeout: Option<Option<std::time::Duration>>,
    epoch_ns: Option<u64>,
    seed: Option<u64>,
    output_bytes: Option<u64>,
    /// Not the plan's: how a run records, not what its guest sees.
    tape_bytes: Option<u64>,
}

impl Overrides {
    fn read(args: &RunArgs) -> Result<Overrides, Error> {
        fn flag<T>(
            name: &str,
            value: &Option<String>,
            parse: impl Fn(&str) -> Result<T, String>,
        ) -> Result<Option<T>, Error> {
            value
                .as_deref()
                .map(|v| parse(v).map_err(|e| Error::Usage(format!("{name} {v}: {e}"))))
                .transpose()
        }
        if args.nondeterministic && (args.epoch.is_some() || args.seed.is_some()) {
            return Err(Error::Usage(
                "--epoch and --seed set the virtual clock and the seeded random bytes, \
                 which --nondeterministic replaces with the host's"
                    .into(),
            ));
        }
        if args.no_record && args.tape_limit.is_some() {
            return Err(Error::Usage(
                "--tape-limit sets the size of the tape that --no-record turns off".into(),
            ));
        }
        let tape_size = |text: &str| match parse_size(text)? {
            0 => Err("a tape needs room for its header".to_string()),
            bytes if bytes > crate::receipt::MAX_TAPE_BYTES => {
                Err("more than 1GiB, the largest tape verify reads".to_string())
            }
            bytes => Ok(bytes),
        };
        Ok(Overrides {
            memory: flag("--memory", &args.memory, parse_memory)?,
            fuel: flag("--fuel", &args.fuel, parse_fuel)?,
            timeout: flag("--timeout", &args.timeout, parse_timeout)?,
            epoch_ns: flag("--epoch", &args.epoch, parse_epoch)?,
            seed: flag("--seed", &args.seed, parse_seed)?,
            output_bytes: flag("--output-limit", &args.output_limit, parse_size)?,
            tape_bytes: flag("--tape-limit", &args.tape_limit, tape_size)?,
        })
    }

    fn apply(&self, plan: &mut Plan) {
        if let Some(memory) = self.memory {
            plan.limits.memory_bytes = memory;
        }
        if self.fuel.is_some() {
            plan.limits.fuel = self.fuel;
        }
        if let Some(timeout) = self.timeout {
            plan.limits.timeout = timeout;
        }
        if self.epoch_ns.is_some() {
            plan.determinism.epoch_ns = self.epoch_ns;
        }
        if self.seed.is_some() {
            plan.determinism.seed = self.seed;
        }
        if let Some(bytes) = self.output_bytes {
            plan.limits.output_bytes = bytes;
        }
    }
}

/// `run MODULE --dry-run`: the Bacalhau job that does what this module run does, on stdout,
/// and what it could not carry over on stderr.
fn dry_run(plan: &Plan) -> Result<u8, Error> {
    if plan.origin != spec::Origin::Module {
        return Err(Error::Usage(
            "--dry-run applies to module runs: a job file is a Bacalhau job already".into(),
        ));
    }
    let paths: Vec<&Path> = std::iter::once(&plan.entry_module)
        .chain(plan.import_modules.iter().map(|m| &m.location))
        .map(|location| match location {
            spec::ModuleLocation::Host(path) => path.as_path(),
            spec::ModuleLocation::Guest(_) => unreachable!("a module run's modules are host files"),
        })
        .collect();
    let bytes = paths
        .iter()
        .map(|path| read(path, job::MAX_MODULE))
        .collect::<Result<Vec<_>, _>>()?;
    let modules: Vec<spec::ModuleFile<'_>> = paths
        .iter()
        .zip(&bytes)
        .map(|(path, bytes)| spec::ModuleFile { path, bytes })
        .collect();
    let exported = spec::bacalhau_job(plan, &modules, |name| std::env::var(name).ok());
    out!("{}", exported.yaml);
    for note in &exported.notes {
        eprintln!("bolinho: note: {note}");
    }
    Ok(0)
}

fn validate(args: ValidateArgs) -> Result<u8, Error> {
    // Read as `run` reads it, so that a document past spec's bound is refused in spec's words.
    let contents = read(&args.file, job::MAX_MODULE)?;
    let template = template(&args.template_vars, &args.template_envs, args.no_template)?;
    let options = ParseOptions {
        strict: args.strict,
        template,
        portable: args.portable,
    };
    let parsed = parse_job(&args.file, &contents, options)?;
    if args.portable {
        return Ok(portable::validate(job_path(&args.file), &parsed));
    }
    let yaml = serde_saphyr::to_string(&parsed.plan).expect("a Plan always serialises");
    out!("{yaml}");
    Ok(0)
}

fn inspect(args: InspectArgs) -> Result<u8, Error> {
    let contents = read(&args.file, job::MAX_MODULE)?;
    let label = args.file.display().to_string();
    let module = Module::new(&crate::engine::new(), &contents).map_err(|cause| {
        Error::Link(crate::link::LinkError::Load {
            label: label.clone(),
            cause,
        })
    })?;
    out!("{}", crate::inspect::report(&label, &module));
    Ok(0)
}

/// The start of a file named on the command line, or all of it when that is short (and
/// always of standard input, which cannot be read again).
enum Head {
    Whole(Vec<u8>),
    Start(Vec<u8>),
}

/// Enough of a module to know it for one (`is_module`): its magic, or its first `(`.
const HEAD_BYTES: u64 = 4096;

fn read_head(path: &Path) -> Result<Head, Error> {
    if path == Path::new(crate::cli::STDIN_ARG) {
        return read(path, job::MAX_MODULE).map(Head::Whole);
    }
    let mut start = Vec::with_capacity(HEAD_BYTES as usize);
    fetch::open_regular(path)
        .and_then(|file| file.take(HEAD_BYTES).read_to_end(&mut start))
        .map_err(|cause| Error::Read {
            path: job_path(path).display().to_string(),
            cause,
        })?;
    Ok(match start.len() as u64 {
        n if n < HEAD_BYTES => Head::Whole(start),
        _ => Head::Start(start),
    })
}

/// A file named on the command line (`-`: standard input), at most `limit` bytes.
fn read(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let read = if path == Path::new(crate::cli::STDIN_ARG) {
        fetch::read_to_limit(std::io::stdin().lock(), 0, limit)
    } else {
        fetch::read_bounded(path, limit)
    };
    read.map_err(|cause| Error::Read {
        path: job_path(path).display().to_string(),
        cause,
    })
}

/// The name a job document goes by in messages: standard input is `<stdin>`, whose relative
/// local paths resolve against the current directory.
fn job_path(path: &Path) -> &Path {
    if path == Path::new(crate::cli::STDIN_ARG) {
        Path::new(spec::STDIN)
    } else {
        path
    }
}

/// A module is a wasm binary (by its magic number) or WAT text (by extension, or by starting
/// with `(`); anything else is taken for a job document.
fn is_module(path: &Path, contents: &[u8]) -> bool {
    let text_start = contents.iter().find(|b| !b.is_ascii_whitespace());
    contents.starts_with(b"\0asm")
        || path.extension().is_some_and(|e| e == "wat")
        || text_start == Some(&b'(')
}

/// The template variables of `-V` and `-E` (README "Templates"), or `None` with
/// `--no-template`. `-E` is the user's leave to read the host variables it matches, as in
/// Bacalhau: no `--allow-env` is asked for.
fn template(
    vars: &[String],
    envs: &Option<String>,
    no_template: bool,
) -> Result<Option<Vars>, Error> {
    if no_template {
        if !vars.is_empty() || envs.is_some() {
            return Err(Error::Usage(
                "--template-vars and --template-envs fill in a template, which --no-template turns off"
                    .into(),
            ));
        }
        return Ok(None);
    }
    // A variable whose name or value is not UTF-8 cannot be text of a job file: it is passed over.
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    spec::template::vars::collect(vars, envs.as_deref(), env)
        .map(Some)
        .map_err(Error::Usage)
}

fn parse_job(path: &Path, contents: &[u8], options: ParseOptions) -> Result<Parsed, Error> {
    let path = job_path(path);
    let text = std::str::from_utf8(contents).map_err(|e| Error::Read {
        path: path.display().to_string(),
        cause: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text ({e})"),
        ),
    })?;
    let parsed = spec::parse_job(text, path, &options)?;
    for warning in &parsed.warnings {
        eprintln!("bolinho: warning: {warning}");
    }
    Ok(parsed)
}
