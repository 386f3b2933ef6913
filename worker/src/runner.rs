//! Claims due jobs and runs them: the loop shared by `souk-worker` and the embedded mode.

use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use souk_store::jobs::{self, Job};
use souk_store::{DbConn, Pool, StoreError};
use tokio::sync::{watch, Notify};

use crate::email::{EmailJob, SEND_EMAIL};
use crate::mailer::Mailer;

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// How often to look for due jobs when nothing wakes the runner.
    pub poll_interval: Duration,
    /// How long a claimed job is ours; a worker that dies holding it loses it after this.
    pub lease: chrono::Duration,
    /// Right-hand side of Message-IDs.
    pub message_id_host: String,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            poll_interval: Duration::from_secs(2),
            lease: chrono::Duration::minutes(5),
            message_id_host: "souk.local".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blocking task failed: {0}")]
    Join(String),
}

async fn with_conn<T, F>(pool: &Pool, f: F) -> Result<T, RunnerError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().map_err(|e| StoreError::Pool(e.to_string()))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| RunnerError::Join(e.to_string()))?
    .map_err(RunnerError::from)
}

/// Exponential backoff with ±25% jitter, so failed jobs from one outage do not retry in lockstep.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let base = 5.0 * 2f64.powi(attempts.clamp(0, 20));
    let capped = base.min(3600.0);
    let jitter = rand::thread_rng().gen_range(0.75..1.25);
    chrono::Duration::milliseconds((capped * jitter * 1000.0) as i64)
}

async fn handle(job: &Job, mailer: &Mailer, cfg: &RunnerConfig) -> Result<(), String> {
    match job.kind.as_str() {
        SEND_EMAIL => {
            let payload: EmailJob =
                serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
            let message_id = format!(
                "<job-{}.{}@{}>",
                job.id,
                job.created_at.and_utc().timestamp(),
                cfg.message_id_host
            );
            mailer
                .send(&payload.email, &message_id)
                .await
                .map_err(|e| e.to_string())
        }
        other => Err(format!("unknown job kind {other}")),
    }
}

/// Runs every job that is due now, one after another; returns how many ran.
pub async fn run_due_jobs(
    pool: &Pool,
    mailer: &Mailer,
    cfg: &RunnerConfig,
) -> Result<usize, RunnerError> {
    let mut ran = 0;
    loop {
        let lease = cfg.lease;
        let Some(job) = with_conn(pool, move |c| jobs::claim_next(c, lease)).await? else {
            return Ok(ran);
        };
        ran += 1;
        match handle(&job, mailer, cfg).await {
            Ok(()) => {
                tracing::info!(job = job.id, kind = %job.kind, "job done");
                with_conn(pool, move |c| jobs::mark_done(c, job.id)).await?;
            }
            Err(error) => {
                let retry_in = backoff(job.attempts);
                tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed");
                with_conn(pool, move |c| jobs::mark_failed(c, &job, &error, retry_in)).await?;
            }
        }
    }
}

/// Runs due jobs until `shutdown` turns true; wakes early when `wake` is notified (the API
/// does so right after committing a job).
pub async fn run_until_shutdown(
    pool: Pool,
    mailer: Mailer,
    cfg: RunnerConfig,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    tracing::info!(
        poll_ms = cfg.poll_interval.as_millis() as u64,
        "job runner started"
    );
    while !*shutdown.borrow() {
        if let Err(e) = run_due_jobs(&pool, &mailer, &cfg).await {
            tracing::error!(error = %e, "job runner pass failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(cfg.poll_interval) => {}
            _ = wake.notified() => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!("job runner stopped");
}
