//! Work off the main thread's critical path at the end of a large run: freeing what it no longer
//! needs (the trees, texts and records of a large lint run take tens of milliseconds to free,
//! one allocation at a time, while the other cores sit idle), and splitting its serial steps
//! (evidence records, the JSON report) in two.

/// From this many items on, a serial step at the end of a run is split over two threads
/// ([`join`]); below it, a thread costs more than it saves.
pub const SPLIT_FROM: usize = 4096;

/// Drop `value` on another thread, so the caller goes on at once; when the process ends first,
/// the kernel takes the memory back whole. When no thread can be started, the value is dropped
/// here (with the closure that held it).
pub fn drop_elsewhere<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("gate-free".into())
        .spawn(move || drop(value));
}

/// `here()` on this thread and `there()` on another at the same time; both results. A panic in
/// `there` is resumed on this thread.
pub fn join<A, B: Send>(here: impl FnOnce() -> A, there: impl FnOnce() -> B + Send) -> (A, B) {
    std::thread::scope(|s| {
        let other = s.spawn(there);
        let a = here();
        match other.join() {
            Ok(b) => (a, b),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
