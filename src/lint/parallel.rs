//! One function over many inputs on every core, results in input order, so a run's output is
//! the same whatever the number of threads.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The most threads a run uses by default: each holds a file's text and a document's tree, so
/// memory grows with them.
pub const MAX_THREADS: usize = 8;

/// The number of threads a run uses by default: the cores this process may use, at most
/// [`MAX_THREADS`].
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
}

/// `f` over `items` on at most `threads` threads (scoped: none outlives the call); the results
/// in the order of `items`. A panic in `f` is resumed on the caller's thread.
pub fn map<T: Sync, R: Send>(items: &[T], threads: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = threads.min(items.len());
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        mine.push((i, f(item)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    out.sort_unstable_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_input_order_on_many_threads() {
        let items: Vec<u64> = (0..1000).collect();
        // Items 0 and 1 wait for each other: they can only finish on two threads.
        let both = std::sync::Barrier::new(2);
        let slow_then_fast = |&i: &u64| {
            if i < 2 {
                both.wait();
            }
            (i * i, std::thread::current().id())
        };
        let out = map(&items, 4, slow_then_fast);
        assert_eq!(out.len(), 1000);
        assert!(out
            .iter()
            .enumerate()
            .all(|(i, (sq, _))| *sq == (i * i) as u64));
        let threads: std::collections::HashSet<_> = out.iter().map(|(_, t)| *t).collect();
        assert!(threads.len() > 1, "ran on one thread");
        assert!(map(&[] as &[u64], 4, |&i| i).is_empty());
    }
}
