//! The threads a job's partitions are worked on by: each thread takes the next partition not
//! yet taken, until none is left; once a signal is caught, the partitions not yet started are
//! not. Their ends are handed back in index order, each as soon as it and every one before it
//! have ended, whatever order they end in.
//!
//! Owns: the threads and that order. Must not know what the work is: a partition's run
//! (`partitions::run`) or its rerun (`verify`); nor print.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use crate::signal;

/// Works on partitions 0 to `count - 1` with `work`, on up to `parallel` threads (at least one),
/// calling `ended` with each partition's index and what `work` gave, in index order: `None`
/// for a partition a signal kept from starting. Fails only when not one thread could start:
/// then nothing was worked on.
pub fn in_index_order<T: Send>(
    count: u64,
    parallel: usize,
    work: &(dyn Fn(u64) -> T + Sync),
    ended: &mut dyn FnMut(u64, Option<T>),
) -> std::io::Result<()> {
    let next = AtomicU64::new(0);
    let (send, receive) = mpsc::channel::<(u64, Option<T>)>();
    std::thread::scope(|scope| {
        let mut started = 0;
        for _ in 0..parallel.max(1) {
            let send = send.clone();
            let next = &next;
            let thread = std::thread::Builder::new().name("partition".into());
            let spawned = thread.spawn_scoped(scope, move || {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= count {
                        return;
                    }
                    let end = signal::received().is_none().then(|| work(index));
                    if send.send((index, end)).is_err() {
                        return;
                    }
                }
            });
            match spawned {
                Ok(_) => started += 1,
                // As many threads as the system gives: one is enough to work on them all.
                Err(e) if started == 0 => return Err(e),
                Err(_) => break,
            }
        }
        drop(send);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (index, end) in receive {
            waiting.insert(index, end);
            while let Some(end) = waiting.remove(&due) {
                ended(due, end);
                due += 1;
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ends_come_in_index_order_whatever_order_they_end_in() {
        let mut seen = Vec::new();
        // The lower the index, the later it ends.
        let work = |index: u64| {
            std::thread::sleep(Duration::from_millis(10 * (5 - index)));
            index * 10
        };
        in_index_order(5, 3, &work, &mut |index, end| seen.push((index, end))).unwrap();
        assert_eq!(
            seen,
            [
                (0, Some(0)),
                (1, Some(10)),
                (2, Some(20)),
                (3, Some(30)),
                (4, Some(40))
            ]
        );
    }

    #[test]
    fn every_partition_is_worked_on_once_by_as_many_threads_as_asked() {
        let threads = std::sync::Mutex::new(std::collections::HashSet::new());
        let work = |index: u64| {
            threads.lock().unwrap().insert(std::thread::current().id());
            // Long enough that every thread takes one.
            std::thread::sleep(Duration::from_millis(20));
            index
        };
        let mut ended = Vec::new();
        in_index_order(8, 4, &work, &mut |index, end| ended.push((index, end))).unwrap();
        assert_eq!(ended, (0..8).map(|i| (i, Some(i))).collect::<Vec<_>>());
        assert_eq!(threads.lock().unwrap().len(), 4);
        // Zero threads asked is one.
        let mut ended = Vec::new();
        in_index_order(2, 0, &|i| i, &mut |index, end| ended.push((index, end))).unwrap();
        assert_eq!(ended, [(0, Some(0)), (1, Some(1))]);
    }
}
