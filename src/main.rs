//! The `bolinho` command: parse the arguments, run the command, exit with its code.

use std::process::ExitCode;

use bolinho::cli::Cli;
use bolinho::exit::Failure;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // argh reads a lone `-` as an unknown flag, but before `--` it names standard input
    // (`bolinho run -`), so it goes over as a name no real path can have.
    let dashes = args.iter().position(|a| a == "--").unwrap_or(args.len());
    let argv: Vec<&str> = args
        .iter()
        .enumerate()
        .map(|(i, a)| match a.as_str() {
            "-" if i < dashes => bolinho::cli::STDIN_ARG,
            a => a,
        })
        .collect();
    let cli =
        match <Cli as argh::FromArgs>::from_args(&["bolinho"], argv.get(1..).unwrap_or_default()) {
            Ok(cli) => cli,
            Err(early) if early.status.is_ok() => {
                println!("{}", early.output);
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
