//! How many partitions run at once when `--parallel` does not say: one per core, but no more
//! than the memory this machine has free holds at the job's memory limit each (the most a
//! partition's guest may take), since K partitions may take K times the limit.
//!
//! Owns: that rule, and reading what memory is free: the kernel's `MemAvailable`, and within
//! a container the room left under its cgroup's `memory.max`. Must not run anything.

use std::path::Path;

/// What a guest without a memory limit may take: every byte a 32-bit memory addresses.
const UNLIMITED_GUEST: u64 = 1 << 32;

/// The number of partitions to run at once, for a job whose guests may each take
/// `memory_limit` bytes (`None`: no limit); the caller keeps it to the job's count.
pub fn default_parallel(memory_limit: Option<u64>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let free = available_memory(Path::new("/"));
    fit(cores, fits(free, memory_limit))
}

/// How many guests of `memory_limit` bytes each `free` bytes hold: all of them when the
/// kernel does not say what is free.
fn fits(free: Option<u64>, memory_limit: Option<u64>) -> usize {
    let per_guest = memory_limit.unwrap_or(UNLIMITED_GUEST).max(1);
    free.map_or(usize::MAX, |free| {
        usize::try_from(free / per_guest).unwrap_or(usize::MAX)
    })
}

/// At least one, at most `cores` and what `fits`.
fn fit(cores: usize, fits: usize) -> usize {
    cores.min(fits).max(1)
}

/// The bytes of memory free for new work, as the kernel estimates them, less what a cgroup
/// limit leaves; `None` where the kernel does not say (not Linux). `root` is the filesystem
/// root the files are read under (tests give their own).
fn available_memory(root: &Path) -> Option<u64> {
    let meminfo = std::fs::read_to_string(root.join("proc/meminfo")).ok()?;
    let available = meminfo_field(&meminfo, "MemAvailable")?;
    let cgroup = root.join("sys/fs/cgroup");
    let read = |name: &str| {
        std::fs::read_to_string(cgroup.join(name))
            .ok()
            .and_then(|text| text.trim().parse::<u64>().ok())
    };
    // `memory.max` is `max` when there is no limit, which does not parse.
    let room = match (read("memory.max"), read("memory.current")) {
        (Some(max), Some(current)) => Some(max.saturating_sub(current)),
        _ => None,
    };
    Some(room.map_or(available, |room| room.min(available)))
}

/// A `/proc/meminfo` field (`Name:   123 kB`) in bytes.
fn meminfo_field(meminfo: &str, name: &str) -> Option<u64> {
    let line = meminfo
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))?;
    let kib = line.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_core_within_memory() {
        assert_eq!(fit(2, usize::MAX), 2);
        assert_eq!(fit(8, 3), 3);
        // Never none: a job whose one guest does not fit still runs, one partition at a time.
        assert_eq!(fit(8, 0), 1);
    }

    #[test]
    fn guests_fit_at_their_limit_or_at_4_gib_without_one() {
        const GIB: u64 = 1 << 30;
        assert_eq!(fits(Some(GIB + 10), Some(512_000_000)), 2);
        assert_eq!(fits(Some(8 * GIB), None), 2);
        assert_eq!(fits(Some(3 * GIB), None), 0);
        assert_eq!(fits(None, Some(512_000_000)), usize::MAX);
    }

    #[test]
    fn memory_is_the_kernels_estimate_within_the_cgroups_room() {
        let root = std::env::temp_dir().join(format!("bolinho-meminfo-{}", std::process::id()));
        let cgroup = root.join("sys/fs/cgroup");
        std::fs::create_dir_all(root.join("proc")).unwrap();
        std::fs::create_dir_all(&cgroup).unwrap();
        std::fs::write(
            root.join("proc/meminfo"),
            "MemTotal:        8000000 kB\nMemFree:  100 kB\nMemAvailable:    4000000 kB\n",
        )
        .unwrap();
        // No cgroup files: the kernel's estimate.
        assert_eq!(available_memory(&root), Some(4_096_000_000));
        // No limit: `max`.
        std::fs::write(cgroup.join("memory.max"), "max\n").unwrap();
        std::fs::write(cgroup.join("memory.current"), "1000\n").unwrap();
        assert_eq!(available_memory(&root), Some(4_096_000_000));
        // A container of 1 GB, 200 MB of it used.
        std::fs::write(cgroup.join("memory.max"), "1000000000\n").unwrap();
        std::fs::write(cgroup.join("memory.current"), "200000000\n").unwrap();
        assert_eq!(available_memory(&root), Some(800_000_000));
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(available_memory(&root), None);
    }

    #[test]
    fn meminfo_fields_are_read_in_bytes() {
        let meminfo = "MemAvailable:    1024 kB\nMemAvailableX: 1 kB\n";
        assert_eq!(meminfo_field(meminfo, "MemAvailable"), Some(1024 * 1024));
        assert_eq!(meminfo_field(meminfo, "Cached"), None);
        assert_eq!(meminfo_field("MemAvailable: lots\n", "MemAvailable"), None);
    }
}
