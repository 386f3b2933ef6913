//! Claims due jobs and runs them, and runs the periodic tasks: the loop shared by
//! `souk-worker` and the embedded mode of the API.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use souk_store::jobs::{self, Job};
use souk_store::{DbConn, Pool, StoreError};
use tokio::sync::{watch, Notify};

use crate::email::{EmailJob, SEND_EMAIL};
use crate::mailer::Mailer;
use crate::redis_link::RedisLink;

#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// How often to look for due jobs when nothing wakes the runner.
    pub poll_interval: Duration,
    /// How often the periodic tasks (expiry, alerts, purge, view counts) run.
    pub tick: Duration,
    /// How long a claimed job is ours; a worker that dies holding it loses it after this.
    pub lease: chrono::Duration,
    /// First retry delay; doubles with each attempt (with jitter), capped at an hour.
    pub backoff_base: Duration,
    /// Right-hand side of Message-IDs.
    pub message_id_host: String,
    /// Base of the links in emails (renewal, conversations, unsubscribe).
    pub public_url: String,
    pub photos_dir: PathBuf,
    /// The expiry warning goes out this long before an ad expires.
    pub warn_before: chrono::Duration,
    /// Deleted ads are purged (photos and all) after this long.
    pub deleted_retention: chrono::Duration,
    /// Expired ads that were not renewed are purged after this long.
    pub expired_retention: chrono::Duration,
    /// Rows per transaction in the sweeps.
    pub batch: i64,
    /// Saved-search alerts look at ads at least this old: on PostgreSQL a smaller id can still
    /// be committing, and an alert's watermark must not pass it.
    pub alert_settle: chrono::Duration,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        RunnerConfig {
            poll_interval: Duration::from_secs(2),
            tick: Duration::from_secs(60),
            lease: chrono::Duration::minutes(5),
            backoff_base: Duration::from_secs(5),
            message_id_host: "souk.local".into(),
            public_url: "http://127.0.0.1:8080".into(),
            photos_dir: PathBuf::from("./data/photos"),
            warn_before: chrono::Duration::days(3),
            deleted_retention: chrono::Duration::days(30),
            expired_retention: chrono::Duration::days(90),
            batch: 200,
            alert_settle: chrono::Duration::seconds(5),
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

/// Everything a worker needs; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    pub pool: Pool,
    pub mailer: Mailer,
    pub cfg: RunnerConfig,
    pub redis: Option<RedisLink>,
    /// Notified (in process, or from Redis) when a job was committed.
    pub wake: Arc<Notify>,
    /// Set on shutdown: no new job is claimed, the one under way finishes.
    stopping: Arc<AtomicBool>,
}

impl Worker {
    pub fn new(pool: Pool, mailer: Mailer, cfg: RunnerConfig, redis: Option<RedisLink>) -> Worker {
        Worker {
            pool,
            mailer,
            cfg,
            redis,
            wake: Arc::new(Notify::new()),
            stopping: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Runs `f` on a pooled connection on the blocking pool.
    pub async fn db<T, F>(&self, f: F) -> Result<T, RunnerError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get().map_err(|e| StoreError::Pool(e.to_string()))?;
            f(&mut conn)
        })
        .await
        .map_err(|e| RunnerError::Join(e.to_string()))?
        .map_err(RunnerError::from)
    }

    /// Like `db`, in one write transaction.
    pub async fn tx<T, F>(&self, f: F) -> Result<T, RunnerError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    {
        self.db(move |c| souk_store::db::write_transaction(c, f))
            .await
    }

    /// Exponential backoff with ±25% jitter, so failed jobs from one outage do not retry in
    /// lockstep.
    pub fn backoff(&self, attempts: i32) -> chrono::Duration {
        let base = self.cfg.backoff_base.as_secs_f64() * 2f64.powi((attempts - 1).clamp(0, 20));
        let capped = base.min(3600.0);
        let jitter = rand::thread_rng().gen_range(0.75..1.25);
        chrono::Duration::milliseconds((capped * jitter * 1000.0) as i64)
    }

    fn message_id(&self, job: &Job) -> String {
        format!(
            "<job-{}.{}@{}>",
            job.id,
            job.created_at.and_utc().timestamp(),
            self.cfg.message_id_host
        )
    }

    /// Sends an email job at most once per Message-ID as far as we can know: the start of the
    /// send is committed first; a job found with a started send after a crash is checked
    /// (an outbox file exists) or re-sent with the same Message-ID (SMTP).
    async fn send_email(&self, job: &Job) -> Result<(), String> {
        let payload: EmailJob =
            serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
        let message_id = self.message_id(job);
        if job.effect_started_at.is_some() {
            if self.mailer.already_sent(&message_id).await {
                tracing::info!(job = job.id, %message_id, "email was sent before a crash; not sending again");
                return Ok(());
            }
            tracing::warn!(job = job.id, %message_id, "a send was interrupted; sending again with the same Message-ID");
        } else {
            let id = job.id;
            self.db(move |c| jobs::mark_effect_started(c, id))
                .await
                .map_err(|e| e.to_string())?;
        }
        self.mailer
            .send(&payload.email, &message_id)
            .await
            .map_err(|e| e.to_string())
    }

    async fn handle(&self, job: &Job) -> Result<(), String> {
        match job.kind.as_str() {
            SEND_EMAIL => self.send_email(job).await,
            crate::alerts::PRICE_DROP => crate::alerts::fan_out_price_drop(self, job).await,
            other => Err(format!("unknown job kind {other}")),
        }
    }

    /// Runs every job that is due now, one after another; returns how many ran.
    pub async fn run_due_jobs(&self) -> Result<usize, RunnerError> {
        let mut ran = 0;
        loop {
            if self.stopping.load(Ordering::Relaxed) {
                return Ok(ran);
            }
            let lease = self.cfg.lease;
            let Some(job) = self.db(move |c| jobs::claim_next(c, lease)).await? else {
                return Ok(ran);
            };
            ran += 1;
            let started = Instant::now();
            match self.handle(&job).await {
                Ok(()) => {
                    tracing::info!(job = job.id, kind = %job.kind, ms = started.elapsed().as_millis() as u64, "job done");
                    self.db(move |c| jobs::mark_done(c, &job)).await?;
                }
                Err(error) => {
                    let retry_in = self.backoff(job.attempts);
                    tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed");
                    self.db(move |c| jobs::mark_failed(c, &job, &error, retry_in))
                        .await?;
                }
            }
        }
    }

    /// One pass of every periodic task. Each is safe to run in several workers at once.
    pub async fn run_periodic(&self) {
        if let Err(e) = crate::lifecycle::warn_expiring(self).await {
            tracing::error!(error = %e, "expiry warnings failed");
        }
        if let Err(e) = crate::lifecycle::expire_due(self).await {
            tracing::error!(error = %e, "expiry sweep failed");
        }
        if let Err(e) = crate::lifecycle::purge(self).await {
            tracing::error!(error = %e, "purge failed");
        }
        if let Err(e) = crate::alerts::saved_search_alerts(self).await {
            tracing::error!(error = %e, "saved search alerts failed");
        }
        if let Err(e) = crate::views::flush_redis_views(self).await {
            tracing::error!(error = %e, "view count flush failed");
        }
    }

    /// `souk-worker --once`: every periodic task, then every due job (including the emails the
    /// tasks just queued).
    pub async fn run_once(&self) -> Result<usize, RunnerError> {
        self.run_periodic().await;
        self.run_due_jobs().await
    }

    /// Runs jobs and periodic tasks until `shutdown` turns true; wakes early when `wake` is
    /// notified. A job under way is finished before stopping.
    pub async fn run_until_shutdown(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(
            poll_ms = self.cfg.poll_interval.as_millis() as u64,
            tick_s = self.cfg.tick.as_secs(),
            redis = self.redis.is_some(),
            "job runner started"
        );
        if let Some(r) = self.redis.clone() {
            let wake = self.wake.clone();
            tokio::spawn(r.forward_wakes(wake));
        }
        {
            let (stopping, mut watch) = (self.stopping.clone(), shutdown.clone());
            tokio::spawn(async move {
                while watch.changed().await.is_ok() {
                    if *watch.borrow() {
                        stopping.store(true, Ordering::Relaxed);
                        return;
                    }
                }
            });
        }
        let mut next_tick = Instant::now();
        while !*shutdown.borrow() && !self.stopping.load(Ordering::Relaxed) {
            if Instant::now() >= next_tick {
                self.run_periodic().await;
                next_tick = Instant::now() + self.cfg.tick;
            }
            if let Err(e) = self.run_due_jobs().await {
                tracing::error!(error = %e, "job runner pass failed");
            }
            let wait = self
                .cfg
                .poll_interval
                .min(next_tick.saturating_duration_since(Instant::now()));
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
                _ = shutdown.changed() => {}
            }
        }
        tracing::info!("job runner stopped");
    }
}
