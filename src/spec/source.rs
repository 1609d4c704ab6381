//! InputSources (`{Source: {Type, Params}, Alias, Target}`) and guest paths (compat §3).
//!
//! Owns the one rule for guest paths (`guest_path`), the registry that keeps Targets,
//! ResultPaths and Aliases unique and says which guest paths the inputs cover, and the rules
//! for each source's parameters (those of `s3` in `s3`). `check` applies the same functions to
//! a plan read back from a receipt. Local paths are resolved against the job file's directory but never looked at:
//! existence is checked by `fetch`, when the job runs.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use super::SpecError;
use super::cid;
use super::data_url::InlineUrl;
use super::plan::{CreateAs, Input, Source};
use super::quote::quote;
use super::reader::{Ctx, Field, MapReader, join};
use super::s3;

/// The source types of Bacalhau's storage providers that a job may name, in the order an error
/// lists them. `localDirectory` is Bacalhau's deprecated name for `local`.
const SOURCE_TYPES: [&str; 6] = [
    "local",
    "localDirectory",
    "inline",
    "urlDownload",
    "s3",
    "ipfs",
];

/// The most targets an error message lists.
const LISTED_TARGETS: usize = 10;

/// `inputs` -> `/inputs`, `/a/./b/` -> `/a/b`. A Target is where a mount appears in the guest's
/// single preopened `/`, so it must name a directory below `/` and cannot climb out with `..`
/// (rejected rather than resolved: a Target written with `..` is a mistake, not a shortcut).
pub(crate) fn guest_path(raw: &str) -> Result<String, String> {
    let invalid = |why: &str| Err(format!("invalid path {}: {why}", quote(raw)));
    if raw.contains('\0') {
        return invalid("it contains a NUL byte");
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return invalid("`..` is not allowed"),
            part => parts.push(part),
        }
    }
    if parts.is_empty() {
        return invalid("it must name a directory below `/`");
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Which key of an input an `Inputs::add` refusal is about.
pub(crate) enum Clash {
    Target(String),
    Alias(String),
}

/// Every input so far, and every guest path and alias claimed, with the field that claimed it.
/// Each lookup is a hash lookup (or one per path component), so a job of many inputs and
/// modules is read in linear time.
#[derive(Default)]
pub(crate) struct Inputs {
    pub list: Vec<Input>,
    /// Every guest path claimed (Targets and ResultPaths), and its owner.
    paths: HashMap<String, String>,
    aliases: HashMap<String, String>,
    /// Each Target, and its input in `list`.
    targets: HashMap<String, usize>,
    /// The Targets as a tree of path components, for `covers`.
    mounts: Mounts,
}

impl Inputs {
    /// Adds an input read from a job, refusing a Target or an Alias already taken; `lines`
    /// locate them.
    pub fn add(&mut self, input: Input, lines: SourceLines, ctx: &Ctx) -> Result<(), SpecError> {
        let field = input.field.clone();
        self.insert(input, &field).map_err(|clash| match clash {
            Clash::Target(message) => ctx.error(lines.target, &join(&field, "Target"), message),
            Clash::Alias(message) => ctx.error(lines.alias, &join(&field, "Alias"), message),
        })
    }

    /// Adds an input, refusing a Target or an Alias already taken; `owner` names it in the
    /// message (the parser's field path, or the plan's).
    pub fn insert(&mut self, input: Input, owner: &str) -> Result<(), Clash> {
        self.claim_path(&input.target, owner)
            .map_err(Clash::Target)?;
        if let Some(alias) = &input.alias {
            if let Some(first) = self.aliases.get(alias) {
                return Err(Clash::Alias(format!(
                    "alias {} is already used by {first}",
                    quote(alias)
                )));
            }
            self.aliases.insert(alias.clone(), owner.to_string());
        }
        self.targets.insert(input.target.clone(), self.list.len());
        self.mounts.insert(&input.target);
        self.list.push(input);
        Ok(())
    }

    /// Claims a guest path for `owner` (an input or a ResultPaths entry): no two mounts may
    /// share one, since the second would hide the first.
    pub fn claim_path(&mut self, path: &str, owner: &str) -> Result<(), String> {
        if let Some(first) = self.paths.get(path) {
            return Err(format!("{} is already used by {first}", quote(path)));
        }
        self.paths.insert(path.to_string(), owner.to_string());
        Ok(())
    }

    /// The input mounted exactly at `path`.
    pub fn at(&self, path: &str) -> Option<&Input> {
        self.targets.get(path).map(|&i| &self.list[i])
    }

    /// The alias a module at `path` is linked under: that of the input mounted exactly there.
    pub fn alias_at(&self, path: &str) -> Option<String> {
        self.at(path).and_then(|input| input.alias.clone())
    }

    /// A module's guest path must be an input's Target or lie below one (Bacalhau loads it
    /// from the guest's filesystem); the error lists the Targets there are.
    pub fn check_module_path(&self, path: &str) -> Result<(), String> {
        if self.mounts.covers(path) {
            return Ok(());
        }
        let path = quote(path);
        let targets: Vec<&str> = self.list.iter().map(|i| i.target.as_str()).collect();
        Err(match targets.as_slice() {
            [] => format!("no input source is mounted at {path}: the task has no InputSources"),
            targets => {
                let listed: Vec<String> = targets
                    .iter()
                    .take(LISTED_TARGETS)
                    .map(|t| super::quote::key(t))
                    .collect();
                let more = match targets.len().saturating_sub(LISTED_TARGETS) {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!(
                    "no input source is mounted at {path} (targets: {}{more})",
                    listed.join(", ")
                )
            }
        })
    }

    #[cfg(test)]
    pub fn targets(&self) -> Vec<&str> {
        self.list.iter().map(|i| i.target.as_str()).collect()
    }
}

/// Guest paths as a tree of components: whether a path is a Target or lies below one takes a
/// step per component of the path, however many Targets there are.
#[derive(Default)]
struct Mounts {
    /// Node 0 is `/`; each node's children by component.
    children: Vec<HashMap<String, usize>>,
    /// Whether each node is a Target.
    target: Vec<bool>,
}

impl Mounts {
    /// `path` is absolute and normalised (`guest_path`).
    fn insert(&mut self, path: &str) {
        if self.children.is_empty() {
            self.children.push(HashMap::new());
            self.target.push(false);
        }
        let mut node = 0;
        for part in path.split('/').skip(1) {
            node = match self.children[node].get(part) {
                Some(&child) => child,
                None => {
                    let child = self.children.len();
                    self.children.push(HashMap::new());
                    self.target.push(false);
                    self.children[node].insert(part.to_string(), child);
                    child
                }
            };
        }
        self.target[node] = true;
    }

    fn covers(&self, path: &str) -> bool {
        if self.children.is_empty() {
            return false;
        }
        let mut node = 0;
        for part in path.split('/').skip(1) {
            match self.children[node].get(part) {
                Some(&child) => node = child,
                None => return false,
            }
            if self.target[node] {
                return true;
            }
        }
        false
    }
}

/// Lines of the keys an `Inputs::add` error can point at.
pub(crate) struct SourceLines {
    target: Option<u32>,
    alias: Option<u32>,
}

/// Reads one InputSource. `default_target` is the target a legacy module gets when it has
/// none (Bacalhau's `wasm_legacy.go`); without one, `Target` is required.
pub(crate) fn read_input(
    field: &Field,
    default_target: Option<&str>,
    ctx: &mut Ctx,
) -> Result<(Input, SourceLines), SpecError> {
    let mut m = field.map(ctx)?;
    let source = read_source(&m.require("Source", ctx)?, ctx)?;
    // Bacalhau's legacy transformer gives an empty module Target the default, as a missing one
    // (pkg/orchestrator/transformer/wasm_legacy.go); `bacalhau job describe` prints `Target: ""`.
    let target = m.get("Target");
    let target = match (&target, default_target) {
        (Some(f), Some(_)) if f.string(ctx)?.is_empty() => None,
        _ => target,
    };
    let (target, target_line) = match (target, default_target) {
        (Some(f), _) => {
            let raw = f.string(ctx)?;
            (
                guest_path(&raw).map_err(|message| f.error(ctx, message))?,
                f.line,
            )
        }
        (None, Some(default)) => (default.to_string(), field.line),
        (None, None) => return Err(ctx.error(m.line(), &join(&field.path, "Target"), "required")),
    };
    let alias = match m.get("Alias") {
        Some(f) => Some((f.string(ctx)?, f.line)),
        None => None,
    };
    let alias = alias.filter(|(a, _)| !a.is_empty());
    let lines = SourceLines {
        target: target_line,
        alias: alias.as_ref().and_then(|(_, l)| *l),
    };
    m.finish(ctx)?;
    let input = Input {
        source,
        target,
        alias: alias.map(|(a, _)| a),
        field: field.path.clone(),
    };
    Ok((input, lines))
}

fn read_source(field: &Field, ctx: &mut Ctx) -> Result<Source, SpecError> {
    let mut m = field.map(ctx)?;
    let type_field = m.require("Type", ctx)?;
    let written = type_field.string(ctx)?;
    let Some(kind) = SOURCE_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&written))
    else {
        let known = SOURCE_TYPES.join(", ");
        return Err(type_field.error(
            ctx,
            format!(
                "unknown source type {}: expected one of {known}",
                quote(&written)
            ),
        ));
    };
    let params = m.get("Params");
    let mut p = match &params {
        Some(f) => Some(f.map(ctx)?),
        None => None,
    };
    let params_path = join(&field.path, "Params");
    let source = match *kind {
        "local" | "localDirectory" => read_local(p.as_mut(), &params_path, m.line(), ctx)?,
        "inline" => {
            let url = require_param(p.as_mut(), "URL", &params_path, m.line(), ctx)?;
            let parsed = InlineUrl::parse(&url.string(ctx)?);
            Source::Inline {
                url: parsed.map_err(|message| url.error(ctx, message))?,
            }
        }
        "urlDownload" => {
            let url = require_param(p.as_mut(), "URL", &params_path, m.line(), ctx)?;
            let text = url.string(ctx)?;
            download_url(&text).map_err(|message| url.error(ctx, message))?;
            Source::Url { url: text }
        }
        "s3" => {
            let bucket = require_param(p.as_mut(), "Bucket", &params_path, m.line(), ctx)?;
            let p = p.as_mut().expect("Bucket was found in Params");
            Source::S3(Box::new(s3::read_source(&bucket, p, ctx)?))
        }
        _ => {
            let field = require_param(p.as_mut(), "CID", &params_path, m.line(), ctx)?;
            let cid = required(field.string(ctx)?)
                .map_err(|message| message.to_string())
                .and_then(|text| cid::parse(&text));
            Source::Ipfs {
                cid: cid.map_err(|message| field.error(ctx, message))?,
            }
        }
    };
    if let Some(p) = p {
        p.finish(ctx)?;
    }
    m.finish(ctx)?;
    Ok(source)
}

/// A `urlDownload` source's URL: an `http://` or `https://` URL with a host, as the HTTP client
/// reads it (ureq takes a URL as the `http` crate's `Uri`), and a port, if it names one, that
/// a TCP port can be. The messages never show the URL: it may hold a password.
pub(crate) fn download_url(url: &str) -> Result<(), String> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    if !matches!(scheme.as_deref(), Some("http" | "https")) {
        return Err("expected an http:// or https:// URL".into());
    }
    let uri = ureq::http::Uri::try_from(url).map_err(|e| format!("bad URL: {e}"))?;
    let Some(authority) = uri.authority().filter(|a| !a.host().is_empty()) else {
        return Err("bad URL: it names no host".into());
    };
    // After the credentials and the host (an IPv6 one in brackets): `:port`, if any.
    let host_and_port = authority.as_str().rsplit('@').next().unwrap_or_default();
    let after_host = &host_and_port[host_and_port.rfind(']').unwrap_or(0)..];
    let port = after_host.split_once(':').map_or("", |(_, port)| port);
    if !port.is_empty() && authority.port_u16().is_none() {
        return Err(format!(
            "bad URL: port {} is not a TCP port (at most 65535)",
            quote(port)
        ));
    }
    Ok(())
}

/// A parameter that must be there: an empty string is as good as none.
pub(crate) fn required(text: String) -> Result<String, &'static str> {
    if text.is_empty() {
        Err("required")
    } else {
        Ok(text)
    }
}

/// An optional parameter: an empty string is absent, as in Go.
pub(crate) fn optional(text: String) -> Option<String> {
    Some(text).filter(|t| !t.is_empty())
}

fn require_param<'n>(
    params: Option<&mut MapReader<'n>>,
    key: &str,
    params_path: &str,
    source_line: Option<u32>,
    ctx: &Ctx,
) -> Result<Field<'n>, SpecError> {
    match params {
        Some(p) => p.require(key, ctx),
        None => Err(ctx.error(source_line, &format!("{params_path}.{key}"), "required")),
    }
}

fn read_local(
    params: Option<&mut MapReader>,
    params_path: &str,
    line: Option<u32>,
    ctx: &Ctx,
) -> Result<Source, SpecError> {
    let Some(p) = params else {
        return Err(ctx.error(line, &format!("{params_path}.SourcePath"), "required"));
    };
    // Bacalhau's field is `SourcePath`; its own WASM documentation writes `Path`.
    let path_field = match (p.get("SourcePath"), p.get("Path")) {
        (Some(_), Some(path)) => {
            return Err(path.error(ctx, "set `SourcePath` or `Path`, not both"));
        }
        (Some(f), None) | (None, Some(f)) => f,
        (None, None) => {
            return Err(ctx.error(p.line(), &format!("{params_path}.SourcePath"), "required"));
        }
    };
    let written =
        required(path_field.string(ctx)?).map_err(|message| path_field.error(ctx, message))?;
    let read_write = match p.get("ReadWrite") {
        // Bacalhau's decoder also takes the strings "true" and "false" here.
        Some(f) => match f.string(ctx).as_deref() {
            Ok("true") => true,
            Ok("false") => false,
            _ => f.bool(ctx)?,
        },
        None => false,
    };
    let create_as = match p.get("CreateAs") {
        Some(f) => match f.string(ctx)?.to_ascii_lowercase().as_str() {
            "" | "nocreate" => CreateAs::NoCreate,
            "dir" => CreateAs::Dir,
            "file" => CreateAs::File,
            _ => return Err(f.error(ctx, "expected one of dir, file, noCreate")),
        },
        None => CreateAs::NoCreate,
    };
    Ok(Source::Local {
        path: resolve(ctx.base_dir(), &written),
        read_write,
        create_as,
    })
}

/// A relative path is relative to the job file, so a job directory can be moved as a whole.
/// `.` components are dropped (`resolve` of its own result gives it back).
pub(crate) fn resolve(base: &Path, written: &str) -> PathBuf {
    let path = Path::new(written);
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    };
    let cleaned: PathBuf = joined
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    if cleaned.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::super::plan::S3Source;
    use super::super::tree::parse;
    use super::*;

    #[test]
    fn guest_paths_are_normalised_or_rejected() {
        let ok = |raw: &str| guest_path(raw).unwrap();
        assert_eq!(ok("/inputs"), "/inputs");
        assert_eq!(ok("inputs"), "/inputs");
        assert_eq!(ok("/a/./b//c/"), "/a/b/c");
        assert_eq!(ok("./app/main.wasm"), "/app/main.wasm");
        let err = |raw: &str| guest_path(raw).unwrap_err();
        assert_eq!(
            err("/a/../b"),
            "invalid path `/a/../b`: `..` is not allowed"
        );
        assert_eq!(err(".."), "invalid path `..`: `..` is not allowed");
        assert_eq!(
            err("/"),
            "invalid path `/`: it must name a directory below `/`"
        );
        assert_eq!(
            err(""),
            "invalid path ``: it must name a directory below `/`"
        );
        assert_eq!(
            err("/./"),
            "invalid path `/./`: it must name a directory below `/`"
        );
        assert_eq!(err("/a\0"), "invalid path `/a\\0`: it contains a NUL byte");
        let long = format!("/{}", "a".repeat(1 << 20));
        assert_eq!(
            guest_path(&format!("{long}/..")).unwrap_err(),
            format!(
                "invalid path `/{}...` (1048580 bytes): `..` is not allowed",
                "a".repeat(59)
            )
        );
    }

    #[test]
    fn relative_local_paths_resolve_against_the_job_file() {
        let base = Path::new("/jobs/hello");
        assert_eq!(resolve(base, "./app"), Path::new("/jobs/hello/app"));
        assert_eq!(
            resolve(base, "../shared/x.wasm"),
            Path::new("/jobs/hello/../shared/x.wasm")
        );
        assert_eq!(resolve(base, "/abs/./x"), Path::new("/abs/x"));
        assert_eq!(resolve(Path::new(""), "./app"), Path::new("app"));
        assert_eq!(resolve(Path::new(""), "."), Path::new("."));
    }

    fn source(yaml: &str) -> Result<Source, String> {
        let node = parse(yaml).unwrap();
        let mut ctx = Ctx::new(Path::new("/j/job.yaml"), true, &[]);
        read_source(&Field::root(&node), &mut ctx).map_err(|e| e.to_string())
    }

    #[test]
    fn source_types_and_their_params() {
        assert_eq!(
            source(
                "Type: LocalDirectory\nParams: {Path: data, ReadWrite: \"true\", CreateAs: DIR}"
            ),
            Ok(Source::Local {
                path: "/j/data".into(),
                read_write: true,
                create_as: CreateAs::Dir
            })
        );
        assert_eq!(
            source("Type: local\nParams: {SourcePath: /x}"),
            Ok(Source::Local {
                path: "/x".into(),
                read_write: false,
                create_as: CreateAs::NoCreate
            })
        );
        assert_eq!(
            source("Type: inline\nParams: {URL: \"DATA:,hi\"}"),
            Ok(Source::Inline {
                url: InlineUrl::parse("DATA:,hi").unwrap()
            })
        );
        assert_eq!(
            source("Type: S3\nParams: {Bucket: b, Key: k, Region: r, VersionID: v}"),
            Ok(Source::S3(Box::new(S3Source {
                bucket: "b".into(),
                key: "k".into(),
                filter: None,
                region: Some("r".into()),
                endpoint: None,
                version_id: Some("v".into()),
                checksum_sha256: None,
            })))
        );
        assert_eq!(
            source("Type: urldownload\nParams: {URL: \"https://x\"}"),
            Ok(Source::Url {
                url: "https://x".into()
            })
        );
        let cid = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";
        assert_eq!(
            source(&format!("Type: ipfs\nParams: {{CID: {cid}}}")),
            Ok(Source::Ipfs {
                cid: cid::parse(cid).unwrap()
            })
        );
    }

    #[test]
    fn download_urls_are_what_the_http_client_takes() {
        for ok in [
            "http://h",
            "HTTPS://user:pw@h:8080/a%20b?x=1#f",
            "http://[::1]:80/x",
            "http://127.0.0.1:65535/",
            "http://h:/x",
        ] {
            assert_eq!(download_url(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("ftp://h/x", "expected an http:// or https:// URL"),
            ("h/x", "expected an http:// or https:// URL"),
            ("http://a b/", "bad URL: invalid uri character"),
            ("http://h/a b", "bad URL: invalid uri character"),
            ("https:///x", "bad URL: invalid format"),
            ("http://user:pw@/x", "bad URL: invalid authority"),
            ("http://[::1/x", "bad URL: invalid authority"),
            (
                "http://h:99999/x",
                "bad URL: port `99999` is not a TCP port (at most 65535)",
            ),
            (
                "http://[::1]:65536/x",
                "bad URL: port `65536` is not a TCP port (at most 65535)",
            ),
        ] {
            assert_eq!(download_url(bad), Err(why.to_string()), "{bad}");
        }
    }

    #[test]
    fn bad_sources_name_the_field() {
        let err = |yaml: &str| source(yaml).unwrap_err();
        assert_eq!(
            err("Type: docker\n"),
            "/j/job.yaml:1: Type: unknown source type `docker`: expected one of local, localDirectory, inline, urlDownload, s3, ipfs"
        );
        assert_eq!(
            err("Type: local\n"),
            "/j/job.yaml:1: Params.SourcePath: required"
        );
        assert_eq!(
            err("Type: local\nParams:\n  ReadWrite: true\n"),
            "/j/job.yaml:2: Params.SourcePath: required"
        );
        assert_eq!(
            err("Type: local\nParams: {Path: a, SourcePath: b}"),
            "/j/job.yaml:2: Params.Path: set `SourcePath` or `Path`, not both"
        );
        assert_eq!(
            err("Type: local\nParams:\n  Path: a\n  ReadWrite: yes\n"),
            "/j/job.yaml:4: Params.ReadWrite: expected true or false, found a string"
        );
        assert_eq!(
            err("Type: local\nParams:\n  Path: a\n  CreateAs: folder\n"),
            "/j/job.yaml:4: Params.CreateAs: expected one of dir, file, noCreate"
        );
        assert_eq!(
            err("Type: inline\nParams:\n  URL: http://x\n"),
            "/j/job.yaml:3: Params.URL: not a data URL: it must start with `data:`"
        );
        assert_eq!(
            err("Type: inline\nParams:\n  URL: 'data:;base64,Zm9v!'\n"),
            "/j/job.yaml:3: Params.URL: invalid base64 character `!` at offset 4"
        );
        assert_eq!(
            err("Type: s3\nParams: {Key: k}\n"),
            "/j/job.yaml:2: Params.Bucket: required"
        );
        assert_eq!(err("Type: ipfs\n"), "/j/job.yaml:1: Params.CID: required");
        assert_eq!(
            err("Type: ipfs\nParams:\n  CID: Qm\n"),
            "/j/job.yaml:3: Params.CID: `Qm` is not a CID: unsupported multibase prefix `Q` \
             (bolinho reads CIDv0 `Qm...` and CIDv1 in base32 `b...` or base58btc `z...`)"
        );
        assert_eq!(
            err("Type: local\nParams:\n  Path: a\n  Mode: rw\n"),
            "/j/job.yaml:4: Params.Mode: unknown key"
        );
    }
}
