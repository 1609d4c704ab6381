//! `s3` sources: always a directory, as Bacalhau's storage provider mounts one
//! (`pkg/storage/s3/storage.go`: every object lands below a fresh directory).
//!
//! A `Key` that is not a prefix is one object, placed in the directory under the key's last
//! segment: `Key: data/file.csv` gives `file.csv`, so with `Target: /inputs` the guest reads
//! `/inputs/file.csv`. (A module source that is a directory resolves to its single `.wasm`,
//! so `Target: /app/x.wasm` with `EntryModule: /app/x.wasm` still runs `/app/x.wasm/x.wasm`.)
//!
//! A `Key` ending in `/` or `*`, or no `Key` at all, is a prefix (bacalhau-compat.md §3): it is
//! listed page by page (ListObjectsV2, continuation tokens), the keys are filtered by `Filter`
//! (matched against the key with the `Key` prefix removed, as Bacalhau does; see `filter`),
//! and every object is placed at its key below the prefix's last `/`: `Key: data/` gives
//! `data/a/b.csv` as `a/b.csv`, `Key: data/2024-*` gives `data/2024-05.csv` as `2024-05.csv`.
//! Keys ending in `/` are directory markers and become empty directories. An empty prefix is an
//! empty directory (as in Bacalhau), with a warning.
//!
//! Every object goes through the cache (`cache.rs`), keyed `s3://<endpoint>/<bucket>/<key>`
//! (plus `?versionId=<id>`): a cached object is revalidated with `If-None-Match` (a single
//! object), or reused without a request when the listing shows the ETag it was cached with (a
//! prefix) or when it is a `VersionID` (versions never change). The last listing of a prefix is
//! kept in the cache too, so `--offline` can serve a prefix; with `--offline` nothing is asked
//! of the server and a miss is an error naming the object.
//!
//! `ChecksumSHA256` (64 hex digits, or S3's base64 form) is checked on every run, cached or
//! not, and a mismatch refuses to run, naming both digests. The source's own parameters were
//! checked with the job (`spec::s3`: Filter syntax, parameters that only apply to a prefix or
//! to one object, keys a URL cannot address); a listed key that cannot be a path below the
//! prefix is refused before anything of it is fetched. This file writes only inside the slot
//! it is given.
//!
//! Testing aid: `BOLINHO_S3_PAGE_SIZE` (an integer) asks for listing pages of that many keys.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::cache::{Entry, Validators};
use super::{Context, Fetched, Kind, io_message, progress};
use crate::remote::s3::{Client, Condition, Got, Listed, Settings};
use crate::spec::plan::S3Source;
use crate::spec::{Checksum, Filter};

/// The largest object S3 stores (5 TiB): the bound when a server sends no `Content-Length`.
const MAX_OBJECT: u64 = 5 << 40;

/// Materialises `source` at `slot` (a workspace path that does not exist yet).
pub(super) fn fetch(source: &S3Source, slot: &Path, ctx: &Context) -> Result<Fetched, String> {
    let settings = Settings::from_env(source.endpoint.as_deref(), source.region.as_deref())?;
    let client = Client::new(settings, &source.bucket)?;
    let s3 = Bucket {
        client: &client,
        name: &source.bucket,
        ctx,
    };
    match source.prefix() {
        None => s3.one(
            &source.key,
            source.version_id.as_deref(),
            source.checksum_sha256.as_ref(),
            slot,
        )?,
        Some(prefix) => s3.prefix(prefix, source.filter.as_ref(), slot)?,
    }
    Ok(Fetched {
        path: slot.to_path_buf(),
        kind: Kind::Dir,
        writable: false,
    })
}

/// The cache key of an object.
fn object_key(settings: &Settings, bucket: &str, key: &str, version: Option<&str>) -> String {
    let mut k = format!("s3://{}/{bucket}/{key}", settings.endpoint_id());
    if let Some(version) = version {
        k.push_str("?versionId=");
        k.push_str(version);
    }
    k
}

/// The cache key of a prefix's last listing.
fn listing_key(settings: &Settings, bucket: &str, prefix: &str) -> String {
    format!("s3-listing://{}/{bucket}/{prefix}", settings.endpoint_id())
}

/// One listed object as the cache keeps it.
#[derive(Serialize, Deserialize)]
struct ListedRecord {
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    size: u64,
}

/// A bucket and what fetching from it needs.
struct Bucket<'a> {
    client: &'a Client,
    name: &'a str,
    ctx: &'a Context,
}

impl Bucket<'_> {
    fn label(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }

    /// The cache entry holding object `key`, downloading only what the cache lacks. `listed`
    /// is the ETag a listing just gave (the object is then fetched only if it changed, and
    /// only as that version of it).
    fn object(
        &self,
        key: &str,
        version: Option<&str>,
        listed: Option<&str>,
        checksum: Option<&Checksum>,
    ) -> Result<Entry, String> {
        let (ctx, settings) = (self.ctx, self.client.settings());
        let cache_key = object_key(settings, self.name, key, version);
        let _held = ctx.cache.hold(&cache_key);
        let cached = ctx.cache.lookup(&cache_key);
        let checked = |entry: Entry| match checksum {
            Some(c) => c.verify(&entry.sha256).map(|()| entry),
            None => Ok(entry),
        };
        if ctx.options.offline {
            let entry = cached.ok_or_else(|| {
                format!(
                    "{} is not in the download cache ({}), and --offline is set",
                    self.label(key),
                    ctx.cache.root().display()
                )
            })?;
            return checked(entry);
        }
        let unchanged = |e: &Entry| {
            version.is_some() || (listed.is_some() && e.validators.etag.as_deref() == listed)
        };
        if let Some(entry) = cached.as_ref().filter(|e| unchanged(e)) {
            return checked(entry.clone());
        }
        let condition = match (
            listed,
            cached.as_ref().and_then(|e| e.validators.etag.as_deref()),
        ) {
            (Some(etag), _) => Condition::IfMatch(etag),
            (None, Some(etag)) => Condition::IfNoneMatch(etag),
            (None, None) => Condition::None,
        };
        let got = self
            .client
            .get_object(key, version, condition)
            .map_err(|e| {
                let message = match e.status {
                    Some(412) => format!(
                        "{} changed while its prefix was being fetched; run the job again ({e})",
                        self.label(key)
                    ),
                    _ => e.message,
                };
                with_cached_hint(message, cached.is_some())
            })?;
        match got {
            Got::NotModified { etag } => {
                let Some(mut entry) = cached else {
                    return Err(format!(
                        "the server answered 304 Not Modified for {}, which is not cached",
                        self.label(key)
                    ));
                };
                if etag.is_some() {
                    entry.validators.etag = etag;
                }
                ctx.cache.remember(&cache_key, &entry)?;
                checked(entry)
            }
            Got::Object(object) => {
                let validators = Validators {
                    etag: object.etag,
                    last_modified: object.last_modified,
                    version_id: object.version_id,
                };
                let label = self.label(key);
                let mut body =
                    progress::reader(object.body, object.length, &label, ctx.options.progress);
                let limit = object.length.unwrap_or(MAX_OBJECT);
                let expected = checksum.map(|c| c.hex.as_str());
                ctx.cache
                    .store(&cache_key, validators, &mut body, limit, expected)
                    .map_err(|e| checksum.map_or(e.clone(), |c| c.explain(e)))
            }
        }
    }

    /// Materialises object `key` as a directory at `slot` holding it under the key's last
    /// segment, as Bacalhau does (`Key: data/file.csv` gives `<slot>/file.csv`).
    fn one(
        &self,
        key: &str,
        version: Option<&str>,
        checksum: Option<&Checksum>,
        slot: &Path,
    ) -> Result<(), String> {
        // `spec` refuses keys with `.` or `..` segments; a single object's key does not end
        // in `/`, so its last segment is a plain name (checked anyway: it becomes a path).
        let name = key.rsplit('/').next().unwrap_or(key);
        let Some(name) = relative_path(name)
            .map_err(|why| format!("object key `{key}` cannot name a file: {why}"))?
        else {
            return Err(format!(
                "object key `{key}` cannot name a file: it is empty"
            ));
        };
        let entry = self.object(key, version, None, checksum)?;
        fs::create_dir(slot)
            .map_err(|e| format!("failed to create {}: {}", slot.display(), io_message(&e)))?;
        self.ctx.cache.materialize(&entry, &slot.join(name))
    }

    /// Every object below `prefix` (from the server, or from the cache when offline).
    fn listing(&self, prefix: &str) -> Result<Vec<Listed>, String> {
        let (ctx, settings) = (self.ctx, self.client.settings());
        let key = listing_key(settings, self.name, prefix);
        if ctx.options.offline {
            let entry = ctx.cache.lookup(&key).ok_or_else(|| {
                format!(
                    "the listing of {} is not in the download cache ({}), and --offline is set",
                    self.label(prefix),
                    ctx.cache.root().display()
                )
            })?;
            let text = fs::read(&entry.path).map_err(|e| {
                format!(
                    "failed to read {}: {}",
                    entry.path.display(),
                    io_message(&e)
                )
            })?;
            let records: Vec<ListedRecord> = serde_json::from_slice(&text).map_err(|e| {
                format!(
                    "the cached listing {} is damaged: {e}",
                    entry.path.display()
                )
            })?;
            return Ok(records
                .into_iter()
                .map(|r| Listed {
                    key: r.key,
                    etag: r.etag,
                    size: r.size,
                })
                .collect());
        }
        let page_size = std::env::var("BOLINHO_S3_PAGE_SIZE")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&n| n > 0);
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_page(prefix, token.as_deref(), page_size)
                .map_err(|e| with_cached_hint(e.message, ctx.cache.lookup(&key).is_some()))?;
            objects.extend(page.objects);
            match page.next {
                // A server repeating a token would have us list for ever.
                Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                Some(_) => return Err("the server repeated a listing continuation token".into()),
                None => break,
            }
        }
        let records: Vec<ListedRecord> = objects
            .iter()
            .map(|o| ListedRecord {
                key: o.key.clone(),
                etag: o.etag.clone(),
                size: o.size,
            })
            .collect();
        let json = serde_json::to_vec(&records).expect("a listing always serialises");
        ctx.cache.store(
            &key,
            Validators::default(),
            &mut json.as_slice(),
            u64::MAX,
            None,
        )?;
        Ok(objects)
    }

    /// Materialises the objects below `prefix` that `filter` keeps as a directory at `slot`.
    fn prefix(&self, prefix: &str, filter: Option<&Filter>, slot: &Path) -> Result<(), String> {
        let listing = self.listing(prefix)?;
        // Paths start after the prefix's last `/`: its "directory" part.
        let base = prefix.rfind('/').map_or(0, |i| i + 1);
        fs::create_dir(slot)
            .map_err(|e| format!("failed to create {}: {}", slot.display(), io_message(&e)))?;
        let mut placed = 0usize;
        for object in &listing {
            let Some(below) = object.key.strip_prefix(prefix) else {
                return Err(format!(
                    "the listing of {} returned `{}`, which is outside it",
                    self.label(prefix),
                    object.key
                ));
            };
            if filter.is_some_and(|f| !f.is_match(below)) {
                continue;
            }
            let Some(path) = relative_path(&object.key[base..]).map_err(|why| {
                format!(
                    "object key `{}` cannot be a path below {}: {why}",
                    object.key,
                    self.label(prefix)
                )
            })?
            else {
                continue; // the prefix's own directory marker
            };
            let dest = slot.join(&path);
            let create_dir = |dir: &Path| {
                fs::create_dir_all(dir).map_err(|e| {
                    format!(
                        "failed to place {}: failed to create directory {}: {}",
                        self.label(&object.key),
                        dir.display(),
                        io_message(&e)
                    )
                })
            };
            if object.key.ends_with('/') {
                create_dir(&dest)?;
                placed += 1;
                continue;
            }
            if let Some(parent) = dest.parent() {
                create_dir(parent)?;
            }
            let entry = self
                .object(&object.key, None, object.etag.as_deref(), None)
                .map_err(|e| format!("failed to download {}: {e}", self.label(&object.key)))?;
            self.ctx
                .cache
                .materialize(&entry, &dest)
                .map_err(|e| format!("failed to place {}: {e}", self.label(&object.key)))?;
            placed += 1;
        }
        if placed == 0 {
            let matching = filter.map_or(String::new(), |f| {
                format!(" matching Filter `{}`", f.pattern())
            });
            eprintln!(
                "bolinho: warning: {} holds no objects{matching}; the guest sees an empty directory",
                self.label(prefix)
            );
        }
        Ok(())
    }
}

/// A failure, saying so when a cached copy exists: it is never used silently when the server
/// cannot be asked, but `--offline` uses it (the words of `http.rs`).
fn with_cached_hint(mut message: String, cached: bool) -> String {
    if cached {
        message.push_str("; a cached copy exists, and --offline would use it");
    }
    message
}

/// The relative path for a key below a prefix's directory: its `/`-separated components, each
/// a plain name (not empty, `.` or `..`). A trailing `/` (a directory marker) is allowed;
/// `None` for the empty path (the prefix's own marker).
fn relative_path(rel: &str) -> Result<Option<PathBuf>, String> {
    let rel = rel.strip_suffix('/').unwrap_or(rel);
    if rel.is_empty() {
        return Ok(None);
    }
    let mut path = PathBuf::new();
    for component in rel.split('/') {
        match component {
            "" => return Err("it has an empty path component (`//` or a leading `/`)".into()),
            "." | ".." => return Err(format!("it has a `{component}` component")),
            c if c.contains('\0') => return Err("it contains a NUL byte".into()),
            c => path.push(c),
        }
    }
    Ok(Some(path))
}

#[cfg(test)]
mod tests;
