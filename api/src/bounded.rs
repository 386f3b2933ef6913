//! CPU- and memory-heavy work (argon2id, image decoding) run off the event loops, a bounded
//! number at a time: unbounded, a burst of such requests takes every core and gigabytes of
//! memory from the rest of the service. Each kind keeps a count of its runs for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::ApiError;

pub struct BoundedWork {
    slots: Arc<Semaphore>,
    runs: AtomicU64,
    /// The Prometheus counter of runs.
    metric: &'static str,
}

impl BoundedWork {
    pub fn new(slots: usize, metric: &'static str) -> BoundedWork {
        BoundedWork {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            runs: AtomicU64::new(0),
            metric,
        }
    }

    /// Runs `work` on the blocking pool once a slot is free. The slot travels with the work:
    /// a client that hangs up while it runs does not free the slot before the work ends.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        self.run_within(None, work).await
    }

    /// Like `run`, giving up with 503 when no slot frees within `wait`: a flood of costly
    /// requests then costs its senders an error, not everyone a growing queue.
    pub async fn run_within<T, F>(&self, wait: Option<Duration>, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let acquire = self.slots.clone().acquire_owned();
        let slot = match wait {
            None => acquire.await,
            Some(wait) => tokio::time::timeout(wait, acquire).await.map_err(|_| {
                ApiError::Unavailable("too busy for this request now; retry shortly".into())
            })?,
        }
        .map_err(|e| ApiError::Internal(format!("work slots: {e}")))?;
        self.runs.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(self.metric).increment(1);
        actix_web::web::block(move || {
            let result = work();
            drop(slot);
            result
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
    }

    /// Runs started by this process so far.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }
}
