use std::fs;

use super::*;
use crate::private::TempDir;
use crate::results::ResultsDir;

/// A results directory's staging area to save into, and the interrupt of a run.
fn setup() -> (TempDir, ResultsDir, Arc<Interrupt>) {
    let dir = TempDir::new("bolinho-tee-test-").unwrap();
    let results = ResultsDir::claim(Some(&dir.path().join("out")), "t").unwrap();
    (dir, results, Arc::new(Interrupt::new()))
}

fn saved(results: &ResultsDir, limit: u64) -> Saved {
    let file = results.create_file("stdout").unwrap();
    Saved::new(
        file,
        limit,
        results.opener().unwrap(),
        "stdout.truncated".into(),
    )
}

fn read(results: &ResultsDir, name: &str) -> Option<String> {
    fs::read_to_string(results.staging_path().join(name)).ok()
}

#[test]
fn both_sides_get_every_byte() {
    let (_dir, results, interrupt) = setup();
    let file = saved(&results, 100);
    let mut tee = Tee::new(Vec::new(), Some(file.clone()), interrupt);
    tee.write_all(b"one\n").unwrap();
    tee.write_all(b"two").unwrap();
    file.finish().unwrap();
    assert_eq!(tee.live, b"one\ntwo");
    assert_eq!(read(&results, "stdout").unwrap(), "one\ntwo");
    assert_eq!(read(&results, "stdout.truncated"), None);
}

#[test]
fn the_saved_side_stops_at_its_limit_and_says_so() {
    let (_dir, results, interrupt) = setup();
    let file = saved(&results, 5);
    let mut tee = Tee::new(Vec::new(), Some(file.clone()), interrupt);
    tee.write_all(b"abc").unwrap();
    assert_eq!(read(&results, "stdout.truncated"), None);
    assert_eq!(tee.write(b"defg").unwrap(), 4);
    tee.write_all(b"hij").unwrap();
    file.finish().unwrap();
    assert_eq!(tee.live, b"abcdefghij");
    assert_eq!(read(&results, "stdout").unwrap(), "abcde");
    assert_eq!(read(&results, "stdout.truncated").unwrap(), "5");
}

struct Broken;
impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::BrokenPipe.into())
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::ErrorKind::BrokenPipe.into())
    }
}

#[test]
fn a_broken_terminal_does_not_fail_the_guest() {
    let mut tee = Tee::new(Broken, None, Arc::new(Interrupt::new()));
    assert_eq!(tee.write(b"abc").unwrap(), 3);
    tee.flush().unwrap();
}

/// A terminal that blocks, as a full pipe does, until a signal ends its write with `EINTR`.
struct Blocked;
impl Write for Blocked {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::ErrorKind::Interrupted.into())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_blocked_write_ends_only_when_a_stop_was_requested() {
    let interrupt = Arc::new(Interrupt::new());
    interrupt.request();
    let mut tee = Tee::new(Blocked, None, interrupt);
    // Not `Interrupted`, which `write_all` would retry for ever.
    let err = tee.write_all(b"abc").unwrap_err();
    assert_eq!(err.to_string(), "the guest was stopped");
}

#[test]
fn a_requested_stop_ends_a_huge_write_between_chunks() {
    let (_dir, results, interrupt) = setup();
    let file = saved(&results, u64::MAX);
    let mut tee = Tee::new(io::sink(), Some(file.clone()), interrupt.clone());
    interrupt.request();
    let err = tee.write_all(&vec![b'x'; 3 * CHUNK]).unwrap_err();
    assert_eq!(err.to_string(), "the guest was stopped");
    file.finish().unwrap();
    assert_eq!(read(&results, "stdout").unwrap(), "");
}

#[test]
fn a_results_file_that_cannot_be_written_is_reported_at_the_end_not_to_the_guest() {
    let (_dir, results, interrupt) = setup();
    // A file opened read-only stands for a full disk: every write fails.
    fs::write(results.staging_path().join("ro"), "").unwrap();
    let ro = File::open(results.staging_path().join("ro")).unwrap();
    let file = Saved::new(ro, 100, results.opener().unwrap(), "ro.truncated".into());
    let mut tee = Tee::new(Vec::new(), Some(file.clone()), interrupt);
    assert_eq!(tee.write(&[b'x'; 70_000]).unwrap(), 70_000);
    assert_eq!(tee.live.len(), 70_000, "the terminal still sees everything");
    assert!(file.finish().is_err());
}
