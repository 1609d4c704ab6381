//! The plan for `bolinho run MODULE`: wasmtime-style flags instead of a job file.
//!
//! The guest sees exactly what the flags say: argv is the module's file name and the arguments
//! after `--`, the environment is exactly the `--env` values in the order given, and the
//! filesystem is exactly the `--dir` mounts (read-write, as in wasmtime). Each flag is read by
//! its own function, which `check` also applies to a receipt's plan of a module run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::domains::Domain;
use super::engine::entrypoint as entrypoint_rule;
use super::pflag::string_to_string;
use super::plan::{
    CreateAs, EnvValue, EnvVar, ImportModule, Input, Limits, ModuleLocation, Network, Origin, Plan,
    Publisher, Source,
};
use super::quote::{key, quote};

/// The flags of a module run, as typed.
#[derive(Debug)]
pub struct ModuleFlags<'a> {
    pub module: &'a Path,
    pub args: &'a [String],
    pub dirs: &'a [String],
    pub envs: &'a [String],
    pub entrypoint: Option<&'a str>,
    pub imports: &'a [String],
    /// `--network none|host|http`.
    pub network: Option<&'a str>,
    /// `--allow-domain GLOB` (or `--domain GLOB`), for `--network http`.
    pub allow_domains: &'a [DomainFlag],
}

/// A value of `--allow-domain`, or of Bacalhau's spelling `--domain`, with the flag that gave
/// it: an error names the flag the user wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainFlag {
    /// `--allow-domain` or `--domain`.
    flag: &'static str,
    value: String,
}

impl DomainFlag {
    /// `--allow-domain VALUE`.
    pub fn allow_domain(value: &str) -> DomainFlag {
        DomainFlag {
            flag: "--allow-domain",
            value: value.to_string(),
        }
    }

    /// `--domain VALUE`, Bacalhau's spelling.
    pub fn domain(value: &str) -> DomainFlag {
        DomainFlag {
            flag: "--domain",
            value: value.to_string(),
        }
    }

    /// The flag as written.
    pub fn flag(&self) -> &'static str {
        self.flag
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

// `&Path` has no `Default`, so the derive cannot be used.
impl Default for ModuleFlags<'_> {
    fn default() -> Self {
        ModuleFlags {
            module: Path::new(""),
            args: &[],
            dirs: &[],
            envs: &[],
            entrypoint: None,
            imports: &[],
            network: None,
            allow_domains: &[],
        }
    }
}

/// Builds the plan; an error names the flag at fault.
pub fn module_plan(flags: &ModuleFlags<'_>) -> Result<Plan, String> {
    let name = flags
        .module
        .file_stem()
        .map_or("module".into(), |s| s.to_string_lossy().into_owned());
    let mut inputs: Vec<Input> = Vec::new();
    let mut targets = HashSet::new();
    for dir in flags.dirs {
        let input = dir_input(dir)?;
        if !targets.insert(input.target.clone()) {
            return Err(format!(
                "--dir {}: {} is already mounted",
                key(dir),
                input.target
            ));
        }
        inputs.push(input);
    }
    let mut env = Vec::new();
    for entry in flags.envs {
        env.extend(env_vars(entry)?);
    }
    let import_modules = flags
        .imports
        .iter()
        .map(|import| import_module(import))
        .collect::<Result<_, _>>()?;
    let entrypoint = flags.entrypoint.unwrap_or("_start");
    entrypoint_rule(entrypoint)
        .map_err(|message| format!("--entrypoint {}: {message}", quote(entrypoint)))?;
    let network = network(flags.network, flags.allow_domains)?;
    Ok(Plan {
        name,
        origin: Origin::Module,
        inputs,
        entry_module: ModuleLocation::Host(flags.module.to_path_buf()),
        import_modules,
        entrypoint: entrypoint.to_string(),
        args: flags.args.to_vec(),
        env,
        outputs: Vec::new(),
        preopen_root: false,
        publisher: Publisher::Local,
        network,
        limits: Limits::default(),
        determinism: Default::default(),
    })
}

/// `--dir HOST::GUEST` (or `--dir HOST`, mounted at the same path): a read-write mount.
pub(crate) fn dir_input(dir: &str) -> Result<Input, String> {
    let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
    if host.is_empty() || guest.is_empty() {
        return Err(format!("--dir {}: expected HOST::GUEST or HOST", key(dir)));
    }
    let target = guest_path(guest).ok_or_else(|| {
        format!(
            "--dir {}: the guest path {} leaves `/` through `..`",
            key(dir),
            key(guest)
        )
    })?;
    Ok(Input {
        source: Source::Local {
            path: PathBuf::from(host),
            read_write: true,
            create_as: CreateAs::NoCreate,
        },
        target,
        alias: None,
        field: format!("--dir {dir}"),
    })
}

/// One `--env` value: `KEY=VALUE`, `KEY` for the host's KEY, or several `KEY=VALUE` pairs
/// separated by commas as `bacalhau` reads `-e` (only when the value holds more than one `=`,
/// so `--env PATH=/a,/b` is one variable; `pflag::string_to_string`).
pub(crate) fn env_vars(value: &str) -> Result<Vec<EnvVar>, String> {
    match string_to_string(value) {
        None => Ok(vec![env_var(value)?]),
        Some(pairs) => pairs
            .map_err(|e| format!("--env {}: {e}", key(value)))?
            .into_iter()
            .map(|(name, value)| env_var(&format!("{name}={value}")))
            .collect(),
    }
}

/// One variable of `--env`: `KEY=VALUE`, or `KEY` for the host's KEY.
pub(crate) fn env_var(entry: &str) -> Result<EnvVar, String> {
    let var = match entry.split_once('=') {
        Some((name, value)) => EnvVar {
            name: name.to_string(),
            value: EnvValue::Literal(value.to_string()),
        },
        None => EnvVar {
            name: entry.to_string(),
            value: EnvValue::FromHost(entry.to_string()),
        },
    };
    if var.name.is_empty() {
        return Err(format!("--env {}: expected KEY=VALUE or KEY", key(entry)));
    }
    Ok(var)
}

/// `--import NAME=PATH`: a host module, linked under NAME.
pub(crate) fn import_module(import: &str) -> Result<ImportModule, String> {
    let Some((alias, path)) = import
        .split_once('=')
        .filter(|(a, p)| !a.is_empty() && !p.is_empty())
    else {
        return Err(format!("--import {}: expected NAME=PATH", key(import)));
    };
    Ok(ImportModule {
        location: ModuleLocation::Host(PathBuf::from(path)),
        alias: Some(alias.to_string()),
    })
}

/// `--network` and `--allow-domain`: no network unless asked; `http` needs the domains, and
/// the domains need `http`.
pub(crate) fn network(kind: Option<&str>, domains: &[DomainFlag]) -> Result<Network, String> {
    let kind = kind.unwrap_or("none");
    let network = match kind.to_ascii_lowercase().as_str() {
        "none" => Network::None,
        "host" | "full" => Network::Host,
        "http" => Network::Http {
            domains: domains
                .iter()
                .map(|d| {
                    Domain::parse(&d.value)
                        .map_err(|e| format!("{} {}: {e}", d.flag, key(&d.value)))
                })
                .collect::<Result<_, _>>()?,
        },
        _ => {
            return Err(format!(
                "--network {}: expected none, host or http",
                key(kind)
            ));
        }
    };
    match (&network, domains.first()) {
        (Network::Http { .. }, None) => Err(
            "--network http: name the hosts the guest may reach with --allow-domain GLOB".into(),
        ),
        (Network::Http { .. }, Some(_)) => Ok(network),
        (_, Some(domain)) => Err(format!(
            "{} {}: applies to --network http",
            domain.flag,
            key(&domain.value)
        )),
        (_, None) => Ok(network),
    }
}

/// `data`, `/data/`, `./data` -> `/data`; `.` and `/` -> `/`; `None` when `..` leaves `/`.
pub(crate) fn guest_path(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_become_mounts_env_and_imports() {
        let (dirs, envs, imports, args) = (
            strings(&["in::/data", "out"]),
            strings(&["A=1", "HOME"]),
            strings(&["math=lib.wasm"]),
            strings(&["x"]),
        );
        let plan = module_plan(&ModuleFlags {
            module: Path::new("dir/app.wasm"),
            args: &args,
            dirs: &dirs,
            envs: &envs,
            entrypoint: None,
            imports: &imports,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(plan.name, "app");
        assert_eq!(plan.entrypoint, "_start");
        assert_eq!(
            plan.inputs
                .iter()
                .map(|i| i.target.as_str())
                .collect::<Vec<_>>(),
            ["/data", "/out"]
        );
        assert_eq!(
            plan.env[0],
            EnvVar {
                name: "A".into(),
                value: EnvValue::Literal("1".into())
            }
        );
        assert_eq!(
            plan.env[1],
            EnvVar {
                name: "HOME".into(),
                value: EnvValue::FromHost("HOME".into())
            }
        );
        assert_eq!(plan.import_modules[0].alias.as_deref(), Some("math"));
        assert_eq!(plan.args, ["x"]);
    }

    #[test]
    fn bad_flags_name_themselves() {
        let bad = |dirs: &[&str], envs: &[&str], imports: &[&str]| {
            let (dirs, envs, imports) = (strings(dirs), strings(envs), strings(imports));
            module_plan(&ModuleFlags {
                module: Path::new("a.wasm"),
                dirs: &dirs,
                envs: &envs,
                imports: &imports,
                ..Default::default()
            })
            .unwrap_err()
        };
        assert_eq!(
            bad(&["::/x"], &[], &[]),
            "--dir ::/x: expected HOST::GUEST or HOST"
        );
        assert_eq!(
            bad(&["a::../.."], &[], &[]),
            "--dir a::../..: the guest path ../.. leaves `/` through `..`"
        );
        assert_eq!(
            bad(&["a::/x", "b::x/"], &[], &[]),
            "--dir b::x/: /x is already mounted"
        );
        assert_eq!(
            bad(&[], &["=v"], &[]),
            "--env =v: expected KEY=VALUE or KEY"
        );
        assert_eq!(
            bad(&[], &[], &["lib.wasm"]),
            "--import lib.wasm: expected NAME=PATH"
        );
        let empty = module_plan(&ModuleFlags {
            module: Path::new("a.wasm"),
            entrypoint: Some(""),
            ..Default::default()
        });
        assert_eq!(
            empty.unwrap_err(),
            "--entrypoint ``: must not be empty (leave it out to call `_start`)"
        );
    }

    #[test]
    fn network_flags_become_the_plans_network() {
        let plan = |network: Option<&str>, domains: &[&str]| {
            let domains: Vec<_> = domains
                .iter()
                .map(|d| match d.strip_prefix("--domain ") {
                    Some(value) => DomainFlag::domain(value),
                    None => DomainFlag::allow_domain(d),
                })
                .collect();
            module_plan(&ModuleFlags {
                module: Path::new("a.wasm"),
                network,
                allow_domains: &domains,
                ..Default::default()
            })
            .map(|p| p.network)
        };
        assert_eq!(plan(None, &[]), Ok(Network::None));
        assert_eq!(plan(Some("none"), &[]), Ok(Network::None));
        assert_eq!(plan(Some("Host"), &[]), Ok(Network::Host));
        assert_eq!(
            plan(Some("http"), &["*.a.com", "b.org:8080"]),
            Ok(Network::Http {
                domains: vec![
                    Domain::parse("*.a.com").unwrap(),
                    Domain::parse("b.org:8080").unwrap()
                ]
            })
        );
        assert_eq!(
            plan(Some("wifi"), &[]).unwrap_err(),
            "--network wifi: expected none, host or http"
        );
        assert_eq!(
            plan(Some("http"), &[]).unwrap_err(),
            "--network http: name the hosts the guest may reach with --allow-domain GLOB"
        );
        assert_eq!(
            plan(None, &["a.com"]).unwrap_err(),
            "--allow-domain a.com: applies to --network http"
        );
        assert_eq!(
            plan(Some("http"), &["http://a.com/"]).unwrap_err(),
            "--allow-domain http://a.com/: `http://a.com/` is not a domain: write a host name \
             or a glob such as *.example.com, without scheme or path"
        );
        // Bacalhau's spelling is named as written.
        assert_eq!(
            plan(Some("http"), &["a.com", "--domain b.com/x"]).unwrap_err(),
            "--domain b.com/x: `b.com/x` is not a domain: write a host name or a glob such as \
             *.example.com, without scheme or path"
        );
        assert_eq!(
            plan(Some("host"), &["--domain b.com"]).unwrap_err(),
            "--domain b.com: applies to --network http"
        );
    }

    #[test]
    fn guest_paths_normalise() {
        assert_eq!(guest_path("data").as_deref(), Some("/data"));
        assert_eq!(guest_path("./a/./b/").as_deref(), Some("/a/b"));
        assert_eq!(guest_path("/").as_deref(), Some("/"));
        assert_eq!(guest_path("a/../b").as_deref(), Some("/b"));
        assert_eq!(guest_path(".."), None);
    }
}
