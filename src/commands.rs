//! The three commands: `run`, `validate` and `inspect`. Each turns its arguments into a plan or
//! a module and hands it to the pipeline; what it prints is its only job.

use std::fs;
use std::io::IsTerminal;
use std::path::Path;

use wasmi::Module;

use crate::cli::{Cli, Command, InspectArgs, RunArgs, ValidateArgs};
use crate::error::Error;
use crate::fetch;
use crate::pipeline::{self, RunOptions};
use crate::run::Outcome;
use crate::spec::flags::{ModuleFlags, module_plan};
use crate::spec::limits::{parse_fuel, parse_memory, parse_size, parse_timeout};
use crate::spec::{self, ParseOptions, Plan};

/// The version `--version` prints: bolinho's and the engine's.
pub const VERSION: &str = concat!("bolinho ", env!("CARGO_PKG_VERSION"), " (wasmi 2)");

/// Runs a parsed command line and returns the process exit code.
pub fn dispatch(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        _ if cli.version => {
            println!("{VERSION}");
            Ok(0)
        }
        None => Err(Error::Usage(
            "no command given; try `bolinho --help`".into(),
        )),
        Some(Command::Run(args)) => run(args),
        Some(Command::Validate(args)) => validate(args),
        Some(Command::Inspect(args)) => inspect(args),
    }
}

fn run(args: RunArgs) -> Result<u8, Error> {
    let contents = read(&args.file)?;
    let mut plan = if is_module(&args.file, &contents) {
        module_plan(&ModuleFlags {
            module: &args.file,
            args: &args.args,
            dirs: &args.dir,
            envs: &args.env,
            entrypoint: args.entrypoint.as_deref(),
            imports: &args.import,
            network: args.network.as_deref(),
            allow_domains: &args.allow_domain,
        })
        .map_err(Error::Usage)?
    } else {
        let module_only = [
            (!args.args.is_empty(), "arguments after --"),
            (!args.dir.is_empty(), "--dir"),
            (!args.env.is_empty(), "--env"),
            (args.entrypoint.is_some(), "--entrypoint"),
            (!args.import.is_empty(), "--import"),
            (args.network.is_some(), "--network"),
            (!args.allow_domain.is_empty(), "--allow-domain"),
        ];
        if let Some((_, flag)) = module_only.iter().find(|(given, _)| *given) {
            return Err(Error::Usage(format!(
                "{flag} applies to module runs; a job file sets its own (Parameters, InputSources, Env, Entrypoint, ImportModules, Network)"
            )));
        }
        parse_job(&args.file, &contents, args.strict)?
    };
    if let Some(memory) = &args.memory {
        plan.limits.memory_bytes =
            parse_memory(memory).map_err(|e| Error::Usage(format!("--memory {memory}: {e}")))?;
    }
    if let Some(fuel) = &args.fuel {
        plan.limits.fuel =
            Some(parse_fuel(fuel).map_err(|e| Error::Usage(format!("--fuel {fuel}: {e}")))?);
    }
    if let Some(timeout) = &args.timeout {
        plan.limits.timeout = parse_timeout(timeout)
            .map_err(|e| Error::Usage(format!("--timeout {timeout}: {e}")))?;
    }
    let output_limit = match &args.output_limit {
        Some(size) => {
            parse_size(size).map_err(|e| Error::Usage(format!("--output-limit {size}: {e}")))?
        }
        None => pipeline::DEFAULT_OUTPUT_LIMIT,
    };
    let options = RunOptions {
        output_limit,
        results: args.results,
        allow_env: args.allow_env,
        cache_dir: args.cache_dir,
        fetch: fetch::Options {
            offline: args.offline,
            ipfs_gateway: args
                .ipfs_gateway
                .or_else(|| std::env::var("BOLINHO_IPFS_GATEWAY").ok()),
            progress: std::io::stderr().is_terminal(),
        },
        nondeterministic: args.nondeterministic,
    };
    let report = pipeline::run(&plan, &options)?;
    let code = match &report.outcome {
        Outcome::Exited(status) => crate::exit::guest_code(*status),
        Outcome::Trapped(trap) => {
            eprintln!("bolinho: error: the guest trapped: {trap}");
            crate::exit::Failure::Trap.code()
        }
        Outcome::TimedOut(timeout) => {
            eprintln!(
                "bolinho: error: the guest ran past its timeout of {}s",
                timeout.as_secs_f64()
            );
            crate::exit::Failure::Timeout.code()
        }
    };
    if let Some(path) = &report.results {
        eprintln!("bolinho: results in {}", path.display());
    }
    if let Some(target) = &report.published {
        eprintln!("bolinho: results published to {target}");
    }
    Ok(code)
}

fn validate(args: ValidateArgs) -> Result<u8, Error> {
    let contents = read(&args.file)?;
    let plan = parse_job(&args.file, &contents, args.strict)?;
    let yaml = serde_saphyr::to_string(&plan).expect("a Plan always serialises");
    print!("{yaml}");
    Ok(0)
}

fn inspect(args: InspectArgs) -> Result<u8, Error> {
    let contents = read(&args.file)?;
    let label = args.file.display().to_string();
    let module = Module::new(&crate::run::engine(), &contents).map_err(|cause| {
        Error::Link(crate::link::LinkError::Load {
            label: label.clone(),
            cause,
        })
    })?;
    print!("{}", crate::inspect::report(&label, &module));
    Ok(0)
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    fs::read(path).map_err(|cause| Error::Read {
        path: path.display().to_string(),
        cause,
    })
}

/// A module is a wasm binary (by its magic number) or WAT text (by extension, or by starting
/// with `(`); anything else is taken for a job document.
fn is_module(path: &Path, contents: &[u8]) -> bool {
    let text_start = contents.iter().find(|b| !b.is_ascii_whitespace());
    contents.starts_with(b"\0asm")
        || path.extension().is_some_and(|e| e == "wat")
        || text_start == Some(&b'(')
}

fn parse_job(path: &Path, contents: &[u8], strict: bool) -> Result<Plan, Error> {
    let text = std::str::from_utf8(contents).map_err(|e| Error::Read {
        path: path.display().to_string(),
        cause: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text ({e})"),
        ),
    })?;
    let parsed = spec::parse_job(text, path, &ParseOptions { strict })?;
    for warning in &parsed.warnings {
        eprintln!("bolinho: warning: {warning}");
    }
    Ok(parsed.plan)
}
