//! Tests of safe tar.gz expansion, with archives built in memory (malicious ones included).

use super::super::test_util::{Entry, TempDir, gzip, tar, targz};
use super::*;

/// Expands `gz` into `<tmp>/out` with a generous bound.
fn expand_in(tmp: &TempDir, gz: &[u8]) -> Result<PathBuf, String> {
    let dest = tmp.path().join("out");
    expand(gz, &dest, MAX_EXPANDED).map(|()| dest)
}

fn refused(entries: &[Entry<'_>]) -> String {
    let tmp = TempDir::new();
    let err = expand_in(&tmp, &targz(entries)).unwrap_err();
    // Whatever was refused, nothing appeared beside the destination.
    let mut beside: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    beside.sort();
    assert_eq!(beside, ["out"], "{err}");
    err
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn expands_files_directories_and_implicit_parents() {
    let tmp = TempDir::new();
    let gz = targz(&[
        Entry::Dir("./"),
        Entry::Dir("docs/"),
        Entry::File("docs/a.txt", b"alpha"),
        Entry::File("./deep/er/b.txt", b"beta"),
        Entry::File("empty", b""),
    ]);
    let out = expand_in(&tmp, &gz).unwrap();
    assert_eq!(fs::read(out.join("docs/a.txt")).unwrap(), b"alpha");
    assert_eq!(fs::read(out.join("deep/er/b.txt")).unwrap(), b"beta");
    assert_eq!(fs::read(out.join("empty")).unwrap(), b"");
}

#[test]
fn a_later_entry_replaces_an_earlier_file() {
    let tmp = TempDir::new();
    let out = expand_in(
        &tmp,
        &targz(&[Entry::File("a", b"one"), Entry::File("a", b"two")]),
    )
    .unwrap();
    assert_eq!(fs::read(out.join("a")).unwrap(), b"two");
}

#[cfg(unix)]
#[test]
fn keeps_only_the_owner_mode_bits() {
    let tmp = TempDir::new();
    let gz = targz(&[
        Entry::FileMode("setuid", b"x", 0o4755),
        Entry::FileMode("private", b"x", 0o600),
        Entry::FileMode("unreadable", b"x", 0o000),
        Entry::FileMode("exec", b"x", 0o777),
        Entry::Dir("d"),
    ]);
    let out = expand_in(&tmp, &gz).unwrap();
    assert_eq!(mode(&out.join("setuid")), 0o700);
    assert_eq!(mode(&out.join("private")), 0o600);
    assert_eq!(mode(&out.join("unreadable")), 0o400);
    assert_eq!(mode(&out.join("exec")), 0o700);
    assert_eq!(mode(&out.join("d")), 0o700);
    assert_eq!(mode(&out), 0o700);
}

#[cfg(unix)]
#[test]
fn in_tree_symlinks_are_kept() {
    let tmp = TempDir::new();
    let gz = targz(&[
        Entry::File("data/real.txt", b"real"),
        Entry::Symlink("top", "data/real.txt"),
        Entry::Symlink("data/sibling", "real.txt"),
        Entry::Symlink("data/up", "../top"),
        Entry::Symlink("data/root", ".."),
        Entry::Symlink("dangling", "nowhere/yet"),
    ]);
    let out = expand_in(&tmp, &gz).unwrap();
    assert_eq!(fs::read(out.join("top")).unwrap(), b"real");
    assert_eq!(fs::read(out.join("data/sibling")).unwrap(), b"real");
    assert_eq!(fs::read(out.join("data/up")).unwrap(), b"real");
    assert_eq!(
        fs::read_link(out.join("data/root")).unwrap(),
        Path::new("..")
    );
}

#[test]
fn hard_links_are_copies_of_earlier_files() {
    let tmp = TempDir::new();
    let gz = targz(&[
        Entry::File("a/orig", b"shared"),
        Entry::HardLink("b/copy", "a/orig"),
    ]);
    let out = expand_in(&tmp, &gz).unwrap();
    assert_eq!(fs::read(out.join("b/copy")).unwrap(), b"shared");
}

#[test]
fn refuses_parent_components() {
    assert_eq!(
        refused(&[Entry::File("../evil", b"x")]),
        "refused entry `../evil`: path contains `..`"
    );
    assert_eq!(
        refused(&[Entry::File("a/../../evil", b"x")]),
        "refused entry `a/../../evil`: path contains `..`"
    );
    assert_eq!(
        refused(&[Entry::Dir("ok/..")]),
        "refused entry `ok/..`: path contains `..`"
    );
}

#[test]
fn refuses_absolute_paths() {
    assert_eq!(
        refused(&[Entry::File("/abs", b"x")]),
        "refused entry `/abs`: absolute path"
    );
    assert_eq!(
        refused(&[Entry::Dir("/tmp/")]),
        "refused entry `/tmp/`: absolute path"
    );
}

#[test]
fn refuses_symlinks_out_of_the_tree() {
    assert_eq!(
        refused(&[Entry::Symlink("etc", "/etc")]),
        "refused entry `etc`: symlink to absolute path `/etc`"
    );
    assert_eq!(
        refused(&[Entry::Symlink("up", "../..")]),
        "refused entry `up`: symlink target `../..` leaves the archive"
    );
    assert_eq!(
        refused(&[Entry::Symlink("a/b/up", "../../../x")]),
        "refused entry `a/b/up`: symlink target `../../../x` leaves the archive"
    );
    // `s/..` is `..` of wherever `s` points: only leading `..` can be checked, so only they pass.
    assert_eq!(
        refused(&[Entry::Symlink("s", "."), Entry::Symlink("t", "s/..")]),
        "refused entry `t`: symlink target `s/..` has `..` after a name"
    );
    assert_eq!(
        refused(&[Entry::Symlink("e", "")]),
        "refused entry `e`: symlink with an empty target"
    );
}

#[test]
fn refuses_writing_through_a_symlink() {
    assert_eq!(
        refused(&[
            Entry::Dir("sub"),
            Entry::Symlink("l", "sub"),
            Entry::File("l/f", b"x")
        ]),
        "refused entry `l/f`: path passes through symlink `l`"
    );
}

#[cfg(unix)]
#[test]
fn a_file_replaces_a_symlink_instead_of_following_it() {
    let tmp = TempDir::new();
    let gz = targz(&[
        Entry::File("target", b"keep"),
        Entry::Symlink("x", "target"),
        Entry::File("x", b"new"),
    ]);
    let out = expand_in(&tmp, &gz).unwrap();
    assert_eq!(fs::read(out.join("target")).unwrap(), b"keep");
    assert!(fs::symlink_metadata(out.join("x")).unwrap().is_file());
    assert_eq!(fs::read(out.join("x")).unwrap(), b"new");
}

#[test]
fn refuses_hard_links_out_of_the_tree_or_to_nothing() {
    assert_eq!(
        refused(&[Entry::HardLink("hl", "../outside")]),
        "refused entry `hl`: hard link to `../outside`: path contains `..`"
    );
    assert_eq!(
        refused(&[Entry::HardLink("hl", "/etc/passwd")]),
        "refused entry `hl`: hard link to `/etc/passwd`: absolute path"
    );
    assert_eq!(
        refused(&[Entry::HardLink("hl", "later")]),
        "refused entry `hl`: hard link to `later`, which is not a regular file earlier in the archive"
    );
    assert_eq!(
        refused(&[Entry::Dir("d"), Entry::HardLink("hl", "d")]),
        "refused entry `hl`: hard link to `d`, which is not a regular file earlier in the archive"
    );
    assert_eq!(
        refused(&[Entry::File("f", b""), Entry::HardLink("f", "f")]),
        "refused entry `f`: hard link to `f`: not an earlier file"
    );
}

#[cfg(unix)]
#[test]
fn refuses_hard_links_through_symlinks() {
    assert_eq!(
        refused(&[
            Entry::File("d/f", b"x"),
            Entry::Symlink("l", "d"),
            Entry::HardLink("hl", "l/f")
        ]),
        "refused entry `hl`: hard link to `l/f`, which is not a regular file earlier in the archive"
    );
}

#[test]
fn refuses_devices_fifos_and_unknown_types() {
    assert_eq!(
        refused(&[Entry::Char("dev/null")]),
        "refused entry `dev/null`: character device"
    );
    assert_eq!(
        refused(&[Entry::Fifo("pipe")]),
        "refused entry `pipe`: fifo"
    );
    assert_eq!(
        refused(&[Entry::Kind("blk", b'4')]),
        "refused entry `blk`: block device"
    );
    assert_eq!(
        refused(&[Entry::Kind("vol", b'V')]),
        "refused entry `vol`: unsupported entry type `V`"
    );
}

#[test]
fn refuses_replacing_a_directory_and_empty_names() {
    assert_eq!(
        refused(&[Entry::Dir("d"), Entry::File("d", b"x")]),
        "refused entry `d`: replaces a directory"
    );
    assert_eq!(
        refused(&[Entry::File("f", b""), Entry::File("f/g", b"")]),
        "refused entry `f/g`: `f` is not a directory"
    );
    assert_eq!(
        refused(&[Entry::File("./", b"x")]),
        "refused entry `./`: empty path"
    );
}

#[test]
fn bounds_the_expanded_size() {
    let tmp = TempDir::new();
    let gz = targz(&[Entry::File("zeros", &[0; 64 * 1024])]);
    let err = expand(&gz, &tmp.path().join("out"), 16 * 1024).unwrap_err();
    assert_eq!(err, "archive expands to more than 16384 bytes");
    assert_eq!(too_big(MAX_EXPANDED), "archive expands to more than 1 GiB");
}

#[test]
fn hard_link_copies_count_against_the_bound() {
    let entries = [
        Entry::File("f", &[7; 1000]),
        Entry::HardLink("g", "f"),
        Entry::HardLink("h", "f"),
    ];
    let limit = tar(&entries).len() as u64 + 500;
    let tmp = TempDir::new();
    let err = expand(&targz(&entries), &tmp.path().join("out"), limit).unwrap_err();
    assert_eq!(err, format!("archive expands to more than {limit} bytes"));
    expand(&targz(&entries[..2]), &tmp.path().join("ok"), limit).unwrap();
}

#[test]
fn reports_corrupt_input() {
    let tmp = TempDir::new();
    let err = expand_in(&tmp, b"not gzip at all").unwrap_err();
    assert_eq!(err, "corrupt archive: invalid gzip header");
    let body = tar(&[Entry::File("big", &[1; 2000])]);
    let err = expand(&gzip(&body[..1500]), &tmp.path().join("cut"), MAX_EXPANDED).unwrap_err();
    assert_eq!(err, "refused entry `big`: truncated: 988 of 2000 bytes");
}

/// Truncations and bit flips of valid archives: any outcome but a panic (or a write outside).
#[test]
fn damaged_archives_never_panic() {
    let tmp = TempDir::new();
    let entries = [
        Entry::Dir("d"),
        Entry::File("d/a", b"some text that compresses"),
        Entry::Symlink("d/l", "a"),
        Entry::HardLink("h", "d/a"),
    ];
    let (plain, gz) = (tar(&entries), targz(&entries));
    let mut n = 0;
    let mut attempt = |bytes: &[u8]| {
        n += 1;
        let _ = expand(bytes, &tmp.path().join(n.to_string()), 1 << 20);
    };
    for cut in 0..gz.len() {
        attempt(&gz[..cut]);
    }
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for _ in 0..300 {
        let mut damaged = gz.clone();
        let at = next(&mut seed) as usize % damaged.len();
        damaged[at] ^= 1 << (next(&mut seed) % 8);
        attempt(&damaged);
        let mut damaged = plain.clone();
        for _ in 0..4 {
            let at = next(&mut seed) as usize % 1536; // the first three blocks: headers and data
            damaged[at] = next(&mut seed) as u8;
        }
        attempt(&gzip(&damaged));
    }
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        names
            .iter()
            .all(|name| name.to_string_lossy().parse::<usize>().is_ok()),
        "{names:?}"
    );
}

fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

#[test]
fn symlink_target_rule() {
    let table: &[(usize, &str, Result<(), &str>)] = &[
        (0, "a", Ok(())),
        (0, "./a/b", Ok(())),
        (1, "..", Ok(())),
        (1, "../x/y", Ok(())),
        (2, "../../x", Ok(())),
        (0, "..", Err("symlink target `..` leaves the archive")),
        (1, "../..", Err("symlink target `../..` leaves the archive")),
        (
            3,
            "a/../b",
            Err("symlink target `a/../b` has `..` after a name"),
        ),
        (0, "/x", Err("symlink to absolute path `/x`")),
    ];
    for &(depth, target, ref want) in table {
        let got = check_symlink_target(depth, target.as_bytes());
        assert_eq!(
            got,
            want.map_err(str::to_string),
            "depth {depth}, target {target}"
        );
    }
}

#[test]
fn a_plain_tar_expands_by_the_same_rules() {
    let tmp = TempDir::new();
    let dest = tmp.path().join("out");
    let archive = tar(&[Entry::Dir("cid/"), Entry::File("cid/a.txt", b"alpha")]);
    expand_tar(&archive[..], &dest, MAX_EXPANDED).unwrap();
    assert_eq!(fs::read(dest.join("cid/a.txt")).unwrap(), b"alpha");

    let evil = tar(&[Entry::File("cid/../../evil", b"x")]);
    let err = expand_tar(&evil[..], &tmp.path().join("evil"), MAX_EXPANDED).unwrap_err();
    assert_eq!(err, "refused entry `cid/../../evil`: path contains `..`");
    assert!(!tmp.path().join("evil/evil").exists() && !tmp.path().join("../evil").exists());

    let err = expand_tar(&archive[..], &tmp.path().join("small"), 100).unwrap_err();
    assert_eq!(err, "archive expands to more than 100 bytes");
}
