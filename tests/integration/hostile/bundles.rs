//! A bundle handed to `verify` is hostile input: each attack below is refused with exit 120 and
//! a message naming the bundle and the entry, and nothing is written outside `verify`'s own
//! scratch directory (which is gone when it ends); a receipt's plan in a bundle names host
//! paths that are never read.

use std::fs;

use tar::EntryType;

use crate::bundle::{
    Entry, blob_name, entries, pack, receipt_of, run_and_bundle, transform_job, verify_elsewhere,
    with_receipt,
};
use crate::support::sha256;

/// A run's bundle, as entries to tamper with.
fn bundle_entries(name: &str) -> Vec<Entry> {
    let dir = transform_job(name);
    entries(&run_and_bundle(&dir))
}

/// Verifies `entries` packed, elsewhere; expects exit 120, nothing on stdout, and returns the
/// error with `bolinho: error: failed to read bundle job.bundle: ` taken off.
fn refused(entries: &[Entry]) -> String {
    refused_bytes(&pack(entries))
}

fn refused_bytes(bundle: &[u8]) -> String {
    let (out, elsewhere) = verify_elsewhere(bundle, &[]);
    assert_eq!((out.code, out.stdout.as_str()), (120, ""), "{}", out.stderr);
    assert_eq!(crate::support::names(elsewhere.path()), ["job.bundle"]);
    let prefix = "bolinho: error: failed to read bundle job.bundle: ";
    out.stderr
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{}", out.stderr))
        .trim_end()
        .to_string()
}

/// The index of the blob entry holding `content`.
fn blob(entries: &[Entry], content: &[u8]) -> usize {
    let name = blob_name(content);
    entries.iter().position(|e| e.name == name).unwrap()
}

fn text(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

#[test]
fn a_tampered_blob_is_refused() {
    let mut entries = bundle_entries("bundle-tampered");
    let i = blob(&entries, b"alpha\n");
    entries[i].data = b"ALPHA\n".to_vec();
    assert_eq!(
        refused(&entries),
        format!(
            "entry `{}`: its bytes hash to {}, not to its name",
            text(&entries[i].name),
            sha256(b"ALPHA\n")
        )
    );
}

#[test]
fn a_blob_whose_name_and_content_differ_is_refused() {
    let mut entries = bundle_entries("bundle-swapped");
    let (a, b) = (blob(&entries, b"alpha\n"), blob(&entries, b"beta\n"));
    let name = entries[a].name.clone();
    entries[a].name = entries[b].name.clone();
    entries[b].name = name;
    let first = a.min(b);
    assert_eq!(
        refused(&entries),
        format!(
            "entry `{}`: its bytes hash to {}, not to its name",
            text(&entries[first].name),
            sha256(&entries[first].data)
        )
    );
}

#[test]
fn entries_that_are_not_blobs_of_the_receipt_are_refused() {
    let entries = bundle_entries("bundle-names");
    let alpha = blob(&entries, b"alpha\n");
    let holds = "not a name a bundle holds (`bundle.json`, `receipt.json`, then `blobs/sha256/` \
                 and a sha256 in lower-case hex)";
    let cases: Vec<(Entry, String)> = vec![
        (
            Entry {
                name: b"../../escaped".to_vec(),
                ..entries[alpha].clone()
            },
            format!("entry `../../escaped`: {holds}"),
        ),
        (
            Entry {
                name: b"blobs/sha256/../../../escaped".to_vec(),
                ..entries[alpha].clone()
            },
            format!("entry `blobs/sha256/../../../escaped`: {holds}"),
        ),
        (
            Entry {
                name: b"/tmp/escaped".to_vec(),
                ..entries[alpha].clone()
            },
            format!("entry `/tmp/escaped`: {holds}"),
        ),
        (
            Entry {
                name: blob_name(b"not needed"),
                kind: EntryType::Regular,
                data: b"not needed".to_vec(),
            },
            format!(
                "entry `{}`: a blob the receipt does not need",
                text(&blob_name(b"not needed"))
            ),
        ),
        (
            entries[alpha].clone(),
            format!(
                "entry `{}`: a second copy of a blob; each is stored once",
                text(&entries[alpha].name)
            ),
        ),
    ];
    for (extra, why) in cases {
        let mut tampered = entries.clone();
        tampered.push(extra);
        assert_eq!(refused(&tampered), why);
    }
}

#[test]
fn links_and_other_kinds_of_entries_are_refused() {
    let entries = bundle_entries("bundle-kinds");
    let alpha = blob(&entries, b"alpha\n");
    for (kind, what) in [
        (EntryType::Symlink, "a symbolic link"),
        (EntryType::Link, "a hard link"),
        (EntryType::Directory, "a directory"),
        (EntryType::Fifo, "a FIFO"),
        (EntryType::GNULongName, "a GNU long name"),
        (EntryType::XHeader, "a pax header"),
    ] {
        let mut tampered = entries.clone();
        tampered[alpha].kind = kind;
        tampered[alpha].data.clear();
        assert_eq!(
            refused(&tampered),
            format!(
                "entry `{}`: {what}, where a bundle holds regular files only",
                text(&entries[alpha].name)
            )
        );
    }
}

#[test]
fn an_oversized_entry_is_refused_before_it_is_read() {
    let entries = bundle_entries("bundle-oversized");
    let alpha = blob(&entries, b"alpha\n");
    // A header claiming 5 GiB, and no data at all: refused on the header.
    let mut bytes = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut bytes, flate2::Compression::default());
        let mut tar = tar::Builder::new(gz);
        for entry in &entries[..alpha] {
            let mut header = tar::Header::new_ustar();
            header.set_path(text(&entry.name)).unwrap();
            header.set_size(entry.data.len() as u64);
            header.set_cksum();
            tar.append(&header, entry.data.as_slice()).unwrap();
        }
        let mut header = tar::Header::new_ustar();
        header.set_path(text(&entries[alpha].name)).unwrap();
        header.set_size(5 << 30);
        header.set_cksum();
        tar.get_mut().write_all_header(&header);
        tar.into_inner().unwrap().finish().unwrap();
    }
    assert_eq!(
        refused_bytes(&bytes),
        format!(
            "entry `{}`: 5368709120 bytes, more than the 4294967296 a blob may hold",
            text(&entries[alpha].name)
        )
    );
}

/// Writes a raw header block into a tar stream.
trait RawHeader {
    fn write_all_header(&mut self, header: &tar::Header);
}

impl<W: std::io::Write> RawHeader for W {
    fn write_all_header(&mut self, header: &tar::Header) {
        self.write_all(header.as_bytes()).unwrap();
    }
}

#[test]
fn a_truncated_or_padded_bundle_is_refused() {
    let dir = transform_job("bundle-truncated");
    let bundle = fs::read(run_and_bundle(&dir)).unwrap();
    // Cut in its gzip trailer, in a blob, in the compressed stream's first block.
    assert_eq!(
        refused_bytes(&bundle[..bundle.len() - 4]),
        "the compressed stream is broken: unexpected end of file"
    );
    let half = refused_bytes(&bundle[..bundle.len() / 2]);
    assert!(half.ends_with("incomplete deflate stream"), "{half}");
    assert_eq!(
        refused_bytes(&bundle[..10]),
        "a broken archive: incomplete deflate stream"
    );
    let padded = [bundle.as_slice(), b"trailing"].concat();
    assert_eq!(
        refused_bytes(&padded),
        "data after the compressed stream's end"
    );
    let entries = entries(&run_and_bundle(&transform_job("bundle-missing")));
    let alpha = blob(&entries, b"alpha\n");
    let mut missing = entries.clone();
    missing.remove(alpha);
    assert_eq!(
        refused(&missing),
        format!(
            "it lacks the blob {} (input /inputs/a.txt)",
            sha256(b"alpha\n")
        )
    );
    assert_eq!(refused(&entries[..1]), "it holds no `receipt.json`");
    let mut swapped = entries.clone();
    swapped.swap(0, 1);
    assert_eq!(
        refused(&swapped),
        "entry `receipt.json`: the first entry of a bundle is `bundle.json`"
    );
    let mut newer = entries.clone();
    newer[0].data = br#"{"format":"bolinho-bundle","version":2}"#.to_vec();
    assert_eq!(
        refused(&newer),
        "entry `bundle.json`: a bundle of format version 2; this bolinho reads version 1"
    );
}

#[test]
fn a_bundle_never_reads_the_host_paths_its_plan_names() {
    // The plan names /etc/passwd for the inputs and a module that does not exist: had verify
    // read either, the guest would not have been given what the receipt records.
    let entries = bundle_entries("bundle-host-paths");
    let mut receipt = receipt_of(&entries);
    receipt["plan"]["inputs"][0]["source"]["path"] = "/nonexistent/transform.wasm".into();
    receipt["plan"]["inputs"][1]["source"]["path"] = "/etc/passwd".into();
    let (out, _elsewhere) = verify_elsewhere(&pack(&with_receipt(&entries, &receipt)), &[]);
    crate::support::assert_all_ok(&out);
}

#[test]
fn a_receipt_whose_inputs_would_climb_out_of_the_scratch_directory_is_refused() {
    let entries = bundle_entries("bundle-climb");
    let victim = crate::support::TempDir::new("bundle-victim");
    let alpha = sha256(b"alpha\n");
    let cases = [
        // A link to a host directory, and a file below it: nothing is created through a link.
        (
            vec![
                ("/inputs/l", format!("symlink:{}", sha256(b"a.txt"))),
                ("/inputs/l/x", alpha.clone()),
            ],
            "failed to rebuild input /inputs/l from the bundle: file exists",
        ),
        (
            vec![("/inputs/../../x", alpha.clone())],
            "the bundle cannot be replayed: input /inputs/../../x: the name `..` is not a file \
             name",
        ),
        (
            vec![("/inputs/a\\x2f..\\x2f..\\x2fx", alpha.clone())],
            "the bundle cannot be replayed: input /inputs/a\\x2f..\\x2f..\\x2fx: the name \
             `a\\\\x2f..\\\\x2f..\\\\x2fx` holds a `/` or NUL byte",
        ),
        (
            vec![("/elsewhere/x", alpha.clone())],
            "the bundle cannot be replayed: it records input /elsewhere/x, which no input's \
             Target holds",
        ),
    ];
    for (added, why) in cases {
        let mut receipt = receipt_of(&entries);
        for (key, value) in &added {
            receipt["inputs"][*key] = value.clone().into();
        }
        let (out, _elsewhere) = verify_elsewhere(&pack(&with_receipt(&entries, &receipt)), &[]);
        assert_eq!((out.code, out.stdout.as_str()), (120, ""), "{}", out.stderr);
        assert_eq!(out.stderr, format!("bolinho: error: {why}\n"));
    }
    // An input whose root is a link would be followed when mounted.
    let mut receipt = receipt_of(&entries);
    let inputs = receipt["plan"]["inputs"].as_array_mut().unwrap();
    inputs.push(serde_json::json!({
        "source": {"type": "local", "path": victim.path(), "readWrite": true, "createAs": "noCreate"},
        "target": "/l",
        "field": "Tasks[0].InputSources[2]",
    }));
    let link = format!("symlink:{}", sha256(b"a.txt"));
    receipt["inputs"]["/l"] = link.clone().into();
    let (out, _elsewhere) = verify_elsewhere(&pack(&with_receipt(&entries, &receipt)), &[]);
    assert_eq!((out.code, out.stdout.as_str()), (120, ""), "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "bolinho: error: the bundle cannot be replayed: it records the input at /l as \
             `{link}`; a replay mounts files and directories only\n"
        )
    );
    assert_eq!(crate::support::names(victim.path()), Vec::<String>::new());
}
