//! `ipfs` sources, through an IPFS HTTP gateway (`--ipfs-gateway`, `$BOLINHO_IPFS_GATEWAY`).
//!
//! How a CID is asked for depends on its codec (trustless gateway spec,
//! https://specs.ipfs.tech/http-gateways/trustless-gateway/):
//! - raw (`0x55`, `bafk...`): the block is the file. `GET /ipfs/<cid>?format=raw` with
//!   `Accept: application/vnd.ipld.raw`; with a sha2-256 multihash the bytes are checked
//!   against the CID before anything is kept, so a lying gateway is caught;
//! - anything else (dag-pb: every `Qm...`, `bafy...`): a UnixFS file or directory. `GET
//!   /ipfs/<cid>?format=tar` with `Accept: application/x-tar`; the gateway names the root
//!   entry after the CID, and the archive is expanded with the safe tar code (`tarball`), so
//!   an entry leaving the directory is refused. This content is *not* verified: checking a
//!   dag-pb CID means rebuilding its Merkle DAG, which a TAR does not carry.
//!
//! A CID names immutable content, so a cached one (key `ipfs://<cid>`) is used without any
//! request. The cached object is the raw block or the TAR, expanded anew for each run.

use std::fs::{self, File};
use std::io::BufReader;
use std::path::Path;

use super::http::{self, Download};
use super::{Context, Fetched, Kind, io_message, tarball};
use crate::spec::Cid;
use crate::spec::cid::RAW;

/// Materialises `cid` at `slot` (a workspace path that does not exist yet).
pub(super) fn fetch(cid: &Cid, slot: &Path, ctx: &Context) -> Result<Fetched, String> {
    let text = cid.as_str();
    let key = format!("ipfs://{text}");
    let base = match gateway(ctx) {
        Ok(base) => base,
        // Served from the cache (or refused by --offline): the gateway is never asked.
        Err(_) if ctx.options.offline || ctx.cache.lookup(&key).is_some() => String::new(),
        Err(e) => return Err(e),
    };
    let fetched = |path: &Path, kind| Fetched {
        path: path.to_path_buf(),
        kind,
        writable: false,
    };

    if cid.codec == RAW {
        let expected = cid.raw_sha256().map(super::cache::hex);
        let entry = http::download(
            ctx,
            &Download {
                url: &format!("{base}/ipfs/{text}?format=raw"),
                key: &key,
                accept: Some("application/vnd.ipld.raw"),
                immutable: true,
                expected_sha256: expected.as_deref(),
            },
        )?;
        ctx.cache.materialize(&entry, slot)?;
        return Ok(fetched(slot, Kind::File));
    }

    let entry = http::download(
        ctx,
        &Download {
            url: &format!("{base}/ipfs/{text}?format=tar"),
            key: &key,
            accept: Some("application/x-tar"),
            immutable: true,
            expected_sha256: None,
        },
    )?;
    let tar = File::open(&entry.path).map_err(|e| {
        format!(
            "failed to read {}: {}",
            entry.path.display(),
            io_message(&e)
        )
    })?;
    tarball::expand_tar(BufReader::new(tar), slot, tarball::MAX_EXPANDED)
        .map_err(|e| format!("failed to expand the gateway's TAR: {e}"))?;
    root_of(slot, text).map(|(path, kind)| fetched(&path, kind))
}

/// The configured gateway, without a trailing `/`.
fn gateway(ctx: &Context) -> Result<String, String> {
    let gateway = ctx
        .options
        .ipfs_gateway
        .as_deref()
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .ok_or(
            "no IPFS gateway configured: pass --ipfs-gateway URL or set BOLINHO_IPFS_GATEWAY \
             (e.g. https://ipfs.io)",
        )?;
    if !(gateway.starts_with("http://") || gateway.starts_with("https://")) {
        return Err(format!(
            "the IPFS gateway `{gateway}` is not an http:// or https:// URL"
        ));
    }
    Ok(gateway.trim_end_matches('/').to_string())
}

/// The content inside an expanded gateway TAR: its single top-level entry (named after the
/// CID, a file or a directory), or the whole directory if the gateway put several there.
fn root_of(dir: &Path, cid: &str) -> Result<(std::path::PathBuf, Kind), String> {
    let read = |e: std::io::Error| format!("failed to read {}: {}", dir.display(), io_message(&e));
    let mut entries = fs::read_dir(dir)
        .map_err(read)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(read)?;
    match entries.as_mut_slice() {
        [] => Err(format!("the gateway's TAR for {cid} is empty")),
        [one] => {
            let meta = fs::symlink_metadata(&*one).map_err(read)?;
            if meta.is_dir() {
                Ok((one.clone(), Kind::Dir))
            } else if meta.is_file() {
                Ok((one.clone(), Kind::File))
            } else {
                Err(format!(
                    "the gateway's TAR for {cid} holds only a symlink, `{}`",
                    one.file_name().unwrap_or_default().to_string_lossy()
                ))
            }
        }
        _ => Ok((dir.to_path_buf(), Kind::Dir)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::TempDir;
    use super::super::{Cache, Options, Workspace};
    use super::*;

    fn context(tmp: &TempDir, gateway: Option<&str>) -> Context {
        Context {
            workspace: Workspace::new(tmp.path().to_path_buf()),
            cache: Cache::open(tmp.path().join("cache")),
            options: Options {
                ipfs_gateway: gateway.map(str::to_string),
                ..Options::default()
            },
        }
    }

    const CID: &str = "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e";

    fn cid() -> Cid {
        crate::spec::cid::parse(CID).unwrap()
    }

    #[test]
    fn no_gateway_names_the_flag_and_the_variable() {
        let tmp = TempDir::new();
        for gateway in [None, Some(""), Some("  ")] {
            let err = fetch(&cid(), &tmp.path().join("x"), &context(&tmp, gateway)).unwrap_err();
            assert_eq!(
                err,
                "no IPFS gateway configured: pass --ipfs-gateway URL or set BOLINHO_IPFS_GATEWAY \
                 (e.g. https://ipfs.io)"
            );
        }
        let err = fetch(
            &cid(),
            &tmp.path().join("x"),
            &context(&tmp, Some("ipfs.io")),
        )
        .unwrap_err();
        assert_eq!(
            err,
            "the IPFS gateway `ipfs.io` is not an http:// or https:// URL"
        );
    }

    #[test]
    fn offline_serves_a_cached_raw_block() {
        let tmp = TempDir::new();
        // Offline, no gateway is needed.
        let mut ctx = context(&tmp, None);
        ctx.options.offline = true;
        let slot = tmp.path().join("ipfs-0");
        let err = fetch(&cid(), &slot, &ctx).unwrap_err();
        assert!(err.contains("--offline is set"), "{err}");
        ctx.cache
            .store(
                &format!("ipfs://{CID}"),
                Default::default(),
                &mut &b"hello world"[..],
                100,
                None,
            )
            .unwrap();
        let fetched = fetch(&cid(), &slot, &ctx).unwrap();
        assert_eq!((fetched.path, fetched.kind), (slot.clone(), Kind::File));
        assert_eq!(fs::read(&slot).unwrap(), b"hello world");
    }

    #[test]
    fn the_root_of_a_gateway_tar() {
        let tmp = TempDir::new();
        let dir = tmp.path().join("d");
        fs::create_dir(&dir).unwrap();
        assert_eq!(
            root_of(&dir, "c").unwrap_err(),
            "the gateway's TAR for c is empty"
        );
        tmp.write("d/c/a.txt", b"a");
        assert_eq!(root_of(&dir, "c").unwrap(), (dir.join("c"), Kind::Dir));
        tmp.write("d/other", b"b");
        assert_eq!(root_of(&dir, "c").unwrap(), (dir.clone(), Kind::Dir));
        let file = tmp.path().join("f");
        fs::create_dir(&file).unwrap();
        tmp.write("f/c", b"x");
        assert_eq!(root_of(&file, "c").unwrap(), (file.join("c"), Kind::File));
    }
}
