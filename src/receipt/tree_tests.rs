use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};

use super::*;
use crate::private::TempDir;

fn sha(bytes: &[u8]) -> String {
    format!(
        "sha256:{}",
        crate::fetch::cache::hex(&Sha256::digest(bytes))
    )
}

fn hash(path: &Path, key: &str) -> Result<BTreeMap<String, String>, TreeError> {
    let mut map = BTreeMap::new();
    Walk::new(1000, &|| false).hash(path, key, &mut map)?;
    Ok(map)
}

fn scratch() -> TempDir {
    TempDir::new("bolinho-tree-test-").unwrap()
}

#[test]
fn files_are_hashed_by_sorted_relative_path_and_empty_directories_kept() {
    let dir = scratch();
    let root = dir.path();
    fs::create_dir_all(root.join("b/empty")).unwrap();
    fs::write(root.join("b/x"), "x").unwrap();
    fs::write(root.join("a"), "a").unwrap();
    let map = hash(root, "/data").unwrap();
    let entries: Vec<_> = map.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        entries,
        [
            ("/data/a", sha(b"a").as_str()),
            ("/data/b/empty", DIRECTORY),
            ("/data/b/x", sha(b"x").as_str()),
        ]
    );
    // A single file is keyed by the key itself.
    assert_eq!(
        hash(&root.join("a"), "stdout").unwrap()["stdout"],
        sha(b"a")
    );
}

#[test]
fn links_are_recorded_as_links_and_never_followed() {
    let dir = scratch();
    let host = dir.path().join("host");
    fs::create_dir_all(host.join("tree")).unwrap();
    fs::write(host.join("secret"), "secret").unwrap();
    fs::write(host.join("tree/inner"), "inner").unwrap();
    let out = dir.path().join("out");
    fs::create_dir(&out).unwrap();
    symlink(host.join("secret"), out.join("to-file")).unwrap();
    symlink(host.join("tree"), out.join("to-dir")).unwrap();
    symlink("nowhere", out.join("dangling")).unwrap();
    symlink("loop", out.join("loop")).unwrap();
    let map = hash(&out, "outputs").unwrap();
    let link = |target: &Path| format!("{SYMLINK_PREFIX}{}", sha(target.as_os_str().as_bytes()));
    assert_eq!(map["outputs/to-file"], link(&host.join("secret")));
    assert_eq!(map["outputs/to-dir"], link(&host.join("tree")));
    assert_eq!(map["outputs/dangling"], link(Path::new("nowhere")));
    assert_eq!(map["outputs/loop"], link(Path::new("loop")));
    assert_eq!(map.len(), 4, "nothing behind a link was listed: {map:?}");
    assert!(!map.values().any(|v| *v == sha(b"secret")));
}

#[test]
fn a_fifo_is_recorded_by_its_kind_without_waiting_for_a_writer() {
    let dir = scratch();
    let fifo = dir.path().join("pipe");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let map = hash(dir.path(), "/in").unwrap();
    assert_eq!(map["/in/pipe"], "fifo");
}

#[test]
fn an_unreadable_file_is_recorded_as_such() {
    let dir = scratch();
    let file = dir.path().join("locked");
    fs::write(&file, "x").unwrap();
    fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
    let map = hash(dir.path(), "/in").unwrap();
    // root reads anything; the guest, run by the same user, would too.
    // SAFETY: geteuid has no preconditions.
    let expected = if unsafe { libc::geteuid() } == 0 {
        sha(b"x")
    } else {
        UNREADABLE.to_string()
    };
    assert_eq!(map["/in/locked"], expected);
}

#[test]
fn the_walk_is_bounded_in_entries_and_depth() {
    let dir = scratch();
    for i in 0..5 {
        fs::write(dir.path().join(i.to_string()), "").unwrap();
    }
    let mut map = BTreeMap::new();
    let err = Walk::new(3, &|| false)
        .hash(dir.path(), "o", &mut map)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "more than 3 files, the most a receipt records"
    );

    // Deeper than PATH_MAX allows as one path: each level is reached by its handle.
    let deep = scratch();
    let name = "d".repeat(200);
    let mut fd: OwnedFd = rustix::fs::openat(
        CWD,
        deep.path(),
        OFlags::RDONLY | OFlags::DIRECTORY,
        Mode::empty(),
    )
    .unwrap();
    for _ in 0..MAX_DEPTH + 1 {
        rustix::fs::mkdirat(&fd, name.as_str(), Mode::from_raw_mode(0o755)).unwrap();
        fd = rustix::fs::openat(&fd, name.as_str(), OFlags::RDONLY, Mode::empty()).unwrap();
    }
    let err = hash(deep.path(), "o").unwrap_err();
    assert_eq!(
        err.to_string(),
        "o holds directories nested more than 256 deep, the most a receipt records"
    );
    // TempDir removes it: std walks by handles too.
    drop(fd);
}

#[test]
fn a_stop_ends_the_walk() {
    let dir = scratch();
    fs::write(dir.path().join("f"), "x").unwrap();
    let mut map = BTreeMap::new();
    let err = Walk::new(10, &|| true)
        .hash(dir.path(), "o", &mut map)
        .unwrap_err();
    assert!(matches!(err, TreeError::Stopped));
}

#[test]
fn names_that_are_not_utf8_never_collide() {
    let dir = scratch();
    let bad = OsStr::from_bytes(b"a\xff");
    fs::write(dir.path().join(bad), "1").unwrap();
    fs::write(dir.path().join("a\\xff"), "2").unwrap();
    let map = hash(dir.path(), "o").unwrap();
    assert_eq!(map["o/a\\xff"], sha(b"1"));
    assert_eq!(map["o/a\\\\xff"], sha(b"2"));
}

#[test]
fn split_key_reads_back_what_join_wrote() {
    for name in [
        &b"plain"[..],
        b"back\\slash",
        b"not utf-8 \xff\xfe",
        b"x\\x41",
    ] {
        let key = join("/in", OsStr::from_bytes(name));
        let rel = key.strip_prefix("/in/").unwrap();
        assert_eq!(split_key(rel).unwrap(), [OsStr::from_bytes(name)], "{key}");
    }
    assert_eq!(split_key("a/b").unwrap(), ["a", "b"]);
    assert!(split_key("").unwrap().is_empty());
}

#[test]
fn split_key_refuses_what_join_never_writes() {
    for (rel, why) in [
        ("a/../b", "the name `..` is not a file name"),
        ("./a", "the name `.` is not a file name"),
        ("a//b", "the name `` is not a file name"),
        ("a/", "the name `` is not a file name"),
        ("a\\x2fb", "the name `a\\\\x2fb` holds a `/` or NUL byte"),
        ("a\\x00", "the name `a\\\\x00` holds a `/` or NUL byte"),
        (
            "a\\x4",
            "the name `a\\\\x4` holds a `\\x` escape without two hex digits",
        ),
        (
            "a\\xzz",
            "the name `a\\\\xzz` holds a `\\x` escape without two hex digits",
        ),
        (
            "a\\b",
            "the name `a\\\\b` holds a `\\` that does not start an escape",
        ),
    ] {
        assert_eq!(split_key(rel).unwrap_err(), why, "{rel}");
    }
}

#[test]
fn entries_read_back_as_walk_wrote_them() {
    let file = sha(b"x");
    let hex = &file["sha256:".len()..];
    let link = format!("{SYMLINK_PREFIX}{file}");
    assert_eq!(Entry::parse(&file), Entry::File(hex));
    assert_eq!(Entry::parse(&link), Entry::Symlink(hex));
    assert_eq!(Entry::parse(DIRECTORY), Entry::Directory);
    for other in [
        UNREADABLE,
        "fifo",
        "socket",
        "char-device",
        "symlink:directory",
        "sha256:",
    ] {
        assert_eq!(Entry::parse(other), Entry::Other(other));
    }
}

/// A tree of `dirs` directories of `each` files, each file holding its own path.
fn many_files(dirs: usize, each: usize) -> (TempDir, BTreeMap<String, String>) {
    let dir = scratch();
    let mut expected = BTreeMap::new();
    for d in 0..dirs {
        fs::create_dir(dir.path().join(format!("d{d:03}"))).unwrap();
        for f in 0..each {
            let rel = format!("d{d:03}/f{f:03}");
            // Sizes across several chunks, and empty files.
            let bytes = rel.repeat((d * each + f) % 7 * 5000);
            fs::write(dir.path().join(&rel), &bytes).unwrap();
            expected.insert(format!("/in/{rel}"), sha(bytes.as_bytes()));
        }
    }
    (dir, expected)
}

#[test]
fn a_tree_of_many_files_is_hashed_on_threads_to_the_same_map() {
    let (dir, expected) = many_files(20, 30);
    // `stop` is asked by whichever thread reads a file, before each chunk.
    let readers = std::sync::Mutex::new(std::collections::HashSet::new());
    let stop = || {
        readers.lock().unwrap().insert(std::thread::current().id());
        false
    };
    let mut map = BTreeMap::new();
    Walk::new(1000, &stop)
        .hash(dir.path(), "/in", &mut map)
        .unwrap();
    assert_eq!(map, expected);
    let readers = readers.into_inner().unwrap();
    assert!(readers.len() >= 2, "only the walk's thread read files");
    // A handful of files is read on the walk's own thread alone.
    let (few, _) = many_files(1, 10);
    let one = std::sync::Mutex::new(std::collections::HashSet::new());
    let stop = || {
        one.lock().unwrap().insert(std::thread::current().id());
        false
    };
    Walk::new(1000, &stop)
        .hash(few.path(), "/in", &mut BTreeMap::new())
        .unwrap();
    assert_eq!(one.into_inner().unwrap().len(), 1);
}

#[test]
fn a_stop_ends_the_threaded_hashing_too() {
    let (dir, _) = many_files(10, 30);
    // Stops once the walk is well past the files hashed on its own thread.
    let checks = std::sync::atomic::AtomicUsize::new(0);
    let stop = || checks.fetch_add(1, std::sync::atomic::Ordering::Relaxed) > 150;
    let mut map = BTreeMap::new();
    let err = Walk::new(1000, &stop)
        .hash(dir.path(), "/in", &mut map)
        .unwrap_err();
    assert!(matches!(err, TreeError::Stopped), "{err}");
}

#[test]
fn the_bound_holds_when_files_are_hashed_on_threads() {
    let (dir, _) = many_files(4, 30);
    let mut map = BTreeMap::new();
    let err = Walk::new(100, &|| false)
        .hash(dir.path(), "/in", &mut map)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "more than 100 files, the most a receipt records"
    );
}
