//! Where password hashing (`domain::passwords`) runs: on the blocking pool, never on the
//! executor, counted where a test asks.

tokio::task_local! {
    /// Where `in_pool` counts the password work it starts, when a test asks (`counting`).
    static WORK: std::sync::Arc<std::sync::atomic::AtomicUsize>;
}

/// Runs `fut` with every piece of password work it starts through [`in_pool`] counted in
/// `counter`: how a test sees, without timing anything, that a cheap refusal (a stale
/// cookie, a cap, a lock) came before any argon2 was computed.
pub async fn counting<F: std::future::Future>(
    counter: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    fut: F,
) -> F::Output {
    WORK.scope(counter, fut).await
}

/// Runs password work (`hash`, `verify`, `rehash`: tens of milliseconds of CPU each) on the
/// blocking pool, never on the executor; counted where a test asks (`counting`). A step
/// calls it only after its cheap checks (caps, locks, its flow's version).
pub async fn in_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let _ = WORK.try_with(|c| c.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    tokio::task::spawn_blocking(work).await
}
