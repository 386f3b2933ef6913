//! Configuration, read once from the environment (see docs/configuration.md).

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: String,
    pub redis_url: Option<String>,
    /// Namespace of souk's Redis keys (several deployments can share a server).
    pub redis_prefix: String,
    pub data_dir: PathBuf,
    pub photos_dir: PathBuf,
    /// Where photos, message photos and export archives live: local folders (under the data
    /// folder, photos in `photos_dir`) or an S3-compatible bucket (`SOUK_S3_BUCKET`).
    pub files: souk_store::files::FilesConfig,
    /// Public photos are linked at this base (a CDN, or the bucket's public address for the
    /// `photos/` prefix) instead of through the API (`SOUK_PHOTOS_PUBLIC_URL`).
    pub photos_public_url: Option<String>,
    /// This process's search index (one per API process).
    pub index_dir: PathBuf,
    /// Shared folder of index snapshots (`SOUK_INDEX_SNAPSHOTS`): a new process opens the
    /// newest instead of rebuilding; `None` = always rebuild.
    pub index_snapshots: Option<PathBuf>,
    /// Seconds between snapshots this process publishes (`SOUK_INDEX_SNAPSHOT_EVERY_SECS`);
    /// 0 = it publishes none (one process of a deployment should).
    pub index_snapshot_every_secs: u64,
    pub index_poll_ms: u64,
    pub public_url: String,
    pub jwt_secret: Option<String>,
    pub access_ttl_secs: i64,
    pub refresh_ttl_days: i64,
    pub listing_ttl_days: i64,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// Run the job runner inside the API process (the embedded default).
    pub embedded_worker: bool,
    pub db_pool_size: u32,
    /// SQLite read-only connections beside the one writer (PostgreSQL: unused).
    pub db_readers: u32,
    /// `/readyz` answers 503 when the search index has not caught up with the change feed
    /// for this long.
    pub ready_max_lag_secs: u64,
    /// On SIGTERM: seconds of answering `/readyz` 503 while still serving, for a load balancer
    /// to stop sending (`SOUK_SHUTDOWN_DRAIN_SECS`).
    pub shutdown_drain_secs: u64,
    /// A PostgreSQL streaming replica for anonymous public reads (`DATABASE_REPLICA_URL`).
    pub database_replica_url: Option<String>,
    /// Staleness past which public reads leave the replica (`SOUK_REPLICA_MAX_LAG_SECS`).
    pub replica_max_lag_secs: u64,
    /// Then: seconds requests in flight get to finish (`SOUK_SHUTDOWN_TIMEOUT_SECS`).
    pub shutdown_timeout_secs: u64,
    /// HTTP worker threads (event loops).
    pub http_workers: usize,
    /// Browse pages may come from a result of the same request under a second old.
    pub browse_cache: bool,
    /// How often result lists' seller ratings are read again (seconds).
    /// Seconds between heartbeats of an idle live stream (`GET /v1/me/events`); also how
    /// soon a stream whose client went away gives its place back.
    pub events_heartbeat_secs: u64,
    /// A message is emailed to its reader only if still unread this long after it was sent
    /// (`SOUK_MESSAGE_EMAIL_DELAY_SECS`; the live stream and push come first).
    pub message_email_delay_secs: i64,
    /// Push notifications: FCM (`SOUK_FCM_SERVICE_ACCOUNT`) or the file outbox.
    pub push: souk_worker::push::PushConfig,
    pub ratings_refresh_secs: u64,
    pub limits: RateLimits,
    /// Reverse proxies whose forwarding header names the client (`SOUK_TRUSTED_PROXIES`).
    pub proxies: crate::client_ip::TrustedProxies,
    /// Where text messages (phone codes) go: an HTTP gateway or `<data dir>/sms`.
    pub sms: souk_worker::sms::SmsConfig,
    /// The payment provider credits are bought through (`SOUK_PAYMENT_PROVIDER`, ...).
    pub payments: souk_worker::payments::PaymentConfig,
    /// Posting an ad needs a confirmed phone.
    pub require_phone_to_post: bool,
    /// Contacting a seller needs a confirmed phone.
    pub require_phone_to_contact: bool,
    /// Revealing a seller's number needs a confirmed phone too (a confirmed address always).
    pub reveal_requires_phone: bool,
    /// Revealing a seller's number needs an account at least this many hours old.
    pub reveal_min_account_hours: i64,
    /// When set, `/metrics` answers only to `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// Without a token, `/metrics` is served to anyone only when this is true
    /// (`SOUK_METRICS_PUBLIC`); otherwise it is 404, as if absent.
    pub metrics_public: bool,
    /// Image decodes allowed at once; more waits.
    pub decode_slots: usize,
    /// How much lower than the rest the threads hashing passwords run (`SOUK_PASSWORD_NICE`,
    /// a nice increment, 0 to 19).
    pub password_nice: i32,
    /// Bytes of upload bodies this process reads at once (`SOUK_UPLOAD_BUFFER_MB`).
    pub upload_buffer_bytes: usize,
    /// Uploads one account may have under way at once (`SOUK_UPLOADS_PER_ACCOUNT`).
    pub uploads_per_account: usize,
    /// How long an upload waits for room before 503 (`SOUK_UPLOAD_WAIT_SECS`).
    pub upload_wait_secs: u64,
    /// An ad reported by this many distinct users is hidden until a moderator decides.
    pub reports_to_hide: i64,
    /// Summed weight of an ad's trust flags that hides it pending review (0: never).
    pub flag_score_to_hide: u32,
    /// Settings of the embedded job runner (same variables as `souk-worker`).
    pub worker: WorkerSettings,
}

#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub poll_ms: u64,
    pub tick_secs: u64,
    pub backoff_ms: u64,
    pub expiry_warn_days: i64,
    pub retention_deleted_days: i64,
    pub retention_expired_days: i64,
    /// How often views counted in this process (no Redis) are written to the database.
    pub views_flush_ms: u64,
}

/// Requests allowed per window; see `ratelimit`.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub login_per_minute: u32,
    pub register_per_hour: u32,
    pub post_per_hour: u32,
    pub reset_per_hour: u32,
    /// Contact requests and messages per user.
    pub contact_per_hour: u32,
    /// Reports per user.
    pub report_per_hour: u32,
    /// Image uploads (photos, logos, banners) per user.
    pub upload_per_hour: u32,
    /// New contact threads a buyer may open per day.
    pub threads_per_day: u32,
    /// Phone reveals per viewer per day (twice that per client address).
    pub reveals_per_day: u32,
    /// Edits and renewals of one ad per hour (each queues a trust check and a feed row).
    pub changes_per_ad_per_hour: u32,
    /// Fair-price hints for drafts per client per minute.
    pub hints_per_minute: u32,
    /// Credit purchases (payment orders) per account per hour; three times that per client.
    pub purchases_per_hour: u32,
    /// Phone codes sent to one number a day (whatever the account).
    pub sms_per_number_per_day: u32,
    /// Phone codes one account may ask for a day.
    pub sms_per_account_per_day: u32,
    /// Phone codes the whole site sends an hour and a day: past them, codes are refused.
    pub sms_budget_per_hour: u32,
    pub sms_budget_per_day: u32,
}

#[derive(Debug, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    name: &'static str,
    problem: String,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Like `parsed`, and within `range` (a TTL of zero or of a million days breaks the service).
fn bounded(
    name: &'static str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ConfigError> {
    let v = parsed(name, default)?;
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(ConfigError {
            name,
            problem: format!("{v} is outside {}..={}", range.start(), range.end()),
        })
    }
}

fn parsed<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError {
            name,
            problem: format!("{v:?}: {e}"),
        }),
    }
}

/// Two event loops per core: a search (about a millisecond, up to ten with facets over a large
/// category) runs on its loop, and a second loop per core keeps other requests moving meanwhile.
pub fn default_http_workers() -> usize {
    2 * cores()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let data_dir: PathBuf = parsed("SOUK_DATA_DIR", PathBuf::from("./data"))?;
        let bind: SocketAddr = parsed(
            "SOUK_BIND",
            "127.0.0.1:8080".parse().expect("valid default"),
        )?;
        let database_url =
            var("DATABASE_URL").unwrap_or_else(|| souk_store::db::default_database_url(&data_dir));
        let is_sqlite =
            souk_store::DbUrl::parse(&database_url).backend == souk_store::Backend::Sqlite;
        let index_poll_ms: u64 = parsed("SOUK_INDEX_POLL_MS", 200)?;
        let ready_max_lag_secs = bounded("SOUK_READY_MAX_LAG_SECS", 5, 1..=3600)? as u64;
        if index_poll_ms >= ready_max_lag_secs * 1000 {
            // An idle replica would drop out of the load balancer between two polls.
            return Err(ConfigError {
                name: "SOUK_READY_MAX_LAG_SECS",
                problem: format!(
                    "{ready_max_lag_secs} s must exceed SOUK_INDEX_POLL_MS ({index_poll_ms} ms)"
                ),
            });
        }
        let database_replica_url = var("DATABASE_REPLICA_URL");
        if database_replica_url.is_some() && is_sqlite {
            return Err(ConfigError {
                name: "DATABASE_REPLICA_URL",
                problem: "a read replica needs DATABASE_URL on PostgreSQL".into(),
            });
        }
        if database_replica_url.as_deref() == Some(database_url.as_str()) {
            return Err(ConfigError {
                name: "DATABASE_REPLICA_URL",
                problem: "it is DATABASE_URL itself: give the streaming replica's address".into(),
            });
        }
        let index_snapshots = var("SOUK_INDEX_SNAPSHOTS").map(PathBuf::from);
        let index_snapshot_every_secs =
            bounded("SOUK_INDEX_SNAPSHOT_EVERY_SECS", 0, 0..=604_800)? as u64;
        if index_snapshot_every_secs > 0 && index_snapshots.is_none() {
            return Err(ConfigError {
                name: "SOUK_INDEX_SNAPSHOT_EVERY_SECS",
                problem: "publishing snapshots needs SOUK_INDEX_SNAPSHOTS (the shared folder)"
                    .into(),
            });
        }
        let photos_dir = parsed("SOUK_PHOTOS_DIR", data_dir.join("photos"))?;
        let files = souk_store::files::FilesConfig::from_env(&data_dir, photos_dir.clone())
            .map_err(|e| ConfigError {
                name: "SOUK_S3_BUCKET",
                problem: e.to_string(),
            })?;
        let photos_public_url =
            var("SOUK_PHOTOS_PUBLIC_URL").map(|u| u.trim_end_matches('/').to_string());
        if let Some(u) = &photos_public_url {
            if !(u.starts_with("https://") || u.starts_with("http://")) {
                return Err(ConfigError {
                    name: "SOUK_PHOTOS_PUBLIC_URL",
                    problem: format!("must be an http:// or https:// URL, not {u:?}"),
                });
            }
        }
        Ok(Config {
            bind,
            files,
            photos_public_url,
            public_url: var("SOUK_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_string())
                .unwrap_or_else(|| format!("http://{bind}")),
            database_url,
            redis_url: var("REDIS_URL"),
            redis_prefix: var("SOUK_REDIS_PREFIX").unwrap_or_else(|| "souk".into()),
            photos_dir,
            index_dir: parsed("SOUK_INDEX_DIR", data_dir.join("index"))?,
            index_snapshots,
            index_snapshot_every_secs,
            index_poll_ms,
            jwt_secret: var("SOUK_JWT_SECRET"),
            access_ttl_secs: bounded("SOUK_ACCESS_TTL_SECS", 900, 60..=86_400)?,
            refresh_ttl_days: bounded("SOUK_REFRESH_TTL_DAYS", 30, 1..=365)?,
            listing_ttl_days: bounded("SOUK_LISTING_TTL_DAYS", 60, 1..=3650)?,
            smtp_url: var("SOUK_SMTP_URL"),
            mail_from: var("SOUK_MAIL_FROM").unwrap_or_else(|| "souk <no-reply@souk.local>".into()),
            embedded_worker: parsed("SOUK_EMBEDDED_WORKER", is_sqlite)?,
            db_pool_size: parsed("SOUK_DB_POOL_SIZE", 16)?,
            db_readers: bounded("SOUK_DB_READERS", 4, 1..=64)? as u32,
            ready_max_lag_secs,
            shutdown_drain_secs: bounded("SOUK_SHUTDOWN_DRAIN_SECS", 2, 0..=300)? as u64,
            database_replica_url,
            replica_max_lag_secs: bounded("SOUK_REPLICA_MAX_LAG_SECS", 2, 1..=3600)? as u64,
            shutdown_timeout_secs: bounded("SOUK_SHUTDOWN_TIMEOUT_SECS", 5, 1..=300)? as u64,
            browse_cache: parsed("SOUK_BROWSE_CACHE", true)?,
            ratings_refresh_secs: bounded("SOUK_RATINGS_REFRESH_SECS", 60, 1..=86_400)? as u64,
            events_heartbeat_secs: bounded("SOUK_EVENTS_HEARTBEAT_SECS", 20, 1..=300)? as u64,
            message_email_delay_secs: bounded("SOUK_MESSAGE_EMAIL_DELAY_SECS", 600, 0..=86_400)?,
            push: souk_worker::push::PushConfig::from_env(&data_dir).map_err(|problem| {
                ConfigError {
                    name: "SOUK_FCM_SERVICE_ACCOUNT",
                    problem,
                }
            })?,
            http_workers: bounded("SOUK_HTTP_WORKERS", default_http_workers() as i64, 1..=512)?
                as usize,
            limits: RateLimits {
                login_per_minute: parsed("SOUK_RATE_LOGIN_PER_MIN", 10)?,
                register_per_hour: parsed("SOUK_RATE_REGISTER_PER_HOUR", 20)?,
                post_per_hour: parsed("SOUK_RATE_POST_PER_HOUR", 30)?,
                reset_per_hour: parsed("SOUK_RATE_RESET_PER_HOUR", 5)?,
                contact_per_hour: parsed("SOUK_RATE_CONTACT_PER_HOUR", 20)?,
                report_per_hour: parsed("SOUK_RATE_REPORT_PER_HOUR", 20)?,
                upload_per_hour: parsed("SOUK_RATE_UPLOAD_PER_HOUR", 60)?,
                threads_per_day: parsed("SOUK_RATE_THREADS_PER_DAY", 30)?,
                reveals_per_day: parsed("SOUK_RATE_REVEALS_PER_DAY", 50)?,
                changes_per_ad_per_hour: parsed("SOUK_RATE_CHANGES_PER_AD_PER_HOUR", 20)?,
                hints_per_minute: parsed("SOUK_RATE_HINTS_PER_MINUTE", 120)?,
                purchases_per_hour: parsed("SOUK_RATE_PURCHASES_PER_HOUR", 10)?,
                sms_per_number_per_day: parsed("SOUK_SMS_PER_NUMBER_PER_DAY", 6)?,
                sms_per_account_per_day: parsed("SOUK_SMS_PER_ACCOUNT_PER_DAY", 10)?,
                sms_budget_per_hour: parsed("SOUK_SMS_BUDGET_PER_HOUR", 300)?,
                sms_budget_per_day: parsed("SOUK_SMS_BUDGET_PER_DAY", 2000)?,
            },
            proxies: crate::client_ip::TrustedProxies {
                nets: crate::client_ip::TrustedProxies::parse_list(
                    &var("SOUK_TRUSTED_PROXIES").unwrap_or_default(),
                )
                .map_err(|problem| ConfigError {
                    name: "SOUK_TRUSTED_PROXIES",
                    problem,
                })?,
                header: match var("SOUK_CLIENT_IP_HEADER") {
                    None => crate::client_ip::ForwardHeader::XForwardedFor,
                    Some(h) => crate::client_ip::ForwardHeader::parse(&h).ok_or(ConfigError {
                        name: "SOUK_CLIENT_IP_HEADER",
                        problem: format!("{h:?}: expected x-forwarded-for or forwarded"),
                    })?,
                },
            },
            metrics_token: var("SOUK_METRICS_TOKEN"),
            metrics_public: parsed("SOUK_METRICS_PUBLIC", false)?,
            require_phone_to_post: parsed("SOUK_REQUIRE_PHONE_TO_POST", false)?,
            require_phone_to_contact: parsed("SOUK_REQUIRE_PHONE_TO_CONTACT", false)?,
            reveal_requires_phone: parsed("SOUK_REVEAL_REQUIRES_PHONE", false)?,
            reveal_min_account_hours: bounded("SOUK_REVEAL_MIN_ACCOUNT_HOURS", 0, 0..=24 * 365)?,
            sms: souk_worker::sms::SmsConfig::from_env(&data_dir),
            payments: souk_worker::payments::PaymentConfig::from_env().map_err(|problem| {
                ConfigError {
                    name: "SOUK_PAYMENT_PROVIDER",
                    problem,
                }
            })?,
            decode_slots: bounded("SOUK_IMAGE_DECODE_SLOTS", cores() as i64, 1..=256)? as usize,
            password_nice: bounded("SOUK_PASSWORD_NICE", 10, 0..=19)? as i32,
            upload_buffer_bytes: bounded("SOUK_UPLOAD_BUFFER_MB", 64, 11..=65_536)? as usize
                * 1024
                * 1024,
            uploads_per_account: bounded("SOUK_UPLOADS_PER_ACCOUNT", 2, 1..=64)? as usize,
            upload_wait_secs: bounded("SOUK_UPLOAD_WAIT_SECS", 3, 0..=60)? as u64,
            reports_to_hide: bounded("SOUK_REPORTS_TO_HIDE", 3, 1..=1000)?,
            flag_score_to_hide: bounded(
                "SOUK_FLAG_SCORE_TO_HIDE",
                souk_domain::signals::DEFAULT_SCORE_TO_HIDE.into(),
                0..=100,
            )? as u32,
            worker: WorkerSettings {
                poll_ms: parsed("SOUK_WORKER_POLL_MS", 500)?,
                tick_secs: bounded("SOUK_WORKER_TICK_SECS", 60, 1..=86_400)? as u64,
                backoff_ms: parsed("SOUK_JOB_BACKOFF_MS", 5000)?,
                expiry_warn_days: bounded("SOUK_EXPIRY_WARN_DAYS", 3, 0..=60)?,
                retention_deleted_days: bounded("SOUK_RETENTION_DELETED_DAYS", 30, 0..=3650)?,
                retention_expired_days: bounded("SOUK_RETENTION_EXPIRED_DAYS", 90, 0..=3650)?,
                views_flush_ms: parsed("SOUK_VIEWS_FLUSH_MS", 5000)?,
            },
            data_dir,
        })
    }

    pub fn runner_config(&self) -> souk_worker::RunnerConfig {
        let w = &self.worker;
        souk_worker::RunnerConfig {
            poll_interval: std::time::Duration::from_millis(w.poll_ms),
            tick: std::time::Duration::from_secs(w.tick_secs.max(1)),
            backoff_base: std::time::Duration::from_millis(w.backoff_ms),
            public_url: self.public_url.trim_end_matches('/').to_string(),
            warn_before: chrono::Duration::days(w.expiry_warn_days),
            deleted_retention: chrono::Duration::days(w.retention_deleted_days),
            expired_retention: chrono::Duration::days(w.retention_expired_days),
            sms: self.sms.clone(),
            payments: self.payments.clone(),
            flag_score_to_hide: self.flag_score_to_hide,
            exports_dir: self.data_dir.join("exports"),
            push: self.push.clone(),
            ..Default::default()
        }
    }

    pub fn mail_config(&self) -> souk_worker::MailConfig {
        souk_worker::MailConfig {
            smtp_url: self.smtp_url.clone(),
            from: self.mail_from.clone(),
            outbox_dir: self.data_dir.join("outbox"),
        }
    }
}
