//! Sources: bring each input of a `Plan` onto the host filesystem.
//!
//! `fetch` turns one `Input` into a host path (a file or a directory) that the WASI layer mounts
//! at the input's target. There is one file per source type (`local`, `inline`, `http`, `s3`,
//! `ipfs`; `cache` keeps downloads, `tarball` expands archives); this file only
//! dispatches on `Source`, so adding a source type is adding a file and a match arm. Everything a
//! source materialises (inline payloads, expanded archives) is written inside the `Workspace`;
//! the only writes outside it are the ones a job asks for explicitly (a local `ReadWrite` source
//! with `CreateAs`). This layer never decides what the guest may do with a path: read-only is
//! reported in `Fetched::writable` and enforced by the WASI layer.

pub mod cache;
mod http;
mod inline;
pub(crate) mod ipfs;
mod local;
pub mod progress;
pub(crate) mod s3;
pub(crate) mod tarball;
#[cfg(test)]
mod test_util;

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::remote::io_message;
use crate::spec::plan::{Input, Source};

pub use cache::Cache;
pub use local::{open_regular, read_bounded, read_to_limit};

/// What every source may use besides its own parameters.
#[derive(Debug, Clone)]
pub struct Context {
    pub workspace: Workspace,
    /// Downloads, kept across runs (content-addressed; see `cache`).
    pub cache: Cache,
    pub options: Options,
}

/// Fetch settings from the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `--offline`: serve remote sources from the cache only, and say what is missing.
    pub offline: bool,
    /// `--ipfs-gateway URL` (or `$BOLINHO_IPFS_GATEWAY`): where `ipfs` sources are fetched.
    pub ipfs_gateway: Option<String>,
    /// Whether to show download progress on stderr (it is a terminal).
    pub progress: bool,
    /// Give a `ReadWrite` local source a private copy in the workspace instead of the host
    /// path (`bolinho verify`: a rerun never changes or creates a host path).
    pub private_writes: bool,
}

/// A scratch directory for materialised sources.
///
/// The runner creates it (empty) before fetching and removes it after the run; sources only
/// create entries named after the input's index inside it, so inputs never collide.
#[derive(Debug, Clone)]
pub struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    /// `dir` must exist and be empty.
    pub fn new(dir: PathBuf) -> Workspace {
        Workspace { dir }
    }

    /// Where the input at `index` is materialised.
    fn slot(&self, index: usize, kind: &str) -> PathBuf {
        self.dir.join(format!("{kind}-{index}"))
    }
}

/// Whether a fetched source is a single file or a directory tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

/// A source on the host filesystem, ready to mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The host path (canonical for local sources).
    pub path: PathBuf,
    pub kind: Kind,
    /// Whether the guest may write to it (a local source with `ReadWrite`).
    pub writable: bool,
}

/// A source that could not be brought onto the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchError {
    /// The input's `field`, e.g. `Tasks[0].InputSources[1]`.
    pub input: String,
    /// What the source is, e.g. `local path /data/x` or `inline data URL`.
    pub source: String,
    /// What went wrong, lower-case.
    pub message: String,
}

impl FetchError {
    fn new(input: &Input, message: String) -> FetchError {
        FetchError {
            input: input.field.clone(),
            source: describe(&input.source),
            message,
        }
    }
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "failed to fetch {} ({}): {}",
            self.input, self.source, self.message
        )
    }
}

impl std::error::Error for FetchError {}

/// Brings `input` (the `index`-th input of the plan) onto the host.
pub fn fetch(input: &Input, index: usize, ctx: &Context) -> Result<Fetched, FetchError> {
    let ws = &ctx.workspace;
    let fetched = match &input.source {
        Source::Local {
            path,
            read_write,
            create_as,
        } => {
            let slot = ws.slot(index, "local");
            let private = ctx.options.private_writes.then_some(slot.as_path());
            local::fetch(path, *read_write, *create_as, private)
        }
        Source::Inline { url } => inline::fetch(url, &ws.slot(index, "inline")),
        Source::S3(source) => s3::fetch(source, &ws.slot(index, "s3"), ctx),
        Source::Url { url } => http::fetch(url, &ws.slot(index, "url"), ctx),
        Source::Ipfs { cid } => ipfs::fetch(cid, &ws.slot(index, "ipfs"), ctx),
    };
    fetched.map_err(|message| FetchError::new(input, message))
}

/// Where `input` (the `index`-th input of the plan) is on the host, without the network and
/// without writing anywhere but a workspace: a local source where it is (a missing one is not
/// created, a `ReadWrite` one not copied), an inline one materialised in the workspace, which
/// `workspace` makes when first asked. `None` for the remote sources, which are left alone
/// (`validate --portable` reads modules this way).
pub fn peek(
    input: &Input,
    index: usize,
    workspace: &dyn Fn() -> Result<Workspace, String>,
) -> Option<Result<PathBuf, FetchError>> {
    let fetched = match &input.source {
        Source::Local {
            path, create_as, ..
        } => local::fetch(path, false, *create_as, None),
        Source::Inline { url } => {
            workspace().and_then(|ws| inline::fetch(url, &ws.slot(index, "inline")))
        }
        Source::S3(_) | Source::Url { .. } | Source::Ipfs { .. } => return None,
    };
    Some(
        fetched
            .map(|f| f.path)
            .map_err(|message| FetchError::new(input, message)),
    )
}

/// The module inside a module directory (an expanded archive, a local directory): the single
/// `*.wasm` file directly inside `dir` (bacalhau-compat.md §3). None or several is an error
/// naming the directory as the guest sees it, `guest`, and listing the candidates.
pub fn module_in_dir(input: &Input, guest: &str, dir: &Path) -> Result<PathBuf, FetchError> {
    let error = |message: String| FetchError::new(input, message);
    let read = |e: io::Error| {
        error(format!(
            "failed to read module directory {guest}: {}",
            io_message(&e)
        ))
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        let name = entry.file_name();
        // `metadata` follows a symlink: a link to a module counts as a module.
        let is_file = fs::metadata(entry.path()).is_ok_and(|m| m.is_file());
        if is_file
            && Path::new(&name)
                .extension()
                .is_some_and(|ext| ext == "wasm")
        {
            names.push(name.to_string_lossy().into_owned());
        }
    }
    names.sort();
    match names.as_slice() {
        [one] => Ok(dir.join(one)),
        [] => Err(error(format!(
            "module directory {guest} holds no `*.wasm` file"
        ))),
        several => Err(error(format!(
            "module directory {guest} holds {} `*.wasm` files ({}); it must hold exactly one",
            several.len(),
            several.join(", ")
        ))),
    }
}

/// How a source is named in errors.
fn describe(source: &Source) -> String {
    match source {
        Source::Local { path, .. } => format!("local path {}", path.display()),
        Source::Inline { .. } => "inline data URL".to_string(),
        Source::S3(s3) => match &s3.version_id {
            Some(version) => format!("s3://{}/{}?versionId={version}", s3.bucket, s3.key),
            None => format!("s3://{}/{}", s3.bucket, s3.key),
        },
        Source::Url { url } => format!("URL {}", http::redact(url)),
        Source::Ipfs { cid } => format!("IPFS CID {}", cid.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::TempDir;
    use super::*;
    use crate::spec::plan::CreateAs;

    /// A context whose workspace and cache live in `tmp`.
    pub(super) fn context(tmp: &TempDir) -> Context {
        let workspace = tmp.path().join("ws");
        fs::create_dir(&workspace).unwrap();
        Context {
            workspace: Workspace::new(workspace),
            cache: Cache::open(tmp.path().join("cache")),
            options: Options::default(),
        }
    }

    fn input(source: Source) -> Input {
        Input {
            source,
            target: "/x".into(),
            alias: None,
            field: "Tasks[0].InputSources[1]".into(),
        }
    }

    #[test]
    fn an_ipfs_source_without_a_gateway_names_the_cid() {
        let tmp = TempDir::new();
        let cid = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o";
        let source = Source::Ipfs {
            cid: crate::spec::cid::parse(cid).unwrap(),
        };
        let err = fetch(&input(source), 1, &context(&tmp)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "failed to fetch Tasks[0].InputSources[1] (IPFS CID {cid}): no IPFS gateway \
                 configured: pass --ipfs-gateway URL or set BOLINHO_IPFS_GATEWAY (e.g. https://ipfs.io)"
            )
        );
    }

    #[test]
    fn error_display_names_input_and_source() {
        let tmp = TempDir::new();
        let missing = tmp.path().join("missing");
        let source = Source::Local {
            path: missing.clone(),
            read_write: false,
            create_as: CreateAs::NoCreate,
        };
        let err = fetch(&input(source), 0, &context(&tmp)).unwrap_err();
        assert_eq!(err.input, "Tasks[0].InputSources[1]");
        assert_eq!(err.source, format!("local path {}", missing.display()));
        assert_eq!(
            err.to_string(),
            format!(
                "failed to fetch Tasks[0].InputSources[1] (local path {}): no such file or directory",
                missing.display()
            )
        );
    }

    #[test]
    fn dispatches_inline_into_the_workspace() {
        let tmp = TempDir::new();
        let fetched = fetch(
            &input(Source::Inline {
                url: crate::spec::InlineUrl::parse("data:,hi").unwrap(),
            }),
            3,
            &context(&tmp),
        )
        .unwrap();
        assert_eq!(
            fetched,
            Fetched {
                path: tmp.path().join("ws/inline-3"),
                kind: Kind::File,
                writable: false
            }
        );
        assert_eq!(fs::read(&fetched.path).unwrap(), b"hi");
    }

    fn module_in(files: &[&str]) -> (TempDir, Result<PathBuf, FetchError>) {
        let tmp = TempDir::new();
        for name in files {
            tmp.write(name, b"\0asm");
        }
        let src = input(Source::Inline {
            url: crate::spec::InlineUrl::parse("data:application/gzip;base64,").unwrap(),
        });
        let result = module_in_dir(&src, "/app", tmp.path());
        (tmp, result)
    }

    #[test]
    fn a_module_directory_resolves_to_its_single_wasm() {
        let (tmp, result) = module_in(&["main.wasm", "README", "sub/other.wasm"]);
        assert_eq!(result.unwrap(), tmp.path().join("main.wasm"));
    }

    #[test]
    fn a_module_directory_without_wasm_is_an_error() {
        let (_tmp, result) = module_in(&["README", "sub/nested.wasm"]);
        assert_eq!(
            result.unwrap_err().to_string(),
            "failed to fetch Tasks[0].InputSources[1] (inline data URL): module directory /app holds no `*.wasm` file"
        );
    }

    #[test]
    fn a_module_directory_with_several_lists_them() {
        let (_tmp, result) = module_in(&["b.wasm", "a.wasm"]);
        assert_eq!(
            result.unwrap_err().message,
            "module directory /app holds 2 `*.wasm` files (a.wasm, b.wasm); it must hold exactly one"
        );
    }
}
