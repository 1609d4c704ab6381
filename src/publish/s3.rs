//! The S3 publisher: every file of a finished results directory becomes one object, named
//! `<prefix><path relative to the directory>` (`/`-separated).
//!
//! A file up to the part size is one PutObject; a larger one is a multipart upload in parts of
//! that size (16 MiB, or more for a file that would need over 10,000 parts, S3's limit), and a
//! failed multipart upload is aborted so its parts are not left behind. An empty directory
//! becomes a zero-byte `<path>/` marker object, which the S3 source turns back into a
//! directory. Symlinks (a guest may create them in its outputs) are skipped with a warning and
//! never followed: their targets are on this host, not in the results. Files are read one part
//! at a time; nothing is uploaded in parallel.
//!
//! Testing aid: `BOLINHO_S3_PART_SIZE` (bytes) sets the part size; AWS needs at least 5 MiB.

use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use crate::remote::s3::Client;

/// The part size, and the largest file sent in one PutObject.
pub const PART_SIZE: u64 = 16 << 20;
/// S3's limit on the parts of one upload.
const MAX_PARTS: u64 = 10_000;

/// The part size in force: [`PART_SIZE`] unless `BOLINHO_S3_PART_SIZE` says otherwise.
pub fn part_size() -> u64 {
    std::env::var("BOLINHO_S3_PART_SIZE")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(PART_SIZE)
}

/// Uploads the tree below `dir` under `prefix` (empty, or ending in `/`).
pub fn upload_dir(client: &Client, prefix: &str, dir: &Path, part_size: u64) -> Result<(), String> {
    let mut items = Vec::new();
    collect(dir, "", &mut items)?;
    for item in items {
        let key = format!("{prefix}{}", item.rel);
        match item.size {
            None => client
                .put_object(&key, &[])
                .map_err(|e| format!("failed to create {key}: {e}"))?,
            Some(size) => upload_file(client, &key, &item.path, size, part_size)
                .map_err(|e| format!("failed to upload {}: {e}", item.rel))?,
        }
    }
    Ok(())
}

/// What to upload: a file (with its size) or an empty directory's marker (`rel` ends in `/`).
struct Item {
    rel: String,
    path: std::path::PathBuf,
    size: Option<u64>,
}

/// The files and empty directories below `dir`, sorted by path.
fn collect(dir: &Path, rel: &str, out: &mut Vec<Item>) -> Result<(), String> {
    let read = |e: std::io::Error| format!("failed to read {}: {e}", dir.display());
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(read)?
        .collect::<Result<_, _>>()
        .map_err(read)?;
    entries.sort_by_key(|e| e.file_name());
    if entries.is_empty() && !rel.is_empty() {
        out.push(Item {
            rel: rel.to_string(),
            path: dir.to_path_buf(),
            size: None,
        });
    }
    for entry in entries {
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(format!(
                "{} is not a UTF-8 name, which an S3 key must be",
                entry.path().display()
            ));
        };
        // `file_type` does not follow symlinks.
        let kind = entry.file_type().map_err(read)?;
        let path = entry.path();
        if kind.is_dir() {
            collect(&path, &format!("{rel}{name}/"), out)?;
        } else if kind.is_file() {
            let size = entry.metadata().map_err(read)?.len();
            out.push(Item {
                rel: format!("{rel}{name}"),
                path,
                size: Some(size),
            });
        } else {
            eprintln!(
                "bolinho: warning: not publishing {rel}{name}: only regular files and directories are published"
            );
        }
    }
    Ok(())
}

/// The part size for a file of `size` bytes: `part_size`, or larger to stay within 10,000 parts.
fn part_for(size: u64, part_size: u64) -> u64 {
    part_size.max(size.div_ceil(MAX_PARTS))
}

fn upload_file(
    client: &Client,
    key: &str,
    path: &Path,
    size: u64,
    part_size: u64,
) -> Result<(), String> {
    let mut file =
        File::open(path).map_err(|e| format!("failed to open {}: {e}", path.display()))?;
    let mut read = |buf: &mut Vec<u8>, limit: u64| {
        buf.clear();
        (&mut file)
            .take(limit)
            .read_to_end(buf)
            .map_err(|e| format!("failed to read {}: {e}", path.display()))
    };
    let mut buf = Vec::new();
    if size <= part_size {
        read(&mut buf, u64::MAX)?;
        return client.put_object(key, &buf).map_err(|e| e.message);
    }
    let part = part_for(size, part_size);
    let upload = client.create_multipart(key).map_err(|e| e.message)?;
    let mut send_parts = || -> Result<(), String> {
        let mut etags = Vec::new();
        loop {
            read(&mut buf, part)?;
            if buf.is_empty() && !etags.is_empty() {
                break;
            }
            let number = u16::try_from(etags.len() + 1)
                .map_err(|_| format!("more than {MAX_PARTS} parts"))?;
            let etag = client
                .upload_part(key, &upload, number, &buf)
                .map_err(|e| format!("part {number}: {e}"))?;
            etags.push(etag);
            if (buf.len() as u64) < part {
                break;
            }
        }
        client
            .complete_multipart(key, &upload, &etags)
            .map_err(|e| e.message)
    };
    let result = send_parts();
    if result.is_err() {
        client.abort_multipart(key, &upload);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_grow_only_past_ten_thousand() {
        assert_eq!(part_for(100, PART_SIZE), PART_SIZE);
        assert_eq!(part_for(10_000 * PART_SIZE, PART_SIZE), PART_SIZE);
        assert_eq!(part_for(10_000 * PART_SIZE + 1, PART_SIZE), PART_SIZE + 1);
        assert_eq!(part_for(5 << 40, PART_SIZE), 549_755_814);
    }

    #[test]
    fn the_tree_is_files_and_empty_directories_without_symlinks() {
        let tmp = std::env::temp_dir().join(format!("bolinho-publish-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tmp);
        fs::create_dir_all(tmp.join("outputs/empty")).unwrap();
        fs::create_dir_all(tmp.join("outputs/sub")).unwrap();
        fs::write(tmp.join("stdout"), "out").unwrap();
        fs::write(tmp.join("outputs/sub/b.txt"), "bb").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", tmp.join("outputs/link")).unwrap();
        let mut items = Vec::new();
        collect(&tmp, "", &mut items).unwrap();
        let got: Vec<(&str, Option<u64>)> =
            items.iter().map(|i| (i.rel.as_str(), i.size)).collect();
        assert_eq!(
            got,
            [
                ("outputs/empty/", None),
                ("outputs/sub/b.txt", Some(2)),
                ("stdout", Some(3)),
            ]
        );
        fs::remove_dir_all(&tmp).unwrap();
    }
}
