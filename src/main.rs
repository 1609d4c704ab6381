//! The `bolinho` command: parse the arguments, run the command, exit with its code.

use std::process::ExitCode;

use bolinho::cli::Cli;
use bolinho::exit::Failure;

#[global_allocator]
static ALLOCATOR: bolinho::allocator::Allocator = bolinho::allocator::Allocator;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // Before `--`, two spellings argh does not read: a lone `-` names standard input
    // (`bolinho run -`), so it goes over as a name no real path can have; and `--NAME=VALUE`,
    // as Bacalhau's (cobra's) flags are often written, is `--NAME VALUE`.
    let dashes = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let mut argv: Vec<&str> = Vec::with_capacity(args.len());
    for (i, arg) in args.iter().enumerate() {
        let flag_value = arg
            .strip_prefix("--")
            .and_then(|rest| rest.split_once('='))
            .filter(|(name, _)| {
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
            });
        match (arg.as_str(), flag_value) {
            ("-", _) if i < dashes => argv.push(bolinho::cli::STDIN_ARG),
            (_, Some((name, value))) if i < dashes => {
                argv.push(&arg[..name.len() + 2]);
                argv.push(value);
            }
            (arg, _) => argv.push(arg),
        }
    }
    let cli =
        match <Cli as argh::FromArgs>::from_args(&["bolinho"], argv.get(1..).unwrap_or_default()) {
            Ok(cli) => cli,
            Err(early) if early.status.is_ok() => {
                bolinho::outln!("{}", early.output);
                return ExitCode::SUCCESS;
            }
            Err(early) => {
                eprintln!(
                    "bolinho: error: {}\nRun bolinho --help for more information.",
                    early.output.trim_end()
                );
                return ExitCode::from(Failure::Usage.code());
            }
        };
    match bolinho::commands::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("bolinho: error: {error}");
            ExitCode::from(error.failure().code())
        }
    }
}
