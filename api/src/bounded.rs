//! CPU- and memory-heavy work (argon2id, image decoding) run off the event loops, a bounded
//! number at a time: unbounded, a burst of such requests takes every core and gigabytes of
//! memory from the rest of the service. Each kind keeps a count of its runs for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::ApiError;

pub struct BoundedWork {
    slots: Arc<Semaphore>,
    runs: AtomicU64,
    /// The Prometheus counter of runs.
    metric: &'static str,
    /// Threads of its own at a lower CPU priority, or `None` for tokio's blocking pool.
    own_threads: Option<Mutex<mpsc::Sender<Job>>>,
}

type Job = Box<dyn FnOnce() + Send>;

impl BoundedWork {
    pub fn new(slots: usize, metric: &'static str) -> BoundedWork {
        BoundedWork {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            runs: AtomicU64::new(0),
            metric,
            own_threads: None,
        }
    }

    /// Like `new`, with one thread per slot of its own whose CPU priority is lowered by `nice`
    /// (Linux; elsewhere the priority stays). When every core is busy, the scheduler then
    /// serves the event loops and database work first and this work with what is left: a
    /// burst of password hashes (20-40 ms of a core each, by design) slows logins, not every
    /// other request. `nice` 0 keeps the normal priority.
    pub fn on_own_threads(
        slots: usize,
        metric: &'static str,
        name: &str,
        nice: i32,
    ) -> std::io::Result<BoundedWork> {
        let slots = slots.max(1);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..slots {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    lower_priority(nice);
                    loop {
                        // The lock is held only to take the next job, never while it runs.
                        let next = receiver.lock().map(|r| r.recv());
                        match next {
                            Ok(Ok(job)) => job(),
                            _ => return,
                        }
                    }
                })?;
        }
        Ok(BoundedWork {
            own_threads: Some(Mutex::new(sender)),
            ..BoundedWork::new(slots, metric)
        })
    }

    /// Runs `work` on the blocking pool, or on this kind's own threads (`on_own_threads`), once
    /// a slot is free. The slot travels with the work:
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
        let Some(threads) = &self.own_threads else {
            return actix_web::web::block(move || {
                let result = work();
                drop(slot);
                result
            })
            .await
            .map_err(|e| ApiError::Internal(e.to_string()));
        };
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic ends this job only; the thread goes on to the next.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            drop(slot);
            if let Ok(result) = result {
                let _ = done.send(result);
            }
        });
        threads
            .lock()
            .map_err(|_| ApiError::Internal("work threads: poisoned".into()))?
            .send(job)
            .map_err(|_| ApiError::Internal("work threads: gone".into()))?;
        result
            .await
            .map_err(|_| ApiError::Internal("the work panicked".into()))
    }

    /// Runs started by this process so far.
    pub fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }
}

/// Lowers the calling thread's CPU priority by `nice` (on Linux the nice value is per thread).
/// Raising it back needs privileges, so only threads that keep it for life call this.
fn lower_priority(nice: i32) {
    #[cfg(target_os = "linux")]
    if nice > 0 {
        // SAFETY: errno is thread-local; nice(2) only reads its argument. It returns the new
        // value, which may itself be -1, so failure is told by errno.
        let failed = unsafe {
            *libc::__errno_location() = 0;
            libc::nice(nice) == -1 && *libc::__errno_location() != 0
        };
        if failed {
            tracing::warn!(
                nice,
                error = %std::io::Error::last_os_error(),
                "could not lower the priority of a work thread"
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = nice;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    fn own_nice() -> i32 {
        // SAFETY: getpriority only reads its arguments; `0` names the calling thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn work_on_own_threads_runs_lower_than_its_caller() {
        let work = BoundedWork::on_own_threads(2, "test_runs_total", "test-low", 10).unwrap();
        let caller = own_nice();
        let inside = work.run(own_nice).await.unwrap();
        assert_eq!(inside, (caller + 10).min(19));
        assert_eq!(own_nice(), caller, "the caller's thread keeps its priority");
        let normal = BoundedWork::new(2, "test_runs_total");
        assert_eq!(normal.run(own_nice).await.unwrap(), caller);
    }

    #[tokio::test]
    async fn a_panic_fails_its_own_run_and_the_threads_go_on() {
        let work = BoundedWork::on_own_threads(1, "test_runs_total", "test-panic", 0).unwrap();
        assert!(work.run(|| panic!("boom")).await.is_err());
        // One thread, one slot: both freed after the panic, or this would never answer.
        let answers: Vec<u32> =
            futures_util::future::join_all((0..4).map(|i| work.run(move || i * 2)))
                .await
                .into_iter()
                .map(Result::unwrap)
                .collect();
        assert_eq!(answers, [0, 2, 4, 6]);
        assert_eq!(work.runs(), 5);
    }
}
