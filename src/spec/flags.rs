//! The plan for `bolinho run MODULE`: wasmtime-style flags instead of a job file.
//!
//! The guest sees exactly what the flags say: argv is the module's file name and the arguments
//! after `--`, the environment is exactly the `--env` values in the order given, and the
//! filesystem is exactly the `--dir` mounts (read-write, as in wasmtime).

use std::path::{Path, PathBuf};

use crate::net::Domain;

use super::plan::{
    CreateAs, EnvValue, EnvVar, ImportModule, Input, Limits, ModuleLocation, Network, Origin, Plan,
    Publisher, Source,
};

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
    /// `--allow-domain GLOB`, for `--network http`.
    pub allow_domains: &'a [String],
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
    let mut inputs = Vec::new();
    for dir in flags.dirs {
        let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
        if host.is_empty() || guest.is_empty() {
            return Err(format!("--dir {dir}: expected HOST::GUEST or HOST"));
        }
        let target = guest_path(guest).ok_or_else(|| {
            format!("--dir {dir}: the guest path {guest} leaves `/` through `..`")
        })?;
        if inputs.iter().any(|i: &Input| i.target == target) {
            return Err(format!("--dir {dir}: {target} is already mounted"));
        }
        inputs.push(Input {
            source: Source::Local {
                path: PathBuf::from(host),
                read_write: true,
                create_as: CreateAs::NoCreate,
            },
            target,
            alias: None,
            field: format!("--dir {dir}"),
        });
    }
    let mut env = Vec::new();
    for entry in flags.envs {
        let var = match entry.split_once('=') {
            Some((name, value)) => EnvVar {
                name: name.to_string(),
                value: EnvValue::Literal(value.to_string()),
            },
            None => EnvVar {
                name: entry.clone(),
                value: EnvValue::FromHost(entry.clone()),
            },
        };
        if var.name.is_empty() {
            return Err(format!("--env {entry}: expected KEY=VALUE or KEY"));
        }
        env.push(var);
    }
    let mut import_modules = Vec::new();
    for import in flags.imports {
        let Some((alias, path)) = import
            .split_once('=')
            .filter(|(a, p)| !a.is_empty() && !p.is_empty())
        else {
            return Err(format!("--import {import}: expected NAME=PATH"));
        };
        import_modules.push(ImportModule {
            location: ModuleLocation::Host(PathBuf::from(path)),
            alias: Some(alias.to_string()),
        });
    }
    let network = network(flags.network, flags.allow_domains)?;
    Ok(Plan {
        name,
        origin: Origin::Module,
        inputs,
        entry_module: ModuleLocation::Host(flags.module.to_path_buf()),
        import_modules,
        entrypoint: flags.entrypoint.unwrap_or("_start").to_string(),
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

/// `--network` and `--allow-domain`: no network unless asked; `http` needs the domains, and
/// the domains need `http`.
fn network(kind: Option<&str>, domains: &[String]) -> Result<Network, String> {
    let kind = kind.unwrap_or("none");
    let network = match kind.to_ascii_lowercase().as_str() {
        "none" => Network::None,
        "host" | "full" => Network::Host,
        "http" => Network::Http {
            domains: domains.to_vec(),
        },
        _ => {
            return Err(format!("--network {kind}: expected none, host or http"));
        }
    };
    match (&network, domains.first()) {
        (Network::Http { .. }, None) => Err(
            "--network http: name the hosts the guest may reach with --allow-domain GLOB".into(),
        ),
        (Network::Http { .. }, Some(_)) => {
            for domain in domains {
                Domain::parse(domain).map_err(|e| format!("--allow-domain {domain}: {e}"))?;
            }
            Ok(network)
        }
        (_, Some(domain)) => Err(format!(
            "--allow-domain {domain}: applies to --network http"
        )),
        (_, None) => Ok(network),
    }
}

/// `data`, `/data/`, `./data` -> `/data`; `.` and `/` -> `/`; `None` when `..` leaves `/`.
fn guest_path(path: &str) -> Option<String> {
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
    }

    #[test]
    fn network_flags_become_the_plans_network() {
        let plan = |network: Option<&str>, domains: &[&str]| {
            let domains = strings(domains);
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
                domains: strings(&["*.a.com", "b.org:8080"])
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
