//! What every part of the worker shares: its configuration, its error, and the `Worker`
//! handle (pool, mailer, Redis, wake-up) with its database helpers. The job loop lives in
//! `runner`, the periodic tasks in `lifecycle`, `alerts` and `views`.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use souk_store::writer::WriterUse;
use souk_store::{DbConn, Pool, StoreError};
use tokio::sync::Notify;

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
    /// Where text messages go (gateway or file outbox).
    pub sms: crate::sms::SmsConfig,
    /// The payment provider credit purchases go through.
    pub payments: crate::payment_config::PaymentConfig,
    /// Summed weight of open trust flags at which an ad is hidden pending review
    /// (`SOUK_FLAG_SCORE_TO_HIDE`; 0 never hides).
    pub flag_score_to_hide: u32,
    /// Scratch space where account archives are written before they are stored
    /// (`<data dir>/exports`, which is also their area when files are local).
    pub exports_dir: PathBuf,
    /// Push notifications: FCM or the file outbox.
    pub push: crate::push::PushConfig,
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
            warn_before: chrono::Duration::days(3),
            deleted_retention: chrono::Duration::days(30),
            expired_retention: chrono::Duration::days(90),
            batch: 200,
            alert_settle: chrono::Duration::seconds(5),
            flag_score_to_hide: souk_domain::signals::DEFAULT_SCORE_TO_HIDE,
            exports_dir: PathBuf::from("./data/exports"),
            push: crate::push::PushConfig {
                outbox_dir: PathBuf::from("./data/push"),
                fcm: None,
            },
            payments: Default::default(),
            sms: crate::sms::SmsConfig {
                body_template: crate::sms::DEFAULT_BODY.into(),
                content_type: crate::sms::DEFAULT_CONTENT_TYPE.into(),
                outbox_dir: PathBuf::from("./data/sms"),
                ..Default::default()
            },
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
    pub(crate) stopping: Arc<AtomicBool>,
    /// When this worker last refreshed the planner's statistics.
    pub(crate) statistics_refreshed: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// The FCM transport (with its cached access token) when FCM is configured.
    pub(crate) push: Option<Arc<crate::push::FcmTransport>>,
    /// Photos (read by exports, removed by the purge) and export archives.
    pub files: souk_store::files::Files,
}

impl Worker {
    pub fn new(
        pool: Pool,
        mailer: Mailer,
        cfg: RunnerConfig,
        redis: Option<RedisLink>,
        files: souk_store::files::Files,
    ) -> Worker {
        let push = cfg.push.fcm.clone().and_then(|fcm| {
            crate::push::FcmTransport::new(fcm)
                .map_err(|e| tracing::error!(error = %e, "FCM transport unavailable"))
                .ok()
                .map(Arc::new)
        });
        Worker {
            push,
            pool,
            mailer,
            cfg,
            redis,
            wake: Arc::new(Notify::new()),
            stopping: Arc::new(AtomicBool::new(false)),
            statistics_refreshed: Default::default(),
            files,
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
            let mut conn = souk_store::writer::take_writer(&pool, WriterUse::Background)?;
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
}
