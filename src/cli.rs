//! The command line, as argh structs and nothing else.

use std::path::PathBuf;

use argh::FromArgs;

/// What `main` hands over for a lone `-` (standard input): a NUL, which no argument of a
/// real command line holds, so no file can go by this name.
pub const STDIN_ARG: &str = "\0-";

#[derive(FromArgs, Debug)]
#[argh(
    description = "bolinho runs Bacalhau-style WebAssembly jobs, anywhere, on the wasmi interpreter.",
    example = "Run a Bacalhau job file; results go to a new bolinho-results/<job>-<n>:\n  $ {command_name} run job.yaml\n\
Run a module with a directory and an environment variable:\n  $ {command_name} run --dir data::/data --env LANG=C app.wasm -- --input /data/x.csv\n\
Check a job without running it:\n  $ {command_name} validate job.yaml\n\
Pack a run into one file, and replay it anywhere:\n  $ {command_name} bundle bolinho-results/hello-1 -o hello.bundle\n  $ {command_name} verify hello.bundle\n\
List a module's imports and exports:\n  $ {command_name} inspect app.wasm",
    note = "Exit codes: the guest's own code passes through; 2 usage, 118 bundle could not pack the run, 119 host could not set up the run, 120 verify found a difference, 121 invalid job, 122 fetch failed, 123 load or link failed, 124 timed out, 125 results not written, 126 results not published, 130 stopped by Ctrl-C, 134 trap, 143 stopped by SIGTERM."
)]
pub struct Cli {
    /// print the version and exit
    #[argh(switch)]
    pub version: bool,
    /// with --version, also print the commit, target, rustc and features it was built with
    #[argh(switch)]
    pub verbose: bool,
    #[argh(subcommand)]
    pub command: Option<Command>,
}

#[derive(FromArgs, Debug)]
#[argh(subcommand)]
// Parsed once per process: the size of `RunArgs` costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    Run(RunArgs),
    Validate(ValidateArgs),
    Inspect(InspectArgs),
    Verify(VerifyArgs),
    Bundle(BundleArgs),
}

#[derive(FromArgs, Debug)]
#[argh(
    subcommand,
    name = "run",
    description = "run a job file (YAML or JSON) or a module (.wasm or .wat)",
    example = "$ {command_name} job.yaml --results out\n$ {command_name} app.wasm --dir .::/ --env K=V -- arg1 arg2",
    note = "A job's results (stdout, stderr, exitCode, one folder per ResultPaths entry, receipt.json) go to --results, or else to a new directory under ./bolinho-results; a job of Count: N keeps each partition's in partitions/I there, beside summary.json. --dir, --env, --entrypoint, --import and arguments after -- apply to module runs; -i, -I, -o, -p, or an entry module given as a URI or SOURCE:TARGET, make a module run the job bacalhau wasm run would submit, run as a job file is; --partition and --parallel apply to job runs; --network and --allow-domain (which replace a job's Network), --memory, --fuel, --timeout, --output-limit, --epoch, --seed, --nondeterministic, --no-record and --tape-limit to both. A run with results records a tape of what its guest was told that its content does not fix (the host's clocks and randomness, stdin, HTTP answers), which verify replays."
)]
pub struct RunArgs {
    /// the job file (- reads it from standard input) or module to run
    #[argh(positional)]
    pub file: PathBuf,
    /// arguments for the module (after --), argv[1..]
    #[argh(positional)]
    pub args: Vec<String>,
    /// where to write results; must not exist or be an empty directory, and not lie inside a read-write input
    #[argh(option)]
    pub results: Option<PathBuf>,
    /// mount a host directory or file in the guest, HOST::GUEST (or HOST), read-write (module runs)
    #[argh(option)]
    pub dir: Vec<String>,
    /// set a guest environment variable, KEY=VALUE (K=V,K2=V2 sets two, as in bacalhau), or KEY to pass the host's value (module runs)
    #[argh(option, short = 'e')]
    pub env: Vec<String>,
    /// the exported function to call (module runs; default _start)
    #[argh(option)]
    pub entrypoint: Option<String>,
    /// the same as --entrypoint, as bacalhau wasm run spells it
    #[argh(option, long = "entry-point")]
    pub entry_point: Option<String>,
    /// link an import module, NAME=PATH, for imports from module NAME (module runs)
    #[argh(option)]
    pub import: Vec<String>,
    /// as bacalhau wasm run: a source for the guest, URI[:TARGET] or src=URI,dst=PATH[,opt=K=V] (s3://, http(s)://, ipfs://, file://; default target /inputs)
    #[argh(option, short = 'i')]
    pub input: Vec<String>,
    /// as bacalhau wasm run: import modules by the guest path an --input gives them, or SOURCE:TARGET for a file or URI (comma-separated)
    #[argh(option, short = 'I', long = "import-modules")]
    pub import_modules: Vec<String>,
    /// as bacalhau wasm run: a result folder, NAME:PATH
    #[argh(option, short = 'o')]
    pub output: Vec<String>,
    /// as bacalhau wasm run: where results are published: local, or s3://BUCKET/KEY[,opt=region=R,opt=endpoint=URL]
    #[argh(option, short = 'p')]
    pub publisher: Option<String>,
    /// give the guest wasi:http/requests: host (any host) or http (only --allow-domain hosts); default none, or a job's Network
    #[argh(option)]
    pub network: Option<String>,
    /// a host the guest may reach with --network http: a name, an IP or a glob such as *.example.com; ports are ignored (repeatable)
    #[argh(option)]
    pub allow_domain: Vec<String>,
    /// the same as --allow-domain, as bacalhau spells it
    #[argh(option)]
    pub domain: Vec<String>,
    /// limit the guest's memories and tables, together, to SIZE (512MB, 512MiB, 1.5GB...), rounded up to 64 KiB pages; 4 GiB without one; overrides the job's Resources.Memory
    #[argh(option)]
    pub memory: Option<String>,
    /// stop the guest with a trap after N units of wasmi fuel (about one per instruction); overrides the job's bolinho.fuel
    #[argh(option)]
    pub fuel: Option<String>,
    /// stop the guest after SECONDS (decimals allowed, 0 for none), exiting with 124 and keeping its output so far; overrides the job's Timeouts
    #[argh(option)]
    pub timeout: Option<String>,
    /// the most bytes the stdout and stderr results files each keep (default 1GB); the rest is dropped and recorded in stdout.truncated or stderr.truncated
    #[argh(option)]
    pub output_limit: Option<String>,
    /// let a job's `env:NAME` values read the host variable NAME
    #[argh(option)]
    pub allow_env: Vec<String>,
    /// treat unknown keys in the job file as errors, not warnings
    #[argh(switch)]
    pub strict: bool,
    /// do not print the one-line note that Bacalhau would run this job file differently (which validate --portable details)
    #[argh(switch)]
    pub quiet_portability: bool,
    /// a template variable for the job file, KEY=VALUE (repeatable; one value may hold several, KEY=VALUE,KEY2=VALUE2, as in bacalhau job run)
    #[argh(option, short = 'V')]
    pub template_vars: Vec<String>,
    /// make the host variables whose names match this regular expression template variables of the job file (`*` for all); -V wins over them
    #[argh(option, short = 'E')]
    pub template_envs: Option<String>,
    /// read the job file as it is, not as a Go template
    #[argh(switch)]
    pub no_template: bool,
    /// start the guest's virtual realtime clock at this time (Unix seconds or RFC 3339 UTC, e.g. 2024-05-01T12:00:00Z); overrides the job's bolinho.epoch
    #[argh(option)]
    pub epoch: Option<String>,
    /// seed the guest's random bytes with this number; overrides the job's bolinho.seed and the seed derived from the guest's content
    #[argh(option)]
    pub seed: Option<String>,
    /// give the guest the host's clocks and OS randomness; by default it sees a virtual clock (from 2000-01-01T00:00:00Z, or the job's bolinho.epoch) and random bytes seeded from its content (or the job's bolinho.seed)
    #[argh(switch)]
    pub nondeterministic: bool,
    /// write no tape of what the guest was told that its content does not fix (the host's clocks and randomness, stdin, HTTP responses); without one, verify cannot replay such a run
    #[argh(switch)]
    pub no_record: bool,
    /// the largest tape a run records, held in memory until it ends (default 64MiB, at most 1GiB); a run whose tape reaches it cannot be verified
    #[argh(option)]
    pub tape_limit: Option<String>,
    /// print the Bacalhau job that does what this module run does, and run nothing (module runs)
    #[argh(switch)]
    pub dry_run: bool,
    /// run one partition of a job of Count: N (else all N run): I (0 to N-1), or auto, from the task index a Kubernetes Indexed Job, Slurm array, AWS Batch array, Cloud Run or Google Cloud Batch job gives
    #[argh(option)]
    pub partition: Option<String>,
    /// how many of a job's partitions run at once (default: one per core, as many as fit in free memory at the job's memory limit)
    #[argh(option)]
    pub parallel: Option<String>,
    /// run remote sources from the download cache only
    #[argh(switch)]
    pub offline: bool,
    /// the download cache (default $BOLINHO_CACHE_DIR, else $XDG_CACHE_HOME/bolinho, else ~/.cache/bolinho)
    #[argh(option)]
    pub cache_dir: Option<PathBuf>,
    /// the IPFS HTTP gateway for ipfs sources (default $BOLINHO_IPFS_GATEWAY)
    #[argh(option)]
    pub ipfs_gateway: Option<String>,
}

#[derive(FromArgs, Debug)]
#[argh(
    subcommand,
    name = "validate",
    description = "parse and validate a job file and print the plan bolinho would run",
    example = "$ {command_name} job.yaml"
)]
pub struct ValidateArgs {
    /// the job file (- reads it from standard input)
    #[argh(positional)]
    pub file: PathBuf,
    /// treat unknown keys as errors, not warnings
    #[argh(switch)]
    pub strict: bool,
    /// list what Bacalhau would do differently with this job, instead of the plan
    #[argh(switch)]
    pub portable: bool,
    /// a template variable for the job file, KEY=VALUE (repeatable; one value may hold several, KEY=VALUE,KEY2=VALUE2, as in bacalhau job run)
    #[argh(option, short = 'V')]
    pub template_vars: Vec<String>,
    /// make the host variables whose names match this regular expression template variables of the job file (`*` for all); -V wins over them
    #[argh(option, short = 'E')]
    pub template_envs: Option<String>,
    /// read the job file as it is, not as a Go template
    #[argh(switch)]
    pub no_template: bool,
}

#[derive(FromArgs, Debug)]
#[argh(
    subcommand,
    name = "inspect",
    description = "list a module's imports, exports and memories, and the imports bolinho cannot provide",
    example = "$ {command_name} app.wasm"
)]
pub struct InspectArgs {
    /// the module (.wasm or .wat)
    #[argh(positional)]
    pub file: PathBuf,
}

#[derive(FromArgs, Debug)]
#[argh(
    subcommand,
    name = "verify",
    description = "rerun the job of a receipt.json or a bundle and check its sources and results hash as recorded",
    example = "$ {command_name} bolinho-results/hello-1/receipt.json\n$ {command_name} hello.bundle --keep replay",
    note = "The receipt's plan is checked as a job file is, and modules and inputs before the rerun; a changed one stops it. Read-write sources are copied: the rerun writes no host path. A tape beside the receipt, or in the bundle (the host's clocks, randomness, stdin or HTTP answers the run recorded), is replayed: no network, no waiting. A bundle (bolinho bundle) is replayed from its own contents only: nothing its receipt names is read or fetched. A result that differs is named with its first differing byte. The results directory of a job's partitions (partitions/I beside summary.json) has every partition rerun, as many at once as run runs them, each reported in index order. Exits 0 when everything matches, 120 on any difference, 130 or 143 when Ctrl-C or SIGTERM stops it, and refuses receipts of --nondeterministic runs made with --no-record and of runs a timeout or a signal stopped."
)]
pub struct VerifyArgs {
    /// the receipt.json of a run (its tape, if it has one, is read from beside it) or its results directory, a bundle of one, or the results directory of a job's partitions
    #[argh(positional)]
    pub receipt: PathBuf,
    /// keep the rerun's results directory at DIR, which must not exist
    #[argh(option)]
    pub keep: Option<PathBuf>,
    /// let the job's `env:NAME` values read the host variable NAME
    #[argh(option)]
    pub allow_env: Vec<String>,
    /// run remote sources from the download cache only
    #[argh(switch)]
    pub offline: bool,
    /// the download cache (default $BOLINHO_CACHE_DIR, else $XDG_CACHE_HOME/bolinho, else ~/.cache/bolinho)
    #[argh(option)]
    pub cache_dir: Option<PathBuf>,
}

#[derive(FromArgs, Debug)]
#[argh(
    subcommand,
    name = "bundle",
    description = "pack a run's receipt and every byte its rerun needs into one file, which bolinho verify replays anywhere",
    example = "$ {command_name} bolinho-results/hello-1 -o hello.bundle",
    note = "Packs the receipt, every module and every input file as the guest saw it, and the results, each checked against the receipt's sha256 and stored once. Local sources are read where they are; remote ones come from the download cache, else are fetched again. Never writes over a file."
)]
pub struct BundleArgs {
    /// the results directory of a run (holding receipt.json), or its receipt.json
    #[argh(positional)]
    pub results: PathBuf,
    /// the bundle to write; must not exist
    #[argh(option, short = 'o')]
    pub output: PathBuf,
    /// take remote sources from the download cache only
    #[argh(switch)]
    pub offline: bool,
    /// the download cache (default $BOLINHO_CACHE_DIR, else $XDG_CACHE_HOME/bolinho, else ~/.cache/bolinho)
    #[argh(option)]
    pub cache_dir: Option<PathBuf>,
    /// the IPFS HTTP gateway for ipfs sources (default $BOLINHO_IPFS_GATEWAY)
    #[argh(option)]
    pub ipfs_gateway: Option<String>,
}
