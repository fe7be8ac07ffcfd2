//! The run-wide bound on alias expansion ([`super::MAX_ALIAS_NODES_PER_RUN`]): a count per
//! thread, or one [`AliasBudget`] shared by every thread that parses for a run.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

thread_local! {
    /// Alias-expanded nodes this thread has built so far ([`super::MAX_ALIAS_NODES_PER_RUN`]), when
    /// it counts against no shared budget.
    static ALIAS_NODES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The shared budget this thread counts against while in [`AliasBudget::enter`].
    static BUDGET: std::cell::RefCell<Option<AliasBudget>> = const { std::cell::RefCell::new(None) };
}

/// One run's count of alias-expanded nodes, shared by every thread that parses for it.
#[derive(Debug, Clone, Default)]
pub struct AliasBudget(Arc<AtomicUsize>);

impl AliasBudget {
    /// Run `f` with this thread's alias expansions counted against this budget.
    pub fn enter<R>(&self, f: impl FnOnce() -> R) -> R {
        struct Restore(Option<AliasBudget>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0.take();
                BUDGET.with(|b| *b.borrow_mut() = prev);
            }
        }
        let _restore = Restore(BUDGET.with(|b| b.replace(Some(self.clone()))));
        f()
    }
}

/// The alias-expanded nodes counted so far against the budget this thread counts against (its
/// own count outside [`AliasBudget::enter`]). A caller holding many trees at once compares it
/// before and after a parse to tell whether aliases grew the tree it got beyond its text.
pub fn aliases_charged() -> usize {
    BUDGET.with(|b| match &*b.borrow() {
        Some(budget) => budget.0.load(Ordering::Relaxed),
        None => ALIAS_NODES.with(std::cell::Cell::get),
    })
}

/// Count `n` alias-expanded nodes against the current budget; the total so far.
pub(super) fn charge_aliases(n: usize) -> usize {
    BUDGET.with(|b| match &*b.borrow() {
        Some(budget) => budget.0.fetch_add(n, Ordering::Relaxed).saturating_add(n),
        None => ALIAS_NODES.with(|c| {
            c.set(c.get().saturating_add(n));
            c.get()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{parse_documents, MAX_ALIAS_NODES_PER_RUN};
    use super::*;

    #[test]
    fn one_budget_bounds_every_thread_of_a_run() {
        // ~123,000 alias nodes a document: a run may parse about 32 of them, on any number of
        // threads; alone, each of two threads could parse all of its 30.
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..5 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            doc.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let budget = AliasBudget::default();
        let parsed: usize = std::thread::scope(|s| {
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    s.spawn(|| {
                        budget.enter(|| (0..30).filter(|_| parse_documents(&doc).is_ok()).count())
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        let one = AliasBudget::default();
        one.enter(|| parse_documents(&doc)).unwrap();
        let per_run = MAX_ALIAS_NODES_PER_RUN / one.0.load(Ordering::Relaxed);
        assert!((per_run - 1..=per_run).contains(&parsed), "{parsed}");
        // Outside the budget, a thread counts on its own again.
        std::thread::spawn(move || assert!(parse_documents(&doc).is_ok()))
            .join()
            .unwrap();
    }
}
