//! Freeing what a run no longer needs off its critical path: the trees, texts and records of a
//! large lint run take tens of milliseconds to free, one allocation at a time, while the other
//! cores sit idle at the end of the run.

/// Drop `value` on another thread, so the caller goes on at once; when the process ends first,
/// the kernel takes the memory back whole. When no thread can be started, the value is dropped
/// here (with the closure that held it).
pub fn drop_elsewhere<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("gate-free".into())
        .spawn(move || drop(value));
}
